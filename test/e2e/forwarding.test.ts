/**
 * Forwarding end to end (issue 18; docs/forwarding.md): the embedded
 * deployment (what `npm start` runs) between two real LDK nodes. The payer
 * opens a channel to us, we open one to the payee; the payee's invoice
 * carries a route hint through us (LDK took our `channel_update`). The
 * payer pays it through us: its `PaymentSent` fee is our policy's 1,000
 * msat, `GET /v1/events` shows our `payment-forwarded` with both channels,
 * and our two channel views move by exactly the amounts. A payment the payee
 * fails comes back to the payer as a failure, our balances unchanged.
 * `GET /v1/node/policy` answers the policy in force.
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { EmbeddedWithLdk } from '../support/embedded-ldk.js';
import type { LdkNode } from '../support/ldk-node.js';
import { ldkEvents } from '../support/manager-ldk.js';

/** Ours as fundee (the default handshake config); LDK's as fundee. */
const OUR_DEPTH = 6;
const LDK_DEPTH = 3;
const FEE_MSAT = 1_000;

let env: EmbeddedWithLdk;
let payer: LdkNode;
let payee: LdkNode;
/** Our channel with the payer (inbound) and with the payee (outbound), hex channel ids. */
let fromPayer: string;
let toPayee: string;

type Json = Record<string, unknown>;

function invoiceOf(amountMsat: bigint, description: string): ldk.Bolt11Invoice {
  const made = ldk.UtilMethods.constructor_create_invoice_from_channelmanager(payee.channelManager, ldk.Option_u64Z.constructor_some(amountMsat), description, 3600, ldk.Option_u16Z.constructor_none());
  if (!(made instanceof ldk.Result_Bolt11InvoiceSignOrCreationErrorZ_OK)) throw new Error('LDK could not create the invoice');
  return made.res;
}

async function channel(id: string): Promise<Json> {
  const got = await env.api(`/v1/channels/${id}`);
  expect(got.status).toBe(200);
  return got.body;
}

async function balances(): Promise<{ in: number; out: number }> {
  return { in: (await channel(fromPayer))['localBalanceMsat'] as number, out: (await channel(toPayee))['localBalanceMsat'] as number };
}

async function events(): Promise<Json[]> {
  return (await env.api('/v1/events')).body['events'] as Json[];
}

const noHtlcs = async () => (await env.channels()).every((c) => c.pendingHtlcs.length === 0);

