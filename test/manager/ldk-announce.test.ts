/**
 * Issue 18 with real LDK 0.1 (npm `lightningdevkit`, in process, over TCP):
 * a public channel between our ChannelManager and LDK, opened either way,
 * is in LDK's `NetworkGraph` after 6 confirmations (LDK sends its
 * `announcement_signatures` at 6, we send ours, each side builds the
 * `channel_announcement`; ours reaches LDK's graph through its
 * `P2PGossipSync`), with our `node_announcement` (alias, colour and
 * addresses read back) and our `channel_update`. LDK's gossip to us
 * (its `channel_update`, `channel_announcement`, `node_announcement`) no
 * longer ends the connection. A private channel never reaches the graph.
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../shared/crypto/index.js';
import type { NodeAnnouncementSettings } from '../../shared/manager/index.js';
import { txidToDisplayHex } from '../../shared/tx/index.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import {
  InteropChannelType,
  confirmAndCompare,
  connectToLdk,
  disconnectFromLdk,
  faucetFunding,
  mineAndFeed,
  only,
  storedChannel,
  weOpenToLdk,
  type ManagerLdkPeers,
} from '../support/manager-ldk.js';
import { until } from '../support/regtest-harness.js';

const DEPTH = 3;
const FUNDING = 250_000n;
const OURS: NodeAnnouncementSettings = {
  rgbColor: Uint8Array.of(0x12, 0x34, 0x56),
  alias: 'stormcell ⚡ test',
  addresses: [
    { kind: 'ipv4', addr: Uint8Array.of(127, 0, 0, 1), port: 9735 },
    { kind: 'dns', hostname: 'node.stormcell.example', port: 9736 },
  ],
};

let chain: RunningRegtestChain;
beforeAll(async () => {
  chain = await startRegtestChain({ port: 0, dataDir: undefined });
});
afterAll(async () => {
  await chain.stop();
});

function ldkNodeId(key: Uint8Array): ldk.NodeId {
  return ldk.NodeId.constructor_from_pubkey(key);
}

/**
 * A copy of LDK's graph, read back from its serialization: `read_only()` on
 * the live graph holds its lock until the binding object is collected, and
 * LDK's gossip handler panics writing to it meanwhile.
 */
function graphNow(peers: ManagerLdkPeers): ldk.ReadOnlyNetworkGraph {
  const copy = ldk.NetworkGraph.constructor_read(peers.ldk.graph.write(), ldk.Logger.new_impl({ log: () => undefined }));
  if (!(copy instanceof ldk.Result_NetworkGraphDecodeErrorZ_OK)) throw new Error('LDK graph does not read back');
  return copy.res.read_only();
}

/** Whether LDK's graph lists the channel (the binding's `channel(scid)` answers an empty object when absent). */
function inGraph(peers: ManagerLdkPeers, scid: bigint): boolean {
  return graphNow(peers).list_channels().includes(scid);
}

/** Whether LDK's graph has our node's announcement. */
function ourNodeInGraph(peers: ManagerLdkPeers): boolean {
  const ours = peers.ours.node.keys.getNodeId();
  const graph = graphNow(peers);
  return graph.list_nodes().some((n) => toHex(n.as_slice()) === toHex(ours)) && graph.node(ldkNodeId(ours)).get_announcement_info() instanceof ldk.Option_NodeAnnouncementInfoZ_Some;
}

/** Mines to 6 confirmations (the channel was confirmed to DEPTH) and waits for LDK's graph to hold the channel and our node. */
async function announcedInLdkGraph(peers: ManagerLdkPeers): Promise<bigint> {
  const { ldk: ldkNode, ours } = peers;
  const channel = only(ours);
  const scid = channel.shortChannelId!;
  const fundingTxid = txidToDisplayHex(channel.fundingOutpoint!.txid);
  await mineAndFeed(peers, 6 - DEPTH - 1, fundingTxid);
  expect(ours.received.filter((m) => m.type === 259)).toEqual([]);
  expect(inGraph(peers, scid)).toBe(false);
  await mineAndFeed(peers, 1, fundingTxid);
  await ldkNode.waitFor(() => inGraph(peers, scid), 'the channel in LDK graph');
  await ldkNode.waitFor(() => ourNodeInGraph(peers), 'our node in LDK graph');
  return scid;
}

function expectOurNodeInGraph(peers: ManagerLdkPeers, scid: bigint): void {
  const { ours } = peers;
  const graph = graphNow(peers);
  const info = graph.node(ldkNodeId(ours.node.keys.getNodeId()))!.get_announcement_info() as ldk.Option_NodeAnnouncementInfoZ_Some;
  expect(new TextDecoder().decode(info.some.alias().get_a()).replace(/\0+$/, '')).toBe(OURS.alias);
  expect([...info.some.rgb()]).toEqual([...OURS.rgbColor]);
  expect(info.some.addresses().map((a) => a.to_str())).toEqual(['127.0.0.1:9735', 'node.stormcell.example:9736']);
  // Both directions' updates: LDK's own and ours (our fee base, 1,000 msat).
  const channel = graph.channel(scid)!;
  const weAreNode1 = toHex(channel.get_node_one().as_slice()) === toHex(ours.node.keys.getNodeId());
  const ourDirection = weAreNode1 ? channel.get_one_to_two() : channel.get_two_to_one();
  expect(ourDirection).not.toBeNull();
  expect(ourDirection.get_fees().get_base_msat()).toBe(1000);
  expect(ourDirection.get_cltv_expiry_delta()).toBe(72);
}

