import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import {
  MAX_OUTBOX_ITEM_BYTES,
  MAX_TRANSACTION_ITEMS,
  NodeStore,
  SortKey,
  StoreErrorCode,
  ensureNodeTable,
  nodePartition,
  relayOutbox,
  type OutboxMessage,
} from '../../shared/store/index.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

let client: DynamoDBClient;
const tableName = `store-test-${randomUUID()}`;
let clock = 1_000_000;
const store = () => new NodeStore({ client, tableName, now: () => clock });

beforeAll(async () => {
  client = localDynamoClient(inject('dynamoEndpoint'));
  await ensureNodeTable(client, tableName);
});
afterAll(() => client.destroy());

async function expectStoreError(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'StoreError', code });
}

describe('lease', () => {
  it('is exclusive until it expires, and the fence only grows', async () => {
    const node = randomUUID();
    const a = await store().acquireLease(node, 'a', 30_000);
    await expectStoreError(store().acquireLease(node, 'b', 30_000), StoreErrorCode.LeaseHeld);
    const again = await store().acquireLease(node, 'a', 30_000);
    expect(again.fence).toBe(a.fence + 1n);
    clock += 31_000;
    const b = await store().acquireLease(node, 'b', 30_000);
    expect(b.fence).toBe(again.fence + 1n);
  });

  it('lets exactly one of many concurrent takers win', async () => {
    const node = randomUUID();
    const results = await Promise.allSettled(['a', 'b', 'c', 'd', 'e'].map((o) => store().acquireLease(node, o, 30_000)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('can be released early for the next taker', async () => {
    const node = randomUUID();
    const a = await store().acquireLease(node, 'a', 30_000);
    await store().releaseLease(a);
    const b = await store().acquireLease(node, 'b', 30_000);
    expect(b.fence).toBe(a.fence + 1n);
  });

  it('is extended by its holder without moving the fence, and not at all once taken over', async () => {
    const node = randomUUID();
    const a = await store().acquireLease(node, 'a', 30_000);
    clock += 20_000;
    const extended = await store().extendLease(a, 30_000);
    expect(extended).toEqual({ ...a, expiresAtMs: clock + 30_000 });
    expect(await store().readLease(node)).toEqual({ owner: 'a', fence: a.fence, expiresAtMs: clock + 30_000 });
    // Past the first expiry, still held: nobody else may take it, and a commit under the unchanged fence succeeds.
    clock += 20_000;
    await expectStoreError(store().acquireLease(node, 'b', 30_000), StoreErrorCode.LeaseHeld);
    await store().commit(extended, { inputId: randomUUID(), puts: [{ sk: 'X', data: bytes('1') }] });
    // Taken over after it expired: extending fails lease-lost and writes nothing.
    clock += 31_000;
    const b = await store().acquireLease(node, 'b', 30_000);
    await expectStoreError(store().extendLease(extended, 30_000), StoreErrorCode.LeaseLost);
    expect(await store().readLease(node)).toEqual({ owner: 'b', fence: b.fence, expiresAtMs: b.expiresAtMs });
  });

  it('reads back as stored: absent, held until its expiry, expired once released', async () => {
    const node = randomUUID();
    expect(await store().readLease(node)).toBeUndefined();
    const a = await store().acquireLease(node, 'a', 15_000);
    expect(await store().readLease(node)).toEqual({ owner: 'a', fence: a.fence, expiresAtMs: clock + 15_000 });
    await store().releaseLease(a);
    expect(await store().readLease(node)).toEqual({ owner: 'a', fence: a.fence, expiresAtMs: 0 });
  });
});

describe('fenced commit', () => {
  it('writes state and outbox all together', async () => {
    const node = randomUUID();
    const lease = await store().acquireLease(node, 'a', 30_000);
    await store().commit(lease, {
      inputId: 'in-1',
      puts: [{ sk: SortKey.header, data: bytes('header v1') }, { sk: SortKey.peer('02aa'), data: bytes('peer') }],
      outbox: [{ id: 'm-1', destination: 'outbound', group: '02aa', body: bytes('pong') }],
    });
    expect(text(await store().get(node, SortKey.header))).toBe('header v1');
    const many = await store().getMany(node, [SortKey.header, SortKey.peer('02aa'), SortKey.peer('03bb')]);
    expect([...many.keys()].sort()).toEqual([SortKey.header, SortKey.peer('02aa')].sort());
    expect(await store().pendingOutbox(node)).toEqual([
      { inputId: 'in-1', messages: [{ id: 'm-1', destination: 'outbound', group: '02aa', body: bytes('pong') }] },
    ]);
    await store().commit(lease, { deletes: [SortKey.peer('02aa')] });
    expect(await store().get(node, SortKey.peer('02aa'))).toBeUndefined();
  });

  it('commits nothing once the lease was taken over, even with an unexpired clock of its own', async () => {
    const node = randomUUID();
    const old = await store().acquireLease(node, 'old', 30_000);
    await store().commit(old, { puts: [{ sk: SortKey.header, data: bytes('v1') }] });
    clock += 31_000; // the old holder stalls past its expiry...
    const fresh = await store().acquireLease(node, 'new', 30_000); // ...and another invocation takes over
    await expectStoreError(
      store().commit(old, {
        inputId: 'stale-input',
        puts: [{ sk: SortKey.header, data: bytes('stale write') }],
        outbox: [{ id: 'stale', destination: 'outbound', group: 'p', body: bytes('x') }],
      }),
      StoreErrorCode.LeaseLost,
    );
    expect(text(await store().get(node, SortKey.header))).toBe('v1');
    expect(await store().pendingOutbox(node)).toEqual([]);
    await store().commit(fresh, { puts: [{ sk: SortKey.header, data: bytes('v2') }] });
    expect(text(await store().get(node, SortKey.header))).toBe('v2');
  });

  it('refuses a replayed input and leaves the state of the first application', async () => {
    const node = randomUUID();
    const lease = await store().acquireLease(node, 'a', 30_000);
    await store().commit(lease, { inputId: 'sqs-42', puts: [{ sk: SortKey.header, data: bytes('after 42') }] });
    await expectStoreError(
      store().commit(lease, {
        inputId: 'sqs-42',
        puts: [{ sk: SortKey.header, data: bytes('applied twice') }],
        outbox: [{ id: 'dup', destination: 'outbound', group: 'p', body: bytes('x') }],
      }),
      StoreErrorCode.DuplicateInput,
    );
    expect(text(await store().get(node, SortKey.header))).toBe('after 42');
    expect(await store().pendingOutbox(node)).toEqual([]);
    expect(await store().hasInput(node, 'sqs-42')).toBe(true);
    expect(await store().hasInput(node, 'sqs-43')).toBe(false);
  });

  it('reads items by prefix in order', async () => {
    const node = randomUUID();
    const lease = await store().acquireLease(node, 'a', 30_000);
    await store().commit(lease, {
      puts: [
        { sk: SortKey.monitor('ab', 2n), data: bytes('u2') },
        { sk: SortKey.monitor('ab', 10n), data: bytes('u10') },
        { sk: SortKey.monitor('ab', 1n), data: bytes('u1') },
      ],
    });
    expect((await store().query(node, 'MONITOR#ab#')).map((i) => text(i.data))).toEqual(['u1', 'u2', 'u10']);
    // A limit stops at the first items; deleteItems removes exactly the named ones (more than one batch of 25).
    expect((await store().query(node, 'MONITOR#ab#', 2)).map((i) => text(i.data))).toEqual(['u1', 'u2']);
    // Newest first (how a monitor is read: down to its newest snapshot, shared/store/monitor-items.ts).
    expect((await store().query(node, 'MONITOR#ab#', 2, 'newest-first')).map((i) => text(i.data))).toEqual(['u10', 'u2']);
    // Keys only (a peer's channel keys for its reconnection follow-ups): the sort keys in order, no data.
    expect(await store().queryKeys(node, 'MONITOR#ab#')).toEqual([SortKey.monitor('ab', 1n), SortKey.monitor('ab', 2n), SortKey.monitor('ab', 10n)]);
    expect(await store().queryKeys(node, 'MONITOR#cd#')).toEqual([]);
  });

  it('deletes items in batches outside the lease', async () => {
    const node = randomUUID();
    const lease = await store().acquireLease(node, 'a', 30_000);
    const sks = Array.from({ length: 60 }, (_, i) => SortKey.event(BigInt(i + 1)));
    for (let i = 0; i < sks.length; i += 30) await store().commit(lease, { puts: sks.slice(i, i + 30).map((sk) => ({ sk, data: bytes(sk) })) });
    await store().deleteItems(node, sks.slice(0, 55));
    expect((await store().query(node, SortKey.eventPrefix)).map((i) => i.sk)).toEqual(sks.slice(55));
  });

  it('refuses a commit larger than one DynamoDB transaction with a clear error, writing nothing', async () => {
    const node = randomUUID();
    const lease = await store().acquireLease(node, 'a', 30_000);
    const puts = Array.from({ length: MAX_TRANSACTION_ITEMS - 1 }, (_, i) => ({ sk: SortKey.event(BigInt(i)), data: bytes('e') }));
    await expectStoreError(store().commit(lease, { inputId: 'big', puts }), StoreErrorCode.CommitTooLarge);
    expect(await store().query(node, SortKey.eventPrefix)).toEqual([]);
    expect(await store().hasInput(node, 'big')).toBe(false);
    // One write fewer fits: lease + input + 98 puts = 100.
    await store().commit(lease, { inputId: 'big', puts: puts.slice(1) });
    expect(await store().query(node, SortKey.eventPrefix)).toHaveLength(MAX_TRANSACTION_ITEMS - 2);
  });
});

describe('commit and release in one transaction', () => {
  it('frees the lease for the next taker only when the commit succeeds', async () => {
    const node = randomUUID();
    const a = await store().acquireLease(node, 'a', 30_000);
    await store().commit(a, { inputId: 'x', puts: [{ sk: SortKey.header, data: bytes('v1') }], release: true });
    const b = await store().acquireLease(node, 'b', 30_000);
    expect(b.fence).toBe(a.fence + 1n);
    await expectStoreError(store().commit(a, { puts: [{ sk: SortKey.header, data: bytes('late') }], release: true }), StoreErrorCode.LeaseLost);
    await expectStoreError(store().commit(b, { inputId: 'x', release: true }), StoreErrorCode.DuplicateInput);
    await expectStoreError(store().acquireLease(node, 'c', 30_000), StoreErrorCode.LeaseHeld);
    expect(text(await store().get(node, SortKey.header))).toBe('v1');
  });
});

/** `count` messages of input `inputId` for one peer, ids as functions/runtime/invocation.ts makes them. */
function messagesOf(inputId: string, count: number, bodyBytes = 8): OutboxMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${inputId}#${i.toString().padStart(3, '0')}`,
    destination: 'outbound',
    group: '02' + 'ab'.repeat(32),
    body: bytes(`${i}:`.padEnd(bodyBytes, 'x')),
  }));
}

