/**
 * Cooperative close through the ChannelManager (LDK's `close_channel`;
 * docs/close.md) between two of our nodes over the in-memory network:
 * either side starts it, the closing transaction is broadcast by both,
 * `ChannelClosed` (`cooperative-closure`) is emitted and the channel item
 * and its indexes are gone; a disconnection mid-close is resumed after
 * `channel_reestablish`; refusals are `channel-unavailable`.
 */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../shared/crypto/index.js';
import type { ManagerNetwork, ManagerNode } from '../support/manager-network.js';
import { FUNDING, PUSH, channelsOf, connectedPair, eventsOf, fund, onlyChannel, openChannel } from './manager-fixture.js';

/** A ready channel between alice (funder) and bob; its id and funding transaction. */
function readyChannel(): { net: ManagerNetwork; alice: ManagerNode; bob: ManagerNode; channelId: Uint8Array; fundingTx: Uint8Array } {
  const { net, alice, bob } = connectedPair();
  const fundingTx = fund(net, alice, openChannel(net, alice, bob));
  net.mine([fundingTx]);
  const channelId = onlyChannel(net, alice).channelId;
  expect(onlyChannel(net, bob).isUsable).toBe(true);
  return { net, alice, bob, channelId, fundingTx };
}

function close(net: ManagerNetwork, from: ManagerNode, to: ManagerNode, channelId: Uint8Array) {
  return net.step(from, { kind: 'close-channel', counterpartyNodeId: to.nodeId, channelId }, (m) => m.closeChannel(channelId, to.nodeId));
}

/** Both nodes closed the channel cooperatively and broadcast the same closing transaction spending the funding output; nothing of it is left in either store. */
function expectClosed(net: ManagerNetwork, alice: ManagerNode, bob: ManagerNode, channelId: Uint8Array, fundingTx: Uint8Array): Transaction {
  for (const n of [alice, bob]) {
    expect(channelsOf(net, n)).toEqual([]);
    const closed = eventsOf(n, 'channel-closed');
    expect(closed.map((e) => [e.reason, toHex(e.channelId)])).toEqual([['cooperative-closure', toHex(channelId)]]);
    expect([...n.store.items.keys()].filter((sk) => sk.startsWith('CHANNEL#') || sk.startsWith('INDEX#'))).toEqual([]);
  }
  const closingA = alice.broadcasts.at(-1)!;
  expect(toHex(bob.broadcasts.at(-1)!)).toBe(toHex(closingA));
  const tx = Transaction.fromBuffer(Buffer.from(closingA));
  expect(toHex(tx.ins[0]!.hash)).toBe(toHex(Transaction.fromBuffer(Buffer.from(fundingTx)).getHash()));
  // Alice's balance less the fee, and bob's push (both above dust).
  const values = tx.outs.map((o) => BigInt(o.value)).sort((x, y) => (x < y ? -1 : 1));
  expect(values[0]).toBe(PUSH / 1000n);
  expect(values[1]! < FUNDING - PUSH / 1000n && values[1]! > FUNDING - PUSH / 1000n - 5_000n).toBe(true);
  return tx;
}

