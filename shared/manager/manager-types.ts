/**
 * The ChannelManager's public types: its ports, the inputs and load plans,
 * the messages it routes, and the changes it reports (docs/manager.md).
 */
import type { ChannelLevelMessage, NegotiatedChannelType } from '../channel/index.js';
import type { Secp256k1 } from '../crypto/index.js';
import type { AnnouncementSignaturesMessage, GossipMessage } from '../gossip/index.js';
import type { EntropySource, NodeSigner, SignerProvider } from '../keys/index.js';
import type { RouteHint } from '../invoice/index.js';
import type { ChannelMonitorUpdate, Watch } from '../monitor/index.js';
import type { NetworkGraph, ProbabilisticScorer } from '../routing/index.js';
import type { FeeEstimator, Logger } from '../ports/index.js';
import type { ChannelUpdateMessage, OpenChannelMessage, WireMessage } from '../wire/index.js';
import type { NodeAnnouncementSettings } from './channel-announcements.js';
import type { GossipSyncSettings } from './gossip-sync.js';
import type { ChannelKey } from './channel-entry.js';
import type { IndexKey } from './channel-indexes.js';
import type { FollowUpWork } from './follow-up.js';
import type { ManagerConfig } from './manager-config.js';
import type { BestBlock } from './manager-header.js';
import type { EventRecord } from './manager-event.js';
import type { RecordKey } from './payment-records.js';

/** The injected ports (LDK's trait objects). Broadcasting is the handler's, after the commit: see `takeChanges`. */
export interface ManagerPorts {
  readonly secp: Secp256k1;
  readonly nodeSigner: NodeSigner;
  readonly signerProvider: SignerProvider;
  readonly entropy: EntropySource;
  readonly feeEstimator: FeeEstimator;
  readonly watch: Watch;
  readonly logger?: Logger;
  /** The clock of invoice expiry and payment memory (seconds since 1970): the edge reads the system clock. */
  readonly clock: { nowSecs(): number };
  /** Where the peers' BOLT 7 gossip goes (the network graph); absent: it is dropped. */
  readonly gossip?: GossipHandler;
  /** The public graph and the scorer payments are routed with (docs/routing.md); absent: the empty graph, no scorer. */
  readonly routing?: ManagerRouting;
}

/**
 * The router's view of the network, given by the edge: the graph (the
 * handler loads the gossip function's snapshot once per container:
 * shared/store/graph-snapshot-cache.ts) and the scorer, which payment
 * results teach (it lives as long as the container).
 */
export interface ManagerRouting {
  graph(): NetworkGraph;
  readonly scorer?: ProbabilisticScorer;
}

/**
 * The network graph's side of the peers' gossip (docs/gossip.md, "Wiring it
 * in"): every `channel_announcement`, `node_announcement`, query and reply,
 * and each `channel_update` that is not for a private channel of ours, as
 * decoded (nothing checked yet: the receiving rules of shared/gossip are
 * the graph's to apply).
 */
export interface GossipHandler {
  handleGossip(peer: Uint8Array, message: GossipMessage): void;
}

/** The BOLT 7 messages that only the {@link GossipHandler} reads (`channel_update` and `announcement_signatures` are the manager's). */
export type GraphGossipMessage = Exclude<GossipMessage, ChannelUpdateMessage | AnnouncementSignaturesMessage>;

/** A message for a peer: BOLT 1 and 2 (shared/wire), or BOLT 7 (shared/gossip). */
export type PeerWireMessage = WireMessage | GossipMessage;

/**
 * The messages the peer layer routes to the manager: `open_channel`, every
 * message one channel receives, and BOLT 7 gossip (our channels'
 * `announcement_signatures` and `channel_update`s; the rest for the
 * {@link GossipHandler}).
 */
export type ChannelMessage = OpenChannelMessage | ChannelUpdateMessage | AnnouncementSignaturesMessage | GraphGossipMessage | ChannelLevelMessage;

/** A message for a peer. */
export interface OutboundMessage {
  readonly peer: Uint8Array;
  readonly message: PeerWireMessage;
  /** The peer's connection when the message was made, when known: the gateway drops it on any other (a newer connection has not been reestablished). */
  readonly connectionId?: string;
}

/** A monitor item to write: the snapshot (update id 0) or one update. */
export interface MonitorWrite {
  readonly channelIdHex: string;
  readonly updateId: bigint;
  readonly bytes: Uint8Array;
  /** The update `bytes` encode (an update, not the snapshot of update 0), so the store need not decode it again. */
  readonly update?: ChannelMonitorUpdate;
}

