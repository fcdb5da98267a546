/**
 * Anchor claims bumped by RBF through the real handlers and the embedded
 * regtest chain (it applies Bitcoin Core's replacement rules, BIP 125 2-6):
 * our zero-fee HTLC-timeout with a wallet fee input, rebuilt at a higher
 * feerate at each block it stays unconfirmed with the same wallet coin,
 * until its fee would pass the HTLC's amount (the cap); the CPFP child of
 * our unconfirmed commitment the same way. The chain takes each new version
 * in place of the old and refuses the old one back; the wallet ends with
 * exactly what it had minus the fee of the version that confirmed; the coin
 * is locked by one version at a time. The chain handler crashes at each
 * step of the claim (planned, committed but not broadcast, bumped,
 * confirmed): the claim completes once.
 */
import { randomUUID } from 'node:crypto';
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { createChainHandler } from '../../functions/chain/handler.js';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import type { NodeContext } from '../../functions/runtime/node-context.js';
import { loadWallet, walletBalanceOf } from '../../functions/wallet/wallet-service.js';
import { EsploraClient } from '../../shared/chain/index.js';
import { spendableCoins, type WalletState } from '../../shared/wallet/index.js';
import { CAPACITY, invoiceOf, payInvoiceOf, readyChannel } from '../support/force-close-nodes.js';
import { useLocalServices } from '../support/local-services.js';
import { PipelineNet, type PipelineNode } from '../support/pipeline-nodes.js';

const local = useLocalServices();

const HTLC_SAT = 9_000n;
const REVOKE_AND_ACK = 133;
const ANCHORS = { anchors: true, acceptInboundChannels: 'all' } as const;

const txidOfInput = (tx: Transaction, i: number) => Buffer.from(tx.ins[i]!.hash).reverse().toString('hex');
const outpoints = (tx: Transaction) => tx.ins.map((_, i) => `${txidOfInput(tx, i)}:${tx.ins[i]!.index}`);
const total = async (n: PipelineNode) => {
  const b = await walletBalanceOf(n.ctx);
  return b.confirmedSat + b.unconfirmedSat;
};

/** `target` whose `method` throws once (a crash of the invocation at that point), then behaves. */
function crashOnce<T extends object>(target: T, method: string): T {
  let armed = true;
  return new Proxy(target, {
    get(t, p) {
      const v = Reflect.get(t, p, t) as unknown;
      if (typeof v !== 'function') return v;
      if (p === method && armed) {
        return async () => {
          armed = false;
          throw new Error(`crash at ${method}`);
        };
      }
      return (v as (...args: unknown[]) => unknown).bind(t);
    },
  });
}

/** One chain handler run that crashes at `what`: before the commit (`store`), or after it, before the broadcasts leave (`broadcast`). */
async function crashingSync(n: PipelineNode, what: 'store' | 'broadcast'): Promise<void> {
  const ctx: NodeContext = what === 'store' ? { ...n.ctx, store: crashOnce(n.ctx.store, 'commit') } : { ...n.ctx, broadcast: crashOnce(n.ctx.broadcast!, 'send') };
  await expect(createChainHandler(ctx)({ id: randomUUID() }, {} as never)).rejects.toThrow(/crash at/);
}

/** One chain handler run whose broadcast queue fails once: whether it crashed (it had something to broadcast, after its commit). */
async function maybeCrashingSync(n: PipelineNode): Promise<boolean> {
  try {
    await createChainHandler({ ...n.ctx, broadcast: crashOnce(n.ctx.broadcast!, 'send') })({ id: randomUUID() }, {} as never);
    return false;
  } catch (e) {
    if (!/crash at/.test((e as Error).message)) throw e;
    return true;
  }
}

/** The wallet's pending transactions (display txids) and which of them locks `coin`. */
async function walletLocks(n: PipelineNode, coin: string): Promise<{ pending: string[]; lockedBy: string | undefined; state: WalletState }> {
  const state = await loadWallet(n.ctx.store, n.ctx.nodeKey);
  return { pending: state.pending.map((p) => p.txid), lockedBy: state.utxos.find((u) => `${u.txid}:${u.vout}` === coin)?.spentBy, state };
}

async function refusedBy(esplora: EsploraClient, tx: Transaction): Promise<string> {
  try {
    await esplora.broadcast(tx.toBuffer());
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`the chain accepted ${tx.getId()}`);
}

/** A and B with an anchors channel, A's payment of `HTLC_SAT` on both commitments, the connection broken. */
async function htlcInFlight(net: PipelineNet, label: string) {
  const [a, b] = await Promise.all([net.node(`${label}-a`, ANCHORS), net.node(`${label}-b`, ANCHORS)]);
  const { channelId } = await readyChannel(local, net, a, b);
  const paymentId = await payInvoiceOf(a, await invoiceOf(b, HTLC_SAT * 1000n), label);
  let revokes = 0;
  await net.relay(a, b, (type) => (revokes += type === REVOKE_AND_ACK ? 1 : 0) >= 2);
  await net.disconnect(a, b);
  return { a, b, channelId, paymentId };
}

