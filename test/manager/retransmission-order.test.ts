/**
 * Retransmission order through the manager over our in-memory nodes: both
 * nodes pay each other at once, their commitments cross, and the
 * connection drops with Alice's `commitment_signed` and her later
 * `revoke_and_ack` both lost; after reconnecting she sends them again in
 * that order (BOLT 2; LDK's `resend_order`), and both payments complete
 * exactly once.
 */
import { expect, it } from 'vitest';
import { createInvoiceOn, payInvoice } from '../support/invoice-payment.js';
import type { ManagerNetwork, ManagerNode } from '../support/manager-network.js';
import { connectedPair, eventsOf, fund, onlyChannel, openChannel } from './manager-fixture.js';

function startPayment(net: ManagerNetwork, payer: ManagerNode, payee: ManagerNode, amountMsat: bigint, id: number): void {
  const d = createInvoiceOn(net, payee, { description: 'x', expirySecs: 3600, amountMsat }).decoded;
  expect(payInvoice(net, payer, d, { paymentId: new Uint8Array(32).fill(id), amountMsat }).ok).toBe(true);
}

/** Message types queued from `from`, in order. */
function queuedFrom(net: ManagerNetwork, from: ManagerNode): number[] {
  return net.queue.filter((q) => q.from === from).map((q) => (q.bytes[0]! << 8) | q.bytes[1]!);
}

it('crossed commitments, then a disconnect with commitment_signed and revoke_and_ack lost: resent commitment first; both payments complete once', () => {
  const { net, alice, bob } = connectedPair();
  net.mine([fund(net, alice, openChannel(net, alice, bob))]);
  net.run();
  // Bob gets something to spend first.
  startPayment(net, alice, bob, 90_000_000n, 1);
  net.run();
  const first = eventsOf(bob, 'payment-claimable')[0]!;
  net.step(bob, { kind: 'claim-funds', paymentHash: first.paymentHash }, (m) => m.claimFunds(first.paymentPreimage!));
  net.run();
  const before = onlyChannel(net, alice).balanceMsat;

  startPayment(net, alice, bob, 5_000_000n, 2);
  startPayment(net, bob, alice, 7_000_000n, 3);
  expect(queuedFrom(net, alice)).toEqual([128, 132]);
  expect(queuedFrom(net, bob)).toEqual([128, 132]);
  // Bob's messages overtake Alice's: she takes his HTLC and commitment, and revokes (she still awaits his revocation).
  const fromBob = net.queue.filter((q) => q.from === bob);
  const rest = net.queue.filter((q) => q.from !== bob);
  net.queue.splice(0, net.queue.length, ...fromBob, ...rest);
  net.deliverOne();
  net.deliverOne();
  expect(queuedFrom(net, alice)).toEqual([128, 132, 133]);
  // The connection drops before any of Alice's messages arrive.
  net.disconnect(alice, bob);
  const received = bob.received.length;
  net.connect(alice, bob);
  // Alice's retransmission, as Bob received it: her update and commitment_signed, then her revoke_and_ack.
  const resent = bob.received.slice(received).map((m) => m.type).filter((t) => t === 128 || t === 132 || t === 133);
  expect(resent.slice(0, 3)).toEqual([128, 132, 133]);
  for (const node of [alice, bob]) expect(eventsOf(node, 'channel-closed')).toEqual([]);

  for (const node of [alice, bob]) {
    const c = eventsOf(node, 'payment-claimable').filter((e) => e.amountMsat < 50_000_000n);
    expect(c).toHaveLength(1);
    net.step(node, { kind: 'claim-funds', paymentHash: c[0]!.paymentHash }, (m) => m.claimFunds(c[0]!.paymentPreimage!));
  }
  net.run();
  expect(eventsOf(alice, 'payment-sent')).toHaveLength(2);
  expect(eventsOf(bob, 'payment-sent')).toHaveLength(1);
  expect(onlyChannel(net, alice).balanceMsat).toBe(before - 5_000_000n + 7_000_000n);
  expect(onlyChannel(net, bob).pendingHtlcs).toEqual([]);
});

it('a claim while the peer is disconnected hands nothing to the gateway; the reestablish sends the fulfill and its commitment_signed, and the payment completes once', () => {
  const { net, alice, bob } = connectedPair();
  net.mine([fund(net, alice, openChannel(net, alice, bob))]);
  net.run();
  startPayment(net, alice, bob, 20_000_000n, 1);
  net.run();
  const claimable = eventsOf(bob, 'payment-claimable')[0]!;
  net.disconnect(alice, bob);
  net.step(bob, { kind: 'claim-funds', paymentHash: claimable.paymentHash }, (m) => m.claimFunds(claimable.paymentPreimage!));
  // The claim is applied (the monitor has the preimage) but no channel message left for a peer that is not there:
  // a gateway that had its next connection already would have put them before our channel_reestablish.
  expect(bob.sentUnconnected.map((m) => m.type)).toEqual([]);
  expect(eventsOf(bob, 'payment-claimed')).toHaveLength(1);
  const received = alice.received.length;
  net.connect(alice, bob);
  expect(alice.received.slice(received).map((m) => m.type).filter((t) => t === 130 || t === 132)).toEqual([130, 132]);
  expect(eventsOf(alice, 'payment-sent')).toHaveLength(1);
  for (const node of [alice, bob]) {
    expect(eventsOf(node, 'channel-closed')).toEqual([]);
    expect(onlyChannel(net, node).pendingHtlcs).toEqual([]);
  }
});
