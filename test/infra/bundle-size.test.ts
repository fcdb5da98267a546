/**
 * Each Lambda entry bundled with the deployed esbuild settings
 * (infra/bundles.ts): at most 1.4 MB minified, self-contained (one file,
 * loaded from a directory outside the repository, so no node_modules or
 * file beside it can help: the secp256k1 WASM is inside it), and its
 * module initialisation works in a fresh Node process with only the
 * environment the stack sets, without calling AWS.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleEntry, LAMBDA_ENTRIES, MAX_BUNDLE_BYTES, type BundleResult, type LambdaName } from '../../infra/bundles.js';
import { runBundle } from './support/fresh-node.js';

const names = Object.keys(LAMBDA_ENTRIES) as LambdaName[];
const STUB_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  TABLE_NAME: 'stormcell-node',
  OUTBOUND_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/stormcell-dev-outbound.fifo',
  NETWORK: 'signet',
  NODE_SEED_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:stormcell/dev/node-seed',
  API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:stormcell/dev/api-key',
};

let outRoot: string;
const bundles = new Map<LambdaName, BundleResult>();

beforeAll(async () => {
  outRoot = mkdtempSync(join(tmpdir(), 'stormcell-bundles-'));
  for (const name of names) bundles.set(name, await bundleEntry(LAMBDA_ENTRIES[name], join(outRoot, name)));
});

afterAll(() => {
  rmSync(outRoot, { recursive: true, force: true });
});

describe.each(names)('%s bundle', (name) => {
  it(`is at most ${MAX_BUNDLE_BYTES} bytes minified`, () => {
    const bundle = bundles.get(name)!;
    expect(bundle.bytes).toBeGreaterThan(1000);
    expect(bundle.bytes).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
  });

  it('is one file: nothing has to sit beside it', () => {
    expect(readdirSync(join(outRoot, name))).toEqual(['index.mjs']);
  });

  it('loads in a fresh Node process and exports its handler, without calling AWS', async () => {
    const run = await runBundle(bundles.get(name)!.file, STUB_ENV);
    expect(run.exports).toEqual(['handler']);
    expect(run.initMs).toBeGreaterThan(0);
  });
});
