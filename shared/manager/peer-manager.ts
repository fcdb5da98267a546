/**
 * The node's connection-level protocol (BOLT 1): `init` exchange and feature
 * negotiation, warnings and errors, the unknown-message rules. Ping/pong
 * liveness is the peer gateway's (docs/gateway.md, "Keepalive"): a ping or
 * pong reaches this layer only before `init` or malformed, and is answered
 * here all the same. Pure: each call takes the peer's state and one input, and returns
 * the new state and the effects to carry out. BOLT 2 channel messages and
 * `error` go on to the ChannelManager as a `channel-message` effect, by
 * their rows in the routing table (message-routes.ts).
 */
import { equalBytes } from '../codec/index.js';
import { printableData } from '../wire/error-and-warning.js';
import { checkPeerFeatures, unsupportedRequiredBits } from '../wire/features.js';
import { initFeatures, type InitMessage } from '../wire/init.js';
import { encodeAddressDescriptor } from '../wire/address-descriptor.js';
import { pongFor } from '../wire/ping-pong.js';
import { decodeMessage, encodeMessage, type WireMessage } from '../wire/wire-message.js';
import { decodeGossipMessage, encodeGossipMessage, isGossipMessageType, type GossipMessage } from '../gossip/index.js';
import type { ChannelMessage, PeerWireMessage } from './manager-types.js';
import { MANAGER_MESSAGE_TYPES, UNSUPPORTED_MESSAGE_NAMES, routeOf, unsupportedMessageText } from './message-routes.js';
import type { PeerState } from './peer-state.js';

/** What the node needs to know to speak BOLT 1. */
export interface NodeConfig {
  /** The chain we are on (BOLT 0 chain hash, as in `init`'s `networks`). */
  readonly chainHash: Uint8Array;
  /** The features we advertise in `init`. */
  readonly features: Uint8Array;
}

/** Something the handler must do after a step. */
export type PeerEffect =
  /** `connectionId`: the only connection it may go out on, when known (a message made for a connection that ended must not reach the next one). */
  | { readonly kind: 'send'; readonly peer: Uint8Array; readonly message: PeerWireMessage; readonly connectionId?: string }
  | { readonly kind: 'disconnect'; readonly peer: Uint8Array; readonly reason: string }
  /** Hand `message` to the ChannelManager (`handleChannelMessage(peer, message)`), with the peer's `init` features. */
  | { readonly kind: 'channel-message'; readonly peer: Uint8Array; readonly message: ChannelMessage }
  /** The peer sent a BOLT 2 message we cannot handle yet (and is disconnected): tell the user (`reportUnsupportedMessage`). */
  | { readonly kind: 'unsupported-message'; readonly peer: Uint8Array; readonly messageType: number; readonly message: string };

/**
 * The result of one step: `state` is the peer's new state, `null` when it
 * must be forgotten, `undefined` when it did not change (nothing to write).
 */
export interface PeerStep {
  readonly state: PeerState | null | undefined;
  readonly effects: readonly PeerEffect[];
}

const NO_CHANGE: PeerStep = { state: undefined, effects: [] };
const ALL_CHANNELS = new Uint8Array(32);

function disconnect(peer: Uint8Array, reason: string, state: PeerState | null | undefined = undefined): PeerStep {
  return { state, effects: [{ kind: 'disconnect', peer, reason }] };
}

function remoteAddrOf(address: string): Uint8Array | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/.exec(address);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const port = Number(m[5]);
  if (octets.some((o) => o > 255) || port < 1 || port > 65535) return undefined;
  return encodeAddressDescriptor({ kind: 'ipv4', addr: Uint8Array.from(octets), port });
}

/** Our `init` for a new connection: our features, our chain, and the address we see the peer at. */
export function ourInit(config: NodeConfig, peerAddress: string): InitMessage {
  const remoteAddr = remoteAddrOf(peerAddress);
  return {
    type: 16,
    globalfeatures: new Uint8Array(0),
    features: config.features,
    networks: [config.chainHash],
    ...(remoteAddr ? { remoteAddr } : {}),
  };
}