describe('outbox items (one per input, in parts when it needs more)', () => {
  it('commits 150 messages of one input as ONE item, in order, next to 97 state writes (100 actions)', async () => {
    const node = randomUUID();
    const lease = await store().acquireLease(node, 'a', 30_000);
    const messages = messagesOf('in-150', 150, 300);
    const puts = Array.from({ length: MAX_TRANSACTION_ITEMS - 3 }, (_, i) => ({ sk: SortKey.event(BigInt(i)), data: bytes('e') }));
    await store().commit(lease, { inputId: 'in-150', puts, outbox: messages });
    expect(await store().query(node, SortKey.outboxPrefix)).toHaveLength(1);
    const [item, ...rest] = await store().pendingOutbox(node);
    expect(rest).toEqual([]);
    expect(item?.inputId).toBe('in-150');
    expect(item?.messages).toEqual(messages);
    expect(item?.messages.map((m) => m.id).slice(0, 3)).toEqual(['in-150#000', 'in-150#001', 'in-150#002']);
    expect(item?.messages.at(-1)?.id).toBe('in-150#149');
  });

  it('spills an outbox over one item into parts (in order, relayed and deleted like the first); refuses one over what a commit may hold, writing nothing', async () => {
    const node = randomUUID();
    const lease = await store().acquireLease(node, 'a', 30_000);
    // 900 messages of 1 KB (a block reaching 900 channels makes 900 follow-ups): about 950 KB, three items.
    const many = messagesOf('many', 900, 1024);
    await store().commit(lease, { inputId: 'many', puts: [{ sk: SortKey.header, data: bytes('v1') }], outbox: many });
    const keys = (await store().query(node, SortKey.outboxPrefix)).map((i) => i.sk);
    expect(keys).toEqual([SortKey.outbox('many'), SortKey.outboxPart('many', 2), SortKey.outboxPart('many', 3)]);
    const parts = await store().pendingOutbox(node);
    expect(parts.flatMap((p) => p.messages)).toEqual(many);
    // A crash before the relay: the next invocation relays every part in order and deletes each.
    const sent: string[] = [];
    await relayOutbox(store(), node, async (messages) => void sent.push(...messages.map((m) => m.id)));
    expect(sent).toEqual(many.map((m) => m.id));
    expect(await store().pendingOutbox(node)).toEqual([]);
    // The relay after its own commit deletes every part it wrote.
    await store().commit(lease, { inputId: 'again', outbox: messagesOf('again', 900, 1024) });
    await store().deleteOutbox(node, 'again', 3);
    expect(await store().pendingOutbox(node)).toEqual([]);

    // 3,200 messages of 1 KB: over the 3 MB of outbox a commit may hold (DynamoDB: 4 MB per transaction).
    const tooBig = messagesOf('too-big', 3_200, 1024);
    await expectStoreError(
      store().commit(lease, { inputId: 'too-big', puts: [{ sk: SortKey.header, data: bytes('v2') }], outbox: tooBig }),
      StoreErrorCode.CommitTooLarge,
    );
    expect(text(await store().get(node, SortKey.header))).toBe('v1');
    expect(await store().hasInput(node, 'too-big')).toBe(false);
    expect(MAX_OUTBOX_ITEM_BYTES).toBeLessThan(400_000);
  });

  it('needs the input id its outbox item is keyed by', async () => {
    const node = randomUUID();
    const lease = await store().acquireLease(node, 'a', 30_000);
    await expect(store().commit(lease, { outbox: messagesOf('x', 1) })).rejects.toThrow(TypeError);
  });

  it('relays an outbox item of the layout before (one message per item) under its message id, then deletes it', async () => {
    const node = randomUUID();
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: nodePartition(node) },
          sk: { S: SortKey.outbox('old-input#000') },
          data: { B: bytes('{"v":1}') },
          destination: { S: 'outbound' },
          group: { S: '02aa' },
        },
      }),
    );
    const sent: OutboxMessage[] = [];
    expect(await relayOutbox(store(), node, async (messages) => void sent.push(...messages))).toBe(1);
    expect(sent).toEqual([{ id: 'old-input#000', destination: 'outbound', group: '02aa', body: bytes('{"v":1}') }]);
    expect(await store().pendingOutbox(node)).toEqual([]);
  });

  it('reports an outbox item that does not decode as corrupt-item', async () => {
    const node = randomUUID();
    const lease = await store().acquireLease(node, 'a', 30_000);
    await store().commit(lease, { puts: [{ sk: SortKey.outbox('garbage'), data: bytes('not a record') }] });
    await expectStoreError(store().pendingOutbox(node), StoreErrorCode.CorruptItem);
  });
});

