/**
 * The gateway's inbound side: one ordered lane per peer in front of the
 * inbound FIFO queue. SQS sends are async; a lane sends one envelope at a
 * time, so a peer's envelopes (across its successive connections) reach the
 * queue in the order the gateway produced them. Each connection counts its
 * unsent envelopes: above a threshold its socket stops being read, and reads
 * resume once the lane has caught up to half of it. With `coalesce`, the
 * messages of one connection waiting in a lane while the send before them
 * runs leave together, as one `messages` envelope (one queue message, one
 * record for the node to apply under one lease: docs/commit-protocol.md,
 * "One commit for messages in a row").
 */
import type { FifoQueue } from '../../shared/pipeline/queues.js';
import { encodeInbound, inboundGroup, MAX_COALESCED_BYTES, MAX_MESSAGES_PER_ENVELOPE, messageInputId, type InboundEnvelope } from '../../shared/pipeline/envelopes.js';
import type { GatewayLogger } from './gateway-logger.js';

/** What a lane needs to know of a connection (a `PeerConnection` fits). */
export interface LaneConnection {
  readonly id: string;
  readonly isClosed: boolean;
  pause(): void;
  resume(): void;
  /** Called when the inbound queue keeps refusing this connection's envelopes. */
  close(reason: { kind: 'local'; reason: string }): void;
}

/** Per-connection bookkeeping of the inbound side. */
export interface LaneSource {
  readonly connection: LaneConnection;
  /** Envelopes produced but not yet accepted by the queue. */
  pending: number;
  /** True while its socket is paused for backpressure. */
  paused: boolean;
  /** Set once a send failed for good: later messages of this connection are not sent. */
  failed: boolean;
}

export interface RetryPolicy {
  /** Tries per envelope, the first included (default 5). */
  readonly attempts: number;
  /** Delay before the second try; doubles after each failure, capped at 2 s (default 100 ms). */
  readonly baseDelayMs: number;
}

/** Five tries over about 1.5 s: rides out an SQS throttle or a brief network error. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 100 };

interface LaneItem {
  readonly source: LaneSource;
  readonly envelope: GatewayEnvelope;
  readonly dedupId: string;
}

interface Lane {
  readonly items: LaneItem[];
  running: boolean;
}

/** Fresh bookkeeping for a connection that has produced nothing yet. */
export function newLaneSource(connection: LaneConnection): LaneSource {
  return { connection, pending: 0, paused: false, failed: false };
}

/** What the gateway puts on the inbound queue (follow-ups come from the node's own commits). */
export type GatewayEnvelope = Exclude<InboundEnvelope, { readonly kind: 'follow-up' }>;

/** The deduplication id of an inbound envelope: the connection and the sequence number(s) (or the event). */
export function inboundDedupId(envelope: GatewayEnvelope): string {
  switch (envelope.kind) {
    case 'message':
      return messageInputId(envelope.connectionId, envelope.seq);
    case 'messages':
      return `${messageInputId(envelope.connectionId, envelope.firstSeq)}-${envelope.firstSeq + envelope.messages.length - 1}`;
    default:
      return `${envelope.connectionId}:${envelope.kind}`;
  }
}

/**
 * The per-peer lanes in front of the inbound queue: `enqueue` never blocks;
 * each lane sends its envelopes one at a time, retrying a failed send, and
 * closes a connection whose envelope could not be sent at all.
 */
