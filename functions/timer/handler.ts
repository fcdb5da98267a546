/**
 * The timer Lambda (EventBridge, once a minute): the node's
 * `timer_tick_occurred` for its peers: ping each, disconnect those that did
 * not answer the previous ping. One input under the lease; the schedule's
 * event id makes a redelivered tick a no-op. A lease that stays taken for
 * the whole wait is contention: logged at INFO, outcome `busy`, the next
 * tick runs.
 */
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { decodePeerState, encodePeerState, peerTimerTick, type PeerEffect } from '../../shared/manager/index.js';
import { SortKey } from '../../shared/store/index.js';
import { applyInput, isLeaseHeld, type InvocationResult, type Outcome } from '../runtime/invocation.js';
import type { NodeContext } from '../runtime/node-context.js';

export function createTimerHandler(ctx: NodeContext) {
  async function handle(event: Pick<ScheduledEvent, 'id'>): Promise<{ outcome: Outcome | 'busy'; peers: number }> {
    let peers = 0;
    const inputId = `tick-${event.id}`;
    let outcome: Outcome;
    try {
      outcome = await applyInput(ctx, inputId, async (store): Promise<InvocationResult> => {
        const items = await store.query(ctx.nodeKey, SortKey.peer(''));
        const puts: { sk: string; data: Uint8Array }[] = [];
        const effects: PeerEffect[] = [];
        for (const item of items) {
          const decoded = decodePeerState(item.data);
          if (!decoded.ok) {
            ctx.logger.error('peer item does not decode; skipped by the timer', { sk: item.sk, reason: decoded.error.reason });
            continue;
          }
          peers++;
          const step = peerTimerTick(decoded.value);
          if (step.state) puts.push({ sk: item.sk, data: encodePeerState(step.state) });
          effects.push(...step.effects);
        }
        return { puts, deletes: [], effects };
      });
    } catch (error) {
      if (!isLeaseHeld(error)) throw error;
      // Contention, not a failure: the next tick pings (a missed tick only delays a ping by one interval).
      ctx.logger.info('timer tick skipped: the node lease is held by another input', { inputId, waitedMs: ctx.leaseWaitMs });
      return { outcome: 'busy', peers: 0 };
    }
    return { outcome, peers };
  }
  return middy(handle);
}
