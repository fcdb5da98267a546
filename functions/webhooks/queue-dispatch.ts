/**
 * The webhook queue (AWS): a standard SQS queue whose messages name delivery
 * items with attempts due (`{"firstEventIds":["17",...]}`). A commit's new
 * deliveries and the timer's due ones are sent here, and the delivery
 * function consumes them; the retry schedule itself lives in the items
 * (`WEBHOOK_DUE#`), not in the queue, so a retry a day later waits in
 * DynamoDB, not in a message.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** The ids one message carries, at most. */
export const IDS_PER_MESSAGE = 25;

export function encodeDispatch(firstEventIds: readonly bigint[]): string {
  return JSON.stringify({ firstEventIds: firstEventIds.map(String) });
}

/** The ids of a queue message; undefined when the body is not one of ours (dropped, not retried). */
export function decodeDispatch(body: string): bigint[] | undefined {
  try {
    const parsed = JSON.parse(body) as { firstEventIds?: unknown };
    if (!Array.isArray(parsed.firstEventIds) || parsed.firstEventIds.length > IDS_PER_MESSAGE) return undefined;
    if (!parsed.firstEventIds.every((id) => typeof id === 'string' && /^[0-9]{1,20}$/.test(id))) return undefined;
    return (parsed.firstEventIds as string[]).map((id) => BigInt(id));
  } catch {
    return undefined;
  }
}

/** A dispatcher sending the ids to the webhook queue (one message per {@link IDS_PER_MESSAGE}). */
export function sqsWebhookDispatch(client: SQSClient, queueUrl: string): (firstEventIds: readonly bigint[]) => Promise<void> {
  return async (ids) => {
    for (let i = 0; i < ids.length; i += IDS_PER_MESSAGE) {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: encodeDispatch(ids.slice(i, i + IDS_PER_MESSAGE)) }));
    }
  };
}
