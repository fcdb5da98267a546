/**
 * Which of our outputs on chain to claim now (BOLT 5: each output is
 * claimed once its CSV or CLTV allows, and claimed again when what spent
 * it left the chain), given what the chain handler saw so far
 * (watched-channel.ts) and what the monitor says is ours (`Claimable`s,
 * derived again at every plan: sweep.ts, htlc-claims.ts). Pure.
 *
 * An output is **spent** when a confirmed claim of ours or a confirmed
 * transaction not ours (a stage) spends it, **in flight** when an
 * unconfirmed claim of ours does; the rest are claimed now (`ready`: one
 * sweep of all the outputs, each pre-signed HTLC transaction on its own)
 * or later (`waiting`, the earliest height kept in the item).
 */
import { Transaction } from 'bitcoinjs-lib';
import { toHex } from '../crypto/index.js';
import type { Outpoint } from '../tx/index.js';
import type { AnchorHtlcClaim } from './anchor-claims.js';
import type { MonitorHtlc } from './monitor-update-step.js';
import type { OurOutput } from './sweep-tx.js';
import type { Claim, WatchedChannel } from './watched-channel.js';

/**
 * Confirmations after which a transaction is taken as final (LDK's
 * `ANTI_REORG_DELAY`): our claims are watched, and re-broadcast if a reorg
 * drops them, until they are this deep; an HTLC we offered that our claim
 * timed out is reported failed only then (a reorg could still let the
 * counterparty claim it with the preimage, and a payment reported failed
 * may be paid again).
 */
export const ANTI_REORG_DELAY = 6;

/** The first block height at which a transaction that confirmed at `height` has {@link ANTI_REORG_DELAY} confirmations. */
export function finalAt(height: number): number {
  return height + ANTI_REORG_DELAY - 1;
}

/** An HTLC we offered, as the monitor knows it: what reports its resolution on chain to the payment. */
export type OfferedHtlc = Pick<MonitorHtlc, 'paymentHash' | 'amountMsat' | 'cltvExpiry'>;

/** Something of ours on chain, and the first block height a claim of it can enter. */
export type Claimable =
  /** An output a sweep spends (with others ready at the same time), and the height by which its claim must confirm (absent: none). */
  | { readonly kind: 'output'; readonly output: OurOutput; readonly spendableHeight: number; readonly deadline?: number; readonly offeredHtlc?: OfferedHtlc }
  /** Our pre-signed HTLC transaction spending one output of our commitment (its output is ours after our delay). */
  | {
      readonly kind: 'htlc-tx';
      readonly tx: Uint8Array;
      readonly txid: Uint8Array;
      readonly spends: Outpoint;
      readonly amountSat: bigint;
      readonly spendableHeight: number;
      readonly offeredHtlc?: OfferedHtlc;
    }
  /**
   * Under anchors: our zero-fee HTLC transaction spending one output of our commitment, signed when it goes out with
   * a wallet coin paying its fee (anchor-claims.ts); the height by which it must confirm (absent: none).
   */
  | {
      readonly kind: 'anchor-htlc';
      readonly claim: AnchorHtlcClaim;
      readonly spends: Outpoint;
      readonly amountSat: bigint;
      readonly spendableHeight: number;
      readonly deadline?: number;
      readonly offeredHtlc?: OfferedHtlc;
    };

export interface ClaimPlan {
  /** Claimable in the next block, neither spent nor in flight. */
  readonly ready: readonly Claimable[];
  /** Claimable later, neither spent nor in flight. */
  readonly waiting: readonly Claimable[];
  /** The earliest height among `waiting`. */
  readonly spendableHeight?: number;
}

/** An outpoint as a key: `txid:index`, the txid in internal byte order (hex). */
export function outpointKey(o: { readonly txid: Uint8Array; readonly index: number }): string {
  return `${toHex(o.txid)}:${o.index}`;
}

