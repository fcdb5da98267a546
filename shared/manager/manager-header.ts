/**
 * The manager header: the one item every invocation loads (besides the
 * channels its input touches). A versioned record holding the chain, the
 * configuration, the best block, the next event id, and two small indexes
 * that tell which channel items an input needs (docs/manager.md).
 */
import {
  DecodeError,
  fixedBytes,
  point,
  repeated,
  struct,
  tlvRecord,
  u16,
  u32,
  u64,
  u8,
  versionedRecord,
  type Codec,
  type DecodeResult,
} from '../codec/index.js';
import type { ChannelHandshakeConfig, ChannelHandshakeLimits } from '../channel/index.js';
import { InboundChannelPolicy, type ManagerConfig } from './manager-config.js';

/** The last block the manager was told of (LDK's `BestBlock`). */
export interface BestBlock {
  readonly height: number;
  /** Internal byte order. */
  readonly hash: Uint8Array;
}

/**
 * A channel not funded yet (or an inbound request waiting for the user):
 * the temporary id a peer message or `fundingTransactionGenerated` names,
 * and the id its item is stored under now (the real id once the funding
 * outpoint is known).
 */
export interface UnfundedEntry {
  readonly counterpartyNodeId: Uint8Array;
  readonly temporaryChannelId: Uint8Array;
  readonly channelId: Uint8Array;
  readonly isOutbound: boolean;
  /** Best height when the channel (or held request) was created: it is forgotten {@link UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS} later. */
  readonly sinceHeight: number;
}

/** A funded channel whose funding transaction is not final yet: an index item (channel-indexes.ts); blocks make its follow-ups. */
export interface ConfirmingEntry {
  readonly counterpartyNodeId: Uint8Array;
  readonly channelId: Uint8Array;
  /** Internal order. */
  readonly fundingTxid: Uint8Array;
  /** The funding output's index (absent in entries of a header written before index items). */
  readonly fundingOutputIndex?: number;
  /** Where it confirmed, when it did. */
  readonly confirmation?: { readonly height: number; readonly blockHash: Uint8Array };
}

/** The header's content. */
export interface ManagerHeader {
  readonly chainHash: Uint8Array;
  readonly config: ManagerConfig;
  readonly bestBlock: BestBlock;
  /** The id the next event gets (ids only grow: a consumer dedups by id). */
  readonly nextEventId: bigint;
  readonly unfunded: readonly UnfundedEntry[];
  /**
   * The confirming channels of a header written before index items (TLV 14):
   * read, never written; the first commit moves them to `INDEX#CONFIRMING#`
   * items (docs/follow-ups.md).
   */
  readonly legacyConfirming?: readonly ConfirmingEntry[];
  /** Message types a peer sent that this node cannot handle yet, already reported to the user (`UnsupportedMessage`, once per type). */
  readonly reportedUnsupported?: readonly number[];
  /** Timer ticks so far (LDK's `timer_tick_occurred` calls, about one a minute: docs/timer.md); absent = 0. */
  readonly timerTicks?: number;
  /**
   * Peers that disconnected and whose ready channels a timer tick has not
   * disabled yet, with the tick count when they went (channel-update-status.ts);
   * a peer leaves the list when it reconnects or once its channels are disabled.
   */
  readonly offlinePeers?: readonly OfflinePeer[];
  /**
   * The peers asked for a full gossip sync lately, with when (seconds):
   * at most `FULL_SYNC_PEERS` within `FULL_SYNC_WINDOW_SEC` (gossip-sync.ts).
   */
  readonly gossipSyncs?: readonly GossipSyncRequest[];
}

/** A full gossip sync asked of `peer` at `atSec` (our `gossip_timestamp_filter` from two weeks back). */
export interface GossipSyncRequest {
  readonly peer: Uint8Array;
  readonly atSec: number;
}

/** A disconnected peer, since the tick count `sinceTick`. */
export interface OfflinePeer {
  readonly peer: Uint8Array;
  readonly sinceTick: number;
}

const bool: Codec<boolean> = {
  read: (r) => {
    const v = r.u8();
    if (v > 1) throw new DecodeError('invalid-value', 'boolean must be 0 or 1');
    return v === 1;
  },
  write: (w, v) => void w.u8(v ? 1 : 0),
};

const handshakeCodec: Codec<ChannelHandshakeConfig> = struct([
  ['minimumDepth', u32],
  ['ourToSelfDelay', u16],
  ['ourMaxAcceptedHtlcs', u16],
  ['ourHtlcMinimumMsat', u64],
  ['ourDustLimitSatoshis', u64],
  ['maxInboundHtlcValueInFlightPercent', u8],
  ['theirChannelReserveProportionalMillionths', u32],
  ['minTheirChannelReserveSatoshis', u64],
  ['announceChannel', bool],
  ['negotiateAnchorsZeroFeeHtlcTx', bool],
] as const);

const limitsCodec: Codec<ChannelHandshakeLimits> = struct([
  ['minFundingSatoshis', u64],
  ['theirToSelfDelayMax', u16],
  ['maxMinimumDepth', u32],
  ['maxChannelReserveSatoshis', u64],
  ['maxHtlcMinimumMsat', u64],
  ['minMaxHtlcValueInFlightMsat', u64],
  ['minMaxAcceptedHtlcs', u16],
  ['maxDustLimitSatoshis', u64],
  ['forceAnnouncedChannelPreference', bool],
  ['maxFeerateMultiplier', u32],
] as const);

const unfundedCodec: Codec<Omit<UnfundedEntry, 'sinceHeight'>> = struct([
  ['counterpartyNodeId', point],
  ['temporaryChannelId', fixedBytes(32)],
  ['channelId', fixedBytes(32)],
  ['isOutbound', bool],
] as const);

