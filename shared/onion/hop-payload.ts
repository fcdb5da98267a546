/**
 * BOLT 4 `payload` TLV stream (outside blinded routes): the typed record of
 * what the origin tells each hop, its codec, and the rules for what a
 * non-final and a final hop must carry.
 */
import {
  ByteReader,
  UNKNOWN_TLVS,
  catchDecodeError,
  encode,
  fixedBytes,
  restBytes,
  shortChannelId,
  struct,
  tlvRecord,
  tlvStream,
  tu32,
  tu64,
  type DecodeErrorReason,
  type TlvStreamValue,
  type UnknownTlvRecord,
} from '../codec/index.js';
import { OnionError, OnionErrorCode } from './errors.js';

/** The keysend TLV type (bLIP 3): the payment preimage, chosen by the sender, in the final hop's payload. */
export const KEYSEND_TLV_TYPE = 5482373484n;

/**
 * The `payload` TLV records this node understands (types 10, 12, 18 belong to
 * blinded routes: not supported), plus bLIP 3's keysend preimage.
 */
export const PAYLOAD_TLVS = {
  amtToForward: tlvRecord(2, tu64),
  outgoingCltvValue: tlvRecord(4, tu32),
  shortChannelId: tlvRecord(6, shortChannelId),
  paymentData: tlvRecord(8, struct([['paymentSecret', fixedBytes(32)], ['totalMsat', tu64]])),
  paymentMetadata: tlvRecord(16, restBytes),
  keysendPreimage: tlvRecord(KEYSEND_TLV_TYPE, fixedBytes(32)),
} as const;

/** The `payload` TLV stream codec (BOLT 1 rules; unknown odd records kept). */
export const payloadTlvStream = tlvStream(PAYLOAD_TLVS);
export type PayloadTlvs = TlvStreamValue<typeof PAYLOAD_TLVS>;

/** `payment_data`: the invoice's `payment_secret` and the total of a (multi-part) payment. */
export interface PaymentData {
  readonly paymentSecret: Uint8Array;
  readonly totalMsat: bigint;
}

/** The payload of a hop that forwards: where to, how much, until when. */
export interface ForwardPayload {
  readonly kind: 'forward';
  /** Millisatoshi to forward to the next hop. */
  readonly amtToForward: bigint;
  readonly outgoingCltvValue: number;
  readonly shortChannelId: bigint;
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** The payload of the final node. */
export interface FinalPayload {
  readonly kind: 'final';
  /** Millisatoshi the final node receives in this HTLC. */
  readonly amtToForward: bigint;
  readonly outgoingCltvValue: number;
  readonly paymentData?: PaymentData;
  readonly paymentMetadata?: Uint8Array;
  /** bLIP 3 keysend: the preimage of the HTLC's payment hash, chosen by the sender (a spontaneous payment). */
  readonly keysendPreimage?: Uint8Array;
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

export type HopPayload = ForwardPayload | FinalPayload;

/**
 * Encodes a hop payload (the writer's rules hold by construction: a forward
 * payload has `short_channel_id` and no `payment_data`, a final one no
 * `short_channel_id`). Throws {@link OnionError} for a kept unknown record of
 * a known or even type.
 */
export function encodeHopPayload(payload: HopPayload): Uint8Array {
  const tlvs: Record<string, unknown> = {
    amtToForward: payload.amtToForward,
    outgoingCltvValue: payload.outgoingCltvValue,
  };
  if (payload.kind === 'forward') {
    tlvs.shortChannelId = payload.shortChannelId;
  } else {
    if (payload.paymentData !== undefined) tlvs.paymentData = payload.paymentData;
    if (payload.paymentMetadata !== undefined) tlvs.paymentMetadata = payload.paymentMetadata;
    if (payload.keysendPreimage !== undefined) tlvs.keysendPreimage = payload.keysendPreimage;
  }
  if (payload.unknownTlvs !== undefined) tlvs[UNKNOWN_TLVS] = payload.unknownTlvs;
  try {
    return encode(payloadTlvStream, tlvs as PayloadTlvs);
  } catch (e) {
    throw new OnionError(OnionErrorCode.InvalidHopPayload, `hop payload: ${(e as Error).message}`);
  }
}

/**
 * Why a hop payload is refused: answered with PERM|22
 * `invalid_onion_payload` (`type` = the offending or missing TLV type, when known).
 */
export interface HopPayloadError {
  readonly reason: DecodeErrorReason | 'missing-field' | 'unexpected-field';
  readonly type?: bigint;
  readonly message: string;
}

export type HopPayloadResult = { readonly ok: true; readonly value: HopPayload } | { readonly ok: false; readonly error: HopPayloadError };

function refuse(reason: HopPayloadError['reason'], type: bigint | undefined, message: string): HopPayloadResult {
  return { ok: false, error: type === undefined ? { reason, message } : { reason, type, message } };
}

/**
 * Decodes the `payload` of a peeled packet and applies the reader's rules
 * (BOLT 4 "Requirements", outside blinded routes): `amt_to_forward` and
 * `outgoing_cltv_value` present; a non-final hop needs `short_channel_id`
 * (and must not get `payment_data`); the final hop must not get
 * `short_channel_id`. `isFinal` is `next === null` from `peelOnion`.
 * Never throws on any bytes.
 */
export function decodeHopPayload(bytes: Uint8Array, isFinal: boolean): HopPayloadResult {
  const decoded = catchDecodeError(() => payloadTlvStream.read(new ByteReader(bytes)));
  if (!decoded.ok) return refuse(decoded.error.reason, undefined, decoded.error.message);
  const tlvs = decoded.value;
  if (tlvs.amtToForward === undefined) return refuse('missing-field', 2n, 'amt_to_forward is missing');
  if (tlvs.outgoingCltvValue === undefined) return refuse('missing-field', 4n, 'outgoing_cltv_value is missing');
  const unknown = tlvs.unknownTlvs === undefined ? {} : { unknownTlvs: tlvs.unknownTlvs };
  if (!isFinal) {
    if (tlvs.shortChannelId === undefined) return refuse('missing-field', 6n, 'a forwarding hop needs short_channel_id');
    if (tlvs.paymentData !== undefined) return refuse('unexpected-field', 8n, 'payment_data in a forwarding hop');
    if (tlvs.keysendPreimage !== undefined) return refuse('unexpected-field', KEYSEND_TLV_TYPE, 'a keysend preimage in a forwarding hop');
    return {
      ok: true,
      value: {
        kind: 'forward',
        amtToForward: tlvs.amtToForward,
        outgoingCltvValue: tlvs.outgoingCltvValue,
        shortChannelId: tlvs.shortChannelId,
        ...unknown,
      },
    };
  }
  if (tlvs.shortChannelId !== undefined) return refuse('unexpected-field', 6n, 'short_channel_id in the final hop');
  return {
    ok: true,
    value: {
      kind: 'final',
      amtToForward: tlvs.amtToForward,
      outgoingCltvValue: tlvs.outgoingCltvValue,
      ...(tlvs.paymentData === undefined ? {} : { paymentData: tlvs.paymentData }),
      ...(tlvs.paymentMetadata === undefined ? {} : { paymentMetadata: tlvs.paymentMetadata }),
      ...(tlvs.keysendPreimage === undefined ? {} : { keysendPreimage: tlvs.keysendPreimage }),
      ...unknown,
    },
  };
}

