/**
 * SQS batches with partial failures, through Powertools' batch utility: a
 * record handler that throws makes that record a `batchItemFailures` entry
 * (SQS delivers it again), the others are deleted. A batch in which every
 * record failed is answered the same way, never thrown (a throw would
 * retry the records that succeeded too).
 *
 * - {@link processFifoBatch}: a FIFO queue's batch, one record after the
 *   other; once a record fails, the later records of its message group fail
 *   with it unprocessed (so a peer's messages are never applied out of
 *   order), while other groups go on.
 * - {@link processStandardBatch}: a standard queue's batch, its records
 *   side by side.
 */
import { BatchProcessor, EventType, SqsFifoPartialProcessorAsync, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** Handles one record; throwing fails it (and, in a FIFO batch, the rest of its group). */
export type RecordHandler = (record: SQSRecord, index: number) => Promise<unknown>;

export async function processFifoBatch(event: Pick<SQSEvent, 'Records'>, handle: RecordHandler): Promise<SQSBatchResponse> {
  const processor = new SqsFifoPartialProcessorAsync();
  const { batchItemFailures } = await processPartialResponse({ Records: event.Records }, withIndex(event, handle), processor, { skipGroupOnError: true, throwOnFullBatchFailure: false });
  return { batchItemFailures };
}

export async function processStandardBatch(event: Pick<SQSEvent, 'Records'>, handle: RecordHandler): Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  const { batchItemFailures } = await processPartialResponse({ Records: event.Records }, withIndex(event, handle), processor, { throwOnFullBatchFailure: false });
  return { batchItemFailures };
}

/** The processor hands each record over as it is; its position in the batch comes from here. */
function withIndex(event: Pick<SQSEvent, 'Records'>, handle: RecordHandler): (record: SQSRecord) => Promise<unknown> {
  const indexOf = new Map(event.Records.map((record, index) => [record, index]));
  return (record) => handle(record, indexOf.get(record) ?? -1);
}
