/**
 * The `ping` (type 18) and `pong` (type 19) messages (BOLT 1, "The `ping`
 * and `pong` Messages").
 */
import { u16, u16PrefixedBytes } from '../codec/index.js';
import type { UnknownTlvRecord } from '../codec/index.js';
import { defineMessage } from './message-codec.js';
import type { MessageCodec } from './message-codec.js';

/**
 * `ping`: asks for a `pong` carrying `numPongBytes` bytes. `ignored` (its
 * `byteslen` prefix implicit) should be zeros, but non-zero bytes are not an
 * error.
 */
export interface PingMessage {
  readonly type: 18;
  readonly numPongBytes: number;
  readonly ignored: Uint8Array;
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** `pong`: the reply to a `ping`; its `ignored` bytes are ignored. */
export interface PongMessage {
  readonly type: 19;
  readonly ignored: Uint8Array;
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `ping`. */
export const pingCodec: MessageCodec<PingMessage> = defineMessage({
  type: 18,
  name: 'ping',
  fields: [
    ['numPongBytes', u16],
    ['ignored', u16PrefixedBytes],
  ],
  tlvs: {},
});

/** Codec of `pong`. */
export const pongCodec: MessageCodec<PongMessage> = defineMessage({
  type: 19,
  name: 'pong',
  fields: [['ignored', u16PrefixedBytes]],
  tlvs: {},
});

/**
 * A `num_pong_bytes` at or above this asks for no reply (BOLT 1: 65531 is the
 * largest `byteslen` a 65535-byte `pong` can carry).
 */
export const NO_PONG_THRESHOLD = 65532;

/**
 * The `pong` owed for `ping`: `byteslen` = `num_pong_bytes` zero bytes, or
 * null when `num_pong_bytes` >= 65532 (BOLT 1: the ping must be ignored).
 */
export function pongFor(ping: Pick<PingMessage, 'numPongBytes'>): PongMessage | null {
  if (ping.numPongBytes >= NO_PONG_THRESHOLD) return null;
  return { type: 19, ignored: new Uint8Array(ping.numPongBytes) };
}
