/**
 * The peer gateway: the one long-lived process of a node (Fargate on AWS, a
 * local process in the embedded deployment). It terminates BOLT 8 on TCP and
 * bridges sockets to the two FIFO queues; it holds no channel state. Past
 * BOLT 8 it speaks only BOLT 1's `ping`/`pong`, which are connection state
 * (keepalive.ts): it answers the peer's pings and pings the peer itself, so
 * upkeep never reaches the queues. `init` and the rest are the peer-message
 * handler's, through the queues. See docs/gateway.md.
 *
 * Inbound: per connection, `connected`, then each decrypted message it does
 * not keep (a ping or pong after `init`) with a sequence number, then
 * `disconnected`, in order (see inbound-lanes.ts).
 * Outbound: `send` writes to the peer's current connection, `disconnect`
 * closes it, `connect` dials.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { fromHex, toHex, type Secp256k1 } from '../../shared/crypto/index.js';
import { decodeOutbound, EnvelopeError, type OutboundEnvelope } from '../../shared/pipeline/envelopes.js';
import type { FifoQueue, ReceivedMessage } from '../../shared/pipeline/queues.js';
import { PeerConnection, type CloseReason, type PeerConnectionOptions } from '../../shared/peer/peer-connection.js';
import type { GatewayLogger } from './gateway-logger.js';
import { keepaliveInitSent, keepaliveReceived, keepaliveTick, mayAnswer, messageType, NEW_KEEPALIVE, OUR_PING, type KeepaliveState } from './keepalive.js';
import { inboundRoute, isGossipTimestampFilter } from './gossip-lane.js';
import { DEFAULT_RETRY, InboundLanes, newLaneSource, type LaneSource, type RetryPolicy } from './inbound-lanes.js';

export type { GatewayLogger } from './gateway-logger.js';
export type { RetryPolicy } from './inbound-lanes.js';

export interface GatewayOptions {
  /** Our node's static secret (BOLT 8 `ls`). Never logged. */
  readonly nodeSecret: Uint8Array;
  readonly secp: Secp256k1;
  /** Our node id, hex: the first half of every inbound message group. */
  readonly nodeKey: string;
  /** '127.0.0.1' locally, '0.0.0.0' on Fargate. */
  readonly host: string;
  /** The TCP port to listen on (0 = any free port; see `Gateway.port`). */
  readonly port: number;
  readonly inbound: FifoQueue;
  readonly outbound: FifoQueue;
  /**
   * The gossip queue (gossip-lane.ts): public gossip and gossip queries go
   * there, to the gossip function, in their own per-peer lanes. Absent: they
   * go to `inbound` like every other message.
   */
  readonly gossip?: FifoQueue;
  readonly logger?: GatewayLogger;
  /** The longest incoming message accepted (default 65535, the BOLT 8 maximum). */
  readonly maxMessageLength?: number;
  /** A connection whose handshake is not done by then is closed (default 10 s). */
  readonly handshakeTimeoutMs?: number;
  /** A connection whose peer has not sent `init` (BOLT 1, type 16) by then after the handshake is closed (default 30 s). */
  readonly initTimeoutMs?: number;
  /** An act or frame whose first bytes arrived must be whole by then, else the connection is closed (default 30 s). */
  readonly readTimeoutMs?: number;
  /** Inbound connections held at once from one IP address, loopback included; one more is refused (default 8). */
  readonly maxConnectionsPerIp?: number;
  /** Inbound connections held at once in total; one more is refused (default 1000). */
  readonly maxConnections?: number;
  /**
   * How often the gateway pings each peer past `init` (default 30 s, as LDK's
   * timer); a peer that has not answered the previous ping by the next one is
   * closed (`pong-timeout`).
   */
  readonly pingIntervalMs?: number;
  /** Unsent inbound envelopes of one connection above which its socket is paused (default 64). */
  readonly maxPendingInbound?: number;
  /** Retries of a failed inbound queue send before the connection is closed. */
  readonly inboundRetry?: RetryPolicy;
  /** Long-poll wait of the outbound consumer, 0 to 20 s (default 20). */
  readonly outboundWaitSeconds?: number;
  /** How long a peer may leave its socket buffer full before it is dropped (default 30 s). */
  readonly drainTimeoutMs?: number;
  /** The environment variable that sets `port`, named in the port-in-use error (default PEER_PORT). */
  readonly portVariable?: string;
}

