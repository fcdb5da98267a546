/**
 * Issue 14, the worst cases of HTLC-bearing items (docs/items.md), on
 * synthetic records against Amazon's DynamoDB Local, through `applyInput`
 * (the invocation's lease, fenced commit, and after-commit work): a channel
 * with 483 HTLCs each way.
 *
 * (a) one more `update_add_htlc` writes the channel item and ONE onion item;
 * (b) a `commitment_signed` with 966 HTLC signatures writes ONE HTLCSIGS item
 *     and deletes the previous one;
 * (c) one `revoke_and_ack` settling all 966 HTLCs, with 966 events, commits
 *     in ONE transaction of a handful of writes; the cleanup after it
 *     removes every onion item; a crash before the cleanup is finished by
 *     the next invocation;
 * events of one input are one item; acknowledging part of it hides exactly
 * those events; old one-event items still read.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { TransactWriteItemsCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { acknowledgeEvents, pendingEvents } from '../../functions/events/event-service.js';
import { applyInput, type InvocationResult } from '../../functions/runtime/invocation.js';
import { createNodeContext, type NodeContext } from '../../functions/runtime/node-context.js';
import { MAX_HTLCS_PER_DIRECTION, decodeHtlcSignatures, encodeOnionRecord } from '../../shared/channel/index.js';
import { fromHex } from '../../shared/crypto/index.js';
import { encodeEventRecord, type EventRecord } from '../../shared/manager/index.js';
import type { FifoQueue } from '../../shared/pipeline/queues.js';
import {
  MAX_TRANSACTION_ITEMS,
  NodeStore,
  SortKey,
  ensureNodeTable,
  eventItemWrites,
  planChannelWrites,
  type PlannedWrites,
} from '../../shared/store/index.js';
import { channelWith, htlc, htlcsEachWay, onionOf, settleEvents, signatureSet } from '../support/htlc-population.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {} } as unknown as NodeContext['logger'];
/** No message leaves in these inputs: a queue that must never be used. */
const noQueue = {
  sendBatch: () => Promise.reject(new Error('no message expected')),
  send: () => Promise.reject(new Error('no message expected')),
} as unknown as FifoQueue;

let dynamo: DynamoDBClient;
let ctx: NodeContext;
/** Every TransactWriteItems of the store: its number of writes and the bytes of its `data` attributes. */
let transactions: { writes: number; dataBytes: number; puts: string[]; deletes: string[] }[];
/** Every command the store sent, by name. */
let calls: string[];

beforeAll(() => {
  dynamo = localDynamoClient(inject('dynamoEndpoint'));
});
afterAll(() => dynamo.destroy());

beforeEach(async () => {
  const tableName = `htlc-items-${randomUUID()}`;
  await ensureNodeTable(dynamo, tableName);
  transactions = [];
  calls = [];
  const counting = {
    send: (command: { constructor: { name: string } }) => {
      calls.push(command.constructor.name);
      if (command instanceof TransactWriteItemsCommand) {
        const items = command.input.TransactItems ?? [];
        transactions.push({
          writes: items.length,
          dataBytes: items.reduce((n, i) => n + (i.Put?.Item?.data?.B?.length ?? 0), 0),
          puts: items.flatMap((i) => (i.Put?.Item?.sk?.S ? [i.Put.Item.sk.S] : [])),
          deletes: items.flatMap((i) => (i.Delete?.Key?.sk?.S ? [i.Delete.Key.sk.S] : [])),
        });
      }
      return dynamo.send(command as never);
    },
  } as unknown as DynamoDBClient;
  ctx = createNodeContext({
    seed: fromHex(randomUUID().replace(/-/g, '').repeat(2)),
    network: 'regtest',
    store: new NodeStore({ client: counting, tableName }),
    outbound: noQueue,
    logger: quiet,
  });
});

/** Applies one input whose step returns `writes` (and `events` as the manager's commit would write them). */
function apply(inputId: string, writes: PlannedWrites, events: readonly EventRecord[] = []) {
  const result: InvocationResult = {
    puts: [...writes.puts, ...eventItemWrites(events)],
    deletes: writes.deletes,
    effects: [],
    cleanup: writes.cleanup,
  };
  return applyInput(ctx, inputId, () => Promise.resolve(result));
}

