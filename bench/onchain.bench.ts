/**
 * On-chain watching (issue 17, "Measure"), on DynamoDB Local + fauxqs + the
 * embedded regtest chain, in one process:
 *
 * 1. The chain handler (functions/chain/handler.ts) run for one new block
 *    that touches none of the watched channels, for nodes with 1, 100 and
 *    1,000 of them (`BENCH_ONCHAIN_CHANNELS`, e.g. `1,10`): each channel's
 *    first monitor snapshot and its `CHAIN_WATCH#` item (phase `funding`),
 *    written by the store's own builder (`monitorItemWrites`) through a
 *    commit, a copy of one real monitor under its own channel id and funding
 *    outpoint (a faucet output to its funding script, confirmed). No ChannelManager header:
 *    only the monitors follow the chain here (the manager's part of a block
 *    with N channels is channel-manager.bench.ts's). The first sync of each
 *    node (every outpoint looked up) is not measured; then at each of
 *    `BENCH_ONCHAIN_RUNS` blocks (default 21) every node runs the handler
 *    once, in turn, so a change of load hits all the sets alike. Per run:
 *    wall time, DynamoDB requests, items and bytes read (of which the
 *    `CHAIN_WATCH#` Query's), items written; medians; the ratio to 1 channel.
 * 2. One channel's monitor after 1, 1,000 and 100,000 updates
 *    (`BENCH_MONITOR_UPDATES`), each a `latest-holder-commitment` step (our
 *    commitment n, the real monitor's transaction), committed as a handler
 *    commits them (`managerResult` with `monitorsBefore`: a snapshot every
 *    {@link MONITOR_UPDATES_PER_SNAPSHOT}, superseded items deleted), 32
 *    updates a commit: the `MONITOR#` items stored and their bytes, and what
 *    the monitor consumer's read (one newest-first Query, Limit N + 1) returns
 *    and uses.
 * 3. Justice: the two-node scenario of test/functions/force-close-pipeline.test.ts
 *    (A pays B; B's commitment that held the HTLC is revoked; B broadcasts it
 *    anyway): A synced to the tip, the revoked commitment mined in one block,
 *    A's broadcast queue emptied; then the one chain handler run of A that
 *    processes that block, timed, after which the justice transaction (all
 *    three outputs of the commitment) must be in A's broadcast queue: queued
 *    by that run. `BENCH_JUSTICE_RUNS` (default 3) fresh pairs.
 *
 * Nothing here is a pass/fail timing; test/bench/onchain.test.ts runs it light.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Transaction } from 'bitcoinjs-lib';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '../infra/local/dynamodb-local.js';
import { freePort } from '../infra/local/free-port.js';
import { startRegtestChain } from '../infra/local/regtest-chain/index.js';
import { startSqsLocal } from '../infra/local/sqs-local.js';
import { createChainHandler } from '../functions/chain/handler.js';
import { applyInput } from '../functions/runtime/invocation.js';
import { managerResult, monitorsBefore } from '../functions/runtime/manager-step.js';
import { createNodeContext, type NodeContext } from '../functions/runtime/node-context.js';
import { EsploraClient } from '../shared/chain/index.js';
import { sha256, toHex } from '../shared/crypto/index.js';
import { changesWith, type MonitorWrite } from '../shared/manager/index.js';
import { encodeMonitor, encodeMonitorUpdate, type ChannelMonitor, type ChannelMonitorUpdate } from '../shared/monitor/index.js';
import { decodeBroadcast } from '../shared/pipeline/envelopes.js';
import { FifoQueue } from '../shared/pipeline/queues.js';
import { MONITOR_UPDATES_PER_SNAPSHOT, NodeStore, SortKey, ensureNodeTable, isMonitorSnapshotKey, monitorFromItems, monitorItemWrites } from '../shared/store/index.js';
import { openedMonitor } from '../test/manager/manager-fixture.js';
import { revokedWithHtlc } from '../test/support/force-close-nodes.js';
import type { LocalServices } from '../test/support/local-services.js';
import { PipelineNet, type PipelineNode } from '../test/support/pipeline-nodes.js';
import { ms, percentile, printTable } from './measure.js';

const list = (name: string, fallback: string) => (process.env[name] ?? fallback).split(',').map((s) => Number(s.trim()));
const CHANNEL_COUNTS = list('BENCH_ONCHAIN_CHANNELS', '1,100,1000');
const RUNS = Number(process.env.BENCH_ONCHAIN_RUNS ?? 21);
const UPDATE_COUNTS = list('BENCH_MONITOR_UPDATES', '1,1000,100000');
const JUSTICE_RUNS = Number(process.env.BENCH_JUSTICE_RUNS ?? 3);
/** Updates per commit in part 2: 32 puts and at most 33 deletes, under DynamoDB's 100 items. */
const UPDATES_PER_COMMIT = 32;
const quiet = { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {} } as unknown as NodeContext['logger'];