describe('public channels with real LDK: announced into its NetworkGraph at 6 confirmations', () => {
  it('we open a public channel to LDK: in LDK graph with our node announcement; LDK gossip does not disconnect us', async () => {
    const peers = await connectToLdk(chain, 'announce-we-open', { channelType: InteropChannelType.StaticRemoteKey, depth: DEPTH, ldkSeed: 140, announce: true });
    peers.ours.nodeAnnouncement = OURS;
    try {
      await weOpenToLdk(peers, 'announce funder 1', FUNDING, 10_000_000n);
      expect(only(peers.ours).isPublic).toBe(true);
      const scid = await announcedInLdkGraph(peers);
      expectOurNodeInGraph(peers, scid);
      // LDK's announcement_signatures came and were kept; ours went once.
      expect(storedChannel(peers.ours).theirAnnouncementSignatures).toBeDefined();
      expect(peers.ours.received.filter((m) => m.type === 259)).toHaveLength(1);
      // LDK's own node_announcement (its PeerManager broadcasts it): handed to our manager, no disconnection.
      peers.ldk.peerManager.broadcast_node_announcement(Uint8Array.of(1, 2, 3), new Uint8Array(32).fill(0x4c), []);
      peers.ldk.processEvents();
      await until(() => peers.ours.received.some((m) => m.type === 257), 'LDK node_announcement');
      expect(peers.ours.disconnects).toEqual([]);
      expect(peers.ldk.peers()).toHaveLength(1);
    } finally {
      await disconnectFromLdk(peers);
    }
  });

  it('LDK opens a public channel to us: in LDK graph with our node announcement', async () => {
    const peers = await connectToLdk(chain, 'announce-ldk-opens', { channelType: InteropChannelType.StaticRemoteKey, depth: DEPTH, ldkSeed: 142, announce: true });
    peers.ours.nodeAnnouncement = OURS;
    const { ldk: ldkNode, ours } = peers;
    try {
      expect(ldkNode.channelManager.create_channel(ours.node.keys.getNodeId(), FUNDING, 20_000_000n, 5n, null, null).is_ok()).toBeTruthy();
      await ldkNode.waitFor(() => ldkNode.events.some((e) => e instanceof ldk.Event_FundingGenerationReady), 'LDK FundingGenerationReady');
      const ready = ldkNode.events.find((e): e is ldk.Event_FundingGenerationReady => e instanceof ldk.Event_FundingGenerationReady)!;
      const tx = faucetFunding(peers, 'announce funder 2', ready.output_script, ready.channel_value_satoshis);
      expect(ldkNode.channelManager.funding_transaction_generated(ready.temporary_channel_id, ready.counterparty_node_id, tx).is_ok()).toBeTruthy();
      await until(() => ours.channels().length === 1 && only(ours).state === 'awaiting-confirmation', 'our funding_signed');
      await confirmAndCompare(peers, txidToDisplayHex(only(ours).fundingOutpoint!.txid));
      expect(only(ours).isPublic).toBe(true);
      const scid = await announcedInLdkGraph(peers);
      expectOurNodeInGraph(peers, scid);
      expect(ours.disconnects).toEqual([]);
    } finally {
      await disconnectFromLdk(peers);
    }
  });

  it('a private channel is not announced: no announcement_signatures either way, nothing in LDK graph', async () => {
    const peers = await connectToLdk(chain, 'announce-private', { channelType: InteropChannelType.StaticRemoteKey, depth: DEPTH, ldkSeed: 144, announce: false });
    peers.ours.nodeAnnouncement = OURS;
    try {
      await weOpenToLdk(peers, 'announce funder 3', FUNDING, 10_000_000n);
      const channel = only(peers.ours);
      expect(channel.isPublic).toBe(false);
      await mineAndFeed(peers, 6, txidToDisplayHex(channel.fundingOutpoint!.txid));
      // LDK's private channel_update reaches us (route hints), but no signatures.
      await until(() => storedChannel(peers.ours).counterpartyForwarding !== undefined, 'LDK channel_update');
      expect(peers.ours.received.filter((m) => m.type === 259 || m.type === 256)).toEqual([]);
      expect(inGraph(peers, channel.shortChannelId!)).toBe(false);
      expect(graphNow(peers).list_channels()).toEqual([]);
      expect(ourNodeInGraph(peers)).toBe(false);
      expect(peers.ours.disconnects).toEqual([]);
    } finally {
      await disconnectFromLdk(peers);
    }
  });
});
