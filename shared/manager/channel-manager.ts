/**
 * The ChannelManager (LDK's `ChannelManager`, BOLT 2 multi-channel side):
 * routes peer messages, user calls and chain notifications to the channel
 * state machines of shared/channel, hands each new ChannelMonitor to the
 * `Watch`, numbers events, and reports exactly what changed.
 *
 * Built for one invocation at a time (docs/manager.md): it is loaded from
 * the manager header and only the channel items the input touches
 * (`channelKeysFor`), applies one input, and `takeChanges()` returns the
 * items to write, the monitor writes, the events, the messages and the
 * broadcasts, for the handler to commit in one transaction. Pure: no I/O,
 * no clock; randomness through the injected `EntropySource`.
 */
import { equalBytes } from '../codec/index.js';
import { Block } from 'bitcoinjs-lib';
import {
  ChannelFailureReason,
  ChannelState,
  bestBlockUpdated as channelBestBlockUpdated,
  closeChannel,
  errorMessage,
  createChannel as createChannelRecord,
  currentChannelId,
  fundingTransactionConfirmed,
  fundingTransactionGenerated as channelFundingTransactionGenerated,
  fundingTransactionUnconfirmed,
  handleChannelMessage as channelHandleMessage,
  handleChannelReestablish,
  isFundedChannel,
  ourChannelReestablish,
  handleOpenChannel as channelHandleOpen,
  holderCommitmentTransaction,
  parseChannelType,
  type Channel,
  type ChannelContext,
  type ChannelStep,
  type NegotiatedChannelType,
} from '../channel/index.js';
import { sha256, toHex, type Secp256k1 } from '../crypto/index.js';
import type { EntropySource, NodeSigner, SignerProvider } from '../keys/index.js';
import { channelMonitorFrom, encodeMonitor, encodeMonitorUpdate, MonitorUpdateStatus, type ChannelMonitorUpdate, type Watch } from '../monitor/index.js';
import type { ConfirmedTransaction, FeeEstimator, Logger, RelevantTxid } from '../ports/index.js';
import type {
  AcceptChannelMessage,
  ChannelReadyMessage,
  ChannelReestablishMessage,
  ClosingSignedMessage,
  ErrorMessage,
  FundingCreatedMessage,
  FundingSignedMessage,
  OpenChannelMessage,
  ShutdownMessage,
  WireMessage,
} from '../wire/index.js';
import { channelDetailsOf, type ChannelDetails } from './channel-details.js';
import { reindexChannel } from './header-index.js';
import { channelKey, decodeChannelEntry, encodeChannelEntry, type ChannelEntry, type ChannelItem, type ChannelKey, type HeldEffects } from './channel-entry.js';
import {
  DEFAULT_MANAGER_CONFIG,
  InboundChannelPolicy,
  MAX_UNFUNDED_CHANNELS_PER_PEER,
  MAX_CHANNELS_IN_FLIGHT,
  MAX_UNFUNDED_INBOUND_CHANNELS,
  UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS,
  sameManagerConfig,
  type HandshakeOverride,
  type ManagerConfig,
} from './manager-config.js';
import { ApiErrorCode, ManagerError, ManagerErrorCode, type ApiResult } from './manager-errors.js';
import type { EventRecord, ManagerEvent } from './manager-event.js';
import {
  decodeManagerHeader,
  encodeManagerHeader,
  type BestBlock,
  type ManagerHeader,
  type UnfundedEntry,
} from './manager-header.js';

/** The injected ports (LDK's trait objects). Broadcasting is the handler's, after the commit: see `takeChanges`. */
export interface ManagerPorts {
  readonly secp: Secp256k1;
  readonly nodeSigner: NodeSigner;
  readonly signerProvider: SignerProvider;
  readonly entropy: EntropySource;
  readonly feeEstimator: FeeEstimator;
  readonly watch: Watch;
  readonly logger?: Logger;
}

/** The BOLT 2 messages (and `error`) the peer layer routes to the manager. */
export type ChannelMessage =
  | OpenChannelMessage
  | AcceptChannelMessage
  | FundingCreatedMessage
  | FundingSignedMessage
  | ChannelReadyMessage
  | ChannelReestablishMessage
  | ShutdownMessage
  | ClosingSignedMessage
  | ErrorMessage;

/** A message for a peer. */
export interface OutboundMessage {
  readonly peer: Uint8Array;
  readonly message: WireMessage;
}

/** A monitor item to write: the snapshot (update id 0) or one update. */
export interface MonitorWrite {
  readonly channelIdHex: string;
  readonly updateId: bigint;
  readonly bytes: Uint8Array;
}

/**
 * Everything one input changed, for one transaction: the header (only if it
 * changed), channel items to put and delete, monitor items, events, then
 * (after the commit) messages and broadcasts.
 */
export interface ManagerChanges {
  readonly header?: Uint8Array;
  readonly channels: { readonly put: ReadonlyMap<ChannelKey, Uint8Array>; readonly delete: readonly ChannelKey[] };
  readonly monitors: { readonly put: readonly MonitorWrite[] };
  readonly events: readonly EventRecord[];
  readonly messages: readonly OutboundMessage[];
  readonly broadcasts: readonly Uint8Array[];
}

/** One input, as far as loading is concerned (the named methods carry the rest). */
export type ManagerInput =
  | { readonly kind: 'peer-connected' | 'peer-disconnected'; readonly peer: Uint8Array }
  | { readonly kind: 'peer-message'; readonly peer: Uint8Array; readonly message: ChannelMessage }
  | { readonly kind: 'create-channel' }
  | { readonly kind: 'funding-transaction-generated'; readonly temporaryChannelId: Uint8Array; readonly counterpartyNodeId?: Uint8Array }
  | { readonly kind: 'accept-inbound-channel' | 'reject-inbound-channel'; readonly temporaryChannelId: Uint8Array; readonly counterpartyNodeId: Uint8Array }
  | { readonly kind: 'channel-monitor-updated'; readonly counterpartyNodeId: Uint8Array; readonly channelId: Uint8Array }
  | { readonly kind: 'chain' }
  | { readonly kind: 'list-channels' }
  | { readonly kind: 'unsupported-message' };

