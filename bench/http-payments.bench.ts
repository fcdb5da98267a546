/**
 * Payments over the HTTP API through the embedded deployment (issue 16,
 * "Measure"): our node (what `npm start` runs: DynamoDB Local, fauxqs, the
 * gateway, the handlers) with one channel to a real LDK node (npm
 * `lightningdevkit` 0.1.0) on the embedded regtest chain.
 *
 * - send: from `POST /v1/payments` (an LDK invoice) until the
 *   `payment-sent` webhook reaches a receiver on 127.0.0.1 (the delivery is
 *   started right after the commit that marks the payment `succeeded`);
 * - receive: from LDK's `send_payment` of one of our `POST /v1/invoices`
 *   until the `payment-received` webhook arrives;
 * one at a time (each starts once neither side holds an HTLC: the previous
 * one settled), then 20 in flight each way at once (payments per second).
 * LDK runs its event processing every 5 ms and claims as soon as it sees a
 * payment claimable (polled every 2 ms): both are inside the times.
 *
 * Costs, counted on the clients the handlers use: DynamoDB requests by
 * command, items and bytes written, the capacity units DynamoDB Local
 * reports (`ReturnConsumedCapacity`), failed conditional writes; SQS
 * messages sent. And the pipeline's overhead: each stretch under the node's
 * lease (take → release or commit) timed against the DynamoDB requests
 * within it, and against the bare calls such a message needs (take the
 * lease, read, one TransactWriteItems of the same size) timed in the same run.
 *
 * `BENCH_HTTP_PAYMENTS` (default 30) payments one at a time each way,
 * `BENCH_HTTP_ROUNDS` (default 3) rounds of 20 in flight each way, after
 * `BENCH_HTTP_WARMUP_ROUNDS` (default 1) untimed ones (as the payments bench's
 * warm-up round).
 * `npm run bench -- http-payments`. Timing never gates anything.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { GetItemCommand, TransactWriteItemsCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import * as ldk from 'lightningdevkit';
import { toHex } from '../shared/crypto/index.js';
import { EmbeddedWithLdk } from '../test/support/embedded-ldk.js';
import { ldkEvents } from '../test/support/manager-ldk.js';
import { ms, percentile, printTable } from './measure.js';

const SEQUENTIAL = Number(process.env['BENCH_HTTP_PAYMENTS'] ?? 30);
const ROUNDS = Number(process.env['BENCH_HTTP_ROUNDS'] ?? 3);
/** Rounds of 20 in flight each way run first and not timed (`BENCH_HTTP_WARMUP_ROUNDS`, default 1). */
const WARMUP_ROUNDS = Number(process.env['BENCH_HTTP_WARMUP_ROUNDS'] ?? 1);
const IN_FLIGHT = 20;
const CHANNEL_SAT = 5_000_000;
const PUSH_MSAT = 2_000_000_000;
// Above what LDK counts as dust on its own commitment with its fee buffer (feerate + 2,530 sat/kw: about 3,011 sat at
// 1,250 sat/kw); smaller HTLCs count against its 10,000 × feerate dust exposure limit and are refused in bulk.
const AMOUNT_MSAT = 10_000_000;

// ---- DynamoDB and SQS, counted on the clients ----

interface Io {
  requests: Map<string, number>;
  conditionalFailures: number;
  itemsWritten: number;
  bytesWritten: number;
  itemsRead: number;
  bytesRead: number;
  wcu: number;
  rcu: number;
  /** On-demand request units by AWS's rules, from the sizes: a write 1 per KB (2 in a transaction), a strongly consistent read 1 per 4 KB. */
  wru: number;
  rru: number;
  /** Write request units by the kind of item (its sort key up to the first '#'). */
  wruByKind: Map<string, number>;
  sqsMessages: number;
  sqsRequests: Map<string, number>;
}
const emptyIo = (): Io => ({ requests: new Map(), conditionalFailures: 0, itemsWritten: 0, bytesWritten: 0, itemsRead: 0, bytesRead: 0, wcu: 0, rcu: 0, wru: 0, rru: 0, wruByKind: new Map(), sqsMessages: 0, sqsRequests: new Map() });
let io = emptyIo();

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
const keyAndValues = (k?: Record<string, AttributeValue>, values?: Record<string, AttributeValue>) => itemSize(k ?? {}) + Object.values(values ?? {}).reduce((n, v) => n + valueSize(v), 0);

type Action = { Put?: { Item: Record<string, AttributeValue> }; Update?: { Key: Record<string, AttributeValue>; UpdateExpression?: string; ExpressionAttributeValues?: Record<string, AttributeValue> }; Delete?: { Key: Record<string, AttributeValue> }; ConditionCheck?: unknown };
type Input = Record<string, unknown> & { Key?: Record<string, AttributeValue>; Item?: Record<string, AttributeValue>; UpdateExpression?: string; ExpressionAttributeValues?: Record<string, AttributeValue>; TransactItems?: Action[] };
type Capacity = { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number };
type Output = { Item?: Record<string, AttributeValue>; Items?: Record<string, AttributeValue>[]; Responses?: Record<string, Record<string, AttributeValue>[]>; ConsumedCapacity?: Capacity | Capacity[] };

