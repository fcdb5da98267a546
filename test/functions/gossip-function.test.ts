/**
 * The gossip function against DynamoDB Local (issue 18): signed BOLT 7
 * messages checked and stored in the graph's own partitions (never a node's),
 * written once or only over older ones; peers' timestamp filters and
 * queries answered from the store in `send-many` envelopes; the snapshot
 * built after N changes, loaded once by the payment paths' cache, and
 * routed over.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { wasmSecp256k1 as secp, toHex } from '../../shared/crypto/index.js';
import { decodeGossipMessage, encodeGossipMessage, ourChannelUpdate } from '../../shared/gossip/index.js';
import { decodeOutbound, encodeInbound } from '../../shared/pipeline/envelopes.js';
import type { QueueMessage } from '../../shared/pipeline/queues.js';
import { findRoute } from '../../shared/routing/index.js';
import { GRAPH_SHARDS, GraphStore, SNAPSHOT_CHUNK_BYTES } from '../../shared/store/graph-items.js';
import { GraphSnapshotCache } from '../../shared/store/graph-snapshot-cache.js';
import { ensureNodeTable } from '../../shared/store/index.js';
import { channelRangeReplies, handleGossip, type GossipContext } from '../../functions/gossip/gossip-service.js';
import { createGossipHandler } from '../../functions/gossip/handler.js';
import { graphFromStore, refreshGraphSnapshot } from '../../functions/gossip/graph-snapshot-job.js';
import { GOSSIP_CHAIN, gossipNetwork, scidOf } from '../support/gossip-network.js';

const NOW = 1_750_000_000;
const net = gossipNetwork(secp, { nodes: 6, channels: 10, timestamp: NOW - 100 });
const PEER = toHex(net.nodes[0]!.getNodeId());

let client: DynamoDBClient;
const tableName = `gossip-test-${randomUUID()}`;

beforeAll(async () => {
  client = localDynamoClient(inject('dynamoEndpoint'));
  await ensureNodeTable(client, tableName);
});
afterAll(() => client.destroy());

/** A graph of its own (another chain hash) per test, and a capturing outbound queue. */
function setup(options: { readonly funding?: boolean } = {}) {
  const chainHash = GOSSIP_CHAIN;
  // Each test its own partitions: the store is named after a chain hash of its own (the messages keep GOSSIP_CHAIN).
  const isolated = new GraphStore({ client, tableName, chainHash: Uint8Array.from([...chainHash.subarray(0, 24), ...crypto.getRandomValues(new Uint8Array(8))]) });
  const sent: QueueMessage[] = [];
  const ctx: GossipContext = {
    graph: isolated,
    secp,
    chainHash,
    outbound: { sendBatch: async (m) => void sent.push(...m) },
    nowSec: () => NOW,
    ...(options.funding === false ? {} : { fundingOutput: async (scid: bigint) => net.fundingOutputs.get(scid) }),
  };
  let seq = 0;
  const feed = (message: Uint8Array) => handleGossip(ctx, { peer: PEER, connectionId: 'c1', inputId: `c1:${seq++}`, message });
  const sentMessages = () => sent.flatMap((s) => {
    const e = decodeOutbound(s.body);
    return e.kind === 'send-many' ? e.messages.map((m) => toHex(m)) : [];
  });
  return { ctx, graph: isolated, sent, feed, sentMessages };
}

async function feedAll(feed: (m: Uint8Array) => Promise<unknown>): Promise<void> {
  for (const c of net.channels) for (const m of c.messages) await feed(m);
  for (const n of net.nodeAnnouncements) await feed(n);
}

