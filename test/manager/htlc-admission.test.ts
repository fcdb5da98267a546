/**
 * LDK 0.1's admission checks on an inbound HTLC, through the manager over
 * our in-memory nodes (shared/channel/htlc-admission.ts): a counterparty
 * that breaks our dust exposure limit or the fee spike buffer once gets its
 * HTLC failed back with `temporary_channel_failure`; the channel stays open
 * and every other payment goes on as before.
 */
import { describe, expect, it } from 'vitest';
import { ConfirmationTarget, type ReadyChannel } from '../../shared/channel/index.js';
import { sha256 } from '../../shared/crypto/index.js';
import { encodeChannelEntry } from '../../shared/manager/index.js';
import { SortKey } from '../../shared/store/index.js';
import { createInvoiceOn, payInvoice } from '../support/invoice-payment.js';
import type { ManagerNetwork, ManagerNode } from '../support/manager-network.js';
import { connectedPair, eventsOf, fund, onlyChannel, openChannel } from './manager-fixture.js';

function readyPair(bobInFlightPercent?: number): { net: ManagerNetwork; alice: ManagerNode; bob: ManagerNode } {
  const { net, alice, bob } = connectedPair(1, bobInFlightPercent === undefined ? {} : { config: { maxInboundHtlcValueInFlightPercent: bobInFlightPercent } });
  net.mine([fund(net, alice, openChannel(net, alice, bob))]);
  net.run();
  expect(onlyChannel(net, alice).isUsable).toBe(true);
  return { net, alice, bob };
}

/** `node`'s fastest fee estimate (what its dust exposure limit scales with) set to `perKw`; the others stay 253. */
function fastestEstimate(node: ManagerNode, perKw: bigint): void {
  node.ports = { ...node.ports, feeEstimator: { feeRatePerKw: (target) => (target === ConfirmationTarget.MaximumFeeEstimate ? perKw : 253n) } };
}

function pay(net: ManagerNetwork, payer: ManagerNode, payee: ManagerNode, amountMsat: bigint, id: number) {
  const d = createInvoiceOn(net, payee, { description: 'tea', expirySecs: 3600, amountMsat }).decoded;
  expect(payInvoice(net, payer, d, { paymentId: new Uint8Array(32).fill(id), amountMsat })).toEqual({ ok: true, value: undefined });
  net.run();
  return d.paymentHash;
}

function claimAll(net: ManagerNetwork, node: ManagerNode): void {
  const claimed = new Set(eventsOf(node, 'payment-claimed').map((e) => Buffer.from(e.paymentHash).toString('hex')));
  for (const c of eventsOf(node, 'payment-claimable')) {
    if (claimed.has(Buffer.from(c.paymentHash).toString('hex'))) continue;
    expect(net.step(node, { kind: 'claim-funds', paymentHash: c.paymentHash }, (m) => m.claimFunds(c.paymentPreimage!)).ok).toBe(true);
  }
  net.run();
}

describe('inbound HTLCs refused at admission, failed back with temporary_channel_failure', () => {
  it('dust exposure: a second dust HTLC past our 2,530-sat limit is failed back; once the first settles, the same amount goes through', () => {
    const { net, alice, bob } = readyPair();
    // Alice expects fees ten times higher: her own limit lets her send what Bob's refuses.
    fastestEstimate(alice, 2_530n);
    const first = pay(net, alice, bob, 2_000_000n, 1);
    expect(eventsOf(bob, 'payment-claimable').map((e) => e.paymentHash)).toEqual([first]);
    const bobBefore = onlyChannel(net, bob);

    // 2,000 + 600 sat of dust in flight: over 2,530 sat.
    const second = pay(net, alice, bob, 600_000n, 2);
    expect(eventsOf(bob, 'payment-claimable')).toHaveLength(1);
    expect(eventsOf(alice, 'payment-path-failed')).toMatchObject([{ paymentHash: second, failure: expect.stringContaining('temporaryChannelFailure') }]);
    expect(eventsOf(alice, 'payment-failed')).toMatchObject([{ paymentHash: second }]);
    // Nothing else changed: the channel is open, Bob's balances and HTLCs are what they were.
    for (const node of [alice, bob]) expect(eventsOf(node, 'channel-closed')).toEqual([]);
    const bobAfter = onlyChannel(net, bob);
    expect({ local: bobAfter.localBalanceMsat, htlcs: bobAfter.pendingHtlcs.length }).toEqual({ local: bobBefore.localBalanceMsat, htlcs: 1 });

    claimAll(net, bob);
    expect(eventsOf(alice, 'payment-sent').map((e) => e.paymentHash)).toEqual([first]);
    const third = pay(net, alice, bob, 600_000n, 3);
    expect(eventsOf(bob, 'payment-claimable').map((e) => e.paymentHash)).toEqual([first, third]);
  });

  it('fee spike buffer: a funder that sends past what it could pay at twice the feerate has the HTLC failed back; the channel stays open', () => {
    const { net, alice, bob } = readyPair(100);
    // Alice pays Bob all but about 30,000 sat above the 10,000-sat reserve Bob requires of her.
    const limit = onlyChannel(net, alice).nextOutboundHtlcLimitMsat;
    pay(net, alice, bob, limit - 30_000_000n, 1);
    claimAll(net, bob);
    const realLimit = onlyChannel(net, alice).nextOutboundHtlcLimitMsat;
    expect(onlyChannel(net, bob).nextInboundHtlcLimitMsat).toBe(realLimit);
    // A broken Alice: she believes Bob requires 1,000 sat less of her, so her router offers 200 sat past the buffer
    // (still within what BOLT 2 requires, so Bob's channel takes the HTLC).
    const [key, entry] = [...alice.store.storedChannels()][0]!;
    const sk = SortKey.channel(key);
    if (!entry.ok || entry.value.kind !== 'channel') throw new Error('no channel item');
    const channel = entry.value.channel as ReadyChannel;
    const broken = { ...channel, counterparty: { ...channel.counterparty, channelReserveSatoshis: channel.counterparty.channelReserveSatoshis - 1_000n } };
    alice.store.items.set(sk, encodeChannelEntry({ ...entry.value, channel: broken }));
    const bobBefore = onlyChannel(net, bob);

    const over = pay(net, alice, bob, realLimit + 200_000n, 2);
    expect(eventsOf(bob, 'payment-claimable')).toHaveLength(1);
    expect(eventsOf(alice, 'payment-path-failed')).toMatchObject([{ paymentHash: over, failure: expect.stringContaining('temporaryChannelFailure') }]);
    for (const node of [alice, bob]) expect(eventsOf(node, 'channel-closed')).toEqual([]);
    const bobAfter = onlyChannel(net, bob);
    expect({ local: bobAfter.localBalanceMsat, remote: bobAfter.remoteBalanceMsat, htlcs: bobAfter.pendingHtlcs }).toEqual({
      local: bobBefore.localBalanceMsat,
      remote: bobBefore.remoteBalanceMsat,
      htlcs: [],
    });
    // At the real limit the payment goes through.
    const ok = pay(net, alice, bob, realLimit, 3);
    expect(eventsOf(bob, 'payment-claimable').map((e) => e.paymentHash)).toContainEqual(ok);
    expect(sha256(eventsOf(bob, 'payment-claimable')[1]!.paymentPreimage!)).toEqual(ok);
  });
});
