/**
 * The AWS stack, asserted on intent with CDK's template assertions: the
 * table as shared/store lays it out, FIFO queues with DLQ redrive and
 * alarms, the timer schedule, every API route behind the authorizer, the
 * seed under a customer-managed key readable only by who needs it, the NLB
 * on 9735, and each role's policy touching only its own resources.
 */
import { Match } from 'aws-cdk-lib/assertions';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/http/routes.js';
import { MAX_RECEIVE_COUNT as LOCAL_MAX_RECEIVE_COUNT } from '../../infra/local/sqs-local.js';
import { ConfigurationError, readStackConfig } from '../../infra/config.js';
import { MAX_RECEIVE_COUNT } from '../../infra/constructs/fifo-queue.js';
import { SEED_SECRET_GENERATOR } from '../../infra/constructs/node-secrets.js';
import { QueueName } from '../../shared/pipeline/queues.js';
import { Attr } from '../../shared/store/layout.js';
import { arnOf, refOf, synth, type Synthesized } from './support/synth.js';

let dev: Synthesized;
let prod: Synthesized;

beforeAll(() => {
  dev = synth();
  prod = synth({ stage: 'prod', network: 'testnet', alarmEmail: 'ops@example.com' });
});

describe('node table', () => {
  it('has the keys of shared/store/layout.ts, on-demand billing, PITR and the TTL attribute', () => {
    dev.template.hasResourceProperties(
      'AWS::DynamoDB::Table',
      Match.objectLike({
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ]),
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      }),
    );
    expect([Attr.pk, Attr.sk, Attr.ttl]).toEqual(['pk', 'sk', 'ttl']);
  });

  it('is disposable in dev, protected and retained in other stages', () => {
    dev.template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
      DeletionPolicy: 'Delete',
    });
    prod.template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('is what every node-bound function gets as TABLE_NAME', () => {
    const table = dev.logicalId(dev.stack.table);
    for (const fn of [dev.stack.functions.peerMessage, dev.stack.functions.timer, dev.stack.functions.http, dev.stack.functions.chain, dev.stack.functions.broadcast]) {
      expect(dev.template.toJSON().Resources[dev.logicalId(fn)].Properties.Environment.Variables.TABLE_NAME).toEqual(refOf(table));
    }
  });
});

