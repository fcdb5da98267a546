/**
 * The wallet's state record (round trip, newer version, garbage) and the
 * payment builder: RBF sequence, exact fee for the signed size, change to the
 * next change address, spent coins marked, a pending entry, valid BIP 143
 * signatures; the scan's bookkeeping of pending transactions.
 */
import { Transaction } from 'bitcoinjs-lib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { p2wpkhScriptCode, verifyWitnessInput, compactFromDer } from '../../shared/tx/index.js';
import {
  Bip84Account,
  EMPTY_WALLET_STATE,
  PENDING_EXPIRY_BLOCKS,
  RBF_SEQUENCE,
  applyWalletScan,
  buildSend,
  decodeWalletState,
  encodeWalletState,
  feeForWeight,
  scanTargets,
  walletBalance,
  type WalletState,
  type WalletUtxo,
} from '../../shared/wallet/index.js';

const account = Bip84Account.fromSeed(wasmSecp256k1, fromHex('11'.repeat(32)), 'regtest');
const txid = (n: number) => n.toString(16).padStart(64, '0');
const coin = (n: number, valueSat: bigint, height = 101): WalletUtxo => ({ txid: txid(n), vout: n % 3, valueSat, keychain: 0, index: n % 5, height });
const state = (utxos: WalletUtxo[]): WalletState => ({ ...EMPTY_WALLET_STATE, nextIndex: [5, 0], usedCount: [5, 0], utxos, syncedHeight: 101 });
const dest = fromHex('0014' + '77'.repeat(20));

describe('wallet state record', () => {
  it('round-trips, with marks, history, pending and our unconfirmed transactions', () => {
    const s: WalletState = {
      nextIndex: [7, 3],
      usedCount: [6, 2],
      utxos: [coin(1, 5000n), { ...coin(2, 7000n, 0), keychain: 1, spentBy: txid(9) }],
      history: [{ txid: txid(9), height: 0, receivedSat: 10n, sentSat: 7000n }],
      pending: [{ txid: txid(9), raw: fromHex('0200000000'), createdAtHeight: 120 }],
      syncedHeight: 121,
      ownUnconfirmed: [
        { txid: txid(8), vsize: 141, parents: [] },
        { txid: txid(9), vsize: 110, parents: [txid(8), txid(7)] },
      ],
    };
    const decoded = decodeWalletState(encodeWalletState(s));
    expect(decoded).toEqual({ ok: true, value: s });
  });

  it('refuses a newer version and garbage with a typed error, never a throw', () => {
    const bytes = encodeWalletState(EMPTY_WALLET_STATE);
    bytes[0] = 2;
    expect(decodeWalletState(bytes)).toMatchObject({ ok: false });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (garbage) => {
      const r = decodeWalletState(garbage);
      expect(typeof r.ok).toBe('boolean');
    }));
  });

  it('reports confirmed and unconfirmed balances without our own spent coins', () => {
    expect(walletBalance(state([coin(1, 5000n), coin(2, 300n, 0), { ...coin(3, 999n), spentBy: txid(8) }]))).toEqual({ confirmedSat: 5000n, unconfirmedSat: 300n });
  });
});

