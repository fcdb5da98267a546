/**
 * A public channel between two LDK nodes as LDK's own NodeSigners sign its
 * gossip (the `lightningdevkit` WASM build): its `channel_announcement`
 * (node and funding keys from four LDK KeysManagers), one `channel_update`
 * per direction and node 1's `node_announcement`. The gossip tests hand
 * these to LDK's graph and check that ours takes them.
 */
import * as ldk from 'lightningdevkit';
import { bytesToHex } from '../../shared/codec/index.js';

/** A direction's policy: `flags` 0 for node 1's direction, 1 for node 2's. */
export interface LdkUpdatePolicy {
  readonly flags: number;
  readonly cltvExpiryDelta: number;
  readonly feeBaseMsat: number;
  readonly feeProportionalMillionths: number;
}

export interface LdkGossipOptions {
  /** The byte each KeysManager seed is filled with: node a, node b, funding key 1, funding key 2. */
  readonly seeds: readonly [number, number, number, number];
  readonly chainHash: Uint8Array;
  /** Given the two funding keys: the short channel id (e.g. after mining the funding output). */
  readonly shortChannelId: (fundingKey1: Uint8Array, fundingKey2: Uint8Array) => bigint | Promise<bigint>;
  readonly nowSec: number;
  readonly htlcMaximumMsat: bigint;
  readonly updates: readonly [LdkUpdatePolicy, LdkUpdatePolicy];
  readonly node: { readonly rgb: Uint8Array; readonly aliasByte: number; readonly ipv4: Uint8Array };
}

export interface LdkGossip {
  readonly scid: bigint;
  readonly node1: Uint8Array;
  readonly node2: Uint8Array;
  readonly btc1: Uint8Array;
  readonly btc2: Uint8Array;
  readonly announcement: ldk.ChannelAnnouncement;
  readonly updates: ldk.ChannelUpdate[];
  readonly nodeAnnouncement: ldk.NodeAnnouncement;
}

export function okValue<T>(r: unknown): T {
  if (typeof r !== 'object' || r === null || !('res' in r)) throw new Error(`LDK refused: ${String((r as { constructor: { name: string } }).constructor.name)}`);
  return (r as { res: T }).res;
}

/** The channel's gossip, every message signed by LDK (updates 60 s old, the node announcement 30 s old). */
export async function ldkSignedGossip(o: LdkGossipOptions): Promise<LdkGossip> {
  const signers = o.seeds.map((b) => ldk.KeysManager.constructor_new(new Uint8Array(32).fill(b), 1n, 1).as_NodeSigner());
  const idOf = (s: ldk.NodeSigner): Uint8Array => okValue(s.get_node_id(ldk.Recipient.LDKRecipient_Node));
  const sign = (s: ldk.NodeSigner, m: ldk.UnsignedGossipMessage): Uint8Array => okValue(s.sign_gossip_message(m));
  const [n1, n2] = [signers[0]!, signers[1]!].sort((x, y) => (bytesToHex(idOf(x)) < bytesToHex(idOf(y)) ? -1 : 1)) as [ldk.NodeSigner, ldk.NodeSigner];
  const [btc1, btc2] = [signers[2]!, signers[3]!];
  const scid = await o.shortChannelId(idOf(btc1), idOf(btc2));
  const nodeId = (s: ldk.NodeSigner) => ldk.NodeId.constructor_from_pubkey(idOf(s));
  const unsigned = ldk.UnsignedChannelAnnouncement.constructor_new(ldk.ChannelFeatures.constructor_empty(), o.chainHash, scid, nodeId(n1), nodeId(n2), nodeId(btc1), nodeId(btc2), new Uint8Array(0));
  const m = ldk.UnsignedGossipMessage.constructor_channel_announcement(unsigned);
  const announcement = ldk.ChannelAnnouncement.constructor_new(sign(n1, m), sign(n2, m), sign(btc1, m), sign(btc2, m), unsigned);
  const updates = o.updates.map((p) => {
    const u = ldk.UnsignedChannelUpdate.constructor_new(o.chainHash, scid, o.nowSec - 60, 1, p.flags, p.cltvExpiryDelta, 1_000n, o.htlcMaximumMsat, p.feeBaseMsat, p.feeProportionalMillionths, new Uint8Array(0));
    return ldk.ChannelUpdate.constructor_new(sign(p.flags === 0 ? n1 : n2, ldk.UnsignedGossipMessage.constructor_channel_update(u)), u);
  });
  const unsignedNode = ldk.UnsignedNodeAnnouncement.constructor_new(
    ldk.NodeFeatures.constructor_empty(),
    o.nowSec - 30,
    nodeId(n1),
    o.node.rgb,
    ldk.NodeAlias.constructor_new(new Uint8Array(32).fill(o.node.aliasByte)),
    [ldk.SocketAddress.constructor_tcp_ip_v4(o.node.ipv4, 9735)],
    new Uint8Array(0),
    new Uint8Array(0),
  );
  const nodeAnnouncement = ldk.NodeAnnouncement.constructor_new(sign(n1, ldk.UnsignedGossipMessage.constructor_node_announcement(unsignedNode)), unsignedNode);
  return { scid, node1: idOf(n1), node2: idOf(n2), btc1: idOf(btc1), btc2: idOf(btc2), announcement, updates, nodeAnnouncement };
}
