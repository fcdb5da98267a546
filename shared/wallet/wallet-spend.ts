/**
 * Building and signing a payment from the wallet: coin selection, a change
 * output to the next change address, version 2, every input signalling
 * replace-by-fee (nSequence 0xfffffffd, BIP 125), outputs in BIP 69 order,
 * BIP 143 signatures through the injected secp256k1 backend, their digests
 * from {@link Bip143Sighasher} (the transaction-wide hashes computed once,
 * not once per input). The fee is
 * feerate × the signed transaction's vsize, recomputed after signing (a
 * signature's DER length varies) until the change absorbs the difference.
 * Confirmed coins are preferred; the change of our unconfirmed payments is
 * spent only within Bitcoin Core's mempool chain limits (unconfirmed-chain.ts).
 * Returns the transaction and the wallet state that records it: the coins
 * marked spent by it, the change as an unconfirmed coin, a history entry,
 * a pending entry for the broadcast path and its place among our
 * unconfirmed transactions.
 */
import { Transaction } from 'bitcoinjs-lib';
import { hexToBytes } from '../codec/index.js';
import { sha256, type Secp256k1 } from '../crypto/index.js';
import { compareBytes, p2wpkhScriptCode, witnessSignature } from '../tx/index.js';
import { Keychain, type Bip84Account } from './bip84-account.js';
import { P2WPKH_DUST_SAT, compactSizeLength, feeForWeight, outputWeight, selectCoins, type Selection, type SelectionRequest } from './coin-selection.js';
import { anchorReserveError, isReserved, reservedCoins } from './anchor-reserve.js';
import { WalletError, WalletErrorCode } from './errors.js';
import { MAX_ANCESTOR_VSIZE, MAX_UNCONFIRMED_ANCESTORS, UnconfirmedChains, withinChainLimits } from './unconfirmed-chain.js';
import { sortHistory, type WalletState, type WalletUtxo } from './wallet-state.js';

/** BIP 125: any nSequence below 0xfffffffe signals replaceability; this one also allows nLockTime. */
export const RBF_SEQUENCE = 0xfffffffd;

export interface SendRequest {
  /** The recipient's output script. */
  readonly script: Uint8Array;
  readonly amountSat: bigint;
  /** sat per 1000 vbytes. */
  readonly feeratePerKvb: bigint;
  /** The chain tip now (recorded with the pending transaction). */
  readonly tipHeight: number;
  /** Confirmed coins worth this much are kept, not spent (the anchor reserve, anchor-reserve.ts; default none). */
  readonly anchorReserveSat?: bigint;
}

export interface SignedSend {
  readonly txid: string;
  readonly raw: Uint8Array;
  readonly feeSat: bigint;
  readonly vsize: number;
  readonly changeSat: bigint | undefined;
  readonly state: WalletState;
}

/**
 * Coins a payment may spend: not already spent by us; confirmed, or the
 * change of our own unconfirmed transactions (whose ancestors the wallet
 * knows: `ownUnconfirmed`).
 */
export function spendableCoins(state: WalletState): WalletUtxo[] {
  const chains = new UnconfirmedChains(state);
  return state.utxos.filter((u) => u.spentBy === undefined && (u.height > 0 || (u.keychain === Keychain.change && chains.has(u.txid))));
}

function tooManyUnconfirmed(detail: string): WalletError {
  return new WalletError(
    WalletErrorCode.TooManyUnconfirmed,
    `too many unconfirmed payments: ${detail}; Bitcoin Core relays a transaction with at most ${MAX_UNCONFIRMED_ANCESTORS} unconfirmed ancestors ` +
      `(itself included) of at most ${MAX_ANCESTOR_VSIZE / 1000} kvB. Wait for a confirmation of the wallet's earlier payments and send again`,
  );
}

const isInsufficient = (error: unknown) => error instanceof WalletError && error.code === WalletErrorCode.InsufficientFunds;

/**
 * Coin selection within the mempool chain limits: confirmed coins alone if
 * they pay; else with the change of our unconfirmed payments too, shortest
 * chains first, as long as the payment's unconfirmed ancestors stay within
 * {@link MAX_UNCONFIRMED_ANCESTORS}. `too-many-unconfirmed` when only coins
 * past the limit would pay, `insufficient-funds` when not even they would.
 */
