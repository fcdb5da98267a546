/** The `CHAIN_WATCH#` record (shared/monitor/watched-channel.ts): what the chain handler keeps per watched channel. */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { fixedBytes, point, repeated, restBytes, tlvRecord, u16, u16PrefixedBytes, u32, u64, u8, versionedRecord } from '../../shared/codec/index.js';
import { decodeWatchedChannel, encodeWatchedChannel, txidOf, type WatchedChannel } from '../../shared/monitor/index.js';

const base: WatchedChannel = {
  channelId: new Uint8Array(32).fill(1),
  counterpartyNodeId: Uint8Array.of(2, ...new Uint8Array(32).fill(7)),
  fundingOutpoint: { txid: new Uint8Array(32).fill(3), index: 1 },
  fundingScript: Uint8Array.of(0, 32, ...new Uint8Array(32).fill(4)),
  phase: 'funding',
};

/** A small real transaction spending `txid:index` (the record parses claims for their txid). */
function txSpending(fill: number, index: number, witness = false): Uint8Array {
  const tx = new Transaction();
  tx.version = 2;
  tx.addInput(Buffer.alloc(32, fill), index, 0xfffffffd);
  tx.addOutput(Buffer.from([0, 20, ...new Array<number>(20).fill(fill)]), BigInt(10_000 + fill));
  if (witness) tx.setWitness(0, [Buffer.alloc(72, 1), Buffer.alloc(33, 2)]);
  return new Uint8Array(tx.toBuffer());
}

const spend = { tx: txSpending(3, 1), height: 812 };
const sweepTx = txSpending(8, 0, true);
const htlcTx = txSpending(9, 2, true);

