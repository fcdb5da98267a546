/**
 * The BOLT 8 message layer after the handshake: framing, encryption,
 * streaming decryption and key rotation (BOLT 8 "Lightning Message
 * Specification").
 */
import { AEAD_TAG_LENGTH } from '../crypto/index.js';
import { CipherState } from './cipher-state.js';
import { TransportError, TransportErrorCode, transportFailure, type TransportFailure } from './transport-error.js';

/** BOLT 8: the largest Lightning message, bounded by the 2-byte length prefix. */
export const MAX_MESSAGE_LENGTH = 65535;

/** Bytes on the wire for the encrypted 2-byte length prefix and its MAC. */
export const LENGTH_HEADER_SIZE = 2 + AEAD_TAG_LENGTH;

/** Bytes a message grows by on the wire: the length header plus the body's MAC. */
export const MESSAGE_OVERHEAD = LENGTH_HEADER_SIZE + AEAD_TAG_LENGTH;

/**
 * The keys a completed handshake leaves (BOLT 8 act 3: `sk, rk = HKDF(ck,
 * zero)` for the initiator, swapped for the responder); both directions'
 * chaining keys start as the final `ck`. Secret: never log them.
 */
export interface SessionKeys {
  readonly sendingKey: Uint8Array;
  readonly receivingKey: Uint8Array;
  readonly chainingKey: Uint8Array;
}

export interface NoiseTransportOptions {
  /**
   * The longest incoming message accepted, at most (and by default)
   * {@link MAX_MESSAGE_LENGTH}. A decrypted length prefix above it is the
   * failure `message-too-long`, before its body is read.
   */
  readonly maxMessageLength?: number;
}

/** What {@link NoiseTransport.receive} decoded from a chunk. */
export interface ReceiveResult {
  /**
   * Every message completed by this chunk, in order (fresh arrays, owned by
   * the caller); when `error` is set, these are the authenticated messages
   * that preceded the failure.
   */
  readonly messages: Uint8Array[];
  /** Set when the stream failed: drop the connection. Every later `receive` returns it again. */
  readonly error?: TransportFailure;
}

/** Leading bytes before a frame in its buffer, to align the body (see `encryptMessage`). */
const FRAME_ALIGNMENT_PAD = 2;

/** Checks an incoming-length limit: an integer from 0 to 65535. */
export function checkMaxMessageLength(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_MESSAGE_LENGTH) {
    throw new RangeError(`maxMessageLength must be an integer from 0 to ${MAX_MESSAGE_LENGTH}`);
  }
  return value;
}

/**
 * An established BOLT 8 session: encrypts outgoing messages and decrypts
 * the incoming byte stream, chunk by chunk. Pure: no I/O, no clock.
 *
 * Each message uses two nonces of its direction's key (length prefix, then
 * body); keys rotate after 1000 uses (BOLT 8 "Lightning Message Key
 * Rotation").
 *
 * @example
 * const frame = transport.encryptMessage(initBytes); // write frame to the socket
 * const { messages, error } = transport.receive(chunk); // on each socket chunk
 */
export class NoiseTransport {
  private readonly sender: CipherState;
  private readonly receiver: CipherState;
  private readonly maxMessageLength: number;
  private readonly lengthPlain = new Uint8Array(2);
  private readonly lengthOpened = new Uint8Array(2);
  /** Reused for length headers that arrive split across chunks. */
  private readonly lengthFrame = new Uint8Array(LENGTH_HEADER_SIZE);
  private readingLength = true;
  /** Bytes of the frame being read: the length header, or body + MAC. */
  private need = LENGTH_HEADER_SIZE;
  /** The frame being assembled across chunks, or null when none is partial. */
  private partial: Uint8Array | null = null;
  private filled = 0;
  private failure: TransportFailure | null = null;

  /** Usually obtained from a completed handshake; built directly from keys for tests and vectors. */
  constructor(keys: SessionKeys, options: NoiseTransportOptions = {}) {
    this.sender = new CipherState(keys.sendingKey, keys.chainingKey);
    this.receiver = new CipherState(keys.receivingKey, keys.chainingKey);
    this.maxMessageLength = checkMaxMessageLength(options.maxMessageLength ?? MAX_MESSAGE_LENGTH);
  }

  /** The failure that ended the incoming stream, if any. */
  get error(): TransportFailure | undefined {
    return this.failure ?? undefined;
  }

