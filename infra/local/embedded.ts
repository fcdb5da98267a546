/**
 * The embedded deployment behind `npm start`: the same handlers as on AWS,
 * wired to local stand-ins: Amazon's DynamoDB Local (on disk in the data
 * dir), fauxqs for SQS, a local HTTP server producing API Gateway v2 events,
 * SQS pollers producing SQS events, schedulers producing timer and chain
 * events, the peer gateway on TCP, and (unless `esploraUrl` names a real
 * Esplora) the embedded regtest chain. No Docker, no cloud account.
 */
import { createHash, randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { Logger } from '@aws-lambda-powertools/logger';
import { createHttpHandler } from '../../functions/http/handler.js';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import { startGateway, type Gateway } from '../../functions/gateway/gateway.js';
import type { PeerLimits } from '../../functions/gateway/peer-limits.js';
import { createGossipContext } from '../../functions/gossip/gossip-context.js';
import { createGossipHandler } from '../../functions/gossip/handler.js';
import { createPeerMessageHandler } from '../../functions/peer-message/handler.js';
import { resetPeers } from '../../functions/peer-message/reset.js';
import { createTimerHandler, type TimerResult } from '../../functions/timer/handler.js';
import { deliverBatches, deliverDueWebhooks } from '../../functions/webhooks/webhook-delivery.js';
import { createBroadcastHandler } from '../../functions/broadcast/handler.js';
import { createChainHandler, type ChainResult } from '../../functions/chain/handler.js';
import { createNodeContext, nodeRouting, type Network, type NodeContext } from '../../functions/runtime/node-context.js';
import { wasmSecp256k1 } from '../../shared/crypto/index.js';
import { deriveNodeSecret } from '../../shared/keys/index.js';
import type { NodeAnnouncementSettings, NodeChannelSettings } from '../../shared/manager/index.js';
import { NodeStore, ensureNodeTable } from '../../shared/store/index.js';
import { openDataDir } from './data-dir.js';
import { CHAIN_PORT_VARIABLE, startRegtestChain, type RunningRegtestChain } from './regtest-chain/index.js';
import { superviseDynamoDb, type SupervisedDynamoDb } from './dynamodb-supervisor.js';
import { embeddedHttpHandler } from './embedded-http.js';
import { startHttpServer, type LocalHttpServer } from './http-server.js';
import { ensurePortFree } from './ports.js';
import { startSqsLocal, type SqsLocal } from './sqs-local.js';
import { startSqsPoller, type SqsPoller } from './sqs-poller.js';
import { InFlight } from './in-flight.js';
import { stopLeftoverDynamoDb } from './leftover-dynamodb.js';
import { afterPreviousLease } from './previous-lease.js';

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
  /** The embedded regtest chain's port (CHAIN_PORT); unused when `esploraUrl` is set. */
  readonly chainPort: number;
  /** A real Esplora to use as the chain source (ESPLORA_URL); then no embedded chain starts. */
  readonly esploraUrl?: string;
  /** How often the chain handler runs (CHAIN_POLL_SEC; default 5 s). */
  readonly chainPollMs?: number;
  /** Anchors and the inbound channel policy (ANCHOR_CHANNELS, INBOUND_CHANNELS; LDK's defaults when absent). */
  /** Our `node_announcement` (`NODE_ALIAS`, `NODE_COLOR`, `NODE_ADDRESSES`); absent: none is sent. */
  readonly nodeAnnouncement?: NodeAnnouncementSettings;
  readonly channelSettings?: NodeChannelSettings;
  /** What a peer connection may cost the gateway (PEER_INIT_TIMEOUT_SEC, ...; the gateway's defaults when absent). */
  readonly peerLimits?: PeerLimits;
  /** Webhooks to loopback receivers allowed (WEBHOOK_LOOPBACK; default true: the embedded deployment runs next to its receivers). */
  readonly webhookLoopback?: boolean;
  readonly logger?: Logger;
  /** One-line notices for the operator (a wait for a previous run's lease, a stop waiting for in-flight work); `npm start` prints them. Logged as warnings when absent. */
  readonly onNotice?: (line: string) => void;
}

