/**
 * Anchor channels on chain through the real handlers and the embedded
 * regtest chain (it validates scripts like a real node): A pays B, the
 * connection breaks with the HTLC on both commitments, A force-closes. Past
 * the HTLC's expiry the chain handler makes A's zero-fee HTLC-timeout with a
 * confirmed wallet coin paying its fee (docs/force-close.md "Anchor
 * channels"); the chain accepts and confirms it; the coin is locked in the
 * wallet while the claim is in flight; the payment fails once it is final.
 */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { listChannels } from '../../functions/channels/channel-service.js';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import { loadWallet, walletBalanceOf } from '../../functions/wallet/wallet-service.js';
import { EsploraClient } from '../../shared/chain/index.js';
import { ANTI_REORG_DELAY } from '../../shared/monitor/index.js';
import { spendableCoins } from '../../shared/wallet/index.js';
import { CAPACITY, invoiceOf, payInvoiceOf, readyChannel } from '../support/force-close-nodes.js';
import { useLocalServices } from '../support/local-services.js';
import { PipelineNet } from '../support/pipeline-nodes.js';

const local = useLocalServices();

const HTLC_SAT = 9_000n;
const REVOKE_AND_ACK = 133;
const ANCHORS = { anchors: true, acceptInboundChannels: 'all' } as const;

