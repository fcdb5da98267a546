/**
 * Why a channel is refused or closed (BOLT 2 receiver requirements, one code
 * per check), and the typed errors of the user-facing calls (LDK's
 * `APIError::APIMisuseError`).
 */

/** Stable reason codes; each names one BOLT 2 "MUST fail the channel if" check (or a local decision). */
export const ChannelFailureReason = {
  UnknownChain: 'unknown-chain',
  FundingTooSmall: 'funding-too-small',
  FundingTooLarge: 'funding-too-large',
  PushExceedsFunding: 'push-exceeds-funding',
  ToSelfDelayTooLarge: 'to-self-delay-too-large',
  MaxAcceptedHtlcsTooLarge: 'max-accepted-htlcs-too-large',
  MaxAcceptedHtlcsTooSmall: 'max-accepted-htlcs-too-small',
  FeerateTooLow: 'feerate-too-low',
  FeerateTooHigh: 'feerate-too-high',
  InvalidPoint: 'invalid-point',
  DustLimitTooSmall: 'dust-limit-too-small',
  DustLimitTooLarge: 'dust-limit-too-large',
  DustLimitAboveReserve: 'dust-limit-above-reserve',
  ReserveAboveChannelValue: 'reserve-above-channel-value',
  ReserveTooLarge: 'reserve-too-large',
  ReserveBelowOurDustLimit: 'reserve-below-our-dust-limit',
  OurReserveBelowTheirDustLimit: 'our-reserve-below-their-dust-limit',
  HtlcMinimumTooLarge: 'htlc-minimum-too-large',
  MaxInFlightTooSmall: 'max-in-flight-too-small',
  FunderCannotPayFee: 'funder-cannot-pay-fee',
  BalancesBelowReserve: 'balances-below-reserve',
  UnsupportedChannelType: 'unsupported-channel-type',
  MissingChannelType: 'missing-channel-type',
  ChannelTypeMismatch: 'channel-type-mismatch',
  AnnouncementPreference: 'announcement-preference',
  MinimumDepthTooLarge: 'minimum-depth-too-large',
  BadCommitmentSignature: 'bad-commitment-signature',
  UnexpectedMessage: 'unexpected-message',
  WrongChannelId: 'wrong-channel-id',
  FundingOutputIndexTooLarge: 'funding-output-index-too-large',
  FundingTimedOut: 'funding-timed-out',
  FundingReorgedOut: 'funding-reorged-out',
  /** The confirmed funding transaction's output at the funding index is missing, or not the 2-of-2 P2WSH paying `funding_satoshis` (LDK: `ClosureReason::ProcessingError`). */
  FundingTxMismatch: 'funding-tx-mismatch',
  /** The funding transaction confirmed as a block's coinbase (position 0): refused (LDK instead waits 100 blocks). */
  FundingTxCoinbase: 'funding-tx-coinbase',
  CounterpartyError: 'counterparty-error',
  /** A non-empty `upfront_shutdown_script` that is not a BOLT 2 shutdown form (or ours is not one the peer accepts). */
  InvalidShutdownScript: 'invalid-shutdown-script',
  /** The peer disconnected before the channel was funded (LDK's `ClosureReason::DisconnectedPeer`). */
  PeerDisconnected: 'peer-disconnected',
  /** We did not provide the funding transaction (e.g. the wallet could not pay for it): LDK's `ClosureReason::HolderForceClosed` on an unfunded channel. */
  FundingNotProvided: 'funding-not-provided',
  /**
   * `channel_reestablish` proves the peer holds a newer state than ours (we
   * lost data): our commitment may be revoked, so it is NOT broadcast; the
   * peer is asked to close (BOLT 2 "Message Retransmission").
   */
  PeerHasNewerState: 'peer-has-newer-state',
  /** Still not funded (or never accepted) six blocks after its creation: LDK's unfunded-channel age limit. */
  UnfundedTimedOut: 'unfunded-timed-out',
  /** `channel_reestablish` numbers or secret that match no state of ours (BOLT 2: "SHOULD send an error and fail the channel"). */
  ReestablishMismatch: 'reestablish-mismatch',
  /** Not a failure: both sides signed the closing transaction (BOLT 2 "Channel Close"; LDK's `CooperativeClosure`). */
  CooperativeClosure: 'cooperative-closure',
  /** The peer's `shutdown` script differs from its upfront script or from its earlier `shutdown`. */
  ShutdownScriptMismatch: 'shutdown-script-mismatch',
  /** `shutdown` while HTLCs are in flight (HTLCs during shutdown are not supported yet). */
  ShutdownWithHtlcs: 'shutdown-with-htlcs',
  /** `closing_signed` whose signature signs neither BOLT 3 variant of the closing transaction. */
  BadClosingSignature: 'bad-closing-signature',
  /** `closing_signed` with a fee outside its own `fee_range`, ours, or the funder's balance, or no overlap between the ranges. */
  ClosingFeeOutOfRange: 'closing-fee-out-of-range',
  /** `closing_signed` with a fee other than the one we must agree on (BOLT 2: the fundee answers once; the funder replies with the same fee). */
  ClosingFeeMismatch: 'closing-fee-mismatch',
  /** The agreed closing transaction would have an output below the dust limit of its script (BOLT 3 "Dust Limits"). */
  ClosingOutputBelowDust: 'closing-output-below-dust',
} as const;
export type ChannelFailureReason = (typeof ChannelFailureReason)[keyof typeof ChannelFailureReason];

/** Codes of a refused user call (LDK's `APIError` variants): the one set, for the channel machine and the manager. */
export const ApiErrorCode = {
  /** The arguments are wrong (LDK's `APIMisuseError`). */
  ApiMisuse: 'api-misuse',
  /** No such channel, or not in a state that allows the call (LDK's `ChannelUnavailable`; e.g. funding provided twice). */
  ChannelUnavailable: 'channel-unavailable',
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

/** A refused user call: nothing changed. */
export interface ApiError {
  readonly code: ApiErrorCode;
  readonly message: string;
}

/** A call that either worked (`value`) or was refused (`error`). */
export type ApiResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ApiError };
