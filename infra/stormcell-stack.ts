/**
 * The AWS deployment of one stormcell node (docs/architecture.md, "Two
 * deployments of the same handlers"): the node table, the inbound/outbound
 * FIFO queues with their DLQs and alarms, the broadcast FIFO queue (DLQ,
 * alarm) and its function, the webhook queue (standard, DLQ, alarm) and the
 * delivery function, one Lambda per handler, the HTTP API behind a
 * Lambda authorizer, the one-minute timer and chain sync, the peer gateway on
 * Fargate behind an NLB on 9735, and the seed and API key in Secrets Manager
 * under a customer-managed KMS key. Every grant is stated as intent.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { ROUTES } from '../functions/http/routes.js';
import { EnvVar } from '../functions/runtime/aws-env.js';
import { QueueName } from '../shared/pipeline/queues.js';
import { Attr } from '../shared/store/layout.js';
import { forwardingEnvironment, isRetainedStage, type StackConfig } from './config.js';
import { QueueWithDlq } from './constructs/fifo-queue.js';
import { NodeFunction } from './constructs/node-function.js';
import { NodeSecrets } from './constructs/node-secrets.js';
import { PEER_PORT, PeerGateway } from './constructs/peer-gateway.js';

export interface StormcellStackProps extends StackProps {
  readonly config: StackConfig;
}

/** How often the timer ticks (the node's `timer_tick_occurred`). */
export const TIMER_RATE = Duration.minutes(1);
/** How often the chain handler syncs the node with the chain source. */
export const CHAIN_RATE = Duration.minutes(1);
/** The chain function's timeout: a sync reads blocks and the wallet's scripts from Esplora. */
export const CHAIN_TIMEOUT = Duration.seconds(60);
/** The broadcast function's timeout; its queue hides a message six times as long. */
export const BROADCAST_TIMEOUT = Duration.seconds(30);
/** The peer-message function's timeout; its queue hides a message six times as long (AWS's advice for SQS sources). */
export const PEER_MESSAGE_TIMEOUT = Duration.seconds(30);
/** Records per peer-message invocation. */
export const PEER_MESSAGE_BATCH_SIZE = 10;
/** The webhook delivery function's timeout: 10 s per attempt, every due attempt of a message in parallel, with room to record them. */
export const WEBHOOK_TIMEOUT = Duration.seconds(30);
/** The gossip function: a batch of gossip, or one answer to a peer's timestamp filter (which reads the whole stored graph), or a snapshot build. */
export const GOSSIP_TIMEOUT = Duration.seconds(120);
/** Physical names of the webhook queue and its DLQ (standard queues), before the stage is put in. */
export const WEBHOOK_QUEUE_NAME = 'stormcell-webhooks';
export const WEBHOOK_DLQ_NAME = 'stormcell-webhooks-dlq';
/** How long API Gateway caches an authorizer's answer for one key. */
export const AUTHORIZER_CACHE_TTL = Duration.minutes(5);

/** A queue's physical name for a stage: `stormcell-inbound.fifo` -> `stormcell-<stage>-inbound.fifo`. */
export function stageQueueName(name: string, stage: string): string {
  return name.replace(/^stormcell-/, `stormcell-${stage}-`);
}

const HTTP_METHODS: Readonly<Record<string, HttpMethod>> = {
  GET: HttpMethod.GET,
  POST: HttpMethod.POST,
  PUT: HttpMethod.PUT,
  DELETE: HttpMethod.DELETE,
  PATCH: HttpMethod.PATCH,
};

export class StormcellStack extends Stack {
  readonly table: Table;
  readonly inbound: QueueWithDlq;
  readonly outbound: QueueWithDlq;
  readonly broadcast: QueueWithDlq;
  readonly webhooks: QueueWithDlq;
  readonly gossip: QueueWithDlq;
  readonly secrets: NodeSecrets;
  readonly functions: Readonly<Record<'peerMessage' | 'timer' | 'http' | 'authorizer' | 'chain' | 'broadcast' | 'webhooks' | 'gossip', NodeFunction>>;
  readonly api: HttpApi;
  readonly gateway: PeerGateway;

