/**
 * At most MAX_CHANNELS_IN_FLIGHT channels between `open_channel` and a buried
 * funding transaction (each one written at every block, all in the block's
 * one transaction): past it `createChannel` refuses with `api-misuse` and an
 * inbound `open_channel` gets an `error`; once the fundings are buried both
 * work again.
 */
import { expect, it } from 'vitest';
import { MAX_CHANNELS_IN_FLIGHT, REORG_SAFE_DEPTH } from '../../shared/manager/index.js';
import { ManagerNetwork } from '../support/manager-network.js';
import { FUNDING, PUSH, channelsOf, fund, openChannel } from './manager-fixture.js';

it(`refuses the channel past ${MAX_CHANNELS_IN_FLIGHT} in flight, both ways, until the fundings are buried`, () => {
  const net = new ManagerNetwork();
  const alice = net.addNode('alice', { config: { minimumDepth: 1 } });
  const bob = net.addNode('bob', { config: { minimumDepth: 1 } });
  const carol = net.addNode('carol', { config: { minimumDepth: 1 } });
  net.connect(alice, bob);
  net.connect(carol, bob);
  const txs = Array.from({ length: MAX_CHANNELS_IN_FLIGHT }, (_, i) => fund(net, alice, openChannel(net, alice, bob, BigInt(i))));
  expect(channelsOf(net, bob)).toHaveLength(MAX_CHANNELS_IN_FLIGHT);

  const refused = net.step(alice, { kind: 'create-channel' }, (m) => m.createChannel(bob.nodeId, FUNDING, PUSH, 99n));
  expect(refused).toMatchObject({ ok: false, error: { code: 'api-misuse' } });
  const fromCarol = net.step(carol, { kind: 'create-channel' }, (m) => m.createChannel(bob.nodeId, FUNDING, PUSH, 1n));
  expect(fromCarol.ok).toBe(true);
  net.run();
  expect(channelsOf(net, carol)).toEqual([]); // bob answered with an error: carol's channel closed
  expect(carol.received.filter((m) => m.type === 17)).toHaveLength(1);

  const stepsBefore = bob.costs.length;
  net.mine(txs, REORG_SAFE_DEPTH + 1);
  expect(channelsOf(net, bob).every((c) => c.isUsable)).toBe(true);
  // The block that confirms all 40 writes each channel item and the header, inside one DynamoDB transaction
  // with the lease, the input record, CHAIN and the one outbox item. (A node whose chain handler lags behind its
  // peer's also writes a ChannelReady event per channel in that block: 2 × 40 + 5 = 85, still under 100.)
  const worst = Math.max(...bob.costs.slice(stepsBefore).map((c) => c.itemsWritten));
  expect(worst).toBeGreaterThan(MAX_CHANNELS_IN_FLIGHT);
  expect(2 * MAX_CHANNELS_IN_FLIGHT + 5).toBeLessThanOrEqual(100);
  const again = net.step(alice, { kind: 'create-channel' }, (m) => m.createChannel(bob.nodeId, FUNDING, PUSH, 100n));
  expect(again.ok).toBe(true);
  openChannel(net, carol, bob, 2n);
});
