/**
 * The ChannelMonitor (LDK's `ChannelMonitor`, BOLT 5 "On-chain Transaction
 * Handling"): what a node must keep to enforce a channel on chain, separate
 * from the off-chain channel record. So far the establishment part: the
 * funding output, the keys id, both sides' parameters, commitment number 0
 * with the counterparty's signature (our broadcastable commitment) and the
 * counterparty's commitment txid, and the id of the last update applied;
 * then the counterparty's latest two commitments given by updates (their
 * HTLC sets are in justice records, one store item each: justice-record.ts).
 * Watching the chain and sweeping come with the on-chain issue.
 */
import type { InitialMonitor } from '../channel/index.js';
import type { CounterpartyCommitmentRef, MonitorUpdateStep } from './monitor-update-step.js';

/**
 * One channel's monitor: its newest snapshot (`MONITOR#<channel id>#0`, or a later one, docs/monitor.md) plus the
 * updates applied since. It starts as the channel's {@link InitialMonitor}
 * (the same fields), with the commitment number free to grow.
 */
export interface ChannelMonitor extends Omit<InitialMonitor, 'commitmentNumber'> {
  /** Number of our latest commitment (0 until payments exist); the signature and transactions above are of that commitment. */
  readonly holderCommitmentNumber: bigint;
  /** The id of the last update applied: 0 for the snapshot made at `watchChannel`. */
  readonly latestUpdateId: bigint;
  /** Set once a `channel-force-closed` update is applied: the channel takes no more off-chain updates. */
  readonly forceClosed?: { readonly shouldBroadcast: boolean };
  /**
   * The counterparty's latest commitment given by an update (absent: only
   * its first, commitment 0, `counterpartyCommitmentTxid`), and the one
   * before it (still valid until revoked). Only these two: the HTLC sets of
   * every counterparty commitment are in their justice records, one item
   * each (docs/monitor.md "Justice records"), so the monitor stays the
   * same size however many commitments there were.
   */
  readonly latestCounterpartyCommitment?: CounterpartyCommitmentRef;
  readonly previousCounterpartyCommitment?: CounterpartyCommitmentRef;
}

/** LDK's `ChannelMonitorUpdate`: numbered from 1 per channel, applied in order. */
export interface ChannelMonitorUpdate {
  readonly channelId: Uint8Array;
  readonly updateId: bigint;
  readonly steps: readonly MonitorUpdateStep[];
}

/** The monitor `watchChannel` is given when the first commitments are signed (update id 0). */
export function channelMonitorFrom(initial: InitialMonitor): ChannelMonitor {
  return {
    channelId: initial.channelId,
    fundingOutpoint: initial.fundingOutpoint,
    fundingScriptPubKey: initial.fundingScriptPubKey,
    channelValueSatoshis: initial.channelValueSatoshis,
    channelKeysId: initial.channelKeysId,
    channelType: initial.channelType,
    isOutbound: initial.isOutbound,
    counterpartyNodeId: initial.counterpartyNodeId,
    holder: initial.holder,
    counterparty: initial.counterparty,
    obscuringFactor: initial.obscuringFactor,
    holderCommitmentNumber: initial.commitmentNumber,
    counterpartySignature: initial.counterpartySignature,
    holderCommitmentTx: initial.holderCommitmentTx,
    counterpartyCommitmentTxid: initial.counterpartyCommitmentTxid,
    latestUpdateId: 0n,
  };
}

/**
 * Why an update cannot be applied. `unsupported-step`: a payment step
 * (`latest-holder-commitment`, `commitment-secret`, `payment-preimage`)
 * whose state the monitor does not hold yet (it comes with payments,
 * docs/monitor.md). Refused rather than ignored: a monitor that skipped a
 * preimage or a revocation secret would lose it for good at the next
 * consolidation into a snapshot. `stale-commitment`: a counterparty
 * commitment whose number is not above the latest one the monitor has.
 */
export type MonitorUpdateError = 'out-of-order' | 'wrong-channel' | 'unsupported-step' | 'stale-commitment';

/**
 * Applies `update` (its id must be the next one): the new monitor, and the
 * transactions to broadcast now (our commitment on a force close that asks
 * for it). Steps of an unknown odd kind are ignored (BOLT 1's rule: odd is
 * safe to skip); the monitor is unchanged when any step cannot be applied.
 */
export function applyMonitorUpdate(
  monitor: ChannelMonitor,
  update: ChannelMonitorUpdate,
): { readonly ok: true; readonly monitor: ChannelMonitor; readonly broadcasts: readonly Uint8Array[] } | { readonly ok: false; readonly error: MonitorUpdateError } {
  if (update.updateId !== monitor.latestUpdateId + 1n) return { ok: false, error: 'out-of-order' };
  if (!update.channelId.every((b, i) => b === monitor.channelId[i])) return { ok: false, error: 'wrong-channel' };
  let next: ChannelMonitor = { ...monitor, latestUpdateId: update.updateId };
  const broadcasts: Uint8Array[] = [];
  for (const step of update.steps) {
    switch (step.kind) {
      case 'channel-force-closed':
        next = { ...next, forceClosed: { shouldBroadcast: step.shouldBroadcast } };
        if (step.shouldBroadcast) broadcasts.push(next.holderCommitmentTx);
        break;
      case 'unknown-odd':
        break;
      case 'latest-counterparty-commitment':
      case 'latest-counterparty-commitment-summary': {
        // The same for both: the HTLC set is the justice record's, never the monitor's.
        const latest = next.latestCounterpartyCommitment;
        if (step.commitmentNumber <= (latest?.commitmentNumber ?? 0n)) return { ok: false, error: 'stale-commitment' };
        const ref = { commitmentNumber: step.commitmentNumber, commitmentTxid: step.commitmentTxid, perCommitmentPoint: step.perCommitmentPoint };
        next = { ...next, latestCounterpartyCommitment: ref, ...(latest === undefined ? {} : { previousCounterpartyCommitment: latest }) };
        break;
      }
      case 'latest-holder-commitment':
      case 'commitment-secret':
      case 'payment-preimage':
        return { ok: false, error: 'unsupported-step' };
    }
  }
  return { ok: true, monitor: next, broadcasts };
}
