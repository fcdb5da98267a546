/**
 * The peer gateway as its image runs it: `functions/gateway/main.ts` bundled
 * with the deployed settings (infra/gateway/bundle.ts does the same inside
 * infra/gateway/Dockerfile), at most MAX_BUNDLE_BYTES (1.4 MB), started in a fresh Node process
 * with the environment the CDK stack gives the Fargate task. The seed comes
 * from the Secrets Manager stand-in; the queues are fauxqs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeIdFromSeed } from '../../functions/runtime/node-context.js';
import { bundleEntry, GATEWAY_ENTRY, MAX_BUNDLE_BYTES, type BundleResult } from '../../infra/bundles.js';
import { freePort } from '../../infra/local/free-port.js';
import { startSqsLocal, type SqsLocal } from '../../infra/local/sqs-local.js';
import { toHex } from '../../shared/crypto/index.js';
import { startSecretsStub, type SecretsStub } from './support/secrets-stub.js';

const SEED_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:stormcell/test/node-seed';
const seed = randomBytes(32);

let outRoot: string;
let bundle: BundleResult;
let sqs: SqsLocal;
let secrets: SecretsStub;

beforeAll(async () => {
  outRoot = mkdtempSync(join(tmpdir(), 'stormcell-gateway-'));
  bundle = await bundleEntry(GATEWAY_ENTRY, outRoot);
  sqs = await startSqsLocal({ port: await freePort() });
  secrets = await startSecretsStub(new Map([[SEED_ARN, seed.toString('hex')]]));
});

afterAll(async () => {
  await sqs?.stop();
  await secrets?.stop();
  rmSync(outRoot, { recursive: true, force: true });
});

interface Started {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

function start(env: Record<string, string>): Started {
  const child = spawn(process.execPath, [bundle.file], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ text: line });
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, lines, stderr: () => stderr, exited };
}

async function waitFor<T>(find: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function awsEnv(port: number): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    INBOUND_QUEUE_URL: sqs.inbound.url,
    OUTBOUND_QUEUE_URL: sqs.outbound.url,
    PEER_PORT: String(port),
    PEER_HOST: '127.0.0.1',
    NETWORK: 'regtest',
  };
}

describe('gateway bundle', () => {
  it(`is at most ${MAX_BUNDLE_BYTES} bytes minified`, () => {
    expect(bundle.bytes).toBeGreaterThan(1000);
    expect(bundle.bytes).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
  });

  it('starts with the seed from Secrets Manager, listens as our node, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const before = secrets.requests.get(SEED_ARN) ?? 0;
    const run = start({ ...awsEnv(port), NODE_SEED_SECRET_ARN: SEED_ARN });
    try {
      const listening = await waitFor(() => run.lines.find((l) => l['message'] === 'gateway listening'), `'gateway listening' (stderr: ${run.stderr()})`);
      expect(listening).toMatchObject({ port, nodeId: toHex(nodeIdFromSeed(seed)) });
      expect((secrets.requests.get(SEED_ARN) ?? 0) - before).toBe(1);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(run.lines.some((l) => l['message'] === 'gateway stopped')).toBe(true);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('refuses to start without a seed, naming the variable', async () => {
    const run = start(awsEnv(await freePort()));
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain('NODE_SEED_SECRET_ARN (or NODE_SEED_HEX) is not set');
  });

  it('refuses a seed secret that is not 64 hex characters', async () => {
    const stub = await startSecretsStub(new Map([[SEED_ARN, 'not-a-seed']]));
    try {
      const run = start({ ...awsEnv(await freePort()), AWS_ENDPOINT_URL_SECRETS_MANAGER: stub.endpoint, NODE_SEED_SECRET_ARN: SEED_ARN });
      expect(await run.exited).toBe(1);
      expect(run.stderr()).toContain('the node seed secret must hold 64 hex characters (32 bytes)');
    } finally {
      await stub.stop();
    }
  });
});
