/**
 * BOLT 4 final-node requirements: every refusal of checkReceivedHtlc with
 * the exact failure message bytes it sends back, and the claimable parts of
 * invoice, for-hash and keysend payments.
 */
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../shared/codec/index.js';
import { nobleSecp256k1, sha256, toHex } from '../../shared/crypto/index.js';
import { KeysManager } from '../../shared/keys/index.js';
import { createOnion, decodeHopPayload, encodeFailureMessage, encodeHopPayload, peelOnion, type FinalPayload } from '../../shared/onion/index.js';
import {
  CLTV_FAR_FAR_AWAY,
  HTLC_FAIL_BACK_BUFFER,
  MIN_FINAL_CLTV_EXPIRY_DELTA,
  checkReceivedHtlc,
  createInboundPayment,
  createInboundPaymentForHash,
  expandInboundPaymentKey,
  type ReceiveCheck,
  type ReceiveInput,
} from '../../shared/manager/index.js';

const key = expandInboundPaymentKey(new Uint8Array(32).fill(9));
const H = 800_000;
const NOW = 1_800_000_000;
const AMOUNT = 100_000n;
const invoice = createInboundPayment(key, { amountMsat: AMOUNT, expirySecs: 3600, nowSecs: NOW }, new Uint8Array(32).fill(1));

/** Payload fields to change; `undefined` removes one. */
type PayloadChange = { readonly [K in keyof FinalPayload]?: FinalPayload[K] | undefined };

function input(over: { htlc?: Partial<ReceiveInput['htlc']>; payload?: PayloadChange; nowSecs?: number } = {}): ReceiveInput {
  const cltvExpiry = over.htlc?.cltvExpiry ?? H + MIN_FINAL_CLTV_EXPIRY_DELTA;
  const payload = {
    kind: 'final',
    amtToForward: AMOUNT,
    outgoingCltvValue: cltvExpiry,
    paymentData: { paymentSecret: invoice.paymentSecret, totalMsat: AMOUNT },
    ...over.payload,
  };
  return {
    htlc: { amountMsat: AMOUNT, cltvExpiry, paymentHash: invoice.paymentHash, ...over.htlc },
    payload: Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined)) as unknown as FinalPayload,
    bestBlockHeight: H,
    expandedKey: key,
    nowSecs: over.nowSecs ?? NOW + 60,
  };
}

/** `incorrect_or_unknown_payment_details` bytes: 0x400f, u64 htlc_msat, u32 height. */
function unknownDetailsHex(htlcMsat: bigint, height = H): string {
  return toHex(new ByteWriter().u16(0x400f).u64(htlcMsat).u32(height).finish());
}

function refusal(check: ReceiveCheck): { reason: string; bytes: string } {
  expect(check.ok).toBe(false);
  if (check.ok) throw new Error('accepted');
  return { reason: check.reason, bytes: toHex(encodeFailureMessage(check.failure)) };
}

