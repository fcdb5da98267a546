import { describe, expect, it } from 'vitest';
import { chacha20, chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import {
  aeadDecrypt,
  aeadDecryptInto,
  aeadEncrypt,
  aeadEncryptInto,
  chacha20Xor,
  equalConstantTime,
  fromHex,
  hash160,
  hkdfSha256,
  hmacSha256,
  sha256,
  sha256Chunks,
  toHex,
} from '../../shared/crypto/index.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('hashes', () => {
  it('sha256Chunks hashes its chunks as one buffer', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }), (chunks) => {
        const joined = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
        let at = 0;
        for (const c of chunks) {
          joined.set(c, at);
          at += c.length;
        }
        expect(toHex(sha256Chunks(chunks))).toBe(toHex(nobleSha256(joined)));
      }),
    );
  });

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

  it('sha256 and hmacSha256 (Node crypto) give the bytes @noble/hashes gives, as plain Uint8Arrays of their own', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 100 }), (data, key) => {
        const digest = sha256(data);
        const mac = hmacSha256(key, data);
        expect(toHex(digest)).toBe(toHex(nobleSha256(data)));
        expect(toHex(mac)).toBe(toHex(hmac(nobleSha256, key, data)));
        for (const out of [digest, mac]) {
          expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype);
          expect(out.length).toBe(32);
          expect(out.buffer.byteLength).toBe(32);
        }
        // A caller changing its digest changes nothing else.
        const again = sha256(data);
        digest[0] = digest[0]! ^ 0xff;
        expect(toHex(sha256(data))).toBe(toHex(again));
      }),
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

/** Every AEAD call gives the bytes of @noble/ciphers' chacha20poly1305 for these inputs (sealed and opened, new and into a buffer); returns the sealed bytes. */
function expectNobleBytes(k: Uint8Array, n: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const reference = chacha20poly1305(k, n, ad).encrypt(plaintext);
  expect(toHex(aeadEncrypt(k, n, ad, plaintext))).toBe(toHex(reference));
  const into = new Uint8Array(plaintext.length + 16);
  aeadEncryptInto(k, n, ad, plaintext, into);
  expect(toHex(into)).toBe(toHex(reference));
  expect(toHex(aeadDecrypt(k, n, ad, reference)!)).toBe(toHex(plaintext));
  const opened = new Uint8Array(plaintext.length);
  expect(aeadDecryptInto(k, n, ad, reference, opened)).toBe(true);
  expect(toHex(opened)).toBe(toHex(plaintext));
  return reference;
}

describe('chacha20-poly1305 small-input path', () => {
  const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

  it('gives the bytes of the general AEAD for every AD and plaintext length across the 64-byte threshold', () => {
    fc.assert(
      fc.property(bytes(32), bytes(12), fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 80 }), (k, n, ad, plaintext) => {
        expectNobleBytes(k, n, ad, plaintext);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses any flipped bit of ciphertext, tag, AD or nonce', () => {
    fc.assert(
      fc.property(bytes(32), bytes(12), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), fc.nat(), (k, n, ad, plaintext, at) => {
        const sealed = aeadEncrypt(k, n, ad, plaintext);
        const bad = sealed.slice();
        bad[at % bad.length] = bad[at % bad.length]! ^ (1 << at % 8);
        expect(aeadDecrypt(k, n, ad, bad)).toBeNull();
        const opened = new Uint8Array(plaintext.length);
        expect(aeadDecryptInto(k, n, ad, bad, opened)).toBe(false);
        const otherNonce = n.slice();
        otherNonce[at % 12] = otherNonce[at % 12]! ^ 1;
        expect(aeadDecrypt(k, otherNonce, ad, sealed)).toBeNull();
        if (ad.length > 0) {
          const otherAd = ad.slice();
          otherAd[at % ad.length] = otherAd[at % ad.length]! ^ 1;
          expect(aeadDecrypt(k, n, otherAd, sealed)).toBeNull();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('matches RFC 8439 §2.8.2 (114-byte plaintext, general path) and its first 64 bytes (small path)', () => {
    const k = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const n = fromHex('070000004041424344454647');
    const ad = fromHex('50515253c0c1c2c3c4c5c6c7');
    const plaintext = utf8(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const sealed = aeadEncrypt(k, n, ad, plaintext);
    expect(toHex(sealed)).toBe(
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116' +
        '1ae10b594f09e26a7e902ecbd0600691',
    );
    // The keystream part is the same for a prefix; the small path must agree on it.
    expect(toHex(aeadEncrypt(k, n, ad, plaintext.subarray(0, 64)).subarray(0, 64))).toBe(toHex(sealed.subarray(0, 64)));
  });
});

describe('chacha20-poly1305 and chacha20 through Node crypto (inputs above 64 bytes)', () => {
  const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

  it('give the bytes of @noble/ciphers for messages up to BOLT 8 sizes, and refuse any flipped bit', () => {
    fc.assert(
      fc.property(bytes(32), bytes(12), fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ minLength: 65, maxLength: 3000 }), fc.nat(), (k, n, ad, plaintext, at) => {
        const reference = expectNobleBytes(k, n, ad, plaintext);
        const bad = reference.slice();
        bad[at % bad.length] = bad[at % bad.length]! ^ (1 << at % 8);
        expect(aeadDecrypt(k, n, ad, bad)).toBeNull();
        const untouched = new Uint8Array(plaintext.length);
        expect(aeadDecryptInto(k, n, ad, bad, untouched)).toBe(false);
        expect(untouched.every((b) => b === 0)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('chacha20Xor is the RFC 8439 stream from block 0 at every length, leaving its input as is', () => {
    fc.assert(
      fc.property(bytes(32), bytes(12), fc.uint8Array({ maxLength: 2000 }), (k, n, data) => {
        const copy = data.slice();
        expect(toHex(chacha20Xor(k, n, data))).toBe(toHex(chacha20(k, n, data)));
        expect(toHex(data)).toBe(toHex(copy));
      }),
      { numRuns: 200 },
    );
    expect(() => chacha20Xor(new Uint8Array(31), new Uint8Array(12), new Uint8Array(100))).toThrow(/key/);
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
