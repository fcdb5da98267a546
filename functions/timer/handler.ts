/**
 * The timer Lambda (EventBridge, once a minute): the node's
 * `timer_tick_occurred`. Its one job so far, pinging peers, moved to the peer
 * gateway (ping/pong are connection state: docs/gateway.md, "Keepalive"), so
 * a tick has nothing to do: it takes no lease and makes no DynamoDB request.
 * The schedule stays for the periodic work to come.
 */
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import type { NodeContext } from '../runtime/node-context.js';

export function createTimerHandler(ctx: NodeContext) {
  async function handle(event: Pick<ScheduledEvent, 'id'>): Promise<{ outcome: 'nothing-to-do' }> {
    ctx.logger.debug('timer tick: nothing to do', { tick: event.id });
    return { outcome: 'nothing-to-do' };
  }
  return middy(handle);
}
