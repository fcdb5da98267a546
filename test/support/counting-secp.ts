/** A secp256k1 backend that counts its calls (tests of how much EC work an operation does). */
import type { Secp256k1 } from '../../shared/crypto/index.js';

/** Wraps a backend to count its calls; the wrapper is a backend of its own (its own derivation caches). */
export function counting(secp: Secp256k1): { backend: Secp256k1; calls: () => number } {
  let calls = 0;
  const backend = new Proxy(secp, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { backend, calls: () => calls };
}
