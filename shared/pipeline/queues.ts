/** SQS FIFO queues of the pipeline, behind a small interface (SQS on AWS, fauxqs locally). */
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
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
