/**
 * The message routing table (docs/manager.md, "Message routing"): ONE row
 * per message type the peer layer hands on, saying how the manager finds
 * the channel (none, the temporary id, the channel id), what a message for
 * an unknown channel gets, whether it may come before the peer's
 * `channel_reestablish`, and the handler. What a channel does with a
 * message in each phase is the channel-level table of shared/channel
 * (`CHANNEL_MESSAGE_ROWS`). The peer layer (peer-manager.ts), the load plan
 * (load-plan.ts) and the dispatch below all read this table.
 *
 * Adding a BOLT message: its wire codec, one row here (and one in
 * `CHANNEL_MESSAGE_ROWS` for a channel message), one handler.
 */
import { equalBytes } from '../codec/index.js';
import { ChannelState, currentChannelId, isFundedChannel, isOperating, ourChannelReestablish, type ChannelLevelMessage } from '../channel/index.js';
import { toHex } from '../crypto/index.js';
import type { ChannelUpdateMessage, OpenChannelMessage, RevokeAndAckMessage } from '../wire/index.js';
import { onChannelUpdate } from './channel-updates.js';
import { onUpdateAddHtlc, receivedHtlcsOfRevoke } from './inbound-htlcs.js';
import { onUpdateFailHtlc, onUpdateFulfillHtlc, paymentResultsOfRevoke } from './outbound-calls.js';
import { announceAfterReestablish, announceIfDue, onAnnouncementSignatures } from './channel-announcements.js';
import { updateAfterReestablish } from './channel-update-status.js';
import { channelKey, withFlags, type ChannelEntry, type ChannelKey } from './channel-entry.js';
import { stepChannel, type ChannelTarget } from './channel-step.js';
import { htlcRecordKeys } from './payment-records.js';
export { stepChannel, type ChannelTarget } from './channel-step.js';
import { channelContext, text, type ManagerCore } from './manager-core.js';
import type { ChannelMessage, GraphGossipMessage } from './manager-types.js';
import { handleOpenChannel } from './open-calls.js';
import { channelIdOfKey, reportUnsupported, unfundedKeysOf } from './peer-lifecycle.js';

/** Where a channel message names its channel. */
export type ChannelIdField = 'temporaryChannelId' | 'channelId';

/** A message handled without a channel (`open_channel` creates one). */
export interface PeerRoute<M extends ChannelMessage = ChannelMessage> {
  readonly kind: 'peer';
  readonly name: string;
  readonly handle: (core: ManagerCore, peer: Uint8Array, m: M) => void;
}

/** A message for one existing channel. */
export interface ChannelRoute<M extends ChannelLevelMessage & ChannelMessage = ChannelLevelMessage & ChannelMessage> {
  readonly kind: 'channel';
  readonly name: string;
  readonly channelId: ChannelIdField;
  /** The all-zero id names every channel with the peer (BOLT 1 `error`). */
  readonly zeroIdMeansAll?: true;
  /** For an unknown channel (or a held request): an `error` back, or nothing (an `error` is never answered). */
  readonly unknownChannel: 'error' | 'ignore';
  /** While the channel is flagged `awaitingReestablish`: handled, or a `warning` and ignored (BOLT 2). */
  readonly beforeReestablish: 'handle' | 'warn';
  readonly handle: (core: ManagerCore, target: ChannelTarget, m: M) => void;
}

/** A message this node cannot handle yet: the peer layer disconnects the peer, the manager reports it once per type. */
export interface UnsupportedRoute {
  readonly kind: 'unsupported';
  readonly name: string;
  readonly report: (core: ManagerCore, peer: Uint8Array, messageType: number, message: string) => boolean;
}

export type MessageRoute = PeerRoute | ChannelRoute | UnsupportedRoute;

