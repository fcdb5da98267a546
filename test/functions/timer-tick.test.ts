/**
 * The timer handler against DynamoDB Local (docs/timer.md): a tick is one
 * input under the node's lease, committed with the tick count in the
 * header; its index Queries find what is due (a stale `MPP#` item is
 * dropped after the timeout; a funder item of a disconnected peer asks
 * nothing, one of a connected peer whose feerate is off the estimate gets
 * an `update-fee` follow-up through the inbound queue); a redelivered event
 * is a duplicate; ticks contending for the lease never crash (one waits, or
 * answers `busy` and leaves the work to the next tick); a node without a
 * header has nothing to tick; a put with a TTL writes the TTL attribute.
 */
import { describe, expect, it } from 'vitest';
import { createTimerHandler } from '../../functions/timer/handler.js';
import type { NodeContext } from '../../functions/runtime/node-context.js';
import { applyInput } from '../../functions/runtime/invocation.js';
import { loadManager, takeChangesFunded } from '../../functions/runtime/manager-step.js';
import type { SQSEvent } from 'aws-lambda';
import { createPeerMessageHandler } from '../../functions/peer-message/handler.js';
import { toHex } from '../../shared/crypto/index.js';
import { decodeFollowUp, decodeManagerHeader, encodePeerState, encodeFunderEntry, funderKey, MPP_TIMEOUT_TICKS, mppKey } from '../../shared/manager/index.js';
import { decodeInbound } from '../../shared/pipeline/envelopes.js';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { Attr, SortKey, nodePartition } from '../../shared/store/index.js';
import { fifoQueue, testNode } from '../support/wallet-node.js';
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
    expect(await createTimerHandler(ctx)({ id: 'e1' }, {} as never)).toEqual({ tick: { outcome: 'no-node', inputId: 'timer-e1' }, followUps: { resent: 0, settled: 0 } });
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

  it('fans out: a channel we fund whose feerate is off the estimate gets an update-fee follow-up in its peer\'s inbound group; applying it is harmless', async () => {
    const base = await nodeWithHeader();
    const ctx: NodeContext = { ...base, inbound: await fifoQueue(local.sqs, 'in') };
    const channelId = new Uint8Array(32).fill(3);
    const lease = await ctx.store.acquireLease(ctx.nodeKey, 'seed', 10_000);
    await ctx.store.commit(lease, {
      inputId: 'seed-funder',
      release: true,
      puts: [
        // The peer is connected (its init arrived), and the channel's feerate is 2,000 sat/kW: with no FEES item the estimate is 253, under half.
        { sk: SortKey.peer(toHex(PEER)), data: encodePeerState({ nodeId: PEER, connectionId: 'c1', inbound: true, address: '127.0.0.1:1', features: new Uint8Array(0) }) },
        { sk: SortKey.index(funderKey({ counterpartyNodeId: PEER, channelId })), data: encodeFunderEntry({ counterpartyNodeId: PEER, channelId, feeratePerKw: 2_000, anchors: false }) },
      ],
    });
    expect(await createTimerHandler(ctx)({ id: 'f1' }, {} as never)).toMatchObject({ tick: { outcome: 'applied', report: { feeUpdates: 1 } } });
    const messages = await ctx.inbound!.receive(10, 1);
    expect(messages).toHaveLength(1);
    const envelope = decodeInbound(messages[0]!.body);
    if (envelope.kind !== 'follow-up') throw new Error(`not a follow-up: ${envelope.kind}`);
    expect(envelope.peer).toBe(toHex(PEER));
    expect(decodeFollowUp(envelope.work)).toEqual({ ok: true, value: { kind: 'update-fee', channelId } });
    // Applied by the peer-message handler as any follow-up: the channel item is not there (only its index item was made up), so nothing changes.
    const record = { messageId: messages[0]!.messageId, receiptHandle: messages[0]!.receiptHandle, body: messages[0]!.body, attributes: { MessageGroupId: 'g' }, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn', awsRegion: 'us-east-1' };
    const applied = await createPeerMessageHandler(ctx)({ Records: [record] } as unknown as SQSEvent, {} as never);
    expect(applied.batchItemFailures).toEqual([]);
  });

  it('a put with a TTL carries the table\'s TTL attribute (a resolved payment\'s records: DynamoDB deletes them after it)', async () => {
    const { ctx, tableName } = await testNode({ dynamo: local.dynamo, sqs: local.sqs, esploraUrl: local.chain.url });
    const lease = await ctx.store.acquireLease(ctx.nodeKey, 'seed', 10_000);
    const at = Math.floor(Date.now() / 1000) + 86_400;
    await ctx.store.commit(lease, { inputId: 'ttl', release: true, puts: [{ sk: 'PAYMENT_ID#aa', data: Uint8Array.of(1), ttlSec: at }, { sk: 'PAYMENT_ID#bb', data: Uint8Array.of(2) }] });
    const raw = async (sk: string) => (await local.dynamo.send(new GetItemCommand({ TableName: tableName, Key: { [Attr.pk]: { S: nodePartition(ctx.nodeKey) }, [Attr.sk]: { S: sk } } }))).Item;
    expect((await raw('PAYMENT_ID#aa'))?.[Attr.ttl]).toEqual({ N: String(at) });
    expect((await raw('PAYMENT_ID#bb'))?.[Attr.ttl]).toBeUndefined();
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
    expect(await createTimerHandler(impatient)({ id: 'busy-1' }, {} as never)).toEqual({ tick: { outcome: 'busy', inputId: 'timer-busy-1' }, followUps: { resent: 0, settled: 0 } });
    expect(await ticksOf(ctx)).toBe(4);
    await ctx.store.releaseLease(held);
    // The next tick does the work.
    expect(await createTimerHandler(impatient)({ id: 'busy-2' }, {} as never)).toMatchObject({ tick: { outcome: 'applied', report: { tick: 5 } } });
  });
});
