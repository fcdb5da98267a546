/** shared/crypto: secp256k1 behind one interface, hashes, AEAD, byte helpers. */
export type { Secp256k1 } from './secp256k1.js';
export { nobleSecp256k1 } from './secp256k1-noble.js';
export { wasmSecp256k1 } from './secp256k1-wasm.js';
export { CryptoError, CryptoErrorCode } from './errors.js';
export { sha256, sha256Chunks, ripemd160, hash160, hmacSha256, hmacSha512, hkdfSha256 } from './hash.js';
export { aeadEncrypt, aeadDecrypt, aeadEncryptInto, aeadDecryptInto, chacha20Xor, AEAD_TAG_LENGTH } from './aead.js';
export { isLowS, normalizeS, signatureToDer, signatureFromDer } from './signature.js';
export { equalConstantTime, concatBytes, toHex, fromHex } from './bytes.js';
export { CURVE_ORDER } from './scalar.js';
export { BoundedCache } from './bounded-cache.js';
