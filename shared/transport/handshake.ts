/**
 * The BOLT 8 handshake (Noise_XK_secp256k1_ChaChaPoly_SHA256) for both
 * roles, as a pure state machine: bytes in, acts to send / completion /
 * typed failure out (BOLT 8 "Authenticated Key Exchange Handshake
 * Specification"). No I/O, no clock, no randomness: the ephemeral key is
 * injected.
 */
import {
  CryptoError,
  CryptoErrorCode,
  aeadDecrypt,
  aeadEncrypt,
  concatBytes,
  type Secp256k1,
} from '../crypto/index.js';
import {
  ACT_ONE_SIZE,
  ACT_THREE_SIZE,
  ACT_TWO_SIZE,
  HANDSHAKE_VERSION,
  HandshakeState,
} from './handshake-state.js';
import { NoiseTransport, checkMaxMessageLength, type SessionKeys } from './noise-transport.js';
import {
  TransportError,
  TransportErrorCode,
  transportFailure,
  type TransportFailure,
} from './transport-error.js';

/** What both roles are constructed with. */
export interface HandshakeParams {
  /** The secp256k1 backend (`nobleSecp256k1` or `wasmSecp256k1`). */
  readonly secp: Secp256k1;
  /** Our node's static secret key (`ls.priv`). */
  readonly localSecret: Uint8Array;
  /** A fresh random secret key for this connection only (`e.priv`); never reuse one. */
  readonly ephemeralSecret: Uint8Array;
  /** Passed to the resulting {@link NoiseTransport}: the longest incoming message accepted (default 65535). */
  readonly maxMessageLength?: number;
}

/** The initiator also knows whom it is calling. */
export interface InitiatorHandshakeParams extends HandshakeParams {
  /** The responder's static public key (its node id, `rs.pub`, 33 bytes compressed). */
  readonly remoteStatic: Uint8Array;
}

/** A completed handshake. */
export interface HandshakeDone {
  /** The session: encrypt and decrypt Lightning messages from here on. */
  readonly transport: NoiseTransport;
  /** The peer's static public key (its node id): for the responder, learnt in act 3. */
  readonly remoteStatic: Uint8Array;
  /**
   * Bytes that arrived after the final act in the same chunk: already the
   * start of the encrypted message stream. Feed them to `transport.receive()`
   * before the next chunk (often empty).
   */
  readonly leftover: Uint8Array;
}

/**
 * The outcome of feeding bytes to a handshake. All fields absent: waiting
 * for more bytes. `send` and `done` can come together (the initiator
 * completes as it writes act 3). `error` comes alone: drop the connection.
 */
export interface HandshakeStep {
  /** Bytes to write to the peer now. */
  readonly send?: Uint8Array;
  /** Set once, when the handshake completes. */
  readonly done?: HandshakeDone;
  /** Set when the handshake failed; every later call returns it again. */
  readonly error?: TransportFailure;
}

/** Where a handshake stands. */
export const HandshakePhase = {
  /** Initiator before `start()`. */
  Idle: 'idle',
  AwaitingAct1: 'awaiting-act1',
  AwaitingAct2: 'awaiting-act2',
  AwaitingAct3: 'awaiting-act3',
  Complete: 'complete',
  Failed: 'failed',
} as const;
export type HandshakePhase = (typeof HandshakePhase)[keyof typeof HandshakePhase];

/** Operations both roles offer. */
export interface Handshake {
  readonly role: 'initiator' | 'responder';
  readonly phase: HandshakePhase;
  /**
   * Feeds bytes received from the peer, in any chunking: an act split over
   * several chunks is assembled, several acts in one chunk are processed in
   * turn, and bytes after the final act are handed back as `done.leftover`.
   * Never throws on peer input.
   */
  receive(chunk: Uint8Array): HandshakeStep;
  /**
   * True while part of an awaited act has arrived and the rest has not: a
   * caller bounds how long it waits for the rest (a read timeout).
   */
  readonly midAct: boolean;
  /**
   * The peer closed the connection: mid-handshake this is the failure
   * `actN-short-read` (BOLT 8: a short read of an act aborts the handshake).
   */
  end(): HandshakeStep;
}

/** The initiator: writes act 1, reads act 2, writes act 3. */
export interface InitiatorHandshake extends Handshake {
  readonly role: 'initiator';
  /**
   * Produces act 1 (50 bytes) to write to the responder. Call once, first.
   * @throws TransportError `handshake-not-complete` when called twice.
   */
  start(): { readonly send: Uint8Array };
}

