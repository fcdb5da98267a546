/**
 * The wallet's side of channel funding (docs/wallet.md, "Channel funding"):
 * a funding transaction is signed when the channel asks for it, but leaves
 * only once the peer's `funding_signed` is committed. Until then it is a
 * pending transaction marked `held`: spent coins stay spent, nothing is
 * broadcast, and the wallet never abandons it on its own. The channel
 * decides, in the commit that moves it on: released (the manager broadcasts
 * it) or discarded (the channel closed before `funding_signed`: its coins
 * are spendable again). A satoshi of ours is always in a channel the node
 * tracks or counted by the wallet.
 */
import type { PendingTx, WalletState } from './wallet-state.js';
import { dropPending } from './wallet-scan.js';

/** `state` with our pending transaction `txid` (display hex) held back for its channel. */
export function holdFunding(state: WalletState, txid: string): WalletState {
  return { ...state, pending: state.pending.map((p) => (p.txid === txid ? { ...p, held: true as const } : p)) };
}

/**
 * `state` with the held funding transaction `txid` released: the channel's
 * `funding_signed` is committed and the transaction is broadcast. From now
 * on it is re-broadcast and expires like any payment, counted from `height`.
 */
export function releaseFunding(state: WalletState, txid: string, height: number): WalletState {
  if (!state.pending.some((p) => p.txid === txid && p.held === true)) return state;
  return { ...state, pending: state.pending.map((p) => (p.txid === txid ? { txid: p.txid, raw: p.raw, createdAtHeight: height } : p)) };
}

/** `state` without the funding transaction `txid` its channel gave up (LDK's `DiscardFunding`): its coins are spendable again. */
export function discardFunding(state: WalletState, txid: string): WalletState {
  return dropPending(state, txid);
}

/** The pending transactions the wallet may (re-)broadcast: all but the held fundings. */
export function broadcastablePending(state: WalletState): readonly PendingTx[] {
  return state.pending.filter((p) => p.held !== true);
}

/** Whether `txid` is a held funding transaction. */
export function isHeldFunding(state: WalletState, txid: string): boolean {
  return state.pending.some((p) => p.txid === txid && p.held === true);
}
