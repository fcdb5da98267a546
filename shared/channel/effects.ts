/**
 * What a channel transition asks its caller to do (BOLT 2 establishment).
 * The manager performs them in the safe order: `persist-monitor` durable
 * first, then `broadcast` and `send-message`, then `event`.
 */
import type { Outpoint } from '../ports/index.js';
import type { WireMessage } from '../wire/index.js';
import type { Channel, ChannelParameters, CounterpartyParameters } from './channel-state.js';
import type { NegotiatedChannelType } from './channel-type.js';
import type { ChannelFailureReason } from './errors.js';

/** LDK's `Event::FundingGenerationReady`: build a transaction paying `outputScript` exactly `channelValueSatoshis`. */
export interface FundingGenerationReady {
  readonly kind: 'funding-generation-ready';
  readonly temporaryChannelId: Uint8Array;
  readonly counterpartyNodeId: Uint8Array;
  readonly channelValueSatoshis: bigint;
  readonly outputScript: Uint8Array;
  readonly userChannelId: bigint;
}

/** LDK's `Event::ChannelPending`: the first commitments are signed, the funding transaction is (or will be) out. */
export interface ChannelPending {
  readonly kind: 'channel-pending';
  readonly channelId: Uint8Array;
  readonly formerTemporaryChannelId: Uint8Array;
  readonly counterpartyNodeId: Uint8Array;
  readonly fundingOutpoint: Outpoint;
  readonly userChannelId: bigint;
}

/** LDK's `Event::ChannelReady`: both sides sent `channel_ready`. */
export interface ChannelReady {
  readonly kind: 'channel-ready';
  readonly channelId: Uint8Array;
  readonly counterpartyNodeId: Uint8Array;
  readonly userChannelId: bigint;
  readonly shortChannelId: bigint;
}

/** LDK's `Event::ChannelClosed` (with the temporary id and the direction, so a closed channel is found and described by either id). */
export interface ChannelClosed {
  readonly kind: 'channel-closed';
  readonly channelId: Uint8Array;
  /** The id before the funding outpoint was known (the id itself when it never was). */
  readonly temporaryChannelId: Uint8Array;
  readonly counterpartyNodeId: Uint8Array;
  readonly userChannelId: bigint;
  /** LDK's `channel_capacity_sats`. */
  readonly channelCapacitySats: bigint;
  readonly isOutbound: boolean;
  readonly reason: ChannelFailureReason;
  readonly message: string;
  /** The transaction that spent (or will spend) the funding output, when known at the close: our commitment for a force close, theirs when they force-closed. */
  readonly closingTxid?: Uint8Array;
}

/**
 * LDK's `Event::DiscardFunding`: an outbound channel closed after we gave
 * it a signed funding transaction and before the peer's `funding_signed`.
 * That transaction was never broadcast and never will be: the wallet takes
 * its inputs back (in the same commit as the close).
 */
export interface DiscardFunding {
  readonly kind: 'discard-funding';
  readonly channelId: Uint8Array;
  readonly counterpartyNodeId: Uint8Array;
  readonly userChannelId: bigint;
  /** The funding output the transaction would have created (txid in internal byte order). */
  readonly fundingOutpoint: Outpoint;
}

export type ChannelEvent = FundingGenerationReady | ChannelPending | ChannelReady | ChannelClosed | DiscardFunding | FundsSwept;

/**
 * Our output of a closed channel reached the wallet: its sweep confirmed
 * (LDK's `SpendableOutputs` handled by an output sweeper; docs/force-close.md).
 */
export interface FundsSwept {
  readonly kind: 'funds-swept';
  readonly channelId: Uint8Array;
  readonly counterpartyNodeId: Uint8Array;
  /** The sweep's txid (internal order). */
  readonly txid: Uint8Array;
  /** What the sweep paid the wallet (our output minus its fee). */
  readonly amountSat: bigint;
}

/**
 * What a new ChannelMonitor needs (LDK's `watch_channel`): the funding
 * output, the keys, both sides' parameters and commitment number 0, with the
 * counterparty's signature, finalized into our broadcastable commitment.
 */
