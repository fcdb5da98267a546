/**
 * Stateless inbound payments (the idea of LDK's `ln/inbound_payment.rs`, in
 * our own layout; not byte-compatible with LDK). The payment secret of an
 * invoice carries, encrypted and authenticated under a key only this node
 * holds, what the node must know when the payment arrives: the minimum
 * amount, the expiry and the `min_final_cltv_expiry_delta`. For invoices
 * whose hash we choose, the preimage is an HMAC of the secret's contents, so
 * it is re-derived on arrival. Nothing is written when an invoice is made
 * (docs/payments-inbound.md).
 *
 * Payment secret (32 bytes) = `iv (16) || info (16) XOR pad`, where
 * `pad = HMAC-SHA256(info_key, iv)[0..16]` and `info` is
 * `u64(flags << 61 | min_amount_msat) || u16(min_final_cltv_expiry_delta) || u48(expires_at_secs)`
 * (`flags`: bit 0 the caller's hash, bit 1 a caller-chosen delta).
 *
 * - our hash (`createInboundPayment`): `iv` random,
 *   `preimage = HMAC-SHA256(preimage_key, iv || info)`, `hash = SHA256(preimage)`;
 * - the caller's hash (`createInboundPaymentForHash`):
 *   `iv = HMAC-SHA256(for_hash_key, info || hash)[0..16]`.
 *
 * Changing any bit of a secret changes `info` (or `iv`, hence the pad), and
 * the HMAC check then fails: a secret this node did not make for that hash
 * never verifies.
 */
import { concatBytes, equalConstantTime, hkdfSha256, hmacSha256, sha256 } from '../crypto/index.js';
import { MAX_MONEY_SAT } from '../tx/index.js';
import { MIN_FINAL_CLTV_EXPIRY_DELTA } from './final-cltv.js';

/** The longest invoice expiry we make secrets for: one year. */
export const MAX_INBOUND_EXPIRY_SECS = 365 * 24 * 60 * 60;

/** The largest amount (all bitcoin that will ever exist), in millisatoshi. */
export const MAX_VALUE_MSAT = MAX_MONEY_SAT * 1000n;

const IV_LENGTH = 16;
const INFO_LENGTH = 16;
const FLAG_SHIFT = 61n;
const AMOUNT_MASK = (1n << FLAG_SHIFT) - 1n;
const MAX_EXPIRES_AT = 2 ** 48 - 1;
/**
 * Flags (top 3 bits of `info`): bit 0 set = the caller's hash (else ours,
 * preimage derived), bit 1 set = the caller chose `min_final_cltv_expiry_delta`;
 * bit 2 unused (a secret with it set is not ours).
 */
const Flag = { ForHash: 1n, CustomCltvDelta: 2n, Unused: 4n } as const;
const EXPANSION_SALT = new TextEncoder().encode('stormcell/v1/inbound_payment/expand');

/** The keys of stateless payment secrets, expanded from the 32-byte key material (`KeysManager.inboundPaymentKey()`). */
export interface ExpandedKey {
  /** Encrypts the info inside a payment secret. */
  readonly infoKey: Uint8Array;
  /** Derives the preimage of a payment whose hash we chose. */
  readonly preimageKey: Uint8Array;
  /** Authenticates a secret made for a hash the caller chose. */
  readonly forHashKey: Uint8Array;
}

/** Codes of a refused `createInboundPayment*` call (a broken caller invariant). */
export const InboundPaymentErrorCode = {
  /** `expirySecs` above {@link MAX_INBOUND_EXPIRY_SECS}. */
  ExpiryTooLong: 'expiry-too-long',
  /** `expirySecs` not a positive integer, or `nowSecs` not an integer in range. */
  InvalidTime: 'invalid-time',
  /** `amountMsat` not in 1..{@link MAX_VALUE_MSAT}. */
  InvalidAmount: 'invalid-amount',
  /** `minFinalCltvExpiryDelta` not an integer in {@link MIN_FINAL_CLTV_EXPIRY_DELTA}..65535. */
  InvalidCltvDelta: 'invalid-cltv-delta',
  /** Key material, randomness or a payment hash of the wrong length. */
  InvalidLength: 'invalid-length',
} as const;
export type InboundPaymentErrorCode = (typeof InboundPaymentErrorCode)[keyof typeof InboundPaymentErrorCode];

