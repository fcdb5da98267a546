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
  /** An `update_fee` whose feerate takes the dust exposure of a commitment over our limit (LDK 0.1: closes; dust-exposure.ts). */
  DustExposureTooHigh: 'dust-exposure-too-high',
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
  /** The peer's `shutdown` while an `update_add_htlc` of ours waits in the holding cell (it could never be sent: BOLT 2 forbids adds after `shutdown`). */
  ShutdownWithHtlcs: 'shutdown-with-htlcs',
  /** `update_add_htlc` after the peer's own `shutdown` (BOLT 2 "Closing Initiation": the receiver fails the channel). */
  AddHtlcAfterShutdown: 'add-htlc-after-shutdown',
  /** `closing_signed` while HTLCs are still in flight (BOLT 2: the negotiation starts only once none remain). */
  ClosingSignedWithHtlcs: 'closing-signed-with-htlcs',
  /** `closing_signed` whose signature signs neither BOLT 3 variant of the closing transaction. */
  BadClosingSignature: 'bad-closing-signature',
  /** `closing_signed` with a fee outside its own `fee_range`, ours, or the funder's balance, or no overlap between the ranges. */
  ClosingFeeOutOfRange: 'closing-fee-out-of-range',
  /** `closing_signed` with a fee other than the one we must agree on (BOLT 2: the fundee answers once; the funder replies with the same fee). */
  ClosingFeeMismatch: 'closing-fee-mismatch',
  /** The agreed closing transaction would have an output below the dust limit of its script (BOLT 3 "Dust Limits"). */
  ClosingOutputBelowDust: 'closing-output-below-dust',
  // BOLT 2 "Normal Operation" receiver checks (shared/channel/htlc-updates.ts, commitment-dance.ts; docs/htlcs.md).
  /** `update_add_htlc` with `amount_msat` 0 or below our `htlc_minimum_msat`. */
  HtlcAmountBelowMinimum: 'htlc-amount-below-minimum',
  /** `update_add_htlc` beyond our `max_accepted_htlcs` offered to us at once. */
  TooManyHtlcs: 'too-many-htlcs',
  /** `update_add_htlc` taking the value offered to us above our `max_htlc_value_in_flight_msat`. */
  HtlcValueInFlightTooLarge: 'htlc-value-in-flight-too-large',
  /** `update_add_htlc` the sender cannot pay above the reserve we require of it (and the commitment fee, when it is the funder). */
  HtlcSenderCannotAfford: 'htlc-sender-cannot-afford',
  /** `update_add_htlc` whose `id` is not the sender's next one. */
  HtlcIdOutOfOrder: 'htlc-id-out-of-order',
  /**
   * An HTLC we offered is past its expiry (plus a grace period), or one we fulfilled is within CLTV_CLAIM_BUFFER
   * of its expiry, and the peer has not removed it: our commitment goes on chain (LDK's `HTLCsTimedOut`).
   */
  HtlcsTimedOut: 'htlcs-timed-out',
  /** `update_add_htlc` with `cltv_expiry` of 500,000,000 or more (a time, not a height). */
  CltvExpiryTooLarge: 'cltv-expiry-too-large',
  /** A removal (`update_fulfill_htlc`, `update_fail_htlc`, `update_fail_malformed_htlc`) of an id we did not offer, or not yet irrevocably committed, or already removed. */
  UnknownHtlcId: 'unknown-htlc-id',
  /** `update_fulfill_htlc` whose preimage does not hash to the HTLC's payment hash. */
  PreimageMismatch: 'preimage-mismatch',
  /** `update_fail_malformed_htlc` without the BADONION bit in `failure_code`. */
  MalformedWithoutBadOnion: 'malformed-without-badonion',
  /** `commitment_signed` with a wrong number of HTLC signatures, or a bad one. */
  BadHtlcSignature: 'bad-htlc-signature',
  /** `revoke_and_ack` whose secret does not match the point of the commitment it revokes. */
  InvalidRevocation: 'invalid-revocation',
  /** A released secret inconsistent with the ones the counterparty released before (BOLT 3 secret storage). */
  InconsistentCommitmentSecret: 'inconsistent-commitment-secret',
  /** `revoke_and_ack` while no commitment of theirs awaits revocation. */
  UnexpectedRevocation: 'unexpected-revocation',
  /** `update_fee` from the fundee (BOLT 2: only the funder sets the commitment feerate). Its feerate out of bounds is `feerate-too-low` / `feerate-too-high`, unaffordable `funder-cannot-pay-fee`. */
  UpdateFeeFromFundee: 'update-fee-from-fundee',
  /** We closed the channel by broadcasting our latest commitment (`POST /v1/channels/{id}/close` `{"force": true}`; LDK's `HolderForceClosed`). */
  HolderForceClosed: 'holder-force-closed',
  /** The counterparty's commitment spent the funding output: they force-closed (LDK's `CounterpartyForceClosed`). */
  CounterpartyForceClosed: 'counterparty-force-closed',
  /**
   * The counterparty's commitment that spent the funding output is one they
   * had revoked: every output of it is ours, taken by our justice
   * transactions (BOLT 5 "Revoked Transaction Close Handling"; LDK reports it
   * as `CounterpartyForceClosed`, the issue names it apart).
   */
  RevokedCommitmentPunished: 'revoked-commitment-punished',
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
