/**
 * Independent check of our witnesses: bitcore-lib's script interpreter (a
 * separate implementation of Bitcoin script, BIP 143, CLTV and CSV), run on
 * one input of a serialized transaction against its prevout.
 */
import bitcore from 'bitcore-lib';
import type { Transaction } from 'bitcoinjs-lib';

const I = bitcore.Script.Interpreter;
/**
 * Consensus plus the standardness rules a Lightning transaction must meet.
 * CLEANSTACK is left out: bitcore-lib applies it to the (empty) scriptSig
 * stack of a witness spend and always fails; segwit v0 already requires a
 * clean stack after the witness script, which bitcore checks.
 */
export const FLAGS =
  I.SCRIPT_VERIFY_P2SH! |
  I.SCRIPT_VERIFY_STRICTENC! |
  I.SCRIPT_VERIFY_DERSIG! |
  I.SCRIPT_VERIFY_LOW_S! |
  I.SCRIPT_VERIFY_NULLDUMMY! |
  I.SCRIPT_VERIFY_MINIMALDATA! |
  I.SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY! |
  I.SCRIPT_VERIFY_CHECKSEQUENCEVERIFY! |
  I.SCRIPT_VERIFY_WITNESS! |
  I.SCRIPT_VERIFY_MINIMALIF! |
  I.SCRIPT_VERIFY_NULLFAIL! |
  I.SCRIPT_VERIFY_WITNESS_PUBKEYTYPE!;

export interface Prevout {
  readonly scriptPubKey: Uint8Array;
  readonly amountSat: bigint;
}

/** Verifies input `index` of `tx`; returns '' when valid, else the interpreter's error string. */
export function verifyInput(tx: Transaction, index: number, prevout: Prevout): string {
  const btx = new bitcore.Transaction(tx.toHex());
  const interpreter = new I();
  const ok = interpreter.verify(
    new bitcore.Script(''),
    new bitcore.Script(Buffer.from(prevout.scriptPubKey)),
    btx,
    index,
    FLAGS,
    btx.inputs[index]!.getWitnesses(),
    Number(prevout.amountSat),
  );
  return ok ? '' : interpreter.errstr || 'verification failed';
}
