/**
 * Force-closing a channel from the user's side (LDK's
 * `force_close_broadcasting_latest_txn`; docs/force-close.md): the channel
 * fails with reason `holder-force-closed`, the peer gets an `error`, the
 * monitor a `channel-force-closed` update, and our latest holder commitment
 * goes to the broadcast queue after the commit (channel-step.ts
 * `applyStep`, as every failed funded channel). The peer need not be
 * connected: nothing of the close waits for it.
 */
import { closeChannel as failChannel, holderCommitmentTransaction, ChannelFailureReason, type ChannelStep } from '../channel/index.js';
import { parseTransaction } from '../tx/index.js';
import { applyStep } from './channel-step.js';
import type { ManagerCore } from './manager-core.js';
import { ApiErrorCode, type ApiResult } from './manager-errors.js';

/** What a force close did: the txid of the commitment broadcast (internal byte order), or null when the channel had none to broadcast (not funded yet). */
export interface ForceClosed {
  readonly commitmentTxid: Uint8Array | null;
}

/**
 * LDK's `force_close_broadcasting_latest_txn`. `channel-unavailable` when no
 * channel with this id and counterparty is loaded (unknown, or already
 * closed and removed). A channel not funded yet just closes (nothing to
 * broadcast); a funded one records the commitment's txid in its
 * `ChannelClosed` event.
 */
export function forceCloseChannel(core: ManagerCore, channelId: Uint8Array, counterpartyNodeId: Uint8Array): ApiResult<ForceClosed> {
  const { cs, ports } = core;
  const key = cs.keyFor(counterpartyNodeId, channelId);
  const item = cs.entry(key);
  if (item?.kind !== 'channel') return { ok: false, error: { code: ApiErrorCode.ChannelUnavailable, message: 'no channel with this id and counterparty' } };
  const { channel } = item;
  const funded = channel.funding !== undefined && channel.counterpartySignature !== undefined;
  const commitment = funded ? holderCommitmentTransaction(ports.secp, ports.signerProvider, channel) : null;
  const commitmentTxid = commitment === null ? null : (parseTransaction(commitment)?.getHash() ?? null);
  const step = failChannel(channel, ChannelFailureReason.HolderForceClosed, 'force-closed by the node operator');
  applyStep(core, key, item, withClosingTxid(step, commitmentTxid));
  return { ok: true, value: { commitmentTxid: commitmentTxid === null ? null : new Uint8Array(commitmentTxid) } };
}

/**
 * The chain handler saw the counterparty's commitment `txid` spend the
 * channel's funding output (a `funding-spent` follow-up): the channel, if
 * still open, closes with `counterparty-force-closed` (`revoked`: with
 * `revoked-commitment-punished`, a commitment they had revoked) and that
 * txid; no `error` goes to the peer and nothing is broadcast (the funding
 * output is spent). Our outputs on their commitment are the chain handler's
 * to sweep.
 */
export function applyCounterpartyCommitment(core: ManagerCore, peer: Uint8Array, channelId: Uint8Array, txid: Uint8Array, revoked = false): void {
  const { cs } = core;
  const key = cs.keyFor(peer, channelId);
  const item = cs.entry(key);
  if (item?.kind !== 'channel') return;
  const step = revoked
    ? failChannel(item.channel, ChannelFailureReason.RevokedCommitmentPunished, 'the counterparty broadcast a revoked commitment: its outputs are ours (justice)', false)
    : failChannel(item.channel, ChannelFailureReason.CounterpartyForceClosed, 'the counterparty broadcast its commitment', false);
  applyStep(core, key, item, withClosingTxid(step, txid));
}

/** Our output of a closed channel reached the wallet (a `funds-swept` follow-up): event `funds-swept`. */
export function applyFundsSwept(core: ManagerCore, peer: Uint8Array, work: { readonly channelId: Uint8Array; readonly txid: Uint8Array; readonly amountSat: bigint }): void {
  core.cs.emit({ kind: 'funds-swept', channelId: work.channelId, counterpartyNodeId: peer, txid: work.txid, amountSat: work.amountSat });
}

/** The step with `txid` in its `ChannelClosed` event. */
function withClosingTxid(step: ChannelStep, txid: Uint8Array | null): ChannelStep {
  if (txid === null) return step;
  const closingTxid = new Uint8Array(txid);
  return {
    ...step,
    effects: step.effects.map((e) => (e.kind === 'event' && e.event.kind === 'channel-closed' ? { ...e, event: { ...e.event, closingTxid } } : e)),
  };
}
