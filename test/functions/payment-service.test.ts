/**
 * Payments over the API through the real handlers and stores
 * (docs/payments-api.md): two of our nodes with a ready channel, each on its
 * own DynamoDB Local table and queues (test/support/pipeline-nodes.ts). A
 * pays B's invoices through `storeNodeApi`: every refusal stores nothing and
 * sends nothing; a payment commits its record, its hash's entry and the
 * Idempotency-Key together; replays (sequential and concurrent) answer the
 * first answer and offer one HTLC; the record becomes `succeeded` in the
 * commit of the core's `payment-sent`.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { connectedPeers } from '../../functions/chain/channel-consumer.js';
import { pendingEvents } from '../../functions/events/event-service.js';
import type { PaymentRequestIdentity } from '../../functions/http/payment-api.js';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import { requestFingerprint } from '../../functions/http/idempotency.js';
import { paymentIdOf } from '../../functions/payments/payment-record.js';
import { applyInput } from '../../functions/runtime/invocation.js';
import { loadManager, takeChangesFunded } from '../../functions/runtime/manager-step.js';
import { sha256, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { encodeInvoice } from '../../shared/invoice/index.js';
import { KeysManager } from '../../shared/keys/index.js';
import { decodeOutbound, outboundParts } from '../../shared/pipeline/envelopes.js';
import { SortKey } from '../../shared/store/index.js';
import { useLocalServices } from '../support/local-services.js';
import { CAPACITY, readyChannel as readyChannelOf } from '../support/force-close-nodes.js';
import { PipelineNet, type PipelineNode } from '../support/pipeline-nodes.js';

const local = useLocalServices();

/** A and B with a ready channel of {@link CAPACITY} sat, A the funder, nothing pushed. */
async function readyChannel(net: PipelineNet, a: PipelineNode, b: PipelineNode): Promise<void> {
  await readyChannelOf(local, net, a, b, 0n);
}

/** An invoice B's manager writes (B knows its hash and secret). */
async function invoiceOf(b: PipelineNode, amountMsat: bigint, description: string): Promise<{ bolt11: string; paymentHash: string }> {
  let out: { bolt11: string; paymentHash: string } | undefined;
  await applyInput(b.ctx, `invoice-${randomUUID()}`, async (store) => {
    const manager = await loadManager(b.ctx, store, { kind: 'create-invoice' }, await connectedPeers(b.ctx, store));
    const created = manager.createBolt11Invoice({ description, amountMsat, expirySecs: 3600 });
    if (!created.ok) throw new Error(created.error.message);
    out = { bolt11: created.value.invoice, paymentHash: toHex(created.value.paymentHash) };
    return takeChangesFunded(b.ctx, store, manager);
  });
  return out!;
}

/** B claims the payment to `paymentHash` on its own, in the commit that made it claimable (docs/invoices-api.md): its `payment-claimed` is there. */
async function claim(b: PipelineNode, paymentHash: string): Promise<void> {
  const claimed = (await pendingEvents(b.ctx)).some((r) => r.event.kind === 'payment-claimed' && toHex(r.event.paymentHash) === paymentHash);
  expect(claimed, 'B claimed the payment by itself').toBe(true);
}

/** An invoice signed by a node key from `label` (any chain, any time), for refusals. */
function foreignInvoice(label: string, fields: { network?: 'regtest' | 'testnet'; amountMsat?: bigint; timestampSec?: number; expirySeconds?: number } = {}): string {
  const seed = sha256(new TextEncoder().encode(label));
  const signer = new KeysManager(wasmSecp256k1, seed, { getSecureRandomBytes: () => sha256(seed) });
  return encodeInvoice(
    wasmSecp256k1,
    {
      network: fields.network ?? 'regtest',
      ...(fields.amountMsat === undefined ? {} : { amountMsat: fields.amountMsat }),
      timestampSec: fields.timestampSec ?? Math.floor(Date.now() / 1000),
      paymentHash: sha256(new TextEncoder().encode(`${label}/hash`)),
      paymentSecret: sha256(new TextEncoder().encode(`${label}/secret`)),
      description: label,
      ...(fields.expirySeconds === undefined ? {} : { expirySeconds: fields.expirySeconds }),
      minFinalCltvExpiryDelta: 18,
    },
    signer,
  );
}

const identity = (key: string, body: unknown): PaymentRequestIdentity => ({ idempotencyKey: key, fingerprint: requestFingerprint('POST', '/v1/payments', body) });

/** Every item of A's API payments area (records, hash entries, idempotency records). */
async function apiItems(a: PipelineNode): Promise<string[]> {
  const [payments, hashes, keys] = await Promise.all(['PAYMENT#', 'PAYMENT_HASH#', 'IDEMPOTENCY#'].map((p) => a.ctx.store.query(a.ctx.nodeKey, p)));
  return [...payments!, ...hashes!, ...keys!].map((i) => i.sk);
}

