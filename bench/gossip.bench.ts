/**
 * The gossip function and the graph snapshot (issue 18) on DynamoDB Local:
 *
 * 1. throughput: a signed network (`BENCH_GOSSIP_NODES` nodes, default 300;
 *    `BENCH_GOSSIP_CHANNELS` channels, default 1,000; each channel an
 *    announcement and two updates, each node an announcement) fed through
 *    the gossip handler in SQS batches of 10, one peer, in wire order:
 *    messages per second, and per message type the DynamoDB requests, items
 *    written and their bytes (DynamoDB's item size: attribute names and
 *    values, read back from the table). The funding-output look-up is an
 *    in-memory map here (Esplora's latency is not the function's).
 * 2. the snapshot built from that store (time, bytes), and a cold load of it
 *    through `GraphSnapshotCache` (time, DynamoDB reads).
 * 3. the cold load of a snapshot the size of today's network
 *    (`BENCH_GOSSIP_BIG_CHANNELS`, default 50,000 channels over 15,000
 *    nodes, generated: test/support/routing-graph.ts; 0 skips it): chunks,
 *    reads, bytes, time (median of 5 fresh caches).
 *
 * Timing is printed, never asserted (test/bench/gossip.test.ts runs it light).
 */
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { startDynamoDbLocal } from '../infra/local/dynamodb-local.js';
import { freePort } from '../infra/local/free-port.js';
import { toHex, wasmSecp256k1 } from '../shared/crypto/index.js';
import { encodeInbound } from '../shared/pipeline/envelopes.js';
import { buildNetworkGraph, encodeGraphSnapshot } from '../shared/routing/index.js';
import { GRAPH_SHARDS, GraphStore } from '../shared/store/graph-items.js';
import { GraphSnapshotCache } from '../shared/store/graph-snapshot-cache.js';
import { ensureNodeTable } from '../shared/store/index.js';
import { createGossipHandler } from '../functions/gossip/handler.js';
import { refreshGraphSnapshot } from '../functions/gossip/graph-snapshot-job.js';
import { gossipNetwork } from '../test/support/gossip-network.js';
import { generateGraph } from '../test/support/routing-graph.js';
import { ms, printTable } from './measure.js';

const NODES = Number(process.env.BENCH_GOSSIP_NODES ?? 300);
const CHANNELS = Number(process.env.BENCH_GOSSIP_CHANNELS ?? 1_000);
const BIG_CHANNELS = Number(process.env.BENCH_GOSSIP_BIG_CHANNELS ?? 50_000);
const NOW = 1_750_000_000;

