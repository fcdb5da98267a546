/**
 * The manager's events (LDK's `Event`): the channel machine's
 * `FundingGenerationReady`, `ChannelPending`, `ChannelReady`,
 * `ChannelClosed`, `DiscardFunding`, plus `OpenChannelRequest` (manual acceptance). Each gets
 * an id from the header's counter; the handler stores one input's events
 * (consecutive ids) as ONE item (`EVENT#<first id>`, {@link encodeEventItem})
 * in the same commit as the step that emitted them, so an event exists
 * exactly when its step happened, and a consumer dedups deliveries by id.
 */
import { ByteReader, ByteWriter, DecodeError, catchDecodeError, fixedBytes, point, restBytes, struct, tlvRecord, u16, u32, u64, u8, versionedRecord, type DecodeResult, utf8Rest } from '../codec/index.js';
import { PaymentFailureReason } from './outbound-payment.js';
import type { PaymentEvent, PaymentPurpose } from './payment-events.js';
import { CHANNEL_TYPE_RECORD_TLV, ChannelFailureReason, channelTypeRecordCodec, type ChannelEvent, type NegotiatedChannelType } from '../channel/index.js';

/** LDK's `Event::OpenChannelRequest`: an inbound channel waiting for `acceptInboundChannel` or `rejectInboundChannel`. */
export interface OpenChannelRequest {
  readonly kind: 'open-channel-request';
  readonly temporaryChannelId: Uint8Array;
  readonly counterpartyNodeId: Uint8Array;
  readonly fundingSatoshis: bigint;
  readonly pushMsat: bigint;
  readonly channelType: NegotiatedChannelType;
}

/**
 * A peer sent a BOLT 2 message this node cannot handle yet (an HTLC update:
 * a payment to or through us, before payments exist); the peer was
 * disconnected. Emitted the first time per message type, so the user learns
 * it once rather than never.
 */
export interface UnsupportedMessage {
  readonly kind: 'unsupported-message';
  readonly counterpartyNodeId: Uint8Array;
  readonly messageType: number;
  readonly message: string;
}

export type ManagerEvent = ChannelEvent | OpenChannelRequest | UnsupportedMessage | PaymentEvent;

/** An event with its id (ids grow by one per event, per node). */
export interface EventRecord {
  readonly id: bigint;
  readonly event: ManagerEvent;
}

const KINDS = [
  'funding-generation-ready',
  'channel-pending',
  'channel-ready',
  'channel-closed',
  'open-channel-request',
  'discard-funding',
  'unsupported-message',
  'payment-claimable',
  'payment-claimed',
  'payment-sent',
  'payment-path-failed',
  'payment-failed',
  'funds-swept',
  'payment-forwarded',
] as const;
const PURPOSES: readonly PaymentPurpose[] = ['invoice', 'spontaneous', 'for-hash'];
const PAYMENT_FAILURES: readonly string[] = Object.values(PaymentFailureReason);
const REASONS: readonly string[] = Object.values(ChannelFailureReason);

/**
 * Version 1: 0 id, 2 kind, 4 counterparty node id, 6 temporary channel id,
 * 8 channel id, 10 value (sat), 12 push msat, 14 user channel id, 16 output
 * script, 18 funding outpoint, 20 short channel id, 22 channel type flags
 * (read only, never written since 46: bit 1 anchors, bit 2 scid_alias),
 * 24 closure reason, 25 closure message, 27 outbound (1) or inbound (0),
 * 29 message type, 46 channel type (added later: shared/channel/channel-type.ts
 * `channelTypeRecordCodec`, the BOLT 9 feature bytes as in `open_channel`,
 * the same TLV as the channel and monitor records'; even, so an older reader
 * refuses the event rather than reading it as static_remotekey). An
 * `open-channel-request` has exactly one of 22 and 46. Payment events (no
 * counterparty): 30 payment hash, 32 preimage, 34 payment secret, 36
 * payment id, 38 amount msat, 40 fee paid msat, 42 purpose, 44 claim
 * deadline, 47 failed permanently (1), 24 the failure reason, 25 its text.
 * 49 the closing txid of a `channel-closed` (added with force close; odd: optional).
 * `payment-forwarded`: 8 the inbound channel id, 50 the outbound one, 38 the
 * amount forwarded, 40 our fee.
 */
