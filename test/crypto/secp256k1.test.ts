import { base64 } from '@scure/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CURVE_ORDER,
  CryptoError,
  CryptoErrorCode,
  fromHex,
  isLowS,
  nobleSecp256k1,
  sha256,
  signatureFromDer,
  signatureToDer,
  toHex,
  wasmSecp256k1,
  type Secp256k1,
} from '../../shared/crypto/index.js';
import { LIBSECP256K1_WASM_BASE64, LIBSECP256K1_WASM_SHA256 } from '../../shared/crypto/libsecp256k1-wasm.js';

const G = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';
const ONE = fromHex('00'.repeat(31) + '01');
const ORDER_BYTES = fromHex(CURVE_ORDER.toString(16));

// BOLT 8 Appendix A, initiator successful handshake (act 1 trace): ls, e, rs and ss = ECDH(e.priv, rs.pub).
const bolt8 = {
  lsPriv: '1111111111111111111111111111111111111111111111111111111111111111',
  lsPub: '034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa',
  ePriv: '1212121212121212121212121212121212121212121212121212121212121212',
  ePub: '036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f7',
  rsPub: '028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7',
  ss: '1e2fb3c8fe8fb9f262f649f64d26ecf0f2c0a805a767cf02dc2d77a6ef1fdcc3',
};

/** The typed error's code `fn` throws (fails the test if it throws anything else or nothing). */
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof CryptoError) return error.code;
    throw error;
  }
  throw new Error('expected a CryptoError');
}

const secretArb = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .filter((b) => nobleSecp256k1.isValidSecretKey(b));

