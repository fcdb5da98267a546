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
import { fromHex, toHex } from '../crypto/index.js';
import type { WireMessage } from '../wire/index.js';
import {
  channelKey,
  channelPartKey,
  decodeChannelEntry,
  encodeChannelEntryParts,
  parseChannelPartKey,
  storedParts,
  type ChannelEntry,
  type ChannelFlags,
  type ChannelItem,
  type ChannelKey,
  type ChannelPartName,
} from './channel-entry.js';
import {
  confirmingKey,
  decodeChannelRef,
  decodeFunderEntry,
  encodeConfirmingIndex,
  channelIndexChanges,
  indexEntriesOf,
  decodeConfirmingIndex,
  IndexPrefix,
  type ChannelRef,
  type FunderEntry,
  type IndexKey,
} from './channel-indexes.js';
import { followUpFor, type ChainEvent, type FollowUpWork } from './follow-up.js';
import { reindexChannel } from './header-index.js';
import { ManagerError, ManagerErrorCode } from './manager-errors.js';
import type { EventRecord, ManagerEvent } from './manager-event.js';
import { encodeManagerHeader, type BestBlock, type ConfirmingEntry, type ManagerHeader, type UnfundedEntry } from './manager-header.js';
import type { FollowUp, LoadPlan, ManagerChanges, MonitorWrite, OutboundMessage, PeerWireMessage } from './manager-types.js';
import type { RecordKey } from './payment-records.js';

const NO_FEATURES = new Uint8Array(0);

export class ChangeSet {
  #header: ManagerHeader;
  #headerDirty: boolean;
  readonly #entries = new Map<ChannelKey, ChannelEntry>();
  readonly #loadedKeys = new Set<ChannelKey>();
  readonly #loadedPeers = new Set<string>();
  readonly #scidsLookedUp = new Set<bigint>();
  #allLoaded: boolean;
  readonly #connected: Map<string, Uint8Array>;
  readonly #connections: Map<string, string>;
  /** The confirming index as loaded (and as changed by this input), by index key; undefined until loaded. */
  #confirming: Map<IndexKey, ConfirmingEntry> | undefined;
  /** The expiry index as loaded (chain inputs), undefined until loaded. */
  #expiring: { height: number; ref: ChannelRef }[] | undefined;
  /** The oldest `MPP#` index items (timer ticks), by key, as loaded; undefined until loaded. */
  #mppWaiting: IndexKey[] | undefined;
  /** The funder index (timer ticks), undefined until loaded. */
  #funders: FunderEntry[] | undefined;
  /** Channel keys of peers listed without their items (a keys-only Query), by peer hex. */
  readonly #keysOfPeers = new Map<string, ChannelKey[]>();

  /**
   * The part items of each channel as the store holds them (as loaded, then
   * as written by `take()`): a part is written only when its bytes change
   * (docs/items.md, "The channel item in parts").
   */
  readonly #storedParts = new Map<ChannelKey, Map<ChannelPartName, Uint8Array>>();
  #puts = new Map<ChannelKey, ChannelEntry>();
  #indexPuts = new Map<IndexKey, Uint8Array>();
  #indexDeletes = new Set<IndexKey>();
  #indexDeferred = new Set<IndexKey>();
  /** Chain events per channel (follow-ups made at `take()`), in the order the chain told them. */
  #chainWork = new Map<IndexKey, { peer: Uint8Array; channelId: Uint8Array; events: ChainEvent[] }>();
  #followUps: FollowUp[] = [];
  #deletes = new Set<ChannelKey>();
  /** Part items of channels gone (or parts no longer named): deleted after the commit, in its cleanup item (docs/items.md). */
  #partsDeferred = new Set<string>();
  #monitorWrites: MonitorWrite[] = [];
  /** Payment records loaded (null: known absent) and as changed by this input. */
  readonly #records = new Map<RecordKey, Uint8Array | null>();
  #recordPuts = new Map<RecordKey, Uint8Array>();
  #recordDeletes = new Set<RecordKey>();
  #recordDeferred = new Set<RecordKey>();
  /** When DynamoDB may delete a record put in this input (its TTL, seconds since 1970), by key. */
  #recordExpiry = new Map<RecordKey, number>();
  #events: EventRecord[] = [];
  #messages: OutboundMessage[] = [];
  #broadcasts: Uint8Array[] = [];

