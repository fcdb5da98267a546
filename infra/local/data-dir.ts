/**
 * The embedded deployment's data directory (`./.stormcell`, or
 * STORMCELL_DATA_DIR): the node seed and the API key, each a file readable
 * only by the owner (0600), created on first start; DynamoDB Local's files
 * (`dynamodb/`) and the regtest chain's (`regtest-chain/`). Every file the
 * deployment keeps there is 0600 and every directory 0700: the DynamoDB
 * files hold the node's channel state.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Mode of every file the deployment keeps in its data dir. */
export const PRIVATE_FILE_MODE = 0o600;
/** Mode of every directory in it. */
export const PRIVATE_DIR_MODE = 0o700;
/** The umask under which the deployment's children (DynamoDB Local) create files: 0600 files, 0700 directories. */
export const PRIVATE_UMASK = 0o077;

/**
 * Makes `dir` and everything under it private (directories 0700, files
 * 0600), e.g. what an older version or DynamoDB Local under a looser umask
 * left there. Symbolic links are neither followed nor changed. Only for
 * directories the deployment owns (never the data dir itself, which may be
 * any directory the user names).
 */
export function makeTreePrivate(dir: string): void {
  const stat = lstatSync(dir, { throwIfNoEntry: false });
  if (stat === undefined || stat.isSymbolicLink()) return;
  if (!stat.isDirectory()) {
    if ((stat.mode & 0o777) !== PRIVATE_FILE_MODE) chmodSync(dir, PRIVATE_FILE_MODE);
    return;
  }
  if ((stat.mode & 0o777) !== PRIVATE_DIR_MODE) chmodSync(dir, PRIVATE_DIR_MODE);
  for (const name of readdirSync(dir)) makeTreePrivate(join(dir, name));
}

export interface DataDir {
  readonly path: string;
  readonly dynamoPath: string;
  readonly seed: Uint8Array;
  readonly apiKey: string;
  /** True when this start created the seed (a new node). */
  readonly created: boolean;
}

function readOrCreate(file: string, create: () => string): { value: string; created: boolean } {
  if (existsSync(file)) {
    makeTreePrivate(file);
    return { value: readFileSync(file, 'utf8').trim(), created: false };
  }
  const value = create();
  writeFileSync(file, value + '\n', { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  chmodSync(file, PRIVATE_FILE_MODE);
  return { value, created: true };
}

export function openDataDir(path: string, apiKeyOverride?: string): DataDir {
  const root = resolve(path);
  mkdirSync(root, { recursive: true, mode: PRIVATE_DIR_MODE });
  const dynamoPath = join(root, 'dynamodb');
  // DynamoDB Local (dynamodb-local.ts) and the regtest chain make their own trees private at start.
  mkdirSync(dynamoPath, { recursive: true, mode: PRIVATE_DIR_MODE });
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