const eventRecord = versionedRecord('event', 1, {
  id: tlvRecord(0, u64),
  kind: tlvRecord(2, u8),
  counterpartyNodeId: tlvRecord(4, point),
  temporaryChannelId: tlvRecord(6, fixedBytes(32)),
  channelId: tlvRecord(8, fixedBytes(32)),
  valueSatoshis: tlvRecord(10, u64),
  pushMsat: tlvRecord(12, u64),
  userChannelId: tlvRecord(14, u64),
  outputScript: tlvRecord(16, restBytes),
  fundingOutpoint: tlvRecord(18, struct([['txid', fixedBytes(32)], ['index', u16]] as const)),
  shortChannelId: tlvRecord(20, u64),
  legacyChannelType: tlvRecord(22, u8),
  reason: tlvRecord(24, utf8Rest),
  message: tlvRecord(25, utf8Rest),
  isOutbound: tlvRecord(27, u8),
  messageType: tlvRecord(29, u16),
  paymentHash: tlvRecord(30, fixedBytes(32)),
  paymentPreimage: tlvRecord(32, fixedBytes(32)),
  paymentSecret: tlvRecord(34, fixedBytes(32)),
  paymentId: tlvRecord(36, fixedBytes(32)),
  amountMsat: tlvRecord(38, u64),
  feePaidMsat: tlvRecord(40, u64),
  purpose: tlvRecord(42, u8),
  claimDeadline: tlvRecord(44, u32),
  channelType: tlvRecord(CHANNEL_TYPE_RECORD_TLV, channelTypeRecordCodec),
  failedPermanently: tlvRecord(47, u8),
  closingTxid: tlvRecord(49, fixedBytes(32)),
  outboundChannelId: tlvRecord(50, fixedBytes(32)),
});

/** The event item's persisted bytes. */
export function encodeEventRecord({ id, event: e }: EventRecord): Uint8Array {
  const base = { id, kind: KINDS.indexOf(e.kind) };
  switch (e.kind) {
    case 'payment-claimable':
    case 'payment-claimed':
      return eventRecord.encode({
        ...base,
        paymentHash: e.paymentHash,
        amountMsat: e.amountMsat,
        purpose: PURPOSES.indexOf(e.purpose),
        ...(e.kind === 'payment-claimable'
          ? {
              claimDeadline: e.claimDeadline,
              ...(e.paymentPreimage === undefined ? {} : { paymentPreimage: e.paymentPreimage }),
              ...(e.paymentSecret === undefined ? {} : { paymentSecret: e.paymentSecret }),
            }
          : {}),
      });
    case 'payment-sent':
      return eventRecord.encode({ ...base, paymentId: e.paymentId, paymentHash: e.paymentHash, paymentPreimage: e.paymentPreimage, feePaidMsat: e.feePaidMsat });
    case 'payment-path-failed':
      return eventRecord.encode({
        ...base,
        paymentId: e.paymentId,
        paymentHash: e.paymentHash,
        failedPermanently: e.paymentFailedPermanently ? 1 : 0,
        message: e.failure,
        ...(e.shortChannelId === undefined ? {} : { shortChannelId: e.shortChannelId }),
      });
    case 'payment-failed':
      return eventRecord.encode({ ...base, paymentId: e.paymentId, paymentHash: e.paymentHash, reason: e.reason });
    case 'payment-forwarded':
      return eventRecord.encode({ ...base, channelId: e.inboundChannelId, outboundChannelId: e.outboundChannelId, amountMsat: e.amountMsat, feePaidMsat: e.feeMsat });
  }
  const common = { ...base, counterpartyNodeId: e.counterpartyNodeId };
  switch (e.kind) {
    case 'funding-generation-ready':
      return eventRecord.encode({ ...common, temporaryChannelId: e.temporaryChannelId, valueSatoshis: e.channelValueSatoshis, outputScript: e.outputScript, userChannelId: e.userChannelId });
    case 'channel-pending':
      return eventRecord.encode({ ...common, channelId: e.channelId, temporaryChannelId: e.formerTemporaryChannelId, fundingOutpoint: e.fundingOutpoint, userChannelId: e.userChannelId });
    case 'channel-ready':
      return eventRecord.encode({ ...common, channelId: e.channelId, userChannelId: e.userChannelId, shortChannelId: e.shortChannelId });
    case 'channel-closed':
      return eventRecord.encode({
        ...common,
        channelId: e.channelId,
        temporaryChannelId: e.temporaryChannelId,
        userChannelId: e.userChannelId,
        valueSatoshis: e.channelCapacitySats,
        isOutbound: e.isOutbound ? 1 : 0,
        reason: e.reason,
        message: e.message,
        ...(e.closingTxid === undefined ? {} : { closingTxid: e.closingTxid }),
      });
    case 'discard-funding':
      return eventRecord.encode({ ...common, channelId: e.channelId, userChannelId: e.userChannelId, fundingOutpoint: e.fundingOutpoint });
    case 'funds-swept':
      // 49 the sweep's txid, 10 the amount it paid the wallet.
      return eventRecord.encode({ ...common, channelId: e.channelId, closingTxid: e.txid, valueSatoshis: e.amountSat });
    case 'unsupported-message':
      return eventRecord.encode({ ...common, messageType: e.messageType, message: e.message });
    case 'open-channel-request':
      return eventRecord.encode({
        ...common,
        temporaryChannelId: e.temporaryChannelId,
        valueSatoshis: e.fundingSatoshis,
        pushMsat: e.pushMsat,
        channelType: e.channelType,
      });
  }
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new DecodeError('invalid-value', `event: missing ${what}`);
  return value;
}

