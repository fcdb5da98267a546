/**
 * One input's events as ONE item (docs/events.md, docs/items.md):
 * `EVENT#<first id>` holding all of them (ids consecutive,
 * shared/manager `encodeEventItem`), so an input that emits hundreds of
 * events (a `revoke_and_ack` settling 966 HTLCs) costs one write of its
 * commit, not hundreds. Events over one item's size (350 KiB, about 2,000
 * events) continue in the next item, keyed by its own first id: one write
 * per 350 KiB.
 */
import { encodeEventItem, encodeEventRecord, type EventRecord } from '../manager/index.js';
import { SortKey } from './layout.js';

/** The most bytes one event item holds (DynamoDB's 400 KB less room for key and names, as the outbox). */
export const MAX_EVENT_ITEM_BYTES = 350 * 1024;

/** Per-event overhead inside a batch item besides the event's own bytes (its length prefix), at most. */
const PER_EVENT_OVERHEAD = 9;
/** The batch item's own header (version, record type and length), at most. */
const ITEM_OVERHEAD = 1 + 1 + 9;

/** The items of `events` (one input's, in id order): as few as fit, each a run of consecutive ids. */
export function eventItemWrites(events: readonly EventRecord[], maxItemBytes: number = MAX_EVENT_ITEM_BYTES): { sk: string; data: Uint8Array }[] {
  const out: { sk: string; data: Uint8Array }[] = [];
  let run: EventRecord[] = [];
  let size = ITEM_OVERHEAD;
  const flush = () => {
    if (run.length > 0) out.push({ sk: SortKey.event(run[0]!.id), data: encodeEventItem(run) });
    run = [];
    size = ITEM_OVERHEAD;
  };
  for (const e of events) {
    const bytes = encodeEventRecord(e).length + PER_EVENT_OVERHEAD;
    const last = run[run.length - 1];
    if (last !== undefined && (e.id !== last.id + 1n || size + bytes > maxItemBytes)) flush();
    run.push(e);
    size += bytes;
  }
  flush();
  return out;
}
