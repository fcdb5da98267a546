/**
 * ChannelManager functional tests: our nodes over an in-memory network,
 * every step loaded from the encoded items (the header and only the channel
 * items the input needs) and committed back, as a handler does. Full
 * establishment both ways for both channel types.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../shared/crypto/index.js';
import { decodeEventRecord, decodeManagerHeader } from '../../shared/manager/index.js';
import { decodeMonitor } from '../../shared/monitor/index.js';
import { SortKey } from '../../shared/store/layout.js';
import { ManagerNetwork } from '../support/manager-network.js';
import { FUNDING, PUSH, channelsOf, eventsOf, fund, onlyChannel, openChannel } from './manager-fixture.js';

const DEPTH = 3;

function network(anchors: boolean) {
  const net = new ManagerNetwork();
  const alice = net.addNode('alice', { config: { minimumDepth: DEPTH, negotiateAnchorsZeroFeeHtlcTx: anchors } });
  const bob = net.addNode('bob', { config: { minimumDepth: DEPTH, negotiateAnchorsZeroFeeHtlcTx: anchors } });
  net.connect(alice, bob);
  return { net, alice, bob };
}

describe.each([
  { name: 'static_remotekey', anchors: false },
  { name: 'anchors_zero_fee_htlc_tx', anchors: true },
])('establishment with $name', ({ anchors }) => {
  it.each(['alice opens', 'bob opens'])('%s: both sides ready, events with the user channel id, monitors stored', (direction) => {
    const { net, alice, bob } = network(anchors);
    const [opener, acceptor] = direction === 'alice opens' ? [alice, bob] : [bob, alice];
    const ready = openChannel(net, opener, acceptor, 42n);
    expect(ready.userChannelId).toBe(42n);
    expect(ready.channelValueSatoshis).toBe(FUNDING);
    const tx = fund(net, opener, ready);

    // funding_signed arrived: broadcast once, ChannelPending on both sides.
    expect(opener.broadcasts).toEqual([tx]);
    expect(acceptor.broadcasts).toEqual([]);
    const pending = eventsOf(opener, 'channel-pending');
    expect(pending).toHaveLength(1);
    expect(pending[0]!.userChannelId).toBe(42n);
    expect(toHex(pending[0]!.formerTemporaryChannelId)).toBe(toHex(ready.temporaryChannelId));
    expect(eventsOf(acceptor, 'channel-pending')[0]!.userChannelId).toBe(0n);
    const channelId = pending[0]!.channelId;

    // The item (and its fixed part: docs/items.md) is stored under the real channel id only; one monitor snapshot per side.
    for (const node of [opener, acceptor]) {
      const keys = [...node.store.items.keys()].filter((k) => k.startsWith('CHANNEL#'));
      const key = `${toHex(node === opener ? acceptor.nodeId : opener.nodeId)}#${toHex(channelId)}`;
      expect(keys).toEqual([SortKey.channel(key), SortKey.channel(`${key}#fixed`)]);
      const monitors = node.store.monitorItems(channelId);
      expect(monitors).toHaveLength(1);
      const monitor = decodeMonitor(monitors[0]!);
      expect(monitor.ok && monitor.value.latestUpdateId).toBe(0n);
      expect(monitor.ok && monitor.value.channelType.anchors).toBe(anchors);
      expect(monitors[0]!.length).toBeLessThan(16_384);
    }
    expect(onlyChannel(net, opener).state).toBe('awaiting-confirmation');

    net.mine([tx], DEPTH - 1);
    expect(onlyChannel(net, opener).isChannelReady).toBe(false);
    net.mine();
    for (const node of [opener, acceptor]) {
      const details = onlyChannel(net, node);
      expect(details.isChannelReady).toBe(true);
      expect(details.isUsable).toBe(true);
      expect(details.confirmations).toBe(DEPTH);
      expect(details.channelType.anchors).toBe(anchors);
      expect(toHex(details.channelId)).toBe(toHex(channelId));
      expect(net.read(node, (m) => m.listUsableChannels())).toHaveLength(1);
      const readyEvents = eventsOf(node, 'channel-ready');
      expect(readyEvents).toHaveLength(1);
      expect(readyEvents[0]!.userChannelId).toBe(node === opener ? 42n : 0n);
      expect(readyEvents[0]!.shortChannelId).toBe(details.shortChannelId);
      expect(details.shortChannelId! >> 40n).toBe(BigInt(net.height - DEPTH + 1));
    }
    const mine = onlyChannel(net, opener);
    const theirs = onlyChannel(net, acceptor);
    expect(mine.balanceMsat).toBe(FUNDING * 1000n - PUSH);
    expect(theirs.balanceMsat).toBe(PUSH);
    expect(mine.outboundCapacityMsat).toBe(theirs.inboundCapacityMsat);
    expect(mine.isOutbound && !theirs.isOutbound).toBe(true);
    expect(eventsOf(opener, 'channel-closed')).toEqual([]);
    expect(eventsOf(acceptor, 'channel-closed')).toEqual([]);

    // Event ids grow by one per node; the stored event items decode to the same events.
    for (const node of [opener, acceptor]) {
      expect(node.events.map((e) => e.id)).toEqual(node.events.map((_, i) => BigInt(i + 1)));
      const stored = [...node.store.items].filter(([sk]) => sk.startsWith('EVENT#')).map(([, d]) => decodeEventRecord(d));
      expect(stored.map((r) => r.ok && r.value)).toEqual(node.events);
    }
    // Past the reorg-safe depth the channel leaves the confirming index: blocks stop reaching it (no follow-up).
    net.mine([], 6);
    const header = decodeManagerHeader(opener.store.items.get(SortKey.header)!);
    expect(header.ok && header.value.unfunded).toEqual([]);
    expect([...opener.store.items.keys()].filter((sk) => sk.startsWith('INDEX#CONFIRMING#'))).toEqual([]);
    const chainFollowUps = net.followUps.chain;
    net.mine();
    expect(net.followUps.chain).toBe(chainFollowUps);
    expect(opener.costs.at(-1)).toMatchObject({ itemsRead: 1 });
  });
});

it('a message on one channel loads the header and that channel only', () => {
  const { net, alice, bob } = network(false);
  const ready = openChannel(net, alice, bob, 1n);
  const first = fund(net, alice, ready);
  openChannel(net, alice, bob, 2n);
  const costsBefore = bob.costs.length;
  // The third channel's open, accept and funding: bob never loads the first channel.
  const third = openChannel(net, alice, bob, 3n);
  fund(net, alice, third);
  // The header and one channel: its item and fixed part (docs/items.md), read together.
  for (const cost of bob.costs.slice(costsBefore)) expect(cost.itemsRead).toBeLessThanOrEqual(3);
  expect(channelsOf(net, alice)).toHaveLength(3);
  expect(channelsOf(net, bob)).toHaveLength(3);
  net.mine([first], DEPTH);
  expect(channelsOf(net, alice).filter((c) => c.isChannelReady)).toHaveLength(1);
});
