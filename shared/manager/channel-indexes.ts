/**
 * Index items (docs/manager.md, "Index items"): small items, one per lookup,
 * that name the channel an input needs, so that no input loads every
 * channel and the manager header stays the same size whatever the number of
 * channels. Each is maintained in the commit that changes its channel: the
 * entries a channel implies are computed from the channel alone
 * ({@link indexEntriesOf}), and the commit writes the difference with what
 * the channel implied before ({@link indexChanges}); no index write needs a read.
 *
 * | key | value | lookup |
 * |---|---|---|
 * | `CONFIRMING#<peer>#<channel id>` | funding txid, where it confirmed | blocks: the funded channels not yet {@link REORG_SAFE_DEPTH} deep |
 * | `SCID#<scid hex>` | peer, channel id | a forward or a payment names a channel by short channel id or alias |
 * | `OUTPOINT#<txid hex>:<vout>` | peer, channel id | a watched outpoint (the funding output) is spent |
 * | `PAYMENT#<payment hash hex>#<peer>#<channel id>` | peer, channel id | a claim or a payment's result: the channels whose HTLCs carry the hash |
 * | `EXPIRY#<height, 10 digits>#<peer>#<channel id>` | peer, channel id | a block: the channels with an HTLC expiring at that height |
 * | `FUNDER#<peer>#<channel id>` | peer, channel id, feerate, anchors | a timer tick: the ready channels we fund, whose feerate may need an `update_fee` |
 * | `MPP#<tick, 10 digits>#<payment hash hex>` | payment hash | a timer tick: payments still collecting parts, oldest first (docs/timer.md) |
 * | `ANCHOR#<peer>#<channel id>` | peer, channel id | the wallet: the funded anchor channels not closed, each keeping an anchor reserve (shared/wallet/anchor-reserve.ts) |
 *
 * Per-HTLC index items are put by the commit that adds the HTLC (one per
 * `update_add_htlc`), but never deleted in the commit that resolves it: one
 * `revoke_and_ack` may settle 483 HTLCs, and a commit holds at most 100
 * writes. Their deletes are deferred (`deferred`: deleted after the commit,
 * as the outbox is; docs/items.md); until then a reader that follows one to
 * its channel finds no such HTLC there, and moves on. Pure.
 */
import { DecodeError, fixedBytes, point, struct, u32, u8, versionedRecord, tlvRecord, type DecodeResult } from '../codec/index.js';
import { ChannelState, shortChannelIdOfChannel, type Channel, type HtlcRecord } from '../channel/index.js';
import { toHex } from '../crypto/index.js';
import { equalBytes } from '../codec/index.js';
import type { ChannelEntry } from './channel-entry.js';
import { isStillConfirming } from './header-index.js';
import type { ConfirmingEntry } from './manager-header.js';

/** An index item's key, below the store's `INDEX#` prefix. */
export type IndexKey = string;

export const IndexPrefix = {
  confirming: 'CONFIRMING#',
  scid: 'SCID#',
  outpoint: 'OUTPOINT#',
  payment: 'PAYMENT#',
  expiry: 'EXPIRY#',
  funder: 'FUNDER#',
  mpp: 'MPP#',
  anchor: 'ANCHOR#',
} as const;

/** Index kinds with one item per HTLC (or per hash or height): deleted after the commit, never in it. */
const PER_HTLC: readonly string[] = [IndexPrefix.payment, IndexPrefix.expiry];

/** Where an index item points: a channel item. */
export interface ChannelRef {
  readonly counterpartyNodeId: Uint8Array;
  readonly channelId: Uint8Array;
}

export function confirmingKey(e: ChannelRef): IndexKey {
  return `${IndexPrefix.confirming}${toHex(e.counterpartyNodeId)}#${toHex(e.channelId)}`;
}

export function scidKey(scid: bigint): IndexKey {
  return `${IndexPrefix.scid}${scid.toString(16).padStart(16, '0')}`;
}