/** Height 0 with a zero hash stands for "not confirmed" (no block at height 0 holds a funding tx). */
const confirmingCodec: Codec<ConfirmingEntry> = {
  read: (r) => {
    const v = struct([
      ['counterpartyNodeId', point],
      ['channelId', fixedBytes(32)],
      ['fundingTxid', fixedBytes(32)],
      ['height', u32],
      ['blockHash', fixedBytes(32)],
    ] as const).read(r);
    return {
      counterpartyNodeId: v.counterpartyNodeId,
      channelId: v.channelId,
      fundingTxid: v.fundingTxid,
      ...(v.height > 0 ? { confirmation: { height: v.height, blockHash: v.blockHash } } : {}),
    };
  },
  write: (w, v) => {
    w.bytes(v.counterpartyNodeId).bytes(v.channelId).bytes(v.fundingTxid);
    w.u32(v.confirmation?.height ?? 0).bytes(v.confirmation?.blockHash ?? new Uint8Array(32));
  },
};

const POLICIES: readonly InboundChannelPolicy[] = [InboundChannelPolicy.AcceptAll, InboundChannelPolicy.Manual];

/**
 * Version 1: 0 chain hash, 2 handshake config, 4 handshake limits, 6
 * inbound policy, 8 best block, 10 next event id, 12 unfunded channels,
 * 13 their creation heights (same order; odd, so older readers skip it; a
 * header written before it counts from its best block), 14 confirming channels
 * (read only: index items since issue 14), 15 message types already reported
 * unsupported (odd: older readers skip it), 17 timer ticks so far (odd), 19
 * peers offline whose channels are not disabled yet (odd), 21 peers asked
 * for a full gossip sync lately (odd).
 */
const headerRecord = versionedRecord('manager-header', 1, {
  chainHash: tlvRecord(0, fixedBytes(32)),
  handshake: tlvRecord(2, handshakeCodec),
  limits: tlvRecord(4, limitsCodec),
  policy: tlvRecord(6, u8),
  bestBlock: tlvRecord(8, struct([['height', u32], ['hash', fixedBytes(32)]] as const)),
  nextEventId: tlvRecord(10, u64),
  unfunded: tlvRecord(12, repeated(unfundedCodec)),
  unfundedSince: tlvRecord(13, repeated(u32)),
  confirming: tlvRecord(14, repeated(confirmingCodec)),
  reportedUnsupported: tlvRecord(15, repeated(u16)),
  timerTicks: tlvRecord(17, u32),
  offlinePeers: tlvRecord(19, repeated(struct([['peer', point], ['sinceTick', u32]] as const))),
  gossipSyncs: tlvRecord(21, repeated(struct([['peer', point], ['atSec', u32]] as const))),
});

/** The header's persisted bytes. */
export function encodeManagerHeader(h: ManagerHeader): Uint8Array {
  return headerRecord.encode({
    chainHash: h.chainHash,
    handshake: h.config.channel.handshake,
    limits: h.config.channel.limits,
    policy: POLICIES.indexOf(h.config.acceptInboundChannels),
    bestBlock: h.bestBlock,
    nextEventId: h.nextEventId,
    unfunded: h.unfunded.map(({ sinceHeight: _since, ...entry }) => entry),
    unfundedSince: h.unfunded.map((e) => e.sinceHeight),
    ...(h.reportedUnsupported === undefined || h.reportedUnsupported.length === 0 ? {} : { reportedUnsupported: h.reportedUnsupported }),
    ...(h.timerTicks === undefined || h.timerTicks === 0 ? {} : { timerTicks: h.timerTicks }),
    ...(h.offlinePeers === undefined || h.offlinePeers.length === 0 ? {} : { offlinePeers: h.offlinePeers }),
    ...(h.gossipSyncs === undefined || h.gossipSyncs.length === 0 ? {} : { gossipSyncs: h.gossipSyncs }),
  });
}

/** Reads a header written by {@link encodeManagerHeader}; never throws. */
export function decodeManagerHeader(bytes: Uint8Array): DecodeResult<ManagerHeader> {
  const result = headerRecord.decode(bytes);
  if (!result.ok) return result;
  const v = result.value;
  if (v.chainHash === undefined || v.handshake === undefined || v.limits === undefined || v.policy === undefined || v.bestBlock === undefined || v.nextEventId === undefined) {
    return { ok: false, error: new DecodeError('invalid-value', 'manager-header: a required record is missing') };
  }
  const policy = POLICIES[v.policy];
  if (policy === undefined) return { ok: false, error: new DecodeError('invalid-value', `manager-header: unknown inbound policy ${v.policy}`) };
  return {
    ok: true,
    value: {
      chainHash: v.chainHash,
      config: { channel: { handshake: v.handshake, limits: v.limits }, acceptInboundChannels: policy },
      bestBlock: v.bestBlock,
      nextEventId: v.nextEventId,
      unfunded: (v.unfunded ?? []).map((e, i) => ({ ...e, sinceHeight: v.unfundedSince?.[i] ?? v.bestBlock!.height })),
      ...(v.confirming === undefined || v.confirming.length === 0 ? {} : { legacyConfirming: v.confirming }),
      ...(v.reportedUnsupported === undefined ? {} : { reportedUnsupported: v.reportedUnsupported }),
      ...(v.timerTicks === undefined ? {} : { timerTicks: v.timerTicks }),
      ...(v.offlinePeers === undefined || v.offlinePeers.length === 0 ? {} : { offlinePeers: v.offlinePeers }),
      ...(v.gossipSyncs === undefined || v.gossipSyncs.length === 0 ? {} : { gossipSyncs: v.gossipSyncs }),
    },
  };
}
