/**
 * The node's settings (anchors, inbound policy) come from the deployment and
 * apply at every load (LDK's `ChannelManagerReadArgs::default_config`): the
 * configuration given to `ChannelManager.load` wins over the header's, and
 * the header is rewritten once when they differ.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../shared/crypto/index.js';
import {
  DEFAULT_MANAGER_CONFIG,
  DEFAULT_NODE_CHANNEL_SETTINGS,
  InboundChannelPolicy,
  decodeManagerHeader,
  initFeaturesFor,
  managerConfigWith,
  sameManagerConfig,
} from '../../shared/manager/index.js';
import { SortKey } from '../../shared/store/index.js';
import { OUR_INIT_FEATURES, isFeatureSupported } from '../../shared/wire/index.js';
import { ManagerNetwork } from '../support/manager-network.js';
import { FUNDING, PUSH, channelsOf, eventsOf, fund, onlyChannel, openChannel } from './manager-fixture.js';

const ANCHORS_MANUAL = managerConfigWith({ anchors: true, acceptInboundChannels: InboundChannelPolicy.Manual });

function storedConfig(net: ManagerNetwork, label: string) {
  const node = net.nodes.find((n) => n.label === label)!;
  const header = decodeManagerHeader(node.store.items.get(SortKey.header)!);
  if (!header.ok) throw header.error;
  return header.value.config;
}

describe('node settings', () => {
  it('managerConfigWith sets anchors and the policy and keeps every other default', () => {
    expect(managerConfigWith(DEFAULT_NODE_CHANNEL_SETTINGS)).toEqual(DEFAULT_MANAGER_CONFIG);
    expect(sameManagerConfig(managerConfigWith(DEFAULT_NODE_CHANNEL_SETTINGS), DEFAULT_MANAGER_CONFIG)).toBe(true);
    expect(ANCHORS_MANUAL.channel.handshake).toEqual({ ...DEFAULT_MANAGER_CONFIG.channel.handshake, negotiateAnchorsZeroFeeHtlcTx: true });
    expect(ANCHORS_MANUAL.channel.limits).toEqual(DEFAULT_MANAGER_CONFIG.channel.limits);
    expect(ANCHORS_MANUAL.acceptInboundChannels).toBe('manual');
    expect(sameManagerConfig(ANCHORS_MANUAL, DEFAULT_MANAGER_CONFIG)).toBe(false);
    expect(sameManagerConfig(managerConfigWith({ anchors: false, acceptInboundChannels: 'manual' }), DEFAULT_MANAGER_CONFIG)).toBe(false);
  });

  it('offers anchors in init only when they are negotiated', () => {
    expect(toHex(initFeaturesFor(ANCHORS_MANUAL))).toBe(toHex(OUR_INIT_FEATURES));
    const without = initFeaturesFor(DEFAULT_MANAGER_CONFIG);
    expect(isFeatureSupported(without, 'option_anchors_zero_fee_htlc_tx')).toBe(false);
    expect(isFeatureSupported(without, 'option_static_remotekey')).toBe(true);
    expect(isFeatureSupported(without, 'option_channel_type')).toBe(true);
  });

  it("the deployment's policy wins over the header's: a node created with 'all' holds inbound channels once loaded with 'manual'", () => {
    const net = new ManagerNetwork();
    const alice = net.addNode('alice', { config: { minimumDepth: 1 } });
    const bob = net.addNode('bob', { config: { minimumDepth: 1 } });
    bob.config = managerConfigWith({ anchors: false, acceptInboundChannels: 'manual' }, storedConfig(net, 'bob'));
    net.connect(alice, bob);
    expect(storedConfig(net, 'bob').acceptInboundChannels).toBe('manual');
    const created = net.step(alice, { kind: 'create-channel' }, (m) => m.createChannel(bob.nodeId, FUNDING, PUSH, 1n));
    if (!created.ok) throw new Error(created.error.message);
    net.run();
    expect(eventsOf(bob, 'open-channel-request')).toHaveLength(1);
    expect(alice.received.filter((m) => m.type === 33)).toEqual([]);
    const held = net.read(bob, (m) => m.listInboundChannelRequests());
    expect(held).toMatchObject([{ fundingSatoshis: FUNDING, pushMsat: PUSH, channelType: { anchors: false }, isPublic: false }]);
    expect(toHex(held[0]!.temporaryChannelId)).toBe(toHex(created.value));
    expect(toHex(held[0]!.counterpartyNodeId)).toBe(toHex(alice.nodeId));
    expect(channelsOf(net, bob)).toEqual([]);

    // Back to 'all' (a redeploy): the next open is accepted at once.
    bob.config = managerConfigWith(DEFAULT_NODE_CHANNEL_SETTINGS, storedConfig(net, 'bob'));
    openChannel(net, alice, bob, 2n);
    expect(storedConfig(net, 'bob').acceptInboundChannels).toBe('all');
    expect(channelsOf(net, bob)).toHaveLength(1);
  });

  it('the header is rewritten only when the configuration differs', () => {
    const net = new ManagerNetwork();
    const bob = net.addNode('bob');
    bob.config = ANCHORS_MANUAL;
    net.step(bob, { kind: 'create-channel' }, () => undefined);
    expect(bob.costs.at(-1)!.itemsWritten).toBe(1);
    expect(sameManagerConfig(storedConfig(net, 'bob'), ANCHORS_MANUAL)).toBe(true);
    net.step(bob, { kind: 'create-channel' }, () => undefined);
    expect(bob.costs.at(-1)!.itemsWritten).toBe(0);
    // Without a configuration, the header's stays in force.
    delete bob.config;
    net.step(bob, { kind: 'create-channel' }, (m) => expect(m.currentDefaultConfiguration().acceptInboundChannels).toBe('manual'));
    expect(bob.costs.at(-1)!.itemsWritten).toBe(0);
  });

  it('anchors switched on by the deployment: nodes created without anchors open an anchors channel', () => {
    const net = new ManagerNetwork();
    const alice = net.addNode('alice', { config: { minimumDepth: 1 } });
    const bob = net.addNode('bob', { config: { minimumDepth: 1 } });
    alice.config = managerConfigWith({ anchors: true, acceptInboundChannels: 'all' }, storedConfig(net, 'alice'));
    bob.config = managerConfigWith({ anchors: true, acceptInboundChannels: 'all' }, storedConfig(net, 'bob'));
    net.connect(alice, bob);
    const ready = openChannel(net, alice, bob);
    net.mine([fund(net, alice, ready)]);
    expect(onlyChannel(net, alice)).toMatchObject({ isUsable: true, channelType: { anchors: true } });
    expect(onlyChannel(net, bob)).toMatchObject({ isUsable: true, channelType: { anchors: true } });
  });

  it('anchors switched off by the deployment: the fundee refuses an anchors channel', () => {
    const net = new ManagerNetwork();
    const alice = net.addNode('alice', { config: { negotiateAnchorsZeroFeeHtlcTx: true } });
    const bob = net.addNode('bob', { config: { negotiateAnchorsZeroFeeHtlcTx: true } });
    bob.config = managerConfigWith(DEFAULT_NODE_CHANNEL_SETTINGS, storedConfig(net, 'bob'));
    net.connect(alice, bob);
    net.step(alice, { kind: 'create-channel' }, (m) => m.createChannel(bob.nodeId, FUNDING, PUSH, 1n));
    net.run();
    expect(eventsOf(alice, 'channel-closed')).toMatchObject([{ reason: 'counterparty-error' }]);
    expect(channelsOf(net, bob)).toEqual([]);
  });
});
