/** A secp256k1 backend that counts its calls (benches report EC work per operation). */
import type { Secp256k1 } from '../shared/crypto/index.js';

/** Wraps a backend to count its calls by method (shared by every call through it). */
export function countingSecp(secp: Secp256k1): { backend: Secp256k1; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const backend = new Proxy(secp, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        counts.set(String(prop), (counts.get(String(prop)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { backend, counts };
}
