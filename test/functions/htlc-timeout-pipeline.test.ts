/**
 * HTLCs we offered, timed out on chain, through the real handlers on the
 * embedded regtest chain (docs/force-close.md, "HTLCs on their commitment",
 * "HTLCs on our commitment", "HTLCs we offered, resolved on chain"). A pays
 * B; the dance stops before B can claim the payment; then:
 *
 * - B force-closes with the HTLC on its commitment: once the chain reaches
 *   the HTLC's `cltv_expiry`, A's chain handler takes the HTLC output back
 *   through its timeout branch (nLockTime = the expiry), and A's payment
 *   fails once that claim is {@link ANTI_REORG_DELAY} deep;
 * - A force-closes with the HTLC on its own commitment: A's pre-signed
 *   HTLC-timeout transaction goes out once the chain reaches the expiry, its
 *   output reaches A's wallet after B's `to_self_delay`, and the payment
 *   fails once the HTLC-timeout transaction is final;
 * - A force-closes before B's commitment with the HTLC is answered (the HTLC
 *   on B's commitment only, not on A's): nothing of it is on chain, and the
 *   payment fails once A's commitment is final.
 * In each case A's wallet ends with exactly what the chain paid it.
 */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import { walletBalanceOf } from '../../functions/wallet/wallet-service.js';
import { EsploraClient } from '../../shared/chain/index.js';
import { ANTI_REORG_DELAY } from '../../shared/monitor/index.js';
import { SortKey } from '../../shared/store/index.js';
import { expectWatchEnds, invoiceOf, payInvoiceOf, readyChannel, spendOf } from '../support/force-close-nodes.js';
import { useLocalServices } from '../support/local-services.js';
import { PipelineNet, type PipelineNode } from '../support/pipeline-nodes.js';

const local = useLocalServices();

const HTLC_SAT = 9_000n;
const REVOKE_AND_ACK = 133;

/**
 * A and B with a ready channel; A pays B {@link HTLC_SAT}, and the
 * connection breaks as the `revoke_and_ack` numbered `breakAt` (1: B's, the
 * HTLC on B's commitment only; 2: A's, on both, B not told it can claim)
 * goes out: B never claims it.
 */
async function stalledPayment(net: PipelineNet, label: string, breakAt: 1 | 2) {
  const [a, b] = await Promise.all([net.node(`${label}-a`), net.node(`${label}-b`)]);
  const { channelId } = await readyChannel(local, net, a, b);
  const paymentId = await payInvoiceOf(a, await invoiceOf(b, HTLC_SAT * 1000n), label);
  let revokes = 0;
  await net.relay(a, b, (type) => (revokes += type === REVOKE_AND_ACK ? 1 : 0) >= breakAt);
  await net.disconnect(a, b);
  expect(revokes).toBeGreaterThanOrEqual(breakAt);
  expect(await storeNodeApi(a.ctx).getPayment(paymentId)).toMatchObject({ state: 'pending' });
  return { a, b, channelId, paymentId };
}

/** Mines and syncs `node` one block at a time until it broadcasts a transaction spending `txid` with a locktime; returns it. */
async function timeoutClaimOf(net: PipelineNet, node: PipelineNode, txid: string): Promise<Transaction> {
  for (let i = 0; i < 400; i++) {
    await net.sync(node);
    const found = (await net.broadcasts(node)).map((h) => Transaction.fromHex(h)).find((t) => t.locktime > 0 && t.ins.some((x) => Buffer.from(x.hash).reverse().toString('hex') === txid));
    if (found !== undefined) return found;
    await net.mine(1);
  }
  throw new Error(`no timeout claim spending ${txid}`);
}

/** A's payment after its HTLC's claim confirmed at `height`: pending until final, then failed (the path's failure, no retry over another channel). */
async function expectFailedOnceFinal(net: PipelineNet, a: PipelineNode, b: PipelineNode, paymentId: string, tipAfterConfirm: () => Promise<number>, confirmedAt: number) {
  while ((await tipAfterConfirm()) < confirmedAt + ANTI_REORG_DELAY - 2) {
    await net.mine(1);
    await net.sync(a);
    await net.relay(a, b);
    expect(await storeNodeApi(a.ctx).getPayment(paymentId)).toMatchObject({ state: 'pending' });
  }
  await net.mine(1);
  await net.sync(a);
  await net.relay(a, b);
  expect(await storeNodeApi(a.ctx).getPayment(paymentId)).toMatchObject({ state: 'failed' });
  expect((await storeNodeApi(a.ctx).listEvents()).filter((e) => e.kind === 'payment-sent' || e.kind === 'payment-failed').map((e) => e.kind)).toEqual(['payment-failed']);
}