const dynamo = await startDynamoDbLocal({ port: await freePort() });
const client = dynamo.client();
try {
  const tableName = `gossip-bench-${randomUUID()}`;
  await ensureNodeTable(client, tableName);

  // DynamoDB requests by command, counted by a middleware on the client.
  const requests = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? '?');
      requests.set(name, (requests.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'benchCounter' },
  );

  const genStart = performance.now();
  const net = gossipNetwork(wasmSecp256k1, { nodes: NODES, channels: CHANNELS, timestamp: NOW - 600 });
  const genMs = performance.now() - genStart;
  const chainHash = net.chainHash;
  const graph = new GraphStore({ client, tableName, chainHash });
  const sent: number[] = [];
  const handler = createGossipHandler({
    graph,
    secp: wasmSecp256k1,
    chainHash,
    outbound: { sendBatch: async (m) => void sent.push(m.length) },
    nowSec: () => NOW,
    fundingOutput: async (scid) => net.fundingOutputs.get(scid),
    // The snapshot is measured on its own below.
    snapshotEvery: Number.MAX_SAFE_INTEGER,
  });
  const peer = toHex(net.nodes[0]!.getNodeId());
  let seq = 0;
  const recordOf = (message: Uint8Array): SQSRecord => ({
    messageId: randomUUID(),
    receiptHandle: 'rh',
    body: encodeInbound({ kind: 'message', peer, connectionId: 'bench', seq, message }),
    attributes: { MessageGroupId: `n:${peer}`, MessageDeduplicationId: `bench:${seq++}`, ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'gw', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:stormcell-gossip.fifo',
    awsRegion: 'local',
  });

  /** Feeds `messages` in batches of 10; answers elapsed ms, requests by command, stored count. */
  async function feed(messages: readonly Uint8Array[]): Promise<{ ms: number; requests: Map<string, number>; stored: number }> {
    requests.clear();
    let stored = 0;
    const start = performance.now();
    for (let i = 0; i < messages.length; i += 10) {
      const result = await handler({ Records: messages.slice(i, i + 10).map(recordOf) });
      if (result.batchItemFailures.length > 0) throw new Error(`${result.batchItemFailures.length} records failed`);
      stored += result.outcomes.filter((o) => o.kind === 'stored').length;
    }
    return { ms: performance.now() - start, requests: new Map(requests), stored };
  }

  const phases = [
    { name: 'channel_announcement', messages: net.channels.map((c) => c.messages[0]) },
    { name: 'channel_update', messages: net.channels.flatMap((c) => [c.messages[1], c.messages[2]]) },
    { name: 'node_announcement', messages: net.nodeAnnouncements },
  ];
  const rows: string[][] = [['message', 'count', 'stored', 'msgs/s', 'reads/msg', 'writes/msg']];
  let totalMs = 0;
  let total = 0;
  const reads = (r: Map<string, number>) => (r.get('QueryCommand') ?? 0) + (r.get('GetItemCommand') ?? 0);
  const writes = (r: Map<string, number>) => (r.get('PutItemCommand') ?? 0) + (r.get('UpdateItemCommand') ?? 0);
  for (const phase of phases) {
    const run = await feed(phase.messages);
    totalMs += run.ms;
    total += phase.messages.length;
    const n = phase.messages.length;
    rows.push([phase.name, String(n), String(run.stored), (n / (run.ms / 1000)).toFixed(0), (reads(run.requests) / n).toFixed(2), (writes(run.requests) / n).toFixed(2)]);
  }
  rows.push(['all, in batches of 10', String(total), '', (total / (totalMs / 1000)).toFixed(0), '', '']);
  // A second delivery of everything (a peer resending the graph): refused before any write.
  const repeat = await feed(phases[1]!.messages);
  rows.push(['channel_update again (stale)', String(phases[1]!.messages.length), String(repeat.stored), (phases[1]!.messages.length / (repeat.ms / 1000)).toFixed(0), (reads(repeat.requests) / phases[1]!.messages.length).toFixed(2), (writes(repeat.requests) / phases[1]!.messages.length).toFixed(2)]);
  printTable(`gossip function throughput (${NODES} nodes, ${CHANNELS} channels, DynamoDB Local; writes/msg include the one counter update per batch of 10 that stored something)`, rows);

  // Item sizes as DynamoDB counts them: attribute names plus values.
  const sizeOf = (item: Record<string, AttributeValue>) =>
    Object.entries(item).reduce((sum, [name, v]) => sum + name.length + (v.S?.length ?? 0) + (v.B?.length ?? 0) + (v.N === undefined ? 0 : Math.ceil(v.N.length / 2) + 1), 0);
  const kinds = new Map<string, { items: number; bytes: number }>();
  for (let shard = 0; shard < GRAPH_SHARDS; shard++) {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: graph.partition(shard) } }, ...(start ? { ExclusiveStartKey: start } : {}) }));
      for (const item of page.Items ?? []) {
        const sk = item['sk']!.S!;
        const kind = sk.startsWith('N#') ? (item['d'] ? 'node + node_announcement' : 'node (no announcement)') : sk.length === 22 ? 'channel_announcement' : 'channel_update (one direction)';
        const k = kinds.get(kind) ?? { items: 0, bytes: 0 };
        k.items++;
        k.bytes += sizeOf(item);
        kinds.set(kind, k);
      }
      start = page.LastEvaluatedKey;
    } while (start);
  }
  const allItems = [...kinds.values()].reduce((s, k) => s + k.items, 0);
  const allBytes = [...kinds.values()].reduce((s, k) => s + k.bytes, 0);
  printTable('stored items (DynamoDB item size: names + values)', [
    ['item', 'items', 'bytes each (mean)'],
    ...[...kinds.entries()].map(([kind, k]) => [kind, String(k.items), (k.bytes / k.items).toFixed(0)]),
    ['all, per gossip message stored', (allItems / total).toFixed(2), (allBytes / total).toFixed(0)],
  ]);

  // The snapshot of this store, and a cold load of it.
  const buildStart = performance.now();
  const snap = await refreshGraphSnapshot(graph, '000000000000001');
  const buildMs = performance.now() - buildStart;
  const coldStore = new GraphStore({ client, tableName, chainHash });
  const cache = new GraphSnapshotCache(coldStore);
  const loadStart = performance.now();
  const loaded = await cache.graph();
  const loadMs = performance.now() - loadStart;
  const rowsSnap: string[][] = [
    ['what', 'value'],
    ['sign the network (ms, not the function)', ms(genMs)],
    [`snapshot of the stored graph: build from the store (${snap.channels} channels, ${snap.nodes} nodes) (ms)`, ms(buildMs)],
    ['its bytes', String(snap.bytes)],
    ['its cold load: time (ms)', ms(loadMs)],
    ['its cold load: DynamoDB reads', String(cache.lastLoad.reads)],
    ['channels loaded', String(loaded.channelCount)],
  ];

  if (BIG_CHANNELS > 0) {
    const generated = generateGraph(Math.round(BIG_CHANNELS * 0.3), BIG_CHANNELS, 42);
    const bytes = encodeGraphSnapshot(buildNetworkGraph(generated.announcements, generated.updates).graph);
    const bigStore = new GraphStore({ client, tableName, chainHash: new Uint8Array(32).fill(0xbb) });
    await bigStore.writeSnapshot('000000000000001', bytes, undefined, 0);
    const times: number[] = [];
    let reads = 0;
    let chunks = 0;
    for (let i = 0; i < 5; i++) {
      const fresh = new GraphSnapshotCache(new GraphStore({ client, tableName, chainHash: new Uint8Array(32).fill(0xbb) }));
      const start = performance.now();
      const g = await fresh.graph();
      times.push(performance.now() - start);
      reads = fresh.lastLoad.reads;
      chunks = reads - 1;
      if (g.channelCount === 0) throw new Error('the big snapshot did not load');
    }
    times.sort((a, b) => a - b);
    rowsSnap.push(
      [`snapshot of ${BIG_CHANNELS} generated channels: bytes`, String(bytes.length)],
      ['  chunks (items of at most 350 KiB)', String(chunks)],
      ['  cold load: DynamoDB reads (pointer + chunks side by side)', String(reads)],
      ['  cold load: read + decode (ms, median of 5)', ms(times[2]!)],
      ['  read capacity (eventually consistent, 4 KB units / 2)', String(Math.ceil(bytes.length / 4096 / 2))],
    );
  }
  printTable('graph snapshot: build and cold load (DynamoDB Local)', rowsSnap);
} finally {
  client.destroy();
  await dynamo.stop();
}