describe('checkReceivedHtlc: an HTLC paying our invoice', () => {
  it('is a claimable part with the derived preimage', () => {
    const check = checkReceivedHtlc(input());
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.part.purpose).toBe('invoice');
    expect(check.part.amountMsat).toBe(AMOUNT);
    expect(check.part.totalMsat).toBe(AMOUNT);
    expect(check.part.cltvExpiry).toBe(H + MIN_FINAL_CLTV_EXPIRY_DELTA);
    expect(toHex(check.part.paymentSecret!)).toBe(toHex(invoice.paymentSecret));
    expect(toHex(sha256(check.part.preimage!))).toBe(toHex(invoice.paymentHash));
  });

  it('an HTLC paying more than amt_to_forward is accepted and reports what it pays', () => {
    const check = checkReceivedHtlc(input({ htlc: { amountMsat: AMOUNT + 500n } }));
    expect(check.ok && check.part.amountMsat).toBe(AMOUNT + 500n);
  });

  it('one part of a multi-part payment: the total is the onion total_msat', () => {
    const check = checkReceivedHtlc(input({ htlc: { amountMsat: 40_000n }, payload: { amtToForward: 40_000n } }));
    expect(check.ok && [check.part.amountMsat, check.part.totalMsat]).toEqual([40_000n, AMOUNT]);
  });

  it('final_incorrect_cltv_expiry (0x0012, the HTLC cltv_expiry) when outgoing_cltv_value exceeds it', () => {
    const cltv = H + 100;
    const r = refusal(checkReceivedHtlc(input({ htlc: { cltvExpiry: cltv }, payload: { outgoingCltvValue: cltv + 1 } })));
    expect(r).toEqual({ reason: 'cltv-below-onion', bytes: '0012' + toHex(new ByteWriter().u32(cltv).finish()) });
  });

  it('final_incorrect_htlc_amount (0x0013, the HTLC amount) when amt_to_forward exceeds it', () => {
    const r = refusal(checkReceivedHtlc(input({ htlc: { amountMsat: AMOUNT - 1n } })));
    expect(r).toEqual({ reason: 'amount-below-onion', bytes: '0013' + toHex(new ByteWriter().u64(AMOUNT - 1n).finish()) });
  });

  it('expiry at or before height + HTLC_FAIL_BACK_BUFFER + 1: incorrect_or_unknown_payment_details; one block later accepted', () => {
    const soon = H + HTLC_FAIL_BACK_BUFFER + 1;
    expect(refusal(checkReceivedHtlc(input({ htlc: { cltvExpiry: soon } })))).toEqual({ reason: 'expiry-too-soon', bytes: unknownDetailsHex(AMOUNT) });
    expect(checkReceivedHtlc(input({ htlc: { cltvExpiry: soon + 1 } })).ok).toBe(true);
  });

  it('expiry beyond height + 2016: incorrect_or_unknown_payment_details', () => {
    expect(refusal(checkReceivedHtlc(input({ htlc: { cltvExpiry: H + CLTV_FAR_FAR_AWAY + 1 } })))).toEqual({
      reason: 'expiry-too-far',
      bytes: unknownDetailsHex(AMOUNT),
    });
    expect(checkReceivedHtlc(input({ htlc: { cltvExpiry: H + CLTV_FAR_FAR_AWAY } })).ok).toBe(true);
  });

  it.each([
    ['an unknown payment hash', input({ htlc: { paymentHash: sha256(invoice.paymentHash) } }), 'unknown-payment'],
    ['a wrong payment secret', input({ payload: { paymentData: { paymentSecret: new Uint8Array(32).fill(3), totalMsat: AMOUNT } } }), 'unknown-payment'],
    ['a total below the invoice amount', input({ htlc: { amountMsat: 90_000n }, payload: { amtToForward: 90_000n, paymentData: { paymentSecret: invoice.paymentSecret, totalMsat: 90_000n } } }), 'amount-too-low'],
    ['an expired invoice', input({ nowSecs: NOW + 3601 }), 'expired'],
    ['no payment_data (payment secret required)', input({ payload: { paymentData: undefined } }), 'no-payment-secret'],
  ])('%s: incorrect_or_unknown_payment_details (0x400f, htlc_msat, height)', (_, bad, reason) => {
    expect(refusal(checkReceivedHtlc(bad))).toEqual({ reason, bytes: unknownDetailsHex(bad.htlc.amountMsat) });
  });

  it('the invoice min_final_cltv_expiry_delta chosen at creation is enforced exactly', () => {
    const custom = createInboundPayment(key, { amountMsat: AMOUNT, expirySecs: 3600, nowSecs: NOW, minFinalCltvExpiryDelta: 144 }, new Uint8Array(32).fill(2));
    const paying = (cltvExpiry: number): ReceiveInput =>
      input({ htlc: { cltvExpiry, paymentHash: custom.paymentHash }, payload: { paymentData: { paymentSecret: custom.paymentSecret, totalMsat: AMOUNT } } });
    expect(refusal(checkReceivedHtlc(paying(H + 143)))).toEqual({ reason: 'below-min-final-cltv', bytes: unknownDetailsHex(AMOUNT) });
    expect(checkReceivedHtlc(paying(H + 144)).ok).toBe(true);
  });

  it('a for-hash invoice: claimable without a preimage', () => {
    const hash = sha256(new Uint8Array(32).fill(5));
    const secret = createInboundPaymentForHash(key, hash, { amountMsat: AMOUNT, expirySecs: 60, nowSecs: NOW });
    const check = checkReceivedHtlc(input({ htlc: { paymentHash: hash }, payload: { paymentData: { paymentSecret: secret, totalMsat: AMOUNT } } }));
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.part.purpose).toBe('for-hash');
    expect(check.part.preimage).toBeUndefined();
  });
});

