/**
 * Amount and outpoint helpers shared by the builders: range checks for
 * satoshi and millisatoshi values (bigint), and transaction ids.
 */
import { fromHex, toHex } from '../crypto/index.js';
import { TxError, TxErrorCode } from './errors.js';
import type { Outpoint } from '../ports/outpoint.js';

export type { Outpoint };

/** 21 million BTC in satoshi: no amount may exceed it. */
export const MAX_MONEY_SAT = 2_100_000_000_000_000n;
/** 21 million BTC in millisatoshi. */
export const MAX_MONEY_MSAT = MAX_MONEY_SAT * 1000n;

/** Throws `amount-out-of-range` unless 0 ≤ amount ≤ 21e6 BTC (in satoshi). */
export function checkSat(amountSat: bigint, what: string): bigint {
  if (typeof amountSat !== 'bigint' || amountSat < 0n || amountSat > MAX_MONEY_SAT) {
    throw new TxError(TxErrorCode.AmountOutOfRange, `${what} out of range`);
  }
  return amountSat;
}

/** Throws `amount-out-of-range` unless 0 ≤ amount ≤ 21e6 BTC (in millisatoshi). */
export function checkMsat(amountMsat: bigint, what: string): bigint {
  if (typeof amountMsat !== 'bigint' || amountMsat < 0n || amountMsat > MAX_MONEY_MSAT) {
    throw new TxError(TxErrorCode.AmountOutOfRange, `${what} out of range`);
  }
  return amountMsat;
}

/** Throws `invalid-parameter` unless `value` is an integer in [0, max]. */
export function checkInteger(value: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new TxError(TxErrorCode.InvalidParameter, `${what} out of range`);
  return value;
}

/** Throws `invalid-parameter` unless 0 ≤ feerate < 2^32 (BOLT 2 `feerate_per_kw` is a u32). */
export function checkFeerate(feeratePerKw: bigint): bigint {
  if (typeof feeratePerKw !== 'bigint' || feeratePerKw < 0n || feeratePerKw > 0xffffffffn) {
    throw new TxError(TxErrorCode.InvalidParameter, 'feerate_per_kw must be a u32');
  }
  return feeratePerKw;
}


/** Parses a display-order txid (as block explorers print it) into internal byte order. */
export function txidFromDisplayHex(hex: string): Uint8Array {
  const bytes = fromHex(hex);
  if (bytes.length !== 32) throw new TxError(TxErrorCode.InvalidLength, 'txid must be 32 bytes');
  return bytes.reverse();
}

/** Display-order hex of an internal-order txid. */
export function txidToDisplayHex(txid: Uint8Array): string {
  return toHex(Uint8Array.from(txid).reverse());
}

/** Throws unless the outpoint has a 32-byte txid and a u32 index. */
export function checkOutpoint(outpoint: Outpoint, what: string): Outpoint {
  if (outpoint.txid.length !== 32) throw new TxError(TxErrorCode.InvalidLength, `${what} txid must be 32 bytes`);
  checkInteger(outpoint.index, 0xffffffff, `${what} index`);
  return outpoint;
}
