/**
 * Inputs applied under the node's lease (docs/commit-protocol.md): take the
 * lease, relay what a predecessor left in the outbox, let the core compute the
 * step, then either send its replies directly (no state changed) or commit
 * state + the input's outbox item (all its messages in one item), fenced, and
 * relay, then carry out its deferred deletes (cleanup, docs/items.md). One
 * input alone releases the lease in its commit (`applyInput`); the
 * records of one SQS batch share one lease (`LeaseSession`), each with its own
 * commit, and release it once at the end.
 */
import { randomUUID } from 'node:crypto';
import { toHex } from '../../shared/crypto/index.js';
import { encodePeerMessage, type PeerEffect } from '../../shared/manager/index.js';
import { txidOf } from '../../shared/tx/index.js';
import { encodeBroadcast, encodeInbound, encodeOutbound, inboundGroup, MAX_COALESCED_BYTES, type OutboundEnvelope } from '../../shared/pipeline/envelopes.js';
import {
  KnownItems,
  MAX_SNAPSHOT_KEYS,
  PendingWrites,
  SortKey,
  knownFromSnapshot,
  StoreError,
  StoreErrorCode,
  outboxParts,
  type Commit,
  type ItemPut,
  type Lease,
  type NodeStore,
  type CleanupItem,
  type OutboxItem,
  type OutboxMessage,
  type OutboxSender,
} from '../../shared/store/index.js';
import type { NodeContext } from './node-context.js';
import { followUpWatchPuts } from './follow-up-watch.js';

/** The writes and messages one input produced. */
export interface InvocationResult {
  /** State writes; one with a condition (an invoice still `open` when its payment is claimed) fails the commit with `condition-failed` when it does not hold, and the input is retried. */
  readonly puts: readonly ItemPut[];
  readonly deletes: readonly string[];
  readonly effects: readonly PeerEffect[];
  /** Transactions for the broadcast queue, sent only AFTER the commit (a funding transaction before its channel is durable could lock funds). */
  readonly broadcasts?: readonly Uint8Array[];
  /** Follow-up inputs for the inbound queue, in the peer's group (docs/follow-ups.md): committed in the outbox item with the messages. */
  readonly followUps?: readonly FollowUpInput[];
  /** Sort keys made obsolete, deleted after the commit (one cleanup item in it: `Commit.cleanup`, docs/items.md). */
  readonly cleanup?: readonly string[];
}

/** One follow-up input: a channel's share of work that touched many (shared/manager/follow-up.ts). */
export interface FollowUpInput {
  readonly peer: Uint8Array;
  /** The peer connection the work is for, when it is for one (a follow-up for an older connection is dropped). */
  readonly connectionId?: string;
  readonly work: Uint8Array;
  /** Watched until applied (follow-up-watch.ts): nothing else makes it again if a queue loses it. */
  readonly watched?: true;
}

/** Where an outbox message goes: the outbound queue (to the gateway) or the inbound queue (a follow-up input). */
export const OutboxDestination = { outbound: 'outbound', inbound: 'inbound' } as const;

export type Outcome = 'applied' | 'no-change' | 'duplicate';

/** The longest pause between two tries of the lease (ms): the jittered backoff grows up to it. */
export const MAX_LEASE_BACKOFF_MS = 250;

/**
 * Takes the node's lease, trying again with full-jitter exponential backoff
 * (`random(0, min(250, 10 * 2^attempt))` ms) while another invocation holds
 * it, for at most `waitMs`; then throws the `lease-held` StoreError (the
 * caller answers 503 or leaves the input to its next delivery).
 */
export async function acquireLease(store: NodeStore, nodeKey: string, owner: string, ttlMs: number, waitMs: number): Promise<Lease> {
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await store.acquireLease(nodeKey, owner, ttlMs);
    } catch (error) {
      if (!isLeaseHeld(error)) throw error;
      const left = deadline - Date.now();
      if (left <= 0) throw error;
      const pause = Math.random() * Math.min(MAX_LEASE_BACKOFF_MS, 10 * 2 ** Math.min(attempt, 10));
      await new Promise((r) => setTimeout(r, Math.min(left, pause)));
    }
  }
}

/**
 * The inputs of this process waiting for one node's lease, first come first
 * served: only the one at the head asks DynamoDB (the others would only add
 * refused conditional writes to the table the holder is using). One process
 * may run many inputs at once (the embedded deployment, a Lambda container's
 * concurrent awaits); across processes the lease itself decides.
 */
export class LeaseQueue {
  #busy = false;
  readonly #waiting: (() => void)[] = [];

  /** Resolves true when it is the caller's turn, false at `deadlineMs` (then it no longer waits). Every true must be followed by one `leave()`. */
  enter(deadlineMs: number): Promise<boolean> {
    if (!this.#busy) {
      this.#busy = true;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const at = this.#waiting.indexOf(wake);
        if (at >= 0) this.#waiting.splice(at, 1);
        resolve(false);
      }, Math.max(0, deadlineMs - Date.now()));
      this.#waiting.push(wake);
    });
  }

  /** Hands the turn to the next waiter, if any. */
  leave(): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#busy = false;
    else next();
  }
}

const leaseQueues = new WeakMap<NodeStore, Map<string, LeaseQueue>>();

function leaseQueueOf(store: NodeStore, nodeKey: string): LeaseQueue {
  let byNode = leaseQueues.get(store);
  if (byNode === undefined) leaseQueues.set(store, (byNode = new Map()));
  let queue = byNode.get(nodeKey);
  if (queue === undefined) byNode.set(nodeKey, (queue = new LeaseQueue()));
  return queue;
}

