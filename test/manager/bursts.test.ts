/**
 * Bursts (docs/manager.md, "Bursts"): a peer's messages in a row run on ONE
 * load of the manager and are committed once. The same payments, in flight
 * both ways, delivered one message per input and delivered as bursts, leave
 * both nodes with the same stored items, byte for byte: a burst is the
 * inputs it ran, one after the other, and nothing else.
 */
import { describe, expect, it } from 'vitest';
import { sha256, toHex } from '../../shared/crypto/index.js';
import type { ManagerInput } from '../../shared/manager/index.js';
import { createInvoiceOn, payInvoice } from '../support/invoice-payment.js';
import type { ManagerNetwork, ManagerNode } from '../support/manager-network.js';
import { connectedPair, eventsOf, fund, onlyChannel, openChannel } from './manager-fixture.js';

const NOW_SECS = 1_800_000_000;
const IN_FLIGHT = 6;

/** A funded channel between alice and bob, bob paid enough to spend above his reserve, on a clock that stands still (both runs stamp the same times). */
function readyPair(bursts: boolean): { net: ManagerNetwork; alice: ManagerNode; bob: ManagerNode } {
  const { net, alice, bob } = connectedPair();
  for (const node of [alice, bob]) node.ports = { ...node.ports, clock: { nowSecs: () => NOW_SECS } };
  net.mine([fund(net, alice, openChannel(net, alice, bob))]);
  net.run();
  net.burstDelivery = bursts;
  payOneWay(net, alice, bob, 1, 100_000_000n);
  return { net, alice, bob };
}

/** Pays `count` invoices of `amountMsat` from `payer` to `payee`, started at once, then claims them at once. */
function payOneWay(net: ManagerNetwork, payer: ManagerNode, payee: ManagerNode, count: number, amountMsat: bigint): void {
  start(net, payer, payee, count, amountMsat);
  net.run();
  claimAll(net, payee);
}

function start(net: ManagerNetwork, payer: ManagerNode, payee: ManagerNode, count: number, amountMsat: bigint): void {
  for (let i = 0; i < count; i++) {
    const invoice = createInvoiceOn(net, payee, { description: `burst ${i}`, expirySecs: 3600, amountMsat: amountMsat + BigInt(i) * 1_000n });
    const paymentId = sha256(new TextEncoder().encode(`${payer.label} ${amountMsat} ${i}`));
    expect(payInvoice(net, payer, invoice.decoded, { paymentId, amountMsat: invoice.decoded.amountMsat! }).ok).toBe(true);
  }
}

/** The payment hashes each node claimed or failed back already (hex). */
const answered = new WeakMap<ManagerNode, Set<string>>();

/**
 * Claims every payment `node` has claimable and did not answer yet, each in
 * an input of its own, but fails back every `failEvery`-th; then delivers
 * what follows.
 */
function claimAll(net: ManagerNetwork, node: ManagerNode, failEvery = 0): void {
  const done = answered.get(node) ?? new Set<string>();
  answered.set(node, done);
  const open = eventsOf(node, 'payment-claimable').filter((e) => !done.has(toHex(e.paymentHash)));
  for (const [i, claimable] of open.entries()) {
    done.add(toHex(claimable.paymentHash));
    if (failEvery > 0 && i % failEvery === failEvery - 1) {
      net.step(node, { kind: 'fail-htlc-backwards', paymentHash: claimable.paymentHash }, (m) => m.failHtlcBackwards(claimable.paymentHash));
      continue;
    }
    const input: ManagerInput = { kind: 'claim-funds', paymentHash: claimable.paymentHash };
    expect(net.step(node, input, (m) => m.claimFunds(claimable.paymentPreimage!)).ok).toBe(true);
  }
  net.run();
}

/** `count` payments each way started at once, then every claimable one claimed (or every `failEvery`-th failed back) at once, until all settle. */
function payBothWays(net: ManagerNetwork, alice: ManagerNode, bob: ManagerNode, count: number, failEvery = 0): void {
  start(net, alice, bob, count, 5_000_000n);
  start(net, bob, alice, count, 6_000_000n);
  net.run();
  claimAll(net, alice, failEvery);
  claimAll(net, bob, failEvery);
}

/** The node's items but its event items (a commit's events share one item: docs/items.md), hex. */
function storedItems(node: ManagerNode): Map<string, string> {
  return new Map([...node.store.items].filter(([sk]) => !sk.startsWith('EVENT#')).map(([sk, data]) => [sk, toHex(data)]));
}

describe('bursts: a peer messages in a row on one load', () => {
  it('payments in flight both ways leave the same items as one message per input, in fewer commits', () => {
    const one = readyPair(false);
    const burst = readyPair(true);
    const commitsBefore = [burst.alice.costs.length + burst.bob.costs.length, one.alice.costs.length + one.bob.costs.length];
    payBothWays(one.net, one.alice, one.bob, IN_FLIGHT);
    payBothWays(burst.net, burst.alice, burst.bob, IN_FLIGHT);

    for (const { alice, bob } of [one, burst]) {
      expect(eventsOf(alice, 'payment-sent')).toHaveLength(IN_FLIGHT + 1);
      expect(eventsOf(bob, 'payment-sent')).toHaveLength(IN_FLIGHT);
      expect(eventsOf(alice, 'payment-claimed')).toHaveLength(IN_FLIGHT);
      expect(eventsOf(bob, 'payment-claimed')).toHaveLength(IN_FLIGHT + 1);
      expect(eventsOf(alice, 'payment-failed')).toEqual([]);
      expect(eventsOf(bob, 'payment-failed')).toEqual([]);
    }
    expect(onlyChannel(burst.net, burst.alice).balanceMsat).toBe(onlyChannel(one.net, one.alice).balanceMsat);
    expect(storedItems(burst.alice)).toEqual(storedItems(one.alice));
    expect(storedItems(burst.bob)).toEqual(storedItems(one.bob));
    // The same events, in the same order.
    expect(burst.alice.events.map((e) => e.event)).toEqual(one.alice.events.map((e) => e.event));
    expect(burst.bob.events.map((e) => e.event)).toEqual(one.bob.events.map((e) => e.event));

    // Bursts ran: several update_add_htlc (and their commitment_signed) on one load, and fewer commits in all.
    expect(Math.max(...burst.net.bursts)).toBeGreaterThan(1);
    const commits = (r: typeof one) => r.alice.costs.length + r.bob.costs.length;
    expect(commits(burst) - commitsBefore[0]!).toBeLessThan(commits(one) - commitsBefore[1]!);
  });

  it('payments failed back in bursts: the same items, the same failures', () => {
    const one = readyPair(false);
    const burst = readyPair(true);
    payBothWays(one.net, one.alice, one.bob, IN_FLIGHT, 3);
    payBothWays(burst.net, burst.alice, burst.bob, IN_FLIGHT, 3);
    expect(eventsOf(one.alice, 'payment-failed')).toHaveLength(IN_FLIGHT / 3);
    expect(eventsOf(burst.alice, 'payment-failed').map((e) => e.paymentHash)).toEqual(eventsOf(one.alice, 'payment-failed').map((e) => e.paymentHash));
    expect(storedItems(burst.alice)).toEqual(storedItems(one.alice));
    expect(storedItems(burst.bob)).toEqual(storedItems(one.bob));
    expect(burst.bob.events.map((e) => e.event)).toEqual(one.bob.events.map((e) => e.event));
    expect(Math.max(...burst.net.bursts)).toBeGreaterThan(1);
  });
});
