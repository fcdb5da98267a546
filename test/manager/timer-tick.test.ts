/**
 * The manager's timer tick (docs/timer.md; LDK's `timer_tick_occurred`)
 * over the in-memory network of our nodes: an incomplete multi-part payment
 * failed back with `mpp_timeout` after `MPP_TIMEOUT_TICKS` ticks and not
 * before, a complete one untouched; our `update_fee` as funder when the
 * estimate moves past LDK's threshold (never under it, never as fundee);
 * a resolved payment's records given a 24-hour TTL.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHANNEL_CONFIG, canAffordFeeUpdate, sendUpdateFee, type ChannelContext, type ReadyChannel } from '../../shared/channel/index.js';
import { sha256 } from '../../shared/crypto/index.js';
import {
  IndexPrefix,
  MPP_TIMEOUT_TICKS,
  MPP_TIMEOUTS_PER_TICK,
  RecordKeys,
  decodeFunderEntry,
  decodeManagerHeader,
  encodeChannelRef,
  encodeFunderEntry,
  encodeManagerHeader,
  mppKey,
  parseMppKey,
  shouldUpdateFee,
  type TimerTickReport,
} from '../../shared/manager/index.js';
import { PAYMENT_MEMORY_SECS } from '../../shared/manager/outbound-payment.js';
import { SortKey } from '../../shared/store/index.js';
import { createInvoiceOn, payInvoice } from '../support/invoice-payment.js';
import type { ManagerNetwork, ManagerNode } from '../support/manager-network.js';
import { connectedPair, eventsOf, fund, onlyChannel, openChannel } from './manager-fixture.js';

function readyPair(anchors = false): { net: ManagerNetwork; alice: ManagerNode; bob: ManagerNode } {
  const options = { negotiateAnchorsZeroFeeHtlcTx: anchors, minimumDepth: 1 };
  const { net, alice, bob } = connectedPair(1, { config: options });
  if (anchors) {
    // Alice proposes anchors too (her handshake config).
    alice.config = { channel: { ...net.read(alice, (m) => m.currentDefaultConfiguration()).channel, handshake: { ...net.read(alice, (m) => m.currentDefaultConfiguration()).channel.handshake, ...options } }, acceptInboundChannels: 'all' };
  }
  net.mine([fund(net, alice, openChannel(net, alice, bob))]);
  net.run();
  expect(onlyChannel(net, alice).isUsable).toBe(true);
  return { net, alice, bob };
}

function tick(net: ManagerNetwork, node: ManagerNode): TimerTickReport {
  const report = net.step(node, { kind: 'timer-tick' }, (m) => m.timerTickOccurred());
  net.run();
  return report;
}

function invoiceOf(net: ManagerNetwork, node: ManagerNode, amountMsat: bigint) {
  return createInvoiceOn(net, node, { description: 'order 7', expirySecs: 3600, amountMsat }).decoded;
}

/** One part of `amountMsat` of a payment whose total is the invoice's amount (a multi-part payment whose other parts never come). */
function payPart(net: ManagerNetwork, payer: ManagerNode, invoice: ReturnType<typeof invoiceOf>, paymentId: Uint8Array, amountMsat: bigint) {
  expect(payInvoice(net, payer, invoice, { paymentId, amountMsat, totalMsat: invoice.amountMsat! }).ok).toBe(true);
  net.run();
}

/** A channel context with the node's ports (what the manager hands the channel). */
function channelContextOf(node: ManagerNode): ChannelContext {
  const p = node.ports;
  return { secp: p.secp, signerProvider: p.signerProvider, entropy: p.entropy, feeEstimator: p.feeEstimator, chainHash: new Uint8Array(32), config: DEFAULT_CHANNEL_CONFIG };
}

/** The node's only channel as stored (what the next input loads). */
function storedChannel(node: ManagerNode): ReadyChannel {
  const entry = [...node.store.storedChannels().values()][0]!;
  if (!entry.ok || entry.value.kind !== 'channel') throw new Error('no channel item');
  return entry.value.channel as ReadyChannel;
}

