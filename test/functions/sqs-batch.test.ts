/**
 * The SQS batch loop every consumer shares (functions/runtime/sqs-batch.ts):
 * partial failures reported per record, a FIFO group stopped at its first
 * failure (its later records fail unprocessed, in order for the retry),
 * other groups going on, and a batch where everything failed answered, not
 * thrown.
 */
import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { processFifoBatch, processStandardBatch } from '../../functions/runtime/sqs-batch.js';

function record(id: string, group: string): SQSRecord {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: id,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 's', ApproximateFirstReceiveTimestamp: '0', MessageGroupId: group, MessageDeduplicationId: `d-${id}` },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:1:q.fifo',
    awsRegion: 'us-east-1',
  };
}

describe('processFifoBatch', () => {
  it('fails the rest of a failed record\'s group unprocessed while other groups go on, in order', async () => {
    const records = [record('a1', 'A'), record('b1', 'B'), record('a2', 'A'), record('b2', 'B'), record('a3', 'A')];
    const seen: string[] = [];
    const result = await processFifoBatch({ Records: records }, async (r, index) => {
      seen.push(`${r.messageId}@${index}`);
      if (r.messageId === 'a2') throw new Error('transient');
    });
    expect(seen).toEqual(['a1@0', 'b1@1', 'a2@2', 'b2@3']);
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['a2', 'a3']);
  });

  it('answers a batch whose every record failed with every record, without throwing', async () => {
    const records = [record('a1', 'A'), record('b1', 'B')];
    const result = await processFifoBatch({ Records: records }, () => Promise.reject(new Error('down')));
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['a1', 'b1']);
  });

  it('answers no failures when every record is handled', async () => {
    const result = await processFifoBatch({ Records: [record('a1', 'A')] }, async () => undefined);
    expect(result).toEqual({ batchItemFailures: [] });
  });
});

describe('processStandardBatch', () => {
  it('handles the records side by side; a failure is that record\'s alone', async () => {
    const records = [record('x1', ''), record('x2', ''), record('x3', '')];
    let running = 0;
    let most = 0;
    const result = await processStandardBatch({ Records: records }, async (r) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      if (r.messageId === 'x2') throw new Error('receiver down');
    });
    expect(most).toBe(3);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'x2' }]);
  });
});
