/**
 * What a holder of the node's lease knows of its partition's items while it
 * holds the lease (docs/commit-protocol.md, "What a session knows"): the
 * items it read and the items its own fenced commits wrote (their new bytes;
 * a deleted item as absent). Under the lease nobody else commits, so an item
 * that only fenced commits ever write is, until the session ends, exactly
 * what this holder last read or wrote: a later input of the same session is
 * served from here instead of DynamoDB.
 *
 * Items written outside the lease (invoices, idempotency records, webhook
 * registrations and deliveries, acknowledged events, counters, follow-up
 * watches, chain watches, leftovers) are never kept past the input that
 * read them: they are read fresh by every input.
 */
import { SortKey } from './layout.js';

/** One item as known: present (with its bytes, when it has any) or absent. */
export interface KnownItem {
  readonly present: boolean;
  readonly data?: Uint8Array;
}

const ABSENT: KnownItem = { present: false };

/**
 * The kinds of item (sort key up to its first `#`, or the whole key) that
 * only fenced commits write, and whose deletes happen in a commit or after
 * it as the commit's deferred deletes (keys no commit writes again). A
 * kind not listed here is read fresh by every input: a new kind is safe
 * until someone checks its writers and adds it. `MONITOR_HTLCS#` (a justice
 * record, read once per revoked commitment seen on chain) is left out: rare
 * reads, and an older channel has none, a state tests make by deleting it.
 */
const WRITTEN_ONLY_UNDER_LEASE: ReadonlySet<string> = new Set([
  SortKey.header,
  SortKey.fees,
  SortKey.wallet,
  SortKey.chain,
  'PEER',
  'CHANNEL',
  'INDEX',
  'INPUT',
  'ONION',
  'ONION_OUT',
  'FAILURE',
  'FORWARD',
  'HTLCSIGS',
  'CLAIMABLE',
  'PAYMENT',
  'PAYMENT_OUT',
  'PAYMENT_ID',
  'PAYMENT_HASH',
]);

/** True when only fenced commits write `sk` (so a lease holder may keep what it read or wrote of it). */
export function writtenOnlyUnderLease(sk: string): boolean {
  const at = sk.indexOf('#');
  return WRITTEN_ONLY_UNDER_LEASE.has(at < 0 ? sk : sk.slice(0, at));
}

/** The writes of one committed input, as {@link KnownItems.noteCommit} takes them. */
export interface CommittedWrites {
  readonly inputId?: string;
  readonly puts?: readonly { readonly sk: string; readonly data: Uint8Array }[];
  readonly deletes?: readonly string[];
  /** Deferred deletes: obsolete from the commit on (deleted right after it). */
  readonly cleanup?: readonly string[];
}

/**
 * The items one lease holder knows, for one node. Two tiers: `held`, items
 * only fenced commits write, kept until the session ends; `input`, items of
 * a snapshot read beside the lease that others may write (`WEBHOOKS`, an
 * `IDEMPOTENCY#` record), served to the input that took the snapshot only
 * and dropped by {@link endInput}.
 */
export class KnownItems {
  readonly #held = new Map<string, KnownItem>();
  readonly #input = new Map<string, KnownItem>();

  constructor(readonly nodeKey: string) {}

  /** The item as known, or undefined when it must be read. */
  lookup(sk: string): KnownItem | undefined {
    return this.#input.get(sk) ?? this.#held.get(sk);
  }

  /**
   * Records what a read found (undefined: no item). Kept only for items
   * only fenced commits write, unless `thisInputOnly` (a snapshot's other
   * items, good for the input it was read for).
   */
  noteRead(sk: string, found: KnownItem, thisInputOnly = false): void {
    if (writtenOnlyUnderLease(sk)) this.#held.set(sk, found);
    else if (thisInputOnly) this.#input.set(sk, found);
  }

  /** Records a read of an item's bytes (undefined: absent). */
  noteData(sk: string, data: Uint8Array | undefined): void {
    this.noteRead(sk, data === undefined ? ABSENT : { present: true, data });
  }

  /** Records a commit of ours that succeeded: its `INPUT#`, its puts' new bytes, its deletes and deferred deletes as absent. */
  noteCommit(commit: CommittedWrites): void {
    if (commit.inputId !== undefined) this.noteRead(SortKey.input(commit.inputId), { present: true });
    // Copies: the committed bytes stay as committed whatever their maker does with its arrays.
    for (const put of commit.puts ?? []) this.#write(put.sk, { present: true, data: put.data.slice() });
    for (const sk of [...(commit.deletes ?? []), ...(commit.cleanup ?? [])]) this.#write(sk, ABSENT);
  }

  /** Keys a predecessor's cleanup deleted: absent from now on. */
  noteDeleted(sks: readonly string[]): void {
    for (const sk of sks) this.#write(sk, ABSENT);
  }

  #write(sk: string, item: KnownItem): void {
    // An item others write too is not kept: the next input reads it (and this one never reads it again).
    this.#input.delete(sk);
    if (writtenOnlyUnderLease(sk)) this.#held.set(sk, item);
    else this.#held.delete(sk);
  }

  /** The input the snapshot was read for is done: its items that others may write are read fresh from now on. */
  endInput(): void {
    this.#input.clear();
  }

  /** How many items are known (tests, logs). */
  get size(): number {
    return this.#held.size + this.#input.size;
  }
}
