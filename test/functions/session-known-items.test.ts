/**
 * What a lease session knows (docs/commit-protocol.md, "What a session
 * knows"): the second input of a session reads nothing from DynamoDB that
 * the first read or wrote, of the items only fenced commits write; items
 * written outside the lease (an invoice, WEBHOOKS) are read fresh by every
 * input; a failed commit ends what the session knows. Against DynamoDB
 * Local; the keys each request reads are recorded on the store's client.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { LeaseSession, applyInput, type InvocationResult } from '../../functions/runtime/invocation.js';
import type { NodeContext } from '../../functions/runtime/node-context.js';
import { KnownItems, NodeStore, SortKey, StoreError, StoreErrorCode, ensureNodeTable, writtenOnlyUnderLease, type NodeStoreOptions } from '../../shared/store/index.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));
const quiet = { debug() {}, info() {}, warn() {}, error() {} } as unknown as NodeContext['logger'];

let client: DynamoDBClient;
const tableName = `session-known-${randomUUID()}`;
beforeAll(async () => {
  client = localDynamoClient(inject('dynamoEndpoint'));
  await ensureNodeTable(client, tableName);
});
afterAll(() => client.destroy());

/** One DynamoDB request: its command and the sort keys it read (GetItem, BatchGetItem, TransactGetItems, Query prefix). */
interface Request {
  readonly command: string;
  readonly reads: readonly string[];
}

function keysRead(command: { constructor: { name: string }; input?: unknown }): string[] {
  const input = (command.input ?? {}) as {
    Key?: Record<string, AttributeValue>;
    RequestItems?: Record<string, { Keys?: Record<string, AttributeValue>[] }>;
    TransactItems?: { Get?: { Key: Record<string, AttributeValue> } }[];
    ExpressionAttributeValues?: Record<string, AttributeValue>;
  };
  switch (command.constructor.name) {
    case 'GetItemCommand':
      return [input.Key?.['sk']?.S ?? '?'];
    case 'BatchGetItemCommand':
      return Object.values(input.RequestItems ?? {}).flatMap((r) => (r.Keys ?? []).map((k) => k['sk']?.S ?? '?'));
    case 'TransactGetItemsCommand':
      return (input.TransactItems ?? []).flatMap((t) => (t.Get === undefined ? [] : [t.Get.Key['sk']?.S ?? '?']));
    case 'QueryCommand':
      return [`${input.ExpressionAttributeValues?.[':prefix']?.S ?? '?'}*`];
    default:
      return [];
  }
}

/** A store whose client records every request and the keys it read. */
class RecordingStore extends NodeStore {
  readonly requests: Request[];

  constructor(options: NodeStoreOptions) {
    const send = options.client.send.bind(options.client) as (command: object) => Promise<unknown>;
    const recorded = Object.create(options.client) as DynamoDBClient;
    const requests: Request[] = [];
    recorded.send = ((command: { constructor: { name: string }; input?: unknown }) => {
      requests.push({ command: command.constructor.name, reads: keysRead(command) });
      return send(command);
    }) as DynamoDBClient['send'];
    super({ ...options, client: recorded });
    this.requests = requests;
  }

  /** The keys read since request `from`. */
  readSince(from: number): string[] {
    return this.requests.slice(from).flatMap((r) => r.reads);
  }
}

function context(store: NodeStore, nodeKey: string): NodeContext {
  const outbound = { sendBatch: async () => undefined };
  return { store, nodeKey, outbound, logger: quiet, leaseTtlMs: 30_000, leaseWaitMs: 10_000 } as unknown as NodeContext;
}

const CHANNEL_A = SortKey.channel('02aa#0001');
const CHANNEL_B = SortKey.channel('02aa#0002');
const GONE = SortKey.onion('0001', 7n);
const INVOICE = SortKey.invoice('ab'.repeat(32));

