/**
 * How every deployable entry point is bundled, in one place: the CDK
 * `NodejsFunction`s (infra/constructs/node-function.ts), the gateway image
 * (infra/gateway/Dockerfile), the bundle-size test and the bundle bench all
 * use these settings, so what is measured is what is deployed.
 *
 * One minified ESM file per entry with every dependency inside it, the AWS
 * SDK included (the versions in our lockfile, not whatever the runtime
 * ships). The bundle is the one file deployed: the secp256k1 WASM is
 * embedded in it as base64 (shared/crypto/libsecp256k1-wasm.ts).
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the directory holding package.json). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The Lambda entry points, by function name; paths relative to {@link REPO_ROOT}. */
export const LAMBDA_ENTRIES = {
  'peer-message': 'functions/peer-message/lambda.ts',
  timer: 'functions/timer/lambda.ts',
  http: 'functions/http/lambda.ts',
  authorizer: 'functions/authorizer/lambda.ts',
  chain: 'functions/chain/lambda.ts',
  broadcast: 'functions/broadcast/lambda.ts',
  webhooks: 'functions/webhooks/lambda.ts',
  gossip: 'functions/gossip/lambda.ts',
} as const;
export type LambdaName = keyof typeof LAMBDA_ENTRIES;

/** The peer gateway's entry point (ECS Fargate), bundled the same way inside its image. */
export const GATEWAY_ENTRY = 'functions/gateway/main.ts';

/** Node.js of the Lambda runtime (nodejs22.x) and of the gateway image. */
export const BUNDLE_TARGET = 'node22';

/** Lets bundled CommonJS dependencies call `require` inside an ESM bundle. */
export const ESM_REQUIRE_BANNER = "import { createRequire as __stormcellCreateRequire } from 'node:module'; const require = __stormcellCreateRequire(import.meta.url);";

/** Prefer packages' ESM builds (tree-shaken better) and fall back to CommonJS. */
export const MAIN_FIELDS = ['module', 'main'] as const;

/** The bundle file name inside its directory (what `NodejsFunction` writes for ESM). */
export const BUNDLE_FILE = 'index.mjs';

/**
 * The largest allowed minified bundle: 1.4 MB. Raised from 1 MB in session 9,
 * when forwarding, anchor claims and the BOLT 7 codecs took the http bundle
 * (it carries the manager) to 1,024,282 bytes, and from 1.1 MB in session 12,
 * when the secp256k1 hot path moved to libauth's WASM build of libsecp256k1,
 * which embeds its 176 KB binary as 236 KB of base64 (http: 1,091,183 →
 * 1,338,672 bytes; module initialisation 61 → 74 ms, once per container,
 * against EC operations 1.4-2× faster for the container's whole life:
 * docs/crypto.md). Module initialisation is what `npm run bench
 * lambda-bundles` times against 150 ms. Since session 16 our own build of
 * libsecp256k1 (148 KB, 198 KB as base64) replaces libauth's and
 * tiny-secp256k1's.
 */
export const MAX_BUNDLE_BYTES = 1_400_000;

export interface BundleResult {
  /** Absolute path of the bundle. */
  readonly file: string;
  /** Its size in bytes. */
  readonly bytes: number;
}

/**
 * Bundles `entry` (relative to the repo) into `outDir/index.mjs` with the
 * deployed settings.
 */
export async function bundleEntry(entry: string, outDir: string): Promise<BundleResult> {
  const { build } = await import('esbuild');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, BUNDLE_FILE);
  await build({
    entryPoints: [join(REPO_ROOT, entry)],
    outfile: file,
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLE_TARGET,
    mainFields: [...MAIN_FIELDS],
    banner: { js: ESM_REQUIRE_BANNER },
    logLevel: 'warning',
  });
  return { file, bytes: statSync(file).size };
}
