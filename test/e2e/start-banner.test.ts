/**
 * The `npm start` banner (issue 13, defect 11): the API key is printed once,
 * by the start that generated it; later starts say where it is kept. No
 * AWS SDK warning about Node 22 on the Node 20 the README supports. It shows
 * the forwarding policy in force (FORWARDING_* variables, docs/forwarding.md).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { NpmStart, freePorts } from '../support/npm-start.js';

const dataDir = mkdtempSync(join(tmpdir(), 'stormcell-banner-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** One `npm start` up to its banner, then a Ctrl-C; returns what it printed. */
async function startAndStop(): Promise<string> {
  // Whatever the test runner's environment says, the start decides about the SDK's warning itself.
  const run = NpmStart.start(dataDir, await freePorts(), { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '', FORWARDING_FEE_PPM: '150', FORWARDING_CLTV_DELTA: '30' });
  try {
    await run.waitFor(/Ctrl-C stops everything/, 'the banner');
  } finally {
    run.ctrlC();
    await run.exited;
  }
  return run.output;
}

it('shows a new API key once, then where it is kept; no Node 22 warning', async () => {
  const first = await startAndStop();
  const key = readFileSync(join(dataDir, 'api-key'), 'utf8').trim();
  expect(first.split(key).length - 1).toBe(1);
  expect(first).toMatch(/not shown again/);
  expect(first).toContain(`$(cat ${join(dataDir, 'api-key')})`);

  const second = await startAndStop();
  expect(second).not.toContain(key);
  expect(second).toContain(`API key       in ${join(dataDir, 'api-key')}`);
  expect(second).toContain(`$(cat ${join(dataDir, 'api-key')})`);
  for (const output of [first, second]) expect(output).not.toMatch(/NodeVersionSupportWarning|upgrade to node/);
  // The forwarding policy in force: FORWARDING_FEE_PPM as given, the base at its default, a CLTV delta of 30 raised to 42.
  for (const output of [first, second]) expect(output).toContain('forwarding    fee 1000 msat + 150 ppm, CLTV delta 42');
}, 90_000);
