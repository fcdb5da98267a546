/**
 * The anchor reserve (shared/wallet/anchor-reserve.ts): which confirmed coins
 * are kept for 25,000 sat per anchor channel, and payments that leave them
 * unspent or are refused with `anchor-reserve-not-covered`.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import {
  ANCHOR_RESERVE_PER_CHANNEL_SAT,
  Bip84Account,
  EMPTY_WALLET_STATE,
  WalletErrorCode,
  anchorReserveSat,
  assertAnchorReserve,
  buildSend,
  claimFeeCoins,
  dropPending,
  lockClaimInputs,
  reservedCoins,
  spendableCoins,
  type WalletState,
  type WalletUtxo,
} from '../../shared/wallet/index.js';

const account = Bip84Account.fromSeed(wasmSecp256k1, fromHex('11'.repeat(32)), 'regtest');
const txid = (n: number) => n.toString(16).padStart(64, '0');
const coin = (n: number, valueSat: bigint, height = 101): WalletUtxo => ({ txid: txid(n), vout: 0, valueSat, keychain: 0, index: n % 5, height });
const state = (utxos: WalletUtxo[]): WalletState => ({ ...EMPTY_WALLET_STATE, nextIndex: [5, 0], usedCount: [5, 0], utxos, syncedHeight: 101 });
const dest = fromHex('0014' + '77'.repeat(20));
const send = (s: WalletState, amountSat: bigint, reserve: bigint) =>
  buildSend(wasmSecp256k1, account, s, { script: dest, amountSat, feeratePerKvb: 2000n, tipHeight: 101, anchorReserveSat: reserve });

describe('anchor reserve', () => {
  it('is 25,000 sat per anchor channel; a negative or fractional count is a RangeError', () => {
    expect(ANCHOR_RESERVE_PER_CHANNEL_SAT).toBe(25_000n);
    expect(anchorReserveSat(0)).toBe(0n);
    expect(anchorReserveSat(3)).toBe(75_000n);
    expect(() => anchorReserveSat(-1)).toThrow(RangeError);
    expect(() => anchorReserveSat(1.5)).toThrow(RangeError);
  });

  it('keeps the smallest confirmed coin that covers it, else the largest ones; unconfirmed and spent coins never count', () => {
    const s = state([coin(1, 10_000n), coin(2, 40_000n), coin(3, 30_000n), coin(4, 90_000n), coin(5, 500_000n, 0), { ...coin(6, 26_000n), spentBy: txid(9) }]);
    expect(reservedCoins(s, 25_000n)).toMatchObject({ coins: [coin(3, 30_000n)], reservedSat: 30_000n, covered: true });
    expect(reservedCoins(s, 100_000n)).toMatchObject({ coins: [coin(4, 90_000n), coin(2, 40_000n)], reservedSat: 130_000n, covered: true });
    expect(reservedCoins(s, 200_000n)).toMatchObject({ reservedSat: 170_000n, covered: false });
    expect(reservedCoins(s, 0n)).toMatchObject({ coins: [], covered: true });
    expect(() => assertAnchorReserve(s, 6)).not.toThrow();
    expect(() => assertAnchorReserve(s, 7)).toThrow(expect.objectContaining({ code: WalletErrorCode.AnchorReserve }));
  });

  it('a payment leaves the reserve (coins kept, or its change), and is refused when only the kept coins would pay (not for want of funds)', () => {
    // One coin: spent, its change keeps the reserve.
    const one = send(state([coin(3, 100_000n)]), 50_000n, 25_000n);
    expect(one.changeSat).toBeGreaterThanOrEqual(25_000n);
    expect(() => send(state([coin(3, 100_000n)]), 80_000n, 25_000n)).toThrow(expect.objectContaining({ code: WalletErrorCode.AnchorReserve }));
    // Two coins: the larger pays, the 30,000 sat coin and the change keep the reserve.
    const two = send(state([coin(1, 30_000n), coin(2, 60_000n)]), 10_000n, 45_000n);
    expect(two.state.utxos.find((u) => u.txid === txid(1))?.spentBy).toBeUndefined();
    const s = state([coin(1, 30_000n), coin(2, 60_000n)]);
    const paid = send(s, 50_000n, 25_000n);
    expect(paid.state.utxos.find((u) => u.txid === txid(1))?.spentBy).toBeUndefined();
    expect(paid.state.utxos.find((u) => u.txid === txid(2))?.spentBy).toBe(paid.txid);
    expect(() => send(s, 70_000n, 25_000n)).toThrow(expect.objectContaining({ code: WalletErrorCode.AnchorReserve }));
    // Without the reserve the same payment is made; beyond every coin it is insufficient funds.
    expect(send(s, 70_000n, 0n).state.utxos.filter((u) => u.height > 0).every((u) => u.spentBy !== undefined)).toBe(true);
    expect(() => send(s, 100_000n, 25_000n)).toThrow(expect.objectContaining({ code: WalletErrorCode.InsufficientFunds }));
  });
});

describe('coins paying for an anchors claim', () => {
  it('the smallest confirmed coin that pays; locked as a pending transaction (change counted, next change index moved); released when the claim is dropped', () => {
    const s = state([coin(1, 10_000n), coin(2, 40_000n), coin(3, 90_000n), coin(4, 500_000n, 0)]);
    expect(claimFeeCoins(s, 20_000n)).toEqual([coin(2, 40_000n)]);
    expect(claimFeeCoins(s, 600_000n)).toEqual([]);
    const locked = lockClaimInputs(s, { txid: txid(99), raw: Uint8Array.of(1), coins: [coin(2, 40_000n)], change: { vout: 1, valueSat: 39_000n, index: 0 }, tipHeight: 101 });
    expect(locked.utxos.find((u) => u.txid === txid(2))?.spentBy).toBe(txid(99));
    expect(spendableCoins(locked).some((u) => u.txid === txid(2))).toBe(false);
    expect(locked.utxos.find((u) => u.txid === txid(99))).toMatchObject({ valueSat: 39_000n, keychain: 1, index: 0, height: 0 });
    expect(locked.nextIndex).toEqual([5, 1]);
    expect(locked.pending.map((p) => p.txid)).toEqual([txid(99)]);
    expect(lockClaimInputs(locked, { txid: txid(99), raw: Uint8Array.of(1), coins: [], tipHeight: 102 })).toBe(locked);
    const released = dropPending(locked, txid(99));
    expect(released.utxos.find((u) => u.txid === txid(2))?.spentBy).toBeUndefined();
    expect(released.utxos.some((u) => u.txid === txid(99))).toBe(false);
  });
});
