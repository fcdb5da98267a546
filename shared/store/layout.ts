/**
 * The DynamoDB item layout: one partition per node, one item per piece of
 * state, so that one input reads and writes only what it touches.
 *
 * | sk                      | item                                             |
 * |-------------------------|--------------------------------------------------|
 * | `LEASE`                 | the node's lease: owner, expiry, fencing token, commit count |
 * | `HEADER`                | the manager header (versioned bytes)             |
 * | `CHANNEL#<peer>#<id>`   | one channel, or an inbound request (hex ids)     |
 * | `MONITOR#<id>#<seq>`    | a monitor snapshot (seq 0) or update (seq 1..)   |
 * | `MONITOR#<id>#<seq>#SNAPSHOT` | the monitor at update seq (every 100th, monitor-items.ts) |
 * | `MONITOR_HTLCS#<id>#<n>` | justice record: counterparty commitment n's HTLC set (n 20 digits, never in a `MONITOR#` query) |
 * | `EVENT#<first event id>` | one input's events (ids consecutive), until all are acknowledged (manager-event.ts) |
 * | `EVENTS_ACKED`          | `upTo`: the highest event id acknowledged, outside the lease (conditional max) |
 * | `HTLCSIGS#<channel id>#<commitment number>` | the counterparty's HTLC signatures on one of our commitments: one item per commitment, the previous deleted in the same commit |
 * | `ONION#<channel id>#<htlc id>` | a received HTLC's onion (1,366 bytes), written once by its `update_add_htlc` commit |
 * | `FAILURE#<channel id>#<o or r><htlc id>` | an HTLC's failure reason (`update_fail_htlc`), written once |
 * | `OUTBOX#<input id>#CLEANUP` | (attribute `kind` = `cleanup`) sort keys a commit made obsolete (resolved HTLCs' side items), deleted after it; under the outbox prefix so one Query finds both kinds of leftovers |
 * | `PEER#<node id hex>`    | a connected peer and its init features           |
 * | `OUTBOX#<input id>`     | an input's outbound messages, waiting for the relay |
 * | `INPUT#<input id>`      | an input already applied (replays are no-ops)    |
 * | `FOLLOWUP#<ms>#<input id>` | an input's follow-ups nothing else would make again, until the timer finds them applied |
 * | `WALLET`                | the on-chain wallet (shared/wallet, versioned)   |
 * | `CHAIN`                 | the chain sync's view: best block, recent hashes |
 * | `FEES`                  | the chain source's fee estimates (sat/kw by target) |
 * | `BROADCAST#<txid>`      | a transaction the chain source refused for good  |
 * | `RECEIVE_INDEX`         | counter `next`: receive indexes handed out, outside the lease |
 * | `CHAIN_WATCH#<channel id>` | what the chain handler watches for a channel (shared/monitor/watched-channel.ts); `#broadcast`: our transaction spending its funding output |
 * | `WATCH_VERSION`         | counter `next`: raised by every commit writing a `CHAIN_WATCH#` item |
 * | `INDEX#<index key>`     | an index item: a lookup naming a channel (shared/manager/channel-indexes.ts) |
 * | `INVOICE#<payment hash hex>` | an invoice made over HTTP (functions/invoices/invoice-record.ts), attribute `state`; written outside the lease, marked paid by the claim's commit |
 * | `IDEMPOTENCY#<sha256 of key>` | what a request with an `Idempotency-Key` answered (functions/http/idempotency.ts), with a TTL |
 * | `PAYMENT#<payment id>`  | a payment sent over the HTTP API, as the API reports it (functions/payments/payment-record.ts) |
 * | `PAYMENT_HASH#<payment hash>` | the payment id that last paid this hash over the API (duplicate detection, never forgotten) |
 * | `WEBHOOKS`              | the registered webhooks (at most 10, one item: every commit with events reads it), outside the lease (attribute `ver`) |
 * | `WEBHOOK_DELIVERY#<first event id>` | one commit's webhook deliveries (payloads, attempts), written in that commit; updated outside the lease (attribute `ver`) |
 * | `WEBHOOK_DUE#<due ms>#<first event id>` | when a delivery item next has an attempt due: the timer's Query, oldest first |
 *
 * The public channel graph is in partitions of its own, `GRAPH#<chain hash>...`,
 * never a node's (graph-items.ts).
 */

