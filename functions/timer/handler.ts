/**
 * The timer Lambda (EventBridge, once a minute; the embedded deployment runs
 * it on an interval): the node's `timer_tick_occurred` (docs/timer.md), one
 * call per periodic job, each answering what it did.
 */
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import type { NodeContext } from '../runtime/node-context.js';
import { runTimerTick, type TimerTickOutcome } from './timer-tick.js';

export interface TimerResult {
  /** The manager's tick: MPP timeouts and our `update_fee`s (timer-tick.ts). */
  readonly tick: TimerTickOutcome;
}

export function createTimerHandler(ctx: NodeContext) {
  async function handle(event: Pick<ScheduledEvent, 'id'>): Promise<TimerResult> {
    const tick = await runTimerTick(ctx, event.id);
    return { tick };
  }
  return middy(handle);
}
