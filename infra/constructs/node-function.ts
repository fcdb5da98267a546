/**
 * One Lambda function of the node, with the defaults every function shares:
 * Node.js 22 on arm64, bundled locally with esbuild (never Docker) by the
 * settings of infra/bundles.ts, X-Ray tracing, a log group with a bounded
 * retention, and the Powertools environment.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { join } from 'node:path';
import {
  BUNDLE_TARGET,
  ESM_REQUIRE_BANNER,
  LAMBDA_ENTRIES,
  MAIN_FIELDS,
  REPO_ROOT,
  type LambdaName,
} from '../bundles.js';

/** The defaults, named so tests and docs can refer to them. */
export const NODE_FUNCTION_DEFAULTS = {
  runtime: Runtime.NODEJS_22_X,
  architecture: Architecture.ARM_64,
  memorySize: 512,
  timeout: Duration.seconds(30),
  logRetention: RetentionDays.ONE_MONTH,
  logLevel: 'INFO',
} as const;

export interface NodeFunctionProps {
  /** Which entry of infra/bundles.ts this function runs. */
  readonly name: LambdaName;
  readonly description: string;
  /** Variables besides the Powertools ones. */
  readonly environment?: Readonly<Record<string, string>>;
  readonly memorySize?: number;
  readonly timeout?: Duration;
  /** Whether the log group goes with the stack (dev) or stays (retained stages). */
  readonly logRemovalPolicy?: RemovalPolicy;
}

export class NodeFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: NODE_FUNCTION_DEFAULTS.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      description: props.description,
      entry: join(REPO_ROOT, LAMBDA_ENTRIES[props.name]),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      runtime: NODE_FUNCTION_DEFAULTS.runtime,
      architecture: NODE_FUNCTION_DEFAULTS.architecture,
      memorySize: props.memorySize ?? NODE_FUNCTION_DEFAULTS.memorySize,
      timeout: props.timeout ?? NODE_FUNCTION_DEFAULTS.timeout,
      tracing: Tracing.ACTIVE,
      logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: `stormcell-${props.name}`,
        POWERTOOLS_LOG_LEVEL: NODE_FUNCTION_DEFAULTS.logLevel,
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: false,
        target: BUNDLE_TARGET,
        mainFields: [...MAIN_FIELDS],
        banner: ESM_REQUIRE_BANNER,
        // Bundle the AWS SDK too: the lockfile's versions, measured by the bundle-size test.
        externalModules: [],
      },
    });
  }
}
