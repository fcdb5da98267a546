/**
 * The pure half of the wallet sync: which scripts to ask the chain source
 * about, and how its answers change the wallet state. `shared/chain/wallet-sync.ts`
 * asks the questions.
 *
 * Scanned each sync, per keychain: the window of fresh indexes from the
 * first unused one up to the gap limit beyond it (or up to the next index
 * to hand out, if that is further), and every index holding a known coin.
 * A used script found in the window moves the window on, and the sync asks
 * again. Every index below the window (used and emptied, or skipped) stays
 * watched too, but is asked only when the tip moved (`everyIndex`): users
 * reuse addresses, and a payment to an emptied one is counted once a block
 * arrives (docs/wallet.md, "Sync").
 */
import { GAP_LIMIT, Keychain, type Bip84Account } from './bip84-account.js';
import { liveOwnUnconfirmed } from './unconfirmed-chain.js';
import { PENDING_EXPIRY_BLOCKS, sortHistory, type WalletState, type WalletTx, type WalletUtxo } from './wallet-state.js';

/** A script to scan. */
export interface ScanTarget {
  readonly keychain: Keychain;
  readonly index: number;
  /** Fresh (never seen used): its UTXOs are fetched only when it turns out used. */
  readonly fresh: boolean;
}

/** A transaction touching a scanned script, as the chain source reports it. */
export interface ScannedTx {
  readonly txid: string;
  /** 0 while unconfirmed. */
  readonly height: number;
  /** Spent outputs' scripts and values (the chain source's `prevout`). */
  readonly inputs: readonly { readonly script: Uint8Array | undefined; readonly valueSat: bigint }[];
  readonly outputs: readonly { readonly script: Uint8Array; readonly valueSat: bigint }[];
}

/** What the chain source said about one script. */
export interface ScriptScan {
  readonly keychain: Keychain;
  readonly index: number;
  /** The script has at least one transaction. */
  readonly used: boolean;
  readonly utxos: readonly { readonly txid: string; readonly vout: number; readonly valueSat: bigint; readonly height: number }[];
  readonly txs: readonly ScannedTx[];
}

export interface WalletScanResult {
  readonly tipHeight: number;
  readonly scripts: readonly ScriptScan[];
  /**
   * Our transactions not found in the scanned scripts' histories, looked up
   * by txid: their height (0 unconfirmed) when the chain source knows them,
   * undefined when it does not.
   */
  readonly lookedUp: ReadonlyMap<string, number | undefined>;
}

function withoutMark(u: WalletUtxo): WalletUtxo {
  return { txid: u.txid, vout: u.vout, valueSat: u.valueSat, keychain: u.keychain, index: u.index, height: u.height };
}

const id = (k: number, i: number) => `${k}/${i}`;

/**
 * The scripts to scan next, leaving out those in `done` (`keychain/index`):
 * the gap window and the indexes holding a coin, and with `everyIndex` also
 * every index below the window (asked as fresh: their UTXOs are fetched only
 * when they have transactions).
 */
export function scanTargets(state: WalletState, done: ReadonlySet<string> = new Set(), options: { readonly everyIndex?: boolean } = {}): ScanTarget[] {
  const out: ScanTarget[] = [];
  const seen = new Set(done);
  const add = (keychain: Keychain, index: number, fresh: boolean) => {
    if (seen.has(id(keychain, index))) return;
    seen.add(id(keychain, index));
    out.push({ keychain, index, fresh });
  };
  for (const keychain of [Keychain.receive, Keychain.change] as const) {
    const end = Math.max(state.usedCount[keychain] + GAP_LIMIT, state.nextIndex[keychain]);
    for (let index = state.usedCount[keychain]; index < end; index++) add(keychain, index, true);
  }
  for (const u of state.utxos) add(u.keychain, u.index, false);
  if (options.everyIndex === true) {
    for (const keychain of [Keychain.receive, Keychain.change] as const) {
      for (let index = 0; index < state.usedCount[keychain]; index++) add(keychain, index, true);
    }
  }
  return out;
}

/**
 * Whether a script's transactions (`txs`, as the chain source lists them)
 * tell nothing new: the state holds no coin of it, and every one of them is
 * confirmed and in the history at that height (a scan that fetched the
 * script's UTXOs put it there). Its UTXOs then need not be asked: there are none.
 */
export function scriptUnchanged(state: WalletState, keychain: Keychain, index: number, txs: readonly { readonly txid: string; readonly height: number }[]): boolean {
  if (state.utxos.some((u) => u.keychain === keychain && u.index === index)) return false;
  const heights = new Map(state.history.map((h) => [h.txid, h.height]));
  return txs.every((t) => t.height > 0 && heights.get(t.txid) === t.height);
}

/** The state with the scripts of `used` counted as used (the gap window moves on). */
export function markUsed(state: WalletState, used: readonly { readonly keychain: Keychain; readonly index: number }[]): WalletState {
  const usedCount: [number, number] = [state.usedCount[0], state.usedCount[1]];
  for (const u of used) usedCount[u.keychain] = Math.max(usedCount[u.keychain], u.index + 1);
  return { ...state, usedCount, nextIndex: [Math.max(state.nextIndex[0], usedCount[0]), Math.max(state.nextIndex[1], usedCount[1])] };
}

/** Our transactions whose status the scripts' histories may not show: pending ones and unconfirmed history entries. */
export function txidsToLookUp(state: WalletState, scanned: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const p of state.pending) if (!scanned.has(p.txid)) out.add(p.txid);
  for (const h of state.history) if (h.height === 0 && !scanned.has(h.txid)) out.add(h.txid);
  return [...out];
}

