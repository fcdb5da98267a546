/**
 * Issue 13, defect 10, then issue 15: a peer sending a BOLT 2 message the
 * node cannot handle was disconnected and the user told once per type.
 * `update_fee` was the last such message; it now reaches the channel: the
 * funder's is accepted, the fundee's fails the channel. The unsupported
 * machinery stays for the next one, with an empty table; an unknown even
 * type is still a plain disconnection.
 */
import { describe, expect, it } from 'vitest';
import { encodeMessage } from '../../shared/wire/index.js';
import { UNSUPPORTED_CHANNEL_MESSAGES } from '../../shared/manager/peer-manager.js';
import { connectedPair, eventsOf, fund, onlyChannel, openChannel } from './manager-fixture.js';
import type { ManagerNetwork, ManagerNode } from '../support/manager-network.js';

/** `from` sends `to` raw bytes. */
function sendBytes(net: ManagerNetwork, from: ManagerNode, to: ManagerNode, bytes: Uint8Array): void {
  net.queue.push({ from, to, bytes });
  net.run();
}

/** `from` sends `to` a message of `type` with a 32-byte channel id and some payload. */
function sendRaw(net: ManagerNetwork, from: ManagerNode, to: ManagerNode, type: number): void {
  const bytes = new Uint8Array(2 + 32 + 40);
  bytes[0] = type >> 8;
  bytes[1] = type & 0xff;
  sendBytes(net, from, to, bytes);
}

function readyChannel() {
  const { net, alice, bob } = connectedPair();
  const tx = fund(net, alice, openChannel(net, alice, bob));
  net.mine([tx]);
  expect(onlyChannel(net, bob).isChannelReady).toBe(true);
  return { net, alice, bob, channelId: onlyChannel(net, bob).channelId };
}

describe('update_fee, no longer unsupported', () => {
  it('from the funder: no disconnection, no unsupported-message event, the channel stays ready', () => {
    const { net, alice, bob, channelId } = readyChannel();
    sendBytes(net, alice, bob, encodeMessage({ type: 134, channelId, feeratePerKw: 2_000 }));
    expect(bob.disconnects).toEqual([]);
    expect(eventsOf(bob, 'unsupported-message')).toEqual([]);
    expect(onlyChannel(net, bob)).toMatchObject({ isChannelReady: true, state: 'ready' });
    expect(eventsOf(bob, 'channel-closed')).toEqual([]);
  });

  it('from the fundee: the funder fails the channel (update-fee-from-fundee)', () => {
    const { net, alice, bob, channelId } = readyChannel();
    sendBytes(net, bob, alice, encodeMessage({ type: 134, channelId, feeratePerKw: 2_000 }));
    expect(eventsOf(alice, 'unsupported-message')).toEqual([]);
    expect(eventsOf(alice, 'channel-closed')).toMatchObject([{ reason: 'update-fee-from-fundee' }]);
  });
});

describe('a message the node cannot handle yet', () => {
  it('there is none left among the BOLT 2 types; an unknown even type stays a plain disconnection', () => {
    expect([...UNSUPPORTED_CHANNEL_MESSAGES.keys()]).toEqual([]);
    const { net, alice, bob } = connectedPair();
    sendRaw(net, alice, bob, 200);
    expect(bob.disconnects).toEqual(['unknown even message type 200']);
    expect(eventsOf(bob, 'unsupported-message')).toEqual([]);
  });
});
