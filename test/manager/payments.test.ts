/**
 * Issue 15: payments through the ChannelManager between two of our nodes
 * (the in-memory network: every input loads its items from the store,
 * follow-ups applied as inputs of their own). An invoice paid and claimed,
 * keysend-free invoice flows, refusals failed back to the sender with the
 * right error, a repeated PaymentId refused.
 */
import { describe, expect, it } from 'vitest';
import { sha256, toHex } from '../../shared/crypto/index.js';
import { parseTransaction } from '../../shared/tx/index.js';
import { createInvoiceOn, payInvoice } from '../support/invoice-payment.js';
import type { ManagerNetwork, ManagerNode } from '../support/manager-network.js';
import { connectedPair, eventsOf, fund, onlyChannel, openChannel } from './manager-fixture.js';

function readyPair(): { net: ManagerNetwork; alice: ManagerNode; bob: ManagerNode } {
  const { net, alice, bob } = connectedPair();
  net.mine([fund(net, alice, openChannel(net, alice, bob))]);
  net.run();
  expect(onlyChannel(net, alice).isUsable).toBe(true);
  return { net, alice, bob };
}

function invoiceOf(net: ManagerNetwork, node: ManagerNode, amountMsat?: bigint) {
  return createInvoiceOn(net, node, { description: 'coffee', expirySecs: 3600, ...(amountMsat === undefined ? {} : { amountMsat }) });
}

function pay(net: ManagerNetwork, payer: ManagerNode, invoice: ReturnType<typeof invoiceOf>, paymentId: Uint8Array, amountMsat = invoice.decoded.amountMsat!) {
  return payInvoice(net, payer, invoice.decoded, { paymentId, amountMsat });
}

function claim(net: ManagerNetwork, node: ManagerNode, preimage: Uint8Array) {
  return net.step(node, { kind: 'claim-funds', paymentHash: sha256(preimage) }, (m) => m.claimFunds(preimage));
}

