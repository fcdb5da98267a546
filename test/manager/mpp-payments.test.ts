/**
 * Multi-part sending (basic_mpp) between two of our nodes with two channels
 * between them (the in-memory network, every input loading from the
 * store): a payment larger than either channel completes in two parts with
 * one `PaymentSent` and balances right to the msat; a part the payee's
 * channel fails (a corrupted onion: `update_fail_malformed_htlc`) is
 * re-routed and the payment still completes once; without basic_mpp the
 * same payment finds no route.
 */
import { describe, expect, it } from 'vitest';
import { sha256, toHex } from '../../shared/crypto/index.js';
import { RecordKeys } from '../../shared/manager/index.js';
import { isFeatureSupported } from '../../shared/wire/index.js';
import { createInvoiceOn, payInvoice } from '../support/invoice-payment.js';
import type { ManagerNetwork, ManagerNode } from '../support/manager-network.js';
import { channelsOf, connectedPair, eventsOf, fund, openChannel } from './manager-fixture.js';

function twoChannels(): { net: ManagerNetwork; alice: ManagerNode; bob: ManagerNode } {
  const { net, alice, bob } = connectedPair();
  const first = fund(net, alice, openChannel(net, alice, bob, 42n));
  const second = fund(net, alice, openChannel(net, alice, bob, 43n, 600_000n));
  net.mine([first, second]);
  net.run();
  expect(channelsOf(net, alice).map((c) => c.isUsable)).toEqual([true, true]);
  return { net, alice, bob };
}

function invoiceOf(net: ManagerNetwork, node: ManagerNode, amountMsat: bigint) {
  return createInvoiceOn(net, node, { description: 'big coffee', expirySecs: 3600, amountMsat }).decoded;
}

function pay(net: ManagerNetwork, payer: ManagerNode, d: ReturnType<typeof invoiceOf>, paymentId: Uint8Array, attempts: number, basicMpp = isFeatureSupported(d.features, 'basic_mpp')) {
  return payInvoice(net, payer, d, { paymentId, attempts, basicMpp });
}

/** More than either channel can send, less than both together. */
const largerThanEither = ([a, b]: bigint[]): bigint => (a! > b! ? a! + b! / 2n : b! + a! / 2n);

const total = (net: ManagerNetwork, node: ManagerNode): bigint => channelsOf(net, node).reduce((s, c) => s + c.balanceMsat, 0n);

/** The `update_add_htlc`s alice has queued for bob. */
function queuedAdds(net: ManagerNetwork, alice: ManagerNode) {
  return net.queue.filter((q) => q.from === alice && q.bytes[0] === 0 && q.bytes[1] === 128);
}

/** Claims what bob was paid (his own invoice: the preimage is in the event). */
function claimAll(net: ManagerNetwork, bob: ManagerNode) {
  const [claimable, ...more] = eventsOf(bob, 'payment-claimable');
  expect(more).toEqual([]);
  const preimage = claimable!.paymentPreimage!;
  const claimed = net.step(bob, { kind: 'claim-funds', paymentHash: sha256(preimage) }, (m) => m.claimFunds(preimage));
  expect(claimed.ok).toBe(true);
  net.run();
  return { claimable: claimable!, preimage };
}

