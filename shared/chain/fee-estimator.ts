/**
 * A `FeeEstimator` over Esplora's `/fee-estimates` (confirmation target in
 * blocks → sat/vB): sat/vB × 250 = sat per 1000 weight units, never below
 * 253 sat/kw (Bitcoin Core's 1 sat/vB minimum relay fee, rounded up as LDK
 * does). Loaded once per invocation; when the server cannot answer, every
 * target gets the configured fallback.
 */
import type { EsploraClient } from './esplora-client.js';
import type { FeeEstimator } from './interfaces.js';

/** The lowest fee rate any estimate returns (sat/kw). */
export const FEERATE_FLOOR_SAT_PER_KW = 253n;

/**
 * The fee rate for `targetBlocks` from an estimates table: the estimate of
 * the largest target not above it (a faster target pays more, so this never
 * under-pays), else the smallest target the table has; the fallback when the
 * table is empty. Never below the floor.
 */
export function feeRateFromEstimates(estimates: ReadonlyMap<number, number>, targetBlocks: number, fallbackSatPerKw: bigint): bigint {
  let chosen: number | undefined;
  let chosenTarget = -1;
  let smallestTarget = Infinity;
  let smallest: number | undefined;
  for (const [target, satPerVb] of estimates) {
    if (target <= targetBlocks && target > chosenTarget) {
      chosenTarget = target;
      chosen = satPerVb;
    }
    if (target < smallestTarget) {
      smallestTarget = target;
      smallest = satPerVb;
    }
  }
  const satPerVb = chosen ?? smallest;
  const perKw = satPerVb === undefined ? fallbackSatPerKw : BigInt(Math.ceil(satPerVb * 250));
  return perKw < FEERATE_FLOOR_SAT_PER_KW ? FEERATE_FLOOR_SAT_PER_KW : perKw;
}

export class EsploraFeeEstimator implements FeeEstimator {
  private constructor(
    private readonly estimates: ReadonlyMap<number, number>,
    private readonly fallbackSatPerKw: bigint,
    /** Why the fallback is in use, when it is. */
    readonly fallbackReason: string | undefined,
  ) {}

  /** Fetches the table once; never throws (an unreachable or broken server means the fallback). */
  static async load(client: EsploraClient, options: { readonly fallbackSatPerKw: bigint }): Promise<EsploraFeeEstimator> {
    try {
      return new EsploraFeeEstimator(await client.feeEstimates(), options.fallbackSatPerKw, undefined);
    } catch (error) {
      return new EsploraFeeEstimator(new Map(), options.fallbackSatPerKw, (error as Error).message);
    }
  }

  /** A table given directly (tests, or a table cached elsewhere). */
  static fromTable(estimates: ReadonlyMap<number, number>, options: { readonly fallbackSatPerKw: bigint }): EsploraFeeEstimator {
    return new EsploraFeeEstimator(estimates, options.fallbackSatPerKw, estimates.size === 0 ? 'empty table' : undefined);
  }

  feeRatePerKw(targetBlocks: number): bigint {
    return feeRateFromEstimates(this.estimates, targetBlocks, this.fallbackSatPerKw);
  }
}
