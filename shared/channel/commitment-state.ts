/**
 * The state of a ready channel's commitment dance (BOLT 2 "Normal
 * Operation"; docs/htlcs.md): commitment numbers, the counterparty's
 * per-commitment points, the next HTLC ids, our settled balance and the
 * counterparty's released secrets; and what each side's next commitment
 * holds, built from the HTLC records and their LDK-like states.
 *
 * Balances: `holderBalanceMsat` is ours with every HTLC of `channel.htlcs`
 * taken out (an HTLC we offer leaves it when offered); the counterparty's is
 * the rest of the channel. A commitment puts each HTLC either in an output,
 * or (not in it) back with its offerer, or (removed by a fulfill) with its
 * receiver. An HTLC leaves `channel.htlcs` only once removed from both
 * commitments, and its amount then settles into the balance it went to.
 */
import { DecodeError, bigSize, bytesToHex, point, restBytes, struct, u64, u8, type Codec } from '../codec/index.js';
import { CounterpartyCommitmentSecrets, INITIAL_COMMITMENT_INDEX, type ChannelSigner } from '../keys/index.js';
import {
  CommitmentOutputKind,
  buildCommitmentTransaction,
  commitmentFeeSat,
  isHtlcTrimmed,
  type CommitmentHtlc,
  type CommitmentTransaction,
} from '../tx/index.js';
import type { ChannelContext } from './channel-context.js';
import type { OperatingChannel } from './channel-state.js';
import { commitmentFormat } from './channel-type.js';
import type { CommitmentHtlcInfo } from './effects.js';
import { commitmentFeerate } from './fee-update.js';
import { InboundHtlcState, OutboundHtlcState, type HtlcRecord } from './htlc.js';
import { commitmentKeys } from './commitment-keys.js';
import { obscuringFactorOf } from './initial-commitment.js';

/** The commitment dance's state, kept in the channel record (absent until the first update: {@link initialCommitmentState}). */
export interface CommitmentState {
  /** Number of our latest commitment the counterparty signed (BOLT 3 numbers count up from 0). */
  readonly holderCommitmentNumber: bigint;
  /** Number of the counterparty's latest commitment we signed. */
  readonly counterpartyCommitmentNumber: bigint;
  /**
   * The point of the counterparty's oldest unrevoked commitment: number
   * `counterpartyCommitmentNumber`, or the one before it while
   * `awaitingRemoteRevoke`.
   */
  readonly counterpartyCurrentPoint: Uint8Array;
  /** The point after it (their `next_per_commitment_point`). */
  readonly counterpartyNextPoint: Uint8Array;
  /** We sent `commitment_signed` and wait for their `revoke_and_ack` (LDK's `AwaitingRemoteRevoke`). */
  readonly awaitingRemoteRevoke: boolean;
  /** The id of the next HTLC we offer. */
  readonly nextHolderHtlcId: bigint;
  /** The id their next `update_add_htlc` must carry. */
  readonly nextCounterpartyHtlcId: bigint;
  /** Our balance, every HTLC of `channel.htlcs` taken out. */
  readonly holderBalanceMsat: bigint;
  /** The counterparty's released per-commitment secrets (`CounterpartyCommitmentSecrets.serialize()`). */
  readonly counterpartySecrets: Uint8Array;
}

/** The persisted form of {@link CommitmentState} (a TLV value of the channel record). */
export const commitmentStateCodec: Codec<CommitmentState> = (() => {
  const fields = struct([
    ['holderCommitmentNumber', u64],
    ['counterpartyCommitmentNumber', u64],
    ['counterpartyCurrentPoint', point],
    ['counterpartyNextPoint', point],
    ['awaitingRemoteRevoke', u8],
    ['nextHolderHtlcId', u64],
    ['nextCounterpartyHtlcId', u64],
    ['holderBalanceMsat', u64],
    ['counterpartySecrets', restBytes],
  ] as const);
  return {
    write: (w, s) => fields.write(w, { ...s, awaitingRemoteRevoke: s.awaitingRemoteRevoke ? 1 : 0 }),
    read: (r) => {
      const v = fields.read(r);
      return { ...v, awaitingRemoteRevoke: v.awaitingRemoteRevoke !== 0 };
    },
  };
})();

