/**
 * BIP 32 / BIP 84 derivation against the BIP 84 test vectors
 * (test/vectors/bip84-derivation.json): the root and account extended keys,
 * the first receive keys and addresses, and the first change address, on
 * both secp256k1 backends. Plus the node's own account on each network.
 */
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { fromHex, nobleSecp256k1, sha256, toHex, wasmSecp256k1, type Secp256k1 } from '../../shared/crypto/index.js';
import { deriveWalletSeed } from '../../shared/keys/index.js';
import { Bip84Account, HARDENED, WalletError, derivePath, masterKey, parsePath, type ExtendedKey } from '../../shared/wallet/index.js';
import vector from '../vectors/bip84-derivation.json' with { type: 'json' };

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Base58Check decoding, for reading the vector's zprv and WIF strings. */
function base58check(text: string): Uint8Array {
  let n = 0n;
  for (const c of text) {
    const d = ALPHABET.indexOf(c);
    if (d < 0) throw new Error(`bad base58 character ${c}`);
    n = n * 58n + BigInt(d);
  }
  const hex = n.toString(16);
  const body = fromHex(hex.length % 2 ? `0${hex}` : hex);
  const zeros = text.match(/^1*/)![0].length;
  const bytes = new Uint8Array([...new Uint8Array(zeros), ...body]);
  const payload = bytes.slice(0, -4);
  expect(toHex(sha256(sha256(payload)).slice(0, 4))).toBe(toHex(bytes.slice(-4)));
  return payload;
}

/** The chain code and secret of a serialized extended private key (BIP 32 "Serialization format"). */
function parseXprv(text: string) {
  const b = base58check(text);
  expect(b.length).toBe(78);
  return { depth: b[4], parentFingerprint: toHex(b.slice(5, 9)), childIndex: new DataView(b.buffer).getUint32(9), chainCode: toHex(b.slice(13, 45)), secret: toHex(b.slice(46, 78)) };
}

const summary = (k: ExtendedKey) => ({ depth: k.depth, parentFingerprint: toHex(k.parentFingerprint), childIndex: k.childIndex, chainCode: toHex(k.chainCode), secret: toHex(k.secret) });
const seed = pbkdf2(sha512, new TextEncoder().encode(vector.mnemonic), new TextEncoder().encode('mnemonic'), { c: 2048, dkLen: 64 });

describe.each([wasmSecp256k1, nobleSecp256k1] as Secp256k1[])('BIP 84 vectors ($name)', (secp) => {
  it('derives the root node and the account m/84\'/0\'/0\'', () => {
    const root = masterKey(secp, seed);
    expect(summary(root)).toEqual(parseXprv(vector.rootnode));
    expect(summary(derivePath(secp, root, "m/84'/0'/0'"))).toEqual(parseXprv(vector.account));
  });

  it.each(vector.addresses)('derives $path', (row) => {
    const account = Bip84Account.fromSeed(secp, seed, 'bitcoin');
    const key = account.key(row.keychain as 0 | 1, row.index);
    const wif = base58check(row.privkey);
    expect(toHex(key.secret)).toBe(toHex(wif.slice(1, 33)));
    expect(toHex(key.publicKey)).toBe(row.pubkey);
    expect(account.address(row.keychain as 0 | 1, row.index)).toBe(row.address);
    expect(toHex(derivePath(secp, masterKey(secp, seed), row.path).secret)).toBe(toHex(key.secret));
  });
});

describe('the node wallet account', () => {
  const nodeSeed = fromHex('0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20');
  const walletSeed = deriveWalletSeed(nodeSeed);

  it('uses coin type 1 and the network prefix on the test chains, coin type 0 on bitcoin', () => {
    const regtest = Bip84Account.fromSeed(wasmSecp256k1, walletSeed, 'regtest');
    const signet = Bip84Account.fromSeed(wasmSecp256k1, walletSeed, 'signet');
    const bitcoin = Bip84Account.fromSeed(wasmSecp256k1, walletSeed, 'bitcoin');
    expect(regtest.address(0, 0)).toMatch(/^bcrt1q[02-9ac-hj-np-z]{38}$/);
    expect(signet.address(0, 0)).toMatch(/^tb1q/);
    expect(bitcoin.address(0, 0)).toMatch(/^bc1q/);
    const coin1 = derivePath(wasmSecp256k1, masterKey(wasmSecp256k1, walletSeed), "m/84'/1'/0'/0/0");
    expect(toHex(regtest.key(0, 0).publicKey)).toBe(toHex(coin1.publicKey));
    expect(toHex(bitcoin.key(0, 0).publicKey)).not.toBe(toHex(coin1.publicKey));
  });

  it('finds its keys by script, and rejects addresses of another network', () => {
    const regtest = Bip84Account.fromSeed(wasmSecp256k1, walletSeed, 'regtest');
    const key = regtest.key(1, 7);
    expect(regtest.keyOfScript(key.script)).toEqual(key);
    expect(toHex(regtest.scriptOfAddress(regtest.address(1, 7)))).toBe(toHex(key.script));
    expect(() => regtest.scriptOfAddress(vector.addresses[0]!.address)).toThrow(WalletError);
    expect(() => regtest.scriptOfAddress('not an address')).toThrow(expect.objectContaining({ code: 'invalid-address' }));
  });

  it('parses paths, hardened with \' or h', () => {
    expect(parsePath("m/84'/1h/0'/1/5")).toEqual([84 + HARDENED, 1 + HARDENED, HARDENED, 1, 5]);
    expect(() => parsePath('84/1')).toThrow(RangeError);
    expect(() => parsePath('m/x')).toThrow(RangeError);
  });
});
