/**
 * BOLT 4 `onion_packet`: Sphinx construction by the origin ("Packet
 * Construction", "Filler Generation") and peeling by each hop ("Onion
 * Decryption"). Payloads are opaque bytes here (see hop-payload.ts).
 */
import { ByteReader, DecodeError, encodeBigSize } from '../codec/index.js';
import { concatBytes, equalConstantTime, hmacSha256, sha256, type Secp256k1 } from '../crypto/index.js';
import { OnionError, OnionErrorCode, PeelFailureReason, type PeelFailure } from './errors.js';
import { FAILURE_CODES } from './failure-codes.js';
import { blindingFactor, deriveHopKeys, generateKey, pseudoRandomStream, xorStream } from './keys.js';

/** `version` of this specification. */
export const ONION_VERSION = 0;
/** `hop_payloads` length. */
export const HOP_PAYLOADS_LENGTH = 1300;
/** HMAC length (packet HMAC and each hop's next HMAC). */
export const HMAC_LENGTH = 32;
/** version (1) + public_key (33) + hop_payloads (1,300) + hmac (32). */
export const ONION_PACKET_LENGTH = 1 + 33 + HOP_PAYLOADS_LENGTH + HMAC_LENGTH;

/** One hop of a route: its node id and its `payload` (the TLV bytes, without the BigSize length). */
export interface OnionHop {
  readonly pubkey: Uint8Array;
  readonly payload: Uint8Array;
}

/** Bytes a hop takes in `hop_payloads`: BigSize length, payload, HMAC. */
function shiftSize(payload: Uint8Array): number {
  return encodeBigSize(BigInt(payload.length)).length + payload.length + HMAC_LENGTH;
}

/**
 * BOLT 4 "Filler Generation": the tail each hop but the last appends (zeros
 * XOR its `rho` stream) as the packet moves, pre-computed so the origin's
 * HMACs cover it. Its length is the sum of the shifts of hops 0..n-2.
 */
function generateFiller(shifts: readonly number[], rhoKeys: readonly Uint8Array[]): Uint8Array {
  const total = shifts.slice(0, -1).reduce((a, b) => a + b, 0);
  const filler = new Uint8Array(total);
  let length = 0;
  for (let i = 0; i < shifts.length - 1; i++) {
    const shift = shifts[i]!;
    // Hop i sees the filler so far at the end of its 1,300 bytes, then shift zeros.
    const stream = pseudoRandomStream(rhoKeys[i]!, HOP_PAYLOADS_LENGTH + shift);
    length += shift;
    const from = HOP_PAYLOADS_LENGTH + shift - length;
    for (let j = 0; j < length; j++) filler[j] = filler[j]! ^ stream[from + j]!;
  }
  return filler;
}

/** Each hop's share of the 1,300 payload bytes; throws {@link OnionError} for no hop, a payload under 2 bytes, or payloads that do not fit. */
function checkedShifts(hops: readonly { readonly payload: Uint8Array }[]): number[] {
  if (hops.length === 0) throw new OnionError(OnionErrorCode.EmptyRoute, 'a route has at least one hop');
  for (const hop of hops) {
    if (hop.payload.length < 2) {
      throw new OnionError(OnionErrorCode.InvalidPayloadLength, `a hop payload is at least 2 bytes, got ${hop.payload.length}`);
    }
  }
  const shifts = hops.map((h) => shiftSize(h.payload));
  const used = shifts.reduce((a, b) => a + b, 0);
  if (used > HOP_PAYLOADS_LENGTH) {
    throw new OnionError(OnionErrorCode.PayloadsTooLarge, `hop payloads take ${used} bytes, more than ${HOP_PAYLOADS_LENGTH}`);
  }
  return shifts;
}

/**
 * Builds the 1,366-byte onion for `hops` (first hop first), committing to
 * `associatedData` (the payment hash for `update_add_htlc`). The session key
 * is the first ephemeral secret and also seeds the initial `hop_payloads`
 * (the `pad` key's ChaCha20 stream), so the packet is deterministic.
 *
 * Throws {@link OnionError} for an empty route, a payload under 2 bytes or
 * payloads over 1,300 bytes in all, and `CryptoError` for an invalid key.
 */
