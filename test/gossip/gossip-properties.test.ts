// Round trips of every BOLT 7 message through encodeGossipMessage /
// decodeGossipMessage, excess data kept verbatim, and garbage or truncated
// input answered with typed errors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DECODE_ERROR_REASONS, bytesToHex, hexToBytes } from '../../shared/codec/index.js';
import type { UnknownTlvRecord } from '../../shared/codec/index.js';
import { GOSSIP_MESSAGE_TYPE, decodeGossipMessage, encodeGossipMessage, isGossipMessageType } from '../../shared/gossip/index.js';
import type { EncodedArray, GossipMessage } from '../../shared/gossip/index.js';
import { decodeMessage } from '../../shared/wire/index.js';
import type { AddressDescriptor } from '../../shared/wire/index.js';

const bytes = (minLength: number, maxLength = minLength): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength, maxLength });
const sig = bytes(64);
const hash = bytes(32);
const point = fc.tuple(fc.constantFrom(2, 3), bytes(32)).map(([p, x]) => Uint8Array.of(p, ...x));
const u16 = fc.nat({ max: 0xffff });
const u32 = fc.nat({ max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const excess = fc.option(bytes(1, 40), { nil: undefined });

function withExcess<T extends object>(m: T, e: Uint8Array | undefined): T {
  return e === undefined ? m : { ...m, excessData: e };
}

function withUnknown<T extends object>(m: T, unknown: UnknownTlvRecord[]): T {
  return unknown.length > 0 ? { ...m, unknownTlvs: unknown } : m;
}

/** Unknown odd TLV records (types not in `known`), increasing. */
function unknownTlvs(known: readonly bigint[]): fc.Arbitrary<UnknownTlvRecord[]> {
  return fc
    .uniqueArray(fc.record({ type: fc.bigInt({ min: 0n, max: 1000n }).map((t) => t | 1n).filter((t) => !known.includes(t)), value: bytes(0, 20) }), {
      selector: (r) => r.type,
      maxLength: 2,
    })
    .map((rs) => [...rs].sort((a, b) => (a.type < b.type ? -1 : 1)));
}

const hostname = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789.-_~!'.split('')), minLength: 1, maxLength: 255 });
const knownAddress: fc.Arbitrary<AddressDescriptor> = fc.oneof(
  fc.record({ kind: fc.constant('ipv4' as const), addr: bytes(4), port: u16 }),
  fc.record({ kind: fc.constant('ipv6' as const), addr: bytes(16), port: u16 }),
  fc.record({ kind: fc.constant('torv2' as const), addr: bytes(10), port: u16 }),
  fc.record({ kind: fc.constant('torv3' as const), addr: bytes(35), port: u16 }),
  fc.record({ kind: fc.constant('dns' as const), hostname, port: u16 }),
);
const unknownAddress: fc.Arbitrary<AddressDescriptor> = fc.record({
  kind: fc.constant('unknown' as const),
  addressType: fc.integer({ min: 0, max: 255 }).filter((t) => t === 0 || t > 5),
  data: bytes(0, 30),
});
const addresses = fc.tuple(fc.array(knownAddress, { maxLength: 4 }), fc.option(unknownAddress, { nil: undefined })).map(([known, unknown]) => (unknown === undefined ? known : [...known, unknown]));

function encoded<T>(element: fc.Arbitrary<T>): fc.Arbitrary<EncodedArray<T>> {
  return fc.oneof(
    fc.array(element, { maxLength: 6 }).map((values) => ({ encoding: 'uncompressed' as const, values })),
    bytes(0, 30).map((data) => ({ encoding: 'zlib' as const, data })),
  );
}

const channelAnnouncement = fc
  .tuple(
    fc.record({ nodeSignature1: sig, nodeSignature2: sig, bitcoinSignature1: sig, bitcoinSignature2: sig, features: bytes(0, 8), chainHash: hash, shortChannelId: u64, nodeId1: point, nodeId2: point, bitcoinKey1: point, bitcoinKey2: point }),
    excess,
  )
  .map(([m, e]): GossipMessage => withExcess({ type: 256, ...m }, e));

const nodeAnnouncement = fc
  .tuple(fc.record({ signature: sig, features: bytes(0, 8), timestamp: u32, nodeId: point, rgbColor: bytes(3), alias: bytes(32), addresses }), excess)
  .map(([m, e]): GossipMessage => withExcess({ type: 257, ...m }, e));

const channelUpdate = fc
  .tuple(
    fc.record({ signature: sig, chainHash: hash, shortChannelId: u64, timestamp: u32, messageFlags: fc.nat({ max: 255 }), channelFlags: fc.nat({ max: 255 }), cltvExpiryDelta: u16, htlcMinimumMsat: u64, feeBaseMsat: u32, feeProportionalMillionths: u32, htlcMaximumMsat: u64 }),
    excess,
  )
  .map(([m, e]): GossipMessage => withExcess({ type: 258, ...m }, e));

const announcementSignatures = fc
  .tuple(fc.record({ channelId: hash, shortChannelId: u64, nodeSignature: sig, bitcoinSignature: sig }), unknownTlvs([]))
  .map(([m, u]): GossipMessage => withUnknown({ type: 259, ...m }, u));

const queryShortChannelIds = fc
  .tuple(fc.record({ chainHash: hash, encodedShortIds: encoded(u64), queryFlags: encoded(u64) }, { requiredKeys: ['chainHash', 'encodedShortIds'] }), unknownTlvs([1n]))
  .map(([m, u]): GossipMessage => withUnknown({ type: 261, ...m }, u));

const replyShortChannelIdsEnd = fc
  .tuple(fc.record({ chainHash: hash, fullInformation: fc.nat({ max: 255 }) }), unknownTlvs([]))
  .map(([m, u]): GossipMessage => withUnknown({ type: 262, ...m }, u));

const queryChannelRange = fc
  .tuple(fc.record({ chainHash: hash, firstBlocknum: u32, numberOfBlocks: u32, queryOption: u64 }, { requiredKeys: ['chainHash', 'firstBlocknum', 'numberOfBlocks'] }), unknownTlvs([1n]))
  .map(([m, u]): GossipMessage => withUnknown({ type: 263, ...m }, u));

const timestamps = fc.record({ timestampNodeId1: u32, timestampNodeId2: u32 });
const checksums = fc.record({ checksumNodeId1: u32, checksumNodeId2: u32 });
const replyChannelRange = fc
  .tuple(
    fc.record(
      { chainHash: hash, firstBlocknum: u32, numberOfBlocks: u32, syncComplete: fc.nat({ max: 255 }), encodedShortIds: encoded(u64), timestampsTlv: encoded(timestamps), checksumsTlv: fc.array(checksums, { maxLength: 5 }) },
      { requiredKeys: ['chainHash', 'firstBlocknum', 'numberOfBlocks', 'syncComplete', 'encodedShortIds'] },
    ),
    unknownTlvs([1n, 3n]),
  )
  .map(([m, u]): GossipMessage => withUnknown({ type: 264, ...m }, u));

const gossipTimestampFilter = fc
  .tuple(fc.record({ chainHash: hash, firstTimestamp: u32, timestampRange: u32 }), unknownTlvs([]))
  .map(([m, u]): GossipMessage => withUnknown({ type: 265, ...m }, u));

const anyGossip = fc.oneof(channelAnnouncement, nodeAnnouncement, channelUpdate, announcementSignatures, queryShortChannelIds, replyShortChannelIdsEnd, queryChannelRange, replyChannelRange, gossipTimestampFilter);

/** The message without its excess data or extension: every strict prefix of its encoding is then invalid. */
function bare(m: GossipMessage): GossipMessage {
  const { excessData: _e, unknownTlvs: _u, ...rest } = m as GossipMessage & { excessData?: Uint8Array; unknownTlvs?: unknown };
  if (rest.type === 261) return { type: 261, chainHash: rest.chainHash, encodedShortIds: rest.encodedShortIds };
  if (rest.type === 263) return { type: 263, chainHash: rest.chainHash, firstBlocknum: rest.firstBlocknum, numberOfBlocks: rest.numberOfBlocks };
  if (rest.type === 264) {
    const { timestampsTlv: _t, checksumsTlv: _c, ...r } = rest;
    return r;
  }
  return rest;
}

describe('BOLT 7 message properties', () => {
  it('every message round-trips through encode and decode', () => {
    fc.assert(
      fc.property(anyGossip, (m) => {
        const result = decodeGossipMessage(encodeGossipMessage(m));
        expect(result).toEqual({ kind: 'message', message: m });
      }),
      { numRuns: 600 },
    );
  });

  it('encoding is stable: decode then encode gives the same bytes (what the signatures cover)', () => {
    fc.assert(
      fc.property(anyGossip, (m) => {
        const bytes = encodeGossipMessage(m);
        const again = decodeGossipMessage(bytes);
        expect(again.kind).toBe('message');
        if (again.kind === 'message') expect(bytesToHex(encodeGossipMessage(again.message))).toBe(bytesToHex(bytes));
      }),
    );
  });

  it('excess data after a signed message is kept verbatim, even when it is no valid TLV stream', () => {
    fc.assert(
      fc.property(fc.oneof(channelAnnouncement, nodeAnnouncement, channelUpdate), fc.constantFrom('02', '0201', 'ff', '00ffffffff'), (m, tail) => {
        const bytes = Uint8Array.of(...encodeGossipMessage(bare(m)), ...hexToBytes(tail));
        const result = decodeGossipMessage(bytes);
        expect(result).toEqual({ kind: 'message', message: { ...bare(m), excessData: hexToBytes(tail) } });
      }),
    );
  });

  it('every strict prefix of a message is a typed decode error', () => {
    fc.assert(
      fc.property(anyGossip, (m) => {
        const bytes = encodeGossipMessage(bare(m));
        for (let n = 2; n < bytes.length; n += Math.max(1, Math.floor(bytes.length / 40))) {
          const result = decodeGossipMessage(bytes.subarray(0, n));
          expect(result.kind).toBe('decode-error');
          if (result.kind === 'decode-error') expect(DECODE_ERROR_REASONS).toContain(result.error.reason);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('garbage of any gossip type never throws: a message or a typed decode error', () => {
    const types = Object.values(GOSSIP_MESSAGE_TYPE);
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.uint8Array({ maxLength: 600 }), (type, payload) => {
        const result = decodeGossipMessage(Uint8Array.of(type >> 8, type & 0xff, ...payload));
        if (result.kind === 'decode-error') expect(DECODE_ERROR_REASONS).toContain(result.error.reason);
        else expect(result.kind).toBe('message');
      }),
      { numRuns: 2000 },
    );
  });

  it('bad values are typed errors: an unknown encoding_type, a hostname with a space, a point without 02/03, a short address list', () => {
    const chain = '00'.repeat(32);
    const reasonOf = (hex: string): string | undefined => {
      const r = decodeGossipMessage(hexToBytes(hex));
      return r.kind === 'decode-error' ? r.error.reason : undefined;
    };
    expect(reasonOf(`0105${chain}000102`)).toBe('invalid-value'); // encoding_type 2
    expect(reasonOf(`0105${chain}000900${'00'.repeat(7)}`)).toBe('short-read'); // 7 bytes are no u64
    const node = (addrs: string, nodeId = `02${'11'.repeat(32)}`): string => `0101${'00'.repeat(64)}0000${'00000001'}${nodeId}${'000000'}${'00'.repeat(32)}${(addrs.length / 2).toString(16).padStart(4, '0')}${addrs}`;
    expect(reasonOf(node(''))).toBeUndefined();
    expect(reasonOf(node('05036120622607'))).toBe('invalid-value'); // "a b"
    expect(reasonOf(node('0501'))).toBe('short-read'); // DNS hostname runs past addrlen
    expect(reasonOf(node('017f000001'))).toBe('short-read'); // ipv4 without its port
    expect(reasonOf(node('', `04${'11'.repeat(32)}`))).toBe('invalid-value');
  });

  it('the gossip types are exactly the BOLT 7 ones; wire still decodes channel_update itself', () => {
    expect([...Array(20).keys()].map((i) => 250 + i).filter(isGossipMessageType)).toEqual([256, 257, 258, 259, 261, 262, 263, 264, 265]);
    expect(decodeGossipMessage(Uint8Array.of(0, 16)).kind).toBe('not-gossip');
    fc.assert(
      fc.property(channelUpdate, (m) => {
        expect(decodeMessage(encodeGossipMessage(m))).toEqual({ kind: 'message', message: m });
      }),
      { numRuns: 50 },
    );
  });
});
