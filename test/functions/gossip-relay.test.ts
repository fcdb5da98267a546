/**
 * Relaying new gossip to the peers that sent a `gossip_timestamp_filter`
 * (functions/gossip/gossip-relay.ts), through the gossip handler against
 * DynamoDB Local: the filter is kept per connection, what a later batch
 * stores goes to that connection in `send-many` envelopes (in order, within
 * the filter's range, never back to the peer it came from), the
 * connection's end deletes the filter, and an expired filter is not used.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { wasmSecp256k1 as secp, toHex } from '../../shared/crypto/index.js';
import { encodeGossipMessage } from '../../shared/gossip/index.js';
import { decodeOutbound, encodeInbound, type InboundEnvelope } from '../../shared/pipeline/envelopes.js';
import type { QueueMessage } from '../../shared/pipeline/queues.js';
import { GraphStore } from '../../shared/store/graph-items.js';
import { ensureNodeTable } from '../../shared/store/index.js';
import { RELAY_ENVELOPE_BYTES, RELAY_FILTER_TTL_SEC, relayEnvelopes } from '../../functions/gossip/gossip-relay.js';
import type { GossipContext } from '../../functions/gossip/gossip-service.js';
import { createGossipHandler } from '../../functions/gossip/handler.js';
import { GOSSIP_CHAIN, gossipNetwork } from '../support/gossip-network.js';

// The real clock: DynamoDB Local applies the filters' TTL, so an expiry in the past would delete them under the test.
const NOW = Math.floor(Date.now() / 1000);
const net = gossipNetwork(secp, { nodes: 6, channels: 6, timestamp: NOW - 100 });
const SOURCE = toHex(net.nodes[0]!.getNodeId());
const ASKER = toHex(net.nodes[1]!.getNodeId());
const LATE_ASKER = toHex(net.nodes[2]!.getNodeId());

let client: DynamoDBClient;
const tableName = `gossip-relay-${randomUUID()}`;

beforeAll(async () => {
  client = localDynamoClient(inject('dynamoEndpoint'));
  await ensureNodeTable(client, tableName);
});
afterAll(() => client.destroy());

const filter = (firstTimestamp: number, timestampRange = 0xffffffff): Uint8Array =>
  encodeGossipMessage({ type: 265, chainHash: GOSSIP_CHAIN, firstTimestamp, timestampRange });

function setup() {
  const graph = new GraphStore({ client, tableName, chainHash: Uint8Array.from([...GOSSIP_CHAIN.subarray(0, 24), ...crypto.getRandomValues(new Uint8Array(8))]) });
  const sent: QueueMessage[] = [];
  const clock = { now: NOW };
  const ctx: GossipContext = {
    graph,
    secp,
    chainHash: GOSSIP_CHAIN,
    outbound: { sendBatch: async (m) => void sent.push(...m) },
    nowSec: () => clock.now,
    fundingOutput: async (scid: bigint) => net.fundingOutputs.get(scid),
  };
  const handler = createGossipHandler(ctx);
  let seq = 0;
  const record = (envelope: InboundEnvelope): SQSRecord => ({
    messageId: randomUUID(),
    receiptHandle: 'rh',
    body: encodeInbound(envelope),
    attributes: { MessageGroupId: `n:${envelope.peer}`, MessageDeduplicationId: `${envelope.connectionId}:${seq++}`, ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'gw', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:stormcell-gossip.fifo',
    awsRegion: 'us-east-1',
  });
  const from = (peer: string, connectionId: string, messages: readonly Uint8Array[]) => messages.map((message) => record({ kind: 'message', peer, connectionId, seq: seq, message }));
  /** The relayed messages (hex) per connection, from the envelopes sent since `mark`. */
  const relayedSince = (mark: number) => {
    const out = new Map<string, string[]>();
    for (const s of sent.slice(mark)) {
      const e = decodeOutbound(s.body);
      if (e.kind !== 'send-many') throw new Error(`unexpected envelope ${e.kind}`);
      const connection = e.connectionId ?? '';
      out.set(connection, [...(out.get(connection) ?? []), ...e.messages.map((m) => toHex(m))]);
      expect(s.group).toBe(e.peer);
    }
    return out;
  };
  return { graph, sent, clock, handler, record, from, relayedSince };
}

