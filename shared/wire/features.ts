/**
 * Feature bits (BOLT 9, "Assigned Feature Flags"; BOLT 1, "The `init`
 * Message").
 *
 * A feature vector is a big-endian bit field in a `Uint8Array`: bit 0 is the
 * least significant bit of the LAST byte. Features come in pairs: the even
 * bit means "required", the odd bit "supported (optional)"; a feature is
 * supported if either bit is set. Functions here never mutate their input.
 */

/** One known feature: its BOLT 9 name, bits and dependencies. */
export interface KnownFeature {
  readonly name: string;
  /** The even ("required") bit, or null when BOLT 9 assigns only an odd bit. */
  readonly requiredBit: number | null;
  /** The odd ("optional") bit. */
  readonly optionalBit: number;
  /** Features that MUST also be set (BOLT 9 "Dependencies" column). */
  readonly dependencies: readonly string[];
}

/**
 * The features we know, by BOLT 9 name. Dependencies follow the BOLT 9
 * column as it stood before features became ASSUMED (the current spec drops
 * the edges of ASSUMED features; peers still set them, see docs/features.md).
 * `option_anchors_zero_fee_htlc_tx` is called `option_anchors` in the
 * current spec.
 */
export const KNOWN_FEATURES = [
  { name: 'option_data_loss_protect', requiredBit: 0, optionalBit: 1, dependencies: [] },
  { name: 'initial_routing_sync', requiredBit: null, optionalBit: 3, dependencies: [] },
  { name: 'option_upfront_shutdown_script', requiredBit: 4, optionalBit: 5, dependencies: [] },
  { name: 'gossip_queries', requiredBit: 6, optionalBit: 7, dependencies: [] },
  { name: 'var_onion_optin', requiredBit: 8, optionalBit: 9, dependencies: [] },
  { name: 'gossip_queries_ex', requiredBit: 10, optionalBit: 11, dependencies: ['gossip_queries'] },
  { name: 'option_static_remotekey', requiredBit: 12, optionalBit: 13, dependencies: [] },
  { name: 'payment_secret', requiredBit: 14, optionalBit: 15, dependencies: ['var_onion_optin'] },
  { name: 'basic_mpp', requiredBit: 16, optionalBit: 17, dependencies: ['payment_secret'] },
  { name: 'option_support_large_channel', requiredBit: 18, optionalBit: 19, dependencies: [] },
  {
    name: 'option_anchors_zero_fee_htlc_tx',
    requiredBit: 22,
    optionalBit: 23,
    dependencies: ['option_static_remotekey'],
  },
  { name: 'option_route_blinding', requiredBit: 24, optionalBit: 25, dependencies: ['var_onion_optin'] },
  { name: 'option_shutdown_anysegwit', requiredBit: 26, optionalBit: 27, dependencies: [] },
  { name: 'option_dual_fund', requiredBit: 28, optionalBit: 29, dependencies: [] },
  { name: 'option_quiesce', requiredBit: 34, optionalBit: 35, dependencies: [] },
  { name: 'option_onion_messages', requiredBit: 38, optionalBit: 39, dependencies: [] },
  { name: 'option_channel_type', requiredBit: 44, optionalBit: 45, dependencies: [] },
  { name: 'option_scid_alias', requiredBit: 46, optionalBit: 47, dependencies: [] },
  { name: 'option_payment_metadata', requiredBit: 48, optionalBit: 49, dependencies: [] },
  { name: 'option_zeroconf', requiredBit: 50, optionalBit: 51, dependencies: ['option_scid_alias'] },
] as const satisfies readonly KnownFeature[];

/** The BOLT 9 name of a known feature. */
export type FeatureName = (typeof KNOWN_FEATURES)[number]['name'];

const BY_NAME: ReadonlyMap<string, KnownFeature> = new Map(KNOWN_FEATURES.map((f) => [f.name, f]));

function known(name: FeatureName): KnownFeature {
  return BY_NAME.get(name)!;
}

/** True if `bit` is set in `features`. */
export function hasFeatureBit(features: Uint8Array, bit: number): boolean {
  if (!Number.isInteger(bit) || bit < 0) return false;
  const index = features.length - 1 - (bit >> 3);
  return index >= 0 && (features[index]! & (1 << (bit & 7))) !== 0;
}

/** A copy of `features` with `bits` set, grown on the left as needed. */
export function setFeatureBits(features: Uint8Array, ...bits: readonly number[]): Uint8Array {
  for (const bit of bits) {
    if (!Number.isInteger(bit) || bit < 0 || bit >= 8 * 0xffff) throw new RangeError(`feature bit ${bit}`);
  }
  const length = Math.max(features.length, ...bits.map((b) => (b >> 3) + 1));
  const out = new Uint8Array(length);
  out.set(features, length - features.length);
  for (const bit of bits) out[length - 1 - (bit >> 3)]! |= 1 << (bit & 7);
  return out;
}

/** The minimal feature vector with exactly `bits` set. */
export function featuresFromBits(bits: readonly number[]): Uint8Array {
  return setFeatureBits(new Uint8Array(0), ...bits);
}

/** The set bits of `features`, ascending. */
export function featureBitsOf(features: Uint8Array): number[] {
  const bits: number[] = [];
  for (let bit = 0; bit < 8 * features.length; bit++) if (hasFeatureBit(features, bit)) bits.push(bit);
  return bits;
}