type Msg<T extends ChannelMessage['type']> = Extract<ChannelMessage, { type: T }>;
/** Message types with an `unsupported` row: none since `update_fee` is handled (the machinery stays for the next BOLT message we cannot handle yet). */
type UnsupportedType = never;
type RouteTable = { readonly [T in ChannelMessage['type']]: Msg<T> extends ChannelLevelMessage ? ChannelRoute<Msg<T>> : PeerRoute<Msg<T>> } & {
  readonly [T in UnsupportedType]: UnsupportedRoute;
};

const ZERO_ID = new Uint8Array(32);

/**
 * The peer's `channel_reestablish`: when ours has not gone out on this
 * connection yet (its `reestablish` follow-up is still queued: the peer
 * sent its own at once), ours goes first and the connection is recorded,
 * so the follow-up finds it done (docs/follow-ups.md); then the
 * `awaitingReestablish` flag is cleared and the channel steps.
 */
function resumeChannel(core: ManagerCore, target: ChannelTarget, m: ChannelLevelMessage): void {
  const { cs } = core;
  const connection = cs.connectionOf(target.peer);
  let item = target.item;
  if (connection !== undefined && item.reestablishedOn !== connection && isFundedChannel(item.channel)) {
    cs.send(target.peer, ourChannelReestablish(channelContext(core), item.channel));
    item = { ...item, reestablishedOn: connection };
    cs.putEntry(target.key, item);
  }
  const resumed = withFlags(item, { awaitingReestablish: false });
  if (item.flags?.awaitingReestablish) cs.putEntry(target.key, resumed);
  const after = stepChannel(core, { ...target, item: resumed }, m);
  // After the retransmissions, our channel_update again, enabled (LDK sends its own there too; channel-update-status.ts).
  if (after !== undefined && m.type === 136) updateAfterReestablish(core, target.key, after);
  // A public channel's announcement_signatures go again on the new connection (BOLT 7; channel-announcements.ts).
  announceAfterReestablish(core, target.key);
}

/**
 * The peer's `channel_ready`: the channel's step, then, when it made the
 * channel ready, our `announcement_signatures` if the channel is public and already 6 deep (a retransmitted
 * one after a reconnection changes nothing: the reestablish decided).
 */
function onChannelReady(core: ManagerCore, target: ChannelTarget, m: ChannelLevelMessage): void {
  const wasReady = target.item.channel.state === ChannelState.Ready;
  stepChannel(core, target, m);
  if (!wasReady) announceIfDue(core, target.key);
}

/** A BOLT 7 message for the network graph: to the `GossipHandler` port (dropped without one). */
function gossipRoute<M extends GraphGossipMessage>(name: string): PeerRoute<M> {
  return { kind: 'peer', name, handle: (core, peer, m) => core.ports.gossip?.handleGossip(peer, m) };
}

/** `revoke_and_ack`: the channel's step, then what it made irrevocable: received HTLCs to decide, offered ones failed for good. */
function onRevokeAndAck(core: ManagerCore, target: ChannelTarget, m: RevokeAndAckMessage): void {
  const before = target.item.channel;
  const after = stepChannel(core, target, m);
  if (after === undefined || !isOperating(after)) return;
  receivedHtlcsOfRevoke(core, target, before, after, m);
  paymentResultsOfRevoke(core, target, before, after, m);
  // HTLCs gone for good: their records go after this commit (its cleanup item).
  const remaining = new Set((after.htlcs ?? []).map((h) => `${h.direction}${h.id}`));
  const id = toHex(m.channelId);
  for (const h of before.htlcs ?? []) if (!remaining.has(`${h.direction}${h.id}`)) for (const key of htlcRecordKeys(id, h)) core.cs.deleteRecord(key, true);
}

function channelRoute<M extends ChannelLevelMessage & ChannelMessage = ChannelLevelMessage & ChannelMessage>(
  name: string,
  channelId: ChannelIdField,
  more: Partial<Pick<ChannelRoute<M>, 'zeroIdMeansAll' | 'unknownChannel' | 'beforeReestablish' | 'handle'>> = {},
): ChannelRoute<M> {
  return { kind: 'channel', name, channelId, unknownChannel: 'error', beforeReestablish: 'warn', handle: stepChannel, ...more };
}

