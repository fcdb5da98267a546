/**
 * Our writer and reader against each other: any fields round-trip, a decoded
 * invoice re-signs to the same string, garbage never throws, and each reader
 * rule the spec's examples do not cover fails with its name.
 */
import { bech32 } from '@scure/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CURVE_ORDER, fromHex, nobleSecp256k1, toHex, wasmSecp256k1, type Secp256k1 } from '../../shared/crypto/index.js';
import { InMemoryNodeSigner } from '../../shared/keys/index.js';
import {
  DEFAULT_EXPIRY_SECONDS,
  DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA,
  OUR_INVOICE_FEATURES,
  decodeHumanReadablePart,
  decodeInvoice,
  descriptionMatches,
  encodeAmount,
  encodeInvoice,
  isExpired,
  recoverPublicKey,
  signInvoice,
  type Invoice,
  type InvoiceErrorRule,
  type InvoiceFields,
  type TaggedField,
  type UnsignedInvoice,
} from '../../shared/invoice/index.js';
import { bytesToWords } from '../../shared/invoice/words.js';
import { featureBitsOf, featuresFromBits } from '../../shared/wire/index.js';
import { invoiceFields } from './invoice-arbitraries.js';

const SECRET = fromHex('e126f68f7eafcc8b74f54d269fe206be715000f94dac067d1c04a8ca3b2db734');
const OTHER_SECRET = fromHex('1111111111111111111111111111111111111111111111111111111111111111');

function decodeOk(secp: Secp256k1, text: string): Invoice {
  const result = decodeInvoice(secp, text);
  if (!result.ok) throw new Error(`${result.error.rule}: ${result.error.message}`);
  return result.value;
}

function ruleOf(secp: Secp256k1, text: string): InvoiceErrorRule | 'ok' {
  const result = decodeInvoice(secp, text);
  return result.ok ? 'ok' : result.error.rule;
}

function thrownRule(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as { rule?: string }).rule ?? String(error);
  }
  return 'no error';
}

