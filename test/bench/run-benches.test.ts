/**
 * `npm run bench`'s runner (bench/run-benches.ts): a failing bench is
 * reported by name with its error and the benches after it still run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { benchFiles, runBenches } from '../../bench/run-benches.js';

const dir = mkdtempSync(join(tmpdir(), 'stormcell-benches-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What the benches of `dir` did, in order (each appends its name). */
const ran: string[] = [];
declare global {
  var benchRunnerTestLog: string[] | undefined;
}
globalThis.benchRunnerTestLog = ran;

writeFileSync(join(dir, 'a-first.bench.ts'), "globalThis.benchRunnerTestLog.push('a');\n");
writeFileSync(join(dir, 'b-broken.bench.ts'), "globalThis.benchRunnerTestLog.push('b');\nthrow new Error('bench b broke');\n");
writeFileSync(join(dir, 'c-after.bench.ts'), "globalThis.benchRunnerTestLog.push('c');\nawait Promise.reject(new RangeError('c broke later'));\n");
writeFileSync(join(dir, 'd-last.bench.ts'), "globalThis.benchRunnerTestLog.push('d');\n");
writeFileSync(join(dir, 'notes.ts'), "globalThis.benchRunnerTestLog.push('not a bench');\n");

describe('the bench runner', () => {
  it('selects *.bench.ts files, sorted, filtered by the names given', () => {
    expect(benchFiles(dir, [])).toEqual(['a-first.bench.ts', 'b-broken.bench.ts', 'c-after.bench.ts', 'd-last.bench.ts']);
    expect(benchFiles(dir, ['last', 'first'])).toEqual(['a-first.bench.ts', 'd-last.bench.ts']);
  });

  it("selects a bench alone by its own name, though others' names contain it", () => {
    const named = mkdtempSync(join(tmpdir(), 'stormcell-benches-named-'));
    try {
      for (const f of ['payments.bench.ts', 'http-payments.bench.ts', 'payment-nodes.ts']) writeFileSync(join(named, f), '');
      expect(benchFiles(named, ['payments'])).toEqual(['payments.bench.ts']);
      expect(benchFiles(named, ['http-payments'])).toEqual(['http-payments.bench.ts']);
      expect(benchFiles(named, ['payment'])).toEqual(['http-payments.bench.ts', 'payments.bench.ts']);
    } finally {
      rmSync(named, { recursive: true, force: true });
    }
  });

  it('runs every bench, reports each failure by name and error, and goes on', async () => {
    const lines: string[] = [];
    const failures = await runBenches(dir, benchFiles(dir, []), (line) => lines.push(line));
    expect(ran).toEqual(['a', 'b', 'c', 'd']);
    expect(failures.map((f) => f.name)).toEqual(['b-broken.bench.ts', 'c-after.bench.ts']);
    expect(failures[0]!.error).toContain('bench b broke');
    expect(failures[1]!.error).toContain('RangeError: c broke later');
    expect(lines.join('\n')).toMatch(/bench b-broken\.bench\.ts failed: .*bench b broke/);
    expect(lines.join('\n')).toMatch(/bench c-after\.bench\.ts failed: .*c broke later/);
  });
});
