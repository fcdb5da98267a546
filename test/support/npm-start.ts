/**
 * `npm start` (infra/local/main.ts) as a child process in its own process
 * group, as a terminal runs it: a test can send the group a Ctrl-C
 * (SIGINT to every process of the group, DynamoDB Local's JVM included when
 * it shares the group) or kill -9 the node process alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { freePort } from '../../infra/local/free-port.js';

const root = resolve(import.meta.dirname, '../..');

export interface NpmStartPorts {
  readonly port: number;
  readonly peerPort: number;
  readonly dynamoPort: number;
  readonly sqsPort: number;
  readonly chainPort: number;
}

export async function freePorts(): Promise<NpmStartPorts> {
  return { port: await freePort(), peerPort: await freePort(), dynamoPort: await freePort(), sqsPort: await freePort(), chainPort: await freePort() };
}

export class NpmStart {
  #stdout = '';
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (c: Uint8Array) => (this.#stdout += new TextDecoder().decode(c)));
    child.stderr!.on('data', (c: Uint8Array) => (this.#stdout += new TextDecoder().decode(c)));
    this.exited = new Promise((done) => child.once('exit', (code) => done(code)));
  }

  /** Everything it printed (stdout and stderr). */
  get output(): string {
    return this.#stdout;
  }

  /** Our node id, from the start banner. */
  get nodeId(): string {
    const found = /node id\s+(0[23][0-9a-f]{64})/.exec(this.#stdout);
    if (found === null) throw new Error(`no node id in: ${this.#stdout}`);
    return found[1]!;
  }

  static start(dataDir: string, ports: NpmStartPorts, env: Record<string, string> = {}): NpmStart {
    const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        STORMCELL_DATA_DIR: dataDir,
        PORT: String(ports.port),
        PEER_PORT: String(ports.peerPort),
        DYNAMODB_PORT: String(ports.dynamoPort),
        SQS_PORT: String(ports.sqsPort),
        CHAIN_PORT: String(ports.chainPort),
        CHAIN_POLL_SEC: '3600',
        TIMER_INTERVAL_SEC: '3600',
        ...env,
      },
    });
    return new NpmStart(child);
  }

  /** Resolves once the output matches `pattern`; rejects if the process exits first. */
  async waitFor(pattern: RegExp, what: string): Promise<void> {
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (!pattern.test(this.#stdout)) {
      if (exited) throw new Error(`npm start exited before ${what}: ${this.#stdout}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** A terminal's Ctrl-C: SIGINT to the whole process group. */
  ctrlC(): void {
    process.kill(-this.child.pid!, 'SIGINT');
  }

  /** kill -9 of the node process alone. */
  kill9(): void {
    this.child.kill('SIGKILL');
  }
}

/** Whether DynamoDB Local on `port` answers (with the node table). */
export async function dynamoAnswers(port: number): Promise<boolean> {
  const client = localDynamoClient(`http://127.0.0.1:${port}`);
  try {
    await client.send(new DescribeTableCommand({ TableName: 'stormcell' }));
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}