describe('payments between two of our nodes, through the manager', () => {
  it('an invoice paid, claimed, and settled on both sides to the millisatoshi', () => {
    const { net, alice, bob } = readyPair();
    const before = { alice: onlyChannel(net, alice).balanceMsat, bob: onlyChannel(net, bob).balanceMsat };
    const invoice = invoiceOf(net, bob, 25_000_000n);
    expect(invoice.decoded.payeeNodeId).toEqual(bob.nodeId);
    expect(invoice.decoded.minFinalCltvExpiryDelta).toBeGreaterThanOrEqual(42);

    const paymentId = new Uint8Array(32).fill(1);
    expect(pay(net, alice, invoice, paymentId)).toEqual({ ok: true, value: undefined });
    net.run();
    const [claimable] = eventsOf(bob, 'payment-claimable');
    expect(claimable).toMatchObject({ paymentHash: invoice.paymentHash, amountMsat: 25_000_000n, purpose: 'invoice' });
    expect(sha256(claimable!.paymentPreimage!)).toEqual(invoice.paymentHash);

    expect(claim(net, bob, claimable!.paymentPreimage!)).toEqual({ ok: true, value: undefined });
    net.run();
    expect(eventsOf(bob, 'payment-claimed')).toMatchObject([{ paymentHash: invoice.paymentHash, amountMsat: 25_000_000n }]);
    expect(eventsOf(alice, 'payment-sent')).toMatchObject([{ paymentId, paymentHash: invoice.paymentHash, paymentPreimage: claimable!.paymentPreimage, feePaidMsat: 0n }]);
    expect(onlyChannel(net, alice).balanceMsat).toBe(before.alice - 25_000_000n);
    expect(onlyChannel(net, bob).balanceMsat).toBe(before.bob + 25_000_000n);
    // Decided where it became irrevocable, settled where the preimage arrived: the revoke_and_ack's input made the
    // payment claimable, the update_fulfill_htlc's input emitted PaymentSent (no follow-up hop for either), and
    // only the claim's fulfill is a follow-up.
    expect(net.followUps['received-htlcs']).toBe(0);
    expect(net.followUps['payment-result']).toBe(0);
    expect(net.followUps['claim-htlcs']).toBe(1);
    // The same PaymentId again: refused, nothing sent.
    const again = pay(net, alice, invoice, paymentId);
    expect(again.ok).toBe(false);
    net.run();
    expect(eventsOf(bob, 'payment-claimable')).toHaveLength(1);
  });

  it('payments both ways, one after the other, settle both balances', () => {
    const { net, alice, bob } = readyPair();
    const start = onlyChannel(net, alice).balanceMsat;
    for (let i = 0; i < 3; i++) {
      for (const [payer, payee] of [[alice, bob], [bob, alice]] as const) {
        const invoice = invoiceOf(net, payee, 1_000_000n * BigInt(i + 1));
        expect(pay(net, payer, invoice, sha256(Uint8Array.of(i, payer === alice ? 1 : 2))).ok).toBe(true);
        net.run();
        const claimable = eventsOf(payee, 'payment-claimable').at(-1)!;
        expect(claim(net, payee, claimable.paymentPreimage!).ok).toBe(true);
        net.run();
      }
    }
    expect(eventsOf(alice, 'payment-sent')).toHaveLength(3);
    expect(eventsOf(bob, 'payment-sent')).toHaveLength(3);
    expect(onlyChannel(net, alice).balanceMsat).toBe(start);
  });

  it('an amount below the invoice is failed back: the payer sees the recipient rejected it, balances unchanged', () => {
    const { net, alice, bob } = readyPair();
    const before = onlyChannel(net, alice).balanceMsat;
    const invoice = invoiceOf(net, bob, 10_000_000n);
    expect(pay(net, alice, invoice, new Uint8Array(32).fill(3), 9_000_000n).ok).toBe(true);
    net.run();
    expect(eventsOf(bob, 'payment-claimable')).toEqual([]);
    expect(eventsOf(alice, 'payment-path-failed')).toMatchObject([{ paymentFailedPermanently: true, failure: expect.stringContaining('incorrectOrUnknownPaymentDetails') }]);
    expect(eventsOf(alice, 'payment-failed')).toMatchObject([{ paymentHash: invoice.paymentHash, reason: 'RecipientRejected' }]);
    expect(onlyChannel(net, alice).balanceMsat).toBe(before);
  });

  it('a hash the payee never made is failed back; failHtlcBackwards fails a claimable payment back', () => {
    const { net, alice, bob } = readyPair();
    const before = onlyChannel(net, alice).balanceMsat;
    const invoice = invoiceOf(net, bob, 5_000_000n);
    const forged = { ...invoice, decoded: { ...invoice.decoded, paymentHash: sha256(Uint8Array.of(9)) } };
    expect(pay(net, alice, forged, new Uint8Array(32).fill(4)).ok).toBe(true);
    net.run();
    expect(eventsOf(alice, 'payment-failed')).toMatchObject([{ reason: 'RecipientRejected' }]);

    expect(pay(net, alice, invoice, new Uint8Array(32).fill(5)).ok).toBe(true);
    net.run();
    expect(eventsOf(bob, 'payment-claimable')).toHaveLength(1);
    net.step(bob, { kind: 'fail-htlc-backwards', paymentHash: invoice.paymentHash }, (m) => m.failHtlcBackwards(invoice.paymentHash));
    net.run();
    expect(eventsOf(alice, 'payment-failed').map((e) => toHex(e.paymentHash))).toEqual([toHex(forged.decoded.paymentHash), toHex(invoice.paymentHash)]);
    expect(onlyChannel(net, alice).balanceMsat).toBe(before);
  });

  it('a fail-back while our commitment_signed awaits its revoke_and_ack waits in the holding cell, then leaves', () => {
    const { net, alice, bob } = readyPair();
    const before = onlyChannel(net, alice).balanceMsat;
    const kept = invoiceOf(net, bob, 5_000_000n);
    const refused = invoiceOf(net, bob, 5_001_000n);
    expect(pay(net, alice, kept, new Uint8Array(32).fill(21)).ok).toBe(true);
    expect(pay(net, alice, refused, new Uint8Array(32).fill(22)).ok).toBe(true);
    net.run();
    const [first, second] = eventsOf(bob, 'payment-claimable');
    // The claim's fulfill and commitment_signed leave; before alice answers, bob fails the second payment back.
    expect(claim(net, bob, first!.paymentPreimage!).ok).toBe(true);
    net.step(bob, { kind: 'fail-htlc-backwards', paymentHash: second!.paymentHash }, (m) => m.failHtlcBackwards(second!.paymentHash));
    net.run();
    expect(eventsOf(alice, 'payment-sent').map((e) => toHex(e.paymentHash))).toEqual([toHex(kept.paymentHash)]);
    expect(eventsOf(alice, 'payment-failed')).toMatchObject([{ paymentHash: refused.paymentHash, reason: 'RecipientRejected' }]);
    expect(onlyChannel(net, alice).pendingHtlcs).toEqual([]);
    expect(onlyChannel(net, bob).pendingHtlcs).toEqual([]);
    expect(onlyChannel(net, alice).balanceMsat).toBe(before - 5_000_000n);
  });

  it('a force close after payments broadcasts our latest commitment (commitment 0 is revoked), paying the balances the payments left', () => {
    const { net, alice, bob } = readyPair();
    const invoice = invoiceOf(net, bob, 25_000_000n);
    expect(pay(net, alice, invoice, new Uint8Array(32).fill(6)).ok).toBe(true);
    net.run();
    expect(claim(net, bob, eventsOf(bob, 'payment-claimable')[0]!.paymentPreimage!).ok).toBe(true);
    net.run();
    const { channelId, balanceMsat } = onlyChannel(net, alice);
    const theirs = onlyChannel(net, bob).balanceMsat;
    const message = { type: 17, channelId, data: new TextEncoder().encode('bye') } as const;
    net.step(alice, { kind: 'peer-message', peer: bob.nodeId, message }, (m) => m.handleChannelMessage(bob.nodeId, message));
    const tx = parseTransaction(alice.broadcasts.at(-1)!)!;
    const values = tx.outs.map((o) => BigInt(o.value));
    // The peer's output pays its balance after the payment, exactly (to_remote); ours is less the commitment fee.
    expect(values).toContain(theirs / 1000n);
    expect(values.some((v) => v < balanceMsat / 1000n && v > balanceMsat / 1000n - 10_000n)).toBe(true);
    expect(eventsOf(alice, 'channel-closed')).toMatchObject([{ reason: 'counterparty-error' }]);
  });

  it('a disconnect after each message of a payment and its claim: after reconnecting it completes exactly once, both sides agree', () => {
    // How many messages the whole exchange takes without a disconnect.
    const count = (() => {
      const { net, alice, bob } = readyPair();
      const invoice = invoiceOf(net, bob, 7_000_000n);
      pay(net, alice, invoice, new Uint8Array(32).fill(7));
      let n = 0;
      while (net.deliverOne()) n++;
      claim(net, bob, eventsOf(bob, 'payment-claimable')[0]!.paymentPreimage!);
      while (net.deliverOne()) n++;
      return n;
    })();
    expect(count).toBeGreaterThanOrEqual(8);
    const resent = new Set<number>();
    for (let cut = 0; cut < count; cut++) {
      const { net, alice, bob } = readyPair();
      const start = { alice: onlyChannel(net, alice).balanceMsat, bob: onlyChannel(net, bob).balanceMsat };
      const invoice = invoiceOf(net, bob, 7_000_000n);
      expect(pay(net, alice, invoice, new Uint8Array(32).fill(7)).ok).toBe(true);
      let delivered = 0;
      let claimed = false;
      const claimIfClaimable = () => {
        const claimable = eventsOf(bob, 'payment-claimable')[0];
        if (claimable !== undefined && !claimed) {
          claimed = true;
          expect(claim(net, bob, claimable.paymentPreimage!).ok).toBe(true);
        }
      };
      while (delivered < cut && net.deliverOne()) {
        delivered++;
        if (net.queue.length === 0) claimIfClaimable();
      }
      net.disconnect(alice, bob);
      const marks = [alice.received.length, bob.received.length] as const;
      net.connect(alice, bob);
      net.run();
      // The dance's messages sent again over the new connection (before any new work).
      for (const m of [...alice.received.slice(marks[0]), ...bob.received.slice(marks[1])]) if (m.type >= 128 && m.type <= 135) resent.add(m.type);
      claimIfClaimable();
      net.run();
      expect(eventsOf(alice, 'channel-closed'), `cut after ${cut}`).toEqual([]);
      expect(eventsOf(bob, 'channel-closed'), `cut after ${cut}`).toEqual([]);
      expect(eventsOf(alice, 'payment-sent'), `cut after ${cut}`).toHaveLength(1);
      expect(eventsOf(bob, 'payment-claimed'), `cut after ${cut}`).toHaveLength(1);
      expect(onlyChannel(net, alice).balanceMsat, `cut after ${cut}`).toBe(start.alice - 7_000_000n);
      expect(onlyChannel(net, bob).balanceMsat, `cut after ${cut}`).toBe(start.bob + 7_000_000n);
    }
    // Some cut lost each kind of message: the add, the fulfill, a commitment_signed and a revoke_and_ack were sent again.
    expect([...resent].sort()).toEqual(expect.arrayContaining([128, 130, 132, 133]));
  });

  it('many payments in flight both ways at once (the holding cell): each completes exactly once, balances agree', () => {
    const { net, alice, bob } = readyPair();
    // Bob gets something to spend above his reserve first.
    const first = invoiceOf(net, bob, 100_000_000n);
    expect(pay(net, alice, first, sha256(Uint8Array.of(39))).ok).toBe(true);
    net.run();
    expect(claim(net, bob, eventsOf(bob, 'payment-claimable')[0]!.paymentPreimage!).ok).toBe(true);
    net.run();
    const start = onlyChannel(net, alice).balanceMsat;
    const invoices = [...Array(6).keys()].map((i) => ({ payer: i % 2 === 0 ? alice : bob, payee: i % 2 === 0 ? bob : alice, i }));
    const made = invoices.map(({ payer, payee, i }) => ({ payer, payee, i, invoice: invoiceOf(net, payee, 5_000_000n + BigInt(i) * 100_000n) }));
    // (Above the dust limits: six dust HTLCs in flight at once would pass the dust exposure limit, 2,530 sat at 253 sat/kW.)
    // Every payment starts before any message is delivered: the later ones wait in the holding cell.
    for (const { payer, invoice, i } of made) expect(pay(net, payer, invoice, sha256(Uint8Array.of(40, i))).ok).toBe(true);
    net.run();
    for (const node of [alice, bob]) for (const c of eventsOf(node, 'payment-claimable').filter((e) => e.amountMsat < 100_000_000n)) expect(claim(net, node, c.paymentPreimage!).ok).toBe(true);
    net.run();
    expect(eventsOf(alice, 'payment-sent')).toHaveLength(4);
    expect(eventsOf(bob, 'payment-sent')).toHaveLength(3);
    const aliceNet = made.reduce((sum, { payer, invoice }) => sum + (payer === alice ? -1n : 1n) * invoice.decoded.amountMsat!, 0n);
    expect(onlyChannel(net, alice).balanceMsat).toBe(start + aliceNet);
    expect(eventsOf(alice, 'channel-closed')).toEqual([]);
  });

  it('an unclaimed payment is failed back before its expiry; an HTLC the peer leaves past its expiry closes the channel', () => {
    const { net, alice, bob } = readyPair();
    const before = onlyChannel(net, alice).balanceMsat;
    const invoice = invoiceOf(net, bob, 2_000_000n);
    expect(pay(net, alice, invoice, new Uint8Array(32).fill(9)).ok).toBe(true);
    net.run();
    expect(eventsOf(bob, 'payment-claimable')).toHaveLength(1);
    // The HTLC expires at the height it was sent + 1 + the invoice's delta (42); bob fails it back 40 blocks before.
    net.mine([], 2);
    net.run();
    expect(eventsOf(alice, 'payment-failed')).toEqual([]);
    net.mine([], 2);
    net.run();
    expect(eventsOf(alice, 'payment-failed')).toMatchObject([{ paymentHash: invoice.paymentHash, reason: 'RecipientRejected' }]);
    expect(onlyChannel(net, alice).balanceMsat).toBe(before);
    // Too late to claim now.
    expect(claim(net, bob, eventsOf(bob, 'payment-claimable')[0]!.paymentPreimage!).ok).toBe(false);

    // An HTLC the peer never resolves: once past its expiry + 3 blocks, the channel closes (our latest commitment on chain).
    const second = invoiceOf(net, bob, 3_000_000n);
    expect(pay(net, alice, second, new Uint8Array(32).fill(10)).ok).toBe(true);
    net.run();
    // Committed on both sides, then bob goes away for good.
    net.disconnect(alice, bob);
    const broadcasts = alice.broadcasts.length;
    net.mine([], 1 + 42 + 3);
    net.run();
    expect(eventsOf(alice, 'channel-closed')).toMatchObject([{ reason: 'htlcs-timed-out' }]);
    expect(alice.broadcasts.length).toBe(broadcasts + 1);
  });
});