describe('multi-part payments between two of our nodes over two channels', () => {
  it('a payment larger than either channel can send completes in two parts, one PaymentSent, balances right', () => {
    const { net, alice, bob } = twoChannels();
    const limits = channelsOf(net, alice).map((c) => c.nextOutboundHtlcLimitMsat);
    const amountMsat = largerThanEither(limits);
    expect(amountMsat).toBeLessThan(limits[0]! + limits[1]!);
    const before = { alice: total(net, alice), bob: total(net, bob) };
    const perChannel = channelsOf(net, alice).map((c) => c.balanceMsat);
    const invoice = invoiceOf(net, bob, amountMsat);
    expect(isFeatureSupported(invoice.features, 'basic_mpp')).toBe(true);

    const paymentId = new Uint8Array(32).fill(7);
    expect(pay(net, alice, invoice, paymentId, 0)).toEqual({ ok: true, value: undefined });
    const adds = queuedAdds(net, alice);
    expect(adds).toHaveLength(2);
    // PAYMENT_OUT# holds both parts in flight (route, session key, HTLC id each): bounded by the part count.
    const pending = alice.store.items.get(RecordKeys.outboundPayment(toHex(invoice.paymentHash)));
    expect(pending).toBeDefined();
    expect(pending!.length).toBeLessThan(1_000);
    net.run();
    const { claimable, preimage } = claimAll(net, bob);
    expect(claimable).toMatchObject({ paymentHash: invoice.paymentHash, amountMsat, purpose: 'invoice' });
    expect(eventsOf(bob, 'payment-claimed')).toMatchObject([{ paymentHash: invoice.paymentHash, amountMsat }]);
    expect(eventsOf(alice, 'payment-sent')).toEqual([expect.objectContaining({ paymentId, paymentHash: invoice.paymentHash, paymentPreimage: preimage, feePaidMsat: 0n })]);
    expect(eventsOf(alice, 'payment-path-failed')).toEqual([]);
    expect(total(net, alice)).toBe(before.alice - amountMsat);
    expect(total(net, bob)).toBe(before.bob + amountMsat);
    // Both channels carried a part, each within what it could send.
    const moved = channelsOf(net, alice).map((c, i) => perChannel[i]! - c.balanceMsat);
    expect(moved.every((m, i) => m > 0n && m <= limits[i]!)).toBe(true);
    // Resolved, the record keeps the preimage and fee, not the parts.
    expect(alice.store.items.get(RecordKeys.outboundPayment(toHex(invoice.paymentHash)))!.length).toBeLessThan(200);
  });

  it('a part the payee fails (malformed onion) is re-routed; the payment completes once', () => {
    const { net, alice, bob } = twoChannels();
    const limits = channelsOf(net, alice).map((c) => c.nextOutboundHtlcLimitMsat);
    const amountMsat = largerThanEither(limits);
    const before = { alice: total(net, alice), bob: total(net, bob) };
    const invoice = invoiceOf(net, bob, amountMsat);
    const paymentId = new Uint8Array(32).fill(8);
    expect(pay(net, alice, invoice, paymentId, 1).ok).toBe(true);
    const adds = queuedAdds(net, alice);
    expect(adds).toHaveLength(2);
    // The onion's version byte (after channel_id, id, amount, hash and expiry: offset 86) made invalid.
    adds[1]!.bytes[86] = 1;
    net.run();
    expect(eventsOf(alice, 'payment-path-failed')).toEqual([expect.objectContaining({ paymentId, paymentFailedPermanently: false })]);
    expect(net.followUps['retry-payment']).toBeGreaterThan(0);
    const { claimable } = claimAll(net, bob);
    expect(claimable.amountMsat).toBe(amountMsat);
    expect(eventsOf(alice, 'payment-sent')).toHaveLength(1);
    expect(eventsOf(alice, 'payment-failed')).toEqual([]);
    expect(total(net, alice)).toBe(before.alice - amountMsat);
    expect(total(net, bob)).toBe(before.bob + amountMsat);
  });

  it('with no retry allowed, a failed part fails the payment once the other part is back; nothing moves', () => {
    const { net, alice, bob } = twoChannels();
    const limits = channelsOf(net, alice).map((c) => c.nextOutboundHtlcLimitMsat);
    const amountMsat = largerThanEither(limits);
    const before = { alice: total(net, alice), bob: total(net, bob) };
    const invoice = invoiceOf(net, bob, amountMsat);
    const paymentId = new Uint8Array(32).fill(9);
    expect(pay(net, alice, invoice, paymentId, 0).ok).toBe(true);
    queuedAdds(net, alice)[0]!.bytes[86] = 1;
    net.run();
    // Bob holds one part until his MPP timeout; failing it back (as the timer would) ends the payment.
    expect(eventsOf(bob, 'payment-claimable')).toEqual([]);
    expect(eventsOf(alice, 'payment-failed')).toEqual([]);
    net.step(bob, { kind: 'fail-htlc-backwards', paymentHash: invoice.paymentHash }, (m) => m.failHtlcBackwards(invoice.paymentHash));
    net.run();
    expect(eventsOf(alice, 'payment-path-failed')).toHaveLength(2);
    expect(eventsOf(alice, 'payment-failed')).toEqual([expect.objectContaining({ paymentId, reason: 'RetriesExhausted' })]);
    expect(eventsOf(alice, 'payment-sent')).toEqual([]);
    expect(total(net, alice)).toBe(before.alice);
    expect(total(net, bob)).toBe(before.bob);
  });

  it('without basic_mpp the same payment finds no route (one path only)', () => {
    const { net, alice, bob } = twoChannels();
    const limits = channelsOf(net, alice).map((c) => c.nextOutboundHtlcLimitMsat);
    const amountMsat = largerThanEither(limits);
    const invoice = invoiceOf(net, bob, amountMsat);
    const paymentId = new Uint8Array(32).fill(10);
    expect(pay(net, alice, invoice, paymentId, 3, false).ok).toBe(true);
    expect(queuedAdds(net, alice)).toEqual([]);
    net.run();
    expect(eventsOf(alice, 'payment-failed')).toEqual([expect.objectContaining({ paymentId, reason: 'RouteNotFound' })]);
  });
});
