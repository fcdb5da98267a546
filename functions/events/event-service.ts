/**
 * The node's events for its user (LDK's `Event`s, delivered by pull): the
 * manager stores one input's events as ONE `EVENT#<first id>` item in the
 * commit of the step that emitted them (older items hold one event each);
 * the user reads the oldest pending ones and acknowledges them by id. Ids
 * grow by one per event, so a consumer that crashes between handling and
 * acknowledging sees the same ids again and skips what it handled
 * (docs/events.md).
 *
 * Acknowledging raises `EVENTS_ACKED` (the highest id acknowledged, a
 * conditional max outside the lease) and deletes the items all of whose
 * events are acknowledged; the events of a partly acknowledged item are
 * hidden by the counter until the rest of the item is acknowledged.
 */
import { decodeEventItem, type EventRecord } from '../../shared/manager/index.js';
import { SortKey, type NodeStore } from '../../shared/store/index.js';
import type { NodeContext } from '../runtime/node-context.js';

/** The most events one read returns. */
export const MAX_EVENTS_PER_READ = 100;

/** One stored event item, decoded. A stored item that does not decode fails the read (never skipped silently). */
interface EventItem {
  readonly sk: string;
  readonly events: readonly EventRecord[];
}

function decodeItems(items: readonly { sk: string; data: Uint8Array }[]): EventItem[] {
  return items.map(({ sk, data }) => {
    const decoded = decodeEventItem(data);
    if (!decoded.ok) throw new Error(`event item ${sk} does not decode: ${decoded.error.message}`);
    return { sk, events: decoded.value };
  });
}

/**
 * The events not acknowledged yet, oldest first, at most `limit` (all when
 * undefined); with `after`, only those with a higher id (a read that
 * acknowledges nothing: the pending events before it are read past, so
 * such a read costs as many item reads as the pending events up to it).
 */
export async function unacknowledgedEvents(store: NodeStore, nodeKey: string, limit?: number, after?: bigint): Promise<EventRecord[]> {
  const [acked, first] = await Promise.all([store.readEventsAcked(nodeKey), store.query(nodeKey, SortKey.eventPrefix, limit)]);
  let items = first;
  const pending = (all: typeof items) =>
    decodeItems(all)
      .flatMap((i) => i.events)
      .filter((e) => (acked === undefined || e.id > acked) && (after === undefined || e.id > after));
  let events = pending(items);
  // Items fully acknowledged but not deleted yet (a crash, a racing ack) take room in a limited read: read further.
  if (limit !== undefined) {
    for (let n = limit; events.length < limit && items.length === n; ) {
      n *= 2;
      items = await store.query(nodeKey, SortKey.eventPrefix, n);
      events = pending(items);
    }
  }
  return limit === undefined ? events : events.slice(0, limit);
}

/** The oldest pending events (with an id above `after`, when given), at most `limit`, oldest first. */
export async function pendingEvents(ctx: NodeContext, limit = MAX_EVENTS_PER_READ, after?: bigint): Promise<EventRecord[]> {
  return unacknowledgedEvents(ctx.store, ctx.nodeKey, limit, after);
}

/**
 * Acknowledges every pending event with an id up to `upTo`. Idempotent;
 * events stored later are untouched even when their id is below `upTo`:
 * the counter is raised only to the highest id stored now (ids grow, so a
 * later event's is higher). Items all of whose events are acknowledged are
 * deleted. Returns how many events this call acknowledged.
 */
export async function acknowledgeEvents(ctx: NodeContext, upTo: bigint): Promise<number> {
  const { store, nodeKey } = ctx;
  const items = decodeItems(await store.query(nodeKey, SortKey.eventPrefix));
  const present = items.flatMap((i) => i.events.map((e) => e.id)).filter((id) => id <= upTo);
  if (present.length === 0) return 0;
  const highest = present.reduce((a, b) => (a > b ? a : b));
  const raised = await store.raiseEventsAcked(nodeKey, highest);
  const acked = raised === false ? await store.readEventsAcked(nodeKey) : highest;
  const done = items.filter((i) => acked !== undefined && i.events[i.events.length - 1]!.id <= acked).map((i) => i.sk);
  await store.deleteItems(nodeKey, done);
  if (raised === false) return 0;
  const previous = raised.previous;
  return present.filter((id) => previous === undefined || id > previous).length;
}