/**
 * The relays this process runs after a commit that released the lease (its
 * messages sent, its outbox and cleanup items deleted), by input id: the
 * next input of this process that finds those items among the leftovers
 * waits for them instead of relaying them a second time (the same messages
 * sent again, the same deletes), and relays them itself only if one failed.
 */
const relaysInFlight = new WeakMap<NodeStore, Map<string, Map<string, Promise<void>>>>();

function relaysOf(store: NodeStore, nodeKey: string): Map<string, Promise<void>> {
  let byNode = relaysInFlight.get(store);
  if (byNode === undefined) relaysInFlight.set(store, (byNode = new Map()));
  let relays = byNode.get(nodeKey);
  if (relays === undefined) byNode.set(nodeKey, (relays = new Map()));
  return relays;
}

/**
 * Finishes what earlier commits left (docs/commit-protocol.md, step 2):
 * items this process is relaying already are waited for; every other item,
 * and one whose relay failed, is relayed here (its messages sent, then the
 * item deleted), in sort-key order, and then the cleanup items finished.
 */
async function finishLeftovers(store: NodeStore, nodeKey: string, left: { outbox: readonly OutboxItem[]; cleanup: readonly CleanupItem[] }, send: OutboxSender): Promise<void> {
  const relays = relaysOf(store, nodeKey);
  const theirs = [...new Set([...left.outbox, ...left.cleanup].map((item) => item.inputId))].filter((id) => relays.has(id));
  const settled = await Promise.allSettled(theirs.map((id) => relays.get(id)!));
  const done = new Set(theirs.filter((_, i) => settled[i]!.status === 'fulfilled'));
  for (const item of left.outbox) {
    if (done.has(item.inputId)) continue;
    await send(item.messages);
    await store.deleteOutbox(nodeKey, item.inputId);
  }
  // A predecessor's deferred deletes, finished as its outbox is relayed (the keys name items no commit writes again).
  for (const item of left.cleanup) if (!done.has(item.inputId)) await store.finishCleanup(nodeKey, item);
}

/**
 * What a session of this process knew of a node's items when it gave the
 * lease up, and the commit count it left on `LEASE` (docs/commit-protocol.md,
 * "Handed to the next session"): the next session of this process starts
 * from it when its acquisition shows that same count (no commit since, and
 * none can land under an older fence), as it would from a snapshot.
 */
interface Carried {
  readonly known: KnownItems;
  readonly commits: bigint;
  /** No outbox or cleanup item was left in the table by then, besides those whose relay this process has under way (`relaysInFlight`). */
  readonly outboxClear: boolean;
}

/**
 * The nodes for which a relay of this process failed and left items in the
 * table since the last leftovers Query began: a session handed a clear
 * outbox must then look (the Query) after all.
 */
const outboxDirty = new WeakMap<NodeStore, Set<string>>();

function markOutboxDirty(store: NodeStore, nodeKey: string): void {
  let nodes = outboxDirty.get(store);
  if (nodes === undefined) outboxDirty.set(store, (nodes = new Set()));
  nodes.add(nodeKey);
}

const EMPTY_LEFTOVERS: { outbox: OutboxItem[]; cleanup: CleanupItem[] } = { outbox: [], cleanup: [] };

/** The leftovers Query (docs/commit-protocol.md, step 2); a relay failing after it began marks the node again. */
function queryLeftovers(store: NodeStore, nodeKey: string): Promise<{ outbox: OutboxItem[]; cleanup: CleanupItem[] }> {
  outboxDirty.get(store)?.delete(nodeKey);
  return store.leftovers(nodeKey);
}

/**
 * The leftovers of a session handed a clear outbox: none, once every relay
 * this process has under way has succeeded; the Query after all when one
 * failed, or failed since the last Query.
 */
async function leftoversAfterRelays(store: NodeStore, nodeKey: string): Promise<{ outbox: OutboxItem[]; cleanup: CleanupItem[] }> {
  const settled = await Promise.allSettled([...relaysOf(store, nodeKey).values()]);
  if (settled.some((r) => r.status === 'rejected') || outboxDirty.get(store)?.has(nodeKey) === true) return queryLeftovers(store, nodeKey);
  return EMPTY_LEFTOVERS;
}

/** The most items a session hands to the next (beyond it the next starts afresh: memory stays bounded in a long-lived process). */
export const MAX_CARRIED_ITEMS = 10_000;

const carriedKnowledge = new WeakMap<NodeStore, Map<string, Carried>>();

/** Takes (and forgets) what the last session of this process handed over for `nodeKey`. */
function takeCarried(store: NodeStore, nodeKey: string): Carried | undefined {
  const byNode = carriedKnowledge.get(store);
  const carried = byNode?.get(nodeKey);
  byNode?.delete(nodeKey);
  return carried;
}

function handOver(store: NodeStore, nodeKey: string, carried: Carried): void {
  let byNode = carriedKnowledge.get(store);
  if (byNode === undefined) carriedKnowledge.set(store, (byNode = new Map()));
  byNode.set(nodeKey, carried);
}

/** True for the store's `lease-held`: another invocation holds the node's lease (contention, not a failure). */
export function isLeaseHeld(error: unknown): error is StoreError {
  return error instanceof StoreError && error.code === StoreErrorCode.LeaseHeld;
}