export class InboundPaymentError extends Error {
  constructor(
    readonly code: InboundPaymentErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'InboundPaymentError';
  }
}

/** What an invoice promises and for how long. */
export interface InboundPaymentParams {
  /** The invoice amount: the least total a payment must carry. Omitted: any amount. */
  readonly amountMsat?: bigint;
  /** The invoice's expiry (BOLT 11 `x`), 1..{@link MAX_INBOUND_EXPIRY_SECS}. */
  readonly expirySecs: number;
  /** The invoice's timestamp: seconds since 1970, from the caller's clock. */
  readonly nowSecs: number;
  /** The invoice's `c`; omitted: {@link MIN_FINAL_CLTV_EXPIRY_DELTA}, also the least accepted. */
  readonly minFinalCltvExpiryDelta?: number;
}

/** A payment made by {@link createInboundPayment}: what the invoice carries. */
export interface InboundPayment {
  readonly paymentHash: Uint8Array;
  readonly paymentSecret: Uint8Array;
  /** The `c` the invoice must carry (the one the payment is checked against). */
  readonly minFinalCltvExpiryDelta: number;
  /** `nowSecs + expirySecs`: the payment is refused after it. */
  readonly expiresAtSecs: number;
}

/** Why a payment does not verify. `unknown-payment` covers a wrong secret and a wrong hash alike (they must look the same). */
export type InboundPaymentRefusal = 'unknown-payment' | 'amount-too-low' | 'expired';

export type InboundPaymentCheck =
  | {
      readonly ok: true;
      /** The preimage, for a payment whose hash we chose; absent for a `createInboundPaymentForHash` one. */
      readonly preimage?: Uint8Array;
      /**
       * The `c` the caller chose at creation (HTLCs expiring sooner than our
       * tip plus it are refused); absent when it took the default
       * ({@link MIN_FINAL_CLTV_EXPIRY_DELTA}, enforced by the fail-back buffer check with a few blocks of slack, as LDK).
       */
      readonly minFinalCltvExpiryDelta?: number;
      /** The invoice amount, absent when it had none. */
      readonly amountMsat?: bigint;
      readonly expiresAtSecs: number;
    }
  | { readonly ok: false; readonly reason: InboundPaymentRefusal };

function fail(code: InboundPaymentErrorCode, message: string): never {
  throw new InboundPaymentError(code, message);
}

/** The last key material expanded and its 96 bytes of keys: a node asks for its one key material at every payment. */
let lastExpansion: { readonly material: Uint8Array; readonly okm: Uint8Array } | undefined;

/** Expands the 32-byte key material into the three keys (HKDF-SHA256): the same every time (the last expansion is kept; fresh copies handed out). */
export function expandInboundPaymentKey(keyMaterial: Uint8Array): ExpandedKey {
  if (keyMaterial.length !== 32) fail(InboundPaymentErrorCode.InvalidLength, `key material of ${keyMaterial.length} bytes, expected 32`);
  let okm = lastExpansion !== undefined && equalConstantTime(lastExpansion.material, keyMaterial) ? lastExpansion.okm : undefined;
  if (okm === undefined) {
    okm = hkdfSha256(EXPANSION_SALT, keyMaterial, 96);
    lastExpansion = { material: keyMaterial.slice(), okm };
  }
  return { infoKey: okm.slice(0, 32), preimageKey: okm.slice(32, 64), forHashKey: okm.slice(64, 96) };
}