describe('FIFO queues', () => {
  const pairs = [
    { name: 'inbound', queue: QueueName.inbound, dlq: QueueName.inboundDlq },
    { name: 'outbound', queue: QueueName.outbound, dlq: QueueName.outboundDlq },
    { name: 'broadcast', queue: QueueName.broadcast, dlq: QueueName.broadcastDlq },
    { name: 'gossip', queue: QueueName.gossip, dlq: QueueName.gossipDlq },
  ] as const;
  const constructOf = (name: (typeof pairs)[number]['name']) =>
    name === 'inbound' ? dev.stack.inbound : name === 'outbound' ? dev.stack.outbound : name === 'gossip' ? dev.stack.gossip : dev.stack.broadcast;

  for (const pair of pairs) {
    it(`${pair.name}: FIFO, redriven to its FIFO DLQ after ${MAX_RECEIVE_COUNT} receives`, () => {
      const construct = constructOf(pair.name);
      const dlqId = dev.logicalId(construct.dlq);
      dev.template.hasResourceProperties(
        'AWS::SQS::Queue',
        Match.objectLike({
          QueueName: pair.queue.replace('stormcell-', 'stormcell-dev-'),
          FifoQueue: true,
          ContentBasedDeduplication: false,
          RedrivePolicy: { deadLetterTargetArn: arnOf(dlqId), maxReceiveCount: MAX_RECEIVE_COUNT },
        }),
      );
      const dlq = dev.template.toJSON().Resources[dlqId];
      expect(dlq.Properties).toMatchObject({ QueueName: pair.dlq.replace('stormcell-', 'stormcell-dev-'), FifoQueue: true });
    });

    it(`${pair.name}: an alarm on its DLQ's depth notifies the alarm topic`, () => {
      const construct = constructOf(pair.name);
      dev.template.hasResourceProperties(
        'AWS::CloudWatch::Alarm',
        Match.objectLike({
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dev.logicalId(construct.dlq), 'QueueName'] } }],
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          AlarmActions: [refOf(dev.logicalId(dev.stack.node.findChild('Alarms')))],
        }),
      );
    });
  }

  it('gossip: the gateway sends to it, the gossip function consumes it (partial batch failures) and answers on the outbound queue, with no seed', () => {
    const resources = dev.template.toJSON().Resources;
    const fn = dev.stack.functions.gossip;
    dev.template.hasResourceProperties(
      'AWS::Lambda::EventSourceMapping',
      Match.objectLike({ EventSourceArn: arnOf(dev.logicalId(dev.stack.gossip.queue)), FunctionName: refOf(dev.logicalId(fn)), FunctionResponseTypes: ['ReportBatchItemFailures'] }),
    );
    const visibility = resources[dev.logicalId(dev.stack.gossip.queue)].Properties.VisibilityTimeout as number;
    expect(visibility).toBeGreaterThanOrEqual(6 * (resources[dev.logicalId(fn)].Properties.Timeout as number));
    const vars = resources[dev.logicalId(fn)].Properties.Environment.Variables;
    expect(vars).toMatchObject({ OUTBOUND_QUEUE_URL: refOf(dev.logicalId(dev.stack.outbound.queue)), NETWORK: 'signet' });
    expect(vars).not.toHaveProperty('NODE_SEED_SECRET_ARN');
    const gatewayTask = JSON.stringify(dev.template.findResources('AWS::ECS::TaskDefinition'));
    expect(gatewayTask).toContain('GOSSIP_QUEUE_URL');
  });

  it('use the receive count of the embedded deployment', () => {
    expect(MAX_RECEIVE_COUNT).toBe(LOCAL_MAX_RECEIVE_COUNT);
  });

  it('inbound feeds the peer-message function with partial batch failures, and hides a message longer than it runs', () => {
    dev.template.hasResourceProperties(
      'AWS::Lambda::EventSourceMapping',
      Match.objectLike({
        EventSourceArn: arnOf(dev.logicalId(dev.stack.inbound.queue)),
        FunctionName: refOf(dev.logicalId(dev.stack.functions.peerMessage)),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    );
    const resources = dev.template.toJSON().Resources;
    const visibility = resources[dev.logicalId(dev.stack.inbound.queue)].Properties.VisibilityTimeout as number;
    const timeout = resources[dev.logicalId(dev.stack.functions.peerMessage)].Properties.Timeout as number;
    expect(visibility).toBeGreaterThanOrEqual(6 * timeout);
  });

  it('broadcast feeds the broadcast function with partial batch failures; the API and the chain function send to it', () => {
    dev.template.hasResourceProperties(
      'AWS::Lambda::EventSourceMapping',
      Match.objectLike({
        EventSourceArn: arnOf(dev.logicalId(dev.stack.broadcast.queue)),
        FunctionName: refOf(dev.logicalId(dev.stack.functions.broadcast)),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    );
    const resources = dev.template.toJSON().Resources;
    const visibility = resources[dev.logicalId(dev.stack.broadcast.queue)].Properties.VisibilityTimeout as number;
    expect(visibility).toBeGreaterThanOrEqual(6 * (resources[dev.logicalId(dev.stack.functions.broadcast)].Properties.Timeout as number));
    for (const fn of [dev.stack.functions.http, dev.stack.functions.chain, dev.stack.functions.broadcast]) {
      expect(resources[dev.logicalId(fn)].Properties.Environment.Variables).toMatchObject({
        BROADCAST_QUEUE_URL: refOf(dev.logicalId(dev.stack.broadcast.queue)),
        ESPLORA_URL: 'https://mempool.space/signet/api',
      });
    }
  });

  it('webhooks: a standard queue (no FIFO: retries wait in the table) with a DLQ and an alarm, feeding the delivery function with partial batch failures; committing functions know its URL', () => {
    const resources = dev.template.toJSON().Resources;
    const queue = resources[dev.logicalId(dev.stack.webhooks.queue)].Properties;
    expect(queue.QueueName).toBe('stormcell-dev-webhooks');
    expect(queue.FifoQueue).toBeUndefined();
    expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: arnOf(dev.logicalId(dev.stack.webhooks.dlq)), maxReceiveCount: MAX_RECEIVE_COUNT });
    expect(resources[dev.logicalId(dev.stack.webhooks.dlq)].Properties.FifoQueue).toBeUndefined();
    dev.template.hasResourceProperties(
      'AWS::CloudWatch::Alarm',
      Match.objectLike({
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dev.logicalId(dev.stack.webhooks.dlq), 'QueueName'] } }],
        Threshold: 1,
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^Alarms') }],
      }),
    );
    dev.template.hasResourceProperties(
      'AWS::Lambda::EventSourceMapping',
      Match.objectLike({
        EventSourceArn: arnOf(dev.logicalId(dev.stack.webhooks.queue)),
        FunctionName: refOf(dev.logicalId(dev.stack.functions.webhooks)),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    );
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * (resources[dev.logicalId(dev.stack.functions.webhooks)].Properties.Timeout as number));
    for (const fn of [dev.stack.functions.peerMessage, dev.stack.functions.timer, dev.stack.functions.http, dev.stack.functions.chain]) {
      expect(resources[dev.logicalId(fn)].Properties.Environment.Variables).toMatchObject({ WEBHOOK_QUEUE_URL: refOf(dev.logicalId(dev.stack.webhooks.queue)) });
    }
  });

  it('the alarm e-mail, when given, subscribes to the alarm topic', () => {
    prod.template.hasResourceProperties('AWS::SNS::Subscription', Match.objectLike({ Protocol: 'email', Endpoint: 'ops@example.com' }));
    expect(Object.keys(dev.template.findResources('AWS::SNS::Subscription'))).toEqual([]);
  });
});

