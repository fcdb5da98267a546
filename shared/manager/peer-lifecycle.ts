/**
 * A peer's channels across connections: LDK's `peer_connected` /
 * `peer_disconnected`, the unfunded channels dropped or aged out, and the
 * report of a message this node cannot handle yet (the routing table's
 * handler for the unsupported types).
 */
import { notePeerOffline, notePeerOnline } from './channel-update-status.js';
import { askForGossip } from './gossip-sync.js';
import { equalBytes } from '../codec/index.js';
import { ChannelFailureReason, closeChannel, errorMessage, isFundedChannel, ourChannelReestablish } from '../channel/index.js';
import { fromHex } from '../crypto/index.js';
import { channelKey, withFlags, type ChannelKey } from './channel-entry.js';
import { applyStep } from './channel-step.js';
import { UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS } from './manager-config.js';
import { channelContext, type ManagerCore } from './manager-core.js';

/** The channel id part of a channel key (`<peer hex>#<channel id hex>`). */
export function channelIdOfKey(key: ChannelKey): Uint8Array {
  return fromHex(key.slice(key.indexOf('#') + 1));
}

/** The keys of the peer's channels not funded yet (and held requests), from the header. */
export function unfundedKeysOf(core: ManagerCore, peer: Uint8Array): Set<ChannelKey> {
  return new Set(core.cs.header.unfunded.filter((u) => equalBytes(u.counterpartyNodeId, peer)).map((e) => channelKey(e.counterpartyNodeId, e.channelId)));
}

/**
 * LDK's `peer_connected`: remembers the peer's `init` features (and its
 * connection); unfunded channels are dropped as on a disconnection; every
 * other channel of the peer gets a `reestablish` follow-up for this
 * connection (docs/follow-ups.md): however many channels the peer has, this
 * input writes a bounded number of items. A peer signalling
 * `gossip_queries` is asked for its gossip (gossip-sync.ts).
 */
export function peerConnected(core: ManagerCore, counterpartyNodeId: Uint8Array, theirInitFeatures: Uint8Array, connectionId?: string): void {
  const { cs } = core;
  const unfunded = unfundedKeysOf(core, counterpartyNodeId);
  dropUnfunded(core, counterpartyNodeId);
  cs.setConnected(counterpartyNodeId, theirInitFeatures, connectionId);
  notePeerOnline(cs, counterpartyNodeId);
  for (const key of cs.channelKeysOfPeer(counterpartyNodeId)) {
    if (!unfunded.has(key)) cs.followUp(counterpartyNodeId, { kind: 'reestablish', channelId: channelIdOfKey(key) }, connectionId);
  }
  askForGossip(core, counterpartyNodeId, theirInitFeatures);
}

/**
 * A `reestablish` follow-up: our `channel_reestablish` for a funded channel,
 * which then waits for the peer's (flag `awaitingReestablish`). Nothing when
 * the peer is gone or on another connection now (that connection made its
 * own follow-ups), or when ours already went out on this connection (the
 * peer's came first: message-routes.ts).
 */
export function applyReestablish(core: ManagerCore, peer: Uint8Array, channelId: Uint8Array, connectionId?: string): void {
  const { cs } = core;
  const current = cs.connectionOf(peer);
  if (cs.featuresOf(peer) === undefined || (connectionId !== undefined && current !== undefined && current !== connectionId)) return;
  const key = channelKey(peer, channelId);
  const entry = cs.entry(key);
  if (entry?.kind !== 'channel' || !isFundedChannel(entry.channel)) return;
  if (connectionId !== undefined && entry.reestablishedOn === connectionId) return;
  cs.send(peer, ourChannelReestablish(channelContext(core), entry.channel));
  const flagged = withFlags(entry, { awaitingReestablish: true });
  cs.putEntry(key, connectionId === undefined ? flagged : { ...flagged, reestablishedOn: connectionId });
}

/**
 * LDK's `peer_disconnected`: unfunded channels are dropped (`peer-disconnected`), held requests vanish; funded channels stay,
 * and a peer with some goes on the header's offline list (its channel keys were listed: load-plan.ts): a full minute of
 * timer ticks later its channels are disabled (channel-update-status.ts).
 */
export function peerDisconnected(core: ManagerCore, counterpartyNodeId: Uint8Array): void {
  const unfunded = unfundedKeysOf(core, counterpartyNodeId);
  core.cs.setConnected(counterpartyNodeId, null);
  dropUnfunded(core, counterpartyNodeId);
  if (core.cs.channelKeysOfPeer(counterpartyNodeId).some((key) => !unfunded.has(key))) notePeerOffline(core.cs, counterpartyNodeId);
}

/**
 * LDK's unfunded-channel age limit, in blocks: a channel still unfunded
 * {@link UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS} after its creation, or an
 * inbound request never accepted, is closed (`unfunded-timed-out`) with an
 * `error` to the peer.
 */
export function expireUnfunded(core: ManagerCore, height: number): void {
  const { cs } = core;
  for (const e of cs.header.unfunded.filter((u) => u.sinceHeight + UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS <= height)) {
    const key = channelKey(e.counterpartyNodeId, e.channelId);
    const entry = cs.entry(key);
    if (entry === undefined) continue;
    const message = `not funded within ${UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS} blocks of its creation`;
    if (entry.kind === 'open-request') {
      cs.removeEntry(key, entry);
      cs.send(e.counterpartyNodeId, errorMessage(e.temporaryChannelId, ChannelFailureReason.UnfundedTimedOut, message));
      continue;
    }
    applyStep(core, key, entry, closeChannel(entry.channel, ChannelFailureReason.UnfundedTimedOut, message));
  }
}

/** Drops the peer's channels not funded yet and its held inbound requests (BOLT 2: not remembered across a disconnection). */
function dropUnfunded(core: ManagerCore, counterpartyNodeId: Uint8Array): void {
  const { cs } = core;
  for (const e of cs.header.unfunded.filter((u) => equalBytes(u.counterpartyNodeId, counterpartyNodeId))) {
    const key = channelKey(e.counterpartyNodeId, e.channelId);
    const entry = cs.entry(key);
    if (entry === undefined) continue;
    if (entry.kind === 'open-request') {
      cs.removeEntry(key, entry);
      continue;
    }
    applyStep(core, key, entry, closeChannel(entry.channel, ChannelFailureReason.PeerDisconnected, 'the peer disconnected before the channel was funded', false));
  }
}

/**
 * The peer was disconnected for a message this node cannot handle yet: the
 * first time per type, an `UnsupportedMessage` event (the header remembers
 * the type). Returns whether this was the first time.
 */
export function reportUnsupported(core: ManagerCore, peer: Uint8Array, messageType: number, message: string): boolean {
  const { cs } = core;
  const reported = cs.header.reportedUnsupported ?? [];
  if (reported.includes(messageType)) return false;
  cs.setHeader({ ...cs.header, reportedUnsupported: [...reported, messageType] });
  cs.emit({ kind: 'unsupported-message', counterpartyNodeId: peer, messageType, message });
  return true;
}
