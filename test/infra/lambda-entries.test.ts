/**
 * The deployed Lambda bundles invoked for real, each in a fresh Node process
 * as a Lambda container would run it, against local stand-ins for AWS:
 * DynamoDB Local (the test run's), fauxqs for SQS, and a Secrets Manager
 * stub, reached through the SDK's `AWS_ENDPOINT_URL_<SERVICE>` variables.
 * This exercises the cold-start wiring (functions/runtime/aws-context.ts)
 * that the template tests cannot: env names, seed fetch, store, queue.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CHAIN_HASH, nodeIdFromSeed } from '../../functions/runtime/node-context.js';
import { ourInit } from '../../shared/manager/index.js';
import { encodeMessage, OUR_INIT_FEATURES } from '../../shared/wire/index.js';
import { bundleEntry, LAMBDA_ENTRIES, type LambdaName } from '../../infra/bundles.js';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { freePort } from '../../infra/local/free-port.js';
import { startSqsLocal, type SqsLocal } from '../../infra/local/sqs-local.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { decodeOutbound, outboundParts, encodeInbound } from '../../shared/pipeline/envelopes.js';
import { ensureNodeTable } from '../../shared/store/index.js';
import { runBundle } from './support/fresh-node.js';
import { startSecretsStub, type SecretsStub } from './support/secrets-stub.js';

const SEED_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:stormcell/test/node-seed';
const API_KEY_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:stormcell/test/api-key';
const seed = randomBytes(32);
const apiKey = randomBytes(24).toString('base64url');
const nodeId = toHex(nodeIdFromSeed(seed));
const peer = toHex(nodeIdFromSeed(randomBytes(32)));

let outRoot: string;
const files = new Map<LambdaName, string>();
let sqs: SqsLocal;
let secrets: SecretsStub;
let env: Record<string, string>;
let chain: RunningRegtestChain;

beforeAll(async () => {
  outRoot = mkdtempSync(join(tmpdir(), 'stormcell-lambdas-'));
  for (const name of Object.keys(LAMBDA_ENTRIES) as LambdaName[]) {
    files.set(name, (await bundleEntry(LAMBDA_ENTRIES[name], join(outRoot, name))).file);
  }
  const dynamoEndpoint = inject('dynamoEndpoint');
  const tableName = `lambda-entries-${Date.now()}`;
  const dynamo = localDynamoClient(dynamoEndpoint);
  await ensureNodeTable(dynamo, tableName);
  dynamo.destroy();
  sqs = await startSqsLocal({ port: await freePort(), visibilityTimeoutSec: 1 });
  chain = await startRegtestChain({ port: 0, dataDir: undefined });
  // A trailing newline, as a secret pasted by hand might carry: both values are trimmed.
  secrets = await startSecretsStub(new Map([[SEED_ARN, `${seed.toString('hex')}\n`], [API_KEY_ARN, `${apiKey}\n`]]));
  env = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    TABLE_NAME: tableName,
    OUTBOUND_QUEUE_URL: sqs.outbound.url,
    NETWORK: 'regtest',
    NODE_SEED_SECRET_ARN: SEED_ARN,
    API_KEY_SECRET_ARN: API_KEY_ARN,
  };
});

afterAll(async () => {
  await sqs?.stop();
  await chain?.stop();
  await secrets?.stop();
  rmSync(outRoot, { recursive: true, force: true });
});

/** Everything the functions sent to the outbound queue since the last call, deleted from it. */
async function drainOutbound() {
  const drained: ReturnType<typeof decodeOutbound>[] = [];
  for (let round = 0; round < 20; round++) {
    const received = await sqs.outbound.receive(10, round === 0 ? 1 : 0);
    if (received.length === 0) break;
    for (const m of received) {
      drained.push(...outboundParts(decodeOutbound(m.body)));
      await sqs.outbound.delete(m.receiptHandle);
    }
  }
  return drained;
}

function inboundRecord(body: string, dedupId: string) {
  return {
    messageId: `m-${dedupId}`,
    receiptHandle: `r-${dedupId}`,
    body,
    attributes: { MessageGroupId: `${nodeId}#${peer}`, MessageDeduplicationId: dedupId, ApproximateReceiveCount: '1' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:stormcell-test-inbound.fifo',
    awsRegion: 'us-east-1',
  };
}

function httpEvent(method: string, path: string, authorization?: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: authorization === undefined ? {} : { authorization },
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'req-1',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '25/Nov/2026:00:00:00 +0000',
      timeEpoch: 0,
    },
  };
}

