/**
 * The wallet scan: which scripts each sync asks about, and what it costs.
 * Every address handed out stays watched — those below the gap window (used
 * and emptied) only when the tip moved, their UTXOs only when their history
 * changed — so a payment to an emptied address is counted. The sync runs
 * against the embedded regtest chain over HTTP, counting the requests.
 */
import { Transaction } from 'bitcoinjs-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { EsploraClient, syncWallet } from '../../shared/chain/index.js';
import { fromHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { Bip84Account, EMPTY_WALLET_STATE, GAP_LIMIT, buildSend, scanTargets, scriptUnchanged, walletBalance, type WalletState } from '../../shared/wallet/index.js';
import { testKey } from '../support/regtest-wallet.js';

const account = Bip84Account.fromSeed(wasmSecp256k1, fromHex('5a'.repeat(32)), 'regtest');
const txid = (n: number) => n.toString(16).padStart(64, '0');

describe('scanTargets', () => {
  const state: WalletState = {
    ...EMPTY_WALLET_STATE,
    nextIndex: [30, 4],
    usedCount: [25, 3],
    utxos: [{ txid: txid(1), vout: 0, valueSat: 5_000n, keychain: 0, index: 7, height: 101 }],
  };
  const ids = (targets: readonly { keychain: number; index: number }[]) => targets.map((t) => `${t.keychain}/${t.index}`).sort();

  it('asks the gap window and the coins every sync', () => {
    const targets = scanTargets(state);
    // Receive: 25..44 (the gap beyond the last used index); change: 3..22; the coin at receive 7.
    expect(targets).toHaveLength(2 * GAP_LIMIT + 1);
    expect(targets.filter((t) => t.fresh)).toHaveLength(2 * GAP_LIMIT);
    expect(targets.find((t) => t.keychain === 0 && t.index === 7)).toMatchObject({ fresh: false });
  });

  it('asks every index handed out below the window too when the tip moved, each once', () => {
    const targets = scanTargets(state, new Set(), { everyIndex: true });
    const expected = [
      ...Array.from({ length: 25 + GAP_LIMIT }, (_, i) => `0/${i}`),
      ...Array.from({ length: 3 + GAP_LIMIT }, (_, i) => `1/${i}`),
    ].sort();
    expect(ids(targets)).toEqual(expected);
    expect(scanTargets(state, new Set(expected), { everyIndex: true })).toEqual([]);
  });

  it('needs no UTXO lookup only for a coinless script whose confirmed history it already has', () => {
    const s: WalletState = { ...state, history: [{ txid: txid(2), height: 120, receivedSat: 1n, sentSat: 0n }, { txid: txid(3), height: 0, receivedSat: 1n, sentSat: 0n }] };
    expect(scriptUnchanged(s, 0, 3, [{ txid: txid(2), height: 120 }])).toBe(true);
    expect(scriptUnchanged(s, 0, 3, [])).toBe(true);
    expect(scriptUnchanged(s, 0, 3, [{ txid: txid(2), height: 121 }])).toBe(false); // moved by a reorg
    expect(scriptUnchanged(s, 0, 3, [{ txid: txid(9), height: 122 }, { txid: txid(2), height: 120 }])).toBe(false); // a new payment
    expect(scriptUnchanged(s, 0, 3, [{ txid: txid(3), height: 0 }])).toBe(false); // unconfirmed: always asked
    expect(scriptUnchanged(s, 0, 7, [{ txid: txid(2), height: 120 }])).toBe(false); // holds a coin
  });
});

describe('syncWallet on the regtest chain', () => {
  let chain: RunningRegtestChain;
  const requests: string[] = [];
  let client: EsploraClient;
  beforeAll(async () => {
    chain = await startRegtestChain({ port: 0, dataDir: undefined });
    client = new EsploraClient(chain.url, {
      fetch: (input, init) => {
        requests.push(new URL(String(input)).pathname);
        return fetch(input, init);
      },
    });
  });
  afterAll(async () => {
    await chain.stop();
  });

  async function sync(state: WalletState): Promise<{ state: WalletState; txs: number; utxo: number }> {
    requests.length = 0;
    const next = await syncWallet(client, account, state, chain.chain.tip().height);
    return { state: next, txs: requests.filter((p) => p.endsWith('/txs')).length, utxo: requests.filter((p) => p.endsWith('/utxo')).length };
  }

  it('watches emptied addresses: asked once per block, and a payment to one is counted', async () => {
    const scripts = [0, 1, 2].map((i) => account.key(0, i).script);
    for (const script of scripts) chain.chain.faucet(script, 10_000n);
    chain.chain.mine(1);
    let state: WalletState = { ...EMPTY_WALLET_STATE, nextIndex: [3, 0] };
    state = (await sync(state)).state;
    expect(walletBalance(state).confirmedSat).toBe(30_000n);

    // Empty all three (400 sat left over goes to the fee: no change).
    const sent = buildSend(wasmSecp256k1, account, state, { script: testKey('outsider').script, amountSat: 29_600n, feeratePerKvb: 1_000n, tipHeight: chain.chain.tip().height });
    expect(sent.changeSat).toBeUndefined();
    expect(chain.chain.accept(Transaction.fromBuffer(sent.raw)).ok).toBe(true);
    chain.chain.mine(1);
    const emptied = await sync(sent.state);
    state = emptied.state;
    expect(state.utxos).toEqual([]);
    expect(state.usedCount).toEqual([3, 0]);

    // Same tip: the window only (20 receive + 20 change), no UTXO lookups.
    expect(await sync(state)).toMatchObject({ txs: 2 * GAP_LIMIT, utxo: 0 });
    // A new block: the three emptied addresses too, still no UTXO lookups (their histories are known).
    chain.chain.mine(1);
    const moved = await sync(state);
    expect(moved).toMatchObject({ txs: 2 * GAP_LIMIT + 3, utxo: 0 });
    state = moved.state;

    // A payment to the first address again: counted at the next block, with one UTXO lookup.
    const again = chain.chain.faucet(scripts[0]!, 7_000n);
    expect(await sync(state)).toMatchObject({ txs: 2 * GAP_LIMIT, utxo: 0 });
    chain.chain.mine(1);
    const paid = await sync(state);
    expect(paid).toMatchObject({ txs: 2 * GAP_LIMIT + 3, utxo: 1 });
    expect(paid.state.utxos).toMatchObject([{ txid: again, keychain: 0, index: 0, valueSat: 7_000n }]);
    expect(walletBalance(paid.state)).toEqual({ confirmedSat: 7_000n, unconfirmedSat: 0n });
  });
});
