/**
 * Recording a channel step in the change set: the item under the channel's
 * current key, the monitor writes (and the force-close update when a funded
 * channel fails), messages and broadcasts (held while a monitor write is in
 * progress, released by `channelMonitorUpdated`), events, the header's
 * index and the index items.
 */
import {
  ChannelFailureReason,
  ChannelState,
  currentChannelId,
  handleChannelMessage,
  holderCommitmentTransaction,
  phaseVerdict,
  wrongPhaseWarning,
  type Channel,
  InboundHtlcState,
  OutboundHtlcState,
  type ChannelLevelMessage,
  type ChannelStep,
  type KeptUpdates,
} from '../channel/index.js';
import { toHex } from '../crypto/index.js';
import { equalBytes } from '../codec/index.js';
import { parseTransaction, type Outpoint } from '../tx/index.js';
import { channelMonitorFrom, encodeMonitor, encodeMonitorUpdate, MonitorUpdateStatus, type ChannelMonitorUpdate } from '../monitor/index.js';
import type { WireMessage } from '../wire/index.js';
import { channelKey, type ChannelItem, type ChannelKey, type HeldEffects } from './channel-entry.js';
import { channelContext, text, type ManagerCore } from './manager-core.js';
import { RecordKeys, type RecordKey } from './payment-records.js';
import { sendOurChannelUpdate } from './our-channel-update.js';
import { keepOfferedForChain } from './forward-onchain.js';
import { offeredOnionPacket } from './offered-onion.js';
import { ManagerError, ManagerErrorCode } from './manager-errors.js';

/** Failures of a funded channel after which our commitment is not broadcast (docs/channel.md "Chain"). */
const NO_COMMITMENT_BROADCAST: ReadonlySet<ChannelFailureReason> = new Set([
  // The funding output is spent already (by their commitment): ours could not confirm.
  ChannelFailureReason.CounterpartyForceClosed,
  ChannelFailureReason.RevokedCommitmentPunished,
  ChannelFailureReason.FundingTimedOut,
  ChannelFailureReason.FundingTxMismatch,
  ChannelFailureReason.FundingTxCoinbase,
  ChannelFailureReason.PeerHasNewerState,
]);

/** Whether `tx` spends `outpoint`. */
function spendsOutpoint(tx: Uint8Array, outpoint: Outpoint): boolean {
  return parseTransaction(tx)?.ins.some((i) => i.index === outpoint.index && equalBytes(i.hash, outpoint.txid)) === true;
}

/**
 * Our commitment or closing transaction (it spends the channel's funding
 * output) is kept for the chain handler, which hands it to the broadcast
 * queue again at every block while the funding output is unspent
 * (docs/force-close.md "Our commitment broadcast again").
 */
function keepFundingSpend(core: ManagerCore, channel: Channel, tx: Uint8Array): void {
  if (channel.funding !== undefined && spendsOutpoint(tx, channel.funding.outpoint)) core.cs.putRecord(RecordKeys.fundingSpendBroadcast(toHex(channel.funding.channelId)), tx);
}

/** Broadcasts our transaction spending the funding output, and keeps it for broadcasting again. */
function broadcastFundingSpend(core: ManagerCore, channel: Channel, tx: Uint8Array): void {
  core.cs.broadcast(tx);
  keepFundingSpend(core, channel, tx);
}

interface MutableHeld {
  untilUpdateId: bigint;
  messages: WireMessage[];
  broadcasts: Uint8Array[];
}

/**
 * Records a channel step: the item under the channel's current key
 * (re-keyed from the temporary id when funded; deleted when closed), the
 * monitor writes first, then messages and broadcasts (held while a
 * monitor write is in progress), events, and the header's indexes.
 * The item keeps its flags and the connection it was reestablished on.
 */