describe('chain-watch records', () => {
  it.each<[string, WatchedChannel]>([
    ['funding', base],
    ['spent, planned at the next run', { ...base, phase: 'spent', spend }],
    ['spent, its block known', { ...base, phase: 'spent', spend: { ...spend, blockHash: new Uint8Array(32).fill(0xaa) } }],
    [
      'spent, with claims (one confirmed), stages and pending outputs',
      {
        ...base,
        phase: 'spent',
        spend,
        spendableHeight: 956,
        claims: [
          { kind: 'sweep', tx: sweepTx, txid: txidOf(sweepTx), amountSat: 49_862n, feeratePerKw: 2_500, builtHeight: 813, deadline: 956, replaces: [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)] },
          { kind: 'htlc-tx', tx: htlcTx, txid: txidOf(htlcTx), amountSat: 6_500n, confirmedHeight: 815, blockHash: new Uint8Array(32).fill(0xbb) },
          { kind: 'sweep', tx: sweepTx, txid: txidOf(sweepTx), amountSat: 49_862n, confirmedHeight: 816, blockHash: new Uint8Array(32).fill(0xcc), reported: true },
        ],
        stages: [{ tx: new Uint8Array(70_000).fill(6), height: 813, blockHash: new Uint8Array(32).fill(0xdd) }, { tx: htlcTx, height: 814 }],
        pending: [{ txid: new Uint8Array(32).fill(5), index: 4 }],
      },
    ],
    [
      'an anchors HTLC transaction bumped, with its wallet fee coins',
      {
        ...base,
        phase: 'spent',
        spend,
        claims: [
          {
            kind: 'htlc-tx',
            tx: htlcTx,
            txid: txidOf(htlcTx),
            amountSat: 9_000n,
            feeratePerKw: 3_125,
            builtHeight: 820,
            deadline: 900,
            replaces: [new Uint8Array(32).fill(9)],
            feeCoins: [
              { txid: 'ab'.repeat(32), vout: 3, valueSat: 25_000n, keychain: 0, index: 4 },
              { txid: 'cd'.repeat(32), vout: 0, valueSat: 1_000n, keychain: 1, index: 2 },
            ],
          },
          { kind: 'sweep', tx: sweepTx, txid: txidOf(sweepTx), amountSat: 49_862n },
        ],
      },
    ],
    [
      'funding, with the CPFP child of our commitment (bumped once)',
      {
        ...base,
        anchorChild: {
          kind: 'anchor-child',
          tx: sweepTx,
          txid: txidOf(sweepTx),
          amountSat: 24_000n,
          feeratePerKw: 2_800,
          builtHeight: 813,
          deadline: 950,
          replaces: [new Uint8Array(32).fill(4)],
          feeCoins: [{ txid: 'ef'.repeat(32), vout: 1, valueSat: 25_000n, keychain: 1, index: 0 }],
        },
      },
    ],
  ])('round-trips a record: %s', (_, w) => {
    expect(decodeWatchedChannel(encodeWatchedChannel(w))).toEqual({ ok: true, value: w });
  });

  it('txidOf is the hash of the transaction without its witness, in internal byte order', () => {
    expect(txidOf(sweepTx)).toEqual(new Uint8Array(Transaction.fromBuffer(sweepTx).getHash()));
    expect(txidOf(sweepTx)).toEqual(txidOf(txSpending(8, 0, false)));
    expect(txidOf(sweepTx)).not.toEqual(txidOf(txSpending(8, 1, true)));
  });

  it('reads the earlier one-sweep layout (phase sweeping, its sweep and second-stage transactions) as claims and stages', () => {
    // The layout written before claims existed: the same record type, fields 16..21, phase 2.
    const earlier = versionedRecord('chain-watch', 1, {
      channelId: tlvRecord(0, fixedBytes(32)),
      counterpartyNodeId: tlvRecord(2, point),
      fundingTxid: tlvRecord(4, fixedBytes(32)),
      fundingIndex: tlvRecord(6, u16),
      fundingScript: tlvRecord(7, restBytes),
      phase: tlvRecord(8, u8),
      spendTx: tlvRecord(10, restBytes),
      spendHeight: tlvRecord(12, u32),
      spendableHeight: tlvRecord(14, u32),
      sweepTx: tlvRecord(16, restBytes),
      sweepTxid: tlvRecord(18, fixedBytes(32)),
      sweepAmountSat: tlvRecord(20, u64),
      secondStage: tlvRecord(21, repeated(u16PrefixedBytes)),
    });
    const bytes = earlier.encode({
      channelId: base.channelId,
      counterpartyNodeId: base.counterpartyNodeId,
      fundingTxid: base.fundingOutpoint.txid,
      fundingIndex: 1,
      fundingScript: base.fundingScript,
      phase: 2,
      spendTx: spend.tx,
      spendHeight: 812,
      spendableHeight: 813,
      sweepTx,
      sweepTxid: txidOf(sweepTx),
      sweepAmountSat: 49_862n,
      secondStage: [htlcTx],
    });
    expect(decodeWatchedChannel(bytes)).toEqual({
      ok: true,
      value: {
        ...base,
        phase: 'spent',
        spend,
        spendableHeight: 813,
        claims: [{ kind: 'sweep', tx: sweepTx, txid: txidOf(sweepTx), amountSat: 49_862n }],
        stages: [{ tx: htlcTx, height: 812 }],
      },
    });
    const { sweepTx: _s, ...withoutSweep } = earlier.decode(bytes).ok ? (earlier.decode(bytes) as { value: Record<string, unknown> }).value : {};
    expect(decodeWatchedChannel(earlier.encode(withoutSweep as never))).toMatchObject({ ok: false });
  });

  it('refuses a record whose phase lacks what it needs, an unknown phase or claim kind, or garbage', () => {
    expect(decodeWatchedChannel(encodeWatchedChannel({ ...base, phase: 'spent' }))).toMatchObject({ ok: false });
    const good = encodeWatchedChannel({ ...base, phase: 'spent', spend, claims: [{ kind: 'sweep', tx: sweepTx, txid: txidOf(sweepTx), amountSat: 1n }] });
    const kindAt = good.length - sweepTx.length - 1 - 1 - 4 - 4 - 4 - 32 - 4 - 8 - 1 - 1;
    expect(good[kindAt]).toBe(0);
    const badKind = good.slice();
    badKind[kindAt] = 7;
    expect(decodeWatchedChannel(badKind)).toMatchObject({ ok: false });
    expect(decodeWatchedChannel(Uint8Array.of(9, 9, 9))).toMatchObject({ ok: false });
    // A CPFP child among the claims, or a claim of another kind as the child: refused.
    const child = { kind: 'anchor-child' as const, tx: sweepTx, txid: txidOf(sweepTx), amountSat: 1n };
    expect(decodeWatchedChannel(encodeWatchedChannel({ ...base, phase: 'spent', spend, claims: [child] }))).toMatchObject({ ok: false });
    expect(decodeWatchedChannel(encodeWatchedChannel({ ...base, anchorChild: { ...child, kind: 'sweep' } }))).toMatchObject({ ok: false });
  });
});