function indexItems(node: ManagerNode, prefix: string): string[] {
  return [...node.store.items.keys()].filter((sk) => sk.startsWith(SortKey.indexPrefix(prefix)));
}

describe('timer tick: multi-part payments that never complete (LDK MPP_TIMEOUT_TICKS, BOLT 4 mpp_timeout)', () => {
  it(`one part of two is failed back with mpp_timeout after ${MPP_TIMEOUT_TICKS} ticks, not before; the sender sees it; balances unchanged`, () => {
    const { net, alice, bob } = readyPair();
    const before = onlyChannel(net, alice).balanceMsat;
    const invoice = invoiceOf(net, bob, 20_000_000n);
    payPart(net, alice, invoice, new Uint8Array(32).fill(1), 10_000_000n);
    expect(eventsOf(bob, 'payment-claimable')).toEqual([]);
    expect(indexItems(bob, IndexPrefix.mpp)).toHaveLength(1);
    expect(bob.store.items.has(RecordKeys.claimable(Buffer.from(invoice.paymentHash).toString('hex')))).toBe(true);

    for (let i = 1; i < MPP_TIMEOUT_TICKS; i++) {
      expect(tick(net, bob)).toMatchObject({ tick: i, mppTimedOut: 0 });
      expect(eventsOf(alice, 'payment-path-failed')).toEqual([]);
      expect(storedChannel(bob).htlcs).toHaveLength(1);
    }
    expect(tick(net, bob)).toMatchObject({ tick: MPP_TIMEOUT_TICKS, mppTimedOut: 1 });
    expect(net.followUps['fail-htlcs']).toBe(1);
    expect(eventsOf(alice, 'payment-path-failed')).toMatchObject([{ paymentHash: invoice.paymentHash, failure: expect.stringContaining('mppTimeout') }]);
    expect(eventsOf(alice, 'payment-failed')).toMatchObject([{ paymentHash: invoice.paymentHash }]);
    expect(eventsOf(bob, 'payment-claimable')).toEqual([]);
    // Nothing left: no HTLC, no record, no index item; balances as before.
    expect(storedChannel(alice).htlcs ?? []).toEqual([]);
    expect(storedChannel(bob).htlcs ?? []).toEqual([]);
    expect(indexItems(bob, IndexPrefix.mpp)).toEqual([]);
    expect([...bob.store.items.keys()].filter((sk) => sk.startsWith('CLAIMABLE#'))).toEqual([]);
    expect(onlyChannel(net, alice).balanceMsat).toBe(before);
    // Later ticks find nothing more to do.
    expect(tick(net, bob)).toMatchObject({ mppTimedOut: 0, mppStale: 0 });
  });

  it('a complete set (two parts over two channels) is not touched by ticks; its claim still settles it', () => {
    const { net, alice, bob } = readyPair();
    // A second channel into bob, from carol: our sender pays one hash over one path, so the second part comes from her.
    const carol = net.addNode('carol', { config: { minimumDepth: 1 } });
    net.connect(carol, bob);
    net.mine([fund(net, carol, openChannel(net, carol, bob, 43n))]);
    net.run();
    const invoice = invoiceOf(net, bob, 20_000_000n);
    payPart(net, alice, invoice, new Uint8Array(32).fill(2), 10_000_000n);
    expect(tick(net, bob).mppTimedOut).toBe(0);
    expect(indexItems(bob, IndexPrefix.mpp)).toHaveLength(1);
    // The second part completes it before the timeout: the index item goes with the completion.
    payPart(net, carol, invoice, new Uint8Array(32).fill(3), 10_000_000n);
    const [claimable] = eventsOf(bob, 'payment-claimable');
    expect(claimable).toMatchObject({ paymentHash: invoice.paymentHash, amountMsat: 20_000_000n });
    expect(indexItems(bob, IndexPrefix.mpp)).toEqual([]);
    for (let i = 0; i < MPP_TIMEOUT_TICKS + 2; i++) expect(tick(net, bob)).toMatchObject({ mppTimedOut: 0 });
    expect(net.followUps['fail-htlcs']).toBe(0);
    expect(eventsOf(alice, 'payment-path-failed')).toEqual([]);
    expect(net.step(bob, { kind: 'claim-funds', paymentHash: sha256(claimable!.paymentPreimage!) }, (m) => m.claimFunds(claimable!.paymentPreimage!)).ok).toBe(true);
    net.run();
    expect(eventsOf(alice, 'payment-sent')).toHaveLength(1);
    expect(eventsOf(carol, 'payment-sent')).toHaveLength(1);
    expect(eventsOf(bob, 'payment-claimed')).toMatchObject([{ amountMsat: 20_000_000n }]);
  });

  it('a single-part payment never gets an index item; a tick reads only the header and two small index Queries', () => {
    const { net, alice, bob } = readyPair();
    const invoice = invoiceOf(net, bob, 5_000_000n);
    payPart(net, alice, invoice, new Uint8Array(32).fill(4), 5_000_000n);
    expect(eventsOf(bob, 'payment-claimable')).toHaveLength(1);
    expect(indexItems(bob, IndexPrefix.mpp)).toEqual([]);
    tick(net, bob);
    // Header + bob's funder index item? bob is the fundee: the header only.
    expect(bob.costs.at(-1)).toMatchObject({ itemsRead: 1, itemsWritten: 1 });
    tick(net, alice);
    // Header + alice's one funder index item.
    expect(alice.costs.at(-1)).toMatchObject({ itemsRead: 2, itemsWritten: 1 });
    expect(MPP_TIMEOUTS_PER_TICK * 2 + 2).toBeLessThan(100);
  });
});

