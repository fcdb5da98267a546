/**
 * Which inbound messages the gateway sends to the gossip queue instead of
 * the inbound one (issue 18: gossip storage and relay must not slow channel
 * messages, nor take the node's lease). Public gossip and the gossip queries
 * go there: `channel_announcement` (256), `node_announcement` (257), a
 * `channel_update` (258) of a public channel, and 261..265. What stays on
 * the peer-message path: `announcement_signatures` (259: channel state), and
 * a `channel_update` with `dont_forward` set (BOLT 7: the peer's update of
 * our private channel, which the manager keeps for its route hints).
 */

/** Offset of `message_flags` in a framed `channel_update`: type, signature, chain hash, scid, timestamp. */
const CHANNEL_UPDATE_MESSAGE_FLAGS = 2 + 64 + 32 + 8 + 4;
/** `message_flags` bit 1: the update is for a private channel, not to be relayed. */
const DONT_FORWARD = 2;

const TO_GOSSIP: ReadonlySet<number> = new Set([256, 257, 258, 261, 262, 263, 264, 265]);

/** True when a decrypted message (type first) belongs on the gossip queue. */
export function isRelayedGossip(message: Uint8Array): boolean {
  if (message.length < 2) return false;
  const type = (message[0]! << 8) | message[1]!;
  if (!TO_GOSSIP.has(type)) return false;
  if (type !== 258) return true;
  // A truncated update goes to the gossip function too: its decoder refuses it there.
  const flags = message[CHANNEL_UPDATE_MESSAGE_FLAGS];
  return flags === undefined || (flags & DONT_FORWARD) === 0;
}
