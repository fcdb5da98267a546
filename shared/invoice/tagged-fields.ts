/**
 * Tagged fields (BOLT 11 "Tagged Fields"): `type` (5 bits), `data_length`
 * (10 bits), `data_length` 5-bit groups of data. One typed record per field,
 * in the invoice's order; fields a reader must skip are kept as `skipped` so
 * the signed data can be written back unchanged.
 */
import type { Secp256k1 } from '../crypto/index.js';
import { InvoiceError } from './errors.js';
import { featuresFromWords, featuresToWords } from './invoice-features.js';
import { bytesToWords, intToFixedWords, intToWords, wordsToBytes, wordsToInt } from './words.js';

/** The bech32 alphabet: the character of each 5-bit value, which also names each field type (`p` = 1, `s` = 16, ...). */
export const BECH32_ALPHABET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

/** The largest `data_length` (10 bits): 1023 groups, 639 bytes. */
export const MAX_FIELD_WORDS = 1023;

/** An on-chain fallback (`f`): a witness version 0-16 and program, 17 and a P2PKH hash, or 18 and a P2SH hash. */
export interface Fallback {
  readonly version: number;
  readonly program: Uint8Array;
}

/** One hop of a private route (`r`), from a public node towards the payee; fields as BOLT 7 `channel_update`. */
export interface RouteHintHop {
  /** The node at the start of the channel. */
  readonly pubkey: Uint8Array;
  readonly shortChannelId: bigint;
  readonly feeBaseMsat: bigint;
  readonly feeProportionalMillionths: number;
  readonly cltvExpiryDelta: number;
}

/** One `r` field: the ordered hops of one private route. */
export type RouteHint = readonly RouteHintHop[];

/** Why a reader skipped a field (BOLT 11 "A reader"). */
export type SkipReason = 'unknown-type' | 'wrong-length' | 'unknown-fallback-version' | 'invalid-fallback' | 'invalid-payee';

/** One tagged field, named by its bech32 character. */
export type TaggedField =
  | { readonly tag: 'p'; readonly paymentHash: Uint8Array }
  | { readonly tag: 's'; readonly paymentSecret: Uint8Array }
  | { readonly tag: 'd'; readonly description: string }
  | { readonly tag: 'h'; readonly descriptionHash: Uint8Array }
  | { readonly tag: 'n'; readonly payeeNodeId: Uint8Array }
  | { readonly tag: 'x'; readonly expirySeconds: number }
  | { readonly tag: 'c'; readonly minFinalCltvExpiryDelta: number }
  | { readonly tag: 'f'; readonly fallback: Fallback }
  | { readonly tag: 'r'; readonly routeHint: RouteHint }
  | { readonly tag: '9'; readonly features: Uint8Array }
  | { readonly tag: 'm'; readonly paymentMetadata: Uint8Array }
  /** A field the reader skips: `type` and its raw 5-bit groups, kept in place. */
  | { readonly tag: 'skipped'; readonly type: number; readonly words: Uint8Array; readonly why: SkipReason };

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

const ROUTE_HOP_BYTES = 51;

function typeOf(tag: string): number {
  return BECH32_ALPHABET.indexOf(tag);
}

function fixedBytes(bytes: Uint8Array, length: number, what: string): number[] {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) throw new InvoiceError('invalid-field', `${what} must be ${length} bytes`);
  return bytesToWords(bytes);
}

function u32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw new InvoiceError('invalid-field', `${what} out of range`);
}

function validFallback(fallback: Fallback): boolean {
  const { version, program } = fallback;
  if (version === 17 || version === 18) return program.length === 20;
  if (version === 0) return program.length === 20 || program.length === 32;
  return Number.isInteger(version) && version >= 1 && version <= 16 && program.length >= 2 && program.length <= 40;
}

function routeHintBytes(hint: RouteHint): Uint8Array {
  if (hint.length === 0) throw new InvoiceError('invalid-field', 'a route hint needs at least one hop');
  const out = new Uint8Array(hint.length * ROUTE_HOP_BYTES);
  const view = new DataView(out.buffer);
  hint.forEach((hop, i) => {
    const at = i * ROUTE_HOP_BYTES;
    if (hop.pubkey.length !== 33) throw new InvoiceError('invalid-field', 'route hint pubkey must be 33 bytes');
    if (hop.shortChannelId < 0n || hop.shortChannelId > 0xffff_ffff_ffff_ffffn) throw new InvoiceError('invalid-field', 'short_channel_id out of range');
    if (hop.feeBaseMsat < 0n || hop.feeBaseMsat > 0xffff_ffffn) throw new InvoiceError('invalid-field', 'fee_base_msat out of range');
    u32(hop.feeProportionalMillionths, 'fee_proportional_millionths');
    if (!Number.isInteger(hop.cltvExpiryDelta) || hop.cltvExpiryDelta < 0 || hop.cltvExpiryDelta > 0xffff) {
      throw new InvoiceError('invalid-field', 'cltv_expiry_delta out of range');
    }
    out.set(hop.pubkey, at);
    view.setBigUint64(at + 33, hop.shortChannelId);
    view.setUint32(at + 41, Number(hop.feeBaseMsat));
    view.setUint32(at + 45, hop.feeProportionalMillionths);
    view.setUint16(at + 49, hop.cltvExpiryDelta);
  });
  return out;
}