describe('outbox relay', () => {
  it('sends a whole item after the commit, deletes it, and re-sends all of it under the same ids after a crash', async () => {
    const node = randomUUID();
    const lease = await store().acquireLease(node, 'a', 30_000);
    await store().commit(lease, { inputId: 'in-a', outbox: messagesOf('in-a', 2) });
    await store().commit(lease, { inputId: 'in-b', outbox: messagesOf('in-b', 3) });
    const sent: OutboxMessage[] = [];
    let crash = true;
    const flaky = async (messages: readonly OutboxMessage[]) => {
      sent.push(...messages);
      if (messages[0]?.id.startsWith('in-b') && crash) {
        crash = false;
        throw new Error('crash after send, before delete');
      }
    };
    await expect(relayOutbox(store(), node, flaky)).rejects.toThrow('crash');
    expect((await store().pendingOutbox(node)).map((i) => i.inputId)).toEqual(['in-b']);
    expect(await relayOutbox(store(), node, flaky)).toBe(3);
    expect(sent.map((m) => m.id)).toEqual(['in-a#000', 'in-a#001', 'in-b#000', 'in-b#001', 'in-b#002', 'in-b#000', 'in-b#001', 'in-b#002']);
    expect(text(sent[7]!.body)).toBe('2:xxxxxx');
    expect(await store().pendingOutbox(node)).toEqual([]);
  });
});

