/**
 * One invocation's in-memory state, shared by every module of the manager
 * (docs/manager.md, "Message routing"): the header (and whether it
 * changed), the channel items loaded and what was loaded (keys, peers, all),
 * the connected peers, and the pending writes: items to put and delete,
 * monitor writes, events, messages and broadcasts. `take()` hands the
 * pending writes over as `ManagerChanges` and forgets them.
 */
import { equalBytes } from '../codec/index.js';
import { currentChannelId } from '../channel/index.js';
import { toHex } from '../crypto/index.js';
import type { WireMessage } from '../wire/index.js';
import { channelKey, decodeChannelEntry, encodeChannelEntry, type ChannelEntry, type ChannelFlags, type ChannelItem, type ChannelKey } from './channel-entry.js';
import { reindexChannel } from './header-index.js';
import { ManagerError, ManagerErrorCode } from './manager-errors.js';
import type { EventRecord, ManagerEvent } from './manager-event.js';
import { encodeManagerHeader, type BestBlock, type ManagerHeader, type UnfundedEntry } from './manager-header.js';
import type { LoadPlan, ManagerChanges, MonitorWrite, OutboundMessage } from './manager-types.js';

const NO_FEATURES = new Uint8Array(0);

export class ChangeSet {
  #header: ManagerHeader;
  #headerDirty: boolean;
  readonly #entries = new Map<ChannelKey, ChannelEntry>();
  readonly #loadedKeys = new Set<ChannelKey>();
  readonly #loadedPeers = new Set<string>();
  #allLoaded: boolean;
  readonly #connected: Map<string, Uint8Array>;

  #puts = new Map<ChannelKey, ChannelEntry>();
  #deletes = new Set<ChannelKey>();
  #monitorWrites: MonitorWrite[] = [];
  #events: EventRecord[] = [];
  #messages: OutboundMessage[] = [];
  #broadcasts: Uint8Array[] = [];

  /** `fresh`: a new node (every channel is loaded: there is none); `headerDirty`: the header is written at the next `take()`. */
  constructor(header: ManagerHeader, fresh: boolean, connected: ReadonlyMap<string, Uint8Array>, headerDirty = fresh) {
    this.#header = header;
    this.#headerDirty = headerDirty;
    this.#allLoaded = fresh;
    this.#connected = new Map(connected);
  }

  // ---------------------------------------------------------------- header

  get header(): ManagerHeader {
    return this.#header;
  }

