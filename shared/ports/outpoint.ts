/**
 * A transaction output reference. `txid` is in internal byte order (as
 * hashed, as BOLT 2 `funding_txid` carries it), not the reversed display hex.
 */
export interface Outpoint {
  readonly txid: Uint8Array;
  readonly index: number;
}
