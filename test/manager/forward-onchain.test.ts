/**
 * Issues 17/18: a forward whose OUTGOING channel closed, settled by the
 * chain (docs/forwarding.md, "The outgoing channel closed"). Three of our
 * nodes, alice → bob → carol, over the in-memory network (every input loads
 * its items from the store); bob's channel to carol closes with the
 * forwarded HTLC on it, and the chain handler's `htlc-resolved-on-chain`
 * follow-up (encoded and decoded as it travels) reaches bob:
 *
 * - carol claimed it with the preimage: bob claims alice's HTLC with it,
 *   alice's payment succeeds, bob earns his fee (`payment-forwarded`);
 * - bob's timeout claim took it back: alice's HTLC is failed back with
 *   `permanent_channel_failure` from hop 0, bob's balance with alice as before;
 * - the expiry check never fails the incoming HTLC back while the outgoing
 *   one is pending; the outgoing channel (not the incoming) force-closes.
 */
import { describe, expect, it } from 'vitest';
import { sha256, toHex } from '../../shared/crypto/index.js';
import {
  RecordKeys,
  decodeFollowUp,
  decodeOfferedIds,
  encodeFollowUp,
  encodeOfferedIds,
  htlcResolvedOnChain,
  offeredOnChainKey,
  type ChannelDetails,
  type FollowUpWork,
} from '../../shared/manager/index.js';
import type { PendingHtlc } from '../../shared/channel/index.js';
import { createInvoiceOn, payInvoice } from '../support/invoice-payment.js';
import { ManagerNetwork, type ManagerNode } from '../support/manager-network.js';
import { channelsOf, eventsOf, fund, openChannel } from './manager-fixture.js';

interface Three {
  net: ManagerNetwork;
  alice: ManagerNode;
  bob: ManagerNode;
  carol: ManagerNode;
}

/** alice → bob → carol, both channels ready; bob's CLTV delta `delta` (42: LDK's least). */
function threeNodes(delta = 72): Three {
  const net = new ManagerNetwork();
  const alice = net.addNode('alice', { config: { minimumDepth: 1 } });
  const bob = net.addNode('bob', { config: { minimumDepth: 1 } });
  const carol = net.addNode('carol', { config: { minimumDepth: 1 } });
  bob.config = { ...net.read(bob, (m) => m.currentDefaultConfiguration()), forwarding: { feeBaseMsat: 1000, feeProportionalMillionths: 0, cltvExpiryDelta: delta, htlcMinimumMsat: 1n } };
  net.connect(alice, bob);
  net.connect(bob, carol);
  const ab = fund(net, alice, openChannel(net, alice, bob, 1n));
  const bc = fund(net, bob, openChannel(net, bob, carol, 2n));
  net.mine([ab, bc]);
  net.run();
  for (const n of [alice, bob, carol]) expect(channelsOf(net, n).every((c) => c.isUsable)).toBe(true);
  return { net, alice, bob, carol };
}

function channelWith(net: ManagerNetwork, node: ManagerNode, peer: ManagerNode): ChannelDetails | undefined {
  return channelsOf(net, node).find((c) => toHex(c.counterpartyNodeId) === toHex(peer.nodeId));
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`no ${what}`);
  return value;
}

interface InFlight {
  paymentHash: Uint8Array;
  preimage: Uint8Array;
  incoming: ChannelDetails;
  outgoing: ChannelDetails;
  /** Bob's HTLC to carol, as the chain will name it. */
  offered: PendingHtlc;
  /** Alice's HTLC to bob. */
  received: PendingHtlc;
}

