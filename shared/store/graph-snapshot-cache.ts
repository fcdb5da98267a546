/**
 * The graph as the payment paths read it: the snapshot the gossip function
 * stored (graph-items.ts), loaded once per container and kept in memory
 * across invocations (issue 18: not tens of thousands of item reads per
 * payment). A load after `refreshMs` reads the pointer item again (one
 * GetItem) and the chunks only when a newer snapshot exists. Before any
 * snapshot, or when one does not decode, the empty graph: the router then
 * routes over our own channels and the invoice's hints only.
 */
import { buildNetworkGraph, decodeGraphSnapshot, type NetworkGraph } from '../routing/index.js';
import type { GraphStore } from './graph-items.js';

export interface GraphSnapshotCacheOptions {
  /** How long a loaded graph is used before the pointer is read again (default 60 s). */
  readonly refreshMs?: number;
  /** The clock, at the edge (default `Date.now`). */
  readonly nowMs?: () => number;
  /** Told when a snapshot is missing a chunk or does not decode (it is then not used). */
  readonly onError?: (detail: string) => void;
}

/** What the last {@link GraphSnapshotCache.graph} call did, for the bench and the logs. */
export interface GraphLoad {
  readonly source: 'memory' | 'pointer' | 'snapshot' | 'empty';
  readonly id?: string;
  readonly bytes?: number;
  readonly reads: number;
}

export class GraphSnapshotCache {
  #graph: NetworkGraph = buildNetworkGraph([], []).graph;
  #id: string | undefined;
  #checkedAtMs = Number.NEGATIVE_INFINITY;
  #lastLoad: GraphLoad = { source: 'empty', reads: 0 };
  readonly #refreshMs: number;
  readonly #nowMs: () => number;

  constructor(
    private readonly store: GraphStore,
    private readonly options: GraphSnapshotCacheOptions = {},
  ) {
    this.#refreshMs = options.refreshMs ?? 60_000;
    // The adapter's clock: the default is the process's.
    this.#nowMs = options.nowMs ?? (() => Date.now());
  }

  /** The graph in memory now, without any read (the empty graph before the first load). */
  current(): NetworkGraph {
    return this.#graph;
  }

  get lastLoad(): GraphLoad {
    return this.#lastLoad;
  }

  /** The current graph: from memory when fresh, else after checking the pointer (and loading a newer snapshot). */
  async graph(): Promise<NetworkGraph> {
    const now = this.#nowMs();
    if (now - this.#checkedAtMs < this.#refreshMs) {
      this.#lastLoad = { source: 'memory', reads: 0, ...(this.#id === undefined ? {} : { id: this.#id }) };
      return this.#graph;
    }
    const readsBefore = this.store.counts.reads;
    // Twice at most: a chunk gone means a newer snapshot replaced it between the two reads.
    for (let attempt = 0; attempt < 2; attempt++) {
      const pointer = await this.store.snapshotPointer();
      if (pointer === undefined || pointer.id === this.#id) {
        this.#checkedAtMs = now;
        this.#lastLoad = { source: pointer === undefined ? 'empty' : 'pointer', reads: this.store.counts.reads - readsBefore, ...(pointer === undefined ? {} : { id: pointer.id }) };
        return this.#graph;
      }
      const bytes = await this.store.readSnapshot(pointer);
      if (bytes === undefined) continue;
      const decoded = decodeGraphSnapshot(bytes);
      if (!decoded.ok) {
        this.options.onError?.(`graph snapshot ${pointer.id} does not decode: ${decoded.error.message}`);
        break;
      }
      this.#graph = decoded.value;
      this.#id = pointer.id;
      this.#checkedAtMs = now;
      this.#lastLoad = { source: 'snapshot', id: pointer.id, bytes: bytes.length, reads: this.store.counts.reads - readsBefore };
      return this.#graph;
    }
    this.options.onError?.('graph snapshot unreadable; keeping the graph in memory');
    this.#checkedAtMs = now;
    this.#lastLoad = { source: 'memory', reads: this.store.counts.reads - readsBefore };
    return this.#graph;
  }
}
