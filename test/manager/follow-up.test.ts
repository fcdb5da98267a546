/** Follow-up records (shared/manager/follow-up.ts): what one channel's share of a many-channel input carries. */
import { describe, expect, it } from 'vitest';
import { decodeFollowUp, encodeFollowUp, type FollowUpWork } from '../../shared/manager/follow-up.js';

const id = new Uint8Array(32).fill(7);
const hash = new Uint8Array(32).fill(9);

describe('follow-up records', () => {
  const cases: FollowUpWork[] = [
    {
      kind: 'chain',
      channelId: id,
      events: [
        { kind: 'confirmed', height: 812, txIndex: 3, blockHash: hash, tx: Uint8Array.of(2, 0, 0, 0, 1) },
        { kind: 'best-block', height: 813 },
        { kind: 'confirmed', height: 814, txIndex: 1, blockHash: hash, seen: { txid: hash, coinbase: false, outputCount: 3, output: { script: Uint8Array.of(0, 32, 1), valueSat: 250_000n } } },
        { kind: 'confirmed', height: 815, txIndex: 0, blockHash: hash, seen: { txid: id, coinbase: true, outputCount: 1 } },
        { kind: 'unconfirmed' },
        { kind: 'best-block', height: 812 },
      ],
    },
    { kind: 'chain', channelId: id, events: [] },
    { kind: 'reestablish', channelId: id },
    { kind: 'peer-error', channelId: id, data: new TextEncoder().encode('bye ✓') },
    { kind: 'update-fee', channelId: id },
    { kind: 'fail-htlcs', channelId: id, htlcs: [{ htlcId: 3n, paymentHash: hash }], mppTimeout: true },
    { kind: 'funding-spent', channelId: id, txid: hash },
    { kind: 'funding-spent', channelId: id, txid: hash, revoked: true },
    { kind: 'funds-swept', channelId: id, txid: hash, amountSat: 49_862n },
  ];
  it.each(cases)('round-trips a $kind record', (work) => {
    const decoded = decodeFollowUp(encodeFollowUp(work));
    expect(decoded).toEqual({ ok: true, value: work });
  });

  it('refuses bytes that are not a follow-up instead of guessing', () => {
    expect(decodeFollowUp(Uint8Array.of(1)).ok).toBe(false);
    expect(decodeFollowUp(Uint8Array.of(9, 0, 1, 0)).ok).toBe(false);
    const unknownKind = encodeFollowUp({ kind: 'reestablish', channelId: id });
    unknownKind[3] = 42; // record 0 (kind) holds 42
    expect(decodeFollowUp(unknownKind)).toMatchObject({ ok: false });
  });
});