export function applyStep(core: ManagerCore, key: ChannelKey | null, before: ChannelItem | null, step: ChannelStep): void {
  if (before !== null && step.channel === before.channel && step.effects.length === 0) return;
  const { cs, ports } = core;
  const channel = step.channel;
  const peer = channel.counterpartyNodeId;
  let latestMonitorUpdateId = before?.latestMonitorUpdateId;
  const flags = before?.flags;
  // Until the peer's channel_reestablish, or while the peer is not connected at all, only an error goes out:
  // the reestablish retransmits the rest (BOLT 2), and a message handed to the gateway now could reach the
  // peer's next connection before our channel_reestablish (LDK fails the channel over that).
  const silent = flags?.awaitingReestablish === true || cs.featuresOf(peer) === undefined;
  let held: MutableHeld | undefined = before?.held ? { ...before.held, messages: [...before.held.messages], broadcasts: [...before.held.broadcasts] } : undefined;
  for (const effect of step.effects) {
    switch (effect.kind) {
      case 'persist-monitor': {
        const monitor = channelMonitorFrom(effect.monitor);
        cs.writeMonitor({ channelIdHex: toHex(monitor.channelId), updateId: 0n, bytes: encodeMonitor(monitor) });
        latestMonitorUpdateId = 0n;
        if (ports.watch.watchChannel(monitor.fundingOutpoint, monitor) === MonitorUpdateStatus.InProgress) {
          held = held ?? { untilUpdateId: 0n, messages: [], broadcasts: [] };
        }
        break;
      }
      case 'monitor-update': {
        // One numbered update per effect, durable in this commit before the messages after it leave.
        const funding = channel.funding!;
        const update: ChannelMonitorUpdate = { channelId: funding.channelId, updateId: (latestMonitorUpdateId ?? 0n) + 1n, steps: effect.steps };
        cs.writeMonitor({ channelIdHex: toHex(funding.channelId), updateId: update.updateId, bytes: encodeMonitorUpdate(update), update });
        latestMonitorUpdateId = update.updateId;
        if (ports.watch.updateChannel(funding.outpoint, update) === MonitorUpdateStatus.InProgress) {
          held = held ?? { untilUpdateId: update.updateId, messages: [], broadcasts: [] };
          held.untilUpdateId = update.updateId;
        }
        break;
      }
      case 'send-message':
        if (silent && effect.message.type !== 17) break;
        if (held && step.failure === undefined) held.messages.push(effect.message);
        else cs.send(peer, effect.message);
        break;
      case 'broadcast':
        if (held) held.broadcasts.push(effect.tx);
        else cs.broadcast(effect.tx);
        keepFundingSpend(core, channel, effect.tx);
        break;
      case 'event':
        cs.emit(effect.event);
        break;
    }
  }
  // A channel just ready: our channel_update follows its channel_ready (the peer routes over us with it).
  if (!silent && held === undefined && before !== null && before.channel.state !== ChannelState.Ready && channel.state === ChannelState.Ready) sendOurChannelUpdate(core, channel);
  if (step.failure !== undefined && before?.channel.counterpartySignature !== undefined) {
    latestMonitorUpdateId = forceCloseMonitor(core, before.channel, latestMonitorUpdateId ?? 0n, step.failure.reason);
  }
  const newKey = channelKey(peer, currentChannelId(channel));
  const ids = [channel.temporaryChannelId, currentChannelId(channel), ...(before ? [currentChannelId(before.channel)] : [])];
  if (key !== null && key !== newKey) cs.deleteKey(key);
  if (channel.state === ChannelState.Closed) {
    // The HTLCs we offered are the chain's now: kept by the name it gives them (a forward's result goes upstream: forward-onchain.ts).
    keepOfferedForChain(core, before?.channel ?? channel);
    cs.deleteKey(newKey);
    cs.reindex(peer, ids, null);
    cs.reindexItems(before, null);
    return;
  }
  // What the step does not decide (the reestablish connection, our disabled update, the channel's own policy) carries over.
  const { channel: _was, latestMonitorUpdateId: _id, held: _held, flags: _flags, ...kept } = before ?? { kind: 'channel' as const };
  const item: ChannelItem = {
    ...kept,
    channel,
    ...(latestMonitorUpdateId !== undefined ? { latestMonitorUpdateId } : {}),
    ...(held ? { held: held satisfies HeldEffects } : {}),
    ...(flags !== undefined ? { flags } : {}),
  };
  cs.putEntry(newKey, item);
  cs.reindex(peer, ids, item);
  cs.reindexItems(before, item);
}

/**
 * A funded channel failed: the monitor gets a `channel-force-closed`
 * update, and our latest commitment is broadcast (not for a funding that
 * never confirmed, nor after the peer proved it holds a newer state). Until
 * shared/monitor enforces on chain, the manager broadcasts it itself.
 * Returns the update's id.
 */
function forceCloseMonitor(core: ManagerCore, channel: Channel, previousUpdateId: bigint, reason: ChannelFailureReason): bigint {
  const { cs, ports } = core;
  const funding = channel.funding!;
  // Not for a funding that never confirmed or is not the agreed 2-of-2 (no output to spend),
  // nor when the peer proved we lost data (our commitment may be revoked).
  const shouldBroadcast = !NO_COMMITMENT_BROADCAST.has(reason);
  const update: ChannelMonitorUpdate = { channelId: funding.channelId, updateId: previousUpdateId + 1n, steps: [{ kind: 'channel-force-closed', shouldBroadcast }] };
  cs.writeMonitor({ channelIdHex: toHex(funding.channelId), updateId: update.updateId, bytes: encodeMonitorUpdate(update), update });
  ports.watch.updateChannel(funding.outpoint, update);
  if (shouldBroadcast) {
    const tx = holderCommitmentTransaction(ports.secp, ports.signerProvider, channel);
    if (tx !== null) broadcastFundingSpend(core, channel, tx);
  }
  return update.updateId;
}

