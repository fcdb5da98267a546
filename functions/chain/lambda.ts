/**
 * AWS Lambda entry of the chain function (EventBridge rule, rate 1 minute,
 * or invoked on demand without an event id). The node context is built at
 * the first invocation and reused by the container.
 */
import type { Context } from 'aws-lambda';
import { awsNodeContext, once } from '../runtime/aws-context.js';
import { createChainHandler, type ChainEvent, type ChainResult } from './handler.js';

const chainHandler = once(async () => createChainHandler(await awsNodeContext()));

export async function handler(event: ChainEvent, context: Context): Promise<ChainResult> {
  return (await chainHandler())(event, context);
}