describe('timer tick: the count and the index items', () => {
  it('the header keeps the tick count (TLV 17, odd); a header without it reads 0', () => {
    const { net, bob } = readyPair();
    const header = () => {
      const decoded = decodeManagerHeader(bob.store.items.get(SortKey.header)!);
      if (!decoded.ok) throw decoded.error;
      return decoded;
    };
    expect(header().value.timerTicks ?? 0).toBe(0);
    tick(net, bob);
    tick(net, bob);
    const after = header();
    expect(after.value.timerTicks).toBe(2);
    const { timerTicks: _dropped, ...older } = after.value;
    const reread = decodeManagerHeader(encodeManagerHeader(older));
    expect(reread).toMatchObject({ ok: true });
    expect(reread.ok ? (reread.value.timerTicks ?? 0) : -1).toBe(0);
  });

  it('MPP# keys sort by tick and parse back; other keys are refused', () => {
    const hash = new Uint8Array(32).fill(0xcd);
    expect(mppKey(9, hash) < mppKey(10, hash)).toBe(true);
    expect(parseMppKey(mppKey(12, hash))).toEqual({ tick: 12, paymentHashHex: 'cd'.repeat(32) });
    expect(parseMppKey('MPP#12#cd')).toBeUndefined();
    expect(parseMppKey(`EXPIRY#0000000012#${'cd'.repeat(32)}`)).toBeUndefined();
  });

  it('a funder index item round-trips; a channel reference is not one', () => {
    const e = { counterpartyNodeId: Uint8Array.from([2, ...new Uint8Array(32).fill(1)]), channelId: new Uint8Array(32).fill(2), feeratePerKw: 1234, anchors: true };
    expect(decodeFunderEntry(encodeFunderEntry(e))).toEqual({ ok: true, value: e });
    expect(decodeFunderEntry(encodeChannelRef(e)).ok).toBe(false);
    expect(decodeFunderEntry(Uint8Array.of(1, 2, 3)).ok).toBe(false);
  });
});