/** Effects as outbound envelopes; each id is derived from the input id, so a replay sends the same ids. */
export function outboxMessages(inputId: string, effects: readonly PeerEffect[], followUps: readonly FollowUpInput[] = [], nodeKey = ''): OutboxMessage[] {
  // Channel messages are handed to the ChannelManager before this point (functions/peer-message/apply.ts);
  // one that still arrives here (a handler without the manager) is an `error` to drop or ends the connection.
  // An unsupported message is reported to the user there too; only its disconnect travels.
  const outbound = effects.flatMap((e) => (e.kind === 'unsupported-message' || (e.kind === 'channel-message' && e.message.type === 17) ? [] : [e]));
  const envelopes = coalesceSends(
    outbound.map((effect): OutboundEnvelope =>
      effect.kind === 'send'
        ? { kind: 'send', peer: toHex(effect.peer), message: encodePeerMessage(effect.message), ...(effect.connectionId === undefined ? {} : { connectionId: effect.connectionId }) }
        : effect.kind === 'disconnect'
          ? { kind: 'disconnect', peer: toHex(effect.peer), reason: effect.reason }
          : // ...and any other channel message ends the connection, as before.
            { kind: 'disconnect', peer: toHex(effect.peer), reason: `channel message type ${effect.message.type} is not handled yet` },
    ),
  );
  const messages = envelopes.map(
    (envelope, index): OutboxMessage => ({
      id: `${inputId}#${index.toString().padStart(3, '0')}`,
      destination: OutboxDestination.outbound,
      group: envelope.peer,
      body: new TextEncoder().encode(encodeOutbound(envelope)),
    }),
  );
  const inbound = followUps.map((f, index): OutboxMessage => {
    const peer = toHex(f.peer);
    const body = encodeInbound({ kind: 'follow-up', peer, work: f.work, ...(f.connectionId === undefined ? {} : { connectionId: f.connectionId }) });
    // The id is the follow-up's input id too (its replay is a no-op): derived from this input's id, so a relay after a crash reuses it.
    return { id: `${inputId}#f${index.toString().padStart(4, '0')}`, destination: OutboxDestination.inbound, group: inboundGroup(nodeKey, peer), body: new TextEncoder().encode(body) };
  });
  return [...messages, ...inbound];
}

/**
 * An input's messages in a row to one peer (and connection) as one
 * `send-many` (one queue message, one receive and delete at the gateway),
 * within {@link MAX_COALESCED_BYTES}; a lone message stays a `send`.
 */
function coalesceSends(envelopes: readonly OutboundEnvelope[]): OutboundEnvelope[] {
  const out: OutboundEnvelope[] = [];
  let run: { peer: string; connectionId: string | undefined; messages: Uint8Array[]; bytes: number } | undefined;
  const close = () => {
    if (run === undefined) return;
    const where = { peer: run.peer, ...(run.connectionId === undefined ? {} : { connectionId: run.connectionId }) };
    out.push(run.messages.length === 1 ? { kind: 'send', ...where, message: run.messages[0]! } : { kind: 'send-many', ...where, messages: run.messages });
    run = undefined;
  };
  for (const e of envelopes) {
    if (e.kind !== 'send') {
      close();
      out.push(e);
      continue;
    }
    if (run !== undefined && (run.peer !== e.peer || run.connectionId !== e.connectionId || run.bytes + e.message.length > MAX_COALESCED_BYTES)) close();
    run ??= { peer: e.peer, connectionId: e.connectionId, messages: [], bytes: 0 };
    run.messages.push(e.message);
    run.bytes += e.message.length;
  }
  close();
  return out;
}

/**
 * Hands the webhook deliveries a commit wrote (their `WEBHOOK_DUE#` markers)
 * to the delivery function at once (docs/webhooks.md). Best effort: a
 * failure is logged, the timer finds the markers.
 */
async function dispatchWebhooks(ctx: NodeContext, puts: InvocationResult['puts']): Promise<void> {
  const dispatch = ctx.webhooks?.dispatch;
  if (dispatch === undefined) return;
  const ids = puts.filter((p) => p.sk.startsWith(SortKey.webhookDuePrefix)).map((p) => BigInt(p.sk.slice(p.sk.lastIndexOf('#') + 1)));
  if (ids.length === 0) return;
  await dispatch(ids).catch((error: unknown) => ctx.logger.warn('webhook dispatch failed: the timer delivers', { error: String(error) }));
}

/** Hands committed transactions to the broadcast queue (dedup id from the input id: a replay sends the same ids). */
async function broadcastAfterCommit(ctx: NodeContext, inputId: string, txs: readonly Uint8Array[]): Promise<void> {
  if (txs.length === 0) return;
  if (ctx.broadcast === undefined) throw new Error('this process has no broadcast queue but committed a transaction to broadcast');
  for (const [index, raw] of txs.entries()) {
    // The txid, not the hash of the bytes: for a segwit transaction that is its wtxid, which the chain source knows nothing by.
    const txid = txidOf(raw);
    await ctx.broadcast.send({ group: ctx.nodeKey, dedupId: `tx-${inputId}#${index}`, body: encodeBroadcast({ txid, hex: toHex(raw) }) });
  }
}

/**
 * Sends one input's messages in order (SendMessageBatch, 10 per call), each
 * under its own id: peer messages to the outbound queue, follow-up inputs to
 * the inbound queue (docs/follow-ups.md).
 */