function selectWithinChainLimits(
  state: WalletState,
  chains: UnconfirmedChains,
  request: Omit<SelectionRequest<WalletUtxo>, 'coins'>,
  anchorReserveSat: bigint,
): Selection<WalletUtxo> {
  const any = selectOutsideReserve(state, chains, request, spendableCoins(state));
  if (anchorReserveSat <= 0n || leftAfter(state, any) >= anchorReserveSat) return any;
  // The payment would leave less than the reserve: paid without the coins kept for it, or refused.
  const reserved = reservedCoins(state, anchorReserveSat);
  let without: Selection<WalletUtxo>;
  try {
    without = selectOutsideReserve(state, chains, request, spendableCoins(state).filter((c) => !isReserved(reserved, c)));
  } catch (error) {
    if (!isInsufficient(error)) throw error;
    throw anchorReserveError(`this would leave ${leftAfter(state, any)} sat of the anchor reserve`, anchorReserveSat);
  }
  if (leftAfter(state, without) < anchorReserveSat) throw anchorReserveError(`this would leave ${leftAfter(state, without)} sat of the anchor reserve`, anchorReserveSat);
  return without;
}

/**
 * What the anchor reserve has after a payment: the confirmed coins it does
 * not spend, and its change (it confirms with the payment; a channel's
 * funding change confirms before the channel can close).
 */
function leftAfter(state: WalletState, selection: Selection<WalletUtxo>): bigint {
  const spent = new Set(selection.selected.map((c) => `${c.txid}:${c.vout}`));
  const kept = state.utxos.filter((u) => u.spentBy === undefined && u.height > 0 && !spent.has(`${u.txid}:${u.vout}`)).reduce((sum, u) => sum + u.valueSat, 0n);
  return kept + (selection.changeSat ?? 0n);
}

function selectOutsideReserve(state: WalletState, chains: UnconfirmedChains, request: Omit<SelectionRequest<WalletUtxo>, 'coins'>, coins: WalletUtxo[]): Selection<WalletUtxo> {
  const confirmed = coins.filter((c) => c.height > 0);
  try {
    return selectCoins({ ...request, coins: confirmed });
  } catch (error) {
    if (!isInsufficient(error)) throw error;
  }
  const unconfirmed = coins
    .filter((c) => c.height === 0)
    .map((coin) => ({ coin, ancestors: chains.ancestorsOf([coin.txid]) }))
    .sort((a, b) => a.ancestors.txids.size - b.ancestors.txids.size || (a.coin.valueSat > b.coin.valueSat ? -1 : a.coin.valueSat < b.coin.valueSat ? 1 : 0));
  const admitted = [...confirmed];
  let txids: string[] = [];
  for (const { coin } of unconfirmed) {
    const merged = chains.ancestorsOf([...txids, coin.txid]);
    if (merged.txids.size + 1 > MAX_UNCONFIRMED_ANCESTORS || merged.vsize >= MAX_ANCESTOR_VSIZE) continue;
    admitted.push(coin);
    txids = [...merged.txids];
  }
  try {
    return selectCoins({ ...request, coins: admitted });
  } catch (error) {
    if (!isInsufficient(error) || admitted.length === coins.length) throw error;
    try {
      selectCoins({ ...request, coins });
    } catch {
      throw error;
    }
    throw tooManyUnconfirmed('the coins that would pay this are change of unconfirmed payments at the limit');
  }
}

/** SIGHASH_ALL (BIP 143: the only type the wallet signs with). */
const SIGHASH_ALL = 0x01;

const doubleSha256 = (bytes: Uint8Array) => sha256(sha256(bytes));

/** Little-endian serialization into a buffer of known size. */
class LeWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private at = 0;
  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.view = new DataView(this.bytes.buffer);
  }
  u32(n: number): this {
    this.view.setUint32(this.at, n, true);
    this.at += 4;
    return this;
  }
  u64(n: bigint): this {
    this.view.setBigUint64(this.at, n, true);
    this.at += 8;
    return this;
  }
  compactSize(n: number): this {
    if (n < 0xfd) this.view.setUint8(this.at++, n);
    else if (n <= 0xffff) {
      this.view.setUint8(this.at, 0xfd);
      this.view.setUint16(this.at + 1, n, true);
      this.at += 3;
    } else {
      this.view.setUint8(this.at, 0xfe);
      this.view.setUint32(this.at + 1, n, true);
      this.at += 5;
    }
    return this;
  }
  put(b: Uint8Array): this {
    this.bytes.set(b, this.at);
    this.at += b.length;
    return this;
  }
  done(): Uint8Array {
    if (this.at !== this.bytes.length) throw new Error(`LeWriter: wrote ${this.at} of ${this.bytes.length} bytes`);
    return this.bytes;
  }
}