describe('storing gossip', () => {
  it('stores checked announcements, updates and node announcements under the graph partitions; repeats change nothing', async () => {
    const { feed, graph } = setup();
    const [ann, up0, up1] = net.channels[0]!.messages;
    expect(await feed(ann)).toEqual({ kind: 'stored', type: 256 });
    expect(await feed(up0)).toEqual({ kind: 'stored', type: 258 });
    expect(await feed(up1)).toEqual({ kind: 'stored', type: 258 });
    expect(await feed(net.nodeAnnouncements[0]!)).toEqual({ kind: 'stored', type: 257 });
    // The same messages again: refused before any write (duplicate, or not newer).
    expect(await feed(ann)).toMatchObject({ kind: 'rejected', reason: 'duplicate-announcement' });
    expect(await feed(up0)).toMatchObject({ kind: 'rejected', reason: 'stale-timestamp' });
    expect(await feed(net.nodeAnnouncements[0]!)).toMatchObject({ kind: 'rejected', reason: 'stale-timestamp' });
    const stored = await graph.channel(net.channels[0]!.shortChannelId);
    expect(stored.announcement?.capacitySat).toBe(1_000_000n);
    expect(toHex(stored.announcement!.message)).toBe(toHex(ann));
    expect(stored.updates.map((u) => u && toHex(u.message))).toEqual([toHex(up0), toHex(up1)]);
    // Items live in the GRAPH# partitions only: one channel item with its two updates under one prefix.
    const shardItems = await client.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: graph.partition(Number(net.channels[0]!.shortChannelId % BigInt(GRAPH_SHARDS))) } } }));
    expect(shardItems.Items?.filter((i) => i['sk']?.S?.startsWith('C#')).length).toBe(3);
    expect(graph.partition(0)).toMatch(/^GRAPH#[0-9a-f]{64}#0$/);
  });

  it('a newer update replaces the stored one; an older one, an update of an unknown channel and one from the wrong key are refused', async () => {
    const { feed, graph } = setup();
    const c = net.channels[1]!;
    expect(await feed(c.messages[1])).toMatchObject({ kind: 'rejected', reason: 'unknown-channel' });
    await feed(c.messages[0]);
    await feed(c.messages[1]);
    const [a, b] = [net.nodes[1]!, net.nodes[2]!];
    const node1 = toHex(a.getNodeId()) < toHex(b.getNodeId()) ? a : b;
    const other = node1 === a ? b : a;
    const base = { chainHash: GOSSIP_CHAIN, shortChannelId: c.shortChannelId, cltvExpiryDelta: 80, htlcMinimumMsat: 1_000n, htlcMaximumMsat: 500_000_000n, feeBaseMsat: 5, feeProportionalMillionths: 9, disabled: false, dontForward: false, theirNodeId: other.getNodeId() };
    const newer = encodeGossipMessage(ourChannelUpdate(node1, { ...base, timestamp: NOW - 10 }));
    const older = encodeGossipMessage(ourChannelUpdate(node1, { ...base, timestamp: NOW - 500 }));
    expect(await feed(newer)).toEqual({ kind: 'stored', type: 258 });
    expect(await feed(older)).toMatchObject({ kind: 'rejected', reason: 'stale-timestamp' });
    expect((await graph.channel(c.shortChannelId)).updates[0]?.timestamp).toBe(NOW - 10);
    // Signed by the other node but claiming direction 0: a bad signature, and the peer is warned.
    const forged = decodeGossipMessage(encodeGossipMessage(ourChannelUpdate(other, { ...base, theirNodeId: node1.getNodeId(), timestamp: NOW })));
    if (forged.kind !== 'message' || forged.message.type !== 258) throw new Error('fixture');
    expect(await feed(encodeGossipMessage({ ...forged.message, channelFlags: forged.message.channelFlags ^ 1 }))).toMatchObject({ kind: 'rejected', reason: 'bad-signature', action: 'warn' });
    // An update too far ahead of our clock.
    expect(await feed(encodeGossipMessage(ourChannelUpdate(node1, { ...base, timestamp: NOW + 2 * 86_400 })))).toMatchObject({ kind: 'rejected', reason: 'timestamp-in-future' });
    // A private channel's update (dont_forward) is not public gossip: never stored.
    expect(await feed(encodeGossipMessage(ourChannelUpdate(node1, { ...base, timestamp: NOW - 5, dontForward: true })))).toMatchObject({ kind: 'ignored' });
  });

  it('refuses a node announcement before any channel of the node, an announcement whose funding output is not on chain, other chains and garbage', async () => {
    const { feed, ctx } = setup();
    expect(await feed(net.nodeAnnouncements[3]!)).toMatchObject({ kind: 'rejected', reason: 'unknown-node' });
    const missing = { ...ctx, fundingOutput: async () => undefined };
    expect(await handleGossip(missing, { peer: PEER, connectionId: 'c', inputId: 'x', message: net.channels[2]!.messages[0] })).toMatchObject({ kind: 'rejected', reason: 'funding-output-missing' });
    const spent = { ...ctx, fundingOutput: async (s: bigint) => ({ ...net.fundingOutputs.get(s)!, spent: true }) };
    expect(await handleGossip(spent, { peer: PEER, connectionId: 'c', inputId: 'x', message: net.channels[2]!.messages[0] })).toMatchObject({ kind: 'rejected', reason: 'funding-output-spent' });
    const otherChain = { ...ctx, chainHash: new Uint8Array(32).fill(9) };
    expect(await handleGossip(otherChain, { peer: PEER, connectionId: 'c', inputId: 'x', message: net.channels[2]!.messages[0] })).toMatchObject({ kind: 'rejected', reason: 'unknown-chain' });
    expect(await feed(Uint8Array.of(1, 0, 1, 2))).toMatchObject({ kind: 'undecodable', type: 256 });
    expect(await feed(Uint8Array.of(0, 18))).toMatchObject({ kind: 'undecodable', type: 18 });
    // Without a chain look-up the announcement is stored unchecked (no capacity) and kept out of the routing graph.
    const unchecked = setup({ funding: false });
    expect(await unchecked.feed(net.channels[2]!.messages[0])).toEqual({ kind: 'stored', type: 256 });
    await unchecked.feed(net.channels[2]!.messages[1]);
    expect((await graphFromStore(unchecked.graph)).graph.channelCount).toBe(0);
    expect((await graphFromStore(unchecked.graph, { includeUnchecked: true })).graph.channelCount).toBe(1);
  });
});

