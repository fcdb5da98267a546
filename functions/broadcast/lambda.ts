/**
 * AWS Lambda entry of the broadcast function (broadcast FIFO queue, partial
 * batch failures). The node context is built at the first invocation and
 * reused by the container.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { awsNodeContext, once } from '../runtime/aws-context.js';
import { createBroadcastHandler } from './handler.js';

const broadcastHandler = once(async () => createBroadcastHandler(await awsNodeContext()));

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  return (await broadcastHandler())(event, context);
}
