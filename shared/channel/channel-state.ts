/**
 * One channel as data (BOLT 2, "Channel Establishment v1"): a readonly
 * record per state. Transitions (establishment.ts, funding-confirmation.ts)
 * take a record and return a new one with the effects to perform.
 */
import type { LatestHolderCommitment } from './latest-holder-commitment.js';
import type { ChannelPublicKeys } from '../keys/index.js';
import type { Outpoint } from '../ports/index.js';
import type { NegotiatedChannelType } from './channel-type.js';
import type { CommitmentState } from './commitment-state.js';
import type { ChannelFailureReason } from './errors.js';
import type { PendingFeeUpdate } from './fee-update.js';
import type { HtlcRecord } from './htlc.js';

/** The states of a channel's establishment. */
export const ChannelState = {
  /** We sent `open_channel`. */
  OutboundAwaitingAccept: 'outbound-awaiting-accept',
  /** We sent `accept_channel`. */
  InboundAwaitingFundingCreated: 'inbound-awaiting-funding-created',
  /** We got `accept_channel`; `FundingGenerationReady` was emitted: waiting for `fundingTransactionGenerated`. */
  AwaitingFundingTx: 'awaiting-funding-tx',
  /** We sent `funding_created`. */
  AwaitingFundingSigned: 'awaiting-funding-signed',
  /** Both first commitments are signed; waiting for `minimum_depth` (their `channel_ready` may already be here). */
  AwaitingConfirmation: 'awaiting-confirmation',
  /** We sent `channel_ready`; waiting for theirs. */
  AwaitingChannelReady: 'awaiting-channel-ready',
  /** Both sent `channel_ready`: normal operation. */
  Ready: 'ready',
  Closed: 'closed',
  /** Cooperative close (cooperative-close.ts): we sent `shutdown`, theirs has not arrived. (Added after `closed`: persisted states are indexes.) */
  ShutdownSent: 'shutdown-sent',
  /** Both `shutdown`s exchanged: `closing_signed` negotiation. */
  NegotiatingClose: 'negotiating-close',
} as const;
export type ChannelState = (typeof ChannelState)[keyof typeof ChannelState];

/**
 * One side's channel parameters as BOLT 2 sends them.
 * `channelReserveSatoshis` is the reserve this side requires the OTHER
 * side to keep; `toSelfDelay` is the delay it imposes on the other side.
 */
export interface ChannelParameters {
  readonly dustLimitSatoshis: bigint;
  readonly maxHtlcValueInFlightMsat: bigint;
  readonly channelReserveSatoshis: bigint;
  readonly htlcMinimumMsat: bigint;
  readonly toSelfDelay: number;
  readonly maxAcceptedHtlcs: number;
}

/** The counterparty's parameters and keys, from `open_channel` or `accept_channel`. */
export interface CounterpartyParameters extends ChannelParameters {
  readonly pubkeys: ChannelPublicKeys;
  /** Their per-commitment point of commitment number 0. */
  readonly firstPerCommitmentPoint: Uint8Array;
  /** Their committed `upfront_shutdown_script`, when non-empty. */
  readonly upfrontShutdownScript?: Uint8Array;
}

/** The funding output once known. */
export interface FundingInfo {
  readonly outpoint: Outpoint;
  /** BOLT 2 `channel_id` (txid XOR output index). */
  readonly channelId: Uint8Array;
}

/** Where the funding transaction confirmed. */
export interface FundingConfirmation {
  readonly height: number;
  /** Index of the transaction in its block (coinbase 0). */
  readonly txIndex: number;
  /** Internal byte order. */
  readonly blockHash: Uint8Array;
}

/** The counterparty's `channel_ready`. */
export interface CounterpartyChannelReady {
  /** Their per-commitment point of commitment number 1. */
  readonly secondPerCommitmentPoint: Uint8Array;
  /** The `short_channel_id` alias they asked us to use, if any. */
  readonly alias?: bigint;
}

/** The `closing_signed` we last sent (cooperative-close.ts). */
export interface ClosingProposal {
  readonly feeSatoshis: bigint;
  readonly minFeeSatoshis: bigint;
  readonly maxFeeSatoshis: bigint;
}

/** A cooperative close in progress (BOLT 2 "Channel Close"). */
export interface ShutdownInfo {
  /** The `scriptpubkey` of our `shutdown`. */
  readonly holderScript: Uint8Array;
  /** The `scriptpubkey` of their `shutdown`, once received. */
  readonly counterpartyScript?: Uint8Array;
  /** Our last `closing_signed`, once sent. */
  readonly sent?: ClosingProposal;
}

