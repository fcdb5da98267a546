/**
 * One commit for several inputs (`LeaseSession.applyGroup`,
 * docs/commit-protocol.md "One commit for messages in a row"), with steps
 * written here, against DynamoDB Local and fauxqs: each input reads what the
 * ones before it wrote; a read that cannot see them commits those first; a
 * group too large for one transaction commits input by input; the messages
 * leave in input order after the commit.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { LeaseSession, type GroupInput, type GroupOptions, type InvocationResult } from '../../functions/runtime/invocation.js';
import { createNodeContext, type NodeContext } from '../../functions/runtime/node-context.js';
import { fromHex, sha256 } from '../../shared/crypto/index.js';
import { decodeOutbound, outboundParts } from '../../shared/pipeline/envelopes.js';
import { FifoQueue } from '../../shared/pipeline/queues.js';
import { NodeStore, ensureNodeTable, type Commit, type Lease } from '../../shared/store/index.js';
import { useLocalServices } from '../support/local-services.js';

const local = useLocalServices();
const quiet = { debug() {}, info() {}, warn() {}, error() {} } as unknown as NodeContext['logger'];
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));
const PEER = '02' + '11'.repeat(32);

/** A store noting each commit's input ids and puts. */
class NotingStore extends NodeStore {
  readonly commits: { inputs: string[]; puts: string[] }[] = [];
  override async commit(lease: Lease, commit: Commit): Promise<void> {
    await super.commit(lease, commit);
    this.commits.push({ inputs: [...(commit.groupedBefore ?? []), commit.inputId ?? ''], puts: (commit.puts ?? []).map((p) => p.sk) });
  }
}

async function node(): Promise<{ ctx: NodeContext; store: NotingStore }> {
  const tableName = `group-${randomUUID()}`;
  await ensureNodeTable(local.dynamo, tableName);
  const store = new NotingStore({ client: local.dynamo, tableName });
  const queue = async () => {
    const created = await local.sqs.client.send(new CreateQueueCommand({ QueueName: `q-${randomUUID()}.fifo`, Attributes: { FifoQueue: 'true' } }));
    return new FifoQueue(local.sqs.client, created.QueueUrl!);
  };
  const ctx = createNodeContext({ seed: sha256(bytes(`group/${randomUUID()}`)), network: 'regtest', store, outbound: await queue(), broadcast: await queue(), esploraUrl: 'http://127.0.0.1:9', logger: quiet });
  return { ctx, store };
}

/** Counter input `n`: reads `COUNTER` (through what it is given), writes it + 1 and `ITEM#<n>` (and `more` items), and sends a ping naming itself. */
function counterInput(ctx: NodeContext, n: number, extra: (store: NodeStore) => Promise<void> = async () => {}, more: number = 0): GroupInput {
  return {
    inputId: `in-${n}`,
    step: async (store): Promise<InvocationResult> => {
      await extra(store);
      const count = Number(text(await store.get(ctx.nodeKey, 'COUNTER')) ?? '0');
      const puts = [
        { sk: 'COUNTER', data: bytes(String(count + 1)) },
        { sk: `ITEM#${n}`, data: bytes(`after ${count}`) },
        ...Array.from({ length: more }, (_, i) => ({ sk: `ITEM#${n}#${i}`, data: bytes('x') })),
      ];
      return { puts, deletes: [], effects: [{ kind: 'send', peer: fromHex(PEER), message: { type: 18, numPongBytes: n, ignored: new Uint8Array(0) } }] };
    },
  };
}

async function sent(ctx: NodeContext): Promise<number[]> {
  const out: number[] = [];
  for (let empty = 0; empty < 2; ) {
    const got = await ctx.outbound.receive(10, 0);
    if (got.length === 0) empty++;
    for (const m of got) {
      for (const e of outboundParts(decodeOutbound(m.body))) if (e.kind === 'send') out.push((e.message[2]! << 8) | e.message[3]!);
      await ctx.outbound.delete(m.receiptHandle);
    }
  }
  return out;
}

/**
 * A burst of counter inputs (`GroupOptions.burst`): ONE read of `COUNTER`
 * for all of them, their items and pings in one result; runs at most `take`
 * of the indices it is given, and notes each call's indices in `calls`.
 */
