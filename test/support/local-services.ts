/**
 * The real components most handler tests run against, started once per
 * test file: DynamoDB Local (the global setup's, `inject('dynamoEndpoint')`),
 * a fauxqs SQS emulator and an embedded regtest chain.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, inject } from 'vitest';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { freePort } from '../../infra/local/free-port.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { startSqsLocal, type SqsLocal } from '../../infra/local/sqs-local.js';

export interface LocalServices {
  readonly dynamo: DynamoDBClient;
  readonly sqs: SqsLocal;
  readonly chain: RunningRegtestChain;
}

/** Starts the services before the file's tests and stops them after; read them inside tests (they exist once `beforeAll` ran). */
export function useLocalServices(): LocalServices {
  const services: { dynamo?: DynamoDBClient; sqs?: SqsLocal; chain?: RunningRegtestChain } = {};
  beforeAll(async () => {
    services.dynamo = localDynamoClient(inject('dynamoEndpoint'));
    services.sqs = await startSqsLocal({ port: await freePort(), visibilityTimeoutSec: 1 });
    services.chain = await startRegtestChain({ port: 0, dataDir: undefined });
  });
  afterAll(async () => {
    services.dynamo?.destroy();
    await services.sqs?.stop();
    await services.chain?.stop();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not started (use it inside a test)`);
    return value;
  };
  return {
    get dynamo() {
      return started(services.dynamo, 'DynamoDB Local');
    },
    get sqs() {
      return started(services.sqs, 'fauxqs');
    },
    get chain() {
      return started(services.chain, 'the regtest chain');
    },
  };
}
