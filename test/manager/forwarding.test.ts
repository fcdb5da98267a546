/**
 * Issue 18: forwarding through our node, between three of our nodes
 * (alice → bob → carol, the in-memory network: every input loads its items
 * from the store, follow-ups applied as inputs of their own). Bob's
 * `channel_update` reaches each peer once the channel is ready; carol's
 * invoice carries bob's policy as its route hint; alice pays through bob,
 * who keeps his fee; each policy refusal comes back to alice as the BOLT 4
 * failure it should be; a failure downstream comes back through bob.
 */
import { describe, expect, it, vi } from 'vitest';
import { sha256, toHex } from '../../shared/crypto/index.js';
import { PREVIOUS_POLICY_GRACE_SECS, type ChannelDetails, type ChannelForwarding, type ForwardingConfig } from '../../shared/manager/index.js';
import { decodeMessage, type UpdateAddHtlcMessage, type UpdateFailHtlcMessage } from '../../shared/wire/index.js';
import { createInvoiceOn, payInvoice } from '../support/invoice-payment.js';
import { ManagerNetwork, type ManagerNode } from '../support/manager-network.js';
import { readOurFailure } from '../support/onion-failure.js';
import { channelsOf, eventsOf, fund, openChannel } from './manager-fixture.js';

interface Three {
  net: ManagerNetwork;
  alice: ManagerNode;
  bob: ManagerNode;
  carol: ManagerNode;
}

/** alice → bob (alice funds 1,000,000 sat) and bob → carol (bob funds `bobCarolSat`), both ready. */
function threeNodes(bobCarolSat = 1_000_000n, bobPolicy?: ForwardingConfig): Three {
  const net = new ManagerNetwork();
  const alice = net.addNode('alice', { config: { minimumDepth: 1 } });
  const bob = net.addNode('bob', { config: { minimumDepth: 1 } });
  const carol = net.addNode('carol', { config: { minimumDepth: 1 } });
  if (bobPolicy !== undefined) bob.config = { ...net.read(bob, (m) => m.currentDefaultConfiguration()), forwarding: bobPolicy };
  net.connect(alice, bob);
  net.connect(bob, carol);
  const ab = fund(net, alice, openChannel(net, alice, bob, 1n));
  const bc = fund(net, bob, openChannel(net, bob, carol, 2n, bobCarolSat));
  net.mine([ab, bc]);
  net.run();
  for (const n of [alice, bob, carol]) expect(channelsOf(net, n).every((c) => c.isUsable)).toBe(true);
  return { net, alice, bob, carol };
}

function channelWith(net: ManagerNetwork, node: ManagerNode, peer: ManagerNode): ChannelDetails {
  const found = channelsOf(net, node).find((c) => toHex(c.counterpartyNodeId) === toHex(peer.nodeId));
  if (found === undefined) throw new Error(`${node.label} has no channel with ${peer.label}`);
  return found;
}

function balances(t: Three): bigint[] {
  return [channelWith(t.net, t.alice, t.bob).balanceMsat, channelWith(t.net, t.bob, t.alice).balanceMsat, channelWith(t.net, t.bob, t.carol).balanceMsat, channelWith(t.net, t.carol, t.bob).balanceMsat];
}

/** carol's invoice, paid by alice (route hints changed by `hints` when given); claimed by carol when `claim`. */
function pay(t: Three, amountMsat: bigint, id: number, options: { claim?: boolean; hint?: { feeBaseMsat?: bigint; cltvExpiryDelta?: number } } = {}) {
  const invoice = createInvoiceOn(t.net, t.carol, { description: 'through bob', amountMsat, expirySecs: 3600 });
  const decoded = options.hint === undefined ? invoice.decoded : { ...invoice.decoded, routeHints: invoice.decoded.routeHints.map((h) => h.map((hop) => ({ ...hop, ...options.hint }))) };
  const sent = payInvoice(t.net, t.alice, decoded, { paymentId: sha256(Uint8Array.of(id)) });
  expect(sent.ok).toBe(true);
  t.net.run();
  if (options.claim !== false) {
    const claimable = eventsOf(t.carol, 'payment-claimable').find((e) => toHex(e.paymentHash) === toHex(invoice.paymentHash));
    if (claimable !== undefined) {
      t.net.step(t.carol, { kind: 'claim-funds', paymentHash: invoice.paymentHash }, (m) => m.claimFunds(claimable.paymentPreimage!));
      t.net.run();
    }
  }
  return invoice;
}

