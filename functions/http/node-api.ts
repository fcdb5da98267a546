/**
 * The port the HTTP API is built with: what the API needs from the node,
 * and nothing about how the node does it (state, queues, the gateway).
 * The handler parses, validates, calls this port and shapes the response.
 */
import type { WebhookApi } from './webhook-api.js';

import type { PaymentApi } from './payment-api.js';

/** What `GET /v1/node` reports. `features` is the BOLT 9 feature bitfield of our `init`, as hex. */
import type { InvoiceApi } from './invoice-api.js';

/** Our forwarding policy (docs/forwarding.md): what a forward through us pays, and the blocks we keep. */
export interface ForwardingPolicyInfo {
  readonly feeBaseMsat: number;
  readonly feeProportionalMillionths: number;
  readonly cltvExpiryDelta: number;
  readonly htlcMinimumMsat: bigint;
}

export interface NodeInfo {
  /** Our node id: the 33-byte compressed secp256k1 public key (BOLT 8 static key), as hex. */
  readonly nodeId: string;
  /** The chain the node runs on (`regtest`, `testnet`, `signet`, `bitcoin`). */
  readonly network: string;
  /** Number of connected peers. */
  readonly peers: number;
  /** BOLT 9 feature bits we advertise, as hex. */
  readonly features: string;
  /** The node software's version, when the node reports it. */
  readonly version?: string;
  /** The sum of `localBalanceMsat` over the node's channels with signed commitments (pending confirmation, ready or closing). */
  readonly channelBalanceMsat: bigint;
  /** The sum of `inboundCapacityMsat` over the same channels (only ready ones have any). */
  readonly inboundCapacityMsat: bigint;
}

/** The parts of the deployment `GET /v1/health` can report as down. */
export const HEALTH_COMPONENTS = ['dynamodb'] as const;
export type HealthComponent = (typeof HEALTH_COMPONENTS)[number];

/** What `GET /v1/health` reports: `ok`, or `degraded` with what is down (routes that need it answer 503 meanwhile). */
export interface HealthInfo {
  readonly status: 'ok' | 'degraded';
  readonly down: readonly HealthComponent[];
}

/** One connected peer, as `GET /v1/peers` lists it. */
export interface PeerInfo {
  /** The peer's node id (33-byte compressed public key), as hex. */
  readonly nodeId: string;
  /** The peer's network address as `host:port`. */
  readonly address: string;
  /** Whether the peer dialled us. */
  readonly inbound: boolean;
  /** BOLT 9 feature bits from the peer's `init`, as hex. */
  readonly features: string;
}

/** A request to dial a peer (BOLT 8 handshake as initiator, then BOLT 1 `init`). */
export interface ConnectPeerRequest {
  readonly nodeId: string;
  readonly host: string;
  readonly port: number;
}

/** The on-chain wallet's balance, as `GET /v1/wallet` reports it. */
export interface WalletInfo {
  /** Confirmed coins not spent by one of our payments. */
  readonly confirmedSat: bigint;
  /** Unconfirmed coins (incoming, or change of our payments). */
  readonly unconfirmedSat: bigint;
  /** The anchor reserve (docs/wallet.md): 25,000 sat of confirmed coins per anchor channel, kept from payments and channel opens. */
  readonly anchorReserve?: { readonly anchorChannels: number; readonly requiredSat: bigint; readonly reservedSat: bigint };
}

/** A payment from the on-chain wallet. */
export interface SendRequest {
  readonly address: string;
  readonly sats: bigint;
  /** Fee rate in sat/vB; the chain source's estimate when absent. */
  readonly feerateSatPerVb?: number;
}

export interface SendResponse {
  readonly txid: string;
  readonly feeSat: bigint;
}

/** A request to open a channel (BOLT 2 `open_channel`, funded by the node's wallet). */
export interface OpenChannelRequest {
  /** The peer's node id (connected), hex. */
  readonly nodeId: string;
  readonly amountSat: bigint;
  /** Given to the peer at open (msat). */
  readonly pushMsat: bigint;
  /** Announce the channel (BOLT 7) once ready. */
  readonly public: boolean;
}

