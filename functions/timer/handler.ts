/**
 * The timer Lambda (EventBridge, once a minute): the node's
 * `timer_tick_occurred`. Its one job so far, pinging peers, moved to the peer
 * gateway (ping/pong are connection state: docs/gateway.md, "Keepalive"), so
 * a tick takes no lease; it looks for webhook attempts due (one Query) and
 * hands them to the delivery function.
 */
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import type { NodeContext } from '../runtime/node-context.js';
import { deliverDueWebhooks } from '../webhooks/webhook-delivery.js';

export function createTimerHandler(ctx: NodeContext) {
  async function handle(event: Pick<ScheduledEvent, 'id'>): Promise<{ outcome: 'nothing-to-do' }> {
    // Webhook attempts due now (docs/webhooks.md): one Query, nothing more when none is due; never under the lease.
    await deliverDueWebhooks(ctx).catch((error: unknown) => ctx.logger.error('timer tick: webhook deliveries', { tick: event.id, error: String(error) }));
    ctx.logger.debug('timer tick: nothing to do', { tick: event.id });
    return { outcome: 'nothing-to-do' };
  }
  return middy(handle);
}
