// Cross-check of the BOLT 7 codecs and signatures against real LDK 0.1 (the
// `lightningdevkit` WASM build): every message agrees byte for byte both
// ways; LDK's network graph (P2PGossipSync) accepts the channel_announcement,
// node_announcement and channel_updates we build and sign, and refuses them
// tampered; messages signed by LDK's NodeSigner pass our checks.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ldk from 'lightningdevkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../shared/codec/index.js';
import { nobleSecp256k1 as secp } from '../../shared/crypto/index.js';
import {
  announcementSignaturesFor,
  channelAnnouncementFrom,
  checkAnnouncementSignatures,
  checkChannelAnnouncement,
  checkChannelUpdate,
  checkNodeAnnouncement,
  decodeGossipMessage,
  encodeGossipMessage,
  ourChannelUpdate,
  ourNodeAnnouncement,
  unsignedChannelAnnouncement,
} from '../../shared/gossip/index.js';
import type { ChannelAnnouncementMessage, ChannelUpdateMessage, GossipMessage, NodeAnnouncementMessage } from '../../shared/gossip/index.js';
import { KeysManager } from '../../shared/keys/index.js';

const REGTEST = hexToBytes('06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f');
const NOW = Math.floor(Date.now() / 1000);
const entropy = { getSecureRandomBytes: () => new Uint8Array(32).fill(0x11) };

beforeAll(async () => {
  const pkg = createRequire(import.meta.url).resolve('lightningdevkit/package.json');
  await ldk.initializeWasmFromBinary(readFileSync(join(dirname(pkg), 'liblightningjs.wasm')));
});

/** Our decode of an LDK-written payload of message `type`. */
function ours(type: number, payload: Uint8Array): GossipMessage {
  const result = decodeGossipMessage(Uint8Array.of(type >> 8, type & 0xff, ...payload));
  if (result.kind !== 'message') throw new Error(`not decoded: ${JSON.stringify(result)}`);
  return result.message;
}

/** The payload of one of our messages (the type stripped), for LDK's readers. */
function payloadOf(m: GossipMessage): Uint8Array {
  return encodeGossipMessage(m).subarray(2);
}

/** LDK's read of our payload written back by LDK: must be our bytes again. */
function ldkRoundTrip(m: GossipMessage, read: (b: Uint8Array) => { write(): Uint8Array }): void {
  expect(bytesToHex(read(payloadOf(m)).write())).toBe(bytesToHex(payloadOf(m)));
}

function okValue<T>(r: unknown): T {
  if (typeof r !== 'object' || r === null || !('res' in r)) throw new Error(`LDK refused: ${describeErr(r)}`);
  return (r as { res: T }).res;
}

function describeErr(r: unknown): string {
  if (r instanceof ldk.Result_boolLightningErrorZ_Err) return r.err.get_err();
  return String((r as { constructor: { name: string } }).constructor.name);
}

function ldkNodeId(key: Uint8Array): ldk.NodeId {
  return ldk.NodeId.constructor_from_pubkey(key);
}

