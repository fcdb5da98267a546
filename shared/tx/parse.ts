/** Reading a serialized transaction from a peer or the chain: never throws. */
import { Transaction } from 'bitcoinjs-lib';

/** The transaction `bytes` hold, or null when they hold none. */
export function parseTransaction(bytes: Uint8Array): Transaction | null {
  try {
    return Transaction.fromBuffer(bytes);
  } catch {
    return null;
  }
}
