/**
 * Invokes a handler with SQS-shaped events, as Lambda's SQS event source
 * does: long-polls, hands a batch over, deletes the records that succeeded
 * and leaves the reported failures to become visible again.
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { FifoQueue, ReceivedMessage } from '../../shared/pipeline/queues.js';

export interface SqsPoller {
  stop(): Promise<void>;
}

function toRecord(queueArn: string, m: ReceivedMessage): SQSRecord {
  return {
    messageId: m.messageId,
    receiptHandle: m.receiptHandle,
    body: m.body,
    attributes: {
      ApproximateReceiveCount: String(m.receiveCount),
      SentTimestamp: '0',
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: '0',
      MessageGroupId: m.group,
      ...(m.dedupId !== '' ? { MessageDeduplicationId: m.dedupId } : {}),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}

export function startSqsPoller(options: {
  queue: FifoQueue;
  queueArn: string;
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
  batchSize?: number;
  waitSeconds?: number;
  onError?: (error: unknown) => void;
}): SqsPoller {
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const messages = await options.queue.receive(options.batchSize ?? 10, options.waitSeconds ?? 1);
        if (messages.length === 0 || !running) continue;
        const response = await options.handler({ Records: messages.map((m) => toRecord(options.queueArn, m)) });
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        await Promise.all(messages.filter((m) => !failed.has(m.messageId)).map((m) => options.queue.delete(m.receiptHandle)));
      } catch (error) {
        options.onError?.(error);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}
