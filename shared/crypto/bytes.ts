/** Byte helpers shared by the core: hex (the codec's), concatenation, constant-time comparison. */

/**
 * Compares two byte arrays in time that depends only on their lengths, for
 * MACs, secrets and preimages.
 */
export function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** The one hex codec (shared/codec/hex.ts), under the names the core uses for keys and ids. */
export { bytesToHex as toHex, hexToBytes as fromHex } from '../codec/hex.js';
