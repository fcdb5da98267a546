/**
 * Issue 13, defect 10: a peer sending a BOLT 2 message the node cannot
 * handle yet (`update_fee`, since the HTLC messages are handled) is disconnected as before, and the
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
  it('update_fee: disconnected, one unsupported-message event and only one, channels untouched', () => {
    const { net, alice, bob } = connectedPair();
    const tx = fund(net, alice, openChannel(net, alice, bob));
    net.mine([tx]);
    expect(onlyChannel(net, bob).isChannelReady).toBe(true);

    sendRaw(net, alice, bob, 134);
    expect(bob.disconnects).toEqual([expect.stringMatching(/update_fee \(type 134\): this node does not handle it yet/)]);
    expect(eventsOf(bob, 'unsupported-message')).toMatchObject([{ messageType: 134, counterpartyNodeId: alice.nodeId }]);

    // Again, after a reload of bob's node (the header remembers): disconnected again, no second event.
    net.restart(bob);
    sendRaw(net, alice, bob, 134);
    expect(bob.disconnects).toHaveLength(2);
    expect(eventsOf(bob, 'unsupported-message')).toHaveLength(1);
    expect(onlyChannel(net, bob)).toMatchObject({ isChannelReady: true, state: 'ready' });
    expect(eventsOf(bob, 'channel-closed')).toEqual([]);
  });

  it('covers update_fee only; an unknown even type stays a plain disconnection', () => {
    expect([...UNSUPPORTED_CHANNEL_MESSAGES.keys()]).toEqual([134]);
    const { net, alice, bob } = connectedPair();
    sendRaw(net, alice, bob, 200);
    expect(bob.disconnects).toEqual(['unknown even message type 200']);
    expect(eventsOf(bob, 'unsupported-message')).toEqual([]);
  });
});
