/**
 * Reads beside the lease (docs/commit-protocol.md, "Reads beside the
 * lease"): an input taking the lease reads its first items in one snapshot
 * beside the acquisition, and uses it only when no commit fell between the
 * two. Against DynamoDB Local; requests counted on the store's client.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { applyInput, type InvocationResult } from '../../functions/runtime/invocation.js';
import type { NodeContext } from '../../functions/runtime/node-context.js';
import { NodeStore, SortKey, ensureNodeTable, type NodeStoreOptions, type StoreSnapshot } from '../../shared/store/index.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));
const quiet = { debug() {}, info() {}, warn() {}, error() {} } as unknown as NodeContext['logger'];

let client: DynamoDBClient;
const tableName = `lease-snapshot-${randomUUID()}`;
beforeAll(async () => {
  client = localDynamoClient(inject('dynamoEndpoint'));
  await ensureNodeTable(client, tableName);
});
afterAll(() => client.destroy());

/** A store that records its DynamoDB requests and can act once its snapshot is read (before it is handed back). */
class WatchedStore extends NodeStore {
  readonly requests: string[];
  afterSnapshot: (() => Promise<void>) | undefined;

  constructor(options: NodeStoreOptions) {
    const send = options.client.send.bind(options.client) as (command: object) => Promise<unknown>;
    const counted = Object.create(options.client) as DynamoDBClient;
    const requests: string[] = [];
    counted.send = ((command: object) => {
      requests.push(command.constructor.name);
      return send(command);
    }) as DynamoDBClient['send'];
    super({ ...options, client: counted });
    this.requests = requests;
  }

  override async readSnapshot(nodeKey: string, sks: readonly string[]): Promise<StoreSnapshot | undefined> {
    const read = await super.readSnapshot(nodeKey, sks);
    await this.afterSnapshot?.();
    return read;
  }
}

function context(store: NodeStore, nodeKey: string): NodeContext {
  const outbound = { sendBatch: async () => undefined };
  return { store, nodeKey, outbound, logger: quiet, leaseTtlMs: 30_000, leaseWaitMs: 10_000 } as unknown as NodeContext;
}

/** A step reading HEADER (and its INPUT# through the replay check) and writing what it saw into SEEN. */
function readHeader(nodeKey: string, seen: { header?: string | undefined }) {
  return async (store: NodeStore): Promise<InvocationResult> => {
    seen.header = text(await store.get(nodeKey, SortKey.header));
    return { puts: [{ sk: 'SEEN', data: bytes(seen.header ?? 'none') }], deletes: [], effects: [] };
  };
}

async function seed(plain: NodeStore, nodeKey: string, header: string): Promise<void> {
  const lease = await plain.acquireLease(nodeKey, 'seeder', 30_000);
  await plain.commit(lease, { inputId: `seed-${randomUUID()}`, puts: [{ sk: SortKey.header, data: bytes(header) }], release: true });
}

describe('an input taking the lease reads its first items beside it', () => {
  it('serves the step from the snapshot: no read of HEADER or INPUT# after the acquisition', async () => {
    const nodeKey = randomUUID();
    const plain = new NodeStore({ client, tableName });
    await seed(plain, nodeKey, 'v1');
    const store = new WatchedStore({ client, tableName });
    const seen: { header?: string | undefined } = {};
    expect(await applyInput(context(store, nodeKey), 'in-1', readHeader(nodeKey, seen), { prefetch: [SortKey.header] })).toBe('applied');
    expect(seen.header).toBe('v1');
    // The lease and the snapshot, then the leftovers' Query, then the commit: no GetItem, no BatchGetItem.
    expect([...store.requests].sort()).toEqual(['QueryCommand', 'TransactGetItemsCommand', 'TransactWriteItemsCommand', 'UpdateItemCommand']);
    expect(text(await plain.get(nodeKey, 'SEEN'))).toBe('v1');

    // The same input again: the snapshot's INPUT# answers that it was applied, and nothing is committed.
    store.requests.length = 0;
    expect(await applyInput(context(store, nodeKey), 'in-1', readHeader(nodeKey, seen), { prefetch: [SortKey.header] })).toBe('duplicate');
    expect(store.requests).not.toContain('TransactWriteItemsCommand');
    expect(store.requests).not.toContain('GetItemCommand');
  });

  it('reads again when a commit fell between the snapshot and the acquisition: the step never sees the older state', async () => {
    const nodeKey = randomUUID();
    const plain = new NodeStore({ client, tableName });
    await seed(plain, nodeKey, 'v1');
    // Another invocation holds the lease while ours reads its snapshot, then commits v2 and releases.
    const other = await plain.acquireLease(nodeKey, 'other', 30_000);
    const store = new WatchedStore({ client, tableName });
    store.afterSnapshot = async () => {
      store.afterSnapshot = undefined;
      await plain.commit(other, { inputId: `other-${randomUUID()}`, puts: [{ sk: SortKey.header, data: bytes('v2') }], release: true });
    };
    const seen: { header?: string | undefined } = {};
    expect(await applyInput(context(store, nodeKey), 'in-2', readHeader(nodeKey, seen), { prefetch: [SortKey.header] })).toBe('applied');
    expect(seen.header).toBe('v2');
    expect(store.requests).toContain('GetItemCommand');
    expect(text(await plain.get(nodeKey, 'SEEN'))).toBe('v2');
  });

  it('without prefetch, reads after the acquisition as before (no snapshot)', async () => {
    const nodeKey = randomUUID();
    const plain = new NodeStore({ client, tableName });
    await seed(plain, nodeKey, 'v1');
    const store = new WatchedStore({ client, tableName });
    const seen: { header?: string | undefined } = {};
    expect(await applyInput(context(store, nodeKey), 'in-3', readHeader(nodeKey, seen))).toBe('applied');
    expect(seen.header).toBe('v1');
    expect(store.requests).not.toContain('TransactGetItemsCommand');
  });
});

