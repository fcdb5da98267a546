/**
 * Cold-start wiring shared by the Lambda entry points (`functions/<name>/lambda.ts`):
 * read the environment the CDK stack sets, fetch the node seed from Secrets
 * Manager once per container, and build the {@link NodeContext} over real
 * DynamoDB and SQS clients. Nothing here runs at module load: the first
 * invocation starts the work and later ones reuse its result, so loading a
 * bundle never calls AWS (and a failed fetch is retried by the next invocation).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { FifoQueue } from '../../shared/pipeline/queues.js';
import { NodeStore } from '../../shared/store/index.js';
import { ConfigError, EnvVar, fetchSecretString, once, parseSeedHex, requireEnv, type Env } from './aws-env.js';
import { createNodeContext, isNetwork, nodeRouting, type Network, type NodeContext } from './node-context.js';
import { readNodeAnnouncementSettings, readNodeChannelSettings } from './node-settings.js';
import { sqsWebhookDispatch } from '../webhooks/queue-dispatch.js';
import type { NodeAnnouncementSettings, NodeChannelSettings } from '../../shared/manager/index.js';

export { ConfigError, EnvVar, fetchSecretString, once, parseSeedHex, requireEnv } from './aws-env.js';

export interface NodeEnvironment {
  readonly tableName: string;
  readonly outboundQueueUrl: string;
  readonly network: Network;
  readonly seedSecretArn: string;
  /** The chain source; the embedded chain's URL when unset. */
  readonly esploraUrl?: string;
  /** The broadcast queue, for the functions that broadcast. */
  readonly broadcastQueueUrl?: string;
  /** The inbound queue, where follow-up inputs go (docs/follow-ups.md). */
  readonly inboundQueueUrl?: string;
  /** The webhook queue, where new webhook deliveries are announced (docs/webhooks.md). */
  readonly webhookQueueUrl?: string;
  /** `ANCHOR_CHANNELS` and `INBOUND_CHANNELS`, defaults when unset. */
  readonly channelSettings: NodeChannelSettings;
  /** `NODE_ALIAS`, `NODE_COLOR`, `NODE_ADDRESSES`: our `node_announcement`; absent when none is set. */
  readonly nodeAnnouncement?: NodeAnnouncementSettings;
}

/** Reads what a node-bound function needs from its environment. */
export function readNodeEnvironment(env: Env = process.env): NodeEnvironment {
  const network = requireEnv(env, EnvVar.network);
  if (!isNetwork(network)) throw new ConfigError(`${EnvVar.network} must be regtest, testnet, signet or bitcoin, not '${network.slice(0, 32)}'`);
  return {
    tableName: requireEnv(env, EnvVar.tableName),
    outboundQueueUrl: requireEnv(env, EnvVar.outboundQueueUrl),
    network,
    seedSecretArn: requireEnv(env, EnvVar.seedSecretArn),
    channelSettings: readNodeChannelSettings(env),
    ...nodeAnnouncementFrom(env),
    ...optional(env, EnvVar.esploraUrl, 'esploraUrl'),
    ...optional(env, EnvVar.broadcastQueueUrl, 'broadcastQueueUrl'),
    ...optional(env, EnvVar.inboundQueueUrl, 'inboundQueueUrl'),
    ...optional(env, EnvVar.webhookQueueUrl, 'webhookQueueUrl'),
  };
}

function optional<K extends string>(env: Env, name: EnvVar, key: K): { [P in K]?: string } {
  const value = env[name]?.trim();
  return (value === undefined || value === '' ? {} : { [key]: value }) as { [P in K]?: string };
}

/** Builds the node context over AWS: seed from Secrets Manager, store on DynamoDB, outbound queue on SQS. */
export async function createAwsNodeContext(env: NodeEnvironment): Promise<NodeContext> {
  const secrets = new SecretsManagerClient({});
  try {
    const seed = parseSeedHex(await fetchSecretString(secrets, env.seedSecretArn));
    const sqs = new SQSClient({});
    const dynamo = new DynamoDBClient({});
    return createNodeContext({
      seed,
      network: env.network,
      store: new NodeStore({ client: dynamo, tableName: env.tableName }),
      // Payments route over the gossip function's graph snapshot, loaded once per container (docs/gossip.md).
      routing: nodeRouting(dynamo, env.tableName, env.network),
      outbound: new FifoQueue(sqs, env.outboundQueueUrl),
      channelSettings: env.channelSettings,
      ...(env.nodeAnnouncement === undefined ? {} : { nodeAnnouncement: env.nodeAnnouncement }),
      ...(env.esploraUrl === undefined ? {} : { esploraUrl: env.esploraUrl }),
      ...(env.broadcastQueueUrl === undefined ? {} : { broadcast: new FifoQueue(sqs, env.broadcastQueueUrl) }),
      ...(env.inboundQueueUrl === undefined ? {} : { inbound: new FifoQueue(sqs, env.inboundQueueUrl) }),
      // On AWS, loopback receivers are never allowed; without the queue the timer finds new deliveries.
      webhooks: { allowLoopback: false, ...(env.webhookQueueUrl === undefined ? {} : { dispatch: sqsWebhookDispatch(sqs, env.webhookQueueUrl) }) },
    });
  } finally {
    secrets.destroy();
  }
}

/** The node context of this container, built at the first invocation from `process.env`. */
export const awsNodeContext: () => Promise<NodeContext> = once(() => createAwsNodeContext(readNodeEnvironment()));

function nodeAnnouncementFrom(env: Env): { nodeAnnouncement?: NodeAnnouncementSettings } {
  const settings = readNodeAnnouncementSettings(env);
  return settings === undefined ? {} : { nodeAnnouncement: settings };
}
