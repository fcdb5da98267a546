/**
 * A peer's channels across connections: LDK's `peer_connected` /
 * `peer_disconnected`, the unfunded channels dropped or aged out, and the
 * report of a message this node cannot handle yet (the routing table's
 * handler for the unsupported types).
 */
import { equalBytes } from '../codec/index.js';
import { ChannelFailureReason, closeChannel, errorMessage, isFundedChannel, ourChannelReestablish } from '../channel/index.js';
import { toHex } from '../crypto/index.js';
import { channelKey, withFlags } from './channel-entry.js';
import { applyStep } from './channel-step.js';
import { UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS } from './manager-config.js';
import { channelContext, type ManagerCore } from './manager-core.js';

/**
 * LDK's `peer_connected`: remembers the peer's `init` features; unfunded
 * channels are dropped as on a disconnection; every funded channel sends
 * `channel_reestablish` and is flagged `awaitingReestablish`.
 */
export function peerConnected(core: ManagerCore, counterpartyNodeId: Uint8Array, theirInitFeatures: Uint8Array): void {
  const { cs } = core;
  dropUnfunded(core, counterpartyNodeId);
  cs.setConnected(counterpartyNodeId, theirInitFeatures);
  const prefix = `${toHex(counterpartyNodeId)}#`;
  for (const [key, entry] of cs.loadedEntries()) {
    if (!key.startsWith(prefix) || entry.kind !== 'channel' || !isFundedChannel(entry.channel)) continue;
    cs.send(counterpartyNodeId, ourChannelReestablish(channelContext(core), entry.channel));
    if (!entry.flags?.awaitingReestablish) cs.putEntry(key, withFlags(entry, { awaitingReestablish: true }));
  }
}

/** LDK's `peer_disconnected`: unfunded channels are dropped (`peer-disconnected`), held requests vanish; funded channels stay. */
export function peerDisconnected(core: ManagerCore, counterpartyNodeId: Uint8Array): void {
  core.cs.setConnected(counterpartyNodeId, null);
  dropUnfunded(core, counterpartyNodeId);
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
