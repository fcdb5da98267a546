/**
 * Contention for the node's lease (issue 13, defect 3) against DynamoDB
 * Local, fauxqs and the embedded regtest chain over HTTP: receive addresses
 * come from a counter outside the lease (all handed out while another input
 * holds it, distinct and consecutive, and every one watched by the wallet
 * scan); a request that needs the lease answers 503 `busy` with
 * `Retry-After` once its wait budget is spent; a chain sync
 * that finds the lease taken is deferred quietly and applied on the next
 * run; the chain handler asks the chain source before it takes the lease,
 * so another input can take and release it meanwhile, and what that input
 * committed (a wallet change, addresses handed out) is read and applied
 * under the lease.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { createChainHandler } from '../../functions/chain/handler.js';
import { createHttpHandler } from '../../functions/http/handler.js';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import type { NodeContext } from '../../functions/runtime/node-context.js';
import { createTimerHandler } from '../../functions/timer/handler.js';
import { loadWallet, walletBalanceOf } from '../../functions/wallet/wallet-service.js';
import { EsploraClient } from '../../shared/chain/index.js';
import { SortKey } from '../../shared/store/index.js';
import { EMPTY_WALLET_STATE, Keychain, encodeWalletState } from '../../shared/wallet/index.js';
import { API_KEY_SHA256, AUTH, apiEvent } from '../http/support/events.js';
import { documentedCall } from '../http/support/documented-call.js';
import { testNode } from '../support/wallet-node.js';
import { useLocalServices } from '../support/local-services.js';

const local = useLocalServices();

async function faucet(address: string, sats: number): Promise<void> {
  expect((await fetch(`${local.chain.url}/regtest/faucet`, { method: 'POST', body: JSON.stringify({ address, sats }) })).status).toBe(200);
}
async function mine(blocks = 1): Promise<void> {
  expect((await fetch(`${local.chain.url}/regtest/mine`, { method: 'POST', body: JSON.stringify({ blocks }) })).status).toBe(200);
}

const httpHandler = (ctx: NodeContext) => createHttpHandler({ api: storeNodeApi(ctx), apiKeySha256: API_KEY_SHA256, logger: new Logger({ logLevel: 'SILENT' }) });

/** A logger that keeps every line with its level. */
function capturingLogger(): { logger: NodeContext['logger']; lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  const logger = { debug: at('DEBUG'), info: at('INFO'), warn: at('WARN'), error: at('ERROR'), appendKeys() {} } as unknown as NodeContext['logger'];
  return { logger, lines };
}

/** A chain source whose script-hash answers wait at a gate: a chain handler is "fetching" until `open()`. */
function scriptHashGate(): { gated: typeof fetch; reached: Promise<void>; open: () => void } {
  let blocked!: () => void;
  const reached = new Promise<void>((resolve) => (blocked = resolve));
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const gated: typeof fetch = async (input, init) => {
    if (String(input instanceof Request ? input.url : input).includes('/scripthash/')) {
      blocked();
      await gate;
    }
    return fetch(input, init);
  };
  return { gated, reached, open };
}

