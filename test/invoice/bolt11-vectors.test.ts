/**
 * BOLT 11 "Examples" and "Examples of Invalid Invoices", kept unchanged in
 * test/vectors/bolt11-invoices.json (lightning/bolts a3772650): every valid
 * example decodes to the spec's values byte for byte and re-signs to the same
 * string with the spec's key; every invalid one fails with its rule.
 */
import { bech32 } from '@scure/base';
import { describe, expect, it } from 'vitest';
import { fromHex, nobleSecp256k1, normalizeS, sha256, toHex, wasmSecp256k1, type Secp256k1 } from '../../shared/crypto/index.js';
import { InMemoryNodeSigner } from '../../shared/keys/index.js';
import {
  DEFAULT_EXPIRY_SECONDS,
  DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA,
  INVOICE_PREFIXES,
  decodeInvoice,
  descriptionMatches,
  signInvoice,
  type Invoice,
  type InvoiceErrorRule,
  type SkipReason,
} from '../../shared/invoice/index.js';
import { signingDigest } from '../../shared/invoice/signature.js';
import { featureBitsOf } from '../../shared/wire/index.js';
import vectors from '../vectors/bolt11-invoices.json' with { type: 'json' };

interface ValidVector {
  readonly title: string;
  readonly invoice: string;
  readonly signed_with_priv_key: string;
  readonly decoded: {
    readonly network_prefix: string;
    readonly amount_msat: number | null;
    readonly timestamp: number;
    readonly payment_hash: string;
    readonly payment_secret: string;
    readonly description?: string;
    readonly description_hash?: string;
    readonly description_hash_preimage?: string;
    readonly expiry?: number;
    readonly min_final_cltv_expiry_delta?: number;
    readonly metadata?: string;
    readonly fallbacks?: readonly { version: number; program_or_hash: string }[];
    readonly route_hints?: readonly (readonly {
      pubkey: string;
      short_channel_id: string;
      fee_base_msat: number;
      fee_proportional_millionths: number;
      cltv_expiry_delta: number;
    }[])[];
    readonly features_bits: readonly number[];
    readonly payee_pubkey: string;
    readonly signature: string;
    readonly recovery_flag: number;
    readonly signature_is_high_s: boolean;
    readonly signing_hash: string;
    readonly ignored_fields?: readonly { type: string; data_length?: number; version?: number; why: string }[];
  };
}

const valid = vectors.valid as readonly ValidVector[];

/** The rule each spec invalid example breaks, by the spec's reason text. */
const RULE_OF_REASON: Readonly<Record<string, InvoiceErrorRule>> = {
  'Same, but adding invalid unknown feature 100': 'unknown-even-feature',
  'Bech32 checksum is invalid.': 'bad-checksum',
  'Malformed bech32 string (no 1)': 'malformed-bech32',
  'Malformed bech32 string (mixed case)': 'malformed-bech32',
  'Signature is not recoverable.': 'unrecoverable-signature',
  'String is too short.': 'too-short',
  'Invalid multiplier': 'invalid-multiplier',
  'Invalid sub-millisatoshi precision.': 'sub-millisatoshi-amount',
  'Missing required `s` field.': 'missing-payment-secret',
  "Non canonical signature (high-S) with 'n' field defined": 'high-s-signature',
};

const SKIP_REASON_OF_WHY: Readonly<Record<string, SkipReason>> = {
  'unknown field': 'unknown-type',
  'unknown fallback version': 'unknown-fallback-version',
  'wrong length': 'wrong-length',
};

const ALPHABET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

/** BOLT 7 `short_channel_id` as block x tx x output. */
function scidText(scid: bigint): string {
  return `${scid >> 40n}x${(scid >> 16n) & 0xffffffn}x${scid & 0xffffn}`;
}

function decodeOk(secp: Secp256k1, text: string): Invoice {
  const result = decodeInvoice(secp, text);
  if (!result.ok) throw new Error(`${result.error.rule}: ${result.error.message}`);
  return result.value;
}