/** A connection completed BOLT 8: remember it (replacing an older one) and send our `init`. */
export function peerConnected(
  config: NodeConfig,
  event: { readonly nodeId: Uint8Array; readonly connectionId: string; readonly inbound: boolean; readonly address: string },
): PeerStep {
  const state: PeerState = {
    nodeId: event.nodeId,
    connectionId: event.connectionId,
    inbound: event.inbound,
    address: event.address,
  };
  return { state, effects: [{ kind: 'send', peer: event.nodeId, message: ourInit(config, event.address) }] };
}

/** The connection ended: forget the peer, unless the event is about an older connection. */
export function peerDisconnected(current: PeerState | undefined, connectionId: string): PeerStep {
  if (!current || current.connectionId !== connectionId) return NO_CHANGE;
  return { state: null, effects: [] };
}

function onInit(config: NodeConfig, current: PeerState, init: InitMessage): PeerStep {
  if (current.features) return NO_CHANGE; // BOLT 1: init is sent once; a repeat carries nothing new
  const theirs = initFeatures(init);
  const check = checkPeerFeatures(theirs, config.features);
  if (check.unsupportedRequiredBits.length > 0) {
    return disconnect(current.nodeId, `peer requires unknown feature bits ${check.unsupportedRequiredBits.join(',')}`);
  }
  if (check.missingDependencies.length > 0) {
    const m = check.missingDependencies[0]!;
    return disconnect(current.nodeId, `peer sets ${m.feature} without ${m.dependency}`);
  }
  const weRequire = unsupportedRequiredBits(config.features, theirs);
  if (weRequire.length > 0) {
    return disconnect(current.nodeId, `peer lacks features we require: bits ${weRequire.join(',')}`);
  }
  if (init.networks !== undefined && !init.networks.some((n) => equalBytes(n, config.chainHash))) {
    return disconnect(current.nodeId, 'peer is on another chain (no common network in init)');
  }
  return { state: { ...current, features: theirs }, effects: [] };
}

/**
 * BOLT 7 gossip message types (`channel_announcement` 256 … `gossip_timestamp_filter` 265).
 * They are part of the protocol we speak, not "unknown even" messages: each is decoded
 * by shared/gossip (`channel_update` 258 by shared/wire, the same codec) and goes to the
 * manager, which keeps `announcement_signatures` and our channels' updates and hands the
 * rest to its `GossipHandler`; one we cannot decode is ignored (gossip comes from anywhere).
 */
export const GOSSIP_MESSAGE_TYPES: ReadonlySet<number> = new Set([256, 257, 258, 259, 261, 262, 263, 264, 265]);

/** The bytes of a message for a peer (`type` then payload): shared/wire's framing, or shared/gossip's for BOLT 7. */
export function encodePeerMessage(message: PeerWireMessage): Uint8Array {
  return message.type !== 258 && isGossipMessageType(message.type) ? encodeGossipMessage(message as GossipMessage) : encodeMessage(message as WireMessage);
}

/** A BOLT 7 message other than `channel_update` (which shared/wire decodes): decoded by shared/gossip, then to the manager. */
function gossipMessage(current: PeerState, bytes: Uint8Array): PeerStep {
  const decoded = decodeGossipMessage(bytes);
  if (decoded.kind !== 'message') return NO_CHANGE;
  if (!current.features) return disconnect(current.nodeId, `first message was type ${decoded.message.type}, not init`);
  return { state: undefined, effects: toManager(current.nodeId, decoded.message) };
}

/**
 * BOLT 2 normal-operation messages (HTLC updates, commitments, `update_fee`)
 * this node cannot handle yet: the `unsupported` rows of the routing table
 * (message-routes.ts). A peer sending one is disconnected (they are even:
 * BOLT 1) and the user is told once per type.
 */
export const UNSUPPORTED_CHANNEL_MESSAGES: ReadonlyMap<number, string> = UNSUPPORTED_MESSAGE_NAMES;

/**
 * Message types the peer layer hands to the ChannelManager: the rows of the
 * routing table the manager handles (`error` and the BOLT 2 channel
 * messages: establishment, close, `channel_reestablish`).
 */
