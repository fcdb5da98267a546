/**
 * Issue 18, "LDK's gossip reaches our graph": a channel_announcement, its
 * two channel_updates and a node_announcement signed by LDK 0.1's
 * NodeSigners (the `lightningdevkit` WASM build) go into LDK's network graph
 * (P2PGossipSync); what LDK's gossip sync hands a peer from that graph
 * (`get_next_channel_announcement`, `get_next_node_announcement`) goes
 * through our gossip function (checked, funding output looked up, stored in
 * the graph partitions of DynamoDB Local), into the snapshot the payment
 * paths load, and a route runs over LDK's channel with LDK's policy.
 *
 * The messages cross no TCP connection here: the gateway's lane test
 * (test/gateway/gossip-lane.test.ts) covers a peer's gossip reaching the
 * gossip queue; this test starts where the gossip function reads it.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { bytesToHex, hexToBytes } from '../../shared/codec/index.js';
import { wasmSecp256k1 as secp } from '../../shared/crypto/index.js';
import { decodeGossipMessage } from '../../shared/gossip/index.js';
import { findRoute } from '../../shared/routing/index.js';
import { ldkSignedGossip } from '../support/ldk-gossip.js';
import { GraphStore } from '../../shared/store/graph-items.js';
import { GraphSnapshotCache } from '../../shared/store/graph-snapshot-cache.js';
import { ensureNodeTable } from '../../shared/store/index.js';
import { fundingOutputScript } from '../../shared/tx/index.js';
import { handleGossip, type GossipContext } from '../../functions/gossip/gossip-service.js';
import { refreshGraphSnapshot } from '../../functions/gossip/graph-snapshot-job.js';

const REGTEST = hexToBytes('06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f');
const NOW = 1_760_000_000;
const SCID = (800_000n << 40n) | (12n << 16n) | 1n;
const CAPACITY_SAT = 2_000_000n;

let client: DynamoDBClient;
const tableName = `ldk-gossip-${randomUUID()}`;

beforeAll(async () => {
  const pkg = createRequire(import.meta.url).resolve('lightningdevkit/package.json');
  await ldk.initializeWasmFromBinary(readFileSync(join(dirname(pkg), 'liblightningjs.wasm')));
  client = localDynamoClient(inject('dynamoEndpoint'));
  await ensureNodeTable(client, tableName);
});
afterAll(() => client?.destroy());

/** LDK's graph holding a public channel between two LDK nodes, every message signed by LDK's NodeSigner. */
async function ldkGossip() {
  const { node1, node2, btc1, btc2, announcement, updates, nodeAnnouncement } = await ldkSignedGossip({
    seeds: [0x51, 0x52, 0x53, 0x54],
    chainHash: REGTEST,
    shortChannelId: () => SCID,
    nowSec: NOW,
    htlcMaximumMsat: 1_500_000_000n,
    // Direction 0 (node 1 forwards): 10 msat + 20 ppm, delta 40; direction 1: 1,000 msat + 100 ppm, delta 144.
    updates: [
      { flags: 0, cltvExpiryDelta: 40, feeBaseMsat: 10, feeProportionalMillionths: 20 },
      { flags: 1, cltvExpiryDelta: 144, feeBaseMsat: 1000, feeProportionalMillionths: 100 },
    ],
    node: { rgb: Uint8Array.of(0xff, 0x80, 0), aliasByte: 0x4c, ipv4: Uint8Array.of(10, 0, 0, 7) },
  });

  const logger = ldk.Logger.new_impl({ log: () => undefined });
  const graph = ldk.NetworkGraph.constructor_new(ldk.Network.LDKNetwork_Regtest, logger);
  const handler = ldk.P2PGossipSync.constructor_new(graph, ldk.Option_UtxoLookupZ.constructor_none(), logger).as_RoutingMessageHandler();
  expect(handler.handle_channel_announcement(null, announcement)).toBeInstanceOf(ldk.Result_boolLightningErrorZ_OK);
  for (const u of updates) expect(handler.handle_channel_update(null, u)).toBeInstanceOf(ldk.Result_boolLightningErrorZ_OK);
  expect(handler.handle_node_announcement(null, nodeAnnouncement)).toBeInstanceOf(ldk.Result_boolLightningErrorZ_OK);
  return { handler, node1, node2, btc1, btc2 };
}

/** A framed message: type, then LDK's serialisation. */
const framed = (type: number, payload: Uint8Array): Uint8Array => Uint8Array.of(type >> 8, type & 0xff, ...payload);

