/**
 * BOLT 11 payment requests: write one from typed fields and a node signer,
 * read one back into a typed record with the payee recovered from the
 * signature (or taken from a verified `n` field). Pure: the clock comes in as
 * `nowSec`.
 */
import { bech32 } from '@scure/base';
import { equalConstantTime, isLowS, sha256, type Secp256k1 } from '../crypto/index.js';
import type { NodeSigner } from '../keys/index.js';
import { decodeHumanReadablePart, encodeHumanReadablePart, type Network } from './amount.js';
import { InvoiceError, type InvoiceResult } from './errors.js';
import { OUR_INVOICE_FEATURES, missingInvoiceDependencies, unknownEvenBits } from './invoice-features.js';
import { recoverPublicKey, signingDigest } from './signature.js';
import {
  BECH32_ALPHABET,
  decodeTaggedFields,
  encodeTaggedField,
  type Fallback,
  type RouteHint,
  type TaggedField,
} from './tagged-fields.js';
import { bytesToWords, intToFixedWords, wordsToBytes, wordsToInt } from './words.js';

/** `x` when the invoice has none (BOLT 11 "Tagged Fields"): one hour. */
export const DEFAULT_EXPIRY_SECONDS = 3600;
/** `c` when the invoice has none: the payer MUST use at least 18. */
export const DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA = 18;

const TIMESTAMP_WORDS = 7;
const SIGNATURE_WORDS = 104;

/** What an invoice says, as the writer gives it (defaults noted per field). */
export interface InvoiceFields {
  readonly network: Network;
  /** Omitted: the payer chooses the amount. */
  readonly amountMsat?: bigint;
  /** Seconds since 1970 (35 bits). */
  readonly timestampSec: number;
  readonly paymentHash: Uint8Array;
  readonly paymentSecret: Uint8Array;
  /** Exactly one of `description` (`d`) and `descriptionHash` (`h`). */
  readonly description?: string;
  readonly descriptionHash?: Uint8Array;
  /** Writes an `n` field; it must be the signer's node id. Omitted: the payer recovers it. */
  readonly payeeNodeId?: Uint8Array;
  /** Omitted: no `x` field (readers use 3600). */
  readonly expirySeconds?: number;
  /** Omitted: no `c` field (readers use 18); BOLT 11 says a writer SHOULD include it. */
  readonly minFinalCltvExpiryDelta?: number;
  readonly fallbacks?: readonly Fallback[];
  readonly routeHints?: readonly RouteHint[];
  /** Omitted: {@link OUR_INVOICE_FEATURES} (8, 14, 17); an empty vector writes no `9` field. */
  readonly features?: Uint8Array;
  /** Writes an `m` field (`payment_metadata`). */
  readonly paymentMetadata?: Uint8Array;
}

/** The signed content of an invoice: the human-readable part's values, the timestamp and the tagged fields in order. */
export interface UnsignedInvoice {
  readonly network: Network;
  readonly amountMsat: bigint | null;
  readonly timestampSec: number;
  readonly fields: readonly TaggedField[];
}

/** A decoded invoice: its signed content, the values a payer uses (defaults applied) and the signature. */
export interface Invoice extends UnsignedInvoice {
  /** The first `p` field. */
  readonly paymentHash: Uint8Array;
  /** The first `s` field (`payment_secret` of BOLT 4). */
  readonly paymentSecret: Uint8Array;
  readonly description: string | null;
  readonly descriptionHash: Uint8Array | null;
  /** From the `n` field when present (the signature verified under it), else recovered from the signature. */
  readonly payeeNodeId: Uint8Array;
  readonly expirySeconds: number;
  /** `timestampSec + expirySeconds`: a payer SHOULD NOT pay after it. */
  readonly expiresAtSec: number;
  readonly minFinalCltvExpiryDelta: number;
  readonly fallbacks: readonly Fallback[];
  readonly routeHints: readonly RouteHint[];
  /** The `9` field (empty when absent), as a `shared/wire` feature vector. */
  readonly features: Uint8Array;
  readonly paymentMetadata: Uint8Array | null;
  /** Compact r || s as transmitted (high S is accepted when the payee is recovered). */
  readonly signature: Uint8Array;
  readonly recoveryId: number;
}

/** The part of `NodeSigner` an invoice writer needs. */
export type InvoiceSigner = Pick<NodeSigner, 'getNodeId' | 'signInvoice'>;

