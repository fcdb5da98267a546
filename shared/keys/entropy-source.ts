/**
 * Randomness for the core (LDK's `EntropySource` role). The core never draws
 * randomness itself; an adapter injects a source backed by the platform CSPRNG
 * (and tests a deterministic one).
 */
export interface EntropySource {
  /** 32 bytes from a cryptographically secure random generator. */
  getSecureRandomBytes(): Uint8Array;
}