export interface Embedded {
  readonly nodeId: string;
  readonly apiUrl: string;
  readonly peerAddress: string;
  readonly apiKey: string;
  /** Where the API key came from (docs: the start banner shows a generated key once, then where it is kept). */
  readonly apiKeySource: 'created' | 'file' | 'given';
  readonly apiKeyFile: string;
  readonly dataDir: string;
  readonly context: NodeContext;
  /** The chain source's Esplora URL (the embedded chain's, unless ESPLORA_URL was given). */
  readonly chainUrl: string;
  /** The embedded chain, when it runs. */
  readonly chain: RunningRegtestChain | undefined;
  /** Runs one timer tick now (tests; the scheduler calls the same): what it did (docs/timer.md). */
  tick(): Promise<TimerResult>;
  /** Runs the webhook attempts due now, here and now (tests; the timer tick runs the same, and a commit's new deliveries start at once). */
  deliverWebhooks(): Promise<void>;
  /** Runs the chain handler now, on demand (tests; the scheduler runs it with an event id). */
  syncChain(): Promise<ChainResult>;
  /**
   * Stops gracefully: nothing new starts (the schedulers and pollers stop,
   * the HTTP API answers 503), the invocations in flight complete and
   * release the lease, then every component stops.
   */
  stop(): Promise<void>;
  /**
   * Gives up at once (a second Ctrl-C): stops DynamoDB Local so it is not
   * left running, abandoning the invocations in flight; the lease one of
   * them holds expires by itself and the next start waits for it.
   */
  abandon(): void;
  /**
   * Resolves, with a one-line reason, if the deployment stopped itself
   * (DynamoDB Local exited and could not be restarted); never otherwise.
   */
  readonly stoppedItself: Promise<string>;
}

export const TABLE_NAME = 'stormcell';

/** Java 17 runs DynamoDB Local; without it, say so in one line. */
export function checkJava(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error('Java 17 is required for the embedded DynamoDB: install it (e.g. `sudo apt-get install -y openjdk-17-jre-headless`) and run `npm start` again');
  }
}

