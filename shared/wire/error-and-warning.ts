/**
 * The `error` (type 17) and `warning` (type 1) messages (BOLT 1, "The
 * `error` and `warning` Messages").
 */
import { u16PrefixedBytes } from '../codec/index.js';
import type { UnknownTlvRecord } from '../codec/index.js';
import { defineMessage } from './message-codec.js';
import type { MessageCodec } from './message-codec.js';
import { channelId } from './wire-types.js';

/** `error`: fails the channel `channelId`, or every channel if it is all zeros. */
export interface ErrorMessage {
  readonly type: 17;
  readonly channelId: Uint8Array;
  /** Free-form bytes (the `len` prefix is implicit); print only if printable ASCII. */
  readonly data: Uint8Array;
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** `warning`: something is wrong, but the channel need not fail. */
export interface WarningMessage {
  readonly type: 1;
  readonly channelId: Uint8Array;
  readonly data: Uint8Array;
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** Codec of `error`. */
export const errorCodec: MessageCodec<ErrorMessage> = defineMessage({
  type: 17,
  name: 'error',
  fields: [
    ['channelId', channelId],
    ['data', u16PrefixedBytes],
  ],
  tlvs: {},
});

/** Codec of `warning`. */
export const warningCodec: MessageCodec<WarningMessage> = defineMessage({
  type: 1,
  name: 'warning',
  fields: [
    ['channelId', channelId],
    ['data', u16PrefixedBytes],
  ],
  tlvs: {},
});

/**
 * `data` as text when every byte is printable ASCII (32..126), else null:
 * BOLT 1 says not to print other data verbatim.
 */
export function printableData(data: Uint8Array): string | null {
  let text = '';
  for (const b of data) {
    if (b < 32 || b > 126) return null;
    text += String.fromCharCode(b);
  }
  return text;
}