/** What TLV 60 of the channel record holds: the counters and flag of {@link CommitmentState}, what every update changes. */
export type CommitmentCounters = Omit<CommitmentState, 'counterpartyCurrentPoint' | 'counterpartyNextPoint' | 'counterpartySecrets'>;
/** What TLV 62 of the channel record holds: what only a `revoke_and_ack` received changes (their points and released secrets). */
export type CounterpartyRevocations = Pick<CommitmentState, 'counterpartyCurrentPoint' | 'counterpartyNextPoint' | 'counterpartySecrets'>;

/**
 * The persisted counters (TLV 60, written instead of TLV 44's fixed fields
 * since session 12): BigSize commitment numbers, the awaiting-revoke flag
 * (u8 0 or 1), BigSize next HTLC ids and balance: 6 to 46 bytes, 10 to
 * 18 on a channel of up to thousands of updates, against TLV 44's 41.
 */
export const commitmentCountersCodec: Codec<CommitmentCounters> = (() => {
  const fields = struct([
    ['holderCommitmentNumber', bigSize],
    ['counterpartyCommitmentNumber', bigSize],
    ['awaitingRemoteRevoke', u8],
    ['nextHolderHtlcId', bigSize],
    ['nextCounterpartyHtlcId', bigSize],
    ['holderBalanceMsat', bigSize],
  ] as const);
  return {
    write: (w, s) => fields.write(w, { ...s, awaitingRemoteRevoke: s.awaitingRemoteRevoke ? 1 : 0 }),
    read: (r) => {
      const v = fields.read(r);
      if (v.awaitingRemoteRevoke > 1) throw new DecodeError('invalid-value', 'commitment counters: awaiting-revoke flag neither 0 nor 1');
      return { ...v, awaitingRemoteRevoke: v.awaitingRemoteRevoke === 1 };
    },
  };
})();

/** The persisted revocation state (TLV 62): their current and next points, then the released secrets (`CounterpartyCommitmentSecrets.serialize()`). */
export const counterpartyRevocationsCodec: Codec<CounterpartyRevocations> = struct([
  ['counterpartyCurrentPoint', point],
  ['counterpartyNextPoint', point],
  ['counterpartySecrets', restBytes],
] as const);

/** The state of a ready channel before any update: both commitments number 0, their points from `open`/`accept` and `channel_ready`. */
export function initialCommitmentState(channel: OperatingChannel): CommitmentState {
  const funderMsat = channel.fundingSatoshis * 1000n - channel.pushMsat;
  return {
    holderCommitmentNumber: 0n,
    counterpartyCommitmentNumber: 0n,
    counterpartyCurrentPoint: channel.counterparty.firstPerCommitmentPoint,
    counterpartyNextPoint: channel.theirChannelReady.secondPerCommitmentPoint,
    awaitingRemoteRevoke: false,
    nextHolderHtlcId: 0n,
    nextCounterpartyHtlcId: 0n,
    holderBalanceMsat: channel.isOutbound ? funderMsat : channel.pushMsat,
    counterpartySecrets: CounterpartyCommitmentSecrets.empty().serialize(),
  };
}

/** The channel's dance state. */
export function commitmentStateOf(channel: OperatingChannel): CommitmentState {
  return channel.commitments ?? initialCommitmentState(channel);
}

/** The counterparty's balance, every HTLC taken out. */
export function counterpartyBalanceMsat(channel: OperatingChannel, state: CommitmentState = commitmentStateOf(channel)): bigint {
  const inHtlcs = (channel.htlcs ?? []).reduce((sum, h) => sum + h.amountMsat, 0n);
  return channel.fundingSatoshis * 1000n - state.holderBalanceMsat - inHtlcs;
}

