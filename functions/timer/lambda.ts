/**
 * AWS Lambda entry of the timer function (EventBridge rule, rate 1 minute).
 * The node context is built at the first invocation and reused by the
 * container; see functions/runtime/aws-context.ts.
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { awsNodeContext, once } from '../runtime/aws-context.js';
import { createTimerHandler, type TimerResult } from './handler.js';

const timerHandler = once(async () => createTimerHandler(await awsNodeContext()));

export async function handler(event: ScheduledEvent, context: Context): Promise<TimerResult> {
  return (await timerHandler())(event, context);
}
