/**
 * A node for wallet and chain tests: its own DynamoDB Local table, the
 * embedded regtest chain over HTTP, its own broadcast queue on fauxqs, and
 * helpers to drain the broadcast queue through the broadcast handler.
 */
import { randomUUID } from 'node:crypto';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { createBroadcastHandler } from '../../functions/broadcast/handler.js';
import { createNodeContext, type NodeContext } from '../../functions/runtime/node-context.js';
import type { SqsLocal } from '../../infra/local/sqs-local.js';
import { FifoQueue } from '../../shared/pipeline/queues.js';
import { NodeStore, ensureNodeTable } from '../../shared/store/index.js';

export const quiet = { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {} } as unknown as NodeContext['logger'];

export async function fifoQueue(sqs: SqsLocal, prefix: string): Promise<FifoQueue> {
  const created = await sqs.client.send(new CreateQueueCommand({ QueueName: `${prefix}-${randomUUID()}.fifo`, Attributes: { FifoQueue: 'true', VisibilityTimeout: '1' } }));
  return new FifoQueue(sqs.client, created.QueueUrl!);
}

export interface TestNode {
  readonly ctx: NodeContext;
  readonly tableName: string;
  readonly seed: Uint8Array;
  readonly broadcast: FifoQueue;
}

/** A node over a fresh table (or `tableName`, to reopen one as after a restart). */
export async function testNode(options: { dynamo: DynamoDBClient; sqs: SqsLocal; esploraUrl: string; seed?: Uint8Array; tableName?: string; broadcast?: FifoQueue }): Promise<TestNode> {
  const tableName = options.tableName ?? `wallet-${randomUUID()}`;
  await ensureNodeTable(options.dynamo, tableName);
  const seed = options.seed ?? Uint8Array.from(randomUUID().replace(/-/g, '').repeat(2).slice(0, 64).match(/../g)!.map((h) => parseInt(h, 16)));
  const broadcast = options.broadcast ?? (await fifoQueue(options.sqs, 'broadcast'));
  const ctx = createNodeContext({
    seed,
    network: 'regtest',
    store: new NodeStore({ client: options.dynamo, tableName }),
    outbound: await fifoQueue(options.sqs, 'out'),
    broadcast,
    esploraUrl: options.esploraUrl,
    logger: quiet,
  });
  return { ctx, tableName, seed, broadcast };
}

/** Runs the broadcast handler over everything in the queue until it is empty; returns the bodies handled. */
export async function drainBroadcasts(node: TestNode): Promise<string[]> {
  const handler = createBroadcastHandler(node.ctx);
  const bodies: string[] = [];
  for (;;) {
    const messages = await node.broadcast.receive(10, 0);
    if (messages.length === 0) return bodies;
    const event = {
      Records: messages.map((m) => ({ messageId: m.messageId, receiptHandle: m.receiptHandle, body: m.body, attributes: {}, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn', awsRegion: 'us-east-1' })),
    } as unknown as SQSEvent;
    const result = await handler(event, {} as never);
    const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
    for (const m of messages) {
      if (failed.has(m.messageId)) throw new Error(`broadcast of ${m.body.slice(0, 120)} failed`);
      bodies.push(m.body);
      await node.broadcast.delete(m.receiptHandle);
    }
  }
}
