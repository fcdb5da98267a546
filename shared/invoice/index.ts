/**
 * `shared/invoice` (layer 3): BOLT 11 payment requests, encode and decode.
 * Imports `crypto` (secp256k1, sha256), `keys` (the `NodeSigner` that signs)
 * and `wire` (feature vectors). See docs/invoice.md.
 */
export {
  DEFAULT_EXPIRY_SECONDS,
  DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA,
  decodeInvoice,
  descriptionMatches,
  encodeInvoice,
  isExpired,
  signInvoice,
} from './invoice.js';
export type { Invoice, InvoiceFields, InvoiceSigner, UnsignedInvoice } from './invoice.js';
export { INVOICE_PREFIXES, decodeHumanReadablePart, encodeAmount, encodeHumanReadablePart } from './amount.js';
export type { HumanReadablePart, Network } from './amount.js';
export { INVOICE_ERROR_RULES, InvoiceError } from './errors.js';
export type { InvoiceErrorRule, InvoiceResult } from './errors.js';
export { INVOICE_FEATURES, OUR_INVOICE_FEATURES, missingInvoiceDependencies, unknownEvenBits } from './invoice-features.js';
export type { InvoiceFeature } from './invoice-features.js';
export { MAX_FIELD_WORDS } from './tagged-fields.js';
export type { Fallback, RouteHint, RouteHintHop, SkipReason, TaggedField } from './tagged-fields.js';
export { recoverPublicKey } from './signature.js';
