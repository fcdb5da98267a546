/**
 * One outbox item per input (docs/commit-protocol.md) through `applyInput`,
 * against Amazon's DynamoDB Local and fauxqs: an input with 150 outbound
 * messages commits them as one item and relays them in order under their
 * ids; crashes before and during the relay lose nothing and send nothing
 * under another id.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { freePort } from '../../infra/local/free-port.js';
import { startSqsLocal, type SqsLocal } from '../../infra/local/sqs-local.js';
import { applyInput, outboxMessages, type InvocationResult } from '../../functions/runtime/invocation.js';
import { createNodeContext, type NodeContext } from '../../functions/runtime/node-context.js';
import { fromHex } from '../../shared/crypto/index.js';
import type { PeerEffect } from '../../shared/manager/index.js';
import { decodeOutbound, MAX_COALESCED_BYTES, outboundParts } from '../../shared/pipeline/envelopes.js';
import { FifoQueue } from '../../shared/pipeline/queues.js';
import { NodeStore, SortKey, ensureNodeTable } from '../../shared/store/index.js';
import { decodeMessage } from '../../shared/wire/index.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {} } as unknown as NodeContext['logger'];
const PEER = '02' + '33'.repeat(32);

let dynamo: DynamoDBClient;
let sqs: SqsLocal;
let ctx: NodeContext;
let outbound: FifoQueue;
/** SQS commands sent to the outbound queue, by name. */
let sqsCalls: string[];

beforeAll(async () => {
  dynamo = localDynamoClient(inject('dynamoEndpoint'));
  sqs = await startSqsLocal({ port: await freePort(), visibilityTimeoutSec: 1 });
});
afterAll(async () => {
  dynamo.destroy();
  await sqs.stop();
});

beforeEach(async () => {
  const tableName = `outbox-${randomUUID()}`;
  await ensureNodeTable(dynamo, tableName);
  const created = await sqs.client.send(new CreateQueueCommand({ QueueName: `out-${randomUUID()}.fifo`, Attributes: { FifoQueue: 'true', VisibilityTimeout: '1' } }));
  sqsCalls = [];
  const counting = {
    send: (command: { constructor: { name: string } }) => {
      sqsCalls.push(command.constructor.name);
      return sqs.client.send(command as never);
    },
  } as unknown as SQSClient;
  outbound = new FifoQueue(counting, created.QueueUrl!);
  ctx = createNodeContext({
    seed: fromHex(randomUUID().replace(/-/g, '').repeat(2)),
    network: 'regtest',
    store: new NodeStore({ client: dynamo, tableName }),
    outbound,
    logger: quiet,
  });
});

/**
 * An input whose step writes one state item and sends `count` pings to the
 * peer, ping i asking for i pong bytes; each names a connection of its own,
 * so each is a queue message of its own (messages in a row to one connection
 * would leave together, as one `send-many`).
 */
function manyPings(count: number, marker: string) {
  return async (): Promise<InvocationResult> => {
    const effects: PeerEffect[] = Array.from({ length: count }, (_, i) => ({
      kind: 'send',
      peer: fromHex(PEER),
      message: { type: 18, numPongBytes: i, ignored: new Uint8Array(0) },
      connectionId: `c${i}`,
    }));
    return { puts: [{ sk: SortKey.peer(PEER), data: new TextEncoder().encode(marker) }], deletes: [], effects };
  };
}

/** Everything on the outbound queue, in order: dedup id and the ping's numPongBytes. */
async function drain(): Promise<{ dedupId: string; n: number }[]> {
  const out: { dedupId: string; n: number }[] = [];
  for (let empty = 0; empty < 2; ) {
    const batch = await outbound.receive(10, 0);
    if (batch.length === 0) empty++;
    for (const m of batch) {
      const envelope = decodeOutbound(m.body);
      if (envelope.kind !== 'send') throw new Error(`unexpected ${envelope.kind}`);
      const decoded = decodeMessage(envelope.message) as { message: { type: number; numPongBytes: number } };
      expect(decoded.message.type).toBe(18);
      out.push({ dedupId: m.dedupId, n: decoded.message.numPongBytes });
      await outbound.delete(m.receiptHandle);
    }
  }
  return out;
}

const expected = (inputId: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({ dedupId: `${inputId}#${i.toString().padStart(3, '0')}`, n: i }));

