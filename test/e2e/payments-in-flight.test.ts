/**
 * Issue 16: 20 payments in flight each way through the embedded deployment
 * (the code behind `npm start`) with a channel to a real LDK node. At once,
 * we pay 20 LDK invoices with `POST /v1/payments` (each under its own
 * Idempotency-Key) while LDK pays 20 of our `POST /v1/invoices` invoices.
 * All settle: every payment `succeeded` with fee 0 (a direct channel), every
 * invoice `paid`, and `GET /v1/channels/{id}` moved by exactly what was paid
 * and received, to the millisatoshi, as LDK's own view of the channel did.
 */
import { randomBytes } from 'node:crypto';
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../shared/crypto/index.js';
import { EmbeddedWithLdk, type ApiResponse } from '../support/embedded-ldk.js';
import type { LdkNode } from '../support/ldk-node.js';
import { ldkEvents } from '../support/manager-ldk.js';

const LDK_DEPTH = 3;
const CHANNEL_SAT = 1_000_000;
/** What we push LDK at the open, so it can pay us. */
const PUSH_MSAT = 400_000_000;
const IN_FLIGHT = 20;
// Each side may have 10% of the channel (100,000 sat) in flight towards the other (both nodes' default):
// 20 × 4,000-4,690 sat fit, each HTLC above what LDK counts as dust with its fee buffer (about 3,011 sat here).
const sendAmount = (i: number) => 4_000_000 + i * 10_000;
const receiveAmount = (i: number) => 4_500_000 + i * 10_000;

let env: EmbeddedWithLdk;
let ldkNode: LdkNode;
let channelId: string;

type Json = Record<string, unknown>;

async function channel(): Promise<Json> {
  const got = await env.api(`/v1/channels/${channelId}`);
  expect(got.status).toBe(200);
  return got.body;
}

function ldkChannel(): ldk.ChannelDetails {
  return ldkNode.channelManager.list_channels().find((c) => toHex(c.get_channel_id().get_a()) === channelId)!;
}

/** A BOLT 11 invoice LDK writes for `amountMsat`. */
function ldkInvoice(amountMsat: number, description: string): string {
  const created = ldk.UtilMethods.constructor_create_invoice_from_channelmanager(
    ldkNode.channelManager,
    ldk.Option_u64Z.constructor_some(BigInt(amountMsat)),
    description,
    3600,
    ldk.Option_u16Z.constructor_none(),
  );
  if (!(created instanceof ldk.Result_Bolt11InvoiceSignOrCreationErrorZ_OK)) throw new Error('LDK could not create the invoice');
  return created.res.to_str();
}