/** The outpoints a transaction spends. */
export function inputsOf(tx: Uint8Array): Outpoint[] {
  return Transaction.fromBuffer(tx).ins.map((i) => ({ txid: new Uint8Array(i.hash), index: i.index }));
}

/** The outpoint a claimable takes. */
export function claimableOutpoint(c: Claimable): Outpoint {
  return c.kind === 'output' ? c.output.outpoint : c.spends;
}

/** Outpoints spent on chain for good so far: by our confirmed claims, and by the confirmed transactions not ours. */
export function spentOutpoints(w: WatchedChannel): Set<string> {
  const txs = [...(w.claims ?? []).filter((c) => c.confirmedHeight !== undefined).map((c) => c.tx), ...(w.stages ?? []).map((s) => s.tx)];
  return new Set(txs.flatMap((tx) => inputsOf(tx).map(outpointKey)));
}

/** Outpoints our unconfirmed claims spend. */
export function inFlightOutpoints(w: WatchedChannel): Set<string> {
  return new Set((w.claims ?? []).filter((c) => c.confirmedHeight === undefined).flatMap((c) => inputsOf(c.tx).map(outpointKey)));
}

/** What to claim at tip height `tip` (the next block is `tip + 1`). */
export function planClaims(w: WatchedChannel, claimables: readonly Claimable[], tip: number): ClaimPlan {
  const spent = spentOutpoints(w);
  const inFlight = inFlightOutpoints(w);
  const open = claimables.filter((c) => {
    const key = outpointKey(claimableOutpoint(c));
    return !spent.has(key) && !inFlight.has(key);
  });
  const ready = open.filter((c) => c.spendableHeight <= tip + 1);
  const waiting = open.filter((c) => c.spendableHeight > tip + 1);
  const spendableHeight = waiting.length === 0 ? undefined : Math.min(...waiting.map((c) => c.spendableHeight));
  return { ready, waiting, ...(spendableHeight === undefined ? {} : { spendableHeight }) };
}

/** Blocks after its commitment confirmed from which anyone may spend an anchor (BOLT 3: `OP_16 OP_CHECKSEQUENCEVERIFY`). */
export const ANCHOR_ANYONE_CAN_SPEND_BLOCKS = 16;

/**
 * The claimables `ready` at tip `tip` with our anchors (330 sat, kind
 * `anchor`) kept only where sweeping them is safe and can pay: beside at
 * least one other output of a sweep (alone, 330 sat less the fee of a
 * one-input transaction is below the 294 sat dust limit at any feerate of
 * at least 1 sat/vB), none of them with a deadline (justice or a claim
 * racing an expiry must never be pinned by someone spending the anchor),
 * and while only we can spend it (`tip + 1` before the commitment is
 * {@link ANCHOR_ANYONE_CAN_SPEND_BLOCKS} deep: after that anyone may, and a
 * conflicting spend would hold our sweep back). Whether it pays for its
 * own input at the sweep's feerate is sweep-tx.ts's call (an input worth
 * less than its fee is left out). An anchor left out stays on chain.
 */
export function withAnchorsWhenSafe(ready: readonly Claimable[], commitmentHeight: number, tip: number): Claimable[] {
  const isAnchor = (c: Claimable) => c.kind === 'output' && c.output.kind === 'anchor';
  const others = ready.filter((c) => c.kind === 'output' && !isAnchor(c));
  const safe = others.length > 0 && others.every((c) => c.kind === 'output' && c.deadline === undefined) && tip + 1 < commitmentHeight + ANCHOR_ANYONE_CAN_SPEND_BLOCKS;
  return safe ? [...ready] : ready.filter((c) => !isAnchor(c));
}

/** The confirmation target of a claim without a deadline (blocks): nothing of ours is at risk while it waits. */
export const SWEEP_TARGET_BLOCKS = 6;

/** The least feerate step of a replacement (sat per 1,000 weight): Bitcoin Core's incremental relay fee, 1 sat/vB (250), with room for rounding. */
export const MIN_BUMP_PER_KW = 300;

