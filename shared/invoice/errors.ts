/**
 * Why a BOLT 11 invoice is refused: a closed set of rules, each named after
 * the requirement of `11-payment-encoding.md` it enforces.
 */

/**
 * The rules a reader enforces (decode) and the invariants a writer checks
 * (encode).
 *
 * Reader (BOLT 11 "A reader"):
 * - `malformed-bech32`: not a bech32 string (no `1` separator, a character
 *   outside the bech32 alphabet, mixed case, no room for the checksum).
 * - `bad-checksum`: the bech32 checksum is incorrect.
 * - `unknown-prefix`: the human-readable part does not start with a currency
 *   prefix we know (`lnbc`, `lntb`, `lntbs`, `lnbcrt`).
 * - `invalid-amount`: the amount is not a positive decimal integer without
 *   leading zeros, or exceeds 2^64 - 1 msat.
 * - `invalid-multiplier`: the amount is followed by something other than one
 *   of `m`, `u`, `n`, `p`.
 * - `sub-millisatoshi-amount`: a `p` amount whose last decimal is not 0.
 * - `too-short`: the data part cannot hold a timestamp and a signature.
 * - `truncated-field`: a tagged field's `data_length` runs into the signature.
 * - `missing-payment-hash`: no valid `p` field.
 * - `missing-payment-secret`: no valid `s` field.
 * - `missing-description`: neither a `d` nor an `h` field.
 * - `both-descriptions`: both a `d` and an `h` field.
 * - `invalid-description`: a `d` field that is not UTF-8.
 * - `non-minimal-field`: a `c`, `x` or `9` field that begins with 0
 *   field elements (the spec's SHOULD, which we follow).
 * - `value-too-large`: an `x` or `c` value above 2^53 - 1.
 * - `invalid-route-hint`: an `r` field that is not whole 51-byte hops, or a
 *   hop whose `pubkey` is not a point.
 * - `unknown-even-feature`: the `9` field sets an even bit we do not know.
 * - `missing-feature-dependency`: the `9` field sets a feature without the
 *   feature it depends on (BOLT 9; `basic_mpp` needs `payment_secret`).
 * - `unrecoverable-signature`: no public key recovers from the signature
 *   (r or s out of range, or r is not the x of a point for its recovery id).
 * - `high-s-signature`: an `n` field is present and the signature is not
 *   low-S.
 * - `invalid-signature`: an `n` field is present and the signature does not
 *   verify under it.
 *
 * Writer (thrown by the encoder, never returned):
 * - `invalid-field`: a field value out of its range (a wrong-length hash, a
 *   negative or zero amount, an unknown network, both or neither
 *   description, ...).
 * - `field-too-long`: a field's data exceeds 1023 5-bit groups (639 bytes).
 */
export const INVOICE_ERROR_RULES = [
  'malformed-bech32',
  'bad-checksum',
  'unknown-prefix',
  'invalid-amount',
  'invalid-multiplier',
  'sub-millisatoshi-amount',
  'too-short',
  'truncated-field',
  'missing-payment-hash',
  'missing-payment-secret',
  'missing-description',
  'both-descriptions',
  'invalid-description',
  'non-minimal-field',
  'value-too-large',
  'invalid-route-hint',
  'unknown-even-feature',
  'missing-feature-dependency',
  'unrecoverable-signature',
  'high-s-signature',
  'invalid-signature',
  'invalid-field',
  'field-too-long',
] as const;

/** One of {@link INVOICE_ERROR_RULES}. */
export type InvoiceErrorRule = (typeof INVOICE_ERROR_RULES)[number];

/** A refused invoice (decode) or a broken writer invariant (encode), with the rule it breaks. */
export class InvoiceError extends Error {
  override readonly name = 'InvoiceError';

  constructor(
    readonly rule: InvoiceErrorRule,
    message: string,
  ) {
    super(message);
  }
}

/** What `decodeInvoice` returns: never an exception for bad input. */
export type InvoiceResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: InvoiceError };
