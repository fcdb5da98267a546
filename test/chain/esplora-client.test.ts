/**
 * The Esplora client against the embedded regtest chain over real HTTP:
 * every route the client speaks, the regtest control routes, broadcast
 * refusals and HTTP failures as typed errors, port-in-use and restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Block, address as baddress, networks } from 'bitcoinjs-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { EsploraClient, EsploraError, EsploraErrorCode, blockHashOfHeader, headerMerkleRoot, merkleRootFromBranch } from '../../shared/chain/index.js';
import { outputTo, spend, testKey } from '../support/regtest-wallet.js';

const alice = testKey('client alice');
const bob = testKey('client bob');
const aliceAddress = baddress.fromOutputScript(alice.script, networks.regtest);

function display(internal: Uint8Array): string {
  return Buffer.from(internal).reverse().toString('hex');
}

async function post(url: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body) });
}

async function expectError(promise: Promise<unknown>, code: EsploraErrorCode, message?: RegExp): Promise<EsploraError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(EsploraError);
  expect((error as EsploraError).code).toBe(code);
  if (message) expect((error as EsploraError).message).toMatch(message);
  return error as EsploraError;
}

describe('Esplora client against the embedded regtest chain', () => {
  let chain: RunningRegtestChain;
  let client: EsploraClient;
  beforeAll(async () => {
    chain = await startRegtestChain({ port: 0, dataDir: undefined });
    client = new EsploraClient(chain.url + '/');
  });
  afterAll(() => chain.stop());

  it('reads the tip, blocks and headers', async () => {
    expect(await client.tipHeight()).toBe(101);
    const tipHash = await client.tipHash();
    expect(await client.blockHashAt(101)).toBe(tipHash);
    const header = await client.blockHeader(tipHash);
    expect(header.length).toBe(80);
    expect(display(blockHashOfHeader(header))).toBe(tipHash);
    const summary = await client.block(tipHash);
    expect(summary).toMatchObject({ id: tipHash, height: 101, txCount: 1, previousBlockHash: await client.blockHashAt(100) });
    expect(await client.blockStatus(tipHash)).toEqual({ inBestChain: true, height: 101 });
    expect(await client.blockStatus(await client.blockHashAt(100))).toEqual({ inBestChain: true, height: 100, nextBest: tipHash });
    const txids = await client.blockTxids(tipHash);
    expect(txids).toHaveLength(1);
    const raw = Block.fromBuffer(await client.blockRaw(tipHash));
    expect(raw.getId()).toBe(tipHash);
    expect(raw.transactions![0]!.getId()).toBe(txids[0]);
    await expectError(client.blockHashAt(5000), EsploraErrorCode.NotFound, /Block not found/);
    await expectError(client.blockHeader('00'.repeat(32)), EsploraErrorCode.NotFound);
  });

  it('funds from the faucet, confirms with a merkle proof, lists UTXOs and history', async () => {
    const response = await post(chain.url, '/regtest/faucet', { address: aliceAddress, sats: 123_456 });
    expect(response.status).toBe(200);
    const txid = await response.text();
    expect(await client.txStatus(txid)).toEqual({ confirmed: false });
    const tx = await client.tx(txid);
    expect(tx.vout.find((o) => o.address === aliceAddress)?.valueSat).toBe(123_456n);
    expect(tx.vin[0]!.prevout).toBeDefined();
    expect(tx.feeSat).toBeGreaterThan(0n);
    expect((await client.addressUtxos(aliceAddress)).map((u) => u.txid)).toEqual([txid]);

    const mined = (await (await post(chain.url, '/regtest/mine', { blocks: 1 })).json()) as string[];
    expect(mined).toHaveLength(1);
    const status = await client.txStatus(txid);
    expect(status).toMatchObject({ confirmed: true, blockHeight: 102, blockHash: mined[0] });
    const proof = await client.merkleProof(txid);
    expect(proof.blockHeight).toBe(102);
    const header = await client.blockHeader(mined[0]!);
    const root = merkleRootFromBranch(Buffer.from(txid, 'hex').reverse(), proof.merkle.map((m) => Buffer.from(m, 'hex').reverse()), proof.pos);
    expect(Buffer.from(root).equals(Buffer.from(headerMerkleRoot(header)))).toBe(true);
    expect((await client.blockTxids(mined[0]!))[proof.pos]).toBe(txid);

    const utxos = await client.scriptUtxos(alice.script);
    expect(utxos).toEqual([{ txid, vout: expect.any(Number) as number, valueSat: 123_456n, status: { confirmed: true, blockHeight: 102, blockHash: mined[0]!, blockTime: expect.any(Number) as number } }]);
    expect((await client.addressTxs(aliceAddress)).map((t) => t.txid)).toEqual([txid]);
    expect((await client.scriptTxs(alice.script)).map((t) => t.txid)).toEqual([txid]);
    expect(await client.txRaw(txid)).toEqual(new Uint8Array((await chain.chain.transaction(txid)!.tx.toBuffer())));
  });

  it('broadcasts a valid spend, refuses an invalid one with the reason, reports outspends', async () => {
    const [utxo] = await client.scriptUtxos(alice.script);
    const coin = { txid: utxo!.txid, vout: utxo!.vout, valueSat: utxo!.valueSat };
    const tooMuch = spend({ inputs: [{ ...coin, key: alice }], outputs: [{ script: bob.script, valueSat: coin.valueSat + 1n }] });
    const refusal = await expectError(client.broadcast(tooMuch.toBuffer()), EsploraErrorCode.Rejected, /outputs \(123457 sat\) exceed inputs \(123456 sat\)/);
    expect(refusal.status).toBe(400);
    await expectError(client.broadcast(Uint8Array.of(1, 2, 3)), EsploraErrorCode.Rejected, /TX decode failed/);

    const good = spend({ inputs: [{ ...coin, key: alice }], outputs: [{ script: bob.script, valueSat: coin.valueSat - 500n }] });
    expect(await client.broadcast(good.toBuffer())).toBe(good.getId());
    expect(await client.broadcast(good.toBuffer())).toBe(good.getId());
    expect(await client.outspend(coin.txid, coin.vout)).toEqual({ spent: true, txid: good.getId(), vin: 0, status: { confirmed: false } });
    // A conflicting spend paying no more is refused (one paying more would replace it: Bitcoin Core's full RBF).
    const double = spend({ inputs: [{ ...coin, key: alice }], outputs: [{ script: alice.script, valueSat: coin.valueSat - 400n }] });
    await expectError(client.broadcast(double.toBuffer()), EsploraErrorCode.Rejected, /insufficient fee: rejecting replacement/);
    await post(chain.url, '/regtest/mine', { blocks: 1 });
    expect((await client.outspend(coin.txid, coin.vout)).status?.confirmed).toBe(true);
    expect(await client.outspend(good.getId(), 0)).toEqual({ spent: false });
    // As Esplora: an output of a transaction the chain does not hold is not spent (no 404).
    expect(await client.outspend('ab'.repeat(32), 0)).toEqual({ spent: false });
    expect(outputTo(good, bob.script).valueSat).toBe(coin.valueSat - 500n);
  });

  it('serves fee estimates and rejects bad control requests', async () => {
    const estimates = await client.feeEstimates();
    expect(estimates.get(1)).toBeGreaterThan(estimates.get(144)!);
    expect((await post(chain.url, '/regtest/mine', { blocks: 0 })).status).toBe(400);
    expect((await post(chain.url, '/regtest/faucet', { address: 'not-an-address', sats: 1 })).status).toBe(400);
    expect((await post(chain.url, '/regtest/reorg', { depth: 10_000 })).status).toBe(400);
    await expectError(client.tx('zz'), EsploraErrorCode.NotFound);
  });

  it('forces a reorg: stale blocks answer in_best_chain false', async () => {
    const before = await client.tipHash();
    const height = await client.tipHeight();
    const result = (await (await post(chain.url, '/regtest/reorg', { depth: 2 })).json()) as { disconnected: string[]; connected: string[] };
    expect(result.disconnected).toHaveLength(2);
    expect(result.disconnected[1]).toBe(before);
    expect(result.connected).toHaveLength(3);
    expect(await client.tipHeight()).toBe(height + 1);
    expect(await client.blockStatus(before)).toEqual({ inBestChain: false });
  });
});

describe('Esplora client errors', () => {
  const fake = (status: number, body: string): typeof fetch => async () => new Response(body, { status });

  it('maps HTTP statuses and transport failures to typed errors', async () => {
    await expectError(new EsploraClient('http://x', { fetch: fake(500, 'boom') }).tipHeight(), EsploraErrorCode.ServerError, /HTTP 500: boom/);
    await expectError(new EsploraClient('http://x', { fetch: fake(503, '') }).tipHash(), EsploraErrorCode.ServerError);
    await expectError(new EsploraClient('http://x', { fetch: fake(429, 'slow down') }).tipHash(), EsploraErrorCode.Rejected, /429/);
    await expectError(new EsploraClient('http://x', { fetch: fake(404, 'Transaction not found') }).tx('ab'.repeat(32)), EsploraErrorCode.NotFound);
    // An unknown transaction's status is "not confirmed", whichever way the server says it.
    expect(await new EsploraClient('http://x', { fetch: fake(404, 'nope') }).txStatus('ab'.repeat(32))).toEqual({ confirmed: false });
    await expectError(new EsploraClient('http://x', { fetch: fake(200, 'not a number') }).tipHeight(), EsploraErrorCode.InvalidResponse);
    await expectError(new EsploraClient('http://x', { fetch: fake(200, '{"confirmed":"yes"}') }).txStatus('ab'.repeat(32)), EsploraErrorCode.InvalidResponse);
    await expectError(new EsploraClient('http://x', { fetch: fake(200, 'abcd') }).blockHeader('ab'.repeat(32)), EsploraErrorCode.InvalidResponse, /not 80/);
    await expectError(new EsploraClient('http://x', { fetch: fake(200, '{"1": -3}') }).feeEstimates(), EsploraErrorCode.InvalidResponse);
  });

  it('reports a server that does not answer as unreachable', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    await expectError(new EsploraClient(`http://127.0.0.1:${port}`).tipHeight(), EsploraErrorCode.Unreachable);
  });
});

describe('embedded chain start', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('a port in use is a one-line error naming CHAIN_PORT', async () => {
    const first = await startRegtestChain({ port: 0, dataDir: undefined });
    try {
      const error = await startRegtestChain({ port: first.port, dataDir: undefined }).then(() => undefined, (e: unknown) => e as Error);
      expect(error?.message).toMatch(/port \d+ .*in use; set CHAIN_PORT/);
      expect(error?.message.includes('\n')).toBe(false);
    } finally {
      await first.stop();
    }
  });

  it('keeps the chain in the data dir across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtest-start-'));
    dirs.push(dir);
    const first = await startRegtestChain({ port: 0, dataDir: dir });
    const txid = await (await post(first.url, '/regtest/faucet', { address: aliceAddress, sats: '5000' })).text();
    await post(first.url, '/regtest/mine', { blocks: 2 });
    const tip = await new EsploraClient(first.url).tipHash();
    await first.stop();
    const second = await startRegtestChain({ port: 0, dataDir: dir });
    try {
      const client = new EsploraClient(second.url);
      expect(await client.tipHash()).toBe(tip);
      expect(await client.tipHeight()).toBe(103);
      expect((await client.txStatus(txid)).blockHeight).toBe(102);
    } finally {
      await second.stop();
    }
  });

  it('keeps its mempool across a restart (like bitcoind), re-validating each transaction', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtest-mempool-'));
    dirs.push(dir);
    const first = await startRegtestChain({ port: 0, dataDir: dir });
    const one = await (await post(first.url, '/regtest/faucet', { address: aliceAddress, sats: '7000' })).text();
    const two = await (await post(first.url, '/regtest/faucet', { address: aliceAddress, sats: '8000' })).text();
    const pooled = first.chain.mempool().map((e) => e.txid);
    expect(pooled).toEqual([one, two]);
    await first.stop();
    const second = await startRegtestChain({ port: 0, dataDir: dir });
    try {
      expect(second.chain.mempool().map((e) => e.txid)).toEqual(pooled);
      await post(second.url, '/regtest/mine', { blocks: 1 });
      expect((await new EsploraClient(second.url).txStatus(two)).blockHeight).toBe(102);
    } finally {
      await second.stop();
    }
  });
});