function counterBurst(ctx: NodeContext, numbers: readonly number[], calls: number[][], take = Infinity, more = 0): NonNullable<GroupOptions['burst']> {
  return async (store, indices) => {
    calls.push([...indices]);
    const ran = indices.slice(0, take).map((i) => numbers[i]!);
    const count = Number(text(await store.get(ctx.nodeKey, 'COUNTER')) ?? '0');
    const puts = ran.flatMap((n, k) => [{ sk: `ITEM#${n}`, data: bytes(`after ${count + k}`) }, ...Array.from({ length: more }, (_, i) => ({ sk: `ITEM#${n}#${i}`, data: bytes('x') }))]);
    const effects = ran.map((n) => ({ kind: 'send' as const, peer: fromHex(PEER), message: { type: 18 as const, numPongBytes: n, ignored: new Uint8Array(0) } }));
    return { count: ran.length, result: { puts: [{ sk: 'COUNTER', data: bytes(String(count + ran.length)) }, ...puts], deletes: [], effects } };
  };
}

async function group(ctx: NodeContext, inputs: readonly GroupInput[], burst?: GroupOptions['burst']) {
  const session = new LeaseSession(ctx);
  try {
    return await session.applyGroup(inputs, { releaseWithCommit: true, ...(burst === undefined ? {} : { burst }) });
  } finally {
    await session.close();
  }
}

