/**
 * Relaying new gossip to the peers that asked for it (BOLT 7: a peer's
 * `gossip_timestamp_filter` asks for the gossip in its range, from now on
 * too). A peer's filter is kept per connection in the graph's partition
 * (`FILTER#<connection id>`, shared/store/graph-items.ts), written when the
 * filter arrives, deleted when the gateway reports the connection ended
 * (it sends that `disconnected` to the gossip queue only for a connection
 * that sent a filter), and expiring after {@link RELAY_FILTER_TTL_SEC} in
 * case that report was lost.
 *
 * After a batch, the messages it stored go to each filter's connection in
 * `send-many` envelopes (one per connection for most batches), in the order
 * they were stored, never back to the peer that sent them. A stored
 * `channel_update` or `node_announcement` goes where its timestamp is in the
 * range; a `channel_announcement` (no timestamp of its own) goes where the
 * range holds the time it was stored. One Query reads the filters, only for
 * a batch that stored something; at most {@link MAX_RELAY_FILTERS} peers
 * are relayed to.
 */
import { encodeOutbound } from '../../shared/pipeline/envelopes.js';
import type { QueueMessage } from '../../shared/pipeline/queues.js';
import type { RelayFilter } from '../../shared/store/graph-items.js';
import { sha256, toHex } from '../../shared/crypto/index.js';

/** Largest bodies of one relay envelope: as the answers' (gossip-service.ts `ANSWER_ENVELOPE_BYTES`), under SQS's 256 KiB after base64 and JSON. */
export const RELAY_ENVELOPE_BYTES = 150 * 1024;

/** Peers relayed to at most (one Query's worth of filters): peers asking for our gossip are few. */
export const MAX_RELAY_FILTERS = 50;
/** How long a filter is honoured without its connection's end being reported: two weeks (the store's TTL). */
export const RELAY_FILTER_TTL_SEC = 14 * 24 * 60 * 60;

/** A message the batch stored: its bytes, the peer it came from (hex), its timestamp (the storing time for an announcement). */
export interface StoredGossip {
  readonly message: Uint8Array;
  readonly fromPeer: string;
  readonly timestamp: number;
}

/**
 * The envelopes relaying `stored` to each filter's connection: in order,
 * at most {@link RELAY_ENVELOPE_BYTES} of messages each, deduplicated by
 * `batchId` (a redelivered batch sends the same ids).
 */
export function relayEnvelopes(stored: readonly StoredGossip[], filters: readonly RelayFilter[], batchId: string): QueueMessage[] {
  const envelopes: QueueMessage[] = [];
  for (const f of filters) {
    const end = f.firstTimestamp + f.timestampRange;
    const messages = stored.filter((s) => s.fromPeer !== f.peer && s.timestamp >= f.firstTimestamp && s.timestamp < end).map((s) => s.message);
    let batch: Uint8Array[] = [];
    let bytes = 0;
    let n = 0;
    const flush = () => {
      if (batch.length === 0) return;
      const body = encodeOutbound({ kind: 'send-many', peer: f.peer, connectionId: f.connectionId, messages: batch });
      // SQS takes at most 128 characters: a digest of the batch, the connection and the part.
      const dedupId = toHex(sha256(new TextEncoder().encode(`${batchId}#relay#${f.connectionId}#${n++}`)));
      envelopes.push({ group: f.peer, dedupId, body });
      batch = [];
      bytes = 0;
    };
    for (const m of messages) {
      if (bytes + m.length > RELAY_ENVELOPE_BYTES) flush();
      batch.push(m);
      bytes += m.length;
    }
    flush();
  }
  return envelopes;
}