const keysUnder = async (prefix: string) => (await ctx.store.query(ctx.nodeKey, prefix)).map((i) => i.sk);
/** The inputs whose cleanup items are still there. */
const cleanupLeft = async () => (await ctx.store.pendingCleanup(ctx.nodeKey)).map((i) => i.inputId);

/** The channel with 482 received HTLCs (their onions stored) and 483 offered, all committed: the state before the 483rd `update_add_htlc`. */
async function channelAlmostFull(): Promise<ReturnType<typeof channelWith>> {
  const received = Array.from({ length: MAX_HTLCS_PER_DIRECTION - 1 }, (_, i) => htlc('received', i));
  const offered = Array.from({ length: MAX_HTLCS_PER_DIRECTION }, (_, i) => htlc('offered', i));
  const channel = channelWith([...received, ...offered]);
  // Seeded as their 482 update_add_htlc would have left them, 90 onions per commit (setup, not measured).
  for (let from = 0; from < received.length; from += 90) {
    const onions = received.slice(from, from + 90).map((h) => ({ htlcId: h.id, onion: onionOf(Number(h.id)) }));
    await apply(`seed-${from}`, planChannelWrites({ channelIdHex: channel.idHex, channel: { key: channel.key, data: channel.item }, onions }));
  }
  transactions = [];
  calls = [];
  return channel;
}