/** A channel's commitment format (BOLT 2 `channel_type`, BOLT 3): static_remotekey, or anchors with zero-fee HTLC transactions. */
export type ChannelTypeName = 'static_remotekey' | 'anchors_zero_fee_htlc_tx';

/** One HTLC in flight on a channel (hex payment hash). */
export interface PendingHtlcInfo {
  /** `offered`: ours, on its way out; `received`: the counterparty's, offered to us. */
  readonly direction: 'offered' | 'received';
  readonly amountMsat: bigint;
  readonly paymentHash: string;
  /** Its `cltv_expiry` (a block height). */
  readonly expiryHeight: number;
}

/** One channel, as `GET /v1/channels` reports it. Ids and keys are hex; txids display order. Balances: docs/balances.md. */
export interface ChannelInfo {
  /** The real channel id once funded, else the temporary one. */
  readonly channelId: string;
  readonly temporaryChannelId: string;
  readonly counterpartyNodeId: string;
  /** The channel machine's state (`outbound-awaiting-accept` … `ready`), `awaiting-acceptance` (a held inbound request), or `closed`. */
  readonly state: string;
  /** The negotiated channel type; null once closed (not kept). */
  readonly channelType: ChannelTypeName | null;
  readonly fundingTxid: string | null;
  readonly fundingOutputIndex: number | null;
  /** `block x tx x output` (BOLT 7), once confirmed. */
  readonly shortChannelId: string | null;
  readonly capacitySat: bigint;
  /** Our commitment output now: HTLCs in flight left out, less the commitment fee and anchors when we are the funder. */
  readonly localBalanceMsat: bigint;
  /** The counterparty's, by the same rule. */
  readonly remoteBalanceMsat: bigint;
  /** The HTLCs in flight, both ways. */
  readonly pendingHtlcs: readonly PendingHtlcInfo[];
  /** The largest single payment the channel can send now (LDK's `next_outbound_htlc_limit_msat`). */
  readonly outboundCapacityMsat: bigint;
  /** The largest single payment the counterparty can send us now (the same rules from its side). */
  readonly inboundCapacityMsat: bigint;
  readonly confirmations: number;
  readonly confirmationsRequired: number;
  readonly isOutbound: boolean;
  readonly isChannelReady: boolean;
  /** Ready, and the peer is connected. */
  readonly isUsable: boolean;
  readonly isPublic: boolean;
  /** Our forwarding policy on this channel, as our `channel_update` carries it (open channels only). */
  readonly forwardingPolicy?: { readonly feeBaseMsat: number; readonly feeProportionalMillionths: number; readonly cltvExpiryDelta: number };
  /** Why it closed (`closed` only). */
  readonly closure?: { readonly reason: string; readonly message: string; readonly txid?: string };
}

/** What `closeAllChannels` did to one channel: the channel afterwards, or the error that left it open. */
export type CloseAllResult = { readonly channelId: string; readonly channel: ChannelInfo } | { readonly channelId: string; readonly error: { readonly code: string; readonly message: string } };

/** One event as the API reports it: ids and keys hex, txids in display order, u64 values as decimal strings. */
export interface EventInfo {
  /** The event id (decimal): acknowledge up to it. */
  readonly id: string;
  readonly kind: string;
  /** Channel events: the peer. */
  readonly counterpartyNodeId?: string;
  readonly channelId?: string;
  readonly temporaryChannelId?: string;
  readonly userChannelId?: string;
  readonly channelValueSat?: string;
  readonly pushMsat?: string;
  readonly fundingTxid?: string;
  readonly fundingOutputIndex?: number;
  readonly shortChannelId?: string;
  readonly channelType?: 'static_remotekey' | 'anchors_zero_fee_htlc_tx';
  readonly reason?: string;
  readonly message?: string;
  /** `funds-swept`: the sweep's txid (display order hex). */
  readonly txid?: string;
  /** `funds-swept`: what the sweep paid the wallet (sat, decimal). */
  readonly amountSat?: string;
  /** `channel-closed`: the transaction that spent the funding output, when known (display order hex). */
  readonly closingTxid?: string;
  /** The BOLT message type a peer sent that the node cannot handle yet (`unsupported-message`). */
  readonly messageType?: number;
  readonly paymentHash?: string;
  readonly paymentPreimage?: string;
  readonly paymentId?: string;
  readonly amountMsat?: string;
  readonly feePaidMsat?: string;
  /** `payment-forwarded`: the channel the HTLC came in on and the one it went out on (hex). */
  readonly inboundChannelId?: string;
  readonly outboundChannelId?: string;
  /** `payment-sent`: the preimage (hex), the proof of payment. */
  readonly preimage?: string;
  /** `payment-sent`: the fees paid to the route (msat, decimal). */
  readonly feeMsat?: string;
  readonly purpose?: string;
  readonly claimDeadline?: number;
  readonly paymentFailedPermanently?: boolean;
  /** `payment-received`: the invoice's `externalId`, null when it had none (or the payment had no invoice: keysend). */
  readonly externalId?: string | null;
}