/** A DynamoDB request as it went, for the lease stretches. */
interface Span {
  readonly command: string;
  readonly start: number;
  end: number;
  /** Took the lease; gave it back (a release, or a commit that releases). */
  readonly acquire: boolean;
  readonly release: boolean;
  ok: boolean;
  /** A commit's input id (its `INPUT#` put). */
  readonly inputId?: string;
}
const spans: Span[] = [];
const sqsSpans: { start: number; end: number }[] = [];

const isLease = (k?: Record<string, AttributeValue>) => k?.['sk']?.S === 'LEASE';

const kb = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
const kb4 = (bytes: number) => Math.max(1, Math.ceil(bytes / 4096));
function wrote(k: Record<string, AttributeValue> | undefined, units: number): void {
  io.wru += units;
  const kind = (k?.['sk']?.S ?? '?').split('#')[0]!;
  io.wruByKind.set(kind, (io.wruByKind.get(kind) ?? 0) + units);
}

/**
 * On-demand units of one request by AWS's published rules (an update billed by its key and the values it sets: a
 * lower bound when it changes a larger item; a failed conditional write still costs its units).
 */
function requestUnits(command: string, input: Input, output: Output | undefined): void {
  switch (command) {
    case 'TransactWriteItemsCommand':
      for (const a of input.TransactItems ?? []) {
        const size = a.Put ? itemSize(a.Put.Item) : a.Update ? keyAndValues(a.Update.Key, a.Update.ExpressionAttributeValues) : a.Delete ? keyAndValues(a.Delete.Key) : 0;
        wrote(a.Put?.Item ?? a.Update?.Key ?? a.Delete?.Key ?? (a.ConditionCheck as { Key?: Record<string, AttributeValue> } | undefined)?.Key, 2 * kb(size));
      }
      return;
    case 'PutItemCommand':
      wrote(input.Item, kb(itemSize(input.Item ?? {})));
      return;
    case 'UpdateItemCommand':
    case 'DeleteItemCommand':
      wrote(input.Key, kb(keyAndValues(input.Key, input.ExpressionAttributeValues)));
      return;
    case 'BatchWriteItemCommand': {
      const requests = Object.values((input as { RequestItems?: Record<string, { PutRequest?: { Item: Record<string, AttributeValue> }; DeleteRequest?: { Key: Record<string, AttributeValue> } }[]> }).RequestItems ?? {}).flat();
      for (const r of requests) wrote(r.PutRequest?.Item ?? r.DeleteRequest?.Key, kb(r.PutRequest ? itemSize(r.PutRequest.Item) : keyAndValues(r.DeleteRequest?.Key)));
      return;
    }
    case 'GetItemCommand':
      io.rru += kb4(output?.Item ? itemSize(output.Item) : 0);
      return;
    case 'BatchGetItemCommand': {
      const requested = Object.values((input as { RequestItems?: Record<string, { Keys?: unknown[] }> }).RequestItems ?? {}).reduce((n, r) => n + (r.Keys?.length ?? 0), 0);
      const got = Object.values(output?.Responses ?? {}).flat();
      io.rru += got.reduce((n, item) => n + kb4(itemSize(item)), 0) + Math.max(0, requested - got.length);
      return;
    }
    case 'QueryCommand':
      io.rru += kb4((output?.Items ?? []).reduce((n, item) => n + itemSize(item), 0));
      return;
    case 'TransactGetItemsCommand':
      // Transactional reads: 2 RRU per 4 KB of each item asked for (an absent one too: 2).
      io.rru += transactGot(output).reduce((n, item) => n + 2 * kb4(item === undefined ? 0 : itemSize(item)), 0);
      return;
    default:
  }
}

/** The items of a TransactGetItems answer, in the order asked (undefined: absent). */
function transactGot(output: Output | undefined): (Record<string, AttributeValue> | undefined)[] {
  return ((output?.Responses ?? []) as unknown as { Item?: Record<string, AttributeValue> }[]).map((r) => r.Item);
}

