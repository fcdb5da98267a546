/**
 * Whether our `channel_update` says a channel can forward (LDK's
 * `ChannelUpdateStatus`, driven by `timer_tick_occurred`; BOLT 7: a node
 * "SHOULD set the `disable` bit" for a channel it cannot use for a while).
 *
 * - A peer that disconnects goes on the header's `offlinePeers` list with
 *   the tick count then. The timer tick that comes
 *   {@link DISABLE_AFTER_TICKS} ticks later (so the peer has been gone for
 *   at least one whole tick interval: a full minute) loads that peer's
 *   channels and disables each ready one: our update with the `disable`
 *   bit is signed, its timestamp kept on the channel item
 *   (`disabledUpdateAt`, so the update in force is the disabled one: BOLT 4
 *   failures carry it, forwards into the channel fail with
 *   `channel_disabled`), and, for a public channel
 *   ({@link isPublicNow}), sent to every other connected peer, which relay
 *   it to the network. A private channel's update goes nowhere (the network
 *   does not know the channel); its peer gets the enabled one on return.
 * - A peer that reconnects leaves the list. When its `channel_reestablish`
 *   makes a disabled channel usable again, the flag is cleared and our
 *   enabled update, with a timestamp newer than the disabled one's, goes to
 *   the peer and, for a public channel, to the other connected peers.
 *
 * LDK 0.1 waits some ticks either way (`DISABLE_GOSSIP_TICKS`,
 * `ENABLE_GOSSIP_TICKS`); we disable after one full interval, as the seed's
 * LDK did, and enable at once: a channel that forwards again should say so.
 * Pure: timestamps from the clock port, signatures from the node signer.
 */
import { ChannelState, type Channel } from '../channel/index.js';
import { equalBytes } from '../codec/index.js';
import { toHex } from '../crypto/index.js';
import type { ChangeSet } from './change-set.js';
import type { ChannelItem, ChannelKey } from './channel-entry.js';
import { log, type ManagerCore } from './manager-core.js';
import type { OfflinePeer } from './manager-header.js';
import { isPublicNow, ourChannelUpdate } from './our-channel-update.js';

/**
 * Ticks between a peer's disconnection and the tick that disables its
 * channels: the peer left after tick k, tick k + 1 may come a second
 * later, tick k + 2 a full interval after that.
 */
export const DISABLE_AFTER_TICKS = 2;

/** Offline peers one tick handles at most (each a Query of its channels); the others wait for the next tick. */
export const OFFLINE_PEERS_PER_TICK = 10;

/**
 * Channels one tick disables at most (one item write each, in the tick's
 * commit, which DynamoDB bounds at 100 items with the tick's own); a peer
 * with more stays on the list for the next tick.
 */
export const DISABLES_PER_TICK = 50;

/** The peer went offline: on the header's list from the tick count now (once). */
export function notePeerOffline(cs: ChangeSet, peer: Uint8Array): void {
  const list = cs.header.offlinePeers ?? [];
  if (list.some((o) => equalBytes(o.peer, peer))) return;
  cs.setHeader({ ...cs.header, offlinePeers: [...list, { peer, sinceTick: cs.ticks }] });
}

/** The peer is back (or done with): off the list. */
export function notePeerOnline(cs: ChangeSet, peer: Uint8Array): void {
  const list = cs.header.offlinePeers ?? [];
  if (!list.some((o) => equalBytes(o.peer, peer))) return;
  cs.setHeader({ ...cs.header, offlinePeers: list.filter((o) => !equalBytes(o.peer, peer)) });
}

/** The offline peers a tick taking the count to `tick` handles: gone {@link DISABLE_AFTER_TICKS} ticks, oldest first, at most {@link OFFLINE_PEERS_PER_TICK}. */
export function dueOfflinePeers(offline: readonly OfflinePeer[] | undefined, tick: number): OfflinePeer[] {
  return (offline ?? []).filter((o) => tick - o.sinceTick >= DISABLE_AFTER_TICKS).slice(0, OFFLINE_PEERS_PER_TICK);
}

/** Whether our update in force for the channel of `item` says disabled. */
export function isUpdateDisabled(item: ChannelItem): boolean {
  return item.disabledUpdateAt !== undefined;
}

/** Sends `update` of a public channel to every connected peer but `except` (the channel's own peer). */
export function toOtherPeers(core: ManagerCore, except: Uint8Array, update: NonNullable<ReturnType<typeof ourChannelUpdate>>): number {
  let sent = 0;
  for (const peer of core.cs.connectedPeerIds()) {
    if (equalBytes(peer, except)) continue;
    core.cs.send(peer, update);
    sent++;
  }
  return sent;
}

/**
 * The tick's part (its plan loaded the due peers' channels): each ready
 * channel of a due peer still offline gets our disabled update, stored
 * and, when public, sent to the other connected peers. A peer leaves the
 * list once all its channels are done (or it is connected again). Returns
 * how many channels were disabled.
 */
export function disableOfflineChannels(core: ManagerCore, tick: number): number {
  const { cs } = core;
  let disabled = 0;
  for (const { peer } of dueOfflinePeers(cs.header.offlinePeers, tick)) {
    if (cs.featuresOf(peer) !== undefined) {
      notePeerOnline(cs, peer);
      continue;
    }
    const due = cs.entriesOfPeer(peer).filter((e): e is [ChannelKey, ChannelItem] => e[1].kind === 'channel' && e[1].channel.state === ChannelState.Ready && !isUpdateDisabled(e[1]));
    const now = due.slice(0, DISABLES_PER_TICK - disabled);
    for (const [key, item] of now) {
      const update = ourChannelUpdate(core, item.channel, { disabled: true });
      if (update === undefined) continue;
      cs.putEntry(key, { ...item, disabledUpdateAt: update.timestamp });
      const relayed = isPublicNow(item.channel) ? toOtherPeers(core, peer, update) : 0;
      log(core, 'info', `channel ${key}: peer ${toHex(peer)} offline since tick ${tick - DISABLE_AFTER_TICKS} or before: disabled channel_update${relayed > 0 ? ` sent to ${relayed} peer(s)` : ''}`);
      disabled++;
    }
    if (now.length === due.length) notePeerOnline(cs, peer);
    if (disabled >= DISABLES_PER_TICK) break;
  }
  return disabled;
}

/**
 * After the peer's `channel_reestablish` stepped the channel `key` (now
 * `channel`): our update to the peer (LDK sends its own there too), enabled;
 * for a channel we had disabled, the flag cleared, the timestamp newer than
 * the disabled update's, and, when public, the same update to the other
 * connected peers.
 */
export function updateAfterReestablish(core: ManagerCore, key: ChannelKey, channel: Channel): void {
  const { cs } = core;
  if (channel.state !== ChannelState.Ready) return;
  const item = cs.entry(key);
  const disabledAt = item?.kind === 'channel' ? item.disabledUpdateAt : undefined;
  const update = ourChannelUpdate(core, channel, disabledAt === undefined ? {} : { notBefore: disabledAt + 1 });
  if (update === undefined) return;
  cs.send(channel.counterpartyNodeId, update);
  if (item?.kind !== 'channel' || disabledAt === undefined) return;
  const { disabledUpdateAt: _was, ...enabled } = item;
  cs.putEntry(key, enabled);
  if (isPublicNow(channel)) toOtherPeers(core, channel.counterpartyNodeId, update);
}
