/**
 * An independent reader: the npm package `bolt11` (its own bech32, secp256k1
 * and tag parsers) decodes invoices WE write to the same payment hash,
 * amount, payee, expiry, min_final_cltv, route hints, features and more.
 */
import bolt11 from 'bolt11';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, nobleSecp256k1, toHex } from '../../shared/crypto/index.js';
import { InMemoryNodeSigner } from '../../shared/keys/index.js';
import { INVOICE_PREFIXES, OUR_INVOICE_FEATURES, encodeInvoice, type InvoiceFields } from '../../shared/invoice/index.js';
import { featureBitsOf } from '../../shared/wire/index.js';
import { invoiceFields } from './invoice-arbitraries.js';

const secp = nobleSecp256k1;
const signer = new InMemoryNodeSigner(secp, fromHex('e126f68f7eafcc8b74f54d269fe206be715000f94dac067d1c04a8ca3b2db734'));

/** `bolt11` knows bc, tb and bcrt; signet is given as a custom network. */
const SIGNET = { bech32: 'tbs', pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] };

/** The feature names `bolt11` reports for bits 0-19, in bit-pair order. */
const NPM_FEATURE_ORDER = [
  'option_data_loss_protect',
  'initial_routing_sync',
  'option_upfront_shutdown_script',
  'gossip_queries',
  'var_onion_optin',
  'gossip_queries_ex',
  'option_static_remotekey',
  'payment_secret',
  'basic_mpp',
  'option_support_large_channel',
] as const;

type NpmFeatureBits = Partial<Record<(typeof NPM_FEATURE_ORDER)[number], { required?: boolean; supported?: boolean }>> & {
  extra_bits?: { start_bit: number; bits: boolean[] };
};

/** The set bits of `bolt11`'s feature_bits object. */
function npmFeatureBits(features: NpmFeatureBits | undefined): number[] {
  if (features === undefined) return [];
  const bits: number[] = [];
  NPM_FEATURE_ORDER.forEach((name, i) => {
    if (features[name]?.required) bits.push(2 * i);
    if (features[name]?.supported) bits.push(2 * i + 1);
  });
  features.extra_bits?.bits.forEach((set, i) => {
    if (set) bits.push(features.extra_bits!.start_bit + i);
  });
  return bits;
}

function tagData<T>(decoded: ReturnType<typeof bolt11.decode>, name: string): T[] {
  return decoded.tags.filter((t) => t.tagName === name).map((t) => t.data as T);
}

describe('the npm bolt11 decoder reads our invoices', () => {
  it('to the same fields, for any invoice it can represent', () => {
    const arbitrary = invoiceFields({ maxAmountMsat: 2_100_000_000_000_000_000n });
    fc.assert(
      fc.property(arbitrary, ({ fields, withPayee }) => {
        const input: InvoiceFields = withPayee ? { ...fields, payeeNodeId: signer.getNodeId() } : fields;
        const text = encodeInvoice(secp, input, signer);
        const decoded = bolt11.decode(text, input.network === 'signet' ? SIGNET : undefined);

        expect(decoded.prefix!.startsWith(INVOICE_PREFIXES[input.network])).toBe(true);
        expect(decoded.timestamp).toBe(input.timestampSec);
        expect(decoded.millisatoshis ?? null).toBe(input.amountMsat === undefined ? null : input.amountMsat.toString());
        expect(decoded.payeeNodeKey).toBe(toHex(signer.getNodeId()));
        expect(tagData<string>(decoded, 'payment_hash')).toEqual([toHex(input.paymentHash)]);
        expect(tagData<string>(decoded, 'payment_secret')).toEqual([toHex(input.paymentSecret)]);
        expect(tagData<string>(decoded, 'description')).toEqual(input.description === undefined ? [] : [input.description]);
        expect(tagData<string>(decoded, 'purpose_commit_hash')).toEqual(
          input.descriptionHash === undefined ? [] : [toHex(input.descriptionHash)],
        );
        expect(tagData<number>(decoded, 'expire_time')).toEqual(input.expirySeconds === undefined ? [] : [input.expirySeconds]);
        expect(tagData<number>(decoded, 'min_final_cltv_expiry')).toEqual(
          input.minFinalCltvExpiryDelta === undefined ? [] : [input.minFinalCltvExpiryDelta],
        );
        expect(tagData<{ code: number; addressHash: string }>(decoded, 'fallback_address').map((f) => [f.code, f.addressHash])).toEqual(
          (input.fallbacks ?? []).map((f) => [f.version, toHex(f.program)]),
        );
        expect(tagData(decoded, 'routing_info')).toEqual(
          (input.routeHints ?? []).map((hint) =>
            hint.map((hop) => ({
              pubkey: toHex(hop.pubkey),
              short_channel_id: hop.shortChannelId.toString(16).padStart(16, '0'),
              fee_base_msat: Number(hop.feeBaseMsat),
              fee_proportional_millionths: hop.feeProportionalMillionths,
              cltv_expiry_delta: hop.cltvExpiryDelta,
            })),
          ),
        );
        const features = featureBitsOf(input.features ?? OUR_INVOICE_FEATURES);
        const npmFeatures = tagData<NpmFeatureBits>(decoded, 'feature_bits');
        expect(npmFeatures).toHaveLength(features.length === 0 ? 0 : 1);
        expect(npmFeatureBits(npmFeatures[0])).toEqual(features);
      }),
      { numRuns: 80 },
    );
  });

  it('an invoice as our node writes it: amount, 24-block final delta, LDK-style features', () => {
    const text = encodeInvoice(
      secp,
      {
        network: 'regtest',
        amountMsat: 1_234_567n,
        timestampSec: 1_765_000_000,
        paymentHash: new Uint8Array(32).fill(0xab),
        paymentSecret: new Uint8Array(32).fill(0xcd),
        description: 'stormcell',
        expirySeconds: 600,
        minFinalCltvExpiryDelta: 24,
      },
      signer,
    );
    expect(text.startsWith('lnbcrt12345670p1')).toBe(true);
    const decoded = bolt11.decode(text);
    expect(decoded.millisatoshis).toBe('1234567');
    expect(decoded.payeeNodeKey).toBe(toHex(signer.getNodeId()));
    expect(decoded.timeExpireDate).toBe(1_765_000_600);
    expect(decoded.tagsObject.min_final_cltv_expiry).toBe(24);
    const features = decoded.tagsObject.feature_bits!;
    expect([features.var_onion_optin, features.payment_secret, features.basic_mpp]).toEqual([
      { required: true, supported: false },
      { required: true, supported: false },
      { required: false, supported: true },
    ]);
  });
});
