/**
 * What the bench tests share (test/bench): one `npm run bench -- <name>`
 * run in a child process with small sizes set through the environment, and
 * the cells of a row of the markdown tables a bench prints.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Runs bench `name` (bench/index.ts) with `env` added to this process's environment; its stdout and stderr as text. */
export function runBench(name: string, env: Readonly<Record<string, string>>, timeoutMs: number): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', 'bench/index.ts', name], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}

/** The cells of the table row whose first cell is `first`, in the table whose `## ` title contains `table`. */
export function tableRow(stdout: string, table: string, first: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => l.startsWith('## ') && l.includes(table));
  if (start < 0) throw new Error(`no table ${table}`);
  const line = lines.slice(start).find((l) => l.startsWith(`| ${first} `));
  if (line === undefined) throw new Error(`no row ${first} in ${table}`);
  return line.split('|').slice(1, -1).map((c) => c.trim());
}