describe('anchor channels on chain: our HTLC transaction with a wallet fee input', () => {
  it('A times out the HTLC it offered on its own commitment with a wallet coin; the chain accepts it; the coin is locked meanwhile', async () => {
    const net = new PipelineNet(local);
    const esplora = new EsploraClient(local.chain.url);
    const [a, b] = await Promise.all([net.node('anchors-a', ANCHORS), net.node('anchors-b', ANCHORS)]);
    const { channelId } = await readyChannel(local, net, a, b);
    expect((await listChannels(a.ctx)).map((c) => c.channelType.anchors)).toEqual([true]);
    expect((await storeNodeApi(a.ctx).wallet()).anchorReserve).toEqual({ anchorChannels: 1, requiredSat: 25_000n, reservedSat: expect.any(BigInt) });
    const paymentId = await payInvoiceOf(a, await invoiceOf(b, HTLC_SAT * 1000n), 'anchors');
    let revokes = 0;
    await net.relay(a, b, (type) => (revokes += type === REVOKE_AND_ACK ? 1 : 0) >= 2);
    await net.disconnect(a, b);

    const closed = await storeNodeApi(a.ctx).closeChannel(channelId, { force: true });
    const commitment = Transaction.fromHex((await net.broadcasts(a)).at(-1)!);
    expect(commitment.getId()).toBe(closed.closure!.txid);
    expect(commitment.outs.filter((o) => BigInt(o.value) === 330n)).toHaveLength(2); // the two anchors
    const htlcVout = commitment.outs.findIndex((o) => BigInt(o.value) === HTLC_SAT); // zero-fee HTLC transactions: the whole amount
    expect(htlcVout).toBeGreaterThanOrEqual(0);
    await esplora.broadcast(commitment.toBuffer());
    await net.mine(1);

    // Past the expiry: the HTLC-timeout, the HTLC input at index 0 with its output at index 0, a wallet coin after it.
    let claim: Transaction | undefined;
    for (let i = 0; i < 400 && claim === undefined; i++) {
      await net.sync(a);
      claim = (await net.broadcasts(a)).map((h) => Transaction.fromHex(h)).find((t) => t.locktime > 0 && t.ins.some((x) => Buffer.from(x.hash).reverse().toString('hex') === commitment.getId()));
      if (claim === undefined) await net.mine(1);
    }
    if (claim === undefined) throw new Error('no HTLC-timeout');
    expect(claim.ins).toHaveLength(2);
    expect([Buffer.from(claim.ins[0]!.hash).reverse().toString('hex'), claim.ins[0]!.index, claim.ins[0]!.sequence]).toEqual([commitment.getId(), htlcVout, 1]);
    expect(BigInt(claim.outs[0]!.value)).toBe(HTLC_SAT);
    expect(claim.ins[0]!.witness[1]!.at(-1)).toBe(0x83); // their SIGHASH_SINGLE|ANYONECANPAY signature
    const coinTxid = Buffer.from(claim.ins[1]!.hash).reverse().toString('hex');
    const wallet = await loadWallet(a.ctx.store, a.ctx.nodeKey);
    const coin = wallet.utxos.find((u) => u.txid === coinTxid && u.vout === claim!.ins[1]!.index)!;
    expect(coin).toMatchObject({ spentBy: claim.getId() });
    expect(coin.height).toBeGreaterThan(0);
    const feeSat = HTLC_SAT + coin.valueSat - claim.outs.reduce((s, o) => s + BigInt(o.value), 0n);
    expect(feeSat).toBeGreaterThan(0n);
    // No payment or funding can take the locked coin while the claim is in flight.
    expect(spendableCoins(wallet).some((u) => u.txid === coinTxid && u.vout === claim!.ins[1]!.index)).toBe(false);
    const before = await walletBalanceOf(a.ctx);

    await esplora.broadcast(claim.toBuffer());
    await net.mine(1);
    const confirmedAt = await esplora.tipHeight();
    expect((await esplora.txStatus(claim.getId())).confirmed).toBe(true);
    await net.sync(a);
    // The coin is spent on chain, the change counted.
    const after = await walletBalanceOf(a.ctx);
    expect(after.confirmedSat + after.unconfirmedSat).toBe(before.confirmedSat + before.unconfirmedSat);
    expect((await loadWallet(a.ctx.store, a.ctx.nodeKey)).utxos.some((u) => u.txid === coinTxid && u.vout === claim!.ins[1]!.index)).toBe(false);

    // The payment fails once the claim is final.
    while ((await esplora.tipHeight()) < confirmedAt + ANTI_REORG_DELAY - 1) {
      await net.mine(1);
      await net.sync(a);
      await net.relay(a, b);
    }
    await net.sync(a);
    await net.relay(a, b);
    expect(await storeNodeApi(a.ctx).getPayment(paymentId)).toMatchObject({ state: 'failed' });
  }, 240_000);

  it('a child of our commitment through our anchor and a wallet coin (CPFP) brings the package to the estimate; the chain takes both', async () => {
    const net = new PipelineNet(local);
    const esplora = new EsploraClient(local.chain.url);
    const [a, b] = await Promise.all([net.node('cpfp-a', ANCHORS), net.node('cpfp-b', ANCHORS)]);
    const { channelId } = await readyChannel(local, net, a, b);
    await net.disconnect(a, b);
    await storeNodeApi(a.ctx).closeChannel(channelId, { force: true });
    const commitment = Transaction.fromHex((await net.broadcasts(a)).at(-1)!);
    const commitmentFee = CAPACITY - commitment.outs.reduce((s, o) => s + BigInt(o.value), 0n);
    // Not in the chain's mempool yet: the next block leaves the funding output unspent, the chain handler hands the commitment over again with its child.
    await net.mine(1);
    await net.sync(a);
    const sent = (await net.broadcasts(a)).map((h) => Transaction.fromHex(h));
    const child = sent.find((t) => t.ins.some((x) => Buffer.from(x.hash).reverse().toString('hex') === commitment.getId()));
    if (child === undefined) throw new Error('no child of the commitment');
    expect(sent.findIndex((t) => t.getId() === commitment.getId())).toBeLessThan(sent.indexOf(child));
    const anchorVout = child.ins[0]!.index;
    expect(BigInt(commitment.outs[anchorVout]!.value)).toBe(330n);
    expect(child.ins).toHaveLength(2);
    const coinTxid = Buffer.from(child.ins[1]!.hash).reverse().toString('hex');
    const coin = (await loadWallet(a.ctx.store, a.ctx.nodeKey)).utxos.find((u) => u.txid === coinTxid && u.vout === child.ins[1]!.index)!;
    expect(coin).toMatchObject({ spentBy: child.getId() });
    const childFee = 330n + coin.valueSat - child.outs.reduce((s, o) => s + BigInt(o.value), 0n);
    // The regtest estimate for 6 blocks: 10 sat/vB, 2,500 sat per 1,000 weight; the commitment alone pays far less.
    const packageRate = ((commitmentFee + childFee) * 1000n) / BigInt(commitment.weight() + child.weight());
    expect((commitmentFee * 1000n) / BigInt(commitment.weight())).toBeLessThan(2_500n);
    expect(packageRate).toBeGreaterThanOrEqual(2_500n);
    expect(packageRate).toBeLessThan(2_500n + 300n);
    // The next block: handed over again with the same child (not a second one).
    await net.mine(1);
    await net.sync(a);
    const again = (await net.broadcasts(a)).map((h) => Transaction.fromHex(h).getId());
    expect(again).toContain(child.getId());
    expect(new Set(again).size).toBeLessThanOrEqual(2);
    // The chain accepts the parent and the child, and confirms them in one block.
    await esplora.broadcast(commitment.toBuffer());
    await esplora.broadcast(child.toBuffer());
    await net.mine(1);
    expect((await esplora.txStatus(child.getId())).confirmed).toBe(true);
    expect((await esplora.txStatus(commitment.getId())).confirmed).toBe(true);
  });
});