describe('ChannelManager.closeChannel', () => {
  it.each(['alice (funder)', 'bob (fundee)'])('%s closes: shutdown both ways, closing_signed, both broadcast the closing tx, ChannelClosed, the channel removed', (who) => {
    const { net, alice, bob, channelId, fundingTx } = readyChannel();
    const [from, to] = who.startsWith('alice') ? [alice, bob] : [bob, alice];
    const before = { alice: alice.broadcasts.length, bob: bob.broadcasts.length };
    const result = close(net, from, to, channelId);
    expect(result).toEqual({ ok: true, value: undefined });
    // Until the peer answers, the channel shows shutdown-sent and is no longer usable.
    expect(onlyChannel(net, from)).toMatchObject({ state: 'shutdown-sent', isChannelReady: true, isUsable: false });
    net.run();
    expectClosed(net, alice, bob, channelId, fundingTx);
    expect(alice.broadcasts.length - before.alice).toBe(1);
    expect(bob.broadcasts.length - before.bob).toBe(1);
    // The messages: shutdown each way, then alice proposes, bob counters, alice echoes.
    expect(alice.received.filter((m) => m.type === 38 || m.type === 39).map((m) => m.type)).toEqual([38, 39]);
    expect(bob.received.filter((m) => m.type === 38 || m.type === 39).map((m) => m.type)).toEqual([38, 39, 39]);
  });

  it('refuses (channel-unavailable) an unknown channel, a peer not connected, a second close; nothing is sent', () => {
    const { net, alice, bob, channelId } = readyChannel();
    const other = new Uint8Array(32).fill(7);
    expect(close(net, alice, bob, other)).toMatchObject({ ok: false, error: { code: 'channel-unavailable' } });
    expect(close(net, alice, alice, channelId)).toMatchObject({ ok: false, error: { code: 'channel-unavailable' } });
    net.disconnect(alice, bob);
    const offline = close(net, alice, bob, channelId);
    expect(offline).toMatchObject({ ok: false, error: { code: 'channel-unavailable', message: expect.stringMatching(/not connected/) } });
    expect(onlyChannel(net, alice).state).toBe('ready');
    net.connect(alice, bob);
    expect(close(net, alice, bob, channelId).ok).toBe(true);
    expect(close(net, alice, bob, channelId)).toMatchObject({ ok: false, error: { code: 'channel-unavailable', message: expect.stringMatching(/from ready/) } });
    net.run();
    expect(channelsOf(net, alice)).toEqual([]);
  });

  it('a channel not ready yet cannot be closed cooperatively', () => {
    const { net, alice, bob } = connectedPair(3);
    const tx = fund(net, alice, openChannel(net, alice, bob));
    net.mine([tx]);
    const channelId = onlyChannel(net, alice).channelId;
    expect(onlyChannel(net, alice).state).not.toBe('ready');
    expect(close(net, alice, bob, channelId)).toMatchObject({ ok: false, error: { code: 'channel-unavailable' } });
    expect(bob.received.filter((m) => m.type === 38)).toEqual([]);
  });
});

describe('cooperative close across a disconnection', () => {
  it('shutdown lost with the connection: after reconnecting, channel_reestablish, the shutdown goes again and the close completes', () => {
    const { net, alice, bob, channelId, fundingTx } = readyChannel();
    close(net, bob, alice, channelId);
    net.disconnect(alice, bob); // bob's shutdown is dropped with the connection
    expect(alice.received.filter((m) => m.type === 38)).toEqual([]);
    expect(onlyChannel(net, bob).state).toBe('shutdown-sent');
    net.connect(alice, bob);
    expectClosed(net, alice, bob, channelId, fundingTx);
    expect(eventsOf(alice, 'channel-closed')).toHaveLength(1);
  });

  it.each([1, 2, 3])('the connection drops after %i close message(s) delivered: the negotiation restarts after channel_reestablish and completes', (delivered) => {
    const { net, alice, bob, channelId, fundingTx } = readyChannel();
    close(net, alice, bob, channelId);
    for (let i = 0; i < delivered; i++) expect(net.deliverOne()).toBe(true);
    net.disconnect(alice, bob);
    const states = [onlyChannel(net, alice).state, onlyChannel(net, bob).state];
    expect(states.every((s) => s === 'shutdown-sent' || s === 'negotiating-close' || s === 'ready')).toBe(true);
    net.connect(alice, bob);
    expectClosed(net, alice, bob, channelId, fundingTx);
  });

  it('a funding transaction reorganized out while the close is in progress fails the channel (funding-reorged-out), as in ready', () => {
    const { net, alice, bob, channelId } = readyChannel();
    expect(close(net, alice, bob, channelId).ok).toBe(true);
    net.disconnect(alice, bob);
    expect(onlyChannel(net, alice).state).toBe('shutdown-sent');
    net.reorg(1);
    for (const n of [alice, bob]) {
      expect(channelsOf(net, n)).toEqual([]);
      expect(eventsOf(n, 'channel-closed').map((e) => e.reason)).toEqual(['funding-reorged-out']);
    }
  });

  it('a node restarted mid-negotiation resumes from its stored channel', () => {
    const { net, alice, bob, channelId, fundingTx } = readyChannel();
    close(net, bob, alice, channelId);
    net.deliverOne(); // bob's shutdown reaches alice; her shutdown and closing_signed are lost
    net.disconnect(alice, bob);
    expect(onlyChannel(net, alice).state).toBe('negotiating-close');
    net.restart(alice);
    net.restart(bob);
    net.connect(alice, bob);
    expectClosed(net, alice, bob, channelId, fundingTx);
  });
});
