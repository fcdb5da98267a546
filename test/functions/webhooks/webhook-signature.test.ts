/** The `Stormcell-Signature` header: its format, and verification as a receiver does it (docs/webhooks.md). */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signatureHeader, verifySignature } from '../../../functions/webhooks/webhook-signature.js';

const SECRET = '5e'.repeat(32);
const BODY = '{"id":"7","kind":"channel-ready","createdAt":"2026-12-06T18:00:00.000Z","data":{}}';

describe('signature header', () => {
  it('is t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>', () => {
    const header = signatureHeader(SECRET, 1_780_000_000, BODY);
    const expected = createHmac('sha256', SECRET).update(`1780000000.${BODY}`).digest('hex');
    expect(header).toBe(`t=1780000000,v1=${expected}`);
    expect(header).toMatch(/^t=[0-9]+,v1=[0-9a-f]{64}$/);
  });

  it('verifies for the same secret, body and a fresh timestamp, whatever they are', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), fc.string(), fc.integer({ min: 0, max: 4_000_000_000 }), fc.integer({ min: -300, max: 300 }), (secret, body, t, skew) => {
        expect(verifySignature(signatureHeader(secret, t, body), body, secret, t + skew)).toEqual({ ok: true });
      }),
    );
  });

  it('refuses another body, another secret, a timestamp older than five minutes or from the future', () => {
    const t = 1_780_000_000;
    const header = signatureHeader(SECRET, t, BODY);
    expect(verifySignature(header, BODY + ' ', SECRET, t)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(header, BODY, 'other', t)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(header, BODY, SECRET, t + 301)).toEqual({ ok: false, reason: 'too-old' });
    expect(verifySignature(header, BODY, SECRET, t - 301)).toEqual({ ok: false, reason: 'in-the-future' });
    // The timestamp is inside the MAC: moving it breaks the signature.
    expect(verifySignature(header.replace(`t=${t}`, `t=${t + 1}`), BODY, SECRET, t)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses malformed headers without throwing', () => {
    const good = signatureHeader(SECRET, 100, BODY);
    for (const header of [undefined, '', 't=100', `v1=${'0'.repeat(64)}`, 't=abc,v1=00', `t=100,v1=${'0'.repeat(63)}`, 't=100,t=100,v1=' + '0'.repeat(64), 'garbage', 'x'.repeat(2000)]) {
      expect(verifySignature(header, BODY, SECRET, 100)).toEqual({ ok: false, reason: 'malformed' });
    }
    fc.assert(fc.property(fc.string(), (header) => void verifySignature(header, BODY, SECRET, 100)));
    // Extra fields and several v1 values (secret rotation) are accepted when one matches.
    expect(verifySignature(`${good},v1=${'0'.repeat(64)},v0=old`, BODY, SECRET, 100)).toEqual({ ok: true });
  });
});
