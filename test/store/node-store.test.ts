import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { MAX_TRANSACTION_ITEMS, NodeStore, SortKey, StoreErrorCode, ensureNodeTable, relayOutbox, type OutboxMessage } from '../../shared/store/index.js';

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
    expect((await store().pendingOutbox(node)).map((m) => m.id)).toEqual(['m-1']);
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

describe('outbox relay', () => {
  it('sends each message after the commit, deletes it, and re-sends the same id after a crash', async () => {
    const node = randomUUID();
    const lease = await store().acquireLease(node, 'a', 30_000);
    await store().commit(lease, {
      outbox: [
        { id: '0001', destination: 'outbound', group: 'p', body: bytes('first') },
        { id: '0002', destination: 'outbound', group: 'p', body: bytes('second') },
      ],
    });
    const sent: OutboxMessage[] = [];
    let crash = true;
    const flaky = async (m: OutboxMessage) => {
      sent.push(m);
      if (m.id === '0002' && crash) {
        crash = false;
        throw new Error('crash after send, before delete');
      }
    };
    await expect(relayOutbox(store(), node, flaky)).rejects.toThrow('crash');
    expect((await store().pendingOutbox(node)).map((m) => m.id)).toEqual(['0002']);
    expect(await relayOutbox(store(), node, flaky)).toBe(1);
    expect(sent.map((m) => m.id)).toEqual(['0001', '0002', '0002']);
    expect(text(sent[2]!.body)).toBe('second');
    expect(await store().pendingOutbox(node)).toEqual([]);
  });
});