describe('checkReceivedHtlc: keysend (bLIP 3 preimage in the onion)', () => {
  const preimage = new Uint8Array(32).fill(0x44);
  const hash = sha256(preimage);
  const keysend = (payload: PayloadChange, htlc: Partial<ReceiveInput['htlc']> = {}): ReceiveInput =>
    input({ htlc: { paymentHash: hash, amountMsat: 7_000n, ...htlc }, payload: { amtToForward: 7_000n, paymentData: undefined, keysendPreimage: preimage, ...payload } });

  it('without a payment secret: a spontaneous part, total = amt_to_forward', () => {
    const check = checkReceivedHtlc(keysend({}));
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.part).toMatchObject({ purpose: 'spontaneous', amountMsat: 7_000n, totalMsat: 7_000n });
    expect(toHex(check.part.preimage!)).toBe(toHex(preimage));
    expect(check.part.paymentSecret).toBeUndefined();
  });

  it('a preimage that is not the hash: incorrect_or_unknown_payment_details', () => {
    expect(refusal(checkReceivedHtlc(keysend({}, { paymentHash: sha256(hash) })))).toEqual({ reason: 'bad-keysend-preimage', bytes: unknownDetailsHex(7_000n) });
  });

  it('single-part with payment_data is accepted (secret kept, not checked); multi-part keysend is refused', () => {
    const secret = new Uint8Array(32).fill(8);
    const single = checkReceivedHtlc(keysend({ paymentData: { paymentSecret: secret, totalMsat: 7_000n } }));
    expect(single.ok && toHex(single.part.paymentSecret!)).toBe(toHex(secret));
    expect(refusal(checkReceivedHtlc(keysend({ paymentData: { paymentSecret: secret, totalMsat: 14_000n } })))).toEqual({
      reason: 'multi-part-keysend',
      bytes: unknownDetailsHex(7_000n),
    });
  });

  it('the cltv and amount checks come first, as for invoices', () => {
    expect(refusal(checkReceivedHtlc(keysend({}, { amountMsat: 6_999n }))).reason).toBe('amount-below-onion');
    expect(refusal(checkReceivedHtlc(keysend({ outgoingCltvValue: H + 10 }, { cltvExpiry: H + 10 }))).reason).toBe('expiry-too-soon');
  });
});

describe('from an onion to a claimable part', () => {
  it('peelOnion, decodeHopPayload (final), checkReceivedHtlc: our node pays itself an invoice and a keysend through one-hop onions', () => {
    const secp = nobleSecp256k1;
    const node = new KeysManager(secp, new Uint8Array(32).fill(0x5a), { getSecureRandomBytes: () => new Uint8Array(32).fill(0x11) });
    const expandedKey = expandInboundPaymentKey(node.inboundPaymentKey());
    const paid = createInboundPayment(expandedKey, { amountMsat: 25_000n, expirySecs: 600, nowSecs: NOW }, new Uint8Array(32).fill(0x77));
    const keysendPreimage = new Uint8Array(32).fill(0x66);
    const cases: { hash: Uint8Array; payload: FinalPayload; purpose: string }[] = [
      {
        hash: paid.paymentHash,
        payload: { kind: 'final', amtToForward: 25_000n, outgoingCltvValue: H + 50, paymentData: { paymentSecret: paid.paymentSecret, totalMsat: 25_000n } },
        purpose: 'invoice',
      },
      { hash: sha256(keysendPreimage), payload: { kind: 'final', amtToForward: 25_000n, outgoingCltvValue: H + 50, keysendPreimage }, purpose: 'spontaneous' },
    ];
    for (const { hash, payload, purpose } of cases) {
      const packet = createOnion(secp, new Uint8Array(32).fill(0x42), [{ pubkey: node.getNodeId(), payload: encodeHopPayload(payload) }], hash);
      const peeled = peelOnion(secp, (ephemeral) => node.ecdh(ephemeral), packet, hash);
      expect(peeled.ok && peeled.value.next).toBe(null);
      if (!peeled.ok) return;
      const decoded = decodeHopPayload(peeled.value.payload, true);
      expect(decoded.ok && decoded.value.kind).toBe('final');
      if (!decoded.ok || decoded.value.kind !== 'final') return;
      const check = checkReceivedHtlc({
        htlc: { amountMsat: 25_000n, cltvExpiry: H + 50, paymentHash: hash },
        payload: decoded.value,
        bestBlockHeight: H,
        expandedKey,
        nowSecs: NOW + 1,
      });
      expect(check.ok && check.part.purpose).toBe(purpose);
      expect(check.ok && toHex(sha256(check.part.preimage!))).toBe(toHex(hash));
    }
  });
});