/** Seeds the node: HEADER, a peer, two channels, an onion; returns a plain store of the same table. */
async function seeded(nodeKey: string): Promise<NodeStore> {
  const plain = new NodeStore({ client, tableName });
  const lease = await plain.acquireLease(nodeKey, 'seeder', 30_000);
  await plain.commit(lease, {
    inputId: `seed-${randomUUID()}`,
    puts: [
      { sk: SortKey.header, data: bytes('h1') },
      { sk: SortKey.peer('02aa'), data: bytes('peer') },
      { sk: CHANNEL_A, data: bytes('a1') },
      { sk: CHANNEL_B, data: bytes('b1') },
      { sk: GONE, data: bytes('onion') },
    ],
    release: true,
  });
  return plain;
}

/** What a step saw. */
type Seen = Record<string, string | undefined>;

/** A step reading HEADER and the peer (one GetItem each), the two channels and the onion (one BatchGetItem), and the invoice. */
function reader(nodeKey: string, seen: Seen, result: Omit<InvocationResult, 'effects'>) {
  return async (store: NodeStore): Promise<InvocationResult> => {
    const [header, peer, many, invoice] = await Promise.all([
      store.get(nodeKey, SortKey.header),
      store.get(nodeKey, SortKey.peer('02aa')),
      store.getMany(nodeKey, [CHANNEL_A, CHANNEL_B, GONE]),
      store.get(nodeKey, INVOICE),
    ]);
    Object.assign(seen, { header: text(header), peer: text(peer), a: text(many.get(CHANNEL_A)), b: text(many.get(CHANNEL_B)), gone: text(many.get(GONE)), invoice: text(invoice) });
    return { ...result, effects: [] };
  };
}

