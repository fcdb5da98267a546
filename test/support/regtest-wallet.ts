/**
 * A tiny test wallet for the embedded regtest chain: P2WPKH keys and P2WSH
 * scripts with CSV or CLTV locks, and signed spends of them (BIP 143 digests
 * from bitcoinjs-lib, ECDSA from shared/crypto).
 */
import { Transaction, opcodes, script } from 'bitcoinjs-lib';
import { sha256, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { p2wpkh, p2wpkhScriptCode, p2wsh, scriptNumber, signWitnessInput, witnessSignature } from '../../shared/tx/index.js';

export interface TestKey {
  readonly secret: Uint8Array;
  readonly pubkey: Uint8Array;
  /** P2WPKH output script. */
  readonly script: Uint8Array;
}

export function testKey(label: string): TestKey {
  const secret = sha256(new TextEncoder().encode(`regtest test key ${label}`));
  const pubkey = wasmSecp256k1.publicKeyFromSecret(secret);
  return { secret, pubkey, script: p2wpkh(pubkey) };
}

/** `<blocks> OP_CSV OP_DROP <pubkey> OP_CHECKSIG`. */
export function csvScript(blocks: number, pubkey: Uint8Array): Uint8Array {
  return script.compile([scriptNumber(blocks), opcodes.OP_CHECKSEQUENCEVERIFY!, opcodes.OP_DROP!, pubkey, opcodes.OP_CHECKSIG!]);
}

/** `<locktime> OP_CLTV OP_DROP <pubkey> OP_CHECKSIG`. */
export function cltvScript(locktime: number, pubkey: Uint8Array): Uint8Array {
  return script.compile([scriptNumber(locktime), opcodes.OP_CHECKLOCKTIMEVERIFY!, opcodes.OP_DROP!, pubkey, opcodes.OP_CHECKSIG!]);
}

export { p2wsh };

/** One input to spend: a P2WPKH coin of `key`, or a P2WSH coin of `witnessScript` signed by `key`. */
export interface SpendInput {
  readonly txid: string;
  readonly vout: number;
  readonly valueSat: bigint;
  readonly key: TestKey;
  readonly witnessScript?: Uint8Array;
  readonly sequence?: number;
}

export interface SpendOptions {
  readonly inputs: readonly SpendInput[];
  readonly outputs: readonly { readonly script: Uint8Array; readonly valueSat: bigint }[];
  readonly locktime?: number;
  readonly version?: number;
  /** Signs input i with this key instead (a bad signature). */
  readonly wrongKey?: TestKey;
}

export function spend(options: SpendOptions): Transaction {
  const tx = new Transaction();
  tx.version = options.version ?? 2;
  tx.locktime = options.locktime ?? 0;
  for (const input of options.inputs) tx.addInput(Buffer.from(input.txid, 'hex').reverse(), input.vout, input.sequence ?? 0xfffffffd);
  for (const output of options.outputs) tx.addOutput(output.script, output.valueSat);
  options.inputs.forEach((input, i) => {
    const signer = options.wrongKey ?? input.key;
    const scriptCode = input.witnessScript ?? p2wpkhScriptCode(input.key.pubkey);
    const signature = witnessSignature(signWitnessInput(wasmSecp256k1, tx, i, scriptCode, input.valueSat, signer.secret));
    tx.setWitness(i, input.witnessScript === undefined ? [signature, input.key.pubkey] : [signature, input.witnessScript]);
  });
  return tx;
}

/** The output of `tx` paying `script` (first match). */
export function outputTo(tx: Transaction, outScript: Uint8Array): { readonly txid: string; readonly vout: number; readonly valueSat: bigint } {
  const vout = tx.outs.findIndex((o) => Buffer.compare(o.script, outScript) === 0);
  if (vout < 0) throw new Error('no output to that script');
  return { txid: tx.getId(), vout, valueSat: tx.outs[vout]!.value };
}

/**
 * Spends `key`'s output of `coinTx` (a faucet payment, as a rule): `valueSat`
 * to `outScript`, the rest back to `key` less a 1,000 sat fee. How test
 * funders build a channel's funding transaction.
 */
export function payFromCoin(coinTx: Transaction, key: TestKey, outScript: Uint8Array, valueSat: bigint): Transaction {
  const coin = outputTo(coinTx, key.script);
  return spend({
    inputs: [{ ...coin, key }],
    outputs: [
      { script: outScript, valueSat },
      { script: key.script, valueSat: coin.valueSat - valueSat - 1_000n },
    ],
  });
}