/** TLV 46, or for events written before it the flags of TLV 22; exactly one of them. */
function openRequestChannelType(stored: NegotiatedChannelType | undefined, legacy: number | undefined): NegotiatedChannelType {
  if (stored !== undefined && legacy !== undefined) throw new DecodeError('invalid-value', 'event: channel type both in TLV 46 and in TLV 22');
  if (stored !== undefined) return stored;
  const flags = need(legacy, 'channel type');
  if (flags > 3) throw new DecodeError('invalid-value', `event: unknown channel type flags ${flags}`);
  return { anchors: (flags & 1) !== 0, scidAlias: (flags & 2) !== 0 };
}

type EventFields = Extract<ReturnType<typeof eventRecord.decode>, { ok: true }>['value'];

/** A payment event's fields (throws DecodeError when one is missing); undefined for the other kinds. */
function decodePaymentEvent(kind: (typeof KINDS)[number] | undefined, v: EventFields): PaymentEvent | undefined {
  switch (kind) {
    case 'payment-claimable':
    case 'payment-claimed': {
      const purpose = PURPOSES[need(v.purpose, 'purpose')];
      if (purpose === undefined) throw new DecodeError('invalid-value', 'event: unknown payment purpose');
      const common = { paymentHash: need(v.paymentHash, 'payment hash'), amountMsat: need(v.amountMsat, 'amount'), purpose };
      if (kind === 'payment-claimed') return { kind, ...common };
      return {
        kind,
        ...common,
        claimDeadline: need(v.claimDeadline, 'claim deadline'),
        ...(v.paymentPreimage === undefined ? {} : { paymentPreimage: v.paymentPreimage }),
        ...(v.paymentSecret === undefined ? {} : { paymentSecret: v.paymentSecret }),
      };
    }
    case 'payment-sent':
      return { kind, paymentId: need(v.paymentId, 'payment id'), paymentHash: need(v.paymentHash, 'payment hash'), paymentPreimage: need(v.paymentPreimage, 'preimage'), feePaidMsat: need(v.feePaidMsat, 'fee') };
    case 'payment-path-failed':
      return {
        kind,
        paymentId: need(v.paymentId, 'payment id'),
        paymentHash: need(v.paymentHash, 'payment hash'),
        paymentFailedPermanently: v.failedPermanently === 1,
        failure: v.message ?? '',
        ...(v.shortChannelId === undefined ? {} : { shortChannelId: v.shortChannelId }),
      };
    case 'payment-failed': {
      const reason = need(v.reason, 'reason');
      if (!PAYMENT_FAILURES.includes(reason)) throw new DecodeError('invalid-value', `event: unknown payment failure ${reason}`);
      return { kind, paymentId: need(v.paymentId, 'payment id'), paymentHash: need(v.paymentHash, 'payment hash'), reason: reason as PaymentFailureReason };
    }
    case 'payment-forwarded':
      return {
        kind,
        inboundChannelId: need(v.channelId, 'inbound channel id'),
        outboundChannelId: need(v.outboundChannelId, 'outbound channel id'),
        amountMsat: need(v.amountMsat, 'amount'),
        feeMsat: need(v.feePaidMsat, 'fee'),
      };
    default:
      return undefined;
  }
}