/** alice pays carol's invoice of `amountMsat` through bob; carol does not claim: the HTLC is committed on both channels. */
function forwardInFlight(t: Three, amountMsat = 4_000_000n, id = 1): InFlight {
  const invoice = createInvoiceOn(t.net, t.carol, { description: 'stalled', amountMsat, expirySecs: 3600 });
  expect(payInvoice(t.net, t.alice, invoice.decoded, { paymentId: sha256(Uint8Array.of(id)) }).ok).toBe(true);
  t.net.run();
  const claimable = must(
    eventsOf(t.carol, 'payment-claimable').find((e) => toHex(e.paymentHash) === toHex(invoice.paymentHash)),
    'payment-claimable at carol',
  );
  const incoming = must(channelWith(t.net, t.bob, t.alice), 'bob-alice channel');
  const outgoing = must(channelWith(t.net, t.bob, t.carol), 'bob-carol channel');
  const offered = must(
    outgoing.pendingHtlcs.find((h) => h.direction === 'offered' && toHex(h.paymentHash) === toHex(invoice.paymentHash)),
    'offered HTLC',
  );
  const received = must(
    incoming.pendingHtlcs.find((h) => h.direction === 'received' && toHex(h.paymentHash) === toHex(invoice.paymentHash)),
    'received HTLC',
  );
  return { paymentHash: invoice.paymentHash, preimage: claimable.paymentPreimage!, incoming, outgoing, offered, received };
}

/** Bob force-closes his channel to carol (the forwarded HTLC on it). */
function bobClosesToCarol(t: Three, f: InFlight): void {
  const closed = t.net.step(t.bob, { kind: 'force-close-channel', channelId: f.outgoing.channelId, counterpartyNodeId: t.carol.nodeId }, (m) =>
    m.forceCloseBroadcastingLatestTxn(f.outgoing.channelId, t.carol.nodeId),
  );
  expect(closed.ok).toBe(true);
  t.net.run();
  expect(channelWith(t.net, t.bob, t.carol)).toBeUndefined();
}

/** The chain handler's follow-up for bob's HTLC to carol, applied to bob as an input of its own. */
function chainSettles(t: Three, f: InFlight, preimage?: Uint8Array): void {
  const work = must(htlcResolvedOnChain(f.outgoing.channelId, { paymentHash: f.paymentHash, amountMsat: f.offered.amountMsat, cltvExpiry: f.offered.expiryHeight }, preimage), 'follow-up');
  const decoded = decodeFollowUp(encodeFollowUp(work));
  if (!decoded.ok) throw decoded.error;
  const applied: FollowUpWork = decoded.value;
  t.net.step(t.bob, { kind: 'follow-up', peer: t.carol.nodeId, work: applied }, (m) => m.applyFollowUp(t.carol.nodeId, applied));
  t.net.run();
}

function forwardKeys(node: ManagerNode): string[] {
  return [...node.store.items.keys()].filter((k) => k.startsWith('FORWARD#'));
}

function balanceWith(t: Three, node: ManagerNode, peer: ManagerNode): bigint {
  return must(channelWith(t.net, node, peer), 'channel').balanceMsat;
}