  /**
   * True while part of an incoming frame has arrived and the rest has not: a
   * length header cut short, or a body (with its MAC) still owed after its
   * length header. A caller bounds how long it waits for the rest (a read
   * timeout). False once the stream failed.
   */
  get midFrame(): boolean {
    return this.failure === null && (!this.readingLength || this.partial !== null);
  }

  /**
   * Encrypts one Lightning message (BOLT 8 "Encrypting and Sending
   * Messages"): the returned frame is `lc` (2-byte big-endian length
   * encrypted, 16-byte MAC) then `c` (body encrypted, 16-byte MAC), 34 bytes
   * longer than `plaintext`. The frame is a view 2 bytes into its own buffer
   * (write the view, not `frame.buffer`).
   *
   * @throws TransportError `message-too-long` when `plaintext` exceeds 65535
   *   bytes (nothing is consumed: the session stays usable).
   */
  encryptMessage(plaintext: Uint8Array): Uint8Array {
    const length = plaintext.length;
    if (length > MAX_MESSAGE_LENGTH) {
      throw new TransportError(TransportErrorCode.MessageTooLong, `message of ${length} bytes exceeds ${MAX_MESSAGE_LENGTH}`);
    }
    // The frame is a view starting 2 bytes into its buffer so that the body
    // (18 bytes into the frame) is 4-byte aligned: the cipher's fast path
    // needs aligned output; an unaligned body costs ~25% at 65 KB.
    const frame = new Uint8Array(length + MESSAGE_OVERHEAD + FRAME_ALIGNMENT_PAD).subarray(FRAME_ALIGNMENT_PAD);
    this.lengthPlain[0] = length >>> 8;
    this.lengthPlain[1] = length & 0xff;
    this.sender.sealInto(this.lengthPlain, frame.subarray(0, LENGTH_HEADER_SIZE));
    this.sender.sealInto(plaintext, frame.subarray(LENGTH_HEADER_SIZE));
    return frame;
  }

  /**
   * Feeds received bytes, in any chunking (BOLT 8 "Receiving and Decrypting
   * Messages"). Partial frames are kept until the rest arrives. A bad MAC on
   * a length or body, or a length over `maxMessageLength`, fails the stream
   * for good: drop the connection.
   */
  receive(chunk: Uint8Array): ReceiveResult {
    if (this.failure !== null) return { messages: [], error: this.failure };
    const messages: Uint8Array[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      let frame: Uint8Array;
      if (this.partial === null && chunk.length - offset >= this.need) {
        frame = chunk.subarray(offset, offset + this.need);
        offset += this.need;
      } else {
        if (this.partial === null) {
          this.partial = this.readingLength ? this.lengthFrame : new Uint8Array(this.need);
          this.filled = 0;
        }
        const take = Math.min(this.need - this.filled, chunk.length - offset);
        this.partial.set(chunk.subarray(offset, offset + take), this.filled);
        this.filled += take;
        offset += take;
        if (this.filled < this.need) break;
        frame = this.partial;
        this.partial = null;
      }
      const failure = this.readFrame(frame, messages);
      if (failure !== null) {
        this.failure = failure;
        return { messages, error: failure };
      }
    }
    return { messages };
  }

  private readFrame(frame: Uint8Array, messages: Uint8Array[]): TransportFailure | null {
    if (this.readingLength) {
      if (!this.receiver.openInto(frame, this.lengthOpened)) {
        return transportFailure(TransportErrorCode.BadLengthMac, 'message length MAC does not authenticate');
      }
      const length = (this.lengthOpened[0]! << 8) | this.lengthOpened[1]!;
      if (length > this.maxMessageLength) {
        return transportFailure(
          TransportErrorCode.MessageTooLong,
          `incoming message of ${length} bytes exceeds the maximum of ${this.maxMessageLength}`,
        );
      }
      this.readingLength = false;
      this.need = length + AEAD_TAG_LENGTH;
      return null;
    }
    const message = new Uint8Array(frame.length - AEAD_TAG_LENGTH);
    if (!this.receiver.openInto(frame, message)) {
      return transportFailure(TransportErrorCode.BadBodyMac, 'message body MAC does not authenticate');
    }
    messages.push(message);
    this.readingLength = true;
    this.need = LENGTH_HEADER_SIZE;
    return null;
  }
}
