/**
 * Invoices end to end through the embedded deployment (the code behind
 * `npm start`) with real LDK: LDK opens a channel to us, we make an invoice
 * with `POST /v1/invoices`, LDK parses the bolt11 and pays it, the node
 * claims it in the invocation that found it claimable, LDK sees
 * `PaymentSent` with the preimage, the invoice reads `paid` with what was
 * received, and `GET /v1/events` shows `payment-received` with the
 * merchant's `externalId`. Paying the paid invoice again is failed back and
 * recorded nowhere; a canceled invoice's payment is failed back and the
 * invoice stays canceled; a keysend is claimed; 200 concurrent creates all
 * answer 201.
 */
import { randomBytes } from 'node:crypto';
import bolt11 from 'bolt11';
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, sha256, toHex } from '../../shared/crypto/index.js';
import { EmbeddedWithLdk } from '../support/embedded-ldk.js';
import type { LdkNode } from '../support/ldk-node.js';

/** Ours as fundee (the default handshake config). */
const OUR_DEPTH = 6;

let env: EmbeddedWithLdk;
let ldkNode: LdkNode;

type Json = Record<string, unknown>;

/** The npm `bolt11` decoder's network for regtest invoices. */
const BCRT = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0] };

beforeAll(async () => {
  env = await EmbeddedWithLdk.start('invoices');
  ldkNode = await env.startLdk(81, { minimumDepth: 3 });
  await env.connectLdk(ldkNode);
  // LDK opens (and funds) a channel to us, so it has the balance to pay our invoices.
  expect(ldkNode.channelManager.create_channel(fromHex(env.node.nodeId), 300_000n, 0n, 1n, null, null).is_ok()).toBeTruthy();
  await env.until(() => ldkNode.events.some((e) => e instanceof ldk.Event_FundingGenerationReady), 'LDK FundingGenerationReady');
  const ready = ldkNode.events.find((e): e is ldk.Event_FundingGenerationReady => e instanceof ldk.Event_FundingGenerationReady)!;
  const txid = env.fundLdkChannel(ldkNode, ready, 'invoices-funder');
  await env.inMempool(txid, "LDK's funding transaction in the mempool");
  await env.until(async () => (await env.channels()).some((c) => c.fundingTxid === txid), 'our inbound channel');
  await env.mineAndFeed(OUR_DEPTH, txid);
  await env.until(async () => (await env.channels()).find((c) => c.fundingTxid === txid)?.isUsable === true, 'our inbound channel usable');
  await env.until(() => ldkNode.channelManager.list_usable_channels().length === 1, 'LDK: the channel usable');
  // LDK sends its channel_update for the private channel once it is ready; until our node has it, invoices carry no route hint.
  await env.until(async () => {
    const probe = await env.post('/v1/invoices', { description: 'route hint probe' });
    return bolt11.decode(probe.body['bolt11'] as string, BCRT).tagsObject.routing_info !== undefined;
  }, "LDK's channel_update: our invoices carry a route hint");
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

const ldkPays = (bolt11: string) => env.ldkPays(ldkNode, bolt11);
const waitLdkOutcome = (paymentId: Uint8Array) => env.ldkPaymentOutcome(ldkNode, paymentId);

async function events(): Promise<Json[]> {
  return (await env.api('/v1/events')).body['events'] as Json[];
}

describe('invoices through the embedded deployment with LDK', () => {
  let paid: Json;

  it('LDK pays our invoice: PaymentSent with the preimage, the invoice paid, payment-received with the externalId', async () => {
    const created = await env.post('/v1/invoices', { amountMsat: 25_000_000, description: 'order #1: a bicycle bell', externalId: 'order-1' });
    expect(created).toMatchObject({ status: 201, body: { state: 'open', amountMsat: 25_000_000, externalId: 'order-1' } });
    paid = created.body;
    const hash = paid['paymentHash'] as string;
    // Decoded independently: the amount, and a route hint through LDK (our channel is private), so a payer who is not our peer reaches us.
    const decoded = bolt11.decode(paid['bolt11'] as string, BCRT);
    expect(decoded.millisatoshis).toBe('25000000');
    expect(decoded.tagsObject.routing_info?.map((hop) => hop.pubkey)).toEqual([toHex(ldkNode.nodeId)]);

    const outcome = await waitLdkOutcome(await ldkPays(paid['bolt11'] as string));
    expect(outcome).toBeInstanceOf(ldk.Event_PaymentSent);
    expect(toHex(sha256((outcome as ldk.Event_PaymentSent).payment_preimage))).toBe(hash);

    await env.until(async () => (await env.api(`/v1/invoices/${hash}`)).body['state'] === 'paid', 'the invoice paid');
    const invoice = (await env.api(`/v1/invoices/${hash}`)).body;
    paid = invoice;
    expect(invoice).toMatchObject({ state: 'paid', receivedMsat: 25_000_000, externalId: 'order-1' });
    expect(Date.parse(invoice['paidAt'] as string)).toBeGreaterThanOrEqual(Date.parse(invoice['createdAt'] as string));
    const received = (await events()).filter((e) => e['kind'] === 'payment-received');
    expect(received).toEqual([expect.objectContaining({ paymentHash: hash, amountMsat: '25000000', externalId: 'order-1' })]);
    // The core's own name does not leak into the API.
    expect((await events()).some((e) => e['kind'] === 'payment-claimed')).toBe(false);
  }, 90_000);

  it('paying the paid invoice again is failed back and recorded once', async () => {
    const hash = paid['paymentHash'] as string;
    const outcome = await waitLdkOutcome(await ldkPays(paid['bolt11'] as string));
    expect(outcome).toBeInstanceOf(ldk.Event_PaymentFailed);
    // Unchanged: still paid once, with what the first payment brought, at the first payment's time.
    expect((await env.api(`/v1/invoices/${hash}`)).body).toEqual(paid);
    expect((await events()).filter((e) => e['kind'] === 'payment-received' && e['paymentHash'] === hash)).toHaveLength(1);
  }, 90_000);

  it('a canceled invoice: LDK gets a failure, the invoice stays canceled, nothing is received', async () => {
    const created = await env.post('/v1/invoices', { amountMsat: 3_000_000, description: 'order #2', externalId: 'order-2' });
    const hash = created.body['paymentHash'] as string;
    expect(await env.post(`/v1/invoices/${hash}/cancel`, {})).toMatchObject({ status: 200, body: { state: 'canceled' } });
    const outcome = await waitLdkOutcome(await ldkPays(created.body['bolt11'] as string));
    expect(outcome).toBeInstanceOf(ldk.Event_PaymentFailed);
    expect((await env.api(`/v1/invoices/${hash}`)).body).toMatchObject({ state: 'canceled', receivedMsat: null, paidAt: null });
    expect((await events()).some((e) => e['kind'] === 'payment-received' && e['paymentHash'] === hash)).toBe(false);
    // The channel still works: the HTLC was failed back, not left stuck.
    const next = await env.post('/v1/invoices', { amountMsat: 1_000_000, externalId: 'order-3' });
    expect(await waitLdkOutcome(await ldkPays(next.body['bolt11'] as string))).toBeInstanceOf(ldk.Event_PaymentSent);
    await env.until(async () => (await env.api(`/v1/invoices/${next.body['paymentHash'] as string}`)).body['state'] === 'paid', 'order-3 paid');
  }, 90_000);

  it('a keysend (no invoice) is claimed too: LDK gets PaymentSent, payment-received has no externalId', async () => {
    const paymentId = Uint8Array.from(randomBytes(32));
    let hash = '';
    await env.until(() => {
      const sent = ldkNode.channelManager.send_spontaneous_payment(
        ldk.Option_ThirtyTwoBytesZ.constructor_none(),
        ldk.RecipientOnionFields.constructor_spontaneous_empty(),
        paymentId,
        ldk.RouteParameters.constructor_from_payment_params_and_value(ldk.PaymentParameters.constructor_for_keysend(fromHex(env.node.nodeId), 40, false), 2_000_000n),
        ldk.Retry.constructor_attempts(0),
      );
      if (sent instanceof ldk.Result_ThirtyTwoBytesRetryableSendFailureZ_OK) hash = toHex(sent.res);
      return sent.is_ok();
    }, 'LDK to send the keysend');
    expect(await waitLdkOutcome(paymentId)).toBeInstanceOf(ldk.Event_PaymentSent);
    await env.until(async () => (await events()).some((e) => e['kind'] === 'payment-received' && e['paymentHash'] === hash), 'payment-received for the keysend');
    expect((await events()).find((e) => e['kind'] === 'payment-received' && e['paymentHash'] === hash)).toMatchObject({ amountMsat: '2000000', externalId: null, purpose: 'spontaneous' });
  }, 90_000);

  it('200 concurrent POST /v1/invoices all answer 201', async () => {
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => env.post('/v1/invoices', { amountMsat: 10_000 + i, externalId: `bulk-${i}` })));
    expect(answers.map((a) => a.status)).toEqual(Array(200).fill(201));
    expect(new Set(answers.map((a) => a.body['paymentHash'])).size).toBe(200);
    // Paged back in full (the route hint probes of the setup are open invoices too).
    const open: Json[] = [];
    for (let after: string | undefined, n = 0; n === 0 || after !== undefined; n++) {
      const page = (await env.api(`/v1/invoices?state=open&limit=200${after === undefined ? '' : `&after=${after}`}`)).body;
      open.push(...(page['invoices'] as Json[]));
      after = page['nextAfter'] as string | undefined;
    }
    expect(open.filter((i) => String(i['externalId']).startsWith('bulk-'))).toHaveLength(200);
  }, 90_000);
});
