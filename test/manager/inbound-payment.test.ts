/**
 * Stateless inbound payments: a secret made by createInboundPayment carries
 * the invoice's amount, expiry and cltv delta and gives back the preimage;
 * nothing else verifies. And the invoices we write with them read back
 * through an independent decoder (npm `bolt11`).
 */
import bolt11 from 'bolt11';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, nobleSecp256k1, sha256, toHex } from '../../shared/crypto/index.js';
import { decodeInvoice, encodeInvoice } from '../../shared/invoice/index.js';
import { KeysManager } from '../../shared/keys/index.js';
import {
  InboundPaymentError,
  InboundPaymentErrorCode,
  MAX_INBOUND_EXPIRY_SECS,
  MAX_VALUE_MSAT,
  MIN_FINAL_CLTV_EXPIRY_DELTA,
  createInboundPayment,
  createInboundPaymentForHash,
  expandInboundPaymentKey,
  inboundPaymentPreimage,
  verifyInboundPayment,
  type InboundPaymentParams,
} from '../../shared/manager/index.js';

const secp = nobleSecp256k1;
const seed = fromHex('0101010101010101010101010101010101010101010101010101010101010101');
let counter = 0;
const entropy = { getSecureRandomBytes: () => sha256(concatBytes(new TextEncoder().encode('inbound'), Uint8Array.of(counter++))) };
const keys = new KeysManager(secp, seed, entropy);
const key = expandInboundPaymentKey(keys.inboundPaymentKey());
const otherKey = expandInboundPaymentKey(new KeysManager(secp, seed.map((b) => b ^ 1), entropy).inboundPaymentKey());

const NOW = 1_800_000_000;
const params: InboundPaymentParams = { amountMsat: 50_000n, expirySecs: 3600, nowSecs: NOW };

function thrown(f: () => unknown): InboundPaymentError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InboundPaymentError);
    return e as InboundPaymentError;
  }
  throw new Error('did not throw');
}

