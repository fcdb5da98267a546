/**
 * What is ours on chain for a channel whose funding output was spent, and
 * how the HTLCs we offered were resolved there (BOLT 5; LDK's
 * `OnchainTxHandler` claims and `MonitorEvent::HTLCEvent`s). Pure: the
 * chain handler reads the monitor and the justice records, then asks.
 *
 * - `claimablesOf`: our outputs on the commitment (sweep.ts `ourOutputs`:
 *   `to_local`, `to_remote`, justice, HTLCs by preimage or after their CLTV),
 *   the outputs of their HTLC transactions on a revoked commitment (second
 *   stage), our pre-signed HTLC transactions on our commitment
 *   (htlc-claims.ts) and, once one confirmed, its output after our delay.
 *   Each with the first block height that can hold its claim: its CSV
 *   counted from the block of the transaction holding it, and past its CLTV
 *   (a transaction with nLockTime L enters block L + 1 at the earliest).
 * - `offeredHtlcOutcomes`: an HTLC we offered is resolved **fulfilled** as
 *   soon as a transaction not ours that took its output shows the preimage;
 *   **failed** once our claim of it (timeout) is {@link ANTI_REORG_DELAY}
 *   deep, or, for one that has no output on the confirmed commitment
 *   (trimmed, or only on another commitment), once that commitment is
 *   (LDK's `fail_unbroadcast_htlcs`): a failed payment may be paid again,
 *   so a reorg must no longer be able to let them claim it.
 */
import { Transaction } from 'bitcoinjs-lib';
import { toHex, type Secp256k1 } from '../crypto/index.js';
import type { ChannelSigner } from '../keys/index.js';
import { anchorHtlcClaims } from './anchor-claims.js';
import type { ChannelMonitor } from './channel-monitor.js';
import { claimableOutpoint, finalAt, inputsOf, outpointKey, type Claimable, type OfferedHtlc } from './claim-plan.js';
import { holderHtlcTransactions, holderHtlcTxOutputs, preimagesRevealed } from './htlc-claims.js';
import type { JusticeRecord } from './justice-record.js';
import { ourAnchorOutput, ourOutputs, revokedHtlcTxOutputs } from './sweep.js';
import type { OurOutput } from './sweep-tx.js';
import type { WatchedChannel } from './watched-channel.js';

/** The first block height a claim of `output`, on a transaction confirmed at `height`, can enter. */
function spendableHeightOf(output: OurOutput, height: number): number {
  return Math.max(height + output.csvBlocks, output.cltvExpiry === undefined ? 0 : output.cltvExpiry + 1);
}

/**
 * The height by which a claim of `output` (on a transaction confirmed at
 * `height`) must confirm, when something races it: anything revoked (justice:
 * the cheater's HTLC transactions can take an HTLC output at once, and their
 * `to_local` after our delay), at once; an HTLC they offered us, claimed with
 * the preimage, before its `cltv_expiry` (then they can take it back).
 * None for the rest (`to_local`, `to_remote`, our timeout of an HTLC we
 * offered: only we can take them, or taking them pays us anyway).
 */
function deadlineOf(output: OurOutput, height: number): number | undefined {
  if (output.kind === 'revoked-to-local' || output.kind === 'revoked-htlc') return height + 1;
  if (output.kind === 'htlc-preimage' && output.htlc !== undefined) return output.htlc.cltvExpiry;
  return undefined;
}

function outputClaimable(output: OurOutput, height: number): Claimable {
  const offered = output.kind === 'htlc-timeout' && output.htlc !== undefined;
  const deadline = deadlineOf(output, height);
  return { kind: 'output', output, spendableHeight: spendableHeightOf(output, height), ...(deadline === undefined ? {} : { deadline }), ...(offered ? { offeredHtlc: output.htlc } : {}) };
}

/**
 * Everything of ours on chain for `w` (phase `spent`), claimed already or
 * not (claim-plan.ts sorts them): `justice` is the confirmed commitment's
 * justice record when it is theirs.
 */
