/**
 * The public channel graph in DynamoDB, beside the nodes' partitions and
 * never inside one: gossip is written without any node's lease (issue 18).
 * Items hold the BOLT 7 messages as received (type and payload), so a peer
 * asking for them gets the signed bytes back unchanged.
 *
 * Partitions (`<chain>` is the chain hash in hex):
 *
 * | pk | sk | item |
 * |---|---|---|
 * | `GRAPH#<chain>#<shard>` | `C#<scid, 20 digits>` | `channel_announcement` (`d`), its node ids (`n1`, `n2`), funding keys (`k1`, `k2`), capacity in sat (`cap`) when the funding output was read, when we stored it (`rcv`, seconds) |
 * | `GRAPH#<chain>#<shard>` | `C#<scid>#<0 or 1>` | the newest `channel_update` of that direction (`d`), its timestamp (`ts`) |
 * | `GRAPH#<chain>#<shard>` | `N#<node id hex>` | a node with an announced channel; its newest `node_announcement` (`d`, `ts`) once one came |
 * | `GRAPH#<chain>` | `SNAPSHOT` | the current graph snapshot: id, chunk count, bytes |
 * | `GRAPH#<chain>` | `SNAP#<id>#<chunk, 4 digits>` | one chunk of a snapshot (at most {@link SNAPSHOT_CHUNK_BYTES}) |
 * | `GRAPH#<chain>` | `CHANGES` | counter: stored gossip changes since the last snapshot |
 * | `GRAPH#<chain>` | `UPKEEP` | when the graph was last pruned (`pruned`, ms) |
 * | `GRAPH#<chain>` | `FILTER#<connection id>` | a peer's `gossip_timestamp_filter` on that connection (`p` peer, `first`, `range`), expiring (`ttl`) |
 *
 * Channels are spread over {@link GRAPH_SHARDS} partitions by short channel
 * id (nodes by their id's last byte), so that a gossip burst is not held to
 * one partition's write rate. A channel and its two updates share a
 * partition and a sort key prefix: one Query reads all three.
 *
 * Every write is idempotent and ordered by a condition: an announcement is
 * written once, an update or a node announcement only over an older one.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { bytesToHex, hexToBytes } from '../codec/index.js';
import { StoreError, StoreErrorCode } from './errors.js';

/** Partitions the channels and nodes are spread over. */
export const GRAPH_SHARDS = 8;

/** Largest snapshot chunk: under DynamoDB's 400 KB item with room for the keys. */
export const SNAPSHOT_CHUNK_BYTES = 350 * 1024;

const A = { data: 'd', ts: 'ts', node1: 'n1', node2: 'n2', key1: 'k1', key2: 'k2', capacity: 'cap', received: 'rcv', id: 'id', chunks: 'chunks', bytes: 'bytes', count: 'n', built: 'built', pruned: 'pruned', peer: 'p', first: 'first', range: 'range' } as const;

const pad20 = (n: bigint): string => n.toString().padStart(20, '0');
const pad4 = (n: number): string => n.toString().padStart(4, '0');

/** The shard of a short channel id. */
export function channelShard(shortChannelId: bigint): number {
  return Number(shortChannelId % BigInt(GRAPH_SHARDS));
}

/** The shard of a node id (its last byte). */
export function nodeShard(nodeId: Uint8Array): number {
  return (nodeId[nodeId.length - 1] ?? 0) % GRAPH_SHARDS;
}

/** A stored channel: its announcement (absent when none yet) and the newest update of each direction. */
export interface StoredChannel {
  readonly shortChannelId: bigint;
  readonly announcement?: StoredAnnouncement;
  readonly updates: readonly [StoredUpdate | undefined, StoredUpdate | undefined];
}

export interface StoredAnnouncement {
  /** The `channel_announcement` as received: type and payload. */
  readonly message: Uint8Array;
  readonly nodeId1: Uint8Array;
  readonly nodeId2: Uint8Array;
  readonly bitcoinKey1: Uint8Array;
  readonly bitcoinKey2: Uint8Array;
  /** The funding output's value, when it was read from the chain. */
  readonly capacitySat?: bigint;
  /** When we stored it (unix seconds, our clock); absent on items written before it was kept. */
  readonly receivedAtSec?: number;
}

export interface StoredUpdate {
  readonly timestamp: number;
  /** The `channel_update` as received. */
  readonly message: Uint8Array;
}

/** A stored node: known from an announced channel; its newest `node_announcement` when one came. */
export interface StoredNode {
  readonly nodeId: Uint8Array;
  readonly announcement?: StoredUpdate;
}

