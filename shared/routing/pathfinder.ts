/**
 * Routes over the public graph (LDK's `find_route`, in our words): a
 * Dijkstra search from the payee back to us, so that each node's fee and
 * CLTV delta is computed on the amount and expiry it actually forwards. An
 * edge is a direction of a graph channel (enabled, with a policy), a hop of
 * an invoice's route hints, or one of our own channels (the first hops the
 * caller gives, with their real outbound liquidity: our channels in the graph
 * are ignored). A hop is taken only when its HTLC fits `htlc_minimum_msat`,
 * `htlc_maximum_msat` and the capacity left after the parts already planned,
 * when the summed CLTV deltas stay within `maxTotalCltvExpiryDelta` (1008 by
 * default) and the route within 20 hops. The cost of a hop is its fee plus
 * the scorer's penalty (scorer.ts); the cheapest path wins.
 *
 * When no single path carries the amount and the payee accepts parts, paths
 * are collected as LDK does: each search asks for what is left, an edge must
 * carry at least its share (`left / parts still allowed`), each path carries
 * as much as its tightest hop allows (found exactly), and its amounts count
 * as used liquidity for the next search.
 *
 * The search holds msat in `number`s (exact integers below 2^53); each route
 * is then priced and checked again in `bigint`. Pure: no clock (the scorer's
 * time comes in as `nowSec`), no randomness.
 */
import { bytesToHex, equalBytes } from '../codec/index.js';
import { MAX_GRAPH_MSAT, POLICY_DISABLED, POLICY_KNOWN, type NetworkGraph } from './network-graph.js';
import { directionOf, type LiquidityBounds, type ProbabilisticScorer } from './scorer.js';
import {
  DEFAULT_MAX_PATH_COUNT,
  DEFAULT_MAX_TOTAL_CLTV_EXPIRY_DELTA,
  MAX_ROUTE_HOPS,
  RouteErrorCode,
  type FirstHop,
  type PaymentRoutesResult,
  type Route,
  type RouteError,
  type RouteHop,
  type RouteRequest,
  type RouteResult,
} from './route.js';

/** The scorer and the time at which its learned bounds are read. Without one, the cost of a hop is its fee alone. */
export interface Scoring {
  readonly scorer: ProbabilisticScorer;
  readonly nowSec: number;
}

/** An edge outside the graph: one of our channels, or a hop of a route hint. */
interface ExtraEdge {
  readonly from: number;
  readonly to: number;
  readonly shortChannelId: bigint;
  readonly feeBaseMsat: number;
  readonly feeProportionalMillionths: number;
  readonly cltvExpiryDelta: number;
  readonly htlcMinimumMsat: number;
  readonly htlcMaximumMsat: number;
  readonly direction: 0 | 1;
  readonly firstHop?: FirstHop;
}

/** BOLT 7 fee on a `number` amount, exact while the result is below 2^53 (the product is split to stay exact). */
function feeOf(baseMsat: number, ppm: number, amountMsat: number): number {
  const hi = Math.floor(amountMsat / 1_000_000);
  const lo = amountMsat - hi * 1_000_000;
  return baseMsat + hi * ppm + Math.floor((lo * ppm) / 1_000_000);
}

const isBlockCount = (x: number): boolean => Number.isSafeInteger(x) && x >= 0 && x <= 0xffffffff;

/** Flags of the reasons edges were refused during a search (the error when none is found). */
const SEEN_CAPACITY = 1;
const SEEN_MINIMUM = 2;
const SEEN_CLTV = 4;
const SEEN_HOPS = 8;
const SEEN_FEE = 16;

/** A min-heap of (cost, node) pairs, stale entries skipped by the caller. */
class CostHeap {
  #cost: Float64Array;
  #node: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.#cost = new Float64Array(Math.max(16, capacity));
    this.#node = new Int32Array(Math.max(16, capacity));
  }

  push(cost: number, node: number): void {
    if (this.size === this.#cost.length) {
      const c = new Float64Array(this.size * 2);
      c.set(this.#cost);
      const n = new Int32Array(this.size * 2);
      n.set(this.#node);
      this.#cost = c;
      this.#node = n;
    }
    const costs = this.#cost;
    const nodes = this.#node;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (costs[parent]! <= cost) break;
      costs[i] = costs[parent]!;
      nodes[i] = nodes[parent]!;
      i = parent;
    }
    costs[i] = cost;
    nodes[i] = node;
  }

  /** Removes the cheapest entry and returns its node. */
  pop(): number {
    const costs = this.#cost;
    const nodes = this.#node;
    const top = nodes[0]!;
    const n = --this.size;
    const lastCost = costs[n]!;
    const lastNode = nodes[n]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && costs[child + 1]! < costs[child]!) child++;
      if (costs[child]! >= lastCost) break;
      costs[i] = costs[child]!;
      nodes[i] = nodes[child]!;
      i = child;
    }
    costs[i] = lastCost;
    nodes[i] = lastNode;
    return top;
  }
}