function unsignedFromFields(fields: InvoiceFields): UnsignedInvoice {
  const hasD = fields.description !== undefined;
  const hasH = fields.descriptionHash !== undefined;
  if (hasD === hasH) throw new InvoiceError('invalid-field', 'exactly one of description and descriptionHash is required');
  const features = fields.features ?? OUR_INVOICE_FEATURES;
  const tagged: TaggedField[] = [
    { tag: 'p', paymentHash: fields.paymentHash },
    { tag: 's', paymentSecret: fields.paymentSecret },
  ];
  if (fields.description !== undefined) tagged.push({ tag: 'd', description: fields.description });
  if (fields.descriptionHash !== undefined) tagged.push({ tag: 'h', descriptionHash: fields.descriptionHash });
  if (fields.payeeNodeId !== undefined) tagged.push({ tag: 'n', payeeNodeId: fields.payeeNodeId });
  if (fields.expirySeconds !== undefined) tagged.push({ tag: 'x', expirySeconds: fields.expirySeconds });
  if (fields.minFinalCltvExpiryDelta !== undefined) {
    tagged.push({ tag: 'c', minFinalCltvExpiryDelta: fields.minFinalCltvExpiryDelta });
  }
  for (const fallback of fields.fallbacks ?? []) tagged.push({ tag: 'f', fallback });
  for (const routeHint of fields.routeHints ?? []) tagged.push({ tag: 'r', routeHint });
  if (unknownEvenBits(features).length > 0 || missingInvoiceDependencies(features).length > 0) {
    throw new InvoiceError('invalid-field', 'features set an unknown even bit or miss a dependency');
  }
  if (features.some((byte) => byte !== 0)) tagged.push({ tag: '9', features });
  if (fields.paymentMetadata !== undefined) tagged.push({ tag: 'm', paymentMetadata: fields.paymentMetadata });
  return { network: fields.network, amountMsat: fields.amountMsat ?? null, timestampSec: fields.timestampSec, fields: tagged };
}

function dataWords(unsigned: UnsignedInvoice): number[] {
  const words = intToFixedWords(unsigned.timestampSec, TIMESTAMP_WORDS);
  for (const field of unsigned.fields) words.push(...encodeTaggedField(field));
  return words;
}

/**
 * Signs `unsigned` exactly as given (field order and skipped fields kept) and
 * returns the lower-case invoice string. Throws `InvoiceError` when a field
 * breaks a writer rule, or when the signer's signature does not recover its
 * own node id (or an `n` field names another key).
 */
export function signInvoice(secp: Secp256k1, unsigned: UnsignedInvoice, signer: InvoiceSigner): string {
  const hrp = encodeHumanReadablePart(unsigned.network, unsigned.amountMsat);
  const words = dataWords(unsigned);
  const digest = signingDigest(hrp, words);
  const { signature, recoveryId } = signer.signInvoice(digest);
  const nodeId = signer.getNodeId();
  const named = unsigned.fields.find((f) => f.tag === 'n');
  if (named !== undefined && !equalConstantTime(named.payeeNodeId, nodeId)) {
    throw new InvoiceError('invalid-field', "the 'n' field is not the signer's node id");
  }
  if (!equalConstantTime(recoverPublicKey(secp, digest, signature, recoveryId), nodeId)) {
    throw new InvoiceError('invalid-signature', "the signer's signature does not recover its node id");
  }
  const signed = [...words, ...bytesToWords(Uint8Array.of(...signature, recoveryId))];
  return bech32.encode(hrp, signed, false);
}

/**
 * Writes an invoice from typed fields, in the order p, s, d|h, n, x, c, f,
 * r, 9, m, signed by `signer`. Throws `InvoiceError` (`invalid-field`,
 * `field-too-long`) for values a writer must not produce.
 */
export function encodeInvoice(secp: Secp256k1, fields: InvoiceFields, signer: InvoiceSigner): string {
  return signInvoice(secp, unsignedFromFields(fields), signer);
}

function splitBech32(text: string): { hrp: string; words: Uint8Array } {
  if (typeof text !== 'string') throw new InvoiceError('malformed-bech32', 'an invoice is a string');
  const lower = text.toLowerCase();
  if (text !== lower && text !== text.toUpperCase()) throw new InvoiceError('malformed-bech32', 'mixed case');
  const separator = lower.lastIndexOf('1');
  if (separator < 1) throw new InvoiceError('malformed-bech32', "no '1' separator after a human-readable part");
  const hrp = lower.slice(0, separator);
  const data = lower.slice(separator + 1);
  if (!/^[\x21-\x7e]+$/.test(hrp)) throw new InvoiceError('malformed-bech32', 'human-readable part outside printable ASCII');
  if (data.length < 6) throw new InvoiceError('malformed-bech32', 'no room for the checksum');
  for (const c of data) {
    if (!BECH32_ALPHABET.includes(c)) throw new InvoiceError('malformed-bech32', `'${c}' is not a bech32 character`);
  }
  const decoded = bech32.decodeUnsafe(lower, false);
  if (decoded === undefined) throw new InvoiceError('bad-checksum', 'the bech32 checksum is incorrect');
  return { hrp, words: Uint8Array.from(decoded.words) };
}

function first<T extends TaggedField['tag']>(fields: readonly TaggedField[], tag: T): Extract<TaggedField, { tag: T }> | undefined {
  return fields.find((f): f is Extract<TaggedField, { tag: T }> => f.tag === tag);
}