/**
 * Which channel items an input needs: `keys` one by one (GetItem; a key
 * may be absent), `peers` every channel of these peers (a Query on
 * `CHANNEL#<peer hex>#`), `all` every channel (a Query on `CHANNEL#`).
 */
export interface LoadPlan {
  readonly keys: readonly ChannelKey[];
  readonly peers: readonly string[];
  readonly all: boolean;
}

export interface CreateManagerOptions {
  readonly ports: ManagerPorts;
  readonly chainHash: Uint8Array;
  /** LDK's `ChainParameters.best_block`: blocks after it are notified. */
  readonly bestBlock: BestBlock;
  readonly config?: ManagerConfig;
}

export interface LoadManagerOptions {
  readonly ports: ManagerPorts;
  readonly header: Uint8Array;
  /** The items of `plan` that exist (decoded here). */
  readonly channels?: ReadonlyMap<ChannelKey, Uint8Array>;
  /** What was loaded: without it, nothing but the header is. */
  readonly plan?: LoadPlan;
  /** Connected peers and their `init` features (from the peer items), by node id hex. */
  readonly connectedPeers?: ReadonlyMap<string, Uint8Array>;
  /**
   * The node's configuration now (LDK's `ChannelManagerReadArgs::default_config`):
   * it wins over the header's, and the header is rewritten when they differ.
   * Without it, the header's configuration stays in force.
   */
  readonly config?: ManagerConfig;
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

const ZERO_ID = new Uint8Array(32);
/** Failures of a funded channel after which our commitment is not broadcast (docs/channel.md "Chain"). */
const NO_COMMITMENT_BROADCAST: ReadonlySet<ChannelFailureReason> = new Set([
  ChannelFailureReason.FundingTimedOut,
  ChannelFailureReason.FundingTxMismatch,
  ChannelFailureReason.FundingTxCoinbase,
  ChannelFailureReason.PeerHasNewerState,
]);
const NO_FEATURES = new Uint8Array(0);

function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Double SHA256 of an 80-byte block header: the block hash, internal order. */
function blockHashOf(header: Uint8Array): Uint8Array {
  return sha256(sha256(header.subarray(0, 80)));
}

interface MutableHeld {
  untilUpdateId: bigint;
  messages: WireMessage[];
  broadcasts: Uint8Array[];
}

export class ChannelManager {
  readonly #ports: ManagerPorts;
  #header: ManagerHeader;
  #headerDirty: boolean;
  readonly #entries = new Map<ChannelKey, ChannelEntry>();
  readonly #loadedKeys = new Set<ChannelKey>();
  readonly #loadedPeers = new Set<string>();
  #allLoaded: boolean;
  readonly #connected: Map<string, Uint8Array>;

  #puts = new Map<ChannelKey, ChannelEntry>();
  #deletes = new Set<ChannelKey>();
  #monitorWrites: MonitorWrite[] = [];
  #events: EventRecord[] = [];
  #messages: OutboundMessage[] = [];
  #broadcasts: Uint8Array[] = [];

  private constructor(ports: ManagerPorts, header: ManagerHeader, fresh: boolean, connected: ReadonlyMap<string, Uint8Array>, headerDirty = fresh) {
    this.#ports = ports;
    this.#header = header;
    this.#headerDirty = headerDirty;
    this.#allLoaded = fresh;
    this.#connected = new Map(connected);
  }

  /** A new node's manager (LDK's `ChannelManager::new`): no channels; the header is written at the first commit. */
  static create(options: CreateManagerOptions): ChannelManager {
    const header: ManagerHeader = {
      chainHash: options.chainHash,
      config: options.config ?? DEFAULT_MANAGER_CONFIG,
      bestBlock: options.bestBlock,
      nextEventId: 1n,
      unfunded: [],
      confirming: [],
    };
    return new ChannelManager(options.ports, header, true, new Map());
  }

  /** The manager of one invocation: the header, and the channel items of `plan` (see {@link channelKeysFor}). */
  static load(options: LoadManagerOptions): ChannelManager {
    const header = decodeManagerHeader(options.header);
    if (!header.ok) throw new ManagerError(ManagerErrorCode.CorruptState, `manager header does not decode: ${header.error.message}`);
    const configChanged = options.config !== undefined && !sameManagerConfig(options.config, header.value.config);
    const value = configChanged ? { ...header.value, config: options.config! } : header.value;
    const manager = new ChannelManager(options.ports, value, false, options.connectedPeers ?? new Map(), configChanged);
    if (options.plan) manager.loadChannels(options.plan, options.channels ?? new Map());
    return manager;
  }

  /** Adds the items loaded for `plan` (absent keys are known not to exist). */
  loadChannels(plan: LoadPlan, items: ReadonlyMap<ChannelKey, Uint8Array>): void {
    for (const key of plan.keys) this.#loadedKeys.add(key);
    for (const peer of plan.peers) this.#loadedPeers.add(peer);
    if (plan.all) this.#allLoaded = true;
    for (const [key, bytes] of items) {
      const decoded = decodeChannelEntry(bytes);
      if (!decoded.ok) throw new ManagerError(ManagerErrorCode.CorruptState, `channel item ${key} does not decode: ${decoded.error.message}`);
      this.#entries.set(key, decoded.value);
    }
  }

