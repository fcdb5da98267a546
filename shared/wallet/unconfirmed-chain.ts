/**
 * Mempool chain limits for the wallet's own payments. Bitcoin Core (the
 * package limits before cluster mempool, `-limitancestorcount=25`,
 * `-limitancestorsize=101`, `-limitdescendantcount=25`,
 * `-limitdescendantsize=101`) relays a transaction only while it has at most
 * 25 unconfirmed ancestors, itself included, of at most 101 kvB together, and
 * while each of them has at most 25 descendants (101 kvB). A payment spending
 * the change of our own unconfirmed payments inherits their ancestors, so
 * the wallet keeps, for each of its unconfirmed transactions, its size and
 * which of them it spends (`WalletState.ownUnconfirmed`), and builds nothing
 * past the limits.
 *
 * Descendants need no count of their own: each of our transactions has at
 * most one output of ours that we spend unconfirmed (its change), so the
 * descendants of any ancestor of a new payment lie on the path from it to
 * that payment, inside its ancestors. Descendants added by others (a
 * recipient spending its output unconfirmed) are not known to the wallet.
 */
import type { OwnUnconfirmedTx, WalletState, WalletTx } from './wallet-state.js';

/** Bitcoin Core's `-limitancestorcount` (and `-limitdescendantcount`): unconfirmed transactions in a chain, the new one included. */
export const MAX_UNCONFIRMED_ANCESTORS = 25;
/** Bitcoin Core's `-limitancestorsize` (and `-limitdescendantsize`): 101 kvB, in vbytes. */
export const MAX_ANCESTOR_VSIZE = 101_000;

/** The unconfirmed ancestors of a payment spending outputs of our transactions `txids`: count and total vsize, without the payment itself. */
export interface Ancestors {
  readonly txids: ReadonlySet<string>;
  readonly vsize: number;
}

/** Our unconfirmed transactions, by txid, with their ancestor sets. */
export class UnconfirmedChains {
  private readonly byTxid: ReadonlyMap<string, OwnUnconfirmedTx>;
  private readonly memo = new Map<string, ReadonlySet<string>>();

  constructor(state: WalletState) {
    this.byTxid = new Map((state.ownUnconfirmed ?? []).map((t) => [t.txid, t]));
  }

  /** Whether `txid` is one of our unconfirmed transactions (its ancestors are known). */
  has(txid: string): boolean {
    return this.byTxid.has(txid);
  }

  /** `txid` and its unconfirmed ancestors among ours. */
  private chainOf(txid: string): ReadonlySet<string> {
    const known = this.memo.get(txid);
    if (known !== undefined) return known;
    const out = new Set<string>();
    const stack = [txid];
    while (stack.length > 0) {
      const t = stack.pop()!;
      const entry = this.byTxid.get(t);
      if (entry === undefined || out.has(t)) continue;
      out.add(t);
      stack.push(...entry.parents);
    }
    this.memo.set(txid, out);
    return out;
  }

  /** The unconfirmed ancestors a payment spending outputs of `txids` has (confirmed or unknown txids add none). */
  ancestorsOf(txids: Iterable<string>): Ancestors {
    const all = new Set<string>();
    for (const txid of txids) for (const t of this.chainOf(txid)) all.add(t);
    let vsize = 0;
    for (const t of all) vsize += this.byTxid.get(t)!.vsize;
    return { txids: all, vsize };
  }
}

/** Whether a payment with `ancestors` and `vsize` of its own stays within the limits. */
export function withinChainLimits(ancestors: Ancestors, vsize: number): boolean {
  return ancestors.txids.size + 1 <= MAX_UNCONFIRMED_ANCESTORS && ancestors.vsize + vsize <= MAX_ANCESTOR_VSIZE;
}

/** The entries of `entries` still unconfirmed in `history` (a confirmed, abandoned or dropped transaction leaves). */
export function liveOwnUnconfirmed(entries: readonly OwnUnconfirmedTx[] | undefined, history: readonly WalletTx[]): readonly OwnUnconfirmedTx[] {
  const unconfirmed = new Set(history.filter((h) => h.height === 0).map((h) => h.txid));
  return (entries ?? []).filter((e) => unconfirmed.has(e.txid));
}