function all<T extends TaggedField['tag']>(fields: readonly TaggedField[], tag: T): Extract<TaggedField, { tag: T }>[] {
  return fields.filter((f): f is Extract<TaggedField, { tag: T }> => f.tag === tag);
}

function decode(secp: Secp256k1, text: string): Invoice {
  const { hrp, words } = splitBech32(text);
  const { network, amountMsat } = decodeHumanReadablePart(hrp);
  if (words.length < TIMESTAMP_WORDS + SIGNATURE_WORDS) {
    throw new InvoiceError('too-short', `data part of ${words.length} groups cannot hold a timestamp and a signature`);
  }
  const signedWords = words.subarray(0, words.length - SIGNATURE_WORDS);
  const timestampSec = wordsToInt(signedWords.subarray(0, TIMESTAMP_WORDS))!;
  const fields = decodeTaggedFields(secp, signedWords.subarray(TIMESTAMP_WORDS));

  const signatureBytes = wordsToBytes(words.subarray(words.length - SIGNATURE_WORDS));
  const signature = signatureBytes.slice(0, 64);
  const recoveryId = signatureBytes[64]!;
  const digest = signingDigest(hrp, signedWords);
  const named = first(fields, 'n');
  let payeeNodeId: Uint8Array;
  if (named !== undefined) {
    if (!isLowS(signature)) throw new InvoiceError('high-s-signature', "signature is not low-S and an 'n' field is present");
    if (!secp.verify(signature, digest, named.payeeNodeId)) {
      throw new InvoiceError('invalid-signature', "signature does not verify under the 'n' field");
    }
    payeeNodeId = named.payeeNodeId;
  } else {
    payeeNodeId = recoverPublicKey(secp, digest, signature, recoveryId);
  }

  const paymentHash = first(fields, 'p');
  if (paymentHash === undefined) throw new InvoiceError('missing-payment-hash', "no valid 'p' field");
  const paymentSecret = first(fields, 's');
  if (paymentSecret === undefined) throw new InvoiceError('missing-payment-secret', "no valid 's' field");
  const description = first(fields, 'd');
  const descriptionHash = first(fields, 'h');
  if (description === undefined && descriptionHash === undefined) {
    throw new InvoiceError('missing-description', "neither a 'd' nor an 'h' field");
  }
  if (description !== undefined && descriptionHash !== undefined) {
    throw new InvoiceError('both-descriptions', "both a 'd' and an 'h' field");
  }
  const features = first(fields, '9')?.features ?? new Uint8Array(0);
  const unknown = unknownEvenBits(features);
  if (unknown.length > 0) throw new InvoiceError('unknown-even-feature', `unknown even feature bit(s) ${unknown.join(', ')}`);
  const missing = missingInvoiceDependencies(features);
  if (missing.length > 0) throw new InvoiceError('missing-feature-dependency', missing.join('; '));

  const expirySeconds = first(fields, 'x')?.expirySeconds ?? DEFAULT_EXPIRY_SECONDS;
  return {
    network,
    amountMsat,
    timestampSec,
    fields,
    paymentHash: paymentHash.paymentHash,
    paymentSecret: paymentSecret.paymentSecret,
    description: description?.description ?? null,
    descriptionHash: descriptionHash?.descriptionHash ?? null,
    payeeNodeId,
    expirySeconds,
    expiresAtSec: timestampSec + expirySeconds,
    minFinalCltvExpiryDelta: first(fields, 'c')?.minFinalCltvExpiryDelta ?? DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA,
    fallbacks: all(fields, 'f').map((f) => f.fallback),
    routeHints: all(fields, 'r').map((f) => f.routeHint),
    features,
    paymentMetadata: first(fields, 'm')?.paymentMetadata ?? null,
    signature,
    recoveryId,
  };
}

/**
 * Reads an invoice string (lower or upper case) with every BOLT 11 reader
 * rule: `{ ok: true, value }`, or `{ ok: false, error }` naming the rule the
 * invoice breaks. Never throws for bad input.
 */
export function decodeInvoice(secp: Secp256k1, text: string): InvoiceResult<Invoice> {
  try {
    return { ok: true, value: decode(secp, text) };
  } catch (error) {
    if (error instanceof InvoiceError) return { ok: false, error };
    throw error;
  }
}

/** True once `nowSec` is past `timestamp + expiry` (BOLT 11: the payer SHOULD NOT attempt a payment). */
export function isExpired(invoice: Pick<Invoice, 'expiresAtSec'>, nowSec: number): boolean {
  return nowSec > invoice.expiresAtSec;
}

/** True when `description` is the invoice's `d`, or hashes to its `h` (BOLT 11: a reader MUST check the hash matches). */
export function descriptionMatches(invoice: Pick<Invoice, 'description' | 'descriptionHash'>, description: string): boolean {
  if (invoice.description !== null) return invoice.description === description;
  return invoice.descriptionHash !== null && equalConstantTime(sha256(new TextEncoder().encode(description)), invoice.descriptionHash);
}
