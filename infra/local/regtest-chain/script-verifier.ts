/**
 * The independent script check: bitcore-lib's `Script.Interpreter` (a
 * separate implementation of Bitcoin script, BIP 16, BIP 141/143 segwit v0,
 * BIP 65 CLTV and BIP 112 CSV) run on each input of a serialized transaction
 * against its prevout. Used by the embedded regtest chain to accept or refuse
 * transactions, and by the tests (test/support/interpreter.ts re-exports it)
 * to check the witnesses shared/tx builds. bitcore-lib is a devDependency:
 * only infra/local and test/ import it.
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

/** The output an input spends. */
export interface Prevout {
  readonly scriptPubKey: Uint8Array;
  readonly amountSat: bigint;
}

/**
 * Verifies every input of `tx` (raw bytes or a bitcoinjs transaction)
 * against `prevouts` (one per input, in order). Returns `undefined` when all
 * pass, else the first failing input and the interpreter's reason.
 */
export function verifyScripts(tx: Transaction | Uint8Array, prevouts: readonly Prevout[]): { readonly index: number; readonly reason: string } | undefined {
  const hex = tx instanceof Uint8Array ? Buffer.from(tx).toString('hex') : tx.toHex();
  const btx = new bitcore.Transaction(hex);
  if (btx.inputs.length !== prevouts.length) return { index: 0, reason: `${prevouts.length} prevouts for ${btx.inputs.length} inputs` };
  for (let index = 0; index < prevouts.length; index++) {
    const reason = verifyParsed(btx, index, prevouts[index]!);
    if (reason !== '') return { index, reason };
  }
  return undefined;
}

/** Verifies input `index` of `tx`; returns '' when valid, else the interpreter's error string. */
export function verifyInput(tx: Transaction, index: number, prevout: Prevout): string {
  return verifyParsed(new bitcore.Transaction(tx.toHex()), index, prevout);
}

function verifyParsed(btx: InstanceType<typeof bitcore.Transaction>, index: number, prevout: Prevout): string {
  const input = btx.inputs[index];
  if (input === undefined) return `no input ${index}`;
  const interpreter = new I();
  const ok = interpreter.verify(
    new bitcore.Script(input.script.toBuffer()),
    new bitcore.Script(Buffer.from(prevout.scriptPubKey)),
    btx,
    index,
    FLAGS,
    input.getWitnesses(),
    Number(prevout.amountSat),
  );
  return ok ? '' : interpreter.errstr || 'verification failed';
}