/** Reads an event item written by {@link encodeEventRecord}; never throws. */
export function decodeEventRecord(bytes: Uint8Array): DecodeResult<EventRecord> {
  const result = eventRecord.decode(bytes);
  if (!result.ok) return result;
  const v = result.value;
  try {
    const id = need(v.id, 'id');
    const kind = KINDS[need(v.kind, 'kind')];
    const payment = decodePaymentEvent(kind, v);
    if (payment !== undefined) return { ok: true, value: { id, event: payment } };
    const counterpartyNodeId = need(v.counterpartyNodeId, 'counterparty');
    let event: ManagerEvent;
    switch (kind) {
      case 'funding-generation-ready':
        event = {
          kind,
          counterpartyNodeId,
          temporaryChannelId: need(v.temporaryChannelId, 'temporary id'),
          channelValueSatoshis: need(v.valueSatoshis, 'value'),
          outputScript: need(v.outputScript, 'script'),
          userChannelId: need(v.userChannelId, 'user id'),
        };
        break;
      case 'channel-pending': {
        const o = need(v.fundingOutpoint, 'outpoint');
        event = {
          kind,
          counterpartyNodeId,
          channelId: need(v.channelId, 'channel id'),
          formerTemporaryChannelId: need(v.temporaryChannelId, 'temporary id'),
          fundingOutpoint: { txid: o.txid, index: o.index },
          userChannelId: need(v.userChannelId, 'user id'),
        };
        break;
      }
      case 'channel-ready':
        event = { kind, counterpartyNodeId, channelId: need(v.channelId, 'channel id'), userChannelId: need(v.userChannelId, 'user id'), shortChannelId: need(v.shortChannelId, 'scid') };
        break;
      case 'channel-closed': {
        const reason = need(v.reason, 'reason');
        if (!REASONS.includes(reason)) throw new DecodeError('invalid-value', `event: unknown reason ${reason}`);
        const channelId = need(v.channelId, 'channel id');
        event = {
          kind,
          counterpartyNodeId,
          channelId,
          // Records written before these fields existed: the id, no capacity, inbound (what the API said of them then).
          temporaryChannelId: v.temporaryChannelId ?? channelId,
          userChannelId: need(v.userChannelId, 'user id'),
          channelCapacitySats: v.valueSatoshis ?? 0n,
          isOutbound: v.isOutbound === 1,
          reason: reason as ChannelFailureReason,
          message: v.message ?? '',
          ...(v.closingTxid === undefined ? {} : { closingTxid: v.closingTxid }),
        };
        break;
      }
      case 'funds-swept':
        event = { kind, counterpartyNodeId, channelId: need(v.channelId, 'channel id'), txid: need(v.closingTxid, 'txid'), amountSat: need(v.valueSatoshis, 'amount') };
        break;
      case 'discard-funding': {
        const o = need(v.fundingOutpoint, 'outpoint');
        event = { kind, counterpartyNodeId, channelId: need(v.channelId, 'channel id'), userChannelId: need(v.userChannelId, 'user id'), fundingOutpoint: { txid: o.txid, index: o.index } };
        break;
      }
      case 'unsupported-message':
        event = { kind, counterpartyNodeId, messageType: need(v.messageType, 'message type'), message: v.message ?? '' };
        break;
      case 'open-channel-request': {
        event = {
          kind,
          counterpartyNodeId,
          temporaryChannelId: need(v.temporaryChannelId, 'temporary id'),
          fundingSatoshis: need(v.valueSatoshis, 'value'),
          pushMsat: need(v.pushMsat, 'push'),
          channelType: openRequestChannelType(v.channelType, v.legacyChannelType),
        };
        break;
      }
      default:
        throw new DecodeError('invalid-value', 'event: unknown kind');
    }
    return { ok: true, value: { id, event } };
  } catch (error) {
    if (error instanceof DecodeError) return { ok: false, error };
    throw error;
  }
}