/** Messages A queued for its peers (drained). */
async function outboundCount(a: PipelineNode): Promise<number> {
  let n = 0;
  for (let batch = await a.ctx.outbound.receive(10, 0); batch.length > 0; batch = await a.ctx.outbound.receive(10, 0)) {
    n += batch.reduce((sum, m) => sum + outboundParts(decodeOutbound(m.body)).length, 0);
    for (const m of batch) await a.ctx.outbound.delete(m.receiptHandle);
  }
  return n;
}

describe('payments over the API, through the real handlers', () => {
  it('refuses what it cannot pay with the documented code, storing and sending nothing', async () => {
    const net = new PipelineNet(local);
    const [a, b] = [await net.node('pay-a'), await net.node('pay-b')];
    await readyChannel(net, a, b);
    await outboundCount(a);
    const api = storeNodeApi(a.ctx);
    const own = await invoiceOf(b, 5_000_000n, 'order');
    const cases: [unknown, string][] = [
      [{ bolt11: 'lnbcrt1qqqqqqqq' }, 'invalid-invoice'],
      [{ bolt11: foreignInvoice('testnet', { network: 'testnet', amountMsat: 1000n }) }, 'wrong-network'],
      [{ bolt11: foreignInvoice('old', { amountMsat: 1000n, timestampSec: Math.floor(Date.now() / 1000) - 7200, expirySeconds: 60 }) }, 'invoice-expired'],
      [{ bolt11: foreignInvoice('stranger', { amountMsat: 5_000_000n }) }, 'no-route'],
      [{ bolt11: own.bolt11, amountMsat: 1000 }, 'invalid-request'],
      [{ bolt11: foreignInvoice('any amount') }, 'invalid-request'],
      [{ bolt11: (await invoiceOf(b, CAPACITY * 1000n, 'too much')).bolt11 }, 'insufficient-balance'],
    ];
    for (const [body, code] of cases) {
      const b2 = body as { bolt11: string; amountMsat?: number };
      const input = { bolt11: b2.bolt11, ...(b2.amountMsat === undefined ? {} : { amountMsat: BigInt(b2.amountMsat) }) };
      await expect(api.payInvoice(input, identity(`k-${code}-${randomUUID()}`, body)), code).rejects.toMatchObject({ code });
    }
    await expect(api.payKeysend({ nodeId: '02' + 'ab'.repeat(32), amountMsat: 5_000_000n }, identity('k-keysend', {})), 'keysend').rejects.toMatchObject({ code: 'no-route' });
    await expect(api.payKeysend({ nodeId: a.ctx.nodeKey, amountMsat: 5_000_000n }, identity('k-self', {}))).rejects.toMatchObject({ code: 'invalid-request' });
    expect(await apiItems(a)).toEqual([]);
    expect(await outboundCount(a)).toBe(0);
    expect((await pendingEvents(a.ctx)).filter((r) => r.event.kind.startsWith('payment'))).toEqual([]);
  }, 120_000);

  it('commits a payment with its records; replays answer the first answer and pay once; it succeeds in the commit of payment-sent', async () => {
    const net = new PipelineNet(local);
    const [a, b] = [await net.node('pay-a2'), await net.node('pay-b2')];
    await readyChannel(net, a, b);
    await outboundCount(a);
    const api = storeNodeApi(a.ctx);
    const { bolt11, paymentHash } = await invoiceOf(b, 7_000_000n, 'order 2');
    const body = { bolt11 };

    // Three deliveries of one request at once: one payment, one answer.
    const answers = await Promise.all([1, 2, 3].map(() => api.payInvoice({ bolt11 }, identity('order-2', body))));
    expect(new Set(answers.map((x) => JSON.stringify(x))).size).toBe(1);
    const [answer] = answers;
    expect(answer).toEqual({ paymentId: expect.stringMatching(/^[0-9a-f]{64}$/), paymentHash, state: 'pending' });
    const id = answer!.paymentId;
    expect((await apiItems(a)).map((sk) => sk.split('#')[0])).toEqual(['PAYMENT', 'PAYMENT_HASH', 'IDEMPOTENCY']);
    // update_add_htlc and commitment_signed, once.
    expect(await outboundCount(a)).toBe(2);

    expect(await api.payInvoice({ bolt11 }, identity('order-2', body))).toEqual(answer);
    await expect(api.payInvoice({ bolt11, maxFeeMsat: 1n }, identity('order-2', { ...body, maxFeeMsat: 1 }))).rejects.toMatchObject({ code: 'idempotency-key-reused', status: 409 });
    await expect(api.payInvoice({ bolt11 }, identity('order-2-again', body))).rejects.toMatchObject({ code: 'duplicate-payment', status: 409 });
    expect(await outboundCount(a)).toBe(0);
    expect(await api.getPayment(id)).toMatchObject({ state: 'pending', amountMsat: 7_000_000n, maxFeeMsat: 7_000_000n / 100n + 50_000n, preimage: null, completedAtSecs: null });

    // The messages the test drained are sent again on reconnection: reconnect, relay, B claims, relay.
    await net.disconnect(a, b);
    await net.connect(a, b);
    await net.relay(a, b);
    await claim(b, paymentHash);
    await net.relay(a, b);
    const done = await api.getPayment(id);
    expect(done).toMatchObject({ state: 'succeeded', feeMsat: 0n, failureReason: null });
    expect(toHex(sha256(Uint8Array.from(Buffer.from(done.preimage!, 'hex'))))).toBe(paymentHash);
    expect(done.completedAtSecs).not.toBeNull();
    const sent = (await pendingEvents(a.ctx)).filter((r) => r.event.kind === 'payment-sent');
    expect(sent).toHaveLength(1);
    // Paid: the invoice is refused under any key, the first key still replays.
    await expect(api.payInvoice({ bolt11 }, identity('order-2-later', body))).rejects.toMatchObject({ code: 'duplicate-payment' });
    expect(await api.payInvoice({ bolt11 }, identity('order-2', body))).toEqual(answer);
    // Without the key's record (say it aged out), the payment the key names still answers, and still refuses another body.
    await a.ctx.store.deleteItems(a.ctx.nodeKey, (await apiItems(a)).filter((sk) => sk.startsWith('IDEMPOTENCY#')));
    expect(await api.payInvoice({ bolt11 }, identity('order-2', body))).toEqual(answer);
    await expect(api.payInvoice({ bolt11, maxFeeMsat: 1n }, identity('order-2', { ...body, maxFeeMsat: 1 }))).rejects.toMatchObject({ code: 'idempotency-key-reused' });
    expect(await api.listPayments({ state: 'succeeded', limit: 10 })).toEqual({ payments: [done] });
    expect(await api.listPayments({ state: 'pending', limit: 10 })).toEqual({ payments: [] });
    expect(SortKey.payment(id)).toBe(`PAYMENT#${id}`);
    // An invoice in upper case behind a `lightning:` prefix (as a QR code carries it) is read as the same invoice.
    const upper = await invoiceOf(b, 6_000_000n, 'order 3');
    const shouted = { bolt11: `LIGHTNING:${upper.bolt11.toUpperCase()}` };
    expect(await api.payInvoice(shouted, identity('order-3', shouted))).toMatchObject({ paymentHash: upper.paymentHash, state: 'pending' });
    await outboundCount(a);

    // Abandoning a succeeded payment changes nothing (the payee was paid); an unknown id is not found.
    expect(await api.abandonPayment(id)).toEqual(done);
    await expect(api.abandonPayment('00'.repeat(32))).rejects.toMatchObject({ code: 'not-found' });

    // With every record of the API lost, the key still names the same payment id: the core refuses it, nothing leaves.
    await a.ctx.store.deleteItems(a.ctx.nodeKey, await apiItems(a));
    await expect(api.payInvoice({ bolt11 }, identity('order-2', body))).rejects.toMatchObject({ code: 'duplicate-payment' });
    expect(await outboundCount(a)).toBe(0);

    // A request whose input reads as applied while nothing of it is stored (no record, no payment in the core) is never
    // answered as started: what its step computed beside the replay check was not committed.
    const fresh = await invoiceOf(b, 5_000_000n, 'order 5');
    const planted = toHex(paymentIdOf(a.ctx.nodeId, 'order-5'));
    await a.ctx.store.putNew(a.ctx.nodeKey, [{ sk: SortKey.input(`payment-${planted}`), data: new Uint8Array() }]);
    await expect(api.payInvoice({ bolt11: fresh.bolt11 }, identity('order-5', { bolt11: fresh.bolt11 }))).rejects.toThrow(/recorded as applied but its records are missing/);
    expect(await outboundCount(a)).toBe(0);
    expect((await apiItems(a)).filter((sk) => sk.includes(planted) || sk.includes(fresh.paymentHash))).toEqual([]);
  }, 120_000);

  it('abandons a payment: no retry, and with its HTLC in flight it stays pending until the HTLC comes back, settled by a late preimage', async () => {
    const net = new PipelineNet(local);
    const [a, b] = [await net.node('pay-a3'), await net.node('pay-b3')];
    await readyChannel(net, a, b);
    await outboundCount(a);
    const api = storeNodeApi(a.ctx);
    const { bolt11, paymentHash } = await invoiceOf(b, 4_000_000n, 'order 4');
    const { paymentId } = await api.payInvoice({ bolt11 }, identity('order-4', { bolt11 }));
    // The HTLC left (A's outbox) but B has not seen it: the payment has a part in flight.
    expect(await outboundCount(a)).toBe(2);
    const abandoned = await api.abandonPayment(paymentId);
    expect(abandoned).toMatchObject({ paymentId, state: 'pending', failureReason: null });
    // Again: harmless, nothing new is sent.
    expect(await api.abandonPayment(paymentId)).toMatchObject({ state: 'pending' });
    expect(await outboundCount(a)).toBe(0);
    // B receives the HTLC (sent again on reconnection) and claims it: the preimage makes the payment succeeded.
    await net.disconnect(a, b);
    await net.connect(a, b);
    await net.relay(a, b);
    await claim(b, paymentHash);
    await net.relay(a, b);
    expect(await api.getPayment(paymentId)).toMatchObject({ state: 'succeeded', failureReason: null });
    expect((await pendingEvents(a.ctx)).filter((r) => r.event.kind === 'payment-sent')).toHaveLength(1);
  }, 120_000);
});