/** Two of our nodes with a public channel between them, announced and updated by us. */
function ourChannel(scid: bigint) {
  const a = new KeysManager(secp, new Uint8Array(32).fill(0xa1), entropy);
  const b = new KeysManager(secp, new Uint8Array(32).fill(0xb2), entropy);
  const signerA = a.deriveChannelSigner(250_000n, new Uint8Array(32).fill(1));
  const signerB = b.deriveChannelSigner(250_000n, new Uint8Array(32).fill(2));
  const unsignedA = unsignedChannelAnnouncement({
    chainHash: REGTEST,
    shortChannelId: scid,
    ourNodeId: a.getNodeId(),
    theirNodeId: b.getNodeId(),
    ourFundingPubkey: signerA.publicKeys.fundingPubkey,
    theirFundingPubkey: signerB.publicKeys.fundingPubkey,
  });
  const unsignedB = unsignedChannelAnnouncement({
    chainHash: REGTEST,
    shortChannelId: scid,
    ourNodeId: b.getNodeId(),
    theirNodeId: a.getNodeId(),
    ourFundingPubkey: signerB.publicKeys.fundingPubkey,
    theirFundingPubkey: signerA.publicKeys.fundingPubkey,
  });
  const channelId = new Uint8Array(32).fill(9);
  const sigsA = announcementSignaturesFor(a, signerA, channelId, unsignedA);
  const sigsB = announcementSignaturesFor(b, signerB, channelId, unsignedB);
  const announcement = channelAnnouncementFrom(unsignedA, a.getNodeId(), sigsA, sigsB);
  const policy = { chainHash: REGTEST, shortChannelId: scid, timestamp: NOW, cltvExpiryDelta: 72, htlcMinimumMsat: 1000n, htlcMaximumMsat: 200_000_000n, feeBaseMsat: 1000, feeProportionalMillionths: 100, disabled: false, dontForward: false };
  const updateA = ourChannelUpdate(a, { ...policy, theirNodeId: b.getNodeId() });
  const updateB = ourChannelUpdate(b, { ...policy, theirNodeId: a.getNodeId(), feeBaseMsat: 2000 });
  const nodeA = ourNodeAnnouncement(a, {
    timestamp: NOW,
    features: new Uint8Array(0),
    rgbColor: Uint8Array.of(1, 2, 3),
    alias: 'stormcell-a',
    addresses: [
      { kind: 'ipv4', addr: Uint8Array.of(127, 0, 0, 1), port: 9735 },
      { kind: 'dns', hostname: 'node.example.com', port: 9735 },
    ],
  });
  return { a, b, signerA, signerB, unsignedA, unsignedB, sigsA, sigsB, channelId, announcement, updateA, updateB, nodeA };
}

function gossipSync(): { sync: ldk.P2PGossipSync; graph: ldk.NetworkGraph; handler: ldk.RoutingMessageHandler } {
  const logger = ldk.Logger.new_impl({ log: () => undefined });
  const graph = ldk.NetworkGraph.constructor_new(ldk.Network.LDKNetwork_Regtest, logger);
  const sync = ldk.P2PGossipSync.constructor_new(graph, ldk.Option_UtxoLookupZ.constructor_none(), logger);
  return { sync, graph, handler: sync.as_RoutingMessageHandler() };
}

function readAnnouncement(m: ChannelAnnouncementMessage): ldk.ChannelAnnouncement {
  return okValue(ldk.ChannelAnnouncement.constructor_read(payloadOf(m)));
}
function readUpdate(m: ChannelUpdateMessage): ldk.ChannelUpdate {
  return okValue(ldk.ChannelUpdate.constructor_read(payloadOf(m)));
}
function readNode(m: NodeAnnouncementMessage): ldk.NodeAnnouncement {
  return okValue(ldk.NodeAnnouncement.constructor_read(payloadOf(m)));
}

