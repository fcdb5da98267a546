/**
 * The items one channel's change writes (docs/items.md), planned without
 * I/O: the payments code hands over what changed and gets back the commit's
 * puts and deletes, and the keys whose deletion waits for after the commit
 * (`Commit.cleanup`: ONE item in the transaction, whatever their number).
 *
 * - The channel item (the compact HTLC records inside it) when it changed.
 * - A received HTLC's onion, and a failure reason, written ONCE: by the
 *   commit of the message that brought it.
 * - The counterparty's HTLC signatures on our newest commitment: ONE item
 *   per commitment; the previous commitment's item is deleted in the same
 *   commit (one delete).
 * - HTLCs resolved for good (removed from both commitments, both
 *   revocations received): their onion and failure reason are not deleted
 *   in this commit (a `revoke_and_ack` may settle 966 of them; a transaction
 *   holds 100 writes) but listed for the deferred cleanup.
 *
 * So a message writes what changed: a bounded number of items, each bounded
 * in size, independent of how many HTLCs are in flight.
 */
import {
  encodeFailureReason,
  encodeHtlcSignatures,
  encodeOnionRecord,
  type HtlcDirection,
  type HtlcRecord,
  type HtlcSignatureSet,
} from '../channel/index.js';
import { SortKey } from './layout.js';

/** What one input changed on one channel. */
export interface ChannelChanges {
  /** The channel's id (hex): the side items' key. */
  readonly channelIdHex: string;
  /** The channel item's key (the manager's ChannelKey, `<peer hex>#<channel id hex>`) and new bytes, when it changed. */
  readonly channel?: { readonly key: string; readonly data: Uint8Array };
  /** Onions of HTLCs received in this input (`update_add_htlc`). */
  readonly onions?: readonly { readonly htlcId: bigint; readonly onion: Uint8Array }[];
  /** Failure reasons sent or received in this input (`update_fail_htlc`). */
  readonly failureReasons?: readonly { readonly direction: HtlcDirection; readonly htlcId: bigint; readonly reason: Uint8Array }[];
  /** The counterparty's signatures on our new commitment (`commitment_signed`), and the number of the commitment whose item it replaces. */
  readonly htlcSignatures?: { readonly set: HtlcSignatureSet; readonly replaces?: bigint };
  /** HTLCs resolved for good in this input: their side items go to the cleanup. */
  readonly resolved?: readonly HtlcRecord[];
}

/** A commit's part for one channel: `puts` and `deletes` in the transaction, `cleanup` after it. */
export interface PlannedWrites {
  readonly puts: { readonly sk: string; readonly data: Uint8Array }[];
  readonly deletes: string[];
  readonly cleanup: string[];
}

/** The side items a resolved HTLC may have: a received one its onion; a failed one with a reason its reason. */
export function sideItemsOf(channelIdHex: string, htlc: HtlcRecord): string[] {
  const keys: string[] = [];
  if (htlc.direction === 'received') keys.push(SortKey.onion(channelIdHex, htlc.id));
  if (htlc.resolution?.kind === 'fail' && htlc.resolution.hasReason) keys.push(SortKey.failureReason(channelIdHex, htlc.direction, htlc.id));
  return keys;
}

/** The writes of `changes` (see the module comment). */
export function planChannelWrites(changes: ChannelChanges): PlannedWrites {
  const id = changes.channelIdHex;
  const puts: { sk: string; data: Uint8Array }[] = [];
  const deletes: string[] = [];
  if (changes.channel !== undefined) puts.push({ sk: SortKey.channel(changes.channel.key), data: changes.channel.data });
  for (const { htlcId, onion } of changes.onions ?? []) puts.push({ sk: SortKey.onion(id, htlcId), data: encodeOnionRecord(onion) });
  for (const { direction, htlcId, reason } of changes.failureReasons ?? []) {
    puts.push({ sk: SortKey.failureReason(id, direction, htlcId), data: encodeFailureReason(reason) });
  }
  const sigs = changes.htlcSignatures;
  if (sigs !== undefined) {
    puts.push({ sk: SortKey.htlcSignatures(id, sigs.set.commitmentNumber), data: encodeHtlcSignatures(sigs.set) });
    if (sigs.replaces !== undefined && sigs.replaces !== sigs.set.commitmentNumber) deletes.push(SortKey.htlcSignatures(id, sigs.replaces));
  }
  // A side item written in this very commit and resolved in it too (never both in one message today) is simply not kept.
  const cleanup = (changes.resolved ?? []).flatMap((h) => sideItemsOf(id, h));
  const obsolete = new Set(cleanup);
  const written = new Set(puts.map((p) => p.sk));
  return { puts: puts.filter((p) => !obsolete.has(p.sk)), deletes, cleanup: cleanup.filter((k) => !written.has(k)) };
}
