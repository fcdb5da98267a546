/**
 * `GET /v1/events?after=<id>` at the store (functions/events/event-service.ts,
 * on DynamoDB Local): the pending events past an id, oldest first, however
 * the events are batched into items; nothing is acknowledged by the read,
 * and events already acknowledged stay hidden.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { pendingEvents } from '../../functions/events/event-service.js';
import { applyInput } from '../../functions/runtime/invocation.js';
import { createNodeContext, type NodeContext } from '../../functions/runtime/node-context.js';
import { fromHex } from '../../shared/crypto/index.js';
import type { EventRecord } from '../../shared/manager/index.js';
import type { FifoQueue } from '../../shared/pipeline/queues.js';
import { NodeStore, SortKey, ensureNodeTable, eventItemWrites } from '../../shared/store/index.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {} } as unknown as NodeContext['logger'];
const noQueue = { sendBatch: () => Promise.reject(new Error('no message expected')), send: () => Promise.reject(new Error('no message expected')) } as unknown as FifoQueue;
const peer = fromHex('02' + '11'.repeat(32));
const ev = (id: bigint): EventRecord => ({ id, event: { kind: 'unsupported-message', counterpartyNodeId: peer, messageType: 128, message: `event ${id}` } });

let dynamo: DynamoDBClient;
let ctx: NodeContext;

beforeAll(() => {
  dynamo = localDynamoClient(inject('dynamoEndpoint'));
});
afterAll(() => dynamo.destroy());

beforeEach(async () => {
  const tableName = `events-after-${randomUUID()}`;
  await ensureNodeTable(dynamo, tableName);
  ctx = createNodeContext({ seed: fromHex(randomUUID().replace(/-/g, '').repeat(2)), network: 'regtest', store: new NodeStore({ client: dynamo, tableName }), outbound: noQueue, logger: quiet });
  // Four inputs of two events each: items EVENT#1, #3, #5, #7.
  for (let i = 0; i < 4; i++) {
    await applyInput(ctx, `input-${i}`, () => Promise.resolve({ puts: eventItemWrites([ev(BigInt(2 * i + 1)), ev(BigInt(2 * i + 2))]), deletes: [], effects: [], cleanup: [] }));
  }
});

const ids = (events: readonly EventRecord[]) => events.map((e) => e.id);

describe('pending events after an id', () => {
  it('reads past an id, also inside a batch, oldest first, at most the limit', async () => {
    expect(ids(await pendingEvents(ctx, 100, 2n))).toEqual([3n, 4n, 5n, 6n, 7n, 8n]);
    expect(ids(await pendingEvents(ctx, 100, 3n))).toEqual([4n, 5n, 6n, 7n, 8n]);
    expect(ids(await pendingEvents(ctx, 2, 3n))).toEqual([4n, 5n]);
    // A limited read goes past the items before `after` to fill the page.
    expect(ids(await pendingEvents(ctx, 1, 6n))).toEqual([7n]);
    expect(ids(await pendingEvents(ctx, 100, 8n))).toEqual([]);
    expect(ids(await pendingEvents(ctx, 100, 0n))).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]);
  });

  it('acknowledges nothing: every item and the counter stay; acknowledged events stay hidden', async () => {
    await pendingEvents(ctx, 100, 5n);
    expect(await ctx.store.readEventsAcked(ctx.nodeKey)).toBeUndefined();
    expect((await ctx.store.query(ctx.nodeKey, SortKey.eventPrefix)).map((i) => i.sk)).toEqual([1n, 3n, 5n, 7n].map(SortKey.event));
    await ctx.store.raiseEventsAcked(ctx.nodeKey, 4n);
    expect(ids(await pendingEvents(ctx, 100, 1n))).toEqual([5n, 6n, 7n, 8n]);
    expect(ids(await pendingEvents(ctx, 100, 5n))).toEqual([6n, 7n, 8n]);
  });
});