/** The prefix of the index items of one payment hash (a Query lists its channels). */
export function paymentKeyPrefix(paymentHash: Uint8Array): IndexKey {
  return `${IndexPrefix.payment}${toHex(paymentHash)}#`;
}

/** The prefix of the index items of one expiry height (a block lists the channels with HTLCs expiring there). */
export function expiryKeyPrefix(height: number): IndexKey {
  return `${IndexPrefix.expiry}${height.toString().padStart(10, '0')}#`;
}

function channelSuffix(ref: ChannelRef): string {
  return `${toHex(ref.counterpartyNodeId)}#${toHex(ref.channelId)}`;
}

/** The index item of a payment collecting parts since timer tick `tick` (not derived from a channel: inbound-htlcs.ts writes it). */
export function mppKey(tick: number, paymentHash: Uint8Array): IndexKey {
  return `${IndexPrefix.mpp}${tick.toString().padStart(10, '0')}#${toHex(paymentHash)}`;
}

/** The tick and payment hash an `MPP#` key names; undefined for a key of another shape. */
export function parseMppKey(key: IndexKey): { tick: number; paymentHashHex: string } | undefined {
  const m = /^MPP#(\d{10})#([0-9a-f]{64})$/.exec(key);
  return m === null ? undefined : { tick: Number(m[1]), paymentHashHex: m[2]! };
}

/** The index item of a funded anchor channel not closed (the wallet counts them for its anchor reserve). */
export function anchorKey(ref: ChannelRef): IndexKey {
  return `${IndexPrefix.anchor}${channelSuffix(ref)}`;
}

export function funderKey(ref: ChannelRef): IndexKey {
  return `${IndexPrefix.funder}${channelSuffix(ref)}`;
}

/** A ready channel we fund, as the timer tick sees it: its committed (or pending) feerate and whether it has anchors. */
export interface FunderEntry extends ChannelRef {
  readonly feeratePerKw: number;
  readonly anchors: boolean;
}

/** `txid` in internal byte order (as the channel stores it). */
export function outpointKey(txid: Uint8Array, vout: number): IndexKey {
  return `${IndexPrefix.outpoint}${toHex(txid)}:${vout}`;
}

/**
 * Version 1: 0 the confirming entry (peer, channel id, funding txid, height
 * and block hash, 0 when unconfirmed), 1 its funding output index, 2 a
 * channel reference, 3 a funder entry's feerate and anchors flag (with 2).
 */
const indexRecord = versionedRecord('index-item', 1, {
  confirming: tlvRecord(
    0,
    struct([
      ['counterpartyNodeId', point],
      ['channelId', fixedBytes(32)],
      ['fundingTxid', fixedBytes(32)],
      ['height', u32],
      ['blockHash', fixedBytes(32)],
    ] as const),
  ),
  fundingOutputIndex: tlvRecord(1, u32),
  ref: tlvRecord(2, struct([['counterpartyNodeId', point], ['channelId', fixedBytes(32)]] as const)),
  fee: tlvRecord(3, struct([['feeratePerKw', u32], ['anchors', u8]] as const)),
});

export function encodeConfirmingIndex(e: ConfirmingEntry): Uint8Array {
  return indexRecord.encode({
    confirming: {
      counterpartyNodeId: e.counterpartyNodeId,
      channelId: e.channelId,
      fundingTxid: e.fundingTxid,
      height: e.confirmation?.height ?? 0,
      blockHash: e.confirmation?.blockHash ?? new Uint8Array(32),
    },
    ...(e.fundingOutputIndex === undefined ? {} : { fundingOutputIndex: e.fundingOutputIndex }),
  });
}

