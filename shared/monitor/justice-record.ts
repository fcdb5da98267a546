/**
 * A justice record: what a monitor keeps of one counterparty commitment
 * apart from its snapshot, so a revoked commitment's HTLC outputs can be
 * claimed however old it is (LDK's `counterparty_claimable_outpoints`, the
 * one part of a monitor that grows with history). One store item per
 * commitment, `MONITOR_HTLCS#<channel id>#<commitment number>`, written in
 * the commit of the update that carried the commitment
 * (shared/store/monitor-items.ts, docs/monitor.md "Justice records").
 *
 * Version 1: 0 channel id, 2 commitment number (48 bits), 4 txid,
 * 6 per-commitment point, 8 HTLCs (each a BigSize length + the HTLC's TLV
 * stream, as in the update step), 9 feerate per kw, 11 to_broadcaster sat,
 * 13 to_countersignatory sat (the last three optional, as in the step).
 * The HTLC set is required, even empty (`0800`): a record cut short must
 * not read as a commitment without HTLCs.
 * Pure.
 */
import { DecodeError, catchDecodeError, equalBytes, fixedBytes, point, tlvRecord, u32, u64, versionedRecord, type DecodeResult } from '../codec/index.js';
import {
  monitorHtlcList,
  optionalDetail,
  type CounterpartyCommitmentDetail,
  type CounterpartyCommitmentRef,
  type CounterpartyCommitmentStep,
} from './monitor-update-step.js';

/** One counterparty commitment's justice record. */
export interface JusticeRecord extends CounterpartyCommitmentRef, CounterpartyCommitmentDetail {
  readonly channelId: Uint8Array;
}

const MAX_COMMITMENT_NUMBER = (1n << 48n) - 1n;

const justiceRecord = versionedRecord('monitor-htlcs', 1, {
  channelId: tlvRecord(0, fixedBytes(32)),
  commitmentNumber: tlvRecord(2, u64),
  commitmentTxid: tlvRecord(4, fixedBytes(32)),
  perCommitmentPoint: tlvRecord(6, point),
  htlcs: tlvRecord(8, monitorHtlcList),
  feeratePerKw: tlvRecord(9, u32),
  toBroadcasterValueSat: tlvRecord(11, u64),
  toCountersignatoryValueSat: tlvRecord(13, u64),
});

/** The record's persisted bytes. */
export function encodeJusticeRecord(r: JusticeRecord): Uint8Array {
  return justiceRecord.encode({
    channelId: r.channelId,
    commitmentNumber: r.commitmentNumber,
    commitmentTxid: r.commitmentTxid,
    perCommitmentPoint: r.perCommitmentPoint,
    htlcs: r.htlcs,
    ...optionalDetail(r),
  });
}

/**
 * A record's bytes as the store keeps them in its item: without the channel
 * id and the commitment number (TLVs 0 and 2), which the item's key names
 * (`MONITOR_HTLCS#<channel id>#<number>`; docs/items.md "Bytes per HTLC").
 * Read back with {@link decodeJusticeRecord} given both; a reader that
 * predates it refuses the item (required records missing).
 */
export function encodeStoredJusticeRecord(r: JusticeRecord): Uint8Array {
  return justiceRecord.encode({
    commitmentTxid: r.commitmentTxid,
    perCommitmentPoint: r.perCommitmentPoint,
    htlcs: r.htlcs,
    ...optionalDetail(r),
  });
}

/**
 * Reads a record written by {@link encodeJusticeRecord}, or by
 * {@link encodeStoredJusticeRecord} when `key` (what its item's key names)
 * is given; never throws. A channel id or number in the bytes other than
 * the key's is refused.
 */
export function decodeJusticeRecord(bytes: Uint8Array, key?: { readonly channelId: Uint8Array; readonly commitmentNumber: bigint }): DecodeResult<JusticeRecord> {
  const result = justiceRecord.decode(bytes);
  if (!result.ok) return result;
  const v = result.value;
  return catchDecodeError(() => {
    const channelId = v.channelId ?? key?.channelId;
    const commitmentNumber = v.commitmentNumber ?? key?.commitmentNumber;
    if (channelId === undefined || commitmentNumber === undefined || v.commitmentTxid === undefined || v.perCommitmentPoint === undefined || v.htlcs === undefined) {
      throw new DecodeError('invalid-value', 'monitor-htlcs: a required record is missing');
    }
    if (key !== undefined && (commitmentNumber !== key.commitmentNumber || !equalBytes(channelId, key.channelId))) {
      throw new DecodeError('invalid-value', 'monitor-htlcs: of another channel or commitment than its key names');
    }
    if (commitmentNumber > MAX_COMMITMENT_NUMBER) throw new DecodeError('invalid-value', `monitor-htlcs: commitment number ${commitmentNumber} exceeds 48 bits`);
    return {
      channelId,
      commitmentNumber,
      commitmentTxid: v.commitmentTxid,
      perCommitmentPoint: v.perCommitmentPoint,
      htlcs: v.htlcs,
      ...optionalDetail(v),
    };
  });
}

/**
 * A `latest-counterparty-commitment` step split in two: the summary step the
 * update item keeps (constant size) and the justice record of the rest.
 */
export function splitCounterpartyCommitment(
  channelId: Uint8Array,
  step: CounterpartyCommitmentStep,
): { readonly summary: { readonly kind: 'latest-counterparty-commitment-summary' } & CounterpartyCommitmentRef; readonly record: JusticeRecord } {
  const ref = { commitmentNumber: step.commitmentNumber, commitmentTxid: step.commitmentTxid, perCommitmentPoint: step.perCommitmentPoint };
  return {
    summary: { kind: 'latest-counterparty-commitment-summary', ...ref },
    record: { channelId, ...ref, htlcs: step.htlcs, ...optionalDetail(step) },
  };
}
