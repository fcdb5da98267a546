/** Which of our outputs to claim now (shared/monitor/claim-plan.ts). */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { MAX_BUMP_FEERATE_PER_KW, MIN_BUMP_PER_KW, SWEEP_TARGET_BLOCKS, bumpedFeerate, replacementFloorSat, planClaims, targetBlocks, txidOf, type Claim, type Claimable, type OurOutput, type WatchedChannel } from '../../shared/monitor/index.js';

/** A transaction spending `outpoints` (the plan reads only its inputs). */
function spending(...outpoints: { txid: Uint8Array; index: number }[]): Uint8Array {
  const tx = new Transaction();
  tx.version = 2;
  for (const o of outpoints) tx.addInput(Buffer.from(o.txid), o.index, 0xfffffffd);
  tx.addOutput(Buffer.from([0, 20, ...new Array<number>(20).fill(1)]), 1_000n);
  return new Uint8Array(tx.toBuffer());
}

const commitment = spending({ txid: new Uint8Array(32).fill(1), index: 0 });
const commitmentTxid = txidOf(commitment);
const at = (index: number) => ({ txid: commitmentTxid, index });

function output(index: number, spendableHeight: number): Claimable {
  const o: OurOutput = { kind: 'to-remote', outpoint: at(index), valueSat: 10_000n, scriptCode: new Uint8Array(25), csvBlocks: 0 };
  return { kind: 'output', output: o, spendableHeight };
}

const watched: WatchedChannel = {
  channelId: new Uint8Array(32),
  counterpartyNodeId: Uint8Array.of(2, ...new Uint8Array(32).fill(7)),
  fundingOutpoint: { txid: new Uint8Array(32).fill(1), index: 0 },
  fundingScript: new Uint8Array(34),
  phase: 'spent',
  spend: { tx: commitment, height: 100 },
};

describe('planClaims', () => {
  it('claims what the next block can hold, and keeps the earliest height of the rest', () => {
    const plan = planClaims(watched, [output(0, 100), output(1, 101), output(2, 244), output(3, 150)], 100);
    expect(plan.ready.map((c) => (c.kind === 'output' ? c.output.outpoint.index : -1))).toEqual([0, 1]);
    expect(plan.waiting.map((c) => (c.kind === 'output' ? c.output.outpoint.index : -1))).toEqual([2, 3]);
    expect(plan.spendableHeight).toBe(150);
    expect(planClaims(watched, [output(0, 100)], 100).spendableHeight).toBeUndefined();
  });

  it('leaves out what a confirmed transaction spent (ours or theirs) and what an unconfirmed claim of ours spends', () => {
    const ourConfirmed = spending(at(0));
    const ourPending = spending(at(1));
    const theirs = spending(at(2));
    const w: WatchedChannel = {
      ...watched,
      claims: [
        { kind: 'sweep', tx: ourConfirmed, txid: txidOf(ourConfirmed), amountSat: 9_000n, confirmedHeight: 101 },
        { kind: 'sweep', tx: ourPending, txid: txidOf(ourPending), amountSat: 9_000n },
      ],
      stages: [{ tx: theirs, height: 101 }],
    };
    const plan = planClaims(w, [output(0, 100), output(1, 100), output(2, 100), output(3, 100), output(4, 300)], 102);
    expect(plan.ready.map((c) => (c.kind === 'output' ? c.output.outpoint.index : -1))).toEqual([3]);
    expect(plan.spendableHeight).toBe(300);
  });

  it('treats a pre-signed HTLC transaction like an output: by the outpoint it spends and its height', () => {
    const htlcTx = spending(at(5));
    const c: Claimable = { kind: 'htlc-tx', tx: htlcTx, txid: txidOf(htlcTx), spends: at(5), amountSat: 5_000n, spendableHeight: 600 };
    expect(planClaims(watched, [c], 598)).toMatchObject({ ready: [], spendableHeight: 600 });
    expect(planClaims(watched, [c], 599).ready).toEqual([c]);
    const w: WatchedChannel = { ...watched, claims: [{ kind: 'htlc-tx', tx: htlcTx, txid: txidOf(htlcTx), amountSat: 5_000n }] };
    expect(planClaims(w, [c], 700)).toEqual({ ready: [], waiting: [] });
  });
});