/**
 * How many labels (paths to the payee not dominated by another) a node
 * keeps at most. One is LDK's search; a few keep a pricier path with a
 * smaller CLTV total, fewer hops or a larger amount beside the cheapest.
 * When a node is full, a cheaper label takes the place of its priciest
 * waiting one.
 */
export const MAX_LABELS_PER_NODE = 8;

/** A label's state: in the heap, taken out (its node's path is final), or beaten by another label before it was taken out. */
const WAITING = 0;
const SETTLED = 1;
const DEAD = 2;

/** The labels of one search, column by column, with a list of labels per node. */
class LabelSet {
  cost: Float64Array;
  amount: Float64Array;
  carry: Float64Array;
  cltv: Float64Array;
  hops: Uint8Array;
  node: Int32Array;
  edge: Int32Array;
  /** The label this one extends (toward the payee), -1 at the payee. */
  next: Int32Array;
  /** The node's next label, -1 at the end. */
  sibling: Int32Array;
  state: Uint8Array;
  readonly head: Int32Array;
  size = 0;

  constructor(nodes: number) {
    const n = Math.max(16, nodes);
    this.cost = new Float64Array(n);
    this.amount = new Float64Array(n);
    this.carry = new Float64Array(n);
    this.cltv = new Float64Array(n);
    this.hops = new Uint8Array(n);
    this.node = new Int32Array(n);
    this.edge = new Int32Array(n);
    this.next = new Int32Array(n);
    this.sibling = new Int32Array(n);
    this.state = new Uint8Array(n);
    this.head = new Int32Array(nodes).fill(-1);
  }

  add(node: number, cost: number, amount: number, carry: number, cltv: number, hops: number, edge: number, next: number): number {
    if (this.size === this.cost.length) this.#grow();
    const l = this.size++;
    this.cost[l] = cost;
    this.amount[l] = amount;
    this.carry[l] = carry;
    this.cltv[l] = cltv;
    this.hops[l] = hops;
    this.node[l] = node;
    this.edge[l] = edge;
    this.next[l] = next;
    this.sibling[l] = this.head[node]!;
    this.state[l] = WAITING;
    this.head[node] = l;
    return l;
  }

  #grow(): void {
    const n = this.cost.length * 2;
    const f64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    const u8 = (a: Uint8Array): Uint8Array => {
      const b = new Uint8Array(n);
      b.set(a);
      return b;
    };
    this.cost = f64(this.cost);
    this.amount = f64(this.amount);
    this.carry = f64(this.carry);
    this.cltv = f64(this.cltv);
    this.hops = u8(this.hops);
    this.node = i32(this.node);
    this.edge = i32(this.edge);
    this.next = i32(this.next);
    this.sibling = i32(this.sibling);
    this.state = u8(this.state);
  }
}

/** The largest `htlc_minimum_msat` of a usable direction in a graph (cached per graph). */
const largestGraphMinimum = new WeakMap<NetworkGraph, number>();
function largestMinimumOf(graph: NetworkGraph): number {
  let m = largestGraphMinimum.get(graph);
  if (m === undefined) {
    m = 0;
    const { flags, htlcMinimumMsat } = graph.columns;
    for (let d = 0; d < htlcMinimumMsat.length; d++) {
      if ((flags[d]! & (POLICY_KNOWN | POLICY_DISABLED)) === POLICY_KNOWN && htlcMinimumMsat[d]! > m) m = htlcMinimumMsat[d]!;
    }
    largestGraphMinimum.set(graph, m);
  }
  return m;
}

/** One route computation: the graph plus the request's nodes and edges, and the liquidity its parts use. */
class Search {
  readonly graph: NetworkGraph;
  readonly req: RouteRequest;
  readonly n: number;
  readonly payer: number;
  readonly payee: number;
  readonly extraIds: Uint8Array[] = [];
  readonly extras: ExtraEdge[] = [];
  /** Extra edges entering a node. */
  readonly extraInto = new Map<number, number[]>();
  readonly excludedChannels: Uint8Array | undefined;
  /** Liquidity used by parts planned so far, by graph direction. */
  readonly usedGraph = new Map<number, number>();
  readonly usedExtra: Float64Array;
  /** Edges not to use again in this computation (one whose minimum no part meets). */
  readonly bannedExtra: Uint8Array;
  readonly bannedGraph = new Set<number>();
  readonly maxDelta: number;
  readonly scorer: ProbabilisticScorer | undefined;
  readonly learnedGraph = new Map<number, LiquidityBounds>();
  readonly learnedExtra: (LiquidityBounds | undefined)[] = [];
  /**
   * The largest `htlc_minimum_msat` of any edge: a label whose amount is at
   * least this meets every minimum further on, so a larger amount no longer
   * counts in its favour (below it, two labels of different amounts are
   * both kept).
   */
  readonly largestMinimumMsat: number;
  readonly #extraIndex = new Map<string, number>();
  #refusedExtraCost = Infinity;
  seen = 0;

