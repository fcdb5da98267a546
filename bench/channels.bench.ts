/**
 * Channel establishment through the peer-message handler (issue 5 wiring):
 * two of our nodes on DynamoDB Local + fauxqs open channels to each other;
 * for each establishment message, the handler's time (lease, loads, core,
 * commit, relay) and the DynamoDB item bytes it read and wrote.
 * (channel_ready comes from the chain handler: see bench/chain.bench.ts.)
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { SQSEvent } from 'aws-lambda';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { startDynamoDbLocal } from '../infra/local/dynamodb-local.js';
import { freePort } from '../infra/local/free-port.js';
import { startSqsLocal } from '../infra/local/sqs-local.js';
import { createPeerMessageHandler } from '../functions/peer-message/handler.js';
import { applyInput } from '../functions/runtime/invocation.js';
import { createNodeContext, type NodeContext } from '../functions/runtime/node-context.js';
import { sha256 } from '../shared/crypto/index.js';
import { decodeOutbound, outboundParts, encodeInbound, type InboundEnvelope } from '../shared/pipeline/envelopes.js';
import { FifoQueue } from '../shared/pipeline/queues.js';
import { NodeStore, SortKey, encodeOutboxRecord, ensureNodeTable } from '../shared/store/index.js';
import { EMPTY_WALLET_STATE, Keychain, encodeWalletState } from '../shared/wallet/index.js';
import { decodeMessage } from '../shared/wire/index.js';
import { storeNodeApi } from '../functions/http/store-node-api.js';
import { ms, percentile, printTable } from './measure.js';

/** Channels opened, one after another (`BENCH_CHANNELS` overrides; nothing is mined, so the wallet must cover them all): 40 gives medians past most of the JIT warm-up of DynamoDB Local. */
const CHANNELS = Number(process.env.BENCH_CHANNELS ?? 40);
const NAMES: Readonly<Record<number, string>> = { 16: 'init', 32: 'open_channel', 33: 'accept_channel (+ wallet funding)', 34: 'funding_created', 35: 'funding_signed' };
const quiet = { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {} } as unknown as NodeContext['logger'];

const dynamo = await startDynamoDbLocal({ port: await freePort() });
const dynamoClient = dynamo.client();
const sqs = await startSqsLocal({ port: await freePort(), visibilityTimeoutSec: 1 });

/** Item bytes read and written through one store (the `data` attribute of each item). */
const io = { read: 0, written: 0 };
function counted(store: NodeStore): NodeStore {
  const wrapped = Object.create(store) as NodeStore;
  const sum = (items: Iterable<Uint8Array>) => [...items].reduce((n, d) => n + d.length, 0);
  wrapped.get = async (k, sk) => {
    const d = await store.get(k, sk);
    io.read += d?.length ?? 0;
    return d;
  };
  wrapped.getMany = async (k, sks) => {
    const m = await store.getMany(k, sks);
    io.read += sum(m.values());
    return m;
  };
  wrapped.query = async (k, prefix) => {
    const items = await store.query(k, prefix);
    io.read += sum(items.map((i) => i.data));
    return items;
  };
  wrapped.commit = async (lease, commit) => {
    // The outbox is one item per input: its bytes are the encoded record (ids, groups and bodies of every message).
    io.written += sum((commit.puts ?? []).map((p) => p.data)) + (commit.outbox?.length ? encodeOutboxRecord(commit.outbox).length : 0);
    return store.commit(lease, commit);
  };
  return wrapped;
}

async function fifo(): Promise<FifoQueue> {
  const created = await sqs.client.send(new CreateQueueCommand({ QueueName: `q-${randomUUID()}.fifo`, Attributes: { FifoQueue: 'true', VisibilityTimeout: '1' } }));
  return new FifoQueue(sqs.client, created.QueueUrl!);
}

async function node(label: string) {
  const tableName = `bench-${label}`;
  await ensureNodeTable(dynamoClient, tableName);
  const ctx = createNodeContext({
    seed: sha256(new TextEncoder().encode(`bench/${label}`)),
    network: 'regtest',
    store: counted(new NodeStore({ client: dynamoClient, tableName })),
    outbound: await fifo(),
    broadcast: await fifo(),
    esploraUrl: 'http://127.0.0.1:9',
    logger: quiet,
  });
  return { ctx, handler: createPeerMessageHandler(ctx) };
}
type Node = Awaited<ReturnType<typeof node>>;

