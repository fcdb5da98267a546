/**
 * The `CHAIN_WATCH#` items' version (SortKey.chainWatchVersion): every
 * commit that puts or deletes one of them raises it in the same
 * transaction, a commit of other items leaves it, a delete outside a commit
 * raises it after the delete, and the writes outside the lease refuse those
 * items (their version would not move). What the chain handler relies on to
 * keep the items between runs (functions/chain/watch-items.ts).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { NodeStore, SortKey, ensureNodeTable } from '../../shared/store/index.js';

const bytes = (s: string) => new TextEncoder().encode(s);

let client: DynamoDBClient;
const tableName = `watch-version-${randomUUID()}`;
let store: NodeStore;

beforeAll(async () => {
  client = localDynamoClient(inject('dynamoEndpoint'));
  await ensureNodeTable(client, tableName);
  store = new NodeStore({ client, tableName });
});
afterAll(() => client.destroy());

const version = async (node: string) => (await store.readCounters(node, [SortKey.chainWatchVersion]))[0];

describe('the CHAIN_WATCH# version', () => {
  it('moves with every commit writing a CHAIN_WATCH# item, and only then', async () => {
    const node = randomUUID();
    expect(await version(node)).toBe(0);
    const lease = await store.acquireLease(node, 'a', 30_000);
    await store.commit(lease, { puts: [{ sk: SortKey.wallet, data: bytes('w') }] });
    expect(await version(node)).toBe(0);
    await store.commit(lease, { puts: [{ sk: SortKey.chainWatch('aa'), data: bytes('1') }, { sk: SortKey.chainWatch('bb'), data: bytes('2') }] });
    expect(await version(node)).toBe(1);
    await store.commit(lease, { puts: [{ sk: SortKey.fundingSpendBroadcast('aa'), data: bytes('tx') }] });
    expect(await version(node)).toBe(2);
    await store.commit(lease, { deletes: [SortKey.chainWatch('bb')] });
    expect(await version(node)).toBe(3);
    // A commit that fails writes nothing: neither the item nor the version.
    await store.releaseLease(lease);
    const taken = await store.acquireLease(node, 'b', 30_000);
    await expect(store.commit(lease, { puts: [{ sk: SortKey.chainWatch('cc'), data: bytes('3') }] })).rejects.toMatchObject({ code: 'lease-lost' });
    expect(await version(node)).toBe(3);
    expect(await store.get(node, SortKey.chainWatch('cc'))).toBeUndefined();
    // Read with another counter in one request, each in its place.
    expect(await store.readCounters(node, [SortKey.receiveIndex, SortKey.chainWatchVersion])).toEqual([0, 3]);
    // Not under the prefix: the Query of the items never returns it.
    expect((await store.query(node, SortKey.chainWatchPrefix)).map((i) => i.sk)).toEqual([SortKey.chainWatch('aa'), SortKey.fundingSpendBroadcast('aa')]);

    await store.deleteItems(node, [SortKey.fundingSpendBroadcast('aa')]);
    expect(await version(node)).toBe(4);
    await store.deleteItems(node, [SortKey.wallet]);
    expect(await version(node)).toBe(4);
    await store.releaseLease(taken);
  });

  it('refuses CHAIN_WATCH# items in writes outside a commit, and as a commit\'s deferred deletes', async () => {
    const node = randomUUID();
    await expect(store.putNew(node, [{ sk: SortKey.chainWatch('aa'), data: bytes('1') }])).rejects.toThrow(TypeError);
    await expect(store.putNew(node, [{ sk: SortKey.wallet, data: bytes('1') }, { sk: SortKey.chainWatch('aa'), data: bytes('1') }])).rejects.toThrow(TypeError);
    await expect(store.writeVersioned(node, [{ sk: SortKey.chainWatch('aa'), data: bytes('1') }])).rejects.toThrow(TypeError);
    const lease = await store.acquireLease(node, 'a', 30_000);
    await expect(store.commit(lease, { inputId: 'x', cleanup: [SortKey.chainWatch('aa')] })).rejects.toThrow(TypeError);
    expect(await store.get(node, SortKey.chainWatch('aa'))).toBeUndefined();
    expect(await version(node)).toBe(0);
  });
});
