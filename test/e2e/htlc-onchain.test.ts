/**
 * HTLCs resolved on chain, end to end through the embedded deployment (the
 * code behind `npm start`) with real LDK on the embedded regtest chain
 * (issue 17; docs/force-close.md, "HTLCs on their commitment", "HTLCs on our
 * commitment", "HTLCs we offered, resolved on chain"). static_remotekey
 * channels, each scenario on a channel of its own:
 *
 * 1. we pay LDK, LDK holds the HTLC; we force-close (LDK offline), then LDK
 *    claims the payment: its preimage spend of the HTLC output on our
 *    commitment shows our chain handler the preimage, and our payment is
 *    `succeeded` with it (one `payment-sent`); our `to_local` reaches the
 *    wallet after LDK's `to_self_delay`. Again with LDK force-closing: its
 *    HTLC-success transaction on its own commitment shows the preimage;
 * 2. LDK pays our invoice, our node claims it, the network fails as our
 *    `update_fulfill_htlc` goes out; LDK force-closes: our chain handler
 *    takes the HTLC output of LDK's commitment with the preimage, the wallet
 *    gains it minus the claim's fee, and LDK learns the preimage from the
 *    chain (`PaymentSent`);
 * 3. we pay LDK, LDK never claims; we force-close: our HTLC-timeout
 *    transaction goes out at the HTLC's expiry, the payment is `failed` once
 *    it has 6 confirmations, and its output and our `to_local` reach the
 *    wallet after LDK's `to_self_delay`. Again with LDK force-closing: our
 *    timeout sweep of the HTLC output of its commitment after the expiry.
 * In each, `GET /v1/wallet` ends with every satoshi the chain paid us.
 */
import { Transaction } from 'bitcoinjs-lib';
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, sha256, toHex } from '../../shared/crypto/index.js';
import { ANTI_REORG_DELAY } from '../../shared/monitor/index.js';
import { EmbeddedWithLdk, type ApiResponse } from '../support/embedded-ldk.js';
import type { LdkNode } from '../support/ldk-node.js';
import { ldkEvents } from '../support/manager-ldk.js';

const LDK_DEPTH = 3;
/** Ours as fundee (the default handshake config). */
const OUR_DEPTH = 6;
const CHANNEL_SAT = 250_000;
/** Below LDK's in-flight limit (10% of the channel), far above dust. */
const HTLC_SAT = 20_000;

let env: EmbeddedWithLdk;
let ldkNode: LdkNode;

type Json = Record<string, unknown>;
type PaymentJson = { paymentId: string; paymentHash: string; state: string; preimage: string | null; failureReason: string | null };

