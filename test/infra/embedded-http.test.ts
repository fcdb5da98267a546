/**
 * The embedded deployment's HTTP gates (infra/local/embedded-http.ts) around
 * the real HTTP API handler and the store-backed API: 503 with Retry-After
 * while the deployment stops or while DynamoDB Local is down (a store on a
 * port nothing listens on: real connection refusals), and `GET /v1/health`
 * reporting what is down, from the store itself.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createHttpHandler } from '../../functions/http/handler.js';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import { createNodeContext } from '../../functions/runtime/node-context.js';
import { LOCAL_AWS, localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { embeddedHttpHandler } from '../../infra/local/embedded-http.js';
import { freePort } from '../../infra/local/free-port.js';
import { InFlight } from '../../infra/local/in-flight.js';
import { FifoQueue } from '../../shared/pipeline/queues.js';
import { NodeStore, ensureNodeTable } from '../../shared/store/index.js';
import { API_KEY_SHA256, AUTH, apiEvent } from '../http/support/events.js';

const quiet = new Logger({ serviceName: 'embedded-http-test', logLevel: 'SILENT' });
const sqs = new SQSClient({ ...LOCAL_AWS, endpoint: 'http://127.0.0.1:9' });
const clients: { destroy(): void }[] = [sqs];
afterAll(() => clients.forEach((c) => c.destroy()));

/** The real API over a store at `endpoint` (table created when it answers). */
async function apiOver(endpoint: string, createTable: boolean) {
  const client = localDynamoClient(endpoint);
  clients.push(client);
  const tableName = `embedded-http-${randomUUID()}`;
  if (createTable) await ensureNodeTable(client, tableName);
  const ctx = createNodeContext({
    seed: new Uint8Array(32).fill(7),
    network: 'regtest',
    store: new NodeStore({ client, tableName }),
    outbound: new FifoQueue(sqs, 'http://127.0.0.1:9/queue/unused.fifo'),
    logger: quiet,
  });
  return createHttpHandler({ api: storeNodeApi(ctx), apiKeySha256: API_KEY_SHA256, logger: quiet });
}

const get = (path: string) => apiEvent({ method: 'GET', path, headers: AUTH });
const body = (result: { body?: string | undefined }) => JSON.parse(result.body ?? '') as unknown;

describe('the embedded HTTP gates', () => {
  it('report a healthy store as ok and pass routes through', async () => {
    const handler = embeddedHttpHandler({ api: await apiOver(inject('dynamoEndpoint'), true), inFlight: new InFlight(), dynamoDown: () => false });
    const health = await handler(get('/v1/health'));
    expect(health.statusCode).toBe(200);
    expect(body(health)).toEqual({ status: 'ok', down: [] });
    expect((await handler(get('/v1/node'))).statusCode).toBe(200);
  });

  it('while DynamoDB is down: 503 with Retry-After for routes that need it, health says what is down, the OpenAPI document is served', async () => {
    const deadStore = `http://127.0.0.1:${await freePort()}`;
    const handler = embeddedHttpHandler({ api: await apiOver(deadStore, false), inFlight: new InFlight(), dynamoDown: () => true });
    for (const path of ['/v1/node', '/v1/peers', '/v1/wallet', '/v1/channels', '/v1/events']) {
      const result = await handler(get(path));
      expect(result.statusCode, path).toBe(503);
      expect(result.headers?.['retry-after'], path).toBe('5');
      expect(body(result), path).toEqual({ code: 'unavailable', message: 'DynamoDB Local is down and being restarted; retry later' });
    }
    const health = await handler(get('/v1/health'));
    expect(health.statusCode).toBe(200);
    expect(body(health)).toEqual({ status: 'degraded', down: ['dynamodb'] });
    expect((await handler(get('/v1/openapi.json'))).statusCode).toBe(200);
  });

  it('turns the 500 of a store that went down during the request into the same 503', async () => {
    const deadStore = `http://127.0.0.1:${await freePort()}`;
    let down = false;
    const api = await apiOver(deadStore, false);
    // The supervisor notices the exit while the request is failing on it.
    const handler = embeddedHttpHandler({ api: (event) => ((down = true), api(event)), inFlight: new InFlight(), dynamoDown: () => down });
    const result = await handler(get('/v1/node'));
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('5');
  });

  it('answers 503 once the deployment is stopping, without invoking the API', async () => {
    const inFlight = new InFlight();
    let invoked = 0;
    const api = await apiOver(inject('dynamoEndpoint'), true);
    const handler = embeddedHttpHandler({ api: (event) => (invoked++, api(event)), inFlight, dynamoDown: () => false });
    inFlight.close();
    const result = await handler(get('/v1/node'));
    expect(result.statusCode).toBe(503);
    expect(body(result)).toEqual({ code: 'unavailable', message: 'the node is stopping' });
    expect(invoked).toBe(0);
  });
});