/** Whose commitment: ours (`holder`) or the counterparty's. */
export type CommitmentOwner = 'holder' | 'counterparty';

/**
 * Whether an HTLC is in the next commitment of `owner` (LDK's
 * `build_commitment_transaction` rules): our commitment holds every update
 * of theirs and our updates they have acknowledged; theirs holds every
 * update of ours and their updates we have acknowledged.
 */
export function includedIn(owner: CommitmentOwner, h: HtlcRecord): boolean {
  if (h.direction === 'received') {
    switch (h.state) {
      case InboundHtlcState.RemoteAnnounced:
      case InboundHtlcState.AwaitingRemoteRevokeToAnnounce:
      case InboundHtlcState.LocalRemoved:
        return owner === 'holder';
      case InboundHtlcState.AwaitingAnnouncedRemoteRevoke:
      case InboundHtlcState.Committed:
      case InboundHtlcState.RemovalHeld:
        return true;
    }
  }
  switch (h.state) {
    case OutboundHtlcState.LocalAnnounced:
    case OutboundHtlcState.RemoteRemoved:
    case OutboundHtlcState.AwaitingRemoteRevokeToRemove:
      return owner === 'counterparty';
    case OutboundHtlcState.Committed:
      return true;
    case OutboundHtlcState.AwaitingRemovedRemoteRevoke:
    case OutboundHtlcState.Held:
      return false;
  }
}

/** Whether an HTLC left out of a commitment went to its receiver (fulfilled) rather than back to its offerer. */
function paidToReceiver(h: HtlcRecord): boolean {
  return h.resolution?.kind === 'fulfill';
}

/** What `owner`'s next commitment holds: both balances before fees, its HTLCs and its feerate. */
export interface CommitmentView {
  readonly toHolderMsat: bigint;
  readonly toCounterpartyMsat: bigint;
  /** The HTLCs in outputs (or trimmed), in `channel.htlcs` order. */
  readonly htlcs: readonly HtlcRecord[];
  /** The channel's feerate, or a pending `update_fee`'s when this commitment holds it (fee-update.ts). */
  readonly feeratePerKw: number;
}

export function commitmentView(channel: OperatingChannel, state: CommitmentState, owner: CommitmentOwner, htlcs: readonly HtlcRecord[] = channel.htlcs ?? []): CommitmentView {
  let toHolderMsat = state.holderBalanceMsat;
  let toCounterpartyMsat = channel.fundingSatoshis * 1000n - state.holderBalanceMsat - htlcs.reduce((sum, h) => sum + h.amountMsat, 0n);
  const included: HtlcRecord[] = [];
  for (const h of htlcs) {
    if (includedIn(owner, h)) {
      included.push(h);
      continue;
    }
    const toHolder = h.direction === 'received' ? paidToReceiver(h) : !paidToReceiver(h);
    if (toHolder) toHolderMsat += h.amountMsat;
    else toCounterpartyMsat += h.amountMsat;
  }
  return { toHolderMsat, toCounterpartyMsat, htlcs: included, feeratePerKw: commitmentFeerate(channel, owner) };
}

/** The commitment fee and anchors the funder pays for `view` on `owner`'s commitment, in msat. */
export function funderCostMsat(channel: OperatingChannel, owner: CommitmentOwner, view: CommitmentView, extraHtlcs = 0): bigint {
  const type = commitmentFormat(channel.channelType);
  const dust = owner === 'holder' ? channel.holder.dustLimitSatoshis : channel.counterparty.dustLimitSatoshis;
  const feerate = BigInt(view.feeratePerKw);
  const untrimmed = view.htlcs.filter((h) => !isHtlcTrimmed(type, offeredByOwner(owner, h), h.amountMsat, dust, feerate)).length;
  return (commitmentFeeSat(type, feerate, untrimmed + extraHtlcs) + (channel.channelType.anchors ? 660n : 0n)) * 1000n;
}