describe('a channel with 483 HTLCs each way', () => {
  it('(a) one more update_add_htlc writes the channel item and one onion item, whatever the others', async () => {
    const before = await channelAlmostFull();
    const after = channelWith(htlcsEachWay());
    const onion = onionOf(482);
    const writes = planChannelWrites({ channelIdHex: after.idHex, channel: { key: after.key, data: after.item }, onions: [{ htlcId: 482n, onion }] });
    expect(await apply('add-482', writes)).toBe('applied');
    expect(transactions).toHaveLength(1);
    const [commit] = transactions;
    // lease (released in the commit) + INPUT# + channel item + ONION#: 4 writes.
    expect(commit!.writes).toBe(4);
    expect(commit!.puts.filter((sk) => !sk.startsWith('INPUT#')).sort()).toEqual([SortKey.channel(after.key), SortKey.onion(after.idHex, 482n)].sort());
    expect(commit!.dataBytes).toBe(after.item.length + encodeOnionRecord(onion).length);
    expect(commit!.dataBytes - after.item.length).toBe(1371); // version, TLV type, 3-byte length, 1,366-byte onion
    console.log(`(a) update_add_htlc on a channel holding 965 HTLCs: ${commit!.writes} writes, ${commit!.dataBytes} bytes of data (channel item ${after.item.length} + onion ${commit!.dataBytes - after.item.length}); the item before had ${before.item.length}`);
    expect(await keysUnder(SortKey.onionPrefix(after.idHex))).toHaveLength(483);
  });

  it('(b) a commitment_signed with 966 HTLC signatures writes one HTLCSIGS item and deletes the previous one', async () => {
    const full = channelWith(htlcsEachWay());
    await apply('sigs-10', planChannelWrites({ channelIdHex: full.idHex, htlcSignatures: { set: signatureSet(10n, 965) } }));
    transactions = [];
    const set = signatureSet(11n, 966);
    const writes = planChannelWrites({ channelIdHex: full.idHex, channel: { key: full.key, data: full.item }, htlcSignatures: { set, replaces: 10n } });
    expect(await apply('sigs-11', writes)).toBe('applied');
    const [commit] = transactions;
    // lease + INPUT# + channel item + HTLCSIGS#11 + the delete of HTLCSIGS#10: 5 writes.
    expect(commit!.writes).toBe(5);
    expect(commit!.deletes).toEqual([SortKey.htlcSignatures(full.idHex, 10n)]);
    console.log(`(b) commitment_signed with 966 HTLC signatures: ${commit!.writes} writes, ${commit!.dataBytes} bytes of data (HTLCSIGS item ${commit!.dataBytes - full.item.length})`);
    const stored = await ctx.store.query(ctx.nodeKey, SortKey.htlcSignaturesPrefix(full.idHex));
    expect(stored.map((i) => i.sk)).toEqual([SortKey.htlcSignatures(full.idHex, 11n)]);
    expect(decodeHtlcSignatures(stored[0]!.data)).toEqual({ ok: true, value: set });
  });

  /** The channel full (483 each way, every onion stored), then the revoke_and_ack settling all of them, with its 966 events. */
  async function settleAll(): Promise<{ writes: PlannedWrites; events: EventRecord[]; idHex: string }> {
    const full = await channelAlmostFull();
    await apply('add-482', planChannelWrites({ channelIdHex: full.idHex, channel: { key: full.key, data: channelWith(htlcsEachWay()).item }, onions: [{ htlcId: 482n, onion: onionOf(482) }] }));
    transactions = [];
    calls = [];
    const settled = htlcsEachWay(MAX_HTLCS_PER_DIRECTION, true);
    const empty = channelWith([]);
    const events = settleEvents(settled, 1000n, empty.channel);
    const writes = planChannelWrites({ channelIdHex: full.idHex, channel: { key: empty.key, data: empty.item }, resolved: settled });
    return { writes, events, idHex: full.idHex };
  }

  it('(c) one revoke_and_ack settling all 966 HTLCs, with 966 events, commits in one transaction; the cleanup after it removes every onion', async () => {
    const { writes, events, idHex } = await settleAll();
    expect(writes.cleanup).toHaveLength(483); // the received HTLCs' onions (a fulfilled HTLC has no failure reason)
    expect(await apply('revoke-all', writes, events)).toBe('applied');
    expect(transactions).toHaveLength(1);
    const [commit] = transactions;
    // lease + INPUT# + channel item + ONE event item (966 events) + ONE cleanup item: 5 writes, far from 100.
    expect(commit!.writes).toBe(5);
    expect(commit!.writes).toBeLessThanOrEqual(MAX_TRANSACTION_ITEMS);
    expect(commit!.puts.filter((sk) => sk.startsWith(SortKey.eventPrefix))).toEqual([SortKey.event(1000n)]);
    const afterCommit = calls.slice(calls.indexOf('TransactWriteItemsCommand') + 1);
    console.log(`(c) revoke_and_ack settling 966 HTLCs with 966 events: ${commit!.writes} writes, ${commit!.dataBytes} bytes of data in one transaction; then ${afterCommit.filter((c) => c === 'BatchWriteItemCommand').length} BatchWriteItem + ${afterCommit.filter((c) => c === 'DeleteItemCommand').length} DeleteItem`);
    expect(afterCommit.filter((c) => c === 'BatchWriteItemCommand')).toHaveLength(Math.ceil(483 / 25));
    expect(await keysUnder(SortKey.onionPrefix(idHex))).toEqual([]);
    expect(await cleanupLeft()).toEqual([]);
    // The events: one item, read 100 at a time, in order.
    const first = await pendingEvents(ctx);
    expect(first.map((e) => e.id)).toEqual(events.slice(0, 100).map((e) => e.id));
    expect(first).toEqual(events.slice(0, 100));
  });

  it('(c) a crash between the commit and its cleanup: the next invocation finishes it before its own work', async () => {
    const { writes, events, idHex } = await settleAll();
    // The commit of applyInput, then a crash: no cleanup ran.
    const lease = await ctx.store.acquireLease(ctx.nodeKey, 'crashing', 30_000);
    await ctx.store.commit(lease, { inputId: 'revoke-all', puts: [...writes.puts, ...eventItemWrites(events)], deletes: writes.deletes, cleanup: writes.cleanup, release: true });
    expect(await keysUnder(SortKey.onionPrefix(idHex))).toHaveLength(483);
    expect(await cleanupLeft()).toEqual(['revoke-all']);
    expect(await ctx.store.pendingOutbox(ctx.nodeKey)).toEqual([]); // not an outbox item, though under its prefix
    // A redelivery of the same input is a duplicate, and still finishes the leftover first.
    expect(await apply('revoke-all', writes, events)).toBe('duplicate');
    expect(await keysUnder(SortKey.onionPrefix(idHex))).toEqual([]);
    expect(await cleanupLeft()).toEqual([]);
  });

  it('(c) a crash between the commit and its cleanup: the next, unrelated input finishes it', async () => {
    const { writes, events, idHex } = await settleAll();
    const lease = await ctx.store.acquireLease(ctx.nodeKey, 'crashing', 30_000);
    await ctx.store.commit(lease, { inputId: 'revoke-all', puts: writes.puts, deletes: writes.deletes, cleanup: writes.cleanup, release: true });
    void events;
    expect(await apply('next', { puts: [{ sk: SortKey.fees, data: Uint8Array.of(1) }], deletes: [], cleanup: [] })).toBe('applied');
    expect(await keysUnder(SortKey.onionPrefix(idHex))).toEqual([]);
    expect(await cleanupLeft()).toEqual([]);
  });

  it('refuses, before DynamoDB, a commit whose cleanup item would not fit an item', async () => {
    const lease = await ctx.store.acquireLease(ctx.nodeKey, 'big', 30_000);
    const keys = Array.from({ length: 5000 }, (_, i) => `ONION#${'ab'.repeat(32)}#${String(i).padStart(20, '0')}`);
    await expect(ctx.store.commit(lease, { inputId: 'huge', puts: [{ sk: SortKey.fees, data: Uint8Array.of(1) }], cleanup: keys })).rejects.toMatchObject({ code: 'commit-too-large' });
    expect(await cleanupLeft()).toEqual([]);
  });
});