describe('one outbox item per input', () => {
  it('commits an input with 150 outbound messages and relays all 150 in order under their ids (1 delete; one call per message of one peer, see batchesOf)', async () => {
    const inputId = `in-${randomUUID()}`;
    const dynamoCalls: string[] = [];
    const store = Object.create(ctx.store) as NodeStore;
    store.commit = async (lease, commit) => {
      dynamoCalls.push(`commit ${commit.outbox?.length ?? 0} messages`);
      return ctx.store.commit(lease, commit);
    };
    store.deleteOutbox = async (nodeKey, id) => {
      dynamoCalls.push(`delete ${id}`);
      return ctx.store.deleteOutbox(nodeKey, id);
    };
    expect(await applyInput({ ...ctx, store }, inputId, manyPings(150, 'v1'))).toBe('applied');
    expect(await drain()).toEqual(expected(inputId, 150));
    expect(dynamoCalls).toEqual(['commit 150 messages', `delete ${inputId}`]);
    // All to one peer: one message per call keeps that peer's order even if SQS refused one entry of a batch.
    expect(sqsCalls.filter((c) => c === 'SendMessageBatchCommand')).toHaveLength(150);
    expect(await ctx.store.pendingOutbox(ctx.nodeKey)).toEqual([]);
  });

  it('leaves ONE item when it crashes after the commit, before the relay; the next invocation relays all of it first', async () => {
    const crashed = `in-${randomUUID()}`;
    const down = Object.create(outbound) as FifoQueue;
    down.sendBatch = async () => {
      throw new Error('crash: committed, nothing sent');
    };
    await expect(applyInput({ ...ctx, outbound: down }, crashed, manyPings(150, 'v1'))).rejects.toThrow('crash');
    const pending = await ctx.store.pendingOutbox(ctx.nodeKey);
    expect(pending.map((i) => [i.inputId, i.messages.length])).toEqual([[crashed, 150]]);
    expect(await ctx.store.query(ctx.nodeKey, SortKey.outboxPrefix)).toHaveLength(1);
    expect(await drain()).toEqual([]);
    // The next input of the node (any input) relays the leftover item before its own messages.
    const next = `in-${randomUUID()}`;
    expect(await applyInput(ctx, next, manyPings(2, 'v2'))).toBe('applied');
    expect(await drain()).toEqual([...expected(crashed, 150), ...expected(next, 2)]);
    expect(await ctx.store.pendingOutbox(ctx.nodeKey)).toEqual([]);
  });

  it('re-sends a partly relayed item under the same ids: the queue keeps one copy of each, in order', async () => {
    const inputId = `in-${randomUUID()}`;
    const halfway = Object.create(outbound) as FifoQueue;
    halfway.sendBatch = async (messages) => {
      await outbound.sendBatch(messages.slice(0, 73));
      throw new Error('crash: 73 of 150 sent');
    };
    await expect(applyInput({ ...ctx, outbound: halfway }, inputId, manyPings(150, 'v1'))).rejects.toThrow('crash');
    // A redelivery of the same input: a duplicate, but the leftover item is relayed whole.
    expect(await applyInput(ctx, inputId, manyPings(150, 'v1'))).toBe('duplicate');
    expect(await drain()).toEqual(expected(inputId, 150));
    expect(await ctx.store.pendingOutbox(ctx.nodeKey)).toEqual([]);
  });
});

describe('an input\'s messages in a row to one peer', () => {
  const OTHER = '03' + '44'.repeat(32);
  const ping = (n: number, peer = PEER, connectionId?: string): PeerEffect => ({
    kind: 'send',
    peer: fromHex(peer),
    message: { type: 18, numPongBytes: n, ignored: n < 1000 ? new Uint8Array(0) : new Uint8Array(60_000) },
    ...(connectionId === undefined ? {} : { connectionId }),
  });
  const shape = (effects: PeerEffect[]) =>
    outboxMessages('in', effects).map((m) => {
      const e = decodeOutbound(new TextDecoder().decode(m.body));
      const n = (bytes: Uint8Array) => (bytes[2]! << 8) | bytes[3]!;
      return [m.id, e.kind, ...outboundParts(e).map((p) => (p.kind === 'send' ? `${p.peer.slice(0, 4)}:${p.connectionId ?? '-'}:${n(p.message)}` : p.kind))];
    });

  it('leave as one send-many, split where the peer or connection changes, at a disconnect, or past the byte budget', () => {
    expect(shape([ping(1, PEER, 'a'), ping(2, PEER, 'a'), ping(3, PEER, 'b'), ping(4, OTHER), ping(5, OTHER), { kind: 'disconnect', peer: fromHex(OTHER), reason: 'bye' }, ping(6, OTHER)])).toEqual([
      ['in#000', 'send-many', `${PEER.slice(0, 4)}:a:1`, `${PEER.slice(0, 4)}:a:2`],
      ['in#001', 'send', `${PEER.slice(0, 4)}:b:3`],
      ['in#002', 'send-many', `${OTHER.slice(0, 4)}:-:4`, `${OTHER.slice(0, 4)}:-:5`],
      ['in#003', 'disconnect', 'disconnect'],
      ['in#004', 'send', `${OTHER.slice(0, 4)}:-:6`],
    ]);
    // Three 60 KB pings: two fit the 128 KiB budget, the third leaves on its own.
    expect(shape([ping(1001), ping(1002), ping(1003)]).map((row) => row.slice(1).length - 1)).toEqual([2, 1]);
    expect(MAX_COALESCED_BYTES).toBe(128 * 1024);
  });
});
