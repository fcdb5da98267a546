/**
 * The persisted form of a ChannelMonitor and of a monitor update: versioned
 * records (a version byte, then a TLV stream), one store item each
 * (`MONITOR#<channel id>#<update id>`: 0 is the first snapshot, 1.. the
 * updates, and every 100th update a snapshot: shared/store/monitor-items.ts,
 * docs/monitor.md).
 */
import {
  DecodeError,
  fixedBytes,
  point,
  repeated,
  restBytes,
  struct,
  tlvRecord,
  u16,
  u64,
  u8,
  versionedRecord,
  type DecodeResult,
} from '../codec/index.js';
import type { ChannelMonitor, ChannelMonitorUpdate } from './channel-monitor.js';
import { MAX_COMMITMENT_HTLCS, MAX_MONITOR_PREIMAGES } from './channel-monitor.js';
import { monitorHtlcList, monitorUpdateSteps, type CounterpartyCommitmentRef, type MonitorHtlc, type MonitorUpdateStep } from './monitor-update-step.js';
import { sha256 } from '../crypto/index.js';
import { CounterpartyCommitmentSecrets } from '../keys/index.js';
import { channelParametersCodec, counterpartyFromRecord, counterpartyParametersCodec, counterpartyToRecord } from '../channel/parameters-record.js';
import { CHANNEL_TYPE_RECORD_TLV, channelTypeRecordCodec, type NegotiatedChannelType } from '../channel/channel-type.js';

const FLAG_OUTBOUND = 1;
/** Read only: the channel type before TLV 46 (never written since). */
const LEGACY_FLAG_ANCHORS = 2;
const LEGACY_FLAG_SCID_ALIAS = 4;
const FLAG_FORCE_CLOSED = 8;
const FLAG_SHOULD_BROADCAST = 16;

/**
 * Version 1: 0 channel id, 2 funding outpoint, 4 funding scriptPubKey,
 * 6 value, 8 keys id, 10 flags, 12 counterparty node id, 14 our parameters,
 * 16 theirs with keys, 17 their upfront shutdown script, 18 obscuring
 * factor, 20 holder commitment number, 22 their signature, 24 our
 * commitment tx, 26 their commitment txid, 28 latest update id, 30 their
 * latest commitment given by an update and 32 the one before it (each
 * number u64, txid, per-commitment point: constant size; absent until a
 * `latest-counterparty-commitment` update, so snapshots written before
 * them read unchanged); then the payment steps (docs/monitor.md "Payment
 * steps"), each absent while empty, so a snapshot without them is byte for
 * byte the one written before they existed, and one with them fails loudly
 * on an older reader (even types): 34 the HTLC signatures of our latest
 * commitment, 36 its HTLCs (absent: none at commitment 0, unknown above),
 * 38 the number of our previous commitment and 40 its HTLCs (the same
 * rule), 42 the counterparty's secrets (`CounterpartyCommitmentSecrets`
 * serialized), 44 the payment preimages (32 bytes each; their hashes are
 * recomputed on reading),
 * 46 the channel type (added later:
 * shared/channel/channel-type.ts `channelTypeRecordCodec`, the BOLT 9
 * feature bytes as in `open_channel`, the same TLV as the channel record's;
 * even, so an older reader refuses the snapshot rather than reading it as
 * static_remotekey). Before 46 the type was flag bits 2 (anchors) and 4
 * (scid_alias): read when 46 is absent, never written; a record with both
 * is refused.
 * 48 the txid of our latest commitment, written instead of 22 and 24 when
 * the monitor knows that commitment by its txid only (it came in a
 * `latest-holder-commitment-summary` step, the form the store keeps:
 * docs/items.md "Bytes per HTLC"); a record has either 22 and 24 or 48.
 * Even: an older reader refuses the snapshot (it lacks 22 and 24 anyway).
 */
const counterpartyCommitmentRef = struct([
  ['commitmentNumber', u64],
  ['commitmentTxid', fixedBytes(32)],
  ['perCommitmentPoint', point],
] as const);

