/**
 * The embedded regtest chain of `npm start`: a local Bitcoin chain that
 * validates like a real one and serves the Esplora REST API at
 * `http://127.0.0.1:$CHAIN_PORT` (default 3002). Its blocks are kept in
 * `<dataDir>/regtest-chain/blocks.log`, so a restart keeps the chain; like
 * bitcoind's `mempool.dat`, the mempool is written to `mempool.hex` at stop
 * and accepted again (each transaction re-validated) at the next start. At
 * the first start it mines 101 blocks to its faucet so the faucet can pay at once.
 */
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Transaction } from 'bitcoinjs-lib';
import { makeTreePrivate, PRIVATE_FILE_MODE } from '../data-dir.js';
import { BlockLog } from './block-log.js';
import { RegtestChain } from './chain-state.js';
import { startEsploraServer } from './esplora-server.js';

export { RegtestChain, RegtestChainError } from './chain-state.js';
export { DEFAULT_FEE_ESTIMATES } from './esplora-server.js';

/** The environment variable naming the chain's port, and its default. */
export const CHAIN_PORT_VARIABLE = 'CHAIN_PORT';
export const DEFAULT_CHAIN_PORT = 3002;
/** Height mined at first start: the faucet's first coinbases are then mature for the next block. */
export const INITIAL_HEIGHT = 101;

export interface RegtestChainOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** The deployment's data dir; the chain keeps its files in `regtest-chain/` inside it. Undefined: memory only. */
  readonly dataDir: string | undefined;
  readonly host?: string;
  /** `GET /fee-estimates`'s table (target → sat/vB). */
  readonly feeEstimates?: Readonly<Record<string, number>>;
}

export interface RunningRegtestChain {
  /** Esplora base URL, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  /** The chain itself, for in-process tests and benchmarks. */
  readonly chain: RegtestChain;
  stop(): Promise<void>;
}

/** Accepts the transactions saved by {@link saveMempool} (in their order: parents first); invalid ones are dropped, as bitcoind does. */
function loadMempool(chain: RegtestChain, path: string): void {
  if (!existsSync(path)) return;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() !== '') chain.accept(Transaction.fromHex(line.trim()));
  }
}

/** Writes the mempool (0600, like every file of the data dir), replacing the file in one rename. */
function saveMempool(chain: RegtestChain, path: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, chain.mempool().map((e) => `${e.tx.toHex()}\n`).join(''), { mode: PRIVATE_FILE_MODE });
  // `mode` applies only to a file created now, not to a `.tmp` a crash left behind.
  chmodSync(tmp, PRIVATE_FILE_MODE);
  renameSync(tmp, path);
}

export async function startRegtestChain(options: RegtestChainOptions): Promise<RunningRegtestChain> {
  const dir = options.dataDir === undefined ? undefined : join(options.dataDir, 'regtest-chain');
  // Private like the rest of the data dir (0700 / 0600), also when an earlier version left mempool.hex 0644.
  if (dir !== undefined) makeTreePrivate(dir);
  const opened = dir === undefined ? undefined : BlockLog.open(dir);
  const chain = new RegtestChain({ ...(opened ? { log: opened.log, entries: opened.entries } : {}) });
  if (chain.tip().height < INITIAL_HEIGHT) chain.mine(INITIAL_HEIGHT - chain.tip().height);
  const mempoolPath = dir === undefined ? undefined : join(dir, 'mempool.hex');
  if (mempoolPath !== undefined) loadMempool(chain, mempoolPath);
  let server;
  try {
    server = await startEsploraServer(chain, {
      port: options.port,
      portVariable: CHAIN_PORT_VARIABLE,
      ...(options.host === undefined ? {} : { host: options.host }),
      ...(options.feeEstimates === undefined ? {} : { feeEstimates: options.feeEstimates }),
    });
  } catch (error) {
    opened?.log.close();
    throw error;
  }
  const running = server;
  return {
    url: running.url,
    port: running.port,
    chain,
    stop: async () => {
      await running.stop();
      if (mempoolPath !== undefined) saveMempool(chain, mempoolPath);
      opened?.log.close();
    },
  };
}
