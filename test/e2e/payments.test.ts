/**
 * Payments sent over the HTTP API end to end (issue 16; docs/payments-api.md):
 * the embedded deployment (what `npm start` runs) with a channel to a real
 * LDK node on the embedded chain. `POST /v1/payments` pays an invoice LDK
 * created, LDK claims it, and `GET /v1/payments/{id}` shows `succeeded`
 * with the preimage of the invoice's hash; the same Idempotency-Key
 * replayed answers the same payment and pays once; the same invoice under a
 * new key is a duplicate; keysend pays LDK; an invoice LDK fails back ends
 * `failed` with the core's reason; refusals store and pay nothing.
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, sha256, toHex } from '../../shared/crypto/index.js';
import { EmbeddedWithLdk, type ApiResponse } from '../support/embedded-ldk.js';
import type { LdkNode } from '../support/ldk-node.js';
import { ldkEvents } from '../support/manager-ldk.js';

const LDK_DEPTH = 3;
// Amounts stay above what LDK counts as dust on its commitment (its dust exposure limit, about 2,530 sat at 253 sat/kw, refuses smaller HTLCs in bulk).
const CHANNEL_SAT = 250_000;

let env: EmbeddedWithLdk;
let ldkNode: LdkNode;

/** A BOLT 11 invoice LDK writes for `amountMsat` (its own payment hash and secret, or `paymentHash` when given). */
function ldkInvoice(amountMsat: bigint, description: string, paymentHash?: Uint8Array): string {
  const amount = ldk.Option_u64Z.constructor_some(amountMsat);
  const created =
    paymentHash === undefined
      ? ldk.UtilMethods.constructor_create_invoice_from_channelmanager(ldkNode.channelManager, amount, description, 3600, ldk.Option_u16Z.constructor_none())
      : ldk.UtilMethods.constructor_create_invoice_from_channelmanager_with_payment_hash(ldkNode.channelManager, amount, description, 3600, paymentHash, ldk.Option_u16Z.constructor_none());
  if (!(created instanceof ldk.Result_Bolt11InvoiceSignOrCreationErrorZ_OK)) throw new Error('LDK could not create the invoice');
  return created.res.to_str();
}

function pay(body: unknown, key?: string, path = '/v1/payments'): Promise<ApiResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) };
  return env.api(path, { method: 'POST', body: JSON.stringify(body), headers });
}

type PaymentJson = { paymentId: string; paymentHash: string; state: string; amountMsat: number; feeMsat: number | null; preimage: string | null; failureReason: string | null; completedAt: string | null; kind: string };

async function payment(id: string): Promise<PaymentJson> {
  const got = await env.api(`/v1/payments/${id}`);
  expect(got.status).toBe(200);
  return got.body as unknown as PaymentJson;
}

async function settled(id: string): Promise<PaymentJson> {
  await env.until(async () => (await payment(id)).state !== 'pending', `payment ${id} to settle`, 30_000);
  // `succeeded` comes with LDK's update_fulfill_htlc (as LDK's PaymentSent does); the HTLC leaves the channel a
  // commitment dance later, and until then it counts against what the channel can send.
  await env.until(async () => (await env.channels()).every((c) => c.pendingHtlcs.length === 0), 'no HTLC left on our side', 30_000);
  return payment(id);
}

/** LDK claims every payment it can as it becomes claimable (the test plays LDK's user). */
function claimWhenClaimable(hash: string): Promise<void> {
  return env.until(() => {
    const claimable = ldkEvents(ldkNode, ldk.Event_PaymentClaimable).find((e) => toHex(e.payment_hash) === hash);
    if (claimable === undefined) return false;
    const preimage = claimable.purpose.preimage();
    if (!(preimage instanceof ldk.Option_ThirtyTwoBytesZ_Some)) throw new Error('LDK has no preimage for the payment');
    ldkNode.channelManager.claim_funds(preimage.some);
    return true;
  }, 'LDK PaymentClaimable');
}

const claimedBy = (hash: string) => ldkEvents(ldkNode, ldk.Event_PaymentClaimed).filter((e) => toHex(e.payment_hash) === hash);
const claimableBy = (hash: string) => ldkEvents(ldkNode, ldk.Event_PaymentClaimable).filter((e) => toHex(e.payment_hash) === hash);

/** How many payments the API lists. */
async function paymentCount(): Promise<number> {
  return ((await env.api('/v1/payments?limit=100')).body['payments'] as unknown[]).length;
}

