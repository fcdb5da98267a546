/**
 * The wallet sync's Esplora cost (defect 5 of issue 13: every address handed
 * out stays watched): a wallet with 200 receive addresses used and emptied,
 * synced against the embedded regtest chain over HTTP. Per sync: the
 * requests by kind and the median time, when the tip did not move (the gap
 * windows and the coins only), when it moved (every emptied address too,
 * their UTXOs not asked while their histories are known), and if every
 * address were asked every sync.
 */
import { performance } from 'node:perf_hooks';
import { Transaction } from 'bitcoinjs-lib';
import { startRegtestChain } from '../infra/local/regtest-chain/index.js';
import { EsploraClient, syncWallet } from '../shared/chain/index.js';
import { fromHex, wasmSecp256k1 } from '../shared/crypto/index.js';
import { Bip84Account, EMPTY_WALLET_STATE, buildSend, walletBalance, type WalletState } from '../shared/wallet/index.js';
import { testKey } from '../test/support/regtest-wallet.js';
import { ms, printTable } from './measure.js';

const ADDRESSES = 200;
const RUNS = 11;
const chain = await startRegtestChain({ port: 0, dataDir: undefined });
const requests: string[] = [];
const client = new EsploraClient(chain.url, {
  fetch: (input, init) => {
    requests.push(new URL(String(input)).pathname);
    return fetch(input, init);
  },
});
const account = Bip84Account.fromSeed(wasmSecp256k1, fromHex('b3'.repeat(32)), 'regtest');
const tip = () => chain.chain.tip().height;

try {
  // 200 receive addresses paid (a block every 20 faucet payments), then emptied by 20 payments of 10 inputs.
  for (let i = 0; i < ADDRESSES; i++) {
    chain.chain.faucet(account.key(0, i).script, 10_000n);
    if (i % 20 === 19) chain.chain.mine(1);
  }
  chain.chain.mine(1);
  let state: WalletState = await syncWallet(client, account, { ...EMPTY_WALLET_STATE, nextIndex: [ADDRESSES, 0] }, tip());
  if (walletBalance(state).confirmedSat !== BigInt(ADDRESSES) * 10_000n) throw new Error('the faucet payments were not all found');
  for (let i = 0; i < ADDRESSES / 10; i++) {
    const sweep = buildSend(wasmSecp256k1, account, state, { script: testKey('bench outsider').script, amountSat: 98_000n, feeratePerKvb: 1_000n, tipHeight: tip() });
    if (!chain.chain.accept(Transaction.fromBuffer(sweep.raw)).ok) throw new Error('a sweep was refused');
    chain.chain.mine(1);
    state = sweep.state;
  }
  state = await syncWallet(client, account, state, tip());
  if (state.utxos.some((u) => u.keychain === 0)) throw new Error('receive addresses not emptied');

  const rows: string[][] = [['sync', '/txs', '/utxo', 'other', 'median ms']];
  async function scenario(name: string, before: () => void, options: { everyIndex?: boolean } = {}): Promise<void> {
    const samples: number[] = [];
    let counts = [0, 0, 0];
    for (let run = 0; run < RUNS; run++) {
      before();
      requests.length = 0;
      const start = performance.now();
      state = await syncWallet(client, account, state, tip(), options);
      samples.push(performance.now() - start);
      counts = [requests.filter((p) => p.endsWith('/txs')).length, requests.filter((p) => p.endsWith('/utxo')).length];
      counts.push(requests.length - counts[0]! - counts[1]!);
    }
    samples.sort((a, b) => a - b);
    rows.push([name, ...counts.map(String), ms(samples[Math.floor(samples.length / 2)]!)]);
  }
  await scenario('tip unchanged', () => undefined);
  await scenario('tip moved (one new block)', () => void chain.chain.mine(1));
  await scenario('tip moved, one emptied address paid again', () => {
    chain.chain.faucet(account.key(0, 17).script, 5_000n);
    chain.chain.mine(1);
  });
  await scenario('if every address were asked every sync', () => undefined, { everyIndex: true });
  printTable(`Wallet sync: ${ADDRESSES} receive addresses used and emptied (+ 20 + 20 gap window, one change coin)`, rows);
} finally {
  await chain.stop();
}
