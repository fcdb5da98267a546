/**
 * The `OUTBOX#<input id>#CLEANUP` item: sort keys one commit made obsolete but did
 * not delete itself (docs/items.md, "Deferred deletes"). Settling hundreds of
 * HTLCs would otherwise cost hundreds of deletes in a transaction of at most
 * 100 writes; instead the commit writes this ONE item, and after the commit
 * the invocation deletes the keys (BatchWriteItem) and then the item. A crash
 * in between leaves the item for the next invocation, which finishes it
 * before its own work, as it relays a leftover outbox item. The keys name
 * items no commit writes again (a resolved HTLC's onion, its failure
 * reason), so deleting them late, twice, or outside the commit is harmless.
 *
 * A versioned record: version byte 1, then a TLV stream whose record 0 is the
 * sort keys, each `[bigsize:len][len*byte]` (UTF-8).
 */
import { DecodeError, repeated, tlvRecord, versionedRecord, type Codec, type DecodeResult } from '../codec/index.js';

/** One item's bytes at most (DynamoDB's 400 KB, less room for key and names), as for the outbox. */
export const MAX_CLEANUP_ITEM_BYTES = 350 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

const sortKey: Codec<string> = {
  read: (r) => {
    const length = r.bigSize();
    if (length > BigInt(r.remaining)) throw new DecodeError('short-read', `cleanup key of ${length} bytes, ${r.remaining} left`);
    try {
      return utf8.decode(r.bytes(Number(length)));
    } catch {
      throw new DecodeError('invalid-value', 'cleanup key is not UTF-8');
    }
  },
  write: (w, v) => {
    const bytes = new TextEncoder().encode(v);
    w.bigSize(BigInt(bytes.length)).bytes(bytes);
  },
};

const cleanupRecord = versionedRecord('cleanup', 1, { keys: tlvRecord(0, repeated(sortKey)) });

/** The item's bytes for `keys`. */
export function encodeCleanupRecord(keys: readonly string[]): Uint8Array {
  return cleanupRecord.encode({ keys });
}

/** The keys of an item written by {@link encodeCleanupRecord}; never throws. */
export function decodeCleanupRecord(bytes: Uint8Array): DecodeResult<string[]> {
  const result = cleanupRecord.decode(bytes);
  if (!result.ok) return result;
  return { ok: true, value: [...(result.value.keys ?? [])] };
}
