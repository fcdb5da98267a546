/**
 * Lost follow-ups (docs/follow-ups.md, "Lost follow-ups"), against Amazon's
 * DynamoDB Local and fauxqs: a commit whose follow-ups nothing else would
 * make again also writes them in a `FOLLOWUP#` item; the timer's job sends
 * again each one that was never applied (the queue lost it), under its own
 * id, and deletes the item once all of them were applied.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { resendLostFollowUps } from '../../functions/runtime/follow-up-watch.js';
import { applyInput, type FollowUpInput, type InvocationResult } from '../../functions/runtime/invocation.js';
import { createNodeContext, type NodeContext } from '../../functions/runtime/node-context.js';
import { fromHex } from '../../shared/crypto/index.js';
import { encodeFollowUp, type FollowUpWork } from '../../shared/manager/follow-up.js';
import { decodeInbound } from '../../shared/pipeline/envelopes.js';
import { FifoQueue } from '../../shared/pipeline/queues.js';
import { NodeStore, SortKey, decodeOutboxRecord, ensureNodeTable, type OutboxMessage } from '../../shared/store/index.js';
import { useLocalServices } from '../support/local-services.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {} } as unknown as NodeContext['logger'];
const PEER = fromHex('02' + '33'.repeat(32));
const CHANNEL = new Uint8Array(32).fill(7);

const services = useLocalServices();
let ctx: NodeContext;

async function fifo(): Promise<FifoQueue> {
  const { sqs } = services;
  const created = await sqs.client.send(new CreateQueueCommand({ QueueName: `q-${randomUUID()}.fifo`, Attributes: { FifoQueue: 'true', VisibilityTimeout: '1' } }));
  return new FifoQueue(sqs.client, created.QueueUrl!);
}

beforeEach(async () => {
  const tableName = `watch-${randomUUID()}`;
  await ensureNodeTable(services.dynamo, tableName);
  ctx = createNodeContext({
    seed: fromHex(randomUUID().replace(/-/g, '').repeat(2)),
    network: 'regtest',
    store: new NodeStore({ client: services.dynamo, tableName }),
    outbound: await fifo(),
    inbound: await fifo(),
    logger: quiet,
  });
});

const claim: FollowUpWork = { kind: 'claim-htlcs', channelId: CHANNEL, htlcs: [{ htlcId: 3n, paymentHash: new Uint8Array(32).fill(1) }], paymentPreimage: new Uint8Array(32).fill(2) };
const reestablish: FollowUpWork = { kind: 'reestablish', channelId: CHANNEL };

/** An input that writes one item and makes `works` as follow-ups (watched as the ChangeSet marks them). */
function withFollowUps(...works: { work: FollowUpWork; watched: boolean }[]) {
  return async (): Promise<InvocationResult> => ({
    puts: [{ sk: SortKey.peer(toHexPeer()), data: new Uint8Array([1]) }],
    deletes: [],
    effects: [],
    followUps: works.map(({ work, watched }): FollowUpInput => ({ peer: PEER, work: encodeFollowUp(work), ...(watched ? { watched: true as const } : {}) })),
  });
}

function toHexPeer(): string {
  return Buffer.from(PEER).toString('hex');
}

/** Every follow-up on the inbound queue now: its id and kind. */
async function drainInbound(): Promise<string[]> {
  const out: string[] = [];
  for (let empty = 0; empty < 2; ) {
    const batch = await ctx.inbound!.receive(10, 0);
    if (batch.length === 0) empty++;
    for (const m of batch) {
      const envelope = decodeInbound(m.body);
      out.push(`${m.dedupId} ${envelope.kind}`);
      await ctx.inbound!.delete(m.receiptHandle);
    }
  }
  return out;
}

async function watchItems(): Promise<{ sk: string; ids: string[] }[]> {
  return (await ctx.store.query(ctx.nodeKey, SortKey.followUpWatchPrefix)).map(({ sk, data }) => {
    const decoded = decodeOutboxRecord(data);
    if (!decoded.ok) throw decoded.error;
    return { sk, ids: decoded.value.map((m) => m.id) };
  });
}

describe('watched follow-ups', () => {
  it('are written by their commit beside the outbox (a reestablish, made again by the next connection, is not)', async () => {
    const inputId = `in-${randomUUID()}`;
    expect(await applyInput(ctx, inputId, withFollowUps({ work: reestablish, watched: false }, { work: claim, watched: true }))).toBe('applied');
    expect(await drainInbound()).toEqual([`${inputId}#f0000 follow-up`, `${inputId}#f0001 follow-up`]);
    const items = await watchItems();
    expect(items.map((i) => i.ids)).toEqual([[`${inputId}#f0001`]]);
    expect(items[0]!.sk).toMatch(new RegExp(`^FOLLOWUP#\\d{15}#${inputId}$`));
  });

  it('writes nothing for an input without watched follow-ups', async () => {
    expect(await applyInput(ctx, `in-${randomUUID()}`, withFollowUps({ work: reestablish, watched: false }))).toBe('applied');
    expect(await watchItems()).toEqual([]);
  });

  it('sends a lost one again under its own id until it is applied, then deletes the item', async () => {
    const inputId = `in-${randomUUID()}`;
    await applyInput(ctx, inputId, withFollowUps({ work: claim, watched: true }));
    // The queue loses it (as fauxqs does at a crash).
    expect(await drainInbound()).toEqual([`${inputId}#f0000 follow-up`]);
    const sent: OutboxMessage[][] = [];
    const capture = async (messages: readonly OutboxMessage[]) => void sent.push([...messages]);

    // Too young: left alone.
    expect(await resendLostFollowUps(ctx, capture)).toEqual({ resent: 0, settled: 0 });
    expect(sent).toEqual([]);

    // Old enough and never applied: sent again, the same id and body, the item kept.
    expect(await resendLostFollowUps(ctx, capture, 0)).toEqual({ resent: 1, settled: 0 });
    expect(sent.map((batch) => batch.map((m) => m.id))).toEqual([[`${inputId}#f0000`]]);
    const envelope = decodeInbound(new TextDecoder().decode(sent[0]![0]!.body));
    expect(envelope.kind).toBe('follow-up');
    expect(envelope.kind === 'follow-up' && Buffer.from(envelope.work).equals(Buffer.from(encodeFollowUp(claim)))).toBe(true);
    expect(await watchItems()).toHaveLength(1);

    // Applied (its input record exists): the next run deletes the item and sends nothing.
    expect(await applyInput(ctx, `${inputId}#f0000`, withFollowUps())).toBe('applied');
    expect(await resendLostFollowUps(ctx, capture, 0)).toEqual({ resent: 0, settled: 1 });
    expect(sent).toHaveLength(1);
    expect(await watchItems()).toEqual([]);
  });

  it('sends only the follow-ups of an item not applied yet', async () => {
    const inputId = `in-${randomUUID()}`;
    await applyInput(ctx, inputId, withFollowUps({ work: claim, watched: true }, { work: { ...claim, channelId: new Uint8Array(32).fill(8) }, watched: true }));
    await drainInbound();
    await applyInput(ctx, `${inputId}#f0001`, withFollowUps());
    const sent: string[] = [];
    expect(await resendLostFollowUps(ctx, async (messages) => void sent.push(...messages.map((m) => m.id)), 0)).toEqual({ resent: 1, settled: 0 });
    expect(sent).toEqual([`${inputId}#f0000`]);
  });
});