describe('buildSend', () => {
  it('signs an RBF payment with change, paying exactly the fee rate for its vsize', () => {
    const s = state([coin(1, 60_000n), coin(2, 20_000n), coin(3, 1_000n)]);
    const sent = buildSend(wasmSecp256k1, account, s, { script: dest, amountSat: 70_000n, feeratePerKvb: 2_500n, tipHeight: 101 });
    const tx = Transaction.fromBuffer(sent.raw);
    expect(tx.getId()).toBe(sent.txid);
    expect(tx.ins.every((i) => i.sequence === RBF_SEQUENCE)).toBe(true);
    expect(tx.ins).toHaveLength(2);
    expect(sent.feeSat).toBe(feeForWeight(tx.weight(), 2_500n));
    const change = tx.outs.find((o) => toHex(o.script) === toHex(account.key(1, 0).script))!;
    expect(BigInt(change.value)).toBe(sent.changeSat);
    expect(80_000n - 70_000n - sent.feeSat).toBe(sent.changeSat);
    // Every input's signature verifies against its coin (BIP 143).
    const spentCoins = [coin(1, 60_000n), coin(2, 20_000n)];
    tx.ins.forEach((input, i) => {
      const c = spentCoins.find((x) => x.txid === toHex(Uint8Array.from(input.hash).reverse()))!;
      const key = account.key(0, c.index);
      expect(verifyWitnessInput(wasmSecp256k1, tx, i, p2wpkhScriptCode(key.publicKey), c.valueSat, compactFromDer(input.witness[0]!.subarray(0, -1)), key.publicKey)).toBe(true);
    });
    expect(sent.state.nextIndex).toEqual([5, 1]);
    expect(sent.state.utxos.filter((u) => u.spentBy === sent.txid)).toHaveLength(2);
    expect(sent.state.pending).toEqual([{ txid: sent.txid, raw: sent.raw, createdAtHeight: 101 }]);
    expect(walletBalance(sent.state)).toEqual({ confirmedSat: 1_000n, unconfirmedSat: sent.changeSat });
  });

  it('does not double-spend: a second payment uses other coins, and then funds run out', () => {
    const s = state([coin(1, 60_000n), coin(2, 50_000n)]);
    const first = buildSend(wasmSecp256k1, account, s, { script: dest, amountSat: 40_000n, feeratePerKvb: 1_000n, tipHeight: 101 });
    const second = buildSend(wasmSecp256k1, account, first.state, { script: dest, amountSat: 40_000n, feeratePerKvb: 1_000n, tipHeight: 101 });
    const inputs = (raw: Uint8Array) => Transaction.fromBuffer(raw).ins.map((i) => `${toHex(Uint8Array.from(i.hash).reverse())}:${i.index}`);
    expect(inputs(first.raw).some((i) => inputs(second.raw).includes(i))).toBe(false);
    expect(() => buildSend(wasmSecp256k1, account, second.state, { script: dest, amountSat: 40_000n, feeratePerKvb: 1_000n, tipHeight: 101 })).toThrow(
      expect.objectContaining({ code: 'insufficient-funds' }),
    );
  });

  it('rejects dust amounts', () => {
    expect(() => buildSend(wasmSecp256k1, account, state([coin(1, 60_000n)]), { script: dest, amountSat: 293n, feeratePerKvb: 1_000n, tipHeight: 101 })).toThrow(
      expect.objectContaining({ code: 'invalid-amount' }),
    );
  });
});