beforeAll(async () => {
  env = await EmbeddedWithLdk.start('htlc-onchain');
  ldkNode = await env.startLdk(84, { minimumDepth: LDK_DEPTH });
  await env.fundWallet(1_000_000);
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

async function wallet(): Promise<{ confirmedSat: number; unconfirmedSat: number }> {
  return (await env.api('/v1/wallet')).body as { confirmedSat: number; unconfirmedSat: number };
}

async function events(): Promise<Json[]> {
  return (await env.api('/v1/events')).body['events'] as Json[];
}

async function payment(id: string): Promise<PaymentJson> {
  const got = await env.api(`/v1/payments/${id}`);
  expect(got.status).toBe(200);
  return got.body as unknown as PaymentJson;
}

/** A fresh connection with LDK: earlier ones (dropped or gone dark) closed first. */
async function reconnect(): Promise<void> {
  ldkNode.dropConnections();
  await env.until(async () => (await env.peerCount()) === 0, 'our node to see LDK gone');
  await env.connectLdk(ldkNode);
}

/** Drops the connection with LDK, so that what one side does next reaches the other only through the chain. */
async function disconnect(): Promise<void> {
  ldkNode.dropConnections();
  await env.until(async () => (await env.peerCount()) === 0, 'our node to see LDK gone');
}

/** We open a {@link CHANNEL_SAT} channel to LDK (nothing pushed); resolves with its id once both sides can use it. */
async function weOpenToLdk(): Promise<string> {
  const before = new Set((await env.channels()).map((c) => c.channelId));
  expect((await env.post('/v1/channels', { nodeId: toHex(ldkNode.nodeId), amountSat: CHANNEL_SAT })).status).toBe(202);
  await env.until(async () => (await env.channels()).some((c) => !before.has(c.channelId) && c.state === 'awaiting-confirmation'), 'our channel funded');
  const pending = (await env.channels()).find((c) => !before.has(c.channelId))!;
  await env.inMempool(pending.fundingTxid!, 'the funding transaction in the mempool');
  await env.mineAndFeed(LDK_DEPTH, pending.fundingTxid!);
  await env.until(async () => (await env.channels()).find((c) => c.channelId === pending.channelId)?.isUsable === true, 'our channel usable');
  await env.until(() => ldkNode.channelManager.list_usable_channels().some((c) => toHex(c.get_channel_id().get_a()) === pending.channelId), 'LDK: the channel usable');
  return pending.channelId;
}

/** A BOLT 11 invoice of LDK's for `amountMsat`. */
function ldkInvoice(amountMsat: bigint, description: string): string {
  const created = ldk.UtilMethods.constructor_create_invoice_from_channelmanager(ldkNode.channelManager, ldk.Option_u64Z.constructor_some(amountMsat), description, 3600, ldk.Option_u16Z.constructor_none());
  if (!(created instanceof ldk.Result_Bolt11InvoiceSignOrCreationErrorZ_OK)) throw new Error('LDK could not create the invoice');
  return created.res.to_str();
}

/** We pay an invoice of LDK's for {@link HTLC_SAT}; resolves once LDK holds the HTLC as claimable (not claimed), with the preimage LDK would claim it with. */
async function wePayLdkWhoHolds(key: string): Promise<{ paymentId: string; paymentHash: string; preimage: Uint8Array }> {
  const started = await env.api('/v1/payments', {
    method: 'POST',
    body: JSON.stringify({ bolt11: ldkInvoice(BigInt(HTLC_SAT) * 1000n, key) }),
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
  });
  expect(started.status).toBe(202);
  const { paymentId, paymentHash } = started.body as { paymentId: string; paymentHash: string };
  const claimable = () => ldkEvents(ldkNode, ldk.Event_PaymentClaimable).find((e) => toHex(e.payment_hash) === paymentHash);
  await env.until(() => claimable() !== undefined, 'LDK PaymentClaimable');
  const preimage = claimable()!.purpose.preimage();
  if (!(preimage instanceof ldk.Option_ThirtyTwoBytesZ_Some)) throw new Error('LDK has no preimage for the payment');
  expect((await payment(paymentId)).state).toBe('pending');
  return { paymentId, paymentHash, preimage: preimage.some };
}

/** We force-close `channelId` through the API; resolves with our commitment once it is in the mempool. */
async function weForceClose(channelId: string): Promise<Transaction> {
  const closed: ApiResponse = await env.post(`/v1/channels/${channelId}/close`, { force: true });
  expect(closed.status).toBe(202);
  expect(closed.body).toMatchObject({ state: 'closed', closure: { reason: 'holder-force-closed' } });
  const txid = (closed.body['closure'] as { txid: string }).txid;
  await env.inMempool(txid, 'our commitment in the mempool');
  return env.chain.transaction(txid)!.tx;
}

/** LDK force-closes `channelId` (its `error` reaches nobody when disconnected); resolves with its commitment once it is in the mempool. */
async function ldkForceCloses(channelId: string): Promise<Transaction> {
  const broadcastsBefore = ldkNode.broadcasts.length;
  expect(ldkNode.channelManager.force_close_broadcasting_latest_txn(ldk.ChannelId.constructor_new(fromHex(channelId)), fromHex(env.node.nodeId), 'test').is_ok()).toBeTruthy();
  await env.until(() => ldkNode.broadcasts.length > broadcastsBefore, 'LDK broadcasts its commitment');
  const commitment = Transaction.fromBuffer(ldkNode.broadcasts[broadcastsBefore]!);
  await env.inMempool(commitment.getId(), "LDK's commitment in the mempool");
  return commitment;
}

/** The output of `tx` worth exactly {@link HTLC_SAT}: the HTLC's. */
function htlcVoutOf(tx: Transaction): number {
  const vout = tx.outs.findIndex((o) => o.value === BigInt(HTLC_SAT));
  expect(vout).toBeGreaterThanOrEqual(0);
  return vout;
}

/** Mines `blocks` at a time (every transaction fed to LDK) until `funds-swept` of `channelId` names `count` sweeps; returns their amounts. */
async function sweepsOf(channelId: string, count: number, blocks: number): Promise<number[]> {
  let swept: Json[] = [];
  for (let i = 0; i < 60 && swept.length < count; i++) {
    await env.mineAndFeedAll(blocks);
    swept = (await events()).filter((e) => e['kind'] === 'funds-swept' && e['channelId'] === channelId);
  }
  expect(swept).toHaveLength(count);
  return swept.map((e) => Number(e['amountSat']));
}

/** Mines until a transaction spending `tx`'s output `vout` confirmed (fed to LDK); returns what its first output pays. */
async function confirmedSpendOf(tx: Transaction, vout: number): Promise<number> {
  for (let i = 0; i < 10; i++) {
    await env.mineAndFeedAll(1);
    const spender = env.chain.outspend(tx.getId(), vout);
    const found = spender === undefined ? undefined : env.chain.transaction(spender.txid);
    if (found?.block !== undefined) return Number(found.tx.outs[0]!.value);
  }
  throw new Error(`no confirmed spend of ${tx.getId()}:${vout}`);
}

const capacityOf = (commitment: Transaction, fundingSat: number) => fundingSat - commitment.outs.reduce((s, o) => s + Number(o.value), 0);
const spentBy = (tx: Transaction, txid: string, vout: number) => tx.ins.some((x) => Buffer.from(x.hash).reverse().toString('hex') === txid && x.index === vout);
const eventsOfPayment = async (paymentId: string) => (await events()).filter((e) => (e['kind'] === 'payment-sent' || e['kind'] === 'payment-failed') && e['paymentId'] === paymentId);

describe('HTLCs resolved on chain with LDK', () => {
  it('an HTLC we sent is claimed by LDK on chain with the preimage, which our monitor learns and reports as PaymentSent', async () => {
    await reconnect();
    const channelId = await weOpenToLdk();
    const { paymentId, paymentHash, preimage } = await wePayLdkWhoHolds('onchain-sent');
    const before = await wallet();

    // LDK offline; our commitment (our to_local and the HTLC we offered) confirms; LDK sees it and closes its side.
    await disconnect();
    const commitment = await weForceClose(channelId);
    const htlcVout = htlcVoutOf(commitment);
    await env.mineAndFeed(1, commitment.getId());
    await env.until(() => !ldkNode.channelManager.list_channels().some((c) => toHex(c.get_channel_id().get_a()) === channelId), 'LDK closed the channel');
    expect((await payment(paymentId)).state).toBe('pending');

    // LDK's user claims the payment now: LDK spends the HTLC output of our commitment with the preimage.
    ldkNode.channelManager.claim_funds(preimage);
    await env.until(() => ldkNode.broadcasts.some((b) => spentBy(Transaction.fromBuffer(b), commitment.getId(), htlcVout)), "LDK's preimage claim");
    const claim = Transaction.fromBuffer(ldkNode.broadcasts.find((b) => spentBy(Transaction.fromBuffer(b), commitment.getId(), htlcVout))!);
    expect(claim.ins.flatMap((x) => x.witness).some((w) => toHex(w) === toHex(preimage))).toBe(true);
    await env.inMempool(claim.getId(), "LDK's claim in the mempool");
    await env.mineAndFeedAll(1);
    expect(env.chain.transaction(claim.getId())?.block).toBeDefined();

    // Our chain handler sees the preimage in its witness: the payment succeeded with it, at once.
    await env.until(async () => (await payment(paymentId)).state !== 'pending', 'our payment settled', 30_000);
    const done = await payment(paymentId);
    expect(done).toMatchObject({ state: 'succeeded', paymentHash, preimage: toHex(preimage), failureReason: null });
    expect(toHex(sha256(fromHex(done.preimage!)))).toBe(paymentHash);

    // Our to_local (the channel less the HTLC and the commitment fee) reaches the wallet after LDK's to_self_delay.
    const toLocal = commitment.outs.map((o) => Number(o.value)).filter((_, i) => i !== htlcVout);
    expect(toLocal).toHaveLength(1);
    expect(toLocal[0]! + HTLC_SAT + capacityOf(commitment, CHANNEL_SAT)).toBe(CHANNEL_SAT);
    const [swept] = await sweepsOf(channelId, 1, 10);
    expect(swept).toBeLessThan(toLocal[0]!);
    expect(swept).toBeGreaterThan(toLocal[0]! - 2_000);
    await env.until(async () => (await wallet()).confirmedSat === before.confirmedSat + before.unconfirmedSat + swept!, 'the wallet counts the sweep');
    // Exactly one payment-sent, however many blocks the chain handler saw the claim in.
    expect(await eventsOfPayment(paymentId)).toEqual([expect.objectContaining({ kind: 'payment-sent', paymentHash, preimage: toHex(preimage) })]);
    expect((await payment(paymentId)).state).toBe('succeeded');
  }, 300_000);

  it('an HTLC we sent, on LDK\'s commitment after LDK force-closes, is claimed by its HTLC-success transaction: the preimage settles our payment', async () => {
    await reconnect();
    const channelId = await weOpenToLdk();
    const { paymentId, paymentHash, preimage } = await wePayLdkWhoHolds('onchain-sent-their-commitment');
    const before = await wallet();
    await disconnect();
    const commitment = await ldkForceCloses(channelId);
    const htlcVout = htlcVoutOf(commitment);
    await env.mineAndFeedAll(1);
    await env.until(async () => (await env.api(`/v1/channels/${channelId}`)).body['state'] === 'closed', 'our channel closed');
    expect((await env.api(`/v1/channels/${channelId}`)).body['closure']).toMatchObject({ reason: 'counterparty-force-closed', txid: commitment.getId() });

    // Our to_remote (the channel less the HTLC and the commitment fee: we funded it) is swept at once; the HTLC output waits.
    const toRemote = commitment.outs.map((o) => Number(o.value)).filter((_, i) => i !== htlcVout);
    expect(toRemote).toHaveLength(1);
    expect(toRemote[0]! + HTLC_SAT + capacityOf(commitment, CHANNEL_SAT)).toBe(CHANNEL_SAT);
    // (Confirmed at once; its funds-swept comes once it is final, 6 blocks: LDK's user claims before, far from the HTLC's expiry.)
    const swept = await confirmedSpendOf(commitment, commitment.outs.findIndex((_, i) => i !== htlcVout));
    expect(swept).toBeLessThan(toRemote[0]!);
    expect(swept).toBeGreaterThan(toRemote[0]! - 2_000);
    expect(env.chain.outspend(commitment.getId(), htlcVout)).toBeUndefined();
    expect((await payment(paymentId)).state).toBe('pending');

    // LDK's user claims now: LDK's HTLC-success transaction (our signature from the commitment dance, its preimage) takes the output.
    ldkNode.channelManager.claim_funds(preimage);
    await env.until(() => env.chain.outspend(commitment.getId(), htlcVout) !== undefined, "LDK's HTLC-success in the mempool");
    const success = env.chain.transaction(env.chain.outspend(commitment.getId(), htlcVout)!.txid)!.tx;
    expect(success.ins.flatMap((x) => x.witness).some((w) => toHex(w) === toHex(preimage))).toBe(true);
    await env.mineAndFeedAll(1);
    expect(env.chain.transaction(success.getId())?.block).toBeDefined();
    await env.until(async () => (await payment(paymentId)).state !== 'pending', 'our payment settled', 30_000);
    expect(await payment(paymentId)).toMatchObject({ state: 'succeeded', paymentHash, preimage: toHex(preimage), failureReason: null });

    // Nothing more is ours: the wallet holds the to_remote sweep, and the payment was reported once.
    for (let i = 0; i < 3; i++) await env.mineAndFeedAll(3);
    await env.until(async () => (await wallet()).confirmedSat === before.confirmedSat + before.unconfirmedSat + swept!, 'the wallet counts the sweep');
    expect((await events()).filter((e) => e['kind'] === 'funds-swept' && e['channelId'] === channelId)).toHaveLength(1);
    expect(await eventsOfPayment(paymentId)).toEqual([expect.objectContaining({ kind: 'payment-sent', paymentHash, preimage: toHex(preimage) })]);
  }, 300_000);

  it('an HTLC LDK sent to us that we hold the preimage for is claimed on chain by us after LDK force-closes', async () => {
    await reconnect();
    // LDK opens and funds a channel to us (nothing pushed: all we will have is the HTLC).
    const readyBefore = ldkEvents(ldkNode, ldk.Event_FundingGenerationReady).length;
    expect(ldkNode.channelManager.create_channel(fromHex(env.node.nodeId), BigInt(CHANNEL_SAT), 0n, 2n, null, null).is_ok()).toBeTruthy();
    await env.until(() => ldkEvents(ldkNode, ldk.Event_FundingGenerationReady).length > readyBefore, 'LDK FundingGenerationReady');
    const fundingTxid = env.fundLdkChannel(ldkNode, ldkEvents(ldkNode, ldk.Event_FundingGenerationReady).at(-1)!, 'htlc-onchain-funder');
    await env.inMempool(fundingTxid, "LDK's funding transaction in the mempool");
    await env.until(async () => (await env.channels()).some((c) => c.fundingTxid === fundingTxid), 'our inbound channel');
    await env.mineAndFeed(OUR_DEPTH, fundingTxid);
    await env.until(async () => (await env.channels()).find((c) => c.fundingTxid === fundingTxid)?.isUsable === true, 'our inbound channel usable');
    const channelId = (await env.channels()).find((c) => c.fundingTxid === fundingTxid)!.channelId;
    await env.until(() => ldkNode.channelManager.list_usable_channels().some((c) => toHex(c.get_channel_id().get_a()) === channelId), 'LDK: the channel usable');

    const created = await env.post('/v1/invoices', { amountMsat: HTLC_SAT * 1000, description: 'paid on chain', externalId: 'onchain-received' });
    expect(created.status).toBe(201);
    const hash = created.body['paymentHash'] as string;
    // The network fails once LDK holds the HTLC on its own commitment (it sent its last revoke_and_ack): our update_fulfill_htlc never reaches it.
    ldkNode.goDarkBefore = () =>
      ldkNode.chainMonitor.get_claimable_balances([]).some((b) => b instanceof ldk.Balance_MaybeTimeoutClaimableHTLC && toHex(b.payment_hash) === hash);
    const ldkPaymentId = await env.ldkPays(ldkNode, created.body['bolt11'] as string);
    await env.until(async () => (await env.api(`/v1/invoices/${hash}`)).body['state'] === 'paid', 'our node claimed the payment');
    await env.until(() => ldkNode.goDarkBefore === undefined, 'the network to fail as our fulfill goes out');
    expect(ldkEvents(ldkNode, ldk.Event_PaymentSent)).toHaveLength(0);

    // LDK force-closes (its error is lost too); its commitment, with the HTLC it offered us, confirms.
    const commitment = await ldkForceCloses(channelId);
    const htlcVout = htlcVoutOf(commitment);
    // Nothing else of it is ours: we had no balance but the HTLC.
    expect(commitment.outs).toHaveLength(2);
    const before = await wallet();
    await env.mineAndFeedAll(1);

    // Our chain handler closes the channel and claims the HTLC output with the preimage, at once.
    await env.until(async () => (await env.api(`/v1/channels/${channelId}`)).body['state'] === 'closed', 'our channel closed');
    expect((await env.api(`/v1/channels/${channelId}`)).body['closure']).toMatchObject({ reason: 'counterparty-force-closed', txid: commitment.getId() });
    const [swept] = await sweepsOf(channelId, 1, 1);
    const spender = env.chain.outspend(commitment.getId(), htlcVout);
    expect(spender).toBeDefined();
    const claim = env.chain.transaction(spender!.txid)!.tx;
    expect(claim.outs).toHaveLength(1);
    expect(Number(claim.outs[0]!.value)).toBe(swept);
    expect(swept).toBeLessThan(HTLC_SAT);
    expect(swept).toBeGreaterThan(HTLC_SAT - 2_000);
    await env.until(async () => (await wallet()).confirmedSat === before.confirmedSat + before.unconfirmedSat + swept!, 'the wallet counts the claim');

    // LDK learns the preimage from our claim: its payment succeeded too.
    const outcome = await env.ldkPaymentOutcome(ldkNode, ldkPaymentId);
    expect(outcome).toBeInstanceOf(ldk.Event_PaymentSent);
    expect(toHex(sha256((outcome as ldk.Event_PaymentSent).payment_preimage))).toBe(hash);
    // What our user sees: the invoice paid once, one payment-received.
    expect((await env.api(`/v1/invoices/${hash}`)).body).toMatchObject({ state: 'paid', receivedMsat: HTLC_SAT * 1000, externalId: 'onchain-received' });
    expect((await events()).filter((e) => e['kind'] === 'payment-received' && e['paymentHash'] === hash)).toHaveLength(1);
  }, 300_000);

  it('an HTLC of ours that times out is reclaimed by HTLC-timeout', async () => {
    await reconnect();
    const channelId = await weOpenToLdk();
    const { paymentId, paymentHash } = await wePayLdkWhoHolds('onchain-timeout');
    const before = await wallet();

    // LDK never claims. We force-close (LDK offline): our commitment holds our to_local and the HTLC we offered.
    await disconnect();
    const commitment = await weForceClose(channelId);
    const htlcVout = htlcVoutOf(commitment);
    await env.mineAndFeed(1, commitment.getId());

    // Our HTLC-timeout transaction goes out once the chain reaches the HTLC's expiry, and confirms.
    let htlcTimeout: Transaction | undefined;
    for (let i = 0; i < 200 && htlcTimeout === undefined; i++) {
      expect((await payment(paymentId)).state).toBe('pending');
      await env.mineAndFeedAll(1);
      const spender = env.chain.outspend(commitment.getId(), htlcVout);
      if (spender !== undefined && env.chain.transaction(spender.txid)?.block !== undefined) htlcTimeout = env.chain.transaction(spender.txid)!.tx;
    }
    expect(htlcTimeout).toBeDefined();
    const confirmedAt = env.chain.transaction(htlcTimeout!.getId())!.block!.height;
    expect(htlcTimeout!.locktime).toBeGreaterThan(0);
    expect(htlcTimeout!.locktime).toBeLessThan(confirmedAt);
    // Pre-signed by LDK: <> <their sig> <our sig> <> <script>.
    expect(htlcTimeout!.ins[0]!.witness).toHaveLength(5);

    // Pending until the HTLC-timeout transaction has ANTI_REORG_DELAY confirmations, then failed.
    while (env.chain.tip().height < confirmedAt + ANTI_REORG_DELAY - 1) {
      expect((await payment(paymentId)).state).toBe('pending');
      await env.mineAndFeed(1, '');
    }
    await env.until(async () => (await payment(paymentId)).state !== 'pending', 'our payment settled', 30_000);
    expect(await payment(paymentId)).toMatchObject({ state: 'failed', paymentHash, preimage: null });
    expect(await eventsOfPayment(paymentId)).toEqual([expect.objectContaining({ kind: 'payment-failed', paymentHash })]);

    // Its output and our to_local reach the wallet after LDK's to_self_delay: every satoshi but the fees.
    const toLocal = commitment.outs.map((o) => Number(o.value)).filter((_, i) => i !== htlcVout);
    expect(toLocal).toHaveLength(1);
    const swept = await sweepsOf(channelId, 2, 10);
    const claimed = toLocal[0]! + Number(htlcTimeout!.outs[0]!.value);
    const total = swept.reduce((s, v) => s + v, 0);
    expect(total).toBeLessThan(claimed);
    expect(total).toBeGreaterThan(claimed - 3_000);
    expect(Number(htlcTimeout!.outs[0]!.value)).toBeGreaterThan(HTLC_SAT - 2_000);
    await env.until(async () => (await wallet()).confirmedSat === before.confirmedSat + before.unconfirmedSat + total, 'the wallet counts both sweeps');
    expect((await payment(paymentId)).state).toBe('failed');
  }, 400_000);

  it('an HTLC of ours that times out on LDK\'s commitment is taken back by our timeout sweep', async () => {
    await reconnect();
    const channelId = await weOpenToLdk();
    const { paymentId, paymentHash } = await wePayLdkWhoHolds('onchain-timeout-their-commitment');
    const before = await wallet();
    await disconnect();
    const commitment = await ldkForceCloses(channelId);
    const htlcVout = htlcVoutOf(commitment);
    await env.mineAndFeedAll(1);

    // Our to_remote at once; the HTLC output once the chain passed its expiry, by a sweep of its own (nLockTime = the expiry, witness <sig> <> <script>).
    let timeoutSweep: Transaction | undefined;
    for (let i = 0; i < 200 && timeoutSweep === undefined; i++) {
      expect((await payment(paymentId)).state).toBe('pending');
      await env.mineAndFeedAll(1);
      const spender = env.chain.outspend(commitment.getId(), htlcVout);
      if (spender !== undefined && env.chain.transaction(spender.txid)?.block !== undefined) timeoutSweep = env.chain.transaction(spender.txid)!.tx;
    }
    expect(timeoutSweep).toBeDefined();
    const confirmedAt = env.chain.transaction(timeoutSweep!.getId())!.block!.height;
    expect(timeoutSweep!.ins.map((x) => x.index)).toEqual([htlcVout]);
    expect(timeoutSweep!.locktime).toBeGreaterThan(0);
    expect(timeoutSweep!.locktime).toBeLessThan(confirmedAt);
    expect(timeoutSweep!.ins[0]!.witness.map((w) => w.length)).toEqual([expect.any(Number), 0, expect.any(Number)]);

    while (env.chain.tip().height < confirmedAt + ANTI_REORG_DELAY - 1) {
      expect((await payment(paymentId)).state).toBe('pending');
      await env.mineAndFeed(1, '');
    }
    await env.until(async () => (await payment(paymentId)).state !== 'pending', 'our payment settled', 30_000);
    expect(await payment(paymentId)).toMatchObject({ state: 'failed', paymentHash, preimage: null });
    expect(await eventsOfPayment(paymentId)).toEqual([expect.objectContaining({ kind: 'payment-failed', paymentHash })]);

    // Every satoshi: to_remote and the HTLC, each less its claim's fee.
    const toRemote = commitment.outs.map((o) => Number(o.value)).filter((_, i) => i !== htlcVout);
    expect(toRemote).toHaveLength(1);
    const swept = (await events()).filter((e) => e['kind'] === 'funds-swept' && e['channelId'] === channelId).map((e) => Number(e['amountSat']));
    expect(swept).toHaveLength(2);
    expect(swept).toContain(Number(timeoutSweep!.outs[0]!.value));
    const total = swept.reduce((s, v) => s + v, 0);
    expect(total).toBeLessThan(toRemote[0]! + HTLC_SAT);
    expect(total).toBeGreaterThan(toRemote[0]! + HTLC_SAT - 3_000);
    await env.until(async () => (await wallet()).confirmedSat === before.confirmedSat + before.unconfirmedSat + total, 'the wallet counts both sweeps');
  }, 400_000);
});