describe('answering peers', () => {
  it('gossip_timestamp_filter: the stored messages in the range, each channel announcement before its updates, node announcements last', async () => {
    const { feed, sent, sentMessages, ctx } = setup();
    await feedAll(feed);
    const filter = (first: number, range: number) => encodeGossipMessage({ type: 265, chainHash: GOSSIP_CHAIN, firstTimestamp: first, timestampRange: range });
    const outcome = await feed(filter(NOW - 1000, 2000));
    expect(outcome).toEqual({ kind: 'answered', type: 265, messages: 10 * 3 + 6, envelopes: 1 });
    const got = sentMessages();
    expect(new Set(got)).toEqual(new Set([...net.channels.flatMap((c) => c.messages.map((m) => toHex(m))), ...net.nodeAnnouncements.map((m) => toHex(m))]));
    for (const c of net.channels) expect(got.indexOf(toHex(c.messages[0]))).toBeLessThan(got.indexOf(toHex(c.messages[1])));
    expect(got.slice(-6).every((m) => m.startsWith('0101'))).toBe(true);
    // Only to the connection that asked, grouped by peer, one dedup id per envelope.
    expect(sent[0]).toMatchObject({ group: PEER });
    expect(decodeOutbound(sent[0]!.body)).toMatchObject({ kind: 'send-many', peer: PEER, connectionId: 'c1' });
    // A range after every stored timestamp: nothing to send; another chain: refused.
    sent.length = 0;
    expect(await feed(filter(NOW, 100))).toEqual({ kind: 'answered', type: 265, messages: 0, envelopes: 0 });
    expect(sent).toHaveLength(0);
    expect(await handleGossip({ ...ctx, chainHash: new Uint8Array(32) }, { peer: PEER, connectionId: 'c1', inputId: 'y', message: filter(0, 0xffffffff) })).toMatchObject({ kind: 'rejected', reason: 'unknown-chain' });
  });

  it('query_short_channel_ids: each known channel with its updates and node announcements, then reply_short_channel_ids_end', async () => {
    const { feed, sentMessages } = setup();
    await feedAll(feed);
    const ids = [net.channels[4]!.shortChannelId, scidOf(1, 1)];
    const query = encodeGossipMessage({ type: 261, chainHash: GOSSIP_CHAIN, encodedShortIds: { encoding: 'uncompressed', values: ids } });
    expect(await feed(query)).toMatchObject({ kind: 'answered', messages: 3 + 2 + 1 });
    const got = sentMessages();
    expect(got.slice(0, 3)).toEqual(net.channels[4]!.messages.map((m) => toHex(m)));
    expect(got.at(-1)).toBe(toHex(encodeGossipMessage({ type: 262, chainHash: GOSSIP_CHAIN, fullInformation: 1 })));
  });

  it('query_channel_range: reply_channel_range messages listing the announced ids of the blocks, in order', async () => {
    const { feed, sentMessages } = setup();
    await feedAll(feed);
    const query = encodeGossipMessage({ type: 263, chainHash: GOSSIP_CHAIN, firstBlocknum: 700_000, numberOfBlocks: 2 });
    await feed(query);
    const replies = sentMessages().map((h) => decodeGossipMessage(Uint8Array.from(Buffer.from(h, 'hex'))));
    expect(replies).toHaveLength(1);
    const reply = replies[0]!;
    if (reply.kind !== 'message' || reply.message.type !== 264) throw new Error('not a reply');
    expect(reply.message).toMatchObject({ firstBlocknum: 700_000, numberOfBlocks: 2, syncComplete: 1 });
    expect(reply.message.encodedShortIds).toEqual({ encoding: 'uncompressed', values: net.channels.slice(0, 8).map((c) => c.shortChannelId) });
  });

  it('splits long ranges into replies of whole blocks that cover the query end to end', () => {
    const ids = Array.from({ length: 9000 }, (_, i) => scidOf(100 + Math.floor(i / 3), i % 3));
    const replies = channelRangeReplies(GOSSIP_CHAIN, 100, 5000, ids, true).map((b) => decodeGossipMessage(b));
    expect(replies).toHaveLength(2);
    let next = 100;
    let total = 0;
    for (const r of replies) {
      if (r.kind !== 'message' || r.message.type !== 264 || r.message.encodedShortIds.encoding !== 'uncompressed') throw new Error('reply');
      expect(r.message.firstBlocknum).toBe(next);
      const values = r.message.encodedShortIds.values;
      for (const id of values) expect(Number(id >> 40n)).toBeLessThan(r.message.firstBlocknum + r.message.numberOfBlocks);
      next = r.message.firstBlocknum + r.message.numberOfBlocks;
      total += values.length;
    }
    expect(next).toBe(5100);
    expect(total).toBe(9000);
  });
});

