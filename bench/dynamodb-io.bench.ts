/**
 * DynamoDB I/O per peer message (issue 14), before and after one lease per
 * SQS batch, in one run: two of our nodes on DynamoDB Local + fauxqs, the
 * same streams of peer messages handed to the peer-message handler
 *
 * - "before": one record per SQS event (one lease per message: taken, then
 *   released in the message's commit, or by an `UpdateItem` when nothing
 *   changed);
 * - "after": 10 records per event (one lease per batch: taken at the first
 *   record, released in the last record's commit; functions/runtime/invocation.ts
 *   `LeaseSession`).
 *
 * Streams: the establishment messages of `BENCH_IO_CHANNELS` channels (default
 * 20) opened by one node to the other in waves of 4 (the most unfunded
 * channels one peer may have with us): `open_channel`, `accept_channel` with
 * the wallet's funding, `funding_created`, `funding_signed`, each
 * direction's messages delivered in order, in events of 1 or of all that
 * were queued (4 here); and a burst of `BENCH_IO_PINGS` pings (default 100)
 * to one node, in events of 1 or 10 (no state change: the handler sends the
 * pong without a commit).
 *
 * Counted by an AWS SDK middleware on the DynamoDBClient the stores use,
 * during the handler's calls only: requests by command and by kind (lease =
 * `UpdateItem` of `LEASE`; input check = `GetItem` of `INPUT#`; reads = the
 * other `GetItem`, `BatchGetItem` and `Query`; commit = `TransactWriteItems`;
 * outbox = the `Query` of `OUTBOX#` (a predecessor's leftovers) and the
 * `DeleteItem` of an outbox or cleanup item), items and bytes read (items
 * returned) and written (each `Put`, `Update` and `Delete`, in a transaction
 * or alone; a `ConditionCheck` writes nothing). Bytes are DynamoDB's item
 * size: attribute names + values (of a delete or an update: its key and the
 * values it sets). Medians of the handler's time are printed; nothing here
 * is a pass/fail timing.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '../infra/local/dynamodb-local.js';
import { freePort } from '../infra/local/free-port.js';
import { startSqsLocal } from '../infra/local/sqs-local.js';
import { createPeerMessageHandler } from '../functions/peer-message/handler.js';
import { applyInput } from '../functions/runtime/invocation.js';
import { createNodeContext, type NodeContext } from '../functions/runtime/node-context.js';
import { storeNodeApi } from '../functions/http/store-node-api.js';
import { sha256 } from '../shared/crypto/index.js';
import { MAX_UNFUNDED_CHANNELS_PER_PEER } from '../shared/manager/manager-config.js';
import { decodeOutbound, outboundParts, encodeInbound } from '../shared/pipeline/envelopes.js';
import { FifoQueue } from '../shared/pipeline/queues.js';
import { NodeStore, SortKey, ensureNodeTable } from '../shared/store/index.js';
import { EMPTY_WALLET_STATE, Keychain, encodeWalletState } from '../shared/wallet/index.js';
import { decodeMessage, encodeMessage } from '../shared/wire/index.js';
import { ms, percentile, printTable } from './measure.js';

const CHANNELS = Number(process.env.BENCH_IO_CHANNELS ?? 20);
const PINGS = Number(process.env.BENCH_IO_PINGS ?? 100);
const MODES = [
  { label: 'before: 1 record per event (a lease per message)', batch: 1 },
  { label: 'after: up to 10 records per event (a lease per batch)', batch: 10 },
] as const;
const KINDS = ['lease', 'input check', 'reads', 'commit', 'outbox', 'other'] as const;
type Kind = (typeof KINDS)[number];
const quiet = { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {} } as unknown as NodeContext['logger'];

/** What the handler's DynamoDB requests cost, summed over one stream. */
interface Io {
  readonly byCommand: Map<string, number>;
  readonly byKind: Map<Kind, number>;
  itemsRead: number;
  bytesRead: number;
  itemsWritten: number;
  bytesWritten: number;
}
const emptyIo = (): Io => ({ byCommand: new Map(), byKind: new Map(), itemsRead: 0, bytesRead: 0, itemsWritten: 0, bytesWritten: 0 });

/** Where requests are counted now (only while a handler runs). */
let current: Io | undefined;