function countDynamo(command: string, input: Input, output: Output | undefined): void {
  io.requests.set(command, (io.requests.get(command) ?? 0) + 1);
  requestUnits(command, input, output);
  if (output === undefined) return;
  const responses = command === 'TransactGetItemsCommand' ? transactGot(output).flatMap((item) => (item === undefined ? [] : [item])) : Object.values(output.Responses ?? {}).flat();
  const read = [...(output.Item ? [output.Item] : []), ...(output.Items ?? []), ...responses];
  io.itemsRead += read.length;
  io.bytesRead += read.reduce((n, item) => n + itemSize(item), 0);
  if (command === 'TransactWriteItemsCommand') {
    for (const a of input.TransactItems ?? []) {
      if (a.Put) io.bytesWritten += itemSize(a.Put.Item);
      else if (a.Update) io.bytesWritten += keyAndValues(a.Update.Key, a.Update.ExpressionAttributeValues);
      else if (a.Delete) io.bytesWritten += keyAndValues(a.Delete.Key);
      else continue;
      io.itemsWritten++;
    }
  } else if (command === 'PutItemCommand') {
    io.itemsWritten++;
    io.bytesWritten += itemSize(input.Item ?? {});
  } else if (command === 'UpdateItemCommand' || command === 'DeleteItemCommand') {
    io.itemsWritten++;
    io.bytesWritten += keyAndValues(input.Key, input.ExpressionAttributeValues);
  } else if (command === 'BatchWriteItemCommand') {
    const requests = Object.values((input as { RequestItems?: Record<string, { PutRequest?: { Item: Record<string, AttributeValue> }; DeleteRequest?: { Key: Record<string, AttributeValue> } }[]> }).RequestItems ?? {}).flat();
    for (const r of requests) {
      io.itemsWritten++;
      io.bytesWritten += r.PutRequest ? itemSize(r.PutRequest.Item) : keyAndValues(r.DeleteRequest?.Key);
    }
  }
  const capacity = output.ConsumedCapacity === undefined ? [] : Array.isArray(output.ConsumedCapacity) ? output.ConsumedCapacity : [output.ConsumedCapacity];
  for (const c of capacity) {
    const reads = c.ReadCapacityUnits ?? 0;
    const writes = c.WriteCapacityUnits ?? 0;
    if (reads === 0 && writes === 0) {
      // DynamoDB Local reports only the total on some commands: a write command's total is writes.
      if (/Get|Query|Scan/.test(command)) io.rcu += c.CapacityUnits ?? 0;
      else io.wcu += c.CapacityUnits ?? 0;
    } else {
      io.rcu += reads;
      io.wcu += writes;
    }
  }
}

type Stack = { middlewareStack: { add: (m: unknown, o: unknown) => void } };
function instrumentDynamo(client: DynamoDBClient): void {
  (client as unknown as Stack).middlewareStack.add(
    (next: (a: { input: Input }) => Promise<{ output: Output }>, context: { commandName: string }) => async (args: { input: Input }) => {
      const command = context.commandName;
      const input = args.input;
      if (command !== 'DescribeTableCommand' && command !== 'BatchWriteItemCommand') input['ReturnConsumedCapacity'] = 'TOTAL';
      const acquire = command === 'UpdateItemCommand' && isLease(input.Key) && (input.UpdateExpression ?? '').includes('if_not_exists(#fence');
      const release =
        (command === 'UpdateItemCommand' && isLease(input.Key) && input.UpdateExpression === 'SET #exp = :zero') ||
        (command === 'TransactWriteItemsCommand' && (input.TransactItems ?? []).some((a) => isLease(a.Update?.Key) && (a.Update?.UpdateExpression ?? '').startsWith('SET #exp = :zero')));
      const inputSk = command === 'TransactWriteItemsCommand' ? (input.TransactItems ?? []).map((a) => a.Put?.Item?.['sk']?.S ?? '').find((sk) => sk.startsWith('INPUT#')) : undefined;
      const span: Span = { command, start: performance.now(), end: 0, acquire, release, ok: false, ...(inputSk === undefined ? {} : { inputId: inputSk.slice('INPUT#'.length) }) };
      spans.push(span);
      try {
        const result = await next(args);
        span.end = performance.now();
        span.ok = true;
        countDynamo(command, input, result.output);
        return result;
      } catch (error) {
        span.end = performance.now();
        countDynamo(command, input, undefined);
        if ((error as { name?: string }).name === 'ConditionalCheckFailedException' || (error as { name?: string }).name === 'TransactionCanceledException') io.conditionalFailures++;
        throw error;
      }
    },
    { step: 'initialize', name: 'benchHttpPayments' },
  );
}

function instrumentSqs(client: SQSClient): void {
  (client as unknown as Stack).middlewareStack.add(
    (next: (a: { input: { Entries?: unknown[] } }) => Promise<unknown>, context: { commandName: string }) => async (args: { input: { Entries?: unknown[] } }) => {
      const command = context.commandName;
      const sending = command === 'SendMessageCommand' || command === 'SendMessageBatchCommand';
      if (sending) {
        io.sqsRequests.set(command, (io.sqsRequests.get(command) ?? 0) + 1);
        io.sqsMessages += command === 'SendMessageCommand' ? 1 : (args.input.Entries?.length ?? 0);
      } else if (command === 'DeleteMessageCommand' || command === 'DeleteMessageBatchCommand') {
        io.sqsRequests.set(command, (io.sqsRequests.get(command) ?? 0) + 1);
      }
      const start = performance.now();
      try {
        return await next(args);
      } finally {
        if (sending) sqsSpans.push({ start, end: performance.now() });
      }
    },
    { step: 'initialize', name: 'benchHttpPaymentsSqs' },
  );
}

/** Time covered by the union of `intervals` within [from, to]. */
function covered(intervals: readonly { start: number; end: number }[], from: number, to: number): number {
  const inside = intervals
    .map((s) => ({ start: Math.max(s.start, from), end: Math.min(s.end, to) }))
    .filter((s) => s.end > s.start)
    .sort((a, b) => a.start - b.start);
  let total = 0;
  let reach = from;
  for (const s of inside) {
    if (s.end <= reach) continue;
    total += s.end - Math.max(s.start, reach);
    reach = s.end;
  }
  return total;
}