  constructor(graph: NetworkGraph, req: RouteRequest, maxDelta: number, scoring: Scoring | undefined) {
    this.graph = graph;
    this.req = req;
    this.n = graph.nodeCount;
    this.maxDelta = maxDelta;
    this.payer = this.node(req.ourNodeId);
    this.payee = this.node(req.payeeNodeId);
    const excluded = new Set(req.excludedShortChannelIds ?? []);
    if (excluded.size > 0) {
      const mask = new Uint8Array(graph.channelCount);
      for (const scid of excluded) {
        const c = graph.channelIndex(scid);
        if (c >= 0) mask[c] = 1;
      }
      this.excludedChannels = mask;
    }
    // Our channels, the largest first (among equal costs the first pushed wins).
    const firstHops = req.firstHops
      .filter((fh) => ![fh.shortChannelId, ...(fh.shortChannelIdAliases ?? [])].some((s) => excluded.has(s)))
      .sort((a, b) => (a.outboundCapacityMsat === b.outboundCapacityMsat ? 0 : a.outboundCapacityMsat > b.outboundCapacityMsat ? -1 : 1));
    for (const fh of firstHops) {
      this.#addExtra({
        from: this.payer,
        to: this.node(fh.counterpartyNodeId),
        shortChannelId: fh.shortChannelId,
        feeBaseMsat: 0,
        feeProportionalMillionths: 0,
        cltvExpiryDelta: 0,
        htlcMinimumMsat: toGraphMsat(fh.nextOutboundHtlcMinimumMsat),
        htlcMaximumMsat: toGraphMsat(fh.outboundCapacityMsat),
        direction: directionOf(req.ourNodeId, fh.counterpartyNodeId),
        firstHop: fh,
      });
    }
    for (const hint of req.routeHints ?? []) {
      hint.forEach((h, j) => {
        const target = j + 1 < hint.length ? hint[j + 1]!.pubkey : req.payeeNodeId;
        // Our own channel in a hint: the first hops already lead out of our node.
        if (equalBytes(h.pubkey, req.ourNodeId) || equalBytes(h.pubkey, target) || excluded.has(h.shortChannelId)) return;
        if (h.feeBaseMsat < 0n || h.feeBaseMsat > 0xffffffffn || !isBlockCount(h.cltvExpiryDelta) || !isBlockCount(h.feeProportionalMillionths)) return;
        this.#addExtra({
          from: this.node(h.pubkey),
          to: this.node(target),
          shortChannelId: h.shortChannelId,
          feeBaseMsat: Number(h.feeBaseMsat),
          feeProportionalMillionths: h.feeProportionalMillionths,
          cltvExpiryDelta: h.cltvExpiryDelta,
          htlcMinimumMsat: 0,
          htlcMaximumMsat: MAX_GRAPH_MSAT,
          direction: directionOf(h.pubkey, target),
        });
      });
    }
    this.largestMinimumMsat = this.extras.reduce((m, e) => Math.max(m, e.htlcMinimumMsat), largestMinimumOf(graph));
    this.usedExtra = new Float64Array(this.extras.length);
    this.bannedExtra = new Uint8Array(this.extras.length);
    if (scoring !== undefined) {
      this.scorer = scoring.scorer;
      const learned = scoring.scorer.snapshot(scoring.nowSec, (scid) => graph.capacityOf(scid));
      for (const [key, bounds] of learned) {
        const c = graph.channelIndex(key >> 1n);
        if (c >= 0) this.learnedGraph.set(2 * c + Number(key & 1n), bounds);
      }
      this.extras.forEach((e, k) => (this.learnedExtra[k] = learned.get((e.shortChannelId << 1n) | BigInt(e.direction))));
    }
  }

  #addExtra(edge: ExtraEdge): void {
    const k = this.extras.length;
    this.extras.push(edge);
    const into = this.extraInto.get(edge.to);
    if (into === undefined) this.extraInto.set(edge.to, [k]);
    else into.push(k);
  }

  /** The index of a node: the graph's, or a new one past the graph for a node it does not know. */
  node(id: Uint8Array): number {
    const n = this.graph.nodeIndex(id);
    if (n >= 0) return n;
    const key = bytesToHex(id);
    let e = this.#extraIndex.get(key);
    if (e === undefined) {
      e = this.n + this.extraIds.length;
      this.#extraIndex.set(key, e);
      this.extraIds.push(id);
    }
    return e;
  }

  nodeId(n: number): Uint8Array {
    return n < this.n ? this.graph.nodeId(n).slice() : this.extraIds[n - this.n]!;
  }

  /** Room left on a graph direction for this computation: `htlc_maximum_msat` and capacity, less what planned parts use. */
  graphLimit(d: number): number {
    const g = this.graph;
    const max = Math.min(g.columns.htlcMaximumMsat[d]!, g.effectiveCapacityMsat(d >> 1));
    return max - (this.usedGraph.get(d) ?? 0);
  }

  /**
   * The cheapest path for `valueMsat` from us to the payee, as edge
   * references from our first hop on (`d >= 0`: graph direction `d`; `-k-1`:
   * extra edge `k`). With `minShareMsat < valueMsat` (parts), an edge that
   * carries less than the value but at least the share is taken too.
   *
   * First LDK's search: one label (the cheapest path to the payee) a node.
   * When that finds nothing although some limit turned an edge away (the
   * cheapest label there may have hidden one that fits), or finds a route
   * while one of our channels or a hint's hop refused a cheaper label, the
   * search runs again (in the second case for a cheaper route only) where a
   * node keeps every label that no other label
   * there dominates, up to {@link MAX_LABELS_PER_NODE}: a pricier path
   * with a smaller CLTV total or fewer hops stays beside the cheapest, so
   * that the cheapest one breaking the CLTV limit further on does not hide a
   * route that fits. A label dominates another when it is no worse in
   * cost, amount, CLTV total, hop count and (for parts) what it can carry,
   * and its amount is the same or already meets every HTLC minimum (a larger
   * amount can meet a minimum a smaller one cannot). Every limit and cost
   * further on is monotone in these, so a dominated label never leads to a
   * route the dominating one could not match.
   */
  find(valueMsat: number, minShareMsat: number): number[] | undefined {
    const before = this.seen;
    this.seen = 0;
    const cheapest = this.#find(valueMsat, minShareMsat, 1, Infinity);
    const refused = this.seen;
    this.seen |= before;
    if (refused === 0) return cheapest?.path;
    if (cheapest === undefined) return this.#find(valueMsat, minShareMsat, MAX_LABELS_PER_NODE, Infinity)?.path;
    // Found, but one of our channels or a hint refused a cheaper label: a cheaper route may hide behind it.
    if (!(this.#refusedExtraCost < cheapest.cost)) return cheapest.path;
    return (this.#find(valueMsat, minShareMsat, MAX_LABELS_PER_NODE, cheapest.cost) ?? cheapest).path;
  }

  /**
   * The search of {@link find} with at most `maxLabels` labels a node, for a
   * path cheaper than `belowCost`. Sets `#refusedExtraCost`: the least a
   * path over one of our channels or a hint's hop that a CLTV, hop or
   * HTLC-minimum limit turned away would have cost.
   */
  #find(valueMsat: number, minShareMsat: number, maxLabels: number, belowCost: number): { path: number[]; cost: number } | undefined {
    const g = this.graph;
    const k = g.columns;
    const total = this.n + this.extraIds.length;
    const labels = new LabelSet(total);
    const heap = new CostHeap(1024);
    const parts = minShareMsat < valueMsat;
    const maxFee = parts || this.req.maxTotalRoutingFeeMsat === undefined ? Infinity : toGraphMsat(this.req.maxTotalRoutingFeeMsat);
    const payer = this.payer;
    const scorer = this.scorer;
    const maxDelta = this.maxDelta;
    const excluded = this.excludedChannels;
    const minMatters = this.largestMinimumMsat;
    const { adjacencyOffsets, adjacentChannels } = g;
    const { node1, node2, flags } = k;
    let seen = 0;
    let refusedCost = Infinity;
    // Module bindings read once: an imported binding may be an accessor under some loaders.
    const usable = POLICY_KNOWN;
    const usableMask = POLICY_KNOWN | POLICY_DISABLED;
    const maxMsat = MAX_GRAPH_MSAT;
    const maxHops = MAX_ROUTE_HOPS;
    const learned = this.learnedGraph.size > 0 ? this.learnedGraph : undefined;

    heap.push(0, labels.add(this.payee, 0, valueMsat, valueMsat, this.req.finalCltvExpiryDelta, 0, -1, -1));

    /** Tries the label `l` (at `v`) over an edge from `u`; records a label at `u` that no other there dominates. */
    const relax = (
      l: number,
      v: number,
      u: number,
      edge: number,
      feeBase: number,
      feePpm: number,
      delta: number,
      htlcMin: number,
      limit: number,
      capacity: number,
      bounds: LiquidityBounds | undefined,
      used: number,
    ): void => {
      const a = labels.amount[l]!;
      let canCarry = labels.carry[l]!;
      if (limit < a) {
        if (!parts) {
          seen |= SEEN_CAPACITY;
          return;
        }
        canCarry = Math.min(canCarry, Math.floor(limit * (valueMsat / a)));
        if (canCarry < minShareMsat) {
          seen |= SEEN_CAPACITY;
          return;
        }
      }
      if (a < htlcMin && !parts) {
        seen |= SEEN_MINIMUM;
        if (edge < 0 && labels.cost[l]! < refusedCost) refusedCost = labels.cost[l]!;
        return;
      }
      if (parts && htlcMin > canCarry) {
        seen |= SEEN_MINIMUM;
        if (edge < 0 && labels.cost[l]! < refusedCost) refusedCost = labels.cost[l]!;
        return;
      }
      const fromUs = u === payer;
      const fee = fromUs ? 0 : feeOf(feeBase, feePpm, a);
      const newAmount = a + fee;
      if (newAmount > maxMsat) return;
      if (newAmount - valueMsat > maxFee) {
        seen |= SEEN_FEE;
        return;
      }
      const newCltv = labels.cltv[l]! + (fromUs ? 0 : delta);
      if (newCltv > maxDelta) {
        seen |= SEEN_CLTV;
        if (edge < 0 && labels.cost[l]! < refusedCost) refusedCost = labels.cost[l]!;
        return;
      }
      const newHops = labels.hops[l]! + 1;
      if (newHops > maxHops) {
        seen |= SEEN_HOPS;
        if (edge < 0 && labels.cost[l]! < refusedCost) refusedCost = labels.cost[l]!;
        return;
      }
      const penalty = fromUs || scorer === undefined ? 0 : scorer.penaltyMsat((a < limit ? a : limit) + used, capacity, bounds);
      const newCost = labels.cost[l]! + fee + penalty;
      if (newCost >= belowCost) return;
      // Compare with the labels `u` holds: drop the new one if one of them is as good in every way; drop the waiting ones it beats.
      let live = 0;
      let priciest = -1;
      for (let o = labels.head[u]!; o >= 0; o = labels.sibling[o]!) {
        const state = labels.state[o]!;
        if (state === DEAD) continue;
        const oc = labels.cost[o]!;
        const oa = labels.amount[o]!;
        const ol = labels.cltv[o]!;
        const oh = labels.hops[o]!;
        const ok = labels.carry[o]!;
        if (oc <= newCost && oa <= newAmount && ol <= newCltv && oh <= newHops && ok >= canCarry && (oa === newAmount || oa >= minMatters)) return;
        if (state === WAITING && newCost <= oc && newAmount <= oa && newCltv <= ol && newHops <= oh && canCarry >= ok && (newAmount === oa || newAmount >= minMatters)) {
          labels.state[o] = DEAD;
          continue;
        }
        live++;
        if (state === WAITING && (priciest < 0 || oc > labels.cost[priciest]!)) priciest = o;
      }
      if (live > 0) {
        // A second path at `u`: not one that runs through `u` already.
        for (let p = l; p >= 0; p = labels.next[p]!) if (labels.node[p] === u) return;
        if (live >= maxLabels) {
          if (priciest < 0 || labels.cost[priciest]! <= newCost) return;
          labels.state[priciest] = DEAD;
        }
      }
      heap.push(newCost, labels.add(u, newCost, newAmount, canCarry, newCltv, newHops, edge, l));
    };

    let found = -1;
    while (heap.size > 0) {
      const l = heap.pop();
      if (labels.state[l] !== WAITING) continue;
      labels.state[l] = SETTLED;
      const v = labels.node[l]!;
      if (v === payer) {
        found = l;
        break;
      }
      if (v < this.n) {
        for (let i = adjacencyOffsets[v]!, end = adjacencyOffsets[v + 1]!; i < end; i++) {
          const c = adjacentChannels[i]!;
          const u = node1[c] === v ? node2[c]! : node1[c]!;
          if (u === payer) continue;
          const d = 2 * c + (node1[c] === u ? 0 : 1);
          if ((flags[d]! & usableMask) !== usable) continue;
          if (excluded !== undefined && excluded[c] === 1) continue;
          if (this.bannedGraph.size > 0 && this.bannedGraph.has(d)) continue;
          const used = this.usedGraph.size > 0 ? (this.usedGraph.get(d) ?? 0) : 0;
          const capacity = g.effectiveCapacityMsat(c);
          const limit = Math.min(k.htlcMaximumMsat[d]!, capacity) - used;
          relax(l, v, u, d, k.feeBaseMsat[d]!, k.feeProportionalMillionths[d]!, k.cltvExpiryDelta[d]!, k.htlcMinimumMsat[d]!, limit, capacity, learned?.get(d), used);
        }
      }
      const into = this.extraInto.get(v);
      if (into !== undefined) {
        for (const x of into) {
          const e = this.extras[x]!;
          if (this.bannedExtra[x] === 1) continue;
          const used = this.usedExtra[x]!;
          relax(l, v, e.from, -x - 1, e.feeBaseMsat, e.feeProportionalMillionths, e.cltvExpiryDelta, e.htlcMinimumMsat, e.htlcMaximumMsat - used, Infinity, this.learnedExtra[x], used);
        }
      }
    }
    this.seen |= seen;
    this.#refusedExtraCost = refusedCost;
    if (found < 0) return undefined;
    const path: number[] = [];
    for (let l = found; labels.next[l]! >= 0; l = labels.next[l]!) path.push(labels.edge[l]!);
    return { path, cost: labels.cost[found]! };
  }

  /** Whether any path joins us to the payee, amounts aside (the error when a search finds none). */
  reachable(): boolean {
    const g = this.graph;
    const { node1, node2, flags } = g.columns;
    const seen = new Uint8Array(this.n + this.extraIds.length);
    const stack = [this.payee];
    seen[this.payee] = 1;
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (v === this.payer) return true;
      if (v < this.n) {
        for (let i = g.adjacencyOffsets[v]!; i < g.adjacencyOffsets[v + 1]!; i++) {
          const c = g.adjacentChannels[i]!;
          const u = node1[c] === v ? node2[c]! : node1[c]!;
          const d = 2 * c + (node1[c] === u ? 0 : 1);
          if (u === this.payer || seen[u] === 1 || (flags[d]! & (POLICY_KNOWN | POLICY_DISABLED)) !== POLICY_KNOWN) continue;
          if (this.excludedChannels !== undefined && this.excludedChannels[c] === 1) continue;
          seen[u] = 1;
          stack.push(u);
        }
      }
      for (const x of this.extraInto.get(v) ?? []) {
        const u = this.extras[x]!.from;
        if (seen[u] === 1) continue;
        seen[u] = 1;
        stack.push(u);
      }
    }
    return false;
  }

  /** The most the payee's usable channels can receive (each direction's room into it; a hint counts as unlimited). */
  inboundLimitMsat(): bigint {
    const g = this.graph;
    const { node1, flags } = g.columns;
    const payee = this.payee;
    let sum = 0;
    if (payee < this.n) {
      for (let i = g.adjacencyOffsets[payee]!; i < g.adjacencyOffsets[payee + 1]!; i++) {
        const c = g.adjacentChannels[i]!;
        const d = 2 * c + (node1[c] === payee ? 1 : 0);
        if ((flags[d]! & (POLICY_KNOWN | POLICY_DISABLED)) !== POLICY_KNOWN) continue;
        if (this.excludedChannels !== undefined && this.excludedChannels[c] === 1) continue;
        sum += Math.max(0, this.graphLimit(d));
      }
    }
    for (const x of this.extraInto.get(payee) ?? []) sum += this.extras[x]!.htlcMaximumMsat;
    return sum >= MAX_GRAPH_MSAT ? BigInt(MAX_GRAPH_MSAT) : BigInt(sum);
  }

  /** The most our usable channels can send now. */
  outboundLimitMsat(): bigint {
    return this.extras.reduce((s, e) => (e.firstHop === undefined ? s : s + e.firstHop.outboundCapacityMsat), 0n);
  }

  /** What a path's edges are, in bigint for pricing. */
  edgeOf(ref: number): PricedEdge {
    if (ref < 0) {
      const e = this.extras[-ref - 1]!;
      const limit = e.htlcMaximumMsat - this.usedExtra[-ref - 1]!;
      return {
        ref,
        to: e.to,
        shortChannelId: e.firstHop?.shortChannelId ?? e.shortChannelId,
        feeBaseMsat: BigInt(e.feeBaseMsat),
        feeProportionalMillionths: BigInt(e.feeProportionalMillionths),
        cltvExpiryDelta: e.cltvExpiryDelta,
        htlcMinimumMsat: BigInt(e.htlcMinimumMsat),
        limitMsat: BigInt(Math.max(0, limit)),
        ...(e.firstHop === undefined ? {} : { firstHop: e.firstHop }),
      };
    }
    const k = this.graph.columns;
    const c = ref >> 1;
    return {
      ref,
      to: (ref & 1) === 0 ? k.node2[c]! : k.node1[c]!,
      shortChannelId: k.scids[c]!,
      feeBaseMsat: BigInt(k.feeBaseMsat[ref]!),
      feeProportionalMillionths: BigInt(k.feeProportionalMillionths[ref]!),
      cltvExpiryDelta: k.cltvExpiryDelta[ref]!,
      htlcMinimumMsat: BigInt(k.htlcMinimumMsat[ref]!),
      limitMsat: BigInt(Math.max(0, this.graphLimit(ref))),
    };
  }

  /** Counts a part's HTLC amounts as used on its edges (our first hop's outbound liquidity included, as LDK does). */
  use(path: readonly PricedEdge[], route: Route): void {
    path.forEach((e, i) => {
      const a = Number(route.hops[i]!.amountMsat);
      if (e.ref < 0) this.usedExtra[-e.ref - 1]! += a;
      else this.usedGraph.set(e.ref, (this.usedGraph.get(e.ref) ?? 0) + a);
    });
  }

  ban(ref: number): void {
    if (ref < 0) this.bannedExtra[-ref - 1] = 1;
    else this.bannedGraph.add(ref);
  }
}