/** Why a channel closed. */
export interface ChannelClosure {
  readonly reason: ChannelFailureReason;
  readonly message: string;
}

/** Fields every channel has from its creation. */
export interface ChannelBase {
  readonly isOutbound: boolean;
  readonly counterpartyNodeId: Uint8Array;
  readonly temporaryChannelId: Uint8Array;
  /** For `SignerProvider.deriveChannelSigner` (docs/keys.md). */
  readonly channelKeysId: Uint8Array;
  /** The user's id of the channel (LDK's `user_channel_id`), 0 for inbound unless set. */
  readonly userChannelId: bigint;
  readonly fundingSatoshis: bigint;
  readonly pushMsat: bigint;
  /** The committed commitment feerate (sat per 1000 weight): the first commitments', then each irrevocable `update_fee`'s. */
  readonly feeratePerKw: number;
  /** An `update_fee` not yet irrevocable (shared/channel/fee-update.ts; docs/htlcs.md "Fee updates"); absent when none. */
  readonly pendingFeeUpdate?: PendingFeeUpdate;
  /**
   * Set when the last of our `commitment_signed` and `revoke_and_ack` we
   * sent was the `revoke_and_ack` (LDK's `RAACommitmentOrder::CommitmentFirst`):
   * when both must go again after a reconnection, the `commitment_signed`
   * goes first. Absent: `revoke_and_ack` first (LDK's `RevokeAndACKFirst`).
   */
  readonly resendCommitmentFirst?: true;
  /**
   * Set when the counterparty's `revoke_and_ack` acknowledged updates of
   * ours that our own commitment does not hold yet: their
   * `commitment_signed` is owed (LDK's `expecting_peer_commitment_signed`);
   * cleared when it arrives. A cooperative close waits for it
   * (cooperative-close.ts `closingNegotiationReady`).
   */
  readonly expectingCommitmentSigned?: true;
  readonly channelType: NegotiatedChannelType;
  readonly announceChannel: boolean;
  /** Our parameters, as sent. */
  readonly holder: ChannelParameters;
  /** Confirmations before `channel_ready`: ours as fundee, the counterparty's `minimum_depth` as funder. */
  readonly minimumDepth: number;
  /** The `short_channel_id` alias we send in `channel_ready`. */
  readonly holderAlias: bigint;
  /** The best block height we were told of. */
  readonly bestHeight: number;
  /** The `upfront_shutdown_script` we committed to (sent non-empty), when we did (docs/channel.md "Upfront shutdown script"). */
  readonly holderShutdownScript?: Uint8Array;
  /** option_shutdown_anysegwit was negotiated: the peer's `init` had it when the channel was created. */
  readonly anysegwit?: boolean;
  /** The HTLCs in flight, both ways (compact records, shared/channel/htlc.ts; docs/items.md); absent when none. */
  readonly htlcs?: readonly HtlcRecord[];
  /** The commitment dance's state (shared/channel/commitment-state.ts; docs/htlcs.md); absent until the first HTLC update. */
  readonly commitments?: CommitmentState;
  /**
   * Our latest commitment once past commitment 0 (what a force close
   * broadcasts; commitment 0 is rebuilt): without its witness, with the
   * counterparty's signature (latest-holder-commitment.ts; ours is made
   * again at the broadcast). Since session 12.
   */
  readonly latestHolderCommitment?: LatestHolderCommitment;
  /** The same with both signatures, as channels stored it before session 12 (TLV 48): read, replaced by the next `commitment_signed`. */
  readonly latestHolderCommitmentTx?: Uint8Array;
  /** The counterparty's policy for forwarding to us over this channel (its latest valid `channel_update`): what our invoices' route hints carry. */
  readonly counterpartyForwarding?: ForwardingPolicy;
  /** An announced channel: the peer's `announcement_signatures`, checked (BOLT 7); with ours they make the `channel_announcement`. */
  readonly theirAnnouncementSignatures?: AnnouncementSignaturePair;
  /** An announced channel: our `announcement_signatures` went out on the peer's current connection (cleared by its `channel_reestablish`). */
  readonly announcementSignaturesSent?: true;
}

