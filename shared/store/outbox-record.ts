/**
 * The `OUTBOX#<input id>` item: every outbound message one input produced,
 * in the order they must leave, in one DynamoDB item (docs/commit-protocol.md).
 *
 * A versioned record (shared/codec `versionedRecord`): version byte 1, then a
 * TLV stream whose record 0 is the messages, one after another, each
 * `[bigsize:len][len*byte:id] [bigsize:len][len*byte:destination]
 * [bigsize:len][len*byte:group] [bigsize:len][len*byte:body]` (the three
 * texts in UTF-8). The deduplication id is stored as given, not derived, so a
 * relay after a crash re-sends every message under exactly the id it was
 * committed with.
 */
import { DecodeError, repeated, struct, tlvRecord, versionedRecord, type Codec, type DecodeResult } from '../codec/index.js';

/** An outbound message kept in the node's partition until the relay has sent it. */
export interface OutboxMessage {
  /** Idempotency id: the SQS deduplication id (`<input id>#<index>`). */
  readonly id: string;
  /** Logical destination, e.g. `outbound`. */
  readonly destination: string;
  /** Ordering group (FIFO MessageGroupId), e.g. the peer's node id. */
  readonly group: string;
  readonly body: Uint8Array;
}

/** One input's outbox item: its messages, in sending order. */
export interface OutboxItem {
  /** The input that produced the messages (the item is `OUTBOX#<inputId>`). */
  readonly inputId: string;
  readonly messages: readonly OutboxMessage[];
}

/**
 * The largest outbox item a commit writes (bytes of the `data` attribute).
 * DynamoDB refuses items over 400 KB (names and values together); 350 KiB
 * leaves room for the key and attribute names. A commit over it fails with
 * `commit-too-large`.
 */
export const MAX_OUTBOX_ITEM_BYTES = 350 * 1024;

/** The bytes of `[bigsize:len]` for a length. */
function bigSizeBytes(length: number): number {
  return length < 0xfd ? 1 : length <= 0xffff ? 3 : length <= 0xffffffff ? 5 : 9;
}

/** The bytes one message takes in an outbox record. */
function messageBytes(m: OutboxMessage): number {
  const text = new TextEncoder();
  return [text.encode(m.id).length, text.encode(m.destination).length, text.encode(m.group).length, m.body.length].reduce((n, len) => n + bigSizeBytes(len) + len, 0);
}

/** A record's bytes besides its messages: the version byte and record 0's type and length. */
const RECORD_OVERHEAD = 1 + 1 + 9;

/**
 * One input's messages as outbox items, in order: as many as they need,
 * each at most {@link MAX_OUTBOX_ITEM_BYTES} (a block reaching hundreds of
 * channels makes hundreds of follow-ups, docs/follow-ups.md). Almost always
 * one. A single message over the limit throws `RangeError`.
 */
export function outboxParts(messages: readonly OutboxMessage[]): OutboxMessage[][] {
  const parts: OutboxMessage[][] = [];
  let current: OutboxMessage[] = [];
  let bytes = RECORD_OVERHEAD;
  for (const m of messages) {
    const size = messageBytes(m);
    if (size + RECORD_OVERHEAD > MAX_OUTBOX_ITEM_BYTES) throw new RangeError(`outbox message ${m.id} is ${size} bytes, over what an item may hold`);
    if (current.length > 0 && bytes + size > MAX_OUTBOX_ITEM_BYTES) {
      parts.push(current);
      current = [];
      bytes = RECORD_OVERHEAD;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

/** `[bigsize:len][len*byte]`: bodies may exceed a u16 length (a 65,535-byte message is twice that in hex). */
const bigSizePrefixedBytes: Codec<Uint8Array> = {
  read: (r) => {
    const length = r.bigSize();
    if (length > BigInt(r.remaining)) throw new DecodeError('short-read', `outbox field of ${length} bytes, ${r.remaining} left`);
    return r.bytes(Number(length));
  },
  write: (w, v) => void w.bigSize(BigInt(v.length)).bytes(v),
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `[bigsize:len][len*byte]` holding UTF-8 text; invalid UTF-8 is `invalid-value`. */
const bigSizePrefixedText: Codec<string> = {
  read: (r) => {
    const bytes = bigSizePrefixedBytes.read(r);
    try {
      return utf8.decode(bytes);
    } catch {
      throw new DecodeError('invalid-value', 'outbox text field is not UTF-8');
    }
  },
  write: (w, v) => bigSizePrefixedBytes.write(w, new TextEncoder().encode(v)),
};

const outboxRecord = versionedRecord('outbox', 1, {
  messages: tlvRecord(
    0,
    repeated(
      struct([
        ['id', bigSizePrefixedText],
        ['destination', bigSizePrefixedText],
        ['group', bigSizePrefixedText],
        ['body', bigSizePrefixedBytes],
      ] as const),
    ),
  ),
});

/** The item's bytes for `messages` (kept in order). */
export function encodeOutboxRecord(messages: readonly OutboxMessage[]): Uint8Array {
  return outboxRecord.encode({ messages: messages.map(({ id, destination, group, body }) => ({ id, destination, group, body })) });
}

/** The messages of an item written by {@link encodeOutboxRecord}, in order; never throws. */
export function decodeOutboxRecord(bytes: Uint8Array): DecodeResult<OutboxMessage[]> {
  const result = outboxRecord.decode(bytes);
  if (!result.ok) return result;
  return { ok: true, value: (result.value.messages ?? []).map(({ id, destination, group, body }) => ({ id, destination, group, body })) };
}
