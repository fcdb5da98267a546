/**
 * The compact HTLC records (shared/channel/htlc.ts `compactHtlcCodec`, the
 * channel record's TLV 58; docs/items.md "Bytes per HTLC"): every state and
 * resolution round-trips, a fulfilled HTLC keeps its preimage only, garbage
 * is a DecodeError, and a channel record holding the fixed-size list (TLV
 * 42, written before) reads the same HTLCs and is written back compact.
 */
import { expect, it } from 'vitest';
import {
  HTLC_RECORD_BYTES,
  InboundHtlcState,
  OutboundHtlcState,
  compactHtlcCodec,
  compactHtlcListCodec,
  decodeChannel,
  encodeChannel,
  htlcListCodec,
  type HtlcRecord,
} from '../../shared/channel/index.js';
import { decode, encode } from '../../shared/codec/index.js';
import { sha256 } from '../../shared/crypto/index.js';
import { recordBytes, recordTlvs } from '../support/record-tlvs.js';
import { channelWith, htlcsEachWay } from '../support/htlc-population.js';

const preimage = new Uint8Array(32).fill(1);
const base = { id: 2n ** 64n - 1n, amountMsat: 2n ** 64n - 1n, paymentHash: sha256(preimage), cltvExpiry: 0xffffffff };
const records: HtlcRecord[] = [
  ...Object.values(InboundHtlcState).map((state): HtlcRecord => ({ ...base, direction: 'received', state })),
  ...Object.values(OutboundHtlcState).map((state): HtlcRecord => ({ ...base, direction: 'offered', state })),
  { ...base, direction: 'received', state: 'local-removed', resolution: { kind: 'fulfill', preimage } },
  { ...base, direction: 'offered', state: 'remote-removed', resolution: { kind: 'fulfill', preimage } },
  { ...base, direction: 'received', state: 'local-removed', resolution: { kind: 'fulfill', preimage: new Uint8Array(32).fill(2) } },
  { ...base, direction: 'received', state: 'local-removed', resolution: { kind: 'fail', hasReason: true } },
  { ...base, direction: 'offered', state: 'remote-removed', resolution: { kind: 'fail', hasReason: false } },
  { ...base, direction: 'received', state: 'local-removed', resolution: { kind: 'fail-malformed', failureCode: 0xc005, sha256OfOnion: new Uint8Array(32).fill(9) } },
];

it('reads back every state and resolution, never longer than the fixed-size record', () => {
  for (const r of records) {
    const bytes = encode(compactHtlcCodec, r);
    expect(decode(compactHtlcCodec, bytes)).toEqual({ ok: true, value: r });
    expect(bytes.length).toBeLessThanOrEqual(HTLC_RECORD_BYTES + 32);
  }
  expect(decode(compactHtlcListCodec, encode(compactHtlcListCodec, records))).toEqual({ ok: true, value: records });
  expect(() => encode(compactHtlcCodec, { ...base, direction: 'offered', state: 'remote-announced' } as never)).toThrow(TypeError);
});

it('takes 43 bytes for a 10,000 sat HTLC, pending or fulfilled (its preimage stands for the hash)', () => {
  const pending: HtlcRecord = { id: 7n, amountMsat: 10_000_000n, paymentHash: sha256(preimage), cltvExpiry: 800_144, direction: 'offered', state: 'committed' };
  expect(encode(compactHtlcCodec, pending).length).toBe(43);
  expect(encode(compactHtlcCodec, { ...pending, state: 'remote-removed', resolution: { kind: 'fulfill', preimage } }).length).toBe(43);
  // A preimage that is not the hash's (never stored by the channel) is kept beside it.
  expect(encode(compactHtlcCodec, { ...pending, state: 'remote-removed', resolution: { kind: 'fulfill', preimage: new Uint8Array(32) } }).length).toBe(75);
});

it('refuses garbage with a DecodeError', () => {
  const good = encode(compactHtlcCodec, records[0]!);
  expect(decode(compactHtlcCodec, good.subarray(0, good.length - 1))).toMatchObject({ ok: false });
  expect(decode(compactHtlcCodec, Uint8Array.of(0x80, ...good.subarray(1)))).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
  expect(decode(compactHtlcCodec, Uint8Array.of(0x60, ...good.subarray(1)))).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
  expect(decode(compactHtlcCodec, Uint8Array.of(0x0e, ...good.subarray(1)))).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
  for (let i = 0; i < 200; i++) {
    const junk = Uint8Array.from({ length: i % 90 }, (_, j) => (i * 31 + j * 17) % 256);
    expect(() => decode(compactHtlcListCodec, junk)).not.toThrow();
  }
});

it('a channel record with the fixed-size list (TLV 42, written before) reads the same HTLCs; written back, the list is TLV 58, half the bytes', () => {
  const full = channelWith(htlcsEachWay()).channel;
  const compact = recordTlvs(encodeChannel(full));
  const list = compact.records.find(([t]) => t === 58n);
  expect(compact.records.some(([t]) => t === 42n)).toBe(false);
  expect(list![1].length).toBeLessThan((966 * HTLC_RECORD_BYTES) / 2 + 966 * 4);
  // As written before: TLV 42, the fixed-size records.
  const before = recordBytes({ ...compact, records: compact.records.map(([t, v]) => (t === 58n ? [42n, encode(htlcListCodec, full.htlcs!)] as const : [t, v] as const)).sort(([a], [b]) => (a < b ? -1 : 1)) });
  expect(decodeChannel(before)).toEqual({ ok: true, value: full });
  expect(encodeChannel(full)).toEqual(encodeChannel((decodeChannel(before) as { value: typeof full }).value));
  // Both lists: refused.
  const both = recordBytes({ ...compact, records: [...compact.records, [42n, encode(htlcListCodec, full.htlcs!)] as const].sort(([a], [b]) => (a < b ? -1 : 1)) });
  expect(decodeChannel(both)).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
});
