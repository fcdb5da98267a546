/**
 * The compact HTLC records inside the channel record (shared/channel/htlc.ts,
 * docs/items.md): fixed-size, round-tripping, a channel with 483 HTLCs each
 * way well under DynamoDB's 400 KB item, and channel records written before
 * HTLCs existed still read (and re-encode byte for byte but for the
 * channel_type record, TLV 46, every writer adds since).
 */
import { expect, it } from 'vitest';
import {
  HTLC_RECORD_BYTES,
  InboundHtlcState,
  OutboundHtlcState,
  decodeChannel,
  decodeFailureReason,
  decodeHtlcSignatures,
  decodeOnionEntry,
  encodeChannel,
  encodeFailureReason,
  encodeHtlcSignatures,
  encodeOnionRecord,
  encodePeeledOnionRecord,
  htlcCodec,
  type HtlcRecord,
} from '../../shared/channel/index.js';
import { DecodeError, decode, encode } from '../../shared/codec/index.js';
import { concatBytes, fromHex } from '../../shared/crypto/index.js';
import { decodeChannelEntry } from '../../shared/manager/index.js';
import oldChannels from '../vectors/channel-record-v1-before-htlcs.json' with { type: 'json' };
import { withRecord } from '../support/record-tlvs.js';
import { channelWith, htlc, htlcsEachWay, onionOf, readyChannel, signatureSet } from '../support/htlc-population.js';

it('encodes every state and resolution in a fixed number of bytes, and reads it back', () => {
  const hash = new Uint8Array(32).fill(7);
  const base = { id: 2n ** 64n - 1n, amountMsat: 12_345n, paymentHash: hash, cltvExpiry: 0xffffffff };
  const records: HtlcRecord[] = [
    ...Object.values(InboundHtlcState).map((state): HtlcRecord => ({ ...base, direction: 'received', state })),
    ...Object.values(OutboundHtlcState).map((state): HtlcRecord => ({ ...base, direction: 'offered', state })),
    { ...base, direction: 'received', state: 'local-removed', resolution: { kind: 'fulfill', preimage: new Uint8Array(32).fill(1) } },
    { ...base, direction: 'received', state: 'local-removed', resolution: { kind: 'fail', hasReason: true } },
    { ...base, direction: 'offered', state: 'remote-removed', resolution: { kind: 'fail', hasReason: false } },
    { ...base, direction: 'received', state: 'local-removed', resolution: { kind: 'fail-malformed', failureCode: 0xc005, sha256OfOnion: new Uint8Array(32).fill(9) } },
  ];
  for (const r of records) {
    const bytes = encode(htlcCodec, r);
    expect(bytes.length).toBe(HTLC_RECORD_BYTES);
    expect(decode(htlcCodec, bytes)).toEqual({ ok: true, value: r });
  }
  expect(() => encode(htlcCodec, { ...base, direction: 'offered', state: 'remote-announced' } as never)).toThrow(TypeError);
  const bad = encode(htlcCodec, records[0]!);
  bad[9] = 99; // state code
  expect(decode(htlcCodec, bad).ok).toBe(false);
});

it('keeps a channel with 483 HTLCs each way (966) well under 400 KB, HTLCs included', () => {
  const before = channelWith([]);
  const full = channelWith(htlcsEachWay());
  const decoded = decodeChannel(encodeChannel(full.channel));
  expect(decoded).toEqual({ ok: true, value: full.channel });
  const entry = decodeChannelEntry(full.item);
  expect(entry.ok && entry.value.kind === 'channel' && entry.value.channel.htlcs?.length).toBe(966);
  const perHtlc = (full.item.length - before.item.length) / 966;
  console.log(`channel item: ${before.item.length} bytes with no HTLC, ${full.item.length} bytes with 966 (${perHtlc.toFixed(1)} per HTLC)`);
  expect(full.item.length).toBeLessThan(100 * 1024);
  // The compact records (TLV 58, htlc-record-compact.test.ts): about half the fixed size each, plus the TLV's type and length.
  expect(perHtlc).toBeLessThan(HTLC_RECORD_BYTES / 2);
});

