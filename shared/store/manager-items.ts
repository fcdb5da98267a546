/**
 * The ChannelManager's items in the node's partition (layout.ts), and an
 * in-memory store with the same items and the same load-then-commit steps
 * as a handler over DynamoDB, for functional tests and benches. It counts
 * the items and bytes each step reads and writes.
 */
import { toHex } from '../crypto/index.js';
import {
  channelItemKeys,
  ChannelManager,
  decodeStoredChannels,
  type ChannelEntry,
  IndexPrefix,
  channelKey,
  decodeChannelRef,
  scidKey,
  type ChannelKey,
  type LoadPlan,
  type ManagerChanges,
  type ManagerConfig,
  type ManagerInput,
  type ManagerPorts,
  type RecordKey,
  type NodeAnnouncementSettings,
} from '../manager/index.js';
import type { ChannelMonitor } from '../monitor/index.js';
import type { DecodeResult } from '../codec/index.js';
import { StoreError, StoreErrorCode } from './errors.js';
import { eventItemWrites } from './event-items.js';
import { SortKey } from './layout.js';
import { MAX_TRANSACTION_ITEMS } from './node-store.js';
import type { JusticeRecord } from '../monitor/index.js';
import { MONITOR_UPDATES_PER_SNAPSHOT, justiceRecordFromItem, monitorFromItems, monitorItemWrites, monitorsToRead } from './monitor-items.js';

/**
 * The item writes of a commit: the header, channels, index items, monitors
 * and events of `changes` (messages and follow-ups go to the outbox; the
 * input's events in one item, event-items.ts). Monitor writes follow
 * monitor-items.ts: every N-th update is a snapshot, built from the monitor
 * in `monitorsBefore` (read first for the channels
 * `monitorsToRead(changes.monitors.put)` names), plain updates delete
 * items the last snapshot superseded, and each counterparty commitment adds
 * its justice record (`MONITOR_HTLCS#…`).
 */
export function managerItemWrites(
  changes: ManagerChanges,
  monitorsBefore: ReadonlyMap<string, ChannelMonitor> = new Map(),
  updatesPerSnapshot: bigint = MONITOR_UPDATES_PER_SNAPSHOT,
): { puts: { sk: string; data: Uint8Array; ttlSec?: number }[]; deletes: string[]; cleanup: string[] } {
  const puts: { sk: string; data: Uint8Array; ttlSec?: number }[] = [];
  const deletes = changes.channels.delete.map((key) => SortKey.channel(key));
  if (changes.header) puts.push({ sk: SortKey.header, data: changes.header });
  for (const [key, data] of changes.channels.put) puts.push({ sk: SortKey.channel(key), data });
  for (const [key, data] of changes.indexes.put) puts.push({ sk: SortKey.index(key), data });
  deletes.push(...changes.indexes.delete.map((key) => SortKey.index(key)));
  for (const m of monitorItemWrites(changes.monitors.put, monitorsBefore, updatesPerSnapshot)) {
    puts.push(m.put, ...m.justice);
    deletes.push(...m.deletes);
  }
  // Payment records: their keys are sort keys (shared/manager/payment-records.ts).
  for (const [sk, data] of changes.records?.put ?? []) {
    const ttlSec = changes.records?.expiresAt?.get(sk);
    puts.push({ sk, data, ...(ttlSec === undefined ? {} : { ttlSec }) });
  }
  deletes.push(...(changes.records?.delete ?? []));
  puts.push(...eventItemWrites(changes.events));
  // Per-HTLC index items and records go after the commit (one cleanup item in it: docs/items.md).
  return {
    puts,
    deletes,
    cleanup: [
      ...(changes.channels.deferredDelete ?? []).map((key) => SortKey.channel(key)),
      ...(changes.indexes.deferredDelete ?? []).map((key) => SortKey.index(key)),
      ...(changes.records?.deferredDelete ?? []),
    ],
  };
}

/** Item and byte counts of one step. */
export interface StepCost {
  itemsRead: number;
  bytesRead: number;
  itemsWritten: number;
  bytesWritten: number;
}

/** The first index of sorted `keys` whose key is not below `key`. */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The items of a partition by sort key, with a Query's listing of the keys under a prefix (in order). */
export type SortedItems = Map<string, Uint8Array> & {
  /** The keys starting with `prefix`, in ascending order (a Query's order). */
  keysWithPrefix(prefix: string): string[];
};

