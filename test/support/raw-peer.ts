/**
 * What the gateway tests drive it with: our own BOLT 8 initiator on a raw
 * TCP socket (so a test can stop anywhere: mid-act, mid-frame, before
 * `init`), a log collector and a polling wait.
 */
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import { fromHex, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { initiatorHandshake, type NoiseTransport } from '../../shared/transport/index.js';
import type { GatewayLogger } from '../../functions/gateway/gateway.js';

const secp = wasmSecp256k1;

export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

/** A gateway logger that appends every line, attributes merged, to `lines`. */
export function collectingLogger(lines: LogLine[]): GatewayLogger {
  const at = (level: string) => (message: string, ...attributes: Record<string, unknown>[]) =>
    void lines.push({ level, message, attributes: Object.assign({}, ...attributes) as Record<string, unknown> });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Polls `predicate` every 10 ms; throws naming `what` after `timeoutMs` (a test's failure, not its pace). */
export async function until(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function randomSecret(): Uint8Array {
  for (;;) {
    const s = new Uint8Array(randomBytes(32));
    if (secp.isValidSecretKey(s)) return s;
  }
}

export interface RawSocket {
  readonly socket: Socket;
  /** Resolves when the socket closed (either side). */
  readonly closed: Promise<void>;
  /** Whether `closed` has resolved. */
  isClosed(): boolean;
}

/** A TCP connection to 127.0.0.1:`port`, from `localAddress` when given (any 127.x.y.z on Linux). */
export function rawSocket(port: number, localAddress?: string): Promise<RawSocket> {
  return new Promise((resolve) => {
    let isClosed = false;
    const socket = tcpConnect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) }, () => resolve({ socket, closed, isClosed: () => isClosed }));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    void closed.then(() => (isClosed = true));
    socket.on('error', () => undefined);
  });
}

export function readOnce(socket: Socket): Promise<Uint8Array> {
  return new Promise((r) => socket.once('data', (d: Uint8Array) => r(new Uint8Array(d))));
}

/** A peer past the BOLT 8 handshake (act 3 written), which has sent nothing else. */
export interface RawPeer extends RawSocket {
  readonly nodeId: string;
  readonly transport: NoiseTransport;
}

/** Connects to the node `nodeKey` (hex) on `port` and completes the handshake as initiator with `secret`. */
export async function rawPeer(port: number, nodeKey: string, secret: Uint8Array, localAddress?: string): Promise<RawPeer> {
  const raw = await rawSocket(port, localAddress);
  const hs = initiatorHandshake({ secp, localSecret: secret, ephemeralSecret: randomSecret(), remoteStatic: fromHex(nodeKey) });
  raw.socket.write(hs.start().send);
  const step = hs.receive(await readOnce(raw.socket));
  if (!step.done || !step.send) throw new Error(`handshake failed: ${step.error?.code ?? 'incomplete'}`);
  raw.socket.write(step.send);
  return { ...raw, nodeId: toHex(secp.publicKeyFromSecret(secret)), transport: step.done.transport };
}
