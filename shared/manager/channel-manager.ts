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
 *
 * This class only presents the seed's API: the work is in the modules
 * (load-plan, message-routes, open-calls, channel-step, peer-lifecycle,
 * chain-confirm, channel-queries) over one ChangeSet (docs/manager.md,
 * "Message routing").
 */
import { dustExposureLimitingFeerate } from '../channel/index.js';
import type { ConfirmedTransaction, RelevantTxid } from '../ports/index.js';
import type { AddressDescriptor } from '../wire/index.js';
import type { AcceptChannelMessage, ChannelReadyMessage, ErrorMessage, FundingCreatedMessage, FundingSignedMessage, OpenChannelMessage } from '../wire/index.js';
import * as chain from './chain-confirm.js';
import { broadcastNodeAnnouncement, checkNodeAnnouncementSettings, type NodeAnnouncementSettings } from './channel-announcements.js';
import * as channelConfig from './channel-config.js';
import type { GossipSyncSettings } from './gossip-sync.js';
import * as close from './close-calls.js';
import * as forceClose from './force-close.js';
import { ChangeSet } from './change-set.js';
import type { ChannelDetails } from './channel-details.js';
import type { ChannelKey } from './channel-entry.js';
import * as queries from './channel-queries.js';
import { channelMonitorUpdated } from './channel-step.js';
import { burstPlan, channelKeysFor, recordsAfterLoad, type BurstPlan } from './load-plan.js';
import { DEFAULT_MANAGER_CONFIG, sameManagerConfig, type ChannelForwarding, type HandshakeOverride, type ManagerConfig } from './manager-config.js';
import type { ManagerCore } from './manager-core.js';
import { ManagerError, ManagerErrorCode, type ApiResult } from './manager-errors.js';
import { decodeManagerHeader, type BestBlock, type ManagerHeader } from './manager-header.js';
import type {
  ChannelMessage,
  CreateManagerOptions,
  InboundChannelRequestDetails,
  LoadManagerOptions,
  LoadPlan,
  ManagerChanges,
  ManagerInput,
  ManagerPorts,
  OutboundMessage,
} from './manager-types.js';
import { applyPeerError, MESSAGE_ROUTES, routeMessage, routeOf } from './message-routes.js';
import type { IndexKey } from './channel-indexes.js';
import type { FollowUpWork } from './follow-up.js';
import type { RecordKey } from './payment-records.js';
import { applyHtlcExpiry } from './htlc-expiry.js';
import * as inbound from './inbound-htlcs.js';
import type { InboundPayment } from './inbound-payment.js';
import * as invoices from './invoices.js';
import * as open from './open-calls.js';
import * as outbound from './outbound-calls.js';
import * as peers from './peer-lifecycle.js';
import * as tick from './timer-tick.js';

export { changesWith } from './manager-types.js';
export { BURST_MESSAGE_TYPES, type BurstPlan } from './load-plan.js';
export type {
  ChannelMessage,
  CreateManagerOptions,
  FollowUp,
  InboundChannelRequestDetails,
  LoadManagerOptions,
  LoadPlan,
  ManagerChanges,
  ManagerInput,
  ManagerPorts,
  MonitorWrite,
  OutboundMessage,
  GossipHandler,
  GraphGossipMessage,
  PeerWireMessage,
} from './manager-types.js';

/**
 * The seed's API over the modules (docs/manager.md, "Message routing"):
 * each method hands the invocation's change set and the ports to one
 * module function; every peer message goes through the routing table.
 */
export class ChannelManager {
  readonly #ports: ManagerPorts;
  readonly #cs: ChangeSet;
  readonly #core: ManagerCore;