// DynamoDB's item size: attribute names and values (a number: about one byte per two digits, plus one).
function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^-/, '').length / 2) + 1;
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.L !== undefined) return 3 + v.L.reduce((n, x) => n + 1 + valueSize(x), 0);
  if (v.M !== undefined) return 3 + itemSize(v.M);
  if (v.SS !== undefined) return v.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
  return 0;
}
function itemSize(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((n, [name, v]) => n + Buffer.byteLength(name) + valueSize(v), 0);
}
/** An update's or a delete's bytes: its key and the values it sets. */
function keyAndValues(key: Record<string, AttributeValue> | undefined, values: Record<string, AttributeValue> | undefined): number {
  return itemSize(key ?? {}) + Object.values(values ?? {}).reduce((n, v) => n + valueSize(v), 0);
}

type Input = Record<string, unknown> & {
  Key?: Record<string, AttributeValue>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
  TransactItems?: { Put?: { Item: Record<string, AttributeValue> }; Update?: { Key: Record<string, AttributeValue>; ExpressionAttributeValues?: Record<string, AttributeValue> }; Delete?: { Key: Record<string, AttributeValue> } }[];
};
type Output = { Item?: Record<string, AttributeValue>; Items?: Record<string, AttributeValue>[]; Responses?: Record<string, Record<string, AttributeValue>[]> };

function kindOf(command: string, input: Input): Kind {
  const sk = input.Key?.['sk']?.S ?? '';
  switch (command) {
    case 'UpdateItemCommand':
      return sk === SortKey.lease ? 'lease' : 'other';
    case 'GetItemCommand':
      return sk.startsWith('INPUT#') ? 'input check' : 'reads';
    case 'BatchGetItemCommand':
      return 'reads';
    case 'QueryCommand':
      return input.ExpressionAttributeValues?.[':prefix']?.S === SortKey.outboxPrefix ? 'outbox' : 'reads';
    case 'TransactWriteItemsCommand':
      return 'commit';
    case 'DeleteItemCommand':
      return sk.startsWith(SortKey.outboxPrefix) ? 'outbox' : 'other';
    default:
      return 'other';
  }
}