describe('functions', () => {
  it('each runs Node 22 on arm64 with tracing, Powertools settings and a log group with retention', () => {
    for (const fn of Object.values(dev.stack.functions)) {
      const id = dev.logicalId(fn);
      const props = dev.template.toJSON().Resources[id].Properties;
      expect(props).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
      });
      expect(props.Environment.Variables).toMatchObject({ POWERTOOLS_SERVICE_NAME: expect.stringMatching(/^stormcell-/), POWERTOOLS_LOG_LEVEL: 'INFO' });
      const logGroupId = props.LoggingConfig.LogGroup.Ref as string;
      expect(dev.template.toJSON().Resources[logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
    }
  });

  it('node-bound functions get the seed secret ARN, the network and the outbound queue', () => {
    const seed = refOf(dev.logicalId(dev.stack.secrets.seed));
    for (const fn of [dev.stack.functions.peerMessage, dev.stack.functions.timer, dev.stack.functions.http, dev.stack.functions.chain, dev.stack.functions.broadcast]) {
      const vars = dev.template.toJSON().Resources[dev.logicalId(fn)].Properties.Environment.Variables;
      expect(vars).toMatchObject({ NODE_SEED_SECRET_ARN: seed, NETWORK: 'signet', OUTBOUND_QUEUE_URL: refOf(dev.logicalId(dev.stack.outbound.queue)) });
    }
    const authorizerVars = dev.template.toJSON().Resources[dev.logicalId(dev.stack.functions.authorizer)].Properties.Environment.Variables;
    expect(authorizerVars).not.toHaveProperty('NODE_SEED_SECRET_ARN');
    expect(authorizerVars).toMatchObject({ API_KEY_SECRET_ARN: refOf(dev.logicalId(dev.stack.secrets.apiKey)) });
  });
});

describe('timer schedule', () => {
  it('ticks the timer function once a minute', () => {
    dev.template.hasResourceProperties(
      'AWS::Events::Rule',
      Match.objectLike({
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: arnOf(dev.logicalId(dev.stack.functions.timer)) })],
      }),
    );
    dev.template.hasResourceProperties(
      'AWS::Lambda::Permission',
      Match.objectLike({ Principal: 'events.amazonaws.com', FunctionName: arnOf(dev.logicalId(dev.stack.functions.timer)) }),
    );
  });
});

describe('chain schedule', () => {
  it('runs the chain function once a minute', () => {
    dev.template.hasResourceProperties(
      'AWS::Events::Rule',
      Match.objectLike({
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: arnOf(dev.logicalId(dev.stack.functions.chain)) })],
      }),
    );
    dev.template.hasResourceProperties(
      'AWS::Lambda::Permission',
      Match.objectLike({ Principal: 'events.amazonaws.com', FunctionName: arnOf(dev.logicalId(dev.stack.functions.chain)) }),
    );
  });
});