const monitorRecord = versionedRecord('monitor', 1, {
  channelId: tlvRecord(0, fixedBytes(32)),
  fundingOutpoint: tlvRecord(2, struct([['txid', fixedBytes(32)], ['index', u16]] as const)),
  fundingScriptPubKey: tlvRecord(4, restBytes),
  channelValueSatoshis: tlvRecord(6, u64),
  channelKeysId: tlvRecord(8, fixedBytes(32)),
  flags: tlvRecord(10, u8),
  counterpartyNodeId: tlvRecord(12, point),
  holder: tlvRecord(14, channelParametersCodec),
  counterparty: tlvRecord(16, counterpartyParametersCodec),
  upfrontShutdownScript: tlvRecord(17, restBytes),
  obscuringFactor: tlvRecord(18, u64),
  holderCommitmentNumber: tlvRecord(20, u64),
  counterpartySignature: tlvRecord(22, fixedBytes(64)),
  holderCommitmentTx: tlvRecord(24, restBytes),
  counterpartyCommitmentTxid: tlvRecord(26, fixedBytes(32)),
  latestUpdateId: tlvRecord(28, u64),
  latestCounterpartyCommitment: tlvRecord(30, counterpartyCommitmentRef),
  previousCounterpartyCommitment: tlvRecord(32, counterpartyCommitmentRef),
  holderHtlcSignatures: tlvRecord(34, repeated(fixedBytes(64))),
  holderHtlcs: tlvRecord(36, monitorHtlcList),
  previousHolderCommitmentNumber: tlvRecord(38, u64),
  previousHolderHtlcs: tlvRecord(40, monitorHtlcList),
  counterpartyCommitmentSecrets: tlvRecord(42, restBytes),
  paymentPreimages: tlvRecord(44, repeated(fixedBytes(32))),
  channelType: tlvRecord(CHANNEL_TYPE_RECORD_TLV, channelTypeRecordCodec),
  holderCommitmentTxid: tlvRecord(48, fixedBytes(32)),
});

const NO_SECRETS = CounterpartyCommitmentSecrets.empty().serialize();

/** An HTLC set as written: absent at commitment 0 (none) or when unknown. */
function htlcsRecord(commitmentNumber: bigint, htlcs: readonly MonitorHtlc[] | undefined): readonly MonitorHtlc[] | undefined {
  return commitmentNumber === 0n ? undefined : htlcs;
}

/** An HTLC set as read: none at commitment 0, unknown above when absent. */
function htlcsField<K extends string>(key: K, commitmentNumber: bigint, htlcs: readonly MonitorHtlc[] | undefined): { readonly [k in K]?: readonly MonitorHtlc[] } {
  if (htlcs === undefined && commitmentNumber !== 0n) return {};
  return { [key]: htlcs ?? [] } as { readonly [k in K]?: readonly MonitorHtlc[] };
}

function ref(r: CounterpartyCommitmentRef): CounterpartyCommitmentRef {
  return { commitmentNumber: r.commitmentNumber, commitmentTxid: r.commitmentTxid, perCommitmentPoint: r.perCommitmentPoint };
}

