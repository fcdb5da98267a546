/**
 * `npm run bench`: runs every bench/*.bench.ts in turn (or those named on the
 * command line), each printing its own table of medians.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();
console.log(`stormcell benchmarks (node ${process.version}, ${new Date().toISOString()})`);
for (const file of files) {
  await import(pathToFileURL(join(here, file)).href);
}
