/**
 * The persisted form of a channel (one store item per channel): a versioned
 * record (shared/codec `versionedRecord`), version byte then a TLV stream.
 * Newer fields are new TLV types; an older reader fails on a newer version.
 */
import {
  ByteReader,
  ByteWriter,
  catchDecodeError,
  DecodeError,
  equalBytes,
  fixedBytes,
  point,
  restBytes,
  struct,
  tlvRecord,
  u16,
  u32,
  u64,
  u8,
  versionedRecord,
  type DecodeResult,
  utf8Rest,
} from '../codec/index.js';
import { concatBytes } from '../crypto/index.js';
import { ChannelState, type Channel } from './channel-state.js';
import { channelParametersCodec, counterpartyFromRecord, counterpartyParametersCodec, counterpartyToRecord } from './parameters-record.js';
import { channelIdFromOutpoint } from './channel-id.js';
import { ChannelFailureReason } from './errors.js';
import { compactHtlcListCodec, htlcListCodec } from './htlc.js';
import { commitmentCountersCodec, commitmentStateCodec, counterpartyRevocationsCodec } from './commitment-state.js';
import { pendingFeeUpdateCodec } from './fee-update.js';
import { latestHolderCommitmentCodec } from './latest-holder-commitment.js';
import { CHANNEL_TYPE_RECORD_TLV, channelTypeRecordCodec, type NegotiatedChannelType } from './channel-type.js';

const STATES = Object.values(ChannelState);
const REASONS: readonly string[] = Object.values(ChannelFailureReason);

const FLAG_OUTBOUND = 1;
const FLAG_ANNOUNCE = 2;
/** Read only: the channel type before TLV 46 (never written since). */
const LEGACY_FLAG_ANCHORS = 4;
const LEGACY_FLAG_SCID_ALIAS = 8;
const FLAG_ANYSEGWIT = 16;

