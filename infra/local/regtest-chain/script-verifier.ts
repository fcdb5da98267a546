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
import * as secp from 'tiny-secp256k1';

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
 * bitcore-lib's ECDSA check with the curve arithmetic done by libsecp256k1
 * (tiny-secp256k1) instead of bitcore's pure-JS bignums: the same verdict
 * (the signature's r and s in range, any S accepted — LOW_S is the
 * interpreter's own flag check — and the point equation). Script execution, sighashes (legacy and BIP 143), DER and
 * encoding rules all stay bitcore's. (The signature check itself becomes
 * about 50 times cheaper; a whole input about a quarter cheaper, since
 * bitcore still decodes and validates each public key in pure JS.)
 */
function libsecp256k1Verify(hashbuf: Buffer, sig: EcdsaSignature, pubkey: unknown, opts?: { endian?: string }): boolean {
  try {
    const digest = opts?.endian === 'little' ? Buffer.from(hashbuf).reverse() : hashbuf;
    if (digest.length !== 32) return false;
    const signature = Buffer.concat([sig.r.toBuffer({ size: 32 }), sig.s.toBuffer({ size: 32 })]);
    const point = new bitcore.PublicKey(pubkey).toBuffer();
    return secp.verify(digest, point, signature, false);
  } catch {
    return false;
  }
}

/** Runs `fn` with bitcore's ECDSA verification done by libsecp256k1 (synchronously; restored after). */
function withLibsecp256k1<T>(fn: () => T): T {
  const ecdsa = bitcore.crypto.ECDSA;
  const original = ecdsa.verify;
  ecdsa.verify = libsecp256k1Verify;
  try {
    return fn();
  } finally {
    ecdsa.verify = original;
  }
}

export interface VerifyOptions {
  /**
   * `'libsecp256k1'` (default) checks signatures with libsecp256k1's curve
   * arithmetic inside bitcore's interpreter; `'bitcore'` keeps bitcore's own.
   */
  readonly ecdsa?: 'libsecp256k1' | 'bitcore';
}

/**
 * Verifies every input of `tx` (raw bytes or a bitcoinjs transaction)
 * against `prevouts` (one per input, in order). Returns `undefined` when all
 * pass, else the first failing input and the interpreter's reason.
 */
export function verifyScripts(tx: Transaction | Uint8Array, prevouts: readonly Prevout[], options: VerifyOptions = {}): { readonly index: number; readonly reason: string } | undefined {
  return (options.ecdsa ?? 'libsecp256k1') === 'libsecp256k1' ? withLibsecp256k1(() => verifyAll(tx, prevouts)) : verifyAll(tx, prevouts);
}

function verifyAll(tx: Transaction | Uint8Array, prevouts: readonly Prevout[]): { readonly index: number; readonly reason: string } | undefined {
  const hex = tx instanceof Uint8Array ? Buffer.from(tx).toString('hex') : tx.toHex();
  const btx = new bitcore.Transaction(hex);
  if (btx.inputs.length !== prevouts.length) return { index: 0, reason: `${prevouts.length} prevouts for ${btx.inputs.length} inputs` };
  for (let index = 0; index < prevouts.length; index++) {
    const reason = verifyParsed(btx, index, prevouts[index]!);
    if (reason !== '') return { index, reason };
  }
  return undefined;
}

/** Verifies input `index` of `tx` with bitcore-lib alone (its own ECDSA); returns '' when valid, else the interpreter's error string. */
export function verifyInput(tx: Transaction, index: number, prevout: Prevout): string {
  return verifyParsed(new bitcore.Transaction(tx.toHex()), index, prevout);
}

interface EcdsaSignature {
  readonly r: { toBuffer(options: { size: number }): Buffer };
  readonly s: { toBuffer(options: { size: number }): Buffer };
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