/** Like {@link ensurePortFree}, trying again for up to `withinMs`. */
async function portFreeWithin(port: number, variable: string, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await ensurePortFree(port, variable);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function startEmbedded(options: EmbeddedOptions): Promise<Embedded> {
  const logger = options.logger ?? new Logger({ serviceName: 'stormcell', logLevel: 'WARN' });
  const notice = options.onNotice ?? ((line: string) => logger.warn(line));
  checkJava();
  const data = openDataDir(options.dataDir, options.apiKey);
  // A killed run's DynamoDB Local still holds the port and the database: stop it first.
  const leftover = await stopLeftoverDynamoDb(data.path, data.dynamoPath, notice);
  await ensurePortFree(options.port, 'PORT');
  await ensurePortFree(options.peerPort, 'PEER_PORT');
  // The leftover's port is released once the kernel has torn all of its threads down: give that a moment.
  await (leftover ? portFreeWithin(options.dynamoPort, 'DYNAMODB_PORT', 10_000) : ensurePortFree(options.dynamoPort, 'DYNAMODB_PORT'));
  await ensurePortFree(options.sqsPort, 'SQS_PORT');
  if (options.esploraUrl === undefined) await ensurePortFree(options.chainPort, CHAIN_PORT_VARIABLE);
  const inFlight = new InFlight();
  let dynamoForAbandon: SupervisedDynamoDb | undefined;
  let stoppedItself: (reason: string) => void = () => undefined;
  const stoppedItselfPromise = new Promise<string>((resolve) => (stoppedItself = resolve));

  const stops: (() => Promise<void>)[] = [];
  let stopped: Promise<void> | undefined;
  const stopAll = (): Promise<void> =>
    (stopped ??= (async () => {
      for (const stop of [...stops].reverse()) await stop().catch((e: unknown) => logger.error('stop failed', { error: String(e) }));
    })());
  try {
    // DynamoDB Local (a JVM) is the slow one: start the queues meanwhile.
    const [dynamoResult, sqsResult] = await Promise.allSettled([
      superviseDynamoDb({
        port: options.dynamoPort,
        path: data.dynamoPath,
        dataDir: data.path,
        notice,
        onGiveUp: (reason) => {
          notice(reason);
          void stopAll().then(() => stoppedItself(reason));
        },
      }),
      startSqsLocal({ port: options.sqsPort, visibilityTimeoutSec: 5 }),
    ]);
    if (sqsResult.status === 'fulfilled') stops.push(() => sqsResult.value.stop());
    if (dynamoResult.status === 'fulfilled') {
      const started = dynamoResult.value;
      dynamoForAbandon = started;
      stops.push(() => started.stop());
    }
    if (dynamoResult.status === 'rejected') throw dynamoResult.reason;
    if (sqsResult.status === 'rejected') throw sqsResult.reason;
    const dynamo: SupervisedDynamoDb = dynamoResult.value;
    const sqs: SqsLocal = sqsResult.value;
    const client = dynamo.client();
    stops.push(async () => client.destroy());
    await ensureNodeTable(client, TABLE_NAME);

    let chain: RunningRegtestChain | undefined;
    if (options.esploraUrl === undefined) {
      chain = await startRegtestChain({ port: options.chainPort, dataDir: data.path });
      const running = chain;
      stops.push(() => running.stop());
    }
    const chainUrl = options.esploraUrl ?? chain!.url;

    // Webhook deliveries run in this process, beside the handlers and never under the lease (the delivery function's work).
    // (Called only once `ctx` exists: by a commit or a tick.)
    const deliverNow = (ids: readonly bigint[]): Promise<void> => inFlight.run('webhook deliveries', () => deliverBatches(ctx, ids));
    const ctx = createNodeContext({
      seed: data.seed,
      network: options.network ?? 'regtest',
      store: new NodeStore({ client, tableName: TABLE_NAME }),
      routing: nodeRouting(client, TABLE_NAME, options.network ?? 'regtest'),
      outbound: sqs.outbound,
      broadcast: sqs.broadcast,
      inbound: sqs.inbound,
      esploraUrl: chainUrl,
      logger,
      ...(options.channelSettings === undefined ? {} : { channelSettings: options.channelSettings }),
      ...(options.nodeAnnouncement === undefined ? {} : { nodeAnnouncement: options.nodeAnnouncement }),
      webhooks: {
        allowLoopback: options.webhookLoopback ?? true,
        // Started, not awaited: a commit never waits on a receiver.
        dispatch: async (ids) => {
          void deliverNow(ids).catch((e: unknown) => logger.error('webhook deliveries', { error: String(e) }));
        },
      },
    });

    // No connection survives a restart of the gateway: forget the peers of the last run
    // (after the lease a killed run may have left has expired).
    await afterPreviousLease(ctx, () => resetPeers(ctx, `gateway-start-${randomUUID()}`), notice);
    const gateway: Gateway = await startGateway({
      nodeSecret: deriveNodeSecret(wasmSecp256k1, data.seed),
      secp: wasmSecp256k1,
      nodeKey: ctx.nodeKey,
      host: '127.0.0.1',
      port: options.peerPort,
      inbound: sqs.inbound,
      outbound: sqs.outbound,
      gossip: sqs.gossip,
      logger,
      portVariable: 'PEER_PORT',
      ...options.peerLimits,
    });
    stops.push(() => gateway.stop());

    const peerMessage = createPeerMessageHandler(ctx);
    const poller: SqsPoller = startSqsPoller({
      queue: sqs.inbound,
      queueArn: sqs.inboundArn,
      handler: (event) => inFlight.run('peer messages', () => peerMessage(event, {} as never)),
      onError: (error) => logger.error('inbound poller', { error: String(error) }),
    });
    stops.push(() => poller.stop());

    // Gossip: its own queue and function, beside the peer messages and never under the lease (docs/gossip.md).
    const gossipHandler = createGossipHandler(
      createGossipContext({ client, tableName: TABLE_NAME, network: ctx.network, outbound: sqs.outbound, esploraUrl: chainUrl, logger }),
    );
    const gossipPoller: SqsPoller = startSqsPoller({
      queue: sqs.gossip,
      queueArn: sqs.gossipArn,
      handler: async (event) => {
        const { batchItemFailures } = await inFlight.run('gossip', () => gossipHandler(event));
        return { batchItemFailures };
      },
      onError: (error) => logger.error('gossip poller', { error: String(error) }),
    });
    stops.push(() => gossipPoller.stop());

    const timer = createTimerHandler(ctx);
    const tick = () => inFlight.run('timer tick', () => timer({ id: randomUUID() }, {} as never));
    const interval = setInterval(() => {
      if (inFlight.accepting) void tick().catch((e: unknown) => logger.error('timer tick', { error: String(e) }));
    }, options.timerIntervalMs ?? 60_000);
    stops.push(async () => clearInterval(interval));

    const broadcastHandler = createBroadcastHandler(ctx);
    const broadcastPoller: SqsPoller = startSqsPoller({
      queue: sqs.broadcast,
      queueArn: sqs.broadcastArn,
      handler: (event) => inFlight.run('broadcasts', () => broadcastHandler(event, {} as never)),
      onError: (error) => logger.error('broadcast poller', { error: String(error) }),
    });
    stops.push(() => broadcastPoller.stop());

    const chainHandler = createChainHandler(ctx);
    let chainRunning: Promise<unknown> = Promise.resolve();
    const runChain = (event: { id?: string }): Promise<ChainResult> =>
      inFlight.run('chain sync', () => {
        // One run at a time in this process (the lease would serialise them anyway).
        const run = chainRunning.then(() => chainHandler(event, {} as never));
        chainRunning = run.catch(() => undefined);
        return run;
      });
    // A poll still queued or running when the next tick comes is enough: a sync covers every block since the last,
    // so ticks are skipped rather than queued behind it (under load they would pile up, and a stop would wait for them all).
    let polling = false;
    const chainInterval = setInterval(() => {
      if (!inFlight.accepting || polling) return;
      polling = true;
      void runChain({ id: randomUUID() })
        .catch((e: unknown) => logger.error('chain sync', { error: String(e) }))
        .finally(() => {
          polling = false;
        });
    }, options.chainPollMs ?? 5_000);
    stops.push(async () => {
      clearInterval(chainInterval);
      await chainRunning;
    });

    const nodeApi = storeNodeApi(ctx);
    const api = createHttpHandler({
      api: {
        ...nodeApi,
        // While the supervisor restarts DynamoDB Local, say so without waiting on the store.
        health: async () => (dynamo.down ? { status: 'degraded', down: ['dynamodb'] } : nodeApi.health()),
      },
      apiKeySha256: new Uint8Array(createHash('sha256').update(data.apiKey).digest()),
      logger,
    });
    const http: LocalHttpServer = await startHttpServer({
      port: options.port,
      host: '127.0.0.1',
      portVariable: 'PORT',
      handler: embeddedHttpHandler({ api, inFlight, dynamoDown: () => dynamo.down }),
    });
    stops.push(() => http.stop());

    // Stopping starts here (stops run last-pushed first): nothing new starts, what runs completes.
    stops.push(async () => {
      inFlight.close();
      clearInterval(interval);
      clearInterval(chainInterval);
      const pollers = Promise.all([poller.stop(), broadcastPoller.stop(), gossipPoller.stop()]);
      const running = inFlight.running();
      if (running.length > 0) notice(`stopping: waiting for ${running.length} invocation(s) in flight to finish (${running.join(', ')})`);
      await pollers;
      await inFlight.drained();
    });

    return {
      nodeId: ctx.nodeKey,
      apiUrl: http.url,
      peerAddress: `127.0.0.1:${gateway.port}`,
      apiKey: data.apiKey,
      apiKeySource: data.apiKeySource,
      apiKeyFile: data.apiKeyFile,
      dataDir: data.path,
      context: ctx,
      chainUrl,
      chain,
      tick,
      syncChain: () => runChain({}),
      deliverWebhooks: async () => {
        await inFlight.run('webhook deliveries', () => deliverDueWebhooks({ ...ctx, webhooks: { allowLoopback: ctx.webhooks?.allowLoopback ?? true } }));
      },
      stop: stopAll,
      // Synchronous: the process exits right after. SIGTERM lets the JVM close its database cleanly.
      abandon: () => dynamoForAbandon?.abandon(),
      stoppedItself: stoppedItselfPromise,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