describe('createInboundPayment / verifyInboundPayment (our hash, preimage derived)', () => {
  it('verifies with the preimage of the hash, the default cltv delta taken from final-cltv', () => {
    const p = createInboundPayment(key, params, entropy.getSecureRandomBytes());
    expect(p.paymentHash).toHaveLength(32);
    expect(p.paymentSecret).toHaveLength(32);
    expect(p.minFinalCltvExpiryDelta).toBe(MIN_FINAL_CLTV_EXPIRY_DELTA);
    expect(p.expiresAtSecs).toBe(NOW + 3600);
    const check = verifyInboundPayment(key, p.paymentHash, p.paymentSecret, 50_000n, NOW + 10);
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(toHex(sha256(check.preimage!))).toBe(toHex(p.paymentHash));
    expect(check.amountMsat).toBe(50_000n);
    expect(check.minFinalCltvExpiryDelta).toBeUndefined();
    expect(toHex(inboundPaymentPreimage(key, p.paymentHash, p.paymentSecret)!)).toBe(toHex(check.preimage!));
  });

  it('two payments from different randomness share nothing', () => {
    const a = createInboundPayment(key, params, entropy.getSecureRandomBytes());
    const b = createInboundPayment(key, params, entropy.getSecureRandomBytes());
    expect(toHex(a.paymentHash)).not.toBe(toHex(b.paymentHash));
    expect(toHex(a.paymentSecret)).not.toBe(toHex(b.paymentSecret));
    expect(verifyInboundPayment(key, a.paymentHash, b.paymentSecret, 50_000n, NOW)).toEqual({ ok: false, reason: 'unknown-payment' });
  });

  it('refuses a total below the invoice amount, accepts it equal or above (overpayment, even past twice, is accepted)', () => {
    const p = createInboundPayment(key, params, entropy.getSecureRandomBytes());
    expect(verifyInboundPayment(key, p.paymentHash, p.paymentSecret, 49_999n, NOW)).toEqual({ ok: false, reason: 'amount-too-low' });
    expect(verifyInboundPayment(key, p.paymentHash, p.paymentSecret, 50_000n, NOW).ok).toBe(true);
    expect(verifyInboundPayment(key, p.paymentHash, p.paymentSecret, 150_000n, NOW).ok).toBe(true);
  });

  it('an invoice without amount accepts any total', () => {
    const p = createInboundPayment(key, { expirySecs: 60, nowSecs: NOW }, entropy.getSecureRandomBytes());
    const check = verifyInboundPayment(key, p.paymentHash, p.paymentSecret, 1n, NOW);
    expect(check).toMatchObject({ ok: true });
    expect(check.ok && check.amountMsat).toBeUndefined();
  });

  it('refuses after the expiry, accepts up to it', () => {
    const p = createInboundPayment(key, params, entropy.getSecureRandomBytes());
    expect(verifyInboundPayment(key, p.paymentHash, p.paymentSecret, 50_000n, NOW + 3600).ok).toBe(true);
    expect(verifyInboundPayment(key, p.paymentHash, p.paymentSecret, 50_000n, NOW + 3601)).toEqual({ ok: false, reason: 'expired' });
  });

  it('accepts a one-year expiry and refuses a longer one with expiry-too-long', () => {
    const p = createInboundPayment(key, { expirySecs: MAX_INBOUND_EXPIRY_SECS, nowSecs: NOW }, entropy.getSecureRandomBytes());
    expect(verifyInboundPayment(key, p.paymentHash, p.paymentSecret, 1n, NOW + MAX_INBOUND_EXPIRY_SECS).ok).toBe(true);
    expect(thrown(() => createInboundPayment(key, { expirySecs: MAX_INBOUND_EXPIRY_SECS + 1, nowSecs: NOW }, new Uint8Array(32))).code).toBe(
      InboundPaymentErrorCode.ExpiryTooLong,
    );
    expect(thrown(() => createInboundPaymentForHash(key, new Uint8Array(32), { expirySecs: MAX_INBOUND_EXPIRY_SECS + 1, nowSecs: NOW })).code).toBe(
      InboundPaymentErrorCode.ExpiryTooLong,
    );
  });

  it.each([
    ['a zero amount', { ...params, amountMsat: 0n }, InboundPaymentErrorCode.InvalidAmount],
    ['a negative amount', { ...params, amountMsat: -1n }, InboundPaymentErrorCode.InvalidAmount],
    ['an amount over all bitcoin', { ...params, amountMsat: MAX_VALUE_MSAT + 1n }, InboundPaymentErrorCode.InvalidAmount],
    ['a zero expiry', { ...params, expirySecs: 0 }, InboundPaymentErrorCode.InvalidTime],
    ['a fractional expiry', { ...params, expirySecs: 1.5 }, InboundPaymentErrorCode.InvalidTime],
    ['a negative clock', { ...params, nowSecs: -1 }, InboundPaymentErrorCode.InvalidTime],
    ['a clock past 2^48', { ...params, nowSecs: 2 ** 48 }, InboundPaymentErrorCode.InvalidTime],
    ['a cltv delta below our minimum', { ...params, minFinalCltvExpiryDelta: MIN_FINAL_CLTV_EXPIRY_DELTA - 1 }, InboundPaymentErrorCode.InvalidCltvDelta],
    ['a cltv delta over u16', { ...params, minFinalCltvExpiryDelta: 65536 }, InboundPaymentErrorCode.InvalidCltvDelta],
  ])('refuses %s with a typed error', (_, bad, code) => {
    expect(thrown(() => createInboundPayment(key, bad, new Uint8Array(32))).code).toBe(code);
  });

  it('expands each key material to its own keys, asked in any order (the kept expansion is never another material\'s, nor shared)', () => {
    const material = keys.inboundPaymentKey();
    const other = new KeysManager(secp, seed.map((b) => b ^ 1), entropy).inboundPaymentKey();
    for (const [m, expected] of [[material, key], [other, otherKey], [material, key], [material, key], [other, otherKey]] as const) {
      const got = expandInboundPaymentKey(m);
      expect(got).toEqual(expected);
      got.infoKey.fill(0);
    }
    expect(expandInboundPaymentKey(material)).toEqual(key);
    expect(toHex(key.infoKey)).not.toBe(toHex(otherKey.infoKey));
  });

  it('refuses randomness, key material and hashes of the wrong length', () => {
    expect(thrown(() => createInboundPayment(key, params, new Uint8Array(16))).code).toBe(InboundPaymentErrorCode.InvalidLength);
    expect(thrown(() => expandInboundPaymentKey(new Uint8Array(31))).code).toBe(InboundPaymentErrorCode.InvalidLength);
    expect(thrown(() => createInboundPaymentForHash(key, new Uint8Array(31), params)).code).toBe(InboundPaymentErrorCode.InvalidLength);
    // verification is given peer data: never throws
    expect(verifyInboundPayment(key, new Uint8Array(31), new Uint8Array(32), 1n, NOW)).toEqual({ ok: false, reason: 'unknown-payment' });
    expect(verifyInboundPayment(key, new Uint8Array(32), new Uint8Array(33), 1n, NOW)).toEqual({ ok: false, reason: 'unknown-payment' });
  });

  it('carries a chosen cltv delta and gives it back', () => {
    const p = createInboundPayment(key, { ...params, minFinalCltvExpiryDelta: 144 }, entropy.getSecureRandomBytes());
    expect(p.minFinalCltvExpiryDelta).toBe(144);
    expect(verifyInboundPayment(key, p.paymentHash, p.paymentSecret, 50_000n, NOW)).toMatchObject({ ok: true, minFinalCltvExpiryDelta: 144 });
  });

  it('a secret made under another key does not verify', () => {
    const p = createInboundPayment(otherKey, params, entropy.getSecureRandomBytes());
    expect(verifyInboundPayment(key, p.paymentHash, p.paymentSecret, 50_000n, NOW)).toEqual({ ok: false, reason: 'unknown-payment' });
    expect(inboundPaymentPreimage(key, p.paymentHash, p.paymentSecret)).toBeUndefined();
  });

  it('property: a secret changed in any bit, or any other 32 bytes, never verifies', () => {
    const p = createInboundPayment(key, { expirySecs: 3600, nowSecs: NOW }, entropy.getSecureRandomBytes());
    fc.assert(
      fc.property(fc.nat({ max: 255 }), (bit) => {
        const secret = p.paymentSecret.slice();
        secret[bit >> 3]! ^= 1 << (bit & 7);
        return !verifyInboundPayment(key, p.paymentHash, secret, 1n, NOW).ok;
      }),
      { numRuns: 256 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (hash, secret) => {
        const check = verifyInboundPayment(key, hash, secret, MAX_VALUE_MSAT, 0);
        return !check.ok && check.reason === 'unknown-payment';
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (secret) => !verifyInboundPayment(key, p.paymentHash, secret, MAX_VALUE_MSAT, 0).ok),
      { numRuns: 500 },
    );
  });
});

describe('createInboundPaymentForHash (the caller holds the preimage)', () => {
  const preimage = new Uint8Array(32).fill(7);
  const hash = sha256(preimage);

  it('verifies for its hash, gives no preimage, and is deterministic', () => {
    const secret = createInboundPaymentForHash(key, hash, params);
    expect(toHex(createInboundPaymentForHash(key, hash, params))).toBe(toHex(secret));
    const check = verifyInboundPayment(key, hash, secret, 50_000n, NOW);
    expect(check).toEqual({ ok: true, amountMsat: 50_000n, expiresAtSecs: NOW + 3600 });
    expect(inboundPaymentPreimage(key, hash, secret)).toBeUndefined();
  });

  it('refuses another hash, a low amount and an expired invoice', () => {
    const secret = createInboundPaymentForHash(key, hash, { ...params, minFinalCltvExpiryDelta: 80 });
    expect(verifyInboundPayment(key, sha256(hash), secret, 50_000n, NOW)).toEqual({ ok: false, reason: 'unknown-payment' });
    expect(verifyInboundPayment(key, hash, secret, 1n, NOW)).toEqual({ ok: false, reason: 'amount-too-low' });
    expect(verifyInboundPayment(key, hash, secret, 50_000n, NOW + 3601)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyInboundPayment(key, hash, secret, 50_000n, NOW)).toMatchObject({ ok: true, minFinalCltvExpiryDelta: 80 });
  });

  it('property: any secret not made for the hash fails', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (secret) => !verifyInboundPayment(key, hash, secret, MAX_VALUE_MSAT, 0).ok),
      { numRuns: 500 },
    );
  });
});

