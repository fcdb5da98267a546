/**
 * The peer gateway: Lightning peers speak raw TCP (BOLT 8), which Lambda
 * cannot hold, so one long-lived Fargate task terminates the connections,
 * forwards each decrypted message to the inbound FIFO queue, and writes what
 * the outbound queue holds back to the right socket. An internet-facing
 * Network Load Balancer listens on TCP 9735 in front of it.
 *
 * Exactly one task runs: the outbound queue is read by whoever holds the
 * sockets, so two gateways would take each other's messages. Deployments
 * therefore stop the old task before starting the new one (peers reconnect).
 * The VPC has public subnets only and no NAT gateway (the task reaches SQS
 * and Secrets Manager through its public IP), which keeps the idle cost down.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import { Peer, Port, SecurityGroup, SubnetType, Vpc, type IVpc } from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import {
  Cluster,
  ContainerImage,
  CpuArchitecture,
  FargateService,
  FargateTaskDefinition,
  type ICluster,
  LogDrivers,
  OperatingSystemFamily,
  Protocol as EcsProtocol,
} from 'aws-cdk-lib/aws-ecs';
import { NetworkLoadBalancer, Protocol } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { REPO_ROOT } from '../bundles.js';

/** The Lightning peer port (BOLT 1's default). */
export const PEER_PORT = 9735;
/** The gateway image, built from this repository (docs: infra/gateway/Dockerfile). */
export const GATEWAY_DOCKERFILE = 'infra/gateway/Dockerfile';

export interface PeerGatewayProps {
  /** The gateway's environment: queues, seed secret ARN, network. */
  readonly environment: Readonly<Record<string, string>>;
  readonly logRemovalPolicy: RemovalPolicy;
}

export class PeerGateway extends Construct {
  readonly vpc: IVpc;
  readonly service: FargateService;
  readonly loadBalancer: NetworkLoadBalancer;
  readonly taskRole: IRole;

  constructor(scope: Construct, id: string, props: PeerGatewayProps) {
    super(scope, id);
    const vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 }],
    });
    // CDK's IVpc declares `vpnGatewayId?: string`, which `Vpc` only satisfies without exactOptionalPropertyTypes.
    this.vpc = vpc as unknown as IVpc;
    const cluster = new Cluster(this, 'Cluster', { vpc: this.vpc }) as unknown as ICluster; // as for IVpc above
    const task = new FargateTaskDefinition(this, 'Task', {
      cpu: 256,
      memoryLimitMiB: 512,
      runtimePlatform: { cpuArchitecture: CpuArchitecture.ARM64, operatingSystemFamily: OperatingSystemFamily.LINUX },
    });
    this.taskRole = task.taskRole;
    task.addContainer('gateway', {
      image: ContainerImage.fromAsset(REPO_ROOT, { file: GATEWAY_DOCKERFILE, platform: Platform.LINUX_ARM64 }),
      environment: { ...props.environment, PEER_PORT: String(PEER_PORT) },
      portMappings: [{ containerPort: PEER_PORT, protocol: EcsProtocol.TCP }],
      logging: LogDrivers.awsLogs({
        streamPrefix: 'gateway',
        logGroup: new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH, removalPolicy: props.logRemovalPolicy }),
      }),
      stopTimeout: Duration.seconds(10),
    });

    const lbSecurityGroup = new SecurityGroup(this, 'LoadBalancerSg', {
      vpc: this.vpc,
      description: 'Lightning peers to the NLB on 9735',
      allowAllOutbound: false,
    });
    lbSecurityGroup.addIngressRule(Peer.anyIpv4(), Port.tcp(PEER_PORT), 'Lightning peers');
    const serviceSecurityGroup = new SecurityGroup(this, 'ServiceSg', {
      vpc: this.vpc,
      description: 'The peer gateway: 9735 from the NLB only; out to AWS APIs and dialled peers',
      allowAllOutbound: true,
    });
    serviceSecurityGroup.addIngressRule(lbSecurityGroup, Port.tcp(PEER_PORT), 'from the NLB');
    lbSecurityGroup.addEgressRule(serviceSecurityGroup, Port.tcp(PEER_PORT), 'to the gateway');

    this.service = new FargateService(this, 'Service', {
      cluster,
      taskDefinition: task,
      desiredCount: 1,
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      assignPublicIp: true,
      vpcSubnets: { subnetType: SubnetType.PUBLIC },
      securityGroups: [serviceSecurityGroup],
      circuitBreaker: { rollback: true },
    });

    this.loadBalancer = new NetworkLoadBalancer(this, 'Nlb', {
      vpc: this.vpc,
      internetFacing: true,
      securityGroups: [lbSecurityGroup],
      vpcSubnets: { subnetType: SubnetType.PUBLIC },
    });
    const listener = this.loadBalancer.addListener('Peers', { port: PEER_PORT, protocol: Protocol.TCP });
    listener.addTargets('Gateway', {
      port: PEER_PORT,
      protocol: Protocol.TCP,
      targets: [this.service],
      deregistrationDelay: Duration.seconds(15),
      // The gateway sees each peer's own IP (not the NLB's), so its per-IP connection cap means something.
      // The service's ingress rule names the NLB's security group, which still admits the traffic (docs/deploy-aws.md).
      preserveClientIp: true,
      healthCheck: { protocol: Protocol.TCP, interval: Duration.seconds(30) },
    });
  }
}
