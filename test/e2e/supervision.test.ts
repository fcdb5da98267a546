/**
 * The embedded deployment supervises DynamoDB Local (defect 4 of issue 13):
 * its JVM killed with SIGKILL is started again on the same port and data,
 * and the node carries on with its state; when it cannot be started again,
 * the deployment stops itself with a one-line reason.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded, type Embedded } from '../../infra/local/embedded.js';
import { DYNAMODB_PID_FILE } from '../../infra/local/leftover-dynamodb.js';
import { embeddedTestOptions } from '../support/embedded-ldk.js';

const dataDir = mkdtempSync(join(tmpdir(), 'stormcell-supervision-'));
const notices: string[] = [];
let node: Embedded;

beforeAll(async () => {
  node = await startEmbedded(await embeddedTestOptions(dataDir, { onNotice: (line) => notices.push(line) }));
});
afterAll(async () => {
  await node?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function api(method: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${node.apiUrl}${path}`, { method, headers: { authorization: `Bearer ${node.apiKey}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const dynamoPid = () => Number(readFileSync(join(dataDir, DYNAMODB_PID_FILE), 'utf8').trim());

describe('a DynamoDB Local killed under the running node', () => {
  it('is restarted on the same data: the state from before is read back, and health is ok again', async () => {
    expect(await api('GET', '/v1/health')).toEqual({ status: 200, body: { status: 'ok', down: [] } });
    const first = (await api('POST', '/v1/wallet/address')).body['address'];
    expect(first).toMatch(/^bcrt1q/);

    const killed = dynamoPid();
    process.kill(killed, 'SIGKILL');
    while (!notices.some((line) => line.startsWith('DynamoDB Local is back'))) await new Promise((r) => setTimeout(r, 50));
    expect(notices).toEqual(['DynamoDB Local exited (killed by SIGKILL); restarting it on the same data', `DynamoDB Local is back (pid ${dynamoPid()})`]);
    expect(dynamoPid()).not.toBe(killed);

    expect(await api('GET', '/v1/health')).toEqual({ status: 200, body: { status: 'ok', down: [] } });
    expect((await api('GET', '/v1/node')).status).toBe(200);
    // The wallet item survived: the next address is the next index, not the first one again.
    const answer = await api('POST', '/v1/wallet/address');
    expect(answer).toMatchObject({ status: 200, body: { address: expect.stringMatching(/^bcrt1q/) } });
    const second = answer.body['address'];
    expect(second).not.toBe(first);
  });
});

describe('a DynamoDB Local that cannot be restarted', () => {
  it('stops the whole deployment, with one line saying why', async () => {
    notices.length = 0;
    // Its database directory replaced by a file: every start now fails.
    rmSync(join(dataDir, 'dynamodb'), { recursive: true, force: true });
    writeFileSync(join(dataDir, 'dynamodb'), 'not a directory');
    process.kill(dynamoPid(), 'SIGKILL');
    const reason = await node.stoppedItself;
    expect(reason).toBe(
      'DynamoDB Local exited (killed by SIGKILL) and could not be restarted: DynamoDB Local exited during start: Invalid directory for database creation.',
    );
    expect(notices).toEqual(['DynamoDB Local exited (killed by SIGKILL); restarting it on the same data', reason]);
    await expect(fetch(`${node.apiUrl}/v1/health`)).rejects.toThrow();
  });
});