/** The row of a message this node cannot handle yet (none today: add its type to `UnsupportedType`). */
export function unsupportedRoute(name: string): UnsupportedRoute {
  return { kind: 'unsupported', name, report: reportUnsupported };
}

/** The routing table, by message type. */
export const MESSAGE_ROUTES: RouteTable = {
  17: channelRoute('error', 'channelId', { zeroIdMeansAll: true, unknownChannel: 'ignore', beforeReestablish: 'handle' }),
  32: { kind: 'peer', name: 'open_channel', handle: (core, peer, m: OpenChannelMessage) => handleOpenChannel(core, peer, m) },
  // BOLT 7: the peer's policy for a private channel (route hints); other gossip is ignored by the peer layer.
  258: { kind: 'peer', name: 'channel_update', handle: (core, peer, m: ChannelUpdateMessage) => onChannelUpdate(core, peer, m) },
  // BOLT 7: our public channels' signatures (channel-announcements.ts); the rest of the gossip to the GossipHandler port.
  259: { kind: 'peer', name: 'announcement_signatures', handle: onAnnouncementSignatures },
  256: gossipRoute('channel_announcement'),
  257: gossipRoute('node_announcement'),
  261: gossipRoute('query_short_channel_ids'),
  262: gossipRoute('reply_short_channel_ids_end'),
  263: gossipRoute('query_channel_range'),
  264: gossipRoute('reply_channel_range'),
  265: gossipRoute('gossip_timestamp_filter'),
  33: channelRoute('accept_channel', 'temporaryChannelId'),
  34: channelRoute('funding_created', 'temporaryChannelId'),
  35: channelRoute('funding_signed', 'channelId'),
  36: channelRoute('channel_ready', 'channelId', { handle: onChannelReady }),
  // Cooperative close (shared/channel/cooperative-close.ts, docs/close.md); our close starts in close-calls.ts.
  38: channelRoute('shutdown', 'channelId'),
  39: channelRoute('closing_signed', 'channelId'),
  136: channelRoute('channel_reestablish', 'channelId', { beforeReestablish: 'handle', handle: resumeChannel }),
  // BOLT 2 normal operation (docs/htlcs.md).
  128: channelRoute('update_add_htlc', 'channelId', { handle: onUpdateAddHtlc }),
  130: channelRoute('update_fulfill_htlc', 'channelId', { handle: onUpdateFulfillHtlc }),
  131: channelRoute('update_fail_htlc', 'channelId', { handle: onUpdateFailHtlc }),
  132: channelRoute('commitment_signed', 'channelId'),
  133: channelRoute('revoke_and_ack', 'channelId', { handle: onRevokeAndAck }),
  134: channelRoute('update_fee', 'channelId'),
  135: channelRoute('update_fail_malformed_htlc', 'channelId', { handle: onUpdateFailHtlc }),
};

const ROWS: ReadonlyMap<number, MessageRoute> = new Map(
  Object.entries(MESSAGE_ROUTES as Record<string, MessageRoute>)
    .map(([type, route]) => [Number(type), route] as const)
    .sort(([a], [b]) => a - b),
);

/** The row of `type`, if it has one. */
export function routeOf(type: number): MessageRoute | undefined {
  return ROWS.get(type);
}

/** Message types the peer layer hands to the manager as messages (`channel-message` effects). */
export const MANAGER_MESSAGE_TYPES: ReadonlySet<number> = new Set([...ROWS].filter(([, r]) => r.kind !== 'unsupported').map(([t]) => t));

/** Message types the node cannot handle yet, with their BOLT names (in type order). */
export const UNSUPPORTED_MESSAGE_NAMES: ReadonlyMap<number, string> = new Map([...ROWS].filter(([, r]) => r.kind === 'unsupported').map(([t, r]) => [t, r.name]));

/** What the user and the peer layer are told about an unsupported message. */
export function unsupportedMessageText(type: number): string {
  return `the peer sent ${UNSUPPORTED_MESSAGE_NAMES.get(type)} (type ${type}): this node does not handle it yet; it was disconnected`;
}

