/**
 * The wallet's persisted state, one store item (`WALLET`): the next unused
 * index and the count of used indexes per keychain, the known unspent
 * outputs with their confirmation height, the transaction history, and the
 * transactions we built that the chain has not seen yet. A versioned record
 * (version byte, TLV body), so a newer reader reads older state.
 *
 * Txids are display-order hex in memory (as Esplora speaks them), 32 bytes in
 * the record. Height 0 means unconfirmed.
 */
import {
  DecodeError,
  bytesToHex,
  hexToBytes,
  repeated,
  struct,
  tlvRecord,
  u32,
  u64,
  u8,
  versionedRecord,
  type Codec,
  type DecodeResult,
} from '../codec/index.js';
import type { Keychain } from './bip84-account.js';

/** An output of ours the chain (or our own pending spend) says is unspent. */
export interface WalletUtxo {
  readonly txid: string;
  readonly vout: number;
  readonly valueSat: bigint;
  readonly keychain: Keychain;
  readonly index: number;
  /** Confirmation height; 0 while unconfirmed. */
  readonly height: number;
  /** The txid of our own not-yet-seen transaction spending it (it is then not spendable). */
  readonly spentBy?: string;
}

/** One wallet transaction: what it paid to us and what it took from us. */
export interface WalletTx {
  readonly txid: string;
  /** 0 while unconfirmed. */
  readonly height: number;
  readonly receivedSat: bigint;
  readonly sentSat: bigint;
}

/** A transaction we built and signed that the chain source has not reported yet. */
export interface PendingTx {
  readonly txid: string;
  /** Serialized, with witnesses: what the broadcast path sends. */
  readonly raw: Uint8Array;
  /** The tip when it was built (or released); unseen for {@link PENDING_EXPIRY_BLOCKS} more blocks, it is abandoned. */
  readonly createdAtHeight: number;
  /**
   * A channel's funding transaction waiting for the peer's `funding_signed`:
   * never broadcast, never abandoned by the wallet itself. Its channel
   * releases it (docs/wallet.md, "Channel funding").
   */
  readonly held?: true;
}

/**
 * One of our own transactions the chain has not confirmed, as mempool
 * ancestor limits count it: its virtual size and those of our unconfirmed
 * transactions it spends (their change). Coin selection keeps a payment
 * within Bitcoin Core's ancestor limits with it (`unconfirmed-chain.ts`).
 */
export interface OwnUnconfirmedTx {
  readonly txid: string;
  readonly vsize: number;
  /** Our unconfirmed transactions whose outputs it spends (its parents in the mempool). */
  readonly parents: readonly string[];
}

export interface WalletState {
  /** Next index to hand out, per keychain (receive, change). */
  readonly nextIndex: readonly [number, number];
  /** 1 + the highest index the chain has seen used, per keychain (0: none). */
  readonly usedCount: readonly [number, number];
  readonly utxos: readonly WalletUtxo[];
  /** Newest first (unconfirmed first, then by height descending); at most {@link MAX_HISTORY}. */
  readonly history: readonly WalletTx[];
  readonly pending: readonly PendingTx[];
  /** The tip height at the last sync. */
  readonly syncedHeight: number;
  /** Our transactions not confirmed yet, for the mempool ancestor limits (absent: none). */
  readonly ownUnconfirmed?: readonly OwnUnconfirmedTx[];
}

export const EMPTY_WALLET_STATE: WalletState = { nextIndex: [0, 0], usedCount: [0, 0], utxos: [], history: [], pending: [], syncedHeight: 0 };

/** History entries kept: the item must stay small (DynamoDB items are at most 400 KB). */
export const MAX_HISTORY = 1000;
/** Blocks after which a pending transaction the chain never saw is abandoned and its coins released. */
export const PENDING_EXPIRY_BLOCKS = 6;

const txid32: Codec<string> = {
  read: (r) => bytesToHex(r.bytes(32)),
  write: (w, v) => void w.bytes(hexToBytes(v)),
};
const NO_SPEND = '00'.repeat(32);

const utxoCodec = struct([
  ['txid', txid32],
  ['vout', u32],
  ['valueSat', u64],
  ['keychain', u8],
  ['index', u32],
  ['height', u32],
  ['spentBy', txid32],
] as const);
const txCodec = struct([
  ['txid', txid32],
  ['height', u32],
  ['receivedSat', u64],
  ['sentSat', u64],
] as const);
const u32PrefixedBytes: Codec<Uint8Array> = {
  read: (r) => r.bytes(r.u32()),
  write: (w, v) => void w.u32(v.length).bytes(v),
};
const pendingCodec = struct([
  ['txid', txid32],
  ['createdAtHeight', u32],
  ['raw', u32PrefixedBytes],
] as const);
const u16CountedTxids: Codec<readonly string[]> = {
  read: (r) => Array.from({ length: r.u16() }, () => txid32.read(r)),
  write: (w, v) => {
    w.u16(v.length);
    for (const t of v) txid32.write(w, t);
  },
};
const ownUnconfirmedCodec = struct([
  ['txid', txid32],
  ['vsize', u32],
  ['parents', u16CountedTxids],
] as const);
const indexesCodec = struct([
  ['nextReceive', u32],
  ['nextChange', u32],
  ['usedReceive', u32],
  ['usedChange', u32],
] as const);