describe.each([nobleSecp256k1, wasmSecp256k1])('secp256k1 backend $name', (backend: Secp256k1) => {
  it('derives public keys (1·G and the BOLT 8 keys)', () => {
    expect(toHex(backend.publicKeyFromSecret(ONE))).toBe(G);
    expect(toHex(backend.publicKeyFromSecret(fromHex(bolt8.lsPriv)))).toBe(bolt8.lsPub);
    expect(toHex(backend.publicKeyFromSecret(fromHex(bolt8.ePriv)))).toBe(bolt8.ePub);
  });

  it('computes ECDH as BOLT 8 defines it', () => {
    expect(toHex(backend.ecdh(fromHex(bolt8.ePriv), fromHex(bolt8.rsPub)))).toBe(bolt8.ss);
  });

  it('ECDH is symmetric', () => {
    fc.assert(
      fc.property(secretArb, secretArb, (a, b) => {
        const ab = backend.ecdh(a, backend.publicKeyFromSecret(b));
        const ba = backend.ecdh(b, backend.publicKeyFromSecret(a));
        expect(toHex(ab)).toBe(toHex(ba));
      }),
      { numRuns: 10 },
    );
  });

  it('signs low-S and verifies; a changed digest, key or signature fails', () => {
    fc.assert(
      fc.property(secretArb, fc.uint8Array({ minLength: 32, maxLength: 32 }), (secret, digest) => {
        const sig = backend.sign(digest, secret);
        const pub = backend.publicKeyFromSecret(secret);
        expect(sig.length).toBe(64);
        expect(isLowS(sig)).toBe(true);
        expect(backend.verify(sig, digest, pub)).toBe(true);
        const otherDigest = digest.slice();
        otherDigest[0] = otherDigest[0]! ^ 1;
        expect(backend.verify(sig, otherDigest, pub)).toBe(false);
        const otherSig = sig.slice();
        otherSig[40] = otherSig[40]! ^ 1;
        expect(backend.verify(otherSig, digest, pub)).toBe(false);
        expect(backend.verify(sig, digest, backend.publicKeyFromSecret(backend.secretKeyTweakAdd(secret, ONE)))).toBe(false);
      }),
      { numRuns: 10 },
    );
  });

  it('rejects a high-S signature', () => {
    const digest = sha256(new TextEncoder().encode('high s'));
    const sig = backend.sign(digest, fromHex(bolt8.lsPriv));
    const s = BigInt('0x' + toHex(sig.subarray(32)));
    const high = sig.slice();
    high.set(fromHex((CURVE_ORDER - s).toString(16).padStart(64, '0')), 32);
    expect(isLowS(high)).toBe(false);
    expect(backend.verify(high, digest, fromHex(bolt8.lsPub))).toBe(false);
  });

  it('tweaks keep public and secret sides consistent', () => {
    fc.assert(
      fc.property(secretArb, secretArb, (secret, tweak) => {
        const pub = backend.publicKeyFromSecret(secret);
        expect(toHex(backend.publicKeyTweakAdd(pub, tweak))).toBe(
          toHex(backend.publicKeyFromSecret(backend.secretKeyTweakAdd(secret, tweak))),
        );
        expect(toHex(backend.publicKeyTweakMul(pub, tweak))).toBe(
          toHex(backend.publicKeyFromSecret(backend.secretKeyTweakMul(secret, tweak))),
        );
        expect(toHex(backend.publicKeyAdd(pub, backend.publicKeyFromSecret(tweak)))).toBe(
          toHex(backend.publicKeyFromSecret(backend.secretKeyTweakAdd(secret, tweak))),
        );
      }),
      { numRuns: 10 },
    );
  });

  it('validates keys and throws typed errors on invalid input', () => {
    expect(backend.isValidSecretKey(new Uint8Array(32))).toBe(false);
    expect(backend.isValidSecretKey(ORDER_BYTES)).toBe(false);
    expect(backend.isValidSecretKey(ONE)).toBe(true);
    expect(backend.isValidPublicKey(fromHex(G))).toBe(true);
    expect(backend.isValidPublicKey(fromHex('04' + G.slice(2)))).toBe(false);
    expect(backend.isValidPublicKey(fromHex('02' + 'ff'.repeat(32)))).toBe(false);
    expect(backend.isValidPublicKey(new Uint8Array(32))).toBe(false);
    expect(() => backend.publicKeyFromSecret(new Uint8Array(32))).toThrow(CryptoError);
    expect(() => backend.ecdh(ONE, fromHex('02' + 'ff'.repeat(32)))).toThrow(CryptoError);
    expect(() => backend.publicKeyTweakAdd(fromHex(G), ORDER_BYTES)).toThrow(CryptoError);
    expect(() => backend.sign(new Uint8Array(31), ONE)).toThrow(CryptoError);
    expect(backend.verify(new Uint8Array(64), new Uint8Array(32), fromHex(G))).toBe(false);
    expect(backend.verify(new Uint8Array(63), new Uint8Array(32), fromHex(G))).toBe(false);
  });

  it('the point at infinity is a typed error', () => {
    // G + (n-1)·G = infinity
    const minusOne = fromHex((CURVE_ORDER - 1n).toString(16));
    expect(() => backend.publicKeyTweakAdd(fromHex(G), minusOne)).toThrow(CryptoError);
    expect(() => backend.secretKeyTweakAdd(ONE, minusOne)).toThrow(CryptoError);
    expect(codeOf(() => backend.publicKeyTweakAdd(fromHex(G), minusOne))).toBe(CryptoErrorCode.PointAtInfinity);
    // G + (-G), -G being G with the other parity
    expect(codeOf(() => backend.publicKeyAdd(fromHex(G), fromHex('03' + G.slice(2))))).toBe(CryptoErrorCode.PointAtInfinity);
    expect(codeOf(() => backend.publicKeyTweakMul(fromHex(G), new Uint8Array(32)))).toBe(CryptoErrorCode.PointAtInfinity);
  });

  it('a point off the curve or of the wrong length is an invalid public key in every operation', () => {
    const offCurve = fromHex('02' + 'ff'.repeat(32));
    const uncompressedLength = new Uint8Array(65);
    for (const bad of [offCurve, uncompressedLength, fromHex(G).subarray(1)]) {
      expect(codeOf(() => backend.ecdh(ONE, bad))).toBe(CryptoErrorCode.InvalidPublicKey);
      expect(codeOf(() => backend.publicKeyAdd(fromHex(G), bad))).toBe(CryptoErrorCode.InvalidPublicKey);
      expect(codeOf(() => backend.publicKeyAdd(bad, fromHex(G)))).toBe(CryptoErrorCode.InvalidPublicKey);
      expect(codeOf(() => backend.publicKeyTweakAdd(bad, ONE))).toBe(CryptoErrorCode.InvalidPublicKey);
      expect(codeOf(() => backend.publicKeyTweakMul(bad, ONE))).toBe(CryptoErrorCode.InvalidPublicKey);
      expect(backend.verify(backend.sign(new Uint8Array(32), ONE), new Uint8Array(32), bad)).toBe(false);
    }
    expect(codeOf(() => backend.sign(new Uint8Array(32), new Uint8Array(32)))).toBe(CryptoErrorCode.InvalidSecretKey);
    expect(codeOf(() => backend.ecdh(ORDER_BYTES, fromHex(G)))).toBe(CryptoErrorCode.InvalidSecretKey);
  });
});