export function claimablesOf(secp: Secp256k1, signer: ChannelSigner, monitor: ChannelMonitor, w: WatchedChannel, justice?: JusticeRecord): Claimable[] {
  const commitment = Transaction.fromBuffer(w.spend!.tx);
  const height = w.spend!.height;
  const onCommitment = ourOutputs(secp, signer, monitor, commitment, justice).map((o) => outputClaimable(o, height));
  // Our anchor on the commitment: it joins a sweep of other outputs only (claim-plan.ts `withAnchorsWhenSafe`).
  const anchor = ourAnchorOutput(signer, monitor, commitment);
  if (anchor !== undefined) onCommitment.push(outputClaimable(anchor, height));
  const secondStage = (w.stages ?? []).flatMap((s) => revokedHtlcTxOutputs(secp, signer, monitor, commitment, Transaction.fromBuffer(s.tx)).map((o) => outputClaimable(o, s.height)));
  const htlcTxs = holderHtlcTransactions(secp, signer, monitor, commitment).map(
    (h): Claimable => ({
      kind: 'htlc-tx',
      tx: h.tx,
      txid: h.txid,
      spends: h.spends,
      amountSat: h.outputSat,
      spendableHeight: Math.max(height, h.offered ? h.locktime + 1 : 0),
      ...(h.offered ? { offeredHtlc: h.htlc } : {}),
    }),
  );
  // Under anchors: our zero-fee HTLC transactions, one block after the commitment (their `1 OP_CHECKSEQUENCEVERIFY`), a
  // timeout past its expiry; an HTLC-success must confirm before the HTLC's expiry (then they can take it back).
  const anchorHtlcs = anchorHtlcClaims(secp, signer, monitor, commitment).map(
    (claim): Claimable => ({
      kind: 'anchor-htlc',
      claim,
      spends: claim.spends,
      amountSat: claim.amountSat,
      spendableHeight: Math.max(height + 1, claim.offered ? claim.locktime + 1 : 0),
      // Both race the counterparty from their expiry on (a timeout: they may still claim it with the preimage), so both
      // have it as their deadline: a claim past it targets the next block and is bumped at every block (as LDK does).
      deadline: claim.htlc.cltvExpiry,
      ...(claim.offered ? { offeredHtlc: claim.htlc } : {}),
    }),
  );
  const htlcTxOutputs = (w.claims ?? []).flatMap((c) =>
    c.kind === 'htlc-tx' && c.confirmedHeight !== undefined ? holderHtlcTxOutputs(signer, monitor, commitment, Transaction.fromBuffer(c.tx)).map((o) => outputClaimable(o, c.confirmedHeight!)) : [],
  );
  return [...onCommitment, ...secondStage, ...htlcTxs, ...anchorHtlcs, ...htlcTxOutputs];
}

/** An HTLC we offered, resolved on chain: fulfilled (the preimage they showed) or failed. */
export interface OfferedHtlcOutcome {
  readonly htlc: OfferedHtlc;
  readonly paymentPreimage?: Uint8Array;
}

const htlcKey = (h: OfferedHtlc) => `${toHex(h.paymentHash)}:${h.amountMsat}:${h.cltvExpiry}`;

/**
 * The HTLCs we offered that the chain resolved, at tip `tip`: `stages`, the
 * transactions not ours that confirmed in this run (a preimage in one
 * taking an offered HTLC's output fulfils it); our claims final now (one
 * taking an offered HTLC's output timed it out); and, once the commitment
 * is final, every HTLC of `offered` (those we offered on the latest
 * commitments, both sides) without an output on it. An outcome may repeat
 * at later runs: the manager applies each once.
 */
export function offeredHtlcOutcomes(w: WatchedChannel, claimables: readonly Claimable[], stages: readonly Uint8Array[], tip: number, offered: readonly OfferedHtlc[]): OfferedHtlcOutcome[] {
  const onChain = new Map<string, OfferedHtlc>();
  for (const c of claimables) if (c.offeredHtlc !== undefined) onChain.set(outpointKey(claimableOutpoint(c)), c.offeredHtlc);
  const outcomes: OfferedHtlcOutcome[] = [];
  for (const raw of stages) {
    const tx = Transaction.fromBuffer(raw);
    for (const input of inputsOf(raw)) {
      const htlc = onChain.get(outpointKey(input));
      if (htlc === undefined) continue;
      const [revealed] = preimagesRevealed(tx, [htlc.paymentHash]);
      if (revealed !== undefined) outcomes.push({ htlc, paymentPreimage: revealed.paymentPreimage });
    }
  }
  for (const claim of w.claims ?? []) {
    if (claim.confirmedHeight === undefined || tip < finalAt(claim.confirmedHeight)) continue;
    for (const input of inputsOf(claim.tx)) {
      const htlc = onChain.get(outpointKey(input));
      if (htlc !== undefined) outcomes.push({ htlc });
    }
  }
  if (tip >= finalAt(w.spend!.height)) {
    // Each HTLC with an output on the commitment takes one of the same kind off the list (two alike: two outputs).
    const withOutput = new Map<string, number>();
    for (const h of onChain.values()) withOutput.set(htlcKey(h), (withOutput.get(htlcKey(h)) ?? 0) + 1);
    for (const htlc of offered) {
      const left = withOutput.get(htlcKey(htlc)) ?? 0;
      if (left > 0) withOutput.set(htlcKey(htlc), left - 1);
      else outcomes.push({ htlc });
    }
  }
  return outcomes;
}

/**
 * The HTLCs we offered on the channel's latest commitments, as a multiset
 * union (an HTLC on both sides' commitments counts once): ours (the
 * monitor's holder HTLC set) and those of the given counterparty
 * commitments' justice records (offered by us: `offered === false` there).
 */
export function offeredOnLatestCommitments(monitor: ChannelMonitor, records: readonly (JusticeRecord | undefined)[]): OfferedHtlc[] {
  const sets: OfferedHtlc[][] = [(monitor.holderHtlcs ?? []).filter((h) => h.offered), ...records.map((r) => (r?.htlcs ?? []).filter((h) => !h.offered))];
  const most = new Map<string, { htlc: OfferedHtlc; count: number }>();
  for (const set of sets) {
    const counts = new Map<string, { htlc: OfferedHtlc; count: number }>();
    for (const htlc of set) {
      const entry = counts.get(htlcKey(htlc)) ?? { htlc, count: 0 };
      counts.set(htlcKey(htlc), { htlc, count: entry.count + 1 });
    }
    for (const [key, entry] of counts) if ((most.get(key)?.count ?? 0) < entry.count) most.set(key, entry);
  }
  return [...most.values()].flatMap(({ htlc, count }) => Array.from({ length: count }, () => htlc));
}