/** One channel's share of work that touched many (follow-up.ts), for the inbound queue in the peer's group. */
export interface FollowUp {
  readonly peer: Uint8Array;
  /** The connection the work is for (a `reestablish`); absent when it is for none. */
  readonly connectionId?: string;
  /** The encoded follow-up record. */
  readonly work: Uint8Array;
  /** Watched until applied (its kind is not made again when lost: follow-up.ts `isRederived`). */
  readonly watched?: true;
}

/**
 * Everything one input changed, for one transaction: the header (only if it
 * changed), channel items to put and delete, index items (channel-indexes.ts),
 * monitor items, events, then (after the commit) messages, broadcasts and
 * follow-up inputs (docs/follow-ups.md).
 */
export interface ManagerChanges {
  readonly header?: Uint8Array;
  /**
   * Keys are channel keys and part keys (`<channel key>#fixed`, `#holder`, `#secrets`:
   * channel-entry.ts), each its own item; `deferredDelete`: part keys of
   * channels gone, deleted after the commit (its cleanup item).
   */
  readonly channels: { readonly put: ReadonlyMap<ChannelKey, Uint8Array>; readonly delete: readonly ChannelKey[]; readonly deferredDelete?: readonly string[] };
  /** `deferredDelete`: per-HTLC index items, deleted after the commit (docs/items.md), never in it. */
  readonly indexes: { readonly put: ReadonlyMap<IndexKey, Uint8Array>; readonly delete: readonly IndexKey[]; readonly deferredDelete?: readonly IndexKey[] };
  readonly monitors: { readonly put: readonly MonitorWrite[] };
  /** Payment records (payment-records.ts); `deferredDelete`: deleted after the commit, in its cleanup item. */
  readonly records?: {
    readonly put: ReadonlyMap<RecordKey, Uint8Array>;
    readonly delete: readonly RecordKey[];
    readonly deferredDelete: readonly RecordKey[];
    /** The TTL of records put here (seconds since 1970): DynamoDB deletes them some time after (docs/timer.md). */
    readonly expiresAt?: ReadonlyMap<RecordKey, number>;
  };
  readonly events: readonly EventRecord[];
  readonly messages: readonly OutboundMessage[];
  readonly broadcasts: readonly Uint8Array[];
  readonly followUps: readonly FollowUp[];
}

/** One input, as far as loading is concerned (the named methods carry the rest). */
export type ManagerInput =
  | { readonly kind: 'peer-connected' | 'peer-disconnected'; readonly peer: Uint8Array }
  | { readonly kind: 'peer-message'; readonly peer: Uint8Array; readonly message: ChannelMessage }
  | { readonly kind: 'create-channel' }
  | { readonly kind: 'funding-transaction-generated'; readonly temporaryChannelId: Uint8Array; readonly counterpartyNodeId?: Uint8Array }
  | { readonly kind: 'accept-inbound-channel' | 'reject-inbound-channel'; readonly temporaryChannelId: Uint8Array; readonly counterpartyNodeId: Uint8Array }
  | { readonly kind: 'channel-monitor-updated'; readonly counterpartyNodeId: Uint8Array; readonly channelId: Uint8Array }
  | { readonly kind: 'close-channel'; readonly counterpartyNodeId: Uint8Array; readonly channelId: Uint8Array }
  | { readonly kind: 'force-close-channel'; readonly counterpartyNodeId: Uint8Array; readonly channelId: Uint8Array }
  | { readonly kind: 'update-channel-config'; readonly counterpartyNodeId: Uint8Array; readonly channelId: Uint8Array }
  | { readonly kind: 'chain' }
  | { readonly kind: 'list-channels' }
  /** A read of one channel (nothing committed): its items alone. */
  | { readonly kind: 'read-channel'; readonly counterpartyNodeId: Uint8Array; readonly channelId: Uint8Array }
  | { readonly kind: 'unsupported-message' }
  | { readonly kind: 'follow-up'; readonly peer: Uint8Array; readonly work: FollowUpWork }
  | { readonly kind: 'create-invoice' }
  | { readonly kind: 'send-payment'; readonly paymentId: Uint8Array; readonly paymentHash: Uint8Array; readonly payeeNodeId: Uint8Array; readonly routeHints?: readonly RouteHint[] }
  | { readonly kind: 'claim-funds' | 'fail-htlc-backwards'; readonly paymentHash: Uint8Array }
  /** LDK's `abandon_payment`: the payment's records (by id, and by hash when the caller knows it). */
  | { readonly kind: 'abandon-payment'; readonly paymentId: Uint8Array; readonly paymentHash: Uint8Array }
  /** LDK's `timer_tick_occurred` (docs/timer.md): reads the header and two index Queries, fans out per channel. */
  | { readonly kind: 'timer-tick' };