/**
 * The node, as the HTTP API sees it. Every method may reject; the API
 * answers an `HttpError` as it is and anything else as 500 `internal`.
 */
export interface NodeApi extends InvoiceApi, PaymentApi, WebhookApi {
  nodeInfo(): Promise<NodeInfo>;
  /** The forwarding policy in force (the node's settings, defaults filled in, the CLTV delta at least 42). */
  forwardingPolicy(): Promise<ForwardingPolicyInfo>;
  /** Whether the node can serve: its store answers (and, in the embedded deployment, its supervised processes run). */
  health(): Promise<HealthInfo>;
  listPeers(): Promise<readonly PeerInfo[]>;
  /** Starts dialling the peer; resolves once the request is accepted, not once connected. */
  connectPeer(request: ConnectPeerRequest): Promise<void>;
  wallet(): Promise<WalletInfo>;
  /** A fresh receive address (BIP 84, bech32). */
  newAddress(): Promise<{ readonly address: string }>;
  /** Signs a payment and hands it to the broadcast path. */
  send(request: SendRequest): Promise<SendResponse>;
  /** Opens a channel to a connected peer; resolves with its (temporary) id once `open_channel` is committed. */
  openChannel(request: OpenChannelRequest): Promise<{ readonly channelId: string }>;
  listChannels(): Promise<readonly ChannelInfo[]>;
  /** A channel by id (real or temporary); rejects `not-found` when there is none. */
  getChannel(channelId: string): Promise<ChannelInfo>;
  /** Accepts a held inbound channel request (manual acceptance); rejects `not-found` when there is none. */
  acceptChannel(temporaryChannelId: string): Promise<void>;
  /** The oldest events not acknowledged yet (at most 100), oldest first; with `after`, only those with a higher id (nothing is acknowledged). */
  listEvents(after?: bigint): Promise<readonly EventInfo[]>;
  /** Acknowledges (deletes) the pending events with ids up to `upTo`; resolves with how many. Idempotent. */
  acknowledgeEvents(upTo: bigint): Promise<number>;
  /** Refuses a held inbound channel request (the peer gets an `error`); rejects `not-found` when there is none. */
  rejectChannel(temporaryChannelId: string): Promise<void>;
  /**
   * Starts a cooperative close (BOLT 2 `shutdown`); resolves with the channel
   * as it is then (`shutdown-sent`, or `negotiating-close` if the peer answered already). Rejects `not-found` (no such channel),
   * `peer-not-connected`, `channel-not-closable` (not `ready`). With
   * `force`: broadcasts our latest commitment (docs/force-close.md),
   * resolves with the channel `closed` (`holder-force-closed`, the
   * commitment's txid), whether the peer is connected or not.
   */
  closeChannel(channelId: string, options?: { readonly force?: boolean }): Promise<ChannelInfo>;
  /** Sets the channel's own forwarding fee and CLTV delta (the fields given); its new `channel_update` goes to the peer. */
  updateChannelPolicy(channelId: string, change: { readonly feeBaseMsat?: number; readonly feeProportionalMillionths?: number; readonly cltvExpiryDelta?: number }): Promise<ChannelInfo>;
  /** Closes every open channel, each on its own (cooperatively, or with `force`); one result per channel. */
  closeAllChannels(options?: { readonly force?: boolean }): Promise<readonly CloseAllResult[]>;
}