/**
 * LDK's `channel_monitor_updated`: the monitor write `updateId` of the
 * channel is durable; the messages and broadcasts held since are released.
 */
export function channelMonitorUpdated(core: ManagerCore, counterpartyNodeId: Uint8Array, channelId: Uint8Array, updateId: bigint): void {
  const { cs } = core;
  const key = channelKey(counterpartyNodeId, channelId);
  const item = cs.entry(key);
  if (item?.kind !== 'channel' || item.held === undefined || updateId < item.held.untilUpdateId) return;
  for (const message of item.held.messages) cs.send(counterpartyNodeId, message);
  for (const tx of item.held.broadcasts) cs.broadcast(tx);
  const { held: _held, ...rest } = item;
  cs.putEntry(key, rest);
}

/** The channel a message reached. */
export interface ChannelTarget {
  readonly peer: Uint8Array;
  /** The id as the message named it (temporary or real). */
  readonly id: Uint8Array;
  readonly key: ChannelKey;
  readonly item: ChannelItem;
}

/**
 * The step of the channel-level table in the channel's phase: a `warn`
 * verdict sends a `warning` and changes nothing, `ignore` changes nothing,
 * `close` fails the channel, `handle` runs the step.
 */
export function stepChannel(core: ManagerCore, target: ChannelTarget, m: ChannelLevelMessage): Channel | undefined {
  const { channel } = target.item;
  if (phaseVerdict(channel, m) === 'warn') {
    core.cs.send(target.peer, { type: 1, channelId: target.id, data: text(wrongPhaseWarning(channel, m)) });
    return undefined;
  }
  const step = handleChannelMessage(channelContext(core), channel, m, keptUpdates(core, channel));
  applyStep(core, target.key, target.item, step);
  return step.failure === undefined ? step.channel : undefined;
}


/**
 * The records our updates need to go (again) that the channel record does
 * not hold: the onion of each HTLC we offered not yet committed (held or
 * announced) and the reason of each fail of ours not yet irrevocable.
 * Read after the channel by a `revoke_and_ack` (the holding cell) and a
 * `channel_reestablish` (a retransmission): load-plan.ts `recordsAfterLoad`.
 */
export function keptUpdateRecords(channel: Channel): RecordKey[] {
  if (channel.funding === undefined) return [];
  const id = toHex(channel.funding.channelId);
  return (channel.htlcs ?? []).flatMap((h) => {
    if (h.direction === 'offered') return h.state === OutboundHtlcState.Held || h.state === OutboundHtlcState.LocalAnnounced ? [RecordKeys.offeredOnion(id, h.id)] : [];
    const removing = h.state === InboundHtlcState.RemovalHeld || h.state === InboundHtlcState.LocalRemoved;
    return removing && h.resolution?.kind === 'fail' ? [RecordKeys.ourFailureReason(id, h.id)] : [];
  });
}

/** What `keptUpdateRecords` loaded (or this input wrote), as the channel machine takes it. */
function keptUpdates(core: ManagerCore, channel: Channel): KeptUpdates {
  const onions = new Map<bigint, Uint8Array>();
  const failureReasons = new Map<bigint, Uint8Array>();
  if (channel.funding === undefined) return { onions, failureReasons };
  const id = toHex(channel.funding.channelId);
  for (const h of channel.htlcs ?? []) {
    const key = h.direction === 'offered' ? RecordKeys.offeredOnion(id, h.id) : RecordKeys.ourFailureReason(id, h.id);
    const bytes = core.cs.hasRecord(key) ? core.cs.record(key) : undefined;
    if (bytes === undefined) continue;
    if (h.direction === 'received') {
      failureReasons.set(h.id, bytes);
      continue;
    }
    // Our payment's onion is kept as the keys that build it (offered-onion.ts); a forward's as the packet.
    const onion = offeredOnionPacket(bytes, h.paymentHash);
    if (!onion.ok) throw new ManagerError(ManagerErrorCode.CorruptState, `the onion of our HTLC ${h.id} on ${id} does not decode: ${onion.error.message}`);
    onions.set(h.id, onion.value);
  }
  return { onions, failureReasons };
}
