/**
 * bench/routing.bench.ts in light form (500 nodes, 1,500 channels, 30
 * pairs) through `npm run bench`'s entry point: it runs, prints its tables,
 * finds routes for the pairs, and its snapshot is about 97 bytes a channel.
 * Timing is printed, never asserted.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function row(stdout: string, table: string, first: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => l.startsWith('## ') && l.includes(table));
  if (start < 0) throw new Error(`no table ${table}`);
  const line = lines.slice(start).find((l) => l.startsWith(`| ${first} `));
  if (line === undefined) throw new Error(`no row ${first} in ${table}`);
  return line.split('|').slice(1, -1).map((c) => c.trim());
}

describe('the routing bench', () => {
  it('measures the snapshot and pathfinding between random pairs', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/index.ts', 'routing'], {
      cwd: root,
      env: { ...process.env, BENCH_ROUTING_NODES: '500', BENCH_ROUTING_CHANNELS: '1500', BENCH_ROUTING_PAIRS: '30' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stderr).not.toMatch(/failed/);
    expect(run.status).toBe(0);
    const perChannel = Number(row(run.stdout, 'graph and snapshot', 'snapshot bytes per channel')[1]);
    // 24 bytes a channel (scid, two node indices, capacity), 31 a direction, the 33-byte node ids amortised (11 here).
    expect(perChannel).toBeGreaterThan(90);
    expect(perChannel).toBeLessThan(110);
    // Columns: search, pairs, p50, p90, max, found, parts per payment.
    const fees = row(run.stdout, 'pathfinding between random pairs', 'findRoute, 50,000 sat, fees only');
    expect(fees[1]).toBe('30');
    expect(Number(fees[5])).toBeGreaterThan(20);
    const scored = row(run.stdout, 'pathfinding between random pairs', 'findRoute, 50,000 sat, default scorer');
    expect(Number(scored[5])).toBeGreaterThan(20);
  });
});
