/**
 * The peer-message and timer handlers against real components: Amazon's
 * DynamoDB Local and fauxqs. Replays, races, and crashes at every step.
 */
import { randomUUID } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, inject } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { freePort } from '../../infra/local/free-port.js';
import { startSqsLocal, type SqsLocal } from '../../infra/local/sqs-local.js';
import { createPeerMessageHandler } from '../../functions/peer-message/handler.js';
import { createTimerHandler } from '../../functions/timer/handler.js';
import { createNodeContext, type NodeContext } from '../../functions/runtime/node-context.js';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { decodeOutbound, outboundParts, encodeInbound, type InboundEnvelope, type OutboundEnvelope } from '../../shared/pipeline/envelopes.js';
import { FifoQueue } from '../../shared/pipeline/queues.js';
import { NodeStore, SortKey, ensureNodeTable } from '../../shared/store/index.js';
import { decodeMessage, encodeMessage, type WireMessage } from '../../shared/wire/index.js';

const LDK_FEATURES = fromHex('08a0000a0a5121');
const REGTEST = fromHex('06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f');
const quiet = { debug() {}, info() {}, warn() {}, error() {} } as unknown as NodeContext['logger'];

let dynamo: DynamoDBClient;
let sqs: SqsLocal;
let ctx: NodeContext;
let outbound: FifoQueue;
let tableName: string;

beforeAll(async () => {
  dynamo = localDynamoClient(inject('dynamoEndpoint'));
  sqs = await startSqsLocal({ port: await freePort(), visibilityTimeoutSec: 1 });
});
afterAll(async () => {
  dynamo.destroy();
  await sqs.stop();
});

/** A fresh node (own table, own seed) and a fresh outbound queue per test. */
beforeEach(async () => {
  tableName = `pm-${randomUUID()}`;
  await ensureNodeTable(dynamo, tableName);
  const created = await sqs.client.send(
    new (await import('@aws-sdk/client-sqs')).CreateQueueCommand({ QueueName: `out-${randomUUID()}.fifo`, Attributes: { FifoQueue: 'true', VisibilityTimeout: '1' } }),
  );
  outbound = new FifoQueue(sqs.client, created.QueueUrl!);
  ctx = createNodeContext({
    seed: Uint8Array.from(randomUUID().replace(/-/g, '').repeat(2).slice(0, 64).match(/../g)!.map((h) => parseInt(h, 16))),
    network: 'regtest',
    store: new NodeStore({ client: dynamo, tableName }),
    outbound,
    logger: quiet,
  });
});

