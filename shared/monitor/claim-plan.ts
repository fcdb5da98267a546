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
import type { MonitorHtlc } from './monitor-update-step.js';
import type { OurOutput } from './sweep-tx.js';
import type { WatchedChannel } from './watched-channel.js';

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
  /** An output a sweep spends (with others ready at the same time). */
  | { readonly kind: 'output'; readonly output: OurOutput; readonly spendableHeight: number; readonly offeredHtlc?: OfferedHtlc }
  /** Our pre-signed HTLC transaction spending one output of our commitment (its output is ours after our delay). */
  | {
      readonly kind: 'htlc-tx';
      readonly tx: Uint8Array;
      readonly txid: Uint8Array;
      readonly spends: Outpoint;
      readonly amountSat: bigint;
      readonly spendableHeight: number;
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
