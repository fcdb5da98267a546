/**
 * AWS Lambda entry of the peer-message function (SQS FIFO event source with
 * `reportBatchItemFailures`). The node context is built at the first
 * invocation and reused by the container; see functions/runtime/aws-context.ts.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { awsNodeContext, once } from '../runtime/aws-context.js';
import { createPeerMessageHandler } from './handler.js';

const peerMessageHandler = once(async () => createPeerMessageHandler(await awsNodeContext()));

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  return (await peerMessageHandler())(event, context);
}