/**
 * Version 1: 0 state, 2 flags, 4 counterparty node id, 6 temporary channel
 * id, 8 channel keys id, 10 user channel id, 12 funding sat, 14 push msat,
 * 16 feerate, 18 minimum depth, 20 holder alias, 22 best height, 24 our
 * parameters, 25 our upfront shutdown script (added later: odd, so a reader
 * without it skips it; items without it read as "not committed"), 26 the
 * counterparty's parameters and keys, 27 their upfront shutdown script, 28 funding outpoint, 30 funding tx, 32 their signature
 * on our commitment 0, 34 confirmation, 36 their channel_ready point, 37
 * their alias, 38 funding-signed height, 40 closure reason, 41 closure message,
 * 42 the HTLCs in flight (added later, shared/channel/htlc.ts: fixed-size
 * records back to back; written only when there are some, so items without
 * it read as "no HTLCs"; even, so a reader without it refuses a channel
 * with HTLCs rather than dropping them on its next write), 44 the commitment
 * dance's state (added later, shared/channel/commitment-state.ts: written once
 * the first HTLC update happened; even for the same reason), 48 our latest
 * commitment with both signatures once the dance moved past commitment 0
 * (what a force close broadcasts; even: a reader without it would broadcast
 * the revoked commitment 0), 50 the pending fee update (added later,
 * shared/channel/fee-update.ts: feerate and state, written only while one
 * is pending, absent reads as none; even, so a reader without it refuses
 * rather than signing at the old feerate), 52 the retransmission order
 * (added later, a u8 1, written only when our last `revoke_and_ack` was
 * sent after our last `commitment_signed`: absent reads as
 * `revoke_and_ack` first, what every older item meant; even, so a reader
 * without it refuses rather than resending in the wrong order), 54 the
 * counterparty's owed `commitment_signed` (added later, a u8 1, written
 * only while their `revoke_and_ack` acknowledged updates of ours their
 * next `commitment_signed` brings into our commitment; even, so a reader
 * without it refuses rather than closing too early); cooperative close
 * (added later, odd, states `shutdown-sent` and `negotiating-close` appended
 * after `closed`): 61 our shutdown script, 63 theirs, 65 our last
 * `closing_signed` (fee, min, max), 67 the closing txid, 69 the
 * counterparty's forwarding policy toward us (its `channel_update`: fee
 * base, ppm, CLTV delta, HTLC min and max, timestamp; odd: optional), 71 the
 * peer's `announcement_signatures` of an announced channel (node and bitcoin
 * signatures, 64 bytes each; odd: optional), 73 our `announcement_signatures`
 * sent on the current connection (a u8 1, written only when set; odd); 46 the channel
 * type (added later: shared/channel/channel-type.ts `channelTypeRecordCodec`,
 * the BOLT 9 feature bytes as in `open_channel`; even, so an older reader
 * refuses the item rather than reading it as static_remotekey). Before 46 the
 * type was flag bits 4 (anchors) and 8 (scid_alias): read when 46 is absent,
 * never written; a record with both is refused. Type 56 is taken by the
 * `secrets` part of the stored parts (below), never in a whole record.
 * 58 the HTLCs in flight in the compact form (added later, htlc.ts
 * `compactHtlcCodec`: about half the bytes of 42, docs/items.md "Bytes per
 * HTLC"), written instead of 42, which is read, never written since; a
 * record with both is refused; even, so a reader without it refuses the
 * channel rather than dropping its HTLCs.
 * 60 and 62 the commitment dance (added in session 12, written instead of
 * 44, which is read, never written since; a record with 44 and either, or
 * one without the other, is refused; even, so an older reader refuses the
 * channel rather than reading it as a channel before its first update): 60
 * its counters and flag (shared/channel/commitment-state.ts
 * `commitmentCountersCodec`: BigSize numbers, about 18 bytes against 44's
 * 41), what every update changes; 62 what only a `revoke_and_ack` received
 * changes, the counterparty's two points and released secrets
 * (`counterpartyRevocationsCodec`), stored in the `secrets` part (below),
 * so the item every update rewrites no longer carries the 66 bytes of
 * points (docs/items.md "Bytes per sequential payment"). 64 our latest
 * commitment without its witness and the counterparty's signature (added
 * in session 12, shared/channel/latest-holder-commitment.ts: written
 * instead of 48, which is read, never written since; a record with both is
 * refused; even for 48's reason), stored in the `holder` part.
 *
 * The schema names each record's field; {@link encodeChannelParts} sorts
 * the fields into parts by these types.
 */
