/**
 * Hand-built graphs for the router's tests: named nodes, channels given as
 * "from → to" policies (the fixture orders node ids and sets BOLT 7
 * directions), our first hops, and a checker that a route obeys the graph.
 */
import { expect } from 'vitest';
import { compareBytes, equalBytes } from '../../shared/codec/index.js';
import {
  buildNetworkGraph,
  type ChannelAnnouncementRecord,
  type ChannelUpdateRecord,
  type FirstHop,
  type NetworkGraph,
  type Route,
  type RouteRequest,
} from '../../shared/routing/index.js';

/** A node id per name (distinct, 33 bytes, order by name's code). */
export function node(name: string): Uint8Array {
  const id = new Uint8Array(33);
  id[0] = 0x02;
  for (let i = 0; i < name.length && i < 32; i++) id[i + 1] = name.charCodeAt(i);
  return id;
}

export const US = node('us');
export const HEIGHT = 800_000;

/** A direction's policy with defaults: 1,000 msat + 100 ppm, delta 40, htlc 1..max. */
export interface Policy {
  readonly feeBaseMsat?: bigint;
  readonly feeProportionalMillionths?: number;
  readonly cltvExpiryDelta?: number;
  readonly htlcMinimumMsat?: bigint;
  readonly htlcMaximumMsat?: bigint;
  readonly enabled?: boolean;
}

export interface ChannelSpec {
  readonly from: string;
  readonly to: string;
  readonly scid: bigint;
  readonly capacitySat: bigint;
  /** Policy of from → to. */
  readonly forward?: Policy;
  /** Policy of to → from (default: same defaults). */
  readonly backward?: Policy;
}

function update(scid: bigint, direction: 0 | 1, capacitySat: bigint, p: Policy = {}): ChannelUpdateRecord {
  return {
    shortChannelId: scid,
    direction,
    timestamp: 1,
    enabled: p.enabled ?? true,
    cltvExpiryDelta: p.cltvExpiryDelta ?? 40,
    htlcMinimumMsat: p.htlcMinimumMsat ?? 1n,
    htlcMaximumMsat: p.htlcMaximumMsat ?? capacitySat * 1000n,
    feeBaseMsat: p.feeBaseMsat ?? 1000n,
    feeProportionalMillionths: p.feeProportionalMillionths ?? 100,
  };
}

/** The graph of `specs`. */
export function graphOf(specs: readonly ChannelSpec[]): NetworkGraph {
  const announcements: ChannelAnnouncementRecord[] = [];
  const updates: ChannelUpdateRecord[] = [];
  for (const s of specs) {
    const a = node(s.from);
    const b = node(s.to);
    const aFirst = compareBytes(a, b) < 0;
    announcements.push({ shortChannelId: s.scid, nodeId1: aFirst ? a : b, nodeId2: aFirst ? b : a, capacitySat: s.capacitySat });
    updates.push(update(s.scid, aFirst ? 0 : 1, s.capacitySat, s.forward));
    updates.push(update(s.scid, aFirst ? 1 : 0, s.capacitySat, s.backward));
  }
  const built = buildNetworkGraph(announcements, updates);
  expect(built.skippedAnnouncements).toBe(0);
  expect(built.skippedUpdates).toBe(0);
  return built.graph;
}

/** Our channel with `peer`. */
export function firstHop(peer: string, scid: bigint, outboundMsat: bigint, minimumMsat = 1n): FirstHop {
  return {
    channelId: new Uint8Array(32).fill(Number(scid % 251n) + 1),
    counterpartyNodeId: node(peer),
    shortChannelId: scid,
    outboundCapacityMsat: outboundMsat,
    nextOutboundHtlcMinimumMsat: minimumMsat,
  };
}

export function request(payee: string | Uint8Array, amountMsat: bigint, firstHops: readonly FirstHop[], extra: Partial<RouteRequest> = {}): RouteRequest {
  return {
    ourNodeId: US,
    payeeNodeId: typeof payee === 'string' ? node(payee) : payee,
    amountMsat,
    finalCltvExpiryDelta: 18,
    bestBlockHeight: HEIGHT,
    firstHops,
    ...extra,
  };
}

/** The nodes a route passes, by name of the node ids given. */
export function pathOf(route: Route, names: readonly string[]): string[] {
  return route.hops.map((h) => names.find((n) => equalBytes(node(n), h.pubkey)) ?? '?');
}

/**
 * Checks a route against the graph, hop by hop: each channel joins the
 * previous node to this one, is enabled that way, the HTLC fits its
 * minimum, maximum and capacity, each fee is BOLT 7's formula on what is
 * forwarded, expiries add the deltas, and the total stays within `maxDelta`.
 */
export function expectValidRoute(graph: NetworkGraph, req: RouteRequest, route: Route, maxDelta = 1008): void {
  const n = route.hops.length;
  expect(equalBytes(route.hops[n - 1]!.pubkey, req.payeeNodeId)).toBe(true);
  const last = route.hops[n - 1]!;
  expect(last.feeMsat).toBe(0n);
  expect(last.cltvExpiryDelta).toBe(req.finalCltvExpiryDelta);
  expect(last.cltvExpiry).toBe(req.bestBlockHeight + 1 + req.finalCltvExpiryDelta);
  let fees = 0n;
  for (let i = 0; i < n; i++) {
    const hop = route.hops[i]!;
    const source = i === 0 ? req.ourNodeId : route.hops[i - 1]!.pubkey;
    if (i === 0) {
      const fh = req.firstHops.find((f) => f.shortChannelId === hop.shortChannelId && equalBytes(f.counterpartyNodeId, hop.pubkey));
      expect(fh).toBeDefined();
      expect(hop.amountMsat <= fh!.outboundCapacityMsat).toBe(true);
      expect(hop.amountMsat >= fh!.nextOutboundHtlcMinimumMsat).toBe(true);
    } else if (graph.channelIndex(hop.shortChannelId) >= 0) {
      const direction = compareBytes(source, hop.pubkey) < 0 ? 0 : 1;
      const policy = graph.policy(hop.shortChannelId, direction)!;
      expect(policy.enabled).toBe(true);
      expect(hop.amountMsat >= policy.htlcMinimumMsat && hop.amountMsat <= policy.htlcMaximumMsat).toBe(true);
      expect(hop.amountMsat <= BigInt(graph.effectiveCapacityMsat(graph.channelIndex(hop.shortChannelId)))).toBe(true);
      const prev = route.hops[i - 1]!;
      expect(prev.feeMsat).toBe(policy.feeBaseMsat + (hop.amountMsat * BigInt(policy.feeProportionalMillionths)) / 1_000_000n);
      expect(prev.cltvExpiryDelta).toBe(policy.cltvExpiryDelta);
    }
    if (i > 0) {
      const prev = route.hops[i - 1]!;
      expect(prev.amountMsat).toBe(hop.amountMsat + prev.feeMsat);
      expect(prev.cltvExpiry).toBe(hop.cltvExpiry + prev.cltvExpiryDelta);
      fees += prev.feeMsat;
    }
  }
  expect(route.totalFeeMsat).toBe(fees);
  expect(route.htlcAmountMsat).toBe(route.hops[0]!.amountMsat);
  expect(route.htlcCltvExpiry).toBe(route.hops[0]!.cltvExpiry);
  expect(route.htlcCltvExpiry - (req.bestBlockHeight + 1)).toBeLessThanOrEqual(maxDelta);
}
