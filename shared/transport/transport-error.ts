/**
 * Failures of the BOLT 8 transport, as a closed set of stable codes.
 *
 * Every failure the peer can cause (BOLT 8 "Handshake Exchange" and
 * "Receiving and Decrypting Messages": "the connection MUST be terminated")
 * is returned as a {@link TransportFailure} value and poisons the state
 * machine that saw it. Only local misuse (an oversized outgoing message,
 * calling `start()` twice) throws, as a {@link TransportError}.
 */
export const TransportErrorCode = {
  /** Act 1: version byte is not 0. */
  Act1BadVersion: 'act1-bad-version',
  /** Act 1: the ephemeral key is not a valid compressed point. */
  Act1BadEphemeralKey: 'act1-bad-ephemeral-key',
  /** Act 1: the MAC does not authenticate. */
  Act1BadMac: 'act1-bad-mac',
  /** Act 1: the input ended before the 50 bytes of act 1. */
  Act1ShortRead: 'act1-short-read',
  /** Act 2: version byte is not 0. */
  Act2BadVersion: 'act2-bad-version',
  /** Act 2: the ephemeral key is not a valid compressed point. */
  Act2BadEphemeralKey: 'act2-bad-ephemeral-key',
  /** Act 2: the MAC does not authenticate. */
  Act2BadMac: 'act2-bad-mac',
  /** Act 2: the input ended before the 50 bytes of act 2. */
  Act2ShortRead: 'act2-short-read',
  /** Act 3: version byte is not 0. */
  Act3BadVersion: 'act3-bad-version',
  /** Act 3: the first ciphertext (the encrypted static key, `c`) does not authenticate. */
  Act3BadStaticKeyMac: 'act3-bad-static-key-mac',
  /** Act 3: the static key decrypts but is not a valid compressed point. */
  Act3BadStaticKey: 'act3-bad-static-key',
  /** Act 3: the final MAC (`t`) does not authenticate. */
  Act3BadMac: 'act3-bad-mac',
  /** Act 3: the input ended before the 66 bytes of act 3. */
  Act3ShortRead: 'act3-short-read',
  /** A message's encrypted length prefix does not authenticate. */
  BadLengthMac: 'bad-length-mac',
  /** A message's encrypted body does not authenticate. */
  BadBodyMac: 'bad-body-mac',
  /** A message is longer than the maximum (65535 bytes, or the configured `maxMessageLength`). */
  MessageTooLong: 'message-too-long',
  /** Input reached a handshake not ready for it (the initiator before `start()`), or a step was repeated. */
  HandshakeNotComplete: 'handshake-not-complete',
  /** Input reached a handshake that has already completed (it belongs to the transport now). */
  HandshakeAlreadyComplete: 'handshake-already-complete',
} as const;
export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

/** A failure returned by the handshake or the transport: drop the connection. */
export interface TransportFailure {
  readonly code: TransportErrorCode;
  /** Human-readable detail for logs (never contains key material). */
  readonly message: string;
}

/** Builds a {@link TransportFailure}. */
export function transportFailure(code: TransportErrorCode, message: string): TransportFailure {
  return { code, message };
}

/** Thrown on local misuse (a broken invariant of the caller), never on peer input. */
export class TransportError extends Error {
  constructor(
    readonly code: TransportErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}