let seq = 0;
const samples = new Map<number, { ms: number[]; read: number[]; written: number[] }>();

async function deliver(to: Node, envelope: InboundEnvelope, type: number): Promise<void> {
  const event = {
    Records: [{ messageId: randomUUID(), body: encodeInbound(envelope), attributes: { MessageGroupId: 'g', MessageDeduplicationId: `d${seq++}` } }],
  } as unknown as SQSEvent;
  io.read = 0;
  io.written = 0;
  const t = performance.now();
  const result = await to.handler(event, {} as never);
  const elapsed = performance.now() - t;
  if (result.batchItemFailures.length > 0) throw new Error(`message ${type} failed`);
  const s = samples.get(type) ?? { ms: [], read: [], written: [] };
  s.ms.push(elapsed);
  s.read.push(io.read);
  s.written.push(io.written);
  samples.set(type, s);
}

async function relay(a: Node, b: Node): Promise<void> {
  for (let idle = 0; idle < 2; ) {
    let moved = 0;
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const received = await from.ctx.outbound.receive(10, 0);
      for (const m of received) await from.ctx.outbound.delete(m.receiptHandle);
      for (const out of received.flatMap((m) => outboundParts(decodeOutbound(m.body)))) {
        if (out.kind !== 'send') continue;
        const decoded = decodeMessage(out.message);
        const type = decoded.kind === 'message' ? decoded.message.type : -1;
        await deliver(to, { kind: 'message', peer: from.ctx.nodeKey, connectionId: 'c', seq: seq++, message: out.message }, type);
        moved++;
      }
    }
    idle = moved === 0 ? idle + 1 : 0;
  }
  for (const n of [a, b]) while ((await n.ctx.broadcast!.receive(10, 0)).length > 0);
}

const [a, b] = [await node('a'), await node('b')];
// Two confirmed coins: each funding spends the change of the one before, and the wallet keeps such a chain within 25 unconfirmed transactions.
const coins = [0, 1].map((vout) => ({ txid: 'ab'.repeat(32), vout, valueSat: 5_000_000_000n, keychain: Keychain.receive, index: 0, height: 5 }));
await applyInput(a.ctx, 'fund', async () => ({
  puts: [{ sk: SortKey.wallet, data: encodeWalletState({ ...EMPTY_WALLET_STATE, nextIndex: [1, 0], usedCount: [1, 0], utxos: coins, syncedHeight: 10 }) }],
  deletes: [],
  effects: [],
}));
await a.handler({ Records: [{ messageId: 'x', body: encodeInbound({ kind: 'connected', peer: b.ctx.nodeKey, connectionId: 'c', inbound: false, address: '127.0.0.1:1' }), attributes: { MessageDeduplicationId: 'ca' } }] } as unknown as SQSEvent, {} as never);
await b.handler({ Records: [{ messageId: 'y', body: encodeInbound({ kind: 'connected', peer: a.ctx.nodeKey, connectionId: 'c', inbound: true, address: '127.0.0.1:2' }), attributes: { MessageDeduplicationId: 'cb' } }] } as unknown as SQSEvent, {} as never);
await relay(a, b);
samples.clear();
for (let i = 0; i < CHANNELS; i++) {
  await storeNodeApi(a.ctx).openChannel({ nodeId: b.ctx.nodeKey, amountSat: 100_000n, pushMsat: 0n, public: false });
  await relay(a, b);
}
const open = await storeNodeApi(a.ctx).listChannels();
if (open.length !== CHANNELS || open.some((c) => c.state !== 'awaiting-confirmation')) throw new Error('the channels did not all reach funding_signed');

const rows: string[][] = [['message (handled by)', 'n', 'p50 ms', 'p90 ms', 'item bytes read p50', 'item + outbox bytes written p50']];
for (const [type, s] of [...samples].sort(([x], [y]) => x - y)) {
  rows.push([NAMES[type] ?? String(type), String(s.ms.length), ms(percentile(s.ms, 0.5)), ms(percentile(s.ms, 0.9)), String(percentile(s.read, 0.5)), String(percentile(s.written, 0.5))]);
}
printTable(`Channel establishment through the peer-message handler (DynamoDB Local + fauxqs, ${CHANNELS} channels, one after another; the ${CHANNELS}th with ${CHANNELS - 1} channels stored)`, rows);

await sqs.stop();
dynamoClient.destroy();
await dynamo.stop();