/** DynamoDB requests of one handler run, counted by a middleware on the client. */
interface Io {
  requests: number;
  itemsRead: number;
  bytesRead: number;
  /** Items returned by Queries of `CHAIN_WATCH#`. */
  watchItemsRead: number;
  itemsWritten: number;
  /** Bytes of the items put (in a transaction or alone). */
  bytesWritten: number;
}
const emptyIo = (): Io => ({ requests: 0, itemsRead: 0, bytesRead: 0, watchItemsRead: 0, itemsWritten: 0, bytesWritten: 0 });
/** Where requests are counted now (only while a measured run is under way). */
let current: Io | undefined;

// DynamoDB's item size: attribute names and values.
function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^-/, '').length / 2) + 1;
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.L !== undefined) return 3 + v.L.reduce((n, x) => n + 1 + valueSize(x), 0);
  if (v.M !== undefined) return 3 + itemSize(v.M);
  return 0;
}
function itemSize(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((n, [name, v]) => n + Buffer.byteLength(name) + valueSize(v), 0);
}

type Input = { ExpressionAttributeValues?: Record<string, AttributeValue>; Item?: Record<string, AttributeValue>; TransactItems?: { Put?: { Item: Record<string, AttributeValue> }; ConditionCheck?: unknown }[] };
type Output = { Item?: Record<string, AttributeValue>; Items?: Record<string, AttributeValue>[]; Responses?: Record<string, Record<string, AttributeValue>[]> };

function count(io: Io, command: string, input: Input, output: Output): void {
  io.requests++;
  const read = [...(output.Item ? [output.Item] : []), ...(output.Items ?? []), ...Object.values(output.Responses ?? {}).flat()];
  io.itemsRead += read.length;
  io.bytesRead += read.reduce((n, item) => n + itemSize(item), 0);
  if (command === 'QueryCommand' && input.ExpressionAttributeValues?.[':prefix']?.S === SortKey.chainWatchPrefix) io.watchItemsRead += read.length;
  if (command === 'TransactWriteItemsCommand') {
    const writes = (input.TransactItems ?? []).filter((a) => a.ConditionCheck === undefined);
    io.itemsWritten += writes.length;
    io.bytesWritten += writes.reduce((n, a) => n + (a.Put ? itemSize(a.Put.Item) : 0), 0);
  } else if (command === 'PutItemCommand' || command === 'UpdateItemCommand' || command === 'DeleteItemCommand') {
    io.itemsWritten++;
    if (input.Item) io.bytesWritten += itemSize(input.Item);
  }
}

const dynamo = await startDynamoDbLocal({ port: await freePort() });
const dynamoClient = dynamo.client();
dynamoClient.middlewareStack.add(
  (next, context) => async (args) => {
    const result = await next(args);
    if (current !== undefined) count(current, context.commandName ?? '?', args.input as Input, result.output as Output);
    return result;
  },
  { step: 'initialize', name: 'benchCountIo' },
);
const sqs = await startSqsLocal({ port: await freePort(), visibilityTimeoutSec: 1 });
const chain = await startRegtestChain({ port: 0, dataDir: undefined });
const local: LocalServices = { dynamo: dynamoClient, sqs, chain };

async function fifo(): Promise<FifoQueue> {
  const created = await sqs.client.send(new CreateQueueCommand({ QueueName: `q-${randomUUID()}.fifo`, Attributes: { FifoQueue: 'true', VisibilityTimeout: '1' } }));
  return new FifoQueue(sqs.client, created.QueueUrl!);
}

async function nodeContext(label: string): Promise<NodeContext> {
  const tableName = `onchain-${label}-${randomUUID()}`;
  await ensureNodeTable(dynamoClient, tableName);
  return createNodeContext({
    seed: sha256(new TextEncoder().encode(`bench-onchain/${label}`)),
    network: 'regtest',
    store: new NodeStore({ client: dynamoClient, tableName }),
    outbound: await fifo(),
    broadcast: await fifo(),
    inbound: await fifo(),
    esploraUrl: chain.url,
    logger: quiet,
  });
}

/** `template` as the monitor of another channel: its own id and funding outpoint. */
function monitorCopy(template: ChannelMonitor, label: string, fundingOutpoint: ChannelMonitor['fundingOutpoint'] = template.fundingOutpoint): ChannelMonitor {
  return { ...template, channelId: sha256(new TextEncoder().encode(`channel ${label}`)), fundingOutpoint };
}

