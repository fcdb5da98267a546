/**
 * The gateway as a process (the Fargate task): configuration from the
 * environment, SIGTERM/SIGINT stop it cleanly. See docs/gateway.md.
 *
 *   PEER_PORT           TCP port for peers (default 9735)
 *   PEER_HOST           listen address (default 0.0.0.0)
 *   INBOUND_QUEUE_URL   the inbound FIFO queue (gateway → peer-message handler)
 *   OUTBOUND_QUEUE_URL  the outbound FIFO queue (handlers → gateway)
 *   AWS_REGION          the queues' region
 *   NODE_SEED_HEX       the node seed, 32 bytes hex (to move to Secrets Manager)
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { SQSClient } from '@aws-sdk/client-sqs';
import { fromHex, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { deriveNodeSecret } from '../../shared/keys/index.js';
import { FifoQueue } from '../../shared/pipeline/queues.js';
import { startGateway } from './gateway.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  const logger = new Logger({ serviceName: 'stormcell-gateway' });
  const seedHex = required('NODE_SEED_HEX');
  if (!/^[0-9a-fA-F]{64}$/.test(seedHex)) throw new Error('NODE_SEED_HEX must be 32 bytes of hex');
  const port = Number(process.env['PEER_PORT'] ?? '9735');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('PEER_PORT must be a TCP port number');
  const nodeSecret = deriveNodeSecret(wasmSecp256k1, fromHex(seedHex.toLowerCase()));
  const client = new SQSClient({ region: required('AWS_REGION') });
  const gateway = await startGateway({
    nodeSecret,
    secp: wasmSecp256k1,
    nodeKey: toHex(wasmSecp256k1.publicKeyFromSecret(nodeSecret)),
    host: process.env['PEER_HOST'] ?? '0.0.0.0',
    port,
    inbound: new FifoQueue(client, required('INBOUND_QUEUE_URL')),
    outbound: new FifoQueue(client, required('OUTBOUND_QUEUE_URL')),
    logger,
    portVariable: 'PEER_PORT',
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    gateway.stop().then(
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
}

main().catch((error: unknown) => {
  // One line, no stack: configuration errors are for the operator.
  console.error(`stormcell gateway: ${(error as Error).message}`);
  process.exit(1);
});