describe("LDK's gossip reaches our graph", () => {
  it("LDK's channel_announcement, channel_updates and node_announcement are stored, in the snapshot, and routed over", async () => {
    const { handler, node1, node2, btc1, btc2 } = await ldkGossip();
    // What LDK's gossip sync sends a peer that asked for its graph.
    const next = handler.get_next_channel_announcement(0n);
    if (!(next instanceof ldk.Option_C3Tuple_ChannelAnnouncementChannelUpdateChannelUpdateZZ_Some)) throw new Error('LDK has no channel to hand out');
    const fromLdk = [framed(256, next.some.get_a().write())];
    for (const u of [next.some.get_b(), next.some.get_c()]) if (u !== null) fromLdk.push(framed(258, u.write()));
    const node = handler.get_next_node_announcement(null);
    expect(node).not.toBeNull();
    fromLdk.push(framed(257, node.write()));
    expect(fromLdk.map((m) => (m[0]! << 8) | m[1]!)).toEqual([256, 258, 258, 257]);

    // Our gossip function, its store in partitions of its own.
    const store = new GraphStore({ client, tableName, chainHash: Uint8Array.from([...REGTEST.subarray(0, 24), ...crypto.getRandomValues(new Uint8Array(8))]) });
    const lookups: bigint[] = [];
    const ctx: GossipContext = {
      graph: store,
      secp,
      chainHash: REGTEST,
      outbound: { sendBatch: async () => undefined },
      nowSec: () => NOW,
      fundingOutput: async (scid) => {
        lookups.push(scid);
        return { scriptPubkey: fundingOutputScript(btc1, btc2), valueSat: CAPACITY_SAT, spent: false };
      },
    };
    const ldkPeer = bytesToHex(node1);
    const outcomes = [];
    for (const [i, message] of fromLdk.entries()) outcomes.push(await handleGossip(ctx, { peer: ldkPeer, connectionId: 'ldk', inputId: `ldk:${i}`, message }));
    expect(outcomes).toEqual([
      { kind: 'stored', type: 256 },
      { kind: 'stored', type: 258 },
      { kind: 'stored', type: 258 },
      { kind: 'stored', type: 257 },
    ]);
    expect(lookups).toEqual([SCID]);

    // Stored as LDK wrote them.
    const stored = await store.channel(SCID);
    expect(stored.announcement?.capacitySat).toBe(CAPACITY_SAT);
    expect(bytesToHex(stored.announcement!.message)).toBe(bytesToHex(fromLdk[0]!));
    expect(stored.updates.map((u) => u && bytesToHex(u.message)).sort()).toEqual([bytesToHex(fromLdk[1]!), bytesToHex(fromLdk[2]!)].sort());
    const storedNode = await store.node(node1);
    expect(storedNode.known).toBe(true);
    expect(storedNode.timestamp).toBe(NOW - 30);
    const decodedNode = decodeGossipMessage(storedNode.message!);
    if (decodedNode.kind !== 'message' || decodedNode.message.type !== 257) throw new Error('stored node announcement does not decode');
    expect(decodedNode.message.addresses).toEqual([{ kind: 'ipv4', addr: Uint8Array.of(10, 0, 0, 7), port: 9735 }]);
    expect(bytesToHex(decodedNode.message.rgbColor)).toBe('ff8000');

    // The snapshot the payment paths load holds LDK's channel with LDK's policies.
    const run = await refreshGraphSnapshot(store, '000000000000001');
    expect(run).toMatchObject({ written: true, channels: 1, nodes: 2 });
    const cache = new GraphSnapshotCache(store, { refreshMs: 1000, nowMs: () => 0 });
    const graph = await cache.graph();
    expect(cache.lastLoad).toMatchObject({ source: 'snapshot' });
    expect(graph.capacityOf(SCID)).toBe(Number(CAPACITY_SAT) * 1000);
    expect(graph.policy(SCID, 0)).toMatchObject({ enabled: true, cltvExpiryDelta: 40, feeBaseMsat: 10n, feeProportionalMillionths: 20, htlcMinimumMsat: 1_000n, htlcMaximumMsat: 1_500_000_000n });
    expect(graph.policy(SCID, 1)).toMatchObject({ enabled: true, cltvExpiryDelta: 144, feeBaseMsat: 1000n, feeProportionalMillionths: 100 });

    // A payer with a channel to LDK's node 1 pays node 2 over LDK's channel: node 1's fee and delta.
    const payer = new Uint8Array(33).fill(3);
    const r = findRoute(graph, {
      ourNodeId: payer,
      payeeNodeId: node2,
      amountMsat: 1_000_000n,
      finalCltvExpiryDelta: 18,
      bestBlockHeight: 900_000,
      firstHops: [{ channelId: new Uint8Array(32).fill(1), counterpartyNodeId: node1, shortChannelId: 1n, outboundCapacityMsat: 10_000_000n, nextOutboundHtlcMinimumMsat: 1n }],
    });
    if (!r.ok) throw new Error(`no route: ${r.error.code}`);
    expect(r.route.hops.map((h) => h.shortChannelId)).toEqual([1n, SCID]);
    // 10 + 20 ppm of 1,000,000 = 30 msat; delta 40.
    expect(r.route.totalFeeMsat).toBe(30n);
    expect(r.route.htlcCltvExpiry).toBe(900_001 + 18 + 40);
  });
});