/**
 * BIP 143 signature hashes (SIGHASH_ALL) of one transaction. hashPrevouts,
 * hashSequence and hashOutputs cover the whole transaction and are the same
 * for every input, so they are computed once here; bitcoinjs-lib's
 * `hashForWitnessV0` recomputes them for each input, which makes signing an
 * n-input transaction cost n² (about 1.3 s for 521 inputs). The digest is
 * double SHA-256 (shared/crypto) of: nVersion, hashPrevouts, hashSequence,
 * the input's outpoint, scriptCode, amount and nSequence, hashOutputs,
 * nLockTime, sighash type.
 */
export class Bip143Sighasher {
  private readonly hashPrevouts: Uint8Array;
  private readonly hashSequence: Uint8Array;
  private readonly hashOutputs: Uint8Array;

  constructor(private readonly tx: Transaction) {
    const prevouts = new LeWriter(36 * tx.ins.length);
    const sequences = new LeWriter(4 * tx.ins.length);
    for (const input of tx.ins) {
      prevouts.put(input.hash).u32(input.index);
      sequences.u32(input.sequence);
    }
    const outputsLength = tx.outs.reduce((sum, o) => sum + 8 + compactSizeLength(o.script.length) + o.script.length, 0);
    const outputs = new LeWriter(outputsLength);
    for (const o of tx.outs) outputs.u64(BigInt(o.value)).compactSize(o.script.length).put(o.script);
    this.hashPrevouts = doubleSha256(prevouts.done());
    this.hashSequence = doubleSha256(sequences.done());
    this.hashOutputs = doubleSha256(outputs.done());
  }

  /** The SIGHASH_ALL digest of input `inputIndex` spending `scriptCode` (without its length) worth `amountSat`. */
  digest(inputIndex: number, scriptCode: Uint8Array, amountSat: bigint): Uint8Array {
    const input = this.tx.ins[inputIndex];
    if (input === undefined) throw new RangeError(`input ${inputIndex} of ${this.tx.ins.length}`);
    const w = new LeWriter(4 + 32 + 32 + 36 + compactSizeLength(scriptCode.length) + scriptCode.length + 8 + 4 + 32 + 4 + 4);
    w.u32(this.tx.version).put(this.hashPrevouts).put(this.hashSequence);
    w.put(input.hash).u32(input.index);
    w.compactSize(scriptCode.length).put(scriptCode);
    w.u64(amountSat).u32(input.sequence);
    w.put(this.hashOutputs).u32(this.tx.locktime).u32(SIGHASH_ALL);
    return doubleSha256(w.done());
  }
}

function sign(secp: Secp256k1, account: Bip84Account, inputs: readonly WalletUtxo[], outputs: readonly { script: Uint8Array; valueSat: bigint }[]): Transaction {
  const tx = new Transaction();
  tx.version = 2;
  tx.locktime = 0;
  for (const coin of inputs) tx.addInput(hexToBytes(coin.txid).reverse(), coin.vout, RBF_SEQUENCE);
  for (const output of outputs) tx.addOutput(output.script, output.valueSat);
  const sighasher = new Bip143Sighasher(tx);
  inputs.forEach((coin, i) => {
    const key = account.key(coin.keychain, coin.index);
    const signature = secp.sign(sighasher.digest(i, p2wpkhScriptCode(key.publicKey), coin.valueSat), key.secret);
    tx.setWitness(i, [witnessSignature(signature), key.publicKey]);
  });
  return tx;
}

/** BIP 69: inputs by txid (display order) then index; outputs by amount then script. */
function bip69Inputs(coins: readonly WalletUtxo[]): WalletUtxo[] {
  return [...coins].sort((a, b) => (a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : a.vout - b.vout));
}

function bip69Outputs<O extends { script: Uint8Array; valueSat: bigint }>(outputs: readonly O[]): O[] {
  return [...outputs].sort((a, b) => (a.valueSat < b.valueSat ? -1 : a.valueSat > b.valueSat ? 1 : compareBytes(a.script, b.script)));
}

/**
 * Builds, signs and records a payment of `amountSat` to `script`, leaving the
 * coins of the anchor reserve (`anchorReserveSat`) unspent. Throws
 * `insufficient-funds`, `too-many-unconfirmed`, `anchor-reserve-not-covered`
 * (only the reserved coins would pay) or `invalid-amount`.
 */
