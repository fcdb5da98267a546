/** Shared steps of the ChannelManager functional tests. */
import { expect } from 'vitest';
import type { FundingGenerationReady } from '../../shared/channel/index.js';
import { toHex } from '../../shared/crypto/index.js';
import type { ChannelDetails, ManagerEvent } from '../../shared/manager/index.js';
import { decodeMonitor, type ChannelMonitor } from '../../shared/monitor/index.js';
import { fundingTransaction } from '../support/channel-harness.js';
import { ManagerNetwork, type ManagerNode, type NodeOptions } from '../support/manager-network.js';

export const FUNDING = 1_000_000n;
export const PUSH = 10_000_000n;

export function eventsOf<K extends ManagerEvent['kind']>(node: ManagerNode, kind: K): Extract<ManagerEvent, { kind: K }>[] {
  return node.events.map((e) => e.event).filter((e): e is Extract<ManagerEvent, { kind: K }> => e.kind === kind);
}

/** `a` opens to `b` and both exchange `open_channel`/`accept_channel`: returns the FundingGenerationReady event. */
export function openChannel(net: ManagerNetwork, a: ManagerNode, b: ManagerNode, userChannelId = 42n, value = FUNDING): FundingGenerationReady {
  const before = eventsOf(a, 'funding-generation-ready').length;
  const created = net.step(a, { kind: 'create-channel' }, (m) => m.createChannel(b.nodeId, value, PUSH, userChannelId));
  if (!created.ok) throw new Error(created.error.message);
  net.run();
  const ready = eventsOf(a, 'funding-generation-ready')[before];
  if (!ready) throw new Error('no FundingGenerationReady');
  expect(toHex(ready.temporaryChannelId)).toBe(toHex(created.value));
  return ready;
}

/** Builds and hands over the funding transaction; delivers funding_created and funding_signed. Returns the tx. */
export function fund(net: ManagerNetwork, a: ManagerNode, ready: FundingGenerationReady, deliver = true): Uint8Array {
  const tx = fundingTransaction(ready.outputScript, ready.channelValueSatoshis, { index: 1 }).toBuffer();
  const result = net.step(a, { kind: 'funding-transaction-generated', temporaryChannelId: ready.temporaryChannelId }, (m) =>
    m.fundingTransactionGenerated(ready.temporaryChannelId, tx),
  );
  if (!result.ok) throw new Error(result.error.message);
  if (deliver) net.run();
  return tx;
}

/** Every channel of `node` (an HTTP read of all channel items). */
export function channelsOf(net: ManagerNetwork, node: ManagerNode): ChannelDetails[] {
  return net.read(node, (m) => m.listChannels());
}

export function onlyChannel(net: ManagerNetwork, node: ManagerNode): ChannelDetails {
  const all = channelsOf(net, node);
  if (all.length !== 1) throw new Error(`${node.label} has ${all.length} channels`);
  return all[0]!;
}

/**
 * Two connected nodes, alice and bob, both waiting `minimumDepth`
 * confirmations as fundee; `bob` adds to bob's options (policy, watch, ...).
 */
export function connectedPair(minimumDepth = 1, bob: NodeOptions = {}): { net: ManagerNetwork; alice: ManagerNode; bob: ManagerNode } {
  const net = new ManagerNetwork();
  const alice = net.addNode('alice', { config: { minimumDepth } });
  const b = net.addNode('bob', { ...bob, config: { minimumDepth, ...bob.config } });
  net.connect(alice, b);
  return { net, alice, bob: b };
}

/** A real monitor at open (update 0), as the manager wrote it: alice's, of a channel she opened to bob and funded. */
export function openedMonitor(): ChannelMonitor {
  const net = new ManagerNetwork();
  const alice = net.addNode('alice');
  const bob = net.addNode('bob');
  net.connect(alice, bob);
  fund(net, alice, openChannel(net, alice, bob));
  const decoded = decodeMonitor(alice.store.monitorItems(onlyChannel(net, alice).channelId)[0]!);
  if (!decoded.ok) throw decoded.error;
  return decoded.value;
}
