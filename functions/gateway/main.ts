/**
 * The gateway as a process (the Fargate task): configuration from the
 * environment, SIGTERM/SIGINT stop it cleanly. See docs/gateway.md.
 *
 *   PEER_PORT           TCP port for peers (default 9735)
 *   PEER_HOST           listen address (default 0.0.0.0)
 *   INBOUND_QUEUE_URL   the inbound FIFO queue (gateway → peer-message handler)
 *   OUTBOUND_QUEUE_URL  the outbound FIFO queue (handlers → gateway)
 *   GOSSIP_QUEUE_URL    the gossip FIFO queue (gateway → gossip function); unset: gossip goes to the inbound queue
 *   AWS_REGION          the queues' region
 *   NODE_SEED_SECRET_ARN the Secrets Manager secret holding the node seed (64 hex
 *                       characters): what the CDK stack sets on AWS
 *   NODE_SEED_HEX       or the seed itself, 32 bytes hex (a manual run); exactly one of the two
 *   PEER_INIT_TIMEOUT_SEC, PEER_READ_TIMEOUT_SEC, PEER_MAX_CONNECTIONS_PER_IP,
 *   PEER_MAX_CONNECTIONS  what a connection may cost (peer-limits.ts; unset: the defaults)
 *   PEER_PING_INTERVAL_SEC how often the gateway pings each peer (default 30)
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { deriveNodeSecret } from '../../shared/keys/index.js';
import { FifoQueue } from '../../shared/pipeline/queues.js';
import { EnvVar, fetchSecretString, parseSeedHex } from '../runtime/aws-env.js';
import { startGateway } from './gateway.js';
import { readPeerLimits } from './peer-limits.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** The seed from Secrets Manager (NODE_SEED_SECRET_ARN, on AWS) or from NODE_SEED_HEX (a manual run). */
async function readSeed(region: string): Promise<Uint8Array> {
  const secretArn = process.env[EnvVar.seedSecretArn];
  const seedHex = process.env['NODE_SEED_HEX'];
  if (secretArn && seedHex) throw new Error(`set ${EnvVar.seedSecretArn} or NODE_SEED_HEX, not both`);
  if (seedHex) {
    if (!/^[0-9a-fA-F]{64}$/.test(seedHex)) throw new Error('NODE_SEED_HEX must be 32 bytes of hex');
    return parseSeedHex(seedHex);
  }
  if (!secretArn) throw new Error(`${EnvVar.seedSecretArn} (or NODE_SEED_HEX) is not set`);
  const secrets = new SecretsManagerClient({ region });
  try {
    return parseSeedHex(await fetchSecretString(secrets, secretArn));
  } finally {
    secrets.destroy();
  }
}

async function main(): Promise<void> {
  const logger = new Logger({ serviceName: 'stormcell-gateway' });
  const limits = readPeerLimits(process.env);
  const seed = await readSeed(required('AWS_REGION'));
  const port = Number(process.env['PEER_PORT'] ?? '9735');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('PEER_PORT must be a TCP port number');
  const nodeSecret = deriveNodeSecret(wasmSecp256k1, seed);
  const client = new SQSClient({ region: required('AWS_REGION') });
  // The signal handlers go in before the gateway starts: it says `gateway listening` as it starts, and a
  // SIGTERM right after that line must stop it cleanly, not kill the process (as Node's default does).
  const starting = startGateway({
    nodeSecret,
    secp: wasmSecp256k1,
    nodeKey: toHex(wasmSecp256k1.publicKeyFromSecret(nodeSecret)),
    host: process.env['PEER_HOST'] ?? '0.0.0.0',
    port,
    inbound: new FifoQueue(client, required('INBOUND_QUEUE_URL')),
    outbound: new FifoQueue(client, required('OUTBOUND_QUEUE_URL')),
    ...(process.env['GOSSIP_QUEUE_URL'] ? { gossip: new FifoQueue(client, process.env['GOSSIP_QUEUE_URL']) } : {}),
    logger,
    portVariable: 'PEER_PORT',
    ...limits,
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    starting.then((gateway) => gateway.stop()).then(
      () => {
        client.destroy();
        process.exitCode = 0;
      },
      (error: unknown) => {
        logger.error('stop failed', { error: (error as Error).message });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await starting;
}

main().catch((error: unknown) => {
  // One line, no stack: configuration errors are for the operator.
  console.error(`stormcell gateway: ${(error as Error).message}`);
  process.exit(1);
});