function infoBytes(forHash: boolean, params: InboundPaymentParams): { info: Uint8Array; delta: number; expiresAtSecs: number } {
  const { amountMsat, expirySecs, nowSecs } = params;
  const delta = params.minFinalCltvExpiryDelta ?? MIN_FINAL_CLTV_EXPIRY_DELTA;
  if (amountMsat !== undefined && (amountMsat <= 0n || amountMsat > MAX_VALUE_MSAT)) {
    fail(InboundPaymentErrorCode.InvalidAmount, `amount ${amountMsat} msat out of 1..${MAX_VALUE_MSAT}`);
  }
  if (!Number.isSafeInteger(expirySecs) || expirySecs <= 0) fail(InboundPaymentErrorCode.InvalidTime, `expiry ${expirySecs} s is not a positive integer`);
  if (expirySecs > MAX_INBOUND_EXPIRY_SECS) fail(InboundPaymentErrorCode.ExpiryTooLong, `expiry ${expirySecs} s is longer than one year`);
  if (!Number.isSafeInteger(nowSecs) || nowSecs < 0 || nowSecs + expirySecs > MAX_EXPIRES_AT) {
    fail(InboundPaymentErrorCode.InvalidTime, `time ${nowSecs} s out of range`);
  }
  if (!Number.isInteger(delta) || delta < MIN_FINAL_CLTV_EXPIRY_DELTA || delta > 0xffff) {
    fail(InboundPaymentErrorCode.InvalidCltvDelta, `min_final_cltv_expiry_delta ${delta} out of ${MIN_FINAL_CLTV_EXPIRY_DELTA}..65535`);
  }
  const expiresAtSecs = nowSecs + expirySecs;
  const info = new Uint8Array(INFO_LENGTH);
  const view = new DataView(info.buffer);
  const flags = (forHash ? Flag.ForHash : 0n) | (params.minFinalCltvExpiryDelta === undefined ? 0n : Flag.CustomCltvDelta);
  view.setBigUint64(0, (flags << FLAG_SHIFT) | (amountMsat ?? 0n));
  view.setUint16(8, delta);
  view.setUint16(10, Math.floor(expiresAtSecs / 2 ** 32));
  view.setUint32(12, expiresAtSecs % 2 ** 32);
  return { info, delta, expiresAtSecs };
}

function pad(key: ExpandedKey, iv: Uint8Array): Uint8Array {
  return hmacSha256(key.infoKey, iv).subarray(0, INFO_LENGTH);
}

function sealSecret(key: ExpandedKey, iv: Uint8Array, info: Uint8Array): Uint8Array {
  const p = pad(key, iv);
  return concatBytes(iv, info.map((b, i) => b ^ (p[i] as number)));
}

function derivePreimage(key: ExpandedKey, iv: Uint8Array, info: Uint8Array): Uint8Array {
  return hmacSha256(key.preimageKey, concatBytes(iv, info));
}

function forHashIv(key: ExpandedKey, info: Uint8Array, paymentHash: Uint8Array): Uint8Array {
  return hmacSha256(key.forHashKey, concatBytes(info, paymentHash)).subarray(0, IV_LENGTH);
}

/**
 * LDK's `create_inbound_payment`: a payment hash and secret for an invoice,
 * the preimage derivable from the secret alone (nothing stored). `random` is
 * 32 bytes from the `EntropySource` (the first 16 are used). Throws
 * {@link InboundPaymentError} for parameters out of range (expiry over one
 * year: `expiry-too-long`).
 */
export function createInboundPayment(key: ExpandedKey, params: InboundPaymentParams, random: Uint8Array): InboundPayment {
  if (random.length !== 32) fail(InboundPaymentErrorCode.InvalidLength, `randomness of ${random.length} bytes, expected 32`);
  const { info, delta, expiresAtSecs } = infoBytes(false, params);
  const iv = random.slice(0, IV_LENGTH);
  const preimage = derivePreimage(key, iv, info);
  return { paymentHash: sha256(preimage), paymentSecret: sealSecret(key, iv, info), minFinalCltvExpiryDelta: delta, expiresAtSecs };
}

