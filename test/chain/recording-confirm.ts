/** A recording `Confirm` for sync tests: logs every call and keeps what it was told is confirmed. */
import type { Confirm, ConfirmedTransaction, RelevantTxid } from '../../shared/chain/index.js';
import { blockHashOfHeader } from '../../shared/chain/index.js';

export type RecordedCall =
  | { readonly kind: 'confirmed'; readonly height: number; readonly blockHash: string; readonly txs: readonly { readonly txid: string; readonly position: number }[] }
  | { readonly kind: 'unconfirmed'; readonly txid: string }
  | { readonly kind: 'best'; readonly height: number; readonly blockHash: string };

export function display(internal: Uint8Array): string {
  return Buffer.from(internal).reverse().toString('hex');
}

export class RecordingConfirm implements Confirm {
  readonly calls: RecordedCall[] = [];
  readonly confirmed = new Map<string, { height: number; blockHash: Uint8Array }>();
  best: { height: number; blockHash: string } | undefined;

  transactionsConfirmed(header: Uint8Array, txdata: readonly ConfirmedTransaction[], height: number): void {
    const blockHash = blockHashOfHeader(header);
    for (const t of txdata) this.confirmed.set(display(t.txid), { height, blockHash });
    this.calls.push({ kind: 'confirmed', height, blockHash: display(blockHash), txs: txdata.map((t) => ({ txid: display(t.txid), position: t.position })) });
  }

  transactionUnconfirmed(txid: Uint8Array): void {
    this.confirmed.delete(display(txid));
    this.calls.push({ kind: 'unconfirmed', txid: display(txid) });
  }

  bestBlockUpdated(header: Uint8Array, height: number): void {
    this.best = { height, blockHash: display(blockHashOfHeader(header)) };
    this.calls.push({ kind: 'best', ...this.best });
  }

  getRelevantTxids(): readonly RelevantTxid[] {
    return [...this.confirmed].map(([txid, c]) => ({ txid: Buffer.from(txid, 'hex').reverse(), height: c.height, blockHash: c.blockHash }));
  }

  /** Calls since the last `take()`. */
  private mark = 0;
  take(): RecordedCall[] {
    const out = this.calls.slice(this.mark);
    this.mark = this.calls.length;
    return out;
  }
}
