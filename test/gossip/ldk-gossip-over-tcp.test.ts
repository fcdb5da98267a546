/**
 * Issue 18, "LDK's gossip reaches our graph", over TCP: the embedded
 * deployment (what `npm start` runs: gateway, queues, peer-message and
 * gossip functions, DynamoDB Local, the regtest chain) and a real LDK 0.1
 * node (`lightningdevkit` WASM) whose `NetworkGraph` holds a public channel
 * between two other LDK nodes (every message signed by LDK's NodeSigners;
 * its funding output confirmed on our chain). LDK dials our node; both
 * signal `gossip_queries`, so LDK sends nothing from its graph until we ask
 * (LDK's PeerManager waits for a `gossip_timestamp_filter`): our manager
 * sends the filter when LDK's `init` arrives (shared/manager/gossip-sync.ts),
 * LDK's gossip sync hands out its graph over the connection, the gateway
 * puts it on the gossip queue, the gossip function checks it (the funding
 * output read from our chain's Esplora) and stores it in the graph
 * partitions; a timer tick builds the snapshot, which lists LDK's channel
 * with both policies and LDK's node. A second LDK node connected before
 * sent us its own `gossip_timestamp_filter` (LDK's P2PGossipSync does, as
 * we signal `gossip_queries`): what the first one's sync stored is relayed
 * to it (functions/gossip/gossip-relay.ts), and its `NetworkGraph` lists the
 * channel.
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../shared/codec/index.js';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { decodeGossipMessage } from '../../shared/gossip/index.js';
import { fundingOutputScript } from '../../shared/tx/index.js';
import { EmbeddedWithLdk } from '../support/embedded-ldk.js';
import { ldkSignedGossip } from '../support/ldk-gossip.js';
import type { LdkNode } from '../support/ldk-node.js';
import { outputTo } from '../support/regtest-wallet.js';

const CAPACITY_SAT = 1_500_000n;

let env: EmbeddedWithLdk;
let ldkNode: LdkNode;
/** A second LDK node, connected first: it sends us its own filter, and gets LDK's gossip relayed by our node. */
let listener: LdkNode;