/** The confirmation target of a claim at `tip`: the blocks left before its deadline (at least 1), at most {@link SWEEP_TARGET_BLOCKS}. */
export function targetBlocks(deadline: number | undefined, tip: number): number {
  if (deadline === undefined) return SWEEP_TARGET_BLOCKS;
  return Math.min(SWEEP_TARGET_BLOCKS, Math.max(1, deadline - tip));
}

/**
 * The highest feerate a claim of ours is bumped to (sat per 1,000 weight):
 * 250,000, 1,000 sat/vB, far above any fee market seen so far. A claim at
 * the cap stays there (re-broadcast at each block, never bumped again); an
 * anchors HTLC transaction is also never bumped to a fee above the HTLC's
 * amount (functions/chain/monitor-consumer.ts): past that, claiming it
 * costs more than it is worth.
 */
export const MAX_BUMP_FEERATE_PER_KW = 250_000;

/** Bitcoin Core's incremental relay feerate (`-incrementalrelayfee`, 1 sat/vB): what a replacement pays on top of what it evicts, for its own size (BIP 125 rule 4). */
export const INCREMENTAL_RELAY_SAT_PER_VB = 1n;

/**
 * The least fee a replacement of weight `newWeight` must pay to evict a
 * transaction paying `replacedFeeSat` (BIP 125 rules 3 and 4, as Bitcoin
 * Core applies them under full RBF): at least the replaced fee, plus the
 * incremental relay fee over its own virtual size.
 */
export function replacementFloorSat(replacedFeeSat: bigint, newWeight: bigint): bigint {
  const vsize = (newWeight + 3n) / 4n;
  return replacedFeeSat + INCREMENTAL_RELAY_SAT_PER_VB * vsize;
}

/** What {@link bumpedFeerate} reads of a claim: its state and when and at what feerate it was built. */
export type BumpableClaim = Pick<Claim, 'kind' | 'confirmedHeight' | 'feeratePerKw' | 'builtHeight' | 'deadline' | 'feeCoins'>;

/**
 * The feerate to rebuild an unconfirmed claim of ours at, at tip `tip`
 * (LDK's `OnchainTxHandler` bumps its claims the same way), or undefined to
 * leave it. Bumped: our sweeps, and our anchors HTLC transactions and CPFP
 * children (those paid by wallet coins, `feeCoins`); never our pre-signed
 * HTLC transactions (their fee is the commitment's). One with a deadline is
 * bumped at every block it stays unconfirmed, by a quarter (at least
 * {@link MIN_BUMP_PER_KW}) or to the estimate for the blocks left if
 * higher; one without follows the estimate up only. Never above
 * {@link MAX_BUMP_FEERATE_PER_KW}: a claim already there is left.
 * `estimate` gives the feerate for a target in blocks.
 */
export function bumpedFeerate(claim: BumpableClaim, tip: number, estimate: (targetBlocks: number) => number): number | undefined {
  const paidByWallet = claim.feeCoins !== undefined && claim.feeCoins.length > 0;
  if (claim.kind !== 'sweep' && !paidByWallet) return undefined;
  if (claim.confirmedHeight !== undefined || claim.feeratePerKw === undefined || claim.builtHeight === undefined || tip <= claim.builtHeight) return undefined;
  if (claim.feeratePerKw >= MAX_BUMP_FEERATE_PER_KW) return undefined;
  const market = estimate(targetBlocks(claim.deadline, tip));
  const step = claim.feeratePerKw + Math.max(MIN_BUMP_PER_KW, Math.ceil(claim.feeratePerKw / 4));
  const capped = (feerate: number) => Math.min(MAX_BUMP_FEERATE_PER_KW, feerate);
  if (claim.deadline !== undefined) return capped(Math.max(market, step));
  return market > claim.feeratePerKw ? capped(Math.max(market, step)) : undefined;
}