export function createOnion(
  secp: Secp256k1,
  sessionKey: Uint8Array,
  hops: readonly OnionHop[],
  associatedData: Uint8Array,
): Uint8Array {
  // Refused before any point operation (wrapOnion checks the same).
  checkedShifts(hops);
  const keys = deriveHopKeys(
    secp,
    sessionKey,
    hops.map((h) => h.pubkey),
  );
  return wrapOnion(
    sessionKey,
    keys[0]!.ephemeralPublicKey,
    hops.map((h, i) => ({ sharedSecret: keys[i]!.sharedSecret, payload: h.payload })),
    associatedData,
  );
}

/** One hop of an onion whose keys are known: its shared secret with the origin and its payload. */
export interface WrappedHop {
  readonly sharedSecret: Uint8Array;
  readonly payload: Uint8Array;
}

/**
 * The symmetric half of {@link createOnion}: the 1,366-byte packet from the
 * session key (the `pad` stream), the first hop's ephemeral public key and
 * each hop's shared secret, without a point operation. So an origin that
 * keeps these (about 100 bytes a hop) builds the very same packet again.
 * Throws {@link OnionError} as createOnion does.
 */
export function wrapOnion(sessionKey: Uint8Array, ephemeralPublicKey: Uint8Array, hops: readonly WrappedHop[], associatedData: Uint8Array): Uint8Array {
  const shifts = checkedShifts(hops);
  const rhoKeys = hops.map((h) => generateKey('rho', h.sharedSecret));
  const filler = generateFiller(shifts, rhoKeys);

  let mixHeader: Uint8Array = pseudoRandomStream(generateKey('pad', sessionKey), HOP_PAYLOADS_LENGTH);
  let nextHmac: Uint8Array = new Uint8Array(HMAC_LENGTH);
  for (let i = hops.length - 1; i >= 0; i--) {
    const shift = shifts[i]!;
    const shifted = new Uint8Array(HOP_PAYLOADS_LENGTH);
    shifted.set(mixHeader.subarray(0, HOP_PAYLOADS_LENGTH - shift), shift);
    const payload = hops[i]!.payload;
    const lengthPrefix = encodeBigSize(BigInt(payload.length));
    shifted.set(lengthPrefix, 0);
    shifted.set(payload, lengthPrefix.length);
    shifted.set(nextHmac, lengthPrefix.length + payload.length);
    mixHeader = xorStream(rhoKeys[i]!, shifted);
    if (i === hops.length - 1) mixHeader.set(filler, HOP_PAYLOADS_LENGTH - filler.length);
    nextHmac = hmacSha256(generateKey('mu', hops[i]!.sharedSecret), concatBytes(mixHeader, associatedData));
  }
  return concatBytes(Uint8Array.of(ONION_VERSION), ephemeralPublicKey, mixHeader, nextHmac);
}

/**
 * The hop's side of ECDH: its node secret, or a function from the packet's
 * ephemeral public key to the shared secret (SHA256 of the compressed ECDH
 * point), for a signer that keeps the node secret elsewhere.
 */
export type NodeEcdh = Uint8Array | ((ephemeralPublicKey: Uint8Array) => Uint8Array);

/** A peeled packet: this hop's payload, and the packet for the next hop (null at the final node). */
export interface PeeledOnion {
  /** The `payload` TLV bytes (without the BigSize length). */
  readonly payload: Uint8Array;
  /** The 1,366-byte packet to forward, or null when `next_hmac` is all zero (final node). */
  readonly next: Uint8Array | null;
  /** The hop's shared secret: kept to wrap a failure returned for this HTLC. */
  readonly sharedSecret: Uint8Array;
}

export type PeelResult = { readonly ok: true; readonly value: PeeledOnion } | { readonly ok: false; readonly error: PeelFailure };