describe('the snapshot', () => {
  it('the handler builds one after N stored changes; the cache loads it once, then reads only the pointer; the graph routes', async () => {
    const { ctx, graph } = setup();
    const handler = createGossipHandler({ ...ctx, snapshotEvery: 30 });
    let seq = 0;
    const recordOf = (message: Uint8Array): SQSRecord => ({
      messageId: randomUUID(),
      receiptHandle: 'rh',
      body: encodeInbound({ kind: 'message', peer: PEER, connectionId: 'c1', seq, message }),
      attributes: { MessageGroupId: `n:${PEER}`, MessageDeduplicationId: `c1:${seq++}`, ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'gw', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:stormcell-gossip.fifo',
      awsRegion: 'us-east-1',
    });
    const first = await handler({ Records: [{ ...recordOf(new Uint8Array(0)), body: 'not json' }, ...net.channels.slice(0, 5).flatMap((c) => c.messages.map(recordOf))] });
    expect(first.batchItemFailures).toEqual([]);
    expect(first.outcomes.filter((o) => o.kind === 'stored')).toHaveLength(15);
    expect(first.snapshot).toBeUndefined();
    const cache = new GraphSnapshotCache(graph, { refreshMs: 1000, nowMs: () => clock });
    let clock = 0;
    expect((await cache.graph()).channelCount).toBe(0);
    expect(cache.lastLoad).toMatchObject({ source: 'empty', reads: 1 });

    const second = await handler({ Records: net.channels.slice(5).flatMap((c) => c.messages.map(recordOf)) });
    expect(second.snapshot).toMatchObject({ written: true, channels: 10, nodes: 6 });
    clock = 5000;
    const loaded = await cache.graph();
    expect(cache.lastLoad).toMatchObject({ source: 'snapshot', reads: 2 });
    expect(loaded.channelCount).toBe(10);
    // Within refreshMs: no read at all; after it, one GetItem of the pointer.
    expect(await cache.graph()).toBe(loaded);
    expect(cache.lastLoad).toMatchObject({ source: 'memory', reads: 0 });
    clock = 10_000;
    expect(await cache.graph()).toBe(loaded);
    expect(cache.lastLoad).toMatchObject({ source: 'pointer', reads: 1 });
    // The counter was taken down by what the snapshot covered.
    expect(await graph.addChanges(0)).toBe(0);

    // A payer with a channel to node 0 reaches node 3 over the public graph.
    const payer = new Uint8Array(33).fill(2);
    const route = findRoute(loaded, {
      ourNodeId: payer,
      payeeNodeId: net.nodes[3]!.getNodeId(),
      amountMsat: 10_000_000n,
      finalCltvExpiryDelta: 40,
      bestBlockHeight: 800_000,
      firstHops: [{ channelId: new Uint8Array(32), shortChannelId: 1n, counterpartyNodeId: net.nodes[0]!.getNodeId(), outboundCapacityMsat: 100_000_000n, nextOutboundHtlcMinimumMsat: 0n }],
    });
    expect(route.ok && route.route.hops.at(-1)?.pubkey).toEqual(net.nodes[3]!.getNodeId());

    // A newer snapshot replaces the old one: the cache reloads, the old chunks are gone.
    const run = await refreshGraphSnapshot(graph, '000000000000000', 0);
    expect(run.written).toBe(true);
    expect(run.id > second.snapshot!.id).toBe(true);
    clock = 20_000;
    await cache.graph();
    expect(cache.lastLoad).toMatchObject({ source: 'snapshot', id: run.id });
    expect(await graph.readSnapshot({ id: second.snapshot!.id, chunks: 1, bytes: second.snapshot!.bytes })).toBeUndefined();
  });

  it('a snapshot larger than one item is stored in chunks and read back byte for byte; a losing concurrent writer leaves no chunks', async () => {
    const { graph } = setup();
    const bytes = crypto.getRandomValues(new Uint8Array(60_000));
    const big = new Uint8Array(SNAPSHOT_CHUNK_BYTES * 2 + 12_345);
    for (let i = 0; i < big.length; i += bytes.length) big.set(bytes.subarray(0, Math.min(bytes.length, big.length - i)), i);
    expect(await graph.writeSnapshot('000000000000001', big, undefined, 0)).toBe(true);
    const pointer = await graph.snapshotPointer();
    expect(pointer).toEqual({ id: '000000000000001', chunks: 3, bytes: big.length });
    expect(await graph.readSnapshot(pointer!)).toEqual(big);
    // A second writer that read no pointer (it raced the first) loses, and its chunks are deleted.
    expect(await graph.writeSnapshot('000000000000002', big.subarray(0, 10), undefined, 0)).toBe(false);
    expect(await graph.readSnapshot({ id: '000000000000002', chunks: 1, bytes: 10 })).toBeUndefined();
    expect((await graph.snapshotPointer())?.id).toBe('000000000000001');
  });
});
