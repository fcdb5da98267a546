/**
 * A channel's balances as a merchant reads them (docs/balances.md): what
 * each side's commitment output is worth now, the HTLCs in flight, and the
 * largest single HTLC each side can add now.
 *
 * The capacity rules are LDK 0.1's `get_available_balances`
 * (lightning/src/ln/channel.rs, `next_outbound_htlc_limit_msat`), written
 * once for a sending side so the same function answers for us (outbound)
 * and, mirrored, for the counterparty (inbound): the sender's balance less
 * the reserve the receiver requires of it; when the sender pays the
 * commitment fee, that fee for its next commitment with the new HTLC and
 * one more (LDK's fee spike buffer), doubled on non-anchor channels
 * (`FEE_SPIKE_BUFFER_FEE_INCREASE_MULTIPLE`), and the anchors, with the
 * dust special case (a dust HTLC adds no output, so it needs no fee for
 * one); when the receiver pays it, only dust HTLCs once the receiver could
 * not pay for one more output above its reserve; then the receiver's
 * `max_htlc_value_in_flight_msat` and `max_accepted_htlcs`. Our own dust
 * exposure limit bounds what we send (given the limiting feerate:
 * dust-exposure.ts `outboundDustBounds`); the counterparty's is its own
 * configuration and is not mirrored.
 */
import { ANCHOR_OUTPUT_SAT, HTLC_SUCCESS_WEIGHT, HTLC_TIMEOUT_WEIGHT, commitmentFeeSat, feeForWeight } from '../tx/index.js';
import { ChannelState, type Channel, type ChannelParameters, type OperatingChannel } from './channel-state.js';
import { commitmentFormat } from './channel-type.js';
import { commitmentStateOf, commitmentView, counterpartyBalanceMsat, funderCostMsat } from './commitment-state.js';
import { outboundDustBounds } from './dust-exposure.js';
import { OutboundHtlcState, type HtlcRecord } from './htlc.js';

/** LDK's `FEE_SPIKE_BUFFER_FEE_INCREASE_MULTIPLE`: a non-anchor funder keeps room for the commitment fee at twice today's feerate. */
export const FEE_SPIKE_BUFFER_MULTIPLE = 2n;

/** One HTLC in flight, as a balance report lists it. */
export interface PendingHtlc {
  /** `offered`: we offered it (our money, on its way out); `received`: the counterparty offered it to us. */
  readonly direction: 'offered' | 'received';
  readonly amountMsat: bigint;
  readonly paymentHash: Uint8Array;
  /** Its `cltv_expiry`: the block height at which the offerer can take it back on chain. */
  readonly expiryHeight: number;
}

/** What {@link channelBalancesOf} reports. */
export interface ChannelBalances {
  /** Our commitment output now (docs/balances.md): our balance with every HTLC in flight left out, less the fee and anchors when we are the funder. */
  readonly localBalanceMsat: bigint;
  /** The counterparty's, by the same rule. */
  readonly remoteBalanceMsat: bigint;
  /** Every HTLC in flight, both ways, oldest first per direction as the channel keeps them. */
  readonly pendingHtlcs: readonly PendingHtlc[];
  /** The largest single HTLC we can offer now (LDK's `next_outbound_htlc_limit_msat`); 0 unless the channel is ready. */
  readonly nextOutboundHtlcLimitMsat: bigint;
  /** The smallest HTLC we may offer (the counterparty's `htlc_minimum_msat`, raised near our dust exposure limit when given). */
  readonly nextOutboundHtlcMinimumMsat: bigint;
  /** The largest single HTLC the counterparty can offer us now: the same rules from its side; 0 unless the channel is ready. */
  readonly nextInboundHtlcLimitMsat: bigint;
}

type Side = 'holder' | 'counterparty';

