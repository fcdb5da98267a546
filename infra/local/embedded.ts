/**
 * The embedded deployment behind `npm start`: the same handlers as on AWS,
 * wired to local stand-ins: Amazon's DynamoDB Local (on disk in the data
 * dir), fauxqs for SQS, a local HTTP server producing API Gateway v2 events,
 * SQS pollers producing SQS events, a scheduler producing timer events, and
 * the peer gateway on TCP. No Docker, no cloud account.
 */
import { createHash, randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { Logger } from '@aws-lambda-powertools/logger';
import { createHttpHandler } from '../../functions/http/handler.js';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import { startGateway, type Gateway } from '../../functions/gateway/gateway.js';
import { createPeerMessageHandler } from '../../functions/peer-message/handler.js';
import { resetPeers } from '../../functions/peer-message/reset.js';
import { createTimerHandler } from '../../functions/timer/handler.js';
import { createNodeContext, type Network, type NodeContext } from '../../functions/runtime/node-context.js';
import { wasmSecp256k1 } from '../../shared/crypto/index.js';
import { deriveNodeSecret } from '../../shared/keys/index.js';
import { NodeStore, ensureNodeTable } from '../../shared/store/index.js';
import { openDataDir } from './data-dir.js';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import { startHttpServer, type LocalHttpServer } from './http-server.js';
import { ensurePortFree } from './ports.js';
import { startSqsLocal, type SqsLocal } from './sqs-local.js';
import { startSqsPoller, type SqsPoller } from './sqs-poller.js';

export interface EmbeddedOptions {
  readonly dataDir: string;
  readonly apiKey?: string;
  readonly network?: Network;
  /** HTTP API port (PORT). */
  readonly port: number;
  /** Lightning peer port (PEER_PORT). */
  readonly peerPort: number;
  /** DynamoDB Local port (DYNAMODB_PORT). */
  readonly dynamoPort: number;
  /** fauxqs port (SQS_PORT). */
  readonly sqsPort: number;
  /** Timer tick interval (TIMER_INTERVAL_SEC; 60 s as on AWS). */
  readonly timerIntervalMs?: number;
  readonly logger?: Logger;
}

export interface Embedded {
  readonly nodeId: string;
  readonly apiUrl: string;
  readonly peerAddress: string;
  readonly apiKey: string;
  readonly dataDir: string;
  readonly context: NodeContext;
  /** Runs one timer tick now (tests; the scheduler calls the same). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

export const TABLE_NAME = 'stormcell';

/** Java 17 runs DynamoDB Local; without it, say so in one line. */
export function checkJava(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error('Java 17 is required for the embedded DynamoDB: install it (e.g. `sudo apt-get install -y openjdk-17-jre-headless`) and run `npm start` again');
  }
}

export async function startEmbedded(options: EmbeddedOptions): Promise<Embedded> {
  const logger = options.logger ?? new Logger({ serviceName: 'stormcell', logLevel: 'WARN' });
  checkJava();
  await ensurePortFree(options.port, 'PORT');
  await ensurePortFree(options.peerPort, 'PEER_PORT');
  await ensurePortFree(options.dynamoPort, 'DYNAMODB_PORT');
  await ensurePortFree(options.sqsPort, 'SQS_PORT');
  const data = openDataDir(options.dataDir, options.apiKey);

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((e: unknown) => logger.error('stop failed', { error: String(e) }));
  };
  try {
    // DynamoDB Local (a JVM) is the slow one: start the queues meanwhile.
    const [dynamoResult, sqsResult] = await Promise.allSettled([
      startDynamoDbLocal({ port: options.dynamoPort, path: data.dynamoPath }),
      startSqsLocal({ port: options.sqsPort, visibilityTimeoutSec: 5 }),
    ]);
    if (sqsResult.status === 'fulfilled') stops.push(() => sqsResult.value.stop());
    if (dynamoResult.status === 'fulfilled') stops.push(() => dynamoResult.value.stop());
    if (dynamoResult.status === 'rejected') throw dynamoResult.reason;
    if (sqsResult.status === 'rejected') throw sqsResult.reason;
    const dynamo: DynamoDbLocal = dynamoResult.value;
    const sqs: SqsLocal = sqsResult.value;
    const client = dynamo.client();
    stops.push(async () => client.destroy());
    await ensureNodeTable(client, TABLE_NAME);

    const ctx = createNodeContext({
      seed: data.seed,
      network: options.network ?? 'regtest',
      store: new NodeStore({ client, tableName: TABLE_NAME }),
      outbound: sqs.outbound,
      logger,
    });

    // No connection survives a restart of the gateway: forget the peers of the last run.
    await resetPeers(ctx, `gateway-start-${randomUUID()}`);
    const gateway: Gateway = await startGateway({
      nodeSecret: deriveNodeSecret(wasmSecp256k1, data.seed),
      secp: wasmSecp256k1,
      nodeKey: ctx.nodeKey,
      host: '127.0.0.1',
      port: options.peerPort,
      inbound: sqs.inbound,
      outbound: sqs.outbound,
      logger,
      portVariable: 'PEER_PORT',
    });
    stops.push(() => gateway.stop());

    const peerMessage = createPeerMessageHandler(ctx);
    const poller: SqsPoller = startSqsPoller({
      queue: sqs.inbound,
      queueArn: sqs.inboundArn,
      handler: (event) => peerMessage(event, {} as never),
      onError: (error) => logger.error('inbound poller', { error: String(error) }),
    });
    stops.push(() => poller.stop());

    const timer = createTimerHandler(ctx);
    const tick = async () => {
      await timer({ id: randomUUID() }, {} as never);
    };
    const interval = setInterval(() => void tick().catch((e: unknown) => logger.error('timer tick', { error: String(e) })), options.timerIntervalMs ?? 60_000);
    stops.push(async () => clearInterval(interval));

    const http: LocalHttpServer = await startHttpServer({
      port: options.port,
      host: '127.0.0.1',
      portVariable: 'PORT',
      handler: createHttpHandler({
        api: storeNodeApi(ctx),
        apiKeySha256: new Uint8Array(createHash('sha256').update(data.apiKey).digest()),
        logger,
      }),
    });
    stops.push(() => http.stop());

    return {
      nodeId: ctx.nodeKey,
      apiUrl: http.url,
      peerAddress: `127.0.0.1:${gateway.port}`,
      apiKey: data.apiKey,
      dataDir: data.path,
      context: ctx,
      tick,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