function malformed(reason: 'invalid-version' | 'invalid-key' | 'invalid-hmac', packet: Uint8Array): PeelResult {
  const failureCode = {
    'invalid-version': FAILURE_CODES.invalidOnionVersion,
    'invalid-key': FAILURE_CODES.invalidOnionKey,
    'invalid-hmac': FAILURE_CODES.invalidOnionHmac,
  }[reason];
  return { ok: false, error: { reason, failureCode, sha256OfOnion: sha256(packet) } };
}

function badPayload(sharedSecret: Uint8Array, message: string): PeelResult {
  return {
    ok: false,
    error: { reason: PeelFailureReason.InvalidPayload, failureCode: FAILURE_CODES.invalidOnionPayload, sharedSecret, message },
  };
}

/**
 * BOLT 4 "Onion Decryption" for one hop: checks `version`, `public_key` and
 * the HMAC (constant time) over `hop_payloads || associatedData`, decrypts,
 * takes this hop's payload and builds the next packet (ephemeral key
 * multiplied by the blinding factor). Never throws for any 1,366 bytes: a
 * bad packet is a {@link PeelFailure}. Throws {@link OnionError} only for a
 * packet of the wrong length (the wire codec fixes it).
 *
 * Replay protection ("if `hmac` has previously been received") is the
 * caller's: it needs state.
 */
export function peelOnion(secp: Secp256k1, node: NodeEcdh, packet: Uint8Array, associatedData: Uint8Array): PeelResult {
  if (packet.length !== ONION_PACKET_LENGTH) {
    throw new OnionError(OnionErrorCode.InvalidLength, `an onion packet is ${ONION_PACKET_LENGTH} bytes, got ${packet.length}`);
  }
  if (packet[0] !== ONION_VERSION) return malformed(PeelFailureReason.InvalidVersion, packet);
  const ephemeralPublicKey = packet.subarray(1, 34);
  if (!secp.isValidPublicKey(ephemeralPublicKey)) return malformed(PeelFailureReason.InvalidKey, packet);
  const hopPayloads = packet.subarray(34, 34 + HOP_PAYLOADS_LENGTH);
  const hmac = packet.subarray(34 + HOP_PAYLOADS_LENGTH);

  const sharedSecret = typeof node === 'function' ? node(ephemeralPublicKey) : secp.ecdh(node, ephemeralPublicKey);
  const expected = hmacSha256(generateKey('mu', sharedSecret), concatBytes(hopPayloads, associatedData));
  if (!equalConstantTime(expected, hmac)) return malformed(PeelFailureReason.InvalidHmac, packet);

  const padded = new Uint8Array(2 * HOP_PAYLOADS_LENGTH);
  padded.set(hopPayloads);
  const unwrapped = xorStream(generateKey('rho', sharedSecret), padded);

  const r = new ByteReader(unwrapped);
  let length: bigint;
  try {
    length = r.bigSize();
  } catch (e) {
    if (e instanceof DecodeError) return badPayload(sharedSecret, `hop payload length: ${e.message}`);
    throw e;
  }
  if (length < 2n) return badPayload(sharedSecret, `hop payload length ${length} is below 2`);
  const shift = r.offset + Number(length) + HMAC_LENGTH;
  // The payload and its HMAC must lie within the 1,300 bytes received.
  if (length > BigInt(HOP_PAYLOADS_LENGTH) || shift > HOP_PAYLOADS_LENGTH) {
    return badPayload(sharedSecret, `hop payload of ${length} bytes runs past hop_payloads`);
  }
  const payload = unwrapped.slice(r.offset, r.offset + Number(length));
  const nextHmac = unwrapped.slice(shift - HMAC_LENGTH, shift);
  if (nextHmac.every((b) => b === 0)) return { ok: true, value: { payload, next: null, sharedSecret } };

  const nextPublicKey = secp.publicKeyTweakMul(ephemeralPublicKey, blindingFactor(ephemeralPublicKey, sharedSecret));
  const next = concatBytes(
    Uint8Array.of(ONION_VERSION),
    nextPublicKey,
    unwrapped.subarray(shift, shift + HOP_PAYLOADS_LENGTH),
    nextHmac,
  );
  return { ok: true, value: { payload, next, sharedSecret } };
}
