/**
 * `npx tsx infra/gateway/bundle.ts <outDir>`: bundles the peer gateway as the
 * Lambdas are bundled (infra/bundles.ts). The gateway image runs it at build time.
 */
import { resolve } from 'node:path';
import { bundleEntry, GATEWAY_ENTRY } from '../bundles.js';

const outDir = process.argv[2];
if (outDir === undefined) {
  console.error('usage: tsx infra/gateway/bundle.ts <outDir>');
  process.exit(2);
}
const result = await bundleEntry(GATEWAY_ENTRY, resolve(outDir));
console.log(`gateway bundle: ${result.file} (${result.bytes} bytes)`);
