/** The inbound-channel acceptance policy: accept all, or hold for the user (OpenChannelRequest). */
import { expect, it } from 'vitest';
import { toHex } from '../../shared/crypto/index.js';
import { MAX_UNFUNDED_CHANNELS_PER_PEER } from '../../shared/manager/index.js';
import { ManagerNetwork } from '../support/manager-network.js';
import { FUNDING, PUSH, channelsOf, eventsOf, fund, onlyChannel } from './manager-fixture.js';

function manual() {
  const net = new ManagerNetwork();
  const alice = net.addNode('alice', { config: { minimumDepth: 1 } });
  const bob = net.addNode('bob', { config: { minimumDepth: 1 }, policy: 'manual' });
  net.connect(alice, bob);
  const created = net.step(alice, { kind: 'create-channel' }, (m) => m.createChannel(bob.nodeId, FUNDING, PUSH, 42n));
  if (!created.ok) throw new Error(created.error.message);
  net.run();
  return { net, alice, bob, temporaryChannelId: created.value };
}

it('manual: an OpenChannelRequest, no accept_channel until acceptInboundChannel; then the channel completes with the given user id', () => {
  const { net, alice, bob, temporaryChannelId } = manual();
  const [request] = eventsOf(bob, 'open-channel-request');
  expect(request).toMatchObject({ fundingSatoshis: FUNDING, pushMsat: PUSH, channelType: { anchors: false } });
  expect(toHex(request!.temporaryChannelId)).toBe(toHex(temporaryChannelId));
  expect(alice.received.filter((m) => m.type === 33)).toEqual([]);
  expect(channelsOf(net, bob)).toEqual([]);
  const accepted = net.step(bob, { kind: 'accept-inbound-channel', temporaryChannelId, counterpartyNodeId: alice.nodeId }, (m) =>
    m.acceptInboundChannel(temporaryChannelId, alice.nodeId, 77n),
  );
  expect(accepted.ok).toBe(true);
  net.run();
  const ready = eventsOf(alice, 'funding-generation-ready')[0]!;
  const tx = fund(net, alice, ready);
  net.mine([tx]);
  expect(onlyChannel(net, bob)).toMatchObject({ isUsable: true, userChannelId: 77n });
  expect(eventsOf(bob, 'channel-ready')).toMatchObject([{ userChannelId: 77n }]);
  expect(eventsOf(bob, 'channel-pending')).toMatchObject([{ userChannelId: 77n }]);
});

it('manual: rejectInboundChannel sends an error; the opener closes its channel', () => {
  const { net, alice, bob, temporaryChannelId } = manual();
  const rejected = net.step(bob, { kind: 'reject-inbound-channel', temporaryChannelId, counterpartyNodeId: alice.nodeId }, (m) =>
    m.rejectInboundChannel(temporaryChannelId, alice.nodeId),
  );
  expect(rejected.ok).toBe(true);
  net.run();
  expect(eventsOf(alice, 'channel-closed')).toMatchObject([{ reason: 'counterparty-error', userChannelId: 42n }]);
  expect(channelsOf(net, alice)).toEqual([]);
  const again = net.step(bob, { kind: 'accept-inbound-channel', temporaryChannelId, counterpartyNodeId: alice.nodeId }, (m) =>
    m.acceptInboundChannel(temporaryChannelId, alice.nodeId, 1n),
  );
  expect(again).toMatchObject({ ok: false, error: { code: 'channel-unavailable' } });
});

it('manual: a pending request vanishes when the peer disconnects', () => {
  const { net, alice, bob, temporaryChannelId } = manual();
  net.disconnect(alice, bob);
  const late = net.step(bob, { kind: 'accept-inbound-channel', temporaryChannelId, counterpartyNodeId: alice.nodeId }, (m) =>
    m.acceptInboundChannel(temporaryChannelId, alice.nodeId, 1n),
  );
  expect(late.ok).toBe(false);
});

it(`all: at most ${MAX_UNFUNDED_CHANNELS_PER_PEER} unfunded inbound channels per peer`, () => {
  const net = new ManagerNetwork();
  const alice = net.addNode('alice');
  const bob = net.addNode('bob');
  net.connect(alice, bob);
  for (let i = 0; i <= MAX_UNFUNDED_CHANNELS_PER_PEER; i++) {
    net.step(alice, { kind: 'create-channel' }, (m) => m.createChannel(bob.nodeId, FUNDING, 0n, BigInt(i)));
  }
  net.run();
  expect(channelsOf(net, bob)).toHaveLength(MAX_UNFUNDED_CHANNELS_PER_PEER);
  expect(eventsOf(alice, 'funding-generation-ready')).toHaveLength(MAX_UNFUNDED_CHANNELS_PER_PEER);
  expect(eventsOf(alice, 'channel-closed')).toMatchObject([{ reason: 'counterparty-error', userChannelId: BigInt(MAX_UNFUNDED_CHANNELS_PER_PEER) }]);
});
