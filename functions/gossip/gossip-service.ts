/**
 * The gossip function's work, one peer message at a time, never under the
 * node's lease (issue 18): a `channel_announcement`, `channel_update` or
 * `node_announcement` is checked with shared/gossip's receiving rules
 * (chain, order, staleness, signatures, and the funding output when a chain
 * look-up is given) and stored in the graph's own partitions
 * (shared/store/graph-items.ts); a peer's `gossip_timestamp_filter`,
 * `query_short_channel_ids` and `query_channel_range` are answered from the
 * store, in `send-many` envelopes (many messages per queue message) on the
 * outbound queue to the gateway; the filter is also kept, and what is
 * stored later relayed to it (gossip-relay.ts). See docs/gossip.md "The
 * graph store".
 */
import type { Secp256k1 } from '../../shared/crypto/index.js';
import {
  blockHeightOf,
  checkChannelAnnouncement,
  checkChannelUpdate,
  checkFundingOutput,
  checkGossipTimestampFilter,
  checkNodeAnnouncement,
  checkQueryChannelRange,
  checkQueryShortChannelIds,
  decodeGossipMessage,
  encodeGossipMessage,
  type FundingOutput,
  type GossipMessage,
  type GossipRejectReason,
} from '../../shared/gossip/index.js';
import { encodeOutbound } from '../../shared/pipeline/envelopes.js';
import type { QueueMessage } from '../../shared/pipeline/queues.js';
import type { GraphStore, StoredChannel } from '../../shared/store/graph-items.js';
import { RELAY_FILTER_TTL_SEC, type StoredGossip } from './gossip-relay.js';

/** What the gossip function needs. */
export interface GossipContext {
  readonly graph: GraphStore;
  readonly secp: Secp256k1;
  /** Our chain (BOLT 7 `chain_hash`). */
  readonly chainHash: Uint8Array;
  /** Where answers to peers go (the outbound queue the gateway consumes). */
  readonly outbound: { sendBatch(messages: readonly QueueMessage[]): Promise<void> };
  /** The clock, at the edge. */
  readonly nowSec: () => number;
  /**
   * The output a short channel id names, read from the chain (docs/gossip.md:
   * checked at the edge). Absent: announcements are stored unchecked, without
   * a capacity, and the snapshot leaves them out unless told otherwise.
   */
  readonly fundingOutput?: (shortChannelId: bigint) => Promise<FundingOutput | undefined>;
}

/** One gossip message from a peer, as the gateway put it on the gossip queue. */
export interface GossipInput {
  readonly peer: string;
  readonly connectionId: string;
  /** The queue record's deduplication id (connection and sequence number): answers' ids derive from it. */
  readonly inputId: string;
  readonly message: Uint8Array;
}

/** What became of one message. */
export type GossipOutcome =
  /** Checked and written. */
  | { readonly kind: 'stored'; readonly type: number }
  /** Checked, but the store already had it or something newer (a write condition lost a race). */
  | { readonly kind: 'unchanged'; readonly type: number }
  | { readonly kind: 'rejected'; readonly type: number; readonly reason: GossipRejectReason; readonly action: 'ignore' | 'warn'; readonly detail: string }
  /** A query answered with `messages` messages in `envelopes` queue messages. */
  | { readonly kind: 'answered'; readonly type: number; readonly messages: number; readonly envelopes: number }
  /** Not for us to store or answer (a reply to a query we never send, a `dont_forward` update). */
  | { readonly kind: 'ignored'; readonly type: number; readonly detail: string }
  /** Not a gossip message, or one that does not decode (BOLT 1: a warning; we drop it). */
  | { readonly kind: 'undecodable'; readonly type: number | null; readonly detail: string };

/** Largest bodies of one `send-many` envelope: SQS takes 256 KiB per message; base64 and JSON take a third more. */
export const ANSWER_ENVELOPE_BYTES = 150 * 1024;

/** Short channel ids in one `reply_channel_range` (8 bytes each, within BOLT 1's 65,535-byte message). */
export const MAX_REPLY_IDS = 8000;

/**
 * Handles one message. Never throws for bad input; store and queue errors
 * propagate (the record is retried). A message stored is added to `stored`
 * when given (what the handler relays: gossip-relay.ts); a peer's
 * `gossip_timestamp_filter` is kept for its connection before it is answered.
 */