/** The responder: reads act 1, writes act 2, reads act 3. */
export interface ResponderHandshake extends Handshake {
  readonly role: 'responder';
}

const NONCE_0 = new Uint8Array(12);
/** BOLT 8 nonce 1: 32 zero bits, then 1 as a 64-bit little-endian integer. */
const NONCE_1 = Uint8Array.of(0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0);
const EMPTY = new Uint8Array(0);

/** Accumulates one act of a fixed size across chunks. */
class ActBuffer {
  readonly bytes: Uint8Array;
  filled = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }

  /** Copies what it still needs from `chunk` at `offset`; returns the count taken. */
  take(chunk: Uint8Array, offset: number): number {
    const count = Math.min(this.bytes.length - this.filled, chunk.length - offset);
    this.bytes.set(chunk.subarray(offset, offset + count), this.filled);
    this.filled += count;
    return count;
  }

  get complete(): boolean {
    return this.filled === this.bytes.length;
  }

  get partial(): boolean {
    return this.filled > 0 && this.filled < this.bytes.length;
  }
}

/** What processing one act yields. */
type ActOutcome =
  | { readonly kind: 'continue'; readonly send?: Uint8Array }
  | { readonly kind: 'done'; readonly send?: Uint8Array; readonly keys: SessionKeys; readonly remoteStatic: Uint8Array }
  | { readonly kind: 'failed'; readonly failure: TransportFailure };

function failed(code: TransportErrorCode, message: string): ActOutcome {
  return { kind: 'failed', failure: transportFailure(code, message) };
}

/** The receive loop, phases and poisoning shared by both roles. */
abstract class HandshakeMachine {
  phase: HandshakePhase;
  protected readonly secp: Secp256k1;
  protected readonly localSecret: Uint8Array;
  protected readonly localPublic: Uint8Array;
  protected readonly ephemeralSecret: Uint8Array;
  protected readonly ephemeralPublic: Uint8Array;
  protected readonly state: HandshakeState;
  private readonly maxMessageLength: number | undefined;
  private act: ActBuffer | null;
  private failure: TransportFailure | null = null;

  protected constructor(params: HandshakeParams, responderStatic: Uint8Array | null, phase: HandshakePhase, firstAct: number | null) {
    this.secp = params.secp;
    this.localSecret = params.localSecret.slice();
    this.ephemeralSecret = params.ephemeralSecret.slice();
    // Both throw CryptoError on an invalid local secret: a broken invariant of the caller.
    this.localPublic = params.secp.publicKeyFromSecret(this.localSecret);
    this.ephemeralPublic = params.secp.publicKeyFromSecret(this.ephemeralSecret);
    this.maxMessageLength = params.maxMessageLength === undefined ? undefined : checkMaxMessageLength(params.maxMessageLength);
    this.state = new HandshakeState(responderStatic ?? this.localPublic);
    this.phase = phase;
    this.act = firstAct === null ? null : new ActBuffer(firstAct);
  }

  get midAct(): boolean {
    return this.act?.partial ?? false;
  }

  /** Processes one complete act; `act` is only valid during the call. */
  protected abstract onAct(act: Uint8Array): ActOutcome;

  /** Moves to the next awaited act. */
  protected expect(phase: HandshakePhase, size: number): void {
    this.phase = phase;
    this.act = new ActBuffer(size);
  }

  receive(chunk: Uint8Array): HandshakeStep {
    if (this.failure !== null) return { error: this.failure };
    if (this.phase === HandshakePhase.Complete) {
      return this.fail(TransportErrorCode.HandshakeAlreadyComplete, 'handshake already complete: give bytes to the transport');
    }
    if (this.act === null) {
      return this.fail(TransportErrorCode.HandshakeNotComplete, 'bytes received before start()');
    }
    const sends: Uint8Array[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      const act: ActBuffer = this.act;
      offset += act.take(chunk, offset);
      if (!act.complete) break;
      const outcome = this.onAct(act.bytes);
      if (outcome.kind === 'failed') return this.poison(outcome.failure);
      if (outcome.send !== undefined) sends.push(outcome.send);
      if (outcome.kind === 'done') {
        this.phase = HandshakePhase.Complete;
        this.act = null;
        const options = this.maxMessageLength === undefined ? {} : { maxMessageLength: this.maxMessageLength };
        const done: HandshakeDone = {
          transport: new NoiseTransport(outcome.keys, options),
          remoteStatic: outcome.remoteStatic,
          leftover: chunk.slice(offset),
        };
        return sends.length === 0 ? { done } : { send: concatBytes(...sends), done };
      }
    }
    return sends.length === 0 ? {} : { send: concatBytes(...sends) };
  }

