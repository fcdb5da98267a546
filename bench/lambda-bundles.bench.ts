/**
 * What each Lambda costs at cold start that we control: the minified bundle's
 * size, and its module initialisation (read, compile, evaluate the bundle)
 * in a fresh Node process, median of 11 processes. Targets (issue 9): each
 * bundle <= 1.4 MB (MAX_BUNDLE_BYTES), module init <= 150 ms. Bundled with the deployed settings
 * (infra/bundles.ts), into a directory outside the repository.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleEntry, LAMBDA_ENTRIES, MAX_BUNDLE_BYTES, type LambdaName } from '../infra/bundles.js';
import { runBundle } from '../test/infra/support/fresh-node.js';
import { ms, printTable } from './measure.js';

const PROCESSES = 11;
const INIT_TARGET_MS = 150;
const ENV = {
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  TABLE_NAME: 'bench',
  OUTBOUND_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench.fifo',
  NETWORK: 'signet',
  NODE_SEED_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:seed',
  API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:api-key',
};

const outRoot = mkdtempSync(join(tmpdir(), 'stormcell-bench-bundles-'));
try {
  const rows: string[][] = [['function', 'bundle (KB, minified)', `<= ${MAX_BUNDLE_BYTES / 1e6} MB`, 'module init median (ms)', 'min..max (ms)', `<= ${INIT_TARGET_MS} ms`]];
  for (const name of Object.keys(LAMBDA_ENTRIES) as LambdaName[]) {
    const bundle = await bundleEntry(LAMBDA_ENTRIES[name], join(outRoot, name));
    const samples: number[] = [];
    for (let i = 0; i < PROCESSES; i++) samples.push((await runBundle(bundle.file, ENV)).initMs);
    samples.sort((a, b) => a - b);
    const median = samples[Math.floor(samples.length / 2)]!;
    rows.push([
      name,
      (bundle.bytes / 1000).toFixed(1),
      bundle.bytes <= MAX_BUNDLE_BYTES ? 'yes' : 'NO',
      ms(median),
      `${ms(samples[0]!)}..${ms(samples[samples.length - 1]!)}`,
      median <= INIT_TARGET_MS ? 'yes' : 'NO',
    ]);
  }
  printTable(`Lambda bundles: size and module init in a fresh process (median of ${PROCESSES}, node ${process.version}, x64 here; Lambda runs arm64)`, rows);
} finally {
  rmSync(outRoot, { recursive: true, force: true });
}