export async function handleGossip(ctx: GossipContext, input: GossipInput, stored?: StoredGossip[]): Promise<GossipOutcome> {
  const decoded = decodeGossipMessage(input.message);
  if (decoded.kind === 'not-gossip') return { kind: 'undecodable', type: decoded.type, detail: 'not a gossip message' };
  if (decoded.kind === 'decode-error') return { kind: 'undecodable', type: decoded.type, detail: decoded.error.message };
  const m = decoded.message;
  const keep = (outcome: GossipOutcome, timestamp: number): GossipOutcome => {
    if (outcome.kind === 'stored') stored?.push({ message: input.message, fromPeer: input.peer, timestamp });
    return outcome;
  };
  switch (m.type) {
    case 256:
      return keep(await channelAnnouncement(ctx, m, input.message), ctx.nowSec());
    case 257:
      return keep(await nodeAnnouncement(ctx, m, input.message), m.timestamp);
    case 258:
      return keep(await channelUpdate(ctx, m, input.message), m.timestamp);
    case 265: {
      const verdict = checkGossipTimestampFilter(m, ctx.chainHash);
      if (!verdict.ok) return rejected(m.type, verdict);
      await ctx.graph.putRelayFilter({
        peer: input.peer,
        connectionId: input.connectionId,
        firstTimestamp: m.firstTimestamp,
        timestampRange: m.timestampRange,
        expiresAtSec: ctx.nowSec() + RELAY_FILTER_TTL_SEC,
      });
      return answer(ctx, input, m.type, await messagesInTimeRange(ctx.graph, m.firstTimestamp, m.timestampRange));
    }
    case 261: {
      const verdict = checkQueryShortChannelIds(m, ctx.chainHash);
      if (!verdict.ok && verdict.reason !== 'unknown-chain') return rejected(m.type, verdict);
      const messages = verdict.ok ? await messagesOfChannels(ctx.graph, verdict.shortChannelIds) : [];
      const end = encodeGossipMessage({ type: 262, chainHash: m.chainHash, fullInformation: verdict.ok ? 1 : 0 });
      return answer(ctx, input, m.type, [...messages, end]);
    }
    case 263: {
      const verdict = checkQueryChannelRange(m, ctx.chainHash);
      const ids = verdict.ok ? await channelIdsInRange(ctx.graph, m.firstBlocknum, m.numberOfBlocks) : [];
      return answer(ctx, input, m.type, channelRangeReplies(m.chainHash, m.firstBlocknum, m.numberOfBlocks, ids, verdict.ok));
    }
    default:
      // 259 stays on the peer-message path; 262 and 264 answer queries we do not send.
      return { kind: 'ignored', type: m.type, detail: 'not handled by the gossip function' };
  }
}

function rejected(type: number, v: { readonly reason: GossipRejectReason; readonly action: 'ignore' | 'warn'; readonly detail: string }): GossipOutcome {
  return { kind: 'rejected', type, reason: v.reason, action: v.action, detail: v.detail };
}

async function channelAnnouncement(ctx: GossipContext, m: Extract<GossipMessage, { type: 256 }>, bytes: Uint8Array): Promise<GossipOutcome> {
  const stored = await ctx.graph.channel(m.shortChannelId);
  const verdict = checkChannelAnnouncement(ctx.secp, m, { chainHash: ctx.chainHash, known: stored.announcement });
  if (!verdict.ok) return rejected(m.type, verdict);
  let capacitySat: bigint | undefined;
  if (ctx.fundingOutput !== undefined) {
    // After the cheap and signature checks: a peer cannot make us look up the chain for free.
    const funding = checkFundingOutput(m, await ctx.fundingOutput(m.shortChannelId));
    if (!funding.ok) return rejected(m.type, funding);
    capacitySat = funding.capacitySat;
  }
  const written = await ctx.graph.putChannelAnnouncement({
    shortChannelId: m.shortChannelId,
    message: bytes,
    nodeId1: m.nodeId1,
    nodeId2: m.nodeId2,
    bitcoinKey1: m.bitcoinKey1,
    bitcoinKey2: m.bitcoinKey2,
    ...(capacitySat === undefined ? {} : { capacitySat }),
    // The pruner's clock for a channel that never gets an update (graph-upkeep.ts).
    receivedAtSec: ctx.nowSec(),
  });
  return { kind: written ? 'stored' : 'unchanged', type: m.type };
}

async function channelUpdate(ctx: GossipContext, m: Extract<GossipMessage, { type: 258 }>, bytes: Uint8Array): Promise<GossipOutcome> {
  const stored = await ctx.graph.channel(m.shortChannelId);
  const direction = (m.channelFlags & 1) === 0 ? 0 : 1;
  const a = stored.announcement;
  const verdict = checkChannelUpdate(ctx.secp, m, {
    chainHash: ctx.chainHash,
    channel: a === undefined ? undefined : { nodeId1: a.nodeId1, nodeId2: a.nodeId2, capacitySat: a.capacitySat },
    storedTimestamp: stored.updates[direction]?.timestamp,
    nowSec: ctx.nowSec(),
  });
  if (!verdict.ok) return rejected(m.type, verdict);
  if (!verdict.forward) return { kind: 'ignored', type: m.type, detail: 'dont_forward: a private channel update is not public gossip' };
  const written = await ctx.graph.putChannelUpdate(m.shortChannelId, verdict.direction, m.timestamp, bytes);
  return { kind: written ? 'stored' : 'unchanged', type: m.type };
}

