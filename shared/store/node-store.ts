/**
 * The node's state in DynamoDB under a lease with a fencing token. See
 * docs/commit-protocol.md for the protocol and the crash points it survives.
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  ConditionalCheckFailedException,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { Attr, INPUT_RETENTION_SEC, SortKey, nodePartition } from './layout.js';
import { StoreError, StoreErrorCode } from './errors.js';
import type { JusticeRecord } from '../monitor/index.js';
import { justiceRecordFromItem } from './monitor-items.js';
import { MAX_CLEANUP_ITEM_BYTES, decodeCleanupRecord, encodeCleanupRecord } from './cleanup-record.js';
import { decodeOutboxRecord, encodeOutboxRecord, outboxParts, type OutboxItem, type OutboxMessage } from './outbox-record.js';
import { KnownItems, type KnownItem } from './known-items.js';
import type { PendingWrites } from './pending-writes.js';

/** The outbox bytes one commit may hold: DynamoDB's 4 MB per transaction, less room for the input's other items. */
export const MAX_OUTBOX_BYTES_PER_COMMIT = 3 * 1024 * 1024;

export type { OutboxItem, OutboxMessage } from './outbox-record.js';

/** The `kind` of a cleanup item (it shares the outbox prefix). */
const CLEANUP_KIND = 'cleanup';
const CLEANUP_SUFFIX = SortKey.cleanup('').slice(SortKey.outboxPrefix.length);

/** DynamoDB's limit of actions in one TransactWriteItems. */
export const MAX_TRANSACTION_ITEMS = 100;

/** An item written outside the lease under optimistic concurrency, with its version. */
export interface VersionedItem {
  readonly sk: string;
  readonly data: Uint8Array;
  readonly version: number;
}

/** One write of {@link NodeStore.writeVersioned}: a put (with `data`) or a delete. */
export interface VersionedWrite {
  readonly sk: string;
  /** The item's bytes; absent: delete the item. */
  readonly data?: Uint8Array;
  /** Only when the item's version is this (0: absent or unversioned); unconditional when undefined. */
  readonly ifVersion?: number;
  /** The version a put writes (default `ifVersion + 1`, or 1). */
  readonly version?: number;
  /** DynamoDB TTL (unix seconds): the item expires by itself. */
  readonly ttlSec?: number;
}

/** A lease on one node: valid while nobody else has taken it (the fence has not moved). */
export interface Lease {
  readonly nodeKey: string;
  readonly owner: string;
  /** Grows by one at every acquisition; a commit is fenced by it. */
  readonly fence: bigint;
  readonly expiresAtMs: number;
  /** The node's commit count when the lease was taken (`LEASE`'s `commits`; absent on leases made by hand: no snapshot is then trusted). */
  readonly commits?: bigint;
}

/**
 * Items read in one serializable `TransactGetItems` together with `LEASE`
 * (NodeStore.readSnapshot): the state as of `commits` commits. Read beside
 * the lease's acquisition, it is the state the new holder would read after
 * it when the lease shows the same count (every commit raises the count, and
 * none can land under an older fence once the lease is taken).
 */
export interface StoreSnapshot {
  readonly nodeKey: string;
  /** `LEASE`'s commit count in the same read (0 when absent). */
  readonly commits: bigint;
  /** Every key read, present or not. */
  readonly keys: ReadonlySet<string>;
  /** The keys that had an item. */
  readonly present: ReadonlySet<string>;
  /** The `data` of the items that had one. */
  readonly data: ReadonlyMap<string, Uint8Array>;
}

/**
 * A snapshot as what its holder knows (shared/store/known-items.ts): its
 * items only fenced commits write for the whole session, the others
 * (`WEBHOOKS`, an `IDEMPOTENCY#` record) for the input it was read for only.
 */
export function knownFromSnapshot(snapshot: StoreSnapshot, known = new KnownItems(snapshot.nodeKey)): KnownItems {
  for (const sk of snapshot.keys) {
    const data = snapshot.data.get(sk);
    known.noteRead(sk, !snapshot.present.has(sk) ? { present: false } : data === undefined ? { present: true } : { present: true, data }, true);
  }
  return known;
}

/**
 * What must hold of the item a put replaces, checked in the same write
 * (docs/commit-protocol.md, "Conditional puts"): `absent`, no item under the
 * key yet (never overwrite); `state`, the item exists with this `state`
 * attribute (an invoice still `open` when its payment is claimed). When it
 * does not hold, nothing of the write (or of its whole commit) is stored and
 * the store throws `condition-failed`.
 */
export type PutCondition = { readonly kind: 'absent' } | { readonly kind: 'state'; readonly state: string };

/** One item to write: its bytes, and optionally a `state` attribute beside them, an expiry (DynamoDB TTL) and a condition. */
export interface ItemPut {
  readonly sk: string;
  readonly data: Uint8Array;
  /** Stored as the `state` attribute (what a `state` condition compares). */
  readonly state?: string;
  /** Unix seconds after which DynamoDB's TTL may delete the item. */
  readonly ttlSec?: number;
  readonly condition?: PutCondition;
}

/** The writes of one invocation, committed all or nothing. */
export interface Commit {
  /** The input's id: a replayed input fails the commit with `duplicate-input`. */
  readonly inputId?: string;
  /** The inputs committed with this one, before it (a group: docs/commit-protocol.md, "One commit for messages in a row"): each gets its `INPUT#` record too. */
  readonly groupedBefore?: readonly string[];
  /** Release the lease in the same transaction (the invocation's last write). */
  readonly release?: boolean;
  /** State writes; a put with a `condition` fails the whole commit with `condition-failed` when it does not hold. */
  readonly puts?: readonly ItemPut[];
  readonly deletes?: readonly string[];
  /**
   * The input's outbound messages, in sending order: written as ONE item,
   * `OUTBOX#<inputId>` (shared/store/outbox-record.ts), so they need `inputId`.
   */
  readonly outbox?: readonly OutboxMessage[];
  /**
   * Sort keys this commit makes obsolete but leaves to be deleted after it
   * (a revoke_and_ack settling hundreds of HTLCs: their onion items): written
   * as ONE item, `OUTBOX#<inputId>#CLEANUP` (shared/store/cleanup-record.ts), one
   * write whatever their number; the invocation deletes them after the
   * commit, a leftover item is finished by the next invocation. Needs `inputId`.
   */
  readonly cleanup?: readonly string[];
}

