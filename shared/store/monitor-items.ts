/**
 * A channel monitor's items (docs/monitor.md): a snapshot plus the numbered
 * updates after it, consolidated every {@link MONITOR_UPDATES_PER_SNAPSHOT}
 * updates as LDK Node's persister does (`maximum_pending_updates` 100).
 *
 * | sk | item |
 * |---|---|
 * | `MONITOR#<id>#<0>` | the snapshot written at `watchChannel` (as before consolidation existed) |
 * | `MONITOR#<id>#<u>` | update `u` (u not a multiple of N) |
 * | `MONITOR#<id>#<k>#SNAPSHOT` | the monitor with updates 1..k applied (k a multiple of N), written instead of update k |
 *
 * Sequence numbers are zero-padded to 20 digits, so a snapshot at `k` sorts
 * after every update before `k` and before update `k + 1`: reading newest
 * first and stopping at the first snapshot reads the current monitor in at
 * most N items (N − 1 updates and a snapshot). The items a snapshot at `k`
 * supersedes (the snapshot before it and updates k − N + 1 .. k − 1) are
 * deleted by the N − 1 writes that follow, one each (update k + j deletes
 * update k − N + j; update k + 1 also the snapshot at k − N): no commit
 * grows by more than two deletes, and no delete needs a read.
 *
 * Justice records (docs/monitor.md): a `latest-counterparty-commitment`
 * step's HTLC set (and feerate, amounts) goes to an item of its own,
 * `MONITOR_HTLCS#<id>#<commitment number>` (written without the channel id
 * and the number its key names), in the same commit; the update
 * item keeps a `latest-counterparty-commitment-summary` step (number, txid,
 * point) instead. Justice records are never superseded: they are the part
 * of a monitor that grows with history (as in LDK), read one at a time by
 * commitment number ({@link justiceRecordFromItem}), never by a monitor read.
 *
 * Our commitments: a `latest-holder-commitment` step is kept as a
 * `latest-holder-commitment-summary` (number, txid, HTLC signatures and
 * HTLCs): the transaction a force close broadcasts is the channel's (its
 * `#holder` part), so a monitor read from these items knows our latest
 * commitment by its txid (docs/items.md "Bytes per HTLC").
 * Pure: no I/O.
 */
import type { DecodeError } from '../codec/index.js';
import { fromHex, toHex } from '../crypto/index.js';
import type { MonitorWrite } from '../manager/index.js';
import {
  applyMonitorUpdate,
  decodeJusticeRecord,
  decodeMonitor,
  decodeMonitorUpdate,
  encodeStoredJusticeRecord,
  encodeMonitor,
  encodeStoredMonitorUpdate,
  encodeWatchedChannel,
  splitCounterpartyCommitment,
  summarizeHolderCommitment,
  type ChannelMonitor,
  type ChannelMonitorUpdate,
  type JusticeRecord,
  type MonitorUpdateStep,
} from '../monitor/index.js';
import { StoreError, StoreErrorCode } from './errors.js';
import { SortKey } from './layout.js';

/** Updates between two snapshots: every N-th update is written as a snapshot (LDK Node's persister: 100). */
export const MONITOR_UPDATES_PER_SNAPSHOT = 100n;

/** Whether update `updateId` (0: the first snapshot) is written as a snapshot. */
export function isSnapshotPoint(updateId: bigint, every: bigint = MONITOR_UPDATES_PER_SNAPSHOT): boolean {
  return updateId % every === 0n;
}

/** The sort key of the snapshot holding updates 1..`updateId` (0: the one of `watchChannel`). */
export function monitorSnapshotKey(channelIdHex: string, updateId: bigint): string {
  return updateId === 0n ? SortKey.monitor(channelIdHex, 0n) : `${SortKey.monitor(channelIdHex, updateId)}${SNAPSHOT_SUFFIX}`;
}

const SNAPSHOT_SUFFIX = '#SNAPSHOT';
const ZERO_SEQUENCE = `#${'0'.repeat(20)}`;

/** Whether a `MONITOR#` sort key holds a snapshot (the first one, or a consolidation's). */
export function isMonitorSnapshotKey(sk: string): boolean {
  return sk.endsWith(SNAPSHOT_SUFFIX) || sk.endsWith(ZERO_SEQUENCE);
}

/**
 * What the store does for one monitor write: the item to put, the justice
 * records its counterparty commitments add (usually none, one per
 * `latest-counterparty-commitment` step), and the superseded items to delete.
 */
export interface MonitorItemWrites {
  readonly put: { readonly sk: string; readonly data: Uint8Array };
  readonly justice: readonly { readonly sk: string; readonly data: Uint8Array }[];
  readonly deletes: readonly string[];
}

