/**
 * The delivery function (webhook queue, standard SQS, partial batch
 * failures): each message names delivery items; their attempts due now are
 * made (webhook-delivery.ts), never under the node's lease. A record whose
 * item cannot be read or written fails and comes back (to the DLQ after the
 * queue's maximum receives); a receiver's failure is not the record's: it is
 * recorded in the item and retried on the item's own schedule.
 */
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { NodeContext } from '../runtime/node-context.js';
import { processStandardBatch } from '../runtime/sqs-batch.js';
import { deliverBatch, type DeliveryOptions } from './webhook-delivery.js';
import { decodeDispatch } from './queue-dispatch.js';

export function createWebhookHandler(ctx: NodeContext, options: DeliveryOptions = {}) {
  async function handle(event: Pick<SQSEvent, 'Records'>): Promise<SQSBatchResponse> {
    return processStandardBatch(event, async (record) => {
      const ids = decodeDispatch(record.body);
      if (ids === undefined) {
        ctx.logger.error('dropping a webhook queue message that is not a dispatch', { messageId: record.messageId });
        return;
      }
      try {
        await Promise.all(ids.map((id) => deliverBatch(ctx, id, options)));
      } catch (error) {
        ctx.logger.error('webhook delivery failed; the message comes back', { messageId: record.messageId, error: String(error) });
        throw error;
      }
    });
  }
  return middy(handle);
}
