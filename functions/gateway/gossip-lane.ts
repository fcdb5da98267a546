/**
 * Which inbound messages the gateway sends to the gossip queue instead of
 * the inbound one (issue 18: gossip storage and relay must not slow channel
 * messages, nor take the node's lease). Public gossip and the gossip queries
 * go there: `channel_announcement` (256), `node_announcement` (257), a
 * `channel_update` (258) of a public channel, and 261..265. What stays on
 * the peer-message path: `announcement_signatures` (259: channel state), and
 * a `channel_update` with `dont_forward` set (BOLT 7: the peer's update of
 * our private channel, which the manager keeps for its route hints); a
 * `channel_update` the sending peer signed goes both ways ({@link inboundRoute}).
 */

import { sha256, type Secp256k1 } from '../../shared/crypto/index.js';

/** Offset of `message_flags` in a framed `channel_update`: type, signature, chain hash, scid, timestamp. */
const CHANNEL_UPDATE_MESSAGE_FLAGS = 2 + 64 + 32 + 8 + 4;
/** `message_flags` bit 1: the update is for a private channel, not to be relayed. */
const DONT_FORWARD = 2;

const TO_GOSSIP: ReadonlySet<number> = new Set([256, 257, 258, 261, 262, 263, 264, 265]);

/** Where an inbound message goes: the peer-message path, the gossip queue, or both. */
export type InboundRoute = 'inbound' | 'gossip' | 'both';

/**
 * Where a decrypted message (type first) from peer `sender` goes. A
 * `channel_update` signed by the sending peer itself goes both ways: it may
 * be its update of a channel with us (LDK 0.1 sends the update of a private
 * channel without `dont_forward`), which the manager keeps for its route
 * hints, and it may be public gossip the graph keeps. Only a peer's own
 * updates go both ways (one signature check each), so the node's lease never
 * sees the network's gossip.
 */
export function inboundRoute(message: Uint8Array, sender: Uint8Array, secp: Secp256k1): InboundRoute {
  if (message.length < 2) return 'inbound';
  const type = (message[0]! << 8) | message[1]!;
  if (!TO_GOSSIP.has(type)) return 'inbound';
  if (type !== 258) return 'gossip';
  // A truncated update goes to the gossip function: its decoder refuses it there.
  const flags = message[CHANNEL_UPDATE_MESSAGE_FLAGS];
  if (flags === undefined) return 'gossip';
  if ((flags & DONT_FORWARD) !== 0) return 'inbound';
  return signedBy(message, sender, secp) ? 'both' : 'gossip';
}

/** True when `sender` signed this framed `channel_update` (BOLT 7: the double SHA-256 of everything after the signature). */
function signedBy(message: Uint8Array, sender: Uint8Array, secp: Secp256k1): boolean {
  const digest = sha256(sha256(message.subarray(2 + 64)));
  try {
    return secp.verify(message.subarray(2, 2 + 64), digest, sender);
  } catch {
    return false;
  }
}

/** True for a `gossip_timestamp_filter` (265): the gateway then tells the gossip queue when the connection ends (the filter's end). */
export function isGossipTimestampFilter(message: Uint8Array): boolean {
  return message.length >= 2 && ((message[0]! << 8) | message[1]!) === 265;
}
