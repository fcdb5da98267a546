/**
 * One Lightning peer connection over TCP: a node:net socket driven through
 * the pure BOLT 8 state machine of shared/transport. Used by the peer
 * gateway and by the interop tests. Delivers decrypted message bytes; knows
 * nothing of their meaning beyond the type of the first one (BOLT 1: it must
 * be `init`, type 16), which it can be asked to await within a time limit.
 *
 * Holding a connection costs the peer something: the handshake must finish
 * within `handshakeTimeoutMs`, `init` must follow within `initTimeoutMs`,
 * and an act or frame whose first bytes arrived must be whole within
 * `readTimeoutMs` (a length header announcing 65535 bytes that never come is
 * closed). Time spent paused by the reader (backpressure) is not held
 * against the peer.
 */
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import { concatBytes, type Secp256k1 } from '../crypto/index.js';
import {
  initiatorHandshake,
  responderHandshake,
  TransportErrorCode,
  type Handshake,
  type NoiseTransport,
  type TransportFailure,
} from '../transport/index.js';

/** Why a connection ended. */
export type CloseReason =
  | { readonly kind: 'transport'; readonly failure: TransportFailure }
  | { readonly kind: 'handshake-timeout' }
  | { readonly kind: 'init-timeout' }
  | { readonly kind: 'read-timeout' }
  /** The peer let a whole ping interval pass without answering our ping (the gateway's keepalive). */
  | { readonly kind: 'pong-timeout' }
  | { readonly kind: 'remote-closed' }
  | { readonly kind: 'local'; readonly reason: string }
  | { readonly kind: 'socket-error'; readonly message: string };

export interface PeerConnectionOptions {
  readonly secp: Secp256k1;
  /** Our node's static secret key. */
  readonly localSecret: Uint8Array;
  /** The longest incoming message accepted (BOLT 8 allows 65535). */
  readonly maxMessageLength?: number;
  /** A handshake not complete by then closes the socket (default 10 s). */
  readonly handshakeTimeoutMs?: number;
  /**
   * After the handshake, the peer's `init` (BOLT 1: the first message, type
   * 16) must arrive within this, else the socket is closed (`init-timeout`).
   * Absent: no limit. Messages before `init` are delivered as they come
   * (the receiver refuses them); they do not stop the clock.
   */
  readonly initTimeoutMs?: number;
  /**
   * Once part of a handshake act or of a frame (length header, or body after
   * its header) has arrived, the rest must arrive within this, else the
   * socket is closed (`read-timeout`). Default 30 s.
   */
  readonly readTimeoutMs?: number;
}

/** BOLT 1 `init`. */
const INIT_TYPE = 16;

export interface PeerConnectionEvents {
  /** The handshake completed: `remoteNodeId` is authenticated. */
  onReady?(connection: PeerConnection): void;
  /** One decrypted Lightning message (type + payload). */
  onMessage?(connection: PeerConnection, message: Uint8Array): void;
  /** The connection ended (once). */
  onClose?(connection: PeerConnection, reason: CloseReason): void;
}

function freshEphemeral(secp: Secp256k1): Uint8Array {
  for (;;) {
    const candidate = new Uint8Array(randomBytes(32));
    if (secp.isValidSecretKey(candidate)) return candidate;
  }
}

let connectionCounter = 0;

export class PeerConnection {
  /** Unique per process and connection (for dedup ids and logs). */
  readonly id: string;
  readonly inbound: boolean;
  readonly remoteAddress: string;
  private handshake: Handshake | null;
  private transport: NoiseTransport | null = null;
  private remote: Uint8Array | null;
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  private readonly initTimeoutMs: number | undefined;
  private initTimer: NodeJS.Timeout | null = null;
  private readonly readTimeoutMs: number;
  /** Runs while an act or frame is partly read (and we are not paused). */
  private readTimer: NodeJS.Timeout | null = null;
  /** Paused by `pause()`: the peer is not blamed for bytes we do not read. */
  private paused = false;

