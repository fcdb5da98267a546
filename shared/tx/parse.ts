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

/**
 * The txid (display hex, as explorers and Esplora print it) of serialized
 * transaction `bytes`: the double SHA-256 of its serialization without the
 * witness (BIP 141), which for a segwit transaction is not that of the bytes
 * given (their hash is the wtxid). Throws on bytes that hold no transaction
 * (our own, committed: a bug, not input).
 */
export function txidOf(bytes: Uint8Array): string {
  return Transaction.fromBuffer(bytes).getId();
}