export interface InitialMonitor {
  readonly channelId: Uint8Array;
  readonly fundingOutpoint: Outpoint;
  /** The funding output's scriptPubKey (P2WSH of the 2-of-2). */
  readonly fundingScriptPubKey: Uint8Array;
  readonly channelValueSatoshis: bigint;
  readonly channelKeysId: Uint8Array;
  readonly channelType: NegotiatedChannelType;
  readonly isOutbound: boolean;
  readonly counterpartyNodeId: Uint8Array;
  readonly holder: ChannelParameters;
  readonly counterparty: CounterpartyParameters;
  /** Lower 48 bits of SHA256(opener payment basepoint || accepter payment basepoint) (BOLT 3). */
  readonly obscuringFactor: bigint;
  readonly commitmentNumber: 0n;
  /** The counterparty's signature on our commitment number 0. */
  readonly counterpartySignature: Uint8Array;
  /** Our commitment number 0 with both signatures: what a force close broadcasts. */
  readonly holderCommitmentTx: Uint8Array;
  /** The txid (internal order) of the counterparty's commitment number 0, which we signed. */
  readonly counterpartyCommitmentTxid: Uint8Array;
}

/**
 * An HTLC of a commitment as the monitor keeps it (mirrors shared/monitor's
 * `MonitorHtlc`; the channel layer sits below the monitor and cannot import it).
 */
export interface CommitmentHtlcInfo {
  /** Offered by the commitment's owner. */
  readonly offered: boolean;
  readonly amountMsat: bigint;
  readonly cltvExpiry: number;
  readonly paymentHash: Uint8Array;
  /** Its output in the commitment transaction; absent when trimmed. */
  readonly transactionOutputIndex?: number;
}

/**
 * The monitor update steps the commitment dance produces (LDK's
 * `ChannelMonitorUpdateStep`, shared/monitor/monitor-update-step.ts: the same
 * kinds and fields, so the manager passes them on unchanged, numbered).
 */
export type ChannelMonitorStep =
  /**
   * Our new commitment (BOLT 2 `commitment_signed` received), by its txid:
   * the transaction and the counterparty's signature are the channel's
   * (`latestHolderCommitment`, latest-holder-commitment.ts), and our
   * signature is made only when it is broadcast (holderCommitmentTransaction),
   * as LDK signs its holder commitment only then. The monitor needs the txid
   * (to know our commitment on chain), the HTLC signatures and the HTLCs.
   */
  | {
      readonly kind: 'latest-holder-commitment-summary';
      readonly commitmentNumber: bigint;
      /** Internal byte order. */
      readonly commitmentTxid: Uint8Array;
      readonly htlcSignatures: readonly Uint8Array[];
      /** Its HTLCs (`offered`: offered by us), so the monitor knows which preimages it still needs. */
      readonly htlcs: readonly CommitmentHtlcInfo[];
    }
  | {
      readonly kind: 'latest-counterparty-commitment';
      readonly commitmentNumber: bigint;
      /** Internal byte order. */
      readonly commitmentTxid: Uint8Array;
      readonly perCommitmentPoint: Uint8Array;
      /** From the counterparty's point of view (`offered`: offered by them). */
      readonly htlcs: readonly CommitmentHtlcInfo[];
      readonly feeratePerKw: number;
      readonly toBroadcasterValueSat: bigint;
      readonly toCountersignatoryValueSat: bigint;
    }
  | { readonly kind: 'commitment-secret'; readonly index: bigint; readonly secret: Uint8Array }
  | { readonly kind: 'payment-preimage'; readonly paymentPreimage: Uint8Array };

/** One thing to do after a transition. */
export type ChannelEffect =
  | { readonly kind: 'send-message'; readonly message: WireMessage }
  | { readonly kind: 'broadcast'; readonly tx: Uint8Array }
  | { readonly kind: 'event'; readonly event: ChannelEvent }
  | { readonly kind: 'persist-monitor'; readonly monitor: InitialMonitor }
  /** Steps for the channel's existing monitor, durable before the messages that follow it leave (docs/htlcs.md). */
  | { readonly kind: 'monitor-update'; readonly steps: readonly ChannelMonitorStep[] };

/** The failure that closed the channel in this step. */
export interface ChannelFailure {
  readonly reason: ChannelFailureReason;
  readonly message: string;
}

/**
 * The result of a transition: the channel's new record and the effects.
 * With `failure`, the channel is closed (its other fields unchanged) and the
 * effects send the `error` to the peer and emit `ChannelClosed`.
 */
export interface ChannelStep {
  readonly channel: Channel;
  readonly effects: readonly ChannelEffect[];
  readonly failure?: ChannelFailure;
}
