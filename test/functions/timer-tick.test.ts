/**
 * The timer handler against DynamoDB Local (docs/timer.md): a tick is one
 * input under the node's lease, committed with the tick count in the
 * header; its index Queries find what is due (a stale `MPP#` item is
 * dropped after the timeout; a funder item of a disconnected peer asks
 * nothing); a redelivered event is a duplicate; ticks contending for the
 * lease never crash (one waits, or answers `busy` and leaves the work to
 * the next tick); a node without a header has nothing to tick.
 */
import { describe, expect, it } from 'vitest';
import { createTimerHandler } from '../../functions/timer/handler.js';
import type { NodeContext } from '../../functions/runtime/node-context.js';
import { applyInput } from '../../functions/runtime/invocation.js';
import { loadManager, takeChangesFunded } from '../../functions/runtime/manager-step.js';
import { decodeManagerHeader, encodeFunderEntry, funderKey, MPP_TIMEOUT_TICKS, mppKey } from '../../shared/manager/index.js';
import { SortKey } from '../../shared/store/index.js';
import { testNode } from '../support/wallet-node.js';
import { useLocalServices } from '../support/local-services.js';

const local = useLocalServices();

async function nodeWithHeader(leaseWaitMs?: number): Promise<NodeContext> {
  const { ctx: base } = await testNode({ dynamo: local.dynamo, sqs: local.sqs, esploraUrl: local.chain.url });
  const ctx: NodeContext = leaseWaitMs === undefined ? base : { ...base, leaseWaitMs };
  // The node's first manager input writes its header (as a first channel input would).
  await applyInput(ctx, 'create', async (store) => takeChangesFunded(ctx, store, await loadManager(ctx, store, { kind: 'create-channel' }, new Map())));
  return ctx;
}

async function ticksOf(ctx: NodeContext): Promise<number> {
  const header = decodeManagerHeader((await ctx.store.get(ctx.nodeKey, SortKey.header))!);
  if (!header.ok) throw header.error;
  return header.value.timerTicks ?? 0;
}

const PEER = Uint8Array.from([0x02, ...new Uint8Array(32).fill(7)]);

describe('timer handler (DynamoDB Local)', () => {
  it('a node without a manager header has nothing to tick: no lease, nothing written', async () => {
    const { ctx } = await testNode({ dynamo: local.dynamo, sqs: local.sqs, esploraUrl: local.chain.url });
    expect(await createTimerHandler(ctx)({ id: 'e1' }, {} as never)).toEqual({ tick: { outcome: 'no-node', inputId: 'timer-e1' } });
    expect(await ctx.store.get(ctx.nodeKey, SortKey.header)).toBeUndefined();
    expect(await ctx.store.get(ctx.nodeKey, SortKey.lease)).toBeUndefined();
  });

  it('a tick applies under the lease and commits the count; a redelivered event is a duplicate; index items are found by Query', async () => {
    const ctx = await nodeWithHeader();
    const timer = createTimerHandler(ctx);
    // A payment that collected one part at tick 0 and went another way since (its record gone), and a channel we fund whose peer is offline.
    const hash = new Uint8Array(32).fill(0xab);
    const lease = await ctx.store.acquireLease(ctx.nodeKey, 'seed', 10_000);
    await ctx.store.commit(lease, {
      inputId: 'seed-index',
      release: true,
      puts: [
        { sk: SortKey.index(mppKey(0, hash)), data: hash },
        { sk: SortKey.index(funderKey({ counterpartyNodeId: PEER, channelId: new Uint8Array(32).fill(1) })), data: encodeFunderEntry({ counterpartyNodeId: PEER, channelId: new Uint8Array(32).fill(1), feeratePerKw: 253, anchors: false }) },
      ],
    });

    for (let i = 1; i < MPP_TIMEOUT_TICKS; i++) {
      expect(await timer({ id: `t${i}` }, {} as never)).toMatchObject({ tick: { outcome: 'applied', report: { tick: i, mppTimedOut: 0, mppStale: 0, feeUpdates: 0 } } });
      expect(await ctx.store.get(ctx.nodeKey, SortKey.index(mppKey(0, hash)))).toBeDefined();
    }
    expect(await timer({ id: `t${MPP_TIMEOUT_TICKS}` }, {} as never)).toMatchObject({ tick: { outcome: 'applied', report: { tick: MPP_TIMEOUT_TICKS, mppStale: 1 } } });
    expect(await ctx.store.get(ctx.nodeKey, SortKey.index(mppKey(0, hash)))).toBeUndefined();
    expect(await ticksOf(ctx)).toBe(MPP_TIMEOUT_TICKS);
    // EventBridge delivers an event again: the same input id, nothing applied twice.
    expect(await timer({ id: 't1' }, {} as never)).toMatchObject({ tick: { outcome: 'duplicate', inputId: 'timer-t1' } });
    expect(await ticksOf(ctx)).toBe(MPP_TIMEOUT_TICKS);
    // The lease was released with the commit: another input takes it at once.
    const next = await ctx.store.acquireLease(ctx.nodeKey, 'after', 1_000);
    await ctx.store.releaseLease(next);
  });

  it('ticks contending for the lease never crash: concurrent ones all apply one after the other, and one that cannot get it answers busy', async () => {
    const ctx = await nodeWithHeader(5_000);
    const timer = createTimerHandler(ctx);
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => timer({ id: `c${i}` }, {} as never)));
    expect(results.map((r) => r.tick.outcome)).toEqual(['applied', 'applied', 'applied', 'applied']);
    expect(await ticksOf(ctx)).toBe(4);

    // Another process holds the lease for longer than the tick waits: busy, nothing written, no error.
    const impatient: NodeContext = { ...ctx, leaseWaitMs: 150 };
    const held = await ctx.store.acquireLease(ctx.nodeKey, 'a-slow-input', 60_000);
    expect(await createTimerHandler(impatient)({ id: 'busy-1' }, {} as never)).toEqual({ tick: { outcome: 'busy', inputId: 'timer-busy-1' } });
    expect(await ticksOf(ctx)).toBe(4);
    await ctx.store.releaseLease(held);
    // The next tick does the work.
    expect(await createTimerHandler(impatient)({ id: 'busy-2' }, {} as never)).toMatchObject({ tick: { outcome: 'applied', report: { tick: 5 } } });
  });
});
