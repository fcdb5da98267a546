/**
 * The onion for a payment we send over a {@link Route} (BOLT 4 "Packet
 * Construction" from the origin's side): each hop's `payload` (where to
 * forward, how much, until when; the payee's `payment_data`), the session
 * key, and the packet committed to the payment hash.
 */
import { CryptoError, type Secp256k1 } from '../crypto/index.js';
import {
  OnionError,
  OnionErrorCode,
  deriveHopKeys,
  encodeHopPayload,
  onionSharedSecrets,
  type FinalPayload,
  type HopPayload,
  type WrappedHop,
  wrapOnion,
} from '../onion/index.js';
import type { Route } from '../routing/index.js';

/** What the payee reads in its payload (LDK's `RecipientOnionFields`, plus the keysend preimage). */
export interface RecipientFields {
  /** The invoice's `payment_secret`: sent as `payment_data` with `totalMsat`. */
  readonly paymentSecret?: Uint8Array;
  /** Total of the payment across parts; defaults to the route's amount (a single-part payment). */
  readonly totalMsat?: bigint;
  /** The invoice's `payment_metadata`, echoed back. */
  readonly paymentMetadata?: Uint8Array;
  /** A spontaneous (keysend) payment's preimage. */
  readonly keysendPreimage?: Uint8Array;
}

/** The packet for `update_add_htlc` and what to keep to read a failure later. */
export interface OutboundOnion {
  readonly onion: Uint8Array;
  readonly sessionKey: Uint8Array;
  readonly htlcAmountMsat: bigint;
  readonly htlcCltvExpiry: number;
  /** The hop payloads in route order (the bytes each hop peels). */
  readonly payloads: readonly Uint8Array[];
  /** The first hop's ephemeral public key and each hop's shared secret and payload: with the session key, what builds `onion` again without a point operation. */
  readonly ephemeralPublicKey: Uint8Array;
  readonly hops: readonly WrappedHop[];
}

export const OutboundOnionErrorCode = {
  /** The caller's 32 random bytes are not a valid secp256k1 secret (zero or not below the curve order). */
  InvalidSessionKey: 'invalid-session-key',
  /** A route without hops, or a hop key that is not a point. */
  InvalidRoute: 'invalid-route',
  /** The payloads do not fit the 1,300-byte onion. */
  PayloadsTooLarge: 'payloads-too-large',
  /** A payment secret or keysend preimage that is not 32 bytes. */
  InvalidRecipientFields: 'invalid-recipient-fields',
} as const;
export type OutboundOnionErrorCode = (typeof OutboundOnionErrorCode)[keyof typeof OutboundOnionErrorCode];

export type OutboundOnionResult =
  | { readonly ok: true; readonly value: OutboundOnion }
  | { readonly ok: false; readonly error: { readonly code: OutboundOnionErrorCode; readonly message: string } };

/**
 * The hop payloads of `route` (BOLT 4): hop i forwards to hop i+1 over
 * `hops[i+1].shortChannelId` the amount and expiry of the HTLC arriving
 * there; the payee gets the amount and expiry it must see in its HTLC.
 */
export function routePayloads(route: Route, recipient: RecipientFields): HopPayload[] {
  const hops = route.hops;
  return hops.map((hop, i): HopPayload => {
    const next = hops[i + 1];
    if (next !== undefined) {
      return { kind: 'forward', amtToForward: next.amountMsat, outgoingCltvValue: next.cltvExpiry, shortChannelId: next.shortChannelId };
    }
    const final: FinalPayload = {
      kind: 'final',
      amtToForward: hop.amountMsat,
      outgoingCltvValue: hop.cltvExpiry,
      ...(recipient.paymentSecret === undefined ? {} : { paymentData: { paymentSecret: recipient.paymentSecret, totalMsat: recipient.totalMsat ?? hop.amountMsat } }),
      ...(recipient.paymentMetadata === undefined ? {} : { paymentMetadata: recipient.paymentMetadata }),
      ...(recipient.keysendPreimage === undefined ? {} : { keysendPreimage: recipient.keysendPreimage }),
    };
    return final;
  });
}

/**
 * Builds the onion of a payment over `route`, committed to `paymentHash`.
 * `sessionRandomness` (32 bytes from the caller's `EntropySource`) is the
 * session key; keep it with the attempt: it is what reads a returned failure
 * ({@link attemptSharedSecrets}). Never throws: a bad key, route or field is
 * a typed error.
 */
export function buildOutboundOnion(
  secp: Secp256k1,
  route: Route,
  paymentHash: Uint8Array,
  recipient: RecipientFields,
  sessionRandomness: Uint8Array,
): OutboundOnionResult {
  const fail = (code: OutboundOnionErrorCode, message: string): OutboundOnionResult => ({ ok: false, error: { code, message } });
  if (sessionRandomness.length !== 32 || !secp.isValidSecretKey(sessionRandomness)) {
    return fail(OutboundOnionErrorCode.InvalidSessionKey, 'the session key is not a valid secret key');
  }
  if (route.hops.length === 0) return fail(OutboundOnionErrorCode.InvalidRoute, 'a route has at least one hop');
  if (recipient.paymentSecret !== undefined && recipient.paymentSecret.length !== 32) {
    return fail(OutboundOnionErrorCode.InvalidRecipientFields, 'a payment secret is 32 bytes');
  }
  if (recipient.keysendPreimage !== undefined && recipient.keysendPreimage.length !== 32) {
    return fail(OutboundOnionErrorCode.InvalidRecipientFields, 'a keysend preimage is 32 bytes');
  }
  if (route.hops.some((h) => !secp.isValidPublicKey(h.pubkey))) return fail(OutboundOnionErrorCode.InvalidRoute, 'a hop key is not a point');
  try {
    const payloads = routePayloads(route, recipient).map(encodeHopPayload);
    const sessionKey = sessionRandomness.slice();
    // createOnion in its two halves: the points (once), then the packet from the keys (again at will, see offered-onion.ts).
    const keys = deriveHopKeys(
      secp,
      sessionKey,
      route.hops.map((h) => h.pubkey),
    );
    const hops = keys.map((k, i): WrappedHop => ({ sharedSecret: k.sharedSecret, payload: payloads[i]! }));
    const ephemeralPublicKey = keys[0]!.ephemeralPublicKey;
    const onion = wrapOnion(sessionKey, ephemeralPublicKey, hops, paymentHash);
    return { ok: true, value: { onion, sessionKey, htlcAmountMsat: route.htlcAmountMsat, htlcCltvExpiry: route.htlcCltvExpiry, payloads, ephemeralPublicKey, hops } };
  } catch (e) {
    if (e instanceof OnionError) {
      return fail(e.code === OnionErrorCode.PayloadsTooLarge ? OutboundOnionErrorCode.PayloadsTooLarge : OutboundOnionErrorCode.InvalidRoute, e.message);
    }
    if (e instanceof CryptoError) return fail(OutboundOnionErrorCode.InvalidRoute, e.message);
    throw e;
  }
}

/** The shared secret with each hop of an attempt, in route order: what `decodeFailure` needs. */
export function attemptSharedSecrets(secp: Secp256k1, sessionKey: Uint8Array, route: Pick<Route, 'hops'>): Uint8Array[] {
  return onionSharedSecrets(
    secp,
    sessionKey,
    route.hops.map((h) => h.pubkey),
  );
}
