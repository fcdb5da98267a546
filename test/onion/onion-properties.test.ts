/**
 * Create then peel, through 1 to 20 hops with random keys and payloads:
 * every hop gets its payload, only the last is final, and a packet for
 * another payment hash or a tampered byte is refused at the first hop.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nobleSecp256k1, toHex, wasmSecp256k1, type Secp256k1 } from '../../shared/crypto/index.js';
import { ONION_PACKET_LENGTH, createOnion, peelOnion } from '../../shared/onion/index.js';

/** A valid secret key (a 32-byte array below the curve order; fast-check draws are reproducible). */
const secretKey = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((s) => wasmSecp256k1.isValidSecretKey(s));

/** Up to 20 hops whose payloads fit the 1,300 bytes together: each 2..30 bytes, one of them up to what is left (BigSize lengths of 1 and 3 bytes). */
const route = fc
  .array(fc.record({ secret: secretKey, payload: fc.uint8Array({ minLength: 2, maxLength: 30 }) }), { minLength: 1, maxLength: 20 })
  .chain((hops) =>
    fc.nat({ max: hops.length - 1 }).chain((big) =>
      fc.uint8Array({ minLength: 2, maxLength: Math.max(2, 1300 - hops.reduce((a, h, i) => (i === big ? a : a + 1 + h.payload.length + 32), 0) - 3 - 32) }).map((p) =>
        hops.map((h, i) => (i === big ? { ...h, payload: p } : h)),
      ),
    ),
  );

function checkRoute(secp: Secp256k1, sessionKey: Uint8Array, hops: readonly { secret: Uint8Array; payload: Uint8Array }[], paymentHash: Uint8Array): void {
  const packet = createOnion(
    secp,
    sessionKey,
    hops.map((h) => ({ pubkey: secp.publicKeyFromSecret(h.secret), payload: h.payload })),
    paymentHash,
  );
  expect(packet.length).toBe(ONION_PACKET_LENGTH);
  let current: Uint8Array | null = packet;
  hops.forEach((hop, i) => {
    const result = peelOnion(secp, hop.secret, current!, paymentHash);
    if (!result.ok) throw new Error(`hop ${i}: ${result.error.reason}`);
    expect(toHex(result.value.payload)).toBe(toHex(hop.payload));
    expect(result.value.next === null).toBe(i === hops.length - 1);
    current = result.value.next;
  });
  const other = paymentHash.slice();
  other[0] = other[0]! ^ 1;
  const refused = peelOnion(secp, hops[0]!.secret, packet, other);
  expect(refused.ok === false && refused.error.reason).toBe('invalid-hmac');
}

describe('create then peel (property)', () => {
  it('returns each payload through 1-20 hops (wasm backend)', () => {
    fc.assert(
      fc.property(secretKey, route, fc.uint8Array({ minLength: 32, maxLength: 32 }), (sessionKey, hops, paymentHash) =>
        checkRoute(wasmSecp256k1, sessionKey, hops, paymentHash),
      ),
      { numRuns: 60 },
    );
  });

  it('and on the noble backend (fewer runs)', () => {
    fc.assert(
      fc.property(secretKey, route, fc.uint8Array({ minLength: 32, maxLength: 32 }), (sessionKey, hops, paymentHash) =>
        checkRoute(nobleSecp256k1, sessionKey, hops, paymentHash),
      ),
      { numRuns: 8 },
    );
  });

  it('peelOnion never throws on any 1,366 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: ONION_PACKET_LENGTH, maxLength: ONION_PACKET_LENGTH }), fc.boolean(), (packet, zeroVersion) => {
        if (zeroVersion) packet[0] = 0;
        const result = peelOnion(wasmSecp256k1, new Uint8Array(32).fill(1), packet, new Uint8Array(32));
        expect(result.ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