  constructor(scope: Construct, id: string, props: StormcellStackProps) {
    super(scope, id, props);
    const { config } = props;
    const retained = isRetainedStage(config.stage);
    const removalPolicy = retained ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    // State: shared/store/layout.ts — pk `NODE#<node id>`, sk per item, `ttl` for expiring items.
    this.table = new Table(this, 'NodeTable', {
      partitionKey: { name: Attr.pk, type: AttributeType.STRING },
      sortKey: { name: Attr.sk, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: retained,
      timeToLiveAttribute: Attr.ttl,
      removalPolicy,
    });

    const alarmTopic = new Topic(this, 'Alarms', { displayName: `stormcell ${config.stage} alarms` });
    if (config.alarmEmail !== undefined) alarmTopic.addSubscription(new EmailSubscription(config.alarmEmail));

    this.inbound = new QueueWithDlq(this, 'Inbound', {
      queueName: stageQueueName(QueueName.inbound, config.stage),
      dlqName: stageQueueName(QueueName.inboundDlq, config.stage),
      visibilityTimeout: Duration.seconds(PEER_MESSAGE_TIMEOUT.toSeconds() * 6),
      alarmTopic,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.outbound = new QueueWithDlq(this, 'Outbound', {
      queueName: stageQueueName(QueueName.outbound, config.stage),
      dlqName: stageQueueName(QueueName.outboundDlq, config.stage),
      visibilityTimeout: Duration.seconds(30),
      alarmTopic,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.broadcast = new QueueWithDlq(this, 'Broadcast', {
      queueName: stageQueueName(QueueName.broadcast, config.stage),
      dlqName: stageQueueName(QueueName.broadcastDlq, config.stage),
      visibilityTimeout: Duration.seconds(BROADCAST_TIMEOUT.toSeconds() * 6),
      alarmTopic,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Webhooks (docs/webhooks.md): a standard queue announcing delivery items due; retries wait in the table, not here.
    this.webhooks = new QueueWithDlq(this, 'Webhooks', {
      queueName: stageQueueName(WEBHOOK_QUEUE_NAME, config.stage),
      dlqName: stageQueueName(WEBHOOK_DLQ_NAME, config.stage),
      fifo: false,
      dlqAdvice: "webhook dispatches whose delivery items could not be read or written: inspect the function's logs; the timer still finds the items.",
      visibilityTimeout: Duration.seconds(WEBHOOK_TIMEOUT.toSeconds() * 6),
      alarmTopic,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Gossip (docs/gossip.md "The graph store"): its own FIFO queue, grouped per peer, so gossip never waits behind or slows channel messages.
    this.gossip = new QueueWithDlq(this, 'Gossip', {
      queueName: stageQueueName(QueueName.gossip, config.stage),
      dlqName: stageQueueName(QueueName.gossipDlq, config.stage),
      visibilityTimeout: Duration.seconds(GOSSIP_TIMEOUT.toSeconds() * 6),
      alarmTopic,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.secrets = new NodeSecrets(this, 'Secrets', { stage: config.stage, removalPolicy });

    const nodeEnvironment = {
      [EnvVar.tableName]: this.table.tableName,
      [EnvVar.outboundQueueUrl]: this.outbound.queue.queueUrl,
      // Follow-up inputs: a commit that touches many channels enqueues one input per channel here (docs/follow-ups.md).
      [EnvVar.inboundQueueUrl]: this.inbound.queue.queueUrl,
      [EnvVar.network]: config.network,
      [EnvVar.seedSecretArn]: this.secrets.seed.secretArn,
      [EnvVar.esploraUrl]: config.esploraUrl,
      // The node's channel settings, applied at every load of the ChannelManager (docs/manager.md).
      [EnvVar.anchorChannels]: String(config.channelSettings.anchors),
      [EnvVar.inboundChannels]: config.channelSettings.acceptInboundChannels,
      // The forwarding policy, only when the context sets it (the functions default to LDK's otherwise: docs/forwarding.md).
      ...forwardingEnvironment(config.channelSettings.forwarding),
      // A commit's new webhook deliveries are announced here, to the delivery function (docs/webhooks.md).
      [EnvVar.webhookQueueUrl]: this.webhooks.queue.queueUrl,
    };
    const broadcastingEnvironment = { ...nodeEnvironment, [EnvVar.broadcastQueueUrl]: this.broadcast.queue.queueUrl };
    const logRemovalPolicy = removalPolicy;

    const peerMessage = new NodeFunction(this, 'PeerMessageFn', {
      name: 'peer-message',
      description: 'Applies inbound peer messages (inbound FIFO queue) to the node under its lease',
      environment: nodeEnvironment,
      timeout: PEER_MESSAGE_TIMEOUT,
      logRemovalPolicy,
    });
    peerMessage.addEventSource(
      new SqsEventSource(this.inbound.queue, {
        batchSize: PEER_MESSAGE_BATCH_SIZE,
        reportBatchItemFailures: true,
        // One node, one lease: more concurrent invocations would only wait for it.
        maxConcurrency: 2,
      }),
    );

    const timer = new NodeFunction(this, 'TimerFn', {
      name: 'timer',
      description: "The node's timer tick (LDK's timer_tick_occurred: MPP timeouts, our update_fee as funder; docs/timer.md) and webhook attempts due",
      environment: nodeEnvironment,
      logRemovalPolicy,
    });
    new Rule(this, 'TimerTick', {
      description: 'Ticks the node timer once a minute',
      schedule: Schedule.rate(TIMER_RATE),
      targets: [new LambdaFunction(timer, { retryAttempts: 2, maxEventAge: Duration.minutes(2) })],
    });

    const http = new NodeFunction(this, 'HttpFn', {
      name: 'http',
      description: 'The HTTP API (/v1/...)',
      environment: { ...broadcastingEnvironment, [EnvVar.apiKeySecretArn]: this.secrets.apiKey.secretArn },
      timeout: Duration.seconds(10),
      logRemovalPolicy,
    });
    const authorizerFn = new NodeFunction(this, 'AuthorizerFn', {
      name: 'authorizer',
      description: 'Checks the bearer API key of HTTP API requests',
      environment: { [EnvVar.apiKeySecretArn]: this.secrets.apiKey.secretArn },
      memorySize: 256,
      timeout: Duration.seconds(5),
      logRemovalPolicy,
    });

    const chain = new NodeFunction(this, 'ChainFn', {
      name: 'chain',
      description: 'Syncs the node (chain consumers, wallet) with the chain source under its lease',
      environment: broadcastingEnvironment,
      timeout: CHAIN_TIMEOUT,
      logRemovalPolicy,
    });
    new Rule(this, 'ChainSync', {
      description: 'Syncs the node with the chain once a minute',
      schedule: Schedule.rate(CHAIN_RATE),
      targets: [new LambdaFunction(chain, { retryAttempts: 2, maxEventAge: Duration.minutes(2) })],
    });

    const broadcastFn = new NodeFunction(this, 'BroadcastFn', {
      name: 'broadcast',
      description: 'Hands transactions from the broadcast queue to the chain source until it has them',
      environment: broadcastingEnvironment,
      timeout: BROADCAST_TIMEOUT,
      logRemovalPolicy,
    });
    broadcastFn.addEventSource(new SqsEventSource(this.broadcast.queue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 2 }));

    const webhookFn = new NodeFunction(this, 'WebhookFn', {
      name: 'webhooks',
      description: 'Delivers webhooks (signed POSTs, retried on their own schedule), never under the node lease',
      environment: nodeEnvironment,
      timeout: WEBHOOK_TIMEOUT,
      logRemovalPolicy,
    });
    webhookFn.addEventSource(new SqsEventSource(this.webhooks.queue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 5 }));
    // It reads and updates delivery items (outside the lease) and reads the seed to build the node context; it sends no peer message.
    this.table.grantReadWriteData(webhookFn);
    this.secrets.seed.grantRead(webhookFn);

    const gossipFn = new NodeFunction(this, 'GossipFn', {
      name: 'gossip',
      description: "Checks and stores public gossip in the graph's own partitions and answers peers' gossip queries; never under the node lease",
      environment: {
        [EnvVar.tableName]: this.table.tableName,
        [EnvVar.outboundQueueUrl]: this.outbound.queue.queueUrl,
        [EnvVar.network]: config.network,
        [EnvVar.esploraUrl]: config.esploraUrl,
      },
      timeout: GOSSIP_TIMEOUT,
      logRemovalPolicy,
    });
    gossipFn.addEventSource(new SqsEventSource(this.gossip.queue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 5 }));
    // It writes the graph's items (outside every node partition) and answers peers through the gateway; no seed.
    this.table.grantReadWriteData(gossipFn);
    this.outbound.queue.grantSendMessages(gossipFn);

    // Grants, as intent. Every node-bound function but the authorizer changes state under the lease
    // (the API hands out wallet addresses and signs payments) and may relay the outbox.
    for (const fn of [peerMessage, timer, http, chain, broadcastFn]) {
      this.table.grantReadWriteData(fn);
      this.outbound.queue.grantSendMessages(fn);
      this.inbound.queue.grantSendMessages(fn);
      this.secrets.seed.grantRead(fn);
    }
    for (const fn of [http, chain]) this.broadcast.queue.grantSendMessages(fn);
    // Commits that create events (and the timer's due deliveries, and redeliveries) announce them to the delivery function.
    for (const fn of [peerMessage, timer, http, chain]) this.webhooks.queue.grantSendMessages(fn);
    this.secrets.apiKey.grantRead(http);
    this.secrets.apiKey.grantRead(authorizerFn);
    this.functions = { peerMessage, timer, http, authorizer: authorizerFn, chain, broadcast: broadcastFn, webhooks: webhookFn, gossip: gossipFn };

    const authorizer = new HttpLambdaAuthorizer('ApiKeyAuthorizer', authorizerFn, {
      authorizerName: 'api-key',
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ['$request.header.Authorization'],
      resultsCacheTtl: AUTHORIZER_CACHE_TTL,
    });
    this.api = new HttpApi(this, 'HttpApi', {
      apiName: `stormcell-${config.stage}`,
      description: 'stormcell node HTTP API',
      createDefaultStage: true,
    });
    const integration = new HttpLambdaIntegration('HttpIntegration', http);
    for (const route of ROUTES) {
      const method = HTTP_METHODS[route.method];
      if (method === undefined) throw new Error(`route ${route.method} ${route.path}: no API Gateway method`);
      this.api.addRoutes({ path: route.path, methods: [method], integration, authorizer });
    }

    this.gateway = new PeerGateway(this, 'PeerGateway', {
      environment: {
        INBOUND_QUEUE_URL: this.inbound.queue.queueUrl,
        OUTBOUND_QUEUE_URL: this.outbound.queue.queueUrl,
        GOSSIP_QUEUE_URL: this.gossip.queue.queueUrl,
        [EnvVar.seedSecretArn]: this.secrets.seed.secretArn,
        [EnvVar.network]: config.network,
      },
      logRemovalPolicy,
    });
    this.inbound.queue.grantSendMessages(this.gateway.taskRole);
    this.gossip.queue.grantSendMessages(this.gateway.taskRole);
    this.outbound.queue.grantConsumeMessages(this.gateway.taskRole);
    this.secrets.seed.grantRead(this.gateway.taskRole);

    const apiUrl = this.api.apiEndpoint;
    new CfnOutput(this, 'HttpApiUrl', { value: apiUrl, description: 'Base URL of the HTTP API (routes under /v1/)' });
    new CfnOutput(this, 'PeerEndpoint', {
      value: `${this.gateway.loadBalancer.loadBalancerDnsName}:${PEER_PORT}`,
      description: 'Where Lightning peers connect (host:port); with the node id: <node id>@<this>',
    });
    new CfnOutput(this, 'NodeSeedSecretArn', { value: this.secrets.seed.secretArn, description: 'The node seed (back it up)' });
    new CfnOutput(this, 'ApiKeySecretArn', { value: this.secrets.apiKey.secretArn, description: 'The HTTP API key' });
    new CfnOutput(this, 'ReadApiKeyCommand', {
      value: `aws secretsmanager get-secret-value --secret-id ${this.secrets.apiKey.secretArn} --query SecretString --output text`,
      description: 'Prints the API key',
    });
    new CfnOutput(this, 'ReadNodeIdCommand', {
      value: `curl -s -H "authorization: Bearer $STORMCELL_API_KEY" ${apiUrl}/v1/node`,
      description: 'Prints the node id (set STORMCELL_API_KEY from ReadApiKeyCommand first)',
    });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarmTopic.topicArn, description: 'DLQ alarms; subscribe more endpoints here' });
  }
}
