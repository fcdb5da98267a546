/**
 * The embedded deployment's data directory (`./.stormcell`, or
 * STORMCELL_DATA_DIR): the node seed and the API key, each a file readable
 * only by the owner (0600), created on first start; DynamoDB Local's files.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface DataDir {
  readonly path: string;
  readonly dynamoPath: string;
  readonly seed: Uint8Array;
  readonly apiKey: string;
  /** True when this start created the seed (a new node). */
  readonly created: boolean;
}

function readOrCreate(file: string, create: () => string): { value: string; created: boolean } {
  if (existsSync(file)) return { value: readFileSync(file, 'utf8').trim(), created: false };
  const value = create();
  writeFileSync(file, value + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { value, created: true };
}

export function openDataDir(path: string, apiKeyOverride?: string): DataDir {
  const root = resolve(path);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const dynamoPath = join(root, 'dynamodb');
  mkdirSync(dynamoPath, { recursive: true });
  const seed = readOrCreate(join(root, 'node-seed.hex'), () => randomBytes(32).toString('hex'));
  if (!/^[0-9a-f]{64}$/.test(seed.value)) throw new Error(`${join(root, 'node-seed.hex')} is not 32 bytes of hex: refusing to start`);
  const apiKey = apiKeyOverride ?? readOrCreate(join(root, 'api-key'), () => `sc_${randomBytes(24).toString('base64url')}`).value;
  return {
    path: root,
    dynamoPath,
    seed: Uint8Array.from(Buffer.from(seed.value, 'hex')),
    apiKey,
    created: seed.created,
  };
}
