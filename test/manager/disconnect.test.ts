/**
 * A disconnection during establishment (LDK's `peer_disconnected`):
 * channels not funded yet are dropped with ChannelClosed
 * (`peer-disconnected`); funded ones stay and complete after reconnection.
 */
import { expect, it } from 'vitest';
import { channelsOf, connectedPair, eventsOf, fund, onlyChannel, openChannel } from './manager-fixture.js';

const pair = () => connectedPair(2);

it('drops unfunded channels on both sides with ChannelClosed (peer-disconnected)', () => {
  const { net, alice, bob } = pair();
  openChannel(net, alice, bob, 42n);
  net.disconnect(alice, bob);
  expect(channelsOf(net, alice)).toEqual([]);
  expect(channelsOf(net, bob)).toEqual([]);
  expect(eventsOf(alice, 'channel-closed')).toMatchObject([{ reason: 'peer-disconnected', userChannelId: 42n }]);
  expect(eventsOf(bob, 'channel-closed')).toMatchObject([{ reason: 'peer-disconnected' }]);
  // Nothing is left in the header's indexes; a new channel opens fine after reconnecting.
  net.connect(alice, bob);
  const ready = openChannel(net, alice, bob, 43n);
  fund(net, alice, ready);
  expect(onlyChannel(net, alice).state).toBe('awaiting-confirmation');
});

it('an outbound channel whose funding_created got no funding_signed is dropped, and its funding tx never broadcast', () => {
  const { net, alice, bob } = pair();
  const ready = openChannel(net, alice, bob);
  fund(net, alice, ready, false);
  net.disconnect(alice, bob); // funding_created lost on the way
  expect(channelsOf(net, alice)).toEqual([]);
  expect(alice.broadcasts).toEqual([]);
  expect(eventsOf(alice, 'channel-closed')).toMatchObject([{ reason: 'peer-disconnected' }]);
  expect(channelsOf(net, bob)).toEqual([]);
});

it('funded channels stay; our channel_ready lost in the disconnection is sent again on reconnection', () => {
  const { net, alice, bob } = pair();
  const tx = fund(net, alice, openChannel(net, alice, bob));
  net.disconnect(alice, bob);
  expect(onlyChannel(net, alice).state).toBe('awaiting-confirmation');
  expect(onlyChannel(net, bob).state).toBe('awaiting-confirmation');
  // Both reach the depth while disconnected: their channel_ready messages go nowhere.
  net.mine([tx], 2);
  expect(onlyChannel(net, alice).state).toBe('awaiting-channel-ready');
  expect(eventsOf(alice, 'channel-closed')).toEqual([]);
  net.connect(alice, bob);
  for (const node of [alice, bob]) {
    expect(onlyChannel(net, node).isUsable).toBe(true);
    expect(eventsOf(node, 'channel-ready')).toHaveLength(1);
  }
});
