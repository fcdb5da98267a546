/**
 * Issue 17: HTLCs we offered, resolved on chain (docs/force-close.md, "HTLCs
 * we offered, resolved on chain"). A payment whose HTLC is on the commitment
 * that confirmed stays pending through the close (ours, theirs, or the
 * peer's `error`); the chain handler's `htlc-resolved-on-chain` follow-up
 * then settles it: `PaymentSent` with the preimage the counterparty's claim
 * revealed, or, without one, the part failed as our channel's permanent
 * failure and the payment retried or failed. Two of our nodes over the
 * in-memory network: every input loads its items from the store.
 */
import { describe, expect, it } from 'vitest';
import { sha256, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { decodeInvoice } from '../../shared/invoice/index.js';
import {
  RecordKeys,
  decodeFollowUp,
  decodeOutboundPayment,
  encodeFollowUp,
  followUpFor,
  htlcResolvedOnChain,
  type ChannelManager,
  type FollowUpWork,
  type OutboundPayment,
} from '../../shared/manager/index.js';
import { attributeFailure, type Retry } from '../../shared/manager/outbound-payment.js';
import type { ManagerNetwork, ManagerNode } from '../support/manager-network.js';
import { channelsOf, connectedPair, eventsOf, fund, onlyChannel, openChannel } from './manager-fixture.js';

function readyPair(): { net: ManagerNetwork; alice: ManagerNode; bob: ManagerNode } {
  const { net, alice, bob } = connectedPair();
  net.mine([fund(net, alice, openChannel(net, alice, bob))]);
  net.run();
  expect(onlyChannel(net, alice).isUsable).toBe(true);
  return { net, alice, bob };
}

/** Bob's invoice for `amountMsat`, paid by alice under `paymentId` (retried as `retry` says), the HTLC committed on both sides and unclaimed. */
function paymentInFlight(net: ManagerNetwork, alice: ManagerNode, bob: ManagerNode, paymentId: Uint8Array, amountMsat = 20_000_000n, retry: Retry = { attempts: 3 }) {
  const created = net.step(bob, { kind: 'create-invoice' }, (m: ChannelManager) => m.createBolt11Invoice({ description: 'on chain', expirySecs: 3600, amountMsat }));
  if (!created.ok) throw new Error(created.error.message);
  const invoice = decodeInvoice(wasmSecp256k1, created.value.invoice);
  if (!invoice.ok) throw invoice.error;
  const d = invoice.value;
  const input = { kind: 'send-payment', paymentId, paymentHash: d.paymentHash, payeeNodeId: d.payeeNodeId, routeHints: d.routeHints } as const;
  const sent = net.step(alice, input, (m) =>
    m.sendPayment({
      paymentId,
      paymentHash: d.paymentHash,
      payeeNodeId: d.payeeNodeId,
      amountMsat,
      finalCltvExpiryDelta: d.minFinalCltvExpiryDelta,
      routeHints: d.routeHints,
      recipient: { paymentSecret: d.paymentSecret, totalMsat: amountMsat },
      retry,
      expiresAtSecs: d.expiresAtSec,
    }),
  );
  expect(sent.ok).toBe(true);
  net.run();
  const claimable = eventsOf(bob, 'payment-claimable').find((e) => toHex(e.paymentHash) === toHex(d.paymentHash));
  expect(claimable).toBeDefined();
  const channel = onlyChannel(net, alice);
  const htlc = channel.pendingHtlcs.find((h) => h.direction === 'offered' && toHex(h.paymentHash) === toHex(d.paymentHash));
  expect(htlc).toBeDefined();
  return { paymentHash: d.paymentHash, preimage: claimable!.paymentPreimage!, channel, htlc: htlc! };
}

function paymentRecord(node: ManagerNode, paymentHash: Uint8Array): OutboundPayment | undefined {
  const bytes = node.store.items.get(RecordKeys.outboundPayment(toHex(paymentHash)));
  if (bytes === undefined) return undefined;
  const decoded = decodeOutboundPayment(bytes);
  if (!decoded.ok) throw decoded.error;
  return decoded.value;
}

function forceClose(net: ManagerNetwork, alice: ManagerNode, bob: ManagerNode, channelId: Uint8Array): void {
  const closed = net.step(alice, { kind: 'force-close-channel', channelId, counterpartyNodeId: bob.nodeId }, (m) => m.forceCloseBroadcastingLatestTxn(channelId, bob.nodeId));
  expect(closed.ok).toBe(true);
  net.run();
  expect(eventsOf(alice, 'channel-closed')).toMatchObject([{ reason: 'holder-force-closed' }]);
}

/** The follow-up as the chain handler enqueues it (encoded, decoded), applied to alice as an input of its own. */
function applyOnChain(net: ManagerNetwork, alice: ManagerNode, bob: ManagerNode, work: FollowUpWork, inputId?: string): void {
  const decoded = decodeFollowUp(encodeFollowUp(work));
  if (!decoded.ok) throw decoded.error;
  net.step(alice, { kind: 'follow-up', peer: bob.nodeId, work: decoded.value }, (m) => m.applyFollowUp(bob.nodeId, decoded.value), inputId);
  net.run();
}

/** What alice's payments reported so far. */
function paymentEvents(alice: ManagerNode) {
  return { sent: eventsOf(alice, 'payment-sent'), pathFailed: eventsOf(alice, 'payment-path-failed'), failed: eventsOf(alice, 'payment-failed') };
}

describe('HTLCs we offered, resolved on chain', () => {
  it('our force close leaves the payment pending; the preimage claimed on chain makes it sent, exactly once', () => {
    const { net, alice, bob } = readyPair();
    const paymentId = new Uint8Array(32).fill(21);
    const { paymentHash, preimage, channel, htlc } = paymentInFlight(net, alice, bob, paymentId);
    forceClose(net, alice, bob, channel.channelId);

    // LDK fails an offered HTLC only once the chain settled it: nothing yet.
    expect(paymentEvents(alice)).toEqual({ sent: [], pathFailed: [], failed: [] });
    expect(paymentRecord(alice, paymentHash)).toMatchObject({ status: 'pending', parts: [{ route: { htlcAmountMsat: htlc.amountMsat } }] });
    // Blocks pass (the HTLC's expiry too): the closed channel's HTLC is the chain's now, not the expiry check's.
    net.mine([], htlc.expiryHeight - net.height + 5);
    expect(paymentEvents(alice)).toEqual({ sent: [], pathFailed: [], failed: [] });
    expect(paymentRecord(alice, paymentHash)?.status).toBe('pending');

    const work = htlcResolvedOnChain(channel.channelId, { paymentHash, amountMsat: htlc.amountMsat, cltvExpiry: htlc.expiryHeight }, preimage)!;
    expect(work).toBeDefined();
    applyOnChain(net, alice, bob, work);
    expect(eventsOf(alice, 'payment-sent')).toEqual([{ kind: 'payment-sent', paymentId, paymentHash, paymentPreimage: preimage, feePaidMsat: 0n }]);
    expect(paymentRecord(alice, paymentHash)).toMatchObject({ status: 'fulfilled', paymentPreimage: preimage });

    // The same result again (a copy resent by the follow-up watch under another id, or the other side's claim seen twice): nothing new.
    const events = alice.events.length;
    const stored = alice.store.items.get(RecordKeys.outboundPayment(toHex(paymentHash)));
    applyOnChain(net, alice, bob, work);
    applyOnChain(net, alice, bob, htlcResolvedOnChain(channel.channelId, { paymentHash, amountMsat: htlc.amountMsat, cltvExpiry: htlc.expiryHeight })!);
    expect(alice.events.length).toBe(events);
    expect(alice.store.items.get(RecordKeys.outboundPayment(toHex(paymentHash)))).toEqual(stored);
    expect(paymentEvents(alice).failed).toEqual([]);
  });

  it('without a preimage the part fails as our channel failing for good; no other channel: the payment fails; again: nothing', () => {
    const { net, alice, bob } = readyPair();
    const paymentId = new Uint8Array(32).fill(22);
    const { paymentHash, channel, htlc } = paymentInFlight(net, alice, bob, paymentId);
    forceClose(net, alice, bob, channel.channelId);
    expect(paymentRecord(alice, paymentHash)?.status).toBe('pending');

    // Another amount, or another channel: not this part.
    applyOnChain(net, alice, bob, htlcResolvedOnChain(channel.channelId, { paymentHash, amountMsat: htlc.amountMsat + 1n })!);
    applyOnChain(net, alice, bob, htlcResolvedOnChain(new Uint8Array(32).fill(5), { paymentHash, amountMsat: htlc.amountMsat })!);
    applyOnChain(net, alice, bob, htlcResolvedOnChain(channel.channelId, { paymentHash, amountMsat: htlc.amountMsat, cltvExpiry: htlc.expiryHeight + 1 })!);
    expect(paymentEvents(alice)).toEqual({ sent: [], pathFailed: [], failed: [] });

    const work = htlcResolvedOnChain(channel.channelId, { paymentHash, amountMsat: htlc.amountMsat, cltvExpiry: htlc.expiryHeight })!;
    applyOnChain(net, alice, bob, work);
    const scid = channel.shortChannelId ?? channel.inboundScidAlias;
    expect(eventsOf(alice, 'payment-path-failed')).toEqual([
      { kind: 'payment-path-failed', paymentId, paymentHash, paymentFailedPermanently: false, failure: 'permanentChannelFailure from hop 0', shortChannelId: scid },
    ]);
    // Retries are allowed (3), but the only channel is closed: no route.
    expect(net.followUps['retry-payment']).toBe(1);
    expect(eventsOf(alice, 'payment-failed')).toEqual([{ kind: 'payment-failed', paymentId, paymentHash, reason: 'RouteNotFound' }]);
    expect(paymentRecord(alice, paymentHash)).toMatchObject({ status: 'failed', reason: 'RouteNotFound' });
    expect(eventsOf(alice, 'payment-sent')).toEqual([]);

    const events = alice.events.length;
    applyOnChain(net, alice, bob, work);
    expect(alice.events.length).toBe(events);
    expect(paymentRecord(alice, paymentHash)?.status).toBe('failed');
  });

  it('with another channel to the payee, the failed part is retried over it (the closed channel left out)', () => {
    const { net, alice, bob } = connectedPair();
    const first = fund(net, alice, openChannel(net, alice, bob, 42n));
    const second = fund(net, alice, openChannel(net, alice, bob, 43n));
    net.mine([first, second]);
    net.run();
    expect(channelsOf(net, alice).filter((c) => c.isUsable)).toHaveLength(2);
    const created = net.step(bob, { kind: 'create-invoice' }, (m: ChannelManager) => m.createBolt11Invoice({ description: 'two ways', expirySecs: 3600, amountMsat: 20_000_000n }));
    if (!created.ok) throw new Error(created.error.message);
    const d = decodeInvoice(wasmSecp256k1, created.value.invoice);
    if (!d.ok) throw d.error;
    const { paymentHash } = d.value;
    const paymentId = new Uint8Array(32).fill(26);
    const request = { paymentId, paymentHash, payeeNodeId: bob.nodeId, amountMsat: 20_000_000n, finalCltvExpiryDelta: d.value.minFinalCltvExpiryDelta, recipient: { paymentSecret: d.value.paymentSecret, totalMsat: 20_000_000n }, retry: { attempts: 2 } };
    expect(net.step(alice, { kind: 'send-payment', paymentId, paymentHash, payeeNodeId: bob.nodeId }, (m) => m.sendPayment(request)).ok).toBe(true);
    net.run();
    const used = channelsOf(net, alice).find((c) => c.pendingHtlcs.some((h) => toHex(h.paymentHash) === toHex(paymentHash)))!;
    const other = channelsOf(net, alice).find((c) => toHex(c.channelId) !== toHex(used.channelId))!;
    const htlc = used.pendingHtlcs[0]!;
    const closed = net.step(alice, { kind: 'force-close-channel', channelId: used.channelId, counterpartyNodeId: bob.nodeId }, (m) => m.forceCloseBroadcastingLatestTxn(used.channelId, bob.nodeId));
    expect(closed.ok).toBe(true);
    net.run();
    expect(paymentRecord(alice, paymentHash)?.status).toBe('pending');

    const adds = bob.received.length;
    applyOnChain(net, alice, bob, htlcResolvedOnChain(used.channelId, { paymentHash, amountMsat: htlc.amountMsat, cltvExpiry: htlc.expiryHeight })!);
    expect(eventsOf(alice, 'payment-path-failed')[0]).toMatchObject({ paymentHash, paymentFailedPermanently: false, shortChannelId: used.shortChannelId ?? used.inboundScidAlias });
    // The retry's HTLC went over the other channel.
    const retried = bob.received.slice(adds).filter((m) => m.type === 128);
    expect(retried).toHaveLength(1);
    expect(toHex((retried[0] as { channelId: Uint8Array }).channelId)).toBe(toHex(other.channelId));
    expect((retried[0] as { paymentHash: Uint8Array }).paymentHash).toEqual(paymentHash);
  });

  it('an on-chain failure blames our first hop and excludes it from the retry, not failing the payment for good', () => {
    const hop = { pubkey: new Uint8Array(33).fill(2), shortChannelId: 777n, feeMsat: 0n, cltvExpiryDelta: 42, amountMsat: 1_000n, cltvExpiry: 900 };
    const part = { route: { hops: [hop], totalAmountMsat: 1_000n, totalFeeMsat: 0n, firstHopChannelId: new Uint8Array(32).fill(1), htlcAmountMsat: 1_000n, htlcCltvExpiry: 900 }, sessionKey: new Uint8Array(32).fill(3), htlcId: 0n };
    const attributed = attributeFailure(wasmSecp256k1, part, { kind: 'on-chain' });
    expect(attributed).toMatchObject({ paymentFailedPermanently: false, shortChannelId: 777n, excludeShortChannelId: 777n, failure: { kind: 'on-path', failingHopIndex: 0, failureCode: 0x4008 } });
  });

  it('without retries the failed part fails the payment at once (RetriesExhausted)', () => {
    const { net, alice, bob } = readyPair();
    const paymentId = new Uint8Array(32).fill(23);
    const { paymentHash, channel, htlc } = paymentInFlight(net, alice, bob, paymentId, 20_000_000n, { attempts: 0 });
    forceClose(net, alice, bob, channel.channelId);
    applyOnChain(net, alice, bob, htlcResolvedOnChain(channel.channelId, { paymentHash, amountMsat: htlc.amountMsat })!);
    expect(paymentEvents(alice).pathFailed).toHaveLength(1);
    expect(eventsOf(alice, 'payment-failed')).toEqual([{ kind: 'payment-failed', paymentId, paymentHash, reason: 'RetriesExhausted' }]);
    expect(net.followUps['retry-payment']).toBe(0);
  });

  it("their commitment (funding-spent, revoked or not) and the peer's error leave the payment pending too", () => {
    for (const how of ['funding-spent', 'funding-spent-revoked', 'peer-error'] as const) {
      const { net, alice, bob } = readyPair();
      const { paymentHash, channel } = paymentInFlight(net, alice, bob, new Uint8Array(32).fill(24));
      if (how !== 'peer-error') {
        const revoked = how === 'funding-spent-revoked';
        const txid = new Uint8Array(32).fill(3);
        applyOnChain(net, alice, bob, { kind: 'funding-spent', channelId: channel.channelId, txid, ...(revoked ? { revoked } : {}) });
        // A revoked commitment of theirs: justice takes its outputs, the channel says so.
        expect(eventsOf(alice, 'channel-closed'), how).toMatchObject([{ reason: revoked ? 'revoked-commitment-punished' : 'counterparty-force-closed', closingTxid: txid }]);
      } else {
        const message = { type: 17, channelId: channel.channelId, data: new TextEncoder().encode('bye') } as const;
        net.step(alice, { kind: 'peer-message', peer: bob.nodeId, message }, (m) => m.handleChannelMessage(bob.nodeId, message));
        net.run();
        expect(eventsOf(alice, 'channel-closed')).toMatchObject([{ reason: 'counterparty-error' }]);
      }
      expect(paymentEvents(alice), how).toEqual({ sent: [], pathFailed: [], failed: [] });
      expect(paymentRecord(alice, paymentHash)?.status, how).toBe('pending');
    }
  });

  it('a hash we never paid, or a wrong preimage, changes nothing and does not throw', () => {
    const { net, alice, bob } = readyPair();
    const { paymentHash, channel, htlc } = paymentInFlight(net, alice, bob, new Uint8Array(32).fill(25));
    forceClose(net, alice, bob, channel.channelId);
    const items = new Map(alice.store.items);
    const events = alice.events.length;
    const strangerPreimage = new Uint8Array(32).fill(77);
    const stranger = sha256(strangerPreimage);
    applyOnChain(net, alice, bob, htlcResolvedOnChain(channel.channelId, { paymentHash: stranger, amountMsat: htlc.amountMsat })!);
    applyOnChain(net, alice, bob, htlcResolvedOnChain(channel.channelId, { paymentHash: stranger, amountMsat: htlc.amountMsat }, strangerPreimage)!);
    // A preimage that does not hash to our payment's hash (the helper refuses it; a record carrying one anyway is not taken).
    applyOnChain(net, alice, bob, { kind: 'htlc-resolved-on-chain', channelId: channel.channelId, paymentHash, amountMsat: htlc.amountMsat, paymentPreimage: new Uint8Array(32).fill(1) });
    expect(alice.events.length).toBe(events);
    // Only the input records of these three follow-ups were added.
    expect([...alice.store.items.keys()].filter((k) => !items.has(k))).toEqual([]);
    for (const [k, v] of items) expect(alice.store.items.get(k), k).toEqual(v);
    expect(paymentRecord(alice, paymentHash)?.status).toBe('pending');
  });
});

describe('the htlc-resolved-on-chain record', () => {
  const channelId = new Uint8Array(32).fill(7);
  const preimage = new Uint8Array(32).fill(4);
  const paymentHash = sha256(preimage);

  it.each([
    { kind: 'htlc-resolved-on-chain', channelId, paymentHash, amountMsat: 20_000_123n },
    { kind: 'htlc-resolved-on-chain', channelId, paymentHash, amountMsat: 0n, cltvExpiry: 0xffffffff },
    { kind: 'htlc-resolved-on-chain', channelId, paymentHash, amountMsat: 2n ** 64n - 1n, cltvExpiry: 850_123, paymentPreimage: preimage },
  ] satisfies FollowUpWork[])('round-trips (amount $amountMsat)', (work) => {
    expect(decodeFollowUp(encodeFollowUp(work))).toEqual({ ok: true, value: work });
  });

  it('is watched until applied (nothing makes it again when lost), in the peer group of the channel', () => {
    const peer = new Uint8Array(33).fill(2);
    const work = htlcResolvedOnChain(channelId, { paymentHash, amountMsat: 5n })!;
    const outbox = followUpFor(peer, work);
    expect(outbox).toEqual({ peer, work: encodeFollowUp(work), watched: true });
    expect(decodeFollowUp(outbox.work)).toEqual({ ok: true, value: work });
    // A kind the next chain sync makes again is not watched.
    expect(followUpFor(peer, { kind: 'chain', channelId, events: [] }).watched).toBeUndefined();
  });

  it('refuses a record without its hash or amount, truncated or garbage bytes, without throwing', () => {
    const bytes = encodeFollowUp({ kind: 'htlc-resolved-on-chain', channelId, paymentHash, amountMsat: 5n, paymentPreimage: preimage });
    for (let n = 0; n < bytes.length; n++) expect(decodeFollowUp(bytes.subarray(0, n)).ok, `cut at ${n}`).toBe(false);
    // A funds-swept record relabelled as this kind: no hash, no msat amount.
    const relabelled = encodeFollowUp({ kind: 'funds-swept', channelId, txid: paymentHash, amountSat: 5n });
    relabelled[3] = 12;
    expect(decodeFollowUp(relabelled)).toMatchObject({ ok: false });
    // A retry record relabelled: a hash but no amount.
    const noAmount = encodeFollowUp({ kind: 'retry-payment', channelId, paymentHash, peers: [] });
    noAmount[3] = 12;
    expect(decodeFollowUp(noAmount)).toMatchObject({ ok: false });
    let seed = 17;
    for (let i = 0; i < 300; i++) {
      const garbage = Uint8Array.from({ length: 1 + (i % 90) }, () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff);
      expect(() => decodeFollowUp(garbage)).not.toThrow();
    }
  });

  it('the helper refuses what the chain cannot have shown', () => {
    expect(htlcResolvedOnChain(channelId, { paymentHash, amountMsat: 1n }, preimage)).toEqual({ kind: 'htlc-resolved-on-chain', channelId, paymentHash, amountMsat: 1n, paymentPreimage: preimage });
    expect(htlcResolvedOnChain(channelId, { paymentHash, amountMsat: 1n }, new Uint8Array(32))).toBeUndefined();
    expect(htlcResolvedOnChain(channelId, { paymentHash: paymentHash.subarray(1), amountMsat: 1n })).toBeUndefined();
    expect(htlcResolvedOnChain(channelId.subarray(1), { paymentHash, amountMsat: 1n })).toBeUndefined();
    expect(htlcResolvedOnChain(channelId, { paymentHash, amountMsat: -1n })).toBeUndefined();
    expect(htlcResolvedOnChain(channelId, { paymentHash, amountMsat: 1n, cltvExpiry: -1 })).toBeUndefined();
  });
});