beforeAll(async () => {
  env = await EmbeddedWithLdk.start('gossip-tcp');
  ldkNode = await env.startLdk(91, { gossip: true });
  listener = await env.startLdk(92, { gossip: true });
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

/** Framed as it crosses the wire: type, then LDK's serialisation. */
const framed = (type: number, payload: Uint8Array): string => bytesToHex(Uint8Array.of(type >> 8, type & 0xff, ...payload));

/**
 * A public channel between two LDK nodes (not the one we talk to), its two
 * updates and node 1's announcement, signed by LDK's NodeSigners and put in
 * `graph`; its funding output (the 2-of-2 of two more LDK keys) paid and
 * mined on our chain first, so its short channel id is real.
 */
async function ldkChannelInGraph(graph: ldk.NetworkGraph, nowSec: number) {
  const { scid, node1, node2, announcement, updates, nodeAnnouncement } = await ldkSignedGossip({
    seeds: [0x61, 0x62, 0x63, 0x64],
    chainHash: fromHex('06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f'),
    async shortChannelId(btc1, btc2) {
      const script = fundingOutputScript(btc1, btc2);
      const txid = env.chain.faucet(script, CAPACITY_SAT);
      await env.mineAndFeed(6, txid);
      const at = env.chain.transaction(txid)!;
      return (BigInt(at.block!.height) << 40n) | (BigInt(at.position!) << 16n) | BigInt(outputTo(at.tx, script).vout);
    },
    nowSec,
    htlcMaximumMsat: 1_000_000_000n,
    // Direction 0 (node 1 forwards): 7 msat + 30 ppm, delta 48; direction 1: 900 msat + 250 ppm, delta 80.
    updates: [
      { flags: 0, cltvExpiryDelta: 48, feeBaseMsat: 7, feeProportionalMillionths: 30 },
      { flags: 1, cltvExpiryDelta: 80, feeBaseMsat: 900, feeProportionalMillionths: 250 },
    ],
    node: { rgb: Uint8Array.of(0x12, 0x34, 0x56), aliasByte: 0x47, ipv4: Uint8Array.of(127, 0, 0, 9) },
  });

  expect(graph.update_channel_from_announcement_no_lookup(announcement).is_ok()).toBeTruthy();
  for (const u of updates) expect(graph.update_channel(u).is_ok()).toBeTruthy();
  expect(graph.update_node_from_announcement(nodeAnnouncement).is_ok()).toBeTruthy();
  return {
    scid,
    node1,
    node2,
    wire: { announcement: framed(256, announcement.write()), updates: updates.map((u) => framed(258, u.write())), node: framed(257, nodeAnnouncement.write()) },
  };
}

describe("LDK's gossip reaches our graph over TCP", () => {
  it('after our gossip_timestamp_filter, LDK sends its graph through the gateway; the gossip function stores it, the snapshot lists the channel with its policies, and it is relayed to another LDK node that sent us a filter', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    const ldkChannel = await ldkChannelInGraph(ldkNode.graph, nowSec);
    const routing = env.node.context.routing!;
    const store = routing.store;
    expect((await store.channel(ldkChannel.scid)).announcement).toBeUndefined();

    // The listener connects first; its filter is kept for its connection.
    await env.connectLdk(listener);
    await env.until(async () => (await store.relayFilters(Math.floor(Date.now() / 1000), 50)).some((f) => f.peer === toHex(listener.nodeId)), "the listener's gossip_timestamp_filter kept");

    await env.connectLdk(ldkNode);
    // LDK signals gossip_queries and sees ours: only our filter starts its sync.
    const ldkPeer = ldkNode.peers().find((p) => toHex(p.nodeId) === env.node.nodeId)!;
    const ourFeatures = ldk.InitFeatures.constructor_read(ldkPeer.features);
    if (!(ourFeatures instanceof ldk.Result_InitFeaturesDecodeErrorZ_OK)) throw new Error('our init features do not read in LDK');
    expect(ourFeatures.res.supports_gossip_queries()).toBeTruthy();
    await env.until(async () => {
      const c = await store.channel(ldkChannel.scid);
      const node = await store.node(ldkChannel.node1);
      return c.announcement !== undefined && c.updates.every((u) => u !== undefined) && node.message !== undefined;
    }, "LDK's channel, both updates and node 1's announcement in our graph store", 30_000);

    // Stored byte for byte as LDK wrote them, the capacity read from our chain.
    const stored = await store.channel(ldkChannel.scid);
    expect(bytesToHex(stored.announcement!.message)).toBe(ldkChannel.wire.announcement);
    expect(stored.announcement!.capacitySat).toBe(CAPACITY_SAT);
    expect(stored.updates.map((u) => bytesToHex(u!.message)).sort()).toEqual([...ldkChannel.wire.updates].sort());
    const node = await store.node(ldkChannel.node1);
    expect(bytesToHex(node.message!)).toBe(ldkChannel.wire.node);
    const decoded = decodeGossipMessage(node.message!);
    if (decoded.kind !== 'message' || decoded.message.type !== 257) throw new Error('stored node announcement does not decode');
    expect(bytesToHex(decoded.message.rgbColor)).toBe('123456');

    // The timer builds the snapshot (changes, no snapshot yet); the payment paths' cache lists LDK's channel with its policies.
    await env.node.tick();
    const graph = await routing.graphs.graph();
    expect(graph.capacityOf(ldkChannel.scid)).toBe(Number(CAPACITY_SAT) * 1000);
    expect(graph.policy(ldkChannel.scid, 0)).toMatchObject({ enabled: true, cltvExpiryDelta: 48, feeBaseMsat: 7n, feeProportionalMillionths: 30, htlcMinimumMsat: 1_000n, htlcMaximumMsat: 1_000_000_000n });
    expect(graph.policy(ldkChannel.scid, 1)).toMatchObject({ enabled: true, cltvExpiryDelta: 80, feeBaseMsat: 900n, feeProportionalMillionths: 250 });

    // Relayed to the listener: the channel, both directions and node 1's announcement in its NetworkGraph.
    await env.until(() => {
      const copy = ldk.NetworkGraph.constructor_read(listener.graph.write(), ldk.Logger.new_impl({ log: () => undefined }));
      if (!(copy instanceof ldk.Result_NetworkGraphDecodeErrorZ_OK)) return false;
      const view = copy.res.read_only();
      if (!view.list_channels().includes(ldkChannel.scid)) return false;
      const channel = view.channel(ldkChannel.scid);
      const node = view.node(ldk.NodeId.constructor_from_pubkey(ldkChannel.node1));
      return channel?.get_one_to_two() !== null && channel?.get_two_to_one() !== null && node?.get_announcement_info() instanceof ldk.Option_NodeAnnouncementInfoZ_Some;
    }, "LDK's channel relayed into the listener's NetworkGraph", 30_000);
  });
});