describe('HTTP API', () => {
  it('has every route of functions/http/routes.ts, each behind the API key authorizer and integrated with the http function', () => {
    const authorizers = dev.template.findResources('AWS::ApiGatewayV2::Authorizer', {
      Properties: Match.objectLike({
        AuthorizerType: 'REQUEST',
        AuthorizerPayloadFormatVersion: '2.0',
        EnableSimpleResponses: true,
        IdentitySource: ['$request.header.Authorization'],
      }),
    });
    const [authorizerId] = Object.keys(authorizers);
    expect(authorizerId).toBeDefined();
    expect(JSON.stringify(authorizers[authorizerId!]!.Properties.AuthorizerUri)).toContain(dev.logicalId(dev.stack.functions.authorizer));

    const integrations = dev.template.findResources('AWS::ApiGatewayV2::Integration', {
      Properties: Match.objectLike({ IntegrationType: 'AWS_PROXY', IntegrationUri: arnOf(dev.logicalId(dev.stack.functions.http)), PayloadFormatVersion: '2.0' }),
    });
    const integrationIds = Object.keys(integrations);
    expect(integrationIds.length).toBeGreaterThan(0);

    expect(ROUTES.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(['GET /v1/node', 'GET /v1/peers', 'POST /v1/peers', 'GET /v1/openapi.json']),
    );
    for (const route of ROUTES) {
      const found = Object.values(
        dev.template.findResources('AWS::ApiGatewayV2::Route', {
          Properties: Match.objectLike({ RouteKey: `${route.method} ${route.path}`, AuthorizationType: 'CUSTOM', AuthorizerId: refOf(authorizerId!) }),
        }),
      );
      expect(found, `${route.method} ${route.path}`).toHaveLength(1);
      const target = found[0]!.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
      expect(target['Fn::Join'][1][0]).toBe('integrations/');
      expect(integrationIds).toContain(target['Fn::Join'][1][1].Ref);
    }
  });

  it('has no route without the authorizer', () => {
    const open = dev.template.findResources('AWS::ApiGatewayV2::Route', {
      Properties: Match.objectLike({ AuthorizationType: Match.absent() }),
    });
    const none = dev.template.findResources('AWS::ApiGatewayV2::Route', {
      Properties: Match.objectLike({ AuthorizationType: 'NONE' }),
    });
    expect({ ...open, ...none }).toEqual({});
  });
});

describe('secrets', () => {
  it('the seed and the API key are encrypted with the customer-managed, rotating KMS key', () => {
    const keyId = dev.logicalId(dev.stack.secrets.key);
    dev.template.hasResourceProperties('AWS::KMS::Key', Match.objectLike({ EnableKeyRotation: true }));
    for (const secret of [dev.stack.secrets.seed, dev.stack.secrets.apiKey]) {
      expect(dev.template.toJSON().Resources[dev.logicalId(secret)].Properties.KmsKeyId).toEqual(arnOf(keyId));
    }
  });

  it('the seed is generated as 64 hex characters', () => {
    dev.template.hasResourceProperties(
      'AWS::SecretsManager::Secret',
      Match.objectLike({
        Name: 'stormcell/dev/node-seed',
        GenerateSecretString: Match.objectLike({ PasswordLength: 64, ExcludeUppercase: true, ExcludePunctuation: true, IncludeSpace: false }),
      }),
    );
    // The characters left once the generator's exclusions apply are exactly the hex digits.
    const alphabet = [...'abcdefghijklmnopqrstuvwxyz0123456789'].filter((c) => !SEED_SECRET_GENERATOR.excludeCharacters.includes(c)).join('');
    expect(alphabet).toBe('abcdef0123456789');
  });

  it('the key lets only the roles that read a secret decrypt through Secrets Manager', () => {
    const keyId = dev.logicalId(dev.stack.secrets.key);
    const statements = dev.template.toJSON().Resources[keyId].Properties.KeyPolicy.Statement as {
      Action: string | string[];
      Principal: { AWS: unknown };
    }[];
    const decrypters = statements
      .filter((s) => [s.Action].flat().includes('kms:Decrypt'))
      .map((s) => JSON.stringify(s.Principal.AWS))
      .filter((p) => !p.includes(':root'));
    const roleArn = (role: IRole) => JSON.stringify(arnOf(dev.logicalId(role)));
    const f = dev.stack.functions;
    expect(decrypters.sort()).toEqual(
      [f.peerMessage.role!, f.timer.role!, f.http.role!, f.authorizer.role!, f.chain.role!, f.broadcast.role!, f.webhooks.role!, dev.stack.gateway.taskRole].map(roleArn).sort(),
    );
  });

  it('are retained with the data in non-dev stages', () => {
    prod.template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ Name: 'stormcell/prod/node-seed' }) });
    prod.template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });
});