function count(io: Io, command: string, input: Input, output: Output): void {
  io.byCommand.set(command, (io.byCommand.get(command) ?? 0) + 1);
  const kind = kindOf(command, input);
  io.byKind.set(kind, (io.byKind.get(kind) ?? 0) + 1);
  const read = [...(output.Item ? [output.Item] : []), ...(output.Items ?? []), ...Object.values(output.Responses ?? {}).flat()];
  io.itemsRead += read.length;
  io.bytesRead += read.reduce((n, item) => n + itemSize(item), 0);
  if (command === 'TransactWriteItemsCommand') {
    for (const action of input.TransactItems ?? []) {
      if (action.Put) io.bytesWritten += itemSize(action.Put.Item);
      else if (action.Update) io.bytesWritten += keyAndValues(action.Update.Key, action.Update.ExpressionAttributeValues);
      else if (action.Delete) io.bytesWritten += keyAndValues(action.Delete.Key, undefined);
      else continue;
      io.itemsWritten++;
    }
  } else if (command === 'UpdateItemCommand' || command === 'DeleteItemCommand' || command === 'PutItemCommand') {
    io.itemsWritten++;
    io.bytesWritten += command === 'PutItemCommand' ? itemSize((input as { Item: Record<string, AttributeValue> }).Item) : keyAndValues(input.Key, input.ExpressionAttributeValues);
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

async function fifo(): Promise<FifoQueue> {
  const created = await sqs.client.send(new CreateQueueCommand({ QueueName: `q-${randomUUID()}.fifo`, Attributes: { FifoQueue: 'true', VisibilityTimeout: '1' } }));
  return new FifoQueue(sqs.client, created.QueueUrl!);
}

async function node(label: string) {
  const tableName = `io-${label}`;
  await ensureNodeTable(dynamoClient, tableName);
  const ctx = createNodeContext({
    seed: sha256(new TextEncoder().encode(`bench-io/${label}`)),
    network: 'regtest',
    store: new NodeStore({ client: dynamoClient, tableName }),
    outbound: await fifo(),
    broadcast: await fifo(),
    inbound: await fifo(),
    esploraUrl: 'http://127.0.0.1:9',
    logger: quiet,
  });
  return { ctx, handler: createPeerMessageHandler(ctx) };
}
type Node = Awaited<ReturnType<typeof node>>;

let seq = 0;

/** Everything waiting in `queue`, in order, deleted. */
async function drain(queue: FifoQueue): Promise<string[]> {
  const out: string[] = [];
  for (let idle = 0; idle < 2; ) {
    const got = await queue.receive(10, 0);
    for (const m of got) {
      await queue.delete(m.receiptHandle);
      out.push(m.body);
    }
    idle = got.length === 0 ? idle + 1 : 0;
  }
  return out;
}

/** A stream's cost in one mode: the I/O, the messages and events, the handler's time per event. */
interface Run {
  readonly io: Io;
  messages: number;
  events: number;
  readonly eventMs: number[];
}

/** Hands `messages` (wire bytes, from `from`) to `to`'s handler in events of `batch` records, counting its DynamoDB I/O into `run`. */
async function deliver(from: Node, to: Node, messages: readonly Uint8Array[], batch: number, run: Run | undefined): Promise<void> {
  for (let i = 0; i < messages.length; i += batch) {
    const records = messages.slice(i, i + batch).map((message) => {
      const s = seq++;
      return {
        messageId: randomUUID(),
        body: encodeInbound({ kind: 'message', peer: from.ctx.nodeKey, connectionId: 'c', seq: s, message }),
        attributes: { MessageGroupId: from.ctx.nodeKey, MessageDeduplicationId: `d${s}` },
      } as unknown as SQSRecord;
    });
    current = run?.io;
    const t = performance.now();
    const result = await to.handler({ Records: records } as SQSEvent, {} as never);
    const elapsed = performance.now() - t;
    current = undefined;
    if (process.env.BENCH_IO_TRACE) console.error(`delivered ${records.length} to ${to.ctx.nodeKey.slice(0, 8)} in ${elapsed.toFixed(0)} ms`);
    if (result.batchItemFailures.length > 0) throw new Error(`${result.batchItemFailures.length} records failed`);
    if (run) {
      run.messages += records.length;
      run.events++;
      run.eventMs.push(elapsed);
    }
  }
}

/** The peer messages `n` queued for its peer, in order. */
async function sent(n: Node): Promise<Uint8Array[]> {
  return (await drain(n.ctx.outbound)).flatMap((body) => {
    return outboundParts(decodeOutbound(body)).flatMap((out) => (out.kind === 'send' ? [out.message] : []));
  });
}

/** Two fresh nodes, connected, the opener's wallet funded. */
async function pair(label: string): Promise<[Node, Node]> {
  const [a, b] = [await node(`${label}-a`), await node(`${label}-b`)];
  // A confirmed coin per channel opened at once (and a few more).
  const coins = Array.from({ length: CHANNELS + 4 }, (_, vout) => vout).map((vout) => ({ txid: 'ab'.repeat(32), vout, valueSat: 5_000_000_000n, keychain: Keychain.receive, index: 0, height: 5 }));
  await applyInput(a.ctx, 'fund', async () => ({
    puts: [{ sk: SortKey.wallet, data: encodeWalletState({ ...EMPTY_WALLET_STATE, nextIndex: [1, 0], usedCount: [1, 0], utxos: coins, syncedHeight: 10 }) }],
    deletes: [],
    effects: [],
  }));
  const connected = (n: Node, peer: Node, inbound: boolean) =>
    n.handler({ Records: [{ messageId: randomUUID(), body: encodeInbound({ kind: 'connected', peer: peer.ctx.nodeKey, connectionId: 'c', inbound, address: '127.0.0.1:1' }), attributes: { MessageDeduplicationId: `c${seq++}` } }] } as unknown as SQSEvent, {} as never);
  await connected(a, b, false);
  await connected(b, a, true);
  // The init exchange: not measured.
  for (let moved = true; moved; ) {
    const [toB, toA] = [await sent(a), await sent(b)];
    await deliver(a, b, toB, 10, undefined);
    await deliver(b, a, toA, 10, undefined);
    moved = toA.length + toB.length > 0;
  }
  return [a, b];
}

/**
 * `channels` opened by `a` to `b`, in waves of {@link MAX_UNFUNDED_CHANNELS_PER_PEER} (4: `b` refuses more
 * unfunded channels from one peer, as LDK does); each wave's messages delivered each way in events of up to `batch`.
 */
async function establishment(a: Node, b: Node, channels: number, batch: number, run: Run | undefined): Promise<void> {
  for (let opened = 0; opened < channels; opened += MAX_UNFUNDED_CHANNELS_PER_PEER) {
    for (let i = opened; i < Math.min(channels, opened + MAX_UNFUNDED_CHANNELS_PER_PEER); i++) {
      await storeNodeApi(a.ctx).openChannel({ nodeId: b.ctx.nodeKey, amountSat: 100_000n, pushMsat: 0n, public: false });
    }
    for (let moved = true; moved; ) {
      const toB = await sent(a);
      await deliver(a, b, toB, batch, run);
      const toA = await sent(b);
      await deliver(b, a, toA, batch, run);
      moved = toA.length + toB.length > 0;
    }
  }
  for (const n of [a, b]) await drain(n.ctx.broadcast!);
  const open = await storeNodeApi(a.ctx).listChannels();
  if (open.filter((c) => c.state === 'awaiting-confirmation').length < channels) {
    throw new Error(`the channels did not all reach funding_signed: ${JSON.stringify(open.map((c) => c.state))}`);
  }
}

const ping = encodeMessage({ type: 18, numPongBytes: 4, ignored: new Uint8Array(0) });
async function pings(a: Node, b: Node, count: number, batch: number, run: Run | undefined): Promise<void> {
  await deliver(a, b, Array.from({ length: count }, () => ping), batch, run);
  const pongs = (await sent(b)).filter((m) => {
    const d = decodeMessage(m);
    return d.kind === 'message' && d.message.type === 19;
  });
  if (pongs.length !== count) throw new Error(`${pongs.length} pongs for ${count} pings`);
}

// The services are stopped also when the bench fails (they would keep the process alive).
try {
  // Warm-up (JIT, DynamoDB Local): both modes, a few messages, not counted.
  {
    const [a, b] = await pair('warm');
    for (const { batch } of MODES) {
      await establishment(a, b, 2, batch, undefined);
      await pings(a, b, 20, batch, undefined);
    }
  }

  const STREAMS = [
    { label: `establishment of ${CHANNELS} channels`, run: (a: Node, b: Node, batch: number, r: Run) => establishment(a, b, CHANNELS, batch, r) },
    { label: `${PINGS} pings`, run: (a: Node, b: Node, batch: number, r: Run) => pings(a, b, PINGS, batch, r) },
  ] as const;
  const results: { stream: string; mode: string; run: Run }[] = [];
  for (const [m, mode] of MODES.entries()) {
    const [a, b] = await pair(`m${m}`);
    for (const stream of STREAMS) {
      const run: Run = { io: emptyIo(), messages: 0, events: 0, eventMs: [] };
      await stream.run(a, b, mode.batch, run);
      results.push({ stream: stream.label, mode: mode.label, run });
    }
  }

  const per = (n: number, r: Run) => (n / r.messages).toFixed(2);
  printTable(`DynamoDB requests per peer message, by kind (DynamoDB Local + fauxqs; the same streams in both modes, one run)`, [
    ['stream', 'mode', 'messages', 'events', ...KINDS, 'total'],
    ...results.map(({ stream, mode, run }) => [
      stream,
      mode,
      String(run.messages),
      String(run.events),
      ...KINDS.map((k) => per(run.io.byKind.get(k) ?? 0, run)),
      per([...run.io.byKind.values()].reduce((x, y) => x + y, 0), run),
    ]),
  ]);
  const commands = [...new Set(results.flatMap(({ run }) => [...run.io.byCommand.keys()]))].sort();
  printTable('DynamoDB requests per peer message, by command', [
    ['stream', 'mode', ...commands.map((c) => c.replace(/Command$/, ''))],
    ...results.map(({ stream, mode, run }) => [stream, mode, ...commands.map((c) => per(run.io.byCommand.get(c) ?? 0, run))]),
  ]);
  printTable('DynamoDB items and bytes per peer message (item size: attribute names + values), and the handler time', [
    ['stream', 'mode', 'items read', 'bytes read', 'items written', 'bytes written', 'handler ms per event p50', 'per message (p50 / batch)'],
    ...results.map(({ stream, mode, run }) => {
      const p50 = percentile(run.eventMs, 0.5);
      return [stream, mode, per(run.io.itemsRead, run), (run.io.bytesRead / run.messages).toFixed(0), per(run.io.itemsWritten, run), (run.io.bytesWritten / run.messages).toFixed(0), ms(p50), ms(p50 / (run.messages / run.events))];
    }),
  ]);
  console.log('');
  for (const stream of STREAMS) {
    const [before, after] = MODES.map((mode) => results.find((r) => r.stream === stream.label && r.mode === mode.label)!.run);
    const total = (r: Run) => [...r.io.byKind.values()].reduce((x, y) => x + y, 0) / r.messages;
    console.log(
      `${stream.label}: ${total(before!).toFixed(2)} → ${total(after!).toFixed(2)} requests per message (×${(total(after!) / total(before!)).toFixed(2)}); ` +
        `lease ${per(before!.io.byKind.get('lease') ?? 0, before!)} → ${per(after!.io.byKind.get('lease') ?? 0, after!)}; ` +
        `bytes written ${per(before!.io.bytesWritten, before!)} → ${per(after!.io.bytesWritten, after!)}`,
    );
  }
} finally {
  await sqs.stop();
  dynamoClient.destroy();
  await dynamo.stop();
}
