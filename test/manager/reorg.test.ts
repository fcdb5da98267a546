/** Reorgs of the funding transaction (chain::Confirm), before and after channel_ready. */
import { expect, it } from 'vitest';
import { decodeMonitorUpdate } from '../../shared/monitor/index.js';
import { ManagerNetwork } from '../support/manager-network.js';
import { eventsOf, fund, onlyChannel, openChannel } from './manager-fixture.js';

function funded(depth: number) {
  const net = new ManagerNetwork();
  const alice = net.addNode('alice', { config: { minimumDepth: depth } });
  const bob = net.addNode('bob', { config: { minimumDepth: depth } });
  net.connect(alice, bob);
  const tx = fund(net, alice, openChannel(net, alice, bob));
  return { net, alice, bob, tx };
}

it('a reorg of the funding transaction before channel_ready: back to waiting, then ready once it confirms again', () => {
  const { net, alice, bob, tx } = funded(3);
  net.mine([tx], 2);
  expect(onlyChannel(net, alice).confirmations).toBe(2);
  expect(net.read(alice, (m) => m.getRelevantTxids())).toHaveLength(1);
  net.reorg(2);
  for (const node of [alice, bob]) {
    const c = onlyChannel(net, node);
    expect(c.state).toBe('awaiting-confirmation');
    expect(c.confirmations).toBe(0);
    expect(c.shortChannelId).toBeNull();
    expect(eventsOf(node, 'channel-closed')).toEqual([]);
    expect(node.received.filter((m) => m.type === 36)).toEqual([]);
  }
  expect(net.read(alice, (m) => m.getRelevantTxids())).toEqual([]);
  // The other branch: two empty blocks, then the funding transaction again.
  net.mine([], 2, 1);
  net.mine([tx], 3, 1);
  for (const node of [alice, bob]) {
    const c = onlyChannel(net, node);
    expect(c.isChannelReady).toBe(true);
    expect(c.shortChannelId! >> 40n).toBe(BigInt(net.height - 2));
    expect(eventsOf(node, 'channel-ready')).toHaveLength(1);
  }
});

it('a reorg after channel_ready closes the channel: ChannelClosed, a force-close monitor update, our commitment broadcast', () => {
  const { net, alice, bob, tx } = funded(1);
  net.mine([tx]);
  expect(onlyChannel(net, alice).isChannelReady).toBe(true);
  const channelId = onlyChannel(net, alice).channelId;
  net.reorg(1);
  for (const node of [alice, bob]) {
    expect(eventsOf(node, 'channel-closed')).toMatchObject([{ reason: 'funding-reorged-out', userChannelId: node === alice ? 42n : 0n }]);
    expect(net.read(node, (m) => m.listChannels())).toEqual([]);
    const monitors = node.store.monitorItems(channelId);
    expect(monitors).toHaveLength(2);
    expect(decodeMonitorUpdate(monitors[1]!, channelId)).toMatchObject({ ok: true, value: { updateId: 1n, steps: [{ kind: 'channel-force-closed', shouldBroadcast: true }] } });
  }
  expect(alice.broadcasts).toHaveLength(2); // the funding tx, then our commitment
  expect(bob.broadcasts).toHaveLength(1);
});
