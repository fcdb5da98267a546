/**
 * Wallet coins that pay for on-chain claims of anchor channels (issue 17,
 * docs/wallet.md "Anchor reserve"): the chain handler picks confirmed coins
 * for a claim's fee input (an HTLC transaction under anchors, a CPFP child
 * of our commitment), and the wallet records the claim like one of its own
 * payments, so no payment or funding spends those coins while it is in
 * flight: the coins marked spent by it, its change as an unconfirmed coin of
 * the change chain, a pending entry (dropped when the chain sees it, the
 * coins released if it is replaced: `dropPending`). Pure.
 */
import { reservedCoins } from './anchor-reserve.js';
import { Keychain } from './bip84-account.js';
import { sortHistory, type WalletState, type WalletUtxo } from './wallet-state.js';

/**
 * Confirmed coins not spent by a transaction of ours worth at least
 * `neededSat` (the smallest single one, else the largest ones), or none when
 * the confirmed coins do not cover it.
 */
export function claimFeeCoins(state: WalletState, neededSat: bigint): readonly WalletUtxo[] {
  const picked = reservedCoins(state, neededSat);
  return picked.covered ? picked.coins : [];
}

/** The change script a claim pays its change to: the next change index (moved on by {@link lockClaimInputs}). */
export function claimChangeIndex(state: WalletState): number {
  return state.nextIndex[Keychain.change];
}

/** A claim transaction spending wallet coins. */
export interface ClaimLock {
  /** Display-order txid. */
  readonly txid: string;
  readonly raw: Uint8Array;
  readonly coins: readonly Pick<WalletUtxo, 'txid' | 'vout' | 'valueSat'>[];
  /** Its change output to the wallet (index {@link claimChangeIndex} at the time it was built), if any. */
  readonly change?: { readonly vout: number; readonly valueSat: bigint; readonly index: number };
  readonly tipHeight: number;
}

/** `state` with the claim recorded as a pending transaction of the wallet (its coins marked, its change counted as unconfirmed). */
export function lockClaimInputs(state: WalletState, lock: ClaimLock): WalletState {
  if (state.pending.some((p) => p.txid === lock.txid)) return state;
  const spent = new Set(lock.coins.map((c) => `${c.txid}:${c.vout}`));
  const utxos: WalletUtxo[] = state.utxos.map((u) => (spent.has(`${u.txid}:${u.vout}`) ? { ...u, spentBy: lock.txid } : u));
  const change = lock.change;
  if (change !== undefined) utxos.push({ txid: lock.txid, vout: change.vout, valueSat: change.valueSat, keychain: Keychain.change, index: change.index, height: 0 });
  const sentSat = lock.coins.reduce((s, c) => s + c.valueSat, 0n);
  return {
    ...state,
    nextIndex: change === undefined ? state.nextIndex : [state.nextIndex[0], Math.max(state.nextIndex[1], change.index + 1)],
    utxos,
    history: sortHistory([{ txid: lock.txid, height: 0, receivedSat: change?.valueSat ?? 0n, sentSat }, ...state.history]),
    pending: [...state.pending, { txid: lock.txid, raw: lock.raw, createdAtHeight: lock.tipHeight }],
  };
}
