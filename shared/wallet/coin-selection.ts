/**
 * Coin selection for P2WPKH spends: largest-first accumulation over
 * effective values (value minus the fee of spending the coin), then a change
 * output when what is left over pays for it and stays above the dust limit;
 * otherwise the excess goes to the fee. Weights are upper bounds (72-byte
 * signatures), so the fee computed here is never below the signed
 * transaction's; the builder then recomputes it exactly.
 */
import { WalletError, WalletErrorCode } from './errors.js';

/** P2WPKH's dust limit at Bitcoin Core's 3 sat/vB dust relay fee: 294 sat. */
export const P2WPKH_DUST_SAT = 294n;

/** Weight of a P2WPKH input at its largest: 41 non-witness bytes (×4) + 108 witness bytes (72-byte signature). */
export const P2WPKH_INPUT_WEIGHT = 41 * 4 + 1 + 1 + 72 + 1 + 33;
/** Weight of a P2WPKH output: 8 value + 1 length + 22 script, ×4. */
export const P2WPKH_OUTPUT_WEIGHT = (8 + 1 + 22) * 4;

/** Bytes of a Bitcoin CompactSize for `n`. */
export function compactSizeLength(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffff_ffff ? 5 : 9;
}

/** Weight of an output paying to a script of `scriptLength` bytes. */
export function outputWeight(scriptLength: number): number {
  return (8 + compactSizeLength(scriptLength) + scriptLength) * 4;
}

/**
 * Upper bound of the weight of a segwit transaction with `inputs` P2WPKH
 * inputs and outputs of `outputWeights` total: version, locktime, the two
 * counts (×4) and the marker and flag (×1).
 */
export function txWeight(inputs: number, outputs: number, outputWeights: number): number {
  return (4 + 4 + compactSizeLength(inputs) + compactSizeLength(outputs)) * 4 + 2 + inputs * P2WPKH_INPUT_WEIGHT + outputWeights;
}

/** The fee of `weight` at `feeratePerKvb` sat per 1000 vbytes, rounded up (vsize = ceil(weight / 4)). */
export function feeForWeight(weight: number, feeratePerKvb: bigint): bigint {
  const vsize = BigInt(Math.ceil(weight / 4));
  return (vsize * feeratePerKvb + 999n) / 1000n;
}

export interface Coin {
  readonly valueSat: bigint;
}

export interface SelectionRequest<C extends Coin> {
  readonly coins: readonly C[];
  /** What the recipient outputs pay in total. */
  readonly targetSat: bigint;
  /** Total weight of the recipient outputs. */
  readonly outputWeights: number;
  readonly outputs: number;
  readonly feeratePerKvb: bigint;
  /** Weight of the change output, if one is added (default P2WPKH). */
  readonly changeWeight?: number;
  /** Smallest change output (default {@link P2WPKH_DUST_SAT}). */
  readonly dustSat?: bigint;
}

export interface Selection<C extends Coin> {
  readonly selected: readonly C[];
  /** Change amount, or undefined when no change output is made. */
  readonly changeSat: bigint | undefined;
  /** The fee this selection pays (inputs − target − change). */
  readonly feeSat: bigint;
}

/**
 * Selects coins for `targetSat` plus fee. Throws `insufficient-funds` when
 * the coins whose effective value is positive do not cover it.
 */
export function selectCoins<C extends Coin>(request: SelectionRequest<C>): Selection<C> {
  const { targetSat, feeratePerKvb, outputs, outputWeights } = request;
  const changeWeight = request.changeWeight ?? P2WPKH_OUTPUT_WEIGHT;
  const dust = request.dustSat ?? P2WPKH_DUST_SAT;
  if (targetSat <= 0n) throw new WalletError(WalletErrorCode.InvalidAmount, 'the amount must be positive');
  const inputFee = feeForWeight(P2WPKH_INPUT_WEIGHT, feeratePerKvb);
  const usable = request.coins.filter((c) => c.valueSat > inputFee);
  usable.sort((a, b) => (a.valueSat > b.valueSat ? -1 : a.valueSat < b.valueSat ? 1 : 0));

  const selected: C[] = [];
  let total = 0n;
  for (const coin of usable) {
    selected.push(coin);
    total += coin.valueSat;
    const feeNoChange = feeForWeight(txWeight(selected.length, outputs, outputWeights), feeratePerKvb);
    if (total < targetSat + feeNoChange) continue;
    const feeWithChange = feeForWeight(txWeight(selected.length, outputs + 1, outputWeights + changeWeight), feeratePerKvb);
    const change = total - targetSat - feeWithChange;
    if (change >= dust) return { selected, changeSat: change, feeSat: feeWithChange };
    return { selected, changeSat: undefined, feeSat: total - targetSat };
  }
  const spendable = usable.reduce((sum, c) => sum + c.valueSat, 0n);
  throw new WalletError(
    WalletErrorCode.InsufficientFunds,
    `insufficient funds: ${targetSat} sat plus fee at ${feeratePerKvb} sat/kvB needed, ${spendable} sat spendable`,
  );
}
