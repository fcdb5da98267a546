/**
 * Lease contention through the embedded deployment (issue 13, defect 3):
 * 2,000 HTTP requests from 50 concurrent clients (`BENCH_REQUESTS`,
 * `BENCH_CLIENTS`), a third each of `POST /v1/wallet/address` (a counter,
 * no lease), `GET /v1/wallet` (a read) and `POST /v1/wallet/send` (under the
 * lease), while the chain handler (every 2 s) and the timer (every 1 s) run
 * as scheduled. Prints the answers by route and status, p50/p99 per route,
 * whether the addresses were distinct, and the log lines by level: there
 * must be no 500, and contention is never an ERROR. `npm run bench http-contention`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import { startEmbedded } from '../infra/local/embedded.js';
import { freePort } from '../infra/local/free-port.js';
import { ms, percentile, printTable } from './measure.js';

const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 2_000);
const CLIENTS = Number(process.env['BENCH_CLIENTS'] ?? 50);
/** Coins given to the wallet before the run (one faucet payment each). */
const COINS = 120;

/** Counts log lines by level and message instead of printing them. */
class CountingLogger extends Logger {
  readonly lines = new Map<string, number>();
  #count(level: string, input: Parameters<Logger['info']>[0]): void {
    const key = `${level} ${typeof input === 'string' ? input : String(input.message)}`;
    this.lines.set(key, (this.lines.get(key) ?? 0) + 1);
  }
  override debug(input: Parameters<Logger['debug']>[0]): void {
    this.#count('DEBUG', input);
  }
  override info(input: Parameters<Logger['info']>[0]): void {
    this.#count('INFO', input);
  }
  override warn(input: Parameters<Logger['warn']>[0]): void {
    this.#count('WARN', input);
  }
  override error(input: Parameters<Logger['error']>[0]): void {
    this.#count('ERROR', input);
  }
}

const logger = new CountingLogger({ serviceName: 'stormcell-bench', logLevel: 'DEBUG' });
const dataDir = mkdtempSync(join(tmpdir(), 'stormcell-bench-'));
const node = await startEmbedded({
  dataDir,
  port: await freePort(),
  peerPort: await freePort(),
  dynamoPort: await freePort(),
  chainPort: await freePort(),
  sqsPort: await freePort(),
  chainPollMs: 2_000,
  timerIntervalMs: 1_000,
  logger,
});

try {
  const auth = { authorization: `Bearer ${node.apiKey}` };
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${node.apiUrl}${path}`, { method, headers: auth, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const chainPost = async (path: string, body: unknown) => {
    const response = await fetch(`${node.chainUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  };

  // Fund the wallet: COINS confirmed coins of 50,000 sat on fresh addresses.
  for (let i = 0; i < COINS; i++) {
    const { body } = await api('POST', '/v1/wallet/address');
    await chainPost('/regtest/faucet', { address: body['address'], sats: 50_000 });
    if (i % 20 === 19) await chainPost('/regtest/mine', { blocks: 1 });
  }
  await chainPost('/regtest/mine', { blocks: 1 });
  for (;;) {
    await node.syncChain();
    if ((await api('GET', '/v1/wallet')).body['confirmedSat'] === COINS * 50_000) break;
  }
  const payee = String((await api('POST', '/v1/wallet/address')).body['address']); // pays the wallet itself: no outsider key needed

  const routes = ['POST /v1/wallet/address', 'GET /v1/wallet', 'POST /v1/wallet/send'] as const;
  type RouteName = (typeof routes)[number];
  const samples = new Map<RouteName, { ms: number; status: number }[]>(routes.map((r) => [r, []]));
  const addresses: string[] = [];
  let retryAfterMissing = 0;
  let next = 0;
  const client = async () => {
    for (;;) {
      const n = next++;
      if (n >= REQUESTS) return;
      const route = routes[n % 3]!;
      const start = performance.now();
      const [method, path] = route.split(' ') as [string, string];
      const response = await fetch(`${node.apiUrl}${path}`, {
        method,
        headers: auth,
        ...(route === 'POST /v1/wallet/send' ? { body: JSON.stringify({ address: payee, sats: 1_000, feerateSatPerVb: 1 }) } : {}),
      });
      const body = (await response.json()) as Record<string, unknown>;
      samples.get(route)!.push({ ms: performance.now() - start, status: response.status });
      if (response.status === 200 && route === 'POST /v1/wallet/address') addresses.push(String(body['address']));
      if (response.status === 503 && response.headers.get('retry-after') === null) retryAfterMissing++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, client));
  const wallMs = performance.now() - t0;

  const rows: string[][] = [['route', 'requests', 'by status', 'p50 ms', 'p99 ms']];
  const all: { ms: number; status: number }[] = [];
  for (const route of routes) {
    const s = samples.get(route)!;
    all.push(...s);
    const byStatus = new Map<number, number>();
    for (const x of s) byStatus.set(x.status, (byStatus.get(x.status) ?? 0) + 1);
    const sorted = s.map((x) => x.ms).sort((a, b) => a - b);
    rows.push([route, String(s.length), [...byStatus].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}: ${v}`).join(', '), ms(percentile(sorted, 0.5)), ms(percentile(sorted, 0.99))]);
  }
  const sortedAll = all.map((x) => x.ms).sort((a, b) => a - b);
  const count = (status: number) => all.filter((x) => x.status === status).length;
  rows.push(['all', String(all.length), `500: ${count(500)}, 503: ${count(503)}`, ms(percentile(sortedAll, 0.5)), ms(percentile(sortedAll, 0.99))]);
  printTable(`${REQUESTS} requests, ${CLIENTS} concurrent clients, embedded deployment (chain sync every 2 s, timer every 1 s); ${ms(wallMs)} ms in all`, rows);
  printTable('Checks', [
    ['check', 'value'],
    ['addresses handed out (200)', String(addresses.length)],
    ['distinct', String(new Set(addresses).size)],
    ['503 without Retry-After', String(retryAfterMissing)],
  ]);
  printTable('Log lines during the whole run, by level and message', [
    ['line', 'count'],
    ...[...logger.lines].filter(([k]) => !k.startsWith('INFO http request')).sort().map(([k, v]) => [k.slice(0, 100), String(v)]),
  ]);
} finally {
  await node.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