/** True when the HTLC is offered by the commitment's owner. */
function offeredByOwner(owner: CommitmentOwner, h: HtlcRecord): boolean {
  return (h.direction === 'offered') === (owner === 'holder');
}

/** A built commitment and the records behind its `params.htlcs` (same order). */
export interface BuiltCommitment {
  readonly commitment: CommitmentTransaction;
  readonly htlcs: readonly HtlcRecord[];
  readonly perCommitmentPoint: Uint8Array;
}

/**
 * Commitment `number` of `owner` (BOLT 3), with the HTLCs of `view`: ours
 * with our point for that number, theirs with `theirPoint`.
 */
export function buildCommitment(
  ctx: ChannelContext,
  channel: OperatingChannel,
  signer: ChannelSigner,
  owner: CommitmentOwner,
  number: bigint,
  view: CommitmentView,
  theirPoint?: Uint8Array,
): BuiltCommitment {
  const theirs = channel.counterparty.pubkeys;
  const holderOwns = owner === 'holder';
  const index = INITIAL_COMMITMENT_INDEX - number;
  const pointOf = holderOwns ? signer.perCommitmentPoint(index) : theirPoint;
  if (pointOf === undefined) throw new TypeError('buildCommitment: the counterparty commitment needs its point');
  const localIsOpener = holderOwns ? channel.isOutbound : !channel.isOutbound;
  const htlcs: CommitmentHtlc[] = view.htlcs.map((h) => ({ offered: offeredByOwner(owner, h), amountMsat: h.amountMsat, paymentHash: h.paymentHash, cltvExpiry: h.cltvExpiry }));
  const commitment = buildCommitmentTransaction({
    channelType: commitmentFormat(channel.channelType),
    fundingOutpoint: channel.funding.outpoint,
    fundingSat: channel.fundingSatoshis,
    obscuringFactor: obscuringFactorOf(channel, signer),
    commitmentNumber: number,
    localIsOpener,
    toLocalMsat: holderOwns ? view.toHolderMsat : view.toCounterpartyMsat,
    toRemoteMsat: holderOwns ? view.toCounterpartyMsat : view.toHolderMsat,
    feeratePerKw: BigInt(view.feeratePerKw),
    dustLimitSat: holderOwns ? channel.holder.dustLimitSatoshis : channel.counterparty.dustLimitSatoshis,
    toSelfDelay: holderOwns ? channel.counterparty.toSelfDelay : channel.holder.toSelfDelay,
    keys: commitmentKeys(ctx.secp, signer, theirs, owner, pointOf, index),
    htlcs,
  });
  return { commitment, htlcs: view.htlcs, perCommitmentPoint: pointOf };
}

/** The HTLCs of a built commitment as the monitor keeps them (`offered` from the owner's point of view). */
export function monitorHtlcsOf(built: BuiltCommitment): CommitmentHtlcInfo[] {
  const { params } = built.commitment;
  return params.htlcs.map((h, i) => {
    const index = built.commitment.htlcOutputIndex[i];
    return { offered: h.offered, amountMsat: h.amountMsat, cltvExpiry: h.cltvExpiry, paymentHash: h.paymentHash, ...(index === null || index === undefined ? {} : { transactionOutputIndex: index }) };
  });
}

/** The value of the owner's `to_local` and `to_remote` outputs (0 when trimmed). */
export function mainOutputsSat(commitment: CommitmentTransaction): { toLocalSat: bigint; toRemoteSat: bigint } {
  const value = (kind: CommitmentOutputKind) => commitment.outputs.find((o) => o.kind === kind)?.amountSat ?? 0n;
  return { toLocalSat: value(CommitmentOutputKind.ToLocal), toRemoteSat: value(CommitmentOutputKind.ToRemote) };
}

/** A short, loggable name of an HTLC (never its preimage). */
export function htlcName(h: HtlcRecord): string {
  return `${h.direction} HTLC ${h.id} (${bytesToHex(h.paymentHash).slice(0, 16)}…)`;
}