describe('a forward whose outgoing channel closed, settled on chain', () => {
  it('carol claims it on chain with the preimage: bob claims alice\'s HTLC at once, alice\'s payment succeeds, bob earns his fee', () => {
    const t = threeNodes();
    const [aliceBefore, bobBefore] = [balanceWith(t, t.alice, t.bob), balanceWith(t, t.bob, t.alice)];
    const f = forwardInFlight(t);
    bobClosesToCarol(t, f);
    // The close settles nothing upstream: alice's HTLC stays, the link is kept, the HTLC kept by the chain's name.
    expect(eventsOf(t.alice, 'payment-sent')).toEqual([]);
    expect(eventsOf(t.alice, 'payment-path-failed')).toEqual([]);
    expect(channelWith(t.net, t.bob, t.alice)?.pendingHtlcs).toHaveLength(1);
    const byName = offeredOnChainKey(f.outgoing.channelId, f.paymentHash, f.offered.amountMsat, f.offered.expiryHeight);
    expect(decodeOfferedIds(must(t.bob.store.items.get(byName), 'by-name record'))).toEqual([0n]);
    expect(t.bob.store.items.has(RecordKeys.forwardOut(toHex(f.outgoing.channelId), 0n))).toBe(true);
    // Bob restarts before the chain tells him: everything he needs is in the store.
    t.net.restart(t.bob);

    chainSettles(t, f, f.preimage);
    expect(eventsOf(t.alice, 'payment-sent')).toMatchObject([{ paymentHash: f.paymentHash, paymentPreimage: f.preimage, feePaidMsat: 1000n }]);
    expect(eventsOf(t.bob, 'payment-forwarded')).toEqual([
      { kind: 'payment-forwarded', amountMsat: 4_000_000n, feeMsat: 1000n, inboundChannelId: f.incoming.channelId, outboundChannelId: f.outgoing.channelId },
    ]);
    // The incoming HTLC is bob's: its amount and fee moved to his side of the channel with alice.
    expect(balanceWith(t, t.bob, t.alice)).toBe(bobBefore + 4_001_000n);
    expect(balanceWith(t, t.alice, t.bob)).toBe(aliceBefore - 4_001_000n);
    expect(channelWith(t.net, t.bob, t.alice)?.pendingHtlcs).toEqual([]);
    expect(forwardKeys(t.bob)).toEqual([]);

    // The chain handler makes the same outcome again at a later plan: nothing new.
    const events = [t.alice.events.length, t.bob.events.length];
    chainSettles(t, f, f.preimage);
    expect([t.alice.events.length, t.bob.events.length]).toEqual(events);
  });

  it('bob\'s timeout claim takes it back (final): alice\'s HTLC is failed back with permanent_channel_failure from bob (hop 0), no fee', () => {
    const t = threeNodes();
    const [aliceBefore, bobBefore] = [balanceWith(t, t.alice, t.bob), balanceWith(t, t.bob, t.alice)];
    const f = forwardInFlight(t, 3_000_000n, 2);
    bobClosesToCarol(t, f);
    chainSettles(t, f);
    const [failed] = eventsOf(t.alice, 'payment-path-failed');
    expect(failed?.failure).toBe('permanentChannelFailure from hop 0');
    expect(eventsOf(t.alice, 'payment-failed')).toHaveLength(1);
    expect(eventsOf(t.alice, 'payment-sent')).toEqual([]);
    expect(eventsOf(t.bob, 'payment-forwarded')).toEqual([]);
    expect(balanceWith(t, t.bob, t.alice)).toBe(bobBefore);
    expect(balanceWith(t, t.alice, t.bob)).toBe(aliceBefore);
    expect(channelWith(t.net, t.bob, t.alice)?.pendingHtlcs).toEqual([]);
    expect(channelWith(t.net, t.bob, t.alice)?.isUsable).toBe(true);
    expect(forwardKeys(t.bob)).toEqual([]);

    // Again, or with a preimage after all (a reorg is not this: the failure went upstream once final): nothing moves.
    const events = [t.alice.events.length, t.bob.events.length];
    chainSettles(t, f);
    chainSettles(t, f, f.preimage);
    expect([t.alice.events.length, t.bob.events.length]).toEqual(events);
  });

  it('two alike forwards on the closed channel (same hash, amount, expiry): each outcome settles one of them', () => {
    const t = threeNodes();
    const f = forwardInFlight(t, 2_000_000n, 3);
    bobClosesToCarol(t, f);
    // A second forward alike, as if offered beside the first (an MPP payment split evenly): the by-name record lists both ids.
    const byName = offeredOnChainKey(f.outgoing.channelId, f.paymentHash, f.offered.amountMsat, f.offered.expiryHeight);
    t.bob.store.items.set(byName, encodeOfferedIds([7n, 0n]));
    chainSettles(t, f, f.preimage);
    // Id 7 has no link (not a forward in flight): id 0's link is the one settled, 7 stays listed.
    expect(eventsOf(t.bob, 'payment-forwarded')).toHaveLength(1);
    expect(decodeOfferedIds(must(t.bob.store.items.get(byName), 'by-name record'))).toEqual([7n]);
  });

  it('a by-name record that is not a list of ids: a typed error, nothing written', () => {
    const t = threeNodes();
    const f = forwardInFlight(t, 2_000_000n, 4);
    bobClosesToCarol(t, f);
    const byName = offeredOnChainKey(f.outgoing.channelId, f.paymentHash, f.offered.amountMsat, f.offered.expiryHeight);
    t.bob.store.items.set(byName, Uint8Array.of(1, 2, 3));
    const before = new Map(t.bob.store.items);
    expect(() => chainSettles(t, f, f.preimage)).toThrow(/not a list of HTLC ids/);
    expect(t.bob.store.items).toEqual(before);
    expect(decodeOfferedIds(Uint8Array.of(1, 2, 3))).toBeUndefined();
    expect(decodeOfferedIds(encodeOfferedIds([1n, 2n ** 64n - 1n]))).toEqual([1n, 2n ** 64n - 1n]);
  });
});

