/**
 * The bulky per-HTLC data, each kept in its own item beside the channel item
 * (docs/items.md; keys in shared/store/layout.ts):
 *
 * - `HTLCSIGS#…`: the counterparty's signatures on one of our commitments
 *   (`commitment_signed`): the commitment signature and one signature per
 *   HTLC output, in the message's order. One item per commitment number.
 * - `ONION#…`: a received HTLC's 1,366-byte onion packet, or what peeling it gave.
 * - `FAILURE#…`: an HTLC's failure reason (`update_fail_htlc`'s `reason`).
 *
 * Each a versioned record (shared/codec `versionedRecord`), version 1.
 */
import { DecodeError, fixedBytes, repeated, restBytes, tlvRecord, u16, u64, versionedRecord, type DecodeResult } from '../codec/index.js';

/** BOLT 4: an onion routing packet is 1,366 bytes. */
export const ONION_PACKET_BYTES = 1366;

/** The counterparty's signatures on our commitment `commitmentNumber`. */
export interface HtlcSignatureSet {
  readonly commitmentNumber: bigint;
  readonly commitmentSignature: Uint8Array;
  /** One per HTLC output of the commitment, in BOLT 3 output order (as in `commitment_signed`). */
  readonly htlcSignatures: readonly Uint8Array[];
}

/** Version 1: 0 commitment number, 2 commitment signature, 4 HTLC signatures (64 bytes each, back to back). */
const htlcSignaturesRecord = versionedRecord('htlc-signatures', 1, {
  commitmentNumber: tlvRecord(0, u64),
  commitmentSignature: tlvRecord(2, fixedBytes(64)),
  htlcSignatures: tlvRecord(4, repeated(fixedBytes(64))),
});

export function encodeHtlcSignatures(set: HtlcSignatureSet): Uint8Array {
  return htlcSignaturesRecord.encode({ commitmentNumber: set.commitmentNumber, commitmentSignature: set.commitmentSignature, htlcSignatures: set.htlcSignatures });
}

export function decodeHtlcSignatures(bytes: Uint8Array): DecodeResult<HtlcSignatureSet> {
  const result = htlcSignaturesRecord.decode(bytes);
  if (!result.ok) return result;
  const v = result.value;
  if (v.commitmentNumber === undefined || v.commitmentSignature === undefined) {
    return { ok: false, error: new DecodeError('invalid-value', 'htlc-signatures: a required record is missing') };
  }
  return { ok: true, value: { commitmentNumber: v.commitmentNumber, commitmentSignature: v.commitmentSignature, htlcSignatures: [...(v.htlcSignatures ?? [])] } };
}

/**
 * Version 1: 0 the onion packet (1,366 bytes); 2 (absent in older items)
 * the BOLT 4 failure code to fail the HTLC back with, when it was refused at
 * admission (htlc-admission.ts); or, instead of 0, the packet as peeled when
 * it came (docs/items.md, "Bytes per HTLC"): 4 our shared secret with the
 * sender, 6 our payload, 8 the packet for the next hop (a forward only).
 * A final hop's record is then about 100 bytes rather than 1,371. 4 and 6
 * are even: a reader that predates them refuses the record (no packet)
 * rather than misreading it.
 */
const onionRecord = versionedRecord('onion', 1, {
  onion: tlvRecord(0, fixedBytes(ONION_PACKET_BYTES)),
  failBackCode: tlvRecord(2, u16),
  sharedSecret: tlvRecord(4, fixedBytes(32)),
  payload: tlvRecord(6, restBytes),
  next: tlvRecord(8, fixedBytes(ONION_PACKET_BYTES)),
});

export function encodeOnionRecord(onion: Uint8Array, failBackCode?: number): Uint8Array {
  return onionRecord.encode(failBackCode === undefined ? { onion } : { onion, failBackCode });
}

/** A received HTLC's onion as peeled when it came: what `peelOnion` returned. */
export interface PeeledOnionRecord {
  readonly sharedSecret: Uint8Array;
  readonly payload: Uint8Array;
  /** The packet for the next hop; null at the final node. */
  readonly next: Uint8Array | null;
}

/** The record of a received HTLC's onion peeled when it came (and its failure code when refused at admission). */
export function encodePeeledOnionRecord(peeled: PeeledOnionRecord, failBackCode?: number): Uint8Array {
  return onionRecord.encode({
    sharedSecret: peeled.sharedSecret,
    payload: peeled.payload,
    ...(peeled.next !== null ? { next: peeled.next } : {}),
    ...(failBackCode !== undefined ? { failBackCode } : {}),
  });
}

/**
 * A received HTLC's onion: the packet as it came (`onion`), or as peeled
 * (`peeled`); and, when it was refused at admission, the failure code to
 * fail it back with.
 */
export type OnionEntry =
  | { readonly onion: Uint8Array; readonly peeled?: undefined; readonly failBackCode?: number }
  | { readonly onion?: undefined; readonly peeled: PeeledOnionRecord; readonly failBackCode?: number };

export function decodeOnionEntry(bytes: Uint8Array): DecodeResult<OnionEntry> {
  const result = onionRecord.decode(bytes);
  if (!result.ok) return result;
  const { onion, failBackCode, sharedSecret, payload, next } = result.value;
  const code = failBackCode === undefined ? {} : { failBackCode };
  if (onion !== undefined && sharedSecret === undefined && payload === undefined && next === undefined) return { ok: true, value: { onion, ...code } };
  if (onion === undefined && sharedSecret !== undefined && payload !== undefined) return { ok: true, value: { peeled: { sharedSecret, payload, next: next ?? null }, ...code } };
  return { ok: false, error: new DecodeError('invalid-value', 'onion: neither a packet nor a peeled one') };
}

/** Version 1: 0 the failure reason as received or sent (BOLT 4 `reason`, variable). */
const failureRecord = versionedRecord('failure-reason', 1, { reason: tlvRecord(0, restBytes) });

export function encodeFailureReason(reason: Uint8Array): Uint8Array {
  return failureRecord.encode({ reason });
}

export function decodeFailureReason(bytes: Uint8Array): DecodeResult<Uint8Array> {
  const result = failureRecord.decode(bytes);
  if (!result.ok) return result;
  return { ok: true, value: result.value.reason ?? new Uint8Array(0) };
}
