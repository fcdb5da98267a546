/** Cost of one HTTP API request: the handler in-process, and through the local server (issue 8). */
import { Logger } from '@aws-lambda-powertools/logger';
import { performance } from 'node:perf_hooks';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { apiKeySha256 } from '../functions/http/api-key.js';
import { createHttpHandler } from '../functions/http/handler.js';
import type { NodeApi } from '../functions/http/node-api.js';
import { startHttpServer } from '../infra/local/http-server.js';
import { ms, printTable } from './measure.js';

const KEY = 'bench-key';
const NODE_ID = '02' + '11'.repeat(32);
const api: NodeApi = {
  nodeInfo: async () => ({ nodeId: NODE_ID, network: 'regtest', peers: 0, features: '0a8a', channelBalanceMsat: 0n, inboundCapacityMsat: 0n }),
  forwardingPolicy: async () => ({ feeBaseMsat: 1000, feeProportionalMillionths: 0, cltvExpiryDelta: 72, htlcMinimumMsat: 1n }),
  health: async () => ({ status: 'ok', down: [] }),
  listPeers: async () => [],
  connectPeer: async () => undefined,
  wallet: async () => ({ confirmedSat: 0n, unconfirmedSat: 0n }),
  newAddress: async () => ({ address: 'bcrt1q' }),
  send: async () => ({ txid: '00'.repeat(32), feeSat: 0n }),
  openChannel: async () => ({ channelId: '00'.repeat(32) }),
  listChannels: async () => [],
  getChannel: async () => {
    throw new Error('no channels in this bench');
  },
  acceptChannel: async () => undefined,
  listEvents: async () => [],
  acknowledgeEvents: async () => 0,
  rejectChannel: async () => undefined,
  closeAllChannels: async () => [],
  closeChannel: async () => {
    throw new Error('no channels in this bench');
  },
  updateChannelPolicy: async () => {
    throw new Error('no channels in this bench');
  },
  createInvoice: async () => {
    throw new Error('no invoices in this bench');
  },
  getInvoice: async () => {
    throw new Error('no invoices in this bench');
  },
  listInvoices: async () => ({ invoices: [] }),
  cancelInvoice: async () => {
    throw new Error('no invoices in this bench');
  },
  payInvoice: async () => ({ paymentId: '00'.repeat(32), paymentHash: '00'.repeat(32), state: 'pending' }),
  payKeysend: async () => ({ paymentId: '00'.repeat(32), paymentHash: '00'.repeat(32), state: 'pending' }),
  getPayment: async () => {
    throw new Error('no payments in this bench');
  },
  abandonPayment: async () => {
    throw new Error('no payments in this bench');
  },
  listPayments: async () => ({ payments: [] }),
  createWebhook: async () => {
    throw new Error('no webhooks in this bench');
  },
  listWebhooks: async () => [],
  deleteWebhook: async () => undefined,
  listWebhookDeliveries: async () => [],
  redeliverWebhook: async () => {
    throw new Error('no webhooks in this bench');
  },
};
const handler = createHttpHandler({ api, apiKeySha256: apiKeySha256(KEY), logger: new Logger({ logLevel: 'SILENT' }) });
const postBody = JSON.stringify({ nodeId: NODE_ID, host: '127.0.0.1', port: 9735 });

function event(method: string, path: string, body?: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { authorization: `Bearer ${KEY}` },
    requestContext: {
      accountId: 'bench', apiId: 'bench', domainName: 'bench', domainPrefix: 'bench', requestId: 'bench',
      routeKey: '$default', stage: '$default', time: '', timeEpoch: 0,
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
}

async function median(fn: () => Promise<unknown>, runs = 41, batch = 50): Promise<number> {
  for (let i = 0; i < batch * 2; i++) await fn();
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    for (let i = 0; i < batch; i++) await fn();
    samples.push((performance.now() - start) / batch);
  }
  return samples.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

const server = await startHttpServer({ port: 0, handler });
const auth = { authorization: `Bearer ${KEY}` };
const rows: string[][] = [['request', 'handler in-process (ms)', 'local server + fetch (ms)']];
try {
  const cases: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
    ['GET /v1/node', () => handler(event('GET', '/v1/node')), () => fetch(`${server.url}/v1/node`, { headers: auth }).then((r) => r.text())],
    ['POST /v1/peers', () => handler(event('POST', '/v1/peers', postBody)), () => fetch(`${server.url}/v1/peers`, { method: 'POST', headers: auth, body: postBody }).then((r) => r.text())],
    ['GET /v1/openapi.json', () => handler(event('GET', '/v1/openapi.json')), () => fetch(`${server.url}/v1/openapi.json`, { headers: auth }).then((r) => r.text())],
    ['401 (no key)', () => handler({ ...event('GET', '/v1/node'), headers: {} }), () => fetch(`${server.url}/v1/node`).then((r) => r.text())],
  ];
  for (const [name, direct, viaServer] of cases) {
    rows.push([name, ms(await median(direct)), ms(await median(viaServer, 21, 20))]);
  }
} finally {
  await server.stop();
}
printTable('HTTP API per request (median)', rows);
