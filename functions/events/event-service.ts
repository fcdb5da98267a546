/**
 * The node's events for its user (LDK's `Event`s, delivered by pull): the
 * manager stores each as an `EVENT#<id>` item in the commit of the step that
 * emitted it; the user reads the oldest pending ones and acknowledges them
 * by id, which deletes them. Ids grow by one per event, so a consumer that
 * crashes between handling and acknowledging sees the same ids again and
 * skips what it handled (docs/events.md).
 */
import { decodeEventRecord, type EventRecord } from '../../shared/manager/index.js';
import { SortKey } from '../../shared/store/index.js';
import type { NodeContext } from '../runtime/node-context.js';

/** The most events one read returns. */
export const MAX_EVENTS_PER_READ = 100;

/** The oldest pending events, at most `limit`, oldest first. A stored event that does not decode fails the read (never skipped silently). */
export async function pendingEvents(ctx: NodeContext, limit = MAX_EVENTS_PER_READ): Promise<EventRecord[]> {
  const items = await ctx.store.query(ctx.nodeKey, SortKey.eventPrefix, limit);
  return items.map(({ sk, data }) => {
    const decoded = decodeEventRecord(data);
    if (!decoded.ok) throw new Error(`event item ${sk} does not decode: ${decoded.error.message}`);
    return decoded.value;
  });
}

/**
 * Acknowledges every pending event with an id up to `upTo`: they are
 * deleted. Idempotent; events stored later are untouched even when their
 * id is below `upTo` (only items present now are deleted). Returns how many
 * were deleted.
 */
export async function acknowledgeEvents(ctx: NodeContext, upTo: bigint): Promise<number> {
  const items = await ctx.store.query(ctx.nodeKey, SortKey.eventPrefix);
  const last = SortKey.event(upTo);
  const acknowledged = items.filter(({ sk }) => sk <= last).map(({ sk }) => sk);
  await ctx.store.deleteItems(ctx.nodeKey, acknowledged);
  return acknowledged.length;
}