/** A connected peer, as `Gateway.peers()` lists it. */
export interface GatewayPeer {
  readonly nodeId: string;
  readonly address: string;
  readonly inbound: boolean;
  readonly connectionId: string;
}

export interface Gateway {
  /** The port actually listened on. */
  readonly port: number;
  /** Peers with a completed handshake (one connection each). */
  peers(): GatewayPeer[];
  /** Dials a peer as BOLT 8 initiator; does nothing when it is connected or being dialled. */
  connect(nodeId: string, host: string, port: number): void;
  /** Closes the listener, the outbound consumer and every connection; resolves when their envelopes are sent. */
  stop(): Promise<void>;
}

/** A connection and the gateway's bookkeeping for it. */
interface Conn extends LaneSource {
  readonly connection: PeerConnection;
  /** The remote IP of an accepted connection (what the caps count); null when we dialled. */
  readonly ip: string | null;
  /** Known at once when dialling, after act 3 when accepting. */
  peer: string | null;
  /** Set when `connected` was enqueued: from then on `disconnected` follows the close. */
  announced: boolean;
  /** The peer sent a `gossip_timestamp_filter` to the gossip queue: its `disconnected` goes there too (the filter's end: functions/gossip/gossip-relay.ts). */
  sentGossipFilter?: boolean;
  seq: number;
  /** The last write returned false: wait for the socket to drain before the next one. */
  needsDrain: boolean;
  /** Ping/pong state of the connection (keepalive.ts). */
  keepalive: KeepaliveState;
  /** A pong owed to the peer, held until our `init` is written or the socket drains (at most one: a later ping's replaces it). */
  heldPong: Uint8Array | null;
  /** A drain wait for `heldPong` is under way. */
  pongAwaitsDrain: boolean;
  /** Resolves when the connection closes. */
  readonly closed: Promise<void>;
  markClosed(): void;
}

const NODE_ID_HEX = /^(02|03)[0-9a-f]{64}$/;

/** A close reason for the logs; `reason` also goes in the `disconnected` envelope. */
function describeClose(reason: CloseReason): { readonly reason: string } & Record<string, unknown> {
  switch (reason.kind) {
    case 'transport':
      return { reason: 'transport', code: reason.failure.code };
    case 'local':
      return { reason: 'local', detail: reason.reason };
    case 'socket-error':
      return { reason: 'socket-error', detail: reason.message };
    default:
      return { reason: reason.kind };
  }
}

/** The IP a socket came from, IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as plain IPv4: one address, one count. */
function remoteIp(socket: Socket): string | undefined {
  const address = socket.remoteAddress;
  return address?.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}

/**
 * The inbound connection caps (per IP and in total). A refused connection is
 * closed at once; refusals are logged at WARN once per episode (per IP, or
 * for the total cap) with the IP, and the count refused is logged when the
 * episode ends (the count is back under the cap), so a flood does not flood
 * the logs either.
 */
class ConnectionCaps {
  private readonly perIp = new Map<string, number>();
  private total = 0;
  /** Refusals since the episode's WARN line, by IP (per-IP cap) or under '' (total cap). */
  private readonly refusing = new Map<string, number>();

  constructor(
    private readonly maxPerIp: number,
    private readonly maxTotal: number,
    private readonly logger: GatewayLogger,
  ) {}

