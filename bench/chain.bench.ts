/**
 * Chain sync and the embedded chain's validation (issue 4): the time of one
 * sync after one new block with 0, 100 and 1,000 watched txids (scan mode:
 * the new block is read whole), the first sync of the same sets (lookup
 * mode: each txid looked up), and the validation of a 10-input transaction.
 * Everything against the embedded regtest chain in this process over HTTP.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { startRegtestChain } from '../infra/local/regtest-chain/index.js';
import { verifyScripts } from '../infra/local/regtest-chain/script-verifier.js';
import { EMPTY_SYNC_VIEW, EsploraClient, syncChain, type Confirm, type SyncView, type WatchSet } from '../shared/chain/index.js';
import { outputTo, spend, testKey } from '../test/support/regtest-wallet.js';
import { measure, ms, printTable } from './measure.js';

const sink: Confirm = {
  transactionsConfirmed: () => undefined,
  transactionUnconfirmed: () => undefined,
  bestBlockUpdated: () => undefined,
  getRelevantTxids: () => [],
};

const chain = await startRegtestChain({ port: 0, dataDir: undefined });
const client = new EsploraClient(chain.url);
const alice = testKey('bench alice');
const rows: string[][] = [['watched txids', 'first sync (lookups) ms', 'sync of one new block, median ms', 'runs']];
try {
  for (const count of [0, 100, 1000]) {
    // Watched: `count` txids, one of which confirms in each measured block (the rest never confirm).
    const watch: { txids: Uint8Array[]; outputs: WatchSet['outputs'] } = { txids: Array.from({ length: count }, () => Uint8Array.from(randomBytes(32))), outputs: [] };
    let view: SyncView = EMPTY_SYNC_VIEW;
    const firstStart = performance.now();
    view = (await syncChain(client, [sink], () => watch, view)).view;
    const first = performance.now() - firstStart;
    const samples: number[] = [];
    for (let run = 0; run < 21; run++) {
      for (let i = 0; i < 5; i++) chain.chain.faucet(alice.script, 10_000n + BigInt(i));
      if (count > 0) {
        const txid = chain.chain.faucet(alice.script, 20_000n);
        watch.txids[run % count] = Uint8Array.from(Buffer.from(txid, 'hex').reverse());
        // A replaced watched txid is a new item: look it up now, outside the measured sync.
        view = (await syncChain(client, [sink], () => watch, view)).view;
      }
      chain.chain.mine(1);
      const start = performance.now();
      view = (await syncChain(client, [sink], () => watch, view)).view;
      samples.push(performance.now() - start);
    }
    samples.sort((a, b) => a - b);
    rows.push([String(count), ms(first), ms(samples[10]!), String(samples.length)]);
  }
  printTable('Chain sync against the embedded regtest chain (HTTP, same process)', rows);

  // A 10-input P2WPKH spend: bitcore-lib's interpreter runs once per input.
  const coins = Array.from({ length: 10 }, (_, i) => outputTo(chain.chain.transaction(chain.chain.faucet(alice.script, 50_000n + BigInt(i)))!.tx, alice.script));
  chain.chain.mine(1);
  const total = coins.reduce((s, c) => s + c.valueSat, 0n);
  const tx = spend({ inputs: coins.map((c) => ({ ...c, key: alice })), outputs: [{ script: alice.script, valueSat: total - 5_000n }] });
  const check = chain.chain.check(tx);
  if (!check.ok) throw new Error(`bench transaction refused: ${check.reason}`);
  const validation = measure('validate 10-input tx', () => chain.chain.check(tx), { runs: 21, batch: 3 });
  const prevouts = coins.map((c) => ({ scriptPubKey: alice.script, amountSat: c.valueSat }));
  const bitcoreOnly = measure('scripts, bitcore ECDSA', () => verifyScripts(tx, prevouts, { ecdsa: 'bitcore' }), { runs: 11, batch: 2 });
  const broadcastStart = performance.now();
  await client.broadcast(tx.toBuffer());
  const broadcast = performance.now() - broadcastStart;
  printTable('Embedded chain validation', [
    ['what', 'median ms'],
    ['validate a 10-input P2WPKH transaction (all rules, bitcore-lib scripts)', ms(validation.medianMs)],
    ['  (its scripts alone with bitcore-lib pure-JS ECDSA, for comparison)', ms(bitcoreOnly.medianMs)],
    ['POST /tx of it (once, over HTTP)', ms(broadcast)],
  ]);
} finally {
  await chain.stop();
}
