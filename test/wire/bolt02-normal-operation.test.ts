// BOLT 2 "Normal Operation" messages (types 128-135): hand-derived hex from
// the field tables, round trips, kept TLV streams, and truncated, garbage
// and malformed input. BOLT 1's vector file (bolt01-messaging.json) has no
// vectors for these messages, so the hex below is derived from BOLT 2.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../shared/codec/index.js';
import type { UnknownTlvRecord } from '../../shared/codec/index.js';
import { MESSAGE_TYPE, decodeMessage, encodeMessage, isKnownMessageType } from '../../shared/wire/index.js';
import type { WireMessage } from '../../shared/wire/index.js';

const h = hexToBytes;
const CID = '11'.repeat(32);
const SIG_A = 'aa'.repeat(64);
const SIG_B = 'bb'.repeat(64);
const POINT = '02' + '33'.repeat(32);
const ONION = '00' + '5a'.repeat(1365);

function decoded(hex: string): WireMessage {
  const result = decodeMessage(h(hex));
  if (result.kind !== 'message') throw new Error(`expected a message, got ${JSON.stringify(result)}`);
  return result.message;
}

function reasonOf(hex: string): string | undefined {
  const result = decodeMessage(h(hex));
  return result.kind === 'decode-error' ? result.error.reason : result.kind;
}

const cases: { name: string; msg: WireMessage; hex: string }[] = [
  {
    name: 'update_add_htlc without TLVs',
    msg: { type: 128, channelId: h(CID), id: 7n, amountMsat: 1_000_000n, paymentHash: h('22'.repeat(32)), cltvExpiry: 500_123, onionRoutingPacket: h(ONION) },
    hex: '0080' + CID + '0000000000000007' + '00000000000f4240' + '22'.repeat(32) + '0007a19b' + ONION,
  },
  {
    name: 'update_add_htlc with blinding point (TLV 0) and an unknown odd TLV',
    msg: {
      type: 128,
      channelId: h(CID),
      id: 0n,
      amountMsat: 1n,
      paymentHash: h('22'.repeat(32)),
      cltvExpiry: 1,
      onionRoutingPacket: h(ONION),
      blindingPoint: h(POINT),
      unknownTlvs: [{ type: 5n, value: h('0102') }],
    },
    hex: '0080' + CID + '0000000000000000' + '0000000000000001' + '22'.repeat(32) + '00000001' + ONION + '0021' + POINT + '05020102',
  },
  {
    name: 'update_fulfill_htlc',
    msg: { type: 130, channelId: h(CID), id: 1n, paymentPreimage: h('44'.repeat(32)) },
    hex: '0082' + CID + '0000000000000001' + '44'.repeat(32),
  },
  {
    name: 'update_fail_htlc with a 3-byte reason',
    msg: { type: 131, channelId: h(CID), id: 2n, reason: h('abcdef') },
    hex: '0083' + CID + '0000000000000002' + '0003' + 'abcdef',
  },
  {
    name: 'commitment_signed with two HTLC signatures',
    msg: { type: 132, channelId: h(CID), signature: h(SIG_A), htlcSignatures: [h(SIG_B), h(SIG_A)] },
    hex: '0084' + CID + SIG_A + '0002' + SIG_B + SIG_A,
  },
  {
    name: 'commitment_signed without HTLCs, with splicing funding_txid (odd TLV 1) kept',
    msg: { type: 132, channelId: h(CID), signature: h(SIG_A), htlcSignatures: [], unknownTlvs: [{ type: 1n, value: h('77'.repeat(32)) }] },
    hex: '0084' + CID + SIG_A + '0000' + '0120' + '77'.repeat(32),
  },
  {
    name: 'revoke_and_ack',
    msg: { type: 133, channelId: h(CID), perCommitmentSecret: h('55'.repeat(32)), nextPerCommitmentPoint: h(POINT) },
    hex: '0085' + CID + '55'.repeat(32) + POINT,
  },
  {
    name: 'update_fee',
    msg: { type: 134, channelId: h(CID), feeratePerKw: 253 },
    hex: '0086' + CID + '000000fd',
  },
  {
    name: 'update_fail_malformed_htlc (BADONION|PERM|5)',
    msg: { type: 135, channelId: h(CID), id: 3n, sha256OfOnion: h('66'.repeat(32)), failureCode: 0xc005 },
    hex: '0087' + CID + '0000000000000003' + '66'.repeat(32) + 'c005',
  },
];

