import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { recoverPublicKey } from '@noble/secp256k1';
import { describe, expect, it } from 'vitest';
import {
  concatBytes,
  fromHex,
  nobleSecp256k1,
  sha256,
  toHex,
  wasmSecp256k1,
  type Secp256k1,
} from '../../shared/crypto/index.js';
import {
  INITIAL_COMMITMENT_INDEX,
  InMemoryNodeSigner,
  KEY_DERIVATION_VERSION,
  KeysErrorCode,
  KeysManager,
  deriveChannelKeys,
  deriveChannelSeed,
  deriveInboundPaymentKey,
  deriveNodeSecret,
  deriveWalletSeed,
  deriveShutdownSecret,
  perCommitmentSecret,
  type EntropySource,
} from '../../shared/keys/index.js';
import { firstValidSecret } from '../../shared/keys/seed-derivation.js';
import bolt11 from '../vectors/bolt11-invoices.json' with { type: 'json' };
import ours from '../vectors/stormcell-keys-v1.json' with { type: 'json' };

/** A deterministic entropy source for tests: SHA256 of a label and a counter. */
function countingEntropy(label: string): EntropySource {
  let counter = 0;
  return {
    getSecureRandomBytes: () => sha256(concatBytes(new TextEncoder().encode(label), Uint8Array.of(counter++))),
  };
}

const seed = fromHex(ours.seed);
const CURVE_ORDER_HEX = 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141';