/** Delivers every queued message but those from `from` to `to`, which stay queued; returns how many stay. */
function runHolding(net: ManagerNetwork, from: ManagerNode, to: ManagerNode): number {
  const kept = (q: { from: ManagerNode; to: ManagerNode }) => q.from === from && q.to === to;
  for (let index = net.queue.findIndex((q) => !kept(q)); index >= 0; index = net.queue.findIndex((q) => !kept(q))) {
    net.queue.unshift(...net.queue.splice(index, 1));
    net.deliverOne();
  }
  return net.queue.length;
}

describe('a forward still in the holding cell when the outgoing channel closes', () => {
  it('is failed back at once with permanent_channel_failure (it is on no commitment); the one carol holds waits for the chain', () => {
    const t = threeNodes();
    const onCommitment = createInvoiceOn(t.net, t.carol, { description: 'signed', amountMsat: 2_000_000n, expirySecs: 3600 });
    const held = createInvoiceOn(t.net, t.carol, { description: 'held', amountMsat: 3_000_000n, expirySecs: 3600 });
    // Bob forwards the first and awaits carol's revoke_and_ack (kept from him): the second forward waits in his holding cell.
    expect(payInvoice(t.net, t.alice, onCommitment.decoded, { paymentId: sha256(Uint8Array.of(10)) }).ok).toBe(true);
    expect(runHolding(t.net, t.carol, t.bob)).toBeGreaterThan(0);
    expect(payInvoice(t.net, t.alice, held.decoded, { paymentId: sha256(Uint8Array.of(11)) }).ok).toBe(true);
    runHolding(t.net, t.carol, t.bob);
    const outgoing = must(channelWith(t.net, t.bob, t.carol), 'bob-carol channel');
    expect(outgoing.pendingHtlcs.map((h) => h.amountMsat).sort()).toEqual([2_000_000n, 3_000_000n]);
    expect(channelWith(t.net, t.bob, t.alice)?.pendingHtlcs).toHaveLength(2);

    const closed = t.net.step(t.bob, { kind: 'force-close-channel', channelId: outgoing.channelId, counterpartyNodeId: t.carol.nodeId }, (m) =>
      m.forceCloseBroadcastingLatestTxn(outgoing.channelId, t.carol.nodeId),
    );
    expect(closed.ok).toBe(true);
    // What carol sent bob before the close is lost with it.
    t.net.queue.splice(0, t.net.queue.length, ...t.net.queue.filter((q) => !(q.from === t.carol && q.to === t.bob)));
    t.net.run();
    const failed = eventsOf(t.alice, 'payment-path-failed');
    expect(failed).toMatchObject([{ paymentHash: held.paymentHash, failure: 'permanentChannelFailure from hop 0' }]);
    expect(eventsOf(t.alice, 'payment-failed')).toMatchObject([{ paymentHash: held.paymentHash }]);
    // The signed one stays for the chain's verdict.
    expect(channelWith(t.net, t.bob, t.alice)?.pendingHtlcs).toMatchObject([{ direction: 'received', paymentHash: onCommitment.paymentHash }]);
  });
});

