/**
 * Crash safety of payments through the serverless pipeline (issue 16, "the
 * product's promise"; docs/crash-safety.md): the embedded deployment (what
 * `npm start` runs) and a real LDK node with one channel between them, N
 * payments both ways (we pay LDK's invoices over `POST /v1/payments`, LDK
 * pays ours from `POST /v1/invoices`), while faults are injected:
 *
 * - the handlers' crash points, at random: an invocation that dies right
 *   after taking the lease (the lease stays until it expires), right after
 *   its commit (nothing sent; the outbox keeps it), or between the queue send
 *   and the outbox delete (sent, the outbox entry left behind);
 * - kills of the whole deployment at random moments: DynamoDB Local is
 *   killed under the invocations in flight (`abandon`, as a kill -9 leaves
 *   it), then everything stops; the in-memory queues lose what they held,
 *   every peer connection drops; the deployment restarts on the same data
 *   and LDK dials it again (BOLT 2 reestablishment retransmits what was lost).
 *
 * The merchant's client retries a request that failed, timed out or met a
 * stopped deployment with the SAME Idempotency-Key. Afterwards everything
 * settles and the promise is checked: each payment `succeeded` or `failed`
 * exactly once and as LDK saw it, each invoice LDK paid `paid` once, no HTLC
 * left on either side, both sides' balances agreeing to the msat (and moved
 * by exactly what was paid), every payment event delivered to the webhook
 * receiver at least once under its id. What breaks the promise is returned
 * as `violations` (never thrown on the first), with the seed to reproduce it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ldk from 'lightningdevkit';
import type { Embedded } from '../../infra/local/embedded.js';
import { fromHex, sha256, toHex } from '../../shared/crypto/index.js';
import { decodeChannelEntry, decodeStoredChannels, type ChannelEntry } from '../../shared/manager/channel-entry.js';
import { EmbeddedWithLdk, type ApiResponse } from './embedded-ldk.js';
import type { LdkNode } from './ldk-node.js';
import { rng } from './seeded-random.js';
import { SortKey } from '../../shared/store/index.js';
import type { DecodeResult } from '../../shared/codec/index.js';

export interface CrashPaymentsOptions {
  /** Seeds every random choice of the run (directions, amounts, crash draws, kill moments). */
  readonly seed: number;
  /** Payments in all, both directions drawn at random. */
  readonly payments: number;
  /** Payments in flight at once (default 4). */
  readonly concurrency?: number;
  /** Kills of the whole deployment, at random moments of the run. */
  readonly kills: number;
  /** Invocations that die right after taking the lease (each holds the lease until it expires: 15 s). */
  readonly leaseCrashes: number;
  /** The chance that a queue send, and apart that an outbox delete, dies at the crash point (default 0.03). */
  readonly crashRate?: number;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
  /** Data dir label. */
  readonly label?: string;
}

export interface CrashPaymentsReport {
  readonly seed: number;
  readonly payments: number;
  /** We paid LDK: how many, how they ended. */
  readonly sent: { readonly total: number; readonly succeeded: number; readonly failed: number; readonly refused: number };
  /** LDK paid our invoices: how many, how they ended. */
  readonly received: { readonly total: number; readonly paid: number; readonly failed: number };
  readonly kills: number;
  /** Crashes injected at each point; `draws`: the crash points passed (sends and outbox deletes), each a chance to crash. */
  readonly crashes: { afterLease: number; afterCommit: number; afterSend: number; draws: number };
  /** HTTP requests repeated with the same Idempotency-Key (network error, 5xx). */
  readonly retries: number;
  /** Times LDK found the connection gone while settling and dialed again. */
  readonly redials: number;
  /** Payment events in `GET /v1/events`, and webhook POSTs received (duplicates included). */
  readonly events: number;
  readonly webhookPosts: number;
  readonly durationMs: number;
  /** Each way the promise was broken (empty when it held). */
  readonly violations: string[];
}

const CHANNEL_SAT = 2_000_000;
const PUSH_MSAT = 1_000_000_000;
const LDK_DEPTH = 3;
const PAYMENT_EVENT_KINDS = ['payment-received', 'payment-sent', 'payment-failed'];
/** The deployment's timer while payments run (ms). */
const TICK_MS = 5_000;

interface Outbound {
  key: string;
  hash: string;
  amountMsat: number;
  paymentId?: string;
  /** The final 4xx answer, when the payment was refused (nothing paid). */
  refusal?: string;
}

interface Inbound {
  key: string;
  hash: string;
  amountMsat: number;
  ldkPaymentId: string;
}