/** The row of a message the manager handles. */
function handledRoute(m: ChannelMessage): PeerRoute | ChannelRoute {
  const route = routeOf(m.type);
  // Unreachable: `RouteTable` has a handled row for every `ChannelMessage` type.
  if (route === undefined || route.kind === 'unsupported') throw new Error(`no route for message type ${m.type}`);
  return route;
}

/** The id naming `m`'s channel, or null for a message without one, or `all` for every channel with the peer. */
export function channelIdOf(m: ChannelMessage): Uint8Array | 'all' | null {
  const route = handledRoute(m);
  if (route.kind === 'peer') return null;
  const id = (m as unknown as Record<ChannelIdField, Uint8Array>)[route.channelId];
  return route.zeroIdMeansAll && equalBytes(id, ZERO_ID) ? 'all' : id;
}

/** One message from `peer`, through its row. */
export function routeMessage(core: ManagerCore, peer: Uint8Array, m: ChannelMessage): void {
  const route = handledRoute(m);
  if (route.kind === 'peer') return route.handle(core, peer, m);
  const id = channelIdOf(m);
  if (id === 'all') {
    // Every channel of the peer: the unfunded ones here (bounded, loaded), each funded one in a follow-up of its own (docs/follow-ups.md).
    const unfunded = unfundedKeysOf(core, peer);
    for (const key of core.cs.channelKeysOfPeer(peer)) {
      const entry = unfunded.has(key) ? core.cs.entry(key) : undefined;
      if (entry !== undefined) toChannel(core, route, peer, currentIdOf(entry), key, entry, m as ChannelLevelMessage & ChannelMessage);
      else if (!unfunded.has(key) && m.type === 17) core.cs.followUp(peer, { kind: 'peer-error', channelId: channelIdOfKey(key), data: m.data });
    }
    return;
  }
  const key = core.cs.keyFor(peer, id!);
  toChannel(core, route, peer, id!, key, core.cs.entry(key), m as ChannelLevelMessage & ChannelMessage);
}

/** A `peer-error` follow-up: the peer's all-channels `error` for this one channel (as if it named it). */
export function applyPeerError(core: ManagerCore, peer: Uint8Array, channelId: Uint8Array, data: Uint8Array): void {
  const key = channelKey(peer, channelId);
  const entry = core.cs.entry(key);
  if (entry === undefined) return;
  toChannel(core, MESSAGE_ROUTES[17] as ChannelRoute, peer, currentIdOf(entry), key, entry, { type: 17, channelId: ZERO_ID, data });
}

function currentIdOf(entry: ChannelEntry): Uint8Array {
  return entry.kind === 'channel' ? currentChannelId(entry.channel) : entry.open.temporaryChannelId;
}

/** A message for the channel `key` (absent, a held request, or a channel), by its row. */
function toChannel(
  core: ManagerCore,
  route: ChannelRoute,
  peer: Uint8Array,
  id: Uint8Array,
  key: ChannelKey,
  entry: ChannelEntry | undefined,
  m: ChannelLevelMessage & ChannelMessage,
): void {
  const { cs } = core;
  if (entry === undefined) {
    if (route.unknownChannel === 'error') cs.send(peer, { type: 17, channelId: id, data: text('unknown channel') });
    return;
  }
  if (entry.kind === 'open-request') {
    // The peer moved on before the user accepted: the request is void.
    cs.removeEntry(key, entry);
    if (route.unknownChannel === 'error') cs.send(peer, { type: 17, channelId: id, data: text(`message type ${m.type} before the channel was accepted`) });
    return;
  }
  if (entry.flags?.awaitingReestablish && route.beforeReestablish === 'warn') {
    // BOLT 2: after a reconnection channel_reestablish comes first; this one is ignored.
    cs.send(peer, { type: 1, channelId: id, data: text(`message type ${m.type} before channel_reestablish`) });
    return;
  }
  route.handle(core, { peer, id, key, item: entry }, m);
}