beforeAll(async () => {
  env = await EmbeddedWithLdk.start('forwarding');
  payer = await env.startLdk(101, { minimumDepth: LDK_DEPTH });
  payee = await env.startLdk(102, { minimumDepth: LDK_DEPTH });
  await env.fundWallet(1_000_000);
  await env.connectLdk(payer);
  await env.connectLdk(payee);

  // The payer -> us: 300,000 sat, LDK funds.
  expect(payer.channelManager.create_channel(fromHex(env.node.nodeId), 300_000n, 0n, 1n, null, null).is_ok()).toBeTruthy();
  await env.until(() => payer.events.some((e) => e instanceof ldk.Event_FundingGenerationReady), 'payer FundingGenerationReady');
  const ready = payer.events.find((e): e is ldk.Event_FundingGenerationReady => e instanceof ldk.Event_FundingGenerationReady)!;
  const payerTxid = env.fundLdkChannel(payer, ready, 'forwarding-payer');
  await env.inMempool(payerTxid, "the payer's funding transaction in the mempool");
  await env.until(async () => (await env.channels()).some((c) => c.fundingTxid === payerTxid), 'our inbound channel');

  // Us -> the payee: 300,000 sat, we fund.
  const opened = await env.post('/v1/channels', { nodeId: toHex(payee.nodeId), amountSat: 300_000 });
  expect(opened.status).toBe(202);
  let ourTxid: string | undefined;
  await env.until(async () => {
    ourTxid = (await env.channels()).map((c) => c.fundingTxid).find((t) => t !== undefined && t !== null && t !== payerTxid);
    return ourTxid !== undefined && env.chain.mempool().some((e) => e.txid === ourTxid);
  }, 'our funding transaction in the mempool');

  await env.mineAndFeedAll(OUR_DEPTH);
  await env.until(async () => (await env.channels()).filter((c) => c.isUsable).length === 2, 'our two channels usable', 30_000);
  await env.until(() => payer.channelManager.list_usable_channels().length === 1, 'payer: its channel usable');
  // The payee's invoices hint through us once it holds our channel_update.
  await env.until(() => payee.channelManager.list_usable_channels()[0]?.get_counterparty().get_forwarding_info() !== null, 'payee: our policy known', 30_000);
  const channels = await env.channels();
  fromPayer = channels.find((c) => c.fundingTxid === payerTxid)!.channelId;
  toPayee = channels.find((c) => c.fundingTxid === ourTxid)!.channelId;
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

describe('forwarding through the embedded deployment, between two LDK nodes', () => {
  it('answers the policy in force at GET /v1/node/policy', async () => {
    const got = await env.api('/v1/node/policy');
    expect(got).toEqual({ status: 200, body: { feeBaseMsat: FEE_MSAT, feeProportionalMillionths: 0, cltvExpiryDelta: 72, htlcMinimumMsat: 1 } });
    const info = payee.channelManager.list_usable_channels()[0]!.get_counterparty().get_forwarding_info()!;
    expect({ base: info.get_fee_base_msat(), ppm: info.get_fee_proportional_millionths(), delta: info.get_cltv_expiry_delta() }).toEqual({ base: FEE_MSAT, ppm: 0, delta: 72 });
  });

  it('the payer pays the payee through us: our fee, payment-forwarded, both balances to the msat', async () => {
    const before = await balances();
    const amountMsat = 20_000_000;
    const invoice = invoiceOf(BigInt(amountMsat), 'through stormcell');
    const hints = invoice.route_hints();
    expect(hints.map((h) => h.get_a().map((hop) => toHex(hop.get_src_node_id())))).toEqual([[env.node.nodeId]]);

    const paymentId = await env.ldkPays(payer, invoice.to_str());
    await env.until(() => ldkEvents(payee, ldk.Event_PaymentClaimable).length === 1, 'payee PaymentClaimable', 30_000);
    const claimable = ldkEvents(payee, ldk.Event_PaymentClaimable)[0]!;
    expect(claimable.amount_msat).toBe(BigInt(amountMsat));
    payee.channelManager.claim_funds((claimable.purpose.preimage() as ldk.Option_ThirtyTwoBytesZ_Some).some);

    const outcome = await env.ldkPaymentOutcome(payer, paymentId);
    expect(outcome).toBeInstanceOf(ldk.Event_PaymentSent);
    expect(((outcome as ldk.Event_PaymentSent).fee_paid_msat as ldk.Option_u64Z_Some).some).toBe(BigInt(FEE_MSAT));

    await env.until(async () => (await events()).some((e) => e['kind'] === 'payment-forwarded'), 'our payment-forwarded event', 30_000);
    expect((await events()).filter((e) => e['kind'] === 'payment-forwarded')).toEqual([
      expect.objectContaining({ amountMsat: String(amountMsat), feeMsat: String(FEE_MSAT), inboundChannelId: fromPayer, outboundChannelId: toPayee }),
    ]);
    await env.until(noHtlcs, 'our HTLCs settled on both channels', 30_000);
    expect(await balances()).toEqual({ in: before.in + amountMsat + FEE_MSAT, out: before.out - amountMsat });
  }, 90_000);

  it('a payment the payee fails reaches the payer as a failure; nothing moves, no second payment-forwarded', async () => {
    const before = await balances();
    const invoice = invoiceOf(5_000_000n, 'refused');
    const paymentId = await env.ldkPays(payer, invoice.to_str());
    await env.until(() => ldkEvents(payee, ldk.Event_PaymentClaimable).length === 2, 'payee second PaymentClaimable', 30_000);
    payee.channelManager.fail_htlc_backwards(invoice.payment_hash());

    const outcome = await env.ldkPaymentOutcome(payer, paymentId);
    expect(outcome).toBeInstanceOf(ldk.Event_PaymentFailed);
    const pathFailed = ldkEvents(payer, ldk.Event_PaymentPathFailed).find((e) => toHex(e.payment_hash) === toHex(invoice.payment_hash()))!;
    // The payee's own failure (incorrect_or_unknown_payment_details), read through our hop: permanent.
    expect(Boolean(pathFailed.payment_failed_permanently)).toBe(true);
    await env.until(noHtlcs, 'our HTLCs settled again', 30_000);
    expect(await balances()).toEqual(before);
    expect((await events()).filter((e) => e['kind'] === 'payment-forwarded')).toHaveLength(1);
  }, 90_000);
});