/** Attribute names, in one place. */
export const Attr = {
  pk: 'pk',
  sk: 'sk',
  data: 'data',
  owner: 'owner',
  expiresAtMs: 'expiresAtMs',
  fence: 'fence',
  /** Of `LEASE`: how many commits the node has had (every fenced commit raises it by one): a read taken beside the lease holds when it saw the same count. */
  commits: 'commits',
  ttl: 'ttl',
  /** A counter item's number (`RECEIVE_INDEX`): changed with `UpdateItem ADD`, outside the lease. */
  counter: 'next',
  /** What an item under a shared prefix is: `cleanup` for a commit's deferred deletes under `OUTBOX#`. */
  kind: 'kind',
  /** An item's state as a plain string beside its bytes (an `INVOICE#` item's `open`/`paid`/`canceled`), for put conditions. */
  state: 'state',
  /** Of `EVENTS_ACKED`: the highest event id acknowledged (a number), only ever raised. */
  ackedUpTo: 'upTo',
  /** Of an outbox item written before one item per input (one message, `OUTBOX#<message id>`): read, never written. */
  legacyDestination: 'destination',
  /** Of an outbox item written before one item per input: its message's group. Read, never written. */
  legacyGroup: 'group',
  /** An item updated outside the lease by optimistic concurrency (`WEBHOOKS`, `WEBHOOK_DELIVERY#`): its version, absent = 0. */
  version: 'ver',
} as const;

export function nodePartition(nodeKey: string): string {
  return `NODE#${nodeKey}`;
}

/** A u64 as 20 decimal digits: sort keys in numeric order. */
function pad(n: bigint): string {
  return n.toString().padStart(20, '0');
}

