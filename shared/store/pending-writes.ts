/**
 * The writes of a group of inputs applied one after another under the
 * lease and committed together (docs/commit-protocol.md, "One commit for
 * messages in a row"): each input's step reads what the inputs before it
 * wrote, before any of it is committed. Folds the inputs' puts, deletes
 * and deferred deletes into what ONE transaction writes (DynamoDB allows
 * one operation per item in a transaction: the last write of a key wins).
 */
import type { ItemPut } from './node-store.js';

/** One key's fate in the group: written with these bytes, or gone (deleted, or a deferred delete). */
type Pending = { readonly put: ItemPut } | { readonly put?: undefined; readonly deferred: boolean };

export class PendingWrites {
  readonly #items = new Map<string, Pending>();

  /** Folds one input's writes in, after those of the inputs before it. */
  add(writes: { readonly puts: readonly ItemPut[]; readonly deletes: readonly string[]; readonly cleanup?: readonly string[] }): void {
    for (const sk of writes.deletes) this.#items.set(sk, { deferred: false });
    for (const sk of writes.cleanup ?? []) this.#items.set(sk, { deferred: true });
    for (const put of writes.puts) {
      const before = this.#items.get(put.sk);
      // A condition is about the item as the table holds it: the group's first write of the key carries it.
      const condition = before === undefined ? put.condition : before.put?.condition;
      const { condition: _dropped, ...rest } = put;
      this.#items.set(put.sk, { put: condition === undefined ? rest : { ...rest, condition } });
    }
  }

  get size(): number {
    return this.#items.size;
  }

  /** What the group wrote of `sk`: its bytes, `null` when it is gone, undefined when the group did not touch it. */
  lookup(sk: string): Uint8Array | null | undefined {
    const item = this.#items.get(sk);
    return item === undefined ? undefined : item.put === undefined ? null : item.put.data;
  }

  /** The keys under `prefix` the group touched, in sort-key order. */
  keysUnder(prefix: string): string[] {
    return [...this.#items.keys()].filter((sk) => sk.startsWith(prefix)).sort();
  }

  /** What one transaction writes for the group: the last put of each key, the deletes, and the deferred deletes (left to after the commit). */
  merged(): { puts: ItemPut[]; deletes: string[]; cleanup: string[] } {
    const puts: ItemPut[] = [];
    const deletes: string[] = [];
    const cleanup: string[] = [];
    for (const [sk, item] of this.#items) {
      if (item.put !== undefined) puts.push(item.put);
      else if (item.deferred) cleanup.push(sk);
      else deletes.push(sk);
    }
    return { puts, deletes, cleanup };
  }
}