const CHANNEL_SCHEMA = {
  state: tlvRecord(0, u8),
  flags: tlvRecord(2, u8),
  counterpartyNodeId: tlvRecord(4, point),
  temporaryChannelId: tlvRecord(6, fixedBytes(32)),
  channelKeysId: tlvRecord(8, fixedBytes(32)),
  userChannelId: tlvRecord(10, u64),
  fundingSatoshis: tlvRecord(12, u64),
  pushMsat: tlvRecord(14, u64),
  feeratePerKw: tlvRecord(16, u32),
  minimumDepth: tlvRecord(18, u32),
  holderAlias: tlvRecord(20, u64),
  bestHeight: tlvRecord(22, u32),
  holder: tlvRecord(24, channelParametersCodec),
  holderShutdownScript: tlvRecord(25, restBytes),
  counterparty: tlvRecord(26, counterpartyParametersCodec),
  upfrontShutdownScript: tlvRecord(27, restBytes),
  fundingOutpoint: tlvRecord(28, struct([['txid', fixedBytes(32)], ['index', u16]] as const)),
  fundingTx: tlvRecord(30, restBytes),
  counterpartySignature: tlvRecord(32, fixedBytes(64)),
  confirmation: tlvRecord(34, struct([['height', u32], ['txIndex', u32], ['blockHash', fixedBytes(32)]] as const)),
  theirReadyPoint: tlvRecord(36, point),
  theirAlias: tlvRecord(37, u64),
  fundingSignedAtHeight: tlvRecord(38, u32),
  closureReason: tlvRecord(40, utf8Rest),
  closureMessage: tlvRecord(41, utf8Rest),
  htlcs: tlvRecord(42, htlcListCodec),
  commitments: tlvRecord(44, commitmentStateCodec),
  channelType: tlvRecord(CHANNEL_TYPE_RECORD_TLV, channelTypeRecordCodec),
  latestHolderCommitmentTx: tlvRecord(48, restBytes),
  pendingFeeUpdate: tlvRecord(50, pendingFeeUpdateCodec),
  resendCommitmentFirst: tlvRecord(52, u8),
  expectingCommitmentSigned: tlvRecord(54, u8),
  compactHtlcs: tlvRecord(58, compactHtlcListCodec),
  commitmentCounters: tlvRecord(60, commitmentCountersCodec),
  counterpartyRevocations: tlvRecord(62, counterpartyRevocationsCodec),
  latestHolderCommitment: tlvRecord(64, latestHolderCommitmentCodec),
  shutdownHolderScript: tlvRecord(61, restBytes),
  shutdownCounterpartyScript: tlvRecord(63, restBytes),
  closingSent: tlvRecord(65, struct([['feeSatoshis', u64], ['minFeeSatoshis', u64], ['maxFeeSatoshis', u64]] as const)),
  closingTxid: tlvRecord(67, fixedBytes(32)),
  counterpartyForwarding: tlvRecord(
    69,
    struct([
      ['feeBaseMsat', u32],
      ['feeProportionalMillionths', u32],
      ['cltvExpiryDelta', u16],
      ['htlcMinimumMsat', u64],
      ['htlcMaximumMsat', u64],
      ['timestamp', u32],
    ] as const),
  ),
  theirAnnouncementSignatures: tlvRecord(71, struct([['nodeSignature', fixedBytes(64)], ['bitcoinSignature', fixedBytes(64)]] as const)),
  announcementSignaturesSent: tlvRecord(73, u8),
} as const;
const channelRecord = versionedRecord('channel', 1, CHANNEL_SCHEMA);
type ChannelRecordFields = Parameters<typeof channelRecord.encode>[0];

/** The channel's persisted bytes. */
export function encodeChannel(c: Channel): Uint8Array {
  return channelRecord.encode(recordFields(c));
}

/** The counterparty's parameters as their record, one object per parameters object (so a fixed part can be reused: {@link fixedPartBytes}). */
const counterpartyRecords = new WeakMap<object, ReturnType<typeof counterpartyToRecord>>();

function counterpartyRecordOf(cp: NonNullable<Channel['counterparty']>): ReturnType<typeof counterpartyToRecord> {
  let record = counterpartyRecords.get(cp);
  if (record === undefined) {
    record = counterpartyToRecord(cp);
    counterpartyRecords.set(cp, record);
  }
  return record;
}

