// `npm run synth [-- -c key=value ...]`: `cdk synth` offline and deterministic.
// No AWS credentials, profile or instance metadata are used (the stack is
// environment-agnostic), no notices, version check or telemetry are fetched
// or sent, context lookups are off, and the Lambdas are bundled locally with
// esbuild (never Docker). Prints where the template is.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'cdk.out');

const env = { ...process.env };
for (const name of Object.keys(env)) {
  // Credentials, profiles, role and container credential sources: none may reach the synth.
  if (/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|SECURITY_TOKEN|PROFILE|DEFAULT_PROFILE|ROLE_ARN|ROLE_SESSION_NAME|WEB_IDENTITY_TOKEN_FILE|CONTAINER_.*)$/.test(name)) {
    delete env[name];
  }
}
Object.assign(env, {
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  CDK_DISABLE_VERSION_CHECK: '1',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
});

rmSync(outDir, { recursive: true, force: true });
const started = Date.now();
const cdk = join(root, 'node_modules', '.bin', 'cdk');
const args = ['synth', '--quiet', '--no-notices', '--no-version-reporting', '--lookups=false', '--output', outDir, ...process.argv.slice(2)];
const result = spawnSync(cdk, args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
if (result.error) throw result.error;
if (result.status !== 0) {
  console.error(`synth: cdk synth failed (exit ${result.status})`);
  process.exit(result.status ?? 1);
}
const templates = readdirSync(outDir).filter((f) => f.endsWith('.template.json'));
if (templates.length === 0) {
  console.error(`synth: no template in ${relative(root, outDir)}/`);
  process.exit(1);
}
for (const t of templates) {
  const file = join(outDir, t);
  console.log(`synth: template ${relative(root, file)} (${statSync(file).size} bytes) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
