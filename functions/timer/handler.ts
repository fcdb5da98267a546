/**
 * The timer Lambda (EventBridge, once a minute; the embedded deployment runs
 * it on an interval): the node's `timer_tick_occurred` (docs/timer.md), one
 * call per periodic job, each answering what it did: the manager's tick under
 * the lease, the webhook attempts due (one Query, never under the lease;
 * docs/webhooks.md), and the follow-ups a queue lost, sent again (never
 * under the lease; docs/follow-ups.md).
 */
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { resendLostFollowUps, type FollowUpWatchReport } from '../runtime/follow-up-watch.js';
import { sendOutbound } from '../runtime/invocation.js';
import type { NodeContext } from '../runtime/node-context.js';
import { deliverDueWebhooks } from '../webhooks/webhook-delivery.js';
import { runTimerTick, type TimerTickOutcome } from './timer-tick.js';

export interface TimerResult {
  /** The manager's tick: MPP timeouts and our `update_fee`s (timer-tick.ts). */
  readonly tick: TimerTickOutcome;
  /** Lost follow-ups sent again (follow-up-watch.ts); absent when that job failed (logged). */
  readonly followUps?: FollowUpWatchReport;
}

export function createTimerHandler(ctx: NodeContext) {
  async function handle(event: Pick<ScheduledEvent, 'id'>): Promise<TimerResult> {
    // A failed delivery round must not cost the manager its tick, nor the reverse: each job on its own.
    const [tick, , followUps] = await Promise.all([
      runTimerTick(ctx, event.id),
      deliverDueWebhooks(ctx).catch((error: unknown) => ctx.logger.error('timer tick: webhook deliveries', { tick: event.id, error: String(error) })),
      resendLostFollowUps(ctx, sendOutbound(ctx)).catch((error: unknown) => {
        ctx.logger.error('timer tick: lost follow-ups', { tick: event.id, error: String(error) });
        return undefined;
      }),
    ]);
    return { tick, ...(followUps === undefined ? {} : { followUps }) };
  }
  return middy(handle);
}
