/**
 * A group's writes before its commit (shared/store/pending-writes.ts) and
 * the store view that reads through them (`NodeStore.withPending`), against
 * DynamoDB Local: what a later input of the group reads is what the table
 * would hold had the inputs before it committed one by one; the group's one
 * commit writes every input record.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { KnownItems, NodeStore, PendingWrites, SortKey, StoreErrorCode, ensureNodeTable } from '../../shared/store/index.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

let client: DynamoDBClient;
const tableName = `pending-test-${randomUUID()}`;
const store = () => new NodeStore({ client, tableName });

beforeAll(async () => {
  client = localDynamoClient(inject('dynamoEndpoint'));
  await ensureNodeTable(client, tableName);
});
afterAll(() => client.destroy());

describe('PendingWrites', () => {
  it('folds the inputs in order: the last write of a key wins, a put keeps the condition of the group\'s first write of its key', () => {
    const pending = new PendingWrites();
    const open = { kind: 'state', state: 'open' } as const;
    pending.add({ puts: [{ sk: 'A#1', data: bytes('a1') }, { sk: 'INV#x', data: bytes('paid'), state: 'paid', condition: open }], deletes: ['A#2'] });
    pending.add({ puts: [{ sk: 'A#2', data: bytes('a2') }, { sk: 'INV#x', data: bytes('paid again'), state: 'paid' }], deletes: ['A#1'], cleanup: ['ONION#1'] });
    pending.add({ puts: [{ sk: 'A#3', data: bytes('a3'), condition: open }], deletes: [] });
    expect(pending.lookup('A#1')).toBeNull();
    expect(text(pending.lookup('A#2') ?? undefined)).toBe('a2');
    expect(pending.lookup('ONION#1')).toBeNull();
    expect(pending.lookup('B#1')).toBeUndefined();
    expect(pending.keysUnder('A#')).toEqual(['A#1', 'A#2', 'A#3']);
    const merged = pending.merged();
    expect(merged.deletes).toEqual(['A#1']);
    expect(merged.cleanup).toEqual(['ONION#1']);
    expect(merged.puts.map((p) => [p.sk, text(p.data), p.condition?.kind]).sort()).toEqual([
      ['A#2', 'a2', undefined],
      ['A#3', 'a3', 'state'],
      ['INV#x', 'paid again', 'state'],
    ]);
  });
});

describe('NodeStore.withPending', () => {
  it('answers get, getMany, query (limits, both orders) and queryKeys as the table after the group\'s writes', async () => {
    const node = randomUUID();
    const s = store();
    const lease = await s.acquireLease(node, 'me', 30_000);
    await s.commit(lease, { inputId: 'seed', puts: ['1', '2', '3', '5'].map((i) => ({ sk: `A#${i}`, data: bytes(`stored ${i}`) })) });
    const pending = new PendingWrites();
    pending.add({ puts: [{ sk: 'A#2', data: bytes('new 2') }, { sk: 'A#4', data: bytes('new 4') }], deletes: ['A#3'] });
    const view = s.withKnown(new KnownItems(node)).withPending(node, pending);

    expect(text(await view.get(node, 'A#2'))).toBe('new 2');
    expect(await view.get(node, 'A#3')).toBeUndefined();
    expect(text(await view.get(node, 'A#5'))).toBe('stored 5');
    const many = await view.getMany(node, ['A#1', 'A#2', 'A#3', 'A#4']);
    expect([...many].map(([sk, d]) => [sk, text(d)])).toEqual([['A#2', 'new 2'], ['A#4', 'new 4'], ['A#1', 'stored 1']]);
    const rows = async (...args: Parameters<NodeStore['query']>) => (await view.query(...args)).map((r) => `${r.sk}=${text(r.data)}`);
    expect(await rows(node, 'A#')).toEqual(['A#1=stored 1', 'A#2=new 2', 'A#4=new 4', 'A#5=stored 5']);
    expect(await rows(node, 'A#', 2)).toEqual(['A#1=stored 1', 'A#2=new 2']);
    expect(await rows(node, 'A#', 3, 'newest-first')).toEqual(['A#5=stored 5', 'A#4=new 4', 'A#2=new 2']);
    expect(await view.queryKeys(node, 'A#')).toEqual(['A#1', 'A#2', 'A#4', 'A#5']);
    // Another node's reads, and the table itself, are untouched by the group.
    expect(text(await s.get(node, 'A#3'))).toBe('stored 3');
    expect(await s.queryKeys(node, 'A#')).toEqual(['A#1', 'A#2', 'A#3', 'A#5']);
    expect(await s.withPending(randomUUID(), pending).get(node, 'A#3')).toEqual(bytes('stored 3'));
    // A copy each time: a reader changing its bytes does not change the group's.
    (await view.get(node, 'A#2'))!.fill(0);
    expect(text(await view.get(node, 'A#2'))).toBe('new 2');
  });

  it('refuses a versioned read or a page that the group\'s writes would change (group-read), and lets the others through', async () => {
    const node = randomUUID();
    const pending = new PendingWrites();
    pending.add({ puts: [{ sk: SortKey.webhooks, data: bytes('w') }], deletes: [] });
    const view = store().withPending(node, pending);
    await expect(view.getVersioned(node, SortKey.webhooks)).rejects.toMatchObject({ code: StoreErrorCode.GroupRead });
    await expect(view.queryPage(node, SortKey.webhooks, { limit: 5 })).rejects.toMatchObject({ code: StoreErrorCode.GroupRead });
    await expect(view.queryVersioned(node, 'WEBHOOK')).rejects.toMatchObject({ code: StoreErrorCode.GroupRead });
    expect(await view.getVersioned(node, 'OTHER')).toBeUndefined();
    expect((await view.queryPage(node, 'OTHER#', { limit: 5 })).items).toEqual([]);
  });
});

describe('a group commit', () => {
  it('writes the input record of every input of the group, and is refused whole when one was applied already', async () => {
    const node = randomUUID();
    const s = store();
    const lease = await s.acquireLease(node, 'me', 30_000);
    await s.commit(lease, { inputId: 'm3', groupedBefore: ['m1', 'm2'], puts: [{ sk: 'A#1', data: bytes('x') }] });
    expect(await Promise.all(['m1', 'm2', 'm3'].map((id) => s.hasInput(node, id)))).toEqual([true, true, true]);
    await expect(s.commit(lease, { inputId: 'm5', groupedBefore: ['m4', 'm2'], puts: [{ sk: 'A#2', data: bytes('y') }] })).rejects.toMatchObject({
      code: StoreErrorCode.DuplicateInput,
      message: expect.stringContaining('m2'),
    });
    expect(await Promise.all(['m4', 'm5'].map((id) => s.hasInput(node, id)))).toEqual([false, false]);
    expect(await s.get(node, 'A#2')).toBeUndefined();
  });
});