/** The `CHAIN_WATCH#` item of a new monitor (its funding output watched). */
function chainWatchItem(id: string, snapshot: Uint8Array): { sk: string; data: Uint8Array } {
  const monitor = decodeMonitor(snapshot);
  if (!monitor.ok) corrupt(monitorSnapshotKey(id, 0n), monitor.error);
  const { channelId, counterpartyNodeId, fundingOutpoint, fundingScriptPubKey } = monitor.value;
  return { sk: SortKey.chainWatch(id), data: encodeWatchedChannel({ channelId, counterpartyNodeId, fundingOutpoint, fundingScript: fundingScriptPubKey, phase: 'funding' }) };
}

/**
 * An update as the store keeps it: each `latest-counterparty-commitment`
 * step replaced by its summary, the rest as justice records, and each
 * `latest-holder-commitment` step by its summary (the txid instead of the
 * transaction: the channel's `#holder` part, written in the same commit,
 * holds it; docs/items.md "Bytes per HTLC"; the dance gives the summary
 * itself since session 12, so only a caller still writing the whole step
 * meets this); written without the channel
 * id, which the item's key names (`encodeStoredMonitorUpdate`).
 */
function keptUpdate(
  channelIdHex: string,
  update: ChannelMonitorUpdate,
): { readonly data: Uint8Array; readonly justice: { readonly sk: string; readonly data: Uint8Array }[] } {
  const justice: { sk: string; data: Uint8Array }[] = [];
  const steps: MonitorUpdateStep[] = update.steps.map((step) => {
    if (step.kind === 'latest-holder-commitment') return summarizeHolderCommitment(step) ?? step;
    if (step.kind !== 'latest-counterparty-commitment') return step;
    const { summary, record } = splitCounterpartyCommitment(update.channelId, step);
    justice.push({ sk: SortKey.monitorHtlcs(channelIdHex, step.commitmentNumber), data: encodeStoredJusticeRecord(record) });
    return summary;
  });
  return { data: encodeStoredMonitorUpdate({ ...update, steps }), justice };
}

/**
 * The sort keys a plain update `updateId` deletes: those of items the last
 * snapshot superseded (see the module comment). None before the first
 * consolidation.
 */
export function supersededBy(channelIdHex: string, updateId: bigint, every: bigint = MONITOR_UPDATES_PER_SNAPSHOT): string[] {
  const j = updateId % every;
  const k = updateId - j;
  if (j === 0n || k < every) return [];
  const out = [SortKey.monitor(channelIdHex, k - every + j)];
  if (j === 1n) out.push(monitorSnapshotKey(channelIdHex, k - every));
  return out;
}

/**
 * The channels (hex ids) of `writes` whose monitor the store must read
 * before the commit: those with an update at a snapshot point, and no
 * snapshot earlier in the same writes to start from.
 */
export function monitorsToRead(writes: readonly MonitorWrite[], every: bigint = MONITOR_UPDATES_PER_SNAPSHOT): string[] {
  const fromWrites = new Set<string>();
  const out = new Set<string>();
  for (const w of writes) {
    if (w.updateId === 0n) fromWrites.add(w.channelIdHex);
    else if (isSnapshotPoint(w.updateId, every) && !fromWrites.has(w.channelIdHex)) out.add(w.channelIdHex);
  }
  return [...out];
}

function corrupt(sk: string, error: DecodeError | string): never {
  throw new StoreError(StoreErrorCode.CorruptItem, `${sk}: ${typeof error === 'string' ? error : error.message}`);
}

/**
 * The store writes of a commit's monitor writes, in order. `before` holds
 * the monitor (as read, {@link monitorFromItems}) of each channel
 * {@link monitorsToRead} named; the updates of the same commit are applied
 * on top of it, so an update at a snapshot point is written as the monitor
 * with it applied. Throws `corrupt-item` when a needed monitor is missing or
 * an update does not apply (a broken invariant).
 */
