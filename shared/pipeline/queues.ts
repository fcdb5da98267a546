/** SQS FIFO queues of the pipeline, behind a small interface (SQS on AWS, fauxqs locally). */
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** Logical queue names; on AWS and locally both are FIFO. */
export const QueueName = {
  inbound: 'stormcell-inbound.fifo',
  inboundDlq: 'stormcell-inbound-dlq.fifo',
  outbound: 'stormcell-outbound.fifo',
  outboundDlq: 'stormcell-outbound-dlq.fifo',
  broadcast: 'stormcell-broadcast.fifo',
  broadcastDlq: 'stormcell-broadcast-dlq.fifo',
  /** Public gossip and gossip queries from the gateway, per peer, to the gossip function (never through the node's lease). */
  gossip: 'stormcell-gossip.fifo',
  gossipDlq: 'stormcell-gossip-dlq.fifo',
} as const;

export interface QueueMessage {
  readonly group: string;
  /** The deduplication id: a resend with the same id is dropped by the queue. */
  readonly dedupId: string;
  readonly body: string;
}

export interface ReceivedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly group: string;
  /** The sender's deduplication id: the input id of a gateway record. */
  readonly dedupId: string;
  readonly receiveCount: number;
}

/** SQS deduplication ids: at most 128 characters of [A-Za-z0-9!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~]. */
export function dedupId(raw: string): string {
  const cleaned = raw.replace(/[^A-Za-z0-9_\-.:#]/g, '_');
  return cleaned.length <= 128 ? cleaned : cleaned.slice(0, 128);
}

/** SendMessageBatch takes at most 10 entries per call... */
export const MAX_BATCH_ENTRIES = 10;
/** ...and at most 256 KiB of bodies together (the classic single-message limit, kept as the safe bound). */
export const MAX_BATCH_BYTES = 256 * 1024;

/** Some entries of a SendMessageBatch call were refused (others of the same call may have been accepted). */
export class QueueBatchError extends Error {
  constructor(
    /** Deduplication ids of the refused messages, with SQS's code. */
    readonly failed: readonly { readonly dedupId: string; readonly code: string }[],
  ) {
    super(`SendMessageBatch refused ${failed.length} message(s): ${failed.map((f) => `${f.dedupId} (${f.code})`).join(', ')}`);
    this.name = 'QueueBatchError';
  }
}

/**
 * Splits messages, in order, into batches of at most 10 entries and 256 KiB
 * of bodies (a larger single body travels alone), with at most ONE message
 * per group in a batch: SendMessageBatch reports failures per entry, and a
 * refused entry followed by an accepted one of the same group would put that
 * peer's messages out of order when the refused one is sent again. With one
 * per group, a batch with a failure stops the relay before any later message
 * of that group leaves (messages to several peers still share a call).
 */
export function batchesOf(messages: readonly QueueMessage[]): QueueMessage[][] {
  const batches: QueueMessage[][] = [];
  let current: QueueMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = new TextEncoder().encode(message.body).length;
    const full = current.length === MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES || current.some((m) => m.group === message.group);
    if (current.length > 0 && full) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export class FifoQueue {
  constructor(
    private readonly client: SQSClient,
    readonly url: string,
  ) {}

  async send(message: QueueMessage): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.url,
        MessageBody: message.body,
        MessageGroupId: message.group,
        MessageDeduplicationId: dedupId(message.dedupId),
      }),
    );
  }

  /**
   * Sends `messages` in order with SendMessageBatch, up to 10 per call, one
   * call after the other: a FIFO queue enqueues the entries of a batch in
   * the order they are listed, so order within each group is kept. Any
   * refused entry rejects with {@link QueueBatchError} (the caller re-sends
   * everything under the same deduplication ids).
   */
  async sendBatch(messages: readonly QueueMessage[]): Promise<void> {
    for (const batch of batchesOf(messages)) {
      const result = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.url,
          Entries: batch.map((message, index) => ({
            Id: String(index),
            MessageBody: message.body,
            MessageGroupId: message.group,
            MessageDeduplicationId: dedupId(message.dedupId),
          })),
        }),
      );
      const failed = result.Failed ?? [];
      if (failed.length > 0) {
        throw new QueueBatchError(failed.map((f) => ({ dedupId: batch[Number(f.Id)]?.dedupId ?? `entry ${f.Id}`, code: f.Code ?? 'unknown' })));
      }
    }
  }

  /** Long-polls for up to `max` messages; `signal` aborts the poll (the promise then rejects). */
  async receive(max: number, waitSeconds: number, signal?: AbortSignal): Promise<ReceivedMessage[]> {
    const result = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.url,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId', 'ApproximateReceiveCount'],
      }),
      signal ? { abortSignal: signal } : {},
    );
    return (result.Messages ?? []).map((m) => ({
      messageId: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      group: m.Attributes?.MessageGroupId ?? '',
      dedupId: m.Attributes?.MessageDeduplicationId ?? '',
      receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? '1'),
    }));
  }

  async delete(receiptHandle: string): Promise<void> {
    await this.client.send(new DeleteMessageCommand({ QueueUrl: this.url, ReceiptHandle: receiptHandle }));
  }
}
