/**
 * BOLT 4 "Returning Errors": the erring node's return packet (HMAC with
 * `um`, then `ammag` obfuscation), each intermediate hop's re-obfuscation,
 * and the origin's peeling back to the failing hop and its message.
 * Attribution data (`option_attribution_data`) is not built here.
 */
import { ByteReader, ByteWriter, catchDecodeError } from '../codec/index.js';
import { equalConstantTime, hmacSha256 } from '../crypto/index.js';
import { OnionError, OnionErrorCode } from './errors.js';
import { decodeFailureMessage, encodeFailureMessage, type FailureMessage } from './failure-codes.js';
import { generateKey, xorStream } from './keys.js';

/** BOLT 4: `failure_len` + `pad_len` SHOULD be 256 (and MUST be at least 256). */
export const DEFAULT_FAILURE_LENGTH = 256;

/**
 * The return packet before obfuscation: `hmac || failure_len || failuremsg
 * || pad_len || pad`, with `failuremsg` padded with zeros to `paddedLength`
 * bytes (`failure_len + pad_len`, at least 256) and the HMAC keyed with `um`.
 */
export function failurePacketPlaintext(
  sharedSecret: Uint8Array,
  failureMessage: Uint8Array,
  paddedLength: number = DEFAULT_FAILURE_LENGTH,
): Uint8Array {
  if (sharedSecret.length !== 32) throw new OnionError(OnionErrorCode.InvalidLength, 'a shared secret is 32 bytes');
  if (paddedLength < DEFAULT_FAILURE_LENGTH || paddedLength > 0xffff) {
    throw new OnionError(OnionErrorCode.InvalidLength, `padded failure length ${paddedLength} is not in 256..65535`);
  }
  if (failureMessage.length > paddedLength) {
    throw new OnionError(OnionErrorCode.FailureTooLong, `failure message of ${failureMessage.length} bytes exceeds ${paddedLength}`);
  }
  const padLength = paddedLength - failureMessage.length;
  const payload = new ByteWriter()
    .u16(failureMessage.length)
    .bytes(failureMessage)
    .u16(padLength)
    .bytes(new Uint8Array(padLength))
    .finish();
  const out = new Uint8Array(32 + payload.length);
  out.set(hmacSha256(generateKey('um', sharedSecret), payload), 0);
  out.set(payload, 32);
  return out;
}

/**
 * One hop's obfuscation of a return packet: XOR with the `ammag` stream of
 * its shared secret. The erring node applies it to its plaintext, every
 * intermediate hop to what it received (the `reason` of `update_fail_htlc`),
 * and the origin removes the layers with the same operation.
 */
export function wrapFailurePacket(sharedSecret: Uint8Array, packet: Uint8Array): Uint8Array {
  return xorStream(generateKey('ammag', sharedSecret), packet);
}

/**
 * The erring node's `reason`: a failure message (bytes, or a
 * {@link FailureMessage} to encode) padded, authenticated with `um` and
 * obfuscated with `ammag`.
 */
export function createFailurePacket(
  sharedSecret: Uint8Array,
  failure: FailureMessage | Uint8Array,
  paddedLength: number = DEFAULT_FAILURE_LENGTH,
): Uint8Array {
  const bytes = failure instanceof Uint8Array ? failure : encodeFailureMessage(failure);
  return wrapFailurePacket(sharedSecret, failurePacketPlaintext(sharedSecret, bytes, paddedLength));
}

/** What the origin reads from a returned failure. */
export type DecodedFailure =
  | {
      readonly ok: true;
      /** Position in the route (0 = first hop) of the node that created the failure. */
      readonly hopIndex: number;
      /** The raw `failuremsg`. */
      readonly failureMessage: Uint8Array;
      /** The decoded message, or undefined when `failuremsg` is too short for its code's data. */
      readonly message: FailureMessage | undefined;
    }
  | {
      readonly ok: false;
      /**
       * `unattributable`: no hop's `um` HMAC matched (a hop corrupted it);
       * `malformed`: the HMAC of `hopIndex` matched but its lengths do not parse.
       */
      readonly reason: 'unattributable' | 'malformed';
      readonly hopIndex?: number;
    };

/** BOLT 4: the origin keeps decrypting until 27 rounds (the maximum route length) to hide the failing hop's position. */
export const FAILURE_DECRYPTION_ROUNDS = 27;
const DUMMY_SECRET = new Uint8Array(32);

/**
 * The origin's side: removes each hop's `ammag` layer in route order and
 * checks each hop's `um` HMAC (constant time); the first match is the hop
 * that created the failure. Keeps going for {@link FAILURE_DECRYPTION_ROUNDS}
 * rounds in all (with a constant dummy key past the route) so the time does
 * not depend on the failing hop's position. Never throws on any bytes.
 *
 * `sharedSecrets` are the route's, in order (`onionSharedSecrets`).
 */
export function decodeFailure(sharedSecrets: readonly Uint8Array[], packet: Uint8Array): DecodedFailure {
  let current = packet;
  let found: { hopIndex: number; plaintext: Uint8Array } | undefined;
  const rounds = Math.max(FAILURE_DECRYPTION_ROUNDS, sharedSecrets.length);
  for (let i = 0; i < rounds; i++) {
    const secret = sharedSecrets[i] ?? DUMMY_SECRET;
    current = wrapFailurePacket(secret, current);
    if (current.length < 32) continue;
    const mac = hmacSha256(generateKey('um', secret), current.subarray(32));
    const matches = equalConstantTime(mac, current.subarray(0, 32));
    if (matches && found === undefined && i < sharedSecrets.length) found = { hopIndex: i, plaintext: current };
  }
  if (found === undefined) return { ok: false, reason: 'unattributable' };
  const { hopIndex, plaintext } = found;
  const parsed = catchDecodeError(() => {
    const r = new ByteReader(plaintext.subarray(32));
    const failureMessage = r.bytes(r.u16());
    r.bytes(r.u16());
    return failureMessage;
  });
  if (!parsed.ok) return { ok: false, reason: 'malformed', hopIndex };
  const decoded = decodeFailureMessage(parsed.value);
  return { ok: true, hopIndex, failureMessage: parsed.value, message: decoded.ok ? decoded.value : undefined };
}