/**
 * Sequential round trips among `within`: the longest chain of requests each sent after the one before had
 * answered (the most intervals that do not overlap; requests sent together, as a Promise.all sends them,
 * overlap whatever the machine's load). A request that waits for another's answer always follows it, so
 * this is the stretch's critical path in DynamoDB round trips.
 */
function roundTrips(within: readonly { start: number; end: number }[]): number {
  let trips = 0;
  let free = -Infinity;
  for (const s of [...within].sort((a, b) => a.end - b.end)) {
    if (s.start >= free) {
      trips++;
      free = s.end;
    }
  }
  return trips;
}

/** The requests grouped by overlap (a union of intervals each): what was in flight together, in order. */
function tripGroups(within: readonly { start: number; end: number; command: string }[]): string[][] {
  const groups: string[][] = [];
  let reach = -Infinity;
  for (const s of [...within].sort((a, b) => a.start - b.start)) {
    if (s.start > reach) groups.push([]);
    groups.at(-1)!.push(s.command.replace(/Command$/, '').replace(/Item(s?)$/, '$1'));
    reach = Math.max(reach, s.end);
  }
  return groups;
}

/** The stretches under the lease among `spans[from..]`: from a successful take to the end of the release or releasing commit. */
function leaseStretches(from: number): { wall: number; dynamo: number; sqs: number; requests: number; trips: number }[] {
  const out: { wall: number; dynamo: number; sqs: number; requests: number; trips: number }[] = [];
  const done = spans.slice(from).filter((s) => s.ok);
  let open: Span | undefined;
  for (const s of done.sort((a, b) => a.start - b.start)) {
    if (s.acquire) open = s;
    else if (s.release && open !== undefined) {
      const within = done.filter((d) => d.start >= open!.start && d.end <= s.end);
      // A read sent beside the take (its snapshot) counts with it, even when its request started a hair earlier.
      const beside = done.filter((d) => d.start < open!.start && d.end > open!.start && d.command === 'TransactGetItemsCommand');
      out.push({ wall: s.end - open.start, dynamo: covered(within, open.start, s.end), sqs: covered(sqsSpans, open.start, s.end), requests: within.length + beside.length, trips: roundTrips([...beside, ...within]) });
      open = undefined;
    }
  }
  return out;
}

// ---- the deployment, a channel to LDK, a webhook receiver ----

const env = await EmbeddedWithLdk.start('bench-http-payments');
const dynamoClient = (env.node.context.store as unknown as { client: DynamoDBClient }).client;
instrumentDynamo(dynamoClient);
instrumentSqs((env.node.context.outbound as unknown as { client: SQSClient }).client);
const ldkNode = await env.startLdk(91, { minimumDepth: 3 });

/** First arrival of each webhook event: `payment-sent` by paymentId, `payment-received` by paymentHash. */
const arrivals = new Map<string, number>();
/** Payments of ours that failed (by paymentId), with the reason: reported, not timed. */
const failures = new Map<string, string>();
const waiters = new Map<string, () => void>();
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const at = performance.now();
    const event = JSON.parse(body) as { kind: string; data: Record<string, string> };
    const id = event.kind === 'payment-received' ? event.data['paymentHash']! : event.data['paymentId']!;
    if (event.kind === 'payment-failed' && !failures.has(id)) failures.set(id, event.data['reason'] ?? '?');
    if (!arrivals.has(id)) {
      arrivals.set(id, at);
      waiters.get(id)?.();
    }
    res.writeHead(200).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const hook = await env.post('/v1/webhooks', { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, events: ['payment-sent', 'payment-received', 'payment-failed'] });
if (hook.status !== 201) throw new Error(`webhook: ${hook.status} ${JSON.stringify(hook.body)}`);

function arrived(id: string, timeoutMs = 60_000): Promise<number> {
  const at = arrivals.get(id);
  if (at !== undefined) return Promise.resolve(at);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void (async () => {
        const payment = await env.api(`/v1/payments/${id}`);
        const invoice = await env.api(`/v1/invoices/${id}`);
        const deliveries = await env.api(`/v1/webhooks/${hook.body['id'] as string}/deliveries`);
        reject(new Error(`no webhook for ${id} in ${timeoutMs} ms: payment ${JSON.stringify(payment.body)}, invoice ${JSON.stringify(invoice.body)}; deliveries ${JSON.stringify(deliveries.body).slice(0, 2000)}`));
      })();
    }, timeoutMs);
    waiters.set(id, () => {
      clearTimeout(timer);
      waiters.delete(id);
      resolve(arrivals.get(id)!);
    });
  });
}