/** One edge of a found path, in bigint, with the room left on it. */
interface PricedEdge {
  readonly ref: number;
  readonly to: number;
  readonly shortChannelId: bigint;
  readonly feeBaseMsat: bigint;
  readonly feeProportionalMillionths: bigint;
  readonly cltvExpiryDelta: number;
  readonly htlcMinimumMsat: bigint;
  readonly limitMsat: bigint;
  readonly firstHop?: FirstHop;
}

const toGraphMsat = (v: bigint): number => (v > BigInt(MAX_GRAPH_MSAT) ? MAX_GRAPH_MSAT : v < 0n ? 0 : Number(v));

type Priced = { ok: true; route: Route } | { ok: false; code: RouteErrorCode; edge: number };

/** Prices a path for `valueMsat` in bigint, from the payee back, and checks every hop's limits (`edge`: the first hop index that failed). */
function pricePath(search: Search, path: readonly PricedEdge[], valueMsat: bigint, upperOnly = false): Priced {
  const req = search.req;
  const start = req.bestBlockHeight + 1;
  const n = path.length;
  const hops: RouteHop[] = new Array<RouteHop>(n);
  let amount = valueMsat;
  let expiry = start + req.finalCltvExpiryDelta;
  let fee = 0n;
  let delta = req.finalCltvExpiryDelta;
  let totalFee = 0n;
  for (let i = n - 1; i >= 0; i--) {
    const e = path[i]!;
    if (i < n - 1) {
      const next = path[i + 1]!;
      fee = next.feeBaseMsat + (amount * next.feeProportionalMillionths) / 1_000_000n;
      delta = next.cltvExpiryDelta;
      amount += fee;
      expiry += delta;
      totalFee += fee;
    }
    if (amount > e.limitMsat) return { ok: false, code: RouteErrorCode.InsufficientCapacity, edge: i };
    if (!upperOnly && amount < e.htlcMinimumMsat) return { ok: false, code: RouteErrorCode.BelowHtlcMinimum, edge: i };
    hops[i] = { pubkey: search.nodeId(e.to), shortChannelId: e.shortChannelId, feeMsat: fee, cltvExpiryDelta: delta, amountMsat: amount, cltvExpiry: expiry };
  }
  if (expiry - start > search.maxDelta) return { ok: false, code: RouteErrorCode.CltvTooFar, edge: 0 };
  if (n > MAX_ROUTE_HOPS) return { ok: false, code: RouteErrorCode.RouteTooLong, edge: 0 };
  const first = path[0]!.firstHop!;
  return {
    ok: true,
    route: {
      hops,
      totalAmountMsat: valueMsat,
      totalFeeMsat: totalFee,
      firstHopChannelId: first.channelId,
      htlcAmountMsat: hops[0]!.amountMsat,
      htlcCltvExpiry: hops[0]!.cltvExpiry,
    },
  };
}

