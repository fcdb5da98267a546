/**
 * Channel establishment v1 for both roles (BOLT 2, "Channel Establishment
 * v1"): `open_channel` -> `accept_channel` -> `funding_created` ->
 * `funding_signed`, with every receiver check, and the funding transaction
 * hand-over (LDK's `create_channel` / `funding_transaction_generated`).
 * Pure: each call returns the new channel record and the effects.
 */
import { equalConstantTime } from '../crypto/index.js';
import { INITIAL_COMMITMENT_INDEX, type ChannelSigner } from '../keys/index.js';
import { fundingOutputScript, parseTransaction, type CommitmentTransaction } from '../tx/index.js';
import {
  ANNOUNCE_CHANNEL_FLAG,
  isFeatureSupported,
  type AcceptChannelMessage,
  type ErrorMessage,
  type FundingCreatedMessage,
  type FundingSignedMessage,
  type OpenChannelMessage,
} from '../wire/index.js';
import { channelIdFromOutpoint } from './channel-id.js';
import type { ChannelContext } from './channel-context.js';
import {
  ChannelState,
  type AwaitingConfirmation,
  type AwaitingFundingSigned,
  type AwaitingFundingTx,
  type Channel,
  type ChannelParameters,
  type CounterpartyParameters,
  type InboundAwaitingFundingCreated,
  type OutboundAwaitingAccept,
} from './channel-state.js';
import { channelTypeBytes, parseChannelType, proposedChannelType, sameChannelType, type NegotiatedChannelType } from './channel-type.js';
import { checkCounterpartyParameters, checkFeerate, checkInitialBalances, checkPoints, parametersOf } from './checks.js';
import {
  ConfirmationTarget,
  FEERATE_FLOOR_PER_KW,
  MAX_FUNDING_SATOSHIS_NO_LARGE_CHANNELS,
  MIN_CHANNEL_VALUE_SATOSHIS,
  maxInFlightMsat,
  selectedReserveSatoshis,
} from './config.js';
import type { ChannelEffect, ChannelFailure, ChannelStep, InitialMonitor } from './effects.js';
import { ApiErrorCode, ChannelFailureReason as R, type ApiResult, type ChannelFailureReason } from './errors.js';
import {
  finalizedHolderCommitment,
  initialCommitment,
  obscuringFactorOf,
  signCommitmentWith,
  verifyCounterpartySignature,
  type FundedChannel,
} from './initial-commitment.js';
import { closeChannel, errorMessage } from './channel-close.js';
import { anysegwitNegotiated, checkCounterpartyShutdownScript, ourUpfrontShutdownScript } from './shutdown-script.js';

const MAX_MONEY_SAT = 2_100_000_000_000_000n;

/** The peer a channel is opened with, as the manager knows it. */
export interface PeerInfo {
  readonly counterpartyNodeId: Uint8Array;
  /** The peer's `init` features. */
  readonly theirInitFeatures: Uint8Array;
  /** Our best block height now. */
  readonly bestHeight: number;
}

/** `createChannel`'s arguments (LDK's `create_channel`). */
export interface CreateChannelRequest extends PeerInfo {
  readonly fundingSatoshis: bigint;
  readonly pushMsat: bigint;
  readonly userChannelId: bigint;
}

/** The answer to an `open_channel`: a new channel, or a refusal with the `error` to send. */
export type InboundOpenResult =
  | { readonly ok: true; readonly channel: InboundAwaitingFundingCreated; readonly effects: readonly ChannelEffect[] }
  | { readonly ok: false; readonly failure: ChannelFailure; readonly effects: readonly ChannelEffect[] };

function unexpected(channel: Channel, what: string): ChannelStep {
  return closeChannel(channel, R.UnexpectedMessage, `${what} in state ${channel.state}`);
}

function misuse<T>(message: string): ApiResult<T> {
  return { ok: false, error: { code: ApiErrorCode.ApiMisuse, message } };
}

function largeChannels(theirInitFeatures: Uint8Array): boolean {
  return isFeatureSupported(theirInitFeatures, 'option_support_large_channel');
}

