/**
 * DynamoDB Local's start/stop (infra/local/dynamodb-local.ts): once `stop()`
 * resolves nothing of it keeps the caller's process alive, so a test run or a
 * bench that stops it ends as soon as its own work is done.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

function run(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Uint8Array) => (stdout += new TextDecoder().decode(c)));
    child.stderr.on('data', (c: Uint8Array) => (stderr += new TextDecoder().decode(c)));
    child.once('error', fail);
    child.once('exit', (code) => done({ code, stdout, stderr }));
  });
}

describe('DynamoDB Local stop()', () => {
  it('resolves with no timer left keeping the process alive, which then exits by itself', async () => {
    const { code, stdout, stderr } = await run('test/infra/support/dynamodb-start-stop.ts');
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as { stopped: boolean; active: string[] };
    // A ref'd timer is what kept every test run and bench alive ~5 s after the stop. (Node also lists the
    // dead child's closing pipe and process handles here; they do not hold the loop, as the exit shows.)
    expect(report.stopped).toBe(true);
    expect(report.active.filter((r) => r !== 'PipeWrap' && r !== 'ProcessWrap')).toEqual([]);
  });
});