describe('our channel_update (BOLT 7) to each peer', () => {
  it('each side of a ready channel holds the other side policy, signed and checked; our invoice carries the hint through bob', () => {
    const t = threeNodes(1_000_000n, { feeBaseMsat: 500, feeProportionalMillionths: 100, cltvExpiryDelta: 30, htlcMinimumMsat: 1n });
    // Bob's CLTV delta of 30 is raised to LDK's minimum of 42.
    expect(channelWith(t.net, t.carol, t.bob).counterpartyForwardingInfo).toEqual({ feeBaseMsat: 500, feeProportionalMillionths: 100, cltvExpiryDelta: 42 });
    expect(channelWith(t.net, t.alice, t.bob).counterpartyForwardingInfo).toEqual({ feeBaseMsat: 500, feeProportionalMillionths: 100, cltvExpiryDelta: 42 });
    // LDK's defaults for the others.
    expect(channelWith(t.net, t.bob, t.alice).counterpartyForwardingInfo).toEqual({ feeBaseMsat: 1000, feeProportionalMillionths: 0, cltvExpiryDelta: 72 });
    const invoice = createInvoiceOn(t.net, t.carol, { description: 'x', amountMsat: 10_000n, expirySecs: 3600 });
    expect(invoice.decoded.routeHints).toHaveLength(1);
    expect(invoice.decoded.routeHints[0]![0]).toMatchObject({ pubkey: t.bob.nodeId, shortChannelId: channelWith(t.net, t.bob, t.carol).inboundScidAlias, feeBaseMsat: 500n, cltvExpiryDelta: 42 });
  });

  it('sent again after a reconnection (a newer timestamp)', () => {
    const t = threeNodes();
    const before = t.carol.received.filter((m) => m.type === 258).length;
    t.net.disconnect(t.bob, t.carol);
    t.net.connect(t.bob, t.carol);
    t.net.run();
    expect(t.carol.received.filter((m) => m.type === 258).length).toBe(before + 1);
    expect(channelWith(t.net, t.carol, t.bob).isUsable).toBe(true);
  });
});