export function sendOutbound(ctx: NodeContext): OutboxSender {
  const text = new TextDecoder();
  const entries = (messages: readonly OutboxMessage[]) => messages.map((message) => ({ group: message.group, dedupId: message.id, body: text.decode(message.body) }));
  return async (messages) => {
    const followUps = messages.filter((m) => m.destination === OutboxDestination.inbound);
    await ctx.outbound.sendBatch(entries(messages.filter((m) => m.destination !== OutboxDestination.inbound)));
    if (followUps.length === 0) return;
    if (ctx.inbound === undefined) throw new Error('this process has no inbound queue but committed follow-up inputs');
    await ctx.inbound.sendBatch(entries(followUps));
  };
}

export interface ApplyOptions {
  /** How long to wait for the lease while another invocation holds it (ms); the context's `leaseWaitMs` by default. */
  readonly leaseWaitMs?: number;
  /** Keys the step will read first: read beside the lease's acquisition ({@link LeaseSession.apply}, `prefetch`). */
  readonly prefetch?: readonly string[];
  /**
   * Keys the session's later inputs will read first (a batch's other
   * records: their `INPUT#` replay checks, their peers' items): read in the
   * same snapshot beside the lease, after the taking input's own `prefetch`,
   * as far as the snapshot has room; what the session then knows serves them
   * (docs/commit-protocol.md, "What a session knows").
   */
  readonly laterPrefetch?: readonly string[];
}

/** How {@link LeaseSession.apply} runs one input. */
export interface InputOptions {
  /** The session's last input: its commit releases the lease in the same transaction. */
  readonly releaseWithCommit?: boolean;
  /**
   * Keys the step reads before anything else (HEADER, FEES, the peer's
   * item...), only items that commits under the lease write (or that may be
   * read a moment early, as `WEBHOOKS`). When this input takes the lease,
   * they are read with its `INPUT#` item in one snapshot beside the
   * acquisition, and served from it when the lease shows no commit since
   * (docs/commit-protocol.md, "Reads beside the lease"): one round trip less.
   */
  readonly prefetch?: readonly string[];
}

/** The keys of the snapshot beside the lease: the taking input's, then the later inputs' as far as there is room (distinct, at most MAX_SNAPSHOT_KEYS). */
function snapshotKeys(first: readonly string[], later: readonly string[]): string[] {
  return [...new Set([...first, ...later])].filter((sk) => sk !== SortKey.lease).slice(0, MAX_SNAPSHOT_KEYS);
}

/** One input of {@link LeaseSession.applyGroup}. */
export interface GroupInput {
  readonly inputId: string;
  readonly step: (store: NodeStore) => Promise<InvocationResult>;
  /** As {@link InputOptions.prefetch}: read beside the lease when the group takes it. */
  readonly prefetch?: readonly string[];
  /** May run in one step with the joinable inputs next to it ({@link GroupOptions.burst}). */
  readonly joinable?: boolean;
}

/** How {@link LeaseSession.applyGroup} runs and commits a group. */
export interface GroupOptions extends Pick<InputOptions, 'releaseWithCommit'> {
  /**
   * Runs the inputs at `indices` (joinable, in a row, none applied yet) as
   * ONE step, on one load (a burst: docs/manager.md, "Bursts"): as many of
   * them from the first as can run so, at least the first. Returns how many
   * ran and their one result; without it each input runs on its own.
   */
  readonly burst?: (store: NodeStore, indices: readonly number[]) => Promise<{ readonly count: number; readonly result: InvocationResult }>;
}

/** What one input's commit writes and what follows it. */
interface InputWrites {
  /** The last input of the step (its messages' outbox item is keyed by it). */
  readonly inputId: string;
  /** The inputs before it that ran in the same step (a burst), in order: their `INPUT#` records are written with it. */
  readonly groupedBefore: readonly string[];
  /** The inputs of a burst, each to run on its own when their writes are too many for one transaction. */
  readonly inputs: readonly GroupInput[];
  /** The step's puts and the watches of its follow-ups. */
  readonly puts: readonly ItemPut[];
  readonly deletes: readonly string[];
  readonly cleanup: readonly string[];
  readonly outbox: readonly OutboxMessage[];
  readonly broadcasts: readonly Uint8Array[];
  /** The step's own puts, where the webhook deliveries to start are found. */
  readonly events: InvocationResult['puts'];
}

function inputWrites(inputId: string, result: InvocationResult, nodeKey: string, nowMs: number, burst: readonly GroupInput[] = []): InputWrites {
  const outbox = outboxMessages(inputId, result.effects, result.followUps, nodeKey);
  const followUps = outbox.filter((m) => m.destination === OutboxDestination.inbound);
  const watched = followUpWatchPuts(inputId, followUps.filter((_, i) => result.followUps?.[i]?.watched === true), nowMs);
  const groupedBefore = burst.slice(0, -1).map((input) => input.inputId);
  return { inputId, groupedBefore, inputs: burst, puts: [...result.puts, ...watched], deletes: result.deletes, cleanup: result.cleanup ?? [], outbox, broadcasts: result.broadcasts ?? [], events: result.puts };
}

/** True when the input changed state (else only its messages, if any, leave: no commit). */
function changesState(writes: InputWrites): boolean {
  return writes.puts.length > 0 || writes.deletes.length > 0;
}

/** True for the errors after which the session's lease is of no more use: it could not be had, or was taken over. */
function endsTheLease(error: unknown): error is StoreError {
  return error instanceof StoreError && (error.code === StoreErrorCode.LeaseHeld || error.code === StoreErrorCode.LeaseLost);
}