  end(): HandshakeStep {
    if (this.failure !== null) return { error: this.failure };
    const filled = this.act?.filled ?? 0;
    const size = this.act?.bytes.length ?? 0;
    switch (this.phase) {
      case HandshakePhase.Complete:
        return {};
      case HandshakePhase.AwaitingAct1:
        return this.fail(TransportErrorCode.Act1ShortRead, `input ended after ${filled} of ${size} bytes of act 1`);
      case HandshakePhase.AwaitingAct2:
        return this.fail(TransportErrorCode.Act2ShortRead, `input ended after ${filled} of ${size} bytes of act 2`);
      case HandshakePhase.AwaitingAct3:
        return this.fail(TransportErrorCode.Act3ShortRead, `input ended after ${filled} of ${size} bytes of act 3`);
      default:
        return this.fail(TransportErrorCode.HandshakeNotComplete, 'input ended before the handshake started');
    }
  }

  private fail(code: TransportErrorCode, message: string): HandshakeStep {
    return this.poison(transportFailure(code, message));
  }

  private poison(failure: TransportFailure): HandshakeStep {
    this.failure = failure;
    this.phase = HandshakePhase.Failed;
    this.act = null;
    return { error: failure };
  }
}

class InitiatorMachine extends HandshakeMachine implements InitiatorHandshake {
  readonly role = 'initiator' as const;
  private readonly remoteStatic: Uint8Array;
  private started = false;

  constructor(params: InitiatorHandshakeParams) {
    if (!params.secp.isValidPublicKey(params.remoteStatic)) {
      throw new CryptoError(CryptoErrorCode.InvalidPublicKey, 'remoteStatic is not a 33-byte compressed point');
    }
    super(params, params.remoteStatic, HandshakePhase.Idle, null);
    this.remoteStatic = params.remoteStatic.slice();
  }

  /** BOLT 8 act 1, sender: `e`, `es`, an empty ciphertext keyed by temp_k1. */
  start(): { readonly send: Uint8Array } {
    if (this.started) throw new TransportError(TransportErrorCode.HandshakeNotComplete, 'start() called twice');
    this.started = true;
    const { state, secp } = this;
    state.mixHash(this.ephemeralPublic);
    const tempK1 = state.mixKey(secp.ecdh(this.ephemeralSecret, this.remoteStatic));
    const c = aeadEncrypt(tempK1, NONCE_0, state.h, EMPTY);
    state.mixHash(c);
    this.expect(HandshakePhase.AwaitingAct2, ACT_TWO_SIZE);
    return { send: concatBytes(Uint8Array.of(HANDSHAKE_VERSION), this.ephemeralPublic, c) };
  }

  /** BOLT 8 act 2, receiver, then act 3, sender. */
  protected onAct(act: Uint8Array): ActOutcome {
    const { state, secp } = this;
    if (act[0] !== HANDSHAKE_VERSION) {
      return failed(TransportErrorCode.Act2BadVersion, `act 2: unknown version ${act[0]}`);
    }
    const re = act.slice(1, 34);
    if (!secp.isValidPublicKey(re)) {
      return failed(TransportErrorCode.Act2BadEphemeralKey, 'act 2: ephemeral key is not a valid point');
    }
    const c = act.slice(34, 50);
    state.mixHash(re);
    const tempK2 = state.mixKey(secp.ecdh(this.ephemeralSecret, re));
    if (aeadDecrypt(tempK2, NONCE_0, state.h, c) === null) {
      return failed(TransportErrorCode.Act2BadMac, 'act 2: MAC does not authenticate');
    }
    state.mixHash(c);

    const encryptedStatic = aeadEncrypt(tempK2, NONCE_1, state.h, this.localPublic);
    state.mixHash(encryptedStatic);
    const tempK3 = state.mixKey(secp.ecdh(this.localSecret, re));
    const t = aeadEncrypt(tempK3, NONCE_0, state.h, EMPTY);
    const { first: sendingKey, second: receivingKey } = state.split();
    return {
      kind: 'done',
      send: concatBytes(Uint8Array.of(HANDSHAKE_VERSION), encryptedStatic, t),
      keys: { sendingKey, receivingKey, chainingKey: state.ck },
      remoteStatic: this.remoteStatic,
    };
  }
}