/** The monitor's persisted bytes. */
export function encodeMonitor(m: ChannelMonitor): Uint8Array {
  const flags =
    (m.isOutbound ? FLAG_OUTBOUND : 0) |
    (m.forceClosed ? FLAG_FORCE_CLOSED : 0) |
    (m.forceClosed?.shouldBroadcast ? FLAG_SHOULD_BROADCAST : 0);
  const cp = m.counterparty;
  return monitorRecord.encode({
    channelId: m.channelId,
    fundingOutpoint: m.fundingOutpoint,
    fundingScriptPubKey: m.fundingScriptPubKey,
    channelValueSatoshis: m.channelValueSatoshis,
    channelKeysId: m.channelKeysId,
    flags,
    counterpartyNodeId: m.counterpartyNodeId,
    holder: m.holder,
    counterparty: counterpartyToRecord(cp),
    ...(cp.upfrontShutdownScript ? { upfrontShutdownScript: cp.upfrontShutdownScript } : {}),
    obscuringFactor: m.obscuringFactor,
    holderCommitmentNumber: m.holderCommitmentNumber,
    ...holderCommitmentRecords(m),
    counterpartyCommitmentTxid: m.counterpartyCommitmentTxid,
    latestUpdateId: m.latestUpdateId,
    ...(m.latestCounterpartyCommitment ? { latestCounterpartyCommitment: m.latestCounterpartyCommitment } : {}),
    ...(m.previousCounterpartyCommitment ? { previousCounterpartyCommitment: m.previousCounterpartyCommitment } : {}),
    ...(m.holderHtlcSignatures.length > 0 ? { holderHtlcSignatures: m.holderHtlcSignatures } : {}),
    ...optional('holderHtlcs', htlcsRecord(m.holderCommitmentNumber, m.holderHtlcs)),
    ...(m.previousHolderCommitment ? { previousHolderCommitmentNumber: m.previousHolderCommitment.commitmentNumber } : {}),
    ...(m.previousHolderCommitment ? optional('previousHolderHtlcs', htlcsRecord(m.previousHolderCommitment.commitmentNumber, m.previousHolderCommitment.htlcs)) : {}),
    ...(sameBytes(m.counterpartyCommitmentSecrets, NO_SECRETS) ? {} : { counterpartyCommitmentSecrets: m.counterpartyCommitmentSecrets }),
    ...(m.paymentPreimages.length > 0 ? { paymentPreimages: m.paymentPreimages.map((p) => p.paymentPreimage) } : {}),
    channelType: m.channelType,
  });
}

