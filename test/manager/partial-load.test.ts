/**
 * The partial-load model: one message on one channel reads the header and
 * that channel's item, whatever the number of channels stored, and writes
 * only what it changed.
 */
import { expect, it } from 'vitest';
import { ManagerNetwork } from '../support/manager-network.js';
import { populate } from '../support/manager-population.js';
import { fund, openChannel } from './manager-fixture.js';

function costsWith(count: number) {
  const net = new ManagerNetwork();
  const alice = net.addNode('alice', { config: { minimumDepth: 3 } });
  const bob = net.addNode('bob', { config: { minimumDepth: 3 } });
  net.connect(alice, bob);
  populate(net, alice, bob, count);
  const stored = bob.store.storedChannels().size;
  const before = bob.costs.length;
  const tx = fund(net, alice, openChannel(net, alice, bob, 7n));
  net.mine([tx]);
  return { stored, costs: bob.costs.slice(before) };
}

it('costs the same with 1 and 200 channels stored', () => {
  const one = costsWith(1);
  const many = costsWith(200);
  expect(one.stored).toBe(1);
  expect(many.stored).toBe(200);
  expect(many.costs).toEqual(one.costs);
  // open_channel: header only; accept, funding_created, the block: header + one channel (its item and fixed part, docs/items.md).
  expect(Math.max(...many.costs.map((c) => c.itemsRead))).toBe(3);
});