describe('secp256k1 backends agree (cross-check)', () => {
  it('produce identical public keys, ECDH secrets, signatures and tweaks', () => {
    fc.assert(
      fc.property(secretArb, secretArb, fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b, digest) => {
        const pubA = nobleSecp256k1.publicKeyFromSecret(a);
        const pubB = nobleSecp256k1.publicKeyFromSecret(b);
        expect(toHex(wasmSecp256k1.publicKeyFromSecret(a))).toBe(toHex(pubA));
        expect(toHex(wasmSecp256k1.ecdh(a, pubB))).toBe(toHex(nobleSecp256k1.ecdh(a, pubB)));
        const sig = nobleSecp256k1.sign(digest, a);
        expect(toHex(wasmSecp256k1.sign(digest, a))).toBe(toHex(sig));
        expect(wasmSecp256k1.verify(sig, digest, pubA)).toBe(true);
        expect(toHex(wasmSecp256k1.publicKeyTweakAdd(pubA, b))).toBe(toHex(nobleSecp256k1.publicKeyTweakAdd(pubA, b)));
        expect(toHex(wasmSecp256k1.publicKeyTweakMul(pubA, b))).toBe(toHex(nobleSecp256k1.publicKeyTweakMul(pubA, b)));
        expect(toHex(wasmSecp256k1.publicKeyAdd(pubA, pubB))).toBe(toHex(nobleSecp256k1.publicKeyAdd(pubA, pubB)));
      }),
      { numRuns: 200 },
    );
  });
});

describe('the embedded libsecp256k1 build (native/libsecp256k1/build.sh)', () => {
  const bytes = base64.decode(LIBSECP256K1_WASM_BASE64);

  it('is the module its header records, byte for byte', () => {
    expect(toHex(sha256(bytes))).toBe(LIBSECP256K1_WASM_SHA256);
  });

  it('imports nothing: no file, clock, randomness or allocator of the host', () => {
    const wasm = (globalThis as unknown as { WebAssembly: { Module: { new (b: Uint8Array): object; imports(m: object): unknown[] } } }).WebAssembly;
    expect(wasm.Module.imports(new wasm.Module(bytes))).toEqual([]);
  });
});

describe('signature forms', () => {
  it('DER round-trips compact signatures, including short r and s', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.nat(31), fc.nat(31), (sig, zr, zs) => {
        sig.fill(0, 0, zr);
        sig.fill(0, 32, 32 + zs);
        sig[31] = sig[31]! | 1;
        sig[63] = sig[63]! | 1;
        expect(toHex(signatureFromDer(signatureToDer(sig)))).toBe(toHex(sig));
      }),
    );
  });

  it('encodes a known signature in strict DER', () => {
    const compact = fromHex('80'.padEnd(64, '0') + '01'.padStart(64, '0'));
    expect(toHex(signatureToDer(compact))).toBe('3026022100' + '80'.padEnd(64, '0') + '020101');
  });

  it('refuses non-strict DER with a typed error', () => {
    for (const bad of ['', '3006020101020101ff', '300602010102020001', '3006020181020101', '3007020101020101', '310602010102010100']) {
      expect(() => signatureFromDer(fromHex(bad))).toThrow(CryptoError);
    }
  });
});
