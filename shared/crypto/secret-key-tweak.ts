/** Secret-key tweaks as plain scalar arithmetic mod n: identical for every backend. */
import { CURVE_ORDER, nonZeroScalarBytes, scalarFrom, secretFrom } from './scalar.js';

/** (secret + tweak) mod n; a zero result is an error (it is not a key). */
export function secretKeyTweakAdd(secret: Uint8Array, tweak: Uint8Array): Uint8Array {
  return nonZeroScalarBytes((secretFrom(secret) + scalarFrom(tweak)) % CURVE_ORDER);
}

/** (secret · tweak) mod n; a zero result is an error. */
export function secretKeyTweakMul(secret: Uint8Array, tweak: Uint8Array): Uint8Array {
  return nonZeroScalarBytes((secretFrom(secret) * scalarFrom(tweak)) % CURVE_ORDER);
}
