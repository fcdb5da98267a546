/**
 * Multi-part sending over the HTTP API end to end (docs/payments-outbound.md,
 * "Multi-part routes"): the embedded deployment with two channels to a real
 * LDK node. `POST /v1/payments` with an LDK invoice (basic_mpp) larger than
 * either channel can send pays it in two parts, LDK claims once with both,
 * and the payment ends `succeeded`; an invoice larger than both channels
 * together is `insufficient-balance`, storing and paying nothing.
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, sha256, toHex } from '../../shared/crypto/index.js';
import { EmbeddedWithLdk, type ApiResponse } from '../support/embedded-ldk.js';
import type { LdkNode } from '../support/ldk-node.js';
import { ldkEvents } from '../support/manager-ldk.js';

const LDK_DEPTH = 3;
const CHANNEL_SAT = 250_000;

let env: EmbeddedWithLdk;
let ldkNode: LdkNode;

function ldkInvoice(amountMsat: bigint, description: string): string {
  const created = ldk.UtilMethods.constructor_create_invoice_from_channelmanager(ldkNode.channelManager, ldk.Option_u64Z.constructor_some(amountMsat), description, 3600, ldk.Option_u16Z.constructor_none());
  if (!(created instanceof ldk.Result_Bolt11InvoiceSignOrCreationErrorZ_OK)) throw new Error('LDK could not create the invoice');
  return created.res.to_str();
}

function pay(body: unknown, key: string): Promise<ApiResponse> {
  return env.api('/v1/payments', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', 'idempotency-key': key } });
}

beforeAll(async () => {
  env = await EmbeddedWithLdk.start('mpp-payments');
  ldkNode = await env.startLdk(79, { minimumDepth: LDK_DEPTH });
  await env.fundWallet(1_000_000);
  await env.connectLdk(ldkNode);
  for (let i = 0; i < 2; i++) {
    const opened = await env.post('/v1/channels', { nodeId: toHex(ldkNode.nodeId), amountSat: CHANNEL_SAT });
    expect(opened.status).toBe(202);
    // The new channel's funding transaction: the one in the mempool.
    let txid: string | undefined;
    await env.until(async () => {
      const pool = new Set(env.chain.mempool().map((e) => e.txid));
      txid = (await env.channels()).map((c) => c.fundingTxid).find((t) => t !== undefined && t !== null && pool.has(t)) ?? undefined;
      return txid !== undefined;
    }, 'the funding transaction in the mempool');
    await env.mineAndFeed(LDK_DEPTH, txid!);
  }
  await env.until(async () => (await env.channels()).filter((c) => c.isUsable).length === 2, 'our two channels usable');
  await env.until(() => ldkNode.channelManager.list_usable_channels().length === 2, 'LDK two usable channels');
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

describe('multi-part payments over the HTTP API, with LDK as the payee', () => {
  it('pays an invoice larger than either channel in two parts; LDK claims once; the payment succeeds', async () => {
    // LDK lets 10% of a channel be in flight: 25,000 sat per channel, 50,000 together.
    const amountMsat = 40_000_000n;
    const started = await pay({ bolt11: ldkInvoice(amountMsat, 'big order') }, 'mpp-1');
    expect(started.status).toBe(202);
    const { paymentId, paymentHash } = started.body as { paymentId: string; paymentHash: string };
    await env.until(() => {
      const claimable = ldkEvents(ldkNode, ldk.Event_PaymentClaimable).find((e) => toHex(e.payment_hash) === paymentHash);
      if (claimable === undefined) return false;
      expect(claimable.amount_msat).toBe(amountMsat);
      ldkNode.channelManager.claim_funds((claimable.purpose.preimage() as ldk.Option_ThirtyTwoBytesZ_Some).some);
      return true;
    }, 'LDK PaymentClaimable for the total');
    await env.until(async () => (await env.api(`/v1/payments/${paymentId}`)).body['state'] !== 'pending', 'the payment settles', 30_000);
    const done = (await env.api(`/v1/payments/${paymentId}`)).body;
    expect(done).toMatchObject({ state: 'succeeded', amountMsat: Number(amountMsat), feeMsat: 0 });
    expect(toHex(sha256(fromHex(done['preimage'] as string)))).toBe(paymentHash);
    await env.until(() => ldkEvents(ldkNode, ldk.Event_PaymentClaimed).some((e) => toHex(e.payment_hash) === paymentHash), 'LDK PaymentClaimed');
    const claimed = ldkEvents(ldkNode, ldk.Event_PaymentClaimed).filter((e) => toHex(e.payment_hash) === paymentHash);
    expect(claimed).toHaveLength(1);
    expect(claimed[0]!.htlcs.length).toBe(2);
  }, 60_000);

  it('refuses an invoice the two channels cannot carry together: insufficient-balance', async () => {
    const count = async () => ((await env.api('/v1/payments?limit=100')).body['payments'] as unknown[]).length;
    const before = await count();
    const claimables = ldkEvents(ldkNode, ldk.Event_PaymentClaimable).length;
    const tooMuch = await pay({ bolt11: ldkInvoice(60_000_000n, 'too big') }, 'mpp-2');
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body['code']).toBe('insufficient-balance');
    expect(String(tooMuch.body['message'])).toContain('together');
    expect(await count()).toBe(before);
    expect(ldkEvents(ldkNode, ldk.Event_PaymentClaimable)).toHaveLength(claimables);
  }, 30_000);
});