/**
 * Which channel items an input needs: `keys` one by one (GetItem; a key
 * may be absent), `peers` every channel of these peers (a Query on
 * `CHANNEL#<peer hex>#`), `all` every channel (a Query on `CHANNEL#`);
 * `keysOfPeers` only the keys of these peers' channels (a keys-only
 * Query), `confirming` the confirming index items (`INDEX#CONFIRMING#`).
 */
export interface LoadPlan {
  readonly keys: readonly ChannelKey[];
  readonly peers: readonly string[];
  readonly all: boolean;
  readonly keysOfPeers?: readonly string[];
  readonly confirming?: boolean;
  /** The expiry index items (`INDEX#EXPIRY#`: HTLC expiries; a block fails back or closes what nears them). */
  readonly expiring?: boolean;
  /** Payment records by key (GetItem each; absent ones are known not to exist). */
  readonly records?: readonly RecordKey[];
  /** The oldest `INDEX#MPP#` items, at most this many (a Query, oldest first): payments collecting parts (timer ticks). */
  readonly mppWaiting?: number;
  /** The funder index items (`INDEX#FUNDER#`): the ready channels we fund (timer ticks). */
  readonly funders?: boolean;
  /**
   * Short channel ids (real or alias) whose channels to load: the loader
   * reads each `INDEX#SCID#` item, then the channel item it names; a scid
   * with no item names no channel of ours (a forward's next hop: docs/forwarding.md).
   */
  readonly scids?: readonly bigint[];
}

export interface CreateManagerOptions {
  readonly ports: ManagerPorts;
  readonly chainHash: Uint8Array;
  /** LDK's `ChainParameters.best_block`: blocks after it are notified. */
  readonly bestBlock: BestBlock;
  readonly config?: ManagerConfig;
  /** What our `node_announcement` says (colour, alias, addresses): without it none is sent with our public channels' announcements. */
  readonly nodeAnnouncement?: NodeAnnouncementSettings;
  /** Ask peers that signal `gossip_queries` for their gossip (gossip-sync.ts); the node must signal it in `init` too. Absent: nothing asked. */
  readonly gossipSync?: GossipSyncSettings;
}

export interface LoadManagerOptions {
  readonly ports: ManagerPorts;
  readonly header: Uint8Array;
  /** The items of `plan` that exist (decoded here), with the part items of each channel (channel-entry.ts `channelPartKey`). */
  readonly channels?: ReadonlyMap<ChannelKey, Uint8Array>;
  /** What was loaded: without it, nothing but the header is. */
  readonly plan?: LoadPlan;
  /** Connected peers and their `init` features (from the peer items), by node id hex. */
  readonly connectedPeers?: ReadonlyMap<string, Uint8Array>;
  /** The gateway connection of each connected peer, by node id hex (docs/follow-ups.md); unknown when absent. */
  readonly connections?: ReadonlyMap<string, string>;
  /**
   * The node's configuration now (LDK's `ChannelManagerReadArgs::default_config`):
   * it wins over the header's, and the header is rewritten when they differ.
   * Without it, the header's configuration stays in force.
   */
  readonly config?: ManagerConfig;
  /** What our `node_announcement` says (the node's settings, given at every load like `config`; not persisted). */
  readonly nodeAnnouncement?: NodeAnnouncementSettings;
  /** Ask peers that signal `gossip_queries` for their gossip (gossip-sync.ts; given at every load, not persisted); the node must signal it in `init` too. */
  readonly gossipSync?: GossipSyncSettings;
}

/** An inbound `open_channel` held for the user's decision (manual policy), as `listInboundChannelRequests` reports it. */
export interface InboundChannelRequestDetails {
  readonly temporaryChannelId: Uint8Array;
  readonly counterpartyNodeId: Uint8Array;
  readonly fundingSatoshis: bigint;
  readonly pushMsat: bigint;
  readonly channelType: NegotiatedChannelType;
  readonly isPublic: boolean;
  readonly receivedAtHeight: number;
}

/** Changes with nothing in them but `some` (tests and benches that commit only monitor writes, say). */
export function changesWith(some: Partial<ManagerChanges>): ManagerChanges {
  return { channels: { put: new Map(), delete: [] }, indexes: { put: new Map(), delete: [] }, monitors: { put: [] }, events: [], messages: [], broadcasts: [], followUps: [], ...some };
}
