/**
 * The webhook queue (docs/webhooks.md): a STANDARD queue, not FIFO, since
 * its messages only announce delivery items with attempts due (order means
 * nothing, a duplicate costs one conditional write), with a standard DLQ
 * and an alarm as soon as the DLQ holds anything. Retries of a receiver
 * that fails wait in DynamoDB on the item's own schedule, not here.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DLQ_RETENTION, MAX_RECEIVE_COUNT } from './fifo-queue.js';

export interface WebhookQueueProps {
  readonly queueName: string;
  readonly dlqName: string;
  readonly visibilityTimeout: Duration;
  readonly alarmTopic: ITopic;
  readonly removalPolicy: RemovalPolicy;
}

export class WebhookQueue extends Construct {
  readonly queue: Queue;
  readonly dlq: Queue;
  readonly dlqAlarm: Alarm;

  constructor(scope: Construct, id: string, props: WebhookQueueProps) {
    super(scope, id);
    this.dlq = new Queue(this, 'Dlq', {
      queueName: props.dlqName,
      retentionPeriod: DLQ_RETENTION,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
    });
    this.queue = new Queue(this, 'Queue', {
      queueName: props.queueName,
      visibilityTimeout: props.visibilityTimeout,
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: MAX_RECEIVE_COUNT },
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
    });
    this.dlqAlarm = new Alarm(this, 'DlqDepth', {
      alarmDescription: `${props.dlqName} holds webhook dispatches whose delivery items could not be read or written ${MAX_RECEIVE_COUNT} times: inspect the function's logs; the timer still finds the items.`,
      metric: this.dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.dlqAlarm.addAlarmAction(new SnsAction(props.alarmTopic));
  }
}
