/**
 * Framing of the BOLT 7 messages (types 256..265): the same `type` then
 * payload as shared/wire's `encodeMessage` / `decodeMessage`, for the gossip
 * codecs that live above the wire layer. `channel_update` (258) is the one
 * codec of shared/wire, also known there for private channels.
 */
import { ByteWriter, EncodeError } from '../codec/index.js';
import type { DecodeError } from '../codec/index.js';
import { MAX_MESSAGE_SIZE, channelUpdateCodec } from '../wire/index.js';
import type { ChannelUpdateMessage, MessageCodec } from '../wire/index.js';
import { announcementSignaturesCodec } from './announcement-signatures.js';
import type { AnnouncementSignaturesMessage } from './announcement-signatures.js';
import { channelAnnouncementCodec } from './channel-announcement.js';
import type { ChannelAnnouncementMessage } from './channel-announcement.js';
import {
  gossipTimestampFilterCodec,
  queryChannelRangeCodec,
  queryShortChannelIdsCodec,
  replyChannelRangeCodec,
  replyShortChannelIdsEndCodec,
} from './gossip-queries.js';
import type {
  GossipTimestampFilterMessage,
  QueryChannelRangeMessage,
  QueryShortChannelIdsMessage,
  ReplyChannelRangeMessage,
  ReplyShortChannelIdsEndMessage,
} from './gossip-queries.js';
import { nodeAnnouncementCodec } from './node-announcement.js';
import type { NodeAnnouncementMessage } from './node-announcement.js';

/** Every BOLT 7 message, discriminated by its `type`. */
export type GossipMessage =
  | ChannelAnnouncementMessage
  | NodeAnnouncementMessage
  | ChannelUpdateMessage
  | AnnouncementSignaturesMessage
  | QueryShortChannelIdsMessage
  | ReplyShortChannelIdsEndMessage
  | QueryChannelRangeMessage
  | ReplyChannelRangeMessage
  | GossipTimestampFilterMessage;

/** BOLT 7 message type numbers. */
export const GOSSIP_MESSAGE_TYPE = {
  channelAnnouncement: 256,
  nodeAnnouncement: 257,
  channelUpdate: 258,
  announcementSignatures: 259,
  queryShortChannelIds: 261,
  replyShortChannelIdsEnd: 262,
  queryChannelRange: 263,
  replyChannelRange: 264,
  gossipTimestampFilter: 265,
} as const satisfies Record<string, GossipMessage['type']>;

interface ErasedCodec {
  readonly name: string;
  readonly encode: (message: GossipMessage) => Uint8Array;
  readonly decode: MessageCodec<GossipMessage>['decode'];
}

function erase<M extends GossipMessage>(codec: MessageCodec<M>): [number, ErasedCodec] {
  return [codec.type, { name: codec.name, encode: (m) => codec.encode(m as M), decode: codec.decode }];
}

const CODECS: ReadonlyMap<number, ErasedCodec> = new Map([
  erase(channelAnnouncementCodec),
  erase(nodeAnnouncementCodec),
  erase(channelUpdateCodec),
  erase(announcementSignaturesCodec),
  erase(queryShortChannelIdsCodec),
  erase(replyShortChannelIdsEndCodec),
  erase(queryChannelRangeCodec),
  erase(replyChannelRangeCodec),
  erase(gossipTimestampFilterCodec),
]);

/** True for the BOLT 7 types this module decodes (256..259, 261..265). */
export function isGossipMessageType(type: number): boolean {
  return CODECS.has(type);
}

/** `type` then payload. Throws {@link EncodeError} for a value with no encoding or above 65535 bytes. */
export function encodeGossipMessage(message: GossipMessage): Uint8Array {
  const codec = CODECS.get(message.type);
  if (codec === undefined) throw new EncodeError('unknown-message-type', `no gossip codec for type ${String(message.type)}`);
  const bytes = new ByteWriter().u16(message.type).bytes(codec.encode(message)).finish();
  if (bytes.length > MAX_MESSAGE_SIZE) {
    throw new EncodeError('message-too-large', `${codec.name} is ${bytes.length} bytes (max ${MAX_MESSAGE_SIZE})`);
  }
  return bytes;
}

/** What one decoded BOLT 7 message is. */
export type GossipDecodeResult =
  | { readonly kind: 'message'; readonly message: GossipMessage }
  /** Not a BOLT 7 type: for shared/wire's `decodeMessage`. */
  | { readonly kind: 'not-gossip'; readonly type: number | null }
  /** A BOLT 7 type whose payload is invalid: a warning, or close the connection (BOLT 1). */
  | { readonly kind: 'decode-error'; readonly type: number; readonly error: DecodeError };

/** Decodes one decrypted message of a BOLT 7 type. Never throws. */
export function decodeGossipMessage(bytes: Uint8Array): GossipDecodeResult {
  if (bytes.length < 2) return { kind: 'not-gossip', type: null };
  const type = (bytes[0]! << 8) | bytes[1]!;
  const codec = CODECS.get(type);
  if (codec === undefined) return { kind: 'not-gossip', type };
  const result = codec.decode(bytes.subarray(2));
  return result.ok ? { kind: 'message', message: result.value } : { kind: 'decode-error', type, error: result.error };
}

