// `npm run layering`: fail when the pure core breaks its layering rule.
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { checkLayering } from './layering.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const violations = checkLayering(root);
if (violations.length > 0) {
  console.error(`layering: ${violations.length} violation(s)`);
  for (const v of violations) console.error(`  ${v}`);
  process.exit(1);
}
console.log('layering: ok');