/**
 * The node's lease held over several inputs applied one after another (the
 * records of one SQS batch; docs/commit-protocol.md, "A batch shares the
 * lease"). The first `apply` takes the lease (queueing first behind this
 * process's other inputs); each input then keeps its own fenced,
 * replay-checked commit, which leaves the lease held; `close` releases it.
 * Before each later input, a lease with less than half its TTL left is
 * extended (fenced, the fence unchanged). Once the lease could not be had
 * (`lease-held`) or was taken over (`lease-lost`), every later `apply`
 * throws that error without touching the store: nothing is ever committed
 * under a stale fence, and the inputs left are redelivered.
 */
export class LeaseSession {
  readonly #ctx: NodeContext;
  readonly #waitMs: number;
  readonly #laterPrefetch: readonly string[];
  #lease: Lease | undefined;
  #queue: LeaseQueue | undefined;
  #ended: StoreError | undefined;
  #released = false;
  #closed = false;
  /**
   * True when no outbox or cleanup item can be waiting: the leftovers of a
   * predecessor were relayed (and finished) and every input since sent and
   * cleared its own items. Only commits under our fence write them, so while
   * we hold the lease nobody else adds one; after an input that failed
   * midway, the next one looks again.
   */
  #outboxClear = false;
  /**
   * What the session knows of the node's items (shared/store/known-items.ts):
   * what its inputs read and what their commits wrote, of the items only
   * fenced commits write; served to the next input instead of read again.
   * Seeded by the snapshot read beside the lease; started again empty after
   * any commit that failed.
   */
  #known: KnownItems | undefined;
  /** `LEASE`'s commit count as our commits leave it (the acquisition's, plus one per commit of ours); undefined when not known (a lease made by hand, a commit that failed). */
  #commits: bigint | undefined;
  /** Handed a clear outbox by the last session (its count held): the first input waits for this process's relays under way instead of the leftovers Query. */
  #carriedClear = false;
  /** No item is left in the table to relay, besides those this session or process tracks (set once an input's leftovers are finished; cleared by a relay that failed). */
  #tableClear = false;
  /**
   * The items committed by this session whose relay has not finished, in
   * commit order (docs/commit-protocol.md, "The relay beside the next
   * input"): an input that leaves the lease held returns once committed, and
   * its messages leave while the next input reads and commits; the next
   * messages to leave (an input's replies, the last commit's relay) wait for
   * them, so a peer's messages keep their order.
   */
  readonly #unrelayed: { readonly inputId: string; readonly outbox: readonly OutboxMessage[]; readonly cleanup: readonly string[] }[] = [];
  /** The last relay pass started (each pass runs after the one before). */
  #relayChain: Promise<void> = Promise.resolve();

  constructor(ctx: NodeContext, options: ApplyOptions = {}) {
    this.#ctx = ctx;
    this.#waitMs = options.leaseWaitMs ?? ctx.leaseWaitMs;
    this.#laterPrefetch = options.laterPrefetch ?? [];
  }