function other(side: Side): Side {
  return side === 'holder' ? 'counterparty' : 'holder';
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** Whether the channel has its commitments (funding signed, not closed). */
function isFunded(channel: Channel): channel is Channel & Pick<OperatingChannel, 'counterparty' | 'funding'> {
  return channel.counterparty !== undefined && channel.funding !== undefined && channel.state !== ChannelState.Closed;
}

/** The HTLCs in flight as the report lists them. */
function pendingHtlcsOf(htlcs: readonly HtlcRecord[]): PendingHtlc[] {
  return htlcs.map((h) => ({ direction: h.direction, amountMsat: h.amountMsat, paymentHash: h.paymentHash, expiryHeight: h.cltvExpiry }));
}

/**
 * What the funder pays on our latest commitment (the one holding every
 * update either side has sent, at its feerate): the commitment fee for its
 * untrimmed HTLC outputs plus, on anchor channels, both anchors. Before the
 * first commitments exist: the fee with no HTLC at the opening feerate.
 */
function funderCostOnOurCommitmentMsat(channel: Channel): bigint {
  const anchorsMsat = channel.channelType.anchors ? 2n * ANCHOR_OUTPUT_SAT * 1000n : 0n;
  if (!isFunded(channel) || channel.theirChannelReady === undefined) {
    return commitmentFeeSat(commitmentFormat(channel.channelType), BigInt(channel.feeratePerKw), 0) * 1000n + anchorsMsat;
  }
  const ready = channel as unknown as OperatingChannel;
  return funderCostMsat(ready, 'holder', commitmentView(ready, commitmentStateOf(ready), 'holder'));
}

/** Both sides' balances with every HTLC in flight left out (the fee not taken yet). */
function balancesBeforeFee(channel: Channel): { holderMsat: bigint; counterpartyMsat: bigint } {
  if (channel.theirChannelReady !== undefined && channel.counterparty !== undefined && channel.funding !== undefined) {
    const ready = channel as unknown as OperatingChannel;
    const state = commitmentStateOf(ready);
    return { holderMsat: state.holderBalanceMsat, counterpartyMsat: counterpartyBalanceMsat(ready, state) };
  }
  const funderMsat = channel.fundingSatoshis * 1000n - channel.pushMsat;
  return channel.isOutbound ? { holderMsat: funderMsat, counterpartyMsat: channel.pushMsat } : { holderMsat: channel.pushMsat, counterpartyMsat: funderMsat };
}

/** Whether `h` was offered by `sender`. */
function offeredBy(sender: Side, h: HtlcRecord): boolean {
  return (h.direction === 'offered') === (sender === 'holder');
}

/**
 * Whether `h` counts on the next commitment of `owner` (the sender's own,
 * or the receiver's) as LDK counts HTLCs for the fee of a new one
 * (`next_local_commit_tx_fee_msat`, `next_remote_commit_tx_fee_msat`), dust
 * aside. The sender's own HTLCs count while announced, committed or removed
 * by the receiver but not yet signed away, on its own commitment also while
 * waiting in the holding cell; the receiver's HTLCs count until removed.
 * For the counterparty's side we see its HTLCs by our states: every one
 * not yet revoked away counts (we cannot tell whether our
 * `commitment_signed` with a removal has reached it), and ours still in our
 * holding cell do not (it has not seen them).
 */
function countsOn(owner: 'sender' | 'receiver', sender: Side, h: HtlcRecord): boolean {
  if (h.direction === 'received') return true;
  if (sender === 'counterparty') return h.state !== OutboundHtlcState.Held;
  switch (h.state) {
    case OutboundHtlcState.LocalAnnounced:
    case OutboundHtlcState.Committed:
    case OutboundHtlcState.RemoteRemoved:
      return true;
    case OutboundHtlcState.Held:
      return owner === 'sender';
    case OutboundHtlcState.AwaitingRemoteRevokeToRemove:
    case OutboundHtlcState.AwaitingRemovedRemoteRevoke:
      return false;
  }
}

/** Fee in msat of a commitment with `htlcs` untrimmed HTLC outputs (LDK's `commit_tx_fee_sat` * 1000: the anchors apart). */
function commitFeeMsat(channel: Channel, feeratePerKw: bigint, htlcs: number): bigint {
  return commitmentFeeSat(commitmentFormat(channel.channelType), feeratePerKw, htlcs) * 1000n;
}

/** The sender's and the receiver's parameters: `limits` are the receiver's (what it accepts), `own` the sender's. */
function paramsOf(channel: Channel & Pick<OperatingChannel, 'counterparty'>, sender: Side): { own: ChannelParameters; limits: ChannelParameters } {
  return sender === 'holder' ? { own: channel.holder, limits: channel.counterparty } : { own: channel.counterparty, limits: channel.holder };
}

/**
 * The largest single HTLC `sender` can offer now (LDK 0.1
 * `get_available_balances` `next_outbound_htlc_limit_msat`), on a ready
 * channel: with our dust exposure limit when `sender` is us and the
 * limiting feerate is given.
 */
export function nextHtlcLimitMsat(channel: OperatingChannel, sender: Side, dustLimitingFeeratePerKw?: number): bigint {
  return nextHtlcBounds(channel, sender, dustLimitingFeeratePerKw).limitMsat;
}

/**
 * The largest and smallest single HTLC `sender` can offer now. Our own
 * dust exposure limit (dust-exposure.ts) applies to what we send when the
 * limiting feerate is given; the counterparty's limit is its own
 * configuration and is not mirrored.
 */
export function nextHtlcBounds(channel: OperatingChannel, sender: Side, dustLimitingFeeratePerKw?: number): { limitMsat: bigint; minimumMsat: bigint } {
  const anchors = channel.channelType.anchors;
  const feerate = BigInt(channel.feeratePerKw);
  const { own, limits } = paramsOf(channel, sender);
  const htlcs = channel.htlcs ?? [];
  const state = commitmentStateOf(channel);
  const holderMsat = state.holderBalanceMsat;
  const counterpartyMsat = counterpartyBalanceMsat(channel, state);
  const senderMsat = sender === 'holder' ? holderMsat : counterpartyMsat;
  const receiverMsat = sender === 'holder' ? counterpartyMsat : holderMsat;
  const senderIsFunder = sender === 'holder' ? channel.isOutbound : !channel.isOutbound;
  const sent = htlcs.filter((h) => offeredBy(sender, h));
  const sentMsat = sent.reduce((s, h) => s + h.amountMsat, 0n);
  const anchorsMsat = anchors ? 2n * ANCHOR_OUTPUT_SAT * 1000n : 0n;
  // HTLC-transaction fees in the dust thresholds (zero on anchor channels: those pay their own fee).
  const timeoutFeeSat = anchors ? 0n : feeForWeight(feerate, HTLC_TIMEOUT_WEIGHT);
  const successFeeSat = anchors ? 0n : feeForWeight(feerate, HTLC_SUCCESS_WEIGHT);

  let available = max(0n, senderMsat - limits.channelReserveSatoshis * 1000n);
  if (senderIsFunder) {
    // The sender's own next commitment (its dust limit): received HTLCs above the success threshold, offered ones above the timeout one.
    const dustTimeoutSat = own.dustLimitSatoshis + timeoutFeeSat;
    const dustSuccessSat = own.dustLimitSatoshis + successFeeSat;
    const counted = htlcs.filter((h) =>
      countsOn('sender', sender, h) && h.amountMsat / 1000n >= (offeredBy(sender, h) ? dustTimeoutSat : dustSuccessSat),
    ).length;
    // One HTLC for the candidate (when above dust) and one for the fee spike buffer.
    let aboveDustFee = commitFeeMsat(channel, feerate, counted + 2);
    let dustFee = commitFeeMsat(channel, feerate, counted + 1);
    if (!anchors) {
      aboveDustFee *= FEE_SPIKE_BUFFER_MULTIPLE;
      dustFee *= FEE_SPIKE_BUFFER_MULTIPLE;
    }
    const dustLimitMsat = dustTimeoutSat * 1000n;
    const afterFee = available - aboveDustFee - anchorsMsat;
    if (afterFee < dustLimitMsat) {
      // Too little for an HTLC output: a dust HTLC needs no output, so the difference is free again, up to just below dust.
      const dustOnly = min(dustLimitMsat - 1n, afterFee + (aboveDustFee - dustFee));
      available = max(0n, min(dustOnly, available));
    } else {
      available = afterFee;
    }
  } else {
    // The receiver pays: the HTLC's output on the receiver's commitment (its dust limit) must leave it its reserve.
    const dustSuccessSat = limits.dustLimitSatoshis + successFeeSat;
    const dustTimeoutSat = limits.dustLimitSatoshis + timeoutFeeSat;
    const counted = htlcs.filter((h) =>
      // LDK counts an HTLC here only strictly above the threshold (on its own commitment: at or above).
      countsOn('receiver', sender, h) && h.amountMsat / 1000n > (offeredBy(sender, h) ? dustSuccessSat : dustTimeoutSat),
    ).length;
    const fee = commitFeeMsat(channel, feerate, counted + 1);
    if (receiverMsat < fee + own.channelReserveSatoshis * 1000n + anchorsMsat) {
      available = min(available, dustSuccessSat * 1000n - 1n);
    }
  }
  let minimumMsat = limits.htlcMinimumMsat;
  if (sender === 'holder' && dustLimitingFeeratePerKw !== undefined) {
    const bounds = outboundDustBounds(channel, dustLimitingFeeratePerKw, available, minimumMsat);
    available = bounds.limitMsat;
    minimumMsat = bounds.minimumMsat;
  }
  available = min(available, max(0n, limits.maxHtlcValueInFlightMsat - sentMsat));
  if (sent.length + 1 > limits.maxAcceptedHtlcs) available = 0n;
  return { limitMsat: max(0n, available), minimumMsat };
}

/**
 * The balances of `channel` (any state; docs/balances.md has the exact
 * definitions), our outbound limits under our dust exposure limit when
 * `dustLimitingFeeratePerKw` (dust-exposure.ts `dustExposureLimitingFeerate`) is given. Before the first commitments are signed the balances are
 * the opening split; a closed channel has none. The HTLC limits are 0
 * unless the channel is ready (no HTLC can be added otherwise).
 */
export function channelBalancesOf(channel: Channel, dustLimitingFeeratePerKw?: number): ChannelBalances {
  if (channel.state === ChannelState.Closed) {
    return { localBalanceMsat: 0n, remoteBalanceMsat: 0n, pendingHtlcs: [], nextOutboundHtlcLimitMsat: 0n, nextOutboundHtlcMinimumMsat: 0n, nextInboundHtlcLimitMsat: 0n };
  }
  const { holderMsat, counterpartyMsat } = balancesBeforeFee(channel);
  const costMsat = funderCostOnOurCommitmentMsat(channel);
  const ready = channel.state === ChannelState.Ready ? channel : undefined;
  const outbound = ready === undefined ? undefined : nextHtlcBounds(ready, 'holder', dustLimitingFeeratePerKw);
  return {
    localBalanceMsat: max(0n, holderMsat - (channel.isOutbound ? costMsat : 0n)),
    remoteBalanceMsat: max(0n, counterpartyMsat - (channel.isOutbound ? 0n : costMsat)),
    pendingHtlcs: pendingHtlcsOf(channel.htlcs ?? []),
    nextOutboundHtlcLimitMsat: outbound?.limitMsat ?? 0n,
    nextOutboundHtlcMinimumMsat: outbound?.minimumMsat ?? channel.counterparty?.htlcMinimumMsat ?? 0n,
    nextInboundHtlcLimitMsat: ready === undefined ? 0n : nextHtlcLimitMsat(ready, other('holder')),
  };
}
