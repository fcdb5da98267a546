/**
 * A probabilistic channel scorer (LDK's `ProbabilisticScorer`, in our words):
 * for each direction of a channel it keeps bounds on the liquidity available
 * to forward, learned from our payments' results, and turns them into a
 * penalty in msat that the pathfinder adds to the fees of a candidate hop.
 *
 * - A hop that forwarded an HTLC which failed further on had at least that
 *   amount: its lower bound rises.
 * - The hop that failed for lack of liquidity had less: its upper bound
 *   falls to the amount (every larger amount gets the highest penalty).
 * - A payment that succeeded used that liquidity: upper bounds fall by it.
 * - Learned bounds decay back towards "nothing known" (0 and the capacity),
 *   halving their distance every `liquidityOffsetHalfLifeSec`: a failed
 *   channel is avoided for a while, then tried again.
 *
 * With bounds `[min, max]` the chance that `amount` passes is taken as
 * uniform, `(max - amount) / (max - min)`; the penalty is `base + amount part
 * + (multiplier + amount multiplier) × -log10(chance)`, the log capped at 2
 * (a 1% chance), as LDK's defaults. Time comes in as `nowSec`. Pure.
 */
import { compareBytes } from '../codec/index.js';

/** LDK's fee parameters (`ProbabilisticScoringFeeParameters`) and decay (`ProbabilisticScoringDecayParameters`). */
export interface ScoringParameters {
  /** Fixed penalty per hop. */
  readonly basePenaltyMsat: number;
  /** Extra penalty per hop: this × amount / 2^30. */
  readonly basePenaltyAmountMultiplierMsat: number;
  /** × -log10(success chance). */
  readonly liquidityPenaltyMultiplierMsat: number;
  /** × amount / 2^20 × -log10(success chance). */
  readonly liquidityPenaltyAmountMultiplierMsat: number;
  /** Learned bounds move halfway back to the prior every this many seconds. */
  readonly liquidityOffsetHalfLifeSec: number;
}

/** LDK's defaults (0.0.11x): 500 msat base, 8,192 per 2^30 msat, 30,000 and 192 per 2^20 msat of liquidity penalty, six hours. */
export const DEFAULT_SCORING_PARAMETERS: ScoringParameters = {
  basePenaltyMsat: 500,
  basePenaltyAmountMultiplierMsat: 8192,
  liquidityPenaltyMultiplierMsat: 30_000,
  liquidityPenaltyAmountMultiplierMsat: 192,
  liquidityOffsetHalfLifeSec: 6 * 3600,
};

/** -log10 of the lowest success chance we distinguish (1%), LDK's `NEGATIVE_LOG10_UPPER_BOUND`. */
export const NEGATIVE_LOG10_UPPER_BOUND = 2;

/** Learned bounds of one direction of one channel, at `updatedSec`. */
interface Estimate {
  minMsat: number;
  /** Infinity: no upper bound learned. */
  maxMsat: number;
  updatedSec: number;
}

/** Bounds as the pathfinder reads them at one moment (decayed). */
export interface LiquidityBounds {
  readonly minMsat: number;
  readonly maxMsat: number;
}

/** A hop of a path as the scorer learns from it: the HTLC amount that reached `pubkey` over `shortChannelId`. */
export interface ScoredHop {
  readonly pubkey: Uint8Array;
  readonly shortChannelId: bigint;
  readonly amountMsat: bigint;
}

/** The BOLT 7 direction of a channel from `source` to `target`: 0 when `source` is `node_id_1` (the lesser key). */
export function directionOf(source: Uint8Array, target: Uint8Array): 0 | 1 {
  return compareBytes(source, target) < 0 ? 0 : 1;
}

const keyOf = (scid: bigint, direction: 0 | 1): bigint => (scid << 1n) | BigInt(direction);

/** The scorer: learned bounds per channel direction, penalties from them. */
export class ProbabilisticScorer {
  readonly params: ScoringParameters;
  readonly #estimates = new Map<bigint, Estimate>();

  constructor(params: Partial<ScoringParameters> = {}) {
    this.params = { ...DEFAULT_SCORING_PARAMETERS, ...params };
  }

  /** How many channel directions have learned bounds. */
  get size(): number {
    return this.#estimates.size;
  }

