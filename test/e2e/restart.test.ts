/**
 * Stopping and restarting `npm start` (defect 2 of issue 13): a restart
 * right after a kill -9 that left the lease (and DynamoDB Local) behind
 * waits for the lease and comes up; a Ctrl-C while an invocation holds the
 * lease lets it finish, so the next start comes up at once.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbedded, TABLE_NAME, type Embedded, type EmbeddedOptions } from '../../infra/local/embedded.js';
import { localDynamoClient, startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { DYNAMODB_PID_FILE } from '../../infra/local/leftover-dynamodb.js';
import { NodeStore } from '../../shared/store/index.js';
import { NpmStart, dynamoAnswers, freePorts, type NpmStartPorts } from '../support/npm-start.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function newDataDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `stormcell-restart-${label}-`));
  cleanups.push(() => {
    // A DynamoDB Local a failed test left behind (its pid is recorded in the data dir).
    const pidFile = join(dir, DYNAMODB_PID_FILE);
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function npmStart(dataDir: string, ports: NpmStartPorts, env: Record<string, string> = {}): NpmStart {
  const run = NpmStart.start(dataDir, ports, env);
  cleanups.push(async () => {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.kill9();
      await run.exited;
    }
  });
  return run;
}

/** The same deployment in this process (same data dir and ports), with its notices collected. */
async function startInProcess(dataDir: string, ports: NpmStartPorts, notices: string[], esploraUrl?: string): Promise<Embedded> {
  const options: EmbeddedOptions = {
    dataDir,
    ...ports,
    chainPollMs: 3_600_000,
    timerIntervalMs: 3_600_000,
    onNotice: (line) => notices.push(line),
    ...(esploraUrl === undefined ? {} : { esploraUrl }),
  };
  const node = await startEmbedded(options);
  cleanups.push(() => node.stop());
  return node;
}

async function nodeInfo(node: Embedded): Promise<number> {
  return (await fetch(`${node.apiUrl}/v1/node`, { headers: { authorization: `Bearer ${node.apiKey}` } })).status;
}

describe('a restart after kill -9', () => {
  it('stops the DynamoDB Local the killed run left, waits for the lease its invocation held, and comes up', async () => {
    const dataDir = newDataDir('kill9');
    const ports = await freePorts();
    const first = npmStart(dataDir, ports);
    await first.waitFor(/stormcell is running/, 'the start');
    // An invocation in flight when the process is killed: the lease taken, never released.
    const client = localDynamoClient(`http://127.0.0.1:${ports.dynamoPort}`);
    const store = new NodeStore({ client, tableName: TABLE_NAME });
    const held = await store.acquireLease(first.nodeId, 'invocation-in-flight-at-kill', 15_000);
    client.destroy();
    first.kill9();
    await first.exited;
    // Its DynamoDB Local outlives it, on the port and the data.
    expect(await dynamoAnswers(ports.dynamoPort)).toBe(true);

    const notices: string[] = [];
    const node = await startInProcess(dataDir, ports, notices).catch((error: unknown) => {
      throw new Error(`the restart failed after the notices ${JSON.stringify(notices)}: ${String(error)}`);
    });
    expect(node.nodeId).toBe(first.nodeId);
    expect(notices).toEqual([
      expect.stringMatching(/^stopping the DynamoDB Local a previous run left running \(pid \d+\)$/),
      expect.stringMatching(/^waiting up to (\d|1[0-5]) s for the lease a previous run left$/),
    ]);
    expect(await nodeInfo(node)).toBe(200);
    // The start-up invocation took the lease after the crashed one (fence + 1) and released it.
    const lease = await node.context.store.readLease(node.nodeId);
    expect(lease?.fence).toBe(held.fence + 1n);
    expect(lease?.expiresAtMs).toBe(0);
  });
});

describe('a Ctrl-C while an invocation holds the lease', () => {
  it('lets it finish before stopping DynamoDB Local: no lease is left and the next start comes up at once', async () => {
    // An Esplora that holds every request until told: the chain sync stays in flight, under the lease.
    const held: ServerResponse[] = [];
    let holding = true;
    const esplora = createServer((_req, res) => (holding ? held.push(res) : res.writeHead(503).end()));
    await new Promise<void>((r) => esplora.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => esplora.close(() => r())));
    const address = esplora.address();
    const esploraUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;

    const dataDir = newDataDir('ctrlc');
    const ports = await freePorts();
    const run = npmStart(dataDir, ports, { ESPLORA_URL: esploraUrl, CHAIN_POLL_SEC: '1' });
    await run.waitFor(/stormcell is running/, 'the start');
    // A chain sync in flight (its chain requests come before its lease: docs/commit-protocol.md "Contention").
    while (held.length === 0) await new Promise((r) => setTimeout(r, 25));

    run.ctrlC();
    // Until the stop waits for the chain sync, or (as it used to) DynamoDB Local died of the Ctrl-C under it.
    while (!/waiting for 1 invocation\(s\) in flight to finish \(chain sync\)/.test(run.output) && (await dynamoAnswers(ports.dynamoPort))) {
      await new Promise((r) => setTimeout(r, 25));
    }
    holding = false;
    for (const res of held.splice(0)) res.writeHead(503).end();
    expect(await run.exited).toBe(0);
    expect(run.output).toMatch(/waiting for 1 invocation\(s\) in flight to finish \(chain sync\)/);
    // The lease as the stopped run left it in the data dir: none held (released, expiry 0, or never taken).
    const dynamo = await startDynamoDbLocal({ port: ports.dynamoPort, path: join(dataDir, 'dynamodb') });
    const client2 = dynamo.client();
    const left = await new NodeStore({ client: client2, tableName: TABLE_NAME }).readLease(run.nodeId);
    client2.destroy();
    await dynamo.stop();
    expect(left?.expiresAtMs ?? 0).toBe(0);

    const notices: string[] = [];
    const node = await startInProcess(dataDir, ports, notices, esploraUrl);
    expect(notices).toEqual([]);
    expect(await nodeInfo(node)).toBe(200);
  });
});