describe('relaying new gossip to peers with a timestamp filter', () => {
  it('a later batch stored goes to the filter connection in order, never back to its sender; the connection end deletes the filter', async () => {
    const { graph, sent, handler, record, from, relayedSince } = setup();
    // The asker's filter: the graph is empty, so the answer is nothing, but the filter stays.
    const asked = await handler({ Records: from(ASKER, 'asker-1', [filter(0)]) });
    expect(asked.outcomes).toEqual([{ kind: 'answered', type: 265, messages: 0, envelopes: 0 }]);
    expect(await graph.relayFilters(NOW, 50)).toEqual([{ peer: ASKER, connectionId: 'asker-1', firstTimestamp: 0, timestampRange: 0xffffffff, expiresAtSec: NOW + RELAY_FILTER_TTL_SEC }]);
    // The source peer has a filter too: its own gossip must not come back to it.
    await handler({ Records: from(SOURCE, 'source-1', [filter(0)]) });

    const mark = sent.length;
    const two = net.channels.slice(0, 2).flatMap((c) => c.messages);
    const batch = await handler({ Records: [...from(SOURCE, 'source-1', two), ...from(SOURCE, 'source-1', [net.nodeAnnouncements[0]!])] });
    expect(batch.outcomes.every((o) => o.kind === 'stored')).toBe(true);
    // One envelope: everything the batch stored fits in one, to the asker's connection only.
    expect(batch.relayEnvelopes).toBe(1);
    const relayed = relayedSince(mark);
    expect([...relayed.keys()]).toEqual(['asker-1']);
    expect(relayed.get('asker-1')).toEqual([...two, net.nodeAnnouncements[0]!].map((m) => toHex(m)));

    // Refused or repeated gossip is not relayed.
    const again = sent.length;
    const repeat = await handler({ Records: from(SOURCE, 'source-1', two) });
    expect(repeat.relayEnvelopes).toBe(0);
    expect(sent.length).toBe(again);

    // The connection ends: its filter goes, and the next new gossip goes nowhere.
    await handler({ Records: [record({ kind: 'disconnected', peer: ASKER, connectionId: 'asker-1', reason: 'closed' })] });
    expect((await graph.relayFilters(NOW, 50)).map((f) => f.connectionId)).toEqual(['source-1']);
    const later = sent.length;
    const next = await handler({ Records: from(SOURCE, 'source-1', net.channels[2]!.messages) });
    expect(next.outcomes.filter((o) => o.kind === 'stored')).toHaveLength(3);
    expect(next.relayEnvelopes).toBe(0);
    expect(sent.length).toBe(later);
  });

  it("a filter's range decides: updates outside it stay; a filter past its expiry is not used", async () => {
    const { sent, clock, handler, from, relayedSince } = setup();
    // Updates carry NOW - 100; this filter starts after them (the announcement, stored at NOW, is in its range).
    await handler({ Records: from(LATE_ASKER, 'late-1', [filter(NOW - 50)]) });
    const mark = sent.length;
    const [ann, up0, up1] = net.channels[3]!.messages;
    await handler({ Records: from(SOURCE, 'source-1', [ann, up0, up1]) });
    expect(relayedSince(mark).get('late-1')).toEqual([toHex(ann)]);

    clock.now = NOW + RELAY_FILTER_TTL_SEC;
    const expired = sent.length;
    const result = await handler({ Records: from(SOURCE, 'source-1', net.channels[4]!.messages) });
    expect(result.outcomes.filter((o) => o.kind === 'stored').length).toBeGreaterThan(0);
    expect(result.relayEnvelopes).toBe(0);
    expect(sent.length).toBe(expired);
  });

  it('relayEnvelopes splits a large batch into envelopes of at most RELAY_ENVELOPE_BYTES, in order, with stable ids', () => {
    const big = Array.from({ length: 5 }, (_, i) => ({ message: new Uint8Array(60 * 1024).fill(i), fromPeer: SOURCE, timestamp: NOW }));
    const filters = [{ peer: ASKER, connectionId: 'a', firstTimestamp: 0, timestampRange: 0xffffffff, expiresAtSec: NOW + 1 }];
    const envelopes = relayEnvelopes(big, filters, 'batch-1');
    const bodies = envelopes.map((e) => decodeOutbound(e.body));
    expect(bodies.map((b) => (b.kind === 'send-many' ? b.messages.length : 0))).toEqual([2, 2, 1]);
    for (const b of bodies) if (b.kind === 'send-many') expect(b.messages.reduce((n, m) => n + m.length, 0)).toBeLessThanOrEqual(RELAY_ENVELOPE_BYTES);
    expect(bodies.flatMap((b) => (b.kind === 'send-many' ? b.messages.map((m) => m[0]) : []))).toEqual([0, 1, 2, 3, 4]);
    expect(relayEnvelopes(big, filters, 'batch-1').map((e) => e.dedupId)).toEqual(envelopes.map((e) => e.dedupId));
    expect(new Set(envelopes.map((e) => e.dedupId)).size).toBe(3);
    expect(envelopes.every((e) => e.dedupId.length <= 128)).toBe(true);
    // From the filter's own peer: nothing.
    expect(relayEnvelopes(big.map((b) => ({ ...b, fromPeer: ASKER })), filters, 'batch-1')).toEqual([]);
  });
});