export function decodeConfirmingIndex(bytes: Uint8Array): DecodeResult<ConfirmingEntry> {
  const result = indexRecord.decode(bytes);
  if (!result.ok) return result;
  const v = result.value.confirming;
  if (v === undefined) return { ok: false, error: new DecodeError('invalid-value', 'index-item: not a confirming entry') };
  return {
    ok: true,
    value: {
      counterpartyNodeId: v.counterpartyNodeId,
      channelId: v.channelId,
      fundingTxid: v.fundingTxid,
      ...(result.value.fundingOutputIndex === undefined ? {} : { fundingOutputIndex: result.value.fundingOutputIndex }),
      ...(v.height > 0 ? { confirmation: { height: v.height, blockHash: v.blockHash } } : {}),
    },
  };
}

export function encodeChannelRef(ref: ChannelRef): Uint8Array {
  return indexRecord.encode({ ref: { counterpartyNodeId: ref.counterpartyNodeId, channelId: ref.channelId } });
}

export function decodeChannelRef(bytes: Uint8Array): DecodeResult<ChannelRef> {
  const result = indexRecord.decode(bytes);
  if (!result.ok) return result;
  const v = result.value.ref;
  if (v === undefined) return { ok: false, error: new DecodeError('invalid-value', 'index-item: not a channel reference') };
  return { ok: true, value: v };
}

export function encodeFunderEntry(e: FunderEntry): Uint8Array {
  return indexRecord.encode({ ref: { counterpartyNodeId: e.counterpartyNodeId, channelId: e.channelId }, fee: { feeratePerKw: e.feeratePerKw, anchors: e.anchors ? 1 : 0 } });
}

export function decodeFunderEntry(bytes: Uint8Array): DecodeResult<FunderEntry> {
  const result = indexRecord.decode(bytes);
  if (!result.ok) return result;
  const { ref, fee } = result.value;
  if (ref === undefined || fee === undefined) return { ok: false, error: new DecodeError('invalid-value', 'index-item: not a funder entry') };
  return { ok: true, value: { ...ref, feeratePerKw: fee.feeratePerKw, anchors: fee.anchors === 1 } };
}

/**
 * What {@link indexEntriesOf} gave for an entry: entries are immutable, and a
 * step's `after` is the next step's `before` (each commit diffs both).
 */
const entriesOf = new WeakMap<ChannelEntry, ReadonlyMap<IndexKey, Uint8Array>>();

/** The index items `entry` implies, by key (none for an inbound request or a channel not funded yet). */
export function indexEntriesOf(entry: ChannelEntry | null | undefined): ReadonlyMap<IndexKey, Uint8Array> {
  if (entry === null || entry === undefined) return new Map();
  let out = entriesOf.get(entry);
  if (out === undefined) {
    out = entriesImplied(entry);
    entriesOf.set(entry, out);
  }
  return out;
}

function entriesImplied(entry: ChannelEntry): Map<IndexKey, Uint8Array> {
  const c = indexedChannel(entry);
  if (c === undefined) return new Map();
  const { out, ref, refBytes } = channelLevelEntries(c);
  const suffix = channelSuffix(ref);
  for (const htlc of c.htlcs ?? []) {
    if (hashIndexed(htlc)) out.set(`${paymentKeyPrefix(htlc.paymentHash)}${suffix}`, refBytes);
    if (expiryIndexed(htlc)) out.set(`${expiryKeyPrefix(htlc.cltvExpiry)}${suffix}`, refBytes);
  }
  return out;
}

/** Until it is resolved, an HTLC is found by its payment hash (a resolved one needs no lookup by hash any more). */
function hashIndexed(h: HtlcRecord): boolean {
  return h.resolution === undefined;
}

/**
 * Until it is resolved, an HTLC is found by its expiry height; so is a
 * received one we fulfilled, until it is gone: the preimage is out, and
 * only the chain still gets it for us if the peer does not remove it before
 * its expiry (htlc-expiry.ts).
 */
function expiryIndexed(h: HtlcRecord): boolean {
  return h.resolution === undefined || (h.direction === 'received' && h.resolution.kind === 'fulfill');
}