describe('deployed bundles against local AWS stand-ins', () => {
  it('peer-message: applies a connection and the peer\'s init from the inbound queue, sending our init', async () => {
    const theirInit = encodeMessage(ourInit({ chainHash: fromHex(CHAIN_HASH.regtest), features: OUR_INIT_FEATURES }, '127.0.0.1:9735'));
    const records = [
      inboundRecord(encodeInbound({ kind: 'connected', peer, connectionId: 'c-1', inbound: true, address: '203.0.113.7:9735' }), 'c-1#0'),
      inboundRecord(encodeInbound({ kind: 'message', peer, connectionId: 'c-1', seq: 1, message: theirInit }), 'c-1#1'),
    ];
    const run = await runBundle(files.get('peer-message')!, env, [{ Records: records }]);
    expect(run.results).toEqual([{ batchItemFailures: [] }]);
    const sent = await drainOutbound();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ kind: 'send', peer });
    // BOLT 1 init is message type 16.
    expect(sent[0]!.kind === 'send' && toHex(sent[0]!.message.subarray(0, 2))).toBe('0010');
  });

  it('http: GET /v1/node answers our node id and the connected peer; a wrong key gets 401', async () => {
    const run = await runBundle(files.get('http')!, env, [
      httpEvent('GET', '/v1/node', `Bearer ${apiKey}`),
      httpEvent('GET', '/v1/peers', `Bearer ${apiKey}`),
      httpEvent('GET', '/v1/node', 'Bearer not-the-key'),
    ]);
    const [info, peers, denied] = run.results as { statusCode: number; body: string }[];
    expect(info!.statusCode).toBe(200);
    expect(JSON.parse(info!.body)).toMatchObject({ nodeId, network: 'regtest', peers: 1 });
    expect(JSON.parse(peers!.body)).toMatchObject({ peers: [{ nodeId: peer, address: '203.0.113.7:9735', inbound: true }] });
    expect(denied!.statusCode).toBe(401);
  });

  it('http: POST /v1/peers queues a connect for the gateway', async () => {
    const event = { ...httpEvent('POST', '/v1/peers', `Bearer ${apiKey}`), body: JSON.stringify({ nodeId: peer, host: '198.51.100.1', port: 9735 }) };
    const run = await runBundle(files.get('http')!, env, [event]);
    expect((run.results[0] as { statusCode: number }).statusCode).toBe(202);
    expect(await drainOutbound()).toEqual([{ kind: 'connect', peer, host: '198.51.100.1', port: 9735 }]);
  });

  it('timer: each tick is applied under the lease (the count in the header), nothing to send with no channel (pings are the gateway\'s), the seed fetched once per container', async () => {
    const before = secrets.requests.get(SEED_ARN) ?? 0;
    const run = await runBundle(files.get('timer')!, env, [{ id: 'tick-a' }, { id: 'tick-b' }]);
    const report = (tick: number) => ({ tick, mppTimedOut: 0, mppStale: 0, feeUpdates: 0, channelsDisabled: 0 });
    expect(run.results).toEqual([
      // The graph's upkeep (functions/gossip/graph-upkeep.ts): an empty graph, nothing to rebuild; the first tick's pruning pass finds nothing, the second is within the hour.
      { tick: { outcome: 'applied', inputId: 'timer-tick-a', report: report(1) }, followUps: { resent: 0, settled: 0 }, graph: { changes: 0, pruned: { channels: 0, closed: 0, nodes: 0, more: false } } },
      { tick: { outcome: 'applied', inputId: 'timer-tick-b', report: report(2) }, followUps: { resent: 0, settled: 0 }, graph: { changes: 0 } },
    ]);
    expect((secrets.requests.get(SEED_ARN) ?? 0) - before).toBe(1);
    expect(await drainOutbound()).toEqual([]);
  });

  it('chain: syncs with the chain source under the lease; the same event again is a duplicate', async () => {
    const chainEnv = { ...env, ESPLORA_URL: chain.url, BROADCAST_QUEUE_URL: sqs.broadcast.url };
    const tip = chain.chain.tip();
    const run = await runBundle(files.get('chain')!, chainEnv, [{ id: 'sync-a' }, { id: 'sync-a' }, { id: 'sync-b' }]);
    expect(run.results).toEqual([
      // requestsUnderLease: the chain source answers were all fetched before the lease (docs/commit-protocol.md, "Contention").
      // watchItemQueries: the cold container reads the CHAIN_WATCH# items once; later runs of the same container keep them (docs/chain.md).
      { outcome: 'applied', inputId: 'chain-sync-a', tipHeight: tip.height, calls: 1, requestsUnderLease: 0, watchItemQueries: 1 },
      { outcome: 'duplicate', inputId: 'chain-sync-a', tipHeight: undefined, calls: 0, requestsUnderLease: 0, watchItemQueries: 0 },
      { outcome: 'no-change', inputId: 'chain-sync-b', tipHeight: tip.height, calls: 0, requestsUnderLease: 0, watchItemQueries: 0 },
    ].map((r) => JSON.parse(JSON.stringify(r)) as unknown));
  });

  it('broadcast: a record that is no broadcast envelope is dropped, not retried', async () => {
    const record = { messageId: 'm1', receiptHandle: 'r', body: '{"v":1,"kind":"nope"}', attributes: {}, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn', awsRegion: 'us-east-1' };
    const run = await runBundle(files.get('broadcast')!, { ...env, ESPLORA_URL: chain.url }, [{ Records: [record] }]);
    expect(run.results).toEqual([{ batchItemFailures: [] }]);
  });

  it('webhooks: a record that is no dispatch is dropped, a dispatch of an item that is not there is done: neither is retried', async () => {
    const record = (messageId: string, body: string) => ({ messageId, receiptHandle: 'r', body, attributes: {}, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn', awsRegion: 'us-east-1' });
    const run = await runBundle(files.get('webhooks')!, env, [{ Records: [record('m1', '{"nope":1}'), record('m2', '{"firstEventIds":["12345"]}')] }]);
    expect(run.results).toEqual([{ batchItemFailures: [] }]);
  });

  it('authorizer: allows the API key only', async () => {
    const event = (authorization?: string) => ({
      ...httpEvent('GET', '/v1/node', authorization),
      type: 'REQUEST',
      routeArn: 'arn',
      identitySource: authorization === undefined ? [] : [authorization],
    });
    const before = secrets.requests.get(SEED_ARN) ?? 0;
    const run = await runBundle(files.get('authorizer')!, env, [
      event(`Bearer ${apiKey}`),
      event(`bearer ${apiKey}`),
      event('Bearer wrong'),
      event(`Bearer ${apiKey}x`),
      event(),
      // Exactly one space, as the HTTP handler requires (the same isAuthorized).
      event(`Bearer\t${apiKey}`),
      event(`Bearer  ${apiKey}`),
      event(`Bearer ${apiKey} `),
    ]);
    expect(run.results).toEqual([
      { isAuthorized: true },
      { isAuthorized: true },
      { isAuthorized: false },
      { isAuthorized: false },
      { isAuthorized: false },
      { isAuthorized: false },
      { isAuthorized: false },
      { isAuthorized: false },
    ]);
    expect(secrets.requests.get(SEED_ARN) ?? 0).toBe(before);
  });

  it('a missing variable fails the invocation with its name, and loading the bundle stays fine', async () => {
    const withoutSeed = Object.fromEntries(Object.entries(env).filter(([name]) => name !== 'NODE_SEED_SECRET_ARN'));
    const run = await runBundle(files.get('timer')!, withoutSeed, [{ id: 'tick-c' }]);
    expect(run.exports).toEqual(['handler']);
    expect(run.results).toEqual([{ error: 'environment variable NODE_SEED_SECRET_ARN is not set' }]);
  });

  it('a seed secret that is not 64 hex characters fails the invocation without echoing it', async () => {
    const stub = await startSecretsStub(new Map([[SEED_ARN, 'not-a-seed']]));
    try {
      const run = await runBundle(files.get('timer')!, { ...env, AWS_ENDPOINT_URL_SECRETS_MANAGER: stub.endpoint }, [{ id: 'tick-d' }, { id: 'tick-e' }]);
      expect(run.results).toEqual([
        { error: 'the node seed secret must hold 64 hex characters (32 bytes)' },
        { error: 'the node seed secret must hold 64 hex characters (32 bytes)' },
      ]);
      // A failed cold start is not cached: the second invocation tried again.
      expect(stub.requests.get(SEED_ARN)).toBe(2);
    } finally {
      await stub.stop();
    }
  });
});