export function monitorItemWrites(
  writes: readonly MonitorWrite[],
  before: ReadonlyMap<string, ChannelMonitor> = new Map(),
  every: bigint = MONITOR_UPDATES_PER_SNAPSHOT,
): MonitorItemWrites[] {
  // Only the channels with a snapshot point in these writes are followed (decoding costs nothing otherwise).
  const followed = new Set(writes.filter((w) => w.updateId !== 0n && isSnapshotPoint(w.updateId, every)).map((w) => w.channelIdHex));
  const current = new Map([...before].filter(([id]) => followed.has(id)));
  const out: MonitorItemWrites[] = [];
  const justiceKeys = new Set<string>();
  for (const w of writes) {
    const id = w.channelIdHex;
    if (w.updateId === 0n) {
      if (followed.has(id)) {
        const monitor = decodeMonitor(w.bytes);
        if (!monitor.ok) corrupt(monitorSnapshotKey(id, 0n), monitor.error);
        current.set(id, monitor.value);
      }
      // The chain handler watches the funding output from now on (docs/force-close.md), through an index item of its own.
      out.push({ put: { sk: monitorSnapshotKey(id, 0n), data: w.bytes }, justice: [chainWatchItem(id, w.bytes)], deletes: [] });
      continue;
    }
    const sk = SortKey.monitor(id, w.updateId);
    const update = w.update === undefined ? decodeMonitorUpdate(w.bytes) : { ok: true as const, value: w.update };
    if (!update.ok) corrupt(sk, update.error);
    const kept = keptUpdate(id, update.value);
    for (const j of kept.justice) {
      // Two records of one commitment in a commit: DynamoDB would refuse the transaction, and the monitor the second one.
      if (justiceKeys.has(j.sk)) corrupt(j.sk, 'a counterparty commitment given twice in one commit');
      justiceKeys.add(j.sk);
    }
    const monitor = current.get(id);
    if (monitor !== undefined) {
      const applied = applyMonitorUpdate(monitor, update.value);
      if (!applied.ok) corrupt(sk, `update ${w.updateId} does not apply: ${applied.error}`);
      current.set(id, applied.monitor);
    }
    if (!isSnapshotPoint(w.updateId, every)) {
      out.push({ put: { sk, data: kept.data }, justice: kept.justice, deletes: supersededBy(id, w.updateId, every) });
      continue;
    }
    const snapshot = current.get(id);
    if (snapshot === undefined) corrupt(sk, 'a snapshot point, but the monitor was not read first');
    out.push({ put: { sk: monitorSnapshotKey(id, w.updateId), data: encodeMonitor(snapshot) }, justice: kept.justice, deletes: [] });
  }
  return out;
}

/**
 * The current monitor from a channel's items read newest first (a Query
 * in descending sort-key order), stopping at the first snapshot: that
 * snapshot with the updates after it applied in order. Also says how many
 * items it used (the reader stops reading there). Throws `corrupt-item`
 * when the items do not decode or do not apply (we wrote them).
 */
export function monitorFromItems(
  channelIdHex: string,
  newestFirst: Iterable<{ readonly sk: string; readonly data: Uint8Array }>,
): { readonly monitor: ChannelMonitor; readonly itemsUsed: number } | undefined {
  const updates: { sk: string; data: Uint8Array }[] = [];
  for (const item of newestFirst) {
    if (!isMonitorSnapshotKey(item.sk)) {
      updates.push(item);
      continue;
    }
    const snapshot = decodeMonitor(item.data);
    if (!snapshot.ok) corrupt(item.sk, snapshot.error);
    let monitor = snapshot.value;
    if (toHex(monitor.channelId) !== channelIdHex) corrupt(item.sk, 'the snapshot is of another channel');
    for (const u of updates.reverse()) {
      const update = decodeMonitorUpdate(u.data, monitor.channelId);
      if (!update.ok) corrupt(u.sk, update.error);
      const applied = applyMonitorUpdate(monitor, update.value);
      if (!applied.ok) corrupt(u.sk, `does not apply: ${applied.error}`);
      monitor = applied.monitor;
    }
    return { monitor, itemsUsed: updates.length + 1 };
  }
  if (updates.length > 0) corrupt(updates[updates.length - 1]!.sk, 'updates without a snapshot before them');
  return undefined;
}

/**
 * The justice record of counterparty commitment `commitmentNumber` from its
 * item (`SortKey.monitorHtlcs`, one GetItem); undefined when there is none
 * (commitment 0, whose transaction is the monitor's
 * `counterpartyCommitmentTxid` and holds no HTLC, or a commitment never
 * given). Throws `corrupt-item` when it does not decode or is not the
 * record of that channel and number.
 */
export function justiceRecordFromItem(channelIdHex: string, commitmentNumber: bigint, data: Uint8Array | undefined): JusticeRecord | undefined {
  if (data === undefined) return undefined;
  const sk = SortKey.monitorHtlcs(channelIdHex, commitmentNumber);
  // Written without the channel id and the number (the key names them), or with them (before): decodeJusticeRecord checks they are the key's.
  const record = decodeJusticeRecord(data, { channelId: fromHex(channelIdHex), commitmentNumber });
  if (!record.ok) corrupt(sk, record.error);
  if (toHex(record.value.channelId) !== channelIdHex) corrupt(sk, 'the record is of another channel');
  if (record.value.commitmentNumber !== commitmentNumber) corrupt(sk, `the record is of commitment ${record.value.commitmentNumber}`);
  return record.value;
}