beforeAll(async () => {
  env = await EmbeddedWithLdk.start('payments');
  ldkNode = await env.startLdk(78, { minimumDepth: LDK_DEPTH });
  await env.fundWallet(1_000_000);
  await env.connectLdk(ldkNode);
  const opened = await env.post('/v1/channels', { nodeId: toHex(ldkNode.nodeId), amountSat: CHANNEL_SAT });
  expect(opened.status).toBe(202);
  await env.until(() => env.chain.mempool().length > 0, 'the funding transaction in the mempool');
  const [channel] = await env.channels();
  await env.mineAndFeed(LDK_DEPTH, channel!.fundingTxid!);
  await env.until(async () => (await env.channels())[0]?.isUsable === true, 'our channel usable');
  await env.until(() => ldkNode.channelManager.list_usable_channels().length === 1, 'LDK usable channel');
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

describe('payments over the HTTP API, with LDK as the payee', () => {
  let paid: { paymentId: string; paymentHash: string; bolt11: string };

  it('pays an invoice LDK created: 202 pending, then succeeded with the preimage of its hash', async () => {
    const bolt11 = ldkInvoice(12_345_000n, 'order 1');
    const started = await pay({ bolt11 }, 'order-1');
    expect(started.status).toBe(202);
    const { paymentId, paymentHash } = started.body as { paymentId: string; paymentHash: string };
    expect(started.body).toEqual({ paymentId: expect.stringMatching(/^[0-9a-f]{64}$/), paymentHash: expect.stringMatching(/^[0-9a-f]{64}$/), state: 'pending' });
    paid = { paymentId, paymentHash, bolt11 };

    await claimWhenClaimable(paymentHash);
    const done = await settled(paymentId);
    expect(done).toMatchObject({ state: 'succeeded', kind: 'bolt11', paymentHash, amountMsat: 12_345_000, feeMsat: 0, failureReason: null });
    expect(toHex(sha256(fromHex(done.preimage!)))).toBe(paymentHash);
    expect(done.completedAt).not.toBeNull();
    await env.until(() => claimedBy(paymentHash).length === 1, 'LDK PaymentClaimed');
    expect(claimedBy(paymentHash)[0]!.amount_msat).toBe(12_345_000n);

    // The event, under issue 16's names.
    const events = (await env.api('/v1/events')).body['events'] as Record<string, unknown>[];
    expect(events.find((e) => e['kind'] === 'payment-sent' && e['paymentId'] === paymentId)).toMatchObject({ paymentHash, preimage: done.preimage, feeMsat: '0' });
  }, 90_000);

  it('answers a replayed Idempotency-Key with the first answer and pays once; another body under it is 409', async () => {
    const again = await pay({ bolt11: paid.bolt11 }, 'order-1');
    expect(again).toEqual({ status: 202, body: { paymentId: paid.paymentId, paymentHash: paid.paymentHash, state: 'pending' } });
    const reused = await pay({ bolt11: paid.bolt11, maxFeeMsat: 1000 }, 'order-1');
    expect(reused.status).toBe(409);
    expect(reused.body['code']).toBe('idempotency-key-reused');
    // LDK saw the HTLC once and claimed once.
    for (const n of [1, 2, 3]) {
      await new Promise((r) => setTimeout(r, 50 * n));
      ldkNode.processEvents();
    }
    expect(claimableBy(paid.paymentHash)).toHaveLength(1);
    expect(claimedBy(paid.paymentHash)).toHaveLength(1);
  }, 30_000);

  it('refuses the paid invoice under a new key: 409 duplicate-payment, nothing stored', async () => {
    const before = await paymentCount();
    const dup = await pay({ bolt11: paid.bolt11 }, 'order-1-again');
    expect(dup.status).toBe(409);
    expect(dup.body['code']).toBe('duplicate-payment');
    expect(await paymentCount()).toBe(before);
  }, 30_000);

  it('sends a keysend LDK claims', async () => {
    const started = await pay({ nodeId: toHex(ldkNode.nodeId).toUpperCase(), amountMsat: 20_000_000 }, 'tip-1', '/v1/payments/keysend');
    expect(started.status).toBe(202);
    const { paymentId, paymentHash } = started.body as { paymentId: string; paymentHash: string };
    await claimWhenClaimable(paymentHash);
    expect(claimableBy(paymentHash)[0]!.purpose).toBeInstanceOf(ldk.PaymentPurpose_SpontaneousPayment);
    const done = await settled(paymentId);
    expect(done).toMatchObject({ state: 'succeeded', kind: 'keysend', amountMsat: 20_000_000, feeMsat: 0 });
    expect(toHex(sha256(fromHex(done.preimage!)))).toBe(paymentHash);
  }, 60_000);

  it('ends failed with the reason when LDK fails the payment back', async () => {
    // An invoice for a hash whose preimage nobody has: LDK fails the HTLC back (incorrect_or_unknown_payment_details).
    const hash = sha256(new TextEncoder().encode(`no preimage ${Date.now()}`));
    const bolt11 = ldkInvoice(20_000_000n, 'doomed', hash);
    const started = await pay({ bolt11 }, 'order-doomed');
    expect(started.status).toBe(202);
    const { paymentId } = started.body as { paymentId: string };
    await env.until(() => claimableBy(toHex(hash)).length === 1, 'LDK PaymentClaimable');
    ldkNode.channelManager.fail_htlc_backwards(hash);
    const done = await settled(paymentId);
    expect(done).toMatchObject({ state: 'failed', failureReason: 'RecipientRejected', preimage: null, feeMsat: null });
    const events = (await env.api('/v1/events')).body['events'] as Record<string, unknown>[];
    expect(events.find((e) => e['kind'] === 'payment-failed' && e['paymentId'] === paymentId)).toMatchObject({ paymentHash: toHex(hash), reason: 'RecipientRejected' });
  }, 60_000);

  it('lists payments by state, a page at a time', async () => {
    const succeeded = (await env.api('/v1/payments?state=succeeded')).body['payments'] as PaymentJson[];
    expect(succeeded.map((p) => p.kind).sort()).toEqual(['bolt11', 'keysend']);
    const failed = (await env.api('/v1/payments?state=failed')).body['payments'] as PaymentJson[];
    expect(failed).toHaveLength(1);
    const first = await env.api('/v1/payments?limit=2');
    expect(first.body['payments']).toHaveLength(2);
    const rest = await env.api(`/v1/payments?limit=2&after=${first.body['nextAfter'] as string}`);
    expect(rest.body['payments']).toHaveLength(1);
    expect(rest.body['nextAfter']).toBeUndefined();
  }, 30_000);

  it('refuses what it cannot pay, storing and paying nothing', async () => {
    const before = await paymentCount();
    const htlcsBefore = ldkEvents(ldkNode, ldk.Event_PaymentClaimable).length;
    const tooMuch = await pay({ bolt11: ldkInvoice(BigInt(CHANNEL_SAT) * 1000n, 'too much') }, 'big-1');
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body['code']).toBe('insufficient-balance');
    // Above LDK's in-flight limit (10% of the channel): our channel refuses the HTLC before it leaves.
    const overLimit = await pay({ nodeId: toHex(ldkNode.nodeId), amountMsat: 30_000_000 }, 'tip-big', '/v1/payments/keysend');
    expect([overLimit.status, overLimit.body['code']]).toEqual([422, 'insufficient-balance']);
    const nobody = await pay({ nodeId: '02' + 'ab'.repeat(32), amountMsat: 1000 }, 'tip-nobody', '/v1/payments/keysend');
    expect(nobody.status).toBe(422);
    expect(nobody.body['code']).toBe('no-route');
    const noKey = await pay({ bolt11: ldkInvoice(1000n, 'no key') });
    expect(noKey.status).toBe(400);
    expect(noKey.body['code']).toBe('idempotency-key-required');
    const garbage = await pay({ bolt11: 'lnbcrt1nonsense' }, 'garbage-1');
    expect([garbage.status, garbage.body['code']]).toEqual([400, 'invalid-invoice']);
    expect(await paymentCount()).toBe(before);
    expect(ldkEvents(ldkNode, ldk.Event_PaymentClaimable)).toHaveLength(htlcsBefore);
    // A refused request committed nothing: its key is free for a request that can succeed.
    const retried = await pay({ bolt11: ldkInvoice(10_000_000n, 'fits') }, 'big-1');
    expect(retried.status).toBe(202);
    await claimWhenClaimable((retried.body as { paymentHash: string }).paymentHash);
    expect((await settled((retried.body as { paymentId: string }).paymentId)).state).toBe('succeeded');
  }, 60_000);
});