const PEER = '02' + '22'.repeat(32);
let seq = 0;
function record(envelope: InboundEnvelope, dedupId = `${randomUUID()}:${seq++}`) {
  return {
    messageId: randomUUID(),
    receiptHandle: 'rh',
    body: encodeInbound(envelope),
    attributes: { MessageGroupId: `${ctx.nodeKey}:${envelope.peer}`, MessageDeduplicationId: dedupId, ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'gw', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:stormcell-inbound.fifo',
    awsRegion: 'us-east-1',
  };
}
const event = (...records: ReturnType<typeof record>[]) => ({ Records: records }) as unknown as SQSEvent;
const connected = (connectionId = 'c1'): InboundEnvelope => ({ kind: 'connected', peer: PEER, connectionId, inbound: true, address: '127.0.0.1:5555' });
const message = (m: WireMessage, connectionId = 'c1'): InboundEnvelope => ({ kind: 'message', peer: PEER, connectionId, seq: seq++, message: encodeMessage(m) });
const ldkInit: WireMessage = { type: 16, globalfeatures: new Uint8Array(0), features: LDK_FEATURES, networks: [REGTEST] };
const ping = (n: number): WireMessage => ({ type: 18, numPongBytes: n, ignored: new Uint8Array(0) });

async function drain(): Promise<OutboundEnvelope[]> {
  const out: OutboundEnvelope[] = [];
  for (let empty = 0; empty < 2; ) {
    const batch = await outbound.receive(10, 0);
    if (batch.length === 0) empty++;
    for (const m of batch) {
      out.push(...outboundParts(decodeOutbound(m.body)));
      await outbound.delete(m.receiptHandle);
    }
  }
  return out;
}
const sentTypes = (out: OutboundEnvelope[]) => out.map((e) => (e.kind === 'send' ? (decodeMessage(e.message) as { message: WireMessage }).message.type : e.kind));

describe('peer-message handler', () => {
  it('answers a connection with our init, records the peer after its init, answers ping with pong', async () => {
    const handler = createPeerMessageHandler(ctx);
    expect(await handler(event(record(connected())), {} as never)).toEqual({ batchItemFailures: [] });
    expect(sentTypes(await drain())).toEqual([16]);
    await handler(event(record(message(ldkInit))), {} as never);
    const peers = await storeNodeApi(ctx).listPeers();
    expect(peers).toEqual([{ nodeId: PEER, address: '127.0.0.1:5555', inbound: true, features: toHex(LDK_FEATURES) }]);
    await handler(event(record(message(ping(5)))), {} as never);
    const out = await drain();
    expect(out).toHaveLength(1);
    const pong = out[0]!.kind === 'send' ? decodeMessage(out[0]!.message) : undefined;
    expect(pong).toMatchObject({ kind: 'message', message: { type: 19, ignored: new Uint8Array(5) } });
  });

  it('has no effect when an SQS record is replayed', async () => {
    const handler = createPeerMessageHandler(ctx);
    const first = record(connected());
    await handler(event(first), {} as never);
    await handler(event(record(message(ldkInit))), {} as never);
    await drain();
    const before = await ctx.store.get(ctx.nodeKey, SortKey.peer(PEER));
    // The same gateway record delivered again (same dedup id): the peer is not reset, no second init.
    await handler(event({ ...first, messageId: randomUUID() }), {} as never);
    expect(await ctx.store.get(ctx.nodeKey, SortKey.peer(PEER))).toEqual(before);
    expect(await drain()).toEqual([]);
    // A replayed ping sends its pong again with the same id: the FIFO queue drops the copy.
    const p = record(message(ping(1)));
    await handler(event(p), {} as never);
    await handler(event({ ...p, messageId: randomUUID() }), {} as never);
    expect(sentTypes(await drain())).toEqual([19]);
  });

  it('disconnects on an unknown even message and ignores an unknown odd one', async () => {
    const handler = createPeerMessageHandler(ctx);
    await handler(event(record(connected()), record(message(ldkInit))), {} as never);
    await drain();
    const odd: InboundEnvelope = { kind: 'message', peer: PEER, connectionId: 'c1', seq: seq++, message: fromHex('ff0f00') };
    const even: InboundEnvelope = { kind: 'message', peer: PEER, connectionId: 'c1', seq: seq++, message: fromHex('ff0e00') };
    await handler(event(record(odd), record(even)), {} as never);
    expect(sentTypes(await drain())).toEqual(['disconnect']);
  });

  it('drops a malformed record without failing the batch', async () => {
    const handler = createPeerMessageHandler(ctx);
    const bad = { ...record(connected()), body: '{"v":1,"kind":"nope"}' };
    expect(await handler(event(bad, record(connected())), {} as never)).toEqual({ batchItemFailures: [] });
    expect(sentTypes(await drain())).toEqual([16]);
  });

  it('never forks state when two invocations race on one node', async () => {
    const a = createPeerMessageHandler(ctx);
    const b = createPeerMessageHandler(ctx);
    const peers = Array.from({ length: 6 }, (_, i) => '03' + i.toString(16).padStart(2, '0').repeat(32));
    const results = await Promise.all(
      peers.map((peer, i) => (i % 2 ? a : b)(event(record({ kind: 'connected', peer, connectionId: `c${i}`, inbound: true, address: '127.0.0.1:1' })), {} as never)),
    );
    expect(results.every((r) => r.batchItemFailures.length === 0)).toBe(true);
    const stored = await ctx.store.query(ctx.nodeKey, SortKey.peer(''));
    expect(stored.map((s) => s.sk).sort()).toEqual(peers.map((p) => SortKey.peer(p)).sort());
    expect(sentTypes(await drain())).toEqual(peers.map(() => 16));
  });

  it('loses no message and sends none twice under different ids when it crashes between commit and send', async () => {
    let crash = true;
    const flakyOutbound = { ...outbound, url: outbound.url, sendBatch: async (m: Parameters<FifoQueue['sendBatch']>[0]) => {
      if (crash) {
        crash = false;
        throw new Error('crash: the process died after the commit, before the send');
      }
      return outbound.sendBatch(m);
    } } as unknown as FifoQueue;
    const crashing = createPeerMessageHandler({ ...ctx, outbound: flakyOutbound });
    const rec = record(connected());
    expect((await crashing(event(rec), {} as never)).batchItemFailures).toHaveLength(1);
    // The commit is durable: the peer is there, and its init waits in the outbox.
    expect(await ctx.store.get(ctx.nodeKey, SortKey.peer(PEER))).toBeDefined();
    expect(await ctx.store.pendingOutbox(ctx.nodeKey)).toHaveLength(1);
    // SQS redelivers the record: it is a duplicate input, and the leftover is relayed with its original id.
    expect(await createPeerMessageHandler(ctx)(event({ ...rec, messageId: randomUUID() }), {} as never)).toEqual({ batchItemFailures: [] });
    expect(sentTypes(await drain())).toEqual([16]);
    expect(await ctx.store.pendingOutbox(ctx.nodeKey)).toEqual([]);
  });

  it('recovers from a crash right after taking the lease: the next invocation takes it over once it expires', async () => {
    const short = { ...ctx, leaseTtlMs: 300 };
    await ctx.store.acquireLease(ctx.nodeKey, 'crashed-invocation', 300); // taken, never released
    const started = Date.now();
    expect(await createPeerMessageHandler(short)(event(record(connected())), {} as never)).toEqual({ batchItemFailures: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(sentTypes(await drain())).toEqual([16]);
  });

  it('sends nothing twice under different ids when it crashes between the send and the outbox delete', async () => {
    let crash = true;
    const store = Object.create(ctx.store) as typeof ctx.store;
    store.deleteOutbox = async (nodeKey: string, inputId: string) => {
      if (crash) {
        crash = false;
        throw new Error('crash: sent, not yet deleted');
      }
      return ctx.store.deleteOutbox(nodeKey, inputId);
    };
    const rec = record(connected());
    expect((await createPeerMessageHandler({ ...ctx, store })(event(rec), {} as never)).batchItemFailures).toHaveLength(1);
    const pending = await ctx.store.pendingOutbox(ctx.nodeKey);
    expect(pending).toHaveLength(1);
    // Redelivery: the leftover is re-sent under its original id (the queue drops the copy), then cleared.
    await createPeerMessageHandler(ctx)(event({ ...rec, messageId: randomUUID() }), {} as never);
    expect(sentTypes(await drain())).toEqual([16]);
    expect(await ctx.store.pendingOutbox(ctx.nodeKey)).toEqual([]);
  });

  it('fails the rest of a FIFO group after a failure, so a peer\'s messages keep their order', async () => {
    const down = { ...outbound, sendBatch: async () => { throw new Error('queue down'); } } as unknown as FifoQueue;
    const handler = createPeerMessageHandler({ ...ctx, outbound: down });
    const r1 = record(connected());
    const r2 = record(message(ldkInit));
    const res = await handler(event(r1, r2), {} as never);
    // r1 committed (its relay runs beside r2, docs/commit-protocol.md "The relay beside the next input"); r2's messages
    // must follow r1's, whose relay fails again: r2 fails, and r1's item stays for the next input to relay first.
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([r2.messageId]);
    expect((await ctx.store.pendingOutbox(ctx.nodeKey)).map((item) => item.inputId)).toEqual([r1.attributes.MessageDeduplicationId ?? r1.messageId]);
  });
});

describe('timer handler', () => {
  it('ticks with a connected peer and no channel: one small commit under the lease, one Query for webhook attempts due, nothing sent (pings are the gateway\'s)', async () => {
    const handler = createPeerMessageHandler(ctx);
    await handler(event(record(connected()), record(message(ldkInit))), {} as never);
    await drain();
    // The timer's store on a client of its own that counts every request it sends.
    const requests: string[] = [];
    const client = localDynamoClient(inject('dynamoEndpoint'));
    client.middlewareStack.add(
      (next, context) => async (args) => {
        requests.push(context.commandName ?? '?');
        return next(args);
      },
      { step: 'initialize', name: 'countRequests' },
    );
    try {
      const timer = createTimerHandler({ ...ctx, store: new NodeStore({ client, tableName }) });
      expect(await timer({ id: 'tick-1' }, {} as never)).toMatchObject({ tick: { outcome: 'applied', report: { tick: 1, mppTimedOut: 0, feeUpdates: 0 } } });
      expect(await timer({ id: 'tick-2' }, {} as never)).toMatchObject({ tick: { outcome: 'applied', report: { tick: 2 } } });
    } finally {
      client.destroy();
    }
    // Per tick: the header check, the lease, the reads (header, fees, peers, two index Queries, the input record, leftovers), one commit, and one Query for webhook attempts due.
    expect(requests.filter((r) => r === 'TransactWriteItemsCommand')).toHaveLength(2);
    expect(requests.filter((r) => r === 'ScanCommand')).toEqual([]);
    expect(requests.length).toBeLessThanOrEqual(2 * 13);
    expect(await drain()).toEqual([]);
    expect(await storeNodeApi(ctx).listPeers()).toHaveLength(1);
  });
});

describe('gateway start', () => {
  it('forgets every peer of the previous run', async () => {
    const handler = createPeerMessageHandler(ctx);
    await handler(event(record(connected()), record(message(ldkInit))), {} as never);
    expect(await storeNodeApi(ctx).listPeers()).toHaveLength(1);
    const { resetPeers } = await import('../../functions/peer-message/reset.js');
    expect(await resetPeers(ctx, 'start-1')).toBe('applied');
    expect(await storeNodeApi(ctx).listPeers()).toEqual([]);
  });
});
