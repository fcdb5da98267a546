/**
 * The embedded deployment's data dir is private: every file the deployment
 * keeps there (seed, API key, DynamoDB Local's database, the regtest chain's
 * block log and mempool) is 0600 and every directory 0700, while it runs and
 * after it stops, also when DynamoDB Local (a JVM child) writes them and when
 * a data dir from an earlier version had them world-readable.
 */
import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded, type Embedded, type EmbeddedOptions } from '../../infra/local/embedded.js';
import { embeddedTestOptions } from '../support/embedded-ldk.js';

/** Every entry under `root` (root included) with its permission bits, e.g. `dynamodb/x.db 600`. */
function modes(root: string): Map<string, { readonly dir: boolean; readonly mode: number }> {
  const out = new Map<string, { readonly dir: boolean; readonly mode: number }>();
  const walk = (path: string) => {
    const stat = lstatSync(path);
    out.set(relative(root, path) || '.', { dir: stat.isDirectory(), mode: stat.mode & 0o777 });
    if (stat.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(root);
  return out;
}

/** The entries whose mode is not 0700 (directories) or 0600 (files), as `path mode`; empty when all are private. */
function notPrivate(root: string): string[] {
  return [...modes(root)].filter(([, e]) => e.mode !== (e.dir ? 0o700 : 0o600)).map(([path, e]) => `${path} ${e.mode.toString(8)}`);
}

/** Makes every entry world-readable, as an earlier version left them (0755 directories, 0644 files). */
function loosen(root: string): void {
  for (const [path, entry] of modes(root)) if (path !== '.') chmodSync(join(root, path), entry.dir ? 0o755 : 0o644);
}

const parent = mkdtempSync(join(tmpdir(), 'stormcell-modes-'));
// A data dir the deployment creates itself.
const dataDir = join(parent, 'data');
let options: EmbeddedOptions;
let node: Embedded | undefined;
let umask: number;

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  expect(response.status, url).toBeLessThan(300);
  return (await response.json()) as Record<string, unknown>;
}

/** Writes to every store: DynamoDB (a new address), the chain (a block, and a faucet payment left in the mempool). */
async function exercise(running: Embedded): Promise<void> {
  const { address } = await post(`${running.apiUrl}/v1/wallet/address`, {}, { authorization: `Bearer ${running.apiKey}` });
  await post(`${running.chainUrl}/regtest/mine`, { blocks: 1 });
  const pay = await fetch(`${running.chainUrl}/regtest/faucet`, { method: 'POST', body: JSON.stringify({ address, sats: 50_000 }) });
  expect(pay.status).toBe(200);
}

beforeAll(async () => {
  // The usual umask: what the deployment does not make private itself ends up 0644 / 0755.
  umask = process.umask(0o022);
  options = await embeddedTestOptions(dataDir);
});

afterAll(async () => {
  await node?.stop();
  process.umask(umask);
  rmSync(parent, { recursive: true, force: true });
});

describe('the data dir of the embedded deployment', () => {
  it('holds only 0600 files and 0700 directories, while running and after stop', async () => {
    node = await startEmbedded(options);
    await exercise(node);
    const running = modes(dataDir);
    expect([...running.keys()]).toEqual(expect.arrayContaining(['node-seed.hex', 'api-key', 'dynamodb', 'regtest-chain', 'regtest-chain/blocks.log']));
    expect([...running.keys()].some((p) => p.startsWith('dynamodb/') && p.endsWith('.db'))).toBe(true);
    expect(notPrivate(dataDir)).toEqual([]);

    await node.stop();
    node = undefined;
    expect(modes(dataDir).has('regtest-chain/mempool.hex')).toBe(true);
    expect(notPrivate(dataDir)).toEqual([]);
  });

  it('makes a data dir an earlier version left world-readable private again at the next start', async () => {
    // Stopped already, unless the test before failed half-way.
    await node?.stop();
    node = undefined;
    loosen(dataDir);
    expect(notPrivate(dataDir).length).toBeGreaterThan(4);
    node = await startEmbedded(options);
    await exercise(node);
    expect(notPrivate(dataDir)).toEqual([]);
    await node.stop();
    node = undefined;
    expect(notPrivate(dataDir)).toEqual([]);
  });
});
