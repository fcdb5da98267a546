/**
 * The `9` field: feature bits of an invoice (BOLT 11 "Feature Bits", BOLT 9
 * context `9`). Feature vectors are the big-endian `Uint8Array`s of
 * `shared/wire` (bit 0 is the lowest bit of the last byte).
 */
import { featureBitsOf, featuresFromBits, hasFeatureBit } from '../wire/index.js';

/** A feature BOLT 9 allows in an invoice (context `9`), with the feature it depends on. */
export interface InvoiceFeature {
  readonly name: string;
  readonly requiredBit: number;
  readonly dependsOn: string | null;
}

/**
 * The features BOLT 9 assigns to invoices, plus `var_onion_optin` and
 * `payment_secret`, which BOLT 9 now lists as ASSUMED and every invoice
 * (ours and LDK's) still sets. An even bit outside this table is unknown.
 */
export const INVOICE_FEATURES = [
  { name: 'var_onion_optin', requiredBit: 8, dependsOn: null },
  { name: 'payment_secret', requiredBit: 14, dependsOn: null },
  { name: 'basic_mpp', requiredBit: 16, dependsOn: 'payment_secret' },
  { name: 'option_route_blinding', requiredBit: 24, dependsOn: null },
  { name: 'option_attribution_data', requiredBit: 36, dependsOn: null },
  { name: 'option_payment_metadata', requiredBit: 48, dependsOn: null },
] as const satisfies readonly InvoiceFeature[];

/**
 * The features of the invoices we write, as LDK 0.1 writes its own:
 * var_onion_optin required (8), payment_secret required (14), basic_mpp
 * optional (17).
 */
export const OUR_INVOICE_FEATURES: Uint8Array = featuresFromBits([8, 14, 17]);

function offers(features: Uint8Array, requiredBit: number): boolean {
  return hasFeatureBit(features, requiredBit) || hasFeatureBit(features, requiredBit + 1);
}

/** Even bits set in `features` that no feature of {@link INVOICE_FEATURES} owns ("MUST fail the payment"). */
export function unknownEvenBits(features: Uint8Array): number[] {
  const known = new Set<number>(INVOICE_FEATURES.map((f) => f.requiredBit));
  return featureBitsOf(features).filter((bit) => bit % 2 === 0 && !known.has(bit));
}

/** `feature needs dependency` for each offered feature whose dependency is not offered (BOLT 11: "MUST NOT attempt the payment"). */
export function missingInvoiceDependencies(features: Uint8Array): string[] {
  const missing: string[] = [];
  for (const f of INVOICE_FEATURES) {
    if (f.dependsOn === null || !offers(features, f.requiredBit)) continue;
    const dependency = INVOICE_FEATURES.find((d) => d.name === f.dependsOn)!;
    if (!offers(features, dependency.requiredBit)) missing.push(`${f.name} needs ${f.dependsOn}`);
  }
  return missing;
}

/** The `9` field's words: the fewest 5-bit groups holding every set bit, none when no bit is set. */
export function featuresToWords(features: Uint8Array): number[] {
  const bits = featureBitsOf(features);
  if (bits.length === 0) return [];
  const count = Math.floor(bits[bits.length - 1]! / 5) + 1;
  const words = new Array<number>(count).fill(0);
  for (const bit of bits) words[count - 1 - Math.floor(bit / 5)]! |= 1 << bit % 5;
  return words;
}

/** The feature vector of a `9` field's words. */
export function featuresFromWords(words: ArrayLike<number>): Uint8Array {
  const bits: number[] = [];
  for (let i = 0; i < words.length; i++) {
    const position = words.length - 1 - i;
    for (let b = 0; b < 5; b++) if ((words[i]! >> b) & 1) bits.push(position * 5 + b);
  }
  return featuresFromBits(bits);
}
