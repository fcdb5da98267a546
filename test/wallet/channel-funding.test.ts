/**
 * The wallet's side of channel funding: a funding transaction is held (never
 * broadcast, never abandoned by the wallet) until its channel releases it
 * (`funding_signed`) or discards it (`DiscardFunding`: the coins come back).
 * The held mark survives the WALLET record.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import {
  Bip84Account,
  EMPTY_WALLET_STATE,
  PENDING_EXPIRY_BLOCKS,
  applyWalletScan,
  broadcastablePending,
  buildSend,
  decodeWalletState,
  discardFunding,
  encodeWalletState,
  holdFunding,
  isHeldFunding,
  releaseFunding,
  walletBalance,
  type WalletState,
} from '../../shared/wallet/index.js';

const account = Bip84Account.fromSeed(wasmSecp256k1, fromHex('22'.repeat(32)), 'regtest');
const fundingScript = fromHex('0020' + '55'.repeat(32));
const funded: WalletState = {
  ...EMPTY_WALLET_STATE,
  nextIndex: [1, 0],
  usedCount: [1, 0],
  utxos: [{ txid: 'aa'.repeat(32), vout: 0, valueSat: 500_000n, keychain: 0, index: 0, height: 100 }],
  syncedHeight: 101,
};

/** The wallet after building a 200,000 sat funding transaction and holding it for its channel. */
function withHeldFunding(): { state: WalletState; txid: string } {
  const send = buildSend(wasmSecp256k1, account, funded, { script: fundingScript, amountSat: 200_000n, feeratePerKvb: 2_000n, tipHeight: 101 });
  return { state: holdFunding(send.state, send.txid), txid: send.txid };
}

/** A scan at `tipHeight` that finds nothing new (the funding transaction unknown to the chain). */
function scanAt(state: WalletState, tipHeight: number): WalletState {
  return applyWalletScan(account, state, { tipHeight, scripts: [], lookedUp: new Map() });
}

describe('channel funding in the wallet', () => {
  it('a held funding transaction is not broadcastable, and keeps its coins spent', () => {
    const { state, txid } = withHeldFunding();
    expect(isHeldFunding(state, txid)).toBe(true);
    expect(broadcastablePending(state)).toEqual([]);
    expect(walletBalance(state).confirmedSat).toBe(0n);
  });

  it('the held mark survives the WALLET record; a record with nothing held encodes as before', () => {
    const { state, txid } = withHeldFunding();
    const decoded = decodeWalletState(encodeWalletState(state));
    expect(decoded).toEqual({ ok: true, value: state });
    const released = releaseFunding(state, txid, 101);
    const plain = encodeWalletState(released);
    // No TLV 10 (type byte 0x0a) after the pending entries: the bytes an older reader reads.
    expect(decodeWalletState(plain)).toEqual({ ok: true, value: released });
    expect(plain.length).toBeLessThan(encodeWalletState(state).length);
  });

  it('the wallet never abandons a held funding on its own', () => {
    const { state, txid } = withHeldFunding();
    const later = scanAt(state, 101 + PENDING_EXPIRY_BLOCKS + 10);
    expect(isHeldFunding(later, txid)).toBe(true);
    expect(later.pending.map((p) => p.txid)).toEqual([txid]);
  });

  it('released by funding_signed: broadcastable, and expiring like any payment from the release height', () => {
    const { state, txid } = withHeldFunding();
    const released = releaseFunding(state, txid, 110);
    expect(broadcastablePending(released).map((p) => p.txid)).toEqual([txid]);
    expect(scanAt(released, 110 + PENDING_EXPIRY_BLOCKS - 1).pending).toHaveLength(1);
    expect(scanAt(released, 110 + PENDING_EXPIRY_BLOCKS).pending).toHaveLength(0);
  });

  it('discarded with its channel: every coin spendable again, its change and history gone', () => {
    const { state, txid } = withHeldFunding();
    const back = discardFunding(state, txid);
    expect(back.pending).toEqual([]);
    expect(back.utxos).toEqual(funded.utxos);
    expect(back.history.some((h) => h.txid === txid)).toBe(false);
    expect(walletBalance(back)).toEqual({ confirmedSat: 500_000n, unconfirmedSat: 0n });
  });
});
