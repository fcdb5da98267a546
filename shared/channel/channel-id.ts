/**
 * Channel identifiers: BOLT 2 "Definition of `channel_id`" (funding txid XOR
 * output index) and BOLT 7 `short_channel_id` (block height, transaction
 * index, output index).
 */
import type { Outpoint } from '../ports/index.js';

/** `channel_id`: the funding txid (internal byte order) with its last 2 bytes XORed with the output index (big-endian). */
export function channelIdFromOutpoint(outpoint: Outpoint): Uint8Array {
  const id = Uint8Array.from(outpoint.txid);
  id[30]! ^= (outpoint.index >> 8) & 0xff;
  id[31]! ^= outpoint.index & 0xff;
  return id;
}

/** BOLT 7 `short_channel_id`: 3 bytes block height, 3 bytes transaction index, 2 bytes output index. */
export function shortChannelIdOf(height: number, txIndex: number, outputIndex: number): bigint {
  return (BigInt(height) << 40n) | (BigInt(txIndex) << 16n) | BigInt(outputIndex);
}

/** The parts of a `short_channel_id`. */
export function shortChannelIdParts(scid: bigint): { readonly height: number; readonly txIndex: number; readonly outputIndex: number } {
  return { height: Number(scid >> 40n), txIndex: Number((scid >> 16n) & 0xffffffn), outputIndex: Number(scid & 0xffffn) };
}