/** The channel's record fields, as {@link encodeChannel} writes them. */
function recordFields(c: Channel): ChannelRecordFields {
  const flags =
    (c.isOutbound ? FLAG_OUTBOUND : 0) |
    (c.announceChannel ? FLAG_ANNOUNCE : 0) |
    (c.anysegwit === true ? FLAG_ANYSEGWIT : 0);
  const cp = c.counterparty;
  return {
    state: STATES.indexOf(c.state),
    flags,
    counterpartyNodeId: c.counterpartyNodeId,
    temporaryChannelId: c.temporaryChannelId,
    channelKeysId: c.channelKeysId,
    userChannelId: c.userChannelId,
    fundingSatoshis: c.fundingSatoshis,
    pushMsat: c.pushMsat,
    feeratePerKw: c.feeratePerKw,
    minimumDepth: c.minimumDepth,
    holderAlias: c.holderAlias,
    bestHeight: c.bestHeight,
    holder: c.holder,
    channelType: c.channelType,
    ...(c.holderShutdownScript !== undefined ? { holderShutdownScript: c.holderShutdownScript } : {}),
    ...(cp ? { counterparty: counterpartyRecordOf(cp) } : {}),
    ...(cp?.upfrontShutdownScript ? { upfrontShutdownScript: cp.upfrontShutdownScript } : {}),
    ...(c.funding ? { fundingOutpoint: c.funding.outpoint } : {}),
    ...(c.fundingTx ? { fundingTx: c.fundingTx } : {}),
    ...(c.counterpartySignature ? { counterpartySignature: c.counterpartySignature } : {}),
    ...(c.confirmation ? { confirmation: c.confirmation } : {}),
    ...(c.theirChannelReady ? { theirReadyPoint: c.theirChannelReady.secondPerCommitmentPoint } : {}),
    ...(c.theirChannelReady?.alias !== undefined ? { theirAlias: c.theirChannelReady.alias } : {}),
    ...(c.fundingSignedAtHeight !== undefined ? { fundingSignedAtHeight: c.fundingSignedAtHeight } : {}),
    ...(c.closure ? { closureReason: c.closure.reason, closureMessage: c.closure.message } : {}),
    ...(c.htlcs !== undefined && c.htlcs.length > 0 ? { compactHtlcs: c.htlcs } : {}),
    ...(c.commitments !== undefined ? { commitmentCounters: c.commitments, counterpartyRevocations: c.commitments } : {}),
    ...(c.latestHolderCommitmentTx !== undefined ? { latestHolderCommitmentTx: c.latestHolderCommitmentTx } : {}),
    ...(c.latestHolderCommitment !== undefined ? { latestHolderCommitment: c.latestHolderCommitment } : {}),
    ...(c.counterpartyForwarding !== undefined ? { counterpartyForwarding: c.counterpartyForwarding } : {}),
    ...(c.theirAnnouncementSignatures !== undefined ? { theirAnnouncementSignatures: c.theirAnnouncementSignatures } : {}),
    ...(c.announcementSignaturesSent === true ? { announcementSignaturesSent: 1 } : {}),
    ...(c.pendingFeeUpdate !== undefined ? { pendingFeeUpdate: c.pendingFeeUpdate } : {}),
    ...(c.resendCommitmentFirst === true ? { resendCommitmentFirst: 1 } : {}),
    ...(c.expectingCommitmentSigned === true ? { expectingCommitmentSigned: 1 } : {}),
    ...(c.shutdown ? { shutdownHolderScript: c.shutdown.holderScript } : {}),
    ...(c.shutdown?.counterpartyScript ? { shutdownCounterpartyScript: c.shutdown.counterpartyScript } : {}),
    ...(c.shutdown?.sent ? { closingSent: c.shutdown.sent } : {}),
    ...(c.closingTxid ? { closingTxid: c.closingTxid } : {}),
  };
}

function invalid(what: string): { ok: false; error: DecodeError } {
  return { ok: false, error: new DecodeError('invalid-value', `channel: ${what}`) };
}

/** What each state requires (beyond the base fields). */
const REQUIRED: Record<ChannelState, readonly string[]> = {
  [ChannelState.OutboundAwaitingAccept]: [],
  [ChannelState.InboundAwaitingFundingCreated]: ['counterparty'],
  [ChannelState.AwaitingFundingTx]: ['counterparty'],
  [ChannelState.AwaitingFundingSigned]: ['counterparty', 'funding', 'fundingTx'],
  [ChannelState.AwaitingConfirmation]: ['counterparty', 'funding', 'counterpartySignature', 'fundingSignedAtHeight'],
  [ChannelState.AwaitingChannelReady]: ['counterparty', 'funding', 'counterpartySignature', 'fundingSignedAtHeight', 'confirmation'],
  [ChannelState.Ready]: ['counterparty', 'funding', 'counterpartySignature', 'fundingSignedAtHeight', 'confirmation', 'theirChannelReady'],
  [ChannelState.Closed]: ['closure'],
  [ChannelState.ShutdownSent]: ['counterparty', 'funding', 'counterpartySignature', 'fundingSignedAtHeight', 'confirmation', 'theirChannelReady', 'shutdown'],
  [ChannelState.NegotiatingClose]: ['counterparty', 'funding', 'counterpartySignature', 'fundingSignedAtHeight', 'confirmation', 'theirChannelReady', 'shutdown'],
};