// The vector's channels are static_remotekey (no legacy type flag): since TLV 46 they are written back with
// the channel_type record `1000` (bit 12) added and every other byte as before.
const STATIC_REMOTEKEY_TYPE_RECORD = [46n, fromHex('1000')] as const;

it('reads channel records written before HTLCs existed, and writes them back byte for byte but for the channel_type record', () => {
  for (const { hex } of oldChannels.items) {
    const decoded = decodeChannel(fromHex(hex));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value.htlcs).toBeUndefined();
    expect(encodeChannel(decoded.value)).toEqual(withRecord(fromHex(hex), ...STATIC_REMOTEKEY_TYPE_RECORD));
  }
  // A channel whose HTLCs are all gone writes the record of before (no TLV 42).
  expect(encodeChannel({ ...readyChannel(), htlcs: [] })).toEqual(withRecord(fromHex(oldChannels.items[0]!.hex), ...STATIC_REMOTEKEY_TYPE_RECORD));
});

it('refuses (never misreads) a channel record with HTLCs as a reader that predates them would: TLV 42 is even', () => {
  const bytes = encodeChannel(channelWith([htlc('received', 0)]).channel);
  // The TLV type byte of the HTLC record sits right before its length; a reader without type 42 fails on an unknown even type.
  expect(bytes.includes(42)).toBe(true);
  expect(42 % 2).toBe(0);
});

it('side records round-trip: HTLC signatures, onion, failure reason', () => {
  const set = signatureSet(41n, 966);
  const sigs = encodeHtlcSignatures(set);
  expect(decodeHtlcSignatures(sigs)).toEqual({ ok: true, value: set });
  console.log(`HTLCSIGS item with 966 HTLC signatures: ${sigs.length} bytes`);
  expect(sigs.length).toBeLessThan(64 * 967 + 32);
  const onion = onionOf(3);
  expect(decodeOnionEntry(encodeOnionRecord(onion))).toEqual({ ok: true, value: { onion } });
  expect(() => encodeOnionRecord(onion.subarray(1))).toThrow();
  // A refusal at admission rides with the onion (TLV 2); an item without it (older) reads as none.
  expect(decodeOnionEntry(encodeOnionRecord(onion, 0x1007))).toEqual({ ok: true, value: { onion, failBackCode: 0x1007 } });
  expect(decodeOnionEntry(encodeOnionRecord(onion))).toEqual({ ok: true, value: { onion } });
  // Peeled when it came (docs/items.md, "Bytes per HTLC"): a final hop's record is about 100 bytes, a forward's keeps the next packet.
  const final = { sharedSecret: new Uint8Array(32).fill(9), payload: new Uint8Array(60).fill(8), next: null };
  const finalRecord = encodePeeledOnionRecord(final);
  expect(finalRecord.length).toBeLessThan(110);
  expect(decodeOnionEntry(finalRecord)).toEqual({ ok: true, value: { peeled: final } });
  const forward = { ...final, next: onionOf(4) };
  expect(decodeOnionEntry(encodePeeledOnionRecord(forward, 0x1007))).toEqual({ ok: true, value: { peeled: forward, failBackCode: 0x1007 } });
  // Neither a packet nor a peeled one, or both: a DecodeError.
  const packetAndPeel = concatBytes(encodeOnionRecord(onion), finalRecord.subarray(1));
  for (const bad of [Uint8Array.of(1), packetAndPeel, encodePeeledOnionRecord(final).subarray(0, 36)]) {
    expect(decodeOnionEntry(bad)).toMatchObject({ ok: false, error: expect.any(DecodeError) });
  }
  const reason = new Uint8Array(292).fill(5);
  expect(decodeFailureReason(encodeFailureReason(reason))).toEqual({ ok: true, value: reason });
});