/** The channel of `entry` when it implies index items (funded, not closed). */
function indexedChannel(entry: ChannelEntry | null | undefined): (Channel & { readonly funding: NonNullable<Channel['funding']> }) | undefined {
  if (entry === null || entry === undefined || entry.kind !== 'channel') return undefined;
  const c = entry.channel;
  return c.state === ChannelState.Closed || c.funding === undefined ? undefined : (c as Channel & { readonly funding: NonNullable<Channel['funding']> });
}

/**
 * The index items of a funded channel but its per-HTLC ones (in
 * {@link indexEntriesOf}'s order), and the reference they all hold. Every
 * field read here (and by `isStillConfirming`, `shortChannelIdOfChannel`)
 * is compared by {@link sameChannelLevel}.
 */
function channelLevelEntries(c: Channel & { readonly funding: NonNullable<Channel['funding']> }): { out: Map<IndexKey, Uint8Array>; ref: ChannelRef; refBytes: Uint8Array } {
  const out = new Map<IndexKey, Uint8Array>();
  const ref: ChannelRef = { counterpartyNodeId: c.counterpartyNodeId, channelId: c.funding.channelId };
  const refBytes = encodeChannelRef(ref);
  out.set(outpointKey(c.funding.outpoint.txid, c.funding.outpoint.index), refBytes);
  out.set(scidKey(c.holderAlias), refBytes);
  const scid = shortChannelIdOfChannel(c);
  if (scid !== null) out.set(scidKey(scid), refBytes);
  if (isStillConfirming(c)) {
    const confirmation = c.confirmation ? { confirmation: { height: c.confirmation.height, blockHash: c.confirmation.blockHash } } : {};
    out.set(confirmingKey(ref), encodeConfirmingIndex({ ...ref, fundingTxid: c.funding.outpoint.txid, fundingOutputIndex: c.funding.outpoint.index, ...confirmation }));
  }
  if (c.channelType.anchors) out.set(anchorKey(ref), refBytes);
  if (c.state === ChannelState.Ready && c.isOutbound) {
    // The feerate the channel is moving to (a pending update of ours), else the committed one: what a tick compares its estimate with.
    out.set(funderKey(ref), encodeFunderEntry({ ...ref, feeratePerKw: c.pendingFeeUpdate?.feeratePerKw ?? c.feeratePerKw, anchors: c.channelType.anchors }));
  }
  return { out, ref, refBytes };
}

/**
 * `indexChanges(indexEntriesOf(before), indexEntriesOf(after))`, the same
 * writes in the same order, without building the per-HTLC keys of the
 * HTLCs both versions hold alike (a step changes a few of a channel's
 * HTLCs; each key is two hex strings): a key of an HTLC only one version
 * holds is kept when an HTLC of the other version implies it too (the
 * same hash, or the same expiry height). The general diff when the two are
 * not the same funded channel.
 */
export function channelIndexChanges(
  before: ChannelEntry | null | undefined,
  after: ChannelEntry | null | undefined,
): { put: Map<IndexKey, Uint8Array>; delete: IndexKey[]; deferred: IndexKey[] } {
  const b = indexedChannel(before);
  const a = indexedChannel(after);
  if (b === undefined || a === undefined || !equalBytes(b.counterpartyNodeId, a.counterpartyNodeId) || !equalBytes(b.funding.channelId, a.funding.channelId)) {
    return indexChanges(indexEntriesOf(before), indexEntriesOf(after));
  }
  // The same channel-level fields imply the same entries: `a` shares `b`'s (computed once per loaded channel, not per step).
  const same = sameChannelLevel(b, a);
  const afterLevel = same ? keptChannelLevel(b) : keptChannelLevel(a);
  if (same) channelLevelOf.set(a, afterLevel);
  const changes = same ? { put: new Map<IndexKey, Uint8Array>(), delete: [], deferred: [] } : indexChanges(keptChannelLevel(b).out, afterLevel.out);
  const suffix = channelSuffix(afterLevel.ref);
  const beforeHtlcs = b.htlcs ?? [];
  const afterHtlcs = a.htlcs ?? [];
  const vanished = perHtlcKeysOnlyIn(beforeHtlcs, afterHtlcs, suffix);
  for (const key of perHtlcKeysOnlyIn(afterHtlcs, beforeHtlcs, suffix)) changes.put.set(key, afterLevel.refBytes);
  changes.deferred.push(...vanished);
  return changes;
}