describe('LDK 0.1 gossip interop', () => {
  it('LDK accepts our signed channel_announcement, node_announcement and channel_updates into its graph', () => {
    const scid = (700_000n << 40n) | (3n << 16n) | 1n;
    const c = ourChannel(scid);
    const { graph, handler } = gossipSync();
    expect(handler.handle_channel_announcement(null, readAnnouncement(c.announcement))).toBeInstanceOf(ldk.Result_boolLightningErrorZ_OK);
    expect(handler.handle_node_announcement(null, readNode(c.nodeA))).toBeInstanceOf(ldk.Result_boolLightningErrorZ_OK);
    for (const u of [c.updateA, c.updateB]) {
      const r = handler.handle_channel_update(null, readUpdate(u));
      expect(r, describeErr(r)).toBeInstanceOf(ldk.Result_boolLightningErrorZ_OK);
    }
    const info = graph.read_only().channel(scid);
    expect(info).not.toBeNull();
    const aIsNode1 = bytesToHex(c.announcement.nodeId1) === bytesToHex(c.a.getNodeId());
    expect(info.get_one_to_two().get_fees().get_base_msat()).toBe(aIsNode1 ? 1000 : 2000);
    expect(info.get_two_to_one().get_fees().get_base_msat()).toBe(aIsNode1 ? 2000 : 1000);
    const node = graph.read_only().node(ldkNodeId(c.a.getNodeId()));
    const announced = node.get_announcement_info();
    expect(announced).toBeInstanceOf(ldk.Option_NodeAnnouncementInfoZ_Some);
    if (announced instanceof ldk.Option_NodeAnnouncementInfoZ_Some) {
      expect(announced.some.addresses().map((s) => s.to_str())).toEqual(['127.0.0.1:9735', 'node.example.com:9735']);
    }
  });

  it('LDK refuses our messages with one signature or one signed byte changed', () => {
    const c = ourChannel((700_001n << 40n) | 1n);
    const { handler } = gossipSync();
    const badSig = { ...c.announcement, bitcoinSignature2: c.announcement.bitcoinSignature1 };
    expect(handler.handle_channel_announcement(null, readAnnouncement(badSig))).toBeInstanceOf(ldk.Result_boolLightningErrorZ_Err);
    const otherScid = { ...c.announcement, shortChannelId: c.announcement.shortChannelId + 1n };
    expect(handler.handle_channel_announcement(null, readAnnouncement(otherScid))).toBeInstanceOf(ldk.Result_boolLightningErrorZ_Err);
    expect(handler.handle_channel_announcement(null, readAnnouncement(c.announcement))).toBeInstanceOf(ldk.Result_boolLightningErrorZ_OK);
    expect(handler.handle_channel_update(null, readUpdate({ ...c.updateA, feeBaseMsat: 1 }))).toBeInstanceOf(ldk.Result_boolLightningErrorZ_Err);
    expect(handler.handle_node_announcement(null, readNode({ ...c.nodeA, rgbColor: Uint8Array.of(9, 9, 9) }))).toBeInstanceOf(ldk.Result_boolLightningErrorZ_Err);
  });

  it('our rules accept what we signed, and announcement_signatures check against the announcement each side built', () => {
    const c = ourChannel((700_002n << 40n) | 1n);
    expect(checkChannelAnnouncement(secp, c.announcement, { chainHash: REGTEST })).toEqual({ ok: true });
    expect(checkAnnouncementSignatures(secp, c.sigsB, { channelId: c.channelId, announcement: c.unsignedA, theirNodeId: c.b.getNodeId(), theirFundingPubkey: c.signerB.publicKeys.fundingPubkey })).toEqual({ ok: true });
    expect(checkAnnouncementSignatures(secp, c.sigsB, { channelId: c.channelId, announcement: c.unsignedA, theirNodeId: c.b.getNodeId(), theirFundingPubkey: c.signerA.publicKeys.fundingPubkey })).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it("messages signed by LDK's NodeSigner pass our signature checks", () => {
    const keys = [0x31, 0x32, 0x33, 0x34].map((b) => ldk.KeysManager.constructor_new(new Uint8Array(32).fill(b), 1n, 1).as_NodeSigner());
    const idOf = (s: ldk.NodeSigner): Uint8Array => okValue(s.get_node_id(ldk.Recipient.LDKRecipient_Node));
    const sign = (s: ldk.NodeSigner, m: ldk.UnsignedGossipMessage): Uint8Array => okValue(s.sign_gossip_message(m));
    const [n1, n2] = [keys[0]!, keys[1]!].sort((x, y) => (bytesToHex(idOf(x)) < bytesToHex(idOf(y)) ? -1 : 1)) as [ldk.NodeSigner, ldk.NodeSigner];
    const [btc1, btc2] = [keys[2]!, keys[3]!];
    const scid = (650_000n << 40n) | (7n << 16n) | 0n;
    const unsigned = ldk.UnsignedChannelAnnouncement.constructor_new(ldk.ChannelFeatures.constructor_empty(), REGTEST, scid, ldkNodeId(idOf(n1)), ldkNodeId(idOf(n2)), ldkNodeId(idOf(btc1)), ldkNodeId(idOf(btc2)), Uint8Array.of(0xff, 0));
    const msg = ldk.UnsignedGossipMessage.constructor_channel_announcement(unsigned);
    const announcement = ldk.ChannelAnnouncement.constructor_new(sign(n1, msg), sign(n2, msg), sign(btc1, msg), sign(btc2, msg), unsigned);
    const decodedAnnouncement = ours(256, announcement.write());
    expect(decodedAnnouncement.type === 256 && decodedAnnouncement.excessData).toEqual(Uint8Array.of(0xff, 0));
    if (decodedAnnouncement.type !== 256) return;
    expect(checkChannelAnnouncement(secp, decodedAnnouncement, { chainHash: REGTEST })).toEqual({ ok: true });
    expect(bytesToHex(payloadOf(decodedAnnouncement))).toBe(bytesToHex(announcement.write()));

    const unsignedUpdate = ldk.UnsignedChannelUpdate.constructor_new(REGTEST, scid, NOW, 1, 1, 40, 1n, 99_000n, 10, 20, Uint8Array.of(1, 2, 3));
    const update = ldk.ChannelUpdate.constructor_new(sign(n2, ldk.UnsignedGossipMessage.constructor_channel_update(unsignedUpdate)), unsignedUpdate);
    const decodedUpdate = ours(258, update.write());
    if (decodedUpdate.type !== 258) throw new Error('not a channel_update');
    const channel = { nodeId1: idOf(n1), nodeId2: idOf(n2) };
    expect(checkChannelUpdate(secp, decodedUpdate, { chainHash: REGTEST, channel, nowSec: NOW })).toEqual({ ok: true, direction: 1, disabled: false, forward: true });
    expect(checkChannelUpdate(secp, { ...decodedUpdate, excessData: Uint8Array.of(1, 2) }, { chainHash: REGTEST, channel })).toMatchObject({ ok: false, reason: 'bad-signature' });

    const unsignedNode = ldk.UnsignedNodeAnnouncement.constructor_new(
      ldk.NodeFeatures.constructor_empty(),
      NOW,
      ldkNodeId(idOf(n1)),
      Uint8Array.of(7, 8, 9),
      ldk.NodeAlias.constructor_new(new Uint8Array(32).fill(0x41)),
      [ldk.SocketAddress.constructor_tcp_ip_v6(new Uint8Array(16).fill(1), 9735)],
      new Uint8Array(0),
      new Uint8Array(0),
    );
    const node = ldk.NodeAnnouncement.constructor_new(sign(n1, ldk.UnsignedGossipMessage.constructor_node_announcement(unsignedNode)), unsignedNode);
    const decodedNode = ours(257, node.write());
    if (decodedNode.type !== 257) throw new Error('not a node_announcement');
    expect(decodedNode.addresses).toEqual([{ kind: 'ipv6', addr: new Uint8Array(16).fill(1), port: 9735 }]);
    expect(checkNodeAnnouncement(secp, decodedNode, { hasChannel: true })).toMatchObject({ ok: true, unknownRequiredFeatures: false });
  });

  it('announcement_signatures, the queries and gossip_timestamp_filter agree with LDK byte for byte both ways', () => {
    const scid = (123_456n << 40n) | (2n << 16n) | 1n;
    const channelId = new Uint8Array(32).fill(5);
    const s1 = new Uint8Array(64).fill(1);
    const s2 = new Uint8Array(64).fill(2);
    const cases: [GossipMessage, { write(): Uint8Array }, (b: Uint8Array) => { write(): Uint8Array }][] = [
      [
        { type: 259, channelId, shortChannelId: scid, nodeSignature: s1, bitcoinSignature: s2 },
        ldk.AnnouncementSignatures.constructor_new(ldk.ChannelId.constructor_new(channelId), scid, s1, s2),
        (b) => okValue(ldk.AnnouncementSignatures.constructor_read(b)),
      ],
      [
        { type: 261, chainHash: REGTEST, encodedShortIds: { encoding: 'uncompressed', values: [scid, scid + 1n] } },
        ldk.QueryShortChannelIds.constructor_new(REGTEST, [scid, scid + 1n]),
        (b) => okValue(ldk.QueryShortChannelIds.constructor_read(b)),
      ],
      [{ type: 262, chainHash: REGTEST, fullInformation: 1 }, ldk.ReplyShortChannelIdsEnd.constructor_new(REGTEST, true), (b) => okValue(ldk.ReplyShortChannelIdsEnd.constructor_read(b))],
      [{ type: 263, chainHash: REGTEST, firstBlocknum: 100, numberOfBlocks: 2000 }, ldk.QueryChannelRange.constructor_new(REGTEST, 100, 2000), (b) => okValue(ldk.QueryChannelRange.constructor_read(b))],
      [
        { type: 264, chainHash: REGTEST, firstBlocknum: 100, numberOfBlocks: 2000, syncComplete: 1, encodedShortIds: { encoding: 'uncompressed', values: [scid] } },
        ldk.ReplyChannelRange.constructor_new(REGTEST, 100, 2000, true, [scid]),
        (b) => okValue(ldk.ReplyChannelRange.constructor_read(b)),
      ],
      [
        { type: 265, chainHash: REGTEST, firstTimestamp: NOW, timestampRange: 0xffffffff },
        ldk.GossipTimestampFilter.constructor_new(REGTEST, NOW, 0xffffffff),
        (b) => okValue(ldk.GossipTimestampFilter.constructor_read(b)),
      ],
    ];
    for (const [m, theirs, read] of cases) {
      expect(ours(m.type, theirs.write())).toEqual(m);
      expect(bytesToHex(payloadOf(m))).toBe(bytesToHex(theirs.write()));
      ldkRoundTrip(m, read);
    }
  });

  it('our channel_announcement, node_announcement (every address type) and channel_update agree with LDK byte for byte', () => {
    const c = ourChannel((1n << 40n) | 1n);
    const node: NodeAnnouncementMessage = {
      ...c.nodeA,
      addresses: [
        { kind: 'ipv4', addr: Uint8Array.of(10, 0, 0, 1), port: 1 },
        { kind: 'ipv6', addr: new Uint8Array(16).fill(0xfe), port: 2 },
        { kind: 'torv3', addr: new Uint8Array(35).fill(0x33), port: 3 },
        { kind: 'dns', hostname: 'x.example', port: 4 },
        { kind: 'unknown', addressType: 42, data: Uint8Array.of(1, 2, 3) },
      ],
      excessData: Uint8Array.of(0xaa),
    };
    ldkRoundTrip(c.announcement, (b) => okValue(ldk.ChannelAnnouncement.constructor_read(b)));
    ldkRoundTrip({ ...c.updateA, excessData: Uint8Array.of(0, 1) }, (b) => okValue(ldk.ChannelUpdate.constructor_read(b)));
    ldkRoundTrip(node, (b) => okValue(ldk.NodeAnnouncement.constructor_read(b)));
    const ldkNode = readNode(node);
    expect(ours(257, ldkNode.write())).toEqual(node);
    expect(ldkNode.get_contents().get_addresses().map((s) => s.to_str())).toEqual(['10.0.0.1:1', '[fefe:fefe:fefe:fefe:fefe:fefe:fefe:fefe]:2', expect.stringContaining('.onion:3'), 'x.example:4']);
  });
});