/** Bitwise OR of two feature vectors (right-aligned), as long as the longer one. */
export function orFeatures(a: Uint8Array, b: Uint8Array): Uint8Array {
  const length = Math.max(a.length, b.length);
  const out = new Uint8Array(length);
  out.set(a, length - a.length);
  for (let i = 0; i < b.length; i++) out[length - b.length + i]! |= b[i]!;
  return out;
}

/** `features` without leading zero bytes (BOLT 1: "SHOULD use the minimum length"). */
export function minimalFeatures(features: Uint8Array): Uint8Array {
  let start = 0;
  while (start < features.length && features[start] === 0) start++;
  return features.slice(start);
}

/** True if either bit of the feature is set ("offered"). */
export function isFeatureSupported(features: Uint8Array, name: FeatureName): boolean {
  const f = known(name);
  return hasFeatureBit(features, f.optionalBit) || (f.requiredBit !== null && hasFeatureBit(features, f.requiredBit));
}

/** True if the feature's even bit is set (BOLT 9: both bits set also means required). */
export function isFeatureRequired(features: Uint8Array, name: FeatureName): boolean {
  const f = known(name);
  return f.requiredBit !== null && hasFeatureBit(features, f.requiredBit);
}

/** A feature set without one of its dependencies. */
export interface MissingDependency {
  readonly feature: FeatureName;
  readonly dependency: FeatureName;
}

/**
 * Known features set in `features` whose dependency is not set (BOLT 1: the
 * receiver MUST close the connection if a feature vector does not set all
 * known, transitive dependencies; checking every set feature's direct
 * dependencies covers the transitive ones).
 */
export function missingDependencies(features: Uint8Array): MissingDependency[] {
  const missing: MissingDependency[] = [];
  for (const f of KNOWN_FEATURES) {
    if (!isFeatureSupported(features, f.name)) continue;
    for (const dependency of f.dependencies) {
      if (!isFeatureSupported(features, dependency)) missing.push({ feature: f.name, dependency });
    }
  }
  return missing;
}

/**
 * Even (required) bits set in `theirs` whose feature `ours` supports with
 * neither bit of its pair: unknown required features, and known ones we do
 * not implement. Any such bit means the connection MUST be closed.
 */
export function unsupportedRequiredBits(theirs: Uint8Array, ours: Uint8Array): number[] {
  return featureBitsOf(theirs).filter(
    (bit) => bit % 2 === 0 && !hasFeatureBit(ours, bit) && !hasFeatureBit(ours, bit + 1),
  );
}

/** The verdict on a peer's `init` features. */
export interface PeerFeatureCheck {
  /** Even bits the peer requires that we do not support: close the connection. */
  readonly unsupportedRequiredBits: readonly number[];
  /** Features the peer set without their dependencies: close the connection. */
  readonly missingDependencies: readonly MissingDependency[];
  /** True when both lists are empty. */
  readonly ok: boolean;
}

/**
 * Checks a peer's combined `init` features (see `initFeatures`) against
 * ours (BOLT 1 `init` receiver rules, BOLT 9).
 */
export function checkPeerFeatures(theirs: Uint8Array, ours: Uint8Array = OUR_INIT_FEATURES): PeerFeatureCheck {
  const unsupported = unsupportedRequiredBits(theirs, ours);
  const missing = missingDependencies(theirs);
  return { unsupportedRequiredBits: unsupported, missingDependencies: missing, ok: unsupported.length === 0 && missing.length === 0 };
}

/** True when neither side requires a feature the other does not support. */
export function featuresCompatible(a: Uint8Array, b: Uint8Array): boolean {
  return unsupportedRequiredBits(a, b).length === 0 && unsupportedRequiredBits(b, a).length === 0;
}

/** The bit of a known feature, in its required (even) or optional (odd) form. */
export function featureBit(name: FeatureName, form: 'required' | 'optional'): number {
  const f = known(name);
  if (form === 'optional') return f.optionalBit;
  if (f.requiredBit === null) throw new RangeError(`${name} has no required bit`);
  return f.requiredBit;
}

/**
 * What our node advertises in `init` (see docs/features.md): required
 * data_loss_protect, var_onion_optin, static_remotekey, payment_secret;
 * optional upfront_shutdown_script, basic_mpp, large channels, anchors
 * (zero-fee HTLC), shutdown_anysegwit, channel_type, scid_alias.
 */
export const OUR_INIT_FEATURE_BITS: readonly number[] = [
  featureBit('option_data_loss_protect', 'required'),
  featureBit('option_upfront_shutdown_script', 'optional'),
  featureBit('var_onion_optin', 'required'),
  featureBit('option_static_remotekey', 'required'),
  featureBit('payment_secret', 'required'),
  featureBit('basic_mpp', 'optional'),
  featureBit('option_support_large_channel', 'optional'),
  featureBit('option_anchors_zero_fee_htlc_tx', 'optional'),
  featureBit('option_shutdown_anysegwit', 'optional'),
  featureBit('option_channel_type', 'optional'),
  featureBit('option_scid_alias', 'optional'),
];

/**
 * Our `init` feature vector, minimal length (`a000088a5121`). Shared: copy it
 * before changing it.
 */
export const OUR_INIT_FEATURES: Uint8Array = featuresFromBits(OUR_INIT_FEATURE_BITS);
