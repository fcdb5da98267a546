/**
 * One channel item of the store (`CHANNEL#<peer hex>#<channel id hex>`): a
 * channel record of shared/channel with what the manager keeps beside it
 * (the monitor update id, messages held while a monitor write is in
 * progress), or an inbound `open_channel` waiting for the user's decision
 * under the manual acceptance policy. Keyed by peer then channel id: BOLT 2
 * temporary ids are unique per peer only.
 */
import { DecodeError, point, repeated, restBytes, struct, tlvRecord, u16, u32, u64, u8, utf8Rest, versionedRecord, type Codec, type DecodeResult } from '../codec/index.js';
import { canonicalChannel, decodeChannel, encodeChannel, encodeChannelParts, joinChannelParts, type Channel } from '../channel/index.js';
import { BoundedCache, sha256Chunks, toHex } from '../crypto/index.js';
import { decodeMessage, encodeMessage, type OpenChannelMessage, type WireMessage } from '../wire/index.js';
import type { ChannelForwarding } from './manager-config.js';

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
  /**
   * Our `channel_update` in force says the channel is disabled (its peer
   * was offline a full minute of timer ticks: channel-update-status.ts);
   * the update's timestamp. Cleared, and an enabled update sent with a
   * newer timestamp, when the peer's `channel_reestablish` makes the
   * channel usable again. TLV 27.
   */
  readonly disabledUpdateAt?: number;
  /** This channel's own forwarding fee and delta (channel-config.ts); absent: the node's. TLV 29. */
  readonly forwarding?: ChannelForwarding;
  /**
   * The policy in force before the last change, still honoured for forwards
   * until `untilSec` (payers may not have our new update yet; LDK keeps its
   * previous `ChannelConfig` for a few timer ticks). TLV 31.
   */
  readonly previousForwarding?: { readonly policy: ChannelForwarding; readonly untilSec: number };
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

const forwardingCodec = struct([
  ['feeBaseMsat', u32],
  ['feeProportionalMillionths', u32],
  ['cltvExpiryDelta', u16],
] as const);

const KIND_CHANNEL = 0;
const KIND_OPEN_REQUEST = 1;

/**
 * Version 1: 0 kind, 2 channel record, 4 latest monitor update id, 6 held
 * until update id, 8 held messages, 10 held broadcasts, 12 the peer's
 * open_channel, 14 its node id, 16 its init features, 18 height received,
 * 20 flag awaiting the peer's channel_reestablish (1), 22 flag awaiting the
 * peer's revoke_and_ack (1; even: a reader that does not know it must not
 * drop it), 24 the channel's parts stored apart (below), 25 the
 * connection our channel_reestablish went out on (odd:
 * an older reader resends it, which BOLT 2 allows), 27 the timestamp of
 * our disabled `channel_update` in force (odd: an older reader sends an
 * enabled one, as before), 29 the channel's own forwarding policy (even: a
 * reader that does not know it would forward at the node's fee), 31 the
 * previous policy and until when it is honoured (odd: dropping it only
 * refuses a late payer sooner). `peerDisconnected` is derived, never written.
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
  parts: tlvRecord(24, u8),
  reestablishedOn: tlvRecord(25, utf8Rest),
  disabledUpdateAt: tlvRecord(27, u32),
  forwarding: tlvRecord(29, forwardingCodec),
  previousForwarding: tlvRecord(31, struct([['policy', forwardingCodec], ['untilSec', u32]] as const)),
});

/**
 * The parts of a channel stored in items of their own (docs/items.md, "The
 * channel item in parts"): `fixed` under `<key>#fixed`, `holder` (our latest
 * commitment) under `<key>#holder`, `secrets` (the counterparty's released
 * per-commitment secrets) under `<key>#secrets`. The item's TLV 2 then
 * holds only the moving part and TLV 24 says which parts to join (bit 1
 * fixed, bit 2 holder, bit 4 secrets): even, so a reader that predates the
 * parts refuses the item rather than reading a channel without its
 * parameters, and one that predates `secrets` refuses bit 4 rather than
 * reading a channel without its secrets.
 */
export type ChannelPartName = 'fixed' | 'holder' | 'secrets';
const PART_BITS: Record<ChannelPartName, number> = { fixed: 1, holder: 2, secrets: 4 };
const PART_NAMES = Object.keys(PART_BITS) as ChannelPartName[];

/** The key of a part of the channel item `key` (a ChannelKey with a third `#` field). */
export function channelPartKey(key: ChannelKey, part: ChannelPartName): string {
  return `${key}#${part}`;
}

/** The keys of every item a channel may have: its item, then its parts (what a read by key asks for). */
export function channelItemKeys(key: ChannelKey): string[] {
  return [key, ...PART_NAMES.map((part) => channelPartKey(key, part))];
}