function holderParameters(ctx: ChannelContext, fundingSatoshis: bigint): ChannelParameters {
  const h = ctx.config.handshake;
  return {
    dustLimitSatoshis: h.ourDustLimitSatoshis,
    maxHtlcValueInFlightMsat: maxInFlightMsat(h, fundingSatoshis),
    channelReserveSatoshis: selectedReserveSatoshis(h, fundingSatoshis),
    htlcMinimumMsat: h.ourHtlcMinimumMsat,
    toSelfDelay: h.ourToSelfDelay,
    maxAcceptedHtlcs: h.ourMaxAcceptedHtlcs,
  };
}

function randomAlias(ctx: ChannelContext): bigint {
  const bytes = ctx.entropy.getSecureRandomBytes();
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

function counterpartyOf(m: OpenChannelMessage | AcceptChannelMessage): CounterpartyParameters {
  return {
    ...parametersOf(m),
    pubkeys: {
      fundingPubkey: m.fundingPubkey,
      revocationBasepoint: m.revocationBasepoint,
      paymentBasepoint: m.paymentBasepoint,
      delayedPaymentBasepoint: m.delayedPaymentBasepoint,
      htlcBasepoint: m.htlcBasepoint,
    },
    firstPerCommitmentPoint: m.firstPerCommitmentPoint,
    ...(m.upfrontShutdownScript !== undefined && m.upfrontShutdownScript.length > 0 ? { upfrontShutdownScript: m.upfrontShutdownScript } : {}),
  };
}

function signerOf(ctx: ChannelContext, channel: Channel): ChannelSigner {
  return ctx.signerProvider.deriveChannelSigner(channel.fundingSatoshis, channel.channelKeysId);
}

/** The record fields of our shutdown commitment and the peer's anysegwit support. */
function shutdownFields(script: Uint8Array, theirInitFeatures: Uint8Array): { holderShutdownScript?: Uint8Array; anysegwit?: true } {
  return { ...(script.length > 0 ? { holderShutdownScript: script } : {}), ...(anysegwitNegotiated(theirInitFeatures) ? { anysegwit: true as const } : {}) };
}

/**
 * The feerate we propose for a new channel's first commitments (LDK 0.1's
 * `new_for_outbound_channel`): the estimate for `AnchorChannelFee` with
 * anchors, else `NonAnchorChannelFee`, never below 253 sat/kw.
 */
function ourFeerate(ctx: ChannelContext, type: NegotiatedChannelType): number {
  const target = type.anchors ? ConfirmationTarget.AnchorChannelFee : ConfirmationTarget.NonAnchorChannelFee;
  return Math.max(FEERATE_FLOOR_PER_KW, Number(ctx.feeEstimator.feeRatePerKw(target)));
}

/**
 * LDK's `create_channel`: a new outbound channel and its `open_channel`.
 * Refused (`api-misuse`) below 1,000 sat, at or above 2^24 sat unless the
 * peer supports large channels, with `pushMsat` above the value, or when the
 * funder could not pay the first commitment's fee.
 */
export function createChannel(ctx: ChannelContext, request: CreateChannelRequest): ApiResult<ChannelStep> {
  const { fundingSatoshis, pushMsat } = request;
  if (fundingSatoshis < MIN_CHANNEL_VALUE_SATOSHIS) return misuse(`channel value must be at least ${MIN_CHANNEL_VALUE_SATOSHIS} satoshis, got ${fundingSatoshis}`);
  const max = largeChannels(request.theirInitFeatures) ? MAX_MONEY_SAT : MAX_FUNDING_SATOSHIS_NO_LARGE_CHANNELS;
  if (fundingSatoshis > max) return misuse(`channel value must be at most ${max} satoshis, got ${fundingSatoshis}`);
  if (pushMsat < 0n || pushMsat > fundingSatoshis * 1000n) return misuse(`push_msat ${pushMsat} is more than the channel value`);
  const channelType = proposedChannelType(request.theirInitFeatures, ctx.config.handshake.negotiateAnchorsZeroFeeHtlcTx);
  const feeratePerKw = ourFeerate(ctx, channelType);
  const holder = holderParameters(ctx, fundingSatoshis);
  const balances = checkInitialBalances(channelType, fundingSatoshis, pushMsat, feeratePerKw, holder.channelReserveSatoshis);
  if (balances) return misuse(balances.message);
  const shutdownScript = ourUpfrontShutdownScript(ctx, request.theirInitFeatures);
  if (shutdownScript === null) return misuse('our shutdown script is not a form the peer accepts');

  const channelKeysId = ctx.signerProvider.generateChannelKeysId(false, fundingSatoshis, request.userChannelId);
  const signer = ctx.signerProvider.deriveChannelSigner(fundingSatoshis, channelKeysId);
  const temporaryChannelId = ctx.entropy.getSecureRandomBytes().slice(0, 32);
  const announceChannel = ctx.config.handshake.announceChannel;
  const channel: OutboundAwaitingAccept = {
    state: ChannelState.OutboundAwaitingAccept,
    isOutbound: true,
    counterpartyNodeId: request.counterpartyNodeId,
    temporaryChannelId,
    channelKeysId,
    userChannelId: request.userChannelId,
    fundingSatoshis,
    pushMsat,
    feeratePerKw,
    channelType,
    announceChannel,
    holder,
    minimumDepth: ctx.config.handshake.minimumDepth,
    holderAlias: randomAlias(ctx),
    bestHeight: request.bestHeight,
    ...shutdownFields(shutdownScript, request.theirInitFeatures),
  };
  const keys = signer.publicKeys;
  const open: OpenChannelMessage = {
    type: 32,
    chainHash: ctx.chainHash,
    temporaryChannelId,
    fundingSatoshis,
    pushMsat,
    ...holder,
    feeratePerKw,
    fundingPubkey: keys.fundingPubkey,
    revocationBasepoint: keys.revocationBasepoint,
    paymentBasepoint: keys.paymentBasepoint,
    delayedPaymentBasepoint: keys.delayedPaymentBasepoint,
    htlcBasepoint: keys.htlcBasepoint,
    firstPerCommitmentPoint: signer.perCommitmentPoint(INITIAL_COMMITMENT_INDEX),
    channelFlags: announceChannel ? ANNOUNCE_CHANNEL_FLAG : 0,
    upfrontShutdownScript: shutdownScript,
    channelType: channelTypeBytes(channelType),
  };
  return { ok: true, value: { channel, effects: [{ kind: 'send-message', message: open }] } };
}

function checkOpenChannel(ctx: ChannelContext, peer: PeerInfo, m: OpenChannelMessage): { failure: ChannelFailure } | { channelType: NegotiatedChannelType } {
  const f = (reason: ChannelFailureReason, message: string) => ({ failure: { reason, message } });
  if (!equalConstantTime(m.chainHash, ctx.chainHash)) return f(R.UnknownChain, 'chain_hash is not our chain');
  if (m.fundingSatoshis < ctx.config.limits.minFundingSatoshis) {
    return f(R.FundingTooSmall, `funding_satoshis ${m.fundingSatoshis} is below ${ctx.config.limits.minFundingSatoshis}`);
  }
  const max = largeChannels(peer.theirInitFeatures) ? MAX_MONEY_SAT : MAX_FUNDING_SATOSHIS_NO_LARGE_CHANNELS;
  if (m.fundingSatoshis > max) return f(R.FundingTooLarge, `funding_satoshis ${m.fundingSatoshis} is above ${max}`);
  if (m.pushMsat > m.fundingSatoshis * 1000n) return f(R.PushExceedsFunding, `push_msat ${m.pushMsat} is above the channel value`);
  let channelType: NegotiatedChannelType = { anchors: false, scidAlias: false };
  if (m.channelType !== undefined) {
    const parsed = parseChannelType(m.channelType);
    if (parsed === null) return f(R.UnsupportedChannelType, 'channel_type names bits we do not support');
    if (parsed.anchors && !ctx.config.handshake.negotiateAnchorsZeroFeeHtlcTx) return f(R.UnsupportedChannelType, 'anchor channels are not enabled');
    channelType = parsed;
  }
  const announce = (m.channelFlags & ANNOUNCE_CHANNEL_FLAG) !== 0;
  if (channelType.scidAlias && announce) return f(R.UnsupportedChannelType, 'option_scid_alias on an announced channel');
  if (ctx.config.limits.forceAnnouncedChannelPreference && announce !== ctx.config.handshake.announceChannel) {
    return f(R.AnnouncementPreference, `announce_channel ${announce} differs from our preference`);
  }
  const feerate = checkFeerate(ctx.feeEstimator, ctx.config, channelType, m.feeratePerKw);
  if (feerate) return { failure: feerate };
  const points = checkPoints(ctx.secp, m);
  if (points) return { failure: points };
  if (m.dustLimitSatoshis > m.channelReserveSatoshis && m.channelReserveSatoshis <= m.fundingSatoshis) {
    return f(R.DustLimitAboveReserve, `dust_limit_satoshis ${m.dustLimitSatoshis} is above channel_reserve_satoshis ${m.channelReserveSatoshis}`);
  }
  const params = checkCounterpartyParameters(ctx.config, m.fundingSatoshis, parametersOf(m), holderParameters(ctx, m.fundingSatoshis));
  if (params) return { failure: params };
  const balances = checkInitialBalances(channelType, m.fundingSatoshis, m.pushMsat, m.feeratePerKw, m.channelReserveSatoshis);
  if (balances) return { failure: balances };
  const shutdown = checkCounterpartyShutdownScript(m.upfrontShutdownScript, anysegwitNegotiated(peer.theirInitFeatures));
  if (shutdown) return { failure: shutdown };
  return { channelType };
}

/**
 * An `open_channel` from `peer`: every BOLT 2 receiver check, then a new
 * inbound channel and our `accept_channel`; or a refusal with the `error`
 * to send (no channel is created).
 */
export function handleOpenChannel(ctx: ChannelContext, peer: PeerInfo, m: OpenChannelMessage, userChannelId = 0n): InboundOpenResult {
  const checked = checkOpenChannel(ctx, peer, m);
  if ('failure' in checked) {
    const { reason, message } = checked.failure;
    return { ok: false, failure: checked.failure, effects: [{ kind: 'send-message', message: errorMessage(m.temporaryChannelId, reason, message) }] };
  }
  const shutdownScript = ourUpfrontShutdownScript(ctx, peer.theirInitFeatures);
  if (shutdownScript === null) {
    const failure = { reason: R.InvalidShutdownScript, message: 'our shutdown script is not a form the peer accepts' };
    return { ok: false, failure, effects: [{ kind: 'send-message', message: errorMessage(m.temporaryChannelId, failure.reason, failure.message) }] };
  }
  const holder = holderParameters(ctx, m.fundingSatoshis);
  const channelKeysId = ctx.signerProvider.generateChannelKeysId(true, m.fundingSatoshis, userChannelId);
  const signer = ctx.signerProvider.deriveChannelSigner(m.fundingSatoshis, channelKeysId);
  const channel: InboundAwaitingFundingCreated = {
    state: ChannelState.InboundAwaitingFundingCreated,
    isOutbound: false,
    counterpartyNodeId: peer.counterpartyNodeId,
    temporaryChannelId: m.temporaryChannelId,
    channelKeysId,
    userChannelId,
    fundingSatoshis: m.fundingSatoshis,
    pushMsat: m.pushMsat,
    feeratePerKw: m.feeratePerKw,
    channelType: checked.channelType,
    announceChannel: (m.channelFlags & ANNOUNCE_CHANNEL_FLAG) !== 0,
    holder,
    minimumDepth: ctx.config.handshake.minimumDepth,
    holderAlias: randomAlias(ctx),
    bestHeight: peer.bestHeight,
    ...shutdownFields(shutdownScript, peer.theirInitFeatures),
    counterparty: counterpartyOf(m),
  };
  const keys = signer.publicKeys;
  const accept: AcceptChannelMessage = {
    type: 33,
    temporaryChannelId: m.temporaryChannelId,
    ...holder,
    minimumDepth: channel.minimumDepth,
    fundingPubkey: keys.fundingPubkey,
    revocationBasepoint: keys.revocationBasepoint,
    paymentBasepoint: keys.paymentBasepoint,
    delayedPaymentBasepoint: keys.delayedPaymentBasepoint,
    htlcBasepoint: keys.htlcBasepoint,
    firstPerCommitmentPoint: signer.perCommitmentPoint(INITIAL_COMMITMENT_INDEX),
    upfrontShutdownScript: shutdownScript,
    channelType: channelTypeBytes(checked.channelType),
  };
  return { ok: true, channel, effects: [{ kind: 'send-message', message: accept }] };
}

/**
 * `accept_channel` for our outbound channel: the receiver checks, then
 * `FundingGenerationReady` (the user builds the funding transaction).
 */
export function handleAcceptChannel(ctx: ChannelContext, channel: Channel, m: AcceptChannelMessage): ChannelStep {
  if (channel.state !== ChannelState.OutboundAwaitingAccept) return unexpected(channel, 'accept_channel');
  if (!equalConstantTime(m.temporaryChannelId, channel.temporaryChannelId)) return closeChannel(channel, R.WrongChannelId, 'accept_channel for another temporary_channel_id');
  if (m.channelType === undefined) return closeChannel(channel, R.MissingChannelType, 'accept_channel without channel_type');
  const type = parseChannelType(m.channelType);
  if (type === null) return closeChannel(channel, R.UnsupportedChannelType, 'channel_type names bits we do not support');
  if (!sameChannelType(type, channel.channelType)) return closeChannel(channel, R.ChannelTypeMismatch, 'channel_type differs from the one we proposed');
  if (m.minimumDepth > ctx.config.limits.maxMinimumDepth) {
    return closeChannel(channel, R.MinimumDepthTooLarge, `minimum_depth ${m.minimumDepth} is above ${ctx.config.limits.maxMinimumDepth}`);
  }
  const points = checkPoints(ctx.secp, m);
  if (points) return closeChannel(channel, points.reason, points.message);
  const params = checkCounterpartyParameters(ctx.config, channel.fundingSatoshis, parametersOf(m), channel.holder);
  if (params) return closeChannel(channel, params.reason, params.message);
  const balances = checkInitialBalances(channel.channelType, channel.fundingSatoshis, channel.pushMsat, channel.feeratePerKw, m.channelReserveSatoshis);
  if (balances) return closeChannel(channel, balances.reason, balances.message);
  const shutdown = checkCounterpartyShutdownScript(m.upfrontShutdownScript, channel.anysegwit === true);
  if (shutdown) return closeChannel(channel, shutdown.reason, shutdown.message);

  const counterparty = counterpartyOf(m);
  const next: AwaitingFundingTx = {
    ...channel,
    state: ChannelState.AwaitingFundingTx,
    counterparty,
    // Zero-conf is not supported: a 0 minimum_depth still waits for one confirmation.
    minimumDepth: Math.max(1, m.minimumDepth),
  };
  const signer = signerOf(ctx, channel);
  return {
    channel: next,
    effects: [
      {
        kind: 'event',
        event: {
          kind: 'funding-generation-ready',
          temporaryChannelId: channel.temporaryChannelId,
          counterpartyNodeId: channel.counterpartyNodeId,
          channelValueSatoshis: channel.fundingSatoshis,
          outputScript: fundingOutputScript(signer.publicKeys.fundingPubkey, counterparty.pubkeys.fundingPubkey),
          userChannelId: channel.userChannelId,
        },
      },
    ],
  };
}

/**
 * LDK's `funding_transaction_generated`: the signed funding transaction
 * from the user. Refused when an input is not segwit (its witness is empty),
 * when no output pays the funding script exactly the channel value, and when
 * a funding transaction was already given. Signs the counterparty's first
 * commitment and sends `funding_created`; the transaction is kept and
 * broadcast only after `funding_signed` verifies.
 */
export function fundingTransactionGenerated(ctx: ChannelContext, channel: Channel, txBytes: Uint8Array): ApiResult<ChannelStep> {
  if (channel.state !== ChannelState.AwaitingFundingTx) {
    const message = channel.fundingTx !== undefined || channel.funding !== undefined ? 'a funding transaction was already provided for this channel' : `no funding transaction is expected in state ${channel.state}`;
    return { ok: false, error: { code: ApiErrorCode.ChannelUnavailable, message } };
  }
  const tx = parseTransaction(txBytes);
  if (tx === null) return misuse('the funding transaction does not parse');
  if (tx.ins.length === 0 || tx.ins.some((input) => input.witness.length === 0)) {
    return misuse('the funding transaction must be fully signed and spend only segwit outputs');
  }
  const signer = signerOf(ctx, channel);
  const script = fundingOutputScript(signer.publicKeys.fundingPubkey, channel.counterparty.pubkeys.fundingPubkey);
  const index = tx.outs.findIndex((o) => o.value === channel.fundingSatoshis && equalConstantTime(o.script, script));
  if (index < 0) return misuse('no output of the funding transaction pays the funding script the channel value');
  if (index > 0xffff) return misuse('the funding output index does not fit funding_created (u16)');
  const outpoint = { txid: tx.getHash(), index };
  const funding = { outpoint, channelId: channelIdFromOutpoint(outpoint) };
  const next: AwaitingFundingSigned = { ...channel, state: ChannelState.AwaitingFundingSigned, funding, fundingTx: Uint8Array.from(txBytes) };
  const theirs = initialCommitment(ctx.secp, next, signer, 'counterparty');
  const created: FundingCreatedMessage = {
    type: 34,
    temporaryChannelId: channel.temporaryChannelId,
    fundingTxid: outpoint.txid,
    fundingOutputIndex: index,
    signature: signCommitmentWith(signer, theirs),
  };
  return { ok: true, value: { channel: next, effects: [{ kind: 'send-message', message: created }] } };
}

/**
 * The monitor of a channel whose first commitments were just signed: `ours`
 * and (when this step built it) `theirs` are the commitment transactions the
 * step already built for this channel, not built again.
 */
function initialMonitor(
  ctx: ChannelContext,
  channel: FundedChannel,
  signer: ChannelSigner,
  counterpartySignature: Uint8Array,
  ours: CommitmentTransaction,
  theirs: CommitmentTransaction = initialCommitment(ctx.secp, channel, signer, 'counterparty'),
): InitialMonitor {
  return {
    channelId: channel.funding.channelId,
    fundingOutpoint: channel.funding.outpoint,
    fundingScriptPubKey: fundingOutputScript(signer.publicKeys.fundingPubkey, channel.counterparty.pubkeys.fundingPubkey),
    channelValueSatoshis: channel.fundingSatoshis,
    channelKeysId: channel.channelKeysId,
    channelType: channel.channelType,
    isOutbound: channel.isOutbound,
    counterpartyNodeId: channel.counterpartyNodeId,
    holder: channel.holder,
    counterparty: channel.counterparty,
    obscuringFactor: obscuringFactorOf(channel, signer),
    commitmentNumber: 0n,
    counterpartySignature,
    holderCommitmentTx: finalizedHolderCommitment(signer, ours, counterpartySignature),
    counterpartyCommitmentTxid: theirs.tx.getHash(),
  };
}

function pendingEvent(channel: AwaitingConfirmation): ChannelEffect {
  return {
    kind: 'event',
    event: {
      kind: 'channel-pending',
      channelId: channel.funding.channelId,
      formerTemporaryChannelId: channel.temporaryChannelId,
      counterpartyNodeId: channel.counterpartyNodeId,
      fundingOutpoint: channel.funding.outpoint,
      userChannelId: channel.userChannelId,
    },
  };
}

/**
 * `funding_created` for our inbound channel: verify their signature on our
 * commitment 0, sign theirs, answer `funding_signed`. Effects in order: the
 * initial monitor (durable first), `funding_signed`, `ChannelPending`.
 */
export function handleFundingCreated(ctx: ChannelContext, channel: Channel, m: FundingCreatedMessage): ChannelStep {
  if (channel.state !== ChannelState.InboundAwaitingFundingCreated) return unexpected(channel, 'funding_created');
  if (!equalConstantTime(m.temporaryChannelId, channel.temporaryChannelId)) return closeChannel(channel, R.WrongChannelId, 'funding_created for another temporary_channel_id');
  const outpoint = { txid: m.fundingTxid, index: m.fundingOutputIndex };
  const funded: FundedChannel = { ...channel, funding: { outpoint, channelId: channelIdFromOutpoint(outpoint) } };
  const signer = signerOf(ctx, channel);
  const ours = initialCommitment(ctx.secp, funded, signer, 'holder');
  if (!verifyCounterpartySignature(ctx.secp, funded, ours, m.signature)) {
    return closeChannel(channel, R.BadCommitmentSignature, 'funding_created signature does not sign our first commitment');
  }
  const theirs = initialCommitment(ctx.secp, funded, signer, 'counterparty');
  const next: AwaitingConfirmation = {
    ...funded,
    state: ChannelState.AwaitingConfirmation,
    counterpartySignature: m.signature,
    fundingSignedAtHeight: channel.bestHeight,
  };
  const signed: FundingSignedMessage = { type: 35, channelId: next.funding.channelId, signature: signCommitmentWith(signer, theirs) };
  return {
    channel: next,
    effects: [
      { kind: 'persist-monitor', monitor: initialMonitor(ctx, next, signer, m.signature, ours, theirs) },
      { kind: 'send-message', message: signed },
      pendingEvent(next),
    ],
  };
}

/**
 * `funding_signed` for our outbound channel: verify their signature on our
 * commitment 0. Effects in order: the initial monitor, the funding
 * transaction broadcast, `ChannelPending`.
 */
export function handleFundingSigned(ctx: ChannelContext, channel: Channel, m: FundingSignedMessage): ChannelStep {
  if (channel.state !== ChannelState.AwaitingFundingSigned) return unexpected(channel, 'funding_signed');
  if (!equalConstantTime(m.channelId, channel.funding.channelId)) return closeChannel(channel, R.WrongChannelId, 'funding_signed for another channel_id');
  const signer = signerOf(ctx, channel);
  const ours = initialCommitment(ctx.secp, channel, signer, 'holder');
  if (!verifyCounterpartySignature(ctx.secp, channel, ours, m.signature)) {
    return closeChannel(channel, R.BadCommitmentSignature, 'funding_signed signature does not sign our first commitment');
  }
  const { fundingTx, ...rest } = channel;
  const next: AwaitingConfirmation = {
    ...rest,
    state: ChannelState.AwaitingConfirmation,
    counterpartySignature: m.signature,
    fundingSignedAtHeight: channel.bestHeight,
  };
  return {
    channel: next,
    effects: [
      { kind: 'persist-monitor', monitor: initialMonitor(ctx, next, signer, m.signature, ours) },
      { kind: 'broadcast', tx: fundingTx },
      pendingEvent(next),
    ],
  };
}

/** The peer's `error` for this channel: closed, nothing sent back (BOLT 1). */
export function handleErrorMessage(channel: Channel, m: ErrorMessage): ChannelStep {
  if (channel.state === ChannelState.Closed) return { channel, effects: [] };
  const text = Array.from(m.data, (b) => (b >= 32 && b <= 126 ? String.fromCharCode(b) : '?')).join('');
  return closeChannel(channel, R.CounterpartyError, `the peer sent an error: ${text}`, false);
}
