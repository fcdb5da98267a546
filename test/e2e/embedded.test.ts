/**
 * End to end against the embedded deployment (the code behind `npm start`):
 * DynamoDB Local, fauxqs, the peer gateway, the handlers, the HTTP API, the
 * embedded regtest chain, and a real LDK node over TCP on 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded, type Embedded, type EmbeddedOptions } from '../../infra/local/embedded.js';
import { fromHex, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { initiatorHandshake } from '../../shared/transport/index.js';
import { embeddedTestOptions } from '../support/embedded-ldk.js';
import { startLdkNode, type LdkNode } from '../support/ldk-node.js';

/** The gateway's ping interval here: short, so a test sees several. */
const PING_INTERVAL_MS = 1000;
let options: EmbeddedOptions;
let node: Embedded;
let ldk: LdkNode;
const dataDir = mkdtempSync(join(tmpdir(), 'stormcell-e2e-'));

async function until(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function api(path: string, init: RequestInit & { key?: string | null } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers = new Headers(init.headers);
  const key = init.key === undefined ? node.apiKey : init.key;
  if (key !== null) headers.set('authorization', `Bearer ${key}`);
  const response = await fetch(`${node.apiUrl}${path}`, { ...init, headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const peerIds = async () => ((await api('/v1/peers')).body['peers'] as { nodeId: string }[]).map((p) => p.nodeId);
const ldkListsUs = (l: LdkNode) => l.peers().some((p) => toHex(p.nodeId) === node.nodeId);
const pingsFromUs = () => ldk.log.filter((line) => line.includes('Received message Ping') && line.includes(node.nodeId)).length;
const pingsFromLdk = () => ldk.log.filter((line) => line.includes('Enqueueing message Ping') && line.includes(node.nodeId)).length;
const pongsFromUs = (l: LdkNode) => l.log.filter((line) => line.includes('Received message Pong') && line.includes(node.nodeId)).length;
const peerPort = () => Number(node.peerAddress.split(':')[1]);

beforeAll(async () => {
  options = await embeddedTestOptions(dataDir, { peerLimits: { pingIntervalMs: PING_INTERVAL_MS } });
  node = await startEmbedded(options);
  ldk = await startLdkNode(new Uint8Array(32).fill(42));
});

afterAll(async () => {
  await ldk?.stop();
  await node?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the embedded node', () => {
  it('reports itself over the HTTP API', async () => {
    const { status, body } = await api('/v1/node');
    expect(status).toBe(200);
    expect(body).toMatchObject({ nodeId: node.nodeId, network: 'regtest', peers: 0 });
    expect(node.nodeId).toMatch(/^0[23][0-9a-f]{64}$/);
  });

  it('accepts an LDK connection: both sides list each other after init', async () => {
    await ldk.connect(fromHex(node.nodeId), '127.0.0.1', peerPort());
    await until(async () => (await peerIds()).includes(toHex(ldk.nodeId)), 'our node to list LDK');
    await ldk.waitFor(() => ldkListsUs(ldk), 'LDK to list us');
    const peers = (await api('/v1/peers')).body['peers'] as { nodeId: string; features: string; inbound: boolean }[];
    expect(peers).toEqual([expect.objectContaining({ nodeId: toHex(ldk.nodeId), features: '08a0000a0a5121', inbound: true })]);
    expect((await api('/v1/node')).body['peers']).toBe(1);
  });

  it("answers LDK's pings across two of its timer ticks", async () => {
    const before = pongsFromUs(ldk);
    for (let tick = 1; tick <= 2; tick++) {
      ldk.timerTick();
      await ldk.waitFor(() => pongsFromUs(ldk) >= before + tick, `our pong ${tick}`);
    }
    ldk.timerTick();
    expect(ldkListsUs(ldk)).toBe(true);
  });

  it('keeps LDK connected at no DynamoDB cost: LDK\'s pings and the gateway\'s pings make no request; a timer tick is one commit and one Query (webhook attempts due)', async () => {
    // Every request the handlers' store sends, counted on its client (as bench/pipeline.bench.ts does).
    const requests: string[] = [];
    const client = (node.context.store as unknown as { client: DynamoDBClient }).client;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        requests.push(context.commandName ?? '?');
        return next(args);
      },
      { step: 'initialize', name: 'countKeepaliveRequests' },
    );
    try {
      // LDK's last ping (the test before) answered first: LDK drops a peer whose pong is missing at its next tick.
      await ldk.waitFor(() => pongsFromUs(ldk) >= pingsFromLdk(), 'our pong to every LDK ping so far');
      const pings = pingsFromUs();
      const pongs = pongsFromUs(ldk);
      for (let tick = 1; tick <= 3; tick++) {
        ldk.timerTick();
        await ldk.waitFor(() => pongsFromUs(ldk) >= pongs + tick, `our pong ${tick}`);
      }
      // Several gateway intervals (PING_INTERVAL_MS): it pings again only if LDK answered, else it closes the connection.
      await ldk.waitFor(() => pingsFromUs() >= pings + 3, 'three pings from the gateway', 20_000);
      expect(ldkListsUs(ldk)).toBe(true);
    } finally {
      client.middlewareStack.remove('countKeepaliveRequests');
    }
    expect(requests).toEqual([]);
    expect(await peerIds()).toContain(toHex(ldk.nodeId));
    // The node's timer tick (docs/timer.md): one input under the lease, committed (the tick count in the header); no channel, nothing to send.
    expect(await node.tick()).toMatchObject({ tick: { outcome: 'applied', report: { mppTimedOut: 0, feeUpdates: 0 } } });
    expect(ldkListsUs(ldk)).toBe(true);
  });

  it('dials LDK through POST /v1/peers', async () => {
    const other = await startLdkNode(new Uint8Array(32).fill(43));
    try {
      const port = await other.listen();
      const res = await api('/v1/peers', { method: 'POST', body: JSON.stringify({ nodeId: toHex(other.nodeId), host: '127.0.0.1', port }) });
      expect(res.status).toBe(202);
      await other.waitFor(() => ldkListsUs(other), 'the dialled LDK to list us');
      await until(async () => (await peerIds()).includes(toHex(other.nodeId)), 'our node to list the dialled LDK');
      const listed = (await api('/v1/peers')).body['peers'] as { nodeId: string; inbound: boolean }[];
      expect(listed.find((p) => p.nodeId === toHex(other.nodeId))?.inbound).toBe(false);
    } finally {
      await other.stop();
    }
    await until(async () => !(await peerIds()).includes(toHex(other.nodeId)), 'the stopped LDK to leave the peer list');
  });

  it('closes only the bad connection on garbage, a truncated act or a bad MAC, while LDK keeps working', async () => {
    const open = (): Promise<Socket> =>
      new Promise((resolve) => {
        const s = connect(peerPort(), '127.0.0.1', () => resolve(s));
        s.on('error', () => undefined);
      });
    const closed = (s: Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));

    const garbage = await open();
    garbage.write(Uint8Array.from({ length: 200 }, (_, i) => (i * 7 + 1) & 0xff));
    await closed(garbage);

    const truncated = await open();
    truncated.write(new Uint8Array(20));
    truncated.end();
    await closed(truncated);

    const badMac = await open();
    const hs = initiatorHandshake({ secp: wasmSecp256k1, localSecret: fromHex('51'.repeat(32)), ephemeralSecret: fromHex('52'.repeat(32)), remoteStatic: fromHex(node.nodeId) });
    badMac.write(hs.start().send);
    const act2 = await new Promise<Uint8Array>((r) => badMac.once('data', (d: Uint8Array) => r(d)));
    const act3 = hs.receive(act2).send!.slice();
    act3[60] = act3[60]! ^ 1;
    badMac.write(act3);
    await closed(badMac);

    const before = pongsFromUs(ldk);
    ldk.timerTick();
    await ldk.waitFor(() => pongsFromUs(ldk) > before, 'LDK still answered');
    expect(await peerIds()).toEqual([toHex(ldk.nodeId)]);
  });

  it('answers bad HTTP requests with the JSON error shape', async () => {
    expect(await api('/v1/node', { key: null })).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
    expect(await api('/v1/node', { key: 'wrong' })).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
    expect(await api('/v1/nope')).toMatchObject({ status: 404, body: { code: 'not-found' } });
    expect(await api('/v1/peers', { method: 'POST', body: '{"nodeId":' })).toMatchObject({ status: 400, body: { code: 'invalid-json' } });
    expect(await api('/v1/peers', { method: 'POST', body: '{"nodeId":"02","host":"h","port":1}' })).toMatchObject({ status: 400, body: { code: 'invalid-request' } });
  });

  let walletBalance: Record<string, unknown> | undefined;
  /** No anchor channel: no reserve (docs/wallet.md, "Anchor reserve"). */
  const NO_RESERVE = { anchorChannels: 0, requiredSat: 0, reservedSat: 0 };

  it('runs the on-chain wallet over the HTTP API: faucet, payment with change, insufficient funds', async () => {
    const chain = async (path: string, body: unknown) => {
      const response = await fetch(`${node.chainUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
      expect(response.status).toBe(200);
      return (await response.text()).trim();
    };
    expect((await api('/v1/wallet')).body).toEqual({ confirmedSat: 0, unconfirmedSat: 0, anchorReserve: NO_RESERVE });
    const first = (await api('/v1/wallet/address', { method: 'POST' })).body['address'] as string;
    const second = (await api('/v1/wallet/address', { method: 'POST' })).body['address'] as string;
    expect(first).toMatch(/^bcrt1q/);
    expect(second).not.toBe(first);

    await chain('/regtest/faucet', { address: first, sats: 300_000 });
    await node.syncChain();
    expect((await api('/v1/wallet')).body).toEqual({ confirmedSat: 0, unconfirmedSat: 300_000, anchorReserve: NO_RESERVE });
    await chain('/regtest/mine', { blocks: 1 });
    await node.syncChain();
    expect((await api('/v1/wallet')).body).toEqual({ confirmedSat: 300_000, unconfirmedSat: 0, anchorReserve: NO_RESERVE });

    // Pay an address that is not ours (the chain's own faucet would do; any regtest address works).
    const payee = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
    const sent = await api('/v1/wallet/send', { method: 'POST', body: JSON.stringify({ address: payee, sats: 100_000, feerateSatPerVb: 2 }) });
    expect(sent.status).toBe(200);
    const { txid, feeSat } = sent.body as { txid: string; feeSat: number };
    // The broadcast poller hands it to the chain, whose validation accepts it into the mempool.
    await until(async () => (await fetch(`${node.chainUrl}/tx/${txid}`)).status === 200, 'the payment in the chain');
    const change = 300_000 - 100_000 - feeSat;
    expect((await api('/v1/wallet')).body).toEqual({ confirmedSat: 0, unconfirmedSat: change, anchorReserve: NO_RESERVE });
    await chain('/regtest/mine', { blocks: 1 });
    await node.syncChain();
    expect((await api('/v1/wallet')).body).toEqual({ confirmedSat: change, unconfirmedSat: 0, anchorReserve: NO_RESERVE });

    const tooMuch = await api('/v1/wallet/send', { method: 'POST', body: JSON.stringify({ address: payee, sats: change }) });
    expect(tooMuch).toMatchObject({ status: 422, body: { code: 'insufficient-funds' } });
    expect(await api('/v1/wallet/send', { method: 'POST', body: JSON.stringify({ address: 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', sats: 1000 }) })).toMatchObject({
      status: 400,
      body: { code: 'invalid-request' },
    });
    expect((await api('/v1/wallet')).body).toEqual({ confirmedSat: change, unconfirmedSat: 0, anchorReserve: NO_RESERVE });
    walletBalance = (await api('/v1/wallet')).body;
  });

  it('keeps its node id and state across a restart, and LDK reconnects', async () => {
    const nodeId = node.nodeId;
    const apiKey = node.apiKey;
    await node.stop();
    await ldk.waitFor(() => !ldkListsUs(ldk), 'LDK to notice the stop');
    node = await startEmbedded(options);
    expect(node.nodeId).toBe(nodeId);
    expect(node.apiKey).toBe(apiKey);
    await ldk.connect(fromHex(node.nodeId), '127.0.0.1', peerPort());
    await ldk.waitFor(() => ldkListsUs(ldk), 'LDK to list us again');
    await until(async () => (await peerIds()).includes(toHex(ldk.nodeId)), 'our node to list LDK again');
    // The wallet's balance survives, before and after a sync with the restarted chain.
    expect((await api('/v1/wallet')).body).toEqual(walletBalance);
    await node.syncChain();
    expect((await api('/v1/wallet')).body).toEqual(walletBalance);
  });
});
