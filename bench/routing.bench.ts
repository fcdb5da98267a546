/**
 * The graph router (issue 18) on a generated graph the size of today's
 * public network (15,000 nodes, 50,000 channels, scale-free-ish:
 * test/support/routing-graph.ts): the snapshot's size and the time to load
 * it (decode, plus the node lookup table a first route builds), and the
 * p50/p90 of one pathfinding between random payer/payee pairs, with the
 * default scorer and without, and of a multi-part payment. Target: p50 ≤ 50
 * ms. `BENCH_ROUTING_NODES`, `BENCH_ROUTING_CHANNELS`, `BENCH_ROUTING_PAIRS`
 * (default 300) make it light. Timing never gates a test.
 */
import { performance } from 'node:perf_hooks';
import {
  ProbabilisticScorer,
  buildNetworkGraph,
  decodeGraphSnapshot,
  encodeGraphSnapshot,
  findPaymentRoutes,
  findRoute,
  type FirstHop,
  type NetworkGraph,
  type RouteRequest,
} from '../shared/routing/index.js';
import { fakeNodeId, generateGraph } from '../test/support/routing-graph.js';
import { rng } from '../test/support/seeded-random.js';
import { ms, printTable } from './measure.js';

const NODES = Number(process.env.BENCH_ROUTING_NODES ?? 15_000);
const CHANNELS = Number(process.env.BENCH_ROUTING_CHANNELS ?? 50_000);
const PAIRS = Number(process.env.BENCH_ROUTING_PAIRS ?? 300);

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

function timed<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const value = fn();
  return [value, performance.now() - start];
}

const [generated, generateMs] = timed(() => generateGraph(NODES, CHANNELS, 42));
const [built, buildMs] = timed(() => buildNetworkGraph(generated.announcements, generated.updates));
const graph = built.graph;
const [snapshot, encodeMs] = timed(() => encodeGraphSnapshot(graph));

// Loading: decode alone (median of 11), and a cold load as a Lambda does it: decode, then the node lookup of a first route.
const loads: number[] = [];
const cold: number[] = [];
let loaded: NetworkGraph = graph;
for (let i = 0; i < 11; i++) {
  const [r, decodeMs] = timed(() => decodeGraphSnapshot(snapshot));
  if (!r.ok) throw r.error;
  loaded = r.value;
  const [, lookupMs] = timed(() => loaded.nodeIndex(generated.nodeIds[0]!));
  loads.push(decodeMs);
  cold.push(decodeMs + lookupMs);
}
loads.sort((a, b) => a - b);
cold.sort((a, b) => a - b);

const next = rng(7);
const US = fakeNodeId(NODES + 1, next);
/** A payer with channels to three random nodes (0.1 BTC out each) paying a random node. */
function randomRequest(amountMsat: bigint, allowMpp = false): RouteRequest {
  const firstHops: FirstHop[] = [0, 1, 2].map((k) => ({
    channelId: new Uint8Array(32).fill(k + 1),
    counterpartyNodeId: generated.nodeIds[next() % NODES]!,
    shortChannelId: BigInt(k + 1),
    outboundCapacityMsat: 10_000_000_000n,
    nextOutboundHtlcMinimumMsat: 1n,
  }));
  return { ourNodeId: US, payeeNodeId: generated.nodeIds[next() % NODES]!, amountMsat, finalCltvExpiryDelta: 18, bestBlockHeight: 900_000, firstHops, allowMpp };
}

function run(label: string, count: number, make: () => RouteRequest, route: (req: RouteRequest) => { ok: boolean; parts: number }): string[] {
  for (let i = 0; i < 20; i++) route(make());
  const samples: number[] = [];
  let found = 0;
  let parts = 0;
  for (let i = 0; i < count; i++) {
    const req = make();
    const [r, t] = timed(() => route(req));
    samples.push(t);
    if (r.ok) {
      found++;
      parts += r.parts;
    }
  }
  samples.sort((a, b) => a - b);
  return [label, String(count), ms(percentile(samples, 0.5)), ms(percentile(samples, 0.9)), ms(samples[samples.length - 1]!), `${found}`, found > 0 ? (parts / found).toFixed(2) : '-'];
}

const scorer = new ProbabilisticScorer();
const NOW = 1_800_000_000;
const rows: string[][] = [['search', 'pairs', 'p50 (ms)', 'p90 (ms)', 'max (ms)', 'found', 'parts per payment']];
rows.push(run('findRoute, 50,000 sat, fees only', PAIRS, () => randomRequest(50_000_000n), (req) => {
  const r = findRoute(loaded, req);
  return { ok: r.ok, parts: 1 };
}));
rows.push(run('findRoute, 50,000 sat, default scorer', PAIRS, () => randomRequest(50_000_000n), (req) => {
  const r = findRoute(loaded, req, { scorer, nowSec: NOW });
  return { ok: r.ok, parts: 1 };
}));
rows.push(run('findPaymentRoutes, 0.05 BTC, MPP, default scorer', Math.max(20, Math.floor(PAIRS / 3)), () => randomRequest(5_000_000_000n, true), (req) => {
  const r = findPaymentRoutes(loaded, req, { scorer, nowSec: NOW });
  return { ok: r.ok, parts: r.ok ? r.routes.length : 0 };
}));

console.log(`\nrouting: ${graph.nodeCount} nodes, ${graph.channelCount} channels (${built.skippedAnnouncements} announcements skipped), seed 42`);
printTable('graph and snapshot', [
  ['what', 'value'],
  ['generate the records (ms)', ms(generateMs)],
  ['build the graph from records (ms)', ms(buildMs)],
  ['snapshot size (bytes)', String(snapshot.length)],
  ['snapshot bytes per channel', (snapshot.length / graph.channelCount).toFixed(1)],
  ['encode (ms)', ms(encodeMs)],
  ['decode into memory, median of 11 (ms)', ms(percentile(loads, 0.5))],
  ['decode + node lookup table (cold first route), median of 11 (ms)', ms(percentile(cold, 0.5))],
]);
printTable('pathfinding between random pairs (target p50 <= 50 ms)', rows);