describe('the expiry check and a forward', () => {
  it('the incoming HTLC is left alone while the outgoing is pending; the OUTGOING channel force-closes at its expiry', () => {
    // Bob's delta at LDK's least (42): the incoming HTLC is due for failing back (expiry - 40) before the outgoing one times out (expiry + 3).
    const t = threeNodes(42);
    const f = forwardInFlight(t, 5_000_000n, 5);
    expect(f.received.expiryHeight).toBe(f.offered.expiryHeight + 42);
    // Carol is offline: her own expiry check's failure never reaches bob.
    t.net.disconnect(t.bob, t.carol);
    t.net.mine([], f.received.expiryHeight - 40 - t.net.height);
    expect(channelWith(t.net, t.bob, t.alice)?.pendingHtlcs).toMatchObject([{ direction: 'received', paymentHash: f.paymentHash }]);
    expect(channelWith(t.net, t.bob, t.carol)).toBeDefined();
    expect(eventsOf(t.alice, 'payment-path-failed')).toEqual([]);

    // Past the outgoing HTLC's expiry and the grace period: bob closes the channel to carol, not the one with alice.
    t.net.mine([], f.offered.expiryHeight + 3 - t.net.height);
    expect(channelWith(t.net, t.bob, t.carol)).toBeUndefined();
    expect(eventsOf(t.bob, 'channel-closed')).toMatchObject([{ channelId: f.outgoing.channelId }]);
    const incoming = must(channelWith(t.net, t.bob, t.alice), 'bob-alice channel');
    expect(incoming.isUsable).toBe(true);
    expect(incoming.pendingHtlcs).toMatchObject([{ direction: 'received', paymentHash: f.paymentHash }]);
    // More blocks, still short of the incoming HTLC's own expiry: it stays for the chain's verdict.
    t.net.mine([], 10);
    expect(channelWith(t.net, t.bob, t.alice)?.pendingHtlcs).toHaveLength(1);
    expect(eventsOf(t.alice, 'payment-path-failed')).toEqual([]);

    // The timeout claim final: failed back upstream, the channel with alice keeps going.
    chainSettles(t, f);
    expect(eventsOf(t.alice, 'payment-path-failed')[0]?.failure).toBe('permanentChannelFailure from hop 0');
    expect(channelWith(t.net, t.bob, t.alice)).toMatchObject({ isUsable: true, pendingHtlcs: [] });
  });
});

type Created = ReturnType<typeof createInvoiceOn>;

/**
 * Alice pays two invoices of `payee`'s (2,000 then 3,000 sat): `holder`
 * (alice or bob) sends the first and awaits the payee's revoke_and_ack, kept
 * from it; then the payee goes offline, the second HTLC held in `holder`'s
 * holding cell.
 */
function secondHeld(t: Three, holder: ManagerNode, payee: ManagerNode, firstId: number): { onCommitment: Created; held: Created } {
  const onCommitment = createInvoiceOn(t.net, payee, { description: 'signed', amountMsat: 2_000_000n, expirySecs: 3600 });
  const held = createInvoiceOn(t.net, payee, { description: 'held', amountMsat: 3_000_000n, expirySecs: 3600 });
  expect(payInvoice(t.net, t.alice, onCommitment.decoded, { paymentId: sha256(Uint8Array.of(firstId)) }).ok).toBe(true);
  expect(runHolding(t.net, payee, holder)).toBeGreaterThan(0);
  expect(payInvoice(t.net, t.alice, held.decoded, { paymentId: sha256(Uint8Array.of(firstId + 1)) }).ok).toBe(true);
  runHolding(t.net, payee, holder);
  t.net.disconnect(holder, payee);
  return { onCommitment, held };
}