/** The current snapshot as the pointer item names it. */
export interface SnapshotPointer {
  readonly id: string;
  readonly chunks: number;
  readonly bytes: number;
}

export interface GraphStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** The chain the graph is of (BOLT 7 `chain_hash`): its partitions are its own. */
  readonly chainHash: Uint8Array;
}

/**
 * A peer's `gossip_timestamp_filter` on one connection: new gossip in
 * `[firstTimestamp, firstTimestamp + timestampRange)` is relayed to it
 * (functions/gossip/gossip-relay.ts).
 */
export interface RelayFilter {
  /** The peer's node id, hex. */
  readonly peer: string;
  readonly connectionId: string;
  readonly firstTimestamp: number;
  readonly timestampRange: number;
  /** When the item expires (seconds; DynamoDB's `ttl`): read as gone from then on. */
  readonly expiresAtSec: number;
}

/** What a write cost, for the bench: items and bytes written. */
export interface GraphWriteCount {
  items: number;
  bytes: number;
  reads: number;
}

const bin = (b: Uint8Array): AttributeValue => ({ B: b });
const num = (n: number | bigint): AttributeValue => ({ N: n.toString() });
const str = (s: string): AttributeValue => ({ S: s });

function bytesOf(item: Record<string, AttributeValue>, name: string): Uint8Array {
  const v = item[name]?.B;
  if (v === undefined) throw new StoreError(StoreErrorCode.CorruptItem, `graph item ${item['sk']?.S ?? '?'} has no ${name}`);
  return v;
}

function numberOf(item: Record<string, AttributeValue>, name: string): number | undefined {
  const v = item[name]?.N;
  return v === undefined ? undefined : Number(v);
}