  private constructor(
    private readonly socket: Socket,
    handshake: Handshake,
    inbound: boolean,
    remote: Uint8Array | null,
    options: PeerConnectionOptions,
    private readonly events: PeerConnectionEvents,
    dialledAddress?: string,
  ) {
    this.id = `${process.pid}-${Date.now().toString(36)}-${(connectionCounter++).toString(36)}`;
    this.inbound = inbound;
    this.remote = remote;
    // A dialled socket has no remote address until it connects: name the one we dialled.
    this.remoteAddress = dialledAddress ?? `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.handshake = handshake;
    socket.setNoDelay(true);
    this.timer = setTimeout(() => this.close({ kind: 'handshake-timeout' }), options.handshakeTimeoutMs ?? 10_000);
    this.initTimeoutMs = options.initTimeoutMs;
    this.readTimeoutMs = options.readTimeoutMs ?? 30_000;
    socket.on('data', (chunk: Uint8Array) => this.onData(chunk));
    socket.on('error', (error) => this.close({ kind: 'socket-error', message: error.message }));
    socket.on('close', () => this.onRemoteClose());
  }

  /** Wraps an accepted socket: we are the BOLT 8 responder. */
  static accept(socket: Socket, options: PeerConnectionOptions, events: PeerConnectionEvents): PeerConnection {
    const hs = responderHandshake({
      secp: options.secp,
      localSecret: options.localSecret,
      ephemeralSecret: freshEphemeral(options.secp),
      ...(options.maxMessageLength !== undefined ? { maxMessageLength: options.maxMessageLength } : {}),
    });
    return new PeerConnection(socket, hs, true, null, options, events);
  }

  /** Dials `host:port` and starts the handshake as initiator towards `remoteNodeId`. */
  static dial(
    host: string,
    port: number,
    remoteNodeId: Uint8Array,
    options: PeerConnectionOptions,
    events: PeerConnectionEvents,
  ): PeerConnection {
    const hs = initiatorHandshake({
      secp: options.secp,
      localSecret: options.localSecret,
      ephemeralSecret: freshEphemeral(options.secp),
      remoteStatic: remoteNodeId,
      ...(options.maxMessageLength !== undefined ? { maxMessageLength: options.maxMessageLength } : {}),
    });
    const socket = tcpConnect({ host, port });
    const connection = new PeerConnection(socket, hs, false, remoteNodeId, options, events, `${host}:${port}`);
    socket.once('connect', () => {
      if (!connection.closed) socket.write(hs.start().send);
    });
    return connection;
  }

  /** The peer's node id, known from the start when dialling and after act 3 when accepting. */
  get remoteNodeId(): Uint8Array | null {
    return this.transport ? this.remote : this.inbound ? null : this.remote;
  }

  get ready(): boolean {
    return this.transport !== null && !this.closed;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Encrypts and writes one message. Returns false when the socket's buffer
   * is full (the caller should wait for `drained()`), and throws when the
   * connection is not ready.
   */
  send(message: Uint8Array): boolean {
    if (!this.transport || this.closed) throw new Error('peer connection is not ready');
    return this.socket.write(this.transport.encryptMessage(message));
  }

  /**
   * Encrypts several messages and writes them in ONE socket write, in order
   * (one system call instead of one each; the peer reads them together).
   * Returns and throws as {@link send}.
   */
  sendMany(messages: readonly Uint8Array[]): boolean {
    if (!this.transport || this.closed) throw new Error('peer connection is not ready');
    if (messages.length === 1) return this.send(messages[0]!);
    const transport = this.transport;
    return this.socket.write(concatBytes(...messages.map((m) => transport.encryptMessage(m))));
  }

  /** The socket's write buffer is full: a further write should wait for `drained()`. */
  get writeBlocked(): boolean {
    return this.socket.writableNeedDrain;
  }

  /** Resolves when the socket's write buffer has drained. */
  drained(): Promise<void> {
    return this.socket.writableNeedDrain ? new Promise((r) => this.socket.once('drain', () => r())) : Promise.resolve();
  }

  /** Stops reading (backpressure); `resume()` continues. */
  pause(): void {
    this.paused = true;
    this.socket.pause();
    this.stopReadTimer();
  }

  resume(): void {
    this.paused = false;
    this.socket.resume();
    // A frame left partly read when we paused gets a fresh read timeout.
    this.armReadTimer();
  }

  close(reason: CloseReason = { kind: 'local', reason: 'closed' }): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.stopInitTimer();
    this.stopReadTimer();
    this.socket.destroy();
    this.events.onClose?.(this, reason);
  }

  private onRemoteClose(): void {
    // Mid-handshake, the end of input is a short read of the act being read.
    const step = this.handshake?.end();
    this.close(step?.error ? { kind: 'transport', failure: step.error } : { kind: 'remote-closed' });
  }

  private onData(chunk: Uint8Array): void {
    if (this.closed) return;
    if (this.handshake) {
      const phase = this.handshake.phase;
      const step = this.handshake.receive(chunk);
      if (step.error) return this.close({ kind: 'transport', failure: step.error });
      if (step.send) this.socket.write(step.send);
      if (!step.done) {
        // An act completed: the next one gets its own read timeout.
        if (this.handshake.phase !== phase) this.stopReadTimer();
        this.armReadTimer();
        return;
      }
      this.handshake = null;
      this.transport = step.done.transport;
      this.remote = step.done.remoteStatic;
      clearTimeout(this.timer);
      this.stopReadTimer();
      if (this.initTimeoutMs !== undefined) {
        this.initTimer = setTimeout(() => this.close({ kind: 'init-timeout' }), this.initTimeoutMs);
      }
      this.events.onReady?.(this);
      if (step.done.leftover.length > 0) this.deliver(step.done.leftover);
      else this.armReadTimer();
      return;
    }
    this.deliver(chunk);
  }

  private deliver(chunk: Uint8Array): void {
    const transport = this.transport;
    if (!transport) return;
    const { messages, error } = transport.receive(chunk);
    // A frame completed: the next one gets its own read timeout.
    if (messages.length > 0) this.stopReadTimer();
    for (const message of messages) {
      if (this.closed) return;
      if (this.initTimer !== null && message.length >= 2 && ((message[0]! << 8) | message[1]!) === INIT_TYPE) this.stopInitTimer();
      this.events.onMessage?.(this, message);
    }
    if (error) return this.close({ kind: 'transport', failure: error });
    this.armReadTimer();
  }

  /** Starts the read timeout when an act or frame is partly read and none runs; stops it when nothing is partial. */
  private armReadTimer(): void {
    const partial = this.handshake ? this.handshake.midAct : (this.transport?.midFrame ?? false);
    if (!partial) return this.stopReadTimer();
    if (this.readTimer !== null || this.paused || this.closed) return;
    this.readTimer = setTimeout(() => this.close({ kind: 'read-timeout' }), this.readTimeoutMs);
  }

  private stopReadTimer(): void {
    if (this.readTimer === null) return;
    clearTimeout(this.readTimer);
    this.readTimer = null;
  }

  private stopInitTimer(): void {
    if (this.initTimer === null) return;
    clearTimeout(this.initTimer);
    this.initTimer = null;
  }
}

export { TransportErrorCode };