/** A funding output of its own on the chain (unconfirmed until the next block), to the template's funding script. */
function fundingOutput(template: ChannelMonitor): ChannelMonitor['fundingOutpoint'] {
  let txid: string;
  try {
    txid = chain.chain.faucet(template.fundingScriptPubKey, template.channelValueSatoshis);
  } catch {
    // The faucet's change chains in the mempool are limited: a block confirms them.
    chain.chain.mine(1);
    txid = chain.chain.faucet(template.fundingScriptPubKey, template.channelValueSatoshis);
  }
  const tx = chain.chain.transaction(txid)!.tx;
  const index = tx.outs.findIndex((o) => Buffer.compare(o.script, template.fundingScriptPubKey) === 0);
  return { txid: Uint8Array.from(tx.getHash()), index };
}

/**
 * `count` watched channels for `ctx`, each with a funding output of its own
 * on the chain: each monitor's first snapshot and `CHAIN_WATCH#` item, as
 * the store builds them, committed 40 channels at a time.
 */
async function watchChannels(ctx: NodeContext, template: ChannelMonitor, count: number): Promise<void> {
  for (let first = 0; first < count; first += 40) {
    const writes: MonitorWrite[] = Array.from({ length: Math.min(40, count - first) }, (_, i) => {
      const m = monitorCopy(template, `${count}/${first + i}`, fundingOutput(template));
      return { channelIdHex: toHex(m.channelId), updateId: 0n, bytes: encodeMonitor(m) };
    });
    const puts = monitorItemWrites(writes).flatMap((w) => [w.put, ...w.justice]);
    await applyInput(ctx, `watch-${first}`, async () => ({ puts, deletes: [], effects: [] }));
  }
  const watched = await ctx.store.query(ctx.nodeKey, SortKey.chainWatchPrefix);
  if (watched.length !== count) throw new Error(`${watched.length} CHAIN_WATCH items for ${count} channels`);
}

/** One chain handler run of `ctx` (an input of its own), timed and counted; it must apply. */
async function chainRun(ctx: NodeContext): Promise<{ ms: number; io: Io }> {
  const handler = createChainHandler(ctx);
  const io = emptyIo();
  current = io;
  const start = performance.now();
  const result = await handler({ id: randomUUID() }, {} as never);
  const elapsed = performance.now() - start;
  current = undefined;
  if (result.outcome !== 'applied') throw new Error(`chain handler run: ${result.outcome}`);
  return { ms: elapsed, io };
}

const median = (xs: readonly number[]) => percentile(xs, 0.5);

/** Part 1: one block touching none of N watched channels. */
async function blockWithWatchedChannels(template: ChannelMonitor): Promise<void> {
  const nodes = await Promise.all(CHANNEL_COUNTS.map(async (n) => ({ n, ctx: await nodeContext(`watch${n}`) })));
  for (const { n, ctx } of nodes) await watchChannels(ctx, template, n);
  // The first sync: every watched outpoint looked up (not measured).
  chain.chain.mine(1);
  for (const { ctx } of nodes) await chainRun(ctx);
  const samples = new Map(nodes.map(({ n }) => [n, [] as { ms: number; io: Io }[]]));
  const watchQueryMs = new Map(nodes.map(({ n }) => [n, [] as number[]]));
  const payer = testAddressScript();
  for (let run = 0; run < RUNS; run++) {
    // A block with a few transactions, none of them ours.
    for (let i = 0; i < 5; i++) chain.chain.faucet(payer, 10_000n + BigInt(i));
    chain.chain.mine(1);
    // Node order turns each block, so no set is always first after the block.
    for (let k = 0; k < nodes.length; k++) {
      const { n, ctx } = nodes[(run + k) % nodes.length]!;
      samples.get(n)!.push(await chainRun(ctx));
      // A Query of CHAIN_WATCH# alone, timed beside the run: what a run pays when the items changed (it then makes one, or two
      // when a write lands between the prefetch and the lease; none while they are unchanged: functions/chain/watch-items.ts).
      const start = performance.now();
      await ctx.store.query(ctx.nodeKey, SortKey.chainWatchPrefix);
      watchQueryMs.get(n)!.push(performance.now() - start);
    }
  }
  for (const { n, ctx } of nodes) {
    const watched = await ctx.store.query(ctx.nodeKey, SortKey.chainWatchPrefix);
    if (watched.length !== n) throw new Error(`the block changed the CHAIN_WATCH items of ${n} channels: ${watched.length} left`);
  }
  // The CHAIN item (the sync's view, its checked items a digest of fixed size), read and rewritten at every block.
  const rowsOf = await Promise.all(nodes.map(async ({ n, ctx }) => ({ n, chainBytes: (await ctx.store.get(ctx.nodeKey, SortKey.chain))?.length ?? 0 })));
  const base = median(samples.get(CHANNEL_COUNTS[0]!)!.map((s) => s.ms));
  printTable(`Chain handler, one new block touching none of the watched channels (monitors, CHAIN_WATCH# in phase funding; no ChannelManager); medians of ${RUNS} runs, interleaved`, [
    ['watched channels', 'handler ms p50', `× ${CHANNEL_COUNTS[0]} channel(s)`, 'DynamoDB requests', 'items read', 'of which CHAIN_WATCH#', 'bytes read', 'items written', 'bytes put', 'CHAIN item bytes', 'one CHAIN_WATCH# Query alone, ms p50 (a run makes none while unchanged)'],
    ...rowsOf.map(({ n, chainBytes }) => {
      const s = samples.get(n)!;
      const p50 = median(s.map((x) => x.ms));
      const io = (f: (io: Io) => number) => String(median(s.map((x) => f(x.io))));
      return [n.toLocaleString('en-US'), ms(p50), `×${(p50 / base).toFixed(2)}`, io((x) => x.requests), io((x) => x.itemsRead), io((x) => x.watchItemsRead), io((x) => x.bytesRead), io((x) => x.itemsWritten), io((x) => x.bytesWritten), chainBytes.toLocaleString('en-US'), ms(median(watchQueryMs.get(n)!))];
    }),
  ]);
}