/**
 * Version 2 of an event item: the events of one input, ids consecutive, as
 * TLV record 0 holding each event's version-1 record
 * (`[bigsize:len][len*byte]`). An item of one event is written in version 1
 * ({@link encodeEventRecord}), the format of every event item before, so
 * old items and single events read the same; a reader of version 1 only
 * refuses a version-2 item rather than misreading it.
 */
const EVENT_BATCH_VERSION = 2;

/** One item's bytes for `records` (one input's events, ids consecutive): version 1 for one event, version 2 for several. */
export function encodeEventItem(records: readonly EventRecord[]): Uint8Array {
  if (records.length === 0) throw new TypeError('an event item holds at least one event');
  records.forEach((r, i) => {
    if (i > 0 && r.id !== records[i - 1]!.id + 1n) throw new TypeError('the events of one item have consecutive ids');
  });
  return eventItemOf(records.map(encodeEventRecord));
}

/** {@link encodeEventItem} of events already encoded one by one (`encodeEventRecord`, consecutive ids): each is encoded once. */
export function eventItemOf(bodies: readonly Uint8Array[]): Uint8Array {
  if (bodies.length === 0) throw new TypeError('an event item holds at least one event');
  if (bodies.length === 1) return bodies[0]!;
  const w = new ByteWriter().u8(EVENT_BATCH_VERSION);
  const inner = new ByteWriter();
  for (const b of bodies) inner.bigSize(BigInt(b.length)).bytes(b);
  const value = inner.finish();
  w.bigSize(0n).bigSize(BigInt(value.length)).bytes(value);
  return w.finish();
}

/** The events of an item written by {@link encodeEventItem} (or of an old one-event item), oldest first; never throws. */
export function decodeEventItem(bytes: Uint8Array): DecodeResult<EventRecord[]> {
  if (bytes[0] !== EVENT_BATCH_VERSION) {
    const one = decodeEventRecord(bytes);
    return one.ok ? { ok: true, value: [one.value] } : one;
  }
  const parsed = catchDecodeError(() => {
    const r = new ByteReader(bytes);
    r.u8();
    const chunks: Uint8Array[] = [];
    while (!r.isAtEnd()) {
      const type = r.bigSize();
      const length = r.bigSize();
      if (length > BigInt(r.remaining)) throw new DecodeError('short-read', `event item: record of ${length} bytes, ${r.remaining} left`);
      const value = r.bytes(Number(length));
      if (type !== 0n) {
        if (type % 2n === 0n) throw new DecodeError('invalid-value', `event item: unknown even record ${type}`);
        continue;
      }
      const inner = new ByteReader(value);
      while (!inner.isAtEnd()) {
        const n = inner.bigSize();
        if (n > BigInt(inner.remaining)) throw new DecodeError('short-read', `event item: event of ${n} bytes, ${inner.remaining} left`);
        chunks.push(inner.bytes(Number(n)));
      }
    }
    return chunks;
  });
  if (!parsed.ok) return parsed;
  const out: EventRecord[] = [];
  for (const chunk of parsed.value) {
    const one = decodeEventRecord(chunk);
    if (!one.ok) return one;
    if (out.length > 0 && one.value.id !== out[out.length - 1]!.id + 1n) {
      return { ok: false, error: new DecodeError('invalid-value', 'event item: ids not consecutive') };
    }
    out.push(one.value);
  }
  if (out.length === 0) return { ok: false, error: new DecodeError('invalid-value', 'event item: no events') };
  return { ok: true, value: out };
}