describe('events of one input in one item', () => {
  const peer = fromHex('02' + '11'.repeat(32));
  const ev = (id: bigint): EventRecord => ({ id, event: { kind: 'unsupported-message', counterpartyNodeId: peer, messageType: 128, message: `event ${id}` } });

  it('acknowledging part of a batch hides exactly those events; the item goes once all of it is acknowledged', async () => {
    // An old one-event item (the layout before), then an input's 5 events as one item, then a later input's one event.
    await apply('old', { puts: [{ sk: SortKey.event(1n), data: encodeEventRecord(ev(1n)) }], deletes: [], cleanup: [] });
    await apply('batch', { puts: [], deletes: [], cleanup: [] }, [2n, 3n, 4n, 5n, 6n].map(ev));
    expect(await keysUnder(SortKey.eventPrefix)).toEqual([SortKey.event(1n), SortKey.event(2n)]);
    expect((await pendingEvents(ctx)).map((e) => e.id)).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
    expect((await pendingEvents(ctx, 3)).map((e) => e.id)).toEqual([1n, 2n, 3n]);

    expect(await acknowledgeEvents(ctx, 3n)).toBe(3);
    expect(await acknowledgeEvents(ctx, 3n)).toBe(0);
    expect((await pendingEvents(ctx)).map((e) => e.id)).toEqual([4n, 5n, 6n]);
    expect(await keysUnder(SortKey.eventPrefix)).toEqual([SortKey.event(2n)]); // the old item went, the batch stays
    // Acknowledging past what is stored does not hide events stored later.
    expect(await acknowledgeEvents(ctx, 100n)).toBe(3);
    expect(await keysUnder(SortKey.eventPrefix)).toEqual([]);
    await apply('later', { puts: [], deletes: [], cleanup: [] }, [ev(7n)]);
    expect((await pendingEvents(ctx)).map((e) => e.id)).toEqual([7n]);
  });

  it('a limited read skips items fully acknowledged but not deleted yet (a crash after the counter moved)', async () => {
    for (let i = 0; i < 4; i++) await apply(`b${i}`, { puts: [], deletes: [], cleanup: [] }, [ev(BigInt(2 * i + 1)), ev(BigInt(2 * i + 2))]);
    expect(await ctx.store.raiseEventsAcked(ctx.nodeKey, 6n)).toEqual({ previous: undefined });
    expect((await pendingEvents(ctx, 1)).map((e) => e.id)).toEqual([7n]);
    expect((await pendingEvents(ctx)).map((e) => e.id)).toEqual([7n, 8n]);
    expect(await ctx.store.raiseEventsAcked(ctx.nodeKey, 5n)).toBe(false); // never goes down
  });

  it('966 events are one item of about 100 bytes each', async () => {
    const empty = channelWith([]);
    const events = settleEvents(htlcsEachWay(MAX_HTLCS_PER_DIRECTION, true), 1n, empty.channel);
    const items = eventItemWrites(events);
    expect(items).toHaveLength(1);
    console.log(`event item with 966 events: ${items[0]!.data.length} bytes (${(items[0]!.data.length / 966).toFixed(1)} per event)`);
    // Past one item's size, the events continue in a second item keyed by its first id.
    const split = eventItemWrites(events, 50_000);
    expect(split.length).toBeGreaterThan(1);
    expect(split.every((i) => i.data.length <= 50_000)).toBe(true);
  });
});