describe('buildSend within the mempool chain limits', () => {
  const change = (n: number, valueSat: bigint): WalletUtxo => ({ txid: txid(n), vout: 0, valueSat, keychain: 1, index: n, height: 0 });
  /** A chain of `length` of our unconfirmed transactions ending at txid(n0 + length - 1). */
  const chainOf = (n0: number, length: number, vsize = 141) => Array.from({ length }, (_, i) => ({ txid: txid(n0 + i), vsize, parents: i === 0 ? [] : [txid(n0 + i - 1)] }));
  const send = (s: WalletState, amountSat: bigint) => buildSend(wasmSecp256k1, account, s, { script: dest, amountSat, feeratePerKvb: 1_000n, tipHeight: 101 });
  const inputsOf = (raw: Uint8Array) => Transaction.fromBuffer(raw).ins.map((i) => toHex(Uint8Array.from(i.hash).reverse()));

  it('prefers confirmed coins to the change of unconfirmed payments', () => {
    const s = { ...state([coin(1, 20_000n), change(50, 90_000n)]), ownUnconfirmed: chainOf(50, 1) };
    expect(inputsOf(send(s, 10_000n).raw)).toEqual([txid(1)]);
  });

  it('spends unconfirmed change up to 25 ancestors, and records the payment with its parents', () => {
    const s = { ...state([change(73, 90_000n)]), ownUnconfirmed: chainOf(50, 24) };
    const sent = send(s, 10_000n);
    expect(inputsOf(sent.raw)).toEqual([txid(73)]);
    expect(sent.state.ownUnconfirmed?.at(-1)).toEqual({ txid: sent.txid, vsize: Transaction.fromBuffer(sent.raw).virtualSize(), parents: [txid(73)] });
    // The next one would be the 26th.
    expect(() => send(sent.state, 10_000n)).toThrow(expect.objectContaining({ code: 'too-many-unconfirmed', message: expect.stringMatching(/Wait for a confirmation/) }));
  });

  it('counts the union of several unconfirmed parents, and takes the shorter chains first', () => {
    // Two chains of 12 and one of 20: 12 + 12 + the payment fits, adding the 20 would not.
    const s = { ...state([change(61, 30_000n), change(81, 30_000n), change(119, 40_000n)]), ownUnconfirmed: [...chainOf(50, 12), ...chainOf(70, 12), ...chainOf(100, 20)] };
    expect(inputsOf(send(s, 50_000n).raw).sort()).toEqual([txid(61), txid(81)]);
    expect(() => send(s, 80_000n)).toThrow(expect.objectContaining({ code: 'too-many-unconfirmed' }));
    expect(() => send(s, 200_000n)).toThrow(expect.objectContaining({ code: 'insufficient-funds' }));
  });

  it('keeps the ancestors within 101 kvB', () => {
    const s = { ...state([change(52, 90_000n)]), ownUnconfirmed: chainOf(50, 3, 33_650) };
    expect(() => send(s, 10_000n)).toThrow(expect.objectContaining({ code: 'too-many-unconfirmed', message: expect.stringMatching(/4 unconfirmed ancestors of 10\d{4} vbytes/) }));
  });

  it('does not spend unconfirmed change whose ancestors it does not know, and forgets confirmed transactions at the next scan', () => {
    expect(() => send(state([change(50, 90_000n)]), 10_000n)).toThrow(expect.objectContaining({ code: 'insufficient-funds' }));
    const s = { ...state([change(51, 90_000n)]), ownUnconfirmed: chainOf(50, 2), history: [{ txid: txid(50), height: 0, receivedSat: 0n, sentSat: 1n }, { txid: txid(51), height: 0, receivedSat: 0n, sentSat: 1n }] };
    const scanned = applyWalletScan(account, s, { tipHeight: 102, scripts: [], lookedUp: new Map([[txid(50), 102], [txid(51), 0]]) });
    expect(scanned.ownUnconfirmed).toEqual([{ txid: txid(51), vsize: 141, parents: [txid(50)] }]);
  });
});

describe('applyWalletScan', () => {
  it('scans the gap window and the coins, and abandons a pending transaction the chain never saw', () => {
    const s = state([coin(1, 60_000n)]);
    expect(scanTargets(EMPTY_WALLET_STATE)).toHaveLength(40);
    const sent = buildSend(wasmSecp256k1, account, s, { script: dest, amountSat: 10_000n, feeratePerKvb: 1_000n, tipHeight: 101 });
    const noAnswer = { scripts: [{ keychain: 0 as const, index: 1, used: true, utxos: [{ txid: txid(1), vout: 1, valueSat: 60_000n, height: 101 }], txs: [] }], lookedUp: new Map([[sent.txid, undefined]]) };
    const soon = applyWalletScan(account, sent.state, { ...noAnswer, tipHeight: 102 });
    expect(soon.pending).toHaveLength(1);
    expect(walletBalance(soon).confirmedSat).toBe(0n);
    const later = applyWalletScan(account, sent.state, { ...noAnswer, tipHeight: 101 + PENDING_EXPIRY_BLOCKS });
    expect(later.pending).toHaveLength(0);
    expect(walletBalance(later)).toEqual({ confirmedSat: 60_000n, unconfirmedSat: 0n });
    expect(later.history.find((h) => h.txid === sent.txid)).toBeUndefined();
  });
});