describe.each([nobleSecp256k1, wasmSecp256k1])('BOLT 11 writer and reader on $name', (secp: Secp256k1) => {
  const signer = new InMemoryNodeSigner(secp, SECRET);
  const nodeId = signer.getNodeId();
  const base: UnsignedInvoice = {
    network: 'regtest',
    amountMsat: 1000n,
    timestampSec: 1_700_000_000,
    fields: [
      { tag: 'p', paymentHash: new Uint8Array(32).fill(1) },
      { tag: 's', paymentSecret: new Uint8Array(32).fill(2) },
      { tag: 'd', description: 'test' },
      { tag: '9', features: OUR_INVOICE_FEATURES },
    ],
  };
  const withFields = (...fields: TaggedField[]): UnsignedInvoice => ({ ...base, fields: [...base.fields, ...fields] });
  const without = (tag: string, ...fields: TaggedField[]): UnsignedInvoice => ({
    ...base,
    fields: [...base.fields.filter((f) => f.tag !== tag), ...fields],
  });
  const raw = (type: number, words: ArrayLike<number>): TaggedField => ({ tag: 'skipped', type, words: Uint8Array.from(words), why: 'unknown-type' });

  it('round-trips any fields, and the decoded invoice re-signs to the same string', () => {
    fc.assert(
      fc.property(invoiceFields(), ({ fields, withPayee }) => {
        const input: InvoiceFields = withPayee ? { ...fields, payeeNodeId: nodeId } : fields;
        const text = encodeInvoice(secp, input, signer);
        const inv = decodeOk(secp, text);
        expect(inv.network).toBe(input.network);
        expect(inv.amountMsat).toBe(input.amountMsat ?? null);
        expect(inv.timestampSec).toBe(input.timestampSec);
        expect(inv.paymentHash).toEqual(input.paymentHash);
        expect(inv.paymentSecret).toEqual(input.paymentSecret);
        expect(inv.description).toBe(input.description ?? null);
        expect(inv.descriptionHash).toEqual(input.descriptionHash ?? null);
        expect(inv.payeeNodeId).toEqual(nodeId);
        expect(inv.fields.some((f) => f.tag === 'n')).toBe(withPayee);
        expect(inv.expirySeconds).toBe(input.expirySeconds ?? DEFAULT_EXPIRY_SECONDS);
        expect(inv.expiresAtSec).toBe(input.timestampSec + inv.expirySeconds);
        expect(inv.minFinalCltvExpiryDelta).toBe(input.minFinalCltvExpiryDelta ?? DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA);
        expect(inv.fallbacks).toEqual(input.fallbacks ?? []);
        expect(inv.routeHints).toEqual(input.routeHints ?? []);
        expect(featureBitsOf(inv.features)).toEqual(featureBitsOf(input.features ?? OUR_INVOICE_FEATURES));
        expect(inv.paymentMetadata).toEqual(input.paymentMetadata ?? null);
        expect(inv.fields.some((f) => f.tag === 'skipped')).toBe(false);
        expect(signInvoice(secp, inv, signer)).toBe(text);
        expect(decodeOk(secp, text.toUpperCase())).toEqual(inv);
      }),
      { numRuns: 60 },
    );
  });

  it('never throws on garbage, truncations or one changed character', () => {
    const valid = signInvoice(secp, base, signer);
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        expect(decodeInvoice(secp, text).ok).toBe(false);
        expect(decodeInvoice(secp, `lnbc1${text}`).ok).toBe(false);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: valid.length - 1 }), fc.constantFrom(...'qpzry9x8gf2tvdw0s3jn54khce6mua7l1X'), (at, c) => {
        expect(decodeInvoice(secp, valid.slice(0, at)).ok).toBe(false);
        const changed = valid.slice(0, at) + c + valid.slice(at + 1);
        if (changed !== valid) expect(decodeInvoice(secp, changed).ok).toBe(false);
      }),
    );
  });

  it('expiry: default one hour from the timestamp, expired only after', () => {
    const inv = decodeOk(secp, signInvoice(secp, base, signer));
    expect(inv.expiresAtSec).toBe(base.timestampSec + 3600);
    expect(isExpired(inv, inv.expiresAtSec)).toBe(false);
    expect(isExpired(inv, inv.expiresAtSec + 1)).toBe(true);
    const zero = decodeOk(secp, signInvoice(secp, withFields({ tag: 'x', expirySeconds: 0 }), signer));
    expect(zero.expirySeconds).toBe(0);
    expect(isExpired(zero, base.timestampSec + 1)).toBe(true);
    expect(descriptionMatches(inv, 'test')).toBe(true);
    expect(descriptionMatches(inv, 'Test')).toBe(false);
  });

  describe('reader rules beyond the spec examples', () => {
    const cases: [string, UnsignedInvoice, InvoiceErrorRule | 'ok'][] = [
      ['missing p', without('p'), 'missing-payment-hash'],
      ['p of the wrong length is skipped, then missing', without('p', raw(1, new Array(51).fill(0))), 'missing-payment-hash'],
      ['s of the wrong length is skipped, then missing', without('s', raw(16, new Array(53).fill(0))), 'missing-payment-secret'],
      ['neither d nor h', without('d'), 'missing-description'],
      ['both d and h', withFields({ tag: 'h', descriptionHash: new Uint8Array(32) }), 'both-descriptions'],
      ['h of the wrong length is skipped', withFields(raw(23, new Array(51).fill(0))), 'ok'],
      ['d not UTF-8', without('d', raw(13, bytesToWords(Uint8Array.of(0xc3, 0x28)))), 'invalid-description'],
      ['x with a leading 0 group', withFields(raw(6, [0, 1])), 'non-minimal-field'],
      ['c with a leading 0 group', withFields(raw(24, [0, 9])), 'non-minimal-field'],
      ['9 with a leading 0 group', without('9', raw(5, [0, 1, 0, 0])), 'non-minimal-field'],
      ['x above 2^53', withFields(raw(6, new Array(12).fill(31))), 'value-too-large'],
      ['r not whole hops', withFields(raw(3, bytesToWords(new Uint8Array(50)))), 'invalid-route-hint'],
      ['r with a pubkey off the curve', withFields(raw(3, bytesToWords(new Uint8Array(51)))), 'invalid-route-hint'],
      ['unknown even feature bit', without('9', { tag: '9', features: featuresFromBits([8, 14, 200]) }), 'unknown-even-feature'],
      ['unknown odd feature bit', without('9', { tag: '9', features: featuresFromBits([8, 14, 201]) }), 'ok'],
      ['basic_mpp without payment_secret', without('9', { tag: '9', features: featuresFromBits([8, 16]) }), 'missing-feature-dependency'],
      ['no 9 field', without('9'), 'ok'],
      ['n that is not the signer', withFields(raw(19, bytesToWords(secp.publicKeyFromSecret(OTHER_SECRET)))), 'invalid-signature'],
      ['n not on the curve is skipped, key recovered', withFields(raw(19, bytesToWords(Uint8Array.of(2, ...new Uint8Array(32).fill(0xff))))), 'ok'],
      ['f of unknown version 19 is skipped', withFields(raw(9, [19, 1, 2, 3])), 'ok'],
      ['f of version 0 with a 21-byte program is skipped', withFields(raw(9, [0, ...bytesToWords(new Uint8Array(21))])), 'ok'],
      ['unknown type 2 is skipped', withFields(raw(2, [1, 2, 3])), 'ok'],
    ];
    it.each(cases)('%s', (_name, unsigned, rule) => {
      expect(ruleOf(secp, signInvoice(secp, unsigned, signer))).toBe(rule);
    });

    it('a field running into the signature', () => {
      const words = [...new Array(7).fill(0), 1, 1, 20, ...new Array(104).fill(0)];
      expect(ruleOf(secp, bech32.encode('lnbc', words, false))).toBe('truncated-field');
    });

    it('recovery ids 0-3, high S recovers another key, and out-of-range r or s', () => {
      const inv = decodeOk(secp, signInvoice(secp, base, signer));
      const digest = new Uint8Array(32).fill(7);
      const { signature, recoveryId } = signer.signInvoice(digest);
      expect(recoverPublicKey(secp, digest, signature, recoveryId)).toEqual(nodeId);
      expect(recoverPublicKey(secp, digest, signature, recoveryId ^ 1)).not.toEqual(nodeId);
      expect(thrownRule(() => recoverPublicKey(secp, digest, signature, 2))).toBe('unrecoverable-signature');
      expect(thrownRule(() => recoverPublicKey(secp, digest, signature, 4))).toBe('unrecoverable-signature');
      const order = fromHex(CURVE_ORDER.toString(16));
      expect(thrownRule(() => recoverPublicKey(secp, digest, Uint8Array.of(...order, ...signature.subarray(32)), 0))).toBe('unrecoverable-signature');
      expect(thrownRule(() => recoverPublicKey(secp, digest, Uint8Array.of(...signature.subarray(0, 32), ...new Uint8Array(32)), 0))).toBe(
        'unrecoverable-signature',
      );
      expect(toHex(inv.payeeNodeId)).toBe(toHex(nodeId));
    });
  });

  describe('writer invariants', () => {
    const fields: InvoiceFields = {
      network: 'bitcoin',
      timestampSec: 1,
      paymentHash: new Uint8Array(32),
      paymentSecret: new Uint8Array(32),
      description: '',
    };
    it.each<[string, InvoiceFields, string]>([
      ['both descriptions', { ...fields, descriptionHash: new Uint8Array(32) }, 'invalid-field'],
      ['no description', { ...fields, description: undefined } as unknown as InvoiceFields, 'invalid-field'],
      ['zero amount', { ...fields, amountMsat: 0n }, 'invalid-field'],
      ['amount above u64', { ...fields, amountMsat: 2n ** 64n }, 'invalid-field'],
      ['short payment hash', { ...fields, paymentHash: new Uint8Array(31) }, 'invalid-field'],
      ['description over 639 bytes', { ...fields, description: 'a'.repeat(640) }, 'field-too-long'],
      ['n not the signer', { ...fields, payeeNodeId: secp.publicKeyFromSecret(OTHER_SECRET) }, 'invalid-field'],
      ['unknown even feature', { ...fields, features: featuresFromBits([8, 14, 100]) }, 'invalid-field'],
      ['timestamp above 35 bits', { ...fields, timestampSec: 2 ** 35 }, 'invalid-field'],
      ['invalid fallback', { ...fields, fallbacks: [{ version: 17, program: new Uint8Array(21) }] }, 'invalid-field'],
      ['empty route hint', { ...fields, routeHints: [[]] }, 'invalid-field'],
    ])('%s', (_name, input, rule) => {
      expect(thrownRule(() => encodeInvoice(secp, input, signer))).toBe(rule);
    });

    it('a 639-byte description fits, and an empty feature vector writes no 9 field', () => {
      const text = encodeInvoice(secp, { ...fields, description: 'a'.repeat(639), features: new Uint8Array(0) }, signer);
      const inv = decodeOk(secp, text);
      expect(inv.description).toHaveLength(639);
      expect(inv.fields.some((f) => f.tag === '9')).toBe(false);
    });
  });
});