export const CHANNEL_MESSAGE_TYPES: ReadonlySet<number> = MANAGER_MESSAGE_TYPES;

/**
 * The channel message `step` hands on when that is all it does (no state
 * change, no other effect): what may join a burst (docs/manager.md, "Bursts").
 */
export function soleChannelMessage(step: PeerStep): ChannelMessage | undefined {
  const effect = step.effects[0];
  return step.state === undefined && step.effects.length === 1 && effect?.kind === 'channel-message' ? effect.message : undefined;
}

/** One decrypted message from the peer (BOLT 1 receiver rules). */
export function peerMessage(config: NodeConfig, current: PeerState | undefined, connectionId: string, bytes: Uint8Array): PeerStep {
  if (!current || current.connectionId !== connectionId) return NO_CHANGE; // from a connection already replaced or gone
  const peer = current.nodeId;
  // Types with an `unsupported` row are met by that row, before decoding, as when the node
  // could not decode them: an odd one ignored, an even one reported and the peer disconnected.
  if (bytes.length >= 2) {
    const type = (bytes[0]! << 8) | bytes[1]!;
    if (routeOf(type)?.kind === 'unsupported') return type % 2 === 1 ? NO_CHANGE : unsupportedMessage(peer, type);
    if (type !== 258 && isGossipMessageType(type)) return gossipMessage(current, bytes);
  }
  const decoded = decodeMessage(bytes);
  switch (decoded.kind) {
    case 'unknown-odd':
      return NO_CHANGE;
    case 'unknown-even':
      return disconnect(peer, `unknown even message type ${decoded.type}`);
    case 'decode-error': {
      // A channel_update we cannot read is ignored, as other gossip is (BOLT 7 messages come from anywhere).
      if (decoded.type !== null && GOSSIP_MESSAGE_TYPES.has(decoded.type)) return NO_CHANGE;
      const reason = `malformed message (type ${decoded.type ?? 'none'}): ${decoded.error.reason}`;
      const warning: WireMessage = { type: 1, channelId: ALL_CHANNELS, data: new TextEncoder().encode(reason) };
      return { state: undefined, effects: [{ kind: 'send', peer, message: warning }, { kind: 'disconnect', peer, reason }] };
    }
  }
  const message = decoded.message;
  if (!current.features && message.type !== 16) return disconnect(peer, `first message was type ${message.type}, not init`);
  switch (message.type) {
    case 16:
      return onInit(config, current, message);
    case 18: {
      const pong = pongFor(message);
      return { state: undefined, effects: pong ? [{ kind: 'send', peer, message: pong }] : [] };
    }
    case 19:
      return NO_CHANGE;
    case 1:
    case 17: {
      const text = printableData(message.data) ?? `<${message.data.length} bytes, not printable>`;
      const label = message.type === 1 ? 'warning' : 'error';
      // BOLT 1: an error fails the channel it names (all of the peer's channels when the id is zero).
      const effects: PeerEffect[] = message.type === 17 ? toManager(peer, message) : [];
      return { state: { ...current, lastMessageFromPeer: `${label}: ${text}` }, effects };
    }
    default:
      // Every other message is BOLT 2: its row in the routing table sends it on.
      return { state: undefined, effects: toManager(peer, message) };
  }
}

/** A message the node cannot handle yet (an `unsupported` row): the user is told, the peer disconnected. */
function unsupportedMessage(peer: Uint8Array, messageType: number): PeerStep {
  const message = unsupportedMessageText(messageType);
  return { state: undefined, effects: [{ kind: 'unsupported-message', peer, messageType, message }, { kind: 'disconnect', peer, reason: message }] };
}

/** The `channel-message` effect for a message with a routing-table row the manager handles (none without one). */
function toManager(peer: Uint8Array, message: PeerWireMessage): PeerEffect[] {
  // The routing table has a manager row only for `ChannelMessage` types (message-routes.ts `RouteTable`).
  return MANAGER_MESSAGE_TYPES.has(message.type) ? [{ kind: 'channel-message', peer, message: message as ChannelMessage }] : [];
}