/**
 * A Map of items whose sort keys are also kept in order: a Query reads the
 * range of its prefix, as DynamoDB's key condition does, rather than every
 * item of the node (the double's cost must not grow with the history a
 * bench leaves behind). Tests set and delete items directly: the order
 * follows. Still a plain Map to anyone comparing it with another (its
 * constructor is Map's; the methods that keep the order are its own,
 * not enumerable).
 */
export function sortedItems(): SortedItems {
  const map = new Map<string, Uint8Array>();
  const keys: string[] = [];
  const set = map.set.bind(map);
  const remove = map.delete.bind(map);
  const clear = map.clear.bind(map);
  const own = (value: unknown) => ({ value, enumerable: false, writable: false, configurable: false });
  Object.defineProperties(map, {
    set: own((sk: string, data: Uint8Array) => {
      if (!map.has(sk)) keys.splice(lowerBound(keys, sk), 0, sk);
      set(sk, data);
      return map;
    }),
    delete: own((sk: string) => {
      if (!remove(sk)) return false;
      keys.splice(lowerBound(keys, sk), 1);
      return true;
    }),
    clear: own(() => {
      clear();
      keys.length = 0;
    }),
    keysWithPrefix: own((prefix: string) => {
      const out: string[] = [];
      for (let i = lowerBound(keys, prefix); i < keys.length && keys[i]!.startsWith(prefix); i++) out.push(keys[i]!);
      return out;
    }),
  });
  return map as SortedItems;
}

/** One node's items in memory. */
export class InMemoryManagerStore {
  readonly items = sortedItems();
  /** Updates between two monitor snapshots (monitor-items.ts); smaller in tests. */
  readonly updatesPerSnapshot: bigint;

  constructor(updatesPerSnapshot: bigint = MONITOR_UPDATES_PER_SNAPSHOT) {
    this.updatesPerSnapshot = updatesPerSnapshot;
  }
  readonly appliedInputs = new Set<string>();
  /** The TTL of items written with one (seconds since 1970), by sort key: DynamoDB deletes them some time after it. */
  readonly expiresAt = new Map<string, number>();

  /** What DynamoDB's TTL does, some time after: deletes every item whose TTL is at or before `nowSecs`. Returns their keys. */
  expire(nowSecs: number): string[] {
    const gone = [...this.expiresAt].filter(([, at]) => at <= nowSecs).map(([sk]) => sk);
    for (const sk of gone) {
      this.items.delete(sk);
      this.expiresAt.delete(sk);
    }
    return gone;
  }
  /** The cost of the last `load` + `commit`. */
  last: StepCost = { itemsRead: 0, bytesRead: 0, itemsWritten: 0, bytesWritten: 0 };