/** Version 1: TLV 0 indexes, 2 sync height, 4 UTXOs, 6 history, 8 pending transactions, 10 txids of the held ones, 12 our unconfirmed transactions. */
const walletRecord = versionedRecord('wallet', 1, {
  indexes: tlvRecord(0, indexesCodec),
  syncedHeight: tlvRecord(2, u32),
  utxos: tlvRecord(4, repeated(utxoCodec)),
  history: tlvRecord(6, repeated(txCodec)),
  pending: tlvRecord(8, repeated(pendingCodec)),
  held: tlvRecord(10, repeated(txid32)),
  ownUnconfirmed: tlvRecord(12, repeated(ownUnconfirmedCodec)),
});

function keychainOf(n: number): Keychain {
  if (n !== 0 && n !== 1) throw new DecodeError('invalid-value', `wallet: keychain ${n}`);
  return n;
}

export function encodeWalletState(state: WalletState): Uint8Array {
  const held = state.pending.filter((p) => p.held === true).map((p) => p.txid);
  return walletRecord.encode({
    indexes: { nextReceive: state.nextIndex[0], nextChange: state.nextIndex[1], usedReceive: state.usedCount[0], usedChange: state.usedCount[1] },
    syncedHeight: state.syncedHeight,
    utxos: state.utxos.map((u) => ({ ...u, spentBy: u.spentBy ?? NO_SPEND })),
    history: state.history,
    pending: state.pending.map(({ txid, raw, createdAtHeight }) => ({ txid, raw, createdAtHeight })),
    // Absent when nothing is held: such a record reads the same as before TLV 10 existed.
    ...(held.length === 0 ? {} : { held }),
    ...(state.ownUnconfirmed === undefined || state.ownUnconfirmed.length === 0 ? {} : { ownUnconfirmed: state.ownUnconfirmed }),
  });
}

export function decodeWalletState(bytes: Uint8Array): DecodeResult<WalletState> {
  const result = walletRecord.decode(bytes);
  if (!result.ok) return result;
  const v = result.value;
  if (v.indexes === undefined) return { ok: false, error: new DecodeError('invalid-value', 'wallet: indexes missing') };
  try {
    return {
      ok: true,
      value: {
        nextIndex: [v.indexes.nextReceive, v.indexes.nextChange],
        usedCount: [v.indexes.usedReceive, v.indexes.usedChange],
        syncedHeight: v.syncedHeight ?? 0,
        utxos: (v.utxos ?? []).map(({ spentBy, keychain, ...u }) => ({ ...u, keychain: keychainOf(keychain), ...(spentBy === NO_SPEND ? {} : { spentBy }) })),
        history: v.history ?? [],
        pending: (v.pending ?? []).map((p) => (v.held?.includes(p.txid) === true ? { ...p, held: true as const } : p)),
        ...(v.ownUnconfirmed === undefined ? {} : { ownUnconfirmed: v.ownUnconfirmed }),
      },
    };
  } catch (error) {
    if (error instanceof DecodeError) return { ok: false, error };
    throw error;
  }
}

/** What `GET /v1/wallet` reports. */
export interface WalletBalance {
  /** Confirmed outputs not spent by a transaction of ours. */
  readonly confirmedSat: bigint;
  /** Unconfirmed outputs (received, or our own change) not spent by a transaction of ours. */
  readonly unconfirmedSat: bigint;
}

export function walletBalance(state: WalletState): WalletBalance {
  let confirmedSat = 0n;
  let unconfirmedSat = 0n;
  for (const u of state.utxos) {
    if (u.spentBy !== undefined) continue;
    if (u.height > 0) confirmedSat += u.valueSat;
    else unconfirmedSat += u.valueSat;
  }
  return { confirmedSat, unconfirmedSat };
}

/** Newest first: unconfirmed, then by height descending (ties by txid, for a stable order); cut to {@link MAX_HISTORY}. */
export function sortHistory(history: readonly WalletTx[]): WalletTx[] {
  const rank = (h: number) => (h === 0 ? Number.MAX_SAFE_INTEGER : h);
  return [...history].sort((a, b) => rank(b.height) - rank(a.height) || (a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : 0)).slice(0, MAX_HISTORY);
}

