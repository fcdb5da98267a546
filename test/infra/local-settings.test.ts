/** `npm start` reads the node's channel settings from the same variables as the Lambdas: a bad value stops it in one line. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function start(env: Record<string, string>): { status: number | null; stderr: string; stdout: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
    env: { ...process.env, ...env, STORMCELL_DATA_DIR: '/nonexistent/never-created' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: run.status, stderr: run.stderr, stdout: run.stdout };
}

describe('npm start: node channel settings and peer limits', () => {
  it.each([
    [{ ANCHOR_CHANNELS: 'yes' }, "stormcell: ANCHOR_CHANNELS must be true or false, not 'yes'"],
    [{ INBOUND_CHANNELS: 'some' }, "stormcell: INBOUND_CHANNELS must be all or manual, not 'some'"],
    [{ PEER_MAX_CONNECTIONS_PER_IP: 'many' }, "stormcell: PEER_MAX_CONNECTIONS_PER_IP must be a positive whole number, not 'many'"],
  ])('%j: exits 1 with one line naming the variable, before starting anything', (env, line) => {
    const run = start(env);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n').filter((l) => l.startsWith('stormcell:'))).toEqual([line]);
    expect(run.stdout).toBe('');
  });
});
