/**
 * The onion for a route, peeled by each hop with its node secret (shared/onion
 * `peelOnion`): every hop reads the payload BOLT 4 says it must, the payee
 * its `payment_data`, `payment_metadata` or keysend preimage; the packet is
 * committed to the payment hash; bad inputs are typed errors.
 */
import { describe, expect, it } from 'vitest';
import { sha256, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { buildOutboundOnion, OutboundOnionErrorCode, attemptSharedSecrets, type OutboundOnion, type Route } from '../../shared/manager/index.js';
import { findRoute } from '../support/reference-router.js';
import { decodeHopPayload, peelOnion, ONION_PACKET_LENGTH, type HopPayload } from '../../shared/onion/index.js';

const secp = wasmSecp256k1;
const secret = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const US = secp.publicKeyFromSecret(secret(1));
const [A, B, P] = [2, 3, 4].map((n) => secp.publicKeyFromSecret(secret(n))) as [Uint8Array, Uint8Array, Uint8Array];
const NODE_SECRETS = [secret(2), secret(3), secret(4)];
const HEIGHT = 800_000;
const paymentHash = sha256(new TextEncoder().encode('preimage'));
const paymentSecret = new Uint8Array(32).fill(0x5e);
const sessionRandomness = new Uint8Array(32).fill(0x42);

/** Us -> A -> B -> P through a two-hop hint (fees 3,004 then 4,500, see outbound-router.test.ts). */
function threeHopRoute(): Route {
  const r = findRoute({
    ourNodeId: US,
    payeeNodeId: P,
    amountMsat: 2_000_000n,
    finalCltvExpiryDelta: 18,
    bestBlockHeight: HEIGHT,
    firstHops: [{ channelId: new Uint8Array(32).fill(6), counterpartyNodeId: A, shortChannelId: 600n, outboundCapacityMsat: 10n ** 9n, nextOutboundHtlcMinimumMsat: 1n }],
    routeHints: [
      [
        { pubkey: A, shortChannelId: 801n, feeBaseMsat: 1000n, feeProportionalMillionths: 1000, cltvExpiryDelta: 40 },
        { pubkey: B, shortChannelId: 802n, feeBaseMsat: 500n, feeProportionalMillionths: 2000, cltvExpiryDelta: 30 },
      ],
    ],
  });
  if (!r.ok) throw new Error(r.error.message);
  return r.route;
}

function built(route: Route, recipient: Parameters<typeof buildOutboundOnion>[3]): OutboundOnion {
  const r = buildOutboundOnion(secp, route, paymentHash, recipient, sessionRandomness);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** Peels the onion hop by hop: each hop's payload bytes and whether it was the last. */
function peelAll(onion: Uint8Array, secrets: readonly Uint8Array[]): { payload: Uint8Array; isFinal: boolean; sharedSecret: Uint8Array }[] {
  const out: { payload: Uint8Array; isFinal: boolean; sharedSecret: Uint8Array }[] = [];
  let packet: Uint8Array | null = onion;
  for (const s of secrets) {
    if (packet === null) throw new Error('the onion ended early');
    const peeled = peelOnion(secp, s, packet, paymentHash);
    if (!peeled.ok) throw new Error(`peel failed: ${peeled.error.reason}`);
    out.push({ payload: peeled.value.payload, isFinal: peeled.value.next === null, sharedSecret: peeled.value.sharedSecret });
    packet = peeled.value.next;
  }
  return out;
}

function payload(bytes: Uint8Array, isFinal: boolean): HopPayload {
  const r = decodeHopPayload(bytes, isFinal);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe('an onion over a three-hop route', () => {
  const route = threeHopRoute();
  const metadata = Uint8Array.of(1, 2, 3, 4, 5);
  const o = built(route, { paymentSecret, paymentMetadata: metadata });

  it('is one 1,366-byte packet; the HTLC is the first hop\'s amount and expiry', () => {
    expect(o.onion).toHaveLength(ONION_PACKET_LENGTH);
    expect(o.htlcAmountMsat).toBe(2_007_504n);
    expect(o.htlcCltvExpiry).toBe(HEIGHT + 1 + 18 + 30 + 40);
    expect(o.sessionKey).toEqual(sessionRandomness);
  });

  it('each hop peels its own payload: where to forward, how much, until when; the payee its payment_data', () => {
    const hops = peelAll(o.onion, NODE_SECRETS);
    expect(hops.map((h) => h.isFinal)).toEqual([false, false, true]);
    expect(payload(hops[0]!.payload, false)).toEqual({ kind: 'forward', amtToForward: 2_004_500n, outgoingCltvValue: HEIGHT + 1 + 18 + 30, shortChannelId: 801n });
    expect(payload(hops[1]!.payload, false)).toEqual({ kind: 'forward', amtToForward: 2_000_000n, outgoingCltvValue: HEIGHT + 1 + 18, shortChannelId: 802n });
    expect(payload(hops[2]!.payload, true)).toEqual({
      kind: 'final',
      amtToForward: 2_000_000n,
      outgoingCltvValue: HEIGHT + 1 + 18,
      paymentData: { paymentSecret, totalMsat: 2_000_000n },
      paymentMetadata: metadata,
    });
  });

  it('gives the origin the same shared secrets the hops derive (what reads a failure)', () => {
    const hops = peelAll(o.onion, NODE_SECRETS);
    expect(attemptSharedSecrets(secp, o.sessionKey, route)).toEqual(hops.map((h) => h.sharedSecret));
  });

  it('is committed to the payment hash: another hash fails the first hop\'s HMAC', () => {
    const peeled = peelOnion(secp, NODE_SECRETS[0]!, o.onion, sha256(paymentHash));
    expect(peeled.ok).toBe(false);
    if (!peeled.ok) expect(peeled.error.reason).toBe('invalid-hmac');
  });

  it('is not readable by a node off the route', () => {
    expect(peelOnion(secp, secret(9), o.onion, paymentHash).ok).toBe(false);
  });
});

describe('the payee\'s payload', () => {
  const direct: Route = {
    hops: [{ pubkey: P, shortChannelId: 5n, feeMsat: 0n, cltvExpiryDelta: 18, amountMsat: 10_000n, cltvExpiry: HEIGHT + 19 }],
    totalAmountMsat: 10_000n,
    totalFeeMsat: 0n,
    firstHopChannelId: new Uint8Array(32),
    htlcAmountMsat: 10_000n,
    htlcCltvExpiry: HEIGHT + 19,
  };

  it('with no secret: only amount and expiry', () => {
    const [final] = peelAll(built(direct, {}).onion, [secret(4)]);
    expect(payload(final!.payload, true)).toEqual({ kind: 'final', amtToForward: 10_000n, outgoingCltvValue: HEIGHT + 19 });
  });

  it('a total_msat larger than this HTLC (a part of a larger payment)', () => {
    const [final] = peelAll(built(direct, { paymentSecret, totalMsat: 50_000n }).onion, [secret(4)]);
    const p = payload(final!.payload, true);
    expect(p.kind === 'final' && p.paymentData).toEqual({ paymentSecret, totalMsat: 50_000n });
  });

  it('keysend: the preimage in TLV 5482373484, read by the payee', () => {
    const preimage = new Uint8Array(32).fill(0x77);
    const [final] = peelAll(built(direct, { keysendPreimage: preimage }).onion, [secret(4)]);
    expect(payload(final!.payload, true)).toEqual({ kind: 'final', amtToForward: 10_000n, outgoingCltvValue: HEIGHT + 19, keysendPreimage: preimage });
  });
});

describe('refusals are typed errors', () => {
  const route = threeHopRoute();

  it('a session key that is not a secret key (zero, or not 32 bytes)', () => {
    for (const key of [new Uint8Array(32), new Uint8Array(31).fill(1), new Uint8Array(32).fill(0xff)]) {
      const r = buildOutboundOnion(secp, route, paymentHash, {}, key);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe(OutboundOnionErrorCode.InvalidSessionKey);
    }
  });

  it('a route without hops, or with a hop key that is not a point', () => {
    const empty = buildOutboundOnion(secp, { ...route, hops: [] }, paymentHash, {}, sessionRandomness);
    expect(!empty.ok && empty.error.code).toBe(OutboundOnionErrorCode.InvalidRoute);
    const badKey = buildOutboundOnion(secp, { ...route, hops: [{ ...route.hops[0]!, pubkey: new Uint8Array(33).fill(5) }, ...route.hops.slice(1)] }, paymentHash, {}, sessionRandomness);
    expect(!badKey.ok && badKey.error.code).toBe(OutboundOnionErrorCode.InvalidRoute);
  });

  it('a payment secret or keysend preimage that is not 32 bytes', () => {
    const r1 = buildOutboundOnion(secp, route, paymentHash, { paymentSecret: new Uint8Array(16) }, sessionRandomness);
    const r2 = buildOutboundOnion(secp, route, paymentHash, { keysendPreimage: new Uint8Array(33) }, sessionRandomness);
    expect([r1, r2].map((r) => !r.ok && r.error.code)).toEqual([OutboundOnionErrorCode.InvalidRecipientFields, OutboundOnionErrorCode.InvalidRecipientFields]);
  });

  it('payloads that do not fit 1,300 bytes (a large payment_metadata)', () => {
    const r = buildOutboundOnion(secp, route, paymentHash, { paymentSecret, paymentMetadata: new Uint8Array(1200) }, sessionRandomness);
    expect(!r.ok && r.error.code).toBe(OutboundOnionErrorCode.PayloadsTooLarge);
  });
});
