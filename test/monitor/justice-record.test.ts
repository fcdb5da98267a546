/**
 * Justice records (docs/monitor.md "Justice records"): a counterparty
 * commitment's HTLC set kept apart from the monitor. A vector, round trips,
 * required fields, and the split of a `latest-counterparty-commitment` step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, hexToBytes } from '../../shared/codec/index.js';
import { toHex } from '../../shared/crypto/index.js';
import { decodeJusticeRecord, encodeJusticeRecord, splitCounterpartyCommitment, type JusticeRecord, type MonitorHtlc } from '../../shared/monitor/index.js';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const CHANNEL_ID = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

describe('the record', () => {
  const record: JusticeRecord = {
    channelId: CHANNEL_ID,
    commitmentNumber: 3n,
    commitmentTxid: bytes(32, 0x55),
    perCommitmentPoint: Uint8Array.of(2, ...bytes(32, 0x66)),
    htlcs: [
      { offered: true, amountMsat: 5000n, cltvExpiry: 500, paymentHash: bytes(32, 0xaa), transactionOutputIndex: 2 },
      { offered: false, amountMsat: 1000n, cltvExpiry: 600, paymentHash: bytes(32, 0xbb) },
    ],
    feeratePerKw: 253,
  };
  const hex = [
    '01',
    `0020${toHex(CHANNEL_ID)}`,
    '02080000000000000003',
    `0420${'55'.repeat(32)}`,
    `062102${'66'.repeat(32)}`,
    // 8: two HTLCs, each its BigSize length then its TLV stream (as in the update step)
    `0872 3b 000101 02080000000000001388 0404000001f4 0620${'aa'.repeat(32)} 080400000002 35 000100 020800000000000003e8 040400000258 0620${'bb'.repeat(32)}`,
    '0904000000fd',
  ].join('').replace(/ /g, '');

  it('encodes to its vector and back', () => {
    expect(toHex(encodeJusticeRecord(record))).toBe(hex);
    expect(decodeJusticeRecord(hexToBytes(hex))).toEqual({ ok: true, value: record });
  });

  it('refuses a missing required field, a number over 48 bits, a newer version, truncation', () => {
    const newer = encodeJusticeRecord(record);
    const without = (field: string) => hexToBytes(hex.replace(field, ''));
    expect(decodeJusticeRecord(without(`0420${'55'.repeat(32)}`))).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
    expect(decodeJusticeRecord(hexToBytes(hex.slice(0, hex.indexOf('0872'))))).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
    const empty = encodeJusticeRecord({ ...record, htlcs: [] });
    expect(toHex(empty)).toContain(`${'66'.repeat(32)}0800`);
    expect(decodeJusticeRecord(empty)).toEqual({ ok: true, value: { ...record, htlcs: [] } });
    expect(decodeJusticeRecord(hexToBytes(hex.replace('02080000000000000003', '02080001000000000000')))).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
    newer[0] = 2;
    expect(decodeJusticeRecord(newer)).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
    // Every prefix fails, but the one ending before the optional feerate (6 bytes), a record without it.
    const full = hexToBytes(hex);
    for (let n = 0; n < full.length; n++) expect(decodeJusticeRecord(full.subarray(0, n)).ok).toBe(n === full.length - 6);
  });

  it('round-trips any record; garbage never throws', () => {
    const byte32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
    const htlc: fc.Arbitrary<MonitorHtlc> = fc
      .record({ offered: fc.boolean(), amountMsat: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), cltvExpiry: fc.nat({ max: 0xffffffff }), paymentHash: byte32, index: fc.option(fc.nat({ max: 0xffffffff }), { nil: undefined }) })
      .map(({ index, ...h }) => (index === undefined ? h : { ...h, transactionOutputIndex: index }));
    const recordArb: fc.Arbitrary<JusticeRecord> = fc.record(
      {
        channelId: byte32,
        commitmentNumber: fc.bigInt({ min: 0n, max: (1n << 48n) - 1n }),
        commitmentTxid: byte32,
        perCommitmentPoint: fc.tuple(fc.constantFrom(2, 3), byte32).map(([p, x]) => Uint8Array.of(p, ...x)),
        htlcs: fc.array(htlc, { maxLength: 30 }),
        feeratePerKw: fc.nat({ max: 0xffffffff }),
        toBroadcasterValueSat: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        toCountersignatoryValueSat: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      },
      { requiredKeys: ['channelId', 'commitmentNumber', 'commitmentTxid', 'perCommitmentPoint', 'htlcs'] },
    );
    fc.assert(
      fc.property(recordArb, (r) => {
        expect(decodeJusticeRecord(encodeJusticeRecord(r))).toEqual({ ok: true, value: r });
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        const r = decodeJusticeRecord(b);
        if (!r.ok) expect(r.error).toBeInstanceOf(DecodeError);
      }),
    );
  });
});

it('splits a counterparty commitment step into its summary and its justice record', () => {
  const htlcs: MonitorHtlc[] = [{ offered: true, amountMsat: 5000n, cltvExpiry: 500, paymentHash: bytes(32, 0xaa), transactionOutputIndex: 0 }];
  const ref = { commitmentNumber: 7n, commitmentTxid: bytes(32, 1), perCommitmentPoint: Uint8Array.of(3, ...bytes(32, 2)) };
  const { summary, record } = splitCounterpartyCommitment(CHANNEL_ID, { kind: 'latest-counterparty-commitment', ...ref, htlcs, toBroadcasterValueSat: 10n });
  expect(summary).toEqual({ kind: 'latest-counterparty-commitment-summary', ...ref });
  expect(record).toEqual({ channelId: CHANNEL_ID, ...ref, htlcs, toBroadcasterValueSat: 10n });
});
