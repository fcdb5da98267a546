/**
 * BOLT 3 Funding Transaction Output: the 2-of-2 P2WSH, and a single-funded
 * funding transaction with BIP 69 ordered inputs and outputs. Signing the
 * wallet inputs is the wallet's business.
 */
import { Transaction } from 'bitcoinjs-lib';
import type { Outpoint } from './amounts.js';
import { checkInteger, checkOutpoint, checkSat } from './amounts.js';
import { TxError, TxErrorCode } from './errors.js';
import { compareBytes, fundingScript, p2wsh } from './scripts.js';
import { witnessSignature } from './sign.js';

/** The funding output's scriptPubKey: P2WSH of the 2-of-2 funding script. */
export function fundingOutputScript(localFundingPubkey: Uint8Array, remoteFundingPubkey: Uint8Array): Uint8Array {
  return p2wsh(fundingScript(localFundingPubkey, remoteFundingPubkey));
}

/** A wallet input of the funding transaction (its signature is the wallet's business). */
export interface FundingInput {
  readonly outpoint: Outpoint;
  readonly sequence?: number;
}

/** A non-funding output (change) of the funding transaction. */
export interface FundingOutput {
  readonly scriptPubKey: Uint8Array;
  readonly amountSat: bigint;
}

/** What a single-funded funding transaction pays (BOLT 2 `funding_created`; BOLT 3 Appendix B). */
export interface FundingTransactionParams {
  readonly inputs: readonly FundingInput[];
  readonly localFundingPubkey: Uint8Array;
  readonly remoteFundingPubkey: Uint8Array;
  readonly fundingSat: bigint;
  /** Change or other outputs (amounts already net of the fee). */
  readonly otherOutputs: readonly FundingOutput[];
  readonly locktime?: number;
}

/** An unsigned funding transaction and where its 2-of-2 output landed after BIP 69 sorting. */
export interface FundingTransaction {
  readonly tx: Transaction;
  readonly fundingOutputIndex: number;
  readonly fundingScript: Uint8Array;
}

function compareInputs(a: FundingInput, b: FundingInput): number {
  // BIP 69: previous txid in display (reversed) byte order, then output index.
  const at = Uint8Array.from(a.outpoint.txid).reverse();
  const bt = Uint8Array.from(b.outpoint.txid).reverse();
  return compareBytes(at, bt) || a.outpoint.index - b.outpoint.index;
}

/** Builds an unsigned version-2 funding transaction, inputs and outputs in BIP 69 order. */
export function buildFundingTransaction(p: FundingTransactionParams): FundingTransaction {
  if (p.inputs.length === 0) throw new TxError(TxErrorCode.InvalidParameter, 'a funding transaction needs inputs');
  checkSat(p.fundingSat, 'funding amount');
  const script = fundingScript(p.localFundingPubkey, p.remoteFundingPubkey);
  const funding = { scriptPubKey: p2wsh(script), amountSat: p.fundingSat };
  let total = p.fundingSat;
  for (const o of p.otherOutputs) total += checkSat(o.amountSat, 'output amount');
  checkSat(total, 'total output amount');
  const outputs = [funding, ...p.otherOutputs].sort((a, b) =>
    a.amountSat !== b.amountSat ? (a.amountSat < b.amountSat ? -1 : 1) : compareBytes(a.scriptPubKey, b.scriptPubKey),
  );
  const inputs = [...p.inputs].sort(compareInputs);
  const tx = new Transaction();
  tx.version = 2;
  tx.locktime = checkInteger(p.locktime ?? 0, 0xffffffff, 'locktime');
  for (const i of inputs) {
    checkOutpoint(i.outpoint, 'funding input');
    tx.addInput(i.outpoint.txid, i.outpoint.index, checkInteger(i.sequence ?? 0xffffffff, 0xffffffff, 'sequence'));
  }
  for (const o of outputs) tx.addOutput(o.scriptPubKey, o.amountSat);
  return { tx, fundingOutputIndex: outputs.indexOf(funding), fundingScript: script };
}

/**
 * Witness spending the funding output: `0 <sig1> <sig2> <funding script>`,
 * signatures (SIGHASH_ALL) in the order of their funding keys (BOLT 3
 * Funding Transaction Output).
 */
export function fundingWitness(
  localFundingPubkey: Uint8Array,
  remoteFundingPubkey: Uint8Array,
  localSignature: Uint8Array,
  remoteSignature: Uint8Array,
): Uint8Array[] {
  const local = witnessSignature(localSignature);
  const remote = witnessSignature(remoteSignature);
  const localFirst = compareBytes(localFundingPubkey, remoteFundingPubkey) <= 0;
  return [new Uint8Array(0), localFirst ? local : remote, localFirst ? remote : local, fundingScript(localFundingPubkey, remoteFundingPubkey)];
}
