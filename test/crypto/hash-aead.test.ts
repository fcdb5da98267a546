import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  aeadDecrypt,
  aeadDecryptInto,
  aeadEncrypt,
  aeadEncryptInto,
  equalConstantTime,
  fromHex,
  hash160,
  hkdfSha256,
  hmacSha256,
  sha256,
  toHex,
} from '../../shared/crypto/index.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('hashes', () => {
  it('sha256, hash160 and HMAC-SHA256 match published vectors', () => {
    expect(toHex(sha256(utf8('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    // hash160 of the generator point (the P2WPKH program of secret key 1)
    expect(toHex(hash160(fromHex('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798')))).toBe(
      '751e76e8199196d454941c45d1b3a323f1433bd6',
    );
    // RFC 4231 test case 2
    expect(toHex(hmacSha256(utf8('Jefe'), utf8('what do ya want for nothing?')))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('HKDF as BOLT 8 uses it (Appendix A, act 1: HKDF(ck, ss) -> ck, temp_k1)', () => {
    const out = hkdfSha256(
      fromHex('2640f52eebcd9e882958951c794250eedb28002c05d7dc2ea0f195406042caf1'),
      fromHex('1e2fb3c8fe8fb9f262f649f64d26ecf0f2c0a805a767cf02dc2d77a6ef1fdcc3'),
      64,
    );
    expect(toHex(out)).toBe(
      'b61ec1191326fa240decc9564369dbb3ae2b34341d1e11ad64ed89f89180582f' +
        'e68f69b7f096d7917245f5e5cf8ae1595febe4d4644333c99f9c4a1282031c9f',
    );
  });
});

describe('chacha20-poly1305', () => {
  const key = fromHex('e68f69b7f096d7917245f5e5cf8ae1595febe4d4644333c99f9c4a1282031c9f');
  const nonce = new Uint8Array(12);
  const ad = fromHex('9e0e7de8bb75554f21db034633de04be41a2b8a18da7a319a03c803bf02b396c');

  it('matches BOLT 8 act 1 (empty plaintext, AD = h)', () => {
    expect(toHex(aeadEncrypt(key, nonce, ad, new Uint8Array(0)))).toBe('0df6086551151f58b8afe6c195782c6a');
  });

  it('decrypts what it encrypts and refuses any changed byte', () => {
    const sealed = aeadEncrypt(key, nonce, ad, utf8('hello'));
    expect(aeadDecrypt(key, nonce, ad, sealed)).toEqual(utf8('hello'));
    for (let i = 0; i < sealed.length; i++) {
      const bad = sealed.slice();
      bad[i] = bad[i]! ^ 0x01;
      expect(aeadDecrypt(key, nonce, ad, bad)).toBeNull();
    }
    expect(aeadDecrypt(key, nonce, new Uint8Array(0), sealed)).toBeNull();
    expect(aeadDecrypt(key, nonce, ad, sealed.subarray(0, 10))).toBeNull();
  });

  it('the *Into variants write the same bytes into a caller buffer (a view inside a larger one)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 20 }), (plaintext, at) => {
        const frame = new Uint8Array(at + plaintext.length + 16 + 3);
        const view = frame.subarray(at, at + plaintext.length + 16);
        aeadEncryptInto(key, nonce, ad, plaintext, view);
        expect(toHex(view)).toBe(toHex(aeadEncrypt(key, nonce, ad, plaintext)));
        const opened = new Uint8Array(plaintext.length);
        expect(aeadDecryptInto(key, nonce, ad, view, opened)).toBe(true);
        expect(toHex(opened)).toBe(toHex(plaintext));
        view[0] = view[0]! ^ 0x80;
        expect(aeadDecryptInto(key, nonce, ad, view, opened)).toBe(false);
      }),
      { numRuns: 50 },
    );
    expect(() => aeadEncryptInto(key, nonce, ad, utf8('hi'), new Uint8Array(17))).toThrow(/output/);
    expect(aeadDecryptInto(key, nonce, ad, new Uint8Array(15), new Uint8Array(0))).toBe(false);
  });
});

describe('constant-time comparison', () => {
  it('compares equal and unequal arrays', () => {
    expect(equalConstantTime(fromHex('0102'), fromHex('0102'))).toBe(true);
    expect(equalConstantTime(fromHex('0102'), fromHex('0103'))).toBe(false);
    expect(equalConstantTime(fromHex('0102'), fromHex('010203'))).toBe(false);
    expect(equalConstantTime(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});
