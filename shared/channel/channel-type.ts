/**
 * `channel_type` negotiation (BOLT 2, "Channel Type"; BOLT 9 bits): the
 * commitment format of a channel, named by feature bits in `open_channel`
 * and echoed in `accept_channel`.
 */
import { DecodeError, decode, type Codec, type DecodeResult } from '../codec/index.js';
import { ChannelType } from '../tx/index.js';
import { featureBitsOf, featuresFromBits, isFeatureSupported } from '../wire/index.js';

/** `option_static_remotekey` (required bit). */
export const STATIC_REMOTEKEY_BIT = 12;
/** `option_anchors_zero_fee_htlc_tx` (required bit). */
export const ANCHORS_ZERO_FEE_HTLC_TX_BIT = 22;
/** `option_scid_alias` (required bit): the channel is used only by its aliases. */
export const SCID_ALIAS_BIT = 46;
/** `option_zeroconf` (required bit). Not supported: zero-conf channels are refused. */
export const ZEROCONF_BIT = 50;

/** A channel type we support. */
export interface NegotiatedChannelType {
  /** `option_anchors_zero_fee_htlc_tx` (always with `option_static_remotekey`). */
  readonly anchors: boolean;
  /** `option_scid_alias`. */
  readonly scidAlias: boolean;
}

/** The feature bytes naming `type` (minimal length). */
export function channelTypeBytes(type: NegotiatedChannelType): Uint8Array {
  const bits = [STATIC_REMOTEKEY_BIT];
  if (type.anchors) bits.push(ANCHORS_ZERO_FEE_HTLC_TX_BIT);
  if (type.scidAlias) bits.push(SCID_ALIAS_BIT);
  return featuresFromBits(bits);
}

/** The commitment format shared/tx builds for `type`. */
export function commitmentFormat(type: NegotiatedChannelType): ChannelType {
  return type.anchors ? ChannelType.Anchors : ChannelType.StaticRemoteKey;
}

/**
 * Reads a received `channel_type`: one of static_remotekey,
 * static_remotekey+scid_alias, anchors+static_remotekey(+scid_alias); an
 * odd bit, an unknown bit, zero-conf, or a combination we do not build is
 * `null` (the channel is refused).
 */
export function parseChannelType(bytes: Uint8Array): NegotiatedChannelType | null {
  const bits = featureBitsOf(bytes);
  const known = new Set([STATIC_REMOTEKEY_BIT, ANCHORS_ZERO_FEE_HTLC_TX_BIT, SCID_ALIAS_BIT]);
  if (bits.some((b) => !known.has(b))) return null;
  if (!bits.includes(STATIC_REMOTEKEY_BIT)) return null;
  return { anchors: bits.includes(ANCHORS_ZERO_FEE_HTLC_TX_BIT), scidAlias: bits.includes(SCID_ALIAS_BIT) };
}

/**
 * The type we propose in `open_channel` given the peer's `init` features:
 * anchors when both sides want them, else static_remotekey. We do not ask
 * for scid_alias (LDK's `negotiate_scid_privacy` is off by default too).
 */
export function proposedChannelType(theirInitFeatures: Uint8Array, negotiateAnchors: boolean): NegotiatedChannelType {
  const anchors = negotiateAnchors && isFeatureSupported(theirInitFeatures, 'option_anchors_zero_fee_htlc_tx');
  return { anchors, scidAlias: false };
}

/** True when `a` and `b` name the same channel type. */
export function sameChannelType(a: NegotiatedChannelType, b: NegotiatedChannelType): boolean {
  return a.anchors === b.anchors && a.scidAlias === b.scidAlias;
}

/**
 * The TLV type under which every persisted record (channel, monitor,
 * manager event) stores its channel type. Even: a reader that predates it
 * refuses the record rather than reading every channel as static_remotekey.
 */
export const CHANNEL_TYPE_RECORD_TLV = 46;

/**
 * The one stored form of a channel type: its BOLT 9 feature bytes, exactly
 * as `open_channel`'s `channel_type` TLV carries them ({@link channelTypeBytes}).
 * Reading accepts only a type we build ({@link parseChannelType}); anything
 * else is a DecodeError.
 */
export const channelTypeRecordCodec: Codec<NegotiatedChannelType> = {
  read: (r) => {
    const bytes = r.rest();
    const type = parseChannelType(bytes);
    if (type === null) throw new DecodeError('invalid-value', `channel_type: not a type we build (${bytes.length} feature bytes)`);
    return type;
  },
  write: (w, type) => void w.bytes(channelTypeBytes(type)),
};

/** The stored bytes of `type` (the value of TLV {@link CHANNEL_TYPE_RECORD_TLV}). */
export function encodeChannelTypeRecord(type: NegotiatedChannelType): Uint8Array {
  return channelTypeBytes(type);
}

/** Reads bytes written by {@link encodeChannelTypeRecord}; never throws. */
export function decodeChannelTypeRecord(bytes: Uint8Array): DecodeResult<NegotiatedChannelType> {
  return decode(channelTypeRecordCodec, bytes);
}