  /** `fresh`: a new node (every channel is loaded: there is none); `headerDirty`: the header is written at the next `take()`. */
  constructor(header: ManagerHeader, fresh: boolean, connected: ReadonlyMap<string, Uint8Array>, headerDirty = fresh, connections: ReadonlyMap<string, string> = new Map()) {
    this.#header = header;
    this.#headerDirty = headerDirty;
    this.#allLoaded = fresh;
    this.#connected = new Map(connected);
    this.#connections = new Map(connections);
    if (fresh) this.#confirming = new Map();
    const legacy = header.legacyConfirming ?? [];
    if (legacy.length > 0) {
      // A header written before index items: its confirming list moves to index items in this commit.
      const { legacyConfirming: _moved, ...rest } = header;
      this.#header = rest;
      this.#headerDirty = true;
      this.#confirming = new Map();
      for (const e of legacy) {
        const key = confirmingKey(e);
        this.#confirming.set(key, e);
        this.#indexPuts.set(key, encodeConfirmingIndex(e));
      }
    }
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

  /** Counts one timer tick (LDK's `timer_tick_occurred`); returns the count after it. */
  tick(): number {
    const ticks = (this.#header.timerTicks ?? 0) + 1;
    this.setHeader({ ...this.#header, timerTicks: ticks });
    return ticks;
  }

  /** Timer ticks so far. */
  get ticks(): number {
    return this.#header.timerTicks ?? 0;
  }

  /** Outbound channels not funded yet (in the header). */
  unfundedOutbound(): number {
    return this.#header.unfunded.filter((e) => e.isOutbound).length;
  }

  // ---------------------------------------------------------------- index items

  /** Adds the confirming index items read for this input (a header's legacy list, moved at construction, stays). */
  loadConfirming(items: Iterable<Uint8Array>): void {
    const loaded = this.#confirming ?? new Map<IndexKey, ConfirmingEntry>();
    for (const bytes of items) {
      const decoded = decodeConfirmingIndex(bytes);
      if (!decoded.ok) throw new ManagerError(ManagerErrorCode.CorruptState, `a confirming index item does not decode: ${decoded.error.message}`);
      const key = confirmingKey(decoded.value);
      if (!loaded.has(key)) loaded.set(key, decoded.value);
    }
    this.#confirming = loaded;
  }

  /** The funded channels not yet buried (the confirming index, or what every loaded channel implies); throws `not-loaded` when neither was loaded. */
  confirming(): ConfirmingEntry[] {
    if (this.#confirming === undefined && this.#allLoaded) {
      const derived = new Map<IndexKey, Uint8Array>();
      for (const entry of this.#entries.values()) for (const [key, value] of indexEntriesOf(entry)) if (key.startsWith(IndexPrefix.confirming)) derived.set(key, value);
      this.loadConfirming(derived.values());
    }
    if (this.#confirming === undefined) throw new ManagerError(ManagerErrorCode.NotLoaded, 'the confirming index was not loaded for this input');
    return [...this.#confirming.values()];
  }

  /** Writes the index items that take a channel from what `before` implied to what `after` does (no read needed). */
  reindexItems(before: ChannelEntry | null | undefined, after: ChannelEntry | null | undefined): void {
    const changes = channelIndexChanges(before, after);
    for (const key of changes.delete) this.#deleteIndex(key);
    for (const key of changes.deferred) {
      this.#indexPuts.delete(key);
      this.#indexDeferred.add(key);
    }
    for (const [key, value] of changes.put) {
      this.#indexPuts.set(key, value);
      this.#indexDeletes.delete(key);
      this.#indexDeferred.delete(key);
      if (key.startsWith(IndexPrefix.confirming) && this.#confirming !== undefined) {
        const decoded = decodeConfirmingIndex(value);
        if (decoded.ok) this.#confirming.set(key, decoded.value);
      }
    }
  }

  /** Deletes an index item (one that names a channel no longer there is dropped this way). */
  #deleteIndex(key: IndexKey): void {
    this.#indexPuts.delete(key);
    this.#indexDeletes.add(key);
    this.#confirming?.delete(key);
  }

  /** Adds the expiry index items read for a plan with `expiring` (`EXPIRY#<height>#…`: a channel with an HTLC expiring at that height). */
  loadExpiring(items: readonly { readonly key: IndexKey; readonly data: Uint8Array }[]): void {
    const out: { height: number; ref: ChannelRef }[] = [];
    for (const { key, data } of items) {
      const height = Number(key.slice(IndexPrefix.expiry.length).split('#')[0]);
      const ref = decodeChannelRef(data);
      if (!ref.ok || !Number.isSafeInteger(height)) throw new ManagerError(ManagerErrorCode.CorruptState, `an expiry index item does not decode: ${key}`);
      out.push({ height, ref: ref.value });
    }
    this.#expiring = out;
  }

  /** The channels with an HTLC expiring at or below `height` (the expiry index, loaded by a `chain` input); none when not loaded. */
  expiringBy(height: number): ChannelRef[] {
    return (this.#expiring ?? []).filter((e) => e.height <= height).map((e) => e.ref);
  }

  /** Puts an index item no channel implies (an `MPP#` item of a payment collecting parts). */
  putIndexItem(key: IndexKey, data: Uint8Array): void {
    this.#indexPuts.set(key, data);
    this.#indexDeletes.delete(key);
    this.#indexDeferred.delete(key);
  }

  /** Deletes an index item no channel implies, in this commit. */
  deleteIndexItem(key: IndexKey): void {
    this.#deleteIndex(key);
  }

  /** Adds the oldest `MPP#` index items read for a timer tick (keys below `INDEX#`). */
  loadMppWaiting(keys: readonly IndexKey[]): void {
    this.#mppWaiting = [...keys];
  }

  /** The `MPP#` items loaded, oldest first; throws `not-loaded` when they were not. */
  mppWaiting(): IndexKey[] {
    if (this.#mppWaiting === undefined) throw new ManagerError(ManagerErrorCode.NotLoaded, 'the MPP index was not loaded for this input');
    return [...this.#mppWaiting];
  }

  /** Adds the funder index items read for a timer tick. */
  loadFunders(items: Iterable<Uint8Array>): void {
    const out: FunderEntry[] = [];
    for (const bytes of items) {
      const decoded = decodeFunderEntry(bytes);
      if (!decoded.ok) throw new ManagerError(ManagerErrorCode.CorruptState, `a funder index item does not decode: ${decoded.error.message}`);
      out.push(decoded.value);
    }
    this.#funders = out;
  }

  /** The ready channels we fund (the funder index); throws `not-loaded` when it was not loaded. */
  funders(): FunderEntry[] {
    if (this.#funders === undefined) throw new ManagerError(ManagerErrorCode.NotLoaded, 'the funder index was not loaded for this input');
    return [...this.#funders];
  }

  /** Drops the confirming index item of a channel that is gone. */
  dropConfirming(peer: Uint8Array, channelId: Uint8Array): void {
    this.#deleteIndex(confirmingKey({ counterpartyNodeId: peer, channelId }));
  }

  // ---------------------------------------------------------------- follow-ups

  /** A chain event for a confirming channel: it travels in the channel's `chain` follow-up (docs/follow-ups.md). */
  chainEvent(e: ConfirmingEntry, event: ChainEvent): void {
    const key = confirmingKey(e);
    let work = this.#chainWork.get(key);
    if (work === undefined) this.#chainWork.set(key, (work = { peer: e.counterpartyNodeId, channelId: e.channelId, events: [] }));
    work.events.push(event);
  }

  /** One channel's share of work that touches many, as an input of its own. */
  followUp(peer: Uint8Array, work: FollowUpWork, connectionId?: string): void {
    this.#followUps.push(followUpFor(peer, work, connectionId));
  }

  /** The channel keys of `peer` (from a keys-only listing, or the loaded items); throws `not-loaded` when neither was loaded. */
  channelKeysOfPeer(peer: Uint8Array): ChannelKey[] {
    const peerHex = toHex(peer);
    const listed = this.#keysOfPeers.get(peerHex);
    if (listed !== undefined) return [...listed];
    return this.entriesOfPeer(peer).map(([key]) => key);
  }

  /** Records the keys of a peer's channels, listed without their items. */
  loadChannelKeys(peerHex: string, keys: readonly string[]): void {
    this.#keysOfPeers.set(peerHex, keys.filter((k) => parseChannelPartKey(k) === undefined));
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

  setConnected(peer: Uint8Array, features: Uint8Array | null, connectionId?: string): void {
    const hex = toHex(peer);
    if (features === null) {
      this.#connected.delete(hex);
      this.#connections.delete(hex);
      return;
    }
    this.#connected.set(hex, features);
    if (connectionId !== undefined) this.#connections.set(hex, connectionId);
  }

  /** The node ids of the connected peers. */
  connectedPeerIds(): Uint8Array[] {
    return [...this.#connected.keys()].map((hex) => fromHex(hex));
  }

  /** The gateway connection the peer is on now, when known (docs/follow-ups.md). */
  connectionOf(peer: Uint8Array): string | undefined {
    return this.#connections.get(toHex(peer));
  }

  /** The item's flags, with the derived `peerDisconnected`. */
  flagsOf(item: ChannelItem): ChannelFlags {
    const disconnected = !this.#connected.has(toHex(item.channel.counterpartyNodeId));
    return { ...item.flags, ...(disconnected ? { peerDisconnected: true as const } : {}) };
  }

  // ---------------------------------------------------------------- loaded items

  /**
   * Adds the items loaded for `plan` (absent keys are known not to exist):
   * channel items and their part items (keys `<key>#<part>`, read with them).
   */
  loadChannels(plan: LoadPlan, items: ReadonlyMap<string, Uint8Array>): void {
    for (const key of plan.keys) this.#loadedKeys.add(key);
    for (const scid of plan.scids ?? []) this.#scidsLookedUp.add(scid);
    for (const peer of plan.peers) this.#loadedPeers.add(peer);
    if (plan.all) this.#allLoaded = true;
    const parts = storedParts(items);
    for (const [key, bytes] of items) {
      if (parseChannelPartKey(key) !== undefined) continue;
      const stored = parts.get(key) ?? new Map<ChannelPartName, Uint8Array>();
      this.#storedParts.set(key, stored);
      const decoded = decodeChannelEntry(bytes, stored);
      if (!decoded.ok) throw new ManagerError(ManagerErrorCode.CorruptState, `channel item ${key} does not decode: ${decoded.error.message}`);
      this.#entries.set(key, decoded.value);
    }
  }

  /** Whether the channel a short channel id names was looked up for this input (or every channel loaded): its absence is then known. */
  scidLookedUp(scid: bigint): boolean {
    return this.#allLoaded || this.#scidsLookedUp.has(scid);
  }

  /** Whether this input read (or wrote) the item under `key`: `entry` answers for it. */
  isLoaded(key: ChannelKey): boolean {
    return this.#allLoaded || this.#loadedKeys.has(key) || this.#loadedPeers.has(key.slice(0, key.indexOf('#'))) || this.#entries.has(key);
  }

  /** The item under `key`, undefined when it does not exist; throws `not-loaded` when the plan did not load it. */
  entry(key: ChannelKey): ChannelEntry | undefined {
    const loaded = this.isLoaded(key);
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
    // After the commit: a part without its item is never read, and a commit removing many channels stays within 100 writes.
    for (const part of this.#storedParts.get(key)?.keys() ?? []) this.#partsDeferred.add(channelPartKey(key, part));
    this.#storedParts.delete(key);
    this.#loadedKeys.add(key);
  }

  /** Deletes the item and its header index entries and index items. */
  removeEntry(key: ChannelKey, entry: ChannelEntry): void {
    this.deleteKey(key);
    this.reindexItems(entry, null);
    const peer = entry.kind === 'channel' ? entry.channel.counterpartyNodeId : entry.counterpartyNodeId;
    const ids = entry.kind === 'channel' ? [entry.channel.temporaryChannelId, currentChannelId(entry.channel)] : [entry.open.temporaryChannelId];
    this.reindex(peer, ids, null);
  }

  // ---------------------------------------------------------------- payment records

  /** Adds the payment records read for this input: `keys` were read, `items` are those that exist. */
  loadRecords(keys: readonly RecordKey[], items: ReadonlyMap<RecordKey, Uint8Array>): void {
    for (const key of keys) if (!this.#records.has(key)) this.#records.set(key, items.get(key) ?? null);
  }

  /** The record under `key`, undefined when it does not exist; throws `not-loaded` when the plan did not load it. */
  record(key: RecordKey): Uint8Array | undefined {
    const value = this.#records.get(key);
    if (value === undefined) throw new ManagerError(ManagerErrorCode.NotLoaded, `payment record ${key} was not loaded for this input`);
    return value ?? undefined;
  }

  /** Whether the record `key` was loaded (or written) in this input. */
  hasRecord(key: RecordKey): boolean {
    return this.#records.has(key);
  }

  /** Puts a record; `expiresAtSecs`: DynamoDB may delete it from then on (its TTL attribute; docs/timer.md), never before. */
  putRecord(key: RecordKey, data: Uint8Array, expiresAtSecs?: number): void {
    this.#records.set(key, data);
    this.#recordPuts.set(key, data);
    this.#recordDeletes.delete(key);
    this.#recordDeferred.delete(key);
    if (expiresAtSecs === undefined) this.#recordExpiry.delete(key);
    else this.#recordExpiry.set(key, expiresAtSecs);
  }

  /** Deletes a record in this commit (`later`: after it, in its cleanup item: docs/items.md). */
  deleteRecord(key: RecordKey, later = false): void {
    this.#records.set(key, null);
    this.#recordExpiry.delete(key);
    if (this.#recordPuts.delete(key) && later) return;
    (later ? this.#recordDeferred : this.#recordDeletes).add(key);
  }

  // ---------------------------------------------------------------- pending writes

  send(peer: Uint8Array, message: PeerWireMessage): void {
    const connectionId = this.connectionOf(peer);
    this.#messages.push({ peer, message, ...(connectionId === undefined ? {} : { connectionId }) });
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
    for (const [key, entry] of this.#puts) {
      const { item, parts } = encodeChannelEntryParts(entry);
      put.set(key, item);
      const stored = this.#storedParts.get(key);
      for (const [part, bytes] of parts) {
        const before = stored?.get(part);
        if (before !== undefined && equalBytes(before, bytes)) continue;
        put.set(channelPartKey(key, part), bytes);
        this.#partsDeferred.delete(channelPartKey(key, part));
      }
      for (const part of stored?.keys() ?? []) if (!parts.has(part)) this.#partsDeferred.add(channelPartKey(key, part));
      this.#storedParts.set(key, new Map(parts));
    }
    for (const { peer, channelId, events } of this.#chainWork.values()) this.followUp(peer, { kind: 'chain', channelId, events });
    const changes: ManagerChanges = {
      ...(this.#headerDirty ? { header: encodeManagerHeader(this.#header) } : {}),
      channels: { put, delete: [...this.#deletes], ...(this.#partsDeferred.size === 0 ? {} : { deferredDelete: [...this.#partsDeferred] }) },
      indexes: { put: this.#indexPuts, delete: [...this.#indexDeletes], deferredDelete: [...this.#indexDeferred] },
      monitors: { put: this.#monitorWrites },
      records: {
        put: this.#recordPuts,
        delete: [...this.#recordDeletes],
        deferredDelete: [...this.#recordDeferred],
        ...(this.#recordExpiry.size === 0 ? {} : { expiresAt: this.#recordExpiry }),
      },
      events: this.#events,
      messages: this.#messages,
      broadcasts: this.#broadcasts,
      followUps: this.#followUps,
    };
    this.#headerDirty = false;
    this.#puts = new Map();
    this.#deletes = new Set();
    this.#partsDeferred = new Set();
    this.#indexPuts = new Map();
    this.#indexDeletes = new Set();
    this.#indexDeferred = new Set();
    this.#chainWork = new Map();
    this.#followUps = [];
    this.#monitorWrites = [];
    this.#recordPuts = new Map();
    this.#recordDeletes = new Set();
    this.#recordDeferred = new Set();
    this.#recordExpiry = new Map();
    this.#events = [];
    this.#messages = [];
    this.#broadcasts = [];
    return changes;
  }
}
