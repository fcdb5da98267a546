/**
 * AWS Lambda entry of the gossip function (SQS FIFO event source on the
 * gossip queue, `reportBatchItemFailures`). The context is built at the
 * first invocation from the environment and kept by the container: no seed
 * secret, no lease.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { FifoQueue } from '../../shared/pipeline/queues.js';
import { ConfigError, EnvVar, once, requireEnv } from '../runtime/aws-env.js';
import { isNetwork } from '../runtime/node-context.js';
import { createGossipContext } from './gossip-context.js';
import { createGossipHandler } from './handler.js';

const gossipHandler = once(async () => {
  const network = requireEnv(process.env, EnvVar.network);
  if (!isNetwork(network)) throw new ConfigError(`${EnvVar.network} must be regtest, testnet, signet or bitcoin, not '${network.slice(0, 32)}'`);
  const esploraUrl = process.env[EnvVar.esploraUrl]?.trim();
  return createGossipHandler(
    createGossipContext({
      client: new DynamoDBClient({}),
      tableName: requireEnv(process.env, EnvVar.tableName),
      network,
      outbound: new FifoQueue(new SQSClient({}), requireEnv(process.env, EnvVar.outboundQueueUrl)),
      ...(esploraUrl === undefined || esploraUrl === '' ? {} : { esploraUrl }),
      logger: new Logger({ serviceName: 'stormcell-gossip' }),
    }),
  );
});

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const { batchItemFailures } = await (await gossipHandler())(event);
  return { batchItemFailures };
}