  /** The fraction of a learned offset still left after `elapsedSec`. */
  #decay(elapsedSec: number): number {
    return elapsedSec <= 0 ? 1 : Math.pow(2, -elapsedSec / this.params.liquidityOffsetHalfLifeSec);
  }

  /**
   * The bounds of a direction at `nowSec` with a channel of `capacityMsat`
   * (Infinity when unknown), or undefined when nothing was learned.
   */
  bounds(shortChannelId: bigint, direction: 0 | 1, capacityMsat: number, nowSec: number): LiquidityBounds | undefined {
    const e = this.#estimates.get(keyOf(shortChannelId, direction));
    return e === undefined ? undefined : this.#decayed(e, capacityMsat, nowSec);
  }

  #decayed(e: Estimate, capacityMsat: number, nowSec: number): LiquidityBounds {
    const f = this.#decay(nowSec - e.updatedSec);
    const minMsat = Math.floor(e.minMsat * f);
    let maxMsat: number;
    if (e.maxMsat === Infinity) maxMsat = capacityMsat;
    else if (capacityMsat === Infinity) maxMsat = f === 0 ? Infinity : e.maxMsat / f;
    else maxMsat = capacityMsat - Math.floor((capacityMsat - Math.min(e.maxMsat, capacityMsat)) * f);
    return { minMsat: Math.min(minMsat, maxMsat), maxMsat };
  }

  /**
   * Every learned direction, decayed to `nowSec`, for a search: `capacityOf`
   * gives a channel's capacity (Infinity when unknown). Keyed
   * `scid × 2 + direction`.
   */
  snapshot(nowSec: number, capacityOf: (shortChannelId: bigint) => number): Map<bigint, LiquidityBounds> {
    const out = new Map<bigint, LiquidityBounds>();
    for (const [key, e] of this.#estimates) out.set(key, this.#decayed(e, capacityOf(key >> 1n), nowSec));
    return out;
  }

  /**
   * The penalty for sending `amountMsat` over a direction with `bounds`
   * (`undefined`: nothing learned, `[0, capacity]`).
   */
  penaltyMsat(amountMsat: number, capacityMsat: number, bounds: LiquidityBounds | undefined): number {
    const p = this.params;
    let penalty = p.basePenaltyMsat + (p.basePenaltyAmountMultiplierMsat * amountMsat) / 1073741824;
    const min = bounds === undefined ? 0 : bounds.minMsat;
    const max = bounds === undefined ? capacityMsat : bounds.maxMsat;
    if (amountMsat <= min || max === Infinity) return penalty;
    const negLog = amountMsat >= max ? NEGATIVE_LOG10_UPPER_BOUND : Math.min(NEGATIVE_LOG10_UPPER_BOUND, -Math.log10((max - amountMsat) / (max - min)));
    penalty += (p.liquidityPenaltyMultiplierMsat + (p.liquidityPenaltyAmountMultiplierMsat * amountMsat) / 1048576) * negLog;
    return penalty;
  }

  /** Sets a direction's bounds (decayed values brought to `nowSec` first by the callers). */
  #set(scid: bigint, direction: 0 | 1, minMsat: number, maxMsat: number, nowSec: number): void {
    this.#estimates.set(keyOf(scid, direction), { minMsat, maxMsat, updatedSec: nowSec });
  }

  #current(scid: bigint, direction: 0 | 1, capacityMsat: number, nowSec: number): { minMsat: number; maxMsat: number } {
    const e = this.#estimates.get(keyOf(scid, direction));
    if (e === undefined) return { minMsat: 0, maxMsat: Infinity };
    const b = this.#decayed(e, capacityMsat, nowSec);
    // Keep "no upper bound learned" as Infinity so a later capacity still applies.
    return { minMsat: b.minMsat, maxMsat: e.maxMsat === Infinity || b.maxMsat >= capacityMsat ? Infinity : b.maxMsat };
  }

  /**
   * A path failed at `failedShortChannelId` (the channel whose sender could
   * not forward; LDK's `payment_path_failed`): the hops before it carried
   * their amounts, that one lacked its amount (a failure at the payee: every
   * hop carried). Our own first hop teaches nothing (we know its liquidity).
   * `capacityOf` gives the capacity of a channel (Infinity when unknown).
   */
  paymentPathFailed(hops: readonly ScoredHop[], failedShortChannelId: bigint, nowSec: number, capacityOf: (shortChannelId: bigint) => number = () => Infinity): void {
    if (hops.length === 0 || hops[0]!.shortChannelId === failedShortChannelId) return;
    for (let i = 1; i < hops.length; i++) {
      const hop = hops[i]!;
      const direction = directionOf(hops[i - 1]!.pubkey, hop.pubkey);
      const amount = toNumber(hop.amountMsat);
      const cur = this.#current(hop.shortChannelId, direction, capacityOf(hop.shortChannelId), nowSec);
      if (hop.shortChannelId === failedShortChannelId) {
        const max = Math.min(cur.maxMsat, amount);
        this.#set(hop.shortChannelId, direction, cur.minMsat > max ? 0 : cur.minMsat, max, nowSec);
        return;
      }
      const min = Math.max(cur.minMsat, amount);
      this.#set(hop.shortChannelId, direction, min, cur.maxMsat < min ? Infinity : cur.maxMsat, nowSec);
    }
  }

  /** A path succeeded (LDK's `payment_path_successful`): each hop's liquidity in that direction fell by what it forwarded. */
  paymentPathSuccessful(hops: readonly ScoredHop[], nowSec: number, capacityOf: (shortChannelId: bigint) => number = () => Infinity): void {
    for (let i = 1; i < hops.length; i++) {
      const hop = hops[i]!;
      const direction = directionOf(hops[i - 1]!.pubkey, hop.pubkey);
      const amount = toNumber(hop.amountMsat);
      const capacity = capacityOf(hop.shortChannelId);
      const cur = this.#current(hop.shortChannelId, direction, capacity, nowSec);
      const upper = cur.maxMsat === Infinity ? capacity : cur.maxMsat;
      const max = upper === Infinity ? Infinity : Math.max(0, upper - amount);
      this.#set(hop.shortChannelId, direction, Math.max(0, cur.minMsat - amount), max, nowSec);
    }
  }

  /** Forgets directions whose learned bounds have decayed to almost nothing (under 1 msat of offset at `nowSec`). */
  prune(nowSec: number): void {
    for (const [key, e] of this.#estimates) {
      const f = this.#decay(nowSec - e.updatedSec);
      if (e.minMsat * f < 1 && (e.maxMsat === Infinity || f < 1e-12)) this.#estimates.delete(key);
    }
  }
}

const toNumber = (msat: bigint): number => (msat > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(msat));