/** TLV 46 when present, else the legacy flag bits; `undefined` when both are there. */
function channelTypeOf(stored: NegotiatedChannelType | undefined, flags: number): NegotiatedChannelType | undefined {
  const legacy = flags & (LEGACY_FLAG_ANCHORS | LEGACY_FLAG_SCID_ALIAS);
  if (stored !== undefined) return legacy === 0 ? stored : undefined;
  return { anchors: (flags & LEGACY_FLAG_ANCHORS) !== 0, scidAlias: (flags & LEGACY_FLAG_SCID_ALIAS) !== 0 };
}

/** Reads a channel written by {@link encodeChannel}. Never throws: a typed DecodeError for bad or newer bytes. */
export function decodeChannel(bytes: Uint8Array): DecodeResult<Channel> {
  const result = channelRecord.decode(bytes);
  if (!result.ok) return result;
  const v = result.value;
  const state = v.state === undefined ? undefined : STATES[v.state];
  if (state === undefined) return invalid('unknown or missing state');
  if (
    v.flags === undefined || v.counterpartyNodeId === undefined || v.temporaryChannelId === undefined || v.channelKeysId === undefined ||
    v.userChannelId === undefined || v.fundingSatoshis === undefined || v.pushMsat === undefined || v.feeratePerKw === undefined ||
    v.minimumDepth === undefined || v.holderAlias === undefined || v.bestHeight === undefined || v.holder === undefined
  ) {
    return invalid('a required record is missing');
  }
  const cp = v.counterparty !== undefined ? counterpartyFromRecord(v.counterparty, v.upfrontShutdownScript) : undefined;
  if (v.closureReason !== undefined && !REASONS.includes(v.closureReason)) return invalid('unknown closure reason');
  const channelType = channelTypeOf(v.channelType, v.flags);
  if (channelType === undefined) return invalid('channel type both in TLV 46 and in the legacy flags');
  if (v.htlcs !== undefined && v.compactHtlcs !== undefined) return invalid('HTLCs both in TLV 42 and in TLV 58');
  const htlcs = v.compactHtlcs ?? v.htlcs;
  if (v.commitments !== undefined && (v.commitmentCounters !== undefined || v.counterpartyRevocations !== undefined)) return invalid('the commitment dance both in TLV 44 and in TLVs 60 and 62');
  if ((v.commitmentCounters === undefined) !== (v.counterpartyRevocations === undefined)) return invalid('the commitment dance in one of TLVs 60 and 62 only');
  const commitments =
    v.commitmentCounters !== undefined && v.counterpartyRevocations !== undefined ? { ...v.commitmentCounters, ...v.counterpartyRevocations } : v.commitments;
  if (v.latestHolderCommitmentTx !== undefined && v.latestHolderCommitment !== undefined) return invalid('our latest commitment both in TLV 48 and in TLV 64');
  const outpoint = v.fundingOutpoint;
  const channel = {
    state,
    isOutbound: (v.flags & FLAG_OUTBOUND) !== 0,
    counterpartyNodeId: v.counterpartyNodeId,
    temporaryChannelId: v.temporaryChannelId,
    channelKeysId: v.channelKeysId,
    userChannelId: v.userChannelId,
    fundingSatoshis: v.fundingSatoshis,
    pushMsat: v.pushMsat,
    feeratePerKw: v.feeratePerKw,
    channelType,
    announceChannel: (v.flags & FLAG_ANNOUNCE) !== 0,
    holder: v.holder,
    minimumDepth: v.minimumDepth,
    holderAlias: v.holderAlias,
    bestHeight: v.bestHeight,
    ...(v.holderShutdownScript !== undefined ? { holderShutdownScript: v.holderShutdownScript } : {}),
    ...((v.flags & FLAG_ANYSEGWIT) !== 0 ? { anysegwit: true } : {}),
    ...(cp ? { counterparty: cp } : {}),
    ...(outpoint ? { funding: { outpoint: { txid: outpoint.txid, index: outpoint.index }, channelId: channelIdFromOutpoint(outpoint) } } : {}),
    ...(v.fundingTx !== undefined ? { fundingTx: v.fundingTx } : {}),
    ...(v.counterpartySignature !== undefined ? { counterpartySignature: v.counterpartySignature } : {}),
    ...(v.confirmation !== undefined ? { confirmation: v.confirmation } : {}),
    ...(v.theirReadyPoint !== undefined
      ? { theirChannelReady: { secondPerCommitmentPoint: v.theirReadyPoint, ...(v.theirAlias !== undefined ? { alias: v.theirAlias } : {}) } }
      : {}),
    ...(v.fundingSignedAtHeight !== undefined ? { fundingSignedAtHeight: v.fundingSignedAtHeight } : {}),
    ...(v.closureReason !== undefined ? { closure: { reason: v.closureReason as ChannelFailureReason, message: v.closureMessage ?? '' } } : {}),
    ...(htlcs !== undefined && htlcs.length > 0 ? { htlcs } : {}),
    ...(commitments !== undefined ? { commitments } : {}),
    ...(v.latestHolderCommitmentTx !== undefined ? { latestHolderCommitmentTx: v.latestHolderCommitmentTx } : {}),
    ...(v.latestHolderCommitment !== undefined ? { latestHolderCommitment: v.latestHolderCommitment } : {}),
    ...(v.counterpartyForwarding !== undefined ? { counterpartyForwarding: v.counterpartyForwarding } : {}),
    ...(v.theirAnnouncementSignatures !== undefined ? { theirAnnouncementSignatures: { ...v.theirAnnouncementSignatures } } : {}),
    ...(v.announcementSignaturesSent !== undefined && v.announcementSignaturesSent !== 0 ? { announcementSignaturesSent: true as const } : {}),
    ...(v.pendingFeeUpdate !== undefined ? { pendingFeeUpdate: { ...v.pendingFeeUpdate } } : {}),
    ...(v.resendCommitmentFirst !== undefined && v.resendCommitmentFirst !== 0 ? { resendCommitmentFirst: true as const } : {}),
    ...(v.expectingCommitmentSigned !== undefined && v.expectingCommitmentSigned !== 0 ? { expectingCommitmentSigned: true as const } : {}),
    ...(v.shutdownHolderScript !== undefined
      ? {
          shutdown: {
            holderScript: v.shutdownHolderScript,
            ...(v.shutdownCounterpartyScript !== undefined ? { counterpartyScript: v.shutdownCounterpartyScript } : {}),
            ...(v.closingSent !== undefined ? { sent: { ...v.closingSent } } : {}),
          },
        }
      : {}),
    ...(v.closingTxid !== undefined ? { closingTxid: v.closingTxid } : {}),
  };
  const missing = REQUIRED[state].find((k) => (channel as Record<string, unknown>)[k] === undefined);
  if (missing !== undefined) return invalid(`state ${state} without ${missing}`);
  return { ok: true, value: channel as Channel };
}

