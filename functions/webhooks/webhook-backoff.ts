/**
 * When a failed webhook delivery is tried again (docs/webhooks.md, "Retries"):
 * exponential backoff with jitter for 24 hours after the event. The n-th
 * gap's ceiling is `BASE * 2^(n-1)`, capped at {@link MAX_GAP_MS}; the gap
 * is drawn uniformly from the upper half of [0, ceiling] ("equal jitter"),
 * so concurrent failures spread out and yet, until the cap, every gap is at
 * least as long as the one before (full jitter would let a later gap be
 * shorter); capped gaps fall between 30 and 60 minutes. Pure:
 * the clock and the random draw come in.
 */

/** The first gap's ceiling (ms). */
export const BASE_GAP_MS = 10_000;
/** The longest gap (ms): one hour. */
export const MAX_GAP_MS = 60 * 60 * 1000;
/** How long after the event deliveries are tried (ms): 24 hours. */
export const RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** The ceiling of the gap after attempt number `attempt` (1 = the first attempt). */
export function gapCeilingMs(attempt: number): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
  // 2^19 * 10 s is far past the cap: stop doubling there (no overflow to Infinity).
  return Math.min(MAX_GAP_MS, BASE_GAP_MS * 2 ** Math.min(attempt - 1, 19));
}

/** The gap after attempt `attempt`, for a draw `random` in [0, 1). */
export function retryGapMs(attempt: number, random: number): number {
  const ceiling = gapCeilingMs(attempt);
  const r = Math.min(Math.max(random, 0), 1);
  return Math.floor(ceiling / 2 + (ceiling / 2) * r);
}

/**
 * When to try again after attempt `attempt` failed at `nowMs`, for a
 * delivery whose event was created at `createdAtMs`: undefined once that
 * time would fall past the 24-hour window (the delivery has then failed for good).
 */
export function nextAttemptAtMs(createdAtMs: number, attempt: number, nowMs: number, random: number): number | undefined {
  const at = nowMs + retryGapMs(attempt, random);
  return at > createdAtMs + RETRY_WINDOW_MS ? undefined : at;
}