describe('timer tick: our update_fee as funder (LDK update_channel_fee)', () => {
  it('follows LDK: any rise, a fall to half or less, nothing in between', () => {
    expect(shouldUpdateFee(1000, 1001)).toBe(true);
    expect(shouldUpdateFee(1000, 1000)).toBe(false);
    expect(shouldUpdateFee(1000, 501)).toBe(false);
    expect(shouldUpdateFee(1000, 500)).toBe(true);
  });

  for (const anchors of [false, true]) {
    it(`${anchors ? 'anchors' : 'static_remotekey'}: a funder whose estimate rises sends update_fee; the peer accepts; both commitments carry it; a payment still settles`, () => {
      const { net, alice, bob } = readyPair(anchors);
      expect(storedChannel(alice).channelType.anchors).toBe(anchors);
      const start = storedChannel(alice).feeratePerKw;
      expect(start).toBe(253);
      alice.ports = { ...alice.ports, feeEstimator: { feeRatePerKw: () => 1_500n } };
      bob.ports = { ...bob.ports, feeEstimator: { feeRatePerKw: () => 1_500n } };
      // Bob is the fundee: his tick sends nothing, whatever his estimate.
      expect(tick(net, bob).feeUpdates).toBe(0);
      expect(alice.received.filter((m) => m.type === 134)).toEqual([]);
      expect(tick(net, alice).feeUpdates).toBe(1);
      expect(bob.received.filter((m) => m.type === 134)).toMatchObject([{ feeratePerKw: 1_500 }]);
      for (const node of [alice, bob]) {
        const c = storedChannel(node);
        expect(c.feeratePerKw).toBe(1_500);
        expect(c.pendingFeeUpdate).toBeUndefined();
        expect(c.state).toBe('ready');
      }
      // The funder index follows the channel: the next tick finds nothing to do.
      expect(tick(net, alice).feeUpdates).toBe(0);
      expect(bob.received.filter((m) => m.type === 134)).toHaveLength(1);
      // A payment afterwards completes.
      const invoice = invoiceOf(net, bob, 3_000_000n);
      payPart(net, alice, invoice, new Uint8Array(32).fill(5), 3_000_000n);
      const [claimable] = eventsOf(bob, 'payment-claimable');
      expect(net.step(bob, { kind: 'claim-funds', paymentHash: invoice.paymentHash }, (m) => m.claimFunds(claimable!.paymentPreimage!)).ok).toBe(true);
      net.run();
      expect(eventsOf(alice, 'payment-sent')).toHaveLength(1);
    });
  }

  it('no update_fee for a change under the threshold, nor while the peer is disconnected; a fall to half is sent', () => {
    const { net, alice, bob } = readyPair();
    alice.ports = { ...alice.ports, feeEstimator: { feeRatePerKw: () => 2_000n } };
    bob.ports = { ...bob.ports, feeEstimator: { feeRatePerKw: () => 2_000n } };
    expect(tick(net, alice).feeUpdates).toBe(1);
    expect(storedChannel(bob).feeratePerKw).toBe(2_000);
    // Down by less than half: nothing.
    alice.ports = { ...alice.ports, feeEstimator: { feeRatePerKw: () => 1_001n } };
    expect(tick(net, alice).feeUpdates).toBe(0);
    expect(bob.received.filter((m) => m.type === 134)).toHaveLength(1);
    // Disconnected: nothing either (both estimates fall: bob, as LDK, refuses a feerate far under his own).
    alice.ports = { ...alice.ports, feeEstimator: { feeRatePerKw: () => 1_000n } };
    bob.ports = { ...bob.ports, feeEstimator: { feeRatePerKw: () => 1_000n } };
    net.disconnect(alice, bob);
    expect(tick(net, alice).feeUpdates).toBe(0);
    net.connect(alice, bob);
    // Half: sent.
    expect(tick(net, alice).feeUpdates).toBe(1);
    expect(bob.received.filter((m) => m.type === 134).at(-1)).toMatchObject({ feeratePerKw: 1_000 });
    expect(storedChannel(alice).feeratePerKw).toBe(1_000);
    expect(storedChannel(bob).feeratePerKw).toBe(1_000);
  });

  it('LDK\'s fee spike buffer: a feerate we could pay alone but not with 4 HTLCs more is not proposed', () => {
    const { net, alice, bob } = readyPair();
    const channel = storedChannel(alice);
    const reserveSat = channel.counterparty.channelReserveSatoshis;
    // Alice holds the whole funding F; at f = F − reserve sat/kW the bare commitment (724 weight) costs 0.724 (F − reserve): affordable;
    // with 4 HTLCs more (724 + 4 × 172 = 1,412 weight) it costs 1.412 (F − reserve): not.
    const feerate = Number(channel.fundingSatoshis - reserveSat);
    // (With a fastest estimate at that feerate too, so the dust exposure limit is not what refuses it.)
    const estimating = { ...channelContextOf(alice), feeEstimator: { feeRatePerKw: () => BigInt(feerate) } };
    expect(sendUpdateFee(estimating, channel, feerate).ok).toBe(true);
    expect(canAffordFeeUpdate(channel, feerate)).toBe(false);
    expect(canAffordFeeUpdate(channel, 2_000)).toBe(true);
    alice.ports = { ...alice.ports, feeEstimator: { feeRatePerKw: () => BigInt(feerate) } };
    expect(tick(net, alice).feeUpdates).toBe(1);
    expect(bob.received.filter((m) => m.type === 134)).toEqual([]);
    expect(storedChannel(alice).feeratePerKw).toBe(253);
  });

  it('never a feerate the funder cannot afford: the update is skipped, the channel stays as it is', () => {
    const { net, alice, bob } = readyPair();
    alice.ports = { ...alice.ports, feeEstimator: { feeRatePerKw: () => 4_000_000n } };
    expect(tick(net, alice).feeUpdates).toBe(1);
    expect(bob.received.filter((m) => m.type === 134)).toEqual([]);
    expect(storedChannel(alice).feeratePerKw).toBe(253);
    expect(storedChannel(alice).state).toBe('ready');
  });
});