  /** Replaces the header (marked changed unless it is the same object). */
  setHeader(next: ManagerHeader): void {
    if (next === this.#header) return;
    this.#header = next;
    this.#headerDirty = true;
  }

  setBestBlock(best: BestBlock): void {
    const now = this.#header.bestBlock;
    if (now.height === best.height && equalBytes(now.hash, best.hash)) return;
    this.setHeader({ ...this.#header, bestBlock: best });
  }

  /** Replaces the header index entries of the channel known by `ids` with `peer` by those of `entry` (header-index.ts). */
  reindex(peer: Uint8Array, ids: readonly Uint8Array[], entry: ChannelEntry | null): void {
    this.setHeader(reindexChannel(this.#header, peer, ids, entry));
  }

  /** Channels in the header's indexes: not funded yet, or funded and not yet buried (each one a write per block). */
  channelsInFlight(): number {
    return this.#header.unfunded.length + this.#header.confirming.length;
  }

  unfundedByTemporaryId(temporaryChannelId: Uint8Array, peer?: Uint8Array): UnfundedEntry[] {
    return this.#header.unfunded.filter((e) => equalBytes(e.temporaryChannelId, temporaryChannelId) && (peer === undefined || equalBytes(e.counterpartyNodeId, peer)));
  }

  /** The item key of the channel `id` (temporary or real) with `peer`. */
  keyFor(peer: Uint8Array, id: Uint8Array): ChannelKey {
    const unfunded = this.#header.unfunded.find((e) => equalBytes(e.counterpartyNodeId, peer) && (equalBytes(e.temporaryChannelId, id) || equalBytes(e.channelId, id)));
    return channelKey(peer, unfunded?.channelId ?? id);
  }

  // ---------------------------------------------------------------- peers

  /** The peer's `init` features when it is connected. */
  featuresOf(peer: Uint8Array): Uint8Array | undefined {
    return this.#connected.get(toHex(peer));
  }

  /** The peer's `init` features, empty when unknown. */
  featuresOrNone(peer: Uint8Array): Uint8Array {
    return this.featuresOf(peer) ?? NO_FEATURES;
  }

  setConnected(peer: Uint8Array, features: Uint8Array | null): void {
    if (features === null) this.#connected.delete(toHex(peer));
    else this.#connected.set(toHex(peer), features);
  }

  /** The item's flags, with the derived `peerDisconnected`. */
  flagsOf(item: ChannelItem): ChannelFlags {
    const disconnected = !this.#connected.has(toHex(item.channel.counterpartyNodeId));
    return { ...item.flags, ...(disconnected ? { peerDisconnected: true as const } : {}) };
  }

  // ---------------------------------------------------------------- loaded items

  /** Adds the items loaded for `plan` (absent keys are known not to exist). */
  loadChannels(plan: LoadPlan, items: ReadonlyMap<ChannelKey, Uint8Array>): void {
    for (const key of plan.keys) this.#loadedKeys.add(key);
    for (const peer of plan.peers) this.#loadedPeers.add(peer);
    if (plan.all) this.#allLoaded = true;
    for (const [key, bytes] of items) {
      const decoded = decodeChannelEntry(bytes);
      if (!decoded.ok) throw new ManagerError(ManagerErrorCode.CorruptState, `channel item ${key} does not decode: ${decoded.error.message}`);
      this.#entries.set(key, decoded.value);
    }
  }

  /** The item under `key`, undefined when it does not exist; throws `not-loaded` when the plan did not load it. */
  entry(key: ChannelKey): ChannelEntry | undefined {
    const loaded = this.#allLoaded || this.#loadedKeys.has(key) || this.#loadedPeers.has(key.slice(0, key.indexOf('#'))) || this.#entries.has(key);
    if (!loaded) throw new ManagerError(ManagerErrorCode.NotLoaded, `channel item ${key} was not loaded for this input`);
    return this.#entries.get(key);
  }

  /** A snapshot of the loaded items (safe to change the set while iterating it). */
  loadedEntries(): [ChannelKey, ChannelEntry][] {
    return [...this.#entries];
  }

  /** Every item of `peer`: throws `not-loaded` unless all its items were loaded. */
  entriesOfPeer(peer: Uint8Array): [ChannelKey, ChannelEntry][] {
    const peerHex = toHex(peer);
    if (!this.#allLoaded && !this.#loadedPeers.has(peerHex)) throw new ManagerError(ManagerErrorCode.NotLoaded, `the channels of peer ${peerHex} are not loaded`);
    return this.loadedEntries().filter(([key]) => key.startsWith(`${peerHex}#`));
  }

  putEntry(key: ChannelKey, entry: ChannelEntry): void {
    this.#entries.set(key, entry);
    this.#puts.set(key, entry);
    this.#deletes.delete(key);
  }

  deleteKey(key: ChannelKey): void {
    this.#entries.delete(key);
    this.#puts.delete(key);
    this.#deletes.add(key);
    this.#loadedKeys.add(key);
  }

  /** Deletes the item and its header index entries. */
  removeEntry(key: ChannelKey, entry: ChannelEntry): void {
    this.deleteKey(key);
    const peer = entry.kind === 'channel' ? entry.channel.counterpartyNodeId : entry.counterpartyNodeId;
    const ids = entry.kind === 'channel' ? [entry.channel.temporaryChannelId, currentChannelId(entry.channel)] : [entry.open.temporaryChannelId];
    this.reindex(peer, ids, null);
  }

  // ---------------------------------------------------------------- pending writes

  send(peer: Uint8Array, message: WireMessage): void {
    this.#messages.push({ peer, message });
  }

  /** Sends the `send-message` effects among `effects`. */
  sendAll(peer: Uint8Array, effects: readonly { readonly kind: string; readonly message?: WireMessage }[]): void {
    for (const e of effects) if (e.kind === 'send-message' && e.message) this.send(peer, e.message);
  }

  broadcast(tx: Uint8Array): void {
    this.#broadcasts.push(tx);
  }

  writeMonitor(write: MonitorWrite): void {
    this.#monitorWrites.push(write);
  }

  /** The event, under the header's next event id. */
  emit(event: ManagerEvent): void {
    const id = this.#header.nextEventId;
    this.setHeader({ ...this.#header, nextEventId: id + 1n });
    this.#events.push({ id, event });
  }

  /** The messages queued so far, forgotten (they no longer leave with `take()`). */
  takeMessages(): OutboundMessage[] {
    const out = this.#messages;
    this.#messages = [];
    return out;
  }

  /** Everything changed since the last call, then forgotten. */
  take(): ManagerChanges {
    const put = new Map<ChannelKey, Uint8Array>();
    for (const [key, entry] of this.#puts) put.set(key, encodeChannelEntry(entry));
    const changes: ManagerChanges = {
      ...(this.#headerDirty ? { header: encodeManagerHeader(this.#header) } : {}),
      channels: { put, delete: [...this.#deletes] },
      monitors: { put: this.#monitorWrites },
      events: this.#events,
      messages: this.#messages,
      broadcasts: this.#broadcasts,
    };
    this.#headerDirty = false;
    this.#puts = new Map();
    this.#deletes = new Set();
    this.#monitorWrites = [];
    this.#events = [];
    this.#messages = [];
    this.#broadcasts = [];
    return changes;
  }
}