/** The graph's items under their own partitions: see the module comment. */
export class GraphStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #chain: string;
  /** Items, bytes and read requests since construction (the bench reads them). */
  readonly counts: GraphWriteCount = { items: 0, bytes: 0, reads: 0 };

  constructor(options: GraphStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#chain = bytesToHex(options.chainHash);
  }

  /** The partition of a shard, or the graph's own (snapshot, counter) without one. */
  partition(shard?: number): string {
    return shard === undefined ? `GRAPH#${this.#chain}` : `GRAPH#${this.#chain}#${shard}`;
  }

  /** One Query: the channel's announcement and both updates. */
  async channel(shortChannelId: bigint): Promise<StoredChannel> {
    const items = await this.#query(this.partition(channelShard(shortChannelId)), `C#${pad20(shortChannelId)}`);
    return channelsOf(items)[0] ?? { shortChannelId, updates: [undefined, undefined] };
  }

  /**
   * Writes a checked `channel_announcement` once (a second write of the same
   * short channel id changes nothing and answers false), then marks both
   * nodes as having an announced channel.
   */
  async putChannelAnnouncement(a: StoredAnnouncement & { readonly shortChannelId: bigint }): Promise<boolean> {
    const item: Record<string, AttributeValue> = {
      pk: str(this.partition(channelShard(a.shortChannelId))),
      sk: str(`C#${pad20(a.shortChannelId)}`),
      [A.data]: bin(a.message),
      [A.node1]: bin(a.nodeId1),
      [A.node2]: bin(a.nodeId2),
      [A.key1]: bin(a.bitcoinKey1),
      [A.key2]: bin(a.bitcoinKey2),
      ...(a.capacitySat === undefined ? {} : { [A.capacity]: num(a.capacitySat) }),
      ...(a.receivedAtSec === undefined ? {} : { [A.received]: num(a.receivedAtSec) }),
    };
    const written = await this.#putIf(item, 'attribute_not_exists(sk)', {}, a.message.length + 132);
    if (!written) return false;
    await Promise.all(
      [a.nodeId1, a.nodeId2].map(async (nodeId) => {
        // Creates the node item when absent; an existing one (and its announcement) is left as it is.
        await this.#client.send(
          new UpdateItemCommand({
            TableName: this.#table,
            Key: { pk: str(this.partition(nodeShard(nodeId))), sk: str(`N#${bytesToHex(nodeId)}`) },
            UpdateExpression: 'SET #n = if_not_exists(#n, :one)',
            ExpressionAttributeNames: { '#n': A.count },
            ExpressionAttributeValues: { ':one': num(1) },
          }),
        );
        this.counts.items++;
        this.counts.bytes += 110;
      }),
    );
    return true;
  }

  /** Writes a checked `channel_update` over the stored one of its direction only when newer (false otherwise). */
  async putChannelUpdate(shortChannelId: bigint, direction: 0 | 1, timestamp: number, message: Uint8Array): Promise<boolean> {
    const item = {
      pk: str(this.partition(channelShard(shortChannelId))),
      sk: str(`C#${pad20(shortChannelId)}#${direction}`),
      [A.data]: bin(message),
      [A.ts]: num(timestamp),
    };
    return this.#putIf(item, 'attribute_not_exists(#ts) OR #ts < :ts', { ':ts': num(timestamp) }, message.length + 60);
  }

  /** One GetItem: whether the node has an announced channel, and its stored announcement (timestamp and bytes). */
  async node(nodeId: Uint8Array): Promise<{ readonly known: boolean; readonly timestamp?: number; readonly message?: Uint8Array }> {
    this.counts.reads++;
    const result = await this.#client.send(
      new GetItemCommand({ TableName: this.#table, Key: { pk: str(this.partition(nodeShard(nodeId))), sk: str(`N#${bytesToHex(nodeId)}`) } }),
    );
    if (result.Item === undefined) return { known: false };
    const ts = numberOf(result.Item, A.ts);
    return ts === undefined ? { known: true } : { known: true, timestamp: ts, message: bytesOf(result.Item, A.data) };
  }

  /** Writes a checked `node_announcement` for a node with an announced channel, only over an older one (false otherwise). */
  async putNodeAnnouncement(nodeId: Uint8Array, timestamp: number, message: Uint8Array): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { pk: str(this.partition(nodeShard(nodeId))), sk: str(`N#${bytesToHex(nodeId)}`) },
          UpdateExpression: 'SET #d = :d, #ts = :ts',
          ConditionExpression: 'attribute_exists(sk) AND (attribute_not_exists(#ts) OR #ts < :ts)',
          ExpressionAttributeNames: { '#d': A.data, '#ts': A.ts },
          ExpressionAttributeValues: { ':d': bin(message), ':ts': num(timestamp) },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    this.counts.items++;
    this.counts.bytes += message.length + 110;
    return true;
  }

  /** Every stored channel, shard by shard, in short channel id order within a shard. */
  async *channels(): AsyncGenerator<StoredChannel> {
    for (let shard = 0; shard < GRAPH_SHARDS; shard++) {
      yield* channelsOf(await this.#query(this.partition(shard), 'C#'));
    }
  }

  /** Every stored node. */
  async *nodes(): AsyncGenerator<StoredNode> {
    for (let shard = 0; shard < GRAPH_SHARDS; shard++) {
      for (const item of await this.#query(this.partition(shard), 'N#')) {
        const nodeId = hexToBytes((item['sk']?.S ?? '').slice(2));
        const ts = numberOf(item, A.ts);
        yield ts === undefined ? { nodeId } : { nodeId, announcement: { timestamp: ts, message: bytesOf(item, A.data) } };
      }
    }
  }

  /** Keeps a peer's filter for its connection (a later filter on the same connection replaces it). */
  async putRelayFilter(f: RelayFilter): Promise<void> {
    await this.#client.send(
      new PutItemCommand({
        TableName: this.#table,
        Item: {
          pk: str(this.partition()),
          sk: str(`FILTER#${f.connectionId}`),
          [A.peer]: str(f.peer),
          [A.first]: num(f.firstTimestamp),
          [A.range]: num(f.timestampRange),
          ttl: num(f.expiresAtSec),
        },
      }),
    );
    this.counts.items++;
    this.counts.bytes += 120;
  }

  /** Forgets the filter of a connection that ended (nothing when it had none). */
  async deleteRelayFilter(connectionId: string): Promise<void> {
    await this.#client.send(new DeleteItemCommand({ TableName: this.#table, Key: { pk: str(this.partition()), sk: str(`FILTER#${connectionId}`) } }));
  }

  /** The filters in force at `nowSec` (one Query, at most `limit` items read; expired ones left out, as DynamoDB deletes them late). */
  async relayFilters(nowSec: number, limit: number): Promise<RelayFilter[]> {
    if (limit < 1) return [];
    this.counts.reads++;
    const page = await this.#client.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': str(this.partition()), ':p': str('FILTER#') },
        Limit: limit,
      }),
    );
    return (page.Items ?? []).flatMap((item) => {
      const expiresAtSec = numberOf(item, 'ttl') ?? 0;
      const peer = item[A.peer]?.S;
      if (expiresAtSec <= nowSec || peer === undefined) return [];
      return [{ peer, connectionId: (item['sk']?.S ?? '').slice('FILTER#'.length), firstTimestamp: numberOf(item, A.first) ?? 0, timestampRange: numberOf(item, A.range) ?? 0, expiresAtSec }];
    });
  }

  /** Adds `n` to the changes since the last snapshot; answers the new total. */
  async addChanges(n: number): Promise<number> {
    const result = await this.#client.send(
      new UpdateItemCommand({
        TableName: this.#table,
        Key: { pk: str(this.partition()), sk: str('CHANGES') },
        UpdateExpression: 'ADD #n :n',
        ExpressionAttributeNames: { '#n': A.count },
        ExpressionAttributeValues: { ':n': num(n) },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(result.Attributes?.[A.count]?.N ?? '0');
  }

  /** The changes stored since the last snapshot (one GetItem; 0 before any). */
  async changes(): Promise<number> {
    this.counts.reads++;
    const result = await this.#client.send(new GetItemCommand({ TableName: this.#table, Key: { pk: str(this.partition()), sk: str('CHANGES') } }));
    return Number(result.Item?.[A.count]?.N ?? '0');
  }

  /** When the graph was last pruned (ms, the pruner's clock), or undefined before the first time (one GetItem). */
  async prunedAt(): Promise<number | undefined> {
    this.counts.reads++;
    const result = await this.#client.send(new GetItemCommand({ TableName: this.#table, Key: { pk: str(this.partition()), sk: str('UPKEEP') } }));
    return result.Item === undefined ? undefined : numberOf(result.Item, A.pruned);
  }

  /** Records a finished pruning pass. */
  async setPrunedAt(atMs: number): Promise<void> {
    await this.#client.send(
      new UpdateItemCommand({
        TableName: this.#table,
        Key: { pk: str(this.partition()), sk: str('UPKEEP') },
        UpdateExpression: 'SET #p = :p',
        ExpressionAttributeNames: { '#p': A.pruned },
        ExpressionAttributeValues: { ':p': num(atMs) },
      }),
    );
  }

  /**
   * Removes a channel: first its updates, each only if still older than
   * `updatedBeforeSec` (an update that came meanwhile keeps the channel),
   * then its announcement. Answers false, with the announcement kept, when
   * a newer update won.
   */
  async removeChannel(shortChannelId: bigint, updatedBeforeSec: number): Promise<boolean> {
    const pk = str(this.partition(channelShard(shortChannelId)));
    const kept = await Promise.all(
      [0, 1].map(async (direction) => {
        try {
          await this.#client.send(
            new DeleteItemCommand({
              TableName: this.#table,
              Key: { pk, sk: str(`C#${pad20(shortChannelId)}#${direction}`) },
              ConditionExpression: 'attribute_not_exists(#ts) OR #ts < :before',
              ExpressionAttributeNames: { '#ts': A.ts },
              ExpressionAttributeValues: { ':before': num(updatedBeforeSec) },
            }),
          );
          return false;
        } catch (error) {
          if (error instanceof ConditionalCheckFailedException) return true;
          throw error;
        }
      }),
    );
    if (kept.some((k) => k)) return false;
    await this.#client.send(new DeleteItemCommand({ TableName: this.#table, Key: { pk, sk: str(`C#${pad20(shortChannelId)}`) } }));
    return true;
  }

  /** Removes a node item (and its announcement): for a node left without any channel. */
  async removeNode(nodeId: Uint8Array): Promise<void> {
    await this.#client.send(new DeleteItemCommand({ TableName: this.#table, Key: { pk: str(this.partition(nodeShard(nodeId))), sk: str(`N#${bytesToHex(nodeId)}`) } }));
  }

  /** The current snapshot's pointer (one GetItem), or undefined before the first. */
  async snapshotPointer(): Promise<SnapshotPointer | undefined> {
    this.counts.reads++;
    const result = await this.#client.send(new GetItemCommand({ TableName: this.#table, Key: { pk: str(this.partition()), sk: str('SNAPSHOT') } }));
    const item = result.Item;
    if (item === undefined) return undefined;
    return { id: item[A.id]?.S ?? '', chunks: numberOf(item, A.chunks) ?? 0, bytes: numberOf(item, A.bytes) ?? 0 };
  }

  /**
   * Stores a snapshot: its chunks, then the pointer, only if the pointer is
   * still `previous` (two builders at once: one wins, the other's chunks are
   * deleted), then the previous snapshot's chunks are deleted and the changes
   * counted into it (`changes`) are taken off the counter. Answers whether
   * this snapshot became the current one.
   */
  async writeSnapshot(id: string, bytes: Uint8Array, previous: SnapshotPointer | undefined, changes: number): Promise<boolean> {
    const chunks = Math.max(1, Math.ceil(bytes.length / SNAPSHOT_CHUNK_BYTES));
    await Promise.all(
      Array.from({ length: chunks }, (_, i) =>
        this.#client.send(
          new PutItemCommand({
            TableName: this.#table,
            Item: { pk: str(this.partition()), sk: str(`SNAP#${id}#${pad4(i)}`), [A.data]: bin(bytes.subarray(i * SNAPSHOT_CHUNK_BYTES, (i + 1) * SNAPSHOT_CHUNK_BYTES)) },
          }),
        ),
      ),
    );
    const pointer = { pk: str(this.partition()), sk: str('SNAPSHOT'), [A.id]: str(id), [A.chunks]: num(chunks), [A.bytes]: num(bytes.length) };
    const won = await this.#putIf(
      pointer,
      previous === undefined ? 'attribute_not_exists(sk)' : '#id = :prev',
      previous === undefined ? {} : { ':prev': str(previous.id) },
      0,
    );
    const stale = won ? previous : { id, chunks, bytes: bytes.length };
    if (stale !== undefined) {
      await Promise.all(
        Array.from({ length: stale.chunks }, (_, i) =>
          this.#client.send(new DeleteItemCommand({ TableName: this.#table, Key: { pk: str(this.partition()), sk: str(`SNAP#${stale.id}#${pad4(i)}`) } })),
        ),
      );
    }
    if (won && changes > 0) await this.addChanges(-changes);
    return won;
  }

  /**
   * The bytes of the snapshot the pointer names: its chunks read side by
   * side (one GetItem each). Undefined when a chunk is gone (a newer
   * snapshot replaced it meanwhile: read the pointer again).
   */
  async readSnapshot(pointer: SnapshotPointer): Promise<Uint8Array | undefined> {
    const parts = await Promise.all(
      Array.from({ length: pointer.chunks }, async (_, i) => {
        this.counts.reads++;
        const result = await this.#client.send(
          new GetItemCommand({ TableName: this.#table, Key: { pk: str(this.partition()), sk: str(`SNAP#${pointer.id}#${pad4(i)}`) } }),
        );
        return result.Item?.[A.data]?.B;
      }),
    );
    if (parts.some((p) => p === undefined)) return undefined;
    const out = new Uint8Array(pointer.bytes);
    let offset = 0;
    for (const part of parts as Uint8Array[]) {
      if (offset + part.length > out.length) return undefined;
      out.set(part, offset);
      offset += part.length;
    }
    return offset === out.length ? out : undefined;
  }

  async #putIf(item: Record<string, AttributeValue>, condition: string, values: Record<string, AttributeValue>, bytes: number): Promise<boolean> {
    const names: Record<string, string> = {};
    if (condition.includes('#ts')) names['#ts'] = A.ts;
    if (condition.includes('#id')) names['#id'] = A.id;
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: item,
          ConditionExpression: condition,
          ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    this.counts.items++;
    this.counts.bytes += bytes;
    return true;
  }

  async #query(pk: string, prefix: string): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      this.counts.reads++;
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
          ExpressionAttributeValues: { ':pk': str(pk), ':p': str(prefix) },
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }
}

