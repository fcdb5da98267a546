/**
 * The wallet's change address for a cooperative close's output
 * (docs/close.md): fresh per close, reserved by moving the change chain's
 * next index, and inside the scan window however many are reserved.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { isValidShutdownScript } from '../../shared/channel/index.js';
import { Bip84Account, EMPTY_WALLET_STATE, GAP_LIMIT, Keychain, reserveCloseScript, scanTargets, type WalletState } from '../../shared/wallet/index.js';

const account = Bip84Account.fromSeed(wasmSecp256k1, fromHex('6b'.repeat(32)), 'regtest');

describe('reserveCloseScript', () => {
  it('hands out the next change address and moves the change chain past it; receive is untouched', () => {
    const state: WalletState = { ...EMPTY_WALLET_STATE, nextIndex: [7, 3], usedCount: [5, 2] };
    const r = reserveCloseScript(account, state);
    expect(r.index).toBe(3);
    expect(toHex(r.script)).toBe(toHex(account.key(Keychain.change, 3).script));
    expect(r.state.nextIndex).toEqual([7, 4]);
    expect(r.state.usedCount).toEqual([5, 2]);
    expect(isValidShutdownScript(r.script, false)).toBe(true);
    const again = reserveCloseScript(account, r.state);
    expect(again.index).toBe(4);
    expect(toHex(again.script)).not.toBe(toHex(r.script));
  });

  it('every reserved address stays in the scan window, beyond the gap limit too', () => {
    let state: WalletState = EMPTY_WALLET_STATE;
    const reserved: number[] = [];
    for (let i = 0; i < GAP_LIMIT + 5; i++) {
      const r = reserveCloseScript(account, state);
      state = r.state;
      reserved.push(r.index);
    }
    const scanned = new Set(scanTargets(state).filter((t) => t.keychain === Keychain.change).map((t) => t.index));
    for (const index of reserved) expect(scanned.has(index)).toBe(true);
  });
});