async function nodeAnnouncement(ctx: GossipContext, m: Extract<GossipMessage, { type: 257 }>, bytes: Uint8Array): Promise<GossipOutcome> {
  const stored = await ctx.graph.node(m.nodeId);
  const verdict = checkNodeAnnouncement(ctx.secp, m, { hasChannel: stored.known, storedTimestamp: stored.timestamp });
  if (!verdict.ok) return rejected(m.type, verdict);
  const written = await ctx.graph.putNodeAnnouncement(m.nodeId, m.timestamp, bytes);
  return { kind: written ? 'stored' : 'unchanged', type: m.type };
}

/**
 * BOLT 7 `gossip_timestamp_filter`: the stored messages whose timestamp is
 * in `[first, first + range)`; a channel's announcement goes (first) when
 * one of its updates does; node announcements after every channel.
 */
export async function messagesInTimeRange(graph: GraphStore, first: number, range: number): Promise<Uint8Array[]> {
  const end = first + range;
  const inRange = (ts: number | undefined) => ts !== undefined && ts >= first && ts < end;
  const out: Uint8Array[] = [];
  for await (const c of graph.channels()) {
    if (c.announcement === undefined) continue;
    const updates = c.updates.filter((u) => inRange(u?.timestamp));
    if (updates.length === 0) continue;
    out.push(c.announcement.message, ...updates.map((u) => u!.message));
  }
  for await (const n of graph.nodes()) if (inRange(n.announcement?.timestamp)) out.push(n.announcement!.message);
  return out;
}

/** BOLT 7 `query_short_channel_ids` (no query flags honoured: everything is sent): each known channel, its updates, its nodes' announcements. */
async function messagesOfChannels(graph: GraphStore, ids: readonly bigint[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const nodesSent = new Set<string>();
  for (const id of ids) {
    const c: StoredChannel = await graph.channel(id);
    if (c.announcement === undefined) continue;
    out.push(c.announcement.message);
    for (const u of c.updates) if (u !== undefined) out.push(u.message);
    for (const nodeId of [c.announcement.nodeId1, c.announcement.nodeId2]) {
      const key = nodeId.join(',');
      if (nodesSent.has(key)) continue;
      nodesSent.add(key);
      const n = await graph.node(nodeId);
      if (n.message !== undefined) out.push(n.message);
    }
  }
  return out;
}

async function channelIdsInRange(graph: GraphStore, first: number, count: number): Promise<bigint[]> {
  const ids: bigint[] = [];
  for await (const c of graph.channels()) {
    const h = blockHeightOf(c.shortChannelId);
    if (c.announcement !== undefined && h >= first && h < first + count) ids.push(c.shortChannelId);
  }
  return ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `reply_channel_range` messages covering the query's blocks, each ending where the next begins, the last with the query's end. */
export function channelRangeReplies(chainHash: Uint8Array, first: number, count: number, ids: readonly bigint[], syncComplete: boolean): Uint8Array[] {
  const replies: Uint8Array[] = [];
  const end = first + count;
  let start = first;
  let i = 0;
  do {
    let j = Math.min(i + MAX_REPLY_IDS, ids.length);
    // The ids of one block stay in one reply (each reply covers whole blocks).
    while (j < ids.length && j > i + 1 && blockHeightOf(ids[j]!) === blockHeightOf(ids[j - 1]!)) j--;
    const part = ids.slice(i, j);
    const stop = j >= ids.length ? end : blockHeightOf(part[part.length - 1]!) + 1;
    replies.push(
      encodeGossipMessage({
        type: 264,
        chainHash,
        firstBlocknum: start,
        numberOfBlocks: Math.max(1, stop - start),
        syncComplete: syncComplete ? 1 : 0,
        encodedShortIds: { encoding: 'uncompressed', values: part },
      }),
    );
    start = stop;
    i = j;
  } while (i < ids.length);
  return replies;
}

/** Sends an answer to the peer in as few queue messages as fit, in order, only to the connection that asked. */
async function answer(ctx: GossipContext, input: GossipInput, type: number, messages: readonly Uint8Array[]): Promise<GossipOutcome> {
  const envelopes: QueueMessage[] = [];
  let batch: Uint8Array[] = [];
  let bytes = 0;
  const flush = () => {
    if (batch.length === 0) return;
    const body = encodeOutbound({ kind: 'send-many', peer: input.peer, connectionId: input.connectionId, messages: batch });
    envelopes.push({ group: input.peer, dedupId: `${input.inputId}#g${envelopes.length}`, body });
    batch = [];
    bytes = 0;
  };
  for (const m of messages) {
    if (bytes + m.length > ANSWER_ENVELOPE_BYTES) flush();
    batch.push(m);
    bytes += m.length;
  }
  flush();
  if (envelopes.length > 0) await ctx.outbound.sendBatch(envelopes);
  return { kind: 'answered', type, messages: messages.length, envelopes: envelopes.length };
}