class ResponderMachine extends HandshakeMachine implements ResponderHandshake {
  readonly role = 'responder' as const;
  private tempK2: Uint8Array | null = null;

  constructor(params: HandshakeParams) {
    super(params, null, HandshakePhase.AwaitingAct1, ACT_ONE_SIZE);
  }

  protected onAct(act: Uint8Array): ActOutcome {
    return this.phase === HandshakePhase.AwaitingAct1 ? this.onAct1(act) : this.onAct3(act);
  }

  /** BOLT 8 act 1, receiver, then act 2, sender. */
  private onAct1(act: Uint8Array): ActOutcome {
    const { state, secp } = this;
    if (act[0] !== HANDSHAKE_VERSION) {
      return failed(TransportErrorCode.Act1BadVersion, `act 1: unknown version ${act[0]}`);
    }
    const re = act.slice(1, 34);
    if (!secp.isValidPublicKey(re)) {
      return failed(TransportErrorCode.Act1BadEphemeralKey, 'act 1: ephemeral key is not a valid point');
    }
    const c = act.slice(34, 50);
    state.mixHash(re);
    const tempK1 = state.mixKey(secp.ecdh(this.localSecret, re));
    if (aeadDecrypt(tempK1, NONCE_0, state.h, c) === null) {
      return failed(TransportErrorCode.Act1BadMac, 'act 1: MAC does not authenticate');
    }
    state.mixHash(c);

    state.mixHash(this.ephemeralPublic);
    const tempK2 = state.mixKey(secp.ecdh(this.ephemeralSecret, re));
    const c2 = aeadEncrypt(tempK2, NONCE_0, state.h, EMPTY);
    state.mixHash(c2);
    this.tempK2 = tempK2;
    this.expect(HandshakePhase.AwaitingAct3, ACT_THREE_SIZE);
    return { kind: 'continue', send: concatBytes(Uint8Array.of(HANDSHAKE_VERSION), this.ephemeralPublic, c2) };
  }

  /** BOLT 8 act 3, receiver. */
  private onAct3(act: Uint8Array): ActOutcome {
    const { state, secp } = this;
    const tempK2 = this.tempK2!;
    if (act[0] !== HANDSHAKE_VERSION) {
      return failed(TransportErrorCode.Act3BadVersion, `act 3: unknown version ${act[0]}`);
    }
    const c = act.slice(1, 50);
    const t = act.slice(50, 66);
    const rs = aeadDecrypt(tempK2, NONCE_1, state.h, c);
    if (rs === null) {
      return failed(TransportErrorCode.Act3BadStaticKeyMac, 'act 3: encrypted static key does not authenticate');
    }
    state.mixHash(c);
    if (!secp.isValidPublicKey(rs)) {
      return failed(TransportErrorCode.Act3BadStaticKey, 'act 3: static key is not a valid point');
    }
    const tempK3 = state.mixKey(secp.ecdh(this.ephemeralSecret, rs));
    if (aeadDecrypt(tempK3, NONCE_0, state.h, t) === null) {
      return failed(TransportErrorCode.Act3BadMac, 'act 3: MAC does not authenticate');
    }
    const { first: receivingKey, second: sendingKey } = state.split();
    this.tempK2 = null;
    return { kind: 'done', keys: { sendingKey, receivingKey, chainingKey: state.ck }, remoteStatic: rs };
  }
}

/**
 * Starts an outgoing BOLT 8 handshake.
 *
 * @example
 * const hs = initiatorHandshake({ secp: wasmSecp256k1, localSecret, ephemeralSecret, remoteStatic });
 * socket.write(hs.start().send);
 * // on each chunk:
 * const { send, done, error } = hs.receive(chunk);
 * if (error) drop(error.code);
 * if (send) socket.write(send);
 * if (done) { const { transport, remoteStatic, leftover } = done; transport.receive(leftover); }
 *
 * @throws CryptoError when `localSecret` or `ephemeralSecret` is not a valid
 *   secret key, or `remoteStatic` is not a valid compressed point.
 */
export function initiatorHandshake(params: InitiatorHandshakeParams): InitiatorHandshake {
  return new InitiatorMachine(params);
}

/**
 * Answers an incoming BOLT 8 handshake: feed it the bytes read from the
 * connection; it returns act 2 to write, then completion with the
 * initiator's node id.
 *
 * @throws CryptoError when `localSecret` or `ephemeralSecret` is not a valid secret key.
 */
export function responderHandshake(params: HandshakeParams): ResponderHandshake {
  return new ResponderMachine(params);
}