export class InboundLanes {
  private readonly lanes = new Map<string, Lane>();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly queue: FifoQueue,
    private readonly nodeKey: string,
    private readonly maxPending: number,
    private readonly retry: RetryPolicy,
    private readonly logger: GatewayLogger,
    /** Sends a connection's messages waiting together as one `messages` envelope (the peer-message queue; not the gossip queue). */
    private readonly coalesce = false,
  ) {}

  /** Appends an envelope to its peer's lane; pauses the connection's reads when too much is pending. */
  enqueue(source: LaneSource, envelope: GatewayEnvelope): void {
    let lane = this.lanes.get(envelope.peer);
    if (!lane) {
      lane = { items: [], running: false };
      this.lanes.set(envelope.peer, lane);
    }
    lane.items.push({ source, envelope, dedupId: inboundDedupId(envelope) });
    source.pending++;
    if (!source.paused && source.pending > this.maxPending && !source.connection.isClosed) {
      source.paused = true;
      source.connection.pause();
      this.logger.debug('inbound backpressure: paused reading', { peer: envelope.peer, connectionId: envelope.connectionId, pending: source.pending });
    }
    if (!lane.running) void this.run(envelope.peer, lane);
  }

  /** Resolves once every lane has sent (or given up on) everything enqueued so far. */
  idle(): Promise<void> {
    if (this.lanes.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(peer: string, lane: Lane): Promise<void> {
    lane.running = true;
    let dropped = 0;
    for (let first = lane.items.shift(); first; first = lane.items.shift()) {
      const taken = this.coalesce ? this.takeFollowing(first, lane) : 1;
      const item = taken === 1 ? first : this.coalesced(first, lane.items.splice(0, taken - 1));
      const { source, envelope } = item;
      if (source.failed && (envelope.kind === 'message' || envelope.kind === 'messages')) {
        // The connection is already closed for this; its peer will see the disconnect.
        dropped += taken;
        for (let i = 0; i < taken; i++) this.settle(source, peer);
        continue;
      }
      const sent = await this.sendWithRetry(item);
      for (let i = 0; i < taken; i++) this.settle(source, peer);
      if (!sent && !source.failed) {
        source.failed = true;
        this.logger.error('inbound queue refused an envelope; closing the connection', {
          peer,
          connectionId: envelope.connectionId,
          kind: envelope.kind,
          attempts: this.retry.attempts,
        });
        source.connection.close({ kind: 'local', reason: 'inbound queue unavailable' });
      }
    }
    if (dropped > 0) this.logger.warn('messages of a failed connection were not forwarded', { peer, dropped });
    lane.running = false;
    this.lanes.delete(peer);
    if (this.lanes.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** How many items leave with `first` (itself included): the messages of its connection right behind it, within the envelope's limits. */
  private takeFollowing(first: LaneItem, lane: Lane): number {
    if (first.envelope.kind !== 'message') return 1;
    const { seq } = first.envelope;
    let taken = 1;
    let bytes = first.envelope.message.length;
    for (const { source, envelope } of lane.items) {
      if (taken >= MAX_MESSAGES_PER_ENVELOPE || source !== first.source || envelope.kind !== 'message' || envelope.seq !== seq + taken) break;
      if (bytes + envelope.message.length > MAX_COALESCED_BYTES) break;
      bytes += envelope.message.length;
      taken++;
    }
    return taken;
  }

  /** One `messages` envelope of `first` and the messages behind it (as {@link takeFollowing} chose them). */
  private coalesced(first: LaneItem, rest: readonly LaneItem[]): LaneItem {
    const messages = [first, ...rest].flatMap(({ envelope }) => (envelope.kind === 'message' ? [envelope] : []));
    const envelope: GatewayEnvelope = { kind: 'messages', peer: messages[0]!.peer, connectionId: messages[0]!.connectionId, firstSeq: messages[0]!.seq, messages: messages.map((m) => m.message) };
    return { source: first.source, envelope, dedupId: inboundDedupId(envelope) };
  }

  private settle(source: LaneSource, peer: string): void {
    source.pending--;
    if (source.paused && source.pending <= Math.floor(this.maxPending / 2)) {
      source.paused = false;
      if (source.connection.isClosed) return;
      source.connection.resume();
      this.logger.debug('inbound backpressure: resumed reading', { peer, connectionId: source.connection.id, pending: source.pending });
    }
  }

  private async sendWithRetry(item: LaneItem): Promise<boolean> {
    const message = {
      group: inboundGroup(this.nodeKey, item.envelope.peer),
      dedupId: item.dedupId,
      body: encodeInbound(item.envelope),
    };
    let delay = this.retry.baseDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        // A retry carries the same deduplication id: SQS keeps one copy if an earlier try did land.
        await this.queue.send(message);
        return true;
      } catch (error) {
        this.logger.warn('inbound queue send failed', {
          peer: item.envelope.peer,
          connectionId: item.envelope.connectionId,
          kind: item.envelope.kind,
          attempt,
          error: (error as Error).name,
        });
        if (attempt >= this.retry.attempts) return false;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 2000);
      }
    }
  }
}