/** A P2WPKH script of nobody's wallet here: the faucet's payee for blocks that touch none of the channels. */
function testAddressScript(): Uint8Array {
  return Uint8Array.of(0x00, 0x14, ...sha256(new TextEncoder().encode('bench onchain payee')).subarray(0, 20));
}

/** Part 2: one channel's monitor items after 1, 1,000 and 100,000 updates. */
async function monitorGrowth(template: ChannelMonitor): Promise<void> {
  const ctx = await nodeContext('monitor');
  const store = ctx.store;
  const monitor = monitorCopy(template, 'growth');
  const id = toHex(monitor.channelId);
  // Our commitment n: the real monitor's transaction and a signature, no HTLCs (a step the dance writes at every payment).
  const updateOf = (u: bigint): ChannelMonitorUpdate => ({
    channelId: monitor.channelId,
    updateId: u,
    steps: [{ kind: 'latest-holder-commitment', commitmentNumber: u, counterpartySignature: new Uint8Array(64).fill(Number(u % 251n)), commitmentTx: monitor.holderCommitmentTx!, htlcSignatures: [], htlcs: [] }],
  });
  const lease = await store.acquireLease(ctx.nodeKey, 'bench-monitor', 3_600_000);
  const commit = async (writes: MonitorWrite[]) => {
    const changes = changesWith({ monitors: { put: writes } });
    const result = managerResult(changes, undefined, await monitorsBefore(ctx, store, changes));
    await store.commit(lease, { puts: result.puts, deletes: result.deletes });
  };
  await commit([{ channelIdHex: id, updateId: 0n, bytes: encodeMonitor(monitor) }]);
  const rows: string[][] = [['updates', 'MONITOR# items stored', 'bytes stored (data)', 'largest item (data)', 'monitor read: items returned (Query, Limit N + 1)', 'items used', 'the monitor read: latest update', 'ms to write these updates']];
  let written = 0n;
  for (const target of UPDATE_COUNTS.map(BigInt)) {
    const start = performance.now();
    while (written < target) {
      const size = Math.min(UPDATES_PER_COMMIT, Number(target - written));
      await commit(Array.from({ length: size }, (_, i) => {
        const u = written + 1n + BigInt(i);
        return { channelIdHex: id, updateId: u, bytes: encodeMonitorUpdate(updateOf(u)) };
      }));
      written += BigInt(size);
    }
    const elapsed = performance.now() - start;
    const all = await store.query(ctx.nodeKey, SortKey.monitorPrefix(id));
    const bytes = all.reduce((n, i) => n + i.data.length, 0);
    const largest = Math.max(...all.map((i) => i.data.length));
    // What the monitor consumer reads (functions/chain/monitor-consumer.ts `#monitor`).
    const newest = await store.query(ctx.nodeKey, SortKey.monitorPrefix(id), Number(MONITOR_UPDATES_PER_SNAPSHOT) + 1, 'newest-first');
    const read = monitorFromItems(id, newest);
    if (read === undefined || read.monitor.latestUpdateId !== target || read.monitor.holderCommitmentNumber !== target) throw new Error(`the monitor read after ${target} updates is at ${read?.monitor.latestUpdateId}`);
    // Every item left is the current snapshot's or after it, or one the next updates delete (at most N − 1 + the snapshot before).
    const snapshots = all.filter((i) => isMonitorSnapshotKey(i.sk)).length;
    if (all.length > 2 * Number(MONITOR_UPDATES_PER_SNAPSHOT) || snapshots > 2) throw new Error(`${all.length} items (${snapshots} snapshots) after ${target} updates: not bounded by the compaction`);
    rows.push([target.toLocaleString('en-US'), String(all.length), bytes.toLocaleString('en-US'), largest.toLocaleString('en-US'), String(newest.length), String(read.itemsUsed), String(read.monitor.latestUpdateId), ms(elapsed)]);
  }
  await store.releaseLease(lease);
  printTable(`One channel's monitor after N updates (a latest-holder-commitment step each, ${UPDATES_PER_COMMIT} a commit, through managerResult + monitorsBefore; a snapshot every ${MONITOR_UPDATES_PER_SNAPSHOT})`, rows);
}