/** The channel key and part of a part key, undefined for a plain channel key (or an unknown part). */
export function parseChannelPartKey(key: string): { readonly key: ChannelKey; readonly part: ChannelPartName } | undefined {
  const at = key.lastIndexOf('#');
  if (at < 0 || key.indexOf('#') === at) return undefined;
  const part = key.slice(at + 1);
  return (PART_NAMES as string[]).includes(part) ? { key: key.slice(0, at), part: part as ChannelPartName } : undefined;
}

/** A channel entry as the store keeps it: the item's bytes and, for a channel, its parts (written only when they changed). */
export interface ChannelEntryParts {
  readonly item: Uint8Array;
  readonly parts: ReadonlyMap<ChannelPartName, Uint8Array>;
}

/** The item's persisted bytes, the whole channel in one item (what every item was before the parts; still read). */
export function encodeChannelEntry(e: ChannelEntry): Uint8Array {
  return encodeEntry(e, undefined);
}

/** The item's persisted bytes with the channel's fixed part, latest commitment and released secrets apart ({@link ChannelPartName}); an open request has no part. */
export function encodeChannelEntryParts(e: ChannelEntry): ChannelEntryParts {
  if (e.kind === 'open-request') return { item: encodeEntry(e, undefined), parts: new Map() };
  const split = encodeChannelParts(e.channel);
  const parts = new Map<ChannelPartName, Uint8Array>([['fixed', split.fixed]]);
  if (split.holder !== undefined) parts.set('holder', split.holder);
  if (split.secrets !== undefined) parts.set('secrets', split.secrets);
  let bits = 0;
  for (const name of parts.keys()) bits |= PART_BITS[name];
  const item = encodeEntry(e, { moving: split.moving, bits });
  const channel = canonicalChannel(e.channel);
  decodedChannels.set(storedDigest(item, parts), channel === e.channel ? e : { ...e, channel });
  return { item, parts };
}

/**
 * Channels this process encoded, by the digest of their stored bytes (the
 * item and its parts): the next input that loads those same bytes (the
 * session's next input, or a later invocation of this container reading
 * them back) gets the channel without parsing it (docs/payments.md, "Session
 * 13"). Sound because decoding what was encoded gives the
 * same channel, field for field: tests decode every hit again and compare
 * ({@link CHECK_DECODED_CHANNELS}). Entries are immutable values.
 */
const decodedChannels = new BoundedCache<ChannelEntry>(64);

/** Set (`STORMCELL_CHECK_DECODED_CHANNELS=1`, as the tests run) to decode every cache hit as well and throw if it differs. */
const CHECK_DECODED_CHANNELS = typeof process !== 'undefined' && process.env['STORMCELL_CHECK_DECODED_CHANNELS'] === '1';

/** The digest of an item's bytes and the parts given with it (each part tagged with its bit and length-prefixed, in part order). */
function storedDigest(item: Uint8Array, parts: ReadonlyMap<ChannelPartName, Uint8Array>): string {
  const chunks: Uint8Array[] = [taggedLength(0, item), item];
  for (const name of PART_NAMES) {
    const part = parts.get(name);
    if (part !== undefined) chunks.push(taggedLength(PART_BITS[name], part), part);
  }
  return toHex(sha256Chunks(chunks));
}

/** A chunk's 5-byte header in {@link storedDigest}: its tag, then its length (u32, big-endian). */
function taggedLength(tag: number, chunk: Uint8Array): Uint8Array {
  const n = chunk.length;
  return Uint8Array.of(tag, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

function encodeEntry(e: ChannelEntry, split: { readonly moving: Uint8Array; readonly bits: number } | undefined): Uint8Array {
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
    channel: split?.moving ?? encodeChannel(e.channel),
    ...(split !== undefined ? { parts: split.bits } : {}),
    ...(e.latestMonitorUpdateId !== undefined ? { latestMonitorUpdateId: e.latestMonitorUpdateId } : {}),
    ...(e.held
      ? { heldUntil: e.held.untilUpdateId, heldMessages: e.held.messages.map((m) => encodeMessage(m)), heldBroadcasts: e.held.broadcasts }
      : {}),
    ...(e.flags?.awaitingReestablish ? { awaitingReestablish: 1 } : {}),
    ...(e.flags?.awaitingRemoteRevoke ? { awaitingRemoteRevoke: 1 } : {}),
    ...(e.reestablishedOn !== undefined ? { reestablishedOn: e.reestablishedOn } : {}),
    ...(e.disabledUpdateAt !== undefined ? { disabledUpdateAt: e.disabledUpdateAt } : {}),
    ...(e.forwarding !== undefined ? { forwarding: e.forwarding } : {}),
    ...(e.previousForwarding !== undefined ? { previousForwarding: e.previousForwarding } : {}),
  });
}

function invalid(message: string): { ok: false; error: DecodeError } {
  return { ok: false, error: new DecodeError('invalid-value', `channel-entry: ${message}`) };
}

