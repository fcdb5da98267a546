/**
 * A start of the embedded deployment right after a crash (kill -9), or after
 * a stop that abandoned an in-flight invocation, finds the lease that run
 * left in DynamoDB (docs/commit-protocol.md: it lasts `leaseTtlMs`, 15 s).
 * The start-up invocation (the peer reset) then waits for it to expire,
 * saying so in one line, instead of failing with `lease-held`.
 */
import { StoreError, StoreErrorCode } from '../../shared/store/index.js';
import type { NodeContext } from '../../functions/runtime/node-context.js';

/** Leeway past the expiry before taking the lease (the clock of the run that wrote it is this machine's). */
const EXPIRY_LEEWAY_MS = 50;

/**
 * Runs `invocation` once the node's lease is free: when the stored lease is
 * unexpired, tells `notice` in one line and waits for its expiry first. A
 * lease that outlives any lease this node takes (`leaseTtlMs`) was not left
 * by a previous run: that is a one-line error rather than a long wait.
 */
export async function afterPreviousLease<T>(
  ctx: Pick<NodeContext, 'store' | 'nodeKey' | 'leaseTtlMs'>,
  invocation: () => Promise<T>,
  notice: (line: string) => void,
  now: () => number = () => Date.now(),
): Promise<T> {
  let told = false;
  for (let attempt = 1; ; attempt++) {
    const lease = await ctx.store.readLease(ctx.nodeKey);
    const remainingMs = lease === undefined ? 0 : lease.expiresAtMs - now();
    if (remainingMs > ctx.leaseTtlMs + 1000) {
      throw new Error(
        `node ${ctx.nodeKey} is leased by ${lease!.owner} until ${new Date(lease!.expiresAtMs).toISOString()}, longer than a lease lasts (${ctx.leaseTtlMs / 1000} s): is another process using this data dir?`,
      );
    }
    if (remainingMs > 0) {
      if (!told) notice(`waiting up to ${Math.ceil(remainingMs / 1000)} s for the lease a previous run left`);
      told = true;
      await new Promise((r) => setTimeout(r, remainingMs + EXPIRY_LEEWAY_MS));
    }
    try {
      return await invocation();
    } catch (error) {
      // Taken again meanwhile (the invocation itself retries for a while first): look at the lease once more.
      if (!(error instanceof StoreError) || error.code !== StoreErrorCode.LeaseHeld || attempt >= 3) throw error;
    }
  }
}
