/**
 * Restarts and replays: the node's items (header, channels, monitors) are
 * all that survives; an input applied twice changes nothing the second time.
 */
import { expect, it } from 'vitest';
import { decodeMonitor } from '../../shared/monitor/index.js';
import { decodeMessage, type FundingCreatedMessage } from '../../shared/wire/index.js';
import { connectedPair, eventsOf, fund, onlyChannel, openChannel } from './manager-fixture.js';

const pair = () => connectedPair(2);

it('a restart mid-establishment (funding_created in flight): rehydrated from the items, the channel completes', () => {
  const { net, alice, bob } = pair();
  const ready = openChannel(net, alice, bob);
  const tx = fund(net, alice, ready, false);
  expect(net.queue).toHaveLength(1); // funding_created on its way to bob
  // Both nodes restart: new objects, new entropy, only the stored bytes are kept.
  net.restart(alice);
  net.restart(bob);
  net.run();
  expect(alice.broadcasts).toEqual([tx]);
  const channelId = onlyChannel(net, alice).channelId;
  for (const node of [alice, bob]) {
    const [snapshot] = node.store.monitorItems(channelId);
    expect(decodeMonitor(snapshot!)).toMatchObject({ ok: true, value: { latestUpdateId: 0n, channelValueSatoshis: ready.channelValueSatoshis } });
  }
  // Restart again while waiting for confirmations.
  net.mine([tx]);
  net.restart(alice);
  net.restart(bob);
  net.mine();
  expect(onlyChannel(net, alice).isUsable).toBe(true);
  expect(onlyChannel(net, bob).isUsable).toBe(true);
  expect(eventsOf(alice, 'channel-ready')).toMatchObject([{ userChannelId: 42n }]);
});

it('a restart while waiting for the funding transaction: fundingTransactionGenerated still works', () => {
  const { net, alice, bob } = pair();
  const ready = openChannel(net, alice, bob);
  net.restart(alice);
  fund(net, alice, ready);
  expect(onlyChannel(net, bob).state).toBe('awaiting-confirmation');
});

it('replaying an input (same input id) is a no-op: no second event, no state change, no message', () => {
  const { net, alice, bob } = pair();
  const ready = openChannel(net, alice, bob);
  const tx = fund(net, alice, ready, false);
  const decoded = decodeMessage(net.queue.shift()!.bytes);
  if (decoded.kind !== 'message' || decoded.message.type !== 34) throw new Error('expected funding_created');
  const message: FundingCreatedMessage = decoded.message;
  const open = (inputId: string) =>
    net.step(bob, { kind: 'peer-message', peer: alice.nodeId, message }, (m) => m.handleChannelMessage(alice.nodeId, message), inputId);
  open('sqs-message-1');
  const items = new Map(bob.store.items);
  const events = bob.events.length;
  expect(net.queue).toHaveLength(1);
  open('sqs-message-1');
  expect(bob.events).toHaveLength(events);
  expect(bob.store.items).toEqual(items);
  expect(net.queue).toHaveLength(1);
  net.run();
  expect(alice.broadcasts).toEqual([tx]);
  expect(eventsOf(bob, 'channel-pending')).toHaveLength(1);
});