export const SortKey = {
  lease: 'LEASE',
  header: 'HEADER',
  /** A channel item; `key` is the manager's ChannelKey, `<peer hex>#<channel id hex>`. */
  channel: (key: string) => `CHANNEL#${key}`,
  /** Prefix of every channel item, or of one peer's. */
  channelPrefix: (peerHex?: string) => (peerHex === undefined ? 'CHANNEL#' : `CHANNEL#${peerHex}#`),
  event: (id: bigint) => `EVENT#${pad(id)}`,
  eventPrefix: 'EVENT#',
  /** The acknowledged-up-to counter of events (docs/events.md): updated outside the lease, only raised. */
  eventsAcked: 'EVENTS_ACKED',
  /** The counterparty's HTLC signatures on our commitment `commitmentNumber` (docs/items.md). */
  htlcSignatures: (channelIdHex: string, commitmentNumber: bigint) => `HTLCSIGS#${channelIdHex}#${pad(commitmentNumber)}`,
  htlcSignaturesPrefix: (channelIdHex: string) => `HTLCSIGS#${channelIdHex}#`,
  /** A received HTLC's onion packet, from its `update_add_htlc` until the commit resolving it is cleaned up. */
  onion: (channelIdHex: string, htlcId: bigint) => `ONION#${channelIdHex}#${pad(htlcId)}`,
  onionPrefix: (channelIdHex: string) => `ONION#${channelIdHex}#`,
  /** An HTLC's failure reason; `offered` (ours, failed by them) and `received` (theirs, failed by us) ids are distinct spaces. */
  failureReason: (channelIdHex: string, direction: 'offered' | 'received', htlcId: bigint) => `FAILURE#${channelIdHex}#${direction === 'offered' ? 'o' : 'r'}${pad(htlcId)}`,
  /**
   * One commit's deferred deletes (shared/store/cleanup-record.ts): under the
   * outbox prefix, so the one Query for leftover outbox items finds them too
   * (marked by the `kind` attribute, not by the key).
   */
  cleanup: (inputId: string) => `OUTBOX#${inputId}#CLEANUP`,
  monitor: (channelIdHex: string, sequence: bigint) => `MONITOR#${channelIdHex}#${sequence.toString().padStart(20, '0')}`,
  monitorPrefix: (channelIdHex: string) => `MONITOR#${channelIdHex}#`,
  /**
   * The justice record of counterparty commitment `commitmentNumber`
   * (docs/monitor.md "Justice records"). `_` is not `#`: no `MONITOR#` prefix
   * matches it, so a monitor's newest-first Query never reads one.
   */
  monitorHtlcs: (channelIdHex: string, commitmentNumber: bigint) => `MONITOR_HTLCS#${channelIdHex}#${commitmentNumber.toString().padStart(20, '0')}`,
  monitorHtlcsPrefix: (channelIdHex: string) => `MONITOR_HTLCS#${channelIdHex}#`,
  /** What the chain handler watches for a channel until its funds are swept (shared/monitor/watched-channel.ts, docs/force-close.md). */
  chainWatch: (channelIdHex: string) => `CHAIN_WATCH#${channelIdHex}`,
  chainWatchPrefix: 'CHAIN_WATCH#',
  /**
   * The transaction of ours spending a channel's funding output (our
   * commitment at a force close, the cooperative closing transaction), handed
   * to the broadcast queue again at every block while the funding output is
   * unspent (docs/force-close.md "Our commitment broadcast again"). Under
   * `CHAIN_WATCH#` so the chain handler's one Query reads it too.
   */
  fundingSpendBroadcast: (channelIdHex: string) => `CHAIN_WATCH#${channelIdHex}#broadcast`,
  /**
   * Counter `next` of the `CHAIN_WATCH#` items: the store adds 1 in the same
   * transaction as any write of one (NodeStore.commit), after any delete of
   * one outside a commit, so a reader that read it before its Query of
   * `CHAIN_WATCH#` knows those items unchanged while it stays the same
   * (the chain handler keeps them between runs: functions/chain/watch-items.ts).
   * Not under `CHAIN_WATCH#` (no Query of that prefix returns it).
   */
  chainWatchVersion: 'WATCH_VERSION',
  peer: (nodeIdHex: string) => `PEER#${nodeIdHex}`,
  /** One input's outbox item (all its messages, shared/store/outbox-record.ts). */
  outbox: (inputId: string) => `OUTBOX#${inputId}`,
  /** Part `n` (2, 3, ...) of an input's outbox when its messages need more than one item (outbox-record.ts `outboxParts`). */
  outboxPart: (inputId: string, n: number) => `OUTBOX#${inputId}#p${n.toString().padStart(3, '0')}`,
  outboxPrefix: 'OUTBOX#',
  input: (inputId: string) => `INPUT#${inputId}`,
  /**
   * A commit's follow-ups that nothing would make again if a queue lost them
   * (functions/runtime/follow-up-watch.ts), until the timer finds each
   * applied: keyed by the commit's time (ms, 15 digits) so the oldest come first.
   */
  followUpWatch: (atMs: number, inputId: string, part = 1) =>
    `FOLLOWUP#${atMs.toString().padStart(15, '0')}#${inputId}${part === 1 ? '' : `#p${part.toString().padStart(3, '0')}`}`,
  followUpWatchPrefix: 'FOLLOWUP#',
  wallet: 'WALLET',
  chain: 'CHAIN',
  /** The fee estimates the chain handler last fetched (functions/chain/fee-record.ts). */
  fees: 'FEES',
  broadcast: (txid: string) => `BROADCAST#${txid}`,
  /** An index item (shared/manager/channel-indexes.ts): `key` is the manager's index key, e.g. `CONFIRMING#<peer>#<id>`. */
  index: (key: string) => `INDEX#${key}`,
  /** Prefix of the index items of one kind (`CONFIRMING#`, ...). */
  indexPrefix: (kindPrefix: string) => `INDEX#${kindPrefix}`,
  /** The wallet's receive-address counter: the next receive index to hand out (docs/commit-protocol.md, "Outside the lease"). */
  receiveIndex: 'RECEIVE_INDEX',
  /** An invoice made over HTTP (functions/invoices/invoice-record.ts), by its payment hash (hex, lower case). */
  invoice: (paymentHashHex: string) => `INVOICE#${paymentHashHex}`,
  invoicePrefix: 'INVOICE#',
  /** What a request with an `Idempotency-Key` answered (functions/http/idempotency.ts), by the key's SHA-256 (hex). */
  idempotency: (keySha256Hex: string) => `IDEMPOTENCY#${keySha256Hex}`,
  /** A payment sent over the HTTP API (docs/payments-api.md); `_` in the core's `PAYMENT_OUT#`/`PAYMENT_ID#` keeps them out of this prefix. */
  payment: (paymentIdHex: string) => `PAYMENT#${paymentIdHex}`,
  paymentPrefix: 'PAYMENT#',
  /** The payment id that last paid a payment hash over the HTTP API. */
  paymentByHash: (paymentHashHex: string) => `PAYMENT_HASH#${paymentHashHex}`,
  /** The registered webhooks (functions/webhooks/webhook-records.ts). */
  webhooks: 'WEBHOOKS',
  /** One commit's webhook deliveries, by the first event id they carry. */
  webhookDelivery: (firstEventId: bigint) => `WEBHOOK_DELIVERY#${pad(firstEventId)}`,
  webhookDeliveryPrefix: 'WEBHOOK_DELIVERY#',
  /** The due marker of a delivery item: sorted by due time (ms, 15 digits). */
  webhookDue: (dueMs: number, firstEventId: bigint) => `WEBHOOK_DUE#${Math.max(0, Math.floor(dueMs)).toString().padStart(15, '0')}#${pad(firstEventId)}`,
  webhookDuePrefix: 'WEBHOOK_DUE#',
} as const;

/** How long an applied input's id is remembered for replay protection (seconds). */
export const INPUT_RETENTION_SEC = 7 * 24 * 3600;
