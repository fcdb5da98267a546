/**
 * Runs bench files one after the other. A bench that throws is reported
 * (its name and error) and the next one still runs; the caller learns which
 * failed, so `npm run bench` can exit non-zero at the end.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface BenchFailure {
  readonly name: string;
  readonly error: string;
}

/**
 * The `*.bench.ts` files of `dir` named by `wanted` (all when empty), sorted:
 * a name that is a bench's own (`payments` for `payments.bench.ts`) selects
 * that bench alone, any other selects the benches whose file name contains it.
 */
export function benchFiles(dir: string, wanted: readonly string[]): string[] {
  const all = readdirSync(dir).filter((f) => f.endsWith('.bench.ts'));
  const named = (w: string) => (all.includes(`${w}.bench.ts`) ? [`${w}.bench.ts`] : all.filter((f) => f.includes(w)));
  return (wanted.length === 0 ? all : [...new Set(wanted.flatMap(named))]).sort();
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

/** Imports (runs) each file of `dir` in `files`; resolves with the ones that failed. */
export async function runBenches(dir: string, files: readonly string[], log: (line: string) => void = console.error): Promise<BenchFailure[]> {
  const failures: BenchFailure[] = [];
  for (const name of files) {
    try {
      await import(pathToFileURL(join(dir, name)).href);
    } catch (error) {
      const failure = { name, error: describeError(error) };
      failures.push(failure);
      log(`\nbench ${name} failed: ${failure.error}`);
    }
  }
  return failures;
}
