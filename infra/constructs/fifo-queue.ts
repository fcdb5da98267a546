/**
 * A queue of the pipeline with its dead-letter queue: a message received
 * {@link MAX_RECEIVE_COUNT} times without being deleted moves to the DLQ, and
 * an alarm fires as soon as the DLQ holds anything. FIFO for the peer
 * pipeline (order per peer); standard for the webhook queue (docs/webhooks.md:
 * its messages only announce delivery items with attempts due, so order
 * means nothing and a duplicate costs one conditional write).
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Receives before a message moves to its DLQ; the embedded deployment uses the same (infra/local/sqs-local.ts). */
export const MAX_RECEIVE_COUNT = 5;
/** How long a dead letter is kept for inspection and redrive (the SQS maximum). */
export const DLQ_RETENTION = Duration.days(14);

export interface QueueProps {
  /** Physical name of the queue (ending in `.fifo` for a FIFO queue). */
  readonly queueName: string;
  /** Physical name of its DLQ (ending in `.fifo` for a FIFO queue). */
  readonly dlqName: string;
  /** FIFO (the default: the peer pipeline), or standard. */
  readonly fifo?: boolean;
  /** What the DLQ alarm tells the operator to do. */
  readonly dlqAdvice?: string;
  readonly visibilityTimeout: Duration;
  /** Where the DLQ alarm goes. */
  readonly alarmTopic: ITopic;
  readonly removalPolicy: RemovalPolicy;
}

export class QueueWithDlq extends Construct {
  readonly queue: Queue;
  readonly dlq: Queue;
  readonly dlqAlarm: Alarm;

  constructor(scope: Construct, id: string, props: QueueProps) {
    super(scope, id);
    const fifo = props.fifo ?? true;
    this.dlq = new Queue(this, 'Dlq', {
      queueName: props.dlqName,
      ...(fifo ? { fifo: true } : {}),
      retentionPeriod: DLQ_RETENTION,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
    });
    this.queue = new Queue(this, 'Queue', {
      queueName: props.queueName,
      ...(fifo
        ? {
            fifo: true,
            // Ids come from the producer (the gateway's connection + sequence, the outbox's message ids).
            contentBasedDeduplication: false,
            // High-throughput FIFO: ordering and deduplication per message group (one peer).
            deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
            fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
          }
        : {}),
      visibilityTimeout: props.visibilityTimeout,
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: MAX_RECEIVE_COUNT },
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
    });
    this.dlqAlarm = new Alarm(this, 'DlqDepth', {
      alarmDescription: `${props.dlqName} holds messages that failed ${MAX_RECEIVE_COUNT} times: ${props.dlqAdvice ?? 'inspect them, fix, then redrive.'}`,
      metric: this.dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.dlqAlarm.addAlarmAction(new SnsAction(props.alarmTopic));
  }
}