await env.fundWallet(CHANNEL_SAT + 1_000_000);
await env.connectLdk(ldkNode);
const opened = await env.post('/v1/channels', { nodeId: toHex(ldkNode.nodeId), amountSat: CHANNEL_SAT, pushMsat: PUSH_MSAT });
if (opened.status !== 202) throw new Error(`open: ${opened.status} ${JSON.stringify(opened.body)}`);
await env.until(() => env.chain.mempool().length > 0, 'the funding transaction');
const [ours] = await env.channels();
await env.mineAndFeed(3, ours!.fundingTxid!);
await env.until(async () => (await env.channels())[0]?.isUsable === true, 'our channel usable');
await env.until(() => ldkNode.channelManager.list_usable_channels().length === 1, 'LDK usable channel');
// LDK's dust/fee exposure bound is 10,000 × its own estimate: at the channel's feerate 40 HTLCs fit (test/e2e/payments-in-flight.test.ts).
ldkNode.feeratePerKw = (ldkNode.channelManager.list_channels()[0]!.get_feerate_sat_per_1000_weight() as ldk.Option_u32Z_Some).some;

// LDK claims whatever becomes claimable, as soon as it sees it.
const claimed = new Set<string>();
const claimer = setInterval(() => {
  for (const e of ldkEvents(ldkNode, ldk.Event_PaymentClaimable)) {
    const hash = toHex(e.payment_hash);
    if (claimed.has(hash)) continue;
    const preimage = e.purpose.preimage();
    if (preimage instanceof ldk.Option_ThirtyTwoBytesZ_Some) ldkNode.channelManager.claim_funds(preimage.some);
    claimed.add(hash);
  }
}, 2);

