/**
 * The wallet sync's I/O: asks Esplora about the scripts `scanTargets`
 * names (`/scripthash/:hash/txs`, and `/scripthash/:hash/utxo` for the used
 * ones), looks up our transactions the histories did not show, and applies
 * the answers with `applyWalletScan`. Repeats while the scan found used
 * scripts that move the gap window on. Indexes below the gap window are
 * asked only when the tip moved, and their UTXOs only when their
 * transactions tell something new (`scriptUnchanged`).
 */
import { applyWalletScan, markUsed, scanTargets, scriptUnchanged, txidsToLookUp, type Bip84Account, type ScannedTx, type ScriptScan, type WalletState } from '../wallet/index.js';
import { EsploraError, EsploraErrorCode } from './errors.js';
import type { EsploraClient, EsploraTx } from './esplora-client.js';
import { mapLimit } from './map-limit.js';

export interface WalletSyncOptions {
  /** Requests in flight at once. Default 8. */
  readonly concurrency?: number;
  /**
   * Also ask every index below the gap window (used and emptied, or
   * skipped), so that a payment to a reused address is counted. Default:
   * when `tipHeight` differs from the state's last sync.
   */
  readonly everyIndex?: boolean;
}

function scannedTx(tx: EsploraTx): ScannedTx {
  return {
    txid: tx.txid,
    height: tx.status.confirmed ? tx.status.blockHeight! : 0,
    inputs: tx.vin.map((i) => ({ script: i.prevout?.scriptPubKey, valueSat: i.prevout?.valueSat ?? 0n })),
    outputs: tx.vout.map((o) => ({ script: o.scriptPubKey, valueSat: o.valueSat })),
  };
}

/** Brings `state` up to the chain source's view at `tipHeight`. */
export async function syncWallet(client: EsploraClient, account: Bip84Account, state: WalletState, tipHeight: number, options: WalletSyncOptions = {}): Promise<WalletState> {
  const concurrency = options.concurrency ?? 8;
  const everyIndex = options.everyIndex ?? tipHeight !== state.syncedHeight;
  const done = new Set<string>();
  const scripts: ScriptScan[] = [];
  let current = state;
  for (;;) {
    const targets = scanTargets(current, done, { everyIndex });
    if (targets.length === 0) break;
    const scans = await mapLimit(targets, concurrency, async (t): Promise<ScriptScan> => {
      done.add(`${t.keychain}/${t.index}`);
      const script = account.key(t.keychain, t.index).script;
      const txs = (await client.scriptTxs(script)).map(scannedTx);
      const used = txs.length > 0;
      const belowWindow = t.index < state.usedCount[t.keychain];
      const utxos = used && !(belowWindow && scriptUnchanged(state, t.keychain, t.index, txs)) ? await client.scriptUtxos(script) : [];
      return {
        keychain: t.keychain,
        index: t.index,
        used,
        txs,
        utxos: utxos.map((u) => ({ txid: u.txid, vout: u.vout, valueSat: u.valueSat, height: u.status.confirmed ? u.status.blockHeight! : 0 })),
      };
    });
    scripts.push(...scans);
    current = markUsed(current, scans.filter((s) => s.used));
  }
  const seen = new Set(scripts.flatMap((s) => s.txs.map((t) => t.txid)));
  const lookups = txidsToLookUp(state, seen);
  const heights = await mapLimit(lookups, concurrency, async (txid): Promise<number | undefined> => {
    try {
      const tx = await client.tx(txid);
      return tx.status.confirmed ? tx.status.blockHeight! : 0;
    } catch (error) {
      if (error instanceof EsploraError && error.code === EsploraErrorCode.NotFound) return undefined;
      throw error;
    }
  });
  return applyWalletScan(account, current, { tipHeight, scripts, lookedUp: new Map(lookups.map((t, i) => [t, heights[i]] as const)) });
}
