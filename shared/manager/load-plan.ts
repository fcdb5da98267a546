/**
 * The load plan (docs/manager.md, "The partial-load model"): which channel
 * items an input needs, from the header's indexes alone. A peer message's
 * channel comes from its row in the routing table.
 */
import { equalBytes } from '../codec/index.js';
import { toHex } from '../crypto/index.js';
import type { ChangeSet } from './change-set.js';
import { channelKey, type ChannelKey } from './channel-entry.js';
import type { LoadPlan, ManagerInput } from './manager-types.js';
import type { FollowUpWork } from './follow-up.js';
import { claimableRecordKey, committedByRevoke, onionRecords, receivedHtlcRecords } from './inbound-htlcs.js';
import { keptUpdateRecords } from './channel-step.js';
import { forwardLinkKey } from './forward-results.js';
import { expiringHtlcRecords } from './htlc-expiry.js';
import { offeredOnChainLinkRecords } from './forward-onchain.js';
import { channelIdOf } from './message-routes.js';
import { MPP_TIMEOUTS_PER_TICK, timerTickRecords } from './timer-tick.js';
import { dueOfflinePeers } from './channel-update-status.js';
import type { RecordKey } from './payment-records.js';
import { htlcResolvedOnChainRecords, outboundPaymentKey, paymentResultRecords, routingPeers, sendPaymentRecords } from './outbound-calls.js';

function plan(keys: ChannelKey[], peers: string[] = [], all = false): LoadPlan {
  return { keys: [...new Set(keys)], peers, all };
}

/** The peer's unfunded channels (from the header) and the keys of all its channels (a keys-only listing): what work on every channel of a peer needs. */
function everyChannelOf(cs: ChangeSet, peer: Uint8Array): LoadPlan {
  const unfunded = cs.header.unfunded.filter((e) => equalBytes(e.counterpartyNodeId, peer)).map((e) => channelKey(e.counterpartyNodeId, e.channelId));
  return { ...plan(unfunded), keysOfPeers: [toHex(peer)] };
}

/** What a follow-up reads: its channel, and the payment records its work names. */
function followUpPlan(peer: Uint8Array, work: FollowUpWork, overGraph: boolean): LoadPlan {
  const channel = [channelKey(peer, work.channelId)];
  switch (work.kind) {
    case 'received-htlcs':
      // Forwards among them: their next channels, by short channel id (docs/forwarding.md).
      return { ...plan(channel), records: receivedHtlcRecords(work.channelId, work.htlcs), ...(work.scids === undefined || work.scids.length === 0 ? {} : { scids: work.scids }) };
    case 'fail-htlcs':
      return { ...plan(channel), records: onionRecords(work.channelId, work.htlcs) };
    case 'payment-result':
      return { ...plan([]), records: paymentResultRecords(work) };
    case 'retry-payment':
      return { ...plan([], overGraph ? [] : work.peers.map(toHex), overGraph), records: [outboundPaymentKey(work.paymentHash)] };
    case 'htlc-resolved-on-chain':
      // The channel is closed (its item gone): the payment of the hash, the ids of the HTLCs of that name.
      return { ...plan([]), records: htlcResolvedOnChainRecords(work) };
    default:
      return plan(channel);
  }
}

/** The channel items `input` needs. */
export function channelKeysFor(cs: ChangeSet, input: ManagerInput, overGraph = false): LoadPlan {
  const h = cs.header;
  switch (input.kind) {
    case 'create-channel':
    case 'unsupported-message':
      return plan([]);
    case 'list-channels':
      return plan([], [], true);
    case 'chain':
      // The unfunded channels (a block may age them out; bounded) and the confirming index (their follow-ups: docs/follow-ups.md).
      return { ...plan(h.unfunded.map((e) => channelKey(e.counterpartyNodeId, e.channelId))), confirming: true, expiring: true };
    case 'peer-connected':
      return everyChannelOf(cs, input.peer);
    case 'follow-up':
      return followUpPlan(input.peer, input.work, overGraph);
    case 'timer-tick':
      // The oldest payments collecting parts and the channels we fund, from their index items (timer-tick.ts); the
      // channels of the peers offline long enough to disable them (channel-update-status.ts).
      return { ...plan([], dueOfflinePeers(h.offlinePeers, cs.ticks + 1).map((o) => toHex(o.peer))), mppWaiting: MPP_TIMEOUTS_PER_TICK, funders: true };
    case 'create-invoice':
      // Route hints: every channel's peer policy and inbound capacity.
      return plan([], [], true);
    case 'send-payment':
      // Over a public graph a route may start with any of our channels: all of them (one Query).
      if (overGraph) return { ...plan([], [], true), records: sendPaymentRecords(input) };
      // Else the payee's and the hints' nodes' channels: a route starts with one of them.
      return { ...plan([], routingPeers(input.payeeNodeId, input.routeHints)), records: sendPaymentRecords(input) };
    case 'abandon-payment':
      return { ...plan([]), records: sendPaymentRecords(input) };
    case 'claim-funds':
    case 'fail-htlc-backwards':
      return { ...plan([]), records: [claimableRecordKey(input.paymentHash)] };
    case 'peer-disconnected':
      // Its unfunded channels (dropped) and the keys of the others: a peer with funded channels goes on the offline list (channel-update-status.ts).
      return everyChannelOf(cs, input.peer);
    case 'funding-transaction-generated':
      return plan(cs.unfundedByTemporaryId(input.temporaryChannelId, input.counterpartyNodeId).map((e) => channelKey(e.counterpartyNodeId, e.channelId)));
    case 'accept-inbound-channel':
    case 'reject-inbound-channel':
      return plan([channelKey(input.counterpartyNodeId, input.temporaryChannelId)]);
    case 'channel-monitor-updated':
      return plan([channelKey(input.counterpartyNodeId, input.channelId)]);
    case 'close-channel':
    case 'force-close-channel':
    case 'update-channel-config':
    case 'read-channel':
      return plan([cs.keyFor(input.counterpartyNodeId, input.channelId)]);
    case 'peer-message': {
      // A channel_update names its channel by short channel id: that channel is read through the SCID# index (not every channel of the peer).
      if (input.message.type === 258) return { ...plan([]), scids: [input.message.shortChannelId] };
      // announcement_signatures names its channel by channel id (its row is a peer row: the message is not a channel machine's).
      if (input.message.type === 259) return plan([cs.keyFor(input.peer, input.message.channelId)]);
      const id = channelIdOf(input.message);
      if (id === null) return plan([]);
      if (id === 'all') return everyChannelOf(cs, input.peer);
      return plan([cs.keyFor(input.peer, id)]);
    }
  }
}