  #read(sk: string): Uint8Array | undefined {
    const data = this.items.get(sk);
    if (data !== undefined) {
      this.last.itemsRead++;
      this.last.bytesRead += data.length;
    }
    return data;
  }

  /** Every item under `prefix` (a Query: in sort key order), counted. */
  query(prefix: string): { sk: string; data: Uint8Array }[] {
    const out: { sk: string; data: Uint8Array }[] = [];
    for (const sk of this.items.keysWithPrefix(prefix)) {
      const data = this.items.get(sk)!;
      this.last.itemsRead++;
      this.last.bytesRead += data.length;
      out.push({ sk, data });
    }
    return out;
  }

  /**
   * What a handler does before the core runs: read the header, ask the
   * manager which channel items `input` needs, read exactly those, and
   * load them. `create` makes the manager of a node with no header yet.
   * `config` is the node's configuration now (it wins over the header's).
   */
  load(
    ports: ManagerPorts,
    input: ManagerInput,
    connectedPeers: ReadonlyMap<string, Uint8Array>,
    config?: ManagerConfig,
    connections?: ReadonlyMap<string, string>,
    nodeAnnouncement?: NodeAnnouncementSettings,
  ): ChannelManager {
    this.last = { itemsRead: 0, bytesRead: 0, itemsWritten: 0, bytesWritten: 0 };
    const header = this.#read(SortKey.header);
    if (header === undefined) throw new Error('no manager header: create the node first');
    const manager = ChannelManager.load({
      ports,
      header,
      connectedPeers,
      ...(config === undefined ? {} : { config }),
      ...(connections === undefined ? {} : { connections }),
      ...(nodeAnnouncement === undefined ? {} : { nodeAnnouncement }),
    });
    const plan: LoadPlan = manager.channelKeysFor(input);
    const channels = new Map<ChannelKey, Uint8Array>();
    const prefix = SortKey.channelPrefix();
    if (plan.confirming) manager.loadConfirming(this.query(SortKey.indexPrefix(IndexPrefix.confirming)).map(({ data }) => data));
    if (plan.expiring) manager.loadExpiring(this.query(SortKey.indexPrefix(IndexPrefix.expiry)).map(({ sk, data }) => ({ key: sk.slice(SortKey.index('').length), data })));
    if (plan.mppWaiting !== undefined) {
      const oldest = this.query(SortKey.indexPrefix(IndexPrefix.mpp)).sort((a, b) => (a.sk < b.sk ? -1 : 1)).slice(0, plan.mppWaiting);
      manager.loadMppWaiting(oldest.map(({ sk }) => sk.slice(SortKey.index('').length)));
    }
    if (plan.funders) manager.loadFunders(this.query(SortKey.indexPrefix(IndexPrefix.funder)).map(({ data }) => data));
    for (const peer of plan.keysOfPeers ?? []) {
      const keys = this.items.keysWithPrefix(SortKey.channelPrefix(peer));
      this.last.itemsRead += keys.length;
      manager.loadChannelKeys(peer, keys.map((sk) => sk.slice(prefix.length)));
    }
    for (const key of plan.keys.flatMap((k) => channelItemKeys(k))) {
      const data = this.#read(SortKey.channel(key));
      if (data !== undefined) channels.set(key, data);
    }
    // A forward's next channel: the SCID# index item, then the channel it names.
    for (const scid of plan.scids ?? []) {
      const ref = this.#read(SortKey.index(scidKey(scid)));
      const decoded = ref === undefined ? undefined : decodeChannelRef(ref);
      if (decoded?.ok !== true) continue;
      for (const key of channelItemKeys(channelKey(decoded.value.counterpartyNodeId, decoded.value.channelId))) {
        const data = this.#read(SortKey.channel(key));
        if (data !== undefined) channels.set(key, data);
      }
    }
    const queried = plan.all ? this.query(prefix) : plan.peers.flatMap((peer) => this.query(SortKey.channelPrefix(peer)));
    for (const { sk, data } of queried) channels.set(sk.slice(prefix.length), data);
    manager.loadChannels(plan, channels);
    const records = new Map<string, Uint8Array>();
    for (const key of plan.records ?? []) {
      const data = this.#read(key);
      if (data !== undefined) records.set(key, data);
    }
    manager.loadRecords(plan.records ?? [], records);
    const more = manager.recordsAfterLoad(input);
    const moreItems = new Map<string, Uint8Array>();
    for (const key of more) {
      const data = this.#read(key);
      if (data !== undefined) moreItems.set(key, data);
    }
    if (more.length > 0) manager.loadRecords(more, moreItems);
    return manager;
  }

  /**
   * Loads what `input` needs on top of what `manager` holds, to run it after
   * the inputs `manager` ran (a burst: docs/manager.md, "Bursts"); false,
   * reading nothing, when it needs a load of its own. Counted in `last`.
   */
  extend(manager: ChannelManager, input: ManagerInput): boolean {
    const plan = manager.burstPlan(input);
    if (plan === undefined) return false;
    const channels = new Map<ChannelKey, Uint8Array>();
    for (const key of plan.keys.flatMap((k) => channelItemKeys(k))) {
      const data = this.#read(SortKey.channel(key));
      if (data !== undefined) channels.set(key, data);
    }
    manager.loadChannels({ keys: plan.keys, peers: [], all: false }, channels);
    this.#loadRecords(manager, plan.records);
    this.#loadRecords(manager, manager.recordsAfterLoad(input).filter((key) => !manager.holdsRecord(key)));
    return true;
  }

  #loadRecords(manager: ChannelManager, keys: readonly RecordKey[]): void {
    if (keys.length === 0) return;
    const items = new Map<string, Uint8Array>();
    for (const key of keys) {
      const data = this.#read(key);
      if (data !== undefined) items.set(key, data);
    }
    manager.loadRecords(keys, items);
  }

  /**
   * Commits `changes` as one transaction would, unless `inputId` was
   * already applied (then nothing is written: `duplicate`).
   */
  commit(inputId: string, changes: ManagerChanges): 'applied' | 'duplicate' {
    if (this.appliedInputs.has(inputId)) return 'duplicate';
    const before = new Map<string, ChannelMonitor>();
    for (const id of monitorsToRead(changes.monitors.put, this.updatesPerSnapshot)) {
      const read = this.readMonitor(id);
      if (read !== undefined) before.set(id, read);
    }
    const { puts, deletes, cleanup } = managerItemWrites(changes, before, this.updatesPerSnapshot);
    // As NodeStore.commit: the lease, the input record, the items, one outbox item (messages and follow-ups) and one cleanup item in one transaction.
    const writes = 2 + puts.length + deletes.length + (changes.messages.length + changes.followUps.length > 0 ? 1 : 0) + (cleanup.length > 0 ? 1 : 0);
    if (writes > MAX_TRANSACTION_ITEMS) throw new StoreError(StoreErrorCode.CommitTooLarge, `input ${inputId}: a commit of ${writes} writes exceeds DynamoDB's ${MAX_TRANSACTION_ITEMS}`);
    this.appliedInputs.add(inputId);
    for (const { sk, data, ttlSec } of puts) {
      this.items.set(sk, Uint8Array.from(data));
      if (ttlSec === undefined) this.expiresAt.delete(sk);
      else this.expiresAt.set(sk, ttlSec);
      this.last.itemsWritten++;
      this.last.bytesWritten += data.length;
    }
    for (const sk of deletes) {
      this.expiresAt.delete(sk);
      if (this.items.delete(sk)) this.last.itemsWritten++;
    }
    // After the commit, as the invocation does with the cleanup item (not counted: outside the transaction).
    for (const sk of cleanup) this.items.delete(sk);
    return 'applied';
  }

  /**
   * A channel's current monitor as a handler reads it: its items newest
   * first (a descending Query), up to and including the newest snapshot,
   * counted in `last`. `channelIdHex` or the channel id bytes.
   */
  readMonitor(channelId: string | Uint8Array): ChannelMonitor | undefined {
    const id = typeof channelId === 'string' ? channelId : toHex(channelId);
    const prefix = SortKey.monitorPrefix(id);
    const keys = this.items.keysWithPrefix(prefix).reverse();
    const read = (sk: string): Uint8Array | undefined => this.#read(sk);
    function* newestFirst(): Generator<{ sk: string; data: Uint8Array }> {
      for (const sk of keys) {
        const data = read(sk);
        if (data !== undefined) yield { sk, data };
      }
    }
    return monitorFromItems(id, newestFirst())?.monitor;
  }

  /** The justice record of a counterparty commitment (docs/monitor.md), as a handler reads it: one item, counted in `last`. */
  counterpartyHtlcs(channelIdHex: string, commitmentNumber: bigint): JusticeRecord | undefined {
    return justiceRecordFromItem(channelIdHex, commitmentNumber, this.#read(SortKey.monitorHtlcs(channelIdHex, commitmentNumber)));
  }

  /** Every channel entry stored, each item joined with its parts (docs/items.md), by channel key; not counted in `last`. */
  storedChannels(): Map<ChannelKey, DecodeResult<ChannelEntry>> {
    const prefix = SortKey.channelPrefix();
    return decodeStoredChannels([...this.items].filter(([sk]) => sk.startsWith(prefix)).map(([sk, data]) => [sk.slice(prefix.length), data] as const));
  }

  /** The channel entry stored under `key` (joined with its parts), undefined when there is none; not counted in `last`. */
  storedChannel(key: ChannelKey): DecodeResult<ChannelEntry> | undefined {
    return decodeStoredChannels(channelItemKeys(key).flatMap((k) => {
      const data = this.items.get(SortKey.channel(k));
      return data === undefined ? [] : [[k, data] as const];
    })).get(key);
  }

  /** The monitor items of a channel, oldest first (a snapshot first). */
  monitorItems(channelId: Uint8Array): Uint8Array[] {
    return this.items.keysWithPrefix(SortKey.monitorPrefix(toHex(channelId))).map((sk) => this.items.get(sk)!);
  }

  /** A copy holding the same bytes (a restart reads them back). */
  clone(): InMemoryManagerStore {
    const copy = new InMemoryManagerStore(this.updatesPerSnapshot);
    for (const [sk, data] of this.items) copy.items.set(sk, Uint8Array.from(data));
    for (const id of this.appliedInputs) copy.appliedInputs.add(id);
    for (const [sk, at] of this.expiresAt) copy.expiresAt.set(sk, at);
    return copy;
  }
}
