/**
 * Framing of Lightning messages (BOLT 1, "Lightning Message Format"): a
 * 2-byte big-endian `type`, then the payload. Dispatch over every message
 * type this module knows, and the "it's ok to be odd" rule for the others.
 */
import { ByteWriter, DecodeError, EncodeError } from '../codec/index.js';
import { acceptChannelCodec } from './accept-channel.js';
import type { AcceptChannelMessage } from './accept-channel.js';
import { channelReadyCodec } from './channel-ready.js';
import { channelReestablishCodec } from './channel-reestablish.js';
import type { ChannelReestablishMessage } from './channel-reestablish.js';
import type { ChannelReadyMessage } from './channel-ready.js';
import { closingSignedCodec } from './closing-signed.js';
import type { ClosingSignedMessage } from './closing-signed.js';
import { errorCodec, warningCodec } from './error-and-warning.js';
import type { ErrorMessage, WarningMessage } from './error-and-warning.js';
import { fundingCreatedCodec } from './funding-created.js';
import type { FundingCreatedMessage } from './funding-created.js';
import { fundingSignedCodec } from './funding-signed.js';
import type { FundingSignedMessage } from './funding-signed.js';
import { initCodec } from './init.js';
import type { InitMessage } from './init.js';
import type { MessageCodec } from './message-codec.js';
import { openChannelCodec } from './open-channel.js';
import type { OpenChannelMessage } from './open-channel.js';
import { pingCodec, pongCodec } from './ping-pong.js';
import type { PingMessage, PongMessage } from './ping-pong.js';
import { shutdownCodec } from './shutdown.js';
import type { ShutdownMessage } from './shutdown.js';
import { commitmentSignedCodec } from './commitment-signed.js';
import type { CommitmentSignedMessage } from './commitment-signed.js';
import { revokeAndAckCodec } from './revoke-and-ack.js';
import type { RevokeAndAckMessage } from './revoke-and-ack.js';
import { updateAddHtlcCodec } from './update-add-htlc.js';
import type { UpdateAddHtlcMessage } from './update-add-htlc.js';
import { updateFailHtlcCodec, updateFailMalformedHtlcCodec } from './update-fail-htlc.js';
import type { UpdateFailHtlcMessage, UpdateFailMalformedHtlcMessage } from './update-fail-htlc.js';
import { channelUpdateCodec } from './channel-update.js';
import type { ChannelUpdateMessage } from './channel-update.js';
import { updateFeeCodec } from './update-fee.js';
import type { UpdateFeeMessage } from './update-fee.js';
import { updateFulfillHtlcCodec } from './update-fulfill-htlc.js';
import type { UpdateFulfillHtlcMessage } from './update-fulfill-htlc.js';
import { MAX_MESSAGE_SIZE } from './wire-types.js';

/** Every message this module decodes, discriminated by its numeric BOLT `type`. */
export type WireMessage =
  | WarningMessage
  | InitMessage
  | ErrorMessage
  | PingMessage
  | PongMessage
  | OpenChannelMessage
  | AcceptChannelMessage
  | FundingCreatedMessage
  | FundingSignedMessage
  | ChannelReadyMessage
  | ShutdownMessage
  | ClosingSignedMessage
  | ChannelReestablishMessage
  | UpdateAddHtlcMessage
  | UpdateFulfillHtlcMessage
  | UpdateFailHtlcMessage
  | CommitmentSignedMessage
  | RevokeAndAckMessage
  | UpdateFeeMessage
  | UpdateFailMalformedHtlcMessage
  | ChannelUpdateMessage;

/** BOLT message type numbers of {@link WireMessage}. */
export const MESSAGE_TYPE = {
  warning: 1,
  init: 16,
  error: 17,
  ping: 18,
  pong: 19,
  openChannel: 32,
  acceptChannel: 33,
  fundingCreated: 34,
  fundingSigned: 35,
  channelReady: 36,
  shutdown: 38,
  closingSigned: 39,
  updateAddHtlc: 128,
  updateFulfillHtlc: 130,
  updateFailHtlc: 131,
  commitmentSigned: 132,
  revokeAndAck: 133,
  updateFee: 134,
  updateFailMalformedHtlc: 135,
  channelReestablish: 136,
  channelUpdate: 258,
} as const satisfies Record<string, WireMessage['type']>;

