import { describe, expect, it } from 'vitest';
import { fromHex, nobleSecp256k1, toHex, wasmSecp256k1, type Secp256k1 } from '../../shared/crypto/index.js';
import {
  KeysError,
  KeysErrorCode,
  derivePrivateKey,
  derivePublicKey,
  deriveRevocationPrivateKey,
  deriveRevocationPublicKey,
  perCommitmentPoint,
  perCommitmentSecret,
} from '../../shared/keys/index.js';
import vectors from '../vectors/bolt03-keys-and-secrets.json' with { type: 'json' };

const kd = vectors.key_derivation;
const baseSecret = fromHex(kd.base_secret);
const secretOfCommitment = fromHex(kd.per_commitment_secret);
const basepoint = fromHex(kd.base_point);
const pointOfCommitment = fromHex(kd.per_commitment_point);

function expected(resultName: string): string {
  const test = kd.tests.find((t) => t.result_name === resultName);
  if (!test) throw new Error(`vector ${resultName} missing`);
  return test.result;
}

describe.each([nobleSecp256k1, wasmSecp256k1])('BOLT 3 Appendix E key derivation on $name', (secp: Secp256k1) => {
  it('has the four vectors this suite checks', () => {
    expect(kd.tests.map((t) => t.result_name).sort()).toEqual(
      ['localprivkey', 'localpubkey', 'revocationprivkey', 'revocationpubkey'],
    );
  });

  it('base secret and per-commitment secret give the printed points', () => {
    expect(toHex(secp.publicKeyFromSecret(baseSecret))).toBe(kd.base_point);
    expect(toHex(perCommitmentPoint(secp, secretOfCommitment))).toBe(kd.per_commitment_point);
  });

  it('localpubkey', () => {
    expect(toHex(derivePublicKey(secp, basepoint, pointOfCommitment))).toBe(expected('localpubkey'));
  });

  it('localprivkey, and it matches localpubkey', () => {
    const priv = derivePrivateKey(secp, baseSecret, pointOfCommitment);
    expect(toHex(priv)).toBe(expected('localprivkey'));
    expect(toHex(secp.publicKeyFromSecret(priv))).toBe(expected('localpubkey'));
  });

  it('revocationpubkey', () => {
    expect(toHex(deriveRevocationPublicKey(secp, basepoint, pointOfCommitment))).toBe(expected('revocationpubkey'));
  });

  it('revocationprivkey, and it matches revocationpubkey', () => {
    const priv = deriveRevocationPrivateKey(secp, baseSecret, secretOfCommitment);
    expect(toHex(priv)).toBe(expected('revocationprivkey'));
    expect(toHex(secp.publicKeyFromSecret(priv))).toBe(expected('revocationpubkey'));
  });

  it('rejects wrong-length inputs with a typed error', () => {
    const short = new Uint8Array(32);
    for (const call of [
      () => derivePublicKey(secp, short, pointOfCommitment),
      () => derivePublicKey(secp, basepoint, short),
      () => derivePrivateKey(secp, basepoint, pointOfCommitment),
      () => deriveRevocationPublicKey(secp, basepoint, new Uint8Array(65)),
      () => deriveRevocationPrivateKey(secp, baseSecret, pointOfCommitment),
      () => perCommitmentPoint(secp, new Uint8Array(31)),
    ]) {
      expect(call).toThrow(KeysError);
      expect(call).toThrow(expect.objectContaining({ code: KeysErrorCode.InvalidLength }));
    }
  });
});

describe('BOLT 3 Appendix D per-commitment secret generation', () => {
  it('has the five vectors', () => {
    expect(vectors.per_commitment_secret_generation).toHaveLength(5);
  });

  it.each(vectors.per_commitment_secret_generation)('$name', (v) => {
    expect(BigInt(v.I_as_printed)).toBe(BigInt(v.I));
    expect(toHex(perCommitmentSecret(fromHex(v.seed), BigInt(v.I)))).toBe(v.output);
  });

  it('rejects an index outside [0, 2^48) and a seed that is not 32 bytes', () => {
    const seed = new Uint8Array(32);
    expect(() => perCommitmentSecret(seed, 1n << 48n)).toThrow(expect.objectContaining({ code: KeysErrorCode.InvalidIndex }));
    expect(() => perCommitmentSecret(seed, -1n)).toThrow(expect.objectContaining({ code: KeysErrorCode.InvalidIndex }));
    expect(() => perCommitmentSecret(new Uint8Array(31), 0n)).toThrow(
      expect.objectContaining({ code: KeysErrorCode.InvalidLength }),
    );
  });
});