function fieldData(field: TaggedField): number[] {
  switch (field.tag) {
    case 'p':
      return fixedBytes(field.paymentHash, 32, 'payment_hash');
    case 's':
      return fixedBytes(field.paymentSecret, 32, 'payment_secret');
    case 'd':
      return bytesToWords(utf8Encoder.encode(field.description));
    case 'h':
      return fixedBytes(field.descriptionHash, 32, 'description hash');
    case 'n':
      return fixedBytes(field.payeeNodeId, 33, 'payee node id');
    case 'x':
      return intToWords(field.expirySeconds);
    case 'c':
      return intToWords(field.minFinalCltvExpiryDelta);
    case 'f':
      if (!validFallback(field.fallback)) throw new InvoiceError('invalid-field', `invalid fallback of version ${field.fallback.version}`);
      return [field.fallback.version, ...bytesToWords(field.fallback.program)];
    case 'r':
      return bytesToWords(routeHintBytes(field.routeHint));
    case '9':
      return featuresToWords(field.features);
    case 'm':
      return bytesToWords(field.paymentMetadata);
    case 'skipped':
      if (!Number.isInteger(field.type) || field.type < 0 || field.type > 31) throw new InvoiceError('invalid-field', `field type ${field.type}`);
      return Array.from(field.words);
  }
}

/** One field as 5-bit groups: type, 10-bit `data_length`, data. */
export function encodeTaggedField(field: TaggedField): number[] {
  const data = fieldData(field);
  if (data.length > MAX_FIELD_WORDS) throw new InvoiceError('field-too-long', `'${field.tag}' field has ${data.length} groups, at most ${MAX_FIELD_WORDS}`);
  const type = field.tag === 'skipped' ? field.type : typeOf(field.tag);
  return [type, ...intToFixedWords(data.length, 2), ...data];
}

function minimalInt(words: Uint8Array, tag: string): number {
  if (words.length > 0 && words[0] === 0) throw new InvoiceError('non-minimal-field', `'${tag}' field begins with 0 field elements`);
  const value = wordsToInt(words);
  if (value === null) throw new InvoiceError('value-too-large', `'${tag}' field value exceeds 2^53 - 1`);
  return value;
}

function decodeRouteHint(secp: Secp256k1, words: Uint8Array): RouteHint {
  const bytes = wordsToBytes(words);
  if (bytes.length === 0 || bytes.length % ROUTE_HOP_BYTES !== 0) {
    throw new InvoiceError('invalid-route-hint', `'r' field of ${bytes.length} bytes is not whole ${ROUTE_HOP_BYTES}-byte hops`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hops: RouteHintHop[] = [];
  for (let at = 0; at < bytes.length; at += ROUTE_HOP_BYTES) {
    const pubkey = bytes.slice(at, at + 33);
    if (!secp.isValidPublicKey(pubkey)) throw new InvoiceError('invalid-route-hint', 'route hint pubkey is not a point');
    hops.push({
      pubkey,
      shortChannelId: view.getBigUint64(at + 33),
      feeBaseMsat: BigInt(view.getUint32(at + 41)),
      feeProportionalMillionths: view.getUint32(at + 45),
      cltvExpiryDelta: view.getUint16(at + 49),
    });
  }
  return hops;
}

function decodeField(secp: Secp256k1, type: number, words: Uint8Array): TaggedField {
  const skip = (why: SkipReason): TaggedField => ({ tag: 'skipped', type, words, why });
  const tag = BECH32_ALPHABET[type]!;
  switch (tag) {
    case 'p':
      return words.length === 52 ? { tag, paymentHash: wordsToBytes(words) } : skip('wrong-length');
    case 's':
      return words.length === 52 ? { tag, paymentSecret: wordsToBytes(words) } : skip('wrong-length');
    case 'h':
      return words.length === 52 ? { tag, descriptionHash: wordsToBytes(words) } : skip('wrong-length');
    case 'n': {
      if (words.length !== 53) return skip('wrong-length');
      const payeeNodeId = wordsToBytes(words);
      return secp.isValidPublicKey(payeeNodeId) ? { tag, payeeNodeId } : skip('invalid-payee');
    }
    case 'd':
      try {
        return { tag, description: utf8Decoder.decode(wordsToBytes(words)) };
      } catch {
        throw new InvoiceError('invalid-description', "'d' field is not valid UTF-8");
      }
    case 'x':
      return { tag, expirySeconds: minimalInt(words, tag) };
    case 'c':
      return { tag, minFinalCltvExpiryDelta: minimalInt(words, tag) };
    case '9':
      if (words.length > 0 && words[0] === 0) throw new InvoiceError('non-minimal-field', "'9' field begins with 0 field elements");
      return { tag, features: featuresFromWords(words) };
    case 'm':
      return { tag, paymentMetadata: wordsToBytes(words) };
    case 'r':
      return { tag, routeHint: decodeRouteHint(secp, words) };
    case 'f': {
      if (words.length === 0 || words[0]! > 18) return skip('unknown-fallback-version');
      const fallback = { version: words[0]!, program: wordsToBytes(words.subarray(1)) };
      return validFallback(fallback) ? { tag, fallback } : skip('invalid-fallback');
    }
    default:
      return skip('unknown-type');
  }
}

/**
 * Reads the tagged fields between the timestamp and the signature, in
 * order. Throws the reader rule a field breaks; fields to skip come back as
 * `skipped`.
 */
export function decodeTaggedFields(secp: Secp256k1, words: Uint8Array): TaggedField[] {
  const fields: TaggedField[] = [];
  let at = 0;
  while (at < words.length) {
    if (at + 3 > words.length) throw new InvoiceError('truncated-field', 'a tagged field header runs into the signature');
    const type = words[at]!;
    const length = words[at + 1]! * 32 + words[at + 2]!;
    const start = at + 3;
    if (start + length > words.length) throw new InvoiceError('truncated-field', `'${BECH32_ALPHABET[type]}' field runs into the signature`);
    fields.push(decodeField(secp, type, words.slice(start, start + length)));
    at = start + length;
  }
  return fields;
}
