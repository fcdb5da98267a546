/** The header's indexes as a pure function of a channel's entry (shared/manager/header-index.ts). */
import { expect, it } from 'vitest';
import { decodeManagerHeader, type ChannelItem, type ManagerHeader } from '../../shared/manager/index.js';
import { reindexChannel } from '../../shared/manager/header-index.js';
import { SortKey } from '../../shared/store/index.js';
import { ManagerNetwork, type ManagerNode } from '../support/manager-network.js';
import { fund, openChannel } from './manager-fixture.js';

function state(node: ManagerNode): { header: ManagerHeader; item: ChannelItem } {
  const header = decodeManagerHeader(node.store.items.get(SortKey.header)!);
  const entry = [...node.store.storedChannels().values()][0]!;
  if (!header.ok || !entry.ok || entry.value.kind !== 'channel') throw new Error('no state');
  return { header: header.value, item: entry.value };
}

it('returns the same header when the entry changes nothing, and removes the channel when it is gone', () => {
  const net = new ManagerNetwork();
  const alice = net.addNode('alice');
  const bob = net.addNode('bob');
  net.connect(alice, bob);
  openChannel(net, alice, bob);
  const { header, item } = state(alice);
  const ids = [item.channel.temporaryChannelId];
  expect(header.unfunded).toHaveLength(1);
  expect(reindexChannel(header, bob.nodeId, ids, item)).toBe(header);
  const gone = reindexChannel(header, bob.nodeId, ids, null);
  expect(gone.unfunded).toEqual([]);
  expect(gone).not.toBe(header);
});

it('moves a funded channel from unfunded to confirming, and keeps an unfunded channel’s creation height when it is re-keyed', () => {
  const net = new ManagerNetwork();
  const alice = net.addNode('alice');
  const bob = net.addNode('bob');
  net.connect(alice, bob);
  const ready = openChannel(net, alice, bob);
  const before = state(alice);
  const created = before.header.unfunded[0]!.sinceHeight;
  net.mine([], 2);
  fund(net, alice, ready, false); // re-keyed to the real channel id, funding_signed not back yet
  const after = state(alice);
  expect(after.header.unfunded).toMatchObject([{ sinceHeight: created }]);
  expect(after.header.unfunded[0]!.channelId).not.toEqual(after.header.unfunded[0]!.temporaryChannelId);
  net.run();
  const funded = state(alice);
  expect(funded.header.unfunded).toEqual([]);
  // Funded: out of the header, into the confirming index item.
  expect([...alice.store.items.keys()].filter((sk) => sk.startsWith('INDEX#CONFIRMING#'))).toHaveLength(1);
});
