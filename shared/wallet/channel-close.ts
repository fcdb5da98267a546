/**
 * The wallet's side of a cooperative close (docs/close.md, docs/wallet.md
 * "Channel close"): the script our closing output pays is a fresh P2WPKH
 * of the wallet's change chain (BIP 84 `m/84'/coin'/0'/1/i`), reserved by
 * moving the change chain's next index past it in the same commit as the
 * `shutdown` that names it. The wallet then scans it like any change
 * address it handed out (every index below `nextIndex` is in the scan
 * window until used), so the closing output is counted once the chain
 * reports it: a satoshi of ours is always in a channel or in the wallet.
 *
 * Change rather than receive: the address is never shown to a user as a
 * place to be paid, it only brings our own coins back, as change does; and
 * receive addresses are handed out outside the lease by an atomic counter.
 */
import { Keychain, type Bip84Account } from './bip84-account.js';
import type { WalletState } from './wallet-state.js';

/** A change address reserved for a closing output. */
export interface ReservedCloseScript {
  /** The wallet with the change chain's next index moved past `index`. */
  readonly state: WalletState;
  readonly index: number;
  /** P2WPKH (`OP_0 <20 bytes>`), a BOLT 2 shutdown form. */
  readonly script: Uint8Array;
}

/** Reserves the next change address of `state` for a cooperative close's output. */
export function reserveCloseScript(account: Bip84Account, state: WalletState): ReservedCloseScript {
  const index = state.nextIndex[Keychain.change];
  const script = account.key(Keychain.change, index).script;
  return { state: { ...state, nextIndex: [state.nextIndex[Keychain.receive], index + 1] }, index, script: Uint8Array.from(script) };
}