  /**
   * The lease, taken on first use and extended when under half its TTL is
   * left. Taking it, `prefetch` (when given) is read beside the acquisition
   * in one snapshot with `LEASE`; the snapshot comes back only when it saw
   * the commit count the acquisition saw: no commit fell between the two, and
   * none can follow under an older fence, so it is what a read after the
   * acquisition would have found.
   */
  async #held(prefetch?: readonly string[]): Promise<{ lease: Lease; known: KnownItems }> {
    if (this.#ended !== undefined) throw this.#ended;
    if (this.#closed || this.#released) throw new Error('the lease session is closed');
    const { store, nodeKey, leaseTtlMs } = this.#ctx;
    try {
      if (this.#lease === undefined) {
        const deadline = Date.now() + this.#waitMs;
        // Inputs of this process queue here first, so only the first of them asks DynamoDB for the lease.
        const queue = leaseQueueOf(store, nodeKey);
        if (!(await queue.enter(deadline))) {
          throw new StoreError(StoreErrorCode.LeaseHeld, `node ${nodeKey}: other inputs of this process held or awaited the lease for ${this.#waitMs} ms`);
        }
        // What the last session of this process knew: good when the lease shows the count it left.
        const carried = takeCarried(store, nodeKey);
        try {
          const acquiring = acquireLease(store, nodeKey, randomUUID(), leaseTtlMs, deadline - Date.now());
          // Speculative: any failure of the snapshot only means the step reads as usual.
          const reading = prefetch === undefined || prefetch.length === 0 || prefetch.length > MAX_SNAPSHOT_KEYS ? undefined : store.readSnapshot(nodeKey, snapshotKeys(prefetch, this.#laterPrefetch)).catch(() => undefined);
          this.#lease = await acquiring;
          const read = await reading;
          const commits = this.#lease.commits;
          // What the last session knew, and the snapshot on top, each when it saw the count the acquisition saw.
          const held = carried !== undefined && commits !== undefined && carried.commits === commits;
          const known = held ? carried.known : new KnownItems(nodeKey);
          this.#carriedClear = held && carried.outboxClear;
          this.#known = read !== undefined && commits !== undefined && read.commits === commits ? knownFromSnapshot(read, known) : known;
          this.#commits = commits;
        } catch (error) {
          queue.leave();
          throw error;
        }
        this.#queue = queue;
      } else {
        // The snapshot's items that others write were good for the input that took it only.
        this.#known?.endInput();
        if (this.#lease.expiresAtMs - store.nowMs() < leaseTtlMs / 2) this.#lease = await store.extendLease(this.#lease, leaseTtlMs);
      }
      this.#known ??= new KnownItems(nodeKey);
      return { lease: this.#lease, known: this.#known };
    } catch (error) {
      if (endsTheLease(error)) this.#ended = error;
      throw error;
    }
  }

  /** Lets this process's next input ask for the lease (once). */
  #leave(): void {
    this.#queue?.leave();
    this.#queue = undefined;
  }

  /**
   * Applies one input under the session's lease: `step` reads what it needs
   * through the store and returns the writes and effects; it must not write
   * (it runs alongside the replay check, and its result is dropped for a
   * replayed input). With `releaseWithCommit` (the session's last input), a
   * commit releases the lease in its own transaction. Returns what happened;
   * throws `lease-held` when the lease could not be had within the wait and
   * `lease-lost` when it was taken over (nothing of the input committed).
   */
  async apply(inputId: string, step: (store: NodeStore) => Promise<InvocationResult>, options: InputOptions = {}): Promise<Outcome> {
    const { lease, known } = await this.#held(options.prefetch === undefined ? undefined : [SortKey.input(inputId), ...options.prefetch]);
    return this.#applyHeld(lease, known, inputId, step, options);
  }

  /** Hands what the session knows to this process's next session (before it may start), unless a failure made it unsure. */
  #handOver(): void {
    const known = this.#known;
    if (known === undefined || this.#commits === undefined || this.#ended !== undefined || known.size > MAX_CARRIED_ITEMS) return;
    known.endInput();
    handOver(this.#ctx.store, this.#ctx.nodeKey, { known, commits: this.#commits, outboxClear: this.#tableClear });
  }

  async #applyHeld(lease: Lease, known: KnownItems, inputId: string, step: (store: NodeStore) => Promise<InvocationResult>, options: InputOptions): Promise<Outcome> {
    const { store, nodeKey } = this.#ctx;
    // Reads served from what the session knows (the snapshot beside the lease, earlier inputs' reads and commits), the rest from DynamoDB.
    const reads = store.withKnown(known);
    // Independent reads in one round trip: leftovers of a crashed predecessor (only
    // until they are known to be gone), whether this input was already applied, and
    // the step's own loads (a step only reads before it computes, so running it early is safe).
    const [left, seen, result] = await Promise.all([this.#leftovers(), reads.hasInput(nodeKey, inputId), step(reads)]);
    await this.#finishLeftovers(known, left);
    if (seen) {
      this.#outboxClear = true;
      return 'duplicate';
    }
    return this.#commitInput(lease, known, inputWrites(inputId, result, nodeKey, store.nowMs()), options.releaseWithCommit === true);
  }

  /** What earlier commits may have left to relay: nothing once known to be gone, else this process's relays or the Query (docs/commit-protocol.md, step 2). */
  #leftovers(): Promise<{ outbox: OutboxItem[]; cleanup: CleanupItem[] }> {
    const { store, nodeKey } = this.#ctx;
    const clear = this.#outboxClear;
    this.#outboxClear = false;
    const carriedClear = this.#carriedClear;
    this.#carriedClear = false;
    return clear ? Promise.resolve(EMPTY_LEFTOVERS) : carriedClear ? leftoversAfterRelays(store, nodeKey) : queryLeftovers(store, nodeKey);
  }

  /** Relays and finishes the leftovers; the keys their cleanup deleted are known absent. */
  async #finishLeftovers(known: KnownItems, left: { outbox: readonly OutboxItem[]; cleanup: readonly CleanupItem[] }): Promise<void> {
    await finishLeftovers(this.#ctx.store, this.#ctx.nodeKey, left, sendOutbound(this.#ctx));
    this.#tableClear = true;
    known.noteDeleted(left.cleanup.flatMap((item) => item.keys));
  }

  /** One input's writes committed on their own (or, with none, its messages sent after those before). */
  async #commitInput(lease: Lease, known: KnownItems, writes: InputWrites, release: boolean): Promise<Outcome> {
    if (!changesState(writes)) {
      // After the messages of the inputs before (their relay may still be under way).
      await this.#flush();
      await sendOutbound(this.#ctx)(writes.outbox);
      this.#outboxClear = true;
      return 'no-change';
    }
    const { inputId, groupedBefore, puts, deletes, outbox, cleanup } = writes;
    if ((await this.#commit(lease, known, { inputId, ...(groupedBefore.length === 0 ? {} : { groupedBefore }), puts, deletes, outbox, cleanup, release })) === 'duplicate') return 'duplicate';
    await this.#afterCommit(inputId, outbox, cleanup, release, writes.broadcasts, writes.events);
    return 'applied';
  }

  /**
   * Applies several inputs of one record (a peer's messages in a row) under
   * the session's lease, one after another, and commits them in ONE
   * transaction (docs/commit-protocol.md, "One commit for messages in a
   * row"): each input's step reads through the writes of the inputs before
   * it (`NodeStore.withPending`), each keeps its `INPUT#` record, their
   * messages leave in order after the commit. All or nothing: an input that
   * throws fails the group with nothing of it committed. A read that cannot
   * see the group's writes (`group-read`) commits the inputs before it first;
   * a group too large for one transaction commits input by input, in order.
   * Returns each input's outcome.
   */
  async applyGroup(inputs: readonly GroupInput[], options: GroupOptions = {}): Promise<Outcome[]> {
    const ids = inputs.map((input) => input.inputId);
    const { lease, known } = await this.#held([...ids.map((id) => SortKey.input(id)), ...new Set(inputs.flatMap((input) => input.prefetch ?? []))]);
    const { store, nodeKey } = this.#ctx;
    const reads = store.withKnown(known);
    const [left, seen] = await Promise.all([this.#leftovers(), Promise.all(ids.map((id) => reads.hasInput(nodeKey, id)))]);
    await this.#finishLeftovers(known, left);
    const outcomes: Outcome[] = ids.map((_, i) => (seen[i] ? 'duplicate' : 'no-change'));
    let group: InputWrites[] = [];
    let pending = new PendingWrites();
    for (let i = 0; i < inputs.length; ) {
      // The snapshot's items that others write (WEBHOOKS) serve every input of the group, as they would one input: one commit, one moment.
      if (seen[i]) {
        i++;
        continue;
      }
      const run = this.#burstFrom(inputs, seen, i, options);
      let ran: { readonly count: number; readonly result: InvocationResult };
      try {
        ran = await run(reads.withPending(nodeKey, pending));
      } catch (error) {
        if (!(error instanceof StoreError && error.code === StoreErrorCode.GroupRead)) throw error;
        // The inputs before it committed first; then it reads the table as it stands.
        await this.#commitGroup(lease, known, group, pending, false);
        [group, pending] = [[], new PendingWrites()];
        ran = await run(reads);
      }
      const burst = ran.count > 1 ? inputs.slice(i, i + ran.count) : [];
      const writes = inputWrites(ids[i + ran.count - 1]!, ran.result, nodeKey, store.nowMs(), burst);
      pending.add(writes);
      group.push(writes);
      for (let k = i; k < i + ran.count; k++) outcomes[k] = changesState(writes) ? 'applied' : 'no-change';
      i += ran.count;
    }
    await this.#commitGroup(lease, known, group, pending, options.releaseWithCommit === true);
    this.#outboxClear = true;
    return outcomes;
  }

  /** The step at input `i`: a burst of it and the joinable inputs not applied after it, or the input alone. */
  #burstFrom(inputs: readonly GroupInput[], seen: readonly boolean[], i: number, options: GroupOptions): (store: NodeStore) => Promise<{ readonly count: number; readonly result: InvocationResult }> {
    const indices: number[] = [];
    for (let k = i; k < inputs.length && inputs[k]!.joinable === true && !seen[k]; k++) indices.push(k);
    const burst = options.burst;
    if (burst === undefined || indices.length < 2) return async (store) => ({ count: 1, result: await inputs[i]!.step(store) });
    return async (store) => {
      const ran = await burst(store, indices);
      if (ran.count < 1 || ran.count > indices.length) throw new Error(`a burst ran ${ran.count} of ${indices.length} inputs`);
      return ran;
    };
  }

  /** Commits a group's inputs in one transaction (their writes folded in `pending`), or input by input when one transaction cannot hold them. */
  async #commitGroup(lease: Lease, known: KnownItems, group: readonly InputWrites[], pending: PendingWrites, release: boolean): Promise<void> {
    const last = group.at(-1);
    if (last === undefined) return;
    if (group.length === 1 || !group.some(changesState)) {
      for (const [i, writes] of group.entries()) await this.#commitAlone(lease, known, writes, release && i === group.length - 1);
      return;
    }
    const { puts, deletes, cleanup } = pending.merged();
    const outbox = group.flatMap((writes) => writes.outbox);
    const groupedBefore = group.flatMap((writes) => [...writes.groupedBefore, writes.inputId]).slice(0, -1);
    try {
      await this.#commit(lease, known, { inputId: last.inputId, groupedBefore, puts, deletes, outbox, cleanup, release });
    } catch (error) {
      if (!(error instanceof StoreError && error.code === StoreErrorCode.CommitTooLarge)) throw error;
      // Refused before any request: each step on its own, in order (each read what those before it wrote, and they commit first).
      for (const [i, writes] of group.entries()) await this.#commitAlone(lease, this.#known!, writes, release && i === group.length - 1);
      return;
    }
    await this.#afterCommit(last.inputId, outbox, cleanup, release, group.flatMap((writes) => writes.broadcasts), group.flatMap((writes) => writes.events));
  }

  /**
   * One step's writes committed on their own; a burst too large for one
   * transaction (refused before any request) runs again input by input, on
   * the table as the steps before it left it, each committed on its own.
   */
  async #commitAlone(lease: Lease, known: KnownItems, writes: InputWrites, release: boolean): Promise<void> {
    try {
      await this.#commitInput(lease, known, writes, release);
    } catch (error) {
      if (!(error instanceof StoreError && error.code === StoreErrorCode.CommitTooLarge) || writes.inputs.length === 0) throw error;
      const { store, nodeKey } = this.#ctx;
      for (const [i, input] of writes.inputs.entries()) {
        const result = await input.step(store.withKnown(this.#known!));
        await this.#commitInput(lease, this.#known!, inputWrites(input.inputId, result, nodeKey, store.nowMs()), release && i === writes.inputs.length - 1);
      }
    }
  }

  /**
   * One fenced commit of the session: what it wrote becomes known (and the
   * commit count moves); after a failed one nothing known is trusted. An
   * input found applied already is `duplicate` (nothing committed).
   */
  async #commit(lease: Lease, known: KnownItems, commit: Commit & { readonly inputId: string; readonly puts: readonly ItemPut[]; readonly deletes: readonly string[]; readonly cleanup: readonly string[] }): Promise<'committed' | 'duplicate'> {
    const { store, nodeKey } = this.#ctx;
    try {
      await store.commit(lease, commit);
    } catch (error) {
      // After a failed commit nothing known is trusted (nor the commit count): the next input reads again.
      this.#known = new KnownItems(nodeKey);
      this.#commits = undefined;
      if (error instanceof StoreError && error.code === StoreErrorCode.DuplicateInput && (commit.groupedBefore ?? []).length === 0) {
        this.#outboxClear = true;
        return 'duplicate';
      }
      if (endsTheLease(error)) this.#ended = error;
      throw error;
    }
    for (const inputId of commit.groupedBefore ?? []) known.noteRead(SortKey.input(inputId), { present: true });
    known.noteCommit(commit);
    if (this.#commits !== undefined) this.#commits += 1n;
    return 'committed';
  }

  /**
   * After a commit: its messages relayed (beside the next input, or now
   * when it released the lease or has transactions to broadcast), its
   * transactions handed to the broadcast queue, its webhook deliveries
   * started.
   */
  async #afterCommit(inputId: string, outbox: readonly OutboxMessage[], cleanup: readonly string[], release: boolean, broadcasts: readonly Uint8Array[], puts: InvocationResult['puts']): Promise<void> {
    const { store, nodeKey } = this.#ctx;
    // The messages just committed are known: send them, then clear their one item (no read needed);
    // then its deferred deletes, and their one item (known too: no read).
    this.#unrelayed.push({ inputId, outbox, cleanup });
    if (!release && broadcasts.length === 0) {
      // Relayed while the next input reads and commits (its own messages leave only after these: `#flush`).
      this.#relayInBackground();
      this.#outboxClear = true;
      await dispatchWebhooks(this.#ctx, puts);
      return;
    }
    const relays = relaysOf(store, nodeKey);
    const relayed = this.#flush();
    if (release) {
      // Known to this process's next input, which may find the items before they are gone (it waits for this relay).
      for (const id of new Set([inputId, ...this.#unrelayed.map((item) => item.inputId)])) {
        relays.set(id, relayed);
        void relayed.then(
          () => relays.delete(id),
          () => {
            relays.delete(id);
            // Its items stay in the table: the next session of this process looks for them.
            markOutboxDirty(store, nodeKey);
          },
        );
      }
      // The lease went with the commit: the next input may start (it waits for this relay, or relays the items itself, if it finds them).
      this.#released = true;
      this.#handOver();
      this.#leave();
    }
    // The webhook deliveries start now, beside the relay: a receiver hears of the event without waiting for it.
    const dispatched = dispatchWebhooks(this.#ctx, puts);
    await relayed;
    this.#outboxClear = true;
    await broadcastAfterCommit(this.#ctx, inputId, broadcasts);
    await dispatched;
  }

  /**
   * A pass relaying the committed items not yet relayed, in commit order,
   * one after the other (each: its messages, its item's delete, its
   * deferred deletes), after the passes before it (a pass after one that
   * failed starts again from the item that failed).
   */
  #drain(): Promise<void> {
    const pass = this.#relayChain.catch(() => undefined).then(() => this.#relayPending());
    this.#relayChain = pass;
    return pass;
  }

  async #relayPending(): Promise<void> {
    const { store, nodeKey } = this.#ctx;
    const send = sendOutbound(this.#ctx);
    for (let item = this.#unrelayed[0]; item !== undefined; item = this.#unrelayed[0]) {
      if (item.outbox.length > 0) {
        await send(item.outbox);
        await store.deleteOutbox(nodeKey, item.inputId, outboxParts(item.outbox).length);
      }
      if (item.cleanup.length > 0) await store.finishCleanup(nodeKey, { inputId: item.inputId, keys: item.cleanup });
      this.#unrelayed.shift();
    }
  }

  /** Starts the relay without waiting for it; a failure is left to {@link flush} (the next input that sends, or `close`). */
  #relayInBackground(): void {
    this.#drain().catch(() => undefined);
  }

  /**
   * Every committed item of the session relayed, in commit order: waits for
   * the relay under way, and tries once more from the first item a failed
   * relay left. When that fails too, the items are left to the leftovers
   * (the next input looks for them in the table, as after a crash) and the
   * error is thrown.
   */
  async #flush(): Promise<void> {
    try {
      // After the pass under way (a failed one is tried again by this pass, from the item that failed).
      await this.#drain();
    } catch (error) {
      this.#unrelayed.length = 0;
      this.#outboxClear = false;
      this.#tableClear = false;
      markOutboxDirty(this.#ctx.store, this.#ctx.nodeKey);
      throw error;
    }
  }

  /** Releases the lease if it is still held (a lease lost is left to its new holder) and lets this process's next input go. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // The relays still under way finish under the lease; one that fails is left to the leftovers of the next input.
    await this.#flush().catch((error: unknown) => this.#ctx.logger.warn('outbox relay failed: the next input relays it', { error: String(error) }));
    if (this.#lease !== undefined && !this.#released && this.#ended === undefined) {
      await this.#ctx.store.releaseLease(this.#lease).catch(() => undefined);
      this.#handOver();
    }
    this.#leave();
  }
}

/**
 * Applies one input under a lease of its own (a session of one input, whose
 * commit releases the lease): see {@link LeaseSession.apply}.
 */
export async function applyInput(
  ctx: NodeContext,
  inputId: string,
  step: (store: NodeStore) => Promise<InvocationResult>,
  options: ApplyOptions = {},
): Promise<Outcome> {
  const session = new LeaseSession(ctx, options);
  try {
    return await session.apply(inputId, step, { releaseWithCommit: true, ...(options.prefetch === undefined ? {} : { prefetch: options.prefetch }) });
  } finally {
    await session.close();
  }
}
