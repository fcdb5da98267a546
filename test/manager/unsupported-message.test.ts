/**
 * Issue 13, defect 10: a peer sending a BOLT 2 message the node cannot
 * handle yet (an HTLC update: a payment) is disconnected as before, and the
 * user is told, once per message type (an `unsupported-message` event,
 * remembered in the header across reloads); the channels are untouched.
 */
import { describe, expect, it } from 'vitest';
import { UNSUPPORTED_CHANNEL_MESSAGES } from '../../shared/manager/peer-manager.js';
import { connectedPair, eventsOf, fund, onlyChannel, openChannel } from './manager-fixture.js';
import type { ManagerNetwork, ManagerNode } from '../support/manager-network.js';

/** `from` sends `to` a message of `type` with a 32-byte channel id and some payload (as `update_add_htlc` would start). */
function sendRaw(net: ManagerNetwork, from: ManagerNode, to: ManagerNode, type: number): void {
  const bytes = new Uint8Array(2 + 32 + 40);
  bytes[0] = type >> 8;
  bytes[1] = type & 0xff;
  net.queue.push({ from, to, bytes });
  net.run();
}

describe('a message the node cannot handle yet', () => {
  it('update_add_htlc: disconnected, one unsupported-message event and only one, channels untouched', () => {
    const { net, alice, bob } = connectedPair();
    const tx = fund(net, alice, openChannel(net, alice, bob));
    net.mine([tx]);
    expect(onlyChannel(net, bob).isChannelReady).toBe(true);

    sendRaw(net, alice, bob, 128);
    expect(bob.disconnects).toEqual([expect.stringMatching(/update_add_htlc \(type 128\): payments are not supported by this node yet/)]);
    expect(eventsOf(bob, 'unsupported-message')).toMatchObject([{ messageType: 128, counterpartyNodeId: alice.nodeId }]);
    expect(eventsOf(bob, 'unsupported-message')[0]!.message).toMatch(/update_add_htlc/);

    // Again, after a reload of bob's node (the header remembers): disconnected again, no second event.
    net.restart(bob);
    sendRaw(net, alice, bob, 128);
    expect(bob.disconnects).toHaveLength(2);
    expect(eventsOf(bob, 'unsupported-message')).toHaveLength(1);
    // Another type is news.
    sendRaw(net, alice, bob, 132);
    expect(eventsOf(bob, 'unsupported-message').map((e) => e.messageType)).toEqual([128, 132]);
    expect(onlyChannel(net, bob)).toMatchObject({ isChannelReady: true, state: 'ready' });
    expect(eventsOf(bob, 'channel-closed')).toEqual([]);
  });

  it('covers every BOLT 2 update message; an unknown even type stays a plain disconnection', () => {
    expect([...UNSUPPORTED_CHANNEL_MESSAGES.keys()]).toEqual([128, 130, 131, 132, 133, 134, 135]);
    const { net, alice, bob } = connectedPair();
    sendRaw(net, alice, bob, 200);
    expect(bob.disconnects).toEqual(['unknown even message type 200']);
    expect(eventsOf(bob, 'unsupported-message')).toEqual([]);
  });
});
