import { describe, expect, it } from 'vitest';
import { fromHex, nobleSecp256k1, sha256, toHex, wasmSecp256k1, type Secp256k1 } from '../../shared/crypto/index.js';
import {
  CounterpartyCommitmentSecrets,
  INITIAL_COMMITMENT_INDEX,
  InMemoryChannelSigner,
  KeysErrorCode,
  KeysManager,
  channelKeysFromSecrets,
  derivePublicKey,
  deriveRevocationPublicKey,
  perCommitmentPoint,
  type ChannelSigner,
} from '../../shared/keys/index.js';
import vectors from '../vectors/bolt03-keys-and-secrets.json' with { type: 'json' };

const seed = fromHex('42'.repeat(32));
const digest = sha256(new TextEncoder().encode('a BIP 143 sighash stands here'));
const fixedEntropy = { getSecureRandomBytes: () => fromHex('77'.repeat(32)) };

function signerPair(secp: Secp256k1): { ours: ChannelSigner; theirs: ChannelSigner } {
  const ours = new KeysManager(secp, seed, fixedEntropy).deriveChannelSigner(1_000_000n, fromHex('01'.repeat(32)));
  const theirs = new KeysManager(secp, fromHex('43'.repeat(32)), fixedEntropy).deriveChannelSigner(
    1_000_000n,
    fromHex('02'.repeat(32)),
  );
  return { ours, theirs };
}

