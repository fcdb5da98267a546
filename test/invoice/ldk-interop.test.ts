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
import { loadLdk, startLdkNode } from '../support/ldk-node.js';
import vectors from '../vectors/bolt11-invoices.json' with { type: 'json' };
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

  it('agrees with us on the spec examples, except the high-S one, which LDK 0.1 refuses', () => {
    for (const vector of vectors.valid) {
      const ours = decodeInvoice(secp, vector.invoice);
      const theirs = ldkParse(vector.invoice);
      expect(ours.ok).toBe(true);
      expect(theirs !== null, vector.title).toBe(!vector.decoded.signature_is_high_s);
      if (ours.ok && theirs !== null) {
        expect(toHex(theirs.payment_hash())).toBe(toHex(ours.value.paymentHash));
        expect(toHex(theirs.recover_payee_pub_key())).toBe(toHex(ours.value.payeeNodeId));
      }
    }
    for (const vector of vectors.invalid) expect(ldkParse(vector.invoice), vector.reason).toBeNull();
  });

  it("reads LDK's own invoice: var_onion_optin and payment_secret required, basic_mpp optional, c = 24", async () => {
    const node = await startLdkNode(new Uint8Array(32).fill(0x42));
    const description = ldk.Description.constructor_new('from LDK');
    if (!(description instanceof ldk.Result_DescriptionCreationErrorZ_OK)) throw new Error('LDK description');
    const created = node.channelManager.create_bolt11_invoice(
      ldk.Option_u64Z.constructor_some(123_456n),
      ldk.Bolt11InvoiceDescription.constructor_direct(description.res),
      ldk.Option_u32Z.constructor_some(900),
      ldk.Option_u16Z.constructor_none(),
      ldk.Option_ThirtyTwoBytesZ.constructor_none(),
    );
    if (!(created instanceof ldk.Result_Bolt11InvoiceSignOrCreationErrorZ_OK)) throw new Error('LDK could not create an invoice');
    const text = created.res.to_str();
    const result = decodeInvoice(secp, text);
    if (!result.ok) throw new Error(`${result.error.rule}: ${result.error.message}`);
    const inv = result.value;
    expect(inv.network).toBe('regtest');
    expect(inv.amountMsat).toBe(123_456n);
    expect(inv.description).toBe('from LDK');
    expect(inv.expirySeconds).toBe(900);
    expect(inv.minFinalCltvExpiryDelta).toBe(24);
    expect(featureBitsOf(inv.features)).toEqual([8, 14, 17]);
    expect(inv.features).toEqual(OUR_INVOICE_FEATURES);
    expect(toHex(inv.payeeNodeId)).toBe(toHex(node.nodeId));
    expect(toHex(inv.paymentHash)).toBe(toHex(created.res.payment_hash()));
    expect(toHex(inv.paymentSecret)).toBe(toHex(created.res.payment_secret()));
  });

  describe('what LDK accepts, against our decoder (docs/invoice.md)', () => {
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
    const ours9 = { tag: '9', features: OUR_INVOICE_FEATURES } as const;
    const bits9 = (...bits: number[]): TaggedField => ({ tag: '9', features: featuresFromBits(bits) });
    /** [case, invoice, our decoder's verdict, LDK accepts]. */
    const cases: [string, UnsignedInvoice, 'ok' | string, boolean][] = [
      ['our features', invoice(ours9), 'ok', true],
      ['payment_secret alone (LDK does not check var_onion_optin)', invoice(bits9(14)), 'ok', true],
      ['payment_secret optional, var_onion_optin optional', invoice(bits9(9, 15)), 'ok', true],
      ['payment_metadata required', invoice(bits9(8, 14, 48)), 'ok', true],
      ['no 9 field (BOLT 11 allows it)', invoice(), 'ok', false],
      ['9 without payment_secret', invoice(bits9(8)), 'ok', false],
      ['route blinding required (known to BOLT 9, not to LDK 0.1 invoices)', invoice(bits9(8, 14, 24)), 'ok', false],
      ['an unknown even bit', invoice(bits9(8, 14, 100)), 'unknown-even-feature', false],
      ['two p fields (we use the first)', { ...invoice(ours9), fields: [fields[0]!, ...fields, ours9] }, 'ok', false],
      ['no s field', { ...invoice(ours9), fields: [fields[0]!, fields[2]!, ours9] }, 'missing-payment-secret', false],
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

    it.each(cases)('%s', (_name, unsigned, ourRule, ldkAccepts) => {
      const text = signInvoice(secp, unsigned, signer);
      const ours = decodeInvoice(secp, text);
      expect(ours.ok ? 'ok' : ours.error.rule).toBe(ourRule);
      expect(ldkParse(text) !== null).toBe(ldkAccepts);
    });
  });
});
