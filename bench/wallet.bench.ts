/**
 * The wallet: coin selection over 10,000 UTXOs (target ≤ 200 ms), covering a
 * small payment (a few large coins) and a payment that needs most of the
 * coins; and building + signing a payment from a 10,000-coin wallet with 1
 * and paying 10% of the balance (hundreds of inputs); and building + signing
 * a 521-input payment (defect 12 of issue 13: BIP 143 sighash parts
 * computed once per transaction instead of once per input).
 */
import { wasmSecp256k1 } from '../shared/crypto/index.js';
import { fromHex } from '../shared/crypto/index.js';
import { Transaction } from 'bitcoinjs-lib';
import { p2wpkhScriptCode, signWitnessInput } from '../shared/tx/index.js';
import { Bip143Sighasher, Bip84Account, EMPTY_WALLET_STATE, P2WPKH_OUTPUT_WEIGHT, buildSend, selectCoins, type WalletState, type WalletUtxo } from '../shared/wallet/index.js';
import { measure, measureInterleaved, ms, printTable } from './measure.js';

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

// 521 coins of 10,000 sat, paying all but 40,000 sat at 1 sat/vB: every coin is needed.
const coins521 = coins.slice(0, 521).map((c) => ({ ...c, valueSat: 10_000n }));
const state521: WalletState = { ...state, utxos: coins521 };
const send521 = () => buildSend(wasmSecp256k1, account, state521, { script: dest, amountSat: 521n * 10_000n - 40_000n, feeratePerKvb: 1_000n, tipHeight: 200 });
const inputs521 = send521().state.utxos.filter((u) => u.spentBy !== undefined).length;
const build521 = measure('build + sign a 521-input payment', send521, { runs: 7, warmup: 1 });

// Signing alone, the same 521-input transaction both ways, interleaved (so machine load affects both alike):
// bitcoinjs-lib's hashForWitnessV0 per input (what buildSend did before) and the cached BIP 143 parts.
const tx521 = Transaction.fromBuffer(send521().raw);
const signers = coins521.map((c) => {
  const key = account.key(c.keychain, c.index);
  return { key, code: p2wpkhScriptCode(key.publicKey), valueSat: c.valueSat };
});
const [perInput, cached] = measureInterleaved(
  [
    ['sign 521 inputs: hashForWitnessV0 per input (before)', () => signers.forEach((s, i) => signWitnessInput(wasmSecp256k1, tx521, i, s.code, s.valueSat, s.key.secret))],
    [
      'sign 521 inputs: BIP 143 parts once (after)',
      () => {
        const sighasher = new Bip143Sighasher(tx521);
        signers.forEach((s, i) => wasmSecp256k1.sign(sighasher.digest(i, s.code, s.valueSat), s.key.secret));
      },
    ],
  ],
  { runs: 7, warmup: 1 },
);

printTable('Wallet (target: coin selection over 10,000 UTXOs ≤ 200 ms)', [
  ['operation', 'median ms', 'inputs'],
  [small.name, ms(small.medianMs), '-'],
  [large.name, ms(large.medianMs), String(inputsOfLarge)],
  [oneInput.name, ms(oneInput.medianMs), '1'],
  [manyInputs.name, ms(manyInputs.medianMs), String(manyCount)],
  [build521.name, ms(build521.medianMs), String(inputs521)],
  [perInput!.name, ms(perInput!.medianMs), '521'],
  [cached!.name, ms(cached!.medianMs), '521'],
]);