describe('HTLCs we offered, timed out on chain', () => {
  it('on their commitment: A takes the HTLC output back after its expiry; the payment fails once that is final', async () => {
    const net = new PipelineNet(local);
    const esplora = new EsploraClient(local.chain.url);
    const { a, b, channelId, paymentId } = await stalledPayment(net, 'their-timeout', 1);
    const closed = await storeNodeApi(b.ctx).closeChannel(channelId, { force: true });
    const commitment = Transaction.fromHex((await net.broadcasts(b)).at(-1)!);
    expect(commitment.getId()).toBe(closed.closure!.txid);
    const htlcVout = commitment.outs.findIndex((o) => BigInt(o.value) === HTLC_SAT);
    expect(htlcVout).toBeGreaterThanOrEqual(0);
    await esplora.broadcast(commitment.toBuffer());
    await net.mine(1);

    // A's to_remote at once, alone: the HTLC output waits for its expiry.
    const toRemoteSweep = await spendOf(net, a, commitment.getId());
    expect(toRemoteSweep.ins.map((x) => x.index)).not.toContain(htlcVout);
    expect(toRemoteSweep.locktime).toBe(0);
    const aBefore = await walletBalanceOf(a.ctx);
    await esplora.broadcast(toRemoteSweep.toBuffer());

    const claim = await timeoutClaimOf(net, a, commitment.getId());
    expect(claim.ins.map((x) => x.index)).toEqual([htlcVout]);
    const tip = await esplora.tipHeight();
    expect(claim.locktime).toBeLessThanOrEqual(tip);
    expect(claim.locktime).toBeGreaterThan(tip - 2);
    // Witness <sig> <> <script>: the timeout branch.
    expect(claim.ins[0]!.witness.map((w) => w.length)).toEqual([expect.any(Number), 0, expect.any(Number)]);
    expect(await storeNodeApi(a.ctx).getPayment(paymentId)).toMatchObject({ state: 'pending' });
    await esplora.broadcast(claim.toBuffer());
    await net.mine(1);
    const confirmedAt = await esplora.tipHeight();
    expect((await esplora.txStatus(claim.getId())).confirmed).toBe(true);
    await expectFailedOnceFinal(net, a, b, paymentId, () => esplora.tipHeight(), confirmedAt);
    const swept = BigInt(claim.outs[0]!.value);
    expect(swept).toBeGreaterThan(HTLC_SAT - 2_000n);
    // Every satoshi of A's side: to_remote and the HTLC, each minus its claim's fee.
    expect((await walletBalanceOf(a.ctx)).confirmedSat).toBe(aBefore.confirmedSat + aBefore.unconfirmedSat + BigInt(toRemoteSweep.outs[0]!.value) + swept);
    expect(await a.ctx.store.query(a.ctx.nodeKey, SortKey.chainWatchPrefix)).toEqual([]);
  });

  it('on our commitment: our HTLC-timeout transaction after the expiry, its output after their delay; the payment fails once it is final', async () => {
    const net = new PipelineNet(local);
    const esplora = new EsploraClient(local.chain.url);
    const { a, b, channelId, paymentId } = await stalledPayment(net, 'our-timeout', 2);
    const closed = await storeNodeApi(a.ctx).closeChannel(channelId, { force: true });
    const commitment = Transaction.fromHex((await net.broadcasts(a)).at(-1)!);
    expect(commitment.getId()).toBe(closed.closure!.txid);
    const htlcVout = commitment.outs.findIndex((o) => BigInt(o.value) === HTLC_SAT);
    expect(htlcVout).toBeGreaterThanOrEqual(0);
    await esplora.broadcast(commitment.toBuffer());
    await net.mine(1);
    const aBefore = await walletBalanceOf(a.ctx);

    // The pre-signed HTLC-timeout: one input (the HTLC output), two signatures, nLockTime = the expiry; the chain validates it.
    const htlcTimeout = await timeoutClaimOf(net, a, commitment.getId());
    expect(htlcTimeout.ins.map((x) => x.index)).toEqual([htlcVout]);
    expect(htlcTimeout.ins[0]!.witness).toHaveLength(5);
    await esplora.broadcast(htlcTimeout.toBuffer());
    await net.mine(1);
    const confirmedAt = await esplora.tipHeight();
    expect((await esplora.txStatus(htlcTimeout.getId())).confirmed).toBe(true);
    await expectFailedOnceFinal(net, a, b, paymentId, () => esplora.tipHeight(), confirmedAt);

    // Its output (B's to_self_delay after it) and A's to_local (the same delay after the commitment) reach A's wallet.
    const swept: bigint[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < 400 && swept.length < 2; i++) {
      await net.mine(1);
      await net.sync(a);
      for (const t of (await net.broadcasts(a)).map((h) => Transaction.fromHex(h))) {
        if (seen.has(t.getId())) continue;
        seen.add(t.getId());
        expect(t.ins).toHaveLength(1);
        const from = Buffer.from(t.ins[0]!.hash).reverse().toString('hex');
        expect([commitment.getId(), htlcTimeout.getId()]).toContain(from);
        await esplora.broadcast(t.toBuffer());
        swept.push(BigInt(t.outs[0]!.value));
      }
    }
    expect(swept).toHaveLength(2);
    await net.mine(1);
    await net.sync(a);
    const toLocal = BigInt(commitment.outs.find((_, i) => i !== htlcVout && commitment.outs[i]!.value > 20_000)!.value);
    expect(swept.reduce((s, v) => s + v, 0n)).toBeGreaterThan(toLocal + BigInt(htlcTimeout.outs[0]!.value) - 2_000n);
    expect((await walletBalanceOf(a.ctx)).confirmedSat).toBe(aBefore.confirmedSat + aBefore.unconfirmedSat + swept.reduce((s, v) => s + v, 0n));
    await expectWatchEnds(net, a);
  });

  it('only on their commitment, not on the one that confirmed: the payment fails once that commitment is final', async () => {
    const net = new PipelineNet(local);
    const esplora = new EsploraClient(local.chain.url);
    const { a, b, channelId, paymentId } = await stalledPayment(net, 'unbroadcast', 1);
    await storeNodeApi(a.ctx).closeChannel(channelId, { force: true });
    const commitment = Transaction.fromHex((await net.broadcasts(a)).at(-1)!);
    expect(commitment.outs.some((o) => BigInt(o.value) === HTLC_SAT)).toBe(false);
    await esplora.broadcast(commitment.toBuffer());
    await net.mine(1);
    await net.sync(a);
    const confirmedAt = await esplora.tipHeight();
    await expectFailedOnceFinal(net, a, b, paymentId, () => esplora.tipHeight(), confirmedAt);
  });
});
