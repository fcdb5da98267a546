/**
 * One channel item of the store (`CHANNEL#<peer hex>#<channel id hex>`): a
 * channel record of shared/channel with what the manager keeps beside it
 * (the monitor update id, messages held while a monitor write is in
 * progress), or an inbound `open_channel` waiting for the user's decision
 * under the manual acceptance policy. Keyed by peer then channel id: BOLT 2
 * temporary ids are unique per peer only.
 */
import { DecodeError, point, repeated, restBytes, tlvRecord, u32, u64, u8, versionedRecord, type Codec, type DecodeResult } from '../codec/index.js';
import { decodeChannel, encodeChannel, type Channel } from '../channel/index.js';
import { toHex } from '../crypto/index.js';
import { decodeMessage, encodeMessage, type OpenChannelMessage, type WireMessage } from '../wire/index.js';

/** The key of a channel item: `<peer node id hex>#<channel id hex>` (the channel's current id). */
export type ChannelKey = string;

/** The key of the channel `channelId` with `counterpartyNodeId`. */
export function channelKey(counterpartyNodeId: Uint8Array, channelId: Uint8Array): ChannelKey {
  return `${toHex(counterpartyNodeId)}#${toHex(channelId)}`;
}

/** Effects held back while a monitor write is in progress (LDK's frozen channel). */
export interface HeldEffects {
  /** The monitor update id that must complete first. */
  readonly untilUpdateId: bigint;
  readonly messages: readonly WireMessage[];
  readonly broadcasts: readonly Uint8Array[];
}

/** A channel as the manager stores it. */
export interface ChannelItem {
  readonly kind: 'channel';
  readonly channel: Channel;
  /** Id of the last monitor write (0: `watchChannel`); absent before the channel is funded. */
  readonly latestMonitorUpdateId?: bigint;
  readonly held?: HeldEffects;
  /**
   * We sent `channel_reestablish` after a reconnection and wait for the
   * peer's: until it comes, nothing else is sent on this channel (BOLT 2).
   */
  readonly awaitingReestablish?: true;
}

/** An `open_channel` that passed the checks, waiting for `acceptInboundChannel` (manual policy). */
export interface OpenChannelRequestItem {
  readonly kind: 'open-request';
  readonly counterpartyNodeId: Uint8Array;
  readonly theirInitFeatures: Uint8Array;
  readonly open: OpenChannelMessage;
  readonly receivedAtHeight: number;
}

export type ChannelEntry = ChannelItem | OpenChannelRequestItem;

const lengthPrefixed: Codec<Uint8Array> = {
  read: (r) => r.bytes(r.u32()),
  write: (w, v) => void w.u32(v.length).bytes(v),
};

const KIND_CHANNEL = 0;
const KIND_OPEN_REQUEST = 1;

/**
 * Version 1: 0 kind, 2 channel record, 4 latest monitor update id, 6 held
 * until update id, 8 held messages, 10 held broadcasts, 12 the peer's
 * open_channel, 14 its node id, 16 its init features, 18 height received,
 * 20 awaiting the peer's channel_reestablish (1).
 */
const entryRecord = versionedRecord('channel-entry', 1, {
  kind: tlvRecord(0, u8),
  channel: tlvRecord(2, restBytes),
  latestMonitorUpdateId: tlvRecord(4, u64),
  heldUntil: tlvRecord(6, u64),
  heldMessages: tlvRecord(8, repeated(lengthPrefixed)),
  heldBroadcasts: tlvRecord(10, repeated(lengthPrefixed)),
  open: tlvRecord(12, restBytes),
  counterpartyNodeId: tlvRecord(14, point),
  theirInitFeatures: tlvRecord(16, restBytes),
  receivedAtHeight: tlvRecord(18, u32),
  awaitingReestablish: tlvRecord(20, u8),
});

/** The item's persisted bytes. */
export function encodeChannelEntry(e: ChannelEntry): Uint8Array {
  if (e.kind === 'open-request') {
    return entryRecord.encode({
      kind: KIND_OPEN_REQUEST,
      open: encodeMessage(e.open),
      counterpartyNodeId: e.counterpartyNodeId,
      theirInitFeatures: e.theirInitFeatures,
      receivedAtHeight: e.receivedAtHeight,
    });
  }
  return entryRecord.encode({
    kind: KIND_CHANNEL,
    channel: encodeChannel(e.channel),
    ...(e.latestMonitorUpdateId !== undefined ? { latestMonitorUpdateId: e.latestMonitorUpdateId } : {}),
    ...(e.held
      ? { heldUntil: e.held.untilUpdateId, heldMessages: e.held.messages.map((m) => encodeMessage(m)), heldBroadcasts: e.held.broadcasts }
      : {}),
    ...(e.awaitingReestablish ? { awaitingReestablish: 1 } : {}),
  });
}

function invalid(message: string): { ok: false; error: DecodeError } {
  return { ok: false, error: new DecodeError('invalid-value', `channel-entry: ${message}`) };
}

/** Reads an item written by {@link encodeChannelEntry}; never throws. */
export function decodeChannelEntry(bytes: Uint8Array): DecodeResult<ChannelEntry> {
  const result = entryRecord.decode(bytes);
  if (!result.ok) return result;
  const v = result.value;
  if (v.kind === KIND_OPEN_REQUEST) {
    if (v.open === undefined || v.counterpartyNodeId === undefined || v.theirInitFeatures === undefined || v.receivedAtHeight === undefined) {
      return invalid('open request without its fields');
    }
    const open = decodeMessage(v.open);
    if (open.kind !== 'message' || open.message.type !== 32) return invalid('open request without a valid open_channel');
    return {
      ok: true,
      value: { kind: 'open-request', open: open.message, counterpartyNodeId: v.counterpartyNodeId, theirInitFeatures: v.theirInitFeatures, receivedAtHeight: v.receivedAtHeight },
    };
  }
  if (v.kind !== KIND_CHANNEL || v.channel === undefined) return invalid('unknown kind or no channel');
  const channel = decodeChannel(v.channel);
  if (!channel.ok) return channel;
  let held: HeldEffects | undefined;
  if (v.heldUntil !== undefined) {
    const messages: WireMessage[] = [];
    for (const bytes of v.heldMessages ?? []) {
      const m = decodeMessage(bytes);
      if (m.kind !== 'message') return invalid('a held message does not decode');
      messages.push(m.message);
    }
    held = { untilUpdateId: v.heldUntil, messages, broadcasts: v.heldBroadcasts ?? [] };
  }
  return {
    ok: true,
    value: {
      kind: 'channel',
      channel: channel.value,
      ...(v.latestMonitorUpdateId !== undefined ? { latestMonitorUpdateId: v.latestMonitorUpdateId } : {}),
      ...(held ? { held } : {}),
      ...(v.awaitingReestablish === 1 ? { awaitingReestablish: true as const } : {}),
    },
  };
}

