/**
 * The embedded SQS: fauxqs 1.9 (in-process), with the pipeline's FIFO queues
 * and their dead-letter queues created as the CDK stack creates them on AWS.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { FifoQueue, QueueName } from '../../shared/pipeline/queues.js';
import { LOCAL_AWS } from './dynamodb-local.js';

export interface SqsLocal {
  readonly endpoint: string;
  readonly client: SQSClient;
  readonly inbound: FifoQueue;
  readonly outbound: FifoQueue;
  readonly inboundDlq: FifoQueue;
  readonly outboundDlq: FifoQueue;
  readonly broadcast: FifoQueue;
  readonly broadcastDlq: FifoQueue;
  /** Public gossip from the gateway, for the gossip function. */
  readonly gossip: FifoQueue;
  readonly gossipDlq: FifoQueue;
  readonly gossipArn: string;
  readonly inboundArn: string;
  readonly broadcastArn: string;
  stop(): Promise<void>;
}

/** Receives before a message moves to its dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

export async function startSqsLocal(options: { port: number; visibilityTimeoutSec?: number }): Promise<SqsLocal> {
  const server = await startFauxqs({ port: options.port, host: '127.0.0.1', logger: false });
  const fifo = { FifoQueue: 'true', ContentBasedDeduplication: 'false' };
  const visibility = String(options.visibilityTimeoutSec ?? 30);
  const inboundDlq = server.createQueue(QueueName.inboundDlq, { attributes: fifo });
  const outboundDlq = server.createQueue(QueueName.outboundDlq, { attributes: fifo });
  const redrive = (arn: string) => JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: MAX_RECEIVE_COUNT });
  const inbound = server.createQueue(QueueName.inbound, {
    attributes: { ...fifo, VisibilityTimeout: visibility, RedrivePolicy: redrive(inboundDlq.queueArn) },
  });
  const outbound = server.createQueue(QueueName.outbound, {
    attributes: { ...fifo, VisibilityTimeout: visibility, RedrivePolicy: redrive(outboundDlq.queueArn) },
  });
  const broadcastDlq = server.createQueue(QueueName.broadcastDlq, { attributes: fifo });
  const broadcast = server.createQueue(QueueName.broadcast, {
    attributes: { ...fifo, VisibilityTimeout: visibility, RedrivePolicy: redrive(broadcastDlq.queueArn) },
  });
  const gossipDlq = server.createQueue(QueueName.gossipDlq, { attributes: fifo });
  const gossip = server.createQueue(QueueName.gossip, {
    attributes: { ...fifo, VisibilityTimeout: visibility, RedrivePolicy: redrive(gossipDlq.queueArn) },
  });
  const endpoint = `http://127.0.0.1:${server.port}`;
  const client = new SQSClient({ ...LOCAL_AWS, endpoint });
  return {
    endpoint,
    client,
    inbound: new FifoQueue(client, inbound.queueUrl),
    outbound: new FifoQueue(client, outbound.queueUrl),
    inboundDlq: new FifoQueue(client, inboundDlq.queueUrl),
    outboundDlq: new FifoQueue(client, outboundDlq.queueUrl),
    broadcast: new FifoQueue(client, broadcast.queueUrl),
    broadcastDlq: new FifoQueue(client, broadcastDlq.queueUrl),
    gossip: new FifoQueue(client, gossip.queueUrl),
    gossipDlq: new FifoQueue(client, gossipDlq.queueUrl),
    gossipArn: gossip.queueArn,
    inboundArn: inbound.queueArn,
    broadcastArn: broadcast.queueArn,
    async stop() {
      client.destroy();
      await server.stop();
    },
  };
}