describe.each([nobleSecp256k1, wasmSecp256k1])('BOLT 11 examples on $name', (secp: Secp256k1) => {
  it('holds the 16 valid and 10 invalid examples of the spec', () => {
    expect(valid).toHaveLength(16);
    expect(vectors.invalid).toHaveLength(10);
    expect(vectors.invalid.map((v) => v.reason).sort()).toEqual(Object.keys(RULE_OF_REASON).sort());
  });

  describe.each(valid.map((v) => [v.title.slice(0, 70), v] as const))('%s', (_title, vector) => {
    const d = vector.decoded;

    it('decodes to the spec values', () => {
      const inv = decodeOk(secp, vector.invoice);
      expect(INVOICE_PREFIXES[inv.network]).toBe(d.network_prefix);
      expect(inv.amountMsat).toBe(d.amount_msat === null ? null : BigInt(d.amount_msat));
      expect(inv.timestampSec).toBe(d.timestamp);
      expect(toHex(inv.paymentHash)).toBe(d.payment_hash);
      expect(toHex(inv.paymentSecret)).toBe(d.payment_secret);
      expect(inv.description).toBe(d.description ?? null);
      expect(inv.descriptionHash === null ? null : toHex(inv.descriptionHash)).toBe(d.description_hash ?? null);
      expect(inv.expirySeconds).toBe(d.expiry ?? DEFAULT_EXPIRY_SECONDS);
      expect(inv.expiresAtSec).toBe(d.timestamp + (d.expiry ?? DEFAULT_EXPIRY_SECONDS));
      expect(inv.minFinalCltvExpiryDelta).toBe(d.min_final_cltv_expiry_delta ?? DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA);
      expect(inv.paymentMetadata === null ? null : toHex(inv.paymentMetadata)).toBe(d.metadata ?? null);
      expect(inv.fallbacks.map((f) => ({ version: f.version, program_or_hash: toHex(f.program) }))).toEqual(
        (d.fallbacks ?? []).map((f) => ({ version: f.version, program_or_hash: f.program_or_hash })),
      );
      expect(
        inv.routeHints.map((hint) =>
          hint.map((hop) => ({
            pubkey: toHex(hop.pubkey),
            short_channel_id: scidText(hop.shortChannelId),
            fee_base_msat: Number(hop.feeBaseMsat),
            fee_proportional_millionths: hop.feeProportionalMillionths,
            cltv_expiry_delta: hop.cltvExpiryDelta,
          })),
        ),
      ).toEqual(d.route_hints ?? []);
      expect(featureBitsOf(inv.features)).toEqual(d.features_bits);
      expect(toHex(inv.payeeNodeId)).toBe(d.payee_pubkey);
      expect(toHex(inv.signature)).toBe(d.signature);
      expect(inv.recoveryId).toBe(d.recovery_flag);
    });

    it('skips exactly the fields the spec says to ignore, in order', () => {
      const skipped = decodeOk(secp, vector.invoice).fields.flatMap((f) => (f.tag === 'skipped' ? [f] : []));
      const ignored = d.ignored_fields ?? [];
      expect(skipped).toHaveLength(ignored.length);
      ignored.forEach((want, i) => {
        const got = skipped[i]!;
        expect(ALPHABET[got.type]).toBe(want.type);
        expect(got.why).toBe(SKIP_REASON_OF_WHY[want.why]);
        if (want.data_length !== undefined) expect(got.words.length).toBe(want.data_length);
        if (want.version !== undefined) expect(got.words[0]).toBe(want.version);
      });
    });

    it('signs the digest the spec prints', () => {
      const { prefix, words } = bech32.decode(vector.invoice.toLowerCase() as `${string}1${string}`, false);
      expect(toHex(signingDigest(prefix, words.slice(0, -104)))).toBe(d.signing_hash);
    });

    if (d.description_hash_preimage !== undefined) {
      it('commits to the hashed description', () => {
        const inv = decodeOk(secp, vector.invoice);
        expect(toHex(sha256(new TextEncoder().encode(d.description_hash_preimage)))).toBe(d.description_hash);
        expect(descriptionMatches(inv, d.description_hash_preimage!)).toBe(true);
        expect(descriptionMatches(inv, `${d.description_hash_preimage}.`)).toBe(false);
      });
    }

    if (!d.signature_is_high_s) {
      it("re-signs to the same string with the spec's key", () => {
        const signer = new InMemoryNodeSigner(secp, fromHex(vector.signed_with_priv_key));
        expect(signInvoice(secp, decodeOk(secp, vector.invoice), signer)).toBe(vector.invoice.toLowerCase());
      });
    } else {
      it('is the first example with s replaced by n - s: re-signing gives back the first example', () => {
        const signer = new InMemoryNodeSigner(secp, fromHex(vector.signed_with_priv_key));
        const inv = decodeOk(secp, vector.invoice);
        expect(signInvoice(secp, inv, signer)).toBe(valid[0]!.invoice);
        expect(toHex(normalizeS(inv.signature))).toBe(valid[0]!.decoded.signature);
      });
    }
  });

  it.each(vectors.invalid.map((v) => [v.reason, v.invoice] as const))('refuses "%s"', (reason, invoice) => {
    const result = decodeInvoice(secp, invoice);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.rule).toBe(RULE_OF_REASON[reason]);
  });
});