/** One side's two signatures of a `channel_announcement` (BOLT 7 `announcement_signatures`). */
export interface AnnouncementSignaturePair {
  /** By the node key. */
  readonly nodeSignature: Uint8Array;
  /** By the funding key (`bitcoin_key`). */
  readonly bitcoinSignature: Uint8Array;
}

/** One direction's forwarding policy (BOLT 7 `channel_update`). */
export interface ForwardingPolicy {
  readonly feeBaseMsat: number;
  readonly feeProportionalMillionths: number;
  readonly cltvExpiryDelta: number;
  readonly htlcMinimumMsat: bigint;
  readonly htlcMaximumMsat: bigint;
  /** The update's timestamp: an older or equal one is ignored. */
  readonly timestamp: number;
}

interface ChannelExtras {
  readonly counterparty: CounterpartyParameters;
  readonly funding: FundingInfo;
  /** The signed funding transaction (outbound), kept until it is broadcast. */
  readonly fundingTx: Uint8Array;
  /** The counterparty's signature on our commitment number 0. */
  readonly counterpartySignature: Uint8Array;
  readonly confirmation: FundingConfirmation;
  readonly theirChannelReady: CounterpartyChannelReady;
  /** Height at which the first commitments were signed (the funding deadline counts from it). */
  readonly fundingSignedAtHeight: number;
  readonly closure: ChannelClosure;
  /** The cooperative close in progress (kept once closed). */
  readonly shutdown: ShutdownInfo;
  /** The txid (internal order) of the cooperative closing transaction we broadcast. */
  readonly closingTxid: Uint8Array;
}

type With<S extends ChannelState, K extends keyof ChannelExtras> = ChannelBase &
  Partial<ChannelExtras> & { readonly state: S } & Pick<ChannelExtras, K>;

export type OutboundAwaitingAccept = With<'outbound-awaiting-accept', never>;
export type InboundAwaitingFundingCreated = With<'inbound-awaiting-funding-created', 'counterparty'>;
export type AwaitingFundingTx = With<'awaiting-funding-tx', 'counterparty'>;
export type AwaitingFundingSigned = With<'awaiting-funding-signed', 'counterparty' | 'funding' | 'fundingTx'>;
export type AwaitingConfirmation = With<'awaiting-confirmation', 'counterparty' | 'funding' | 'counterpartySignature' | 'fundingSignedAtHeight'>;
export type AwaitingChannelReady = With<
  'awaiting-channel-ready',
  'counterparty' | 'funding' | 'counterpartySignature' | 'fundingSignedAtHeight' | 'confirmation'
>;
export type ReadyChannel = With<
  'ready',
  'counterparty' | 'funding' | 'counterpartySignature' | 'fundingSignedAtHeight' | 'confirmation' | 'theirChannelReady'
>;
export type ClosedChannel = With<'closed', 'closure'>;
type Funded = 'counterparty' | 'funding' | 'counterpartySignature' | 'fundingSignedAtHeight' | 'confirmation' | 'theirChannelReady';
export type ShutdownSentChannel = With<'shutdown-sent', Funded | 'shutdown'>;
export type NegotiatingCloseChannel = With<'negotiating-close', Funded | 'shutdown'>;

/**
 * A channel whose commitment dance runs (BOLT 2 "Normal Operation"): ready,
 * or closing cooperatively while HTLCs settle (BOLT 2 "Closing
 * Initiation": updates go on after `shutdown` until no HTLC remains).
 */
export type OperatingChannel = ReadyChannel | ShutdownSentChannel | NegotiatingCloseChannel;

/** Whether the channel's commitment dance runs: `ready`, `shutdown-sent` or `negotiating-close`. */
export function isOperating(channel: Channel): channel is OperatingChannel {
  return channel.state === ChannelState.Ready || channel.state === ChannelState.ShutdownSent || channel.state === ChannelState.NegotiatingClose;
}

/** A channel in any state. */
export type Channel =
  | OutboundAwaitingAccept
  | InboundAwaitingFundingCreated
  | AwaitingFundingTx
  | AwaitingFundingSigned
  | AwaitingConfirmation
  | AwaitingChannelReady
  | ReadyChannel
  | ShutdownSentChannel
  | NegotiatingCloseChannel
  | ClosedChannel;

/** The channel's current id: `channel_id` once the funding outpoint is known, else the temporary one. */
export function currentChannelId(channel: Channel): Uint8Array {
  return channel.funding?.channelId ?? channel.temporaryChannelId;
}
