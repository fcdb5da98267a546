/**
 * Issue 17 through the ChannelManager, between two of our nodes over the
 * in-memory network (every input loaded from the store, follow-ups as inputs
 * of their own): a cooperative close started while a payment is pending.
 * The payee's claim, its fail-back near expiry and a payment that crossed
 * our `shutdown` all run on the closing channel; the close then completes
 * with the settled balances; an HTLC of ours left past its expiry on a
 * closing channel still force-closes it.
 */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { sha256, toHex } from '../../shared/crypto/index.js';
import { createInvoiceOn, payInvoice } from '../support/invoice-payment.js';
import type { ManagerNetwork, ManagerNode } from '../support/manager-network.js';
import { FUNDING, PUSH, channelsOf, connectedPair, eventsOf, fund, onlyChannel, openChannel } from './manager-fixture.js';

function readyChannel(): { net: ManagerNetwork; alice: ManagerNode; bob: ManagerNode; channelId: Uint8Array } {
  const { net, alice, bob } = connectedPair();
  net.mine([fund(net, alice, openChannel(net, alice, bob))]);
  net.run();
  expect(onlyChannel(net, alice).isUsable).toBe(true);
  return { net, alice, bob, channelId: onlyChannel(net, alice).channelId };
}

function close(net: ManagerNetwork, from: ManagerNode, to: ManagerNode, channelId: Uint8Array) {
  return net.step(from, { kind: 'close-channel', counterpartyNodeId: to.nodeId, channelId }, (m) => m.closeChannel(channelId, to.nodeId));
}

function pay(net: ManagerNetwork, payer: ManagerNode, payee: ManagerNode, amountMsat: bigint, id: number) {
  const invoice = createInvoiceOn(net, payee, { description: 'close', expirySecs: 3600, amountMsat });
  expect(payInvoice(net, payer, invoice.decoded, { paymentId: new Uint8Array(32).fill(id), amountMsat }).ok).toBe(true);
  return invoice;
}

function claim(net: ManagerNetwork, node: ManagerNode, preimage: Uint8Array) {
  return net.step(node, { kind: 'claim-funds', paymentHash: sha256(preimage) }, (m) => m.claimFunds(preimage));
}

/** Both closed cooperatively, the same closing tx broadcast; its outputs, smallest first, and its fee. */
function closedCooperatively(net: ManagerNetwork, alice: ManagerNode, bob: ManagerNode): { small: bigint; large: bigint; fee: bigint } {
  for (const n of [alice, bob]) {
    expect(channelsOf(net, n)).toEqual([]);
    expect(eventsOf(n, 'channel-closed').map((e) => e.reason)).toEqual(['cooperative-closure']);
  }
  expect(toHex(bob.broadcasts.at(-1)!)).toBe(toHex(alice.broadcasts.at(-1)!));
  const tx = Transaction.fromBuffer(Buffer.from(alice.broadcasts.at(-1)!));
  const values = tx.outs.map((o) => BigInt(o.value)).sort((x, y) => (x < y ? -1 : 1));
  expect(values).toHaveLength(2);
  return { small: values[0]!, large: values[1]!, fee: FUNDING - values[0]! - values[1]! };
}

const AMOUNT = 2_000_000n;