describe('invoices carrying these secrets', () => {
  it('decode with npm bolt11 and with our decoder to the same hash, secret, amount, expiry and cltv delta', () => {
    for (const amountMsat of [undefined, 1n, 50_000n, 123_456_789n]) {
      const p = createInboundPayment(key, { ...(amountMsat === undefined ? {} : { amountMsat }), expirySecs: 7200, nowSecs: NOW }, entropy.getSecureRandomBytes());
      const invoice = encodeInvoice(
        secp,
        {
          network: 'bitcoin',
          ...(amountMsat === undefined ? {} : { amountMsat }),
          timestampSec: NOW,
          paymentHash: p.paymentHash,
          paymentSecret: p.paymentSecret,
          description: 'stateless',
          expirySeconds: p.expiresAtSecs - NOW,
          minFinalCltvExpiryDelta: p.minFinalCltvExpiryDelta,
        },
        keys,
      );
      const npm = bolt11.decode(invoice);
      const tag = (name: string): unknown => npm.tags.find((t) => t.tagName === name)?.data;
      expect(tag('payment_hash')).toBe(toHex(p.paymentHash));
      expect(tag('payment_secret')).toBe(toHex(p.paymentSecret));
      expect(tag('min_final_cltv_expiry')).toBe(MIN_FINAL_CLTV_EXPIRY_DELTA);
      expect(tag('expire_time')).toBe(7200);
      expect(npm.millisatoshis ?? null).toBe(amountMsat === undefined ? null : amountMsat.toString());
      expect(npm.payeeNodeKey).toBe(toHex(keys.getNodeId()));

      const ours = decodeInvoice(secp, invoice);
      expect(ours.ok).toBe(true);
      if (!ours.ok) return;
      // the payer pays what the invoice says; we verify what it sends
      const check = verifyInboundPayment(key, ours.value.paymentHash, ours.value.paymentSecret, ours.value.amountMsat ?? 1n, ours.value.expiresAtSec);
      expect(check.ok).toBe(true);
    }
  });
});