describe('amounts in the human-readable part', () => {
  it.each([
    [1n, '10p'],
    [100n, '1n'],
    [250_000_000n, '2500u'],
    [967_878_534n, '9678785340p'],
    [2_000_000_000n, '20m'],
    [100_000_000_000n, '1'],
    [2n ** 64n - 1n, '184467440737095516150p'],
  ])('%s msat is %s', (msat, text) => {
    expect(encodeAmount(msat)).toBe(text);
    expect(decodeHumanReadablePart(`lnbc${text}`)).toEqual({ network: 'bitcoin', amountMsat: msat });
  });

  it('any amount round-trips on every network', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }), fc.constantFrom('lnbc', 'lntb', 'lntbs', 'lnbcrt'), (msat, prefix) => {
        expect(decodeHumanReadablePart(prefix + encodeAmount(msat)).amountMsat).toBe(msat);
      }),
    );
  });

  it.each([
    ['lnbcrt', 'ok'],
    ['lntbs25m', 'ok'],
    ['lnbc0', 'invalid-amount'],
    ['lnbc01m', 'invalid-amount'],
    ['lnbc184467440737095516160p', 'invalid-amount'],
    ['lnbc1x', 'invalid-multiplier'],
    ['lnbc1mm', 'invalid-multiplier'],
    ['lnbc11p', 'sub-millisatoshi-amount'],
    ['lnxy1m', 'unknown-prefix'],
    ['lnbcx', 'unknown-prefix'],
    ['bc1m', 'unknown-prefix'],
  ])('%s: %s', (hrp, rule) => {
    expect(thrownRule(() => decodeHumanReadablePart(hrp)).replace('no error', 'ok')).toBe(rule);
  });
});