describe('cooperative close with a payment pending, through the manager', () => {
  it('alice pays bob and closes before bob claims: bob claims on the closing channel, alice gets PaymentSent, the close pays the settled balances', () => {
    const { net, alice, bob, channelId } = readyChannel();
    pay(net, alice, bob, AMOUNT, 1);
    net.run();
    const [claimable] = eventsOf(bob, 'payment-claimable');
    expect(claimable).toBeDefined();
    expect(close(net, alice, bob, channelId)).toEqual({ ok: true, value: undefined });
    net.run();
    for (const n of [alice, bob]) expect(onlyChannel(net, n)).toMatchObject({ state: 'negotiating-close', isUsable: false });
    expect(bob.received.some((m) => m.type === 39)).toBe(false);
    expect(onlyChannel(net, bob).pendingHtlcs).toHaveLength(1);

    expect(claim(net, bob, claimable!.paymentPreimage!)).toEqual({ ok: true, value: undefined });
    net.run();
    expect(eventsOf(bob, 'payment-claimed')).toHaveLength(1);
    expect(eventsOf(alice, 'payment-sent')).toHaveLength(1);
    const { small, large, fee } = closedCooperatively(net, alice, bob);
    expect(small).toBe((PUSH + AMOUNT) / 1000n);
    expect(large).toBe(FUNDING - (PUSH + AMOUNT) / 1000n - fee);
  });

  it('an unclaimed payment on a closing channel is failed back before its expiry; then the close completes with the balances unchanged', () => {
    const { net, alice, bob, channelId } = readyChannel();
    const invoice = pay(net, alice, bob, AMOUNT, 2);
    net.run();
    expect(close(net, bob, alice, channelId).ok).toBe(true);
    net.run();
    expect(onlyChannel(net, alice).state).toBe('negotiating-close');
    net.mine([], 4);
    net.run();
    expect(eventsOf(alice, 'payment-failed')).toMatchObject([{ paymentHash: invoice.paymentHash, reason: 'RecipientRejected' }]);
    const { small, large, fee } = closedCooperatively(net, alice, bob);
    expect(small).toBe(PUSH / 1000n);
    expect(large).toBe(FUNDING - PUSH / 1000n - fee);
  });

  it('a payment that crossed our shutdown is failed back (permanent_channel_failure), then the close completes', () => {
    const { net, alice, bob, channelId } = readyChannel();
    // Bob gets enough above his reserve to pay.
    const funds = 100_000_000n;
    pay(net, alice, bob, funds, 5);
    net.run();
    expect(claim(net, bob, eventsOf(bob, 'payment-claimable')[0]!.paymentPreimage!).ok).toBe(true);
    net.run();
    const invoice = createInvoiceOn(net, alice, { description: 'crossing', expirySecs: 3600, amountMsat: AMOUNT });
    // Alice's shutdown and Bob's update_add_htlc cross: Bob sent his before reading hers (legal for him).
    expect(close(net, alice, bob, channelId).ok).toBe(true);
    expect(payInvoice(net, bob, invoice.decoded, { paymentId: new Uint8Array(32).fill(3), amountMsat: AMOUNT }).ok).toBe(true);
    net.run();
    expect(alice.received.map((m) => m.type).filter((t) => t === 38 || t === 128)).toEqual([128, 38]);
    expect(eventsOf(alice, 'payment-claimable')).toEqual([]);
    const failed = eventsOf(bob, 'payment-path-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.failure).toMatch(/permanentChannelFailure/);
    const { small } = closedCooperatively(net, alice, bob);
    expect(small).toBe((PUSH + funds) / 1000n);
  });

  it('a disconnection after the claim, its fulfill lost: after channel_reestablish the fulfill and shutdowns are resent and the close completes', () => {
    const { net, alice, bob, channelId } = readyChannel();
    pay(net, alice, bob, AMOUNT, 6);
    net.run();
    expect(close(net, alice, bob, channelId).ok).toBe(true);
    net.run();
    expect(claim(net, bob, eventsOf(bob, 'payment-claimable')[0]!.paymentPreimage!).ok).toBe(true);
    // Bob's update_fulfill_htlc and commitment_signed are still queued: lost with the connection.
    net.disconnect(alice, bob);
    for (const n of [alice, bob]) expect(onlyChannel(net, n).state).toBe('negotiating-close');
    const received = { alice: alice.received.length, bob: bob.received.length };
    net.connect(alice, bob);
    expect(alice.received.slice(received.alice).map((m) => m.type).filter((t) => t !== 39)).toEqual(expect.arrayContaining([136, 130, 132, 38]));
    expect(bob.received.slice(received.bob).map((m) => m.type)).toEqual(expect.arrayContaining([136, 38]));
    expect(eventsOf(alice, 'payment-sent')).toHaveLength(1);
    const { small, large, fee } = closedCooperatively(net, alice, bob);
    expect(small).toBe((PUSH + AMOUNT) / 1000n);
    expect(large).toBe(FUNDING - (PUSH + AMOUNT) / 1000n - fee);
  });

  it('an HTLC of ours the peer leaves past its expiry force-closes a closing channel', () => {
    const { net, alice, bob, channelId } = readyChannel();
    pay(net, alice, bob, AMOUNT, 4);
    net.run();
    expect(close(net, alice, bob, channelId).ok).toBe(true);
    net.run();
    expect(onlyChannel(net, alice).state).toBe('negotiating-close');
    net.disconnect(alice, bob);
    const broadcasts = alice.broadcasts.length;
    net.mine([], 1 + 42 + 3);
    net.run();
    expect(eventsOf(alice, 'channel-closed')).toMatchObject([{ reason: 'htlcs-timed-out' }]);
    expect(alice.broadcasts.length).toBe(broadcasts + 1);
  });
});

describe('an HTLC we fulfilled that the peer never removes (BOLT 2: the fulfillment deadline)', () => {
  it('force-closes the channel 36 blocks before its expiry (CLTV_CLAIM_BUFFER), not one block earlier: the chain claims it with the preimage', () => {
    const { net, alice, bob } = readyChannel();
    // Above the dust of bob's commitment (an HTLC-success fee plus the dust limit): an output of its own.
    const amountMsat = 20_000_000n;
    pay(net, alice, bob, amountMsat, 7);
    net.run();
    const [claimable] = eventsOf(bob, 'payment-claimable');
    const expiry = onlyChannel(net, bob).pendingHtlcs[0]!.expiryHeight;
    // Bob claims; his update_fulfill_htlc is lost with the connection, and alice never comes back.
    expect(claim(net, bob, claimable!.paymentPreimage!).ok).toBe(true);
    net.disconnect(alice, bob);
    expect(onlyChannel(net, bob).pendingHtlcs).toMatchObject([{ direction: 'received', expiryHeight: expiry }]);
    const broadcasts = bob.broadcasts.length;

    net.mine([], expiry - 36 - 1 - net.height);
    expect(eventsOf(bob, 'channel-closed')).toEqual([]);
    net.mine([], 1);
    expect(eventsOf(bob, 'channel-closed')).toMatchObject([{ reason: 'htlcs-timed-out' }]);
    // Bob's commitment, holding the HTLC, goes on chain: his monitor claims the HTLC output with the preimage from it.
    expect(bob.broadcasts.length).toBe(broadcasts + 1);
    const commitment = Transaction.fromBuffer(Buffer.from(bob.broadcasts.at(-1)!));
    expect(commitment.outs.map((o) => o.value)).toContain(amountMsat / 1000n);
  });
});