describe('cleanup items (deferred deletes, docs/items.md)', () => {
  it('a commit writes its deferred deletes as ONE item, counted as one write; finishing it deletes the keys, then the item', async () => {
    const node = randomUUID();
    const lease = await store().acquireLease(node, 'a', 30_000);
    const onions = Array.from({ length: 300 }, (_, i) => SortKey.onion('ab'.repeat(32), BigInt(i)));
    for (let i = 0; i < onions.length; i += 90) await store().commit(lease, { puts: onions.slice(i, i + 90).map((sk) => ({ sk, data: bytes(sk) })) });
    // lease + input + 97 puts + the cleanup item = 100 writes, whatever the number of keys.
    const puts = Array.from({ length: MAX_TRANSACTION_ITEMS - 3 }, (_, i) => ({ sk: SortKey.event(BigInt(i)), data: bytes('e') }));
    await store().commit(lease, { inputId: 'settle', puts, cleanup: onions });
    await expectStoreError(store().commit(lease, { inputId: 'settle-2', puts: [...puts, { sk: SortKey.fees, data: bytes('f') }], cleanup: onions }), StoreErrorCode.CommitTooLarge);
    const [item, ...rest] = await store().pendingCleanup(node);
    expect(rest).toEqual([]);
    expect(item).toEqual({ inputId: 'settle', keys: onions });
    expect(await store().query(node, 'ONION#')).toHaveLength(300);
    await store().finishCleanup(node, item!);
    expect(await store().query(node, 'ONION#')).toEqual([]);
    expect(await store().pendingCleanup(node)).toEqual([]);
    // Finishing it again (a crash before the item's delete) is harmless.
    await store().finishCleanup(node, item!);
  });

  it('a cleanup item that does not decode is corrupt-item', async () => {
    const node = randomUUID();
    await client.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: nodePartition(node) }, sk: { S: SortKey.cleanup('x') }, kind: { S: 'cleanup' }, data: { B: Uint8Array.of(9) } } }));
    await expectStoreError(store().pendingCleanup(node), StoreErrorCode.CorruptItem);
  });
});