let keys = 0;
/** One payment of ours: POST (503 busy retried under the same key) to the `payment-sent` webhook; the POST's own time too. */
async function send(): Promise<{ total: number; post: number; failed: boolean; start: number }> {
  const created = ldk.UtilMethods.constructor_create_invoice_from_channelmanager(ldkNode.channelManager, ldk.Option_u64Z.constructor_some(BigInt(AMOUNT_MSAT)), 'bench', 3600, ldk.Option_u16Z.constructor_none());
  if (!(created instanceof ldk.Result_Bolt11InvoiceSignOrCreationErrorZ_OK)) throw new Error('LDK invoice');
  const bolt11 = created.res.to_str();
  const key = `bench-${++keys}`;
  const start = performance.now();
  for (;;) {
    const answer = await env.api('/v1/payments', { method: 'POST', body: JSON.stringify({ bolt11 }), headers: { 'content-type': 'application/json', 'idempotency-key': key } });
    if (answer.status === 202) {
      const post = performance.now() - start;
      const id = answer.body['paymentId'] as string;
      const total = (await arrived(id)) - start;
      return { total, post, failed: failures.has(id), start };
    }
    if (answer.status !== 503) throw new Error(`POST /v1/payments: ${answer.status} ${JSON.stringify(answer.body)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Our invoice, made ahead of the timed part. */
async function invoice(): Promise<{ bolt11: string; hash: string }> {
  const created = await env.post('/v1/invoices', { amountMsat: AMOUNT_MSAT, description: 'bench' });
  if (created.status !== 201) throw new Error(`POST /v1/invoices: ${created.status}`);
  return { bolt11: created.body['bolt11'] as string, hash: created.body['paymentHash'] as string };
}

/** LDK pays our invoice (retrying a momentary RouteNotFound while a commitment update is under way); resolves at the webhook. */
async function receive(inv: { bolt11: string; hash: string }): Promise<number> {
  return (await timedReceive(inv)).total;
}

async function timedReceive(inv: { bolt11: string; hash: string }): Promise<{ total: number; start: number; sendCallMs: number }> {
  const parsed = ldk.Bolt11Invoice.constructor_from_str(inv.bolt11);
  if (!(parsed instanceof ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK)) throw new Error('LDK parse');
  const params = ldk.UtilMethods.constructor_payment_parameters_from_invoice(parsed.res);
  if (!(params instanceof ldk.Result_C3Tuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZNoneZ_OK)) throw new Error('LDK params');
  const start = performance.now();
  for (;;) {
    const sent = ldkNode.channelManager.send_payment(params.res.get_a(), params.res.get_b(), Uint8Array.from(randomBytes(32)), params.res.get_c(), ldk.Retry.constructor_attempts(0));
    if (sent.is_ok()) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const sendCallMs = performance.now() - start;
  return { total: (await arrived(inv.hash)) - start, start, sendCallMs };
}

/** The stretches under the lease between `from` and `to` (ms offsets from `from`), and the time outside them. */
function timeline(from: number, to: number): string[][] {
  const done = spans.filter((s) => s.ok && s.start >= from && s.end <= to).sort((a, b) => a.start - b.start);
  const rows: string[][] = [];
  let open: Span | undefined;
  let reach = from;
  for (const s of done) {
    if (s.acquire) open = s;
    else if (s.release && open !== undefined) {
      const within = done.filter((d) => d.start >= open!.start && d.end <= s.end);
      const beside = done.filter((d) => d.start < open!.start && d.end > open!.start && d.command === 'TransactGetItemsCommand');
      const inputId = within.find((d) => d.inputId !== undefined)?.inputId ?? '';
      const groups = tripGroups([...beside, ...within]).map((g) => g.join('+')).join(' → ');
      rows.push([ms(open.start - from), ms(s.end - open.start), String(within.length + beside.length), ms(open.start - reach), inputId.length > 40 ? `…${inputId.slice(-40)}` : inputId, String(roundTrips([...beside, ...within])), groups]);
      reach = s.end;
      open = undefined;
    }
  }
  rows.push(['end', ms(to - from), '', ms(to - reach)]);
  return rows;
}

const settle = () => new Promise((r) => setTimeout(r, 300));

// Warm-up (JIT, connections), not counted.
for (let i = 0; i < 3; i++) {
  await send();
  await receive(await invoice());
}
await settle();

interface Phase {
  readonly name: string;
  readonly payments: number;
  readonly io: Io;
  readonly wallMs: number;
  readonly stretches: ReturnType<typeof leaseStretches>;
}
const phases: Phase[] = [];
async function phase(name: string, payments: number, run: () => Promise<void>): Promise<void> {
  await settle();
  io = emptyIo();
  const firstSpan = spans.length;
  const start = performance.now();
  await run();
  const wallMs = performance.now() - start;
  // What the last payments still write (the LDK side's revoke_and_ack, outbox deletes) belongs to them.
  await settle();
  await env.until(() => ldkNode.channelManager.list_channels()[0]!.get_pending_inbound_htlcs().length === 0 && ldkNode.channelManager.list_channels()[0]!.get_pending_outbound_htlcs().length === 0, 'nothing in flight');
  await settle();
  phases.push({ name, payments, io, wallMs, stretches: leaseStretches(firstSpan) });
}

/** Until neither side holds an HTLC: a payment "one at a time" starts alone, not behind the last one's settling. */
async function quiet(): Promise<void> {
  const channel = () => ldkNode.channelManager.list_channels()[0]!;
  await env.until(() => channel().get_pending_inbound_htlcs().length === 0 && channel().get_pending_outbound_htlcs().length === 0, 'nothing in flight');
  await new Promise((r) => setTimeout(r, 50));
}

const sendTimes: number[] = [];
const postTimes: number[] = [];
const lastSend = { start: 0, end: 0 };
const lastReceive = { start: 0, end: 0, sendCallMs: 0 };
await phase(`send, one at a time (${SEQUENTIAL})`, SEQUENTIAL, async () => {
  for (let i = 0; i < SEQUENTIAL; i++) {
    await quiet();
    const t = await send();
    if (t.failed) continue;
    sendTimes.push(t.total);
    postTimes.push(t.post);
    Object.assign(lastSend, { start: t.start, end: t.start + t.total });
  }
});
const receiveTimes: number[] = [];
const seqInvoices = await Promise.all(Array.from({ length: SEQUENTIAL }, () => invoice()));
await phase(`receive, one at a time (${SEQUENTIAL})`, SEQUENTIAL, async () => {
  for (const inv of seqInvoices) {
    await quiet();
    const t = await timedReceive(inv);
    receiveTimes.push(t.total);
    Object.assign(lastReceive, { start: t.start, end: t.start + t.total, sendCallMs: t.sendCallMs });
  }
});

const flightSend: number[] = [];
const flightReceive: number[] = [];
let flightWall = 0;
/** Each round's wall time (ms), in order. */
const roundWalls: number[] = [];
const roundInvoices: { bolt11: string; hash: string }[][] = [];
for (let r = 0; r < WARMUP_ROUNDS + ROUNDS; r++) roundInvoices.push(await Promise.all(Array.from({ length: IN_FLIGHT }, () => invoice())));
/** One round: 20 receives and 20 sends started at once, until all settled. */
async function round(invoices: readonly { bolt11: string; hash: string }[]) {
  const start = performance.now();
  const receives = invoices.map((inv) => receive(inv));
  const sends = Array.from({ length: IN_FLIGHT }, () => send());
  const [s, r] = await Promise.all([Promise.all(sends), Promise.all(receives)]);
  return { s, r, wall: performance.now() - start };
}
// Untimed, as the payments bench's warm-up round: the code every round runs compiled (ours, and DynamoDB Local's JVM).
io = emptyIo(); // counted apart from the phase before
for (const invoices of roundInvoices.slice(0, WARMUP_ROUNDS)) await round(invoices);
await phase(`${IN_FLIGHT} in flight each way (${ROUNDS} rounds, ${ROUNDS * IN_FLIGHT * 2} payments)`, ROUNDS * IN_FLIGHT * 2, async () => {
  for (const invoices of roundInvoices.slice(WARMUP_ROUNDS)) {
    const { s, r, wall } = await round(invoices);
    roundWalls.push(wall);
    flightWall += wall;
    flightSend.push(...s.filter((x) => !x.failed).map((x) => x.total));
    flightReceive.push(...r);
  }
});

// The bare DynamoDB calls a message under the lease needs, same table and client, same run: take a lease, read an
// item of a channel's size, commit the same number of items of the same size in one TransactWriteItems, fenced.
const seqStretches = phases.slice(0, 2).flatMap((p) => p.stretches);
const perStretchItems = Math.max(1, Math.round(phases.slice(0, 2).reduce((n, p) => n + p.io.itemsWritten, 0) / Math.max(1, seqStretches.length)));
const perItemBytes = Math.max(64, Math.round(phases.slice(0, 2).reduce((n, p) => n + p.io.bytesWritten, 0) / Math.max(1, phases.slice(0, 2).reduce((n, p) => n + p.io.itemsWritten, 0))));
const table = (env.node.context.store as unknown as { tableName: string }).tableName;
const benchKey = 'bench-bare';
const blob = { B: new Uint8Array(perItemBytes) };
const bareTimes: number[] = [];
// Counted apart: the last phase's counters must not take the bare calls' requests and writes.
io = emptyIo();
for (let i = 0; i < 60; i++) {
  const start = performance.now();
  await dynamoClient.send(new UpdateItemCommand({ TableName: table, Key: { pk: { S: benchKey }, sk: { S: 'LEASE' } }, UpdateExpression: 'SET #f = if_not_exists(#f, :z) + :one', ExpressionAttributeNames: { '#f': 'fence' }, ExpressionAttributeValues: { ':z': { N: '0' }, ':one': { N: '1' } } }));
  await dynamoClient.send(new GetItemCommand({ TableName: table, Key: { pk: { S: benchKey }, sk: { S: 'ITEM#0' } }, ConsistentRead: true }));
  await dynamoClient.send(
    new TransactWriteItemsCommand({
      TransactItems: [
        { ConditionCheck: { TableName: table, Key: { pk: { S: benchKey }, sk: { S: 'LEASE' } }, ConditionExpression: 'attribute_exists(fence)' } },
        ...Array.from({ length: perStretchItems }, (_, k) => ({ Put: { TableName: table, Item: { pk: { S: benchKey }, sk: { S: `ITEM#${k}` }, v: blob } } })),
      ],
    }),
  );
  if (i >= 10) bareTimes.push(performance.now() - start);
}
clearInterval(claimer);