/**
 * The payment records `input` needs that only its loaded channel names (a
 * second read, after the plan's): a `revoke_and_ack` sends our held updates
 * and a `channel_reestablish` may send our updates again, whose onions and
 * failure reasons are records; a `revoke_and_ack` also makes received HTLCs
 * irrevocable, decided in the same input (their onions and payments), and
 * an `update_fulfill_htlc` settles one of our payments (its record).
 */
export function recordsAfterLoad(cs: ChangeSet, input: ManagerInput): RecordKey[] {
  if (input.kind === 'timer-tick') return timerTickRecords(cs);
  // The forward links of the HTLCs the chain settled, by the ids their by-name record holds (forward-onchain.ts).
  if (input.kind === 'follow-up' && input.work.kind === 'htlc-resolved-on-chain') return offeredOnChainLinkRecords(cs, input.work);
  if (input.kind === 'follow-up' && input.work.kind === 'htlc-expiry') {
    const entry = cs.entry(channelKey(input.peer, input.work.channelId));
    return entry?.kind === 'channel' ? expiringHtlcRecords(entry.channel, input.work.height) : [];
  }
  if (input.kind !== 'peer-message') return [];
  const m = input.message;
  if (m.type !== 133 && m.type !== 136 && m.type !== 130) return [];
  const id = channelIdOf(m);
  if (id === null || id === 'all') return [];
  const entry = cs.entry(cs.keyFor(input.peer, id));
  if (entry?.kind !== 'channel') return [];
  const channel = entry.channel;
  if (m.type === 130) {
    const htlc = (channel.htlcs ?? []).find((h) => h.direction === 'offered' && h.id === m.id);
    // Our payment's record, or the forward's link (its preimage goes upstream in this input).
    return htlc === undefined ? [] : [outboundPaymentKey(htlc.paymentHash), forwardLinkKey(m.channelId, m.id)];
  }
  const kept = keptUpdateRecords(channel);
  if (m.type === 136 || channel.funding === undefined) return kept;
  return [...new Set([...kept, ...receivedHtlcRecords(channel.funding.channelId, committedByRevoke(channel))])];
}

/**
 * The messages of the commitment dance (`update_add_htlc`,
 * `update_fulfill_htlc`, `update_fail_htlc`, `commitment_signed`,
 * `revoke_and_ack`, `update_fee`, `update_fail_malformed_htlc`): a peer's
 * messages of these types in a row run as one burst (docs/manager.md, "Bursts").
 */
export const BURST_MESSAGE_TYPES: ReadonlySet<number> = new Set([128, 130, 131, 132, 133, 134, 135]);

/** What a later input of a burst reads on top of what the manager holds (docs/manager.md, "Bursts"). */
export interface BurstPlan {
  /** Channel items (with their parts) not loaded yet. */
  readonly keys: readonly ChannelKey[];
  /** Payment records not loaded (nor written) yet. */
  readonly records: readonly RecordKey[];
}

/**
 * What `input` needs on top of what the manager already holds, when it can
 * run on the manager that ran the inputs before it (a peer's messages in a
 * row, applied on one load and committed together: docs/manager.md,
 * "Bursts"): a message of the dance whose plan is channel items and records only.
 * Undefined when the input needs a load of its own (every channel of a peer,
 * all channels, an index, a short channel id not looked up yet). The items
 * the burst already holds are never read again: the manager's copy is newer.
 */
export function burstPlan(cs: ChangeSet, input: ManagerInput): BurstPlan | undefined {
  if (input.kind !== 'peer-message' || !BURST_MESSAGE_TYPES.has(input.message.type)) return undefined;
  const p = channelKeysFor(cs, input);
  const beyond = p.peers.length > 0 || p.all || (p.keysOfPeers?.length ?? 0) > 0 || p.confirming === true || p.expiring === true || p.mppWaiting !== undefined || p.funders === true;
  if (beyond || (p.scids ?? []).some((scid) => !cs.scidLookedUp(scid))) return undefined;
  return { keys: p.keys.filter((key) => !cs.isLoaded(key)), records: (p.records ?? []).filter((key) => !cs.hasRecord(key)) };
}
