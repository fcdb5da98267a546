/**
 * The wallet against the embedded regtest chain over HTTP, with its state in
 * DynamoDB Local: faucet → balance; a payment with change that the chain's
 * own script validation accepts; many small coins selected together; not
 * enough funds → a clear error and nothing broadcast; a restart (a new
 * process over the same table) keeps balance and history; a refused
 * broadcast releases the coins.
 */
import { Transaction } from 'bitcoinjs-lib';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createChainHandler } from '../../functions/chain/handler.js';
import { loadWallet, newReceiveAddress, sendToAddress, walletBalanceOf, enqueueBroadcast } from '../../functions/wallet/wallet-service.js';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { freePort } from '../../infra/local/free-port.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { startSqsLocal, type SqsLocal } from '../../infra/local/sqs-local.js';
import { EsploraClient } from '../../shared/chain/index.js';
import { SortKey } from '../../shared/store/index.js';
import { RBF_SEQUENCE, WalletError } from '../../shared/wallet/index.js';
import { drainBroadcasts, testNode, type TestNode } from '../support/wallet-node.js';
import { testKey } from '../support/regtest-wallet.js';
import { address as baddress, networks } from 'bitcoinjs-lib';
import { Logger } from '@aws-lambda-powertools/logger';
import { createHttpHandler } from '../../functions/http/handler.js';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import { API_KEY_SHA256 } from '../http/support/events.js';
import { documentedCall } from '../http/support/documented-call.js';

let dynamo: DynamoDBClient;
let sqs: SqsLocal;
let chain: RunningRegtestChain;
let esplora: EsploraClient;

beforeAll(async () => {
  dynamo = localDynamoClient(inject('dynamoEndpoint'));
  sqs = await startSqsLocal({ port: await freePort(), visibilityTimeoutSec: 1 });
  chain = await startRegtestChain({ port: 0, dataDir: undefined });
  esplora = new EsploraClient(chain.url);
});
afterAll(async () => {
  dynamo.destroy();
  await sqs.stop();
  await chain.stop();
});

const sync = (node: TestNode) => createChainHandler(node.ctx)({ id: `t-${Math.random()}` }, {} as never);
async function faucet(address: string, sats: number): Promise<string> {
  const response = await fetch(`${chain.url}/regtest/faucet`, { method: 'POST', body: JSON.stringify({ address, sats }) });
  expect(response.status).toBe(200);
  return (await response.text()).trim();
}
async function mine(blocks = 1): Promise<void> {
  expect((await fetch(`${chain.url}/regtest/mine`, { method: 'POST', body: JSON.stringify({ blocks }) })).status).toBe(200);
}
const outsider = baddress.fromOutputScript(testKey('outsider').script, networks.regtest);

