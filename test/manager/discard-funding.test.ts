/**
 * LDK's `DiscardFunding`: every way an outbound channel ends after we gave
 * it a signed funding transaction and before the peer's `funding_signed`
 * (disconnection, a new connection without a seen disconnection, the
 * unfunded age limit, the peer's `error`) tells the wallet to take the
 * transaction's coins back, in the same step as the close; the transaction
 * is never broadcast. A channel closed before it had a funding transaction,
 * or after `funding_signed`, discards nothing.
 */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../shared/crypto/index.js';
import { UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS } from '../../shared/manager/index.js';
import type { ManagerNetwork, ManagerNode } from '../support/manager-network.js';
import { FUNDING, connectedPair, eventsOf, fund, openChannel } from './manager-fixture.js';

/** alice opens to bob and signs the funding; `funding_created` stays queued (never delivered). */
function fundingCreatedInFlight(): { net: ManagerNetwork; alice: ManagerNode; bob: ManagerNode; tx: Uint8Array; temporaryChannelId: Uint8Array } {
  const { net, alice, bob } = connectedPair();
  const ready = openChannel(net, alice, bob, 7n);
  const tx = fund(net, alice, ready, false);
  return { net, alice, bob, tx, temporaryChannelId: ready.temporaryChannelId };
}

function expectDiscarded(alice: ManagerNode, tx: Uint8Array, temporaryChannelId: Uint8Array, reason: string): void {
  const txid = Transaction.fromBuffer(tx).getHash();
  const [closed] = eventsOf(alice, 'channel-closed');
  expect(closed).toMatchObject({ reason, userChannelId: 7n, channelCapacitySats: FUNDING, isOutbound: true });
  expect(toHex(closed!.temporaryChannelId)).toBe(toHex(temporaryChannelId));
  const [discarded] = eventsOf(alice, 'discard-funding');
  expect(discarded).toMatchObject({ userChannelId: 7n, channelId: closed!.channelId });
  expect(toHex(discarded!.fundingOutpoint.txid)).toBe(toHex(txid));
  // The event is committed with the close: the same step's events, in order.
  const kinds = alice.events.map((e) => e.event.kind);
  expect(kinds.slice(kinds.indexOf('channel-closed'))).toEqual(['channel-closed', 'discard-funding']);
  expect(alice.broadcasts).toEqual([]);
}

describe('DiscardFunding', () => {
  it('the peer disconnects before funding_signed', () => {
    const { net, alice, bob, tx, temporaryChannelId } = fundingCreatedInFlight();
    net.disconnect(alice, bob);
    expectDiscarded(alice, tx, temporaryChannelId, 'peer-disconnected');
  });

  it('a new connection arrives without a seen disconnection (a crash lost it)', () => {
    const { net, alice, bob, tx, temporaryChannelId } = fundingCreatedInFlight();
    net.queue.length = 0; // the queues are lost with the crash
    net.connect(alice, bob);
    expectDiscarded(alice, tx, temporaryChannelId, 'peer-disconnected');
  });

  it('the channel ages out unfunded', () => {
    const { net, alice, tx, temporaryChannelId } = fundingCreatedInFlight();
    net.queue.length = 0;
    net.mine([], UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS);
    expectDiscarded(alice, tx, temporaryChannelId, 'unfunded-timed-out');
  });

  it('nothing to discard before the funding transaction was given', () => {
    const { net, alice, bob } = connectedPair();
    openChannel(net, alice, bob, 7n);
    net.disconnect(alice, bob);
    expect(eventsOf(alice, 'channel-closed')).toMatchObject([{ reason: 'peer-disconnected' }]);
    expect(eventsOf(alice, 'discard-funding')).toEqual([]);
  });

  it('nothing to discard after funding_signed: the funding transaction is broadcast', () => {
    const { net, alice, bob } = connectedPair();
    const tx = fund(net, alice, openChannel(net, alice, bob, 7n));
    net.disconnect(alice, bob);
    expect(eventsOf(alice, 'discard-funding')).toEqual([]);
    expect(alice.broadcasts.map(toHex)).toEqual([toHex(tx)]);
  });
});