describe('BOLT 2 normal operation: hand-derived encodings', () => {
  it('every type 128-135 but 129 is known, with its MESSAGE_TYPE name', () => {
    for (const t of [128, 130, 131, 132, 133, 134, 135]) expect(isKnownMessageType(t)).toBe(true);
    expect(isKnownMessageType(129)).toBe(false);
    expect(MESSAGE_TYPE).toMatchObject({ updateAddHtlc: 128, updateFulfillHtlc: 130, updateFailHtlc: 131, commitmentSigned: 132, revokeAndAck: 133, updateFee: 134, updateFailMalformedHtlc: 135 });
  });
  for (const c of cases) {
    it(c.name, () => {
      expect(bytesToHex(encodeMessage(c.msg))).toBe(c.hex);
      expect(decoded(c.hex)).toEqual(c.msg);
    });
  }
});

describe('BOLT 2 normal operation: malformed input', () => {
  const add = cases[0]!.hex;
  it('an onion one byte short is a short read; one byte long is a bad TLV stream', () => {
    expect(reasonOf(add.slice(0, -2))).toBe('short-read');
    expect(reasonOf(add + '00')).not.toBe('message');
  });
  it('an unknown even TLV in update_add_htlc_tlvs fails the message', () => {
    expect(reasonOf(add + '0200')).toBe('unknown-even-type');
  });
  it('a blinding point that is not 02/03 is an invalid value', () => {
    expect(reasonOf(add + '0021' + '04' + '33'.repeat(32))).toBe('invalid-value');
  });
  it('commitment_signed whose num_htlcs is larger than the signatures sent is a short read', () => {
    expect(reasonOf('0084' + CID + SIG_A + '0003' + SIG_B + SIG_A)).toBe('short-read');
    expect(reasonOf('0084' + CID + SIG_A + 'ffff')).toBe('short-read');
  });
  it('revoke_and_ack with a next point of prefix 04 is an invalid value', () => {
    expect(reasonOf('0085' + CID + '55'.repeat(32) + '04' + '33'.repeat(32))).toBe('invalid-value');
  });
  it('update_fail_htlc whose len runs past the end is a short read', () => {
    expect(reasonOf('0083' + CID + '0000000000000002' + '0004' + 'abcdef')).toBe('short-read');
  });
  it('commitment_signed with 966 HTLC signatures (483 each way, none trimmed) fits in one message and round-trips', () => {
    const msg: WireMessage = { type: 132, channelId: h(CID), signature: h(SIG_A), htlcSignatures: Array.from({ length: 966 }, (_, i) => new Uint8Array(64).fill(i & 0xff)) };
    const bytes = encodeMessage(msg);
    expect(bytes.length).toBe(2 + 32 + 64 + 2 + 966 * 64);
    expect(bytes.length).toBeLessThanOrEqual(65535);
    expect(decodeMessage(bytes)).toEqual({ kind: 'message', message: msg });
  });
  it('each message cut at every length is a typed decode error, never a throw', () => {
    for (const c of cases) {
      for (let end = 2; end < c.hex.length / 2; end += 7) {
        const result = decodeMessage(h(c.hex).subarray(0, end));
        // A cut inside a TLV stream or an onion can never decode to the full message.
        if (result.kind === 'message') expect(bytesToHex(encodeMessage(result.message))).not.toBe(c.hex);
        else expect(result.kind).toBe('decode-error');
      }
    }
  });
});

