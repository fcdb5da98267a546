/**
 * AWS Lambda entry of the webhook delivery function (webhook queue, partial
 * batch failures). The node context is built at the first invocation and
 * reused by the container.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { awsNodeContext, once } from '../runtime/aws-context.js';
import { createWebhookHandler } from './handler.js';

const webhookHandler = once(async () => createWebhookHandler(await awsNodeContext()));

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  return (await webhookHandler())(event, context);
}
