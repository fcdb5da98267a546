/**
 * BIP 143 signature hashes with the transaction-wide parts computed once
 * (`Bip143Sighasher`): BIP 143's native P2WPKH example, kept unchanged;
 * every input of a 300-input transaction and of random transactions against
 * bitcoinjs-lib's `hashForWitnessV0`; and a wallet payment of 200 inputs,
 * each digest bitcoinjs-lib's and each signature valid.
 */
import { Transaction } from 'bitcoinjs-lib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { compactFromDer, p2wpkhScriptCode, verifyWitnessInput } from '../../shared/tx/index.js';
import { Bip143Sighasher, Bip84Account, EMPTY_WALLET_STATE, buildSend, type WalletUtxo } from '../../shared/wallet/index.js';

/** BIP 143, "Native P2WPKH": the unsigned transaction, input 1 (P2WPKH, 6 BTC) and its sighash. */
const BIP143_P2WPKH = {
  unsignedTx:
    '0100000002fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f0000000000eeffffffef51e1b804cc89d182d279655c3aa89e815b1b309fe287d9b2b55d57b90ec68a0100000000ffffffff02202cb206000000001976a9148280b37df378db99f66f85c95a783a76ac7a6d5988ac9093510d000000001976a9143bde42dbee7e4dbe6a21b2d50ce2f0167faa815988ac11000000',
  inputIndex: 1,
  scriptCode: '76a9141d0f172a0ecb48aee1be1f2687d2963ae33f71a188ac',
  amountSat: 600_000_000n,
  sigHash: 'c37af31116d1b27caf68aae9e3ac82f1477929014d5b917657d0eb49478cb670',
};

const scriptCode = (n: number) => fromHex('76a914' + (n % 256).toString(16).padStart(2, '0').repeat(20) + '88ac');

describe('Bip143Sighasher', () => {
  it("gives BIP 143's native P2WPKH sighash", () => {
    const tx = Transaction.fromHex(BIP143_P2WPKH.unsignedTx);
    const digest = new Bip143Sighasher(tx).digest(BIP143_P2WPKH.inputIndex, fromHex(BIP143_P2WPKH.scriptCode), BIP143_P2WPKH.amountSat);
    expect(toHex(digest)).toBe(BIP143_P2WPKH.sigHash);
  });

  it("equals bitcoinjs-lib's hashForWitnessV0 for every input of a 300-input transaction", () => {
    const tx = new Transaction();
    tx.version = 2;
    tx.locktime = 812_345;
    for (let i = 0; i < 300; i++) tx.addInput(Buffer.alloc(32, i % 251), i * 7, i % 3 === 0 ? 0xffffffff : 0xfffffffd - i);
    tx.addOutput(fromHex('0014' + '11'.repeat(20)), 5_000n);
    tx.addOutput(fromHex('6a' + 'ab'.repeat(300)), 0n); // a script longer than 252 bytes: 3-byte length
    tx.addOutput(fromHex('0020' + '22'.repeat(32)), 21_000_000n * 100_000_000n);
    const sighasher = new Bip143Sighasher(tx);
    for (let i = 0; i < tx.ins.length; i++) {
      const amountSat = 1_000n + BigInt(i) * 12_345n;
      expect(toHex(sighasher.digest(i, scriptCode(i), amountSat))).toBe(toHex(tx.hashForWitnessV0(i, scriptCode(i), amountSat, Transaction.SIGHASH_ALL)));
    }
  });

  it("equals bitcoinjs-lib's hashForWitnessV0 on random transactions", () => {
    const input = fc.record({ hash: fc.uint8Array({ minLength: 32, maxLength: 32 }), index: fc.nat({ max: 0xffffffff }), sequence: fc.nat({ max: 0xffffffff }) });
    const output = fc.record({ script: fc.uint8Array({ maxLength: 300 }), value: fc.bigInt({ min: 0n, max: 2_100_000_000_000_000n }) });
    fc.assert(
      fc.property(
        fc.array(input, { minLength: 1, maxLength: 8 }),
        fc.array(output, { minLength: 1, maxLength: 4 }),
        fc.nat({ max: 0xffffffff }),
        fc.constantFrom(1, 2),
        fc.bigInt({ min: 0n, max: 2_100_000_000_000_000n }),
        fc.uint8Array({ maxLength: 300 }),
        (ins, outs, locktime, version, amountSat, code) => {
          const tx = new Transaction();
          tx.version = version;
          tx.locktime = locktime;
          for (const i of ins) tx.addInput(Buffer.from(i.hash), i.index, i.sequence);
          for (const o of outs) tx.addOutput(Buffer.from(o.script), o.value);
          const sighasher = new Bip143Sighasher(tx);
          for (let i = 0; i < ins.length; i++) expect(toHex(sighasher.digest(i, code, amountSat))).toBe(toHex(tx.hashForWitnessV0(i, Buffer.from(code), amountSat, Transaction.SIGHASH_ALL)));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("signs wallet payments with it: a 200-input payment's digests are bitcoinjs-lib's, and every signature verifies", () => {
    const account = Bip84Account.fromSeed(wasmSecp256k1, fromHex('3c'.repeat(32)), 'regtest');
    const coins: WalletUtxo[] = Array.from({ length: 200 }, (_, i) => ({ txid: (i + 1).toString(16).padStart(64, '0'), vout: i % 3, valueSat: 10_000n, keychain: 0, index: i % 7, height: 150 }));
    const state = { ...EMPTY_WALLET_STATE, nextIndex: [7, 0] as const, usedCount: [7, 0] as const, utxos: coins, syncedHeight: 150 };
    const sent = buildSend(wasmSecp256k1, account, state, { script: fromHex('0014' + '44'.repeat(20)), amountSat: 1_980_000n, feeratePerKvb: 1_000n, tipHeight: 150 });
    const tx = Transaction.fromBuffer(sent.raw);
    expect(tx.ins).toHaveLength(200);
    const sighasher = new Bip143Sighasher(tx);
    tx.ins.forEach((input, i) => {
      const coin = coins.find((c) => c.txid === toHex(Uint8Array.from(input.hash).reverse()) && c.vout === input.index)!;
      const key = account.key(0, coin.index);
      const code = p2wpkhScriptCode(key.publicKey);
      expect(toHex(sighasher.digest(i, code, coin.valueSat))).toBe(toHex(tx.hashForWitnessV0(i, Buffer.from(code), coin.valueSat, Transaction.SIGHASH_ALL)));
      const signature = compactFromDer(input.witness[0]!.subarray(0, -1));
      expect(verifyWitnessInput(wasmSecp256k1, tx, i, p2wpkhScriptCode(key.publicKey), coin.valueSat, signature, key.publicKey)).toBe(true);
    });
  });
});