type PaymentJson = { paymentId: string; paymentHash: string; state: string; amountMsat: number; feeMsat: number | null; preimage: string | null; kind: string };
type InvoiceJson = { paymentHash: string; state: string; receivedMsat: number | null; bolt11: string };
type ChannelView = { channelId: string; capacitySat: number; isOutbound: boolean; isUsable: boolean; localBalanceMsat: number; remoteBalanceMsat: number; pendingHtlcs: unknown[] };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A webhook receiver on 127.0.0.1: counts each event id it is POSTed. */
async function startReceiver(): Promise<{ server: Server; url: string; received: Map<string, number>; posts: () => number }> {
  const received = new Map<string, number>();
  let posts = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      posts++;
      try {
        const id = (JSON.parse(body) as { id: string }).id;
        received.set(id, (received.get(id) ?? 0) + 1);
      } catch {
        // not ours: counted as a post only
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received, posts: () => posts };
}

/** What LDK saw, indexed as its events arrive; it claims each payment as it becomes claimable (its user's part). */
class LdkLedger {
  readonly claimable = new Map<string, number>();
  readonly claimed = new Map<string, bigint[]>();
  readonly sent = new Map<string, number>();
  readonly failed = new Map<string, number>();
  /** What LDK's successful paths delivered to the payee, by payment id (the last hop's amount; LDK may pay above the invoice to clear a minimum). */
  readonly delivered = new Map<string, bigint>();
  #cursor = 0;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(private readonly node: LdkNode) {
    this.#timer = setInterval(() => this.scan(), 10);
  }

  scan(): void {
    const events = this.node.events;
    for (; this.#cursor < events.length; this.#cursor++) {
      const e = events[this.#cursor]!;
      if (e instanceof ldk.Event_PaymentClaimable) {
        const hash = toHex(e.payment_hash);
        this.claimable.set(hash, (this.claimable.get(hash) ?? 0) + 1);
        const preimage = e.purpose.preimage();
        if (preimage instanceof ldk.Option_ThirtyTwoBytesZ_Some) this.node.channelManager.claim_funds(preimage.some);
      } else if (e instanceof ldk.Event_PaymentClaimed) {
        const hash = toHex(e.payment_hash);
        this.claimed.set(hash, [...(this.claimed.get(hash) ?? []), e.amount_msat]);
      } else if (e instanceof ldk.Event_PaymentSent) {
        const id = e.payment_id instanceof ldk.Option_ThirtyTwoBytesZ_Some ? toHex(e.payment_id.some) : '';
        this.sent.set(id, (this.sent.get(id) ?? 0) + 1);
      } else if (e instanceof ldk.Event_PaymentFailed) {
        const id = toHex(e.payment_id);
        this.failed.set(id, (this.failed.get(id) ?? 0) + 1);
      } else if (e instanceof ldk.Event_PaymentPathSuccessful) {
        const id = toHex(e.payment_id);
        const last = e.path.get_hops().at(-1);
        if (last !== undefined) this.delivered.set(id, (this.delivered.get(id) ?? 0n) + last.get_fee_msat());
      }
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** Runs the scenario and reports; never throws for a broken promise (see `violations`), only for a harness that cannot run. */
export async function runCrashPayments(options: CrashPaymentsOptions): Promise<CrashPaymentsReport> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const next = rng(options.seed);
  const random = () => next() / 2 ** 32;
  // The crash draws come from their own stream: the plan stays the same whatever the timing of the handlers.
  const nextFault = rng(options.seed ^ 0x5bd1e995);
  let draws = 0;
  const faultRandom = () => {
    draws++;
    return nextFault() / 2 ** 32;
  };
  const crashRate = options.crashRate ?? 0.03;
  const concurrency = options.concurrency ?? 4;
  const violations: string[] = [];
  const crashes = { afterLease: 0, afterCommit: 0, afterSend: 0, draws: 0 };
  let retries = 0;
  let kills = 0;
  let redials = 0;

  let timer: NodeJS.Timeout | undefined;
  const receiver = await startReceiver();
  const env = await EmbeddedWithLdk.start(options.label ?? 'crash-payments');
  let ledger: LdkLedger | undefined;
  try {
    const ldkNode = await env.startLdk(0x5c, { minimumDepth: LDK_DEPTH });

    // One channel, we fund it and push LDK half: both sides can pay.
    await env.fundWallet(CHANNEL_SAT + 500_000);
    await env.connectLdk(ldkNode);
    const opened = await env.post('/v1/channels', { nodeId: toHex(ldkNode.nodeId), amountSat: CHANNEL_SAT, pushMsat: PUSH_MSAT });
    if (opened.status !== 202) throw new Error(`open: ${opened.status} ${JSON.stringify(opened.body)}`);
    await env.until(() => env.chain.mempool().length > 0, 'the funding transaction in the mempool');
    const [pending] = await env.channels();
    await env.mineAndFeed(LDK_DEPTH, pending!.fundingTxid!);
    await env.until(async () => (await env.channels())[0]?.isUsable === true, 'our channel usable');
    await env.until(() => ldkNode.channelManager.list_usable_channels().length === 1, 'LDK usable channel');
    const channelId = pending!.channelId;
    const hook = await env.post('/v1/webhooks', { url: receiver.url, events: PAYMENT_EVENT_KINDS });
    if (hook.status !== 201) throw new Error(`webhook: ${hook.status} ${JSON.stringify(hook.body)}`);
    const initialLocal = (await channelView(env, channelId)).localBalanceMsat;
    ledger = new LdkLedger(ldkNode);
    const ldkLedger = ledger;

    // The fault points, on the running deployment's adapters (again after each restart).
    let leaseCrashArmed = false;
    let faultsOn = true;
    /** Diagnostic (docs/crash-safety.md, "Session 12"): our channel's commitment numbers at each commit and after each restart, printed when a reconnect fails. */
    const traceLines: string[] = [];
    const partsSeen = new Map<string, Uint8Array>();
    const trace = (line: string): void => {
      traceLines.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
      if (traceLines.length > 2000) traceLines.splice(0, 1000);
    };
    const storedNumbers = async (): Promise<string> => {
      const { store, nodeKey } = env.node.context;
      const items = await store.query(nodeKey, 'CHANNEL#').catch((e: unknown) => [{ sk: `query failed ${String(e)}`, data: new Uint8Array() }]);
      for (const i of items) partsSeen.set(i.sk.slice('CHANNEL#'.length), i.data);
      return [...decodeStoredChannels(items.map((i) => [i.sk.slice('CHANNEL#'.length), i.data] as const))].map(([key, entry]) => `${key.slice(-8)} ${commitmentNumbers(entry)}`).join(', ');
    };
    const installFaults = (node: Embedded): void => {
      const { store, outbound } = node.context;
      const commit = store.commit.bind(store);
      store.commit = async (lease, what) => {
        const written = (what.puts ?? []).filter((p) => p.sk.startsWith('CHANNEL#'));
        const seen = new Map(partsSeen);
        for (const p of written) seen.set(p.sk.slice('CHANNEL#'.length), p.data);
        const decoded = decodeStoredChannels(seen);
        const channels = written.filter((p) => decoded.has(p.sk.slice('CHANNEL#'.length))).map((p) => `${p.sk.slice(-8)} ${commitmentNumbers(decoded.get(p.sk.slice('CHANNEL#'.length))!)}`);
        try {
          await commit(lease, what);
          for (const p of written) partsSeen.set(p.sk.slice('CHANNEL#'.length), p.data);
          if (channels.length > 0) trace(`commit ${what.inputId ?? '-'} fence ${lease.fence}: ${channels.join(', ')}`);
        } catch (error) {
          if (channels.length > 0) trace(`commit FAILED ${what.inputId ?? '-'}: ${channels.join(', ')}: ${String(error).slice(0, 120)}`);
          throw error;
        }
      };
      const acquire = store.acquireLease.bind(store);
      store.acquireLease = async (...args) => {
        const lease = await acquire(...args);
        if (faultsOn && leaseCrashArmed) {
          leaseCrashArmed = false;
          crashes.afterLease++;
          throw new Error('injected crash: right after taking the lease');
        }
        return lease;
      };
      const send = outbound.sendBatch.bind(outbound);
      outbound.sendBatch = async (messages) => {
        if (faultsOn && faultRandom() < crashRate) {
          crashes.afterCommit++;
          throw new Error('injected crash: committed, nothing sent');
        }
        return send(messages);
      };
      const deleteOutbox = store.deleteOutbox.bind(store);
      store.deleteOutbox = async (...args) => {
        if (faultsOn && faultRandom() < crashRate) {
          crashes.afterSend++;
          throw new Error('injected crash: sent, the outbox not deleted');
        }
        return deleteOutbox(...args);
      };
    };
    installFaults(env.node);
    trace(`started: stored ${await storedNumbers()}`);
    // The deployment's timer (the test deployment's own runs hourly): every 5 s, as a short TIMER_INTERVAL_SEC would.
    // It sends again the follow-ups a kill lost from the queue (docs/follow-ups.md, "Lost follow-ups").
    timer = setInterval(() => void env.node.tick().catch(() => undefined), TICK_MS);

    // The deployment is down while it restarts: new payments wait at this gate (requests in flight retry).
    let gate: Promise<void> = Promise.resolve();
    const reconnect = async (): Promise<void> => {
      await ldkNode.connect(fromHex(env.node.nodeId), '127.0.0.1', Number(env.node.peerAddress.split(':')[1]));
      await env.until(async () => (await env.peerCount()) === 1, 'our node to list LDK again', 60_000);
      const mark = ldkNode.log.length;
      await env.until(() => ldkNode.channelManager.list_usable_channels().length === 1, 'LDK: the channel usable again', 60_000).catch(async (e: unknown) => {
        console.log(`commit trace (last 80):\n${traceLines.slice(-80).join('\n')}\nstored now: ${await storedNumbers()}`);
        log(ldkNode.log.slice(Math.max(0, mark - 200)).filter((l) => !l.includes('router') && !l.includes('outbound_payment')).join('\n'));
        log(JSON.stringify(await env.channels()));
        throw e;
      });
    };
    const kill = async (): Promise<void> => {
      kills++;
      log(`kill ${kills}: DynamoDB Local killed under the invocations in flight, the deployment stopped`);
      trace(`kill ${kills}`);
      const lastCommit = [...traceLines].reverse().find((line) => line.includes(' commit ')) ?? 'no commit traced';
      env.node.abandon();
      await env.restart();
      trace(`restarted: stored ${await storedNumbers()}`);
      log(`kill ${kills}: the last commit before it ${lastCommit}; after it ${traceLines.at(-1) ?? ''}`);
      installFaults(env.node);
      await reconnect();
      log(`kill ${kills}: restarted and reconnected`);
    };

    /**
     * A request the merchant repeats, same key and body, until it gets an answer that is not 5xx (or the network fails no more).
     * `attempts`, when given, gets each try's time and outcome (printed when the request's payment stalls).
     */
    const retried = async (what: string, request: () => Promise<ApiResponse>, attempts?: string[]): Promise<ApiResponse> => {
      for (let attempt = 0; ; attempt++) {
        if (attempt > 0) {
          retries++;
          await sleep(Math.min(2_000, 100 * attempt));
        }
        if (attempt > 200) throw new Error(`${what}: no answer after 200 tries`);
        const at = new Date().toISOString().slice(11, 23);
        try {
          const answer = await request();
          attempts?.push(`${at} ${answer.status} ${answer.status < 300 ? '' : String(answer.body['code'] ?? '')}`.trim());
          if (answer.status < 500) return answer;
        } catch (error) {
          // Connection refused or reset: the deployment is down or restarting.
          attempts?.push(`${at} ${String(error).slice(0, 60)}`);
        }
      }
    };

    const outbound: Outbound[] = [];
    const inbound: Inbound[] = [];
    // A payment waits for its outcome (so `concurrency` payments are really in flight while faults strike);
    // one that does not settle within a minute stalls the run: no new payment starts, and the checks say what is stuck.
    let stalled: string | undefined;
    const settledWithin = async (what: string, done: () => Promise<boolean>, diagnose?: () => Promise<string>): Promise<void> => {
      const deadline = Date.now() + 60_000;
      while (!(await done())) {
        if (Date.now() > deadline) {
          stalled ??= `${what} did not settle within 60 s${diagnose === undefined ? '' : `: ${await diagnose()}`}`;
          return;
        }
        await sleep(50);
      }
    };

    const sendOne = async (index: number, amountMsat: number): Promise<void> => {
      const created = ldk.UtilMethods.constructor_create_invoice_from_channelmanager(
        ldkNode.channelManager, ldk.Option_u64Z.constructor_some(BigInt(amountMsat)), `crash ${index}`, 3600, ldk.Option_u16Z.constructor_none(),
      );
      if (!(created instanceof ldk.Result_Bolt11InvoiceSignOrCreationErrorZ_OK)) throw new Error('LDK could not create an invoice');
      const bolt11 = created.res.to_str();
      const record: Outbound = { key: `crash-${options.seed}-${index}`, hash: toHex(created.res.payment_hash()), amountMsat };
      outbound.push(record);
      const headers = { 'content-type': 'application/json', 'idempotency-key': record.key };
      const attempts: string[] = [];
      const answer = await retried(`POST /v1/payments #${index}`, () => env.api('/v1/payments', { method: 'POST', body: JSON.stringify({ bolt11 }), headers }), attempts);
      if (answer.status !== 202) {
        record.refusal = `${answer.status} ${String(answer.body['code'])}`;
        return;
      }
      record.paymentId = String(answer.body['paymentId']);
      const paymentId = record.paymentId;
      let last: ApiResponse | undefined;
      await settledWithin(`payment #${index}`, async () => {
        last = await env.api(`/v1/payments/${paymentId}`).catch(() => undefined);
        return last?.status === 200 && last.body['state'] !== 'pending';
      }, async () => {
        // What the store holds of it: the records its commit writes together (docs/payments-api.md).
        const { store, nodeKey } = env.node.context;
        const held = [
          `input ${await store.hasInput(nodeKey, `payment-${paymentId}`).catch(String)}`,
          ...(await Promise.all(
            [SortKey.payment(paymentId), SortKey.paymentByHash(record.hash)].map(async (sk) => `${sk} ${(await store.get(nodeKey, sk).catch(() => undefined)) !== undefined}`),
          )),
        ];
        return `POST tries [${attempts.join(', ')}]; GET ${last?.status} ${JSON.stringify(last?.body['state'] ?? last?.body['code'])}; stored: ${held.join(', ')}; commit trace (last 30):\n${traceLines.slice(-30).join('\n')}`;
      });
    };

    const receiveOne = async (index: number, amountMsat: number): Promise<void> => {
      const key = `invoice-${options.seed}-${index}`;
      const body = JSON.stringify({ amountMsat, description: `crash ${index}` });
      const answer = await retried(`POST /v1/invoices #${index}`, () => env.api('/v1/invoices', { method: 'POST', body, headers: { 'content-type': 'application/json', 'idempotency-key': key } }));
      if (answer.status !== 201) throw new Error(`POST /v1/invoices #${index}: ${answer.status} ${JSON.stringify(answer.body)}`);
      const invoice = answer.body as unknown as InvoiceJson;
      const parsed = ldk.Bolt11Invoice.constructor_from_str(invoice.bolt11);
      if (!(parsed instanceof ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK)) throw new Error('LDK could not parse our invoice');
      const params = ldk.UtilMethods.constructor_payment_parameters_from_invoice(parsed.res);
      if (!(params instanceof ldk.Result_C3Tuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZNoneZ_OK)) throw new Error('LDK payment parameters');
      const ldkPaymentId = new Uint8Array(32);
      ldkPaymentId.set(sha256(new TextEncoder().encode(key)));
      // LDK finds no route while the peer is away (or a commitment update is under way): it tries again, under the same id.
      for (let tries = 0; ; tries++) {
        const sent = ldkNode.channelManager.send_payment(params.res.get_a(), params.res.get_b(), ldkPaymentId, params.res.get_c(), ldk.Retry.constructor_attempts(3));
        if (sent.is_ok()) break;
        const refusal = sent instanceof ldk.Result_NoneRetryableSendFailureZ_Err ? ldk.RetryableSendFailure[sent.err] : 'unknown';
        if (refusal !== 'LDKRetryableSendFailure_RouteNotFound' || tries > 600) throw new Error(`LDK refused to pay invoice #${index}: ${refusal}`);
        await sleep(100);
      }
      const id = toHex(ldkPaymentId);
      inbound.push({ key, hash: invoice.paymentHash, amountMsat, ldkPaymentId: id });
      await settledWithin(`LDK's payment #${index}`, async () => ldkLedger.sent.has(id) || ldkLedger.failed.has(id));
    };

    // The schedule, drawn from the seed: each payment's direction and amount (3,000 to 13,000 sat, any msat),
    // and the payments before which a kill or a lease crash starts (while earlier ones are in flight).
    const plan = Array.from({ length: options.payments }, () => ({ outbound: random() < 0.5, amountMsat: 3_000_000 + Math.floor(random() * 10_000_000) }));
    const killAt = new Map<number, number>();
    for (let k = 0; k < options.kills; k++) killAt.set(1 + Math.floor(random() * (options.payments - 1)), Math.floor(random() * 300));
    const leaseCrashAt = new Set<number>();
    for (let k = 0; k < options.leaseCrashes; k++) leaseCrashAt.add(1 + Math.floor(random() * (options.payments - 1)));

    const inFlight = new Set<Promise<void>>();
    const failures: string[] = [];
    for (let i = 0; i < plan.length && stalled === undefined; i++) {
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      if (stalled !== undefined) break;
      await gate;
      const delay = killAt.get(i);
      if (delay !== undefined) {
        gate = sleep(delay).then(kill);
        void gate.catch(() => undefined);
      }
      if (leaseCrashAt.has(i)) leaseCrashArmed = true;
      const { outbound: out, amountMsat } = plan[i]!;
      const task = (out ? sendOne(i, amountMsat) : receiveOne(i, amountMsat)).catch((e: unknown) => {
        failures.push(`payment #${i}: ${String(e)}`);
      });
      const tracked = task.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (i % 50 === 49) log(`${i + 1} payments started (${kills} kills, ${crashes.afterLease + crashes.afterCommit + crashes.afterSend} crashes, ${retries} retries)`);
    }
    await Promise.all(inFlight);
    await gate;
    violations.push(...failures);
    if (stalled !== undefined) violations.push(`stalled: ${stalled}`);

    // Settle: no more faults; ticks relay what an outbox still holds and retry webhook deliveries.
    faultsOn = false;
    leaseCrashArmed = false;
    log('settling');
    const settleDeadline = Date.now() + 120_000;
    const settled = async (): Promise<boolean> => {
      const paymentsPending = (await listPayments(env)).some((p) => p.state === 'pending');
      const ldkPending = inbound.some((p) => !ldkLedger.sent.has(p.ldkPaymentId) && !ldkLedger.failed.has(p.ldkPaymentId));
      const view = await channelView(env, channelId);
      const theirs = ldkNode.channelManager.list_channels()[0];
      const ldkHtlcs = theirs === undefined ? 0 : theirs.get_pending_inbound_htlcs().length + theirs.get_pending_outbound_htlcs().length;
      return !paymentsPending && !ldkPending && view.pendingHtlcs.length === 0 && ldkHtlcs === 0;
    };
    const diagnose = async (): Promise<string> => {
      const outbox = await env.node.context.store.pendingOutbox(env.node.context.nodeKey).catch(() => []);
      const filtered = ldkNode.log.filter((l) => !l.includes('router') && !l.includes('outbound_payment') && !l.includes('Enqueueing message ChannelUpdate'));
      const { store, nodeKey } = env.node.context;
      const ours = await store.query(nodeKey, 'CHANNEL#').catch(() => []);
      const htlcs = ours.flatMap(({ data }) => {
        const entry = decodeChannelEntry(data);
        return entry.ok && entry.value.kind === 'channel' ? (entry.value.channel.htlcs ?? []).map((h) => `${h.direction} ${h.id} ${h.state} ${h.resolution?.kind ?? 'unresolved'}`) : [];
      });
      return [
        `LDK peers ${ldkNode.peers().length}, usable channels ${ldkNode.channelManager.list_usable_channels().length}; our peers ${await env.peerCount().catch(() => -1)}; outbox items ${outbox.length}`,
        `our HTLCs: ${htlcs.join('; ') || 'none'}`,
        ...filtered.slice(-40),
      ].join('\n');
    };
    let lastRedial = Date.now();
    while (!(await settled().catch(() => false))) {
      if (Date.now() > settleDeadline) {
        log(`not settled:\n${await diagnose()}`);
        break;
      }
      // A peer with a channel dials again when the connection is gone (as LDK's background reconnection does).
      if (ldkNode.peers().length === 0 && Date.now() - lastRedial > 5_000) {
        lastRedial = Date.now();
        redials++;
        log(`LDK disconnected while settling: redialing\n${await diagnose()}`);
        await ldkNode.connect(fromHex(env.node.nodeId), '127.0.0.1', Number(env.node.peerAddress.split(':')[1])).catch(() => undefined);
      }
      await env.node.tick().catch(() => undefined);
      await sleep(250);
    }

    // 1. Payments: each key one payment, final, as LDK saw it.
    const listed = await listPayments(env);
    const byId = new Map<string, PaymentJson[]>();
    for (const p of listed) byId.set(p.paymentId, [...(byId.get(p.paymentId) ?? []), p]);
    const byHash = new Map<string, PaymentJson[]>();
    for (const p of listed) byHash.set(p.paymentHash, [...(byHash.get(p.paymentHash) ?? []), p]);
    let sentMsat = 0;
    const sentCount = { succeeded: 0, failed: 0, refused: 0 };
    for (const o of outbound) {
      const claimed = ldkLedger.claimed.get(o.hash) ?? [];
      if (claimed.length > 1) violations.push(`LDK claimed ${o.hash} ${claimed.length} times`);
      if ((ldkLedger.claimable.get(o.hash) ?? 0) > 1) violations.push(`LDK saw ${o.hash} claimable ${ldkLedger.claimable.get(o.hash)} times`);
      if (o.paymentId === undefined) {
        sentCount.refused++;
        if ((byHash.get(o.hash) ?? []).length > 0) violations.push(`refused payment ${o.key} (${o.refusal}) is listed`);
        if (claimed.length > 0) violations.push(`refused payment ${o.key} (${o.refusal}) was paid`);
        continue;
      }
      const records = byId.get(o.paymentId) ?? [];
      if (records.length !== 1) {
        violations.push(`payment ${o.paymentId} (${o.key}) listed ${records.length} times`);
        continue;
      }
      if ((byHash.get(o.hash) ?? []).length !== 1) violations.push(`hash ${o.hash} has ${(byHash.get(o.hash) ?? []).length} payments`);
      const p = records[0]!;
      if (p.state === 'succeeded') {
        sentCount.succeeded++;
        sentMsat += p.amountMsat + (p.feeMsat ?? 0);
        if (p.amountMsat !== o.amountMsat) violations.push(`payment ${o.paymentId}: amount ${p.amountMsat}, asked ${o.amountMsat}`);
        if (p.preimage === null || toHex(sha256(fromHex(p.preimage))) !== o.hash) violations.push(`payment ${o.paymentId}: succeeded without the preimage of its hash`);
        if (claimed.length !== 1 || claimed[0] !== BigInt(o.amountMsat)) violations.push(`payment ${o.paymentId} succeeded but LDK claimed ${JSON.stringify(claimed.map(String))}`);
      } else if (p.state === 'failed') {
        sentCount.failed++;
        if (claimed.length > 0) violations.push(`payment ${o.paymentId} failed but LDK claimed it`);
      } else {
        violations.push(`payment ${o.paymentId} still ${p.state} after settling`);
      }
    }
    const ours = new Set(outbound.flatMap((o) => (o.paymentId === undefined ? [] : [o.paymentId])));
    for (const p of listed) if (!ours.has(p.paymentId)) violations.push(`payment ${p.paymentId} listed that no request created`);

    // 2. Invoices LDK paid: paid once, exactly when LDK saw it sent.
    let receivedMsat = 0;
    const receivedCount = { paid: 0, failed: 0 };
    for (const r of inbound) {
      const got = await retried(`GET /v1/invoices/${r.hash}`, () => env.api(`/v1/invoices/${r.hash}`));
      const invoice = got.body as unknown as InvoiceJson;
      const sent = ldkLedger.sent.get(r.ldkPaymentId) ?? 0;
      const failed = ldkLedger.failed.get(r.ldkPaymentId) ?? 0;
      if (sent + failed !== 1) violations.push(`LDK payment of invoice ${r.hash}: sent ${sent}, failed ${failed} times`);
      if ((ldkLedger.claimed.get(r.hash) ?? []).length > 0) violations.push(`LDK claimed our invoice's hash ${r.hash}`);
      if (sent > 0) {
        receivedCount.paid++;
        // What LDK's paths delivered: the invoice's amount, or more when LDK's router rounded up to clear a minimum
        // (LDK raises its next HTLC minimum above the dust threshold near its dust exposure limit; BOLT 4 lets it pay up to twice).
        const delivered = Number(ldkLedger.delivered.get(r.ldkPaymentId) ?? BigInt(r.amountMsat));
        receivedMsat += delivered;
        if (delivered < r.amountMsat || delivered > 2 * r.amountMsat) violations.push(`invoice ${r.hash}: LDK delivered ${delivered} msat for ${r.amountMsat}`);
        if (invoice.state !== 'paid' || invoice.receivedMsat !== delivered) violations.push(`invoice ${r.hash}: LDK delivered ${delivered} msat, we show ${invoice.state} ${String(invoice.receivedMsat)}`);
      } else {
        receivedCount.failed++;
        if (invoice.state === 'paid') violations.push(`invoice ${r.hash}: paid, but LDK's payment failed`);
      }
    }

    // 3. No HTLC left; the balances agree with LDK's to the msat and moved by exactly what was paid.
    const view = await channelView(env, channelId);
    const theirs = ldkNode.channelManager.list_channels().find((c) => toHex(c.get_channel_id().get_a()) === channelId);
    if (theirs === undefined) {
      violations.push('LDK no longer lists the channel');
    } else {
      if (view.pendingHtlcs.length > 0) violations.push(`our side holds ${view.pendingHtlcs.length} HTLCs: ${JSON.stringify(view.pendingHtlcs)}`);
      const ldkHtlcs = theirs.get_pending_inbound_htlcs().length + theirs.get_pending_outbound_htlcs().length;
      if (ldkHtlcs > 0) violations.push(`LDK holds ${ldkHtlcs} HTLCs`);
      // With no HTLC, what is neither side's balance is the commitment fee we pay as funder.
      const feeMsat = view.capacitySat * 1000 - view.localBalanceMsat - view.remoteBalanceMsat;
      const reserveMsat = Number(theirs.get_counterparty().get_unspendable_punishment_reserve()) * 1000;
      const ldkInbound = Number(theirs.get_inbound_capacity_msat());
      if (ldkInbound !== view.localBalanceMsat + feeMsat - reserveMsat) {
        violations.push(`LDK's inbound capacity ${ldkInbound} msat, ours says ${view.localBalanceMsat + feeMsat - reserveMsat} (local ${view.localBalanceMsat}, fee ${feeMsat}, reserve ${reserveMsat})`);
      }
      const claimable = ldkNode.chainMonitor.get_claimable_balances([]).find((b): b is ldk.Balance_ClaimableOnChannelClose => b instanceof ldk.Balance_ClaimableOnChannelClose);
      if (claimable === undefined || Number(claimable.amount_satoshis) !== Math.floor(view.remoteBalanceMsat / 1000)) {
        violations.push(`LDK's own output ${String(claimable?.amount_satoshis)} sat, our remote balance ${view.remoteBalanceMsat} msat`);
      }
    }
    if (view.localBalanceMsat !== initialLocal - sentMsat + receivedMsat) {
      violations.push(`our balance ${view.localBalanceMsat} msat, expected ${initialLocal} - ${sentMsat} sent + ${receivedMsat} received = ${initialLocal - sentMsat + receivedMsat}`);
    }

    // 4. Events: one per final payment, each delivered to the webhook at least once under its id.
    const events = (await allEvents(env)).filter((e) => PAYMENT_EVENT_KINDS.includes(e.kind));
    const eventCount = (kind: string, field: string, value: string) => events.filter((e) => e.kind === kind && e[field] === value).length;
    for (const o of outbound) {
      if (o.paymentId === undefined) continue;
      const state = byId.get(o.paymentId)?.[0]?.state;
      const kind = state === 'succeeded' ? 'payment-sent' : 'payment-failed';
      const n = eventCount(kind, 'paymentId', o.paymentId);
      if (n !== 1) violations.push(`payment ${o.paymentId} (${state}): ${n} ${kind} events`);
    }
    for (const r of inbound) {
      const paid = (ldkLedger.sent.get(r.ldkPaymentId) ?? 0) > 0;
      const n = eventCount('payment-received', 'paymentHash', r.hash);
      if (n !== (paid ? 1 : 0)) violations.push(`invoice ${r.hash}: ${n} payment-received events`);
    }
    const deliveryDeadline = Date.now() + 120_000;
    const undelivered = () => events.filter((e) => !receiver.received.has(e.id));
    while (undelivered().length > 0 && Date.now() < deliveryDeadline) {
      await env.node.deliverWebhooks().catch(() => undefined);
      await sleep(500);
    }
    for (const e of undelivered()) violations.push(`event ${e.id} (${e.kind}) never reached the webhook receiver`);

    return {
      seed: options.seed,
      payments: options.payments,
      sent: { total: outbound.length, ...sentCount },
      received: { total: inbound.length, ...receivedCount },
      kills,
      crashes: { ...crashes, draws },
      retries,
      redials,
      events: events.length,
      webhookPosts: receiver.posts(),
      durationMs: Date.now() - started,
      violations,
    };
  } finally {
    clearInterval(timer);
    ledger?.stop();
    await env.stop();
    receiver.server.closeAllConnections();
    await new Promise<void>((r) => receiver.server.close(() => r()));
  }
}

async function channelView(env: EmbeddedWithLdk, id: string): Promise<ChannelView> {
  const { status, body } = await env.api(`/v1/channels/${id}`);
  if (status !== 200) throw new Error(`GET /v1/channels/${id}: ${status}`);
  return body as unknown as ChannelView;
}

/** Every payment over `GET /v1/payments`, page by page. */
async function listPayments(env: EmbeddedWithLdk): Promise<PaymentJson[]> {
  const all: PaymentJson[] = [];
  let after: string | undefined;
  for (;;) {
    const { status, body } = await env.api(`/v1/payments?limit=100${after === undefined ? '' : `&after=${after}`}`);
    if (status !== 200) throw new Error(`GET /v1/payments: ${status}`);
    all.push(...(body['payments'] as PaymentJson[]));
    after = body['nextAfter'] as string | undefined;
    if (after === undefined) return all;
  }
}

/** Every pending event over `GET /v1/events?after=`, nothing acknowledged. */
async function allEvents(env: EmbeddedWithLdk): Promise<(Record<string, unknown> & { id: string; kind: string })[]> {
  const all: (Record<string, unknown> & { id: string; kind: string })[] = [];
  for (;;) {
    const last = all[all.length - 1];
    const { status, body } = await env.api(`/v1/events${last === undefined ? '' : `?after=${last.id}`}`);
    if (status !== 200) throw new Error(`GET /v1/events: ${status}`);
    const page = body['events'] as (Record<string, unknown> & { id: string; kind: string })[];
    if (page.length === 0) return all;
    all.push(...page);
  }
}

/** `holder/counterparty awaiting` of a stored channel item (the diagnostic trace). */
function commitmentNumbers(entry: DecodeResult<ChannelEntry>): string {
  if (!entry.ok) return `undecodable (${entry.error})`;
  const text = JSON.stringify(entry.value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? undefined : v));
  const field = (name: string) => new RegExp(`"${name}":"?([^,"}]+)`).exec(text)?.[1] ?? '?';
  return `holder ${field('holderCommitmentNumber')} counterparty ${field('counterpartyCommitmentNumber')} awaiting ${field('awaitingRemoteRevoke')}`;
}