describe('forwarding through bob', () => {
  it('alice pays carol through bob: bob keeps his fee to the msat, PaymentForwarded, PaymentSent with the fee', () => {
    const t = threeNodes(1_000_000n, { feeBaseMsat: 1000, feeProportionalMillionths: 1000, cltvExpiryDelta: 72, htlcMinimumMsat: 1n });
    const before = balances(t);
    const amount = 5_000_000n;
    const fee = 1000n + (amount * 1000n) / 1_000_000n;
    const invoice = pay(t, amount, 1);
    expect(eventsOf(t.carol, 'payment-claimed')).toMatchObject([{ paymentHash: invoice.paymentHash, amountMsat: amount }]);
    expect(eventsOf(t.alice, 'payment-sent')).toMatchObject([{ paymentHash: invoice.paymentHash, feePaidMsat: fee }]);
    const [forwarded] = eventsOf(t.bob, 'payment-forwarded');
    expect(forwarded).toEqual({
      kind: 'payment-forwarded',
      amountMsat: amount,
      feeMsat: fee,
      inboundChannelId: channelWith(t.net, t.bob, t.alice).channelId,
      outboundChannelId: channelWith(t.net, t.bob, t.carol).channelId,
    });
    const after = balances(t);
    expect(after).toEqual([before[0]! - amount - fee, before[1]! + amount + fee, before[2]! - amount, before[3]! + amount]);
    // Every HTLC and record gone once settled: nothing pending on any channel, no forward link left.
    for (const n of [t.alice, t.bob, t.carol]) expect(channelsOf(t.net, n).every((c) => c.pendingHtlcs.length === 0)).toBe(true);
    expect([...t.bob.store.items.keys()].filter((k) => k.startsWith('FORWARD#'))).toEqual([]);
  });

  it('a fee below ours: fee_insufficient from bob with his channel_update; nothing reaches carol', () => {
    const t = threeNodes();
    const before = balances(t);
    pay(t, 2_000_000n, 2, { hint: { feeBaseMsat: 0n } });
    const [failed] = eventsOf(t.alice, 'payment-path-failed');
    expect(failed?.failure).toMatch(/feeInsufficient from hop 0/);
    expect(eventsOf(t.alice, 'payment-failed')).toHaveLength(1);
    expect(eventsOf(t.carol, 'payment-claimable')).toHaveLength(0);
    expect(eventsOf(t.bob, 'payment-forwarded')).toHaveLength(0);
    expect(balances(t)).toEqual(before);
  });

  it("the channel_update in a refusal names the next channel as the payer's onion did (the alias in carol's hint), with bob's policy, signed by bob", () => {
    const t = threeNodes(1_000_000n, { feeBaseMsat: 700, feeProportionalMillionths: 10, cltvExpiryDelta: 50, htlcMinimumMsat: 1n });
    const invoice = createInvoiceOn(t.net, t.carol, { description: 'through bob', amountMsat: 2_000_000n, expirySecs: 3600 });
    const hint = invoice.decoded.routeHints[0]![0]!;
    // The alias bob gave carol: not the one carol gave bob (what bob's updates to carol name).
    expect(hint.shortChannelId).toBe(channelWith(t.net, t.bob, t.carol).inboundScidAlias);
    const decoded = { ...invoice.decoded, routeHints: [[{ ...hint, feeBaseMsat: 0n }]] };
    expect(payInvoice(t.net, t.alice, decoded, { paymentId: sha256(Uint8Array.of(9)) }).ok).toBe(true);
    // Delivered one by one, alice's update_add_htlc and bob's update_fail_htlc read off the wire.
    let add: UpdateAddHtlcMessage | undefined;
    let fail: UpdateFailHtlcMessage | undefined;
    while (t.net.queue.length > 0) {
      const { from, bytes } = t.net.queue[0]!;
      const read = decodeMessage(bytes);
      if (read.kind === 'message' && from === t.alice && read.message.type === 128) add = read.message;
      if (read.kind === 'message' && from === t.bob && read.message.type === 131) fail = read.message;
      t.net.deliverOne();
    }
    const ours = readOurFailure(t.bob.ports.nodeSigner, add!, fail!);
    expect(ours.failure.name).toBe('feeInsufficient');
    expect(ours.update).toMatchObject({ shortChannelId: hint.shortChannelId, feeBaseMsat: 700, feeProportionalMillionths: 10, cltvExpiryDelta: 50 });
    expect(ours.update!.channelFlags & 2).toBe(0);
    expect(ours.updateSignedByUs).toBe(true);
    expect(eventsOf(t.alice, 'payment-path-failed')[0]?.failure).toMatch(/feeInsufficient from hop 0/);
  });

  it('a CLTV delta below ours: incorrect_cltv_expiry', () => {
    const t = threeNodes();
    pay(t, 2_000_000n, 3, { hint: { cltvExpiryDelta: 20 } });
    expect(eventsOf(t.alice, 'payment-path-failed')[0]?.failure).toMatch(/incorrectCltvExpiry from hop 0/);
  });

  it('more than the next channel can carry: temporary_channel_failure from bob', () => {
    // Bob → carol of 200,000 sat: at most 10% in flight (20,000 sat).
    const t = threeNodes(200_000n);
    const before = balances(t);
    pay(t, 50_000_000n, 4);
    expect(eventsOf(t.alice, 'payment-path-failed')[0]?.failure).toMatch(/temporaryChannelFailure from hop 0/);
    expect(balances(t)).toEqual(before);
  });

  it('carol fails it: the failure comes back through bob, readable by alice as carol\'s', () => {
    const t = threeNodes();
    const before = balances(t);
    const invoice = pay(t, 3_000_000n, 5, { claim: false });
    expect(eventsOf(t.carol, 'payment-claimable')).toHaveLength(1);
    t.net.step(t.carol, { kind: 'fail-htlc-backwards', paymentHash: invoice.paymentHash }, (m) => m.failHtlcBackwards(invoice.paymentHash));
    t.net.run();
    const [failed] = eventsOf(t.alice, 'payment-path-failed');
    expect(failed).toMatchObject({ paymentFailedPermanently: true });
    expect(failed?.failure).toMatch(/incorrectOrUnknownPaymentDetails from hop 1/);
    expect(eventsOf(t.bob, 'payment-forwarded')).toHaveLength(0);
    expect(balances(t)).toEqual(before);
    expect([...t.bob.store.items.keys()].filter((k) => k.startsWith('FORWARD#'))).toEqual([]);
  });

  it('an unknown next channel: unknown_next_peer', () => {
    const t = threeNodes();
    const invoice = createInvoiceOn(t.net, t.carol, { description: 'x', amountMsat: 1_000_000n, expirySecs: 3600 });
    const decoded = { ...invoice.decoded, routeHints: invoice.decoded.routeHints.map((h) => h.map((hop) => ({ ...hop, shortChannelId: 0xdead_beefn }))) };
    expect(payInvoice(t.net, t.alice, decoded, { paymentId: sha256(Uint8Array.of(6)) }).ok).toBe(true);
    t.net.run();
    expect(eventsOf(t.alice, 'payment-path-failed')[0]?.failure).toMatch(/unknownNextPeer from hop 0/);
  });

  it('20 forwards in flight at once all settle; bob earns 20 fees', () => {
    const t = threeNodes();
    const before = balances(t);
    const invoices = Array.from({ length: 20 }, (_, i) => createInvoiceOn(t.net, t.carol, { description: `n${i}`, amountMsat: 3_000_000n + BigInt(i), expirySecs: 3600 }));
    invoices.forEach((inv, i) => expect(payInvoice(t.net, t.alice, inv.decoded, { paymentId: sha256(Uint8Array.of(100 + i)) }).ok).toBe(true));
    t.net.run();
    const claimables = eventsOf(t.carol, 'payment-claimable');
    expect(eventsOf(t.alice, 'payment-failed')).toEqual([]);
    expect(claimables).toHaveLength(20);
    for (const c of claimables) t.net.step(t.carol, { kind: 'claim-funds', paymentHash: c.paymentHash }, (m) => m.claimFunds(c.paymentPreimage!));
    t.net.run();
    expect(eventsOf(t.alice, 'payment-sent')).toHaveLength(20);
    expect(eventsOf(t.bob, 'payment-forwarded')).toHaveLength(20);
    const total = invoices.reduce((s, _, i) => s + 3_000_000n + BigInt(i), 0n);
    const after = balances(t);
    expect(after).toEqual([before[0]! - total - 20_000n, before[1]! + total + 20_000n, before[2]! - total, before[3]! + total]);
  });

  it('bob restarts between the forward and carol\'s claim: the preimage still goes upstream', () => {
    const t = threeNodes();
    const before = balances(t);
    const invoice = pay(t, 1_500_000n, 7, { claim: false });
    t.net.restart(t.bob);
    const claimable = eventsOf(t.carol, 'payment-claimable')[0]!;
    t.net.step(t.carol, { kind: 'claim-funds', paymentHash: invoice.paymentHash }, (m) => m.claimFunds(claimable.paymentPreimage!));
    t.net.run();
    expect(eventsOf(t.alice, 'payment-sent')).toHaveLength(1);
    expect(eventsOf(t.bob, 'payment-forwarded')).toMatchObject([{ feeMsat: 1000n }]);
    expect(balances(t)).toEqual([before[0]! - 1_501_000n, before[1]! + 1_501_000n, before[2]! - 1_500_000n, before[3]! + 1_500_000n]);
  });
});

