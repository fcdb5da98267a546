/**
 * A small public network as real, signed BOLT 7 messages (for the graph
 * store, the gossip function and its bench): `nodes` key sets, channels
 * between them (a ring, then random chords), each with its
 * `channel_announcement` (both node and funding signatures), one
 * `channel_update` per direction and one `node_announcement` per node,
 * framed as they come off the wire. The funding outputs the chain would
 * show are given too, so the funding check can run.
 */
import type { Secp256k1 } from '../../shared/crypto/index.js';
import {
  announcementSignaturesFor,
  channelAnnouncementFrom,
  encodeGossipMessage,
  ourChannelUpdate,
  ourNodeAnnouncement,
  unsignedChannelAnnouncement,
  type ChannelAnnouncementMessage,
  type FundingOutput,
} from '../../shared/gossip/index.js';
import { KeysManager } from '../../shared/keys/index.js';
import { fundingOutputScript } from '../../shared/tx/index.js';
import { rng } from './seeded-random.js';

export interface GossipNetwork {
  readonly chainHash: Uint8Array;
  readonly nodes: readonly KeysManager[];
  readonly channels: readonly {
    readonly shortChannelId: bigint;
    readonly announcement: ChannelAnnouncementMessage;
    /** The framed messages: announcement, update of direction 0, of direction 1. */
    readonly messages: readonly [Uint8Array, Uint8Array, Uint8Array];
    readonly capacitySat: bigint;
  }[];
  /** One framed `node_announcement` per node. */
  readonly nodeAnnouncements: readonly Uint8Array[];
  /** What the chain holds at each short channel id. */
  readonly fundingOutputs: ReadonlyMap<bigint, FundingOutput>;
}

export const GOSSIP_CHAIN = new Uint8Array(32).fill(0x0c);

/** Short channel id of block `height`, transaction `tx`, output 0. */
export const scidOf = (height: number, tx: number): bigint => (BigInt(height) << 40n) | (BigInt(tx) << 16n);

export function gossipNetwork(secp: Secp256k1, options: { readonly nodes: number; readonly channels: number; readonly timestamp: number; readonly seed?: number }): GossipNetwork {
  const next = rng(options.seed ?? 7);
  const random = () => next() / 0x1_0000_0000;
  const entropy = { getSecureRandomBytes: () => new Uint8Array(32).fill(0x11) };
  const nodes = Array.from({ length: options.nodes }, (_, i) => {
    const seed = new Uint8Array(32);
    seed[0] = 0x40;
    seed[30] = i >> 8;
    seed[31] = i & 0xff;
    return new KeysManager(secp, seed, entropy);
  });
  const channels: GossipNetwork['channels'][number][] = [];
  const fundingOutputs = new Map<bigint, FundingOutput>();
  for (let c = 0; c < options.channels; c++) {
    const i = c < nodes.length ? c : Math.floor(random() * nodes.length);
    let j = c < nodes.length ? (c + 1) % nodes.length : Math.floor(random() * nodes.length);
    if (j === i) j = (i + 1) % nodes.length;
    const a = nodes[i]!;
    const b = nodes[j]!;
    const shortChannelId = scidOf(700_000 + Math.floor(c / 4), (c % 4) + 1);
    const channelId = new Uint8Array(32).fill(c & 0xff);
    const signerA = a.deriveChannelSigner(1_000_000n, channelId);
    const signerB = b.deriveChannelSigner(1_000_000n, channelId);
    const common = { chainHash: GOSSIP_CHAIN, shortChannelId };
    const unsignedA = unsignedChannelAnnouncement({ ...common, ourNodeId: a.getNodeId(), theirNodeId: b.getNodeId(), ourFundingPubkey: signerA.publicKeys.fundingPubkey, theirFundingPubkey: signerB.publicKeys.fundingPubkey });
    const unsignedB = unsignedChannelAnnouncement({ ...common, ourNodeId: b.getNodeId(), theirNodeId: a.getNodeId(), ourFundingPubkey: signerB.publicKeys.fundingPubkey, theirFundingPubkey: signerA.publicKeys.fundingPubkey });
    const announcement = channelAnnouncementFrom(unsignedA, a.getNodeId(), announcementSignaturesFor(a, signerA, channelId, unsignedA), announcementSignaturesFor(b, signerB, channelId, unsignedB));
    const capacitySat = 1_000_000n;
    const policy = { ...common, timestamp: options.timestamp, cltvExpiryDelta: 40, htlcMinimumMsat: 1_000n, htlcMaximumMsat: 900_000_000n, feeBaseMsat: 1_000, feeProportionalMillionths: 100 + (c % 7), disabled: false, dontForward: false };
    const fromA = ourChannelUpdate(a, { ...policy, theirNodeId: b.getNodeId() });
    const fromB = ourChannelUpdate(b, { ...policy, theirNodeId: a.getNodeId() });
    const [dir0, dir1] = (fromA.channelFlags & 1) === 0 ? [fromA, fromB] : [fromB, fromA];
    channels.push({ shortChannelId, announcement, capacitySat, messages: [encodeGossipMessage(announcement), encodeGossipMessage(dir0), encodeGossipMessage(dir1)] });
    fundingOutputs.set(shortChannelId, { scriptPubkey: fundingOutputScript(announcement.bitcoinKey1, announcement.bitcoinKey2), valueSat: capacitySat, spent: false });
  }
  const nodeAnnouncements = nodes.map((n, i) =>
    encodeGossipMessage(ourNodeAnnouncement(n, { timestamp: options.timestamp, features: new Uint8Array(0), rgbColor: Uint8Array.of(1, 2, 3), alias: `node ${i}`, addresses: [] })),
  );
  return { chainHash: GOSSIP_CHAIN, nodes, channels, nodeAnnouncements, fundingOutputs };
}
