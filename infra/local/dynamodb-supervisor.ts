/**
 * DynamoDB Local under supervision: the embedded deployment's store is a
 * JVM that can die on its own (killed, out of memory). When it exits
 * without being asked to, it is started again on the same port and the same
 * data (the node's clients keep their endpoint), saying so in one line;
 * when it cannot be (three failed starts in a row, or more than five exits
 * within a minute), `onGiveUp` gets a one-line reason and the deployment
 * stops. Its pid is kept in the data dir (infra/local/leftover-dynamodb.ts).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClient, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import { removeDynamoPid, writeDynamoPid } from './leftover-dynamodb.js';

export interface SupervisedDynamoDb {
  readonly endpoint: string;
  /** True from its unexpected exit until it answers again. */
  readonly down: boolean;
  /** The running JVM's pid. */
  readonly pid: number | undefined;
  client(): DynamoDBClient;
  /** Stops supervising, then DynamoDB Local. */
  stop(): Promise<void>;
  /** Synchronously asks the JVM to end (the process exits right after). */
  abandon(): void;
}

export interface SuperviseOptions {
  readonly port: number;
  /** DynamoDB Local's database directory. */
  readonly path: string;
  /** The data dir, where the pid is kept. */
  readonly dataDir: string;
  readonly notice: (line: string) => void;
  /** Called once, with a one-line reason, when DynamoDB Local exited and cannot be restarted. */
  readonly onGiveUp: (reason: string) => void;
}

const START_ATTEMPTS = 3;
const MAX_EXITS_PER_MINUTE = 5;

function describeEnd(end: { code: number | null; signal: NodeJS.Signals | null }): string {
  return end.signal !== null ? `killed by ${end.signal}` : `exit code ${end.code}`;
}

export async function superviseDynamoDb(options: SuperviseOptions): Promise<SupervisedDynamoDb> {
  const start = async (): Promise<DynamoDbLocal> => {
    // Its own process group: a terminal's Ctrl-C reaches only us, and we stop it once the invocations in flight are done.
    const started = await startDynamoDbLocal({ port: options.port, path: options.path, detached: true });
    writeDynamoPid(options.dataDir, started.pid);
    return started;
  };
  let current = await start();
  let down = false;
  let stopping = false;
  let restarting: Promise<void> = Promise.resolve();
  const exits: number[] = [];

  const restart = async (ended: { code: number | null; signal: NodeJS.Signals | null }): Promise<void> => {
    const now = Date.now();
    exits.push(now);
    while (exits[0]! < now - 60_000) exits.shift();
    if (exits.length > MAX_EXITS_PER_MINUTE) {
      options.onGiveUp(`DynamoDB Local exited ${exits.length} times within a minute (last: ${describeEnd(ended)}); stopping`);
      return;
    }
    options.notice(`DynamoDB Local exited (${describeEnd(ended)}); restarting it on the same data`);
    let lastError: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS && !stopping; attempt++) {
      try {
        const next = await start();
        if (stopping) {
          await next.stop();
          return;
        }
        current = next;
        down = false;
        watch(next);
        options.notice(`DynamoDB Local is back (pid ${next.pid})`);
        return;
      } catch (error) {
        lastError = error;
      }
    }
    if (!stopping) {
      options.onGiveUp(`DynamoDB Local exited (${describeEnd(ended)}) and could not be restarted: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
    }
  };

  const watch = (instance: DynamoDbLocal): void => {
    void instance.ended.then((ended) => {
      if (stopping || instance !== current) return;
      down = true;
      restarting = restart(ended);
    });
  };
  watch(current);

  const endpoint = current.endpoint;
  return {
    endpoint,
    get down() {
      return down;
    },
    get pid() {
      return current.pid;
    },
    client: () => localDynamoClient(endpoint),
    async stop() {
      stopping = true;
      await restarting;
      await current.stop();
      removeDynamoPid(options.dataDir);
    },
    abandon() {
      stopping = true;
      try {
        if (current.pid !== undefined) process.kill(current.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      removeDynamoPid(options.dataDir);
    },
  };
}