describe('bumping an unconfirmed sweep (RBF)', () => {
  const sweep = spending(at(0));
  const claim = (over: Partial<Claim> = {}): Claim => ({ kind: 'sweep', tx: sweep, txid: txidOf(sweep), amountSat: 9_000n, feeratePerKw: 1_000, builtHeight: 100, ...over });
  const flat = () => 1_000;

  it('targets the blocks left before the deadline, from 1 to the sweep target', () => {
    expect(targetBlocks(undefined, 100)).toBe(SWEEP_TARGET_BLOCKS);
    expect(targetBlocks(103, 100)).toBe(3);
    expect(targetBlocks(100, 100)).toBe(1);
    expect(targetBlocks(90, 100)).toBe(1);
    expect(targetBlocks(500, 100)).toBe(SWEEP_TARGET_BLOCKS);
  });

  it('with a deadline: at every block unconfirmed, by a quarter (at least the relay step), or to the estimate when higher', () => {
    expect(bumpedFeerate(claim({ deadline: 110 }), 100, flat)).toBeUndefined();
    expect(bumpedFeerate(claim({ deadline: 110 }), 101, flat)).toBe(1_000 + MIN_BUMP_PER_KW);
    expect(bumpedFeerate(claim({ deadline: 110, feeratePerKw: 8_000 }), 101, flat)).toBe(10_000);
    expect(bumpedFeerate(claim({ deadline: 110 }), 101, () => 5_000)).toBe(5_000);
  });

  it('without a deadline: only when the estimate rose past it', () => {
    expect(bumpedFeerate(claim(), 105, flat)).toBeUndefined();
    expect(bumpedFeerate(claim(), 105, () => 1_100)).toBe(1_000 + MIN_BUMP_PER_KW);
    expect(bumpedFeerate(claim(), 105, () => 4_000)).toBe(4_000);
  });

  it('never a confirmed claim, an HTLC transaction, or one built before feerates were kept', () => {
    expect(bumpedFeerate(claim({ deadline: 110, confirmedHeight: 101 }), 103, flat)).toBeUndefined();
    expect(bumpedFeerate(claim({ kind: 'htlc-tx', deadline: 110 }), 103, flat)).toBeUndefined();
    const { feeratePerKw: _f, ...old } = claim({ deadline: 110 });
    expect(bumpedFeerate(old, 103, flat)).toBeUndefined();
  });

  it('bumps an anchors HTLC transaction and a CPFP child (paid by wallet coins) like a sweep', () => {
    const feeCoins = [{ txid: 'ab'.repeat(32), vout: 0, valueSat: 25_000n, keychain: 0 as const, index: 0 }];
    expect(bumpedFeerate(claim({ kind: 'htlc-tx', deadline: 110, feeCoins }), 101, flat)).toBe(1_000 + MIN_BUMP_PER_KW);
    expect(bumpedFeerate(claim({ kind: 'anchor-child', deadline: 110, feeCoins }), 101, flat)).toBe(1_000 + MIN_BUMP_PER_KW);
    expect(bumpedFeerate(claim({ kind: 'anchor-child', feeCoins }), 101, flat)).toBeUndefined();
    expect(bumpedFeerate(claim({ kind: 'htlc-tx', deadline: 110, feeCoins: [] }), 101, flat)).toBeUndefined();
  });

  it('stops at the cap: a bump never goes past it, a claim at the cap is left', () => {
    expect(bumpedFeerate(claim({ deadline: 110, feeratePerKw: 240_000 }), 101, flat)).toBe(MAX_BUMP_FEERATE_PER_KW);
    expect(bumpedFeerate(claim({ deadline: 110 }), 101, () => 10_000_000)).toBe(MAX_BUMP_FEERATE_PER_KW);
    expect(bumpedFeerate(claim({ deadline: 110, feeratePerKw: MAX_BUMP_FEERATE_PER_KW }), 101, () => 10_000_000)).toBeUndefined();
  });

  it('the least fee of a replacement: the fee it evicts plus 1 sat/vB of its own size (BIP 125 rules 3 and 4)', () => {
    expect(replacementFloorSat(1_000n, 400n)).toBe(1_100n);
    expect(replacementFloorSat(1_000n, 401n)).toBe(1_101n); // vsize rounds up
    expect(replacementFloorSat(0n, 4n)).toBe(1n);
  });
});
