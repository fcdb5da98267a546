/**
 * The commitment dance's stored form (shared/channel/commitment-state.ts,
 * channel record TLVs 60 and 62; docs/items.md "Bytes per sequential
 * payment"): counters in BigSize, the points and released secrets apart;
 * TLV 44 of before read, never written; a record mixing them refused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  commitmentCountersCodec,
  commitmentStateCodec,
  counterpartyRevocationsCodec,
  decodeChannel,
  encodeChannel,
  type CommitmentState,
  type Channel,
} from '../../shared/channel/index.js';
import { decode, encode } from '../../shared/codec/index.js';
import { CounterpartyCommitmentSecrets } from '../../shared/keys/index.js';
import { channelWith } from '../support/htlc-population.js';
import { recordBytes, recordTlvs } from '../support/record-tlvs.js';

const point = (b: number) => Uint8Array.of(2, ...new Uint8Array(32).fill(b));
const dance: CommitmentState = {
  holderCommitmentNumber: 7n,
  counterpartyCommitmentNumber: 8n,
  counterpartyCurrentPoint: point(1),
  counterpartyNextPoint: point(2),
  awaitingRemoteRevoke: true,
  nextHolderHtlcId: 3n,
  nextCounterpartyHtlcId: 4n,
  holderBalanceMsat: 990_000_000n,
  counterpartySecrets: CounterpartyCommitmentSecrets.empty().serialize(),
};
const { htlcs: _none, ...ready } = channelWith([]).channel;
const channel: Channel = { ...ready, commitments: dance };
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

describe('commitment counters (TLV 60)', () => {
  it('round-trip any values, 10 bytes for small ones, at most 41 (TLV 44 fixed fields) + 4', () => {
    fc.assert(
      fc.property(u64, u64, fc.boolean(), u64, u64, u64, (holderCommitmentNumber, counterpartyCommitmentNumber, awaitingRemoteRevoke, nextHolderHtlcId, nextCounterpartyHtlcId, holderBalanceMsat) => {
        const counters = { holderCommitmentNumber, counterpartyCommitmentNumber, awaitingRemoteRevoke, nextHolderHtlcId, nextCounterpartyHtlcId, holderBalanceMsat };
        const bytes = encode(commitmentCountersCodec, counters);
        expect(decode(commitmentCountersCodec, bytes)).toEqual({ ok: true, value: counters });
        expect(bytes.length).toBeLessThanOrEqual(46);
      }),
    );
    expect(encode(commitmentCountersCodec, dance)).toHaveLength(10);
  });

  it('refuse truncated bytes, a flag other than 0 or 1, a non-minimal BigSize and trailing bytes', () => {
    const good = encode(commitmentCountersCodec, dance);
    for (let n = 0; n < good.length; n++) expect(decode(commitmentCountersCodec, good.subarray(0, n))).toMatchObject({ ok: false });
    const flag = Uint8Array.from(good);
    flag[2] = 2;
    expect(decode(commitmentCountersCodec, flag)).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
    expect(decode(commitmentCountersCodec, Uint8Array.of(0xfd, 0, 7, ...good.subarray(1)))).toMatchObject({ ok: false });
    expect(decode(commitmentCountersCodec, Uint8Array.of(...good, 0))).toMatchObject({ ok: false });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), (bytes) => {
        const read = decode(commitmentCountersCodec, bytes);
        if (read.ok) expect(encode(commitmentCountersCodec, read.value)).toEqual(bytes);
      }),
    );
  });
});

describe('their points and released secrets (TLV 62)', () => {
  it('round-trip, 66 bytes of points then the secrets, and refuse points cut short', () => {
    const bytes = encode(counterpartyRevocationsCodec, dance);
    expect(bytes).toHaveLength(66 + 1);
    expect(decode(counterpartyRevocationsCodec, bytes)).toEqual({ ok: true, value: { counterpartyCurrentPoint: dance.counterpartyCurrentPoint, counterpartyNextPoint: dance.counterpartyNextPoint, counterpartySecrets: dance.counterpartySecrets } });
    for (let n = 0; n < 66; n++) expect(decode(counterpartyRevocationsCodec, bytes.subarray(0, n))).toMatchObject({ ok: false });
  });
});

describe('the channel record', () => {
  it('writes the dance as TLVs 60 and 62, never 44, and reads it back', () => {
    const bytes = encodeChannel(channel);
    const types = recordTlvs(bytes).records.map(([t]) => t);
    expect(types).toContain(60n);
    expect(types).toContain(62n);
    expect(types).not.toContain(44n);
    expect(decodeChannel(bytes)).toEqual({ ok: true, value: channel });
    expect(recordTlvs(bytes).records.find(([t]) => t === 62n)![1]).toEqual(encode(counterpartyRevocationsCodec, dance));
  });

  it('reads TLV 44 of before as the same dance', () => {
    const records = recordTlvs(encodeChannel(channel)).records.filter(([t]) => t !== 60n && t !== 62n);
    const old = recordBytes({ version: 1, records: [...records, [44n, encode(commitmentStateCodec, dance)] as const].sort(([a], [b]) => (a < b ? -1 : 1)) });
    expect(decodeChannel(old)).toEqual({ ok: true, value: channel });
    expect(encodeChannel(channel).length).toBe(old.length - 31 + 2);
  });

  it('refuses 44 beside 60 or 62, and 60 or 62 alone', () => {
    const t = recordTlvs(encodeChannel(channel));
    const sorted = (records: (readonly [bigint, Uint8Array])[]) => recordBytes({ version: 1, records: records.sort(([a], [b]) => (a < b ? -1 : 1)) });
    const legacy = [44n, encode(commitmentStateCodec, dance)] as const;
    for (const records of [
      [...t.records, legacy],
      [...t.records.filter(([k]) => k !== 62n), legacy],
      [...t.records.filter(([k]) => k !== 60n), legacy],
      t.records.filter(([k]) => k !== 62n),
      t.records.filter(([k]) => k !== 60n),
    ]) {
      expect(decodeChannel(sorted([...records]))).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
    }
  });
});
