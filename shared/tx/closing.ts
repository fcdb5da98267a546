/**
 * BOLT 3 Closing Transaction (mutual close, `closing_signed`): spends the
 * funding output to each side's `shutdown` script, fee taken from the
 * opener, outputs below the dust limit dropped, BIP 69 order.
 */
import { Transaction } from 'bitcoinjs-lib';
import type { Secp256k1 } from '../crypto/index.js';
import type { Outpoint } from './amounts.js';
import { checkInteger, checkMsat, checkOutpoint, checkSat } from './amounts.js';
import { TxError, TxErrorCode } from './errors.js';
import { feeForWeight } from './fees.js';
import { fundingWitness } from './funding.js';
import { compareBytes, fundingScript } from './scripts.js';
import { SighashType, signWitnessInput, verifyWitnessInput } from './sign.js';
import { INPUT_BYTES, TX_FIXED_BYTES, WITNESS_HEADER_WEIGHT, varIntLength } from './weights.js';

/** BOLT 3 Appendix A: the 2-of-2 funding witness, 222 bytes. */
export const FUNDING_WITNESS_BYTES = 222;

/** What a mutual close pays (BOLT 2 `closing_signed` / `closing_complete`, BOLT 3 Closing Transaction). */
export interface ClosingParams {
  readonly fundingOutpoint: Outpoint;
  readonly fundingSat: bigint;
  readonly localFundingPubkey: Uint8Array;
  readonly remoteFundingPubkey: Uint8Array;
  readonly localScriptPubKey: Uint8Array;
  readonly remoteScriptPubKey: Uint8Array;
  /** Final balances (no HTLC may be pending), before the fee. */
  readonly toLocalMsat: bigint;
  readonly toRemoteMsat: bigint;
  readonly localIsOpener: boolean;
  readonly feeSat: bigint;
  /** Outputs below this are dropped (the signer's own `dust_limit_satoshis`). */
  readonly dustLimitSat: bigint;
  /** 0 for `closing_signed`; `option_simple_close` carries one in `closing_complete`. */
  readonly locktime?: number;
  /** 0xFFFFFFFF for `closing_signed`; 0xFFFFFFFD with `option_simple_close`. */
  readonly sequence?: number;
}

/** An unsigned closing transaction and the indexes of each side's output (null when dropped as dust). */
export interface ClosingTransaction {
  readonly params: ClosingParams;
  readonly tx: Transaction;
  readonly fundingScript: Uint8Array;
  readonly localOutputIndex: number | null;
  readonly remoteOutputIndex: number | null;
}

/**
 * Expected weight of a closing transaction paying to the given scripts
 * (either may be absent): BOLT 3 Appendix A conventions (222-byte funding witness).
 */
export function closingWeight(outputScripts: readonly Uint8Array[]): bigint {
  let base = TX_FIXED_BYTES + 1 + INPUT_BYTES + varIntLength(outputScripts.length);
  for (const s of outputScripts) base += 8 + varIntLength(s.length) + s.length;
  return BigInt(4 * base + WITNESS_HEADER_WEIGHT + FUNDING_WITNESS_BYTES);
}

/** Fee of a closing transaction with both outputs at a feerate (a starting point for `closing_signed`). */
export function closingFeeSat(feeratePerKw: bigint, localScriptPubKey: Uint8Array, remoteScriptPubKey: Uint8Array): bigint {
  return feeForWeight(feeratePerKw, closingWeight([localScriptPubKey, remoteScriptPubKey]));
}

/** BOLT 3 Closing Transaction. Throws `opener-cannot-pay-fee` when the fee exceeds the opener's balance. */
export function buildClosingTransaction(p: ClosingParams): ClosingTransaction {
  checkOutpoint(p.fundingOutpoint, 'funding outpoint');
  checkSat(p.fundingSat, 'funding amount');
  checkMsat(p.toLocalMsat, 'to_local balance');
  checkMsat(p.toRemoteMsat, 'to_remote balance');
  checkSat(p.feeSat, 'closing fee');
  checkSat(p.dustLimitSat, 'dust limit');
  if (p.toLocalMsat + p.toRemoteMsat !== p.fundingSat * 1000n) {
    throw new TxError(TxErrorCode.BalanceMismatch, 'closing balances must add up to the funding amount');
  }
  const script = fundingScript(p.localFundingPubkey, p.remoteFundingPubkey);
  let localSat = p.toLocalMsat / 1000n;
  let remoteSat = p.toRemoteMsat / 1000n;
  if (p.localIsOpener) {
    if (localSat < p.feeSat) throw new TxError(TxErrorCode.OpenerCannotPayFee, 'opener cannot pay the closing fee');
    localSat -= p.feeSat;
  } else {
    if (remoteSat < p.feeSat) throw new TxError(TxErrorCode.OpenerCannotPayFee, 'opener cannot pay the closing fee');
    remoteSat -= p.feeSat;
  }
  const outputs: { side: 'local' | 'remote'; script: Uint8Array; amountSat: bigint }[] = [];
  if (localSat >= p.dustLimitSat) outputs.push({ side: 'local', script: p.localScriptPubKey, amountSat: localSat });
  if (remoteSat >= p.dustLimitSat) outputs.push({ side: 'remote', script: p.remoteScriptPubKey, amountSat: remoteSat });
  if (outputs.length === 0) throw new TxError(TxErrorCode.OutputBelowDust, 'both closing outputs are below the dust limit');
  outputs.sort((a, b) => (a.amountSat !== b.amountSat ? (a.amountSat < b.amountSat ? -1 : 1) : compareBytes(a.script, b.script)));
  const tx = new Transaction();
  tx.version = 2;
  tx.locktime = checkInteger(p.locktime ?? 0, 0xffffffff, 'locktime');
  tx.addInput(p.fundingOutpoint.txid, p.fundingOutpoint.index, checkInteger(p.sequence ?? 0xffffffff, 0xffffffff, 'sequence'));
  for (const o of outputs) tx.addOutput(o.script, o.amountSat);
  const indexOf = (side: 'local' | 'remote') => {
    const i = outputs.findIndex((o) => o.side === side);
    return i < 0 ? null : i;
  };
  return { params: p, tx, fundingScript: script, localOutputIndex: indexOf('local'), remoteOutputIndex: indexOf('remote') };
}

/** Signs the closing transaction with a funding secret (SIGHASH_ALL): 64-byte compact, as `closing_signed` carries it. */
export function signClosing(secp: Secp256k1, closing: ClosingTransaction, fundingSecret: Uint8Array): Uint8Array {
  return signWitnessInput(secp, closing.tx, 0, closing.fundingScript, closing.params.fundingSat, fundingSecret, SighashType.All);
}

/** Verifies the counterparty's closing signature. */
export function verifyClosingSignature(secp: Secp256k1, closing: ClosingTransaction, signature: Uint8Array, fundingPubkey: Uint8Array): boolean {
  return verifyWitnessInput(secp, closing.tx, 0, closing.fundingScript, closing.params.fundingSat, signature, fundingPubkey, SighashType.All);
}

/** The broadcastable closing transaction with both signatures in the funding witness. */
export function finalizeClosing(closing: ClosingTransaction, localSignature: Uint8Array, remoteSignature: Uint8Array): Transaction {
  const tx = closing.tx.clone();
  tx.setWitness(0, fundingWitness(closing.params.localFundingPubkey, closing.params.remoteFundingPubkey, localSignature, remoteSignature));
  return tx;
}
