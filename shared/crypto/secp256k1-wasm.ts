/**
 * The WASM secp256k1 backend, the hot path: libsecp256k1 v0.8.0 compiled to
 * WebAssembly by native/libsecp256k1/build.sh, with a flat ABI of our own
 * (native/libsecp256k1/shim.c). Built with 64-bit limbs without __int128,
 * which WASM lacks, it signs and verifies about twice as fast as libauth's
 * 2019 build it replaces (docs/crypto.md "Our own WASM build").
 *
 * The module is embedded as base64 (148 KB of WASM), so no file has to sit
 * beside a bundle; it is compiled and its context randomized once, when this
 * module loads. Every call passes its bytes through the module's one 256-byte
 * exchange buffer; secrets are wiped from it after each call.
 */
import { base64 } from '@scure/base';
import { CryptoError, CryptoErrorCode } from './errors.js';
import { LIBSECP256K1_WASM_BASE64 } from './libsecp256k1-wasm.js';
import { checkScalarBytes, checkSecretBytes } from './scalar.js';
import { secretKeyTweakAdd, secretKeyTweakMul } from './secret-key-tweak.js';
import type { Secp256k1 } from './secp256k1.js';

/** The part of the WebAssembly global used here (the project's TypeScript libs do not declare it). */
interface WebAssemblyApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: object };
}

/** What shim.c exports. */
interface Exports {
  readonly memory: { readonly buffer: ArrayBuffer };
  io(): number;
  init(): number;
  seckey_verify(): number;
  pubkey_verify(): number;
  pubkey_create(): number;
  ecdh(): number;
  sign(): number;
  verify(): number;
  pubkey_tweak_add(): number;
  pubkey_tweak_mul(): number;
  pubkey_add(): number;
}

const wasm = (globalThis as unknown as { readonly WebAssembly: WebAssemblyApi }).WebAssembly;
const lib = new wasm.Instance(new wasm.Module(base64.decode(LIBSECP256K1_WASM_BASE64)), {}).exports as Exports;
/** The exchange buffer (the module's memory never grows: it allocates nothing). */
const io = new Uint8Array(lib.memory.buffer, lib.io(), 256);
/** Where every result is written. */
const OUT = 192;

io.set(globalThis.crypto.getRandomValues(new Uint8Array(32)), 0);
if (lib.init() !== 1) throw new Error('libsecp256k1: context creation failed');
io.fill(0, 0, 32);

function notAPoint(): CryptoError {
  return new CryptoError(CryptoErrorCode.InvalidPublicKey, 'not a 33-byte point on secp256k1');
}

function infinity(): CryptoError {
  return new CryptoError(CryptoErrorCode.PointAtInfinity, 'result is the point at infinity');
}

/** A 33-byte point, or the typed error. */
function compressedLength(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== 33) throw notAPoint();
  return publicKey;
}

/** The point a call wrote, or its typed error: -1 a point that does not parse, 0 a result at infinity (its scalar was checked before). */
function pointResult(status: number): Uint8Array {
  if (status === 1) return io.slice(OUT, OUT + 33);
  throw status === -1 ? notAPoint() : infinity();
}

/** Runs `run` with a secret written at `offset`, then wipes the exchange buffer, whatever happened. */
function withSecret<T>(secret: Uint8Array, offset: number, run: () => T): T {
  io.set(secret, offset);
  try {
    return run();
  } finally {
    io.fill(0);
  }
}

export const wasmSecp256k1: Secp256k1 = {
  name: 'wasm',
  isValidSecretKey: (secret) => secret.length === 32 && withSecret(secret, 0, () => lib.seckey_verify() === 1),
  isValidPublicKey: (publicKey) => {
    if (publicKey.length !== 33) return false;
    io.set(publicKey, 0);
    return lib.pubkey_verify() === 1;
  },
  publicKeyFromSecret: (secret) => {
    checkSecretBytes(secret);
    return withSecret(secret, 0, () => pointResult(lib.pubkey_create()));
  },
  ecdh: (secret, publicKey) => {
    checkSecretBytes(secret);
    io.set(compressedLength(publicKey), 64);
    return withSecret(secret, 0, () => {
      const status = lib.ecdh();
      if (status === -1) throw notAPoint();
      if (status !== 1) throw infinity();
      return io.slice(OUT, OUT + 32);
    });
  },
  sign: (digest, secret) => {
    if (digest.length !== 32) throw new CryptoError(CryptoErrorCode.InvalidLength, 'digest must be 32 bytes');
    checkSecretBytes(secret);
    io.set(digest, 0);
    return withSecret(secret, 64, () => {
      if (lib.sign() !== 1) throw new CryptoError(CryptoErrorCode.InvalidSecretKey, 'signing failed');
      return io.slice(OUT, OUT + 64);
    });
  },
  verify: (signature, digest, publicKey) => {
    if (signature.length !== 64 || digest.length !== 32 || publicKey.length !== 33) return false;
    io.set(signature, 0);
    io.set(digest, 64);
    io.set(publicKey, 128);
    return lib.verify() === 1;
  },
  publicKeyAdd: (a, b) => {
    io.set(compressedLength(a), 0);
    io.set(compressedLength(b), 64);
    return pointResult(lib.pubkey_add());
  },
  publicKeyTweakAdd: (publicKey, tweak) => {
    compressedLength(publicKey);
    checkScalarBytes(tweak);
    io.set(publicKey, 0);
    io.set(tweak, 64);
    return pointResult(lib.pubkey_tweak_add());
  },
  publicKeyTweakMul: (publicKey, tweak) => {
    compressedLength(publicKey);
    if (checkScalarBytes(tweak)) throw infinity();
    io.set(publicKey, 0);
    io.set(tweak, 64);
    return pointResult(lib.pubkey_tweak_mul());
  },
  secretKeyTweakAdd,
  secretKeyTweakMul,
};
