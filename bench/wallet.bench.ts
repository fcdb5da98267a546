/**
 * The wallet: coin selection over 10,000 UTXOs (target ≤ 200 ms), covering a
 * small payment (a few large coins) and a payment that needs most of the
 * coins; and building + signing a payment from a 10,000-coin wallet with 1
 * and paying 10% of the balance (hundreds of inputs).
 */
import { wasmSecp256k1 } from '../shared/crypto/index.js';
import { fromHex } from '../shared/crypto/index.js';
import { Bip84Account, EMPTY_WALLET_STATE, P2WPKH_OUTPUT_WEIGHT, buildSend, selectCoins, type WalletState, type WalletUtxo } from '../shared/wallet/index.js';
import { measure, ms, printTable } from './measure.js';

const N = 10_000;
const coins: WalletUtxo[] = Array.from({ length: N }, (_, i) => ({
  txid: i.toString(16).padStart(64, '0'),
  vout: i % 4,
  valueSat: 1_000n + BigInt((i * 7919) % 99_000),
  keychain: 0,
  index: i % 50,
  height: 200,
}));
const total = coins.reduce((a, c) => a + c.valueSat, 0n);
const select = (targetSat: bigint) => () => selectCoins({ coins, targetSat, outputs: 1, outputWeights: P2WPKH_OUTPUT_WEIGHT, feeratePerKvb: 5_000n });

const small = measure('select 10,000 UTXOs: 50,000 sat', select(50_000n), { runs: 21 });
const large = measure('select 10,000 UTXOs: 90% of the balance', select((total * 9n) / 10n), { runs: 21 });
const inputsOfLarge = select((total * 9n) / 10n)().selected.length;

const account = Bip84Account.fromSeed(wasmSecp256k1, fromHex('42'.repeat(32)), 'regtest');
const state: WalletState = { ...EMPTY_WALLET_STATE, nextIndex: [50, 0], usedCount: [50, 0], utxos: coins, syncedHeight: 200 };
const dest = fromHex('0014' + '55'.repeat(20));
const send = (amountSat: bigint) => () => buildSend(wasmSecp256k1, account, state, { script: dest, amountSat, feeratePerKvb: 2_000n, tipHeight: 200 });
const oneInput = measure('build + sign from 10,000 UTXOs: 1 input', send(50_000n), { runs: 21 });
const manyInputs = measure('build + sign from 10,000 UTXOs: 10% of the balance', send(total / 10n), { runs: 5, warmup: 1 });
const manyCount = send(total / 10n)().state.utxos.filter((u) => u.spentBy !== undefined).length;

printTable('Wallet (target: coin selection over 10,000 UTXOs ≤ 200 ms)', [
  ['operation', 'median ms', 'inputs'],
  [small.name, ms(small.medianMs), '-'],
  [large.name, ms(large.medianMs), String(inputsOfLarge)],
  [oneInput.name, ms(oneInput.medianMs), '1'],
  [manyInputs.name, ms(manyInputs.medianMs), String(manyCount)],
]);