const bytesN = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });
const pointArb = fc.tuple(fc.constantFrom(2, 3), bytesN(32)).map(([p, b]) => Uint8Array.of(p, ...b));
const u64Arb = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const u32Arb = fc.integer({ min: 0, max: 0xffffffff });
function oddTlvs(known: readonly bigint[]): fc.Arbitrary<UnknownTlvRecord[] | undefined> {
  return fc
    .uniqueArray(fc.bigInt({ min: 0n, max: 1000n }).map((t) => t | 1n).filter((t) => !known.includes(t)), { maxLength: 2 })
    .chain((types) => fc.tuple(...[...types].sort((a, b) => (a < b ? -1 : 1)).map((type) => fc.uint8Array({ maxLength: 8 }).map((value) => ({ type, value })))))
    .map((records) => (records.length === 0 ? undefined : records));
}
function withTlvs<T extends object>(m: T, unknown: UnknownTlvRecord[] | undefined): T {
  return unknown === undefined ? m : { ...m, unknownTlvs: unknown };
}

const ARBS: fc.Arbitrary<WireMessage>[] = [
  fc
    .tuple(bytesN(32), u64Arb, u64Arb, bytesN(32), u32Arb, bytesN(1366), fc.option(pointArb, { nil: undefined }), oddTlvs([]))
    .map(([channelId, id, amountMsat, paymentHash, cltvExpiry, onionRoutingPacket, blindingPoint, unknown]) =>
      withTlvs({ type: 128 as const, channelId, id, amountMsat, paymentHash, cltvExpiry, onionRoutingPacket, ...(blindingPoint ? { blindingPoint } : {}) }, unknown),
    ),
  fc.tuple(bytesN(32), u64Arb, bytesN(32), oddTlvs([])).map(([channelId, id, paymentPreimage, u]) => withTlvs({ type: 130 as const, channelId, id, paymentPreimage }, u)),
  fc.tuple(bytesN(32), u64Arb, fc.uint8Array({ maxLength: 300 }), oddTlvs([])).map(([channelId, id, reason, u]) => withTlvs({ type: 131 as const, channelId, id, reason }, u)),
  fc
    .tuple(bytesN(32), bytesN(64), fc.array(bytesN(64), { maxLength: 5 }), oddTlvs([]))
    .map(([channelId, signature, htlcSignatures, u]) => withTlvs({ type: 132 as const, channelId, signature, htlcSignatures }, u)),
  fc.tuple(bytesN(32), bytesN(32), pointArb, oddTlvs([])).map(([channelId, perCommitmentSecret, nextPerCommitmentPoint, u]) => withTlvs({ type: 133 as const, channelId, perCommitmentSecret, nextPerCommitmentPoint }, u)),
  fc.tuple(bytesN(32), u32Arb, oddTlvs([])).map(([channelId, feeratePerKw, u]) => withTlvs({ type: 134 as const, channelId, feeratePerKw }, u)),
  fc
    .tuple(bytesN(32), u64Arb, bytesN(32), fc.integer({ min: 0, max: 0xffff }), oddTlvs([]))
    .map(([channelId, id, sha256OfOnion, failureCode, u]) => withTlvs({ type: 135 as const, channelId, id, sha256OfOnion, failureCode }, u)),
];

describe('BOLT 2 normal operation: properties', () => {
  it('every message round-trips through encode/decode (unknown odd TLVs kept)', () => {
    fc.assert(
      fc.property(fc.oneof(...ARBS), (msg) => {
        const bytes = encodeMessage(msg);
        expect(decodeMessage(bytes)).toEqual({ kind: 'message', message: msg });
      }),
      { numRuns: 400, seed: 15 },
    );
  });
  it('mutated or cut messages give a typed result; a decoded one re-encodes to the same bytes', () => {
    const mutated = fc.tuple(fc.oneof(...ARBS), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat()).map(([msg, at, value, cut]) => {
      const input = encodeMessage(msg);
      input[2 + (at % (input.length - 2))] = value;
      return cut % 3 === 0 ? input.subarray(0, 2 + (cut % (input.length - 1))) : input;
    });
    fc.assert(
      fc.property(mutated, (input) => {
        const result = decodeMessage(input);
        expect(['message', 'decode-error']).toContain(result.kind);
        if (result.kind === 'message') expect(bytesToHex(encodeMessage(result.message))).toBe(bytesToHex(input));
      }),
      { numRuns: 600, seed: 15 },
    );
  });
});