describe("the next input of this process and the relay of the one before", () => {
  /** An outbound queue whose sends wait for `open()` and can be made to fail; records each message's dedup id. */
  function gatedQueue() {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const sent: string[] = [];
    const queue = {
      failNext: false,
      gated: true,
      async sendBatch(entries: readonly { dedupId: string }[]): Promise<void> {
        if (queue.gated) await gate;
        if (queue.failNext) {
          queue.failNext = false;
          throw new Error('SQS refused the batch');
        }
        sent.push(...entries.map((e) => e.dedupId));
      },
    };
    return { queue, sent, open: () => open() };
  }
  const disconnecting = (reason: string) => async (): Promise<InvocationResult> => ({
    puts: [{ sk: `STATE#${reason}`, data: bytes(reason) }],
    deletes: [],
    effects: [{ kind: 'disconnect', peer: new Uint8Array(33).fill(2), reason }],
  });

  it('waits for it instead of relaying the same item again: each message sent once, in order, each item deleted once', async () => {
    const nodeKey = randomUUID();
    const store = new WatchedStore({ client, tableName });
    const { queue, sent, open } = gatedQueue();
    const ctx = { ...context(store, nodeKey), outbound: queue } as unknown as NodeContext;
    const a = applyInput(ctx, 'in-a', disconnecting('a'));
    // B takes the lease once A's commit released it (and with it what A knew, its outbox relayed by this process:
    // B waits for that relay instead of looking for leftovers), while A's relay waits on SQS.
    while (!store.requests.includes('TransactWriteItemsCommand')) await new Promise((r) => setTimeout(r, 5));
    const b = applyInput(ctx, 'in-b', disconnecting('b'));
    while (store.requests.filter((r) => r === 'UpdateItemCommand').length < 2) await new Promise((r) => setTimeout(r, 5));
    open();
    expect(await Promise.all([a, b])).toEqual(['applied', 'applied']);
    expect(sent).toEqual(['in-a#000', 'in-b#000']);
    expect(store.requests.filter((r) => r === 'DeleteItemCommand')).toHaveLength(2);
    expect(await new NodeStore({ client, tableName }).pendingOutbox(nodeKey)).toEqual([]);
  });

  it('relays the item itself, before its own messages, when that relay failed', async () => {
    const nodeKey = randomUUID();
    const store = new WatchedStore({ client, tableName });
    const { queue, sent, open } = gatedQueue();
    queue.failNext = true;
    const ctx = { ...context(store, nodeKey), outbound: queue } as unknown as NodeContext;
    const a = applyInput(ctx, 'in-a', disconnecting('a'));
    while (!store.requests.includes('TransactWriteItemsCommand')) await new Promise((r) => setTimeout(r, 5));
    const b = applyInput(ctx, 'in-b', disconnecting('b'));
    // B waits for A's relay, which fails: B then looks for the leftovers and relays A's item first.
    while (store.requests.filter((r) => r === 'UpdateItemCommand').length < 2) await new Promise((r) => setTimeout(r, 5));
    open();
    await expect(a).rejects.toThrow('SQS refused the batch');
    expect(await b).toBe('applied');
    expect(sent).toEqual(['in-a#000', 'in-b#000']);
    expect(await new NodeStore({ client, tableName }).pendingOutbox(nodeKey)).toEqual([]);
  });
});