  private constructor(ports: ManagerPorts, cs: ChangeSet, settings: { readonly nodeAnnouncement?: NodeAnnouncementSettings; readonly gossipSync?: GossipSyncSettings }) {
    this.#ports = ports;
    this.#cs = cs;
    const { nodeAnnouncement, gossipSync } = settings;
    this.#core = {
      cs,
      ports,
      ...(nodeAnnouncement === undefined ? {} : { nodeAnnouncement: checkNodeAnnouncementSettings(nodeAnnouncement) }),
      ...(gossipSync === undefined ? {} : { gossipSync }),
    };
  }

  /** A new node's manager (LDK's `ChannelManager::new`): no channels; the header is written at the first commit. */
  static create(options: CreateManagerOptions): ChannelManager {
    const header: ManagerHeader = {
      chainHash: options.chainHash,
      config: options.config ?? DEFAULT_MANAGER_CONFIG,
      bestBlock: options.bestBlock,
      nextEventId: 1n,
      unfunded: [],
    };
    return new ChannelManager(options.ports, new ChangeSet(header, true, new Map()), options);
  }

  /** The manager of one invocation: the header, and the channel items of `plan` (see {@link channelKeysFor}). */
  static load(options: LoadManagerOptions): ChannelManager {
    const header = decodeManagerHeader(options.header);
    if (!header.ok) throw new ManagerError(ManagerErrorCode.CorruptState, `manager header does not decode: ${header.error.message}`);
    const configChanged = options.config !== undefined && !sameManagerConfig(options.config, header.value.config);
    // The forwarding policy is not in the header: the configuration given to load carries it, whatever else changed.
    const forwarding = options.config?.forwarding;
    const config = configChanged ? options.config! : forwarding === undefined ? header.value.config : { ...header.value.config, forwarding };
    const value = config === header.value.config ? header.value : { ...header.value, config };
    const manager = new ChannelManager(options.ports, new ChangeSet(value, false, options.connectedPeers ?? new Map(), configChanged, options.connections), options);
    if (options.plan) manager.loadChannels(options.plan, options.channels ?? new Map());
    return manager;
  }

  /** Adds the items loaded for `plan` (absent keys are known not to exist). */
  loadChannels(plan: LoadPlan, items: ReadonlyMap<ChannelKey, Uint8Array>): void {
    this.#cs.loadChannels(plan, items);
  }

  /** Adds the confirming index items read for a plan with `confirming` (channel-indexes.ts). */
  /** Adds the payment records the plan named (`items`: those that exist). */
  loadRecords(keys: readonly RecordKey[], items: ReadonlyMap<RecordKey, Uint8Array>): void {
    this.#cs.loadRecords(keys, items);
  }

  /** Adds the expiry index items read for a plan with `expiring` (key below `INDEX#`, bytes). */
  loadExpiring(items: readonly { readonly key: IndexKey; readonly data: Uint8Array }[]): void {
    this.#cs.loadExpiring(items);
  }

  loadConfirming(items: Iterable<Uint8Array>): void {
    this.#cs.loadConfirming(items);
  }

  /**
   * A peer connected now besides those given to {@link load}, learned from
   * what the load read (a forward's next peer, named by the channel its
   * short channel id indexes: docs/forwarding.md). Only marks it connected,
   * on `connectionId`: nothing is sent, no reestablish (unlike
   * {@link peerConnected}); a peer already known connected is left as it is.
   */
  loadConnectedPeer(peer: Uint8Array, features: Uint8Array, connectionId?: string): void {
    if (this.#cs.featuresOf(peer) === undefined) this.#cs.setConnected(peer, features, connectionId);
  }

  /** Adds the keys of a peer's channels, listed without their items, for a plan with `keysOfPeers`. */
  loadChannelKeys(peerHex: string, keys: readonly ChannelKey[]): void {
    this.#cs.loadChannelKeys(peerHex, keys);
  }

  /** The payment records `input` needs that its loaded channels name (read after the plan's items; usually none). */
  recordsAfterLoad(input: ManagerInput): RecordKey[] {
    return recordsAfterLoad(this.#cs, input);
  }

  /**
   * What `input` reads on top of what this manager holds to run after the
   * inputs it ran (a burst: docs/manager.md, "Bursts"); undefined when it
   * needs a load of its own. Load `keys` with {@link loadChannels}, `records`
   * with {@link loadRecords}, then {@link recordsAfterLoad}'s not yet held.
   */
  burstPlan(input: ManagerInput): BurstPlan | undefined {
    return burstPlan(this.#cs, input);
  }

  /** Whether this manager holds the record `key` (read or written): a burst's later input reads only those it does not. */
  holdsRecord(key: RecordKey): boolean {
    return this.#cs.hasRecord(key);
  }

  /** The channel items `input` needs, from the header's indexes alone (load-plan.ts). */
  channelKeysFor(input: ManagerInput): LoadPlan {
    return channelKeysFor(this.#cs, input, this.#ports.routing !== undefined);
  }

  // ---------------------------------------------------------------- queries (channel-queries.ts)

  /** LDK's `get_current_default_configuration`. */
  currentDefaultConfiguration(): ManagerConfig {
    return this.#cs.header.config;
  }

  /** LDK's `get_our_node_id`: from the node signer. */
  ourNodeId(): Uint8Array {
    return this.#ports.nodeSigner.getNodeId();
  }

  /** LDK's `current_best_block`: the last block seen through Listen or Confirm. */
  currentBestBlock(): BestBlock {
    return this.#cs.header.bestBlock;
  }

  /** LDK's `list_channels`: every channel not closed (load with `{ kind: 'list-channels' }`). */
  listChannels(): ChannelDetails[] {
    return queries.listChannels(this.#cs, dustExposureLimitingFeerate(this.#ports.feeEstimator));
  }

  /**
   * The inbound `open_channel`s held for `acceptInboundChannel` /
   * `rejectInboundChannel` (manual policy; load with `{ kind: 'list-channels' }`).
   * LDK keeps these out of `list_channels` too.
   */
  listInboundChannelRequests(): InboundChannelRequestDetails[] {
    return queries.listInboundChannelRequests(this.#cs);
  }

  /** LDK's `list_usable_channels`: ready, with the peer connected. */
  listUsableChannels(): ChannelDetails[] {
    return queries.listUsableChannels(this.#cs, dustExposureLimitingFeerate(this.#ports.feeEstimator));
  }

  // ---------------------------------------------------------------- user calls (open-calls.ts, channel-step.ts)

  /**
   * LDK's `create_channel`: a new outbound channel and its `open_channel`.
   * `api-misuse` when the value is below 1,000 sat, above 2^24 - 1 sat
   * without the peer's `option_support_large_channel`, or `pushMsat` above
   * the value, or when `MAX_UNFUNDED_OUTBOUND_CHANNELS` outbound channels
   * are already waiting for their funding. Does not check
   * the peer is connected (its `init` features, when known, decide large
   * channels and anchors). Returns the temporary id.
   */
  createChannel(theirNetworkKey: Uint8Array, channelValueSatoshis: bigint, pushMsat: bigint, userChannelId: bigint, overrideConfig?: HandshakeOverride): ApiResult<Uint8Array> {
    return open.createChannel(this.#core, theirNetworkKey, channelValueSatoshis, pushMsat, userChannelId, overrideConfig);
  }

  /**
   * LDK's `funding_transaction_generated`: `api-misuse` for a non-segwit
   * input or no output paying the funding script the channel value;
   * `channel-unavailable` for an unknown temporary id; throws
   * `funding-already-provided` when a transaction was already given. The
   * transaction is broadcast only after the peer's `funding_signed`.
   */
  fundingTransactionGenerated(temporaryChannelId: Uint8Array, fundingTransaction: Uint8Array, counterpartyNodeId?: Uint8Array): ApiResult<void> {
    return open.fundingTransactionGenerated(this.#core, temporaryChannelId, fundingTransaction, counterpartyNodeId);
  }

  /**
   * Closes an outbound channel still waiting for its funding transaction
   * (LDK's `force_close_*` before `funding_transaction_generated`): the peer
   * gets an `error`, a `ChannelClosed` (`funding-not-provided`, `message`)
   * is emitted, the item is deleted. `channel-unavailable` when no such channel waits.
   */
  abandonUnfundedChannel(temporaryChannelId: Uint8Array, counterpartyNodeId: Uint8Array, message: string): ApiResult<void> {
    return open.abandonUnfundedChannel(this.#core, temporaryChannelId, counterpartyNodeId, message);
  }

  /** LDK's `accept_inbound_channel` (manual policy): answers the held `open_channel` with `accept_channel`. */
  acceptInboundChannel(temporaryChannelId: Uint8Array, counterpartyNodeId: Uint8Array, userChannelId: bigint): ApiResult<void> {
    return open.acceptInboundChannel(this.#core, temporaryChannelId, counterpartyNodeId, userChannelId);
  }

  /** Refuses a held inbound request (LDK's `force_close_*` on an unaccepted channel): the peer gets an `error`. */
  rejectInboundChannel(temporaryChannelId: Uint8Array, counterpartyNodeId: Uint8Array): ApiResult<void> {
    return open.rejectInboundChannel(this.#core, temporaryChannelId, counterpartyNodeId);
  }

  /**
   * LDK's `close_channel` (load with `{ kind: 'close-channel' }`): starts a
   * cooperative close with our `shutdown` (docs/close.md). The close
   * completes through the peer's messages: the closing transaction is
   * broadcast, `ChannelClosed` (`cooperative-closure`) emitted, the channel
   * removed. `channel-unavailable` for an unknown channel, a peer not
   * connected (or not reestablished yet), a channel not `ready`, or HTLCs in flight.
   */
  closeChannel(channelId: Uint8Array, counterpartyNodeId: Uint8Array): ApiResult<void> {
    return close.closeChannel(this.#core, channelId, counterpartyNodeId);
  }

  /**
   * LDK's `update_channel_config` (load with `{ kind:
   * 'update-channel-config' }`; channel-config.ts): the channel's own
   * forwarding fee and CLTV delta from now on, the previous policy honoured
   * for forwards a few minutes more, our new `channel_update` sent in the
   * same commit. Returns the policy in force. `api-misuse` for a CLTV delta
   * below 42 or a field too large for a `channel_update`;
   * `channel-unavailable` for an unknown, unfunded or closing channel.
   */
  updateChannelConfig(channelId: Uint8Array, counterpartyNodeId: Uint8Array, change: Partial<ChannelForwarding>): ApiResult<ChannelForwarding> {
    return channelConfig.updateChannelConfig(this.#core, channelId, counterpartyNodeId, change);
  }

  /**
   * LDK's `force_close_broadcasting_latest_txn` (load with `{ kind:
   * 'force-close-channel' }`; docs/force-close.md): the channel closes with
   * `holder-force-closed`, our latest commitment is broadcast after the
   * commit, the peer (connected or not) gets an `error`. Returns the
   * commitment's txid (null for a channel not funded yet).
   * `channel-unavailable` for an unknown channel.
   */
  forceCloseBroadcastingLatestTxn(channelId: Uint8Array, counterpartyNodeId: Uint8Array): ApiResult<forceClose.ForceClosed> {
    return forceClose.forceCloseChannel(this.#core, channelId, counterpartyNodeId);
  }

  /**
   * LDK's `channel_monitor_updated`: the monitor write `updateId` of the
   * channel is durable; the messages and broadcasts held since are released.
   */
  channelMonitorUpdated(counterpartyNodeId: Uint8Array, channelId: Uint8Array, updateId: bigint): void {
    channelMonitorUpdated(this.#core, counterpartyNodeId, channelId, updateId);
  }

  // ---------------------------------------------------------------- peers (peer-lifecycle.ts)

  /**
   * LDK's `broadcast_node_announcement(rgb, alias, addresses)`: our
   * `node_announcement` (signed, the clock's timestamp, our node features)
   * to every connected peer, and these settings for the announcements of
   * our public channels in this invocation (docs/gossip.md). Throws
   * `ManagerError('invalid-node-announcement')` above 500 addresses, for an
   * alias above 32 bytes of UTF-8 or a colour not of 3 bytes.
   */
  broadcastNodeAnnouncement(rgbColor: Uint8Array, alias: string, addresses: readonly AddressDescriptor[]): void {
    broadcastNodeAnnouncement(this.#core, rgbColor, alias, addresses);
  }

  /**
   * LDK's `peer_connected` (load with `{ kind: 'peer-connected' }`: the
   * keys of the peer's channels): remembers the peer's `init` features and
   * its gateway connection; channels not funded yet are dropped as on a
   * disconnection (the previous connection may have ended unseen); every
   * funded channel gets a `reestablish` follow-up, which sends its
   * `channel_reestablish` and nothing else until the peer's arrives (BOLT 2,
   * "Message Retransmission"; docs/follow-ups.md). With `gossipSync`, a
   * peer signalling `gossip_queries` gets our `gossip_timestamp_filter`
   * (LDK's `P2PGossipSync::peer_connected`; gossip-sync.ts).
   */
  peerConnected(counterpartyNodeId: Uint8Array, theirInitFeatures: Uint8Array, connectionId?: string): void {
    peers.peerConnected(this.#core, counterpartyNodeId, theirInitFeatures, connectionId);
  }

  /**
   * One channel's share of an input that touched many (load with
   * `{ kind: 'follow-up', peer, work }`; docs/follow-ups.md): chain events,
   * our `channel_reestablish` for `connectionId`, the peer's
   * all-channels `error`, a payment's result (off chain, or an HTLC we
   * offered settled on chain), and the other kinds of follow-up.ts.
   * Idempotent.
   */
  applyFollowUp(peer: Uint8Array, work: FollowUpWork, connectionId?: string): void {
    switch (work.kind) {
      case 'chain':
        return chain.applyChainEvents(this.#core, peer, work.channelId, work.events);
      case 'reestablish':
        return peers.applyReestablish(this.#core, peer, work.channelId, connectionId);
      case 'peer-error':
        return applyPeerError(this.#core, peer, work.channelId, work.data);
      case 'received-htlcs':
        return inbound.applyReceivedHtlcs(this.#core, peer, work.channelId, work.htlcs);
      case 'claim-htlcs':
        return inbound.applyClaimHtlcs(this.#core, peer, work.channelId, work.htlcs, work.paymentPreimage);
      case 'fail-htlcs':
        return inbound.applyFailHtlcs(this.#core, peer, work.channelId, work.htlcs, work.mppTimeout);
      case 'payment-result':
        return outbound.applyPaymentResult(this.#core, peer, work);
      case 'retry-payment':
        return outbound.applyRetryPayment(this.#core, work.paymentHash);
      case 'htlc-expiry':
        return applyHtlcExpiry(this.#core, peer, work.channelId, work.height);
      case 'update-fee':
        return tick.applyUpdateFee(this.#core, peer, work.channelId);
      case 'funding-spent':
        return forceClose.applyCounterpartyCommitment(this.#core, peer, work.channelId, work.txid, work.revoked === true);
      case 'funds-swept':
        return forceClose.applyFundsSwept(this.#core, peer, work);
      case 'htlc-resolved-on-chain':
        return outbound.applyHtlcResolvedOnChain(this.#core, peer, work);
      case 'fail-back':
        return inbound.applyFailBack(this.#core, peer, work.channelId, work.htlcId, work.reason);
    }
  }

  /**
   * LDK's `timer_tick_occurred`, about once a minute (load with
   * `{ kind: 'timer-tick' }`; docs/timer.md): counts the tick, fails back
   * payments incomplete for `MPP_TIMEOUT_TICKS` ticks with `mpp_timeout`,
   * and gives each channel we fund whose feerate is off the estimate an
   * `update-fee` follow-up. Returns what it did.
   */
  timerTickOccurred(): tick.TimerTickReport {
    return tick.timerTickOccurred(this.#core);
  }

  /** Adds the `MPP#` index keys (below `INDEX#`) read for a plan with `mppWaiting`, oldest first. */
  loadMppWaiting(keys: readonly IndexKey[]): void {
    this.#cs.loadMppWaiting(keys);
  }

  /** Adds the funder index items read for a plan with `funders`. */
  loadFunders(items: Iterable<Uint8Array>): void {
    this.#cs.loadFunders(items);
  }

  // ---------------------------------------------------------------- payments (invoices.ts, inbound-htlcs.ts, outbound-calls.ts)

  /** LDK's `create_inbound_payment` (load with `{ kind: 'create-invoice' }`): a hash and secret; nothing is stored. */
  createInboundPayment(request: invoices.InboundPaymentRequest): ApiResult<InboundPayment> {
    return invoices.createInboundPayment(this.#core, request);
  }

  /** LDK's `create_inbound_payment_for_hash`: a secret for a hash whose preimage the user holds. */
  createInboundPaymentForHash(paymentHash: Uint8Array, request: invoices.InboundPaymentRequest): ApiResult<Uint8Array> {
    return invoices.createInboundPaymentForHash(this.#core, paymentHash, request);
  }

  /** LDK's `create_bolt11_invoice` (load with `{ kind: 'create-invoice' }`). */
  createBolt11Invoice(request: invoices.InvoiceRequest): ApiResult<invoices.CreatedInvoice> {
    return invoices.createBolt11Invoice(this.#core, request);
  }

  /**
   * LDK's `send_payment` (load with `{ kind: 'send-payment', ... }`): a
   * repeated `paymentId` is refused; the result comes as `PaymentSent` or
   * `PaymentFailed` (after `PaymentPathFailed` per failed attempt).
   */
  sendPayment(request: outbound.SendPaymentRequest): ApiResult<void> {
    return outbound.sendPayment(this.#core, request);
  }

  /**
   * LDK's `abandon_payment` (load with `{ kind: 'abandon-payment', paymentId, paymentHash }`):
   * no more retries; `PaymentFailed` (`UserAbandoned`) once no part is in flight.
   */
  abandonPayment(paymentId: Uint8Array): void {
    outbound.abandonPayment(this.#core, paymentId);
  }

  /** LDK's `claim_funds` (load with `{ kind: 'claim-funds', paymentHash }`): after `PaymentClaimable`. */
  claimFunds(paymentPreimage: Uint8Array): ApiResult<void> {
    return inbound.claimFunds(this.#core, paymentPreimage);
  }

  /** LDK's `fail_htlc_backwards` (load with `{ kind: 'fail-htlc-backwards', paymentHash }`). */
  failHtlcBackwards(paymentHash: Uint8Array): void {
    inbound.failHtlcBackwards(this.#core, paymentHash);
  }

  /**
   * LDK's `peer_disconnected`: channels not funded yet (before our
   * `funding_signed` as fundee, before theirs as funder) are dropped with
   * `ChannelClosed` (`peer-disconnected`); held inbound requests vanish.
   * Funded channels stay as they are.
   */
  peerDisconnected(counterpartyNodeId: Uint8Array): void {
    peers.peerDisconnected(this.#core, counterpartyNodeId);
  }

  /**
   * The peer layer disconnected `peer` for a BOLT 2 message this node cannot
   * handle yet (`messageType`, e.g. 128 `update_add_htlc`: payments come
   * later): the routing table's row reports it. The first time per type, an
   * `UnsupportedMessage` event tells the user; returns whether this was the
   * first time. Channels are untouched.
   */
  reportUnsupportedMessage(peer: Uint8Array, messageType: number, message: string): boolean {
    const route = routeOf(messageType);
    const report = route?.kind === 'unsupported' ? route.report : peers.reportUnsupported;
    return report(this.#core, peer, messageType, message);
  }

  // ---------------------------------------------------------------- messages (message-routes.ts)

  /** One BOLT 2 message (or an `error`) from `peer`, through the routing table. */
  handleChannelMessage(peer: Uint8Array, message: ChannelMessage): void {
    routeMessage(this.#core, peer, message);
  }

  /**
   * LDK's `handle_open_channel`: every BOLT 2 check; then `accept_channel`
   * (policy `all`) or an `OpenChannelRequest` event (policy `manual`).
   */
  handleOpenChannel(peer: Uint8Array, m: OpenChannelMessage): void {
    MESSAGE_ROUTES[32].handle(this.#core, peer, m);
  }

  /** LDK's `handle_accept_channel`. */
  handleAcceptChannel(peer: Uint8Array, m: AcceptChannelMessage): void {
    routeMessage(this.#core, peer, m);
  }

  /** LDK's `handle_funding_created`. */
  handleFundingCreated(peer: Uint8Array, m: FundingCreatedMessage): void {
    routeMessage(this.#core, peer, m);
  }

  /** LDK's `handle_funding_signed`. */
  handleFundingSigned(peer: Uint8Array, m: FundingSignedMessage): void {
    routeMessage(this.#core, peer, m);
  }

  /** LDK's `handle_channel_ready` (the seed's `funding_locked`). */
  handleChannelReady(peer: Uint8Array, m: ChannelReadyMessage): void {
    routeMessage(this.#core, peer, m);
  }

  /** LDK's `handle_error` (BOLT 1): an all-zero `channel_id` fails every channel with the peer; an unknown channel's error is ignored. */
  handleError(peer: Uint8Array, m: ErrorMessage): void {
    routeMessage(this.#core, peer, m);
  }

  // ---------------------------------------------------------------- chain: Confirm, Listen (chain-confirm.ts)

  /** `chain::Confirm::transactions_confirmed`: funding transactions among `txdata` confirm their channels. */
  transactionsConfirmed(header: Uint8Array, txdata: readonly ConfirmedTransaction[], height: number): void {
    chain.transactionsConfirmed(this.#core, header, txdata, height);
  }

  /**
   * `chain::Confirm::transaction_unconfirmed`: a funding transaction left
   * the best chain. Before our `channel_ready` the channel waits again;
   * after it, the channel is closed (`funding-reorged-out`).
   */
  transactionUnconfirmed(txid: Uint8Array): void {
    chain.transactionUnconfirmed(this.#core, txid);
  }

  /**
   * `chain::Confirm::best_block_updated`: the new tip; channels waiting for
   * depth may send `channel_ready`; channels not funded within
   * `UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS` of their creation are forgotten.
   */
  bestBlockUpdated(header: Uint8Array, height: number): void {
    chain.bestBlockUpdated(this.#core, header, height);
  }

  /** `chain::Confirm::get_relevant_txids`: confirmed funding transactions not yet final. */
  getRelevantTxids(): RelevantTxid[] {
    return chain.getRelevantTxids(this.#core);
  }

  /** The funding txids the chain must report (every confirming channel's; load with `{ kind: 'chain' }`). */
  watchedFundingTxids(): Uint8Array[] {
    return chain.watchedFundingTxids(this.#core);
  }

  /** `chain::Listen::block_connected`: the block's funding transactions, then the new tip. */
  blockConnected(block: Uint8Array, height: number): void {
    chain.blockConnected(this.#core, block, height);
  }

  /** `chain::Listen::block_disconnected`: funding transactions confirmed at or above `height` are unconfirmed; the tip steps back. */
  blockDisconnected(header: Uint8Array, height: number): void {
    chain.blockDisconnected(this.#core, header, height);
  }

  // ---------------------------------------------------------------- output (change-set.ts)

  /** LDK's `get_and_clear_pending_msg_events`: the messages queued so far (they leave `takeChanges`). */
  getAndClearPendingMsgEvents(): OutboundMessage[] {
    return this.#cs.takeMessages();
  }

  /**
   * Everything changed since the last call, then forgotten. The handler
   * commits `header`, `channels`, `monitors` and `events` (and the messages
   * as outbox items) in one transaction, then sends the messages and hands
   * `broadcasts` to the BroadcasterInterface (docs/manager.md).
   */
  takeChanges(): ManagerChanges {
    return this.#cs.take();
  }
}
