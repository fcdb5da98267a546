/**
 * One input's events as ONE item (docs/events.md, docs/items.md):
 * `EVENT#<first id>` holding all of them (ids consecutive,
 * shared/manager `encodeEventItem`, `eventItemOf`), so an input that emits hundreds of
 * events (a `revoke_and_ack` settling 966 HTLCs) costs one write of its
 * commit, not hundreds. Events over one item's size (350 KiB, about 2,000
 * events) continue in the next item, keyed by its own first id: one write
 * per 350 KiB.
 */
import { encodeEventRecord, eventItemOf, type EventRecord } from '../manager/index.js';
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
  let run: { record: EventRecord; body: Uint8Array }[] = [];
  let size = ITEM_OVERHEAD;
  const flush = () => {
    if (run.length > 0) out.push({ sk: SortKey.event(run[0]!.record.id), data: eventItemOf(run.map((e) => e.body)) });
    run = [];
    size = ITEM_OVERHEAD;
  };
  for (const record of events) {
    // Each event encoded once: its bytes size the item, then go in it.
    const body = encodeEventRecord(record);
    const bytes = body.length + PER_EVENT_OVERHEAD;
    const last = run[run.length - 1]?.record;
    if (last !== undefined && (record.id !== last.id + 1n || size + bytes > maxItemBytes)) flush();
    run.push({ record, body });
    size += bytes;
  }
  flush();
  return out;
}
