/**
 * DynamoDB Local under supervision (infra/local/dynamodb-supervisor.ts),
 * with the real JVM: killed, it is started again on the same data; when it
 * cannot be, `onGiveUp` gets one line saying why.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { superviseDynamoDb, type SupervisedDynamoDb } from '../../infra/local/dynamodb-supervisor.js';
import { freePort } from '../../infra/local/free-port.js';
import { DYNAMODB_PID_FILE } from '../../infra/local/leftover-dynamodb.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function supervised(): Promise<{ dynamo: SupervisedDynamoDb; dataDir: string; notices: string[]; gaveUp: Promise<string> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stormcell-supervisor-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  mkdirSync(join(dataDir, 'dynamodb'));
  const notices: string[] = [];
  let gaveUp: (reason: string) => void = () => undefined;
  const gaveUpPromise = new Promise<string>((r) => (gaveUp = r));
  const dynamo = await superviseDynamoDb({
    port: await freePort(),
    path: join(dataDir, 'dynamodb'),
    dataDir,
    notice: (line) => notices.push(line),
    onGiveUp: (reason) => gaveUp(reason),
  });
  cleanups.push(() => dynamo.stop());
  return { dynamo, dataDir, notices, gaveUp: gaveUpPromise };
}

const pidIn = (dataDir: string) => Number(readFileSync(join(dataDir, DYNAMODB_PID_FILE), 'utf8').trim());

describe('supervised DynamoDB Local', () => {
  it('is started again on the same port and data after a SIGKILL, its new pid recorded', async () => {
    const { dynamo, dataDir, notices } = await supervised();
    const client = dynamo.client();
    cleanups.push(() => client.destroy());
    await client.send(
      new CreateTableCommand({
        TableName: 'kept',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const first = dynamo.pid!;
    expect(pidIn(dataDir)).toBe(first);
    process.kill(first, 'SIGKILL');
    while (!notices.some((l) => l.startsWith('DynamoDB Local is back'))) await new Promise((r) => setTimeout(r, 50));
    expect(dynamo.down).toBe(false);
    expect(dynamo.pid).not.toBe(first);
    expect(pidIn(dataDir)).toBe(dynamo.pid);
    expect(notices).toEqual(['DynamoDB Local exited (killed by SIGKILL); restarting it on the same data', `DynamoDB Local is back (pid ${dynamo.pid})`]);
    // Same endpoint, same data: the same client reads the table created before.
    expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual(['kept']);
  });

  it('gives up with one line when it cannot be started again, and stays down', async () => {
    const { dynamo, dataDir, notices, gaveUp } = await supervised();
    rmSync(join(dataDir, 'dynamodb'), { recursive: true, force: true });
    writeFileSync(join(dataDir, 'dynamodb'), 'not a directory');
    process.kill(dynamo.pid!, 'SIGKILL');
    const reason = await gaveUp;
    expect(reason).toBe('DynamoDB Local exited (killed by SIGKILL) and could not be restarted: DynamoDB Local exited during start: Invalid directory for database creation.');
    expect(notices).toEqual(['DynamoDB Local exited (killed by SIGKILL); restarting it on the same data']);
    expect(dynamo.down).toBe(true);
  });
});
