/**
 * shared/monitor (layer 5): the ChannelMonitor record and its updates (BOLT
 * 5 state), the `chain::Watch` port the manager hands them to, and their
 * versioned serialization; on chain, our outputs of a closed channel found
 * and swept (sweep.ts, sweep-tx.ts, htlc-claims.ts).
 */
export {
  MAX_COMMITMENT_HTLCS,
  MAX_MONITOR_PREIMAGES,
  applyMonitorUpdate,
  channelMonitorFrom,
  counterpartySecretOf,
  holderCommitmentTxidOf,
  preimageOf,
  type ChannelMonitor,
  type ChannelMonitorUpdate,
  type KnownPreimage,
  type MonitorUpdateError,
  type PreviousHolderCommitment,
} from './channel-monitor.js';
export {
  MonitorStepType,
  monitorHtlcList,
  monitorUpdateSteps,
  summarizeHolderCommitment,
  type CounterpartyCommitmentDetail,
  type CounterpartyCommitmentRef,
  type CounterpartyCommitmentStep,
  type HolderCommitmentStep,
  type HolderCommitmentSummaryStep,
  type KnownMonitorUpdateStep,
  type MonitorHtlc,
  type MonitorUpdateStep,
} from './monitor-update-step.js';
export { decodeJusticeRecord, encodeJusticeRecord, encodeStoredJusticeRecord, splitCounterpartyCommitment, type JusticeRecord } from './justice-record.js';
export { decodeMonitor, decodeMonitorUpdate, encodeMonitor, encodeMonitorUpdate, encodeStoredMonitorUpdate } from './monitor-record.js';
export { MonitorUpdateStatus, committedWatch, type Watch } from './watch.js';
export { classifyFundingSpend, ourAnchorOutput, ourOutputs, revokedHtlcTxOutputs, type FundingSpend } from './sweep.js';
export { dustLimitOf, sweepOutput, sweepOutputs, type OurOutput, type Sweep } from './sweep-tx.js';
export { holderHtlcTransactions, holderHtlcTxOutputs, preimagesRevealed, type HolderHtlcTx } from './htlc-claims.js';
export { decodeWatchedChannel, encodeWatchedChannel, txidOf, type Claim, type FeeCoin, type Stage, type WatchPhase, type WatchedChannel } from './watched-channel.js';
export { ANCHOR_ANYONE_CAN_SPEND_BLOCKS, ANTI_REORG_DELAY, INCREMENTAL_RELAY_SAT_PER_VB, MAX_BUMP_FEERATE_PER_KW, MIN_BUMP_PER_KW, SWEEP_TARGET_BLOCKS, bumpedFeerate, replacementFloorSat, withAnchorsWhenSafe, type BumpableClaim, claimableOutpoint, finalAt, targetBlocks, inFlightOutpoints, inputsOf, outpointKey, planClaims, spentOutpoints, type ClaimPlan, type Claimable, type OfferedHtlc } from './claim-plan.js';
export { claimablesOf, offeredHtlcOutcomes, offeredOnLatestCommitments, type OfferedHtlcOutcome } from './onchain-resolution.js';
export {
  ANCHOR_INPUT_WEIGHT,
  anchorHtlcClaims,
  buildAnchorCpfp,
  buildAnchorHtlcTx,
  cpfpChildFee,
  feerateOf,
  holderAnchorOutput,
  type AnchorHtlcClaim,
  type FeeFunding,
  type FundingCoin,
  type Replacing,
  type FeePaidTx,
} from './anchor-claims.js';
