/**
 * What the on-chain side of the node consumes: LDK's `chain::Confirm`,
 * `chain::Listen`, `chain::Filter` and `FeeEstimator`, as TypeScript
 * interfaces. Types only: the ChannelManager and the ChannelMonitors
 * implement `Confirm`/`Listen`; `shared/chain/sync.ts` (an adapter) drives
 * them from an Esplora server. A core folder (layer 0): types only.
 *
 * Conventions: txids and block hashes are 32 bytes in *internal* order (as
 * hashed; the byte-reverse of the hex block explorers print) — Esplora's
 * display hex is converted at the client boundary. Headers are the 80
 * serialized bytes; transactions are their serialized bytes (with witness).
 * Heights are JS numbers; amounts are bigint sat.
 */
import type { Outpoint } from './outpoint.js';

/** A transaction confirmed in a block, with its index in the block (the coinbase is 0). */
export interface ConfirmedTransaction {
  readonly position: number;
  /** Internal order. */
  readonly txid: Uint8Array;
  /** Serialized transaction (with witness). */
  readonly tx: Uint8Array;
}

/** A txid the implementer considers confirmed, with where (LDK's `get_relevant_txids` tuple). */
export interface RelevantTxid {
  readonly txid: Uint8Array;
  readonly height: number;
  /** Hash (internal order) of the block that confirmed it, when known. */
  readonly blockHash: Uint8Array | undefined;
}

/**
 * Transaction-oriented chain notifications (LDK `chain::Confirm`). The caller
 * keeps chain order: transactions of a block before those of a later block;
 * dependent transactions of one block in topological order; a transaction's
 * `transactionUnconfirmed` after its confirmation and before any
 * re-confirmation. `transactionsConfirmed` is never called with a header no
 * longer in the best chain as of the last `bestBlockUpdated`.
 */
export interface Confirm {
  /** Transactions of interest (registered txids, or spends of registered outputs) confirmed in the block with `header` at `height`. */
  transactionsConfirmed(header: Uint8Array, txdata: readonly ConfirmedTransaction[], height: number): void;
  /** A transaction reported confirmed has left the best chain (a reorg). */
  transactionUnconfirmed(txid: Uint8Array): void;
  /** The best chain's tip is now `header` at `height`. */
  bestBlockUpdated(header: Uint8Array, height: number): void;
  /** Transactions this object considers confirmed, so a sync can check they still are. */
  getRelevantTxids(): readonly RelevantTxid[];
}

/** Block-oriented chain notifications (LDK `chain::Listen`): every block, in order. */
export interface Listen {
  /** A serialized block connected at `height` (its parent was the previous tip). */
  blockConnected(block: Uint8Array, height: number): void;
  /** The tip with `header` at `height` was disconnected. */
  blockDisconnected(header: Uint8Array, height: number): void;
}

/** An output whose spend is of interest (LDK `WatchedOutput`). */
export interface WatchedOutput {
  readonly outpoint: Outpoint;
  readonly scriptPubKey: Uint8Array;
}

/** Where implementers register what they want to hear about (LDK `chain::Filter`). */
export interface Filter {
  registerTx(txid: Uint8Array, scriptPubKey: Uint8Array): void;
  registerOutput(output: WatchedOutput): void;
}

/** The set a sync watches: registered txids and outputs. */
export interface WatchSet {
  readonly txids: readonly Uint8Array[];
  readonly outputs: readonly WatchedOutput[];
}

/**
 * Fee rates for a confirmation target in blocks, in sat per 1000 weight
 * units (never below 253, Bitcoin Core's minimum relay fee in sat/kw).
 */
export interface FeeEstimator {
  feeRatePerKw(targetBlocks: number): bigint;
}
