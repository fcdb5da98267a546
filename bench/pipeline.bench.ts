/**
 * The serverless pipeline (issue 8): ping→pong round trip through the
 * embedded deployment (since issue 14 the gateway answers pings itself:
 * docs/gateway.md, "Keepalive"), the peer-message handler alone with its
 * DynamoDB calls (on a ping handed to it directly, as a gateway of an older
 * version would), DynamoDB requests per ping, and the time to start the
 * embedded deployment.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { SQSEvent } from 'aws-lambda';
import { startEmbedded } from '../infra/local/embedded.js';
import { freePort } from '../infra/local/free-port.js';
import { createPeerMessageHandler } from '../functions/peer-message/handler.js';
import { fromHex, wasmSecp256k1 } from '../shared/crypto/index.js';
import { PeerConnection } from '../shared/peer/peer-connection.js';
import { encodeInbound } from '../shared/pipeline/envelopes.js';
import { OUR_INIT_FEATURES, decodeMessage, encodeMessage, pongFor } from '../shared/wire/index.js';
import { ms, percentile, printTable } from './measure.js';

const REGTEST = fromHex('06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f');

const dataDir = mkdtempSync(join(tmpdir(), 'stormcell-bench-'));
const t0 = performance.now();
const node = await startEmbedded({
  dataDir,
  port: await freePort(),
  peerPort: await freePort(),
  dynamoPort: await freePort(),
  chainPort: await freePort(),
  sqsPort: await freePort(),
  timerIntervalMs: 3_600_000,
});
const startMs = performance.now() - t0;

// DynamoDB requests per input, counted on the client the handlers use.
const counts = new Map<string, number>();
const store = node.context.store as unknown as { client: { middlewareStack: { add: (m: unknown, o: unknown) => void } } };
store.client.middlewareStack.add(
  (next: (a: unknown) => Promise<unknown>, context: { commandName: string }) => async (args: unknown) => {
    counts.set(context.commandName, (counts.get(context.commandName) ?? 0) + 1);
    return next(args);
  },
  { step: 'initialize', name: 'countRequests' },
);

// A peer of our own over real TCP and BOLT 8.
const peerSecret = fromHex('61'.repeat(32));
let waiting: ((bytes: Uint8Array) => void) | null = null;
const ready = new Promise<PeerConnection>((resolve) => {
  const c = PeerConnection.dial('127.0.0.1', Number(node.peerAddress.split(':')[1]), fromHex(node.nodeId), { secp: wasmSecp256k1, localSecret: peerSecret }, {
    onReady: (conn) => {
      conn.send(encodeMessage({ type: 16, globalfeatures: new Uint8Array(0), features: OUR_INIT_FEATURES, networks: [REGTEST] }));
    },
    onMessage: (conn, bytes) => {
      const d = decodeMessage(bytes);
      if (d.kind === 'message' && d.message.type === 16) resolve(conn);
      if (d.kind === 'message' && d.message.type === 19 && waiting) waiting(bytes);
      // The gateway pings us every PEER_PING_INTERVAL_SEC and drops us without an answer.
      const pong = d.kind === 'message' && d.message.type === 18 ? pongFor(d.message) : null;
      if (pong) conn.send(encodeMessage(pong));
    },
  });
  void c;
});
const conn = await ready;
await new Promise((r) => setTimeout(r, 300)); // let our init be applied

const roundTrips: number[] = [];
const pingBytes = encodeMessage({ type: 18, numPongBytes: 4, ignored: new Uint8Array(0) });
const before = new Map(counts);
const PINGS = 1000;
for (let i = 0; i < PINGS; i++) {
  const start = performance.now();
  await new Promise<void>((resolve) => {
    waiting = () => resolve();
    conn.send(pingBytes);
  });
  roundTrips.push(performance.now() - start);
}
const perPing = [...counts].map(([name, n]) => [name, (n - (before.get(name) ?? 0)) / PINGS] as const).filter(([, n]) => n > 0);
const requestsPerPing = perPing.reduce((sum, [, n]) => sum + n, 0);
roundTrips.sort((a, b) => a - b);

// The handler alone, invoked directly with an SQS event (same DynamoDB Local, same queue).
const handler = createPeerMessageHandler(node.context);
const peerHex = (await import('../shared/crypto/index.js')).toHex(wasmSecp256k1.publicKeyFromSecret(peerSecret));
const connectionId = (await node.context.store.query(node.context.nodeKey, `PEER#${peerHex}`))[0];
const { decodePeerState } = await import('../shared/manager/index.js');
const state = decodePeerState(connectionId!.data);
const handlerTimes: number[] = [];
for (let i = 0; i < 300; i++) {
  const event = {
    Records: [
      {
        messageId: `bench-${i}`,
        body: encodeInbound({ kind: 'message', peer: peerHex, connectionId: state.ok ? state.value.connectionId : '', seq: 1_000_000 + i, message: pingBytes }),
        attributes: { MessageGroupId: 'bench', MessageDeduplicationId: `bench-${i}` },
      },
    ],
  } as unknown as SQSEvent;
  const start = performance.now();
  await handler(event, {} as never);
  handlerTimes.push(performance.now() - start);
}
handlerTimes.sort((a, b) => a - b);

printTable('Pipeline: ping→pong through the embedded deployment', [
  ['measure', 'p50 (ms)', 'p99 (ms)', 'runs'],
  ['ping→pong round trip (TCP, BOLT 8, the gateway answers)', ms(percentile(roundTrips, 0.5)), ms(percentile(roundTrips, 0.99)), String(PINGS)],
  ['peer-message handler alone, on a ping (lease; outbox, input and peer reads in parallel; send pong; release)', ms(percentile(handlerTimes, 0.5)), ms(percentile(handlerTimes, 0.99)), String(handlerTimes.length)],
]);
printTable('DynamoDB requests per ping through the gateway (5.06 before issue 14: lease, outbox query, input and peer reads, release)', [
  ['request', 'per ping'],
  ...perPing.map(([n, v]) => [n, v.toFixed(2)]),
  ['total', requestsPerPing.toFixed(2)],
]);
printTable('Start of the embedded deployment', [['measure', 'ms'], ['startEmbedded() to ready (DynamoDB Local, fauxqs, gateway, HTTP)', ms(startMs)]]);
console.log('\nTargets: ping→pong p50 ≤ 25 ms; handler alone p50 ≤ 8 ms; npm start ready ≤ 10 s.');

conn.close();
await node.stop();
rmSync(dataDir, { recursive: true, force: true });
