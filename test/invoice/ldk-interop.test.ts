/**
 * LDK 0.1's own BOLT 11 parser (npm `lightningdevkit`, WASM) reads invoices
 * we write: `Bolt11Invoice::from_str` accepts them with the same fields, and
 * refuses the ones docs/invoice.md says LDK will not pay.
 */
import fc from 'fast-check';
import * as ldk from 'lightningdevkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromHex, nobleSecp256k1, toHex } from '../../shared/crypto/index.js';
import { InMemoryNodeSigner } from '../../shared/keys/index.js';
import {
  OUR_INVOICE_FEATURES,
  decodeInvoice,
  encodeInvoice,
  signInvoice,
  type TaggedField,
  type UnsignedInvoice,
} from '../../shared/invoice/index.js';
import { featureBitsOf, featuresFromBits } from '../../shared/wire/index.js';
import { loadLdk } from '../support/ldk-node.js';
import { invoiceFields } from './invoice-arbitraries.js';

const secp = nobleSecp256k1;
const signer = new InMemoryNodeSigner(secp, fromHex('e126f68f7eafcc8b74f54d269fe206be715000f94dac067d1c04a8ca3b2db734'));

function ldkParse(text: string): ldk.Bolt11Invoice | null {
  const result = ldk.Bolt11Invoice.constructor_from_str(text);
  return result instanceof ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK ? result.res : null;
}

function optionU64(option: ldk.Option_u64Z): bigint | null {
  return option instanceof ldk.Option_u64Z_Some ? option.some : null;
}

/** The set bits of LDK's little-endian feature flags. */
function bitsOfLeFlags(flags: Uint8Array): number[] {
  const bits: number[] = [];
  flags.forEach((byte, i) => {
    for (let b = 0; b < 8; b++) if ((byte >> b) & 1) bits.push(8 * i + b);
  });
  return bits;
}

/** LDK holds the amount in pico-BTC in a u64: it reads amounts up to (2^64 - 1) / 10 msat. */
const LDK_MAX_AMOUNT_MSAT = (2n ** 64n - 1n) / 10n;

/** LDK reads invoices of at most 1023 characters (the bech32 crate's code length). */
const LDK_MAX_INVOICE_LENGTH = 1023;

/** Our required bits plus any odd (optional) bits: what LDK knows or may ignore. */
const ldkPayableFeatures = fc
  .uniqueArray(fc.integer({ min: 0, max: 100 }).map((n) => 2 * n + 1), { maxLength: 6 })
  .map((odd) => featuresFromBits([8, 14, ...odd]));