/**
 * A channel record cut in parts for the store (docs/items.md, "The channel
 * item in parts"), each part a version-1 channel record holding some of the
 * TLV records: `moving`, what the HTLC messages change (state, feerate, best
 * height, HTLCs, the commitment dance's counters, the pending fee update,
 * the retransmission flags); `secrets`, the
 * counterparty's points and released per-commitment secrets (TLV 62,
 * changed only by a `revoke_and_ack` received; in parts written before
 * TLV 62, the secrets alone: TLV 44's tail under type 56), absent before
 * the first dance; `holder`, our latest commitment (TLV 64, or with both
 * signatures in TLV 48 before session 12; changed once per
 * `commitment_signed`), absent before the first dance;
 * `fixed`, everything else (written at the open and by the rare messages
 * that change it: funding, confirmation, channel_ready, shutdown, the
 * counterparty's channel_update). The parts join back into the exact bytes
 * of the whole record.
 */
export interface ChannelRecordParts {
  readonly moving: Uint8Array;
  readonly fixed: Uint8Array;
  readonly secrets?: Uint8Array;
  readonly holder?: Uint8Array;
}

/** The TLV types of the `moving` part. */
const MOVING_TLVS: ReadonlySet<bigint> = new Set([0n, 16n, 22n, 42n, 44n, 50n, 52n, 54n, 58n, 60n]);
/** The TLV type of the `secrets` part: the counterparty's points and released secrets. */
const REVOCATIONS_TLV = 62n;
/** The TLV types of the `holder` part: our latest commitment (64; 48 in records written before session 12). */
const HOLDER_TLVS: ReadonlySet<bigint> = new Set([48n, 64n]);
/** The commitment dance's record (TLV 44), whose tail is the released secrets. */
const COMMITMENTS_TLV = 44n;
/**
 * The type under which a `secrets` part written before TLV 62 holds TLV
 * 44's tail (the released secrets, `CommitmentState.counterpartySecrets`).
 * Only those parts use it: joining appends it back to TLV 44, so the whole
 * record never holds it (and it stays free in {@link channelRecord}).
 * Read, never written (TLV 44 is no longer written).
 */