/** The largest value in [1, `upTo`] the path carries within every hop's room (0 when none). */
function largestValue(search: Search, path: readonly PricedEdge[], upTo: bigint): bigint {
  if (pricePath(search, path, upTo, true).ok) return upTo;
  let lo = 0n;
  let hi = upTo;
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (pricePath(search, path, mid, true).ok) lo = mid;
    else hi = mid;
  }
  return lo;
}

const ERROR_ORDER: readonly [number, RouteErrorCode][] = [
  [SEEN_CAPACITY, RouteErrorCode.InsufficientCapacity],
  [SEEN_MINIMUM, RouteErrorCode.BelowHtlcMinimum],
  [SEEN_CLTV, RouteErrorCode.CltvTooFar],
  [SEEN_HOPS, RouteErrorCode.RouteTooLong],
  [SEEN_FEE, RouteErrorCode.FeeTooHigh],
];

function fail(code: RouteErrorCode, message: string): { ok: false; error: RouteError } {
  return { ok: false, error: { code, message } };
}

/** Checks the request and opens a search, or says why none can start. */
function open(graph: NetworkGraph, req: RouteRequest, scoring: Scoring | undefined): Search | { ok: false; error: RouteError } {
  const maxDelta = req.maxTotalCltvExpiryDelta ?? DEFAULT_MAX_TOTAL_CLTV_EXPIRY_DELTA;
  if (req.amountMsat <= 0n || req.amountMsat > BigInt(MAX_GRAPH_MSAT)) return fail(RouteErrorCode.InvalidRequest, `amount ${req.amountMsat} msat is not a positive amount below 2^53`);
  if (!isBlockCount(req.finalCltvExpiryDelta) || !isBlockCount(req.bestBlockHeight) || !isBlockCount(maxDelta)) {
    return fail(RouteErrorCode.InvalidRequest, 'a CLTV delta or block height is not a block count');
  }
  if (req.maxPathCount !== undefined && (!Number.isSafeInteger(req.maxPathCount) || req.maxPathCount < 1)) return fail(RouteErrorCode.InvalidRequest, 'maxPathCount must be a positive integer');
  if (scoring !== undefined && !Number.isFinite(scoring.nowSec)) return fail(RouteErrorCode.InvalidRequest, 'nowSec is not a time');
  if (equalBytes(req.payeeNodeId, req.ourNodeId)) return fail(RouteErrorCode.PayeeIsSelf, 'we are the payee');
  const search = new Search(graph, req, maxDelta, scoring);
  if (!search.extras.some((e) => e.firstHop !== undefined)) return fail(RouteErrorCode.NoChannels, 'no usable channel');
  return search;
}

