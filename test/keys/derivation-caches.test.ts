/**
 * The caches that spare repeated EC work (issue 14): derived per-commitment
 * keys, channel signers and per-commitment points are memoized, and a cached
 * answer is the one a fresh derivation gives, handed out as a copy.
 */
import { describe, expect, it } from 'vitest';
import { BoundedCache, CryptoErrorCode, fromHex, nobleSecp256k1, sha256, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import {
  INITIAL_COMMITMENT_INDEX,
  KeysManager,
  deriveChannelKeys,
  derivePrivateKey,
  deriveChannelSeed,
  derivePublicKey,
  deriveRevocationPublicKey,
  perCommitmentPoint,
  perCommitmentSecret,
} from '../../shared/keys/index.js';
import { deriveSecretFromBase } from '../../shared/keys/per-commitment-secret.js';
import { counting } from '../support/counting-secp.js';

// BOLT 3 Appendix E.
const basepoint = fromHex('036d6caac248af96f6afa7f904f550253a0f3ef3f5aa2fe6838a95b216691468e2');
const point = fromHex('025f7117a78150fe2ef97db7cfc83bd57b2e2c0d0dd25eaf467a4a1c2a45ce1486');
const localpubkey = '0235f2dbfaa89b57ec7b055afe29849ef7ddfeb1cefdb9ebdc43f5494984db29e5';
const revocationBasepoint = fromHex('036d6caac248af96f6afa7f904f550253a0f3ef3f5aa2fe6838a95b216691468e2');
const revocationPubkey = '02916e326636d19c33f13e8c0c3a03dd157f332f3e99c317c141dd865eb01f8ff0';

describe('memoized key derivation', () => {
  it('answers a repeat from the cache with the BOLT 3 key, as a copy', () => {
    for (const secp of [wasmSecp256k1, nobleSecp256k1]) {
      const { backend, calls } = counting(secp);
      const first = derivePublicKey(backend, basepoint, point);
      const afterFirst = calls();
      expect(toHex(first)).toBe(localpubkey);
      first.fill(0);
      const again = derivePublicKey(backend, basepoint, point);
      expect(toHex(again)).toBe(localpubkey);
      expect(toHex(deriveRevocationPublicKey(backend, revocationBasepoint, point))).toBe(revocationPubkey);
      const afterRevocation = calls();
      expect(toHex(deriveRevocationPublicKey(backend, revocationBasepoint, point))).toBe(revocationPubkey);
      expect(afterFirst).toBe(1);
      expect(calls()).toBe(afterRevocation);
    }
  });

  it('still rejects a point off the curve, with the same error on both backends', () => {
    const bad = new Uint8Array(33).fill(0xff);
    bad[0] = 2;
    for (const secp of [wasmSecp256k1, nobleSecp256k1]) {
      expect(() => derivePublicKey(secp, bad, point)).toThrow(expect.objectContaining({ code: CryptoErrorCode.InvalidPublicKey }));
      expect(() => deriveRevocationPublicKey(secp, revocationBasepoint, bad)).toThrow(expect.objectContaining({ code: CryptoErrorCode.InvalidPublicKey }));
      expect(() => secp.publicKeyAdd(basepoint, bad)).toThrow(expect.objectContaining({ code: CryptoErrorCode.InvalidPublicKey }));
      expect(() => secp.publicKeyTweakMul(bad, sha256(point))).toThrow(expect.objectContaining({ code: CryptoErrorCode.InvalidPublicKey }));
    }
  });
});

describe('the KeysManager keeps channel signers', () => {
  const seed = sha256(new TextEncoder().encode('derivation caches'));
  const id = sha256(new TextEncoder().encode('keys id'));
  const entropy = { getSecureRandomBytes: () => new Uint8Array(32).fill(7) };

  it('derives a channel once; the signer has the keys a fresh derivation gives', () => {
    const { backend, calls } = counting(wasmSecp256k1);
    const manager = new KeysManager(backend, seed, entropy);
    const before = calls();
    const signer = manager.deriveChannelSigner(100_000n, id);
    const derivation = calls() - before;
    expect(derivation).toBeGreaterThan(0);
    expect(manager.deriveChannelSigner(100_000n, id)).toBe(signer);
    expect(calls() - before).toBe(derivation);
    const keys = deriveChannelKeys(wasmSecp256k1, deriveChannelSeed(seed, id));
    expect(signer.publicKeys).toEqual(keys.publicKeys);
    expect(manager.deriveChannelSigner(200_000n, id).channelValueSatoshis).toBe(200_000n);
    expect(manager.getShutdownScriptpubkey()).toEqual(new KeysManager(wasmSecp256k1, seed, entropy).getShutdownScriptpubkey());
  });

  it('answers per-commitment points from its cache, as copies, and still refuses a bad index', () => {
    const signer = new KeysManager(wasmSecp256k1, seed, entropy).deriveChannelSigner(100_000n, id);
    const commitmentSeed = deriveChannelKeys(wasmSecp256k1, deriveChannelSeed(seed, id)).commitmentSeed;
    for (const index of [INITIAL_COMMITMENT_INDEX, INITIAL_COMMITMENT_INDEX - 1n, INITIAL_COMMITMENT_INDEX]) {
      const expected = perCommitmentPoint(wasmSecp256k1, perCommitmentSecret(commitmentSeed, index));
      const got = signer.perCommitmentPoint(index);
      expect(got).toEqual(expected);
      got.fill(0);
    }
    expect(signer.perCommitmentPoint(INITIAL_COMMITMENT_INDEX)).toEqual(perCommitmentPoint(wasmSecp256k1, perCommitmentSecret(commitmentSeed, INITIAL_COMMITMENT_INDEX)));
    expect(() => signer.perCommitmentPoint(1n << 48n)).toThrow();
    expect(() => signer.perCommitmentPoint(5 as unknown as bigint)).toThrow();
  });
});

describe("the signer's derivations with our secrets", () => {
  const seed = sha256(new TextEncoder().encode('signer derivations'));
  const entropy = { getSecureRandomBytes: () => new Uint8Array(32).fill(9) };

  it('give the keys the public derivations give (reference: the other backend, its own cache)', () => {
    for (let i = 0; i < 4; i++) {
      const signer = new KeysManager(wasmSecp256k1, seed, entropy).deriveChannelSigner(100_000n, sha256(Uint8Array.of(i)));
      const theirPoint = nobleSecp256k1.publicKeyFromSecret(sha256(Uint8Array.of(100 + i)));
      const theirRevocationBasepoint = nobleSecp256k1.publicKeyFromSecret(sha256(Uint8Array.of(200 + i)));
      const keys = signer.publicKeys;
      expect(toHex(signer.htlcPublicKey(theirPoint))).toBe(toHex(derivePublicKey(nobleSecp256k1, keys.htlcBasepoint, theirPoint)));
      expect(toHex(signer.delayedPaymentPublicKey(theirPoint))).toBe(toHex(derivePublicKey(nobleSecp256k1, keys.delayedPaymentBasepoint, theirPoint)));
      expect(toHex(signer.counterpartyRevocationPublicKey(theirPoint))).toBe(toHex(deriveRevocationPublicKey(nobleSecp256k1, keys.revocationBasepoint, theirPoint)));
      for (const index of [INITIAL_COMMITMENT_INDEX, INITIAL_COMMITMENT_INDEX - 7n]) {
        const ours = signer.perCommitmentPoint(index);
        expect(toHex(signer.holderRevocationPublicKey(theirRevocationBasepoint, index))).toBe(toHex(deriveRevocationPublicKey(nobleSecp256k1, theirRevocationBasepoint, ours)));
        // Now cached for the wasm backend: the public derivation answers the same.
        expect(toHex(deriveRevocationPublicKey(wasmSecp256k1, theirRevocationBasepoint, ours))).toBe(toHex(deriveRevocationPublicKey(nobleSecp256k1, theirRevocationBasepoint, ours)));
      }
      expect(toHex(derivePublicKey(wasmSecp256k1, keys.htlcBasepoint, theirPoint))).toBe(toHex(derivePublicKey(nobleSecp256k1, keys.htlcBasepoint, theirPoint)));
    }
  });

  it('answer as the public derivations do for a point off the curve (hashed: the same bytes; multiplied: refused)', () => {
    const signer = new KeysManager(wasmSecp256k1, seed, entropy).deriveChannelSigner(100_000n, sha256(Uint8Array.of(42)));
    const bad = new Uint8Array(33).fill(0xff);
    bad[0] = 3;
    expect(toHex(signer.htlcPublicKey(bad))).toBe(toHex(derivePublicKey(nobleSecp256k1, signer.publicKeys.htlcBasepoint, bad)));
    expect(() => signer.counterpartyRevocationPublicKey(bad)).toThrow();
    expect(() => signer.holderRevocationPublicKey(bad, INITIAL_COMMITMENT_INDEX)).toThrow();
    expect(() => signer.holderRevocationPublicKey(signer.publicKeys.revocationBasepoint, 1n << 48n)).toThrow();
    // The public derivation only hashes the per-commitment point: the same answer as the signer's.
    expect(toHex(derivePublicKey(wasmSecp256k1, signer.publicKeys.htlcBasepoint, bad))).toBe(toHex(derivePublicKey(nobleSecp256k1, signer.publicKeys.htlcBasepoint, bad)));
    expect(() => deriveRevocationPublicKey(wasmSecp256k1, signer.publicKeys.revocationBasepoint, bad)).toThrow(expect.objectContaining({ code: CryptoErrorCode.InvalidPublicKey }));
  });
});

describe("the signer's htlc and delayed keys per per-commitment point", () => {
  const seed = sha256(new TextEncoder().encode('signer htlc keys'));
  const entropy = { getSecureRandomBytes: () => new Uint8Array(32).fill(5) };
  const id = sha256(Uint8Array.of(7));

  it('sign n HTLC transactions of one commitment with one derivation: the signatures of the BOLT 3 key', () => {
    const { backend, calls } = counting(wasmSecp256k1);
    const signer = new KeysManager(backend, seed, entropy).deriveChannelSigner(100_000n, id);
    const keys = deriveChannelKeys(wasmSecp256k1, deriveChannelSeed(seed, id));
    const theirPoint = wasmSecp256k1.publicKeyFromSecret(sha256(Uint8Array.of(1)));
    const digests = [1, 2, 3, 4].map((i) => sha256(Uint8Array.of(i, 9)));
    const htlcSecret = derivePrivateKey(wasmSecp256k1, keys.htlcBaseSecret, theirPoint);
    const delayedSecret = derivePrivateKey(wasmSecp256k1, keys.delayedPaymentBaseSecret, theirPoint);
    expect(signer.signWithHtlcKey(digests[0]!, theirPoint)).toEqual(wasmSecp256k1.sign(digests[0]!, htlcSecret));
    const afterFirst = calls();
    for (const digest of digests.slice(1)) expect(signer.signWithHtlcKey(digest, theirPoint)).toEqual(wasmSecp256k1.sign(digest, htlcSecret));
    // One sign call each, nothing derived or checked again.
    expect(calls() - afterFirst).toBe(digests.length - 1);
    expect(signer.signWithDelayedPaymentKey(digests[0]!, theirPoint)).toEqual(wasmSecp256k1.sign(digests[0]!, delayedSecret));
    const other = wasmSecp256k1.publicKeyFromSecret(sha256(Uint8Array.of(2)));
    expect(signer.signWithHtlcKey(digests[0]!, other)).toEqual(wasmSecp256k1.sign(digests[0]!, derivePrivateKey(wasmSecp256k1, keys.htlcBaseSecret, other)));
  });

  it('still refuse a point off the curve, asked for again', () => {
    const signer = new KeysManager(wasmSecp256k1, seed, entropy).deriveChannelSigner(100_000n, id);
    const bad = new Uint8Array(33).fill(0xff);
    bad[0] = 2;
    const digest = sha256(Uint8Array.of(3));
    for (let i = 0; i < 2; i++) {
      expect(() => signer.signWithHtlcKey(digest, bad)).toThrow();
      expect(() => signer.signWithDelayedPaymentKey(digest, bad)).toThrow();
    }
  });
});

describe('BoundedCache', () => {
  it('keeps at most its capacity, dropping the least recently used', () => {
    const cache = new BoundedCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.getOrSet('c', () => 9)).toBe(3);
    expect(cache.getOrSet('d', () => 4)).toBe(4);
    expect(cache.size).toBe(2);
    expect(() => new BoundedCache(0)).toThrow(RangeError);
  });
});