const SECRETS_PART_TLV = 56n;

type TlvEntry = readonly [type: bigint, value: Uint8Array];

/** The version byte and records of a versioned record (throws DecodeError). */
function recordEntries(bytes: Uint8Array): { version: number; entries: TlvEntry[] } {
  const r = new ByteReader(bytes);
  const version = r.u8();
  const entries: TlvEntry[] = [];
  while (!r.isAtEnd()) {
    const type = r.bigSize();
    const length = r.bigSize();
    if (length > BigInt(r.remaining)) throw new DecodeError('short-read', `channel: record ${type} longer than the bytes left`);
    entries.push([type, r.bytes(Number(length))]);
  }
  return { version, entries };
}

/** The writer of {@link recordOf}: its grown buffer kept (encoding is synchronous), so a part is not written into a fresh 64-byte writer doubled again and again. */
const partWriter = new ByteWriter();

function recordOf(version: number, entries: readonly TlvEntry[]): Uint8Array {
  const w = partWriter;
  w.reset();
  w.u8(version);
  for (const [type, value] of entries) w.bigSize(type).bigSize(BigInt(value.length)).bytes(value);
  return w.finish();
}

/**
 * The channel as decoding its record gives it back (what the record leaves
 * out when empty, left out here too): a process that keeps a channel it
 * encoded in place of decoding it again keeps this form.
 */
export function canonicalChannel(c: Channel): Channel {
  if (c.htlcs === undefined || c.htlcs.length > 0) return c;
  const { htlcs: _empty, ...rest } = c;
  return rest;
}