/** Groups `C#` items (sorted: an announcement, then its updates) into channels. */
function channelsOf(items: readonly Record<string, AttributeValue>[]): StoredChannel[] {
  const out: StoredChannel[] = [];
  let current: { shortChannelId: bigint; announcement?: StoredAnnouncement; updates: [StoredUpdate | undefined, StoredUpdate | undefined] } | undefined;
  for (const item of items) {
    const sk = item['sk']?.S ?? '';
    const scid = BigInt(sk.slice(2, 22));
    if (current?.shortChannelId !== scid) {
      if (current !== undefined) out.push(current);
      current = { shortChannelId: scid, updates: [undefined, undefined] };
    }
    if (sk.length === 22) {
      const capacity = item[A.capacity]?.N;
      const received = numberOf(item, A.received);
      current.announcement = {
        message: bytesOf(item, A.data),
        nodeId1: bytesOf(item, A.node1),
        nodeId2: bytesOf(item, A.node2),
        bitcoinKey1: bytesOf(item, A.key1),
        bitcoinKey2: bytesOf(item, A.key2),
        ...(capacity === undefined ? {} : { capacitySat: BigInt(capacity) }),
        ...(received === undefined ? {} : { receivedAtSec: received }),
      };
    } else {
      const direction = sk.endsWith('#1') ? 1 : 0;
      current.updates[direction] = { timestamp: numberOf(item, A.ts) ?? 0, message: bytesOf(item, A.data) };
    }
  }
  if (current !== undefined) out.push(current);
  return out;
}