describe('a forward held in the holding cell near its expiry (LDK: best_block_updated)', () => {
  it('is taken back unsent 3 blocks before its expiry and failed upstream with expiry_too_soon; the next HTLC reuses its id', () => {
    const t = threeNodes();
    // Bob forwards the first and awaits carol's revoke_and_ack; carol goes offline: the second forward stays held.
    const { onCommitment, held } = secondHeld(t, t.bob, t.carol, 30);
    const outgoing = must(channelWith(t.net, t.bob, t.carol), 'bob-carol channel');
    const heldHtlc = must(outgoing.pendingHtlcs.find((h) => toHex(h.paymentHash) === toHex(held.paymentHash)), 'the held HTLC');
    const signedHtlc = must(outgoing.pendingHtlcs.find((h) => toHex(h.paymentHash) === toHex(onCommitment.paymentHash)), 'the signed HTLC');
    const bobBalance = outgoing.balanceMsat;

    // Four blocks before its expiry: still held.
    t.net.mine([], heldHtlc.expiryHeight - 4 - t.net.height);
    expect(must(channelWith(t.net, t.bob, t.carol), 'bob-carol channel').pendingHtlcs).toHaveLength(2);
    expect(eventsOf(t.alice, 'payment-path-failed')).toEqual([]);

    // Three: taken back (carol never saw it), alice's HTLC failed back with bob's expiry_too_soon; the signed one stays, the channel open.
    t.net.mine([], 1);
    const after = must(channelWith(t.net, t.bob, t.carol), 'bob-carol channel');
    expect(after.pendingHtlcs).toMatchObject([{ direction: 'offered', paymentHash: onCommitment.paymentHash }]);
    expect(after.balanceMsat).toBe(bobBalance + heldHtlc.amountMsat);
    expect(eventsOf(t.bob, 'channel-closed')).toEqual([]);
    expect(eventsOf(t.alice, 'payment-path-failed')).toMatchObject([{ paymentHash: held.paymentHash, failure: 'expiryTooSoon from hop 0' }]);
    expect(channelWith(t.net, t.bob, t.alice)?.pendingHtlcs).toMatchObject([{ direction: 'received', paymentHash: onCommitment.paymentHash }]);
    // Only the signed forward's link (out) and mark (in) are left.
    expect(forwardKeys(t.bob).map((k) => k.slice(-21))).toEqual(['o00000000000000000000', 'r00000000000000000000']);
    expect(signedHtlc.expiryHeight).toBeGreaterThan(t.net.height);

    // Carol back: the dance completes without the withdrawn HTLC, and the next forward takes its id (carol checks the sequence).
    t.net.connect(t.bob, t.carol);
    t.net.run();
    const next = createInvoiceOn(t.net, t.carol, { description: 'after', amountMsat: 1_000_000n, expirySecs: 3600 });
    expect(payInvoice(t.net, t.alice, next.decoded, { paymentId: sha256(Uint8Array.of(32)) }).ok).toBe(true);
    t.net.run();
    expect(eventsOf(t.carol, 'payment-claimable').map((e) => toHex(e.paymentHash))).toContain(toHex(next.paymentHash));
    expect(channelWith(t.net, t.carol, t.bob)?.isUsable).toBe(true);
    expect(eventsOf(t.carol, 'channel-closed')).toEqual([]);
  });
});

describe('a part of our own payment held in the holding cell near its expiry', () => {
  it('is taken back unsent and fails at its first hop: the payment fails (its peer offline, no other route)', () => {
    const t = threeNodes();
    const { onCommitment: first, held: second } = secondHeld(t, t.alice, t.bob, 40);
    const heldHtlc = must(must(channelWith(t.net, t.alice, t.bob), 'alice-bob channel').pendingHtlcs.find((h) => toHex(h.paymentHash) === toHex(second.paymentHash)), 'the held HTLC');

    t.net.mine([], heldHtlc.expiryHeight - 3 - t.net.height);
    expect(must(channelWith(t.net, t.alice, t.bob), 'alice-bob channel').pendingHtlcs).toMatchObject([{ paymentHash: first.paymentHash }]);
    const [failed] = eventsOf(t.alice, 'payment-path-failed');
    expect(failed).toMatchObject({ paymentHash: second.paymentHash });
    expect(failed?.failure).toMatch(/waited in the holding cell until its expiry/);
    expect(eventsOf(t.alice, 'payment-failed')).toMatchObject([{ paymentHash: second.paymentHash }]);
    expect(eventsOf(t.alice, 'channel-closed')).toEqual([]);
  });
});