// ---- the tables ----

if (failures.size > 0) {
  console.error(`${failures.size} payment(s) of ours failed: ${[...new Set(failures.values())].join(', ')}; LDK's log on failures:`);
  console.error(ldkNode.log.filter((l) => /fail|reject|refus|exceed|dust|insufficient|holding/i.test(l) && !/Enqueueing message/.test(l)).slice(-25).join('\n').slice(0, 6000));
}
const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');
printTable('HTTP payments through the embedded deployment (LDK the other side): latency', [
  ['measure', 'p50 (ms)', 'p99 (ms)', 'n', 'target'],
  ['send: POST /v1/payments → payment-sent webhook, one at a time', ms(percentile(sendTimes, 0.5)), ms(percentile(sendTimes, 0.99)), String(sendTimes.length), `p50 ≤ 250 ms: ${mark(percentile(sendTimes, 0.5) <= 250)}`],
  ['  of which POST /v1/payments → 202', ms(percentile(postTimes, 0.5)), ms(percentile(postTimes, 0.99)), String(postTimes.length), ''],
  ['receive: LDK send_payment → payment-received webhook, one at a time', ms(percentile(receiveTimes, 0.5)), ms(percentile(receiveTimes, 0.99)), String(receiveTimes.length), `p50 ≤ 250 ms: ${mark(percentile(receiveTimes, 0.5) <= 250)}`],
  ['payments of ours that failed (not timed)', String(failures.size), '', '', 'none'],
  [`send, ${IN_FLIGHT} in flight each way`, ms(percentile(flightSend, 0.5)), ms(percentile(flightSend, 0.99)), String(flightSend.length), ''],
  [`receive, ${IN_FLIGHT} in flight each way`, ms(percentile(flightReceive, 0.5)), ms(percentile(flightReceive, 0.99)), String(flightReceive.length), ''],
]);
const perSecond = (flightSend.length + flightReceive.length) / (flightWall / 1000);
const flightPhase = phases[2]!;
for (const [name, t] of [['the last send: POST /v1/payments → payment-sent webhook', lastSend], ['the last receive: LDK send_payment → payment-received webhook', lastReceive]] as const) {
  printTable(`Step by step, ${name} (stretches under the node's lease)`, [
    ['starts at (ms)', 'lasts (ms)', 'DynamoDB requests', 'since the previous stretch (ms)', 'input committed', 'sequential round trips', 'requests in flight together (joined by +)'],
    ...('sendCallMs' in t ? [['0', ms(t.sendCallMs), '', 'LDK send_payment (routing, onion)']] : []),
    ...timeline(t.start, t.end),
  ]);
}
printTable(`Throughput with ${IN_FLIGHT} in flight each way`, [
  ['measure', 'value', 'target'],
  ['payments per second (both directions, settled, per round wall time)', perSecond.toFixed(1), `≥ 30: ${mark(perSecond >= 30)}`],
  // What bounds it: the lease is one at a time; the rest of a round is the pipeline's and LDK's latency.
  ['the node\'s lease held, ms per payment (stretches summed, the settling after the rounds included)', (flightPhase.stretches.reduce((n, x) => n + x.wall, 0) / flightPhase.payments).toFixed(1), ''],
  ['each round of 40: wall time (ms), in order', roundWalls.map((w) => w.toFixed(0)).join(' / '), ''],
  ['share of the rounds\' wall time the lease was held', `${((100 * flightPhase.stretches.reduce((n, x) => n + x.wall, 0)) / flightWall).toFixed(0)} %`, ''],
]);