describe.each([nobleSecp256k1, wasmSecp256k1])('node and channel keys from a seed on $name', (secp: Secp256k1) => {
  it('the docs/keys.md vector: seed 0x01..0x20 gives the documented node id, wallet seed and channel keys', () => {
    expect(KEY_DERIVATION_VERSION).toBe(1);
    const manager = new KeysManager(secp, seed, countingEntropy('unused'));
    expect(toHex(deriveNodeSecret(secp, seed))).toBe(ours.node_secret);
    expect(toHex(manager.getNodeId())).toBe(ours.node_id);
    expect(toHex(manager.walletSeed())).toBe(ours.wallet_seed);
    expect(toHex(deriveWalletSeed(seed))).toBe(ours.wallet_seed);
    expect(toHex(deriveShutdownSecret(secp, seed))).toBe(ours.shutdown_secret);
    expect(toHex(secp.publicKeyFromSecret(deriveShutdownSecret(secp, seed)))).toBe(ours.shutdown_pubkey);
    expect(toHex(manager.getShutdownScriptpubkey())).toBe(ours.shutdown_scriptpubkey);

    const channel = ours.channel;
    const id = fromHex(channel.channel_keys_id);
    expect(toHex(deriveChannelSeed(seed, id))).toBe(channel.channel_seed);
    const keys = deriveChannelKeys(secp, fromHex(channel.channel_seed));
    expect(toHex(keys.commitmentSeed)).toBe(channel.commitment_seed);
    const signer = manager.deriveChannelSigner(100_000n, id);
    expect(toHex(signer.publicKeys.fundingPubkey)).toBe(channel.funding_pubkey);
    expect(toHex(signer.publicKeys.revocationBasepoint)).toBe(channel.revocation_basepoint);
    expect(toHex(signer.publicKeys.paymentBasepoint)).toBe(channel.payment_basepoint);
    expect(toHex(signer.publicKeys.delayedPaymentBasepoint)).toBe(channel.delayed_payment_basepoint);
    expect(toHex(signer.publicKeys.htlcBasepoint)).toBe(channel.htlc_basepoint);
    expect(signer.releaseCommitmentSecret(INITIAL_COMMITMENT_INDEX)).toEqual(
      perCommitmentSecret(keys.commitmentSeed, INITIAL_COMMITMENT_INDEX),
    );
  });

  it('the node secret is the HMAC the documentation spells out byte by byte', () => {
    expect(toHex(hmac(nobleSha256, seed, fromHex(ours.node_hmac_input)))).toBe(ours.node_secret);
    expect(toHex(hmac(nobleSha256, seed, fromHex(ours.shutdown_hmac_input)))).toBe(ours.shutdown_secret);
  });

  it('the same seed always gives the same node id; another seed another one', () => {
    const a = new KeysManager(secp, seed, countingEntropy('a'));
    const b = new KeysManager(secp, seed.slice(), countingEntropy('b'));
    expect(a.getNodeId()).toEqual(b.getNodeId());
    expect(InMemoryNodeSigner.fromSeed(secp, seed).getNodeId()).toEqual(a.getNodeId());
    const other = seed.slice();
    other[0] = other[0]! ^ 1;
    expect(new KeysManager(secp, other, countingEntropy('a')).getNodeId()).not.toEqual(a.getNodeId());
  });

  it('an invalid candidate scalar is skipped with the next counter', () => {
    const valid = fromHex('01'.repeat(32));
    const candidates = [fromHex(CURVE_ORDER_HEX), new Uint8Array(32), fromHex('ff'.repeat(32)), valid];
    const seen: number[] = [];
    const picked = firstValidSecret(secp, (counter) => {
      seen.push(counter);
      return candidates[counter]!;
    });
    expect(picked).toEqual(valid);
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(() => firstValidSecret(secp, () => new Uint8Array(32))).toThrow(
      expect.objectContaining({ code: KeysErrorCode.NoValidSecret }),
    );
  });

  it('channel keys ids come from the entropy source and re-derive identical signers', () => {
    const manager = new KeysManager(secp, seed, countingEntropy('ids'));
    const id1 = manager.generateChannelKeysId(false, 50_000n, 1n);
    const id2 = manager.generateChannelKeysId(true, 50_000n, 1n);
    const expectedEntropy = countingEntropy('ids');
    expect(id1).toEqual(expectedEntropy.getSecureRandomBytes());
    expect(id2).toEqual(expectedEntropy.getSecureRandomBytes());

    const first = manager.deriveChannelSigner(50_000n, id1);
    const again = new KeysManager(secp, seed, countingEntropy('other')).deriveChannelSigner(50_000n, id1);
    expect(again.publicKeys).toEqual(first.publicKeys);
    expect(again.perCommitmentPoint(INITIAL_COMMITMENT_INDEX - 3n)).toEqual(
      first.perCommitmentPoint(INITIAL_COMMITMENT_INDEX - 3n),
    );
    expect(again.channelKeysId).toEqual(id1);
    expect(again.channelValueSatoshis).toBe(50_000n);

    const second = manager.deriveChannelSigner(50_000n, id2);
    const firstKeys = Object.values(first.publicKeys).map(toHex);
    const secondKeys = Object.values(second.publicKeys).map(toHex);
    expect(new Set([...firstKeys, ...secondKeys]).size).toBe(10);
    expect(first.releaseCommitmentSecret(INITIAL_COMMITMENT_INDEX)).not.toEqual(
      second.releaseCommitmentSecret(INITIAL_COMMITMENT_INDEX),
    );
  });

  it('the wallet seed and the node secret differ from every channel secret', () => {
    const keys = deriveChannelKeys(secp, deriveChannelSeed(seed, fromHex(ours.channel.channel_keys_id)));
    const channelSecrets = [
      keys.fundingSecret,
      keys.revocationBaseSecret,
      keys.paymentBaseSecret,
      keys.delayedPaymentBaseSecret,
      keys.htlcBaseSecret,
      keys.commitmentSeed,
    ].map(toHex);
    const all = [...channelSecrets, toHex(deriveWalletSeed(seed)), toHex(deriveNodeSecret(secp, seed)), toHex(deriveShutdownSecret(secp, seed))];
    expect(new Set(all).size).toBe(all.length);
  });

  it('the inbound payment key is stable across managers, is the documented HMAC, and differs from every other key', () => {
    const first = new KeysManager(secp, seed, countingEntropy('a'));
    const again = new KeysManager(secp, seed, countingEntropy('b'));
    const key = first.inboundPaymentKey();
    expect(key).toHaveLength(32);
    expect(toHex(again.inboundPaymentKey())).toBe(toHex(key));
    expect(toHex(deriveInboundPaymentKey(seed))).toBe(toHex(key));
    // bytes(seed, "stormcell/v1/inbound_payment", "") of docs/keys.md, spelled out.
    const label = new TextEncoder().encode('stormcell/v1/inbound_payment');
    const expected = hmac(nobleSha256, seed, concatBytes(Uint8Array.of(label.length), label, Uint8Array.of(0, 0), Uint8Array.of(0)));
    expect(toHex(key)).toBe(toHex(expected));
    const others = [deriveNodeSecret(secp, seed), deriveWalletSeed(seed), deriveShutdownSecret(secp, seed), deriveChannelSeed(seed, fromHex(ours.channel.channel_keys_id))].map(toHex);
    expect(others).not.toContain(toHex(key));
    const otherSeed = seed.map((b) => b ^ 0xff);
    expect(toHex(new KeysManager(secp, otherSeed, countingEntropy('c')).inboundPaymentKey())).not.toBe(toHex(key));
    // a copy: changing it does not change the next answer
    key.fill(0);
    expect(toHex(first.inboundPaymentKey())).toBe(toHex(expected));
  });

  it('ECDH matches the peer side, with and without a tweak', () => {
    const node = InMemoryNodeSigner.fromSeed(secp, seed);
    const peerSecret = fromHex('12'.repeat(32));
    const peerPub = secp.publicKeyFromSecret(peerSecret);
    expect(node.ecdh(peerPub)).toEqual(secp.ecdh(peerSecret, node.getNodeId()));
    const tweak = fromHex('34'.repeat(32));
    expect(node.ecdh(peerPub, tweak)).toEqual(
      secp.ecdh(secp.secretKeyTweakMul(peerSecret, tweak), node.getNodeId()),
    );
    expect(node.ecdh(peerPub, tweak)).not.toEqual(node.ecdh(peerPub));
  });

  it('signs gossip digests verifiable under the node id', () => {
    const manager = new KeysManager(secp, seed, countingEntropy('g'));
    const digest = sha256(sha256(new TextEncoder().encode('channel_update body')));
    const signature = manager.signGossipMessage(digest);
    expect(signature).toHaveLength(64);
    expect(secp.verify(signature, digest, manager.getNodeId())).toBe(true);
    expect(secp.verify(signature, sha256(digest), manager.getNodeId())).toBe(false);
  });

  it('signs the BOLT 11 example invoices: the spec signature and recovery id', () => {
    const node = new InMemoryNodeSigner(secp, fromHex(bolt11.priv_key));
    expect(toHex(node.getNodeId())).toBe(bolt11.payee_pubkey);
    const lowS = bolt11.valid.filter((v) => !v.decoded.signature_is_high_s);
    expect(lowS.length).toBe(15);
    for (const invoice of lowS) {
      const digest = fromHex(invoice.decoded.signing_hash);
      expect(toHex(sha256(fromHex(invoice.decoded.signing_data_hex)))).toBe(invoice.decoded.signing_hash);
      const signed = node.signInvoice(digest);
      expect(toHex(signed.signature)).toBe(invoice.decoded.signature);
      expect(signed.recoveryId).toBe(invoice.decoded.recovery_flag);
    }
  });

  it('invoice recovery ids recover the node id for many digests', () => {
    const node = InMemoryNodeSigner.fromSeed(secp, seed);
    const ids = new Set<number>();
    for (let i = 0; i < 16; i++) {
      const digest = sha256(Uint8Array.of(i));
      const { signature, recoveryId } = node.signInvoice(digest);
      ids.add(recoveryId);
      const recovered = recoverPublicKey(Uint8Array.of(recoveryId, ...signature), digest, { prehash: false });
      expect(toHex(recovered)).toBe(toHex(node.getNodeId()));
    }
    expect(ids).toEqual(new Set([0, 1]));
  });

  it('rejects wrong-length and invalid inputs with typed errors', () => {
    const entropy = countingEntropy('x');
    const code = (c: string) => expect.objectContaining({ code: c });
    expect(() => new KeysManager(secp, new Uint8Array(31), entropy)).toThrow(code(KeysErrorCode.InvalidLength));
    expect(() => deriveNodeSecret(secp, new Uint8Array(33))).toThrow(code(KeysErrorCode.InvalidLength));
    expect(() => deriveChannelSeed(seed, new Uint8Array(16))).toThrow(code(KeysErrorCode.InvalidLength));
    const manager = new KeysManager(secp, seed, entropy);
    expect(() => manager.deriveChannelSigner(1n, new Uint8Array(31))).toThrow(code(KeysErrorCode.InvalidLength));
    expect(() => manager.deriveChannelSigner(-1n, new Uint8Array(32))).toThrow(code(KeysErrorCode.InvalidValue));
    expect(() => manager.signGossipMessage(new Uint8Array(31))).toThrow(code(KeysErrorCode.InvalidLength));
    expect(() => manager.signInvoice(new Uint8Array(33))).toThrow(code(KeysErrorCode.InvalidLength));
    expect(() => manager.ecdh(new Uint8Array(32))).toThrow(code(KeysErrorCode.InvalidLength));
    const offCurve = fromHex('02' + 'ff'.repeat(32));
    expect(() => manager.ecdh(offCurve)).toThrow(code(KeysErrorCode.InvalidPublicKey));
    expect(() => manager.ecdh(manager.getNodeId(), new Uint8Array(32))).toThrow(code(KeysErrorCode.InvalidSecretKey));
    expect(() => new InMemoryNodeSigner(secp, new Uint8Array(32))).toThrow(code(KeysErrorCode.InvalidSecretKey));
    const shortEntropy = new KeysManager(secp, seed, { getSecureRandomBytes: () => new Uint8Array(16) });
    expect(() => shortEntropy.generateChannelKeysId(false, 1n, 0n)).toThrow(code(KeysErrorCode.InvalidLength));
  });
});