describe('LDK 0.1 parses the invoices we write', () => {
  beforeAll(() => loadLdk());

  it('to the same fields', () => {
    fc.assert(
      fc.property(invoiceFields({ maxAmountMsat: LDK_MAX_AMOUNT_MSAT }), ldkPayableFeatures, ({ fields, withPayee }, features) => {
        const input = { ...fields, features, ...(withPayee ? { payeeNodeId: signer.getNodeId() } : {}) };
        const text = encodeInvoice(secp, input, signer);
        fc.pre(text.length <= LDK_MAX_INVOICE_LENGTH);
        const parsed = ldkParse(text);
        expect(parsed, text).not.toBeNull();
        const inv = parsed!;
        expect(toHex(inv.payment_hash())).toBe(toHex(input.paymentHash));
        expect(toHex(inv.payment_secret())).toBe(toHex(input.paymentSecret));
        expect(toHex(inv.get_payee_pub_key())).toBe(toHex(signer.getNodeId()));
        expect(optionU64(inv.amount_milli_satoshis())).toBe(input.amountMsat ?? null);
        expect(inv.duration_since_epoch()).toBe(BigInt(input.timestampSec));
        expect(inv.expiry_time()).toBe(BigInt(input.expirySeconds ?? 3600));
        expect(inv.min_final_cltv_expiry_delta()).toBe(BigInt(input.minFinalCltvExpiryDelta ?? 18));
        // The WASM bindings hand u64 and u32 back signed: read them unsigned.
        expect(
          inv.route_hints().map((hint) =>
            hint.get_a().map((hop) => [
              toHex(hop.get_src_node_id()),
              BigInt.asUintN(64, hop.get_short_channel_id()),
              hop.get_fees().get_base_msat() >>> 0,
              hop.get_fees().get_proportional_millionths() >>> 0,
              hop.get_cltv_expiry_delta() & 0xffff,
            ]),
          ),
        ).toEqual(
          (input.routeHints ?? []).map((hint) =>
            hint.map((hop) => [
              toHex(hop.pubkey),
              hop.shortChannelId,
              Number(hop.feeBaseMsat),
              hop.feeProportionalMillionths,
              hop.cltvExpiryDelta,
            ]),
          ),
        );
        expect(bitsOfLeFlags(inv.features().le_flags())).toEqual(featureBitsOf(features));
      }),
      { numRuns: 40 },
    );
  });

  it('our default features are what LDK requires: var_onion_optin and payment_secret required, basic_mpp optional', () => {
    const text = encodeInvoice(
      secp,
      {
        network: 'regtest',
        amountMsat: 50_000n,
        timestampSec: 1_765_000_000,
        paymentHash: new Uint8Array(32).fill(1),
        paymentSecret: new Uint8Array(32).fill(2),
        description: 'coffee',
        minFinalCltvExpiryDelta: 24,
      },
      signer,
    );
    const features = ldkParse(text)!.features();
    expect(featureBitsOf(OUR_INVOICE_FEATURES)).toEqual([8, 14, 17]);
    expect([features.requires_variable_length_onion(), features.requires_payment_secret(), features.supports_basic_mpp()].map(Boolean)).toEqual([
      true,
      true,
      true,
    ]);
    expect(Boolean(features.requires_basic_mpp())).toBe(false);
  });

  describe('LDK refuses what docs/invoice.md says it will not pay', () => {
    const fields: TaggedField[] = [
      { tag: 'p', paymentHash: new Uint8Array(32).fill(1) },
      { tag: 's', paymentSecret: new Uint8Array(32).fill(2) },
      { tag: 'd', description: 'coffee' },
    ];
    const invoice = (...extra: TaggedField[]): UnsignedInvoice => ({
      network: 'regtest',
      amountMsat: 50_000n,
      timestampSec: 1_765_000_000,
      fields: [...fields, ...extra],
    });
    const cases: [string, UnsignedInvoice, 'ok' | string][] = [
      ['our features', invoice({ tag: '9', features: OUR_INVOICE_FEATURES }), 'ok'],
      ['no 9 field (BOLT 11 allows it; LDK requires payment_secret signalled)', invoice(), 'ok'],
      ['9 without payment_secret', invoice({ tag: '9', features: featuresFromBits([8]) }), 'ok'],
      ['an unknown even bit', invoice({ tag: '9', features: featuresFromBits([8, 14, 100]) }), 'unknown-even-feature'],
      [
        'no s field',
        { ...invoice({ tag: '9', features: OUR_INVOICE_FEATURES }), fields: [fields[0]!, fields[2]!, { tag: '9', features: OUR_INVOICE_FEATURES }] },
        'missing-payment-secret',
      ],
    ];
    it('an invoice longer than 1023 characters (valid BOLT 11; LDK stops at the bech32 code length)', () => {
      const long = (length: number): string =>
        signInvoice(secp, invoice({ tag: '9', features: OUR_INVOICE_FEATURES }, { tag: 'm', paymentMetadata: new Uint8Array(length) }), signer);
      const fits = long(470);
      const over = long(480);
      expect([fits.length <= 1023, over.length > 1023]).toEqual([true, true]);
      expect(decodeInvoice(secp, over).ok).toBe(true);
      expect(ldkParse(fits)).not.toBeNull();
      expect(ldkParse(over)).toBeNull();
    });

    it.each(cases)('%s', (name, unsigned, ourRule) => {
      const text = signInvoice(secp, unsigned, signer);
      const ours = decodeInvoice(secp, text);
      expect(ours.ok ? 'ok' : ours.error.rule).toBe(ourRule);
      expect(ldkParse(text) !== null).toBe(name === 'our features');
    });
  });
});