/** What to do with a received message (BOLT 1 receiver rules). */
export type MessageDecodeResult =
  /** A known message, decoded. */
  | { readonly kind: 'message'; readonly message: WireMessage }
  /** Unknown odd type: MUST be ignored (the payload is passed on for custom handlers). */
  | { readonly kind: 'unknown-odd'; readonly type: number; readonly payload: Uint8Array }
  /** Unknown even type: the connection MUST be closed. */
  | { readonly kind: 'unknown-even'; readonly type: number }
  /**
   * A known type whose payload is invalid (too short, bad value, invalid
   * extension), or fewer than 2 bytes (`type` null): close the connection.
   */
  | { readonly kind: 'decode-error'; readonly type: number | null; readonly error: DecodeError };

interface ErasedCodec {
  readonly type: number;
  readonly name: string;
  readonly encode: (message: WireMessage) => Uint8Array;
  readonly decode: MessageCodec<WireMessage>['decode'];
}

function erase<M extends WireMessage>(codec: MessageCodec<M>): ErasedCodec {
  return { type: codec.type, name: codec.name, encode: (m) => codec.encode(m as M), decode: codec.decode };
}

const CODECS: ReadonlyMap<number, ErasedCodec> = new Map(
  [
    erase(warningCodec),
    erase(initCodec),
    erase(errorCodec),
    erase(pingCodec),
    erase(pongCodec),
    erase(openChannelCodec),
    erase(acceptChannelCodec),
    erase(fundingCreatedCodec),
    erase(fundingSignedCodec),
    erase(channelReadyCodec),
    erase(shutdownCodec),
    erase(closingSignedCodec),
    erase(updateAddHtlcCodec),
    erase(updateFulfillHtlcCodec),
    erase(updateFailHtlcCodec),
    erase(commitmentSignedCodec),
    erase(revokeAndAckCodec),
    erase(updateFeeCodec),
    erase(updateFailMalformedHtlcCodec),
    erase(channelReestablishCodec),
    erase(channelUpdateCodec),
  ].map((c) => [c.type, c]),
);

/** True if `type` is a message type this module decodes. */
export function isKnownMessageType(type: number): boolean {
  return CODECS.has(type);
}

/**
 * `type` (2 bytes) then payload, ready for the transport. Throws
 * {@link EncodeError} `message-too-large` above 65535 bytes.
 */
export function encodeMessage(message: WireMessage): Uint8Array {
  const codec = CODECS.get(message.type);
  if (codec === undefined) throw new EncodeError('unknown-message-type', `no codec for type ${String(message.type)}`);
  const payload = codec.encode(message);
  const bytes = new ByteWriter().u16(message.type).bytes(payload).finish();
  if (bytes.length > MAX_MESSAGE_SIZE) {
    throw new EncodeError('message-too-large', `${codec.name} is ${bytes.length} bytes (max ${MAX_MESSAGE_SIZE})`);
  }
  return bytes;
}

/** Decodes one decrypted message. Never throws. */
export function decodeMessage(bytes: Uint8Array): MessageDecodeResult {
  if (bytes.length < 2) {
    return {
      kind: 'decode-error',
      type: null,
      error: new DecodeError('short-read', `message of ${bytes.length} byte(s) has no 2-byte type`),
    };
  }
  const type = (bytes[0]! << 8) | bytes[1]!;
  const payload = bytes.subarray(2);
  const codec = CODECS.get(type);
  if (codec === undefined) {
    return type % 2 === 1 ? { kind: 'unknown-odd', type, payload: payload.slice() } : { kind: 'unknown-even', type };
  }
  const result = codec.decode(payload);
  return result.ok ? { kind: 'message', message: result.value } : { kind: 'decode-error', type, error: result.error };
}