  /** Counts the connection in, or returns false (and logs) when a cap is reached. */
  admit(ip: string): boolean {
    const held = this.perIp.get(ip) ?? 0;
    if (held >= this.maxPerIp) return this.refuse(ip, ip, 'too many connections from one IP', { held, maxConnectionsPerIp: this.maxPerIp });
    if (this.total >= this.maxTotal) return this.refuse('', ip, 'too many connections in total', { held: this.total, maxConnections: this.maxTotal });
    this.perIp.set(ip, held + 1);
    this.total++;
    return true;
  }

  release(ip: string): void {
    const held = (this.perIp.get(ip) ?? 1) - 1;
    if (held > 0) this.perIp.set(ip, held);
    else this.perIp.delete(ip);
    this.total--;
    this.endEpisode(ip, held < this.maxPerIp);
    this.endEpisode('', this.total < this.maxTotal);
  }

  private refuse(key: string, ip: string, message: string, attributes: Record<string, unknown>): false {
    const refused = this.refusing.get(key);
    if (refused === undefined) this.logger.warn(`refusing connections: ${message}`, { ip, ...attributes });
    this.refusing.set(key, (refused ?? 0) + 1);
    return false;
  }

  private endEpisode(key: string, underCap: boolean): void {
    const refused = this.refusing.get(key);
    if (refused === undefined || !underCap) return;
    this.refusing.delete(key);
    this.logger.info('accepting connections again', { ...(key === '' ? { cap: 'total' } : { cap: 'per-ip', ip: key }), refused });
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function listen(server: Server, host: string, port: number, portVariable: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const what =
        error.code === 'EADDRINUSE'
          ? `port ${port} is in use`
          : `cannot listen on ${host}:${port} (${error.code ?? error.message})`;
      reject(new Error(`${what}: set ${portVariable} to a free port`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Each limit, when given, is a whole number from 1 (a programming error otherwise). */
function checkLimits(options: GatewayOptions): void {
  for (const name of ['initTimeoutMs', 'readTimeoutMs', 'maxConnectionsPerIp', 'maxConnections', 'pingIntervalMs'] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) throw new RangeError(`${name} must be a whole number from 1, not ${value}`);
  }
}

/**
 * Starts the gateway: listens, and consumes the outbound queue until `stop()`.
 * @throws RangeError when a limit (`initTimeoutMs`, `readTimeoutMs`, `maxConnectionsPerIp`, `maxConnections`, `pingIntervalMs`) is not a whole number from 1.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  checkLimits(options);
  const logger: GatewayLogger = options.logger ?? new Logger({ serviceName: 'stormcell-gateway' });
  const connectionOptions: PeerConnectionOptions = {
    secp: options.secp,
    localSecret: options.nodeSecret,
    maxMessageLength: options.maxMessageLength ?? 65535,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
    initTimeoutMs: options.initTimeoutMs ?? 30_000,
    readTimeoutMs: options.readTimeoutMs ?? 30_000,
  };
  const caps = new ConnectionCaps(options.maxConnectionsPerIp ?? 8, options.maxConnections ?? 1000, logger);
  const lanes = new InboundLanes(
    options.inbound,
    options.nodeKey,
    options.maxPendingInbound ?? 64,
    options.inboundRetry ?? DEFAULT_RETRY,
    logger,
    true,
  );
  const gossipLanes =
    options.gossip === undefined
      ? undefined
      : new InboundLanes(options.gossip, options.nodeKey, options.maxPendingInbound ?? 64, options.inboundRetry ?? DEFAULT_RETRY, logger);
  const waitSeconds = options.outboundWaitSeconds ?? 20;
  const drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  const pingIntervalMs = options.pingIntervalMs ?? 30_000;

  /** Every open connection, handshaking or not. */
  const conns = new Map<PeerConnection, Conn>();
  /** The current (handshake done) connection of each peer. */
  const current = new Map<string, Conn>();
  /** Outgoing connections still in their handshake, by peer. */
  const dialing = new Map<string, Conn>();
  let stopping = false;

  function track(connection: PeerConnection, peer: string | null, ip: string | null): Conn {
    let markClosed = () => undefined as void;
    const closed = new Promise<void>((r) => (markClosed = r));
    const conn: Conn = {
      ...newLaneSource(connection),
      connection, ip, peer, announced: false, seq: 0, needsDrain: false,
      keepalive: NEW_KEEPALIVE, heldPong: null, pongAwaitsDrain: false,
      closed, markClosed,
    };
    conns.set(connection, conn);
    return conn;
  }

  /** Writes one message; a full socket buffer makes the next outbound message wait for drain. */
  function write(conn: Conn, message: Uint8Array): void {
    if (!conn.connection.send(message)) conn.needsDrain = true;
  }

  /**
   * Writes the held pong once it may go: after our `init`, and not into a full
   * socket buffer (a peer that does not read cannot make us buffer pongs:
   * one waits for drain, a later ping's replaces it).
   */
  function flushPong(conn: Conn): void {
    const pong = conn.heldPong;
    if (pong === null || !mayAnswer(conn.keepalive) || !conn.connection.ready) return;
    if (conn.connection.writeBlocked) {
      if (conn.pongAwaitsDrain) return;
      conn.pongAwaitsDrain = true;
      void Promise.race([conn.connection.drained(), conn.closed]).then(() => {
        conn.pongAwaitsDrain = false;
        flushPong(conn);
      });
      return;
    }
    conn.heldPong = null;
    write(conn, pong);
  }

  /** The keepalive tick (LDK's `timer_tick_occurred` for peers): ping each peer past `init`, close one that did not answer the last ping. */
  function pingPeers(): void {
    for (const conn of [...current.values()]) {
      if (!conn.connection.ready) continue;
      const step = keepaliveTick(conn.keepalive);
      conn.keepalive = step.state;
      if (step.action === 'timeout') conn.connection.close({ kind: 'pong-timeout' });
      else if (step.action === 'ping') write(conn, OUR_PING);
    }
  }

  const events = {
    onReady(connection: PeerConnection) {
      const conn = conns.get(connection);
      if (!conn || !connection.remoteNodeId) return;
      const peer = toHex(connection.remoteNodeId);
      conn.peer = peer;
      if (dialing.get(peer) === conn) dialing.delete(peer);
      const previous = current.get(peer);
      // One connection per peer: the newer one wins; the older one's `disconnected` still goes out first.
      if (previous && previous !== conn) previous.connection.close({ kind: 'local', reason: 'replaced by a newer connection' });
      current.set(peer, conn);
      conn.announced = true;
      logger.info('peer connected', { peer, connectionId: connection.id, inbound: connection.inbound, address: connection.remoteAddress });
      lanes.enqueue(conn, { kind: 'connected', peer, connectionId: connection.id, inbound: connection.inbound, address: connection.remoteAddress });
    },
    onMessage(connection: PeerConnection, message: Uint8Array) {
      const conn = conns.get(connection);
      if (!conn?.peer) return;
      const step = keepaliveReceived(conn.keepalive, message);
      conn.keepalive = step.state;
      if (step.kind === 'forward') {
        const route = gossipLanes === undefined ? 'inbound' : inboundRoute(message, connection.remoteNodeId!, options.secp);
        const seq = conn.seq++;
        if (route !== 'gossip') lanes.enqueue(conn, { kind: 'message', peer: conn.peer, connectionId: connection.id, seq, message });
        if (route !== 'inbound') gossipLanes?.enqueue(conn, { kind: 'message', peer: conn.peer, connectionId: connection.id, seq, message });
        if (route === 'gossip' && isGossipTimestampFilter(message)) conn.sentGossipFilter = true;
      } else if (step.kind === 'answer' && step.pong !== null) {
        conn.heldPong = step.pong;
        flushPong(conn);
      }
    },
    onClose(connection: PeerConnection, reason: CloseReason) {
      const conn = conns.get(connection);
      if (!conn) return;
      conns.delete(connection);
      if (conn.ip !== null) caps.release(conn.ip);
      conn.markClosed();
      const peer = conn.peer;
      if (peer !== null && dialing.get(peer) === conn) dialing.delete(peer);
      if (peer !== null && current.get(peer) === conn) current.delete(peer);
      if (conn.announced && peer !== null) {
        const described = describeClose(reason);
        logger.info('peer disconnected', { peer, connectionId: connection.id, messages: conn.seq, ...described });
        lanes.enqueue(conn, { kind: 'disconnected', peer, connectionId: connection.id, reason: described.reason });
        if (conn.sentGossipFilter === true) gossipLanes?.enqueue(conn, { kind: 'disconnected', peer, connectionId: connection.id, reason: described.reason });
      } else {
        logger.info('connection closed before the handshake completed', {
          ...(peer !== null ? { peer } : {}),
          connectionId: connection.id,
          inbound: connection.inbound,
          address: connection.remoteAddress,
          ...describeClose(reason),
        });
      }
    },
  };

  const server = createServer((socket: Socket) => {
    const ip = remoteIp(socket);
    if (stopping || ip === undefined || !caps.admit(ip)) {
      // Refused (or already gone): closed before any handshake work, at the cost of one accept.
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    track(PeerConnection.accept(socket, connectionOptions, events), null, ip);
  });
  const port = await listen(server, options.host, options.port, options.portVariable ?? 'PEER_PORT');
  server.on('error', (error) => logger.error('listener error', { error: error.message }));
  logger.info('gateway listening', { host: options.host, port, nodeId: options.nodeKey });

  function connect(nodeId: string, host: string, peerPort: number): void {
    if (stopping) return;
    if (!NODE_ID_HEX.test(nodeId)) {
      logger.warn('connect: not a node id', { host, port: peerPort });
      return;
    }
    if (current.has(nodeId) || dialing.has(nodeId)) {
      logger.debug('connect: already connected or dialling', { peer: nodeId });
      return;
    }
    let connection: PeerConnection;
    try {
      connection = PeerConnection.dial(host, peerPort, fromHex(nodeId), connectionOptions, events);
    } catch (error) {
      logger.warn('connect: cannot dial', { peer: nodeId, host, port: peerPort, error: (error as Error).message });
      return;
    }
    dialing.set(nodeId, track(connection, nodeId, null));
    logger.info('dialling peer', { peer: nodeId, connectionId: connection.id, address: `${host}:${peerPort}` });
  }

  /** Writes messages to a peer's current connection, in order and in one socket write, after the previous write drained. */
  async function sendToPeer(peer: string, messages: readonly Uint8Array[], connectionId?: string): Promise<void> {
    const message = messages[0];
    if (message === undefined) return;
    let conn = current.get(peer);
    if (conn?.needsDrain) {
      const waited = conn;
      logger.debug('outbound backpressure: waiting for the peer to drain', { peer, connectionId: waited.connection.id });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        waited.connection.drained().then(() => false),
        waited.closed.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), drainTimeoutMs))),
      ]);
      clearTimeout(timer);
      waited.needsDrain = false;
      if (timedOut) waited.connection.close({ kind: 'local', reason: 'peer is not reading (write buffer full)' });
      conn = current.get(peer);
    }
    if (connectionId !== undefined && conn !== undefined && conn.connection.id !== connectionId) {
      // Made for a connection that ended: this one has not been reestablished yet, and the reestablish resends what is still due (BOLT 2).
      logger.info('dropping an outbound message made for an earlier connection', { peer, type: messageType(message) ?? -1, messages: messages.length, connectionId, current: conn.connection.id });
      return;
    }
    if (!conn || !conn.connection.ready) {
      // The message was for a connection that is gone; a new connection starts over with init.
      logger.info('dropping an outbound message: peer not connected', { peer, type: messageType(message) ?? -1, messages: messages.length });
      return;
    }
    if (!conn.connection.sendMany(messages)) conn.needsDrain = true;
    if (messages.some((m) => messageType(m) === 16)) {
      // Our init went out: from now on the connection may carry pings and pongs (one held for it goes next).
      conn.keepalive = keepaliveInitSent(conn.keepalive);
      flushPong(conn);
    }
  }

  async function handle(envelope: OutboundEnvelope): Promise<void> {
    switch (envelope.kind) {
      case 'send':
        return sendToPeer(envelope.peer, [envelope.message], envelope.connectionId);
      case 'send-many':
        return sendToPeer(envelope.peer, envelope.messages, envelope.connectionId);
      case 'disconnect': {
        const conn = current.get(envelope.peer) ?? dialing.get(envelope.peer);
        if (conn) conn.connection.close({ kind: 'local', reason: envelope.reason || 'disconnect requested' });
        else logger.debug('disconnect: peer not connected', { peer: envelope.peer });
        return;
      }
      case 'connect':
        return connect(envelope.peer, envelope.host, envelope.port);
    }
  }

  const abort = new AbortController();

  /** Handles one received batch: records of one peer in order, peers side by side. */
  async function handleBatch(records: readonly ReceivedMessage[]): Promise<void> {
    const byPeer = new Map<string, { record: ReceivedMessage; envelope: OutboundEnvelope }[]>();
    for (const record of records) {
      let envelope: OutboundEnvelope;
      try {
        envelope = decodeOutbound(record.body);
      } catch (error) {
        logger.error('dropping a malformed outbound record', {
          messageId: record.messageId,
          error: error instanceof EnvelopeError ? error.message : 'undecodable',
        });
        await deleteRecord(record);
        continue;
      }
      const list = byPeer.get(envelope.peer) ?? [];
      list.push({ record, envelope });
      byPeer.set(envelope.peer, list);
    }
    await Promise.all(
      [...byPeer.values()].map(async (list) => {
        for (const { record, envelope } of list) {
          // Once stopping, what is left stays on the queue and comes back after its visibility timeout.
          if (abort.signal.aborted) return;
          await handle(envelope);
          await deleteRecord(record);
        }
      }),
    );
  }

  async function deleteRecord(record: ReceivedMessage): Promise<void> {
    try {
      await options.outbound.delete(record.receiptHandle);
    } catch (error) {
      logger.warn('outbound record not deleted; it may be handled twice', { messageId: record.messageId, error: (error as Error).name });
    }
  }

  async function consume(): Promise<void> {
    let failures = 0;
    while (!abort.signal.aborted) {
      let records: ReceivedMessage[];
      try {
        records = await options.outbound.receive(10, waitSeconds, abort.signal);
        failures = 0;
      } catch (error) {
        if (abort.signal.aborted) break;
        failures++;
        logger.warn('outbound queue receive failed', { error: (error as Error).name, failures });
        await abortableSleep(Math.min(200 * 2 ** Math.min(failures, 5), 5000), abort.signal);
        continue;
      }
      await handleBatch(records);
    }
  }

  const consumer = consume();
  const pingTimer = setInterval(pingPeers, pingIntervalMs);

  return {
    port,
    peers() {
      return [...current.entries()].map(([nodeId, conn]) => ({
        nodeId,
        address: conn.connection.remoteAddress,
        inbound: conn.connection.inbound,
        connectionId: conn.connection.id,
      }));
    },
    connect,
    async stop() {
      if (stopping) return;
      stopping = true;
      clearInterval(pingTimer);
      const serverClosed = new Promise<void>((r) => server.close(() => r()));
      abort.abort();
      for (const conn of [...conns.values()]) conn.connection.close({ kind: 'local', reason: 'gateway stopping' });
      await consumer;
      await lanes.idle();
      await gossipLanes?.idle();
      await serverClosed;
      logger.info('gateway stopped', { port });
    },
  };
}