/** Why a search found nothing: unreachable, else the most telling limit that refused edges. */
function noPath(search: Search): { ok: false; error: RouteError } {
  if (!search.reachable()) return fail(RouteErrorCode.PayeeNotReachable, 'no path joins us to the payee (graph, route hints, our channels)');
  const code = ERROR_ORDER.find(([bit]) => (search.seen & bit) !== 0)?.[1] ?? RouteErrorCode.InsufficientCapacity;
  const messages: Record<string, string> = {
    [RouteErrorCode.InsufficientCapacity]: 'no path can carry the amount plus fees',
    [RouteErrorCode.BelowHtlcMinimum]: 'the HTLC would be below a channel minimum on every path',
    [RouteErrorCode.CltvTooFar]: `every path locks funds for more than ${search.maxDelta} blocks`,
    [RouteErrorCode.RouteTooLong]: `every path has more than ${MAX_ROUTE_HOPS} hops`,
    [RouteErrorCode.FeeTooHigh]: `every path's fees exceed the limit of ${search.req.maxTotalRoutingFeeMsat ?? 0n} msat`,
  };
  return fail(code, messages[code]!);
}

function singleRoute(search: Search): RouteResult {
  const req = search.req;
  const value = Number(req.amountMsat);
  const refs = search.find(value, value);
  if (refs === undefined) return noPath(search);
  const path = refs.map((r) => search.edgeOf(r));
  const priced = pricePath(search, path, req.amountMsat);
  if (!priced.ok) return fail(priced.code, `the path found does not price within its limits (${priced.code})`);
  if (req.maxTotalRoutingFeeMsat !== undefined && priced.route.totalFeeMsat > req.maxTotalRoutingFeeMsat) {
    return fail(RouteErrorCode.FeeTooHigh, `the route's fees ${priced.route.totalFeeMsat} msat exceed the limit of ${req.maxTotalRoutingFeeMsat} msat`);
  }
  return { ok: true, route: priced.route };
}

