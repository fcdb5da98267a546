/** Port checks for the embedded deployment: a port in use is a one-line error naming its variable. */
import { createServer } from 'node:net';

export class PortInUseError extends Error {
  constructor(port: number, variable: string) {
    super(`port ${port} is in use: set ${variable} to a free port`);
    this.name = 'PortInUseError';
  }
}

/** Resolves when `port` can be bound on 127.0.0.1, rejects with PortInUseError otherwise. */
export function ensurePortFree(port: number, variable: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', () => reject(new PortInUseError(port, variable)));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/** Reads a port from the environment, with a default; a bad value is a one-line error. */
export function portFromEnv(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${variable}=${raw} is not a port number (1-65535)`);
  return port;
}
