/**
 * BOLT 4 `payload` TLV stream: the writer's and reader's rules for a
 * forwarding and a final hop, round-trips, and garbage input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { OnionError, decodeHopPayload, encodeHopPayload, type HopPayload } from '../../shared/onion/index.js';

const secret = new Uint8Array(32).fill(0x22);

describe('hop payload (BOLT 4 payload TLV)', () => {
  it('encodes a forwarding hop as onion-test.json hop 0 (tu64, tu32, short_channel_id)', () => {
    const bytes = encodeHopPayload({ kind: 'forward', amtToForward: 15000n, outgoingCltvValue: 1500, shortChannelId: 1n });
    expect(toHex(bytes)).toBe('02023a98040205dc06080000000000000001');
  });

  it('encodes a final hop with payment_data and payment_metadata', () => {
    const payload: HopPayload = {
      kind: 'final',
      amtToForward: 10000n,
      outgoingCltvValue: 1000,
      paymentData: { paymentSecret: secret, totalMsat: 10000n },
      paymentMetadata: fromHex('c0ffee'),
    };
    const bytes = encodeHopPayload(payload);
    expect(toHex(bytes)).toBe('02022710040203e80822' + '22'.repeat(32) + '27101003c0ffee');
    expect(decodeHopPayload(bytes, true)).toEqual({ ok: true, value: payload });
  });

  it('reads a keysend preimage (bLIP 3 type 5482373484, even: understood, not refused) in a final hop', () => {
    const preimage = new Uint8Array(32).fill(0x33);
    const payload: HopPayload = { kind: 'final', amtToForward: 10000n, outgoingCltvValue: 1000, keysendPreimage: preimage };
    const bytes = encodeHopPayload(payload);
    // type 5482373484 is BigSize 0xff then 8 bytes (above 2^32), then length 32
    expect(toHex(bytes)).toBe('02022710040203e8' + 'ff0000000146c6616c' + '20' + '33'.repeat(32));
    expect(decodeHopPayload(bytes, true)).toEqual({ ok: true, value: payload });
    const forward = decodeHopPayload(fromHex('02022710040203e806080000000000000001' + 'ff0000000146c6616c20' + '33'.repeat(32)), false);
    expect(forward).toMatchObject({ ok: false, error: { reason: 'unexpected-field', type: 5482373484n } });
    expect(decodeHopPayload(fromHex('02022710040203e8' + 'ff0000000146c6616c1f' + '33'.repeat(31)), true)).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
  });

  it.each([
    ['no amt_to_forward', '040203e806080000000000000001', false, 'missing-field', 2n],
    ['no outgoing_cltv_value', '02022710', true, 'missing-field', 4n],
    ['a forwarding hop without short_channel_id', '02022710040203e8', false, 'missing-field', 6n],
    ['a forwarding hop with payment_data', '02022710040203e806080000000000000001' + '0822' + '00'.repeat(32) + '2710', false, 'unexpected-field', 8n],
    ['a final hop with short_channel_id', '02022710040203e806080000000000000001', true, 'unexpected-field', 6n],
    ['an unknown even type (blinded route: encrypted_recipient_data)', '02022710040203e80a0101', true, 'unknown-even-type', undefined],
    ['a non-minimal tu64', '0203002710040203e8', true, 'non-minimal-encoding', undefined],
    ['types out of order', '040203e802022710', true, 'tlv-out-of-order', undefined],
    ['a short_channel_id of 7 bytes', '02022710040203e8060700000000000001', false, 'invalid-value', undefined],
  ])('refuses %s', (_, hex, isFinal, reason, type) => {
    const result = decodeHopPayload(fromHex(hex), isFinal);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.reason).toBe(reason);
    expect(result.error.type).toBe(type);
  });

  it('keeps unknown odd records (round trip)', () => {
    const payload: HopPayload = {
      kind: 'forward',
      amtToForward: 1n,
      outgoingCltvValue: 0,
      shortChannelId: 42n,
      unknownTlvs: [{ type: 513n, value: fromHex('0102') }],
    };
    expect(decodeHopPayload(encodeHopPayload(payload), false)).toEqual({ ok: true, value: payload });
  });

  it('refuses to encode a kept record of a known or even type', () => {
    expect(() =>
      encodeHopPayload({ kind: 'final', amtToForward: 1n, outgoingCltvValue: 1, unknownTlvs: [{ type: 10n, value: new Uint8Array(0) }] }),
    ).toThrow(OnionError);
  });

  const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
  const hopPayload: fc.Arbitrary<HopPayload> = fc.oneof(
    fc.record({ kind: fc.constant('forward' as const), amtToForward: u64, outgoingCltvValue: fc.nat({ max: 0xffffffff }), shortChannelId: u64 }),
    fc.record(
      {
        kind: fc.constant('final' as const),
        amtToForward: u64,
        outgoingCltvValue: fc.nat({ max: 0xffffffff }),
        paymentData: fc.record({ paymentSecret: fc.uint8Array({ minLength: 32, maxLength: 32 }), totalMsat: u64 }),
        paymentMetadata: fc.uint8Array({ maxLength: 64 }),
        keysendPreimage: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      },
      { requiredKeys: ['kind', 'amtToForward', 'outgoingCltvValue'] },
    ),
  );

  it('round-trips any payload (property)', () => {
    fc.assert(
      fc.property(hopPayload, (payload) => {
        expect(decodeHopPayload(encodeHopPayload(payload), payload.kind === 'final')).toEqual({ ok: true, value: payload });
      }),
    );
  });

  it('never throws on garbage (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.boolean(), (bytes, isFinal) => {
        expect(typeof decodeHopPayload(bytes, isFinal).ok).toBe('boolean');
      }),
    );
  });
});
