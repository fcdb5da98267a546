/**
 * The queue of this process's inputs waiting for one node's lease
 * (functions/runtime/invocation.ts `LeaseQueue`): first come, first served;
 * a turn handed on carries the lease; a waiter whose wait ran out is no
 * longer handed anything (the holder then releases the lease itself).
 */
import { describe, expect, it } from 'vitest';
import { LeaseQueue, type HandedLease } from '../../functions/runtime/invocation.js';
import { KnownItems } from '../../shared/store/index.js';

const handed = (n: number): HandedLease => ({
  lease: { nodeKey: 'n', owner: `o${n}`, fence: BigInt(n), expiresAtMs: Date.now() + 30_000 },
  carried: { known: new KnownItems('n'), commits: BigInt(n), outboxClear: true },
  takenAtMs: Date.now(),
  handOffs: n,
});

describe('LeaseQueue', () => {
  it('gives the first caller its turn at once, and the next ones in order when the turn is left or handed on', async () => {
    const queue = new LeaseQueue();
    expect(await queue.enter(Date.now() + 1000)).toEqual({});
    expect(queue.hasWaiting).toBe(false);
    const second = queue.enter(Date.now() + 1000);
    const third = queue.enter(Date.now() + 1000);
    expect(queue.hasWaiting).toBe(true);
    expect(queue.handOn(handed(1))).toBe(true);
    expect(await second).toEqual({ handed: handed(1) });
    queue.leave();
    expect(await third).toEqual({});
    expect(queue.hasWaiting).toBe(false);
    queue.leave();
    // Free again: the next caller goes at once.
    expect(await queue.enter(Date.now() + 1000)).toEqual({});
  });

  it('a waiter whose deadline passed gets false and is not handed the lease: handOn says nobody took it', async () => {
    const queue = new LeaseQueue();
    await queue.enter(Date.now() + 1000);
    const late = queue.enter(Date.now() + 5);
    expect(queue.hasWaiting).toBe(true);
    expect(await late).toBe(false);
    expect(queue.hasWaiting).toBe(false);
    expect(queue.handOn(handed(2))).toBe(false);
    // The holder still has the turn: leaving frees the queue.
    queue.leave();
    expect(await queue.enter(Date.now() + 1000)).toEqual({});
  });
});
