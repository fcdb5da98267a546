/**
 * What every Lambda entry point reads at cold start, with nothing node-bound
 * in it (no store, no secp256k1): the environment the CDK stack sets, a
 * secret's value, and once-per-container memoisation. The authorizer needs
 * only this; node-bound entries use functions/runtime/aws-context.ts.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The environment variables the CDK stack gives the functions (infra/constructs/node-function.ts). */
export const EnvVar = {
  tableName: 'TABLE_NAME',
  outboundQueueUrl: 'OUTBOUND_QUEUE_URL',
  network: 'NETWORK',
  seedSecretArn: 'NODE_SEED_SECRET_ARN',
  apiKeySecretArn: 'API_KEY_SECRET_ARN',
  esploraUrl: 'ESPLORA_URL',
  broadcastQueueUrl: 'BROADCAST_QUEUE_URL',
  /** The inbound FIFO queue, where a commit enqueues its follow-up inputs (docs/follow-ups.md). */
  inboundQueueUrl: 'INBOUND_QUEUE_URL',
  /** `true` or `false` (default): propose and accept anchor channels (functions/runtime/node-settings.ts). */
  anchorChannels: 'ANCHOR_CHANNELS',
  /** `all` (default) or `manual`: the inbound channel policy (functions/runtime/node-settings.ts). */
  inboundChannels: 'INBOUND_CHANNELS',
  /** Our forwarding fee per forward, msat (default 1,000): functions/runtime/node-settings.ts, docs/forwarding.md. */
  forwardingFeeBaseMsat: 'FORWARDING_FEE_BASE_MSAT',
  /** Our forwarding fee in millionths of the amount forwarded (default 0). */
  forwardingFeePpm: 'FORWARDING_FEE_PPM',
  /** The blocks we keep between an incoming and an outgoing HTLC's expiry (default 72, at least 42). */
  forwardingCltvDelta: 'FORWARDING_CLTV_DELTA',
  /** Our `node_announcement`: alias, colour (rrggbb) and addresses (host:port, comma-separated) (functions/runtime/node-settings.ts). */
  nodeAlias: 'NODE_ALIAS',
  nodeColor: 'NODE_COLOR',
  nodeAddresses: 'NODE_ADDRESSES',
  /** The webhook queue (standard SQS): a commit's new webhook deliveries go to the delivery function through it (docs/webhooks.md). */
  webhookQueueUrl: 'WEBHOOK_QUEUE_URL',
} as const;
export type EnvVar = (typeof EnvVar)[keyof typeof EnvVar];

/** A deployment mistake found at cold start: a variable missing or malformed, a seed of the wrong shape. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** The value of `name`, or a {@link ConfigError} naming it. */
export function requireEnv(env: Env, name: EnvVar): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new ConfigError(`environment variable ${name} is not set`);
  return value.trim();
}

/** The string value of a secret (the seed, the API key). */
export async function fetchSecretString(client: SecretsManagerClient, secretArn: string): Promise<string> {
  const result = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (typeof result.SecretString !== 'string') throw new ConfigError('the secret has no string value');
  return result.SecretString;
}

/**
 * `make()` once per container: the first call starts it, later calls share
 * its promise. A rejection is not kept, so the next invocation tries again.
 */
export function once<T>(make: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= make().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

const SEED_HEX = /^[0-9a-fA-F]{64}$/;

/** The node seed as stored in its secret: 64 hex characters (32 bytes), surrounding whitespace ignored. */
export function parseSeedHex(text: string): Uint8Array {
  const hex = text.trim();
  if (!SEED_HEX.test(hex)) throw new ConfigError('the node seed secret must hold 64 hex characters (32 bytes)');
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
