/**
 * The start-up wait for a lease a previous run left (infra/local/previous-lease.ts),
 * against DynamoDB Local.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { afterPreviousLease } from '../../infra/local/previous-lease.js';
import { NodeStore, ensureNodeTable } from '../../shared/store/index.js';

let client: DynamoDBClient;
const tableName = `previous-lease-${randomUUID()}`;
beforeAll(async () => {
  client = localDynamoClient(inject('dynamoEndpoint'));
  await ensureNodeTable(client, tableName);
});
afterAll(() => client.destroy());

function node(leaseTtlMs = 15_000) {
  return { store: new NodeStore({ client, tableName }), nodeKey: randomUUID(), leaseTtlMs };
}

/** The invocation the start runs: takes and releases the lease, as resetPeers does. */
const invocation = (ctx: ReturnType<typeof node>) => async () => {
  const lease = await ctx.store.acquireLease(ctx.nodeKey, 'start-up', ctx.leaseTtlMs);
  await ctx.store.releaseLease(lease);
  return lease.fence;
};

describe('the start-up wait for a previous run lease', () => {
  it('runs at once, saying nothing, when no lease or only an expired one is stored', async () => {
    const ctx = node();
    const notices: string[] = [];
    expect(await afterPreviousLease(ctx, invocation(ctx), (l) => notices.push(l))).toBe(1n);
    expect(await afterPreviousLease(ctx, invocation(ctx), (l) => notices.push(l))).toBe(2n);
    expect(notices).toEqual([]);
  });

  it('waits for a held lease to expire, saying so in one line, then takes it', async () => {
    const ctx = node();
    const left = await ctx.store.acquireLease(ctx.nodeKey, 'crashed', 400);
    const notices: string[] = [];
    expect(await afterPreviousLease(ctx, invocation(ctx), (l) => notices.push(l))).toBe(left.fence + 1n);
    expect(notices).toEqual(['waiting up to 1 s for the lease a previous run left']);
  });

  it('refuses, in one line, a lease that outlives any this node takes', async () => {
    const ctx = node();
    await ctx.store.acquireLease(ctx.nodeKey, 'someone-else', 10 * 60_000);
    let ran = false;
    await expect(
      afterPreviousLease(
        ctx,
        async () => {
          ran = true;
        },
        () => undefined,
      ),
    ).rejects.toThrow(/^node .+ is leased by someone-else until .+, longer than a lease lasts \(15 s\): is another process using this data dir\?$/);
    expect(ran).toBe(false);
  });
});
