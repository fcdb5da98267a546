/**
 * One channel item of the store (`CHANNEL#<peer hex>#<channel id hex>`): a
 * channel record of shared/channel with what the manager keeps beside it
 * (the monitor update id, messages held while a monitor write is in
 * progress), or an inbound `open_channel` waiting for the user's decision
 * under the manual acceptance policy. Keyed by peer then channel id: BOLT 2
 * temporary ids are unique per peer only.
 */
import { DecodeError, point, repeated, restBytes, tlvRecord, u32, u64, u8, utf8Rest, versionedRecord, type Codec, type DecodeResult } from '../codec/index.js';
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
  /** Beside the phase (`channel.state`): present only when a flag is set. */
  readonly flags?: ChannelFlags;
  /**
   * The peer connection on which our `channel_reestablish` went out (its
   * gateway connection id; docs/follow-ups.md): a `reestablish` follow-up
   * for that connection finds it done. TLV 25.
   */
  readonly reestablishedOn?: string;
}

/**
 * The per-channel flags beside the channel's phase (docs/manager.md,
 * "Message routing"). A flag is set when true and absent otherwise.
 */
export interface ChannelFlags {
  /**
   * We sent `channel_reestablish` after a reconnection and wait for the
   * peer's: until it comes, nothing else is sent on this channel (BOLT 2). TLV 20.
   */
  readonly awaitingReestablish?: true;
  /**
   * The peer is not connected. Never persisted: derived from the connected
   * peers at load (`ChangeSet.flagsOf`); writing it on every disconnection
   * would load and rewrite each funded channel of the peer.
   */
  readonly peerDisconnected?: true;
  /** We sent `commitment_signed` and wait for the peer's `revoke_and_ack` (payments; never set yet). TLV 22. */
  readonly awaitingRemoteRevoke?: true;
}

/** `item` with `patch` applied to its flags (false clears one; no `flags` when none is set). */
export function withFlags(item: ChannelItem, patch: { readonly [K in keyof ChannelFlags]?: boolean }): ChannelItem {
  const merged: Record<string, true> = {};
  for (const [k, v] of Object.entries({ ...item.flags, ...patch })) if (v === true) merged[k] = true;
  const { flags: _old, ...rest } = item;
  return Object.keys(merged).length > 0 ? { ...rest, flags: merged as ChannelFlags } : rest;
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
 * 20 flag awaiting the peer's channel_reestablish (1), 22 flag awaiting the
 * peer's revoke_and_ack (1; even: a reader that does not know it must not
 * drop it), 25 the connection our channel_reestablish went out on (odd:
 * an older reader resends it, which BOLT 2 allows). `peerDisconnected` is
 * derived, never written.
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
  awaitingRemoteRevoke: tlvRecord(22, u8),
  reestablishedOn: tlvRecord(25, utf8Rest),
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
    ...(e.flags?.awaitingReestablish ? { awaitingReestablish: 1 } : {}),
    ...(e.flags?.awaitingRemoteRevoke ? { awaitingRemoteRevoke: 1 } : {}),
    ...(e.reestablishedOn !== undefined ? { reestablishedOn: e.reestablishedOn } : {}),
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
  const item: ChannelItem = {
    kind: 'channel',
    channel: channel.value,
    ...(v.latestMonitorUpdateId !== undefined ? { latestMonitorUpdateId: v.latestMonitorUpdateId } : {}),
    ...(held ? { held } : {}),
    ...(v.reestablishedOn !== undefined ? { reestablishedOn: v.reestablishedOn } : {}),
  };
  return { ok: true, value: withFlags(item, { awaitingReestablish: v.awaitingReestablish === 1, awaitingRemoteRevoke: v.awaitingRemoteRevoke === 1 }) };
}

