/**
 * The `FEES` item: the chain source's fee estimates as the chain handler
 * last fetched them, in sat per 1000 weight units by confirmation target
 * (blocks), read by every ChannelManager invocation for its `FeeEstimator`
 * port (functions/runtime/manager-step.ts). A versioned record: TLV 0 the
 * (target u16, sat/kw u32) pairs, targets ascending.
 */
import { repeated, struct, tlvRecord, u16, u32, versionedRecord, type DecodeResult } from '../../shared/codec/index.js';

const U32_MAX = 0xffff_ffffn;

const feeRecord = versionedRecord('fees', 1, {
  rates: tlvRecord(0, repeated(struct([['targetBlocks', u16], ['satPerKw', u32]] as const))),
});

/** The item's bytes for a table of sat/kw by target (targets above 65,535 blocks are dropped, rates capped at 2^32 - 1). */
export function encodeFeeRates(table: ReadonlyMap<number, bigint>): Uint8Array {
  const rates = [...table]
    .filter(([target]) => Number.isInteger(target) && target >= 0 && target <= 0xffff)
    .sort(([a], [b]) => a - b)
    .map(([targetBlocks, perKw]) => ({ targetBlocks, satPerKw: Number(perKw > U32_MAX ? U32_MAX : perKw < 0n ? 0n : perKw) }));
  return feeRecord.encode({ rates });
}

/** The table of an item written by {@link encodeFeeRates}; an absent item is an empty table. */
export function decodeFeeRates(bytes: Uint8Array | undefined): DecodeResult<Map<number, bigint>> {
  if (bytes === undefined) return { ok: true, value: new Map() };
  const result = feeRecord.decode(bytes);
  if (!result.ok) return result;
  return { ok: true, value: new Map((result.value.rates ?? []).map((r) => [r.targetBlocks, BigInt(r.satPerKw)])) };
}
