/**
 * DynamoDB Local's JVM outlives a kill -9 (or a crash) of the process that
 * started it, holding DYNAMODB_PORT and the data dir's database. The
 * embedded deployment records the JVM's pid in the data dir while it runs;
 * the next start stops such a leftover (saying so in one line) before it
 * starts its own.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const DYNAMODB_PID_FILE = 'dynamodb.pid';

export function writeDynamoPid(dataDir: string, pid: number | undefined): void {
  if (pid === undefined) return;
  const file = join(dataDir, DYNAMODB_PID_FILE);
  // Private like everything in the data dir (docs/http-api.md); chmod too, for a file an earlier run left.
  writeFileSync(file, `${pid}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function removeDynamoPid(dataDir: string): void {
  rmSync(join(dataDir, DYNAMODB_PID_FILE), { force: true });
}

/**
 * The command line of a live process, or undefined once it is gone (a zombie
 * waiting for its parent counts as gone). `-ww`: the full line, whatever
 * COLUMNS says. A JVM whose main thread has exited shows `Zl` while its other
 * threads still shut down and hold its sockets: that one is still alive.
 */
function liveCommand(pid: number): string | undefined {
  const ps = spawnSync('ps', ['-ww', '-o', 'stat=,command=', '-p', String(pid)], { encoding: 'utf8' });
  const line = ps.status === 0 ? ps.stdout.trim() : '';
  const stat = line.split(/\s/, 1)[0] ?? '';
  if (line === '' || (stat.startsWith('Z') && !stat.includes('l'))) return undefined;
  return line;
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (liveCommand(pid) !== undefined) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/**
 * Stops the DynamoDB Local a previous run on `dataDir` left running (one on
 * `dynamoPath`, by the recorded pid); anything else under that pid is left
 * alone. Resolves whether it stopped one.
 */
export async function stopLeftoverDynamoDb(dataDir: string, dynamoPath: string, notice: (line: string) => void): Promise<boolean> {
  const file = join(dataDir, DYNAMODB_PID_FILE);
  if (!existsSync(file)) return false;
  const pid = Number(readFileSync(file, 'utf8').trim());
  const command = Number.isSafeInteger(pid) && pid > 0 ? liveCommand(pid) : undefined;
  if (command !== undefined && command.includes('DynamoDBLocal.jar') && command.includes(dynamoPath)) {
    notice(`stopping the DynamoDB Local a previous run left running (pid ${pid})`);
    process.kill(pid, 'SIGTERM');
    if (!(await gone(pid, 10_000))) {
      process.kill(pid, 'SIGKILL');
      await gone(pid, 5_000);
    }
    removeDynamoPid(dataDir);
    return true;
  }
  removeDynamoPid(dataDir);
  return false;
}