/**
 * LDK's `create_inbound_payment_for_hash`: a payment secret for a hash whose
 * preimage the caller holds (and gives when claiming). Deterministic: the
 * same hash and parameters give the same secret.
 */
export function createInboundPaymentForHash(key: ExpandedKey, paymentHash: Uint8Array, params: InboundPaymentParams): Uint8Array {
  if (paymentHash.length !== 32) fail(InboundPaymentErrorCode.InvalidLength, `payment hash of ${paymentHash.length} bytes, expected 32`);
  const { info } = infoBytes(true, params);
  return sealSecret(key, forHashIv(key, info, paymentHash), info);
}

function openSecret(key: ExpandedKey, paymentSecret: Uint8Array): { iv: Uint8Array; info: Uint8Array } {
  const iv = paymentSecret.slice(0, IV_LENGTH);
  const p = pad(key, iv);
  return { iv, info: paymentSecret.slice(IV_LENGTH).map((b, i) => b ^ (p[i] as number)) };
}

/**
 * Checks a payment's hash and secret against what this node made, then its
 * total against the invoice amount and `nowSecs` against the expiry (LDK's
 * `inbound_payment::verify`). The authentication comes first and a wrong
 * secret and a wrong hash give the same answer. `amountMsat` is the
 * payment's total (`total_msat`): paying more than the invoice asks is
 * accepted (BOLT 4 lets the receiver refuse over twice the amount; we do not,
 * as LDK). Never throws.
 */
export function verifyInboundPayment(
  key: ExpandedKey,
  paymentHash: Uint8Array,
  paymentSecret: Uint8Array,
  amountMsat: bigint,
  nowSecs: number,
): InboundPaymentCheck {
  if (paymentHash.length !== 32 || paymentSecret.length !== IV_LENGTH + INFO_LENGTH) return { ok: false, reason: 'unknown-payment' };
  const { iv, info } = openSecret(key, paymentSecret);
  const view = new DataView(info.buffer);
  const head = view.getBigUint64(0);
  const flags = head >> FLAG_SHIFT;
  let preimage: Uint8Array | undefined;
  if ((flags & Flag.ForHash) === 0n) {
    const candidate = derivePreimage(key, iv, info);
    if (!equalConstantTime(sha256(candidate), paymentHash)) return { ok: false, reason: 'unknown-payment' };
    preimage = candidate;
  } else if (!equalConstantTime(forHashIv(key, info, paymentHash), iv)) {
    return { ok: false, reason: 'unknown-payment' };
  }
  // Authenticated: a set unused bit means a secret made by a newer scheme, not one we can read.
  if ((flags & Flag.Unused) !== 0n) return { ok: false, reason: 'unknown-payment' };
  const minAmountMsat = head & AMOUNT_MASK;
  const delta = view.getUint16(8);
  const expiresAtSecs = view.getUint16(10) * 2 ** 32 + view.getUint32(12);
  if (amountMsat < minAmountMsat) return { ok: false, reason: 'amount-too-low' };
  if (nowSecs > expiresAtSecs) return { ok: false, reason: 'expired' };
  return {
    ok: true,
    ...(preimage === undefined ? {} : { preimage }),
    ...((flags & Flag.CustomCltvDelta) === 0n ? {} : { minFinalCltvExpiryDelta: delta }),
    ...(minAmountMsat === 0n ? {} : { amountMsat: minAmountMsat }),
    expiresAtSecs,
  };
}

/**
 * The preimage of a payment made by {@link createInboundPayment} (LDK's
 * `get_payment_preimage`), or undefined when the secret is not ours for that
 * hash or was made for a caller's hash. Ignores amount and expiry.
 */
export function inboundPaymentPreimage(key: ExpandedKey, paymentHash: Uint8Array, paymentSecret: Uint8Array): Uint8Array | undefined {
  const check = verifyInboundPayment(key, paymentHash, paymentSecret, MAX_VALUE_MSAT, 0);
  return check.ok ? check.preimage : undefined;
}