/** A commit's deferred deletes, as found in the store. */
export interface CleanupItem {
  /** The input whose commit wrote it (the item is `OUTBOX#<inputId>#CLEANUP`). */
  readonly inputId: string;
  readonly keys: readonly string[];
}

export interface NodeStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Wall clock in ms (injected for tests). */
  readonly now?: () => number;
}

/** The most keys {@link NodeStore.readSnapshot} reads besides `LEASE` (DynamoDB's 100 per TransactGetItems). */
export const MAX_SNAPSHOT_KEYS = 99;

const key = (nodeKey: string, sk: string): Record<string, AttributeValue> => ({
  [Attr.pk]: { S: nodePartition(nodeKey) },
  [Attr.sk]: { S: sk },
});

function isConditionFailure(reason: { Code?: string | undefined } | undefined): boolean {
  return reason?.Code === 'ConditionalCheckFailed';
}

/** The DynamoDB Put of `put` in the node's partition, with its condition as a ConditionExpression. */
function putRequest(table: string, nodeKey: string, put: ItemPut): NonNullable<TransactWriteItem['Put']> {
  const item: Record<string, AttributeValue> = { ...key(nodeKey, put.sk), [Attr.data]: { B: put.data } };
  if (put.state !== undefined) item[Attr.state] = { S: put.state };
  if (put.ttlSec !== undefined) item[Attr.ttl] = { N: String(put.ttlSec) };
  const condition = put.condition;
  if (condition === undefined) return { TableName: table, Item: item };
  if (condition.kind === 'absent') {
    return { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': Attr.pk } };
  }
  return {
    TableName: table,
    Item: item,
    ConditionExpression: '#state = :expected',
    ExpressionAttributeNames: { '#state': Attr.state },
    ExpressionAttributeValues: { ':expected': { S: condition.state } },
  };
}

/** `UpdateItem` of a counter item by one. */
const ADD_ONE = { UpdateExpression: 'ADD #n :one', ExpressionAttributeNames: { '#n': Attr.counter }, ExpressionAttributeValues: { ':one': { N: '1' } } } as const;

/** Whether a write of these keys changes what the chain handler watches (SortKey.chainWatchVersion). */
function touchesChainWatch(sks: readonly string[]): boolean {
  return sks.some((sk) => sk.startsWith(SortKey.chainWatchPrefix));
}

function conditionText(put: ItemPut): string {
  return put.condition?.kind === 'state' ? `${put.sk} is no longer ${put.condition.state}` : `${put.sk} exists already`;
}

export class NodeStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly now: () => number;
  /** What this view's reads are answered from, and where they are noted (set only on a {@link withKnown} view). */
  private readonly known: KnownItems | undefined = undefined;
  /** Writes of the inputs before this one in a group, not yet committed, read before anything else (set only on a {@link withPending} view). */
  private readonly pending: { readonly nodeKey: string; readonly writes: PendingWrites } | undefined = undefined;

  constructor(options: NodeStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.now = options.now ?? (() => Date.now());
  }

  /**
   * This store, with reads of the node's items (`get`, `getMany`,
   * `hasInput`, `query`) answered from `known` when it knows them, and what
   * they read from DynamoDB noted in it (only what `known` keeps: items only
   * fenced commits write); every other call goes to the table. Only for the
   * holder of the node's lease (LeaseSession): nobody else commits meanwhile.
   */
  withKnown(known: KnownItems): NodeStore {
    // The same store (a subclass's overrides included) with its own knowledge.
    const view = Object.create(this) as NodeStore;
    Object.defineProperty(view, 'known', { value: known });
    return view;
  }

  /**
   * This store (a {@link withKnown} view, as a rule), with reads of
   * `nodeKey`'s items answered first from `writes`: what the inputs before
   * this one in a group wrote and have not committed yet (LeaseSession's
   * group commit). `get`, `getMany`, `query` and `queryKeys` see them; a
   * read that cannot (a versioned read or a page of a key the group wrote)
   * throws `group-read` rather than answer from the table.
   */
  withPending(nodeKey: string, writes: PendingWrites): NodeStore {
    const view = Object.create(this) as NodeStore;
    Object.defineProperty(view, 'pending', { value: { nodeKey, writes } });
    return view;
  }

  /** What the group before this input wrote of `sk`: bytes, `null` when gone, undefined when untouched (or no group). */
  private pendingItem(nodeKey: string, sk: string): Uint8Array | null | undefined {
    return this.pending !== undefined && this.pending.nodeKey === nodeKey ? this.pending.writes.lookup(sk) : undefined;
  }

  /** The keys under `prefix` the group before this input wrote (none without a group). */
  private pendingKeysUnder(nodeKey: string, prefix: string): string[] {
    return this.pending !== undefined && this.pending.nodeKey === nodeKey ? this.pending.writes.keysUnder(prefix) : [];
  }

  /** Throws `group-read` when a read that cannot see the group's writes would meet one of them. */
  private refuseGroupRead(nodeKey: string, prefixOrKey: string, what: string): void {
    if (this.pendingKeysUnder(nodeKey, prefixOrKey).length > 0) {
      throw new StoreError(StoreErrorCode.GroupRead, `${what} of ${prefixOrKey} cannot see the writes of the inputs before it in the group`);
    }
  }

  /**
   * This store, with reads of the snapshot's keys answered from it (a view
   * over {@link KnownItems} seeded by {@link knownFromSnapshot}). Only for a
   * holder of the lease whose acquisition showed the snapshot's commit count.
   */
  withSnapshot(snapshot: StoreSnapshot): NodeStore {
    return this.withKnown(knownFromSnapshot(snapshot));
  }

  /** What this view knows of `sk` in `nodeKey`'s partition, or undefined when it must read it. */
  private knownItem(nodeKey: string, sk: string): KnownItem | undefined {
    return this.known !== undefined && this.known.nodeKey === nodeKey ? this.known.lookup(sk) : undefined;
  }

  /** Notes what a read of `nodeKey`'s partition found (undefined: no item) in this view's knowledge, when it has one for that node. */
  private noteRead(nodeKey: string, sk: string, item: Record<string, AttributeValue> | undefined): void {
    if (this.known === undefined || this.known.nodeKey !== nodeKey) return;
    const data = item?.[Attr.data]?.B;
    this.known.noteRead(sk, item === undefined ? { present: false } : data === undefined ? { present: true } : { present: true, data });
  }

  /**
   * Reads `LEASE` and `sks` in ONE serializable TransactGetItems
   * (strongly consistent; 2 RRU per 4 KB of each item). Undefined when
   * DynamoDB cancels it (a transaction on one of the items in progress):
   * the caller reads as usual.
   */
  async readSnapshot(nodeKey: string, sks: readonly string[]): Promise<StoreSnapshot | undefined> {
    const keys = [...new Set(sks)].filter((sk) => sk !== SortKey.lease);
    if (keys.length > MAX_SNAPSHOT_KEYS) throw new RangeError(`a snapshot reads at most ${MAX_SNAPSHOT_KEYS} keys besides LEASE (${keys.length} asked)`);
    let result;
    try {
      result = await this.client.send(
        new TransactGetItemsCommand({ TransactItems: [SortKey.lease, ...keys].map((sk) => ({ Get: { TableName: this.tableName, Key: key(nodeKey, sk) } })) }),
      );
    } catch (error) {
      if (error instanceof TransactionCanceledException) return undefined;
      throw error;
    }
    const responses = result.Responses ?? [];
    const present = new Set<string>();
    const data = new Map<string, Uint8Array>();
    keys.forEach((sk, i) => {
      const item = responses[i + 1]?.Item;
      if (item === undefined) return;
      present.add(sk);
      const bytes = item[Attr.data]?.B;
      if (bytes !== undefined) data.set(sk, bytes);
    });
    return { nodeKey, commits: BigInt(responses[0]?.Item?.[Attr.commits]?.N ?? '0'), keys: new Set(keys), present, data };
  }

  /**
   * Takes the node's lease with one conditional write: it succeeds when the
   * lease is free, expired, or already ours, and always increments the fence.
   */
  async acquireLease(nodeKey: string, owner: string, ttlMs: number): Promise<Lease> {
    const now = this.now();
    const expiresAtMs = now + ttlMs;
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: key(nodeKey, SortKey.lease),
          UpdateExpression: 'SET #owner = :owner, #exp = :exp, #fence = if_not_exists(#fence, :zero) + :one',
          ConditionExpression: 'attribute_not_exists(#pk) OR #exp < :now OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': Attr.owner, '#exp': Attr.expiresAtMs, '#fence': Attr.fence, '#pk': Attr.pk },
          ExpressionAttributeValues: {
            ':owner': { S: owner },
            ':exp': { N: String(expiresAtMs) },
            ':now': { N: String(now) },
            ':zero': { N: '0' },
            ':one': { N: '1' },
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const fence = result.Attributes?.[Attr.fence]?.N;
      if (fence === undefined) throw new StoreError(StoreErrorCode.CommitFailed, 'lease update returned no fence');
      return { nodeKey, owner, fence: BigInt(fence), expiresAtMs, commits: BigInt(result.Attributes?.[Attr.commits]?.N ?? '0') };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new StoreError(StoreErrorCode.LeaseHeld, `node ${nodeKey} is leased by another invocation`);
      }
      throw error;
    }
  }

  /** The lease item as stored (owner and expiry), or undefined when the node was never leased. */
  async readLease(nodeKey: string): Promise<{ readonly owner: string; readonly fence: bigint; readonly expiresAtMs: number } | undefined> {
    const result = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: key(nodeKey, SortKey.lease), ConsistentRead: true }),
    );
    const item = result.Item;
    if (item === undefined) return undefined;
    return {
      owner: item[Attr.owner]?.S ?? '',
      fence: BigInt(item[Attr.fence]?.N ?? '0'),
      expiresAtMs: Number(item[Attr.expiresAtMs]?.N ?? '0'),
    };
  }

  /** The store's wall clock (ms): the one lease expiries are written and compared with. */
  nowMs(): number {
    return this.now();
  }

  /**
   * Extends a lease we hold to `ttlMs` from now, without moving the fence
   * (a batch of inputs renewing it between inputs). Fenced like a commit:
   * when the fence moved or the owner changed, nothing is written and it
   * throws `lease-lost`.
   */
  async extendLease(lease: Lease, ttlMs: number): Promise<Lease> {
    const expiresAtMs = this.now() + ttlMs;
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: key(lease.nodeKey, SortKey.lease),
          UpdateExpression: 'SET #exp = :exp',
          ConditionExpression: '#fence = :fence AND #owner = :owner',
          ExpressionAttributeNames: { '#exp': Attr.expiresAtMs, '#fence': Attr.fence, '#owner': Attr.owner },
          ExpressionAttributeValues: { ':exp': { N: String(expiresAtMs) }, ':fence': { N: lease.fence.toString() }, ':owner': { S: lease.owner } },
        }),
      );
      return { ...lease, expiresAtMs };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new StoreError(StoreErrorCode.LeaseLost, `lease on ${lease.nodeKey} lost (fence ${lease.fence}) before it could be extended`);
      }
      throw error;
    }
  }

  /** Gives the lease up early (only if still ours); losing it meanwhile is not an error. */
  async releaseLease(lease: Lease): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: key(lease.nodeKey, SortKey.lease),
          UpdateExpression: 'SET #exp = :zero',
          ConditionExpression: '#fence = :fence',
          ExpressionAttributeNames: { '#exp': Attr.expiresAtMs, '#fence': Attr.fence },
          ExpressionAttributeValues: { ':zero': { N: '0' }, ':fence': { N: lease.fence.toString() } },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Hands out the next value of a counter item (`sk`, attribute `next`)
   * without the lease: one atomic `UpdateItem`, so concurrent callers get
   * distinct consecutive values. The value is never below `floor`: a counter
   * absent or behind it jumps to `floor` (a conditional `SET`), and a race
   * between the two writes is retried. Returns the value handed out; the item
   * then holds it + 1.
   */
  async takeCounter(nodeKey: string, sk: string, floor: number): Promise<number> {
    const names = { '#n': Attr.counter };
    for (;;) {
      try {
        const result = await this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: key(nodeKey, sk),
            UpdateExpression: 'ADD #n :one',
            ConditionExpression: '#n >= :floor',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':one': { N: '1' }, ':floor': { N: String(floor) } },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        const next = result.Attributes?.[Attr.counter]?.N;
        if (next === undefined) throw new StoreError(StoreErrorCode.CommitFailed, `counter ${sk} update returned no value`);
        return Number(next) - 1;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      try {
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: key(nodeKey, sk),
            UpdateExpression: 'SET #n = :next',
            ConditionExpression: 'attribute_not_exists(#n) OR #n < :floor',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':next': { N: String(floor + 1) }, ':floor': { N: String(floor) } },
          }),
        );
        return floor;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
  }

  /** A counter item's value (strongly consistent): the next value {@link takeCounter} hands out, 0 when absent. */
  async readCounter(nodeKey: string, sk: string): Promise<number> {
    const result = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: key(nodeKey, sk), ConsistentRead: true }));
    const n = result.Item?.[Attr.counter]?.N;
    return n === undefined ? 0 : Number(n);
  }

  /** Several counter items' values in one round trip (strongly consistent), in the order of `sks`; 0 for an absent one. */
  async readCounters(nodeKey: string, sks: readonly string[]): Promise<number[]> {
    const values = new Map<string, number>();
    let pending: Record<string, AttributeValue>[] = sks.map((sk) => key(nodeKey, sk));
    while (pending.length > 0) {
      const result = await this.client.send(
        new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: pending.slice(0, 100), ConsistentRead: true } } }),
      );
      for (const item of result.Responses?.[this.tableName] ?? []) {
        const sk = item[Attr.sk]?.S;
        const n = item[Attr.counter]?.N;
        if (sk !== undefined && n !== undefined) values.set(sk, Number(n));
      }
      pending = [...pending.slice(100), ...(result.UnprocessedKeys?.[this.tableName]?.Keys ?? [])];
    }
    return sks.map((sk) => values.get(sk) ?? 0);
  }

  /** Reads one state item (strongly consistent). */
  async get(nodeKey: string, sk: string): Promise<Uint8Array | undefined> {
    const pending = this.pendingItem(nodeKey, sk);
    if (pending !== undefined) return pending?.slice();
    const known = this.knownItem(nodeKey, sk);
    // A copy: the caller may change the bytes it is given, as it may a read's.
    if (known !== undefined) return known.data?.slice();
    const result = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: key(nodeKey, sk), ConsistentRead: true }),
    );
    this.noteRead(nodeKey, sk, result.Item);
    return result.Item?.[Attr.data]?.B;
  }

  /**
   * The justice record of a channel's counterparty commitment
   * `commitmentNumber` (docs/monitor.md "Justice records"): its HTLC set,
   * however old the commitment. One GetItem; undefined when there is none.
   */
  async counterpartyHtlcs(nodeKey: string, channelIdHex: string, commitmentNumber: bigint): Promise<JusticeRecord | undefined> {
    return justiceRecordFromItem(channelIdHex, commitmentNumber, await this.get(nodeKey, SortKey.monitorHtlcs(channelIdHex, commitmentNumber)));
  }

  /** True when an input with this id was already committed (replay protection before any effect). */
  async hasInput(nodeKey: string, inputId: string): Promise<boolean> {
    const known = this.knownItem(nodeKey, SortKey.input(inputId));
    if (known !== undefined) return known.present;
    const result = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: key(nodeKey, SortKey.input(inputId)),
        ConsistentRead: true,
        ProjectionExpression: '#pk',
        ExpressionAttributeNames: { '#pk': Attr.pk },
      }),
    );
    this.noteRead(nodeKey, SortKey.input(inputId), result.Item);
    return result.Item !== undefined;
  }

  /** Which of `inputIds` were committed (BatchGetItem, 100 keys per call; keys only). */
  async appliedInputs(nodeKey: string, inputIds: readonly string[]): Promise<Set<string>> {
    const applied = new Set<string>();
    let pending: Record<string, AttributeValue>[] = inputIds.map((id) => key(nodeKey, SortKey.input(id)));
    while (pending.length > 0) {
      const batch = pending.slice(0, 100);
      pending = pending.slice(100);
      const result = await this.client.send(
        new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: batch, ConsistentRead: true, ProjectionExpression: '#sk', ExpressionAttributeNames: { '#sk': Attr.sk } } } }),
      );
      for (const item of result.Responses?.[this.tableName] ?? []) {
        const sk = item[Attr.sk]?.S;
        if (sk !== undefined) applied.add(sk.slice(SortKey.input('').length));
      }
      pending = pending.concat(result.UnprocessedKeys?.[this.tableName]?.Keys ?? []);
    }
    return applied;
  }

  /** Reads several state items in one round trip; missing ones are absent from the map. */
  async getMany(nodeKey: string, sks: readonly string[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const unknown: string[] = [];
    for (const sk of new Set(sks)) {
      const pending = this.pendingItem(nodeKey, sk);
      if (pending !== undefined) {
        if (pending !== null) out.set(sk, pending.slice());
        continue;
      }
      const known = this.knownItem(nodeKey, sk);
      if (known === undefined) unknown.push(sk);
      else if (known.data !== undefined) out.set(sk, known.data.slice());
    }
    const found = new Map<string, Record<string, AttributeValue>>();
    let pending: Record<string, AttributeValue>[] = unknown.map((sk) => key(nodeKey, sk));
    while (pending.length > 0) {
      const batch = pending.slice(0, 100);
      pending = pending.slice(100);
      const result = await this.client.send(
        new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: batch, ConsistentRead: true } } }),
      );
      for (const item of result.Responses?.[this.tableName] ?? []) {
        const sk = item[Attr.sk]?.S;
        const data = item[Attr.data]?.B;
        if (sk !== undefined) found.set(sk, item);
        if (sk !== undefined && data !== undefined) out.set(sk, data);
      }
      const unprocessed = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      pending = pending.concat(unprocessed);
    }
    // Every key asked was answered (unprocessed ones asked again): one not found has no item.
    for (const sk of unknown) this.noteRead(nodeKey, sk, found.get(sk));
    return out;
  }

  /**
   * Every state item whose sort key starts with `prefix`, in sort-key order
   * (`newest-first`: descending), the first `limit` only when given.
   */
  async query(nodeKey: string, prefix: string, limit?: number, order: 'oldest-first' | 'newest-first' = 'oldest-first'): Promise<{ sk: string; data: Uint8Array }[]> {
    const touched = this.pendingKeysUnder(nodeKey, prefix);
    if (touched.length > 0) {
      // The table's items (as many more as the group may have removed or replaced), the group's writes over them.
      const stored = await this.withoutPending().query(nodeKey, prefix, limit === undefined ? undefined : limit + touched.length, order);
      const rows = new Map(stored.map((row) => [row.sk, row.data]));
      for (const sk of touched) {
        const data = this.pendingItem(nodeKey, sk);
        if (data === null || data === undefined) rows.delete(sk);
        else rows.set(sk, data.slice());
      }
      const sorted = [...rows.keys()].sort();
      if (order === 'newest-first') sorted.reverse();
      return sorted.slice(0, limit).map((sk) => ({ sk, data: rows.get(sk)! }));
    }
    const out: { sk: string; data: Uint8Array }[] = [];
    for (const item of await this.queryItems(nodeKey, prefix, limit, order === 'newest-first')) {
      const sk = item[Attr.sk]?.S;
      const data = item[Attr.data]?.B;
      if (sk !== undefined && data !== undefined) out.push({ sk, data });
      // Each item found is known (a key under the prefix not found is not: the Query may stop at `limit`).
      if (sk !== undefined) this.noteRead(nodeKey, sk, item);
    }
    return out;
  }

  /** The sort keys (only) of the items under `prefix`, in sort-key order: a keys-only Query (e.g. the channels of one peer). */
  async queryKeys(nodeKey: string, prefix: string): Promise<string[]> {
    const stored = (await this.queryItems(nodeKey, prefix, undefined, false, true)).flatMap((item) => {
      const sk = item[Attr.sk]?.S;
      return sk === undefined ? [] : [sk];
    });
    const touched = this.pendingKeysUnder(nodeKey, prefix);
    if (touched.length === 0) return stored;
    const keys = new Set(stored);
    for (const sk of touched) {
      if (this.pendingItem(nodeKey, sk) === null) keys.delete(sk);
      else keys.add(sk);
    }
    return [...keys].sort();
  }

  /** This view without the group's writes (what the table and `known` say). */
  private withoutPending(): NodeStore {
    if (this.pending === undefined) return this;
    const view = Object.create(this) as NodeStore;
    Object.defineProperty(view, 'pending', { value: undefined });
    return view;
  }

  /** The raw items of the node's partition under a sort-key prefix, all pages (only their keys with `keysOnly`). */
  private async queryItems(nodeKey: string, prefix: string, limit?: number, descending = false, keysOnly = false): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const left = limit === undefined ? undefined : limit - items.length;
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': Attr.pk, '#sk': Attr.sk },
          ExpressionAttributeValues: { ':pk': { S: nodePartition(nodeKey) }, ':prefix': { S: prefix } },
          ConsistentRead: true,
          ...(keysOnly ? { ProjectionExpression: '#pk, #sk' } : {}),
          ...(descending ? { ScanIndexForward: false } : {}),
          ...(left === undefined ? {} : { Limit: left }),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(result.Items ?? []));
      start = result.LastEvaluatedKey;
    } while (start && (limit === undefined || items.length < limit));
    return items;
  }

  /**
   * Writes a few items outside the lease, all or nothing, each only if no
   * item has its key yet (an invoice and its request's idempotency record):
   * one PutItem for one item, else one TransactWriteItems. Never overwrites:
   * when any key is taken, nothing is written and it throws
   * `condition-failed` naming the taken keys. Only for items no commit
   * writes unconditionally (a commit may later replace them under a `state`
   * condition).
   */
  async putNew(nodeKey: string, puts: readonly Omit<ItemPut, 'condition'>[]): Promise<void> {
    if (puts.length === 0) return;
    if (puts.length > MAX_TRANSACTION_ITEMS) throw new StoreError(StoreErrorCode.CommitTooLarge, `${puts.length} puts exceed DynamoDB's ${MAX_TRANSACTION_ITEMS} per transaction`);
    if (touchesChainWatch(puts.map((p) => p.sk))) throw new TypeError('CHAIN_WATCH# items are written in a commit (their version moves with them)');
    const absent = puts.map((p) => ({ ...p, condition: { kind: 'absent' } as const }));
    if (absent.length === 1) return this.putIf(nodeKey, absent[0]!);
    try {
      await this.client.send(new TransactWriteItemsCommand({ TransactItems: absent.map((p) => ({ Put: putRequest(this.tableName, nodeKey, p) })) }));
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const reasons = error.CancellationReasons ?? [];
        const taken = absent.filter((_, i) => isConditionFailure(reasons[i]));
        if (taken.length > 0) throw new StoreError(StoreErrorCode.ConditionFailed, `not written: ${taken.map(conditionText).join('; ')}`);
        throw new StoreError(StoreErrorCode.CommitFailed, `put cancelled: ${reasons.map((r) => r.Code).join(',')}`);
      }
      throw error;
    }
  }

  /**
   * Writes one item outside the lease if its condition holds (an open
   * invoice canceled: `{ kind: 'state', state: 'open' }`); else throws
   * `condition-failed` and writes nothing.
   */
  async putIf(nodeKey: string, put: ItemPut & { readonly condition: PutCondition }): Promise<void> {
    if (touchesChainWatch([put.sk])) throw new TypeError('CHAIN_WATCH# items are written in a commit (their version moves with them)');
    try {
      await this.client.send(new PutItemCommand(putRequest(this.tableName, nodeKey, put)));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new StoreError(StoreErrorCode.ConditionFailed, `not written: ${conditionText(put)}`);
      throw error;
    }
  }

  /**
   * One page of the items under `prefix`, in sort-key order, starting after
   * the sort key `after` (exclusive; it need not exist; from the first when
   * undefined): at most `limit` items, and whether more follow (one item
   * more is asked for, so `more` is exact).
   */
  async queryPage(nodeKey: string, prefix: string, options: { readonly after?: string | undefined; readonly limit: number }): Promise<{ items: { sk: string; data: Uint8Array }[]; more: boolean }> {
    this.refuseGroupRead(nodeKey, prefix, 'a page');
    const { after, limit } = options;
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: after === undefined ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk AND #sk BETWEEN :after AND :end',
        ExpressionAttributeNames: { '#pk': Attr.pk, '#sk': Attr.sk },
        ExpressionAttributeValues: {
          ':pk': { S: nodePartition(nodeKey) },
          // Every key under the prefix sorts below the prefix followed by U+FFFF.
          ...(after === undefined ? { ':prefix': { S: prefix } } : { ':after': { S: after }, ':end': { S: `${prefix}\uffff` } }),
        },
        ConsistentRead: true,
        // One more than asked (two after a cursor, which may itself come back): `more` needs no second Query.
        Limit: limit + (after === undefined ? 1 : 2),
      }),
    );
    const items = (result.Items ?? []).flatMap((item) => {
      const sk = item[Attr.sk]?.S;
      const data = item[Attr.data]?.B;
      return sk === undefined || data === undefined || sk === after ? [] : [{ sk, data }];
    });
    return { items: items.slice(0, limit), more: items.length > limit };
  }


  /**
   * Commits one invocation in a single TransactWriteItems: the lease must
   * still carry our fence (checked inside the transaction, and released
   * there when `release` is set), the input must be new, then every state
   * write, and the input's outbox item (all its messages in one item). All
   * or nothing.
   */
  async commit(lease: Lease, commit: Commit): Promise<void> {
    const table = this.tableName;
    const fenced = {
      TableName: table,
      Key: key(lease.nodeKey, SortKey.lease),
      ConditionExpression: '#fence = :fence AND #owner = :owner',
    };
    const fenceValues = { ':fence': { N: lease.fence.toString() }, ':owner': { S: lease.owner } };
    // The fenced lease write also counts the commit (a snapshot read beside a later acquisition is checked against the count).
    const items: TransactWriteItem[] = [
      {
        Update: {
          ...fenced,
          UpdateExpression: commit.release ? 'SET #exp = :zero ADD #commits :one' : 'ADD #commits :one',
          ExpressionAttributeNames: { '#fence': Attr.fence, '#owner': Attr.owner, '#commits': Attr.commits, ...(commit.release ? { '#exp': Attr.expiresAtMs } : {}) },
          ExpressionAttributeValues: { ...fenceValues, ':one': { N: '1' }, ...(commit.release ? { ':zero': { N: '0' } } : {}) },
        },
      },
    ];
    const inputs = commit.inputId === undefined ? [] : [...(commit.groupedBefore ?? []), commit.inputId];
    for (const inputId of inputs) {
      items.push({
        Put: {
          TableName: table,
          Item: {
            ...key(lease.nodeKey, SortKey.input(inputId)),
            [Attr.ttl]: { N: String(Math.floor(this.now() / 1000) + INPUT_RETENTION_SEC) },
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': Attr.pk },
        },
      });
    }
    const firstPut = items.length;
    for (const put of commit.puts ?? []) items.push({ Put: putRequest(table, lease.nodeKey, put) });
    for (const sk of commit.deletes ?? []) {
      items.push({ Delete: { TableName: table, Key: key(lease.nodeKey, sk) } });
    }
    if (touchesChainWatch([...(commit.puts ?? []).map((p) => p.sk), ...(commit.deletes ?? [])])) {
      // The watch version moves with the items, in the same transaction (SortKey.chainWatchVersion).
      items.push({ Update: { TableName: table, Key: key(lease.nodeKey, SortKey.chainWatchVersion), ...ADD_ONE } });
    }
    if ((commit.cleanup ?? []).some((sk) => sk.startsWith(SortKey.chainWatchPrefix))) {
      throw new TypeError('CHAIN_WATCH# items are deleted in the commit, not after it (their version moves with them)');
    }
    const outbox = commit.outbox ?? [];
    let outboxBytes = 0;
    if (outbox.length > 0) {
      if (commit.inputId === undefined) throw new TypeError('a commit with outbox messages needs the input id that keys its outbox item');
      let parts: OutboxMessage[][];
      try {
        parts = outboxParts(outbox);
      } catch (error) {
        // DynamoDB would refuse the item (400 KB); say what happened instead (docs/commit-protocol.md, "Limits").
        throw new StoreError(StoreErrorCode.CommitTooLarge, `the outbox of input ${commit.inputId}: ${(error as Error).message}`);
      }
      parts.forEach((part, i) => {
        const data = encodeOutboxRecord(part);
        outboxBytes += data.length;
        const sk = i === 0 ? SortKey.outbox(commit.inputId!) : SortKey.outboxPart(commit.inputId!, i + 1);
        items.push({ Put: { TableName: table, Item: { ...key(lease.nodeKey, sk), [Attr.data]: { B: data } } } });
      });
    }
    if (outboxBytes > MAX_OUTBOX_BYTES_PER_COMMIT) {
      // DynamoDB refuses a transaction over 4 MB; say what happened instead (docs/commit-protocol.md, "Limits").
      throw new StoreError(StoreErrorCode.CommitTooLarge, `the outbox of input ${commit.inputId} (${outbox.length} messages) is ${outboxBytes} bytes, over the ${MAX_OUTBOX_BYTES_PER_COMMIT} a commit may hold`);
    }
    const cleanup = commit.cleanup ?? [];
    if (cleanup.length > 0) {
      if (commit.inputId === undefined) throw new TypeError('a commit with deferred deletes needs the input id that keys its cleanup item');
      const data = encodeCleanupRecord(cleanup);
      if (data.length > MAX_CLEANUP_ITEM_BYTES) {
        throw new StoreError(
          StoreErrorCode.CommitTooLarge,
          `the cleanup item of input ${commit.inputId} (${cleanup.length} keys) is ${data.length} bytes, over the ${MAX_CLEANUP_ITEM_BYTES} an item may hold`,
        );
      }
      items.push({
        Put: { TableName: table, Item: { ...key(lease.nodeKey, SortKey.cleanup(commit.inputId)), [Attr.kind]: { S: CLEANUP_KIND }, [Attr.data]: { B: data } } },
      });
    }
    if (items.length > MAX_TRANSACTION_ITEMS) {
      // DynamoDB would refuse it with a ValidationException; say what happened instead (docs/commit-protocol.md, "Limits").
      throw new StoreError(
        StoreErrorCode.CommitTooLarge,
        `a commit of ${items.length} writes (${commit.puts?.length ?? 0} puts, ${commit.deletes?.length ?? 0} deletes, ${outbox.length > 0 ? 1 : 0} outbox item, ${cleanup.length > 0 ? 1 : 0} cleanup item) exceeds DynamoDB's ${MAX_TRANSACTION_ITEMS} per transaction`,
      );
    }
    try {
      await this.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const reasons = error.CancellationReasons ?? [];
        if (isConditionFailure(reasons[0])) {
          throw new StoreError(StoreErrorCode.LeaseLost, `lease on ${lease.nodeKey} lost (fence ${lease.fence})`);
        }
        const replayed = inputs.filter((_, i) => isConditionFailure(reasons[1 + i]));
        if (replayed.length > 0) {
          throw new StoreError(StoreErrorCode.DuplicateInput, `input ${replayed.join(', ')} was already applied`);
        }
        const failed = (commit.puts ?? []).filter((_, i) => isConditionFailure(reasons[firstPut + i]));
        if (failed.length > 0) {
          throw new StoreError(StoreErrorCode.ConditionFailed, `commit cancelled, a put's condition failed: ${failed.map(conditionText).join('; ')}`);
        }
        throw new StoreError(StoreErrorCode.CommitFailed, `commit cancelled: ${reasons.map((r) => r.Code).join(',')}`);
      }
      throw error;
    }
  }

  /**
   * Outbox items left by earlier commits (one per input, its messages in
   * order), in sort-key order. An item that does not decode is a broken
   * invariant (`corrupt-item`): we wrote it. An item of the layout before
   * (one message per item, with `group` and `destination` attributes, keyed
   * by the message id) reads as an item of that one message, keyed so that
   * `deleteOutbox` removes it.
   */
  async pendingOutbox(nodeKey: string): Promise<OutboxItem[]> {
    return (await this.leftovers(nodeKey)).outbox;
  }

  /** Cleanup items left by earlier commits (one per input), in sort-key order; one that does not decode is `corrupt-item`. */
  async pendingCleanup(nodeKey: string): Promise<CleanupItem[]> {
    return (await this.leftovers(nodeKey)).cleanup;
  }

  /**
   * What earlier commits left for after them, in ONE Query (the cleanup
   * items live under the outbox prefix): outbox items to relay and cleanup
   * items to finish, each in sort-key order.
   */
  async leftovers(nodeKey: string): Promise<{ outbox: OutboxItem[]; cleanup: CleanupItem[] }> {
    const items = await this.queryItems(nodeKey, SortKey.outboxPrefix);
    const cleanup = items.filter((item) => item[Attr.kind]?.S === CLEANUP_KIND).map((item) => {
      const sk = item[Attr.sk]?.S ?? '';
      const inputId = sk.slice(SortKey.outboxPrefix.length, sk.length - CLEANUP_SUFFIX.length);
      const decoded = decodeCleanupRecord(item[Attr.data]?.B ?? new Uint8Array(0));
      if (!decoded.ok) throw new StoreError(StoreErrorCode.CorruptItem, `cleanup item of input ${inputId}: ${decoded.error.message}`);
      return { inputId, keys: decoded.value };
    });
    const outbox = items.filter((item) => item[Attr.kind]?.S !== CLEANUP_KIND).map((item) => {
      const inputId = (item[Attr.sk]?.S ?? '').slice(SortKey.outboxPrefix.length);
      const body = item[Attr.data]?.B ?? new Uint8Array(0);
      const legacyGroup = item[Attr.legacyGroup]?.S;
      if (legacyGroup !== undefined) {
        return { inputId, messages: [{ id: inputId, destination: item[Attr.legacyDestination]?.S ?? '', group: legacyGroup, body }] };
      }
      const decoded = decodeOutboxRecord(body);
      if (!decoded.ok) throw new StoreError(StoreErrorCode.CorruptItem, `outbox item of input ${inputId}: ${decoded.error.message}`);
      return { inputId, messages: decoded.value };
    });
    return { outbox, cleanup };
  }

  /**
   * Deletes items outside any lease: only for items no commit writes again
   * (acknowledged events). BatchWriteItem, 25 keys per call, unprocessed
   * keys retried.
   */
  async deleteItems(nodeKey: string, sks: readonly string[]): Promise<void> {
    for (let i = 0; i < sks.length; i += 25) {
      let requests = sks.slice(i, i + 25).map((sk) => ({ DeleteRequest: { Key: key(nodeKey, sk) } }));
      while (requests.length > 0) {
        const result = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (result.UnprocessedItems?.[this.tableName] ?? []).flatMap((r) => (r.DeleteRequest?.Key ? [{ DeleteRequest: { Key: r.DeleteRequest.Key } }] : []));
      }
    }
    // After the deletes: a reader that saw the version before them reads the items again (SortKey.chainWatchVersion).
    if (touchesChainWatch(sks)) await this.client.send(new UpdateItemCommand({ TableName: this.tableName, Key: key(nodeKey, SortKey.chainWatchVersion), ...ADD_ONE }));
  }

  /**
   * Carries out a commit's deferred deletes: its keys (BatchWriteItem, 25
   * per call), then its cleanup item. A crash midway leaves the item, and
   * doing it again is harmless (the keys name items no commit writes again).
   */
  async finishCleanup(nodeKey: string, item: CleanupItem): Promise<void> {
    await this.deleteItems(nodeKey, item.keys);
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: key(nodeKey, SortKey.cleanup(item.inputId)) }));
  }

  /** The highest event id acknowledged (`EVENTS_ACKED`), undefined when none ever was (docs/events.md). */
  async readEventsAcked(nodeKey: string): Promise<bigint | undefined> {
    const result = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: key(nodeKey, SortKey.eventsAcked), ConsistentRead: true }));
    const n = result.Item?.[Attr.ackedUpTo]?.N;
    return n === undefined ? undefined : BigInt(n);
  }

  /**
   * Raises `EVENTS_ACKED` to `upTo`, outside the lease (a conditional max:
   * it never goes down, whatever the order of concurrent calls). Returns the
   * value before (undefined when absent) when it was raised, `false` when it
   * was already at or past `upTo`.
   */
  async raiseEventsAcked(nodeKey: string, upTo: bigint): Promise<{ readonly previous: bigint | undefined } | false> {
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: key(nodeKey, SortKey.eventsAcked),
          UpdateExpression: 'SET #u = :u',
          ConditionExpression: 'attribute_not_exists(#u) OR #u < :u',
          ExpressionAttributeNames: { '#u': Attr.ackedUpTo },
          ExpressionAttributeValues: { ':u': { N: upTo.toString() } },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      const before = result.Attributes?.[Attr.ackedUpTo]?.N;
      return { previous: before === undefined ? undefined : BigInt(before) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** An item updated outside the lease (`WEBHOOKS`, `WEBHOOK_DELIVERY#`) with its version (attribute `ver`, 0 when absent). */
  async getVersioned(nodeKey: string, sk: string): Promise<VersionedItem | undefined> {
    this.refuseGroupRead(nodeKey, sk, 'a versioned read');
    const result = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: key(nodeKey, sk), ConsistentRead: true }));
    const item = result.Item;
    const data = item?.[Attr.data]?.B;
    if (item === undefined || data === undefined) return undefined;
    return { sk, data, version: Number(item[Attr.version]?.N ?? '0') };
  }

  /** Like {@link query}, with each item's version. */
  async queryVersioned(nodeKey: string, prefix: string, limit?: number, order: 'oldest-first' | 'newest-first' = 'oldest-first'): Promise<VersionedItem[]> {
    this.refuseGroupRead(nodeKey, prefix, 'a versioned query');
    return (await this.queryItems(nodeKey, prefix, limit, order === 'newest-first')).flatMap((item) => {
      const sk = item[Attr.sk]?.S;
      const data = item[Attr.data]?.B;
      return sk === undefined || data === undefined ? [] : [{ sk, data, version: Number(item[Attr.version]?.N ?? '0') }];
    });
  }

  /**
   * Writes items outside the lease, all or nothing (one TransactWriteItems,
   * or a single conditional write): puts and deletes, each put or delete
   * with `ifVersion` done only when the item's version is that (0: absent,
   * or written without a version), a put writing `ifVersion + 1` (or
   * `version`). Resolves false, writing nothing, when a condition failed.
   */
  async writeVersioned(nodeKey: string, writes: readonly VersionedWrite[]): Promise<boolean> {
    if (writes.length === 0) return true;
    if (touchesChainWatch(writes.map((w) => w.sk))) throw new TypeError('CHAIN_WATCH# items are written in a commit (their version moves with them)');
    if (writes.length > MAX_TRANSACTION_ITEMS) throw new StoreError(StoreErrorCode.CommitTooLarge, `${writes.length} versioned writes exceed DynamoDB's ${MAX_TRANSACTION_ITEMS} per transaction`);
    const items: TransactWriteItem[] = writes.map((w) => {
      const condition =
        w.ifVersion === undefined
          ? {}
          : {
              ConditionExpression: w.ifVersion === 0 ? 'attribute_not_exists(#ver) OR #ver = :ver' : '#ver = :ver',
              ExpressionAttributeNames: { '#ver': Attr.version },
              ExpressionAttributeValues: { ':ver': { N: String(w.ifVersion) } },
            };
      if (w.data === undefined) return { Delete: { TableName: this.tableName, Key: key(nodeKey, w.sk), ...condition } };
      const version = w.version ?? (w.ifVersion ?? 0) + 1;
      const item: Record<string, AttributeValue> = { ...key(nodeKey, w.sk), [Attr.data]: { B: w.data }, [Attr.version]: { N: String(version) } };
      if (w.ttlSec !== undefined) item[Attr.ttl] = { N: String(w.ttlSec) };
      return { Put: { TableName: this.tableName, Item: item, ...condition } };
    });
    try {
      await this.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException && (error.CancellationReasons ?? []).some(isConditionFailure)) return false;
      throw error;
    }
  }

  /** Removes an input's outbox item (and its parts 2..`parts`) once every one of its messages has been handed to the queue. */
  async deleteOutbox(nodeKey: string, inputId: string, parts = 1): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: key(nodeKey, SortKey.outbox(inputId)) }));
    for (let n = 2; n <= parts; n++) await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: key(nodeKey, SortKey.outboxPart(inputId, n)) }));
  }
}
