// The layering rule of stormcell's pure core (see docs/architecture.md).
//
// A core folder of shared/ must not do I/O, read the clock or draw randomness,
// and may import only core folders of a lower (or the same) layer.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

/** Core folders and their layer: a folder may import only folders of a lower or equal layer. */
export const CORE_LAYERS = Object.freeze({
  ports: 0,
  codec: 0,
  crypto: 1,
  wire: 2,
  keys: 2,
  transport: 3,
  tx: 3,
  onion: 3,
  invoice: 3,
  channel: 4,
  wallet: 4,
  gossip: 4,
  monitor: 5,
  routing: 5,
  manager: 6,
});

/** Adapter folders of shared/: the I/O at the core's edges (they may import the core, never the other way). */
export const ADAPTER_FOLDERS = Object.freeze(['chain', 'peer', 'pipeline', 'store']);

const FORBIDDEN_MODULES = [
  /^@aws-sdk\//,
  /^(node:)?net$/,
  /^(node:)?fs(\/promises)?$/,
  /^(node:)?https?$/,
  /^(node:)?http2$/,
  /^(node:)?dgram$/,
  /^(node:)?child_process$/,
];

const FORBIDDEN_CALLS = [
  { pattern: /\bDate\.now\s*\(/, what: 'Date.now()' },
  { pattern: /\bnew\s+Date\s*\(/, what: 'new Date()' },
  { pattern: /\bMath\.random\s*\(/, what: 'Math.random()' },
  { pattern: /\bBuffer\b/, what: 'Buffer (use Uint8Array)' },
];

function stripComments(source) {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

function importsOf(source) {
  const specs = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;
  for (let m = re.exec(source); m; m = re.exec(source)) specs.push(m[1]);
  return specs;
}

function tsFiles(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(tsFiles(p));
    else if (/\.(ts|mts|js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

/** Returns a list of violations ("file: message") for the repository rooted at `root`. */
export function checkLayering(root) {
  const shared = resolve(root, 'shared');
  const violations = [];
  let folders = [];
  try {
    folders = readdirSync(shared).filter((f) => statSync(join(shared, f)).isDirectory());
  } catch {
    return violations;
  }
  for (const folder of folders) {
    if (!(folder in CORE_LAYERS) && !ADAPTER_FOLDERS.includes(folder)) {
      // A new folder is placed on purpose: as a core layer (checked) or as an adapter, never by default.
      violations.push(`shared/${folder}: a folder the layering rule does not know; add it to CORE_LAYERS or ADAPTER_FOLDERS in scripts/layering.mjs`);
      continue;
    }
    if (!(folder in CORE_LAYERS)) continue;
    const layer = CORE_LAYERS[folder];
    for (const file of tsFiles(join(shared, folder))) {
      const rel = relative(root, file);
      const source = stripComments(readFileSync(file, 'utf8'));
      for (const { pattern, what } of FORBIDDEN_CALLS) {
        if (pattern.test(source)) violations.push(`${rel}: uses ${what} in the pure core`);
      }
      for (const spec of importsOf(source)) {
        if (FORBIDDEN_MODULES.some((re) => re.test(spec))) {
          violations.push(`${rel}: imports '${spec}' (I/O) in the pure core`);
          continue;
        }
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(file), spec);
        const inShared = relative(shared, target);
        if (inShared.startsWith('..')) {
          violations.push(`${rel}: imports '${spec}' from outside shared/`);
          continue;
        }
        const targetFolder = inShared.split(sep)[0];
        if (targetFolder === folder) continue;
        if (!(targetFolder in CORE_LAYERS)) {
          violations.push(`${rel}: imports adapter folder '${targetFolder}' from the pure core`);
        } else if (CORE_LAYERS[targetFolder] > layer) {
          violations.push(`${rel}: '${folder}' (layer ${layer}) imports higher layer '${targetFolder}' (layer ${CORE_LAYERS[targetFolder]})`);
        } else if (CORE_LAYERS[targetFolder] === layer) {
          violations.push(`${rel}: '${folder}' imports '${targetFolder}' of the same layer (layers are one-way)`);
        }
      }
    }
  }
  return violations;
}