describe('peer gateway', () => {
  it('an internet-facing NLB listens on TCP 9735 and forwards to the gateway on 9735', () => {
    const nlbId = dev.logicalId(dev.stack.gateway.loadBalancer);
    dev.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', Match.objectLike({ Type: 'network', Scheme: 'internet-facing' }));
    dev.template.hasResourceProperties(
      'AWS::ElasticLoadBalancingV2::Listener',
      Match.objectLike({ LoadBalancerArn: refOf(nlbId), Port: 9735, Protocol: 'TCP' }),
    );
    dev.template.hasResourceProperties(
      'AWS::ElasticLoadBalancingV2::TargetGroup',
      Match.objectLike({ Port: 9735, Protocol: 'TCP', TargetType: 'ip' }),
    );
  });

  it('the target group preserves client IPs: the gateway caps connections per peer IP, not per NLB address', () => {
    dev.template.hasResourceProperties(
      'AWS::ElasticLoadBalancingV2::TargetGroup',
      Match.objectLike({
        Port: 9735,
        TargetGroupAttributes: Match.arrayWith([{ Key: 'preserve_client_ip.enabled', Value: 'true' }]),
      }),
    );
    // With client IPs preserved, the service still admits peers through the rule naming the NLB's security group.
    const nlbGroup = dev.logicalId(dev.stack.gateway.loadBalancer.connections.securityGroups[0]!);
    dev.template.hasResourceProperties(
      'AWS::EC2::SecurityGroupIngress',
      Match.objectLike({ FromPort: 9735, ToPort: 9735, SourceSecurityGroupId: { 'Fn::GetAtt': [nlbGroup, 'GroupId'] } }),
    );
    dev.template.hasResourceProperties(
      'AWS::EC2::SecurityGroup',
      Match.objectLike({ SecurityGroupIngress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 9735, ToPort: 9735, IpProtocol: 'tcp' })] }),
    );
  });

  it('runs one arm64 Fargate task with the queues and the seed secret ARN', () => {
    dev.template.hasResourceProperties('AWS::ECS::Service', Match.objectLike({ DesiredCount: 1, LaunchType: 'FARGATE' }));
    dev.template.hasResourceProperties(
      'AWS::ECS::TaskDefinition',
      Match.objectLike({
        RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
        ContainerDefinitions: [
          Match.objectLike({
            PortMappings: [Match.objectLike({ ContainerPort: 9735, Protocol: 'tcp' })],
            Environment: Match.arrayWith([
              { Name: 'INBOUND_QUEUE_URL', Value: refOf(dev.logicalId(dev.stack.inbound.queue)) },
              { Name: 'OUTBOUND_QUEUE_URL', Value: refOf(dev.logicalId(dev.stack.outbound.queue)) },
              { Name: 'NODE_SEED_SECRET_ARN', Value: refOf(dev.logicalId(dev.stack.secrets.seed)) },
              { Name: 'PEER_PORT', Value: '9735' },
            ]),
          }),
        ],
      }),
    );
  });
});