/** The channel's persisted bytes in parts ({@link ChannelRecordParts}): each part's fields encoded as a record of their own, the same bytes as cutting the whole record. */
export function encodeChannelParts(c: Channel): ChannelRecordParts {
  const moving: Record<string, unknown> = {};
  const fixed: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  const holder: Record<string, unknown> = {};
  let hasSecrets = false;
  let hasHolder = false;
  for (const [name, value] of Object.entries(recordFields(c))) {
    if (value === undefined) continue;
    const type = CHANNEL_SCHEMA[name as keyof typeof CHANNEL_SCHEMA].type;
    if (MOVING_TLVS.has(type)) moving[name] = value;
    else if (type === REVOCATIONS_TLV) {
      secrets[name] = value;
      hasSecrets = true;
    } else if (HOLDER_TLVS.has(type)) {
      holder[name] = value;
      hasHolder = true;
    } else fixed[name] = value;
  }
  return {
    moving: channelRecord.encode(moving),
    fixed: fixedPartBytes(c, fixed),
    ...(hasSecrets ? { secrets: channelRecord.encode(secrets) } : {}),
    ...(hasHolder ? { holder: channelRecord.encode(holder) } : {}),
  };
}

/**
 * The `fixed` part of each channel last encoded, by its parameters object
 * (kept by every step that does not change them, as a channel's values are
 * immutable), with the field values it was encoded from: a commit that
 * changed none of them (every HTLC message) reuses the bytes instead of
 * encoding the part again (docs/payments.md, "Session 16").
 */
const fixedParts = new WeakMap<object, { readonly fields: Readonly<Record<string, unknown>>; readonly bytes: Uint8Array }>();

/** Set (`STORMCELL_CHECK_DECODED_CHANNELS=1`, as the tests run) to encode every reused part again and throw if it differs. */
const CHECK_REUSED_PARTS = typeof process !== 'undefined' && process.env['STORMCELL_CHECK_DECODED_CHANNELS'] === '1';

function fixedPartBytes(c: Channel, fields: Record<string, unknown>): Uint8Array {
  const last = fixedParts.get(c.holder);
  if (last !== undefined && sameFieldValues(last.fields, fields)) {
    if (CHECK_REUSED_PARTS && !equalBytes(last.bytes, channelRecord.encode(fields))) throw new Error('channel record: a reused fixed part differs from its encoding');
    return last.bytes;
  }
  const bytes = channelRecord.encode(fields);
  fixedParts.set(c.holder, { fields, bytes });
  return bytes;
}

/** The same fields with the same values (the same objects, for objects). */
function sameFieldValues(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  const names = Object.keys(a);
  if (names.length !== Object.keys(b).length) return false;
  for (const name of names) if (a[name] !== b[name]) return false;
  return true;
}

/**
 * The whole record from its parts (in any order): their records merged in
 * type order, the `secrets` part's record appended to TLV 44. A record in
 * two parts, secrets without TLV 44, a part of another version or malformed
 * bytes is a DecodeError; the result is then read by {@link decodeChannel}.
 */
export function joinChannelParts(parts: readonly Uint8Array[]): DecodeResult<Uint8Array> {
  return catchDecodeError(() => {
    const all: TlvEntry[] = [];
    let version: number | undefined;
    for (const part of parts) {
      const read = recordEntries(part);
      if (version !== undefined && read.version !== version) throw new DecodeError('invalid-value', 'channel: parts of different versions');
      version = read.version;
      all.push(...read.entries);
    }
    if (version === undefined) throw new DecodeError('invalid-value', 'channel: no part');
    all.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (let i = 1; i < all.length; i++) if (all[i]![0] === all[i - 1]![0]) throw new DecodeError('invalid-value', `channel: record ${all[i]![0]} in two parts`);
    const secrets = all.findIndex(([t]) => t === SECRETS_PART_TLV);
    if (secrets < 0) return recordOf(version, all);
    const commitments = all.findIndex(([t]) => t === COMMITMENTS_TLV);
    if (commitments < 0) throw new DecodeError('invalid-value', 'channel: released secrets without the commitment dance (TLV 44)');
    const joined = all.map(([t, v]): TlvEntry => (t === COMMITMENTS_TLV ? [t, concatBytes(v, all[secrets]![1])] : [t, v]));
    return recordOf(version, joined.filter(([t]) => t !== SECRETS_PART_TLV));
  });
}
