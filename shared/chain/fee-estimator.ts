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
 * An Esplora estimates table (target in blocks → sat/vB) in sat per 1000
 * weight units: sat/vB × 250, rounded up (no floor: that is applied when a
 * rate is served).
 */
export function feeRatesPerKw(estimates: ReadonlyMap<number, number>): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (const [target, satPerVb] of estimates) out.set(target, BigInt(Math.ceil(satPerVb * 250)));
  return out;
}

/**
 * The fee rate for `targetBlocks` from a table of sat/kw by target: the rate
 * of the largest target not above it (a faster target pays more, so this
 * never under-pays), else the smallest target the table has; the fallback
 * when the table is empty. Never below the floor.
 */
export function feeRateFromTable(table: ReadonlyMap<number, bigint>, targetBlocks: number, fallbackSatPerKw: bigint): bigint {
  let chosen: bigint | undefined;
  let chosenTarget = -1;
  let smallestTarget = Infinity;
  let smallest: bigint | undefined;
  for (const [target, perKw] of table) {
    if (target <= targetBlocks && target > chosenTarget) {
      chosenTarget = target;
      chosen = perKw;
    }
    if (target < smallestTarget) {
      smallestTarget = target;
      smallest = perKw;
    }
  }
  const perKw = chosen ?? smallest ?? fallbackSatPerKw;
  return perKw < FEERATE_FLOOR_SAT_PER_KW ? FEERATE_FLOOR_SAT_PER_KW : perKw;
}

/** {@link feeRateFromTable} over an Esplora table in sat/vB. */
export function feeRateFromEstimates(estimates: ReadonlyMap<number, number>, targetBlocks: number, fallbackSatPerKw: bigint): bigint {
  return feeRateFromTable(feeRatesPerKw(estimates), targetBlocks, fallbackSatPerKw);
}

/**
 * A `FeeEstimator` over a table of sat/kw by target fetched earlier (the
 * node's stored estimates, written by the chain handler): no I/O. An empty
 * table serves the fallback (by default the 253 sat/kw floor) for every target.
 */
export class StoredFeeEstimator implements FeeEstimator {
  constructor(
    private readonly table: ReadonlyMap<number, bigint>,
    private readonly fallbackSatPerKw: bigint = FEERATE_FLOOR_SAT_PER_KW,
  ) {}

  feeRatePerKw(targetBlocks: number): bigint {
    return feeRateFromTable(this.table, targetBlocks, this.fallbackSatPerKw);
  }
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
