/**
 * The timer Lambda (EventBridge, once a minute; the embedded deployment runs
 * it on an interval): the node's `timer_tick_occurred` (docs/timer.md), one
 * call per periodic job, each answering what it did: the manager's tick under
 * the lease, the webhook attempts due (one Query, never under the lease;
 * docs/webhooks.md), the follow-ups a queue lost, sent again (never
 * under the lease; docs/follow-ups.md), and, for a node that routes over
 * the public graph, the graph's upkeep: its snapshot rebuilt and stale or
 * closed channels pruned (never under the lease: the graph's own
 * partitions; functions/gossip/graph-upkeep.ts, docs/gossip.md).
 */
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { resendLostFollowUps, type FollowUpWatchReport } from '../runtime/follow-up-watch.js';
import { sendOutbound } from '../runtime/invocation.js';
import type { NodeContext } from '../runtime/node-context.js';
import { deliverDueWebhooks } from '../webhooks/webhook-delivery.js';
import { esploraFundingSpent } from '../gossip/funding-lookup.js';
import { upkeepGraph, type GraphUpkeepRun } from '../gossip/graph-upkeep.js';
import { runTimerTick, type TimerTickOutcome } from './timer-tick.js';

export interface TimerResult {
  /** The manager's tick: MPP timeouts and our `update_fee`s (timer-tick.ts). */
  readonly tick: TimerTickOutcome;
  /** Lost follow-ups sent again (follow-up-watch.ts); absent when that job failed (logged). */
  readonly followUps?: FollowUpWatchReport;
  /** The graph's upkeep (graph-upkeep.ts); absent without `ctx.routing`, or when that job failed (logged). */
  readonly graph?: GraphUpkeepRun;
}

export interface TimerHandlerOptions {
  /** The clock of the graph's upkeep (ms; default `Date.now`). */
  readonly nowMs?: () => number;
  /** Whether a channel's funding output is spent now; default: the node's Esplora. */
  readonly fundingSpent?: (shortChannelId: bigint) => Promise<boolean | undefined>;
}

export function createTimerHandler(ctx: NodeContext, options: TimerHandlerOptions = {}) {
  // The edge's clock and chain source; the look-up keeps funding txids for the container's life.
  const nowMs = options.nowMs ?? (() => Date.now());
  const fundingSpent = options.fundingSpent ?? esploraFundingSpent(ctx.esplora);
  async function graphUpkeep(tick: string): Promise<GraphUpkeepRun | undefined> {
    const routing = ctx.routing;
    if (routing === undefined) return undefined;
    try {
      const run = await upkeepGraph(routing.store, { nowMs: nowMs(), fundingSpent });
      if (run.snapshot !== undefined || (run.pruned?.channels ?? 0) > 0) ctx.logger.info('graph upkeep', { tick, ...run });
      return run;
    } catch (error) {
      ctx.logger.error('timer tick: graph upkeep', { tick, error: String(error) });
      return undefined;
    }
  }
  async function handle(event: Pick<ScheduledEvent, 'id'>): Promise<TimerResult> {
    // A failed delivery round must not cost the manager its tick, nor the reverse: each job on its own.
    const [tick, , followUps, graph] = await Promise.all([
      runTimerTick(ctx, event.id),
      deliverDueWebhooks(ctx).catch((error: unknown) => ctx.logger.error('timer tick: webhook deliveries', { tick: event.id, error: String(error) })),
      resendLostFollowUps(ctx, sendOutbound(ctx)).catch((error: unknown) => {
        ctx.logger.error('timer tick: lost follow-ups', { tick: event.id, error: String(error) });
        return undefined;
      }),
      graphUpkeep(event.id),
    ]);
    return { tick, ...(followUps === undefined ? {} : { followUps }), ...(graph === undefined ? {} : { graph }) };
  }
  return middy(handle);
}