  /** The channel items `input` needs, from the header's indexes alone. */
  channelKeysFor(input: ManagerInput): LoadPlan {
    const h = this.#header;
    const plan = (keys: ChannelKey[], peers: string[] = [], all = false): LoadPlan => ({ keys: [...new Set(keys)], peers, all });
    switch (input.kind) {
      case 'create-channel':
      case 'unsupported-message':
        return plan([]);
      case 'list-channels':
        return plan([], [], true);
      case 'chain':
        // The channels still confirming, and the unfunded ones (a block may age them out; at most a few dozen).
        return plan([...h.confirming, ...h.unfunded].map((e) => channelKey(e.counterpartyNodeId, e.channelId)));
      case 'peer-connected':
        return plan([], [toHex(input.peer)]);
      case 'peer-disconnected':
        return plan(h.unfunded.filter((e) => equalBytes(e.counterpartyNodeId, input.peer)).map((e) => channelKey(e.counterpartyNodeId, e.channelId)));
      case 'funding-transaction-generated':
        return plan(this.#unfundedByTemporaryId(input.temporaryChannelId, input.counterpartyNodeId).map((e) => channelKey(e.counterpartyNodeId, e.channelId)));
      case 'accept-inbound-channel':
      case 'reject-inbound-channel':
        return plan([channelKey(input.counterpartyNodeId, input.temporaryChannelId)]);
      case 'channel-monitor-updated':
        return plan([channelKey(input.counterpartyNodeId, input.channelId)]);
      case 'peer-message': {
        const m = input.message;
        if (m.type === 32) return plan([]);
        if (m.type === 17 && equalBytes(m.channelId, ZERO_ID)) return plan([], [toHex(input.peer)]);
        return plan([this.#keyFor(input.peer, m.type === 33 || m.type === 34 ? m.temporaryChannelId : m.channelId)]);
      }
    }
  }

  // ---------------------------------------------------------------- queries

  /** LDK's `get_current_default_configuration`. */
  currentDefaultConfiguration(): ManagerConfig {
    return this.#header.config;
  }

  /** LDK's `get_our_node_id`: from the node signer. */
  ourNodeId(): Uint8Array {
    return this.#ports.nodeSigner.getNodeId();
  }

  /** LDK's `current_best_block`: the last block seen through Listen or Confirm. */
  currentBestBlock(): BestBlock {
    return this.#header.bestBlock;
  }

  /** LDK's `list_channels`: every channel not closed (load with `{ kind: 'list-channels' }`). */
  listChannels(): ChannelDetails[] {
    const out: ChannelDetails[] = [];
    for (const entry of this.#entries.values()) {
      if (entry.kind !== 'channel' || entry.channel.state === ChannelState.Closed) continue;
      const connected = this.#connected.has(toHex(entry.channel.counterpartyNodeId)) && entry.awaitingReestablish !== true;
      out.push(channelDetailsOf(entry.channel, this.#header.bestBlock.height, connected));
    }
    return out;
  }

  /**
   * The inbound `open_channel`s held for `acceptInboundChannel` /
   * `rejectInboundChannel` (manual policy; load with `{ kind: 'list-channels' }`).
   * LDK keeps these out of `list_channels` too.
   */
  listInboundChannelRequests(): InboundChannelRequestDetails[] {
    const out: InboundChannelRequestDetails[] = [];
    for (const entry of this.#entries.values()) {
      if (entry.kind !== 'open-request') continue;
      const parsed = entry.open.channelType === undefined ? null : parseChannelType(entry.open.channelType);
      out.push({
        temporaryChannelId: entry.open.temporaryChannelId,
        counterpartyNodeId: entry.counterpartyNodeId,
        fundingSatoshis: entry.open.fundingSatoshis,
        pushMsat: entry.open.pushMsat,
        channelType: parsed ?? { anchors: false, scidAlias: false },
        isPublic: (entry.open.channelFlags & 1) === 1,
        receivedAtHeight: entry.receivedAtHeight,
      });
    }
    return out;
  }

  /** LDK's `list_usable_channels`: ready, with the peer connected. */
  listUsableChannels(): ChannelDetails[] {
    return this.listChannels().filter((d) => d.isUsable);
  }

  // ---------------------------------------------------------------- user calls

  /**
   * LDK's `create_channel`: a new outbound channel and its `open_channel`.
   * `api-misuse` when the value is below 1,000 sat, above 2^24 - 1 sat
   * without the peer's `option_support_large_channel`, or `pushMsat` above
   * the value, or when {@link MAX_CHANNELS_IN_FLIGHT} channels are already
   * between `open_channel` and a buried funding transaction. Does not check
   * the peer is connected (its `init` features, when known, decide large
   * channels and anchors). Returns the temporary id.
   */
  createChannel(
    theirNetworkKey: Uint8Array,
    channelValueSatoshis: bigint,
    pushMsat: bigint,
    userChannelId: bigint,
    overrideConfig?: HandshakeOverride,
  ): ApiResult<Uint8Array> {
    if (this.#channelsInFlight() >= MAX_CHANNELS_IN_FLIGHT) {
      const message = `${MAX_CHANNELS_IN_FLIGHT} channels are already being opened or confirmed; open more once some are confirmed`;
      return { ok: false, error: { code: ApiErrorCode.ApiMisuse, message } };
    }
    const created = createChannelRecord(this.#context(overrideConfig), {
      counterpartyNodeId: theirNetworkKey,
      theirInitFeatures: this.#connected.get(toHex(theirNetworkKey)) ?? NO_FEATURES,
      bestHeight: this.#header.bestBlock.height,
      fundingSatoshis: channelValueSatoshis,
      pushMsat,
      userChannelId,
    });
    if (!created.ok) return { ok: false, error: { code: ApiErrorCode.ApiMisuse, message: created.error.message } };
    this.#applyStep(null, null, created.value);
    return { ok: true, value: created.value.channel.temporaryChannelId };
  }

  /**
   * LDK's `funding_transaction_generated`: `api-misuse` for a non-segwit
   * input or no output paying the funding script the channel value;
   * `channel-unavailable` for an unknown temporary id; throws
   * `funding-already-provided` when a transaction was already given. The
   * transaction is broadcast only after the peer's `funding_signed`.
   */
  fundingTransactionGenerated(temporaryChannelId: Uint8Array, fundingTransaction: Uint8Array, counterpartyNodeId?: Uint8Array): ApiResult<void> {
    const [entry] = this.#unfundedByTemporaryId(temporaryChannelId, counterpartyNodeId);
    if (entry === undefined) return { ok: false, error: { code: ApiErrorCode.ChannelUnavailable, message: 'no unfunded channel with this temporary channel id' } };
    const key = channelKey(entry.counterpartyNodeId, entry.channelId);
    const item = this.#entry(key);
    if (item?.kind !== 'channel') return { ok: false, error: { code: ApiErrorCode.ChannelUnavailable, message: 'no outbound channel with this temporary channel id' } };
    if (item.channel.funding !== undefined) {
      throw new ManagerError(ManagerErrorCode.FundingAlreadyProvided, 'a funding transaction was already provided for this channel');
    }
    const result = channelFundingTransactionGenerated(this.#context(), item.channel, fundingTransaction);
    if (!result.ok) return result;
    this.#applyStep(key, item, result.value);
    return { ok: true, value: undefined };
  }

  /**
   * Closes an outbound channel still waiting for its funding transaction
   * (LDK's `force_close_*` before `funding_transaction_generated`): the peer
   * gets an `error`, a `ChannelClosed` (`funding-not-provided`, `message`)
   * is emitted, the item is deleted. `channel-unavailable` when no such channel waits.
   */
  abandonUnfundedChannel(temporaryChannelId: Uint8Array, counterpartyNodeId: Uint8Array, message: string): ApiResult<void> {
    const [entry] = this.#unfundedByTemporaryId(temporaryChannelId, counterpartyNodeId);
    const key = entry === undefined ? undefined : channelKey(entry.counterpartyNodeId, entry.channelId);
    const item = key === undefined ? undefined : this.#entry(key);
    if (key === undefined || item?.kind !== 'channel' || item.channel.funding !== undefined) {
      return { ok: false, error: { code: ApiErrorCode.ChannelUnavailable, message: 'no outbound channel waiting for its funding transaction with this id' } };
    }
    this.#applyStep(key, item, closeChannel(item.channel, ChannelFailureReason.FundingNotProvided, message));
    return { ok: true, value: undefined };
  }

  /** LDK's `accept_inbound_channel` (manual policy): answers the held `open_channel` with `accept_channel`. */
  acceptInboundChannel(temporaryChannelId: Uint8Array, counterpartyNodeId: Uint8Array, userChannelId: bigint): ApiResult<void> {
    const key = channelKey(counterpartyNodeId, temporaryChannelId);
    const request = this.#entry(key);
    if (request?.kind !== 'open-request') return { ok: false, error: { code: ApiErrorCode.ChannelUnavailable, message: 'no inbound channel request with this id' } };
    const result = channelHandleOpen(
      this.#context(),
      { counterpartyNodeId, theirInitFeatures: request.theirInitFeatures, bestHeight: this.#header.bestBlock.height },
      request.open,
      userChannelId,
    );
    if (!result.ok) {
      this.#removeEntry(key, request);
      this.#sendAll(counterpartyNodeId, result.effects);
      return { ok: false, error: { code: ApiErrorCode.ChannelUnavailable, message: `the channel no longer passes the checks: ${result.failure.message}` } };
    }
    this.#applyStep(key, null, { channel: result.channel, effects: result.effects });
    return { ok: true, value: undefined };
  }

  /** Refuses a held inbound request (LDK's `force_close_*` on an unaccepted channel): the peer gets an `error`. */
  rejectInboundChannel(temporaryChannelId: Uint8Array, counterpartyNodeId: Uint8Array): ApiResult<void> {
    const key = channelKey(counterpartyNodeId, temporaryChannelId);
    const request = this.#entry(key);
    if (request?.kind !== 'open-request') return { ok: false, error: { code: ApiErrorCode.ChannelUnavailable, message: 'no inbound channel request with this id' } };
    this.#removeEntry(key, request);
    this.#send(counterpartyNodeId, { type: 17, channelId: temporaryChannelId, data: text('channel rejected by the node operator') });
    return { ok: true, value: undefined };
  }

  /**
   * LDK's `channel_monitor_updated`: the monitor write `updateId` of the
   * channel is durable; the messages and broadcasts held since are released.
   */
  channelMonitorUpdated(counterpartyNodeId: Uint8Array, channelId: Uint8Array, updateId: bigint): void {
    const key = channelKey(counterpartyNodeId, channelId);
    const item = this.#entry(key);
    if (item?.kind !== 'channel' || item.held === undefined || updateId < item.held.untilUpdateId) return;
    for (const message of item.held.messages) this.#messages.push({ peer: counterpartyNodeId, message });
    this.#broadcasts.push(...item.held.broadcasts);
    const { held: held, ...rest } = item;
    this.#putEntry(key, rest);
  }

  // ---------------------------------------------------------------- peers

  /**
   * LDK's `peer_connected` (load with `{ kind: 'peer-connected' }`: every
   * channel of the peer): remembers the peer's `init` features; channels
   * not funded yet are dropped as on a disconnection (the previous
   * connection may have ended unseen); every funded channel sends
   * `channel_reestablish` and sends nothing else until the peer's arrives
   * (BOLT 2, "Message Retransmission").
   */
  peerConnected(counterpartyNodeId: Uint8Array, theirInitFeatures: Uint8Array): void {
    this.#dropUnfunded(counterpartyNodeId);
    this.#connected.set(toHex(counterpartyNodeId), theirInitFeatures);
    const prefix = `${toHex(counterpartyNodeId)}#`;
    for (const [key, entry] of [...this.#entries]) {
      if (!key.startsWith(prefix) || entry.kind !== 'channel' || !isFundedChannel(entry.channel)) continue;
      this.#send(counterpartyNodeId, ourChannelReestablish(this.#context(), entry.channel));
      if (!entry.awaitingReestablish) this.#putEntry(key, { ...entry, awaitingReestablish: true });
    }
  }

  /**
   * LDK's `peer_disconnected`: channels not funded yet (before our
   * `funding_signed` as fundee, before theirs as funder) are dropped with
   * `ChannelClosed` (`peer-disconnected`); held inbound requests vanish.
   * Funded channels stay as they are.
   */
  peerDisconnected(counterpartyNodeId: Uint8Array): void {
    this.#connected.delete(toHex(counterpartyNodeId));
    this.#dropUnfunded(counterpartyNodeId);
  }

  /**
   * LDK's unfunded-channel age limit (60 timer ticks, about an hour), in
   * blocks: a channel still unfunded {@link UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS}
   * after its creation, or an inbound request never accepted, is closed
   * (`unfunded-timed-out`) with an `error` to the peer. Frees the per-peer
   * and node-wide unfunded slots a silent peer would otherwise hold forever.
   */
  #expireUnfunded(height: number): void {
    for (const e of this.#header.unfunded.filter((u) => u.sinceHeight + UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS <= height)) {
      const key = channelKey(e.counterpartyNodeId, e.channelId);
      const entry = this.#entry(key);
      if (entry === undefined) continue;
      const message = `not funded within ${UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS} blocks of its creation`;
      if (entry.kind === 'open-request') {
        this.#removeEntry(key, entry);
        this.#send(e.counterpartyNodeId, errorMessage(e.temporaryChannelId, ChannelFailureReason.UnfundedTimedOut, message));
        continue;
      }
      this.#applyStep(key, entry, closeChannel(entry.channel, ChannelFailureReason.UnfundedTimedOut, message));
    }
  }

  /** Drops the peer's channels not funded yet and its held inbound requests (BOLT 2: not remembered across a disconnection). */
  #dropUnfunded(counterpartyNodeId: Uint8Array): void {
    for (const e of this.#header.unfunded.filter((u) => equalBytes(u.counterpartyNodeId, counterpartyNodeId))) {
      const key = channelKey(e.counterpartyNodeId, e.channelId);
      const entry = this.#entry(key);
      if (entry === undefined) continue;
      if (entry.kind === 'open-request') {
        this.#removeEntry(key, entry);
        continue;
      }
      this.#applyStep(key, entry, closeChannel(entry.channel, ChannelFailureReason.PeerDisconnected, 'the peer disconnected before the channel was funded', false));
    }
  }

  /**
   * The peer layer disconnected `peer` for a BOLT 2 message this node cannot
   * handle yet (`messageType`, e.g. 128 `update_add_htlc`: payments come
   * later). The first time per type, an `UnsupportedMessage` event tells the
   * user; returns whether this was the first time. Channels are untouched
   * (`isUsable` keeps LDK's meaning: ready and the peer connected).
   */
  reportUnsupportedMessage(peer: Uint8Array, messageType: number, message: string): boolean {
    const reported = this.#header.reportedUnsupported ?? [];
    if (reported.includes(messageType)) return false;
    this.#header = { ...this.#header, reportedUnsupported: [...reported, messageType] };
    this.#emit({ kind: 'unsupported-message', counterpartyNodeId: peer, messageType, message });
    return true;
  }

  /** One BOLT 2 message (or an `error`) from `peer`; dispatches to the `handle*` methods. */
  handleChannelMessage(peer: Uint8Array, message: ChannelMessage): void {
    switch (message.type) {
      case 32:
        return this.handleOpenChannel(peer, message);
      case 17:
        return this.handleError(peer, message);
      case 33:
      case 34:
        return this.#route(peer, message.temporaryChannelId, message);
      default:
        return this.#route(peer, message.channelId, message);
    }
  }

  /**
   * LDK's `handle_open_channel`: every BOLT 2 check; then `accept_channel`
   * (policy `all`) or an `OpenChannelRequest` event (policy `manual`). A
   * temporary id already in use with this peer, or too many unfunded
   * channels, is refused without creating anything.
   */
  handleOpenChannel(peer: Uint8Array, m: OpenChannelMessage): void {
    if (this.#header.unfunded.some((e) => equalBytes(e.counterpartyNodeId, peer) && equalBytes(e.temporaryChannelId, m.temporaryChannelId))) {
      this.#send(peer, { type: 1, channelId: m.temporaryChannelId, data: text('temporary_channel_id already in use') });
      return;
    }
    const inbound = this.#header.unfunded.filter((e) => !e.isOutbound);
    if (inbound.filter((e) => equalBytes(e.counterpartyNodeId, peer)).length >= MAX_UNFUNDED_CHANNELS_PER_PEER || inbound.length >= MAX_UNFUNDED_INBOUND_CHANNELS) {
      this.#send(peer, { type: 17, channelId: m.temporaryChannelId, data: text('too many unfunded channels') });
      return;
    }
    if (this.#channelsInFlight() >= MAX_CHANNELS_IN_FLIGHT) {
      this.#send(peer, { type: 17, channelId: m.temporaryChannelId, data: text('too many channels being opened or confirmed; try again later') });
      return;
    }
    const features = this.#connected.get(toHex(peer)) ?? NO_FEATURES;
    const info = { counterpartyNodeId: peer, theirInitFeatures: features, bestHeight: this.#header.bestBlock.height };
    const result = channelHandleOpen(this.#context(), info, m);
    if (!result.ok) {
      this.#log('info', `refused open_channel: ${result.failure.reason}`);
      this.#sendAll(peer, result.effects);
      return;
    }
    if (this.#header.config.acceptInboundChannels === InboundChannelPolicy.Manual) {
      const key = channelKey(peer, m.temporaryChannelId);
      const request: ChannelEntry = { kind: 'open-request', counterpartyNodeId: peer, theirInitFeatures: features, open: m, receivedAtHeight: this.#header.bestBlock.height };
      this.#putEntry(key, request);
      this.#reindex(peer, [m.temporaryChannelId], request);
      this.#emit({
        kind: 'open-channel-request',
        temporaryChannelId: m.temporaryChannelId,
        counterpartyNodeId: peer,
        fundingSatoshis: m.fundingSatoshis,
        pushMsat: m.pushMsat,
        channelType: result.channel.channelType,
      });
      return;
    }
    this.#applyStep(null, null, { channel: result.channel, effects: result.effects });
  }

  /** LDK's `handle_accept_channel`. */
  handleAcceptChannel(peer: Uint8Array, m: AcceptChannelMessage): void {
    this.#route(peer, m.temporaryChannelId, m);
  }

  /** LDK's `handle_funding_created`. */
  handleFundingCreated(peer: Uint8Array, m: FundingCreatedMessage): void {
    this.#route(peer, m.temporaryChannelId, m);
  }

  /** LDK's `handle_funding_signed`. */
  handleFundingSigned(peer: Uint8Array, m: FundingSignedMessage): void {
    this.#route(peer, m.channelId, m);
  }

  /** LDK's `handle_channel_ready` (the seed's `funding_locked`). */
  handleChannelReady(peer: Uint8Array, m: ChannelReadyMessage): void {
    this.#route(peer, m.channelId, m);
  }

  /**
   * LDK's `handle_error` (BOLT 1): an all-zero `channel_id` fails every
   * channel with the peer; an unknown channel's error is ignored.
   */
  handleError(peer: Uint8Array, m: ErrorMessage): void {
    if (!equalBytes(m.channelId, ZERO_ID)) return this.#route(peer, m.channelId, m);
    const peerHex = toHex(peer);
    if (!this.#allLoaded && !this.#loadedPeers.has(peerHex)) throw new ManagerError(ManagerErrorCode.NotLoaded, `the channels of peer ${peerHex} are not loaded`);
    for (const [key, entry] of [...this.#entries]) {
      if (!key.startsWith(`${peerHex}#`)) continue;
      if (entry.kind === 'open-request') this.#removeEntry(key, entry);
      else this.#applyStep(key, entry, channelHandleMessage(this.#context(), entry.channel, m));
    }
  }

  // ---------------------------------------------------------------- chain (Confirm, Listen)

  /** `chain::Confirm::transactions_confirmed`: funding transactions among `txdata` confirm their channels. */
  transactionsConfirmed(header: Uint8Array, txdata: readonly ConfirmedTransaction[], height: number): void {
    const blockHash = blockHashOf(header);
    for (const tx of txdata) {
      for (const e of this.#header.confirming.filter((c) => equalBytes(c.fundingTxid, tx.txid))) {
        const key = channelKey(e.counterpartyNodeId, e.channelId);
        const item = this.#entry(key);
        if (item?.kind !== 'channel') continue;
        this.#applyStep(key, item, fundingTransactionConfirmed(this.#context(), item.channel, { height, txIndex: tx.position, blockHash }, tx.tx));
      }
    }
  }

  /**
   * `chain::Confirm::transaction_unconfirmed`: a funding transaction left
   * the best chain. Before our `channel_ready` the channel waits again;
   * after it, the channel is closed (`funding-reorged-out`).
   */
  transactionUnconfirmed(txid: Uint8Array): void {
    for (const e of this.#header.confirming.filter((c) => equalBytes(c.fundingTxid, txid))) {
      const key = channelKey(e.counterpartyNodeId, e.channelId);
      const item = this.#entry(key);
      if (item?.kind !== 'channel') continue;
      this.#applyStep(key, item, fundingTransactionUnconfirmed(this.#context(), item.channel));
    }
  }

  /**
   * `chain::Confirm::best_block_updated`: the new tip; channels waiting for
   * depth may send `channel_ready`; channels not funded within
   * {@link UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS} of their creation are forgotten.
   */
  bestBlockUpdated(header: Uint8Array, height: number): void {
    this.#setBestBlock({ height, hash: blockHashOf(header) });
    this.#expireUnfunded(height);
    for (const e of [...this.#header.confirming]) {
      const key = channelKey(e.counterpartyNodeId, e.channelId);
      const item = this.#entry(key);
      if (item?.kind !== 'channel') continue;
      this.#applyStep(key, item, channelBestBlockUpdated(this.#context(), item.channel, height));
    }
  }

  /** `chain::Confirm::get_relevant_txids`: confirmed funding transactions not yet final. */
  getRelevantTxids(): RelevantTxid[] {
    return this.#header.confirming.flatMap((e) =>
      e.confirmation ? [{ txid: e.fundingTxid, height: e.confirmation.height, blockHash: e.confirmation.blockHash }] : [],
    );
  }

  /** `chain::Listen::block_connected`: the block's funding transactions, then the new tip. */
  blockConnected(block: Uint8Array, height: number): void {
    const parsed = Block.fromBuffer(block);
    const header = block.subarray(0, 80);
    const txdata: ConfirmedTransaction[] = [];
    (parsed.transactions ?? []).forEach((tx, position) => {
      const txid = tx.getHash();
      if (this.#header.confirming.some((e) => equalBytes(e.fundingTxid, txid))) txdata.push({ position, txid, tx: tx.toBuffer() });
    });
    if (txdata.length > 0) this.transactionsConfirmed(header, txdata, height);
    this.bestBlockUpdated(header, height);
  }

  /** `chain::Listen::block_disconnected`: funding transactions confirmed at or above `height` are unconfirmed; the tip steps back. */
  blockDisconnected(header: Uint8Array, height: number): void {
    for (const e of [...this.#header.confirming]) {
      if (e.confirmation !== undefined && e.confirmation.height >= height) this.transactionUnconfirmed(e.fundingTxid);
    }
    this.#setBestBlock({ height: height - 1, hash: header.slice(4, 36) });
  }

  // ---------------------------------------------------------------- output

  /** LDK's `get_and_clear_pending_msg_events`: the messages queued so far (they leave `takeChanges`). */
  getAndClearPendingMsgEvents(): OutboundMessage[] {
    const out = this.#messages;
    this.#messages = [];
    return out;
  }

  /**
   * Everything changed since the last call, then forgotten. The handler
   * commits `header`, `channels`, `monitors` and `events` (and the messages
   * as outbox items) in one transaction, then sends the messages and hands
   * `broadcasts` to the BroadcasterInterface (docs/manager.md).
   */
  takeChanges(): ManagerChanges {
    const put = new Map<ChannelKey, Uint8Array>();
    for (const [key, entry] of this.#puts) put.set(key, encodeChannelEntry(entry));
    const changes: ManagerChanges = {
      ...(this.#headerDirty ? { header: encodeManagerHeader(this.#header) } : {}),
      channels: { put, delete: [...this.#deletes] },
      monitors: { put: this.#monitorWrites },
      events: this.#events,
      messages: this.#messages,
      broadcasts: this.#broadcasts,
    };
    this.#headerDirty = false;
    this.#puts = new Map();
    this.#deletes = new Set();
    this.#monitorWrites = [];
    this.#events = [];
    this.#messages = [];
    this.#broadcasts = [];
    return changes;
  }

  // ---------------------------------------------------------------- internals

  #context(override?: HandshakeOverride): ChannelContext {
    const config = this.#header.config.channel;
    return {
      secp: this.#ports.secp,
      signerProvider: this.#ports.signerProvider,
      entropy: this.#ports.entropy,
      feeEstimator: this.#ports.feeEstimator,
      chainHash: this.#header.chainHash,
      config: override ? { ...config, handshake: { ...config.handshake, ...override } } : config,
    };
  }

  #log(level: 'debug' | 'info' | 'warn', message: string): void {
    this.#ports.logger?.log(level, message);
  }

  /** Channels in the header's indexes: not funded yet, or funded and not yet buried (each one a write per block). */
  #channelsInFlight(): number {
    return this.#header.unfunded.length + this.#header.confirming.length;
  }

  #unfundedByTemporaryId(temporaryChannelId: Uint8Array, peer?: Uint8Array): UnfundedEntry[] {
    return this.#header.unfunded.filter((e) => equalBytes(e.temporaryChannelId, temporaryChannelId) && (peer === undefined || equalBytes(e.counterpartyNodeId, peer)));
  }

  /** The item key of the channel `id` (temporary or real) with `peer`. */
  #keyFor(peer: Uint8Array, id: Uint8Array): ChannelKey {
    const unfunded = this.#header.unfunded.find((e) => equalBytes(e.counterpartyNodeId, peer) && (equalBytes(e.temporaryChannelId, id) || equalBytes(e.channelId, id)));
    return channelKey(peer, unfunded?.channelId ?? id);
  }

  #entry(key: ChannelKey): ChannelEntry | undefined {
    const loaded = this.#allLoaded || this.#loadedKeys.has(key) || this.#loadedPeers.has(key.slice(0, key.indexOf('#'))) || this.#entries.has(key);
    if (!loaded) throw new ManagerError(ManagerErrorCode.NotLoaded, `channel item ${key} was not loaded for this input`);
    return this.#entries.get(key);
  }

  #putEntry(key: ChannelKey, entry: ChannelEntry): void {
    this.#entries.set(key, entry);
    this.#puts.set(key, entry);
    this.#deletes.delete(key);
  }

  #deleteKey(key: ChannelKey): void {
    this.#entries.delete(key);
    this.#puts.delete(key);
    this.#deletes.add(key);
    this.#loadedKeys.add(key);
  }

  #removeEntry(key: ChannelKey, entry: ChannelEntry): void {
    this.#deleteKey(key);
    const peer = entry.kind === 'channel' ? entry.channel.counterpartyNodeId : entry.counterpartyNodeId;
    const ids = entry.kind === 'channel' ? [entry.channel.temporaryChannelId, currentChannelId(entry.channel)] : [entry.open.temporaryChannelId];
    this.#reindex(peer, ids, null);
  }

  #send(peer: Uint8Array, message: WireMessage): void {
    this.#messages.push({ peer, message });
  }

  #sendAll(peer: Uint8Array, effects: readonly { readonly kind: string; readonly message?: WireMessage }[]): void {
    for (const e of effects) if (e.kind === 'send-message' && e.message) this.#send(peer, e.message);
  }

  #emit(event: ManagerEvent): void {
    const id = this.#header.nextEventId;
    this.#header = { ...this.#header, nextEventId: id + 1n };
    this.#headerDirty = true;
    this.#events.push({ id, event });
  }

  #setBestBlock(best: BestBlock): void {
    const now = this.#header.bestBlock;
    if (now.height === best.height && equalBytes(now.hash, best.hash)) return;
    this.#header = { ...this.#header, bestBlock: best };
    this.#headerDirty = true;
  }

  /** A message for a channel `id` of `peer`; an unknown channel gets an `error` (an `error` for one is ignored). */
  #route(peer: Uint8Array, id: Uint8Array, m: Exclude<ChannelMessage, OpenChannelMessage>): void {
    const key = this.#keyFor(peer, id);
    const entry = this.#entry(key);
    if (entry === undefined) {
      if (m.type !== 17) this.#send(peer, { type: 17, channelId: id, data: text('unknown channel') });
      return;
    }
    if (entry.kind === 'open-request') {
      // The peer moved on before the user accepted: the request is void.
      this.#removeEntry(key, entry);
      if (m.type !== 17) this.#send(peer, { type: 17, channelId: id, data: text(`message type ${m.type} before the channel was accepted`) });
      return;
    }
    if (m.type === 136) {
      // The peer's channel_reestablish: other messages may flow again.
      const { awaitingReestablish, ...resumed } = entry;
      if (awaitingReestablish) this.#putEntry(key, resumed);
      this.#applyStep(key, resumed, handleChannelReestablish(this.#context(), entry.channel, m));
      return;
    }
    if (entry.awaitingReestablish && m.type !== 17) {
      // BOLT 2: after a reconnection channel_reestablish comes first; this one is ignored.
      this.#send(peer, { type: 1, channelId: id, data: text(`message type ${m.type} before channel_reestablish`) });
      return;
    }
    if (m.type === 38 || m.type === 39) {
      // Cooperative close is a later issue: say so, change nothing.
      this.#send(peer, { type: 1, channelId: id, data: text(`${m.type === 38 ? 'shutdown' : 'closing_signed'} is not supported yet`) });
      return;
    }
    this.#applyStep(key, entry, channelHandleMessage(this.#context(), entry.channel, m));
  }

  /**
   * Records a channel step: the item under the channel's current key
   * (re-keyed from the temporary id when funded; deleted when closed), the
   * monitor writes first, then messages and broadcasts (held while a
   * monitor write is in progress), events, and the header's indexes.
   */
  #applyStep(key: ChannelKey | null, before: ChannelItem | null, step: ChannelStep): void {
    if (before !== null && step.channel === before.channel && step.effects.length === 0) return;
    const channel = step.channel;
    const peer = channel.counterpartyNodeId;
    let latestMonitorUpdateId = before?.latestMonitorUpdateId;
    const awaitingReestablish = before?.awaitingReestablish === true;
    let held: MutableHeld | undefined = before?.held ? { ...before.held, messages: [...before.held.messages], broadcasts: [...before.held.broadcasts] } : undefined;
    for (const effect of step.effects) {
      switch (effect.kind) {
        case 'persist-monitor': {
          const monitor = channelMonitorFrom(effect.monitor);
          this.#monitorWrites.push({ channelIdHex: toHex(monitor.channelId), updateId: 0n, bytes: encodeMonitor(monitor) });
          latestMonitorUpdateId = 0n;
          if (this.#ports.watch.watchChannel(monitor.fundingOutpoint, monitor) === MonitorUpdateStatus.InProgress) {
            held = held ?? { untilUpdateId: 0n, messages: [], broadcasts: [] };
          }
          break;
        }
        case 'send-message':
          // Until the peer's channel_reestablish, only an error goes out (the reestablish retransmits the rest).
          if (awaitingReestablish && effect.message.type !== 17) break;
          if (held && step.failure === undefined) held.messages.push(effect.message);
          else this.#send(peer, effect.message);
          break;
        case 'broadcast':
          if (held) held.broadcasts.push(effect.tx);
          else this.#broadcasts.push(effect.tx);
          break;
        case 'event':
          this.#emit(effect.event);
          break;
      }
    }
    if (step.failure !== undefined && before?.channel.counterpartySignature !== undefined) {
      latestMonitorUpdateId = this.#forceCloseMonitor(before.channel, latestMonitorUpdateId ?? 0n, step.failure.reason);
    }
    const newKey = channelKey(peer, currentChannelId(channel));
    const ids = [channel.temporaryChannelId, currentChannelId(channel), ...(before ? [currentChannelId(before.channel)] : [])];
    if (key !== null && key !== newKey) this.#deleteKey(key);
    if (channel.state === ChannelState.Closed) {
      this.#deleteKey(newKey);
      this.#reindex(peer, ids, null);
      return;
    }
    const item: ChannelItem = {
      kind: 'channel',
      channel,
      ...(latestMonitorUpdateId !== undefined ? { latestMonitorUpdateId } : {}),
      ...(held ? { held: held satisfies HeldEffects } : {}),
      ...(awaitingReestablish ? { awaitingReestablish: true as const } : {}),
    };
    this.#putEntry(newKey, item);
    this.#reindex(peer, ids, item);
  }