describe("one channel's own policy (LDK's update_channel_config)", () => {
  const ORIGINAL_FEE = 1000n;

  function setPolicy(t: Three, change: Partial<ChannelForwarding>) {
    const bc = channelWith(t.net, t.bob, t.carol);
    return t.net.step(t.bob, { kind: 'update-channel-config', counterpartyNodeId: t.carol.nodeId, channelId: bc.channelId }, (m) => m.updateChannelConfig(bc.channelId, t.carol.nodeId, change));
  }

  it('goes to the peer at once in a newer channel_update, is stored, forwards pay it, and the old fee is honoured 5 minutes only', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const t = threeNodes();
      const updatesBefore = t.carol.received.filter((m) => m.type === 258).length;
      // A second later than the channel_ready's update (BOLT 7: a peer keeps only a strictly newer timestamp).
      vi.setSystemTime(Date.now() + 1000);
      const set = setPolicy(t, { feeBaseMsat: 5000, cltvExpiryDelta: 90 });
      expect(set).toEqual({ ok: true, value: { feeBaseMsat: 5000, feeProportionalMillionths: 0, cltvExpiryDelta: 90 } });
      t.net.run();
      // Carol holds the new policy without a reconnection; alice's channel keeps bob's default.
      expect(t.carol.received.filter((m) => m.type === 258).length).toBe(updatesBefore + 1);
      expect(channelWith(t.net, t.carol, t.bob).counterpartyForwardingInfo).toEqual({ feeBaseMsat: 5000, feeProportionalMillionths: 0, cltvExpiryDelta: 90 });
      expect(channelWith(t.net, t.bob, t.carol).forwardingPolicy).toEqual({ feeBaseMsat: 5000, feeProportionalMillionths: 0, cltvExpiryDelta: 90 });
      expect(channelWith(t.net, t.bob, t.alice).forwardingPolicy).toEqual({ feeBaseMsat: 1000, feeProportionalMillionths: 0, cltvExpiryDelta: 72 });
      // Stored: a restart of bob keeps it.
      t.net.restart(t.bob);
      expect(channelWith(t.net, t.bob, t.carol).forwardingPolicy).toEqual({ feeBaseMsat: 5000, feeProportionalMillionths: 0, cltvExpiryDelta: 90 });

      // A payer with bob's older update (fee 1,000 msat, delta 72) is still served during the grace period.
      const before = balances(t);
      pay(t, 1_000_000n, 31, { hint: { feeBaseMsat: ORIGINAL_FEE, cltvExpiryDelta: 72 } });
      expect(eventsOf(t.bob, 'payment-forwarded')).toMatchObject([{ feeMsat: ORIGINAL_FEE }]);
      expect(balances(t)).toEqual([before[0]! - 1_001_000n, before[1]! + 1_001_000n, before[2]! - 1_000_000n, before[3]! + 1_000_000n]);
      // The channel's steps (the forward's dance) keep its policy.
      expect(channelWith(t.net, t.bob, t.carol).forwardingPolicy).toEqual({ feeBaseMsat: 5000, feeProportionalMillionths: 0, cltvExpiryDelta: 90 });

      // Past five minutes the old fee is refused, with bob's new update; carol's hint (the new policy) pays.
      vi.setSystemTime(Date.now() + (PREVIOUS_POLICY_GRACE_SECS + 1) * 1000);
      pay(t, 1_000_000n, 32, { hint: { feeBaseMsat: ORIGINAL_FEE, cltvExpiryDelta: 72 } });
      expect(eventsOf(t.alice, 'payment-path-failed').at(-1)?.failure).toMatch(/feeInsufficient from hop 0/);
      pay(t, 1_000_000n, 33);
      expect(eventsOf(t.bob, 'payment-forwarded').map((e) => e.feeMsat)).toEqual([ORIGINAL_FEE, 5000n]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a CLTV delta below 42 or a fee that does not fit a channel_update, and changes nothing', () => {
    const t = threeNodes();
    const updatesBefore = t.carol.received.filter((m) => m.type === 258).length;
    expect(setPolicy(t, { cltvExpiryDelta: 41 })).toMatchObject({ ok: false, error: { code: 'api-misuse' } });
    expect(setPolicy(t, { feeBaseMsat: 2 ** 32 })).toMatchObject({ ok: false, error: { code: 'api-misuse' } });
    expect(setPolicy(t, { feeProportionalMillionths: -1 })).toMatchObject({ ok: false, error: { code: 'api-misuse' } });
    t.net.run();
    expect(t.carol.received.filter((m) => m.type === 258).length).toBe(updatesBefore);
    expect(channelWith(t.net, t.bob, t.carol).forwardingPolicy).toEqual({ feeBaseMsat: 1000, feeProportionalMillionths: 0, cltvExpiryDelta: 72 });
  });
});