describe('a session knows what its inputs read and committed', () => {
  it('the second input reads nothing the first read or wrote; an invoice created between the two is read fresh and seen', async () => {
    const nodeKey = randomUUID();
    const plain = await seeded(nodeKey);
    const store = new RecordingStore({ client, tableName });
    const session = new LeaseSession(context(store, nodeKey));
    try {
      const first: Seen = {};
      // The first input reads everything, changes channel A, deletes channel B, leaves the onion to its cleanup.
      expect(
        await session.apply('in-1', reader(nodeKey, first, { puts: [{ sk: CHANNEL_A, data: bytes('a2') }], deletes: [CHANNEL_B], cleanup: [GONE] })),
      ).toBe('applied');
      expect(first).toEqual({ header: 'h1', peer: 'peer', a: 'a1', b: 'b1', gone: 'onion', invoice: undefined });
      expect(store.readSince(0)).toEqual(expect.arrayContaining([SortKey.header, SortKey.peer('02aa'), CHANNEL_A, CHANNEL_B, GONE, INVOICE]));

      // Outside the lease, an invoice is created between the two inputs (as POST /v1/invoices does).
      await plain.putNew(nodeKey, [{ sk: INVOICE, data: bytes('open invoice'), state: 'open' }]);

      const before = store.requests.length;
      const second: Seen = {};
      expect(await session.apply('in-2', reader(nodeKey, second, { puts: [{ sk: SortKey.header, data: bytes('h2') }], deletes: [] }))).toBe('applied');
      // What the first committed is what the second sees: the new channel A, channel B and the onion gone.
      expect(second).toEqual({ header: 'h1', peer: 'peer', a: 'a2', b: undefined, gone: undefined, invoice: 'open invoice' });
      // The second input's reads: its own replay check and the invoice (written outside the lease), nothing else.
      expect(store.readSince(before).sort()).toEqual([SortKey.input('in-2'), INVOICE].sort());
      // Its reads are two GetItems (and its commit; the first input's deferred delete may run beside them).
      expect(store.requests.slice(before).filter((r) => r.reads.length > 0).map((r) => r.command)).toEqual(['GetItemCommand', 'GetItemCommand']);

      // A third input sees the second's HEADER without reading it.
      const third: Seen = {};
      const at = store.requests.length;
      expect(await session.apply('in-3', reader(nodeKey, third, { puts: [], deletes: [] }))).toBe('no-change');
      expect(third.header).toBe('h2');
      expect(store.readSince(at).sort()).toEqual([SortKey.input('in-3'), INVOICE].sort());
    } finally {
      await session.close();
    }
    // And the table holds what the session served.
    expect(text(await plain.get(nodeKey, CHANNEL_A))).toBe('a2');
    expect(await plain.get(nodeKey, CHANNEL_B)).toBeUndefined();
    expect(text(await plain.get(nodeKey, SortKey.header))).toBe('h2');
  });

  it("the batch's snapshot answers the later inputs' replay checks and first reads; WEBHOOKS from it serves the first input only", async () => {
    const nodeKey = randomUUID();
    const plain = await seeded(nodeKey);
    await plain.writeVersioned(nodeKey, [{ sk: SortKey.webhooks, data: bytes('hooks v1'), ifVersion: 0 }]);
    const store = new RecordingStore({ client, tableName });
    const prefetch = [SortKey.header, SortKey.peer('02aa'), SortKey.webhooks];
    const session = new LeaseSession(context(store, nodeKey), { laterPrefetch: [SortKey.input('b-2'), ...prefetch] });
    const hooks: (string | undefined)[] = [];
    const readHooks = async (s: NodeStore): Promise<InvocationResult> => {
      await Promise.all([s.get(nodeKey, SortKey.header), s.get(nodeKey, SortKey.peer('02aa'))]);
      hooks.push(text(await s.get(nodeKey, SortKey.webhooks)));
      return { puts: [{ sk: SortKey.peer('02aa'), data: bytes(`peer after ${hooks.length}`) }], deletes: [], effects: [] };
    };
    try {
      expect(await session.apply('b-1', readHooks, { prefetch })).toBe('applied');
      // The lease, its snapshot (both inputs' INPUT#, HEADER, PEER#, WEBHOOKS), the leftovers' Query, the commit: no other read.
      expect(store.requests.map((r) => r.command).sort()).toEqual(['QueryCommand', 'TransactGetItemsCommand', 'TransactWriteItemsCommand', 'UpdateItemCommand']);
      await plain.writeVersioned(nodeKey, [{ sk: SortKey.webhooks, data: bytes('hooks v2'), ifVersion: 1 }]);
      const before = store.requests.length;
      expect(await session.apply('b-2', readHooks, { prefetch })).toBe('applied');
      // Only WEBHOOKS is read again (a webhook registered meanwhile is seen); the replay check came in the snapshot.
      expect(store.readSince(before)).toEqual([SortKey.webhooks]);
      expect(hooks).toEqual(['hooks v1', 'hooks v2']);
    } finally {
      await session.close();
    }
  });

  it('a commit that fails ends what the session knows: the next input reads again', async () => {
    const nodeKey = randomUUID();
    await seeded(nodeKey);
    const store = new RecordingStore({ client, tableName });
    const session = new LeaseSession(context(store, nodeKey));
    const seen: Seen = {};
    try {
      expect(await session.apply('f-1', reader(nodeKey, seen, { puts: [], deletes: [] }))).toBe('no-change');
      // A put whose condition does not hold (an invoice claimed that is not open): nothing committed.
      const refused = session.apply('f-2', reader(nodeKey, seen, { puts: [{ sk: INVOICE, data: bytes('paid'), state: 'paid', condition: { kind: 'state', state: 'open' } }], deletes: [] }));
      await expect(refused).rejects.toSatisfy((e) => e instanceof StoreError && e.code === StoreErrorCode.ConditionFailed);
      const before = store.requests.length;
      expect(await session.apply('f-3', reader(nodeKey, seen, { puts: [], deletes: [] }))).toBe('no-change');
      // Everything again (and the leftovers, looked for again after an input that failed).
      expect(store.readSince(before).sort()).toEqual([SortKey.header, SortKey.peer('02aa'), CHANNEL_A, CHANNEL_B, GONE, INVOICE, SortKey.input('f-3'), `${SortKey.outboxPrefix}*`].sort());
    } finally {
      await session.close();
    }
  });

  it("the next session of this process starts from what the last one knew when the lease shows no commit since; another process's commit, or an invoice, is read", async () => {
    const nodeKey = randomUUID();
    const plain = await seeded(nodeKey);
    const store = new RecordingStore({ client, tableName });
    const ctx = context(store, nodeKey);
    const first: Seen = {};
    expect(await applyInput(ctx, 's-1', reader(nodeKey, first, { puts: [{ sk: CHANNEL_A, data: bytes('a2') }], deletes: [] }))).toBe('applied');
    expect(first.a).toBe('a1');

    // A session of its own (an HTTP request, a new batch): it reads only its replay check and the invoice.
    await plain.putNew(nodeKey, [{ sk: INVOICE, data: bytes('open invoice'), state: 'open' }]);
    let before = store.requests.length;
    const second: Seen = {};
    expect(await applyInput(ctx, 's-2', reader(nodeKey, second, { puts: [{ sk: SortKey.header, data: bytes('h2') }], deletes: [] }))).toBe('applied');
    expect(second).toEqual({ header: 'h1', peer: 'peer', a: 'a2', b: 'b1', gone: 'onion', invoice: 'open invoice' });
    // Not even the leftovers Query: the first session relayed its item (waited for, not looked for).
    expect(store.readSince(before).sort()).toEqual([SortKey.input('s-2'), INVOICE].sort());

    // Another process commits between two sessions: the count moved, everything is read again and its write seen.
    const other = await plain.acquireLease(nodeKey, 'other', 30_000);
    await plain.commit(other, { inputId: `other-${randomUUID()}`, puts: [{ sk: CHANNEL_B, data: bytes('b-other') }], release: true });
    before = store.requests.length;
    const third: Seen = {};
    expect(await applyInput(ctx, 's-3', reader(nodeKey, third, { puts: [], deletes: [] }))).toBe('no-change');
    expect(third).toEqual({ header: 'h2', peer: 'peer', a: 'a2', b: 'b-other', gone: 'onion', invoice: 'open invoice' });
    expect(store.readSince(before)).toEqual(expect.arrayContaining([SortKey.header, SortKey.peer('02aa'), CHANNEL_A, CHANNEL_B, GONE]));

    // A session that ends without a commit (s-3 answered only) hands over too: the next one reads nothing again.
    before = store.requests.length;
    const fourth: Seen = {};
    expect(await applyInput(ctx, 's-4', reader(nodeKey, fourth, { puts: [], deletes: [] }))).toBe('no-change');
    expect(fourth).toEqual(third);
    expect(store.readSince(before).sort()).toEqual([SortKey.input('s-4'), INVOICE].sort());
  });

  it('keeps only the kinds of item that fenced commits alone write', () => {
    for (const sk of [SortKey.header, SortKey.fees, SortKey.wallet, SortKey.peer('02aa'), CHANNEL_A, SortKey.input('x'), SortKey.payment('00'), SortKey.index('SCID#1')]) {
      expect(writtenOnlyUnderLease(sk), sk).toBe(true);
    }
    for (const sk of [
      INVOICE,
      SortKey.idempotency('00'),
      SortKey.webhooks,
      SortKey.webhookDelivery(1n),
      SortKey.webhookDue(0, 1n),
      SortKey.event(1n),
      SortKey.eventsAcked,
      SortKey.receiveIndex,
      SortKey.chainWatch('00'),
      SortKey.chainWatchVersion,
      SortKey.followUpWatch(0, 'x'),
      SortKey.outbox('x'),
      SortKey.lease,
      SortKey.monitor('00', 1n),
      SortKey.monitorHtlcs('00', 1n),
    ]) {
      expect(writtenOnlyUnderLease(sk), sk).toBe(false);
    }
    const known = new KnownItems('n');
    known.noteData(INVOICE, bytes('i'));
    known.noteData(SortKey.header, bytes('h'));
    expect(known.lookup(INVOICE)).toBeUndefined();
    expect(text(known.lookup(SortKey.header)?.data)).toBe('h');
  });
});
