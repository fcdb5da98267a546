/**
 * Loads a bundle in a fresh Node process, as a Lambda container would, and
 * optionally invokes its `handler` with events in turn. The child sees only
 * the environment given (plus PATH), so nothing of the test process leaks in.
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';

export interface FreshRun {
  /** Time to import the bundle: reading, compiling and evaluating it (the cold-start part we control). */
  readonly initMs: number;
  readonly exports: readonly string[];
  /** Each invocation's result, or its error message as `{ error }`. */
  readonly results: readonly unknown[];
}

const CHILD = `
const [url, eventsJson] = process.argv.slice(1);
const t0 = performance.now();
const m = await import(url);
const initMs = performance.now() - t0;
const results = [];
for (const event of JSON.parse(eventsJson)) {
  try { results.push(await m.handler(event, { awsRequestId: 'fresh-node' })); }
  catch (error) { results.push({ error: String(error && error.message || error) }); }
}
process.stdout.write(JSON.stringify({ initMs, exports: Object.keys(m), results }));
process.exit(0);
`;

export function runBundle(file: string, env: Readonly<Record<string, string>>, events: readonly unknown[] = []): Promise<FreshRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, pathToFileURL(file).href, JSON.stringify(events)], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`bundle ${file} exited with ${code}: ${stderr.trim().split('\n').slice(-6).join('\n')}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as FreshRun);
      } catch {
        reject(new Error(`bundle ${file} printed no result: ${stdout.slice(0, 500)} ${stderr.slice(0, 500)}`));
      }
    });
  });
}