/** How much of `tx` came from and went to the wallet's scripts. */
export function walletAmounts(account: Bip84Account, tx: ScannedTx): { receivedSat: bigint; sentSat: bigint } {
  let receivedSat = 0n;
  let sentSat = 0n;
  for (const o of tx.outputs) if (account.keyOfScript(o.script) !== undefined) receivedSat += o.valueSat;
  for (const i of tx.inputs) if (i.script !== undefined && account.keyOfScript(i.script) !== undefined) sentSat += i.valueSat;
  return { receivedSat, sentSat };
}

/**
 * The wallet state after a scan: coins of scanned scripts replaced by what
 * the chain reports (our pending spends stay marked; change of our pending
 * transactions stays until the chain sees them), used counts moved on,
 * history upserted with heights, pending transactions dropped once the chain
 * knows them, and abandoned (coins released) when it has not seen them
 * {@link PENDING_EXPIRY_BLOCKS} blocks after they were built (held channel fundings excepted: their channel decides).
 */
export function applyWalletScan(account: Bip84Account, state: WalletState, scan: WalletScanResult): WalletState {
  // Every key handed out so far, so that spends from older scripts are recognised as ours.
  for (const keychain of [Keychain.receive, Keychain.change] as const) {
    for (let index = 0; index < Math.max(state.nextIndex[keychain], state.usedCount[keychain]); index++) account.key(keychain, index);
  }
  const scannedScripts = new Set(scan.scripts.map((s) => id(s.keychain, s.index)));
  const chainTxs = new Map<string, ScannedTx>();
  for (const s of scan.scripts) for (const tx of s.txs) chainTxs.set(tx.txid, tx);
  const known = (txid: string) => chainTxs.has(txid) || scan.lookedUp.get(txid) !== undefined;

  // Pending transactions: seen → done; unseen too long → abandoned.
  const abandoned = new Set<string>();
  const pending = state.pending.filter((p) => {
    if (known(p.txid)) return false;
    // A held channel funding is never abandoned here: its channel releases or discards it (channel-funding.ts).
    if (p.held !== true && scan.tipHeight >= p.createdAtHeight + PENDING_EXPIRY_BLOCKS) {
      abandoned.add(p.txid);
      return false;
    }
    return true;
  });
  const stillPending = new Set(pending.map((p) => p.txid));

  const usedCount: [number, number] = [state.usedCount[0], state.usedCount[1]];
  const utxos: WalletUtxo[] = [];
  for (const u of state.utxos) {
    const mark = u.spentBy !== undefined && stillPending.has(u.spentBy) ? u.spentBy : undefined;
    if (stillPending.has(u.txid)) utxos.push(u); // change of a transaction the chain has not seen yet
    else if (!scannedScripts.has(id(u.keychain, u.index)) && !abandoned.has(u.txid)) {
      utxos.push(mark === undefined ? withoutMark(u) : { ...u, spentBy: mark });
    }
  }
  const marks = new Map(state.utxos.filter((u) => u.spentBy !== undefined && stillPending.has(u.spentBy)).map((u) => [`${u.txid}:${u.vout}`, u.spentBy!]));
  for (const s of scan.scripts) {
    if (s.used) usedCount[s.keychain] = Math.max(usedCount[s.keychain], s.index + 1);
    for (const u of s.utxos) {
      if (stillPending.has(u.txid)) continue; // already kept above
      const spentBy = marks.get(`${u.txid}:${u.vout}`);
      utxos.push({ ...u, keychain: s.keychain, index: s.index, ...(spentBy === undefined ? {} : { spentBy }) });
    }
  }

  const history = new Map<string, WalletTx>(state.history.map((h) => [h.txid, h]));
  for (const txid of abandoned) if (history.get(txid)?.height === 0) history.delete(txid);
  for (const tx of chainTxs.values()) history.set(tx.txid, { txid: tx.txid, height: tx.height, ...walletAmounts(account, tx) });
  for (const [txid, height] of scan.lookedUp) {
    const entry = history.get(txid);
    if (entry !== undefined && height !== undefined) history.set(txid, { ...entry, height });
  }

  return {
    nextIndex: [Math.max(state.nextIndex[0], usedCount[0]), Math.max(state.nextIndex[1], usedCount[1])],
    usedCount,
    utxos: utxos.sort((a, b) => (a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : a.vout - b.vout)),
    history: sortHistory([...history.values()]),
    pending,
    syncedHeight: scan.tipHeight,
    ...withOwnUnconfirmed(liveOwnUnconfirmed(state.ownUnconfirmed, [...history.values()])),
  };
}

/** The `ownUnconfirmed` field, left out when empty. */
function withOwnUnconfirmed(entries: WalletState['ownUnconfirmed']): Pick<WalletState, 'ownUnconfirmed'> {
  return entries === undefined || entries.length === 0 ? {} : { ownUnconfirmed: entries };
}

/**
 * The state without our pending transaction `txid` (the chain source refused
 * it for good): its coins are spendable again, its change and its
 * unconfirmed history entry are gone.
 */
export function dropPending(state: WalletState, txid: string): WalletState {
  if (!state.pending.some((p) => p.txid === txid)) return state;
  return {
    ...state,
    pending: state.pending.filter((p) => p.txid !== txid),
    utxos: state.utxos.filter((u) => u.txid !== txid).map((u) => (u.spentBy === txid ? withoutMark(u) : u)),
    history: state.history.filter((h) => !(h.txid === txid && h.height === 0)),
    ...(state.ownUnconfirmed === undefined ? {} : { ownUnconfirmed: state.ownUnconfirmed.filter((t) => t.txid !== txid) }),
  };
}