describe.each([nobleSecp256k1, wasmSecp256k1])('InMemoryChannelSigner on $name', (secp: Secp256k1) => {
  it('funding and payment signatures verify under the announced keys', () => {
    const { ours } = signerPair(secp);
    const funding = ours.signWithFundingKey(digest);
    expect(secp.verify(funding, digest, ours.publicKeys.fundingPubkey)).toBe(true);
    expect(secp.verify(funding, digest, ours.publicKeys.paymentBasepoint)).toBe(false);
    const payment = ours.signWithPaymentKey(digest);
    expect(secp.verify(payment, digest, ours.publicKeys.paymentBasepoint)).toBe(true);
  });

  it('HTLC and delayed signatures verify under the BOLT 3 derived keys, for our and their per-commitment points', () => {
    const { ours, theirs } = signerPair(secp);
    for (const point of [
      ours.perCommitmentPoint(INITIAL_COMMITMENT_INDEX),
      ours.perCommitmentPoint(INITIAL_COMMITMENT_INDEX - 7n),
      theirs.perCommitmentPoint(INITIAL_COMMITMENT_INDEX - 1n),
    ]) {
      const htlcKey = derivePublicKey(secp, ours.publicKeys.htlcBasepoint, point);
      const htlcSig = ours.signWithHtlcKey(digest, point);
      expect(secp.verify(htlcSig, digest, htlcKey)).toBe(true);
      expect(secp.verify(htlcSig, digest, ours.publicKeys.htlcBasepoint)).toBe(false);
      const delayedKey = derivePublicKey(secp, ours.publicKeys.delayedPaymentBasepoint, point);
      expect(secp.verify(ours.signWithDelayedPaymentKey(digest, point), digest, delayedKey)).toBe(true);
    }
  });

  it('justice: the revocation signature verifies under the revocationpubkey of their revoked commitment', () => {
    const { ours, theirs } = signerPair(secp);
    const index = INITIAL_COMMITMENT_INDEX - 2n;
    const theirPoint = theirs.perCommitmentPoint(index);
    const revocationKey = deriveRevocationPublicKey(secp, ours.publicKeys.revocationBasepoint, theirPoint);
    const theirSecret = theirs.releaseCommitmentSecret(index);
    expect(perCommitmentPoint(secp, theirSecret)).toEqual(theirPoint);
    const signature = ours.signWithRevocationKey(digest, theirSecret);
    expect(secp.verify(signature, digest, revocationKey)).toBe(true);
    const otherSecret = theirs.releaseCommitmentSecret(index + 1n);
    expect(secp.verify(ours.signWithRevocationKey(digest, otherSecret), digest, revocationKey)).toBe(false);
  });

  it('signs with the BOLT 3 Appendix E keys: localprivkey and revocationprivkey', () => {
    const kd = vectors.key_derivation;
    const base = fromHex(kd.base_secret);
    const keys = channelKeysFromSecrets(secp, {
      fundingSecret: fromHex('01'.repeat(32)),
      revocationBaseSecret: base,
      paymentBaseSecret: fromHex('02'.repeat(32)),
      delayedPaymentBaseSecret: base,
      htlcBaseSecret: base,
      commitmentSeed: fromHex('03'.repeat(32)),
    });
    expect(toHex(keys.publicKeys.htlcBasepoint)).toBe(kd.base_point);
    const signer = new InMemoryChannelSigner(secp, keys, fromHex('04'.repeat(32)), 10_000n);
    const localpubkey = fromHex(kd.tests.find((t) => t.result_name === 'localpubkey')!.result);
    const revocationpubkey = fromHex(kd.tests.find((t) => t.result_name === 'revocationpubkey')!.result);
    const point = fromHex(kd.per_commitment_point);
    expect(secp.verify(signer.signWithHtlcKey(digest, point), digest, localpubkey)).toBe(true);
    expect(secp.verify(signer.signWithDelayedPaymentKey(digest, point), digest, localpubkey)).toBe(true);
    const justice = signer.signWithRevocationKey(digest, fromHex(kd.per_commitment_secret));
    expect(secp.verify(justice, digest, revocationpubkey)).toBe(true);
  });

  it('released secrets match the points and are accepted in order by the counterparty store', () => {
    const { ours } = signerPair(secp);
    const store = CounterpartyCommitmentSecrets.empty();
    for (let i = 0n; i < 20n; i++) {
      const index = INITIAL_COMMITMENT_INDEX - i;
      const secret = ours.releaseCommitmentSecret(index);
      expect(secp.publicKeyFromSecret(secret)).toEqual(ours.perCommitmentPoint(index));
      expect(store.provide(index, secret)).toEqual({ ok: true });
    }
    expect(store.get(INITIAL_COMMITMENT_INDEX - 5n)).toEqual(ours.releaseCommitmentSecret(INITIAL_COMMITMENT_INDEX - 5n));
  });

  it('exposes no secret: only the id, the value and public keys are readable', () => {
    const { ours } = signerPair(secp);
    expect(Object.keys(ours).sort()).toEqual(['channelKeysId', 'channelValueSatoshis', 'publicKeys']);
    for (const key of Object.values(ours.publicKeys)) expect(secp.isValidPublicKey(key)).toBe(true);
  });

  it('rejects wrong-length and invalid inputs with typed errors', () => {
    const { ours } = signerPair(secp);
    const code = (c: string) => expect.objectContaining({ code: c });
    const point = ours.perCommitmentPoint(INITIAL_COMMITMENT_INDEX);
    const short = new Uint8Array(31);
    expect(() => ours.signWithFundingKey(short)).toThrow(code(KeysErrorCode.InvalidLength));
    expect(() => ours.signWithPaymentKey(new Uint8Array(33))).toThrow(code(KeysErrorCode.InvalidLength));
    expect(() => ours.signWithHtlcKey(short, point)).toThrow(code(KeysErrorCode.InvalidLength));
    expect(() => ours.signWithHtlcKey(digest, point.subarray(1))).toThrow(code(KeysErrorCode.InvalidLength));
    expect(() => ours.signWithDelayedPaymentKey(digest, new Uint8Array(65))).toThrow(code(KeysErrorCode.InvalidLength));
    expect(() => ours.signWithHtlcKey(digest, fromHex('02' + 'ff'.repeat(32)))).toThrow(
      code(KeysErrorCode.InvalidPublicKey),
    );
    expect(() => ours.signWithRevocationKey(digest, short)).toThrow(code(KeysErrorCode.InvalidLength));
    expect(() => ours.signWithRevocationKey(digest, new Uint8Array(32))).toThrow(code(KeysErrorCode.InvalidSecretKey));
    expect(() => ours.signWithRevocationKey(short, fromHex('05'.repeat(32)))).toThrow(code(KeysErrorCode.InvalidLength));
    expect(() => ours.perCommitmentPoint(1n << 48n)).toThrow(code(KeysErrorCode.InvalidIndex));
    expect(() => ours.releaseCommitmentSecret(-1n)).toThrow(code(KeysErrorCode.InvalidIndex));
    expect(() => channelKeysFromSecrets(secp, {
      fundingSecret: short,
      revocationBaseSecret: digest,
      paymentBaseSecret: digest,
      delayedPaymentBaseSecret: digest,
      htlcBaseSecret: digest,
      commitmentSeed: digest,
    })).toThrow(code(KeysErrorCode.InvalidLength));
  });
});
