/**
 * The DynamoDB item layout: one partition per node, one item per piece of
 * state, so that one input reads and writes only what it touches.
 *
 * | sk                      | item                                             |
 * |-------------------------|--------------------------------------------------|
 * | `LEASE`                 | the node's lease: owner, expiry, fencing token   |
 * | `HEADER`                | the manager header (versioned bytes)             |
 * | `CHANNEL#<peer>#<id>`   | one channel, or an inbound request (hex ids)     |
 * | `MONITOR#<id>#<seq>`    | a monitor snapshot (seq 0) or update (seq 1..)   |
 * | `MONITOR#<id>#<seq>#SNAPSHOT` | the monitor at update seq (every 100th, monitor-items.ts) |
 * | `MONITOR_HTLCS#<id>#<n>` | justice record: counterparty commitment n's HTLC set (n 20 digits, never in a `MONITOR#` query) |
 * | `EVENT#<event id>`      | an event not yet acknowledged by the user        |
 * | `PEER#<node id hex>`    | a connected peer and its init features           |
 * | `OUTBOX#<input id>`     | an input's outbound messages, waiting for the relay |
 * | `INPUT#<input id>`      | an input already applied (replays are no-ops)    |
 * | `WALLET`                | the on-chain wallet (shared/wallet, versioned)   |
 * | `CHAIN`                 | the chain sync's view: best block, recent hashes |
 * | `FEES`                  | the chain source's fee estimates (sat/kw by target) |
 * | `BROADCAST#<txid>`      | a transaction the chain source refused for good  |
 * | `RECEIVE_INDEX`         | counter `next`: receive indexes handed out, outside the lease |
 * | `INDEX#<index key>`     | an index item: a lookup naming a channel (shared/manager/channel-indexes.ts) |
 */

/** Attribute names, in one place. */
export const Attr = {
  pk: 'pk',
  sk: 'sk',
  data: 'data',
  owner: 'owner',
  expiresAtMs: 'expiresAtMs',
  fence: 'fence',
  ttl: 'ttl',
  /** A counter item's number (`RECEIVE_INDEX`): changed with `UpdateItem ADD`, outside the lease. */
  counter: 'next',
  /** Of an outbox item written before one item per input (one message, `OUTBOX#<message id>`): read, never written. */
  legacyDestination: 'destination',
  /** Of an outbox item written before one item per input: its message's group. Read, never written. */
  legacyGroup: 'group',
} as const;

export function nodePartition(nodeKey: string): string {
  return `NODE#${nodeKey}`;
}

export const SortKey = {
  lease: 'LEASE',
  header: 'HEADER',
  /** A channel item; `key` is the manager's ChannelKey, `<peer hex>#<channel id hex>`. */
  channel: (key: string) => `CHANNEL#${key}`,
  /** Prefix of every channel item, or of one peer's. */
  channelPrefix: (peerHex?: string) => (peerHex === undefined ? 'CHANNEL#' : `CHANNEL#${peerHex}#`),
  event: (id: bigint) => `EVENT#${id.toString().padStart(20, '0')}`,
  eventPrefix: 'EVENT#',
  monitor: (channelIdHex: string, sequence: bigint) => `MONITOR#${channelIdHex}#${sequence.toString().padStart(20, '0')}`,
  monitorPrefix: (channelIdHex: string) => `MONITOR#${channelIdHex}#`,
  /**
   * The justice record of counterparty commitment `commitmentNumber`
   * (docs/monitor.md "Justice records"). `_` is not `#`: no `MONITOR#` prefix
   * matches it, so a monitor's newest-first Query never reads one.
   */
  monitorHtlcs: (channelIdHex: string, commitmentNumber: bigint) => `MONITOR_HTLCS#${channelIdHex}#${commitmentNumber.toString().padStart(20, '0')}`,
  monitorHtlcsPrefix: (channelIdHex: string) => `MONITOR_HTLCS#${channelIdHex}#`,
  peer: (nodeIdHex: string) => `PEER#${nodeIdHex}`,
  /** One input's outbox item (all its messages, shared/store/outbox-record.ts). */
  outbox: (inputId: string) => `OUTBOX#${inputId}`,
  outboxPrefix: 'OUTBOX#',
  input: (inputId: string) => `INPUT#${inputId}`,
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
} as const;

/** How long an applied input's id is remembered for replay protection (seconds). */
export const INPUT_RETENTION_SEC = 7 * 24 * 3600;