describe('contention for the node lease', () => {
  it('hands out receive addresses while another input holds the lease: all 200, distinct, consecutive, and every one watched', async () => {
    const { ctx } = await testNode({ dynamo: local.dynamo, sqs: local.sqs, esploraUrl: local.chain.url });
    // A wallet that handed out 3 addresses before the counter existed: the counter starts after them.
    const legacy = encodeWalletState({ ...EMPTY_WALLET_STATE, nextIndex: [3, 0] });
    const seed = await ctx.store.acquireLease(ctx.nodeKey, 'seed', 5_000);
    await ctx.store.commit(seed, { inputId: 'seed-wallet', puts: [{ sk: SortKey.wallet, data: legacy }], release: true });

    const held = await ctx.store.acquireLease(ctx.nodeKey, 'a-slow-input', 60_000);
    const handler = httpHandler(ctx);
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 100 }, () => documentedCall(handler, 'POST', '/v1/wallet/address')));
    console.log(`100 concurrent POST /v1/wallet/address with the lease held: ${Date.now() - started} ms`);
    expect(answers.map((a) => a.status)).toEqual(Array<number>(100).fill(200));
    const addresses = answers.map((a) => (a.body as { address: string }).address);
    const expected = Array.from({ length: 100 }, (_, i) => ctx.wallet.address(Keychain.receive, 3 + i));
    expect(new Set(addresses).size).toBe(100);
    expect([...addresses].sort()).toEqual([...expected].sort());
    await ctx.store.releaseLease(held);

    // The last one is 102, far past the gap limit of the scan's window (20 past the last used index): the chain handler still watches it.
    await faucet(expected[99]!, 40_000);
    await mine();
    expect((await createChainHandler(ctx)({ id: 'after-addresses' }, {} as never)).outcome).toBe('applied');
    expect(await walletBalanceOf(ctx)).toEqual({ confirmedSat: 40_000n, unconfirmedSat: 0n });
    expect((await loadWallet(ctx.store, ctx.nodeKey)).nextIndex[Keychain.receive]).toBe(103);
    expect((await documentedCall(handler, 'POST', '/v1/wallet/address')).body).toEqual({ address: ctx.wallet.address(Keychain.receive, 103) });
  });

  it('answers 503 busy with Retry-After when the lease stays taken past the wait budget, and serves the request once it is free', async () => {
    const { ctx: base } = await testNode({ dynamo: local.dynamo, sqs: local.sqs, esploraUrl: local.chain.url });
    const ctx: NodeContext = { ...base, leaseWaitMs: 300 };
    const handler = httpHandler(ctx);
    const send = { address: ctx.wallet.address(Keychain.receive, 0), sats: 10_000, feerateSatPerVb: 2 };
    const held = await ctx.store.acquireLease(ctx.nodeKey, 'a-slow-input', 60_000);
    const busy = await handler(apiEvent({ method: 'POST', path: '/v1/wallet/send', headers: AUTH, body: JSON.stringify(send) }));
    expect(busy.statusCode).toBe(503);
    expect(busy.headers?.['retry-after']).toBe('1');
    expect(JSON.parse(String(busy.body))).toMatchObject({ code: 'busy' });
    // The same answers, checked against the OpenAPI document (503 documented for the route, the error schema).
    expect(await documentedCall(handler, 'POST', '/v1/wallet/send', send)).toMatchObject({ status: 503, body: { code: 'busy' } });
    // Twenty at once: each waits its budget (queued in this process behind the first), each answers 503; none is left queued.
    const many = await Promise.all(Array.from({ length: 20 }, () => documentedCall(handler, 'POST', '/v1/wallet/send', send)));
    expect(many.map((a) => a.status)).toEqual(Array<number>(20).fill(503));
    await ctx.store.releaseLease(held);
    // Free again: the request runs (an empty wallet cannot pay: 422, decided under the lease).
    expect(await documentedCall(handler, 'POST', '/v1/wallet/send', send)).toMatchObject({ status: 422, body: { code: 'insufficient-funds' } });
  });

  it('defers a chain sync that finds the lease taken, without an ERROR, and applies it on the next run; a timer tick of a node without a header needs no lease', async () => {
    const { ctx: base } = await testNode({ dynamo: local.dynamo, sqs: local.sqs, esploraUrl: local.chain.url });
    const { logger, lines } = capturingLogger();
    const ctx: NodeContext = { ...base, leaseWaitMs: 200, logger };
    const sync = createChainHandler(ctx);
    const tick = createTimerHandler(ctx);
    const held = await ctx.store.acquireLease(ctx.nodeKey, 'a-slow-input', 60_000);
    expect(await sync({ id: 'sched-1' }, {} as never)).toMatchObject({ outcome: 'busy' });
    // A node without a manager header has nothing to tick (docs/timer.md): no lease asked, so a held one costs it nothing.
    expect(await tick({ id: 'tick-1' }, {} as never)).toEqual({ tick: { outcome: 'no-node', inputId: 'timer-tick-1' }, followUps: { resent: 0, settled: 0 } });
    expect(lines.filter((l) => l.level === 'ERROR' || l.level === 'WARN')).toEqual([]);
    expect(lines.filter((l) => l.level === 'INFO').map((l) => l.message)).toEqual(['chain sync deferred: the node lease is held by another input']);
    expect(await ctx.store.get(ctx.nodeKey, SortKey.chain)).toBeUndefined();

    await ctx.store.releaseLease(held);
    expect(await sync({ id: 'sched-2' }, {} as never)).toMatchObject({ outcome: 'applied', tipHeight: local.chain.chain.tip().height });
    expect(await ctx.store.get(ctx.nodeKey, SortKey.chain)).toBeDefined();
    expect(lines.filter((l) => l.level === 'ERROR')).toEqual([]);
  });

  it('asks the chain source before taking the lease: another input takes and releases it meanwhile, and its commit is kept', async () => {
    const { gated, reached, open } = scriptHashGate();
    const { ctx: base } = await testNode({ dynamo: local.dynamo, sqs: local.sqs, esploraUrl: local.chain.url });
    const ctx: NodeContext = { ...base, esplora: new EsploraClient(local.chain.url, { fetch: gated }) };
    const paid = ctx.wallet.address(Keychain.receive, 0);
    await faucet(paid, 25_000);

    const running = createChainHandler(ctx)({ id: 'slow-sync' }, {} as never);
    await reached;
    // While the handler waits on the chain source, the lease is free: another input takes it and commits a wallet change.
    const other = await ctx.store.acquireLease(ctx.nodeKey, 'other-input', 5_000);
    const changed = encodeWalletState({ ...EMPTY_WALLET_STATE, nextIndex: [0, 7] });
    await ctx.store.commit(other, { inputId: 'other-input', puts: [{ sk: SortKey.wallet, data: changed }], release: true });
    open();

    const result = await running;
    expect(result).toMatchObject({ outcome: 'applied', tipHeight: local.chain.chain.tip().height });
    // Nothing changed that the prefetch had not foreseen: no chain source request under the lease.
    expect(result.requestsUnderLease).toBe(0);
    const wallet = await loadWallet(ctx.store, ctx.nodeKey);
    expect(wallet.nextIndex[Keychain.change]).toBe(7); // the other input's commit, read again under the lease
    expect(await walletBalanceOf(ctx)).toEqual({ confirmedSat: 0n, unconfirmedSat: 25_000n });
  });

  it('applies under the lease what changed while it fetched: addresses handed out meanwhile are scanned then (requests under the lease)', async () => {
    const { gated, reached, open } = scriptHashGate();
    const { ctx: base } = await testNode({ dynamo: local.dynamo, sqs: local.sqs, esploraUrl: local.chain.url });
    const ctx: NodeContext = { ...base, esplora: new EsploraClient(local.chain.url, { fetch: gated }) };
    // Index 29 is past the window the sync would scan now (0..19); it is paid before anyone asked for it.
    await faucet(ctx.wallet.address(Keychain.receive, 29), 30_000);
    const running = createChainHandler(ctx)({ id: 'slow-sync-2' }, {} as never);
    await reached;
    const handler = httpHandler(ctx);
    for (let i = 0; i < 30; i++) expect((await documentedCall(handler, 'POST', '/v1/wallet/address')).status).toBe(200);
    open();
    const result = await running;
    expect(result.outcome).toBe('applied');
    // The prefetch did not know indexes 20..29: they were asked under the lease, and the payment to 29 was found.
    expect(result.requestsUnderLease).toBeGreaterThanOrEqual(10);
    expect(await walletBalanceOf(ctx)).toEqual({ confirmedSat: 0n, unconfirmedSat: 30_000n });
    expect((await loadWallet(ctx.store, ctx.nodeKey)).nextIndex[Keychain.receive]).toBe(30);
  });
});