describe('anchor claims bumped by RBF, through crashes', () => {
  it('our HTLC-timeout is rebuilt at each block with the same coin, replaces the old in the mempool, stops at the cap, confirms once; wallet + fee = before', async () => {
    const net = new PipelineNet(local);
    const esplora = new EsploraClient(local.chain.url);
    const { a, channelId } = await htlcInFlight(net, 'bump');
    await storeNodeApi(a.ctx).closeChannel(channelId, { force: true });
    const commitment = Transaction.fromHex((await net.broadcasts(a)).at(-1)!);
    await esplora.broadcast(commitment.toBuffer());
    await net.mine(1);
    await net.sync(a);

    // Up to the block where the HTLC-timeout is due. Each run crashes first before its commit (nothing kept), then runs
    // again with a broadcast queue that fails: at the due block the claim is committed and its broadcast lost.
    const isClaim = (t: Transaction) => t.locktime > 0 && t.ins.some((x) => Buffer.from(x.hash).reverse().toString('hex') === commitment.getId());
    const claimsIn = async () => (await net.broadcasts(a)).map((h) => Transaction.fromHex(h)).filter(isClaim);
    let before = await total(a);
    let due = false;
    for (let i = 0; i < 400 && !due; i++) {
      await net.mine(1);
      before = await total(a);
      await crashingSync(a, 'store');
      expect(await claimsIn()).toEqual([]);
      expect((await loadWallet(a.ctx.store, a.ctx.nodeKey)).pending).toEqual([]);
      due = await maybeCrashingSync(a);
      expect(await claimsIn()).toEqual([]);
    }
    expect(due).toBe(true);
    // The claim is in the item and the wallet: the next run hands it over (the wallet's pending entry), the same transaction.
    expect((await loadWallet(a.ctx.store, a.ctx.nodeKey)).pending).toHaveLength(1);
    await net.sync(a);
    const handed = await claimsIn();
    expect(new Set(handed.map((t) => t.getId())).size).toBe(1);
    const v1 = handed[0]!;
    expect(v1.ins).toHaveLength(2);
    const coin = outpoints(v1)[1]!;
    const coinValue = (await walletLocks(a, coin)).state.utxos.find((u) => `${u.txid}:${u.vout}` === coin)!.valueSat;
    const feeOf = (t: Transaction) => HTLC_SAT + coinValue - t.outs.reduce((s, o) => s + BigInt(o.value), 0n);
    expect(await walletLocks(a, coin)).toMatchObject({ pending: [v1.getId()], lockedBy: v1.getId() });
    expect(await total(a)).toBe(before - feeOf(v1));
    // Past the expiry the claim races the counterparty: the next-block estimate (25 sat/vB on regtest, 6,250 per 1,000 weight).
    expect((feeOf(v1) * 1000n) / BigInt(v1.weight())).toBeGreaterThanOrEqual(6_250n);

    // A block without it: the bump, planned in a run that crashes before its commit, then made once.
    await net.mine(1);
    await crashingSync(a, 'store');
    expect(await walletLocks(a, coin)).toMatchObject({ pending: [v1.getId()], lockedBy: v1.getId() });
    await net.sync(a);
    const bumped = (await claimsIn()).filter((t) => t.getId() !== v1.getId());
    expect(new Set(bumped.map((t) => t.getId())).size).toBe(1);
    const v2 = bumped[0]!;
    // The same HTLC input (and output) and the same wallet coin; more fee, by at least 1 sat/vB of its size (BIP 125).
    expect(outpoints(v2)).toEqual(outpoints(v1));
    expect(v2.outs[0]).toEqual(v1.outs[0]);
    expect(feeOf(v2)).toBeGreaterThanOrEqual(feeOf(v1) + BigInt(v2.virtualSize()));
    expect(await walletLocks(a, coin)).toMatchObject({ pending: [v2.getId()], lockedBy: v2.getId() });
    expect(spendableCoins((await walletLocks(a, coin)).state).some((u) => `${u.txid}:${u.vout}` === coin)).toBe(false);
    expect(await total(a)).toBe(before - feeOf(v2));

    // The next bump (a quarter more) would pay more than the HTLC itself: left at v2 (the cap), handed over again.
    expect(feeOf(v2) + feeOf(v2) / 4n).toBeGreaterThan(HTLC_SAT);
    await net.mine(1);
    await net.sync(a);
    expect(new Set((await claimsIn()).map((t) => t.getId()))).toEqual(new Set([v2.getId()]));

    // The chain: v1 first, v2 replaces it, v1 cannot come back (less fee: BIP 125 rule 3).
    await esplora.broadcast(v1.toBuffer());
    await esplora.broadcast(v2.toBuffer());
    expect(await refusedBy(esplora, v1)).toMatch(/insufficient fee/);

    // v2 confirms; the run that sees it crashes before its commit; the next one releases nothing twice.
    await esplora.broadcast(v2.toBuffer());
    await net.mine(1);
    expect((await esplora.txStatus(v2.getId())).confirmed).toBe(true);
    await crashingSync(a, 'store');
    await net.sync(a);
    const after = await walletLocks(a, coin);
    expect(after.pending).toEqual([]);
    expect(after.state.utxos.some((u) => `${u.txid}:${u.vout}` === coin)).toBe(false);
    expect(await total(a)).toBe(before - feeOf(v2));
    // Nothing more of it is broadcast.
    await net.mine(1);
    await net.sync(a);
    expect(await claimsIn()).toEqual([]);
  }, 300_000);

  it('the CPFP child of our unconfirmed commitment is bumped with the same coin; the chain takes a newer child in place of the old, refuses the old back; an older version confirming releases the newest; wallet + fee − anchor = before', async () => {
    const net = new PipelineNet(local);
    const esplora = new EsploraClient(local.chain.url);
    const { a, channelId } = await htlcInFlight(net, 'cpfp-bump');
    await storeNodeApi(a.ctx).closeChannel(channelId, { force: true });
    const commitment = Transaction.fromHex((await net.broadcasts(a)).at(-1)!);
    const commitmentFee = CAPACITY - commitment.outs.reduce((s, o) => s + BigInt(o.value), 0n);
    const childOf = (t: Transaction) => t.ins.some((x) => Buffer.from(x.hash).reverse().toString('hex') === commitment.getId());
    const children = async () => (await net.broadcasts(a)).map((h) => Transaction.fromHex(h)).filter(childOf);
    const before = await total(a);

    await net.mine(1);
    await net.sync(a);
    const first = await children();
    expect(new Set(first.map((t) => t.getId())).size).toBe(1);
    const c1 = first[0]!;
    const coin = outpoints(c1)[1]!;
    const coinValue = (await walletLocks(a, coin)).state.utxos.find((u) => `${u.txid}:${u.vout}` === coin)!.valueSat;
    const feeOf = (t: Transaction) => 330n + coinValue - t.outs.reduce((s, o) => s + BigInt(o.value), 0n);
    expect(await walletLocks(a, coin)).toMatchObject({ pending: [c1.getId()], lockedBy: c1.getId() });

    // The commitment still out of the chain at the next block (HTLCs at stake: a deadline): bumped, in a run that crashes first.
    await net.mine(1);
    await crashingSync(a, 'store');
    await net.sync(a);
    const second = (await children()).filter((t) => t.getId() !== c1.getId());
    expect(new Set(second.map((t) => t.getId())).size).toBe(1);
    const c2 = second[0]!;
    expect(outpoints(c2)).toEqual(outpoints(c1));
    expect(feeOf(c2)).toBeGreaterThanOrEqual(feeOf(c1) + BigInt(c2.virtualSize()));
    const packageRate = ((commitmentFee + feeOf(c2)) * 1000n) / BigInt(commitment.weight() + c2.weight());
    expect(packageRate).toBeGreaterThanOrEqual(2_500n + 625n); // the 6-block estimate, then a quarter more
    expect(await walletLocks(a, coin)).toMatchObject({ pending: [c2.getId()], lockedBy: c2.getId() });
    // The child's fee takes the anchor's 330 sat too, which were never the wallet's: the wallet pays the fee less them.
    expect(await total(a)).toBe(before - feeOf(c2) + 330n);

    // One more block without it: c3, a quarter more again, the coin now locked by c3 alone.
    await net.mine(1);
    await net.sync(a);
    const third = (await children()).filter((t) => t.getId() !== c1.getId() && t.getId() !== c2.getId());
    expect(new Set(third.map((t) => t.getId())).size).toBe(1);
    const c3 = third[0]!;
    expect(feeOf(c3)).toBeGreaterThanOrEqual(feeOf(c2) + BigInt(c3.virtualSize()));
    expect(await walletLocks(a, coin)).toMatchObject({ pending: [c3.getId()], lockedBy: c3.getId() });

    // The chain: the commitment and c1, then c2 in place of c1; c1 refused back. c2 (not the newest) confirms: c3's
    // pending entry goes, and its change with it.
    await esplora.broadcast(commitment.toBuffer());
    await esplora.broadcast(c1.toBuffer());
    await esplora.broadcast(c2.toBuffer());
    expect(await refusedBy(esplora, c1)).toMatch(/insufficient fee/);
    await net.mine(1);
    expect((await esplora.txStatus(c2.getId())).confirmed).toBe(true);
    await net.sync(a);
    const after = await walletLocks(a, coin);
    expect(after.pending).toEqual([]);
    expect(after.state.utxos.some((u) => `${u.txid}:${u.vout}` === coin)).toBe(false);
    expect(await total(a)).toBe(before - feeOf(c2) + 330n);
  }, 300_000);
});
