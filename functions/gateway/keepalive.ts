/**
 * Connection upkeep (BOLT 1 `ping`/`pong`) as the gateway does it, in the
 * manner of LDK's PeerManager: ping and pong are connection state, not node
 * state, so the gateway answers the peer's pings itself, pings the peer on
 * an interval, and drops a peer that let an interval pass without a pong.
 * Pure: each step takes a connection's keepalive state and one event, and
 * says what to do (the gateway writes and closes). See docs/gateway.md,
 * "Keepalive".
 *
 * What the gateway does not own stays with the peer-message handler: a
 * ping or pong before the peer's `init` (BOLT 1: the first message must be
 * `init`) and one that does not decode (a malformed message: warning and
 * disconnection) are forwarded as before.
 */
import { decodeMessage, encodeMessage, pongFor } from '../../shared/wire/index.js';

/** One connection's keepalive state (the gateway keeps one per connection). */
export interface KeepaliveState {
  /** The peer's `init` (type 16) arrived: from then on its pings and pongs are the gateway's. */
  readonly theirInit: boolean;
  /** Our `init` was written to the connection: before it, the peer must receive nothing else (BOLT 1). */
  readonly ourInit: boolean;
  /** We pinged and no `pong` has come back since. */
  readonly awaitingPong: boolean;
}

export const NEW_KEEPALIVE: KeepaliveState = { theirInit: false, ourInit: false, awaitingPong: false };

/** BOLT 1 message types the gateway looks at. */
const INIT = 16;
const PING = 18;
const PONG = 19;

/** Our ping: asks for no pong bytes and carries none, as LDK's. */
export const OUR_PING: Uint8Array = encodeMessage({ type: PING, numPongBytes: 0, ignored: new Uint8Array(0) });

/** The message type (its first two bytes), or null when there are fewer. */
export function messageType(bytes: Uint8Array): number | null {
  return bytes.length < 2 ? null : (bytes[0]! << 8) | bytes[1]!;
}

/**
 * What to do with one decrypted message from the peer:
 * `forward` it to the inbound queue (everything but what follows), or keep it
 * in the gateway: `pong` to write back for a well-formed ping after `init`
 * (null when `num_pong_bytes` >= 65532: no reply, BOLT 1), or a well-formed
 * pong after `init` (`consumed`; it ends a wait for one).
 */
export type ReceivedStep =
  | { readonly state: KeepaliveState; readonly kind: 'forward' }
  | { readonly state: KeepaliveState; readonly kind: 'answer'; readonly pong: Uint8Array | null }
  | { readonly state: KeepaliveState; readonly kind: 'consumed' };

/** One message from the peer (BOLT 1 receiver rules for ping and pong). */
export function keepaliveReceived(state: KeepaliveState, message: Uint8Array): ReceivedStep {
  const type = messageType(message);
  if (type === INIT) return { state: state.theirInit ? state : { ...state, theirInit: true }, kind: 'forward' };
  if ((type !== PING && type !== PONG) || !state.theirInit) return { state, kind: 'forward' };
  const decoded = decodeMessage(message);
  // A ping or pong that does not decode is a malformed message: the handler warns and disconnects, as before.
  if (decoded.kind !== 'message') return { state, kind: 'forward' };
  if (decoded.message.type === PING) {
    const pong = pongFor(decoded.message);
    return { state, kind: 'answer', pong: pong ? encodeMessage(pong) : null };
  }
  return { state: state.awaitingPong ? { ...state, awaitingPong: false } : state, kind: 'consumed' };
}

/** Our `init` was written to the connection. */
export function keepaliveInitSent(state: KeepaliveState): KeepaliveState {
  return state.ourInit ? state : { ...state, ourInit: true };
}

/** Whether a pong may be written now (our `init` went first). */
export function mayAnswer(state: KeepaliveState): boolean {
  return state.ourInit;
}

/**
 * The gateway's ping interval elapsed: `ping` a peer that answered the last
 * ping, `timeout` (close) one that did not, `none` before both `init`s.
 */
export type TickStep = { readonly state: KeepaliveState; readonly action: 'none' | 'ping' | 'timeout' };

export function keepaliveTick(state: KeepaliveState): TickStep {
  if (!state.theirInit || !state.ourInit) return { state, action: 'none' };
  if (state.awaitingPong) return { state, action: 'timeout' };
  return { state: { ...state, awaitingPong: true }, action: 'ping' };
}
