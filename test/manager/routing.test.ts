/**
 * Messages the manager routes by channel id (BOLT 1, BOLT 2): unknown
 * channels, errors naming one channel or all, a cooperative close started by the peer,
 * and monitor writes that are not durable at once (Watch in progress).
 */
import { expect, it } from 'vitest';
import { toHex } from '../../shared/crypto/index.js';
import { MonitorUpdateStatus, type Watch } from '../../shared/monitor/index.js';
import { channelsOf, connectedPair, eventsOf, fund, onlyChannel, openChannel } from './manager-fixture.js';

const pair = (watch?: Watch) => connectedPair(1, watch ? { watch } : {});

it('a message for an unknown channel gets an error for that channel id; an error for one is ignored', () => {
  const { net, alice, bob } = pair();
  const unknown = new Uint8Array(32).fill(9);
  const message = { type: 36, channelId: unknown, secondPerCommitmentPoint: alice.nodeId } as const;
  net.step(bob, { kind: 'peer-message', peer: alice.nodeId, message }, (m) => m.handleChannelMessage(alice.nodeId, message));
  net.run();
  const errors = alice.received.filter((m) => m.type === 17);
  expect(errors).toHaveLength(1);
  expect(toHex(errors[0]!.type === 17 ? errors[0]!.channelId : new Uint8Array())).toBe(toHex(unknown));
  // alice has no such channel either: she ignores the error (no answer, nothing changes).
  expect(bob.received).toEqual([]);
  expect(alice.events).toEqual([]);
});

it('an error with an all-zero channel id fails every channel with that peer, funded ones force-closed', () => {
  const { net, alice, bob } = pair();
  fund(net, alice, openChannel(net, alice, bob, 1n));
  openChannel(net, alice, bob, 2n);
  expect(channelsOf(net, bob)).toHaveLength(2);
  const error = { type: 17, channelId: new Uint8Array(32), data: new TextEncoder().encode('go away') } as const;
  net.step(bob, { kind: 'peer-message', peer: alice.nodeId, message: error }, (m) => m.handleChannelMessage(alice.nodeId, error));
  expect(channelsOf(net, bob)).toEqual([]);
  expect(eventsOf(bob, 'channel-closed').map((e) => e.reason)).toEqual(['counterparty-error', 'counterparty-error']);
  expect(bob.broadcasts).toHaveLength(1); // the funded one's commitment
});

it('a peer\'s shutdown starts the cooperative close (docs/close.md): the node answers with its own, negotiates, and both broadcast the closing transaction', () => {
  const { net, alice, bob } = pair();
  const tx = fund(net, alice, openChannel(net, alice, bob));
  net.mine([tx]);
  const channelId = onlyChannel(net, bob).channelId;
  // Alice's shutdown to the script she committed upfront, as her node would send it.
  const entry = [...bob.store.storedChannels().values()][0]!;
  if (!entry.ok || entry.value.kind !== 'channel') throw new Error('no channel');
  const shutdown = { type: 38, channelId, scriptpubkey: entry.value.channel.counterparty!.upfrontShutdownScript! } as const;
  net.step(bob, { kind: 'peer-message', peer: alice.nodeId, message: shutdown }, (m) => m.handleChannelMessage(alice.nodeId, shutdown));
  net.run();
  expect(alice.received.filter((m) => m.type === 1)).toEqual([]);
  for (const n of [alice, bob]) {
    expect(eventsOf(n, 'channel-closed').map((e) => e.reason)).toEqual(['cooperative-closure']);
    expect(channelsOf(net, n)).toEqual([]);
  }
  expect(toHex(alice.broadcasts.at(-1)!)).toBe(toHex(bob.broadcasts.at(-1)!));
});

it('a monitor write in progress holds funding_signed until channelMonitorUpdated', () => {
  let status: MonitorUpdateStatus = MonitorUpdateStatus.InProgress;
  const watch: Watch = { watchChannel: () => status, updateChannel: () => status };
  const { net, alice, bob } = pair(watch);
  const tx = fund(net, alice, openChannel(net, alice, bob));
  expect(bob.store.monitorItems(onlyChannel(net, bob).channelId)).toHaveLength(1);
  expect(alice.received.filter((m) => m.type === 35)).toEqual([]);
  expect(alice.broadcasts).toEqual([]);
  status = MonitorUpdateStatus.Completed;
  const channelId = onlyChannel(net, bob).channelId;
  net.step(bob, { kind: 'channel-monitor-updated', counterpartyNodeId: alice.nodeId, channelId }, (m) => m.channelMonitorUpdated(alice.nodeId, channelId, 0n));
  net.run();
  expect(alice.broadcasts).toEqual([tx]);
  net.mine([tx]);
  expect(onlyChannel(net, alice).isUsable && onlyChannel(net, bob).isUsable).toBe(true);
});
