/**
 * Issue 18: a public channel between two of our nodes is announced once its
 * funding is 6 deep (BOLT 7): `announcement_signatures` both ways, then the
 * `channel_announcement`, each side's `channel_update` and
 * `node_announcement`, all of which pass the receiving rules of
 * shared/gossip. A private channel announces nothing; a bad signature is
 * refused with a warning; after a reconnection the signatures go again.
 */
import { describe, expect, it } from 'vitest';
import { decodeChannel, encodeChannel, type Channel } from '../../shared/channel/index.js';
import { toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import {
  checkChannelAnnouncement,
  checkChannelUpdate,
  checkNodeAnnouncement,
  type ChannelAnnouncementMessage,
  type GossipMessage,
  type NodeAnnouncementMessage,
} from '../../shared/gossip/index.js';
import { ManagerError, type NodeAnnouncementSettings } from '../../shared/manager/index.js';
import type { ChannelUpdateMessage } from '../../shared/wire/index.js';
import { REGTEST_CHAIN_HASH } from '../support/channel-harness.js';
import { FUNDING, fund, onlyChannel, openChannel } from './manager-fixture.js';
import { ManagerNetwork, type ManagerNode } from '../support/manager-network.js';

const ALICE: NodeAnnouncementSettings = { rgbColor: Uint8Array.of(0xff, 0x88, 0x00), alias: 'alice ⚡', addresses: [{ kind: 'ipv4', addr: Uint8Array.of(10, 0, 0, 1), port: 9735 }] };
const BOB: NodeAnnouncementSettings = { rgbColor: Uint8Array.of(0, 0, 0xff), alias: 'bob', addresses: [{ kind: 'dns', hostname: 'bob.example', port: 9736 }] };

/** Two connected nodes that open and accept announced channels (LDK: both sides must agree), each with its node settings. */
function publicPair(announce = true): { net: ManagerNetwork; alice: ManagerNode; bob: ManagerNode; gossip: Map<string, GossipMessage[]> } {
  const net = new ManagerNetwork();
  const config = { minimumDepth: 3, announceChannel: announce };
  const alice = net.addNode('alice', { config });
  const bob = net.addNode('bob', { config });
  alice.nodeAnnouncement = ALICE;
  bob.nodeAnnouncement = BOB;
  const gossip = new Map<string, GossipMessage[]>([
    ['alice', []],
    ['bob', []],
  ]);
  for (const node of [alice, bob]) node.ports = { ...node.ports, gossip: { handleGossip: (_peer, m) => gossip.get(node.label)!.push(m) } };
  net.connect(alice, bob);
  return { net, alice, bob, gossip };
}

function received<T extends number>(node: ManagerNode, type: T): Extract<GossipMessage, { type: T }>[] {
  return node.received.filter((m) => m.type === type) as Extract<GossipMessage, { type: T }>[];
}

function storedChannel(node: ManagerNode): Channel {
  const entry = [...node.store.storedChannels().values()][0]!;
  if (!entry.ok || entry.value.kind !== 'channel') throw new Error('no channel');
  return entry.value.channel;
}

/** Opens alice -> bob, funds it and mines the funding block: depth 1. */
function openFunded(net: ManagerNetwork, alice: ManagerNode, bob: ManagerNode): Uint8Array {
  const tx = fund(net, alice, openChannel(net, alice, bob));
  net.mine([tx]);
  return tx;
}

describe('a public channel between our nodes is announced at 6 confirmations', () => {
  it('ready at 3, announcement_signatures at 6 both ways, then channel_announcement, channel_update and node_announcement that pass the BOLT 7 rules', () => {
    const { net, alice, bob, gossip } = publicPair();
    openFunded(net, alice, bob);
    net.mine([], 4); // depth 5: ready (minimum depth 3) but not announced
    expect(onlyChannel(net, alice).isUsable).toBe(true);
    expect(onlyChannel(net, alice).isPublic).toBe(true);
    expect(received(bob, 259)).toEqual([]);
    expect(received(alice, 259)).toEqual([]);

    net.mine(); // depth 6
    for (const [node, other, settings] of [[alice, bob, BOB], [bob, alice, ALICE]] as const) {
      expect(received(node, 259)).toHaveLength(1);
      const [announcement] = received(node, 256) as ChannelAnnouncementMessage[];
      expect(announcement).toBeDefined();
      const scid = onlyChannel(net, node).shortChannelId!;
      expect(announcement!.shortChannelId).toBe(scid);
      expect(checkChannelAnnouncement(wasmSecp256k1, announcement!, { chainHash: REGTEST_CHAIN_HASH, known: undefined })).toEqual({ ok: true });
      // The peer's updates: at ready (depth 3) for us only (dont_forward, under its alias); at 6 the public one
      // (the real short channel id, no dont_forward), its direction, its signature; within the channel's capacity.
      const [unicast, update, ...more] = received(node, 258) as ChannelUpdateMessage[];
      expect(more).toEqual([]);
      expect(unicast!.messageFlags & 2).toBe(2);
      expect(update!.shortChannelId).toBe(scid);
      const accepted = checkChannelUpdate(wasmSecp256k1, update!, {
        chainHash: REGTEST_CHAIN_HASH,
        channel: { nodeId1: announcement!.nodeId1, nodeId2: announcement!.nodeId2, capacitySat: FUNDING },
        storedTimestamp: undefined,
        nowSec: Math.floor(Date.now() / 1000),
      });
      expect(accepted).toMatchObject({ ok: true, forward: true, disabled: false });
      expect(update).toMatchObject({ feeBaseMsat: 1000, feeProportionalMillionths: 0, cltvExpiryDelta: 72 });
      // The peer's node_announcement: its alias, colour and addresses, signed.
      const [node_] = received(node, 257) as NodeAnnouncementMessage[];
      expect(toHex(node_!.nodeId)).toBe(toHex(other.nodeId));
      expect(checkNodeAnnouncement(wasmSecp256k1, node_!, { hasChannel: true, storedTimestamp: undefined })).toMatchObject({ ok: true, addresses: settings.addresses });
      expect(new TextDecoder().decode(node_!.alias).replace(/\0+$/, '')).toBe(settings.alias);
      expect([...node_!.rgbColor]).toEqual([...settings.rgbColor]);
      // The graph's gossip (the GossipHandler port) got the network messages: the announcement, the peer's update, its node.
      expect(gossip.get(node.label)!.map((m) => m.type).sort()).toEqual([256, 257, 258]);
      // Each side keeps the peer's signatures (record TLV 71).
      expect(storedChannel(node).theirAnnouncementSignatures).toBeDefined();
    }
    // Both sides built the same announcement.
    expect(received(alice, 256)).toEqual(received(bob, 256));
    // Another block sends nothing again.
    const before = alice.received.length + bob.received.length;
    net.mine();
    expect(alice.received.length + bob.received.length).toBe(before);
  });

  it("the peer's signatures before our 6th block are kept; ours then go with the announcement at once", () => {
    const { net, alice, bob } = publicPair();
    openFunded(net, alice, bob);
    net.mine([], 4);
    net.deferFollowUps = true;
    net.mine(); // depth 6: both chain follow-ups wait
    expect(net.pendingFollowUps).toHaveLength(2);
    net.pendingFollowUps.shift()!(); // alice's block: her signatures go
    net.run();
    expect(received(bob, 259)).toHaveLength(1);
    expect(received(alice, 259)).toEqual([]);
    expect(storedChannel(bob).theirAnnouncementSignatures).toBeDefined(); // kept while bob's channel is 5 deep
    expect(storedChannel(bob).announcementSignaturesSent).toBeUndefined();
    net.pendingFollowUps.shift()!(); // bob's block: his signatures, and the announcement, since alice's are known
    net.deferFollowUps = false;
    net.run();
    // The first channel_update is the one at ready (for the peer only); the second goes with the announcement.
    expect(alice.received.filter((m) => m.type >= 256 && m.type <= 259).map((m) => m.type)).toEqual([258, 259, 256, 258, 257]);
    expect(bob.received.filter((m) => m.type >= 256 && m.type <= 259).map((m) => m.type)).toEqual([258, 259, 256, 258, 257]);
  });

    it('a private channel sends no announcement_signatures (and no gossip) at 6 confirmations', () => {
    const { net, alice, bob } = publicPair(false);
    openFunded(net, alice, bob);
    net.mine([], 6);
    expect(onlyChannel(net, alice).isPublic).toBe(false);
    for (const node of [alice, bob]) for (const type of [256, 257, 259]) expect(received(node, type), `${node.label} ${type}`).toEqual([]);
  });

  it('disconnected at the 6th block: nothing sent then; after the reconnection the signatures go both ways and the channel is announced', () => {
    const { net, alice, bob } = publicPair();
    openFunded(net, alice, bob);
    net.mine([], 4);
    net.disconnect(alice, bob);
    net.mine();
    expect(alice.sentUnconnected.filter((m) => m.type === 259)).toEqual([]);
    expect(received(bob, 259)).toEqual([]);
    net.connect(alice, bob);
    expect(received(bob, 259)).toHaveLength(1);
    expect(received(alice, 259)).toHaveLength(1);
    expect(received(bob, 256)).toHaveLength(1);
    expect(received(alice, 256)).toHaveLength(1);
    // Once both have the other's: a later reconnection sends no announcement_signatures again (BOLT 7: only while not received).
    net.disconnect(alice, bob);
    net.connect(alice, bob);
    expect(received(bob, 259)).toHaveLength(1);
    expect(received(alice, 259)).toHaveLength(1);
  });

  it('a bad announcement_signatures (signature, short channel id) gets a warning and is not kept', () => {
    const { net, alice, bob } = publicPair();
    openFunded(net, alice, bob);
    net.mine([], 3); // depth 4: ready, confirmed (a short channel id), not due for announcement
    const channel = onlyChannel(net, alice);
    const forged = { type: 259 as const, channelId: channel.channelId, shortChannelId: channel.shortChannelId!, nodeSignature: new Uint8Array(64).fill(1), bitcoinSignature: new Uint8Array(64).fill(2) };
    const lastFromBob = () => alice.peers.get(toHex(bob.nodeId))?.lastMessageFromPeer;
    net.step(bob, { kind: 'peer-message', peer: alice.nodeId, message: forged }, (m) => m.handleChannelMessage(alice.nodeId, forged));
    net.run();
    expect(storedChannel(bob).theirAnnouncementSignatures).toBeUndefined();
    expect(lastFromBob()).toMatch(/^warning: announcement_signatures: announcement_signatures node-signature does not verify/);
    const wrongScid = { ...forged, shortChannelId: forged.shortChannelId + 1n };
    net.step(bob, { kind: 'peer-message', peer: alice.nodeId, message: wrongScid }, (m) => m.handleChannelMessage(alice.nodeId, wrongScid));
    net.run();
    expect(storedChannel(bob).theirAnnouncementSignatures).toBeUndefined();
    expect(lastFromBob()).toBe(`warning: announcement_signatures: announcement_signatures for ${wrongScid.shortChannelId}, expected ${forged.shortChannelId}`);
  });

  it('announcement_signatures for a private channel gets a warning and changes nothing', () => {
    const { net, alice, bob } = publicPair(false);
    openFunded(net, alice, bob);
    net.mine([], 5);
    const channel = onlyChannel(net, alice);
    const m = { type: 259 as const, channelId: channel.channelId, shortChannelId: channel.shortChannelId!, nodeSignature: new Uint8Array(64).fill(1), bitcoinSignature: new Uint8Array(64).fill(2) };
    net.step(bob, { kind: 'peer-message', peer: alice.nodeId, message: m }, (mgr) => mgr.handleChannelMessage(alice.nodeId, m));
    net.run();
    expect(storedChannel(bob).theirAnnouncementSignatures).toBeUndefined();
    expect(alice.peers.get(toHex(bob.nodeId))?.lastMessageFromPeer).toBe('warning: announcement_signatures: the channel is not announced');
  });
});

describe('the channel record keeps the announcement fields (TLV 71, 73), optional', () => {
  it('round-trips them, and a record without them reads as before', () => {
    const { net, alice, bob } = publicPair();
    openFunded(net, alice, bob);
    net.mine([], 5);
    const channel = storedChannel(alice);
    expect(channel.announcementSignaturesSent).toBe(true);
    expect(decodeChannel(encodeChannel(channel))).toEqual({ ok: true, value: channel });
    const { theirAnnouncementSignatures: _t, announcementSignaturesSent: _s, ...older } = channel;
    const bytes = encodeChannel(older as Channel);
    expect(bytes.length).toBe(encodeChannel(channel).length - (2 + 128) - 3);
    expect(decodeChannel(bytes)).toEqual({ ok: true, value: older });
  });
});

describe('broadcastNodeAnnouncement (LDK broadcast_node_announcement)', () => {
  it('sends our node_announcement to every connected peer; throws above 500 addresses, for a long alias or a bad colour', () => {
    const { net, alice, bob } = publicPair();
    const addresses = [{ kind: 'ipv4' as const, addr: Uint8Array.of(192, 0, 2, 1), port: 9735 }];
    net.step(alice, { kind: 'list-channels' }, (m) => m.broadcastNodeAnnouncement(Uint8Array.of(1, 2, 3), 'renamed', addresses));
    net.run();
    const [sent] = received(bob, 257) as NodeAnnouncementMessage[];
    expect(new TextDecoder().decode(sent!.alias).replace(/\0+$/, '')).toBe('renamed');
    expect(checkNodeAnnouncement(wasmSecp256k1, sent!, { hasChannel: true, storedTimestamp: undefined })).toMatchObject({ ok: true, addresses });
    const many = Array.from({ length: 501 }, () => addresses[0]!);
    const call = (rgb: Uint8Array, alias: string, list: typeof addresses) => () => net.step(alice, { kind: 'list-channels' }, (m) => m.broadcastNodeAnnouncement(rgb, alias, list));
    expect(call(Uint8Array.of(1, 2, 3), 'x', many)).toThrow(ManagerError);
    expect(call(Uint8Array.of(1, 2, 3), 'x', many)).toThrow(/501 addresses/);
    expect(call(Uint8Array.of(1, 2, 3), 'x'.repeat(33), addresses)).toThrow(/alias of 33 bytes/);
    expect(call(Uint8Array.of(1, 2), 'x', addresses)).toThrow(/rgb color of 2 bytes/);
    expect(() => net.step(alice, { kind: 'list-channels' }, (m) => m.broadcastNodeAnnouncement(Uint8Array.of(1, 2, 3), 'x', many.slice(0, 500)))).not.toThrow();
  });
});