/** The parts an item names (TLV 24), none for an item holding its whole channel. */
export function partsNamedBy(bytes: Uint8Array): ChannelPartName[] {
  const result = entryRecord.decode(bytes);
  const bits = result.ok ? (result.value.parts ?? 0) : 0;
  return PART_NAMES.filter((name) => (bits & PART_BITS[name]) !== 0);
}

/**
 * Reads an item written by {@link encodeChannelEntry} or
 * {@link encodeChannelEntryParts} (then with the parts it names, read from
 * their items); never throws. Parts an item does not name are ignored (left
 * over from before the item was last written whole).
 */
export function decodeChannelEntry(bytes: Uint8Array, parts: ReadonlyMap<ChannelPartName, Uint8Array> = new Map()): DecodeResult<ChannelEntry> {
  const kept = decodedChannels.get(storedDigest(bytes, parts));
  if (kept === undefined) return decodeStoredEntry(bytes, parts);
  if (CHECK_DECODED_CHANNELS) {
    const decoded = decodeStoredEntry(bytes, parts);
    const differs = decoded.ok ? firstDifference(kept, decoded.value, 'entry') : 'the bytes do not decode';
    if (differs !== undefined) throw new Error(`a kept decoded channel differs from decoding its bytes at ${differs}`);
  }
  return { ok: true, value: kept };
}

/**
 * Where `a` and `b` differ as values (bigints, bytes, arrays, plain objects;
 * a key holding undefined counts as absent), undefined when they do not.
 */
export function firstDifference(a: unknown, b: unknown, path: string): string | undefined {
  if (a === b) return undefined;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]) ? undefined : path;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return `${path} (length)`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return path;
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map) || !(b instanceof Map) || a.size !== b.size) return `${path} (map size)`;
    for (const [key, value] of a) {
      const d = b.has(key) ? firstDifference(value, b.get(key), `${path}<${String(key)}>`) : `${path}<${String(key)}> (missing)`;
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path} (kind)`;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  for (const key of new Set([...Object.keys(ao), ...Object.keys(bo)])) {
    const d = firstDifference(ao[key], bo[key], `${path}.${key}`);
    if (d !== undefined) return d;
  }
  return undefined;
}

function decodeStoredEntry(bytes: Uint8Array, parts: ReadonlyMap<ChannelPartName, Uint8Array>): DecodeResult<ChannelEntry> {
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
  const bits = v.parts ?? 0;
  if ((bits & ~(PART_BITS.fixed | PART_BITS.holder | PART_BITS.secrets)) !== 0 || (v.parts !== undefined && (bits & PART_BITS.fixed) === 0)) return invalid('unknown parts');
  const named: Uint8Array[] = [v.channel];
  for (const name of PART_NAMES) {
    if ((bits & PART_BITS[name]) === 0) continue;
    const part = parts.get(name);
    if (part === undefined) return invalid(`its ${name} part is missing`);
    named.push(part);
  }
  const whole = named.length === 1 ? { ok: true as const, value: v.channel } : joinChannelParts(named);
  if (!whole.ok) return whole;
  const channel = decodeChannel(whole.value);
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
    ...(v.disabledUpdateAt !== undefined ? { disabledUpdateAt: v.disabledUpdateAt } : {}),
    ...(v.forwarding !== undefined ? { forwarding: v.forwarding } : {}),
    ...(v.previousForwarding !== undefined ? { previousForwarding: v.previousForwarding } : {}),
  };
  return { ok: true, value: withFlags(item, { awaitingReestablish: v.awaitingReestablish === 1, awaitingRemoteRevoke: v.awaitingRemoteRevoke === 1 }) };
}


/**
 * The entries among stored channel items, keyed by channel key or part key
 * (a Query's items, the `CHANNEL#` prefix removed): each item joined with
 * its parts, by channel key. Part items without their channel item are left
 * out. Never throws.
 */
export function decodeStoredChannels(items: Iterable<readonly [string, Uint8Array]>): Map<ChannelKey, DecodeResult<ChannelEntry>> {
  const all = [...items];
  const parts = storedParts(all);
  const out = new Map<ChannelKey, DecodeResult<ChannelEntry>>();
  for (const [key, bytes] of all) if (parseChannelPartKey(key) === undefined) out.set(key, decodeChannelEntry(bytes, parts.get(key)));
  return out;
}

/** The part items among `items` (keyed as in {@link decodeStoredChannels}), by channel key. */
export function storedParts(items: Iterable<readonly [string, Uint8Array]>): Map<ChannelKey, Map<ChannelPartName, Uint8Array>> {
  const parts = new Map<ChannelKey, Map<ChannelPartName, Uint8Array>>();
  for (const [itemKey, bytes] of items) {
    const part = parseChannelPartKey(itemKey);
    if (part === undefined) continue;
    let of = parts.get(part.key);
    if (of === undefined) parts.set(part.key, (of = new Map()));
    of.set(part.part, bytes);
  }
  return parts;
}