describe('IAM: each role touches only its own resources, with no wildcard action', () => {
  type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
  const XRAY = new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']);

  function statementsOf(s: Synthesized, role: IRole): Statement[] {
    const roleRef = JSON.stringify(refOf(s.logicalId(role)));
    return Object.values(s.template.findResources('AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === roleRef))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  }

  /** Every logical id an expression refers to. */
  function referencedIds(expression: unknown): string[] {
    if (Array.isArray(expression)) return expression.flatMap(referencedIds);
    if (expression === null || typeof expression !== 'object') return [];
    const o = expression as Record<string, unknown>;
    if (typeof o['Ref'] === 'string' && !o['Ref'].startsWith('AWS::')) return [o['Ref']];
    if (Array.isArray(o['Fn::GetAtt'])) return [o['Fn::GetAtt'][0] as string];
    return Object.values(o).flatMap(referencedIds);
  }

  function check(role: () => IRole, own: () => Record<string, 'dynamodb' | 'sqs' | 'secretsmanager'>, readOnlyTable = false) {
    const s = dev;
    const statements = statementsOf(s, role());
    expect(statements.length).toBeGreaterThan(0);
    const allowed = own();
    const touched = new Set<string>();
    for (const st of statements) {
      expect(st.Effect).toBe('Allow');
      const actions = [st.Action].flat();
      for (const action of actions) {
        expect(action).not.toBe('*');
        expect(action).not.toMatch(/:\*$/);
        if (readOnlyTable) expect(action).not.toMatch(/^dynamodb:(Put|Update|Delete|BatchWrite)/);
      }
      const resources = [st.Resource].flat();
      if (resources.includes('*')) {
        // Only X-Ray's trace upload takes no resource.
        expect(resources).toEqual(['*']);
        expect(actions.every((a) => XRAY.has(a))).toBe(true);
        continue;
      }
      const ids = referencedIds(st.Resource);
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) {
        expect(Object.keys(allowed), `${actions.join(',')} on ${id}`).toContain(id);
        for (const action of actions) expect(action.split(':')[0]).toBe(allowed[id]);
        touched.add(id);
      }
    }
    expect([...touched].sort()).toEqual(Object.keys(allowed).sort());
  }

  it('peer-message: the table, its queues, the seed secret', () => {
    check(
      () => dev.stack.functions.peerMessage.role!,
      () => ({
        [dev.logicalId(dev.stack.table)]: 'dynamodb',
        [dev.logicalId(dev.stack.webhooks.queue)]: 'sqs',
        [dev.logicalId(dev.stack.inbound.queue)]: 'sqs',
        [dev.logicalId(dev.stack.outbound.queue)]: 'sqs',
        [dev.logicalId(dev.stack.secrets.seed)]: 'secretsmanager',
      }),
    );
    // Consumes inbound, only sends to outbound.
    const statements = statementsOf(dev, dev.stack.functions.peerMessage.role!);
    const onOutbound = statements.filter((st) => referencedIds(st.Resource).includes(dev.logicalId(dev.stack.outbound.queue)));
    expect(onOutbound.flatMap((st) => [st.Action].flat()).sort()).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
  });

  // Every function that takes the lease may relay an outbox item a crashed predecessor left, follow-up inputs
  // included (docs/follow-ups.md): each may send to the inbound queue (send only, checked below).
  it('timer: the table, the outbound and inbound queues (send only), the seed secret', () => {
    check(
      () => dev.stack.functions.timer.role!,
      () => ({
        [dev.logicalId(dev.stack.table)]: 'dynamodb',
        [dev.logicalId(dev.stack.webhooks.queue)]: 'sqs',
        [dev.logicalId(dev.stack.outbound.queue)]: 'sqs',
        [dev.logicalId(dev.stack.inbound.queue)]: 'sqs',
        [dev.logicalId(dev.stack.secrets.seed)]: 'secretsmanager',
      }),
    );
  });

  it('http: the table (wallet addresses and payments commit under the lease), the outbound, inbound and broadcast queues, the seed and the API key', () => {
    check(
      () => dev.stack.functions.http.role!,
      () => ({
        [dev.logicalId(dev.stack.table)]: 'dynamodb',
        [dev.logicalId(dev.stack.webhooks.queue)]: 'sqs',
        [dev.logicalId(dev.stack.outbound.queue)]: 'sqs',
        [dev.logicalId(dev.stack.inbound.queue)]: 'sqs',
        [dev.logicalId(dev.stack.broadcast.queue)]: 'sqs',
        [dev.logicalId(dev.stack.secrets.seed)]: 'secretsmanager',
        [dev.logicalId(dev.stack.secrets.apiKey)]: 'secretsmanager',
      }),
    );
  });

  it('chain: the table, the outbound, inbound (follow-ups) and broadcast queues (send only), the seed', () => {
    check(
      () => dev.stack.functions.chain.role!,
      () => ({
        [dev.logicalId(dev.stack.table)]: 'dynamodb',
        [dev.logicalId(dev.stack.webhooks.queue)]: 'sqs',
        [dev.logicalId(dev.stack.outbound.queue)]: 'sqs',
        [dev.logicalId(dev.stack.inbound.queue)]: 'sqs',
        [dev.logicalId(dev.stack.broadcast.queue)]: 'sqs',
        [dev.logicalId(dev.stack.secrets.seed)]: 'secretsmanager',
      }),
    );
    const onBroadcast = statementsOf(dev, dev.stack.functions.chain.role!).filter((st) => referencedIds(st.Resource).includes(dev.logicalId(dev.stack.broadcast.queue)));
    expect(onBroadcast.flatMap((st) => [st.Action].flat()).sort()).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
  });

  it('broadcast: the table, consumes the broadcast queue, sends to outbound and inbound, the seed', () => {
    check(
      () => dev.stack.functions.broadcast.role!,
      () => ({
        [dev.logicalId(dev.stack.table)]: 'dynamodb',
        [dev.logicalId(dev.stack.outbound.queue)]: 'sqs',
        [dev.logicalId(dev.stack.inbound.queue)]: 'sqs',
        [dev.logicalId(dev.stack.broadcast.queue)]: 'sqs',
        [dev.logicalId(dev.stack.secrets.seed)]: 'secretsmanager',
      }),
    );
  });

  it('webhooks: the table (delivery items, outside the lease), consumes the webhook queue, the seed; no peer queue', () => {
    check(
      () => dev.stack.functions.webhooks.role!,
      () => ({
        [dev.logicalId(dev.stack.table)]: 'dynamodb',
        [dev.logicalId(dev.stack.webhooks.queue)]: 'sqs',
        [dev.logicalId(dev.stack.secrets.seed)]: 'secretsmanager',
      }),
    );
  });

  it('the functions whose commits create events only send to the webhook queue', () => {
    for (const fn of [dev.stack.functions.peerMessage, dev.stack.functions.timer, dev.stack.functions.http, dev.stack.functions.chain]) {
      const onWebhooks = statementsOf(dev, fn.role!).filter((st) => referencedIds(st.Resource).includes(dev.logicalId(dev.stack.webhooks.queue)));
      expect(onWebhooks.flatMap((st) => [st.Action].flat()).sort()).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    }
  });

  it('only the peer-message function consumes the inbound queue; the others only send to it', () => {
    for (const fn of [dev.stack.functions.timer, dev.stack.functions.http, dev.stack.functions.chain, dev.stack.functions.broadcast]) {
      const onInbound = statementsOf(dev, fn.role!).filter((st) => referencedIds(st.Resource).includes(dev.logicalId(dev.stack.inbound.queue)));
      expect(onInbound.flatMap((st) => [st.Action].flat()).sort()).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    }
  });

  it('authorizer: the API key secret only', () => {
    check(
      () => dev.stack.functions.authorizer.role!,
      () => ({ [dev.logicalId(dev.stack.secrets.apiKey)]: 'secretsmanager' }),
    );
  });

  it('gossip: the table (graph partitions, outside every lease), consumes the gossip queue, sends to outbound; no seed', () => {
    check(
      () => dev.stack.functions.gossip.role!,
      () => ({
        [dev.logicalId(dev.stack.table)]: 'dynamodb',
        [dev.logicalId(dev.stack.gossip.queue)]: 'sqs',
        [dev.logicalId(dev.stack.outbound.queue)]: 'sqs',
      }),
    );
  });

  it('gateway task: sends inbound and gossip, consumes outbound, reads the seed', () => {
    check(
      () => dev.stack.gateway.taskRole,
      () => ({
        [dev.logicalId(dev.stack.inbound.queue)]: 'sqs',
        [dev.logicalId(dev.stack.gossip.queue)]: 'sqs',
        [dev.logicalId(dev.stack.outbound.queue)]: 'sqs',
        [dev.logicalId(dev.stack.secrets.seed)]: 'secretsmanager',
      }),
    );
  });

  it('the Lambda roles carry only the basic execution managed policy (logs)', () => {
    for (const fn of Object.values(dev.stack.functions)) {
      const role = dev.template.toJSON().Resources[dev.logicalId(fn.role!)];
      expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toMatch(/service-role\/AWSLambdaBasicExecutionRole"/);
      expect(role.Properties.ManagedPolicyArns).toHaveLength(1);
      expect(role.Properties.Policies).toBeUndefined();
    }
  });
});

describe('outputs', () => {
  it('name the API URL, the peer endpoint, the secrets and how to read the key and the node id', () => {
    const outputs = dev.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining(['HttpApiUrl', 'PeerEndpoint', 'NodeSeedSecretArn', 'ApiKeySecretArn', 'ReadApiKeyCommand', 'ReadNodeIdCommand']),
    );
    expect(JSON.stringify(outputs['PeerEndpoint']!.Value)).toContain(':9735');
    expect(JSON.stringify(outputs['ReadNodeIdCommand']!.Value)).toContain('/v1/node');
    expect(JSON.stringify(outputs['ReadApiKeyCommand']!.Value)).toContain('aws secretsmanager get-secret-value');
  });
});

describe('node channel settings', () => {
  const nodeBound = (s: Synthesized) => [s.stack.functions.peerMessage, s.stack.functions.timer, s.stack.functions.http, s.stack.functions.chain, s.stack.functions.broadcast];
  const variablesOf = (s: Synthesized, fn: IConstruct) => s.template.toJSON().Resources[s.logicalId(fn)].Properties.Environment.Variables as Record<string, unknown>;

  it('every node-bound function gets the defaults: no anchors, every inbound channel accepted', () => {
    for (const fn of nodeBound(dev)) expect(variablesOf(dev, fn)).toMatchObject({ ANCHOR_CHANNELS: 'false', INBOUND_CHANNELS: 'all' });
  });

  it('context anchorChannels / inboundChannels reach every node-bound function as ANCHOR_CHANNELS / INBOUND_CHANNELS', () => {
    const configured = synth({ anchorChannels: 'true', inboundChannels: 'manual' });
    configured.template.hasResourceProperties(
      'AWS::Lambda::Function',
      Match.objectLike({ Environment: { Variables: Match.objectLike({ ANCHOR_CHANNELS: 'true', INBOUND_CHANNELS: 'manual' }) } }),
    );
    for (const fn of nodeBound(configured)) expect(variablesOf(configured, fn)).toMatchObject({ ANCHOR_CHANNELS: 'true', INBOUND_CHANNELS: 'manual' });
  });

  it('sets no FORWARDING_* variable by default; context forwarding keys reach every node-bound function, the unset ones at their defaults', () => {
    for (const fn of nodeBound(dev)) expect(Object.keys(variablesOf(dev, fn)).filter((k) => k.startsWith('FORWARDING_'))).toEqual([]);
    const configured = synth({ forwardingFeeBaseMsat: '2500', forwardingCltvDelta: '90' });
    for (const fn of nodeBound(configured)) {
      expect(variablesOf(configured, fn)).toMatchObject({ FORWARDING_FEE_BASE_MSAT: '2500', FORWARDING_FEE_PPM: '0', FORWARDING_CLTV_DELTA: '90' });
    }
  });
});

describe('parameters', () => {
  const get = (values: Record<string, unknown>) => (key: string) => values[key];

  it('default to a dev stage on signet with a public Esplora', () => {
    expect(readStackConfig(get({}))).toEqual({
      stage: 'dev',
      network: 'signet',
      esploraUrl: 'https://mempool.space/signet/api',
      channelSettings: { anchors: false, acceptInboundChannels: 'all' },
    });
  });

  it('take the Esplora URL and alarm e-mail as given', () => {
    expect(readStackConfig(get({ stage: 'prod', network: 'regtest', esploraUrl: 'http://10.0.0.1:3002/', alarmEmail: 'a@b.co' }))).toEqual({
      stage: 'prod',
      network: 'regtest',
      esploraUrl: 'http://10.0.0.1:3002',
      alarmEmail: 'a@b.co',
      channelSettings: { anchors: false, acceptInboundChannels: 'all' },
    });
  });

  it('take the channel settings from -c strings or cdk.json values', () => {
    expect(readStackConfig(get({ anchorChannels: 'true', inboundChannels: 'manual' })).channelSettings).toEqual({ anchors: true, acceptInboundChannels: 'manual' });
    expect(readStackConfig(get({ anchorChannels: true, inboundChannels: 'ALL' })).channelSettings).toEqual({ anchors: true, acceptInboundChannels: 'all' });
    expect(readStackConfig(get({ anchorChannels: 'false' })).channelSettings).toEqual({ anchors: false, acceptInboundChannels: 'all' });
    expect(readStackConfig(get({ forwardingFeePpm: 150, forwardingFeeBaseMsat: '0' })).channelSettings).toEqual({
      anchors: false,
      acceptInboundChannels: 'all',
      forwarding: { feeBaseMsat: 0, feeProportionalMillionths: 150, cltvExpiryDelta: 72, htlcMinimumMsat: 1n },
    });
  });

  it.each([
    [{ stage: 'Prod' }, /stage/],
    [{ stage: 'a-very-long-stage-name' }, /stage/],
    [{ network: 'mainnet' }, /network/],
    [{ network: 'regtest' }, /esploraUrl/],
    [{ esploraUrl: 'mempool' }, /not a URL/],
    [{ esploraUrl: 'ftp://x/' }, /http/],
    [{ alarmEmail: 'nobody' }, /e-mail/],
    [{ stage: 3 }, /string/],
    [{ anchorChannels: 'yes' }, /anchorChannels' must be true or false/],
    [{ inboundChannels: 'none' }, /inboundChannels' must be all or manual/],
    [{ forwardingFeePpm: '-5' }, /forwardingFeePpm' must be a whole number from 0 to 4294967295/],
    [{ forwardingCltvDelta: 70000 }, /forwardingCltvDelta' must be a whole number from 0 to 65535/],
    [{ forwardingFeeBaseMsat: true }, /forwardingFeeBaseMsat' must be a string/],
  ])('reject %j', (values, message) => {
    expect(() => readStackConfig(get(values))).toThrow(ConfigurationError);
    expect(() => readStackConfig(get(values))).toThrow(message);
  });
});
