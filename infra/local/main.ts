/**
 * `npm start`: the embedded deployment. Prints the node id, the HTTP API,
 * the peer address and the API key; Ctrl-C stops everything.
 */
// The AWS SDK warns once per process that its 2027 releases will need Node 22; this project supports Node 20 (README).
if (!process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']) process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
import { Logger } from '@aws-lambda-powertools/logger';
import { isNetwork } from '../../functions/runtime/node-context.js';
import { readPeerLimits } from '../../functions/gateway/peer-limits.js';
import { readNodeAnnouncementSettings, readNodeChannelSettings } from '../../functions/runtime/node-settings.js';
import { forwardingConfigOf, managerConfigWith, type ForwardingConfig } from '../../shared/manager/index.js';
import { startEmbedded } from './embedded.js';
import { portFromEnv } from './ports.js';

const env = process.env;

/** The key itself only when this start generated it (shown once); after that, where it is kept. */
function apiKeyLine(node: { apiKey: string; apiKeySource: 'created' | 'file' | 'given'; apiKeyFile: string }): string {
  if (node.apiKeySource === 'created') return `  API key       ${node.apiKey} (new; kept in ${node.apiKeyFile}, not shown again)`;
  if (node.apiKeySource === 'file') return `  API key       in ${node.apiKeyFile}`;
  return '  API key       from STORMCELL_API_KEY';
}
/** The forwarding policy in force, as the banner shows it (GET /v1/node/policy answers the same). */
function forwardingLine(policy: ForwardingConfig): string {
  return `fee ${policy.feeBaseMsat} msat + ${policy.feeProportionalMillionths} ppm, CLTV delta ${policy.cltvExpiryDelta}`;
}
const started = performance.now();
try {
  const network = env['NETWORK'] ?? 'regtest';
  if (!isNetwork(network)) throw new Error(`NETWORK=${network} is not one of regtest, testnet, signet, bitcoin`);
  const channelSettings = readNodeChannelSettings(env);
  const nodeAnnouncement = readNodeAnnouncementSettings(env);
  const peerLimits = readPeerLimits(env);
  const node = await startEmbedded({
    dataDir: env['STORMCELL_DATA_DIR'] ?? '.stormcell',
    ...(env['STORMCELL_API_KEY'] ? { apiKey: env['STORMCELL_API_KEY'] } : {}),
    network,
    port: portFromEnv(env, 'PORT', 8080),
    peerPort: portFromEnv(env, 'PEER_PORT', 9735),
    dynamoPort: portFromEnv(env, 'DYNAMODB_PORT', 8000),
    sqsPort: portFromEnv(env, 'SQS_PORT', 4566),
    timerIntervalMs: 1000 * Number(env['TIMER_INTERVAL_SEC'] ?? 60),
    chainPort: portFromEnv(env, 'CHAIN_PORT', 3002),
    ...(env['ESPLORA_URL'] ? { esploraUrl: env['ESPLORA_URL'] } : {}),
    chainPollMs: 1000 * Number(env['CHAIN_POLL_SEC'] ?? 5),
    channelSettings,
    ...(nodeAnnouncement === undefined ? {} : { nodeAnnouncement }),
    peerLimits,
    // Webhooks to loopback receivers (plain http allowed to them): on unless WEBHOOK_LOOPBACK=false (docs/webhooks.md).
    webhookLoopback: env['WEBHOOK_LOOPBACK'] !== 'false',
    logger: new Logger({ serviceName: 'stormcell', logLevel: (env['LOG_LEVEL'] ?? 'WARN') as 'WARN' }),
    onNotice: (line) => console.log(line),
  });
  const readyMs = Math.round(performance.now() - started);
  console.log(
    [
      `stormcell is running (ready in ${readyMs} ms)`,
      `  node id       ${node.nodeId}`,
      `  network       ${network}`,
      `  channels      anchors ${channelSettings.anchors ? 'on' : 'off'}, inbound ${channelSettings.acceptInboundChannels}`,
      `  forwarding    ${forwardingLine(forwardingConfigOf(managerConfigWith(channelSettings)))}`,
      `  HTTP API      ${node.apiUrl}`,
      `  peer address  ${node.nodeId}@${node.peerAddress}`,
      `  chain         ${node.chainUrl}${node.chain ? ' (embedded regtest: POST /regtest/mine, /regtest/faucet)' : ''}`,
      apiKeyLine(node),
      `  data dir      ${node.dataDir}`,
      '',
      `  curl -H "authorization: Bearer ${node.apiKeySource === 'given' ? '$STORMCELL_API_KEY' : `$(cat ${node.apiKeyFile})`}" ${node.apiUrl}/v1/node`,
      '',
      'Ctrl-C stops everything.',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) {
      // A second Ctrl-C: give up on the invocations in flight (the next start waits for the lease they hold).
      console.log('abandoning the invocations in flight');
      node.abandon();
      process.exit(130);
    }
    stopping = true;
    console.log('stopping... (Ctrl-C again to abandon the invocations in flight)');
    await node.stop();
    process.exit(0);
  };
  void node.stoppedItself.then((reason) => {
    console.error(`stormcell: stopped: ${reason}`);
    process.exit(1);
  });
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
} catch (error) {
  console.error(`stormcell: ${(error as Error).message}`);
  process.exit(1);
}