/** `POST /v1/payments` under `key`; a 503 `busy` (the lease taken by the other payments) is retried under the same key, as a client does. */
async function pay(bolt11: string, key: string): Promise<ApiResponse> {
  for (;;) {
    const answer = await env.api('/v1/payments', { method: 'POST', body: JSON.stringify({ bolt11 }), headers: { 'content-type': 'application/json', 'idempotency-key': key } });
    if (answer.status !== 503) return answer;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** LDK sends a payment of our invoice `bolt11` under a fresh payment id (returned); it must go out now. */
function ldkPays(bolt11: string): Uint8Array {
  const parsed = ldk.Bolt11Invoice.constructor_from_str(bolt11);
  if (!(parsed instanceof ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK)) throw new Error('LDK could not parse our invoice');
  const params = ldk.UtilMethods.constructor_payment_parameters_from_invoice(parsed.res);
  if (!(params instanceof ldk.Result_C3Tuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZNoneZ_OK)) throw new Error('LDK payment parameters');
  const paymentId = Uint8Array.from(randomBytes(32));
  const sent = ldkNode.channelManager.send_payment(params.res.get_a(), params.res.get_b(), paymentId, params.res.get_c(), ldk.Retry.constructor_attempts(0));
  if (!sent.is_ok()) throw new Error(`LDK refused to send (limit ${ldkChannel().get_next_outbound_htlc_limit_msat()}, outbound ${ldkChannel().get_pending_outbound_htlcs().length}): ${sent instanceof ldk.Result_NoneRetryableSendFailureZ_Err ? ldk.RetryableSendFailure[sent.err] : 'unknown'}`);
  return paymentId;
}

/** LDK (the test plays its user) claims every claimable payment of `hashes` it has not claimed yet. */
function claimAll(hashes: Set<string>, claimed: Set<string>): void {
  for (const e of ldkEvents(ldkNode, ldk.Event_PaymentClaimable)) {
    const hash = toHex(e.payment_hash);
    if (!hashes.has(hash) || claimed.has(hash)) continue;
    const preimage = e.purpose.preimage();
    if (!(preimage instanceof ldk.Option_ThirtyTwoBytesZ_Some)) throw new Error('LDK has no preimage for the payment');
    ldkNode.channelManager.claim_funds(preimage.some);
    claimed.add(hash);
  }
}

beforeAll(async () => {
  env = await EmbeddedWithLdk.start('in-flight');
  ldkNode = await env.startLdk(83, { minimumDepth: LDK_DEPTH });
  await env.fundWallet(2_000_000);
  await env.connectLdk(ldkNode);
  const opened = await env.post('/v1/channels', { nodeId: toHex(ldkNode.nodeId), amountSat: CHANNEL_SAT, pushMsat: PUSH_MSAT });
  expect(opened.status).toBe(202);
  await env.until(() => env.chain.mempool().length > 0, 'the funding transaction in the mempool');
  const [ours] = await env.channels();
  channelId = ours!.channelId;
  await env.mineAndFeed(LDK_DEPTH, ours!.fundingTxid!);
  await env.until(async () => (await env.channels())[0]?.isUsable === true, 'our channel usable');
  await env.until(() => ldkNode.channelManager.list_usable_channels().length === 1, 'LDK usable channel');
  // LDK bounds what may sit on a commitment as dust or as fee above its own estimate by 10,000 × its estimate
  // (`max_dust_htlc_exposure`); with its estimate at the channel's feerate, 40 HTLCs fit.
  ldkNode.feeratePerKw = (ldkChannel().get_feerate_sat_per_1000_weight() as ldk.Option_u32Z_Some).some;
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

describe('20 payments in flight each way through the embedded deployment', () => {
  it('all settle, and the channel balances move by exactly what was paid and received, as LDK sees them', async () => {
    const before = await channel();
    expect(before['pendingHtlcs']).toEqual([]);
    const ldkBefore = ldkChannel().get_outbound_capacity_msat();

    // What each side will pay: LDK's invoices for us to pay, ours for LDK to pay.
    const theirInvoices = Array.from({ length: IN_FLIGHT }, (_, i) => ldkInvoice(sendAmount(i), `payout ${i}`));
    const ourInvoices: Json[] = [];
    for (let i = 0; i < IN_FLIGHT; i++) {
      const created = await env.post('/v1/invoices', { amountMsat: receiveAmount(i), description: `order ${i}`, externalId: `order-${i}` });
      expect(created.status).toBe(201);
      ourInvoices.push(created.body);
    }

    // Both directions at once: LDK's 20 sends go out while our 20 POSTs are answered.
    const posts = Promise.all(theirInvoices.map((bolt11, i) => pay(bolt11, `payout-${i}`)));
    const ldkPaymentIds = ourInvoices.map((invoice) => ldkPays(invoice['bolt11'] as string));
    const started = await posts;
    for (const answer of started) expect(answer).toMatchObject({ status: 202, body: { state: 'pending' } });
    const ours = started.map((a) => a.body as { paymentId: string; paymentHash: string });
    expect(new Set(ours.map((p) => p.paymentId)).size).toBe(IN_FLIGHT);

    // Both were in flight together: some of ours and some of LDK's HTLCs on the channel at the same moment.
    const hashes = new Set(ours.map((p) => p.paymentHash));
    const claimed = new Set<string>();
    let overlapped = false;
    const payments = async () => (await env.api('/v1/payments?limit=100')).body['payments'] as Json[];
    await env.until(
      async () => {
        const pending = ldkChannel();
        if (pending.get_pending_inbound_htlcs().length > 0 && pending.get_pending_outbound_htlcs().length > 0) overlapped = true;
        claimAll(hashes, claimed);
        const sentByLdk = ldkEvents(ldkNode, ldk.Event_PaymentSent).length;
        const done = (await payments()).filter((p) => hashes.has(p['paymentHash'] as string) && p['state'] !== 'pending').length;
        return done === IN_FLIGHT && sentByLdk === IN_FLIGHT;
      },
      'all 40 payments to settle',
      90_000,
    );
    expect(overlapped).toBe(true);

    // Every payment of ours succeeded, for its amount, with no fee (a direct channel).
    let fees = 0;
    for (const [i, p] of ours.entries()) {
      const got = (await env.api(`/v1/payments/${p.paymentId}`)).body;
      expect(got).toMatchObject({ state: 'succeeded', amountMsat: sendAmount(i), feeMsat: 0, paymentHash: p.paymentHash });
      fees += got['feeMsat'] as number;
    }
    // LDK sent each of its own, and every invoice of ours is paid with what it asked.
    expect(ldkEvents(ldkNode, ldk.Event_PaymentFailed)).toEqual([]);
    const sentIds = new Set(ldkEvents(ldkNode, ldk.Event_PaymentSent).map((e) => toHex((e.payment_id as ldk.Option_ThirtyTwoBytesZ_Some).some)));
    expect(ldkPaymentIds.every((id) => sentIds.has(toHex(id)))).toBe(true);
    for (const [i, invoice] of ourInvoices.entries()) {
      const hash = invoice['paymentHash'] as string;
      await env.until(async () => (await env.api(`/v1/invoices/${hash}`)).body['state'] === 'paid', `invoice ${i} paid`);
      expect((await env.api(`/v1/invoices/${hash}`)).body).toMatchObject({ state: 'paid', receivedMsat: receiveAmount(i), externalId: `order-${i}` });
    }

    // Nothing left in flight on either side; the balances moved by exactly what was paid and received.
    await env.until(async () => ((await channel())['pendingHtlcs'] as unknown[]).length === 0, 'no HTLC left on our side');
    await env.until(() => ldkChannel().get_pending_inbound_htlcs().length === 0 && ldkChannel().get_pending_outbound_htlcs().length === 0, 'no HTLC left on LDK');
    const sent = ours.reduce((sum, _, i) => sum + sendAmount(i), 0);
    const received = ourInvoices.reduce((sum, _, i) => sum + receiveAmount(i), 0);
    const after = await channel();
    expect(after['localBalanceMsat']).toBe((before['localBalanceMsat'] as number) - sent - fees + received);
    expect(after['remoteBalanceMsat']).toBe((before['remoteBalanceMsat'] as number) + sent - received);
    // LDK's side of the same channel: its balance (less the fixed reserve we require of it) moved by the opposite amount.
    expect(ldkChannel().get_outbound_capacity_msat() - ldkBefore).toBe(BigInt(sent - received));
  }, 150_000);
});
