/**
 * `npm run bench`: runs every bench/*.bench.ts in turn (or those named on the
 * command line), each printing its own table of medians. A bench that fails
 * is reported and the others still run; the exit status is non-zero if any failed.
 * Every `*.bench.ts` of this folder is a bench (bench/README.md lists them,
 * e.g. `open-vs-ldk.bench.ts`, issue 14); helpers such as `open-peers.ts` are not.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchFiles, runBenches } from './run-benches.js';

const here = dirname(fileURLToPath(import.meta.url));
const files = benchFiles(here, process.argv.slice(2));
console.log(`stormcell benchmarks (node ${process.version}, ${new Date().toISOString()})`);
const failures = await runBenches(here, files);
if (failures.length > 0) {
  console.error(`\n${failures.length} of ${files.length} benches failed: ${failures.map((f) => f.name).join(', ')}`);
  process.exitCode = 1;
}
