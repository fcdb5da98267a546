/**
 * What the node remembers about one connected peer between invocations, and
 * its persisted form (a versioned record, one store item per peer).
 */
import { DecodeError, restBytes, tlvRecord, u8, versionedRecord, type DecodeResult, utf8Rest } from '../codec/index.js';

/** One peer's connection as the node sees it. */
export interface PeerState {
  /** The peer's node id (33-byte compressed public key). */
  readonly nodeId: Uint8Array;
  /** The gateway connection this state belongs to; events of older connections are ignored. */
  readonly connectionId: string;
  readonly inbound: boolean;
  /** host:port as the gateway saw it. */
  readonly address: string;
  /** The peer's combined `init` features, once its `init` arrived. */
  readonly features?: Uint8Array;
  /** The last `warning` or `error` the peer sent, as printable text. */
  readonly lastMessageFromPeer?: string;
}

const FLAG_INBOUND = 1;
// Flag 2 was "awaiting pong" while the timer pinged peers; ping/pong are the gateway's now (docs/gateway.md, "Keepalive"): never written, ignored when read.

/** Version 1 of a peer item: TLV 0 node id, 2 connection id, 4 flags, 6 address, 7 features, 9 last message. */
const peerRecord = versionedRecord('peer', 1, {
  nodeId: tlvRecord(0, restBytes),
  connectionId: tlvRecord(2, utf8Rest),
  flags: tlvRecord(4, u8),
  address: tlvRecord(6, utf8Rest),
  features: tlvRecord(7, restBytes),
  lastMessageFromPeer: tlvRecord(9, utf8Rest),
});

export function encodePeerState(peer: PeerState): Uint8Array {
  return peerRecord.encode({
    nodeId: peer.nodeId,
    connectionId: peer.connectionId,
    flags: peer.inbound ? FLAG_INBOUND : 0,
    address: peer.address,
    ...(peer.features ? { features: peer.features } : {}),
    ...(peer.lastMessageFromPeer !== undefined ? { lastMessageFromPeer: peer.lastMessageFromPeer } : {}),
  });
}

export function decodePeerState(bytes: Uint8Array): DecodeResult<PeerState> {
  const result = peerRecord.decode(bytes);
  if (!result.ok) return result;
  const v = result.value;
  if (v.nodeId === undefined || v.nodeId.length !== 33 || v.connectionId === undefined || v.flags === undefined || v.address === undefined) {
    return { ok: false, error: missingField() };
  }
  return {
    ok: true,
    value: {
      nodeId: v.nodeId,
      connectionId: v.connectionId,
      inbound: (v.flags & FLAG_INBOUND) !== 0,
      address: v.address,
      ...(v.features !== undefined ? { features: v.features } : {}),
      ...(v.lastMessageFromPeer !== undefined ? { lastMessageFromPeer: v.lastMessageFromPeer } : {}),
    },
  };
}

function missingField(): DecodeError {
  return new DecodeError('invalid-value', 'peer: a required record is missing');
}
