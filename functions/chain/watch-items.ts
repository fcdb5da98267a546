/**
 * The `CHAIN_WATCH#` items as the chain handler reads them: once per change,
 * not once per block. The store raises the `WATCH_VERSION` counter in the
 * same transaction as any write of one of them (SortKey.chainWatchVersion),
 * so items read after the counter showed version v are those of version v
 * or newer; kept with v, they are exactly the stored ones whenever the
 * counter still shows v. The handler reads the counter with its other items
 * (before the prefetch, and again under the lease) and asks here: the kept
 * items when the version is the same, else one Query. A run thus reads them
 * at most once (the prefetch's are reused under the lease unless a write
 * landed in between), and a warm process none while no channel is added,
 * closed or moved on chain.
 */
import { SortKey, type NodeStore } from '../../shared/store/index.js';

interface Kept<T> {
  readonly version: number;
  readonly value: T;
}

export class WatchItems<T> {
  #kept: Kept<T> | undefined;
  #queries = 0;

  constructor(
    private readonly nodeKey: string,
    /** Decodes the Query's items (once per version). */
    private readonly decode: (items: readonly { readonly sk: string; readonly data: Uint8Array }[]) => T,
  ) {}

  /** Queries of `CHAIN_WATCH#` made so far. */
  get queries(): number {
    return this.#queries;
  }

  /**
   * The items at `version`, the counter's value read (strongly consistent)
   * BEFORE this call: the kept ones when they are of that version, else read
   * now and kept with it (`onQuery` told).
   */
  async at(store: NodeStore, version: number, onQuery?: () => void): Promise<T> {
    const kept = this.#kept;
    if (kept !== undefined && kept.version === version) return kept.value;
    this.#queries++;
    onQuery?.();
    const value = this.decode(await store.query(this.nodeKey, SortKey.chainWatchPrefix));
    // Runs in parallel may finish in any order: each pair is right (items never older than their version), the newer kept.
    if (this.#kept === undefined || this.#kept.version <= version) this.#kept = { version, value };
    return value;
  }
}