/** Whether two versions of one funded channel (the same peer and channel id) imply the same {@link channelLevelEntries}: the fields it reads are equal. */
function sameChannelLevel(b: Channel & { readonly funding: NonNullable<Channel['funding']> }, a: Channel & { readonly funding: NonNullable<Channel['funding']> }): boolean {
  const bc = b.confirmation;
  const ac = a.confirmation;
  return (
    b.state === a.state &&
    b.isOutbound === a.isOutbound &&
    b.holderAlias === a.holderAlias &&
    b.bestHeight === a.bestHeight &&
    b.minimumDepth === a.minimumDepth &&
    b.feeratePerKw === a.feeratePerKw &&
    b.pendingFeeUpdate?.feeratePerKw === a.pendingFeeUpdate?.feeratePerKw &&
    b.channelType.anchors === a.channelType.anchors &&
    b.funding.outpoint.index === a.funding.outpoint.index &&
    equalBytes(b.funding.outpoint.txid, a.funding.outpoint.txid) &&
    (bc === ac || (bc !== undefined && ac !== undefined && bc.height === ac.height && bc.txIndex === ac.txIndex && equalBytes(bc.blockHash, ac.blockHash)))
  );
}

/** {@link channelLevelEntries} of each channel diffed (a step's `after` is the next step's `before`); read only. */
const channelLevelOf = new WeakMap<Channel, ReturnType<typeof channelLevelEntries>>();

function keptChannelLevel(c: Channel & { readonly funding: NonNullable<Channel['funding']> }): ReturnType<typeof channelLevelEntries> {
  let level = channelLevelOf.get(c);
  if (level === undefined) {
    level = channelLevelEntries(c);
    channelLevelOf.set(c, level);
  }
  return level;
}

/** The per-HTLC keys the HTLCs `ours` imply and the HTLCs `theirs` do not, in `ours`' order, once each. */
function perHtlcKeysOnlyIn(ours: readonly HtlcRecord[], theirs: readonly HtlcRecord[], suffix: string): IndexKey[] {
  const same = new Set<HtlcRecord>(theirs);
  const heights = new Set<number>(theirs.filter(expiryIndexed).map((h) => h.cltvExpiry));
  const keys = new Set<IndexKey>();
  for (const h of ours) {
    // The same record implies the same keys, which `theirs` holds.
    if (same.has(h)) continue;
    if (hashIndexed(h) && !theirs.some((t) => hashIndexed(t) && equalBytes(t.paymentHash, h.paymentHash))) keys.add(`${paymentKeyPrefix(h.paymentHash)}${suffix}`);
    if (expiryIndexed(h) && !heights.has(h.cltvExpiry)) keys.add(`${expiryKeyPrefix(h.cltvExpiry)}${suffix}`);
  }
  return [...keys];
}

/**
 * The index writes that take a channel from the entries `before` to
 * `after`: changed or new items put, vanished ones deleted in the commit,
 * or after it (`deferred`) for the per-HTLC kinds.
 */
export function indexChanges(
  before: ReadonlyMap<IndexKey, Uint8Array>,
  after: ReadonlyMap<IndexKey, Uint8Array>,
): { put: Map<IndexKey, Uint8Array>; delete: IndexKey[]; deferred: IndexKey[] } {
  const put = new Map<IndexKey, Uint8Array>();
  for (const [key, value] of after) {
    const old = before.get(key);
    if (old === undefined || !equalBytes(old, value)) put.set(key, value);
  }
  const vanished = [...before.keys()].filter((key) => !after.has(key));
  const perHtlc = (key: IndexKey) => PER_HTLC.some((p) => key.startsWith(p));
  return { put, delete: vanished.filter((k) => !perHtlc(k)), deferred: vanished.filter(perHtlc) };
}