describe('per-commitment secrets from the cached high bits', () => {
  it('equal generate_from_seed over every bit for indexes sharing and crossing a prefix, in any order', () => {
    const seed = sha256(Uint8Array.of(7));
    // Consecutive commitments from the first, across the 256-index boundaries, then back (the cache already holds prefixes), and far indexes.
    const indexes = [
      ...Array.from({ length: 600 }, (_, i) => INITIAL_COMMITMENT_INDEX - BigInt(i)),
      INITIAL_COMMITMENT_INDEX,
      INITIAL_COMMITMENT_INDEX - 255n,
      INITIAL_COMMITMENT_INDEX - 256n,
      0n,
      1n,
      255n,
      256n,
      0xaaaaaaaaaaaan,
      0x555555555555n,
    ];
    for (const index of indexes) expect(toHex(perCommitmentSecret(seed, index)), `index ${index}`).toBe(toHex(deriveSecretFromBase(seed, 48, index)));
    // Another seed with the same high bits gets its own prefix.
    const other = sha256(Uint8Array.of(8));
    expect(toHex(perCommitmentSecret(other, INITIAL_COMMITMENT_INDEX))).toBe(toHex(deriveSecretFromBase(other, 48, INITIAL_COMMITMENT_INDEX)));
    expect(toHex(perCommitmentSecret(other, INITIAL_COMMITMENT_INDEX))).not.toBe(toHex(perCommitmentSecret(seed, INITIAL_COMMITMENT_INDEX)));
  });

  it('does not let a caller change a cached prefix through the secret it was handed', () => {
    const seed = sha256(Uint8Array.of(9));
    // Low bits all zero: the secret is the cached prefix's value itself.
    const first = perCommitmentSecret(seed, 512n);
    first.fill(0);
    expect(toHex(perCommitmentSecret(seed, 512n))).toBe(toHex(deriveSecretFromBase(seed, 48, 512n)));
  });
});