describe('the wallet on the regtest chain', () => {
  it('sees a faucet payment unconfirmed, then confirmed', async () => {
    const node = await testNode({ dynamo, sqs, esploraUrl: chain.url });
    const { address, index } = await newReceiveAddress(node.ctx);
    expect(index).toBe(0);
    expect(address).toMatch(/^bcrt1q/);
    expect((await newReceiveAddress(node.ctx)).index).toBe(1);
    await faucet(address, 150_000);
    await sync(node);
    expect(await walletBalanceOf(node.ctx)).toEqual({ confirmedSat: 0n, unconfirmedSat: 150_000n });
    await mine();
    await sync(node);
    expect(await walletBalanceOf(node.ctx)).toEqual({ confirmedSat: 150_000n, unconfirmedSat: 0n });
  });

  it('pays with change: the chain validates and confirms it; the restart keeps balance and history', async () => {
    const node = await testNode({ dynamo, sqs, esploraUrl: chain.url });
    await faucet((await newReceiveAddress(node.ctx)).address, 200_000);
    await mine();
    await sync(node);

    const sent = await sendToAddress(node.ctx, { address: outsider, amountSat: 50_000n, feerateSatPerVb: 3 });
    expect(await drainBroadcasts(node)).toHaveLength(1);
    // In the chain's mempool: it passed the chain's script validation.
    const raw = await esplora.txRaw(sent.txid);
    const tx = Transaction.fromBuffer(raw);
    expect(tx.ins.every((i) => i.sequence === RBF_SEQUENCE)).toBe(true);
    expect(tx.outs).toHaveLength(2);
    const required = BigInt(tx.virtualSize() * 3);
    expect(sent.feeSat).toBeGreaterThanOrEqual(required);
    expect(sent.feeSat).toBeLessThanOrEqual(required + 3n);
    const change = 200_000n - 50_000n - sent.feeSat;
    expect(await walletBalanceOf(node.ctx)).toEqual({ confirmedSat: 0n, unconfirmedSat: change });

    await mine();
    await sync(node);
    expect(await walletBalanceOf(node.ctx)).toEqual({ confirmedSat: change, unconfirmedSat: 0n });
    expect((await esplora.txStatus(sent.txid)).confirmed).toBe(true);
    const before = await loadWallet(node.ctx.store, node.ctx.nodeKey);
    expect(before.history.find((h) => h.txid === sent.txid)).toMatchObject({ sentSat: 200_000n, receivedSat: change });
    expect(before.pending).toEqual([]);

    // A new process over the same table and seed: same balance and history, before and after a sync.
    const restarted = await testNode({ dynamo, sqs, esploraUrl: chain.url, seed: node.seed, tableName: node.tableName });
    expect(await walletBalanceOf(restarted.ctx)).toEqual({ confirmedSat: change, unconfirmedSat: 0n });
    await sync(restarted);
    const after = await loadWallet(restarted.ctx.store, restarted.ctx.nodeKey);
    expect(after.history).toEqual(before.history);
    expect(await walletBalanceOf(restarted.ctx)).toEqual({ confirmedSat: change, unconfirmedSat: 0n });
  });

  it('counts payments to an address it already emptied, also after a restart', async () => {
    const node = await testNode({ dynamo, sqs, esploraUrl: chain.url });
    const { address } = await newReceiveAddress(node.ctx);
    await faucet(address, 100_000);
    await mine();
    await sync(node);
    // Spend it all: 300 sat left over is less than a change output worth keeping, so it all goes to the fee.
    await sendToAddress(node.ctx, { address: outsider, amountSat: 99_700n, feerateSatPerVb: 1 });
    await drainBroadcasts(node);
    await mine();
    await sync(node);
    expect(await walletBalanceOf(node.ctx)).toEqual({ confirmedSat: 0n, unconfirmedSat: 0n });
    expect((await loadWallet(node.ctx.store, node.ctx.nodeKey)).utxos).toEqual([]);

    // The same address again: the coin is counted once a block arrives.
    const again = await faucet(address, 50_000);
    await mine();
    await sync(node);
    expect(await walletBalanceOf(node.ctx)).toEqual({ confirmedSat: 50_000n, unconfirmedSat: 0n });
    expect((await loadWallet(node.ctx.store, node.ctx.nodeKey)).utxos.map((u) => u.txid)).toEqual([again]);

    // And again after a restart, once that coin is spent too.
    const restarted = await testNode({ dynamo, sqs, esploraUrl: chain.url, seed: node.seed, tableName: node.tableName, broadcast: node.broadcast });
    await sendToAddress(restarted.ctx, { address: outsider, amountSat: 49_700n, feerateSatPerVb: 1 });
    await drainBroadcasts(restarted);
    await mine();
    await sync(restarted);
    expect(await walletBalanceOf(restarted.ctx)).toEqual({ confirmedSat: 0n, unconfirmedSat: 0n });
    await faucet(address, 20_000);
    await mine();
    await sync(restarted);
    expect(await walletBalanceOf(restarted.ctx)).toEqual({ confirmedSat: 20_000n, unconfirmedSat: 0n });
  });

  it("stays within Bitcoin Core's 25 unconfirmed ancestors: the 26th payment in a row is refused with 422, nothing past it broadcast", async () => {
    const node = await testNode({ dynamo, sqs, esploraUrl: chain.url });
    await faucet((await newReceiveAddress(node.ctx)).address, 1_000_000);
    await mine();
    await sync(node);
    const http = createHttpHandler({ api: storeNodeApi(node.ctx), apiKeySha256: API_KEY_SHA256, logger: new Logger({ logLevel: 'SILENT' }) });
    const answers: { status: number | undefined; body: unknown }[] = [];
    let broadcasts = 0;
    for (let i = 0; i < 30; i++) {
      answers.push(await documentedCall(http, 'POST', '/v1/wallet/send', { address: outsider, sats: 10_000, feerateSatPerVb: 1 }));
      broadcasts += (await drainBroadcasts(node)).length;
      if (i === 10) await sync(node); // the chain of unconfirmed payments outlives a sync
    }
    expect(answers.slice(0, 25).map((a) => a.status)).toEqual(Array.from({ length: 25 }, () => 200));
    for (const refusal of answers.slice(25)) {
      expect(refusal).toMatchObject({ status: 422, body: { code: 'too-many-unconfirmed', message: expect.stringMatching(/25 unconfirmed ancestors.*[Ww]ait for a confirmation/) } });
    }
    expect(broadcasts).toBe(25);
    // Each payment spends the change of the one before: one chain of 25, all of it in the chain's mempool.
    const txids = answers.slice(0, 25).map((a) => (a.body as { txid: string }).txid);
    const mempool = new Set(chain.chain.mempool().map((e) => e.txid));
    expect(txids.every((t) => mempool.has(t))).toBe(true);
    const parentsOf = (t: string) => chain.chain.transaction(t)!.tx.ins.map((input) => Buffer.from(input.hash).reverse().toString('hex'));
    txids.slice(1).forEach((t, i) => expect(parentsOf(t)).toEqual([txids[i]]));
    const state = await loadWallet(node.ctx.store, node.ctx.nodeKey);
    expect(state.history.filter((h) => h.height === 0).map((h) => h.txid).sort()).toEqual([...txids].sort());
    expect(state.ownUnconfirmed?.map((t) => t.txid).sort()).toEqual([...txids].sort());

    // A block confirms them: payments go out again.
    await mine();
    await sync(node);
    expect((await loadWallet(node.ctx.store, node.ctx.nodeKey)).ownUnconfirmed).toBeUndefined();
    expect(await documentedCall(http, 'POST', '/v1/wallet/send', { address: outsider, sats: 10_000, feerateSatPerVb: 1 })).toMatchObject({ status: 200 });
    expect(await drainBroadcasts(node)).toHaveLength(1);
  });

  it('selects many small coins together', async () => {
    const node = await testNode({ dynamo, sqs, esploraUrl: chain.url });
    for (let i = 0; i < 30; i++) await faucet((await newReceiveAddress(node.ctx)).address, 3_000);
    await mine();
    await sync(node);
    expect(await walletBalanceOf(node.ctx)).toEqual({ confirmedSat: 90_000n, unconfirmedSat: 0n });
    const sent = await sendToAddress(node.ctx, { address: outsider, amountSat: 70_000n, feerateSatPerVb: 1 });
    await drainBroadcasts(node);
    const tx = Transaction.fromBuffer(await esplora.txRaw(sent.txid));
    expect(tx.ins.length).toBeGreaterThanOrEqual(24);
    await mine();
    await sync(node);
    const balance = await walletBalanceOf(node.ctx);
    expect(balance.unconfirmedSat).toBe(0n);
    expect(balance.confirmedSat).toBe(90_000n - 70_000n - sent.feeSat);
  });

  it('refuses a payment it cannot fund, with nothing committed or broadcast', async () => {
    const node = await testNode({ dynamo, sqs, esploraUrl: chain.url });
    await faucet((await newReceiveAddress(node.ctx)).address, 10_000);
    await mine();
    await sync(node);
    const stored = await node.ctx.store.get(node.ctx.nodeKey, SortKey.wallet);
    const error = await sendToAddress(node.ctx, { address: outsider, amountSat: 10_000n, feerateSatPerVb: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WalletError);
    expect(error).toMatchObject({ code: 'insufficient-funds' });
    expect(await drainBroadcasts(node)).toEqual([]);
    expect(await node.ctx.store.get(node.ctx.nodeKey, SortKey.wallet)).toEqual(stored);
    await expect(sendToAddress(node.ctx, { address: 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', amountSat: 1_000n })).rejects.toMatchObject({ code: 'invalid-address' });
  });

  it('treats an already-known transaction as broadcast, and releases the coins of a refused one', async () => {
    const node = await testNode({ dynamo, sqs, esploraUrl: chain.url });
    await faucet((await newReceiveAddress(node.ctx)).address, 100_000);
    await mine();
    await sync(node);
    const sent = await sendToAddress(node.ctx, { address: outsider, amountSat: 20_000n, feerateSatPerVb: 2 });
    await drainBroadcasts(node);
    // Again: the chain knows it already.
    const pending = (await loadWallet(node.ctx.store, node.ctx.nodeKey)).pending;
    expect(pending.map((p) => p.txid)).toEqual([sent.txid]);
    await enqueueBroadcast(node.ctx, sent.txid, pending[0]!.raw, `${sent.txid}-again`);
    expect(await drainBroadcasts(node)).toHaveLength(1);

    // A conflicting payment built from a stale state (same coin, no higher feerate: no replacement) is refused for good: recorded, coins released.
    const other = await testNode({ dynamo, sqs, esploraUrl: chain.url, seed: node.seed, broadcast: node.broadcast });
    const before = await loadWallet(node.ctx.store, node.ctx.nodeKey);
    const stale = { ...before, utxos: before.utxos.map(({ spentBy: _s, ...u }) => u).filter((u) => u.txid !== sent.txid), pending: [], history: [] };
    await other.ctx.store.commit(await other.ctx.store.acquireLease(other.ctx.nodeKey, 'seed', 5000), {
      release: true,
      puts: [{ sk: SortKey.wallet, data: (await import('../../shared/wallet/index.js')).encodeWalletState(stale) }],
    });
    const conflicting = await sendToAddress(other.ctx, { address: outsider, amountSat: 30_000n, feerateSatPerVb: 1 });
    await drainBroadcasts(other);
    const record = await other.ctx.store.get(other.ctx.nodeKey, SortKey.broadcast(conflicting.txid));
    expect(JSON.parse(new TextDecoder().decode(record))).toMatchObject({ txid: conflicting.txid, reason: expect.stringMatching(new RegExp(`insufficient fee: rejecting replacement .* of ${sent.txid}`)) });
    const released = await loadWallet(other.ctx.store, other.ctx.nodeKey);
    expect(released.pending).toEqual([]);
    expect(released.utxos.every((u) => u.spentBy === undefined)).toBe(true);
  });
});