  /**
   * A funded channel failed: the monitor gets a `channel-force-closed`
   * update, and our latest commitment is broadcast (not for a funding that
   * never confirmed, nor after the peer proved it holds a newer state). Until shared/monitor enforces on chain, the manager
   * broadcasts it itself. Returns the update's id.
   */
  #forceCloseMonitor(channel: Channel, previousUpdateId: bigint, reason: ChannelFailureReason): bigint {
    const funding = channel.funding!;
    // Not for a funding that never confirmed or is not the agreed 2-of-2 (no output to spend),
    // nor when the peer proved we lost data (our commitment may be revoked).
    const shouldBroadcast = !NO_COMMITMENT_BROADCAST.has(reason);
    const update: ChannelMonitorUpdate = { channelId: funding.channelId, updateId: previousUpdateId + 1n, steps: [{ kind: 'channel-force-closed', shouldBroadcast }] };
    this.#monitorWrites.push({ channelIdHex: toHex(funding.channelId), updateId: update.updateId, bytes: encodeMonitorUpdate(update) });
    this.#ports.watch.updateChannel(funding.outpoint, update);
    if (shouldBroadcast) {
      const tx = holderCommitmentTransaction(this.#ports.secp, this.#ports.signerProvider, channel);
      if (tx !== null) this.#broadcasts.push(tx);
    }
    return update.updateId;
  }

  /** Replaces the header index entries of the channel known by `ids` with `peer` by those of `entry` (header-index.ts). */
  #reindex(peer: Uint8Array, ids: readonly Uint8Array[], entry: ChannelEntry | null): void {
    const next = reindexChannel(this.#header, peer, ids, entry);
    if (next === this.#header) return;
    this.#header = next;
    this.#headerDirty = true;
  }
}
