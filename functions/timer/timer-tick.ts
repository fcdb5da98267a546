/**
 * The node's timer tick under the lease (docs/timer.md): LDK's
 * `timer_tick_occurred` on the manager loaded for a `timer-tick` input
 * (the header, the oldest `MPP#` index items, the `FUNDER#` index items and
 * the connected peers; never the channels), committed as any input is. Its
 * per-channel work leaves as follow-ups in the peers' inbound groups.
 */
import { SortKey } from '../../shared/store/index.js';
import type { ManagerInput, TimerTickReport } from '../../shared/manager/index.js';
import { peersNow } from '../chain/channel-consumer.js';
import { applyInput, isLeaseHeld, type Outcome } from '../runtime/invocation.js';
import { loadManager, takeChangesFunded } from '../runtime/manager-step.js';
import type { NodeContext } from '../runtime/node-context.js';
import { StepReads } from '../runtime/step-reads.js';

/**
 * What a tick did: `applied` (committed) with the manager's report,
 * `duplicate` (this tick's id was applied already), `no-node` (no manager
 * header yet: nothing to tick), `busy` (another input held the lease for
 * the whole wait: nothing written, the next tick does the work).
 */
export type TimerTickOutcome =
  | { readonly outcome: Outcome; readonly inputId: string; readonly report?: TimerTickReport }
  | { readonly outcome: 'no-node' | 'busy'; readonly inputId: string };

const TICK_INPUT: ManagerInput = { kind: 'timer-tick' };

/** One tick of the node, id `timer-<eventId>` (a redelivered event is a duplicate). Never throws for a held lease. */
export async function runTimerTick(ctx: NodeContext, eventId: string): Promise<TimerTickOutcome> {
  const inputId = `timer-${eventId}`;
  if ((await ctx.store.get(ctx.nodeKey, SortKey.header)) === undefined) return { outcome: 'no-node', inputId };
  let report: TimerTickReport | undefined;
  try {
    const outcome = await applyInput(ctx, inputId, async (store) => {
      const reads = new StepReads(ctx, store);
      void reads.header();
      void reads.fees();
      const peers = await peersNow(ctx, store);
      const manager = await loadManager(ctx, store, TICK_INPUT, peers.connected, reads, peers.connections);
      report = manager.timerTickOccurred();
      return takeChangesFunded(ctx, store, manager, reads);
    });
    if (report !== undefined && (report.mppTimedOut > 0 || report.feeUpdates > 0 || report.channelsDisabled > 0)) ctx.logger.info('timer tick', { ...report });
    return { outcome, inputId, ...(outcome === 'applied' && report !== undefined ? { report } : {}) };
  } catch (error) {
    if (!isLeaseHeld(error)) throw error;
    ctx.logger.info('timer tick deferred: the node lease is held by another input');
    return { outcome: 'busy', inputId };
  }
}