describe('snapshot beside the lease (docs/commit-protocol.md, "Reads beside the lease")', () => {
  /** A store whose DynamoDB requests are counted by command name. */
  function counted(): { store: NodeStore; requests: string[] } {
    const requests: string[] = [];
    const send = client.send.bind(client) as (command: object) => Promise<unknown>;
    const wrapped = Object.create(client) as DynamoDBClient;
    wrapped.send = ((command: object) => {
      requests.push(command.constructor.name);
      return send(command);
    }) as DynamoDBClient['send'];
    return { store: new NodeStore({ client: wrapped, tableName, now: () => clock }), requests };
  }

  it('counts every commit on LEASE (releasing or not) and shows the count to the next taker', async () => {
    const node = randomUUID();
    const a = await store().acquireLease(node, 'a', 30_000);
    expect(a.commits).toBe(0n);
    await store().commit(a, { inputId: 'one', puts: [{ sk: SortKey.header, data: bytes('v1') }] });
    await store().commit(a, { inputId: 'two', puts: [{ sk: SortKey.header, data: bytes('v2') }], release: true });
    const b = await store().acquireLease(node, 'b', 30_000);
    expect(b.commits).toBe(2n);
    // A refused commit (a replayed input) counts nothing.
    await expectStoreError(store().commit(b, { inputId: 'one', puts: [{ sk: SortKey.header, data: bytes('v3') }] }), StoreErrorCode.DuplicateInput);
    await store().releaseLease(b);
    expect((await store().acquireLease(node, 'c', 30_000)).commits).toBe(2n);
  });

  it('reads LEASE and the keys in one TransactGetItems: data, presence (an INPUT# item has no data), absence, and the commit count', async () => {
    const node = randomUUID();
    const lease = await store().acquireLease(node, 'a', 30_000);
    await store().commit(lease, { inputId: 'seen', puts: [{ sk: SortKey.header, data: bytes('h') }, { sk: SortKey.peer('02aa'), data: bytes('p') }], release: true });
    const { store: s, requests } = counted();
    const snapshot = await s.readSnapshot(node, [SortKey.header, SortKey.peer('02aa'), SortKey.fees, SortKey.input('seen'), SortKey.input('new'), SortKey.header]);
    expect(requests).toEqual(['TransactGetItemsCommand']);
    expect(snapshot).toBeDefined();
    expect(snapshot!.commits).toBe(1n);
    expect([...snapshot!.keys].sort()).toEqual([SortKey.fees, SortKey.header, SortKey.input('new'), SortKey.input('seen'), SortKey.peer('02aa')].sort());
    expect([...snapshot!.present].sort()).toEqual([SortKey.header, SortKey.input('seen'), SortKey.peer('02aa')].sort());
    expect(text(snapshot!.data.get(SortKey.header))).toBe('h');
    expect(snapshot!.data.has(SortKey.input('seen'))).toBe(false);
    // A node never leased reads as count 0.
    expect((await s.readSnapshot(randomUUID(), [SortKey.header]))?.commits).toBe(0n);
    await expect(s.readSnapshot(node, Array.from({ length: 100 }, (_, i) => `K#${i}`))).rejects.toThrow(RangeError);
  });

  it('a view answers get, getMany and hasInput for the snapshot keys without DynamoDB, and reads everything else as usual', async () => {
    const node = randomUUID();
    const lease = await store().acquireLease(node, 'a', 30_000);
    await store().commit(lease, { inputId: 'seen', puts: [{ sk: SortKey.header, data: bytes('h') }, { sk: SortKey.wallet, data: bytes('w') }], release: true });
    const { store: s, requests } = counted();
    const snapshot = (await s.readSnapshot(node, [SortKey.header, SortKey.fees, SortKey.input('seen'), SortKey.input('new')]))!;
    const view = s.withSnapshot(snapshot);
    requests.length = 0;
    expect(text(await view.get(node, SortKey.header))).toBe('h');
    expect(await view.get(node, SortKey.fees)).toBeUndefined();
    expect(await view.hasInput(node, 'seen')).toBe(true);
    expect(await view.hasInput(node, 'new')).toBe(false);
    expect(requests).toEqual([]);
    // A key outside the snapshot, another node's partition, and the store itself: read from the table.
    expect(text(await view.get(node, SortKey.wallet))).toBe('w');
    expect(await view.get(randomUUID(), SortKey.header)).toBeUndefined();
    expect(requests).toEqual(['GetItemCommand', 'GetItemCommand']);
    const many = await view.getMany(node, [SortKey.header, SortKey.fees, SortKey.wallet]);
    expect([...many].map(([k, v]) => [k, text(v)])).toEqual([
      [SortKey.header, 'h'],
      [SortKey.wallet, 'w'],
    ]);
    // WALLET was read through the view once: the view knows it now (an item only fenced commits write).
    expect(requests).toEqual(['GetItemCommand', 'GetItemCommand']);
    expect(await s.hasInput(node, 'seen')).toBe(true);
    expect(requests.at(-1)).toBe('GetItemCommand');
  });

  it('a commit between the snapshot and the next acquisition shows as a different count (the snapshot is then not to be used)', async () => {
    const node = randomUUID();
    const a = await store().acquireLease(node, 'a', 30_000);
    await store().commit(a, { inputId: 'first', puts: [{ sk: SortKey.header, data: bytes('v1') }] });
    const snapshot = (await store().readSnapshot(node, [SortKey.header]))!;
    // The holder commits after the snapshot was read, then its lease expires.
    await store().commit(a, { inputId: 'second', puts: [{ sk: SortKey.header, data: bytes('v2') }] });
    clock += 31_000;
    const b = await store().acquireLease(node, 'b', 30_000);
    expect(snapshot.commits).toBe(1n);
    expect(b.commits).toBe(2n);
    expect(text(snapshot.data.get(SortKey.header))).toBe('v1');
  });
});