/**
 * The cheapest route for the whole amount over `graph`, our first hops and
 * the request's hints (fees plus the scorer's penalties when `scoring` is
 * given). Never throws on bad input: a {@link RouteError}.
 */
export function findRoute(graph: NetworkGraph, req: RouteRequest, scoring?: Scoring): RouteResult {
  const search = open(graph, req, scoring);
  return search instanceof Search ? singleRoute(search) : search;
}

/**
 * The routes for a payment: one route when one path carries it; else, when
 * `req.allowMpp`, at most `req.maxPathCount` parts (LDK's collection of
 * paths: each at least `left / parts still allowed`, as much as its tightest
 * hop allows, the liquidity of earlier parts counted as used, on our own
 * channels too: one of them may carry several parts). Errors: the single route's when splitting
 * cannot help, `insufficient-capacity` when the parts together fall short,
 * `too-many-parts`, `fee-too-high` for the parts' fees together.
 */
export function findPaymentRoutes(graph: NetworkGraph, req: RouteRequest, scoring?: Scoring): PaymentRoutesResult {
  const search = open(graph, req, scoring);
  if (!(search instanceof Search)) return search;
  const single = singleRoute(search);
  if (single.ok) return { ok: true, routes: [single.route] };
  const splittable: readonly RouteErrorCode[] = [RouteErrorCode.InsufficientCapacity, RouteErrorCode.BelowHtlcMinimum];
  if (req.allowMpp !== true || !splittable.includes(single.error.code)) return single;

  const maxParts = req.maxPathCount ?? DEFAULT_MAX_PATH_COUNT;
  const into = search.inboundLimitMsat();
  const out = search.outboundLimitMsat();
  if (req.amountMsat > into || req.amountMsat > out) {
    const which = into < out ? `the payee's channels can receive ${into} msat` : `our channels can send ${out} msat`;
    return fail(RouteErrorCode.InsufficientCapacity, `${which} at most, less than ${req.amountMsat} msat`);
  }
  const routes: Route[] = [];
  let left = req.amountMsat;
  // Each turn plans a part or bans an edge no part can use; bounded either way.
  for (let turn = 0; left > 0n && routes.length < maxParts && turn < 4 * maxParts + search.extras.length; turn++) {
    const share = Number((left + BigInt(maxParts - routes.length) - 1n) / BigInt(maxParts - routes.length));
    const refs = search.find(Number(left), share);
    if (refs === undefined) break;
    const path = refs.map((r) => search.edgeOf(r));
    const value = largestValue(search, path, left);
    const priced = value > 0n ? pricePath(search, path, value) : ({ ok: false, code: RouteErrorCode.InsufficientCapacity, edge: 0 } as const);
    if (!priced.ok) {
      search.ban(path[priced.edge]!.ref);
      continue;
    }
    routes.push(priced.route);
    search.use(path, priced.route);
    left -= value;
  }
  if (left > 0n) {
    // Paths remain, but only for shares smaller than the parts allowed can cover.
    if (routes.length >= maxParts || search.find(Number(left), 1) !== undefined) return fail(RouteErrorCode.TooManyParts, `the amount needs more than ${maxParts} parts`);
    return fail(RouteErrorCode.InsufficientCapacity, `the paths found together carry ${req.amountMsat - left} msat of ${req.amountMsat} msat`);
  }
  const totalFee = routes.reduce((s, r) => s + r.totalFeeMsat, 0n);
  if (req.maxTotalRoutingFeeMsat !== undefined && totalFee > req.maxTotalRoutingFeeMsat) {
    return fail(RouteErrorCode.FeeTooHigh, `the parts' fees add up to ${totalFee} msat, over the limit of ${req.maxTotalRoutingFeeMsat} msat`);
  }
  return { ok: true, routes };
}