function optional<K extends string, T>(key: K, value: T | undefined): { readonly [k in K]?: T } {
  return (value === undefined ? {} : { [key]: value }) as { readonly [k in K]?: T };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function missing(what: string): { ok: false; error: DecodeError } {
  return { ok: false, error: new DecodeError('invalid-value', `${what}: a required record is missing`) };
}

/** TLV 46 when present, else the legacy flag bits; `undefined` when both are there. */
function channelTypeOf(stored: NegotiatedChannelType | undefined, flags: number): NegotiatedChannelType | undefined {
  const legacy = flags & (LEGACY_FLAG_ANCHORS | LEGACY_FLAG_SCID_ALIAS);
  if (stored !== undefined) return legacy === 0 ? stored : undefined;
  return { anchors: (flags & LEGACY_FLAG_ANCHORS) !== 0, scidAlias: (flags & LEGACY_FLAG_SCID_ALIAS) !== 0 };
}

/** Reads a monitor written by {@link encodeMonitor}; never throws. */
export function decodeMonitor(bytes: Uint8Array): DecodeResult<ChannelMonitor> {
  const result = monitorRecord.decode(bytes);
  if (!result.ok) return result;
  const v = result.value;
  if (
    v.channelId === undefined || v.fundingOutpoint === undefined || v.fundingScriptPubKey === undefined || v.channelValueSatoshis === undefined ||
    v.channelKeysId === undefined || v.flags === undefined || v.counterpartyNodeId === undefined || v.holder === undefined ||
    v.counterparty === undefined || v.obscuringFactor === undefined || v.holderCommitmentNumber === undefined ||
    v.counterpartyCommitmentTxid === undefined || v.latestUpdateId === undefined
  ) {
    return missing('monitor');
  }
  const holderCommitment = holderCommitmentOf(v.counterpartySignature, v.holderCommitmentTx, v.holderCommitmentTxid);
  if (typeof holderCommitment === 'string') return invalid(holderCommitment);
  const channelType = channelTypeOf(v.channelType, v.flags);
  if (channelType === undefined) return { ok: false, error: new DecodeError('invalid-value', 'monitor: channel type both in TLV 46 and in the legacy flags') };
  const x = v.counterparty;
  const secrets = v.counterpartyCommitmentSecrets ?? NO_SECRETS;
  if (!CounterpartyCommitmentSecrets.deserialize(secrets).ok) return invalid('monitor: unreadable counterparty secrets');
  const holderHtlcSignatures = v.holderHtlcSignatures ?? [];
  const preimages = v.paymentPreimages ?? [];
  if (holderHtlcSignatures.length > MAX_COMMITMENT_HTLCS || (v.holderHtlcs?.length ?? 0) > MAX_COMMITMENT_HTLCS || (v.previousHolderHtlcs?.length ?? 0) > MAX_COMMITMENT_HTLCS) {
    return invalid('monitor: more HTLCs than a commitment holds');
  }
  if (preimages.length > MAX_MONITOR_PREIMAGES) return invalid('monitor: more preimages than a monitor keeps');
  if (v.previousHolderHtlcs !== undefined && v.previousHolderCommitmentNumber === undefined) return invalid('monitor: previous holder HTLCs without its commitment');
  const previous = v.previousHolderCommitmentNumber;
  return {
    ok: true,
    value: {
      channelId: v.channelId,
      fundingOutpoint: { txid: v.fundingOutpoint.txid, index: v.fundingOutpoint.index },
      fundingScriptPubKey: v.fundingScriptPubKey,
      channelValueSatoshis: v.channelValueSatoshis,
      channelKeysId: v.channelKeysId,
      channelType,
      isOutbound: (v.flags & FLAG_OUTBOUND) !== 0,
      counterpartyNodeId: v.counterpartyNodeId,
      holder: v.holder,
      counterparty: counterpartyFromRecord(x, v.upfrontShutdownScript),
      obscuringFactor: v.obscuringFactor,
      holderCommitmentNumber: v.holderCommitmentNumber,
      ...holderCommitment,
      counterpartyCommitmentTxid: v.counterpartyCommitmentTxid,
      latestUpdateId: v.latestUpdateId,
      ...((v.flags & FLAG_FORCE_CLOSED) !== 0 ? { forceClosed: { shouldBroadcast: (v.flags & FLAG_SHOULD_BROADCAST) !== 0 } } : {}),
      ...(v.latestCounterpartyCommitment ? { latestCounterpartyCommitment: ref(v.latestCounterpartyCommitment) } : {}),
      ...(v.previousCounterpartyCommitment ? { previousCounterpartyCommitment: ref(v.previousCounterpartyCommitment) } : {}),
      holderHtlcSignatures,
      ...htlcsField('holderHtlcs', v.holderCommitmentNumber, v.holderHtlcs),
      ...(previous === undefined ? {} : { previousHolderCommitment: { commitmentNumber: previous, ...htlcsField('htlcs', previous, v.previousHolderHtlcs) } }),
      counterpartyCommitmentSecrets: secrets,
      paymentPreimages: preimages.map((paymentPreimage) => ({ paymentHash: sha256(paymentPreimage), paymentPreimage })),
    },
  };
}

/** Our latest commitment as written: 22 and 24 when the monitor holds the transaction, else 48. */
function holderCommitmentRecords(m: ChannelMonitor): { counterpartySignature?: Uint8Array; holderCommitmentTx?: Uint8Array; holderCommitmentTxid?: Uint8Array } {
  if (m.holderCommitmentTx !== undefined && m.counterpartySignature !== undefined) return { counterpartySignature: m.counterpartySignature, holderCommitmentTx: m.holderCommitmentTx };
  if (m.holderCommitmentTxid === undefined) throw new TypeError('channel monitor: neither our commitment nor its txid');
  return { holderCommitmentTxid: m.holderCommitmentTxid };
}

/** Our latest commitment as a record holds it: 22 and 24, or 48 alone; otherwise why not. */
function holderCommitmentOf(
  counterpartySignature: Uint8Array | undefined,
  holderCommitmentTx: Uint8Array | undefined,
  holderCommitmentTxid: Uint8Array | undefined,
): Pick<ChannelMonitor, 'holderCommitmentTxid' | 'holderCommitmentTx' | 'counterpartySignature'> | string {
  if (holderCommitmentTxid !== undefined) {
    return counterpartySignature === undefined && holderCommitmentTx === undefined ? { holderCommitmentTxid } : 'monitor: our commitment both as a transaction and as a txid';
  }
  if (counterpartySignature === undefined || holderCommitmentTx === undefined) return 'monitor: a required record is missing';
  return { holderCommitmentTx, counterpartySignature };
}

function invalid(message: string): { ok: false; error: DecodeError } {
  return { ok: false, error: new DecodeError('invalid-value', message) };
}

/** The step kind of a version 1 update (the only one it had). */
const LEGACY_STEP_FORCE_CLOSED = 0;

/**
 * Version 2: 0 channel id, 2 update id, 6 steps (a list of TLV-framed
 * steps, monitor-update-step.ts). Version 1 (read, never written) had 4
 * instead: steps as fixed pairs, kind u8 (0 = `channel-force-closed`) then
 * its flag u8.
 */
const UPDATE_VERSION = 2;
const updateRecord = versionedRecord('monitor-update', UPDATE_VERSION, {
  channelId: tlvRecord(0, fixedBytes(32)),
  updateId: tlvRecord(2, u64),
  legacySteps: tlvRecord(4, restBytes),
  steps: tlvRecord(6, monitorUpdateSteps),
});

/** A monitor update's persisted bytes (version 2). */
export function encodeMonitorUpdate(update: ChannelMonitorUpdate): Uint8Array {
  return updateRecord.encode({ channelId: update.channelId, updateId: update.updateId, steps: update.steps });
}

/**
 * An update's bytes as the store keeps them in its item: without the
 * channel id (TLV 0), which the item's key names (`MONITOR#<channel id>#…`;
 * docs/items.md "Bytes per HTLC"). Read back with {@link decodeMonitorUpdate}
 * given that id; a reader that predates it refuses the item (TLV 0 missing).
 */
export function encodeStoredMonitorUpdate(update: ChannelMonitorUpdate): Uint8Array {
  return updateRecord.encode({ updateId: update.updateId, steps: update.steps });
}

function legacySteps(pairs: Uint8Array): DecodeResult<MonitorUpdateStep[]> {
  const steps: MonitorUpdateStep[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const kind = pairs[i];
    const flag = pairs[i + 1];
    if (kind !== LEGACY_STEP_FORCE_CLOSED || flag === undefined || flag > 1) {
      return { ok: false, error: new DecodeError('invalid-value', `monitor-update v1: unknown step ${kind}`) };
    }
    steps.push({ kind: 'channel-force-closed', shouldBroadcast: flag === 1 });
  }
  return { ok: true, value: steps };
}

/**
 * Reads an update written by {@link encodeMonitorUpdate}, or by version 1
 * of it, or by {@link encodeStoredMonitorUpdate} when `channelId` (the one
 * its item's key names) is given; never throws. A channel id in the bytes
 * other than `channelId` is refused.
 */
export function decodeMonitorUpdate(bytes: Uint8Array, keyChannelId?: Uint8Array): DecodeResult<ChannelMonitorUpdate> {
  const result = updateRecord.decode(bytes);
  if (!result.ok) return result;
  const v = result.value;
  const channelId = v.channelId ?? keyChannelId;
  if (channelId === undefined || v.updateId === undefined) return missing('monitor-update');
  if (keyChannelId !== undefined && !sameBytes(channelId, keyChannelId)) return invalid('monitor-update: of another channel than its key names');
  // Each version has exactly its own steps record.
  const version = bytes[0];
  if (version === 1) {
    if (v.steps !== undefined || v.legacySteps === undefined) return missing('monitor-update v1 steps');
    const steps = legacySteps(v.legacySteps);
    if (!steps.ok) return steps;
    return { ok: true, value: { channelId, updateId: v.updateId, steps: steps.value } };
  }
  if (v.legacySteps !== undefined || v.steps === undefined) return missing('monitor-update steps');
  return { ok: true, value: { channelId, updateId: v.updateId, steps: v.steps } };
}
