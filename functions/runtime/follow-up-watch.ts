/**
 * Lost follow-ups (docs/follow-ups.md, "Lost follow-ups"). A follow-up input
 * leaves its commit's outbox for the inbound queue; a queue that loses it
 * (fauxqs at a crash of `npm start`, a message moved to the dead-letter
 * queue on AWS) would lose work nothing else makes again: a claim's
 * fulfills, a payment's result, the decision on received HTLCs. So the
 * commit that makes such follow-ups also writes them, once more, in a
 * `FOLLOWUP#<ms>#<input id>` item; the timer looks at the items older than
 * {@link FOLLOW_UP_RESEND_AFTER_MS}, sends again each follow-up that has no
 * input record yet (same id: a copy is dropped by the queue or refused as a
 * replay), and deletes an item once all of its follow-ups were applied.
 * Nothing here takes the lease: the item is written only by its commit.
 */
import { INPUT_RETENTION_SEC, SortKey, decodeOutboxRecord, encodeOutboxRecord, outboxParts, type ItemPut, type OutboxMessage } from '../../shared/store/index.js';
import type { NodeContext } from './node-context.js';

/** How old a watched follow-up without an input record must be before the timer sends it again. */
export const FOLLOW_UP_RESEND_AFTER_MS = 30_000;

/** Items the timer looks at per run (pages of 100): a backlog is worked off over several ticks. */
const MAX_ITEMS_PER_RUN = 1_000;

/** The `FOLLOWUP#` items of a commit whose outbox holds watched follow-ups (`watched`: their messages); none otherwise. */
export function followUpWatchPuts(inputId: string, watched: readonly OutboxMessage[], nowMs: number): ItemPut[] {
  if (watched.length === 0) return [];
  const ttlSec = Math.floor(nowMs / 1000) + INPUT_RETENTION_SEC;
  return outboxParts(watched).map((part, i) => ({ sk: SortKey.followUpWatch(nowMs, inputId, i + 1), data: encodeOutboxRecord(part), ttlSec }));
}

/** When a watched item was committed (ms), from its sort key. */
function watchedAtMs(sk: string): number {
  return Number(sk.slice(SortKey.followUpWatchPrefix.length, SortKey.followUpWatchPrefix.length + 15));
}

/** What one run did: follow-ups sent again, and items deleted because all of theirs were applied. */
export interface FollowUpWatchReport {
  readonly resent: number;
  readonly settled: number;
}

/**
 * Sends again the watched follow-ups older than `olderThanMs` that were
 * never applied, and deletes the items whose follow-ups all were.
 * `send` hands messages to the inbound queue (invocation.ts `sendOutbound`).
 */
export async function resendLostFollowUps(
  ctx: Pick<NodeContext, 'store' | 'nodeKey' | 'logger'>,
  send: (messages: readonly OutboxMessage[]) => Promise<void>,
  olderThanMs = FOLLOW_UP_RESEND_AFTER_MS,
): Promise<FollowUpWatchReport> {
  const { store, nodeKey, logger } = ctx;
  const cutoff = store.nowMs() - olderThanMs;
  let resent = 0;
  let settled = 0;
  let seen = 0;
  let after: string | undefined;
  while (seen < MAX_ITEMS_PER_RUN) {
    const page = await store.queryPage(nodeKey, SortKey.followUpWatchPrefix, { after, limit: 100 });
    for (const item of page.items) {
      // Oldest first: the first item young enough ends the run.
      if (watchedAtMs(item.sk) > cutoff) return { resent, settled };
      seen++;
      const decoded = decodeOutboxRecord(item.data);
      if (!decoded.ok) {
        logger.error('dropping a watched follow-up item that does not decode', { sk: item.sk, error: decoded.error.message });
        await store.deleteItems(nodeKey, [item.sk]);
        continue;
      }
      const applied = await store.appliedInputs(nodeKey, decoded.value.map((m) => m.id));
      const lost = decoded.value.filter((m) => !applied.has(m.id));
      if (lost.length === 0) {
        await store.deleteItems(nodeKey, [item.sk]);
        settled++;
        continue;
      }
      logger.warn('follow-ups not applied yet: sent again', { ids: lost.map((m) => m.id), ageMs: store.nowMs() - watchedAtMs(item.sk) });
      await send(lost);
      resent += lost.length;
    }
    if (!page.more) break;
    after = page.items.at(-1)?.sk;
  }
  return { resent, settled };
}