describe('timer tick: resolved payments are forgotten after 24 hours (a TTL, not a tick)', () => {
  it('a resolved payment carries a TTL 24 h after its resolution on both records; once DynamoDB expires them the id may pay again', () => {
    const { net, alice, bob } = readyPair();
    const invoice = invoiceOf(net, bob, 1_000_000n);
    const paymentId = new Uint8Array(32).fill(9);
    payPart(net, alice, invoice, paymentId, 1_000_000n);
    const [claimable] = eventsOf(bob, 'payment-claimable');
    net.step(bob, { kind: 'claim-funds', paymentHash: invoice.paymentHash }, (m) => m.claimFunds(claimable!.paymentPreimage!));
    net.run();
    expect(eventsOf(alice, 'payment-sent')).toHaveLength(1);
    const outKey = RecordKeys.outboundPayment(Buffer.from(invoice.paymentHash).toString('hex'));
    const idKey = RecordKeys.paymentId(Buffer.from(paymentId).toString('hex'));
    const now = Math.floor(Date.now() / 1000);
    for (const key of [outKey, idKey]) {
      const at = alice.store.expiresAt.get(key)!;
      expect(at).toBeGreaterThanOrEqual(now + PAYMENT_MEMORY_SECS - 5);
      expect(at).toBeLessThanOrEqual(now + PAYMENT_MEMORY_SECS + 5);
    }
    // Within the 24 hours: the id is refused.
    expect(alice.store.expire(now + PAYMENT_MEMORY_SECS - 60)).toEqual([]);
    const again = () =>
      net.step(alice, { kind: 'send-payment', paymentId, paymentHash: invoice.paymentHash, payeeNodeId: invoice.payeeNodeId }, (m) =>
        m.sendPayment({
          paymentId,
          paymentHash: invoice.paymentHash,
          payeeNodeId: invoice.payeeNodeId,
          amountMsat: 1_000_000n,
          finalCltvExpiryDelta: invoice.minFinalCltvExpiryDelta,
          recipient: { paymentSecret: invoice.paymentSecret, totalMsat: 1_000_000n },
          retry: { attempts: 0 },
        }),
      );
    expect(again().ok).toBe(false);
    // DynamoDB deletes both some time after: nothing else referred to them.
    expect(alice.store.expire(now + PAYMENT_MEMORY_SECS + 3600).sort()).toEqual([outKey, idKey].sort());
    expect(again().ok).toBe(true);
    net.run();
  });
});