describe('LeaseSession.applyGroup', () => {
  it('commits three inputs in one transaction, each having read what the ones before it wrote; their messages leave in order', async () => {
    const { ctx, store } = await node();
    expect(await group(ctx, [1, 2, 3].map((n) => counterInput(ctx, n)))).toEqual(['applied', 'applied', 'applied']);
    expect(store.commits.map((c) => c.inputs)).toEqual([['in-1', 'in-2', 'in-3']]);
    expect(text(await store.get(ctx.nodeKey, 'COUNTER'))).toBe('3');
    expect(await Promise.all([1, 2, 3].map(async (n) => text(await store.get(ctx.nodeKey, `ITEM#${n}`))))).toEqual(['after 0', 'after 1', 'after 2']);
    expect(await sent(ctx)).toEqual([1, 2, 3]);
    // The same group again: every input a duplicate, nothing committed or sent.
    expect(await group(ctx, [1, 2, 3].map((n) => counterInput(ctx, n)))).toEqual(['duplicate', 'duplicate', 'duplicate']);
    expect(store.commits).toHaveLength(1);
    expect(await sent(ctx)).toEqual([]);
  });

  it('commits the inputs before one whose read cannot see the group (group-read), then applies it on the table', async () => {
    const { ctx, store } = await node();
    // Input 3 reads a page of the items the inputs before it wrote: refused in the group, so 1 and 2 commit first.
    const pages: string[][] = [];
    const third = counterInput(ctx, 3, async (s) => void pages.push((await s.queryPage(ctx.nodeKey, 'ITEM#', { limit: 10 })).items.map((i) => i.sk)));
    expect(await group(ctx, [counterInput(ctx, 1), counterInput(ctx, 2), third])).toEqual(['applied', 'applied', 'applied']);
    expect(store.commits.map((c) => c.inputs)).toEqual([['in-1', 'in-2'], ['in-3']]);
    expect(pages.at(-1)).toEqual(['ITEM#1', 'ITEM#2']);
    expect(text(await store.get(ctx.nodeKey, 'COUNTER'))).toBe('3');
    expect(await sent(ctx)).toEqual([1, 2, 3]);
  });

  it('commits input by input, in order, when the group is too large for one transaction', async () => {
    const { ctx, store } = await node();
    // 3 × 42 puts: more than one transaction's 100 writes, each input's alone fits.
    expect(await group(ctx, [1, 2, 3].map((n) => counterInput(ctx, n, undefined, 40)))).toEqual(['applied', 'applied', 'applied']);
    expect(store.commits.map((c) => c.inputs)).toEqual([['in-1'], ['in-2'], ['in-3']]);
    expect(await Promise.all([1, 2, 3].map(async (n) => text(await store.get(ctx.nodeKey, `ITEM#${n}`))))).toEqual(['after 0', 'after 1', 'after 2']);
    expect(await sent(ctx)).toEqual([1, 2, 3]);
  });

  it('commits nothing of the group when an input throws', async () => {
    const { ctx, store } = await node();
    const failing: GroupInput = { inputId: 'in-2', step: async () => { throw new Error('cannot load'); } };
    await expect(group(ctx, [counterInput(ctx, 1), failing, counterInput(ctx, 3)])).rejects.toThrow('cannot load');
    expect(store.commits).toEqual([]);
    expect(await store.get(ctx.nodeKey, 'ITEM#1')).toBeUndefined();
    expect(await sent(ctx)).toEqual([]);
  });

  it('runs joinable inputs in a row as one step (a burst): one read, one transaction with every input record; others and applied ones split the runs', async () => {
    const { ctx, store } = await node();
    const numbers = [1, 2, 3, 4, 5];
    const inputs = numbers.map((n) => ({ ...counterInput(ctx, n), joinable: n !== 3 }));
    const calls: number[][] = [];
    expect(await group(ctx, inputs, counterBurst(ctx, numbers, calls))).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
    // 1-2 as a burst, 3 alone, 4-5 as a burst: all in one transaction, in order.
    expect(calls).toEqual([[0, 1], [3, 4]]);
    expect(store.commits.map((c) => c.inputs)).toEqual([['in-1', 'in-2', 'in-3', 'in-4', 'in-5']]);
    expect(await Promise.all(numbers.map(async (n) => text(await store.get(ctx.nodeKey, `ITEM#${n}`))))).toEqual(['after 0', 'after 1', 'after 2', 'after 3', 'after 4']);
    expect(text(await store.get(ctx.nodeKey, 'COUNTER'))).toBe('5');
    expect(await sent(ctx)).toEqual([1, 2, 3, 4, 5]);

    // Redelivered with two more: the applied ones are skipped, wherever they sit; the new ones run as a burst.
    const again = [1, 2, 3, 4, 5, 6, 7];
    calls.length = 0;
    const outcomes = await group(ctx, again.map((n) => ({ ...counterInput(ctx, n), joinable: true })), counterBurst(ctx, again, calls));
    expect(outcomes).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate', 'duplicate', 'applied', 'applied']);
    expect(calls).toEqual([[5, 6]]);
    expect(store.commits.at(-1)!.inputs).toEqual(['in-6', 'in-7']);
    expect(text(await store.get(ctx.nodeKey, 'COUNTER'))).toBe('7');
  });

  it('goes on after a burst that ran fewer inputs than it was given', async () => {
    const { ctx, store } = await node();
    const numbers = [1, 2, 3];
    const calls: number[][] = [];
    expect(await group(ctx, numbers.map((n) => ({ ...counterInput(ctx, n), joinable: true })), counterBurst(ctx, numbers, calls, 1))).toEqual(['applied', 'applied', 'applied']);
    // Each call ran only its first: the next starts after it (two left, then one: alone, no burst).
    expect(calls).toEqual([[0, 1, 2], [1, 2]]);
    expect(store.commits.map((c) => c.inputs)).toEqual([['in-1', 'in-2', 'in-3']]);
    expect(text(await store.get(ctx.nodeKey, 'COUNTER'))).toBe('3');
    expect(await sent(ctx)).toEqual([1, 2, 3]);
  });

  it('runs a burst too large for one transaction again input by input, each committed on its own', async () => {
    const { ctx, store } = await node();
    const numbers = [1, 2, 3];
    const calls: number[][] = [];
    // 3 × 41 puts in one burst: more than 100 writes; each input alone fits.
    const inputs = numbers.map((n) => ({ ...counterInput(ctx, n, undefined, 40), joinable: true }));
    expect(await group(ctx, inputs, counterBurst(ctx, numbers, calls, Infinity, 40))).toEqual(['applied', 'applied', 'applied']);
    expect(calls).toEqual([[0, 1, 2]]);
    expect(store.commits.map((c) => c.inputs)).toEqual([['in-1'], ['in-2'], ['in-3']]);
    expect(await Promise.all(numbers.map(async (n) => text(await store.get(ctx.nodeKey, `ITEM#${n}`))))).toEqual(['after 0', 'after 1', 'after 2']);
    expect(await sent(ctx)).toEqual([1, 2, 3]);
  });
});