const per = (n: number, p: Phase) => (n / p.payments).toFixed(2);
const commands = [...new Set(phases.flatMap((p) => [...p.io.requests.keys()]))].sort();
printTable('DynamoDB and SQS per payment (counted on the handlers’ clients; everything the node did while the payments ran)', [
  ['measure', ...phases.map((p) => p.name)],
  ...commands.map((c) => [`${c.replace(/Command$/, '')} requests`, ...phases.map((p) => per(p.io.requests.get(c) ?? 0, p))]),
  ['failed conditional writes (lease taken, etc.)', ...phases.map((p) => per(p.io.conditionalFailures, p))],
  ['items read', ...phases.map((p) => per(p.io.itemsRead, p))],
  ['bytes read', ...phases.map((p) => per(p.io.bytesRead, p))],
  ['items written', ...phases.map((p) => per(p.io.itemsWritten, p))],
  ['bytes written', ...phases.map((p) => per(p.io.bytesWritten, p))],
  ['write request units (on-demand, AWS rules from the sizes)', ...phases.map((p) => per(p.io.wru, p))],
  ['read request units (on-demand, strongly consistent)', ...phases.map((p) => per(p.io.rru, p))],
  ['DynamoDB cost per 1 M payments ($0.625 per 1 M WRU, $0.125 per 1 M RRU)', ...phases.map((p) => `$${((p.io.wru * 0.625 + p.io.rru * 0.125) / p.payments).toFixed(2)}`)],
  ['write capacity units (DynamoDB Local’s ConsumedCapacity)', ...phases.map((p) => per(p.io.wcu, p))],
  ['read capacity units (DynamoDB Local’s ConsumedCapacity)', ...phases.map((p) => per(p.io.rcu, p))],
  ['SQS messages sent', ...phases.map((p) => per(p.io.sqsMessages, p))],
  ...[...new Set(phases.flatMap((p) => [...p.io.sqsRequests.keys()]))].sort().map((c) => [`SQS ${c.replace(/Command$/, '')} requests`, ...phases.map((p) => per(p.io.sqsRequests.get(c) ?? 0, p))]),
  ['stretches under the lease', ...phases.map((p) => per(p.stretches.length, p))],
  ['sequential DynamoDB round trips under the lease (the longest chain of requests one after another)', ...phases.map((p) => per(p.stretches.reduce((n, x) => n + x.trips, 0), p))],
]);

const kinds = [...new Set(phases.flatMap((p) => [...p.io.wruByKind.keys()]))].sort((a, b) => (phases[0]!.io.wruByKind.get(b) ?? 0) - (phases[0]!.io.wruByKind.get(a) ?? 0));
printTable('Where the writes go: write request units per payment by item kind (sort key up to its first #)', [
  ['item kind', ...phases.map((p) => p.name)],
  ...kinds.map((k) => [k, ...phases.map((p) => per(p.io.wruByKind.get(k) ?? 0, p))]),
]);

const wall = seqStretches.map((s) => s.wall);
const dyn = seqStretches.map((s) => s.dynamo);
const sqs = seqStretches.map((s) => s.sqs);
const other = seqStretches.map((s) => Math.max(0, s.wall - s.dynamo - s.sqs));
const bare = percentile(bareTimes, 0.5);
const ratio = percentile(wall, 0.5) / bare;
printTable(`Per message under the lease, one at a time (${seqStretches.length} stretches: take → release or releasing commit)`, [
  ['measure', 'p50 (ms)', 'p99 (ms)'],
  ['the whole stretch', ms(percentile(wall, 0.5)), ms(percentile(wall, 0.99))],
  ['  in DynamoDB requests (their union)', ms(percentile(dyn, 0.5)), ms(percentile(dyn, 0.99))],
  ['  in SQS sends', ms(percentile(sqs, 0.5)), ms(percentile(sqs, 0.99))],
  ['  the rest (handler CPU, awaits)', ms(percentile(other, 0.5)), ms(percentile(other, 0.99))],
  ['DynamoDB requests per stretch', percentile(seqStretches.map((s) => s.requests), 0.5).toFixed(0), percentile(seqStretches.map((s) => s.requests), 0.99).toFixed(0)],
  ['sequential DynamoDB round trips per stretch (mean)', (seqStretches.reduce((n, s) => n + s.trips, 0) / Math.max(1, seqStretches.length)).toFixed(2), percentile(seqStretches.map((s) => s.trips), 0.99).toFixed(0)],
  [`bare calls it needs: take a lease, one GetItem, one TransactWriteItems of ${perStretchItems} × ${perItemBytes} B (50 runs)`, ms(bare), ms(percentile(bareTimes, 0.99))],
  ['overhead: stretch p50 ÷ bare p50', `${ratio.toFixed(2)}×`, `target ≤ 3×: ${mark(ratio <= 3)}`],
]);

await new Promise<void>((r) => receiver.close(() => r()));
await env.stop();