/** Every transaction in `node`'s broadcast queue, emptied. */
async function queued(node: PipelineNode): Promise<Transaction[]> {
  const out: Transaction[] = [];
  for (let batch = await node.ctx.broadcast!.receive(10, 0); batch.length > 0; batch = await node.ctx.broadcast!.receive(10, 0)) {
    for (const m of batch) {
      out.push(Transaction.fromHex(decodeBroadcast(m.body).hex));
      await node.ctx.broadcast!.delete(m.receiptHandle);
    }
  }
  return out;
}

const spends = (tx: Transaction, txid: string) => tx.ins.some((x) => Buffer.from(x.hash).reverse().toString('hex') === txid);

/** Part 3: from the block confirming a revoked commitment to the justice transaction in the broadcast queue. */
async function justiceLatency(): Promise<void> {
  const net = new PipelineNet(local);
  const esplora = new EsploraClient(chain.url);
  const rows: string[][] = [['pair', 'chain handler ms (the run processing the block)', 'justice tx queued by that run', 'inputs taken from the revoked commitment', 'DynamoDB requests', 'items read', 'items written']];
  const times: number[] = [];
  for (let r = 0; r < JUSTICE_RUNS; r++) {
    const { a, revoked } = await revokedWithHtlc(local, net, `justice${r}-${randomUUID().slice(0, 8)}`);
    const txid = revoked.getId();
    // A at the tip, nothing of A's waiting in its broadcast queue.
    await net.sync(a);
    await queued(a);
    await esplora.broadcast(revoked.toBuffer());
    await net.mine(1);
    const before = await queued(a);
    if (before.some((t) => spends(t, txid))) throw new Error('a spend of the revoked commitment was queued before the run');
    const run = await chainRun(a.ctx);
    const after = await queued(a);
    const justice = after.find((t) => spends(t, txid));
    if (justice === undefined) throw new Error(`the run processing the block of the revoked commitment queued no spend of it (${after.length} transactions queued)`);
    const taken = justice.ins.filter((x) => Buffer.from(x.hash).reverse().toString('hex') === txid).length;
    const expected = revoked.outs.filter((o) => o.value > 330n).length;
    if (taken !== expected) throw new Error(`the justice transaction takes ${taken} of the commitment's ${expected} outputs`);
    times.push(run.ms);
    rows.push([String(r + 1), ms(run.ms), `yes: ${justice.getId().slice(0, 16)}…`, `${taken} of ${expected}`, String(run.io.requests), String(run.io.itemsRead), String(run.io.itemsWritten)]);
  }
  printTable('Justice: the revoked commitment confirmed in one block, then A\'s one chain handler run that processes that block (asserted: the justice transaction is in A\'s broadcast queue after that run, not before it)', rows);
  console.log(`\njustice: block confirming the revoked commitment → justice transaction in the broadcast queue, by the same chain handler run: p50 ${ms(median(times))} ms over ${times.length} pair(s)`);
}

// The services are stopped also when the bench fails (they would keep the process alive).
try {
  const template = openedMonitor();
  await blockWithWatchedChannels(template);
  await monitorGrowth(template);
  await justiceLatency();
} finally {
  await chain.stop();
  await sqs.stop();
  dynamoClient.destroy();
  await dynamo.stop();
}