export function buildSend(secp: Secp256k1, account: Bip84Account, state: WalletState, request: SendRequest): SignedSend {
  const { script, amountSat, feeratePerKvb } = request;
  if (amountSat < P2WPKH_DUST_SAT) throw new WalletError(WalletErrorCode.InvalidAmount, `the amount must be at least ${P2WPKH_DUST_SAT} sat`);
  const chains = new UnconfirmedChains(state);
  const selection = selectWithinChainLimits(state, chains, { targetSat: amountSat, outputWeights: outputWeight(script.length), outputs: 1, feeratePerKvb }, request.anchorReserveSat ?? 0n);
  const inputs = bip69Inputs(selection.selected);
  const inputSat = inputs.reduce((sum, c) => sum + c.valueSat, 0n);
  const changeIndex = state.nextIndex[Keychain.change];
  const changeScript = account.key(Keychain.change, changeIndex).script;

  // The selector priced 72-byte signatures; the signed transaction is usually a little lighter. Give the change
  // what the signed size leaves over, re-sign, and stop once the fee paid covers the signed size (change only
  // shrinks from round to round, so this ends; a signature one byte longer than the last can cost a sat or two).
  let changeSat = selection.changeSat;
  if (changeSat !== undefined) {
    const first = sign(secp, account, inputs, bip69Outputs([{ script, valueSat: amountSat }, { script: changeScript, valueSat: changeSat }]));
    changeSat = inputSat - amountSat - feeForWeight(first.weight(), feeratePerKvb);
  }
  let tx: Transaction;
  for (;;) {
    if (changeSat !== undefined && changeSat < P2WPKH_DUST_SAT) changeSat = undefined; // cannot happen with upper-bound weights; kept total
    const outputs = bip69Outputs([{ script, valueSat: amountSat }, ...(changeSat === undefined ? [] : [{ script: changeScript, valueSat: changeSat }])]);
    tx = sign(secp, account, inputs, outputs);
    if (changeSat === undefined) break;
    const required = feeForWeight(tx.weight(), feeratePerKvb);
    if (inputSat - amountSat - changeSat >= required) break;
    changeSat = inputSat - amountSat - required;
  }
  const outputSat = tx.outs.reduce((sum, o) => sum + BigInt(o.value), 0n);
  const feeSat = inputSat - outputSat;
  if (feeSat < feeForWeight(tx.weight(), feeratePerKvb)) throw new Error('wallet: the built transaction pays less than its fee rate');

  const parents = [...new Set(inputs.filter((c) => c.height === 0).map((c) => c.txid))];
  const ancestors = chains.ancestorsOf(parents);
  if (!withinChainLimits(ancestors, tx.virtualSize())) {
    throw tooManyUnconfirmed(`this payment would have ${ancestors.txids.size + 1} unconfirmed ancestors of ${ancestors.vsize + tx.virtualSize()} vbytes`);
  }
  const txid = tx.getId();
  const raw = Uint8Array.from(tx.toBuffer());
  const spent = new Set(inputs.map((c) => `${c.txid}:${c.vout}`));
  const changeVout = changeSat === undefined ? -1 : tx.outs.findIndex((o) => compareBytes(o.script, changeScript) === 0 && BigInt(o.value) === changeSat);
  const utxos: WalletUtxo[] = state.utxos.map((u) => (spent.has(`${u.txid}:${u.vout}`) ? { ...u, spentBy: txid } : u));
  if (changeSat !== undefined) utxos.push({ txid, vout: changeVout, valueSat: changeSat, keychain: Keychain.change, index: changeIndex, height: 0 });
  return {
    txid,
    raw,
    feeSat,
    vsize: tx.virtualSize(),
    changeSat,
    state: {
      ...state,
      nextIndex: changeSat === undefined ? state.nextIndex : [state.nextIndex[0], changeIndex + 1],
      utxos,
      history: sortHistory([{ txid, height: 0, receivedSat: changeSat ?? 0n, sentSat: inputSat }, ...state.history]),
      pending: [...state.pending, { txid, raw, createdAtHeight: request.tipHeight }],
      ownUnconfirmed: [...(state.ownUnconfirmed ?? []), { txid, vsize: tx.virtualSize(), parents }],
    },
  };
}

/** The txid of a serialized transaction, display order. */
export function txidOf(raw: Uint8Array): string {
  return Transaction.fromBuffer(raw).getId();
}

