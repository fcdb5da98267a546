import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkLayering } from '../../scripts/layering.mjs';

let roots: string[] = [];
afterEach(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
  roots = [];
});

function repo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'layering-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('layering check', () => {
  it('accepts the repository itself', () => {
    expect(checkLayering(resolve(import.meta.dirname, '../..'))).toEqual([]);
  });

  it('refuses a shared/ folder it knows neither as a core layer nor as an adapter', () => {
    const root = repo({
      'shared/codec/reader.ts': 'export const x = 1;',
      'shared/store/table.ts': "import { x } from '../codec/reader.js';\nexport const t = x;",
      'shared/htlcs/index.ts': "import { connect } from 'node:net';\nexport const c = connect;",
    });
    expect(checkLayering(root)).toEqual([expect.stringContaining('shared/htlcs: a folder the layering rule does not know')]);
  });

  it('accepts a lower layer imported by a higher one', () => {
    const root = repo({
      'shared/codec/reader.ts': 'export const x = 1;',
      'shared/wire/init.ts': "import { x } from '../codec/reader.js';\nexport const y = x;",
    });
    expect(checkLayering(root)).toEqual([]);
  });

  it('rejects a lower layer importing a higher one', () => {
    const root = repo({
      'shared/codec/reader.ts': "import { t } from '../transport/noise.js';\nexport const x = t;",
      'shared/transport/noise.ts': 'export const t = 1;',
    });
    expect(checkLayering(root)).toEqual([
      expect.stringContaining("'codec' (layer 0) imports higher layer 'transport'"),
    ]);
  });

  it('rejects I/O modules, the clock and randomness in the core', () => {
    const root = repo({
      'shared/crypto/a.ts': "import { connect } from 'node:net';\nexport const c = connect;",
      'shared/crypto/b.ts': "import * as fs from 'fs';\nexport const f = fs;",
      'shared/crypto/c.ts': "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const d = DynamoDBClient;",
      'shared/crypto/d.ts': 'export const now = () => Date.now();',
      'shared/crypto/e.ts': 'export const r = () => Math.random();',
      'shared/crypto/f.ts': 'export const d = () => new Date();',
      'shared/crypto/g.ts': "import http from 'node:http';\nexport const h = http;",
    });
    const found = checkLayering(root).join('\n');
    for (const what of ["'node:net'", "'fs'", '@aws-sdk/client-dynamodb', 'Date.now()', 'Math.random()', 'new Date()', "'node:http'"]) {
      expect(found).toContain(what);
    }
  });

  it('rejects a core folder importing an adapter folder', () => {
    const root = repo({
      'shared/store/dynamo.ts': 'export const s = 1;',
      'shared/wire/init.ts': "import { s } from '../store/dynamo.js';\nexport const y = s;",
    });
    expect(checkLayering(root)).toEqual([expect.stringContaining("adapter folder 'store'")]);
  });

  it('ignores the clock in comments and in adapters', () => {
    const root = repo({
      'shared/codec/a.ts': '// never call Date.now() here\nexport const a = 1;',
      'shared/store/clock.ts': 'export const now = () => Date.now();',
    });
    expect(checkLayering(root)).toEqual([]);
  });
});
