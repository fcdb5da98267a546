/**
 * The receiving rules of BOLT 7 as pure checks. Each takes a received
 * message and what the caller knows (our chain, the stored gossip, the
 * funding output read from the chain) and answers accept, or a typed
 * reason with what to do: `ignore` the message, or `warn` the peer (BOLT 7's
 * "SHOULD send a warning"; a caller MAY also close the connection). No
 * check reads a clock or a store: time comes in as `nowSec`.
 */
import { compareBytes, equalBytes } from '../codec/index.js';
import type { Secp256k1 } from '../crypto/index.js';
import { fundingOutputScript } from '../tx/index.js';
import { OUR_INIT_FEATURES, featureBitsOf, unsupportedRequiredBits, type AddressDescriptor, type ChannelUpdateMessage } from '../wire/index.js';
import type { AnnouncementSignaturesMessage } from './announcement-signatures.js';
import type { ChannelAnnouncementMessage, UnsignedChannelAnnouncement } from './channel-announcement.js';
import type {
  EncodedArray,
  GossipTimestampFilterMessage,
  QueryChannelRangeMessage,
  QueryShortChannelIdsMessage,
  ReplyChannelRangeMessage,
} from './gossip-queries.js';
import {
  verifyAnnouncementSignatures,
  verifyChannelAnnouncement,
  verifyChannelUpdate,
  verifyNodeAnnouncement,
} from './gossip-signatures.js';
import { CHANNEL_FLAG, MESSAGE_FLAG } from './gossip-signatures.js';
import type { NodeAnnouncementMessage } from './node-announcement.js';

/** The closed set of reasons a gossip message is refused. */
export const GOSSIP_REJECT_REASONS = [
  /** `chain_hash` is not our chain. */
  'unknown-chain',
  /** `node_id_1` is not strictly less than `node_id_2`. */
  'node-ids-not-sorted',
  /** An even (required) feature bit we do not know. */
  'unknown-required-feature',
  /** A signature does not verify (the detail names which). */
  'bad-signature',
  /** The same short channel id was announced before with other keys. */
  'conflicting-announcement',
  /** The short channel id is announced already, with the same keys. */
  'duplicate-announcement',
  /** The output `short_channel_id` names does not exist on chain. */
  'funding-output-missing',
  /** The output is not the P2WSH of the two `bitcoin_key`s. */
  'funding-output-mismatch',
  /** The funding output is spent: the channel is closed. */
  'funding-output-spent',
  /** A `node_announcement` from a node with no announced channel. */
  'unknown-node',
  /** A `channel_update` for a channel we have no announcement of. */
  'unknown-channel',
  /** The timestamp is not newer than the stored one's. */
  'stale-timestamp',
  /** The timestamp is too far in the future. */
  'timestamp-in-future',
  /** `htlc_minimum_msat` above `htlc_maximum_msat`. */
  'htlc-minimum-above-maximum',
  /** `htlc_maximum_msat` above the channel's capacity. */
  'htlc-maximum-above-capacity',
  /** `announcement_signatures` for another channel, or another short channel id than ours. */
  'wrong-short-channel-id',
  /** zlib encoding (BOLT 7: MUST NOT be used any more). */
  'deprecated-encoding',
  /** `query_flags`, `timestamps_tlv` or `checksums_tlv` not one entry per short channel id. */
  'count-mismatch',
  /** Short channel ids of a reply not in ascending order. */
  'short-channel-ids-not-ascending',
  /** A reply's short channel id outside its own block range, or a reply range outside the query's. */
  'out-of-range',
] as const;

/** One of {@link GOSSIP_REJECT_REASONS}. */
export type GossipRejectReason = (typeof GOSSIP_REJECT_REASONS)[number];

/** What to do with a refused message: drop it, or drop it and send the peer a `warning`. */
export type GossipAction = 'ignore' | 'warn';

/** A refusal. */
export interface GossipRejection {
  readonly ok: false;
  readonly reason: GossipRejectReason;
  readonly action: GossipAction;
  readonly detail: string;
}

/** The verdict of a check: accepted with what the caller needs next, or a {@link GossipRejection}. */
export type GossipVerdict<T extends object = object> = ({ readonly ok: true } & T) | GossipRejection;

function reject(reason: GossipRejectReason, detail: string, action: GossipAction = 'ignore'): GossipRejection {
  return { ok: false, reason, action, detail };
}

/** The two nodes of a channel as announced. */
export interface AnnouncedChannel {
  readonly nodeId1: Uint8Array;
  readonly nodeId2: Uint8Array;
  readonly bitcoinKey1: Uint8Array;
  readonly bitcoinKey2: Uint8Array;
}

/**
 * BOLT 7 `channel_announcement` receiving rules, except the chain look-up
 * ({@link checkFundingOutput}): our chain, node ids in order, no unknown
 * required channel feature, a short channel id not announced before with
 * other keys (`known`), then the four signatures (a failure: `warn`).
 */
export function checkChannelAnnouncement(
  secp: Secp256k1,
  m: ChannelAnnouncementMessage,
  ctx: { readonly chainHash: Uint8Array; readonly known?: AnnouncedChannel | undefined },
): GossipVerdict {
  if (!equalBytes(m.chainHash, ctx.chainHash)) return reject('unknown-chain', 'channel_announcement for another chain');
  if (compareBytes(m.nodeId1, m.nodeId2) >= 0) return reject('node-ids-not-sorted', 'node_id_1 must be less than node_id_2');
  // BOLT 9 defines no channel feature: any even bit is a requirement we do not know.
  const required = featureBitsOf(m.features).filter((b) => b % 2 === 0);
  if (required.length > 0) return reject('unknown-required-feature', `unknown required channel feature bits ${required.join(',')}`);
  if (ctx.known !== undefined) {
    const same = (['nodeId1', 'nodeId2', 'bitcoinKey1', 'bitcoinKey2'] as const).every((k) => equalBytes(ctx.known![k], m[k]));
    if (!same) return reject('conflicting-announcement', `short channel id ${m.shortChannelId} announced before with other keys`);
    return reject('duplicate-announcement', `short channel id ${m.shortChannelId} already announced`);
  }
  const bad = verifyChannelAnnouncement(secp, m);
  if (bad !== null) return reject('bad-signature', `channel_announcement ${bad} does not verify`, 'warn');
  return { ok: true };
}

/** The output a `short_channel_id` names, as the chain adapter read it (`undefined`: no such output). */
export interface FundingOutput {
  readonly scriptPubkey: Uint8Array;
  readonly valueSat: bigint;
  readonly spent: boolean;
}

/**
 * BOLT 7: the output `short_channel_id` names must be the P2WSH 2-of-2 of
 * `bitcoin_key_1` and `bitcoin_key_2`, and unspent. On acceptance, the
 * channel's capacity (the output's value) for `checkChannelUpdate`.
 */
export function checkFundingOutput(m: AnnouncedChannel & { readonly shortChannelId: bigint }, output: FundingOutput | undefined): GossipVerdict<{ readonly capacitySat: bigint }> {
  if (output === undefined) return reject('funding-output-missing', `no output at short channel id ${m.shortChannelId}`);
  let expected: Uint8Array;
  try {
    expected = fundingOutputScript(m.bitcoinKey1, m.bitcoinKey2);
  } catch {
    return reject('funding-output-mismatch', 'a bitcoin_key is not a valid public key');
  }
  if (!equalBytes(output.scriptPubkey, expected)) return reject('funding-output-mismatch', 'the output is not the 2-of-2 of the bitcoin keys');
  if (output.spent) return reject('funding-output-spent', `the funding output of ${m.shortChannelId} is spent`);
  return { ok: true, capacitySat: output.valueSat };
}

/**
 * BOLT 7 `node_announcement` receiving rules: a node with an announced
 * channel (`hasChannel`), newer than the stored one, then its signature
 * (`warn`). On acceptance: the addresses worth dialling (port 0 and
 * unknown types dropped, one DNS hostname at most: the first) and whether
 * the node requires a feature we do not support (BOLT 7: then do not connect
 * to it nor route through it, but keep and relay the announcement).
 */
export function checkNodeAnnouncement(
  secp: Secp256k1,
  m: NodeAnnouncementMessage,
  ctx: { readonly hasChannel: boolean; readonly storedTimestamp?: number | undefined },
): GossipVerdict<{ readonly addresses: readonly AddressDescriptor[]; readonly unknownRequiredFeatures: boolean }> {
  if (!ctx.hasChannel) return reject('unknown-node', 'node_announcement from a node with no announced channel');
  if (ctx.storedTimestamp !== undefined && m.timestamp <= ctx.storedTimestamp) {
    return reject('stale-timestamp', `timestamp ${m.timestamp} not after ${ctx.storedTimestamp}`);
  }
  if (!verifyNodeAnnouncement(secp, m)) return reject('bad-signature', 'node_announcement signature does not verify', 'warn');
  const addresses: AddressDescriptor[] = [];
  let dns = false;
  for (const a of m.addresses) {
    if (a.kind === 'unknown' || a.port === 0) continue;
    if (a.kind === 'dns') {
      if (dns) continue;
      dns = true;
    }
    addresses.push(a);
  }
  const unknownRequiredFeatures = unsupportedRequiredBits(m.features, OUR_INIT_FEATURES).length > 0;
  return { ok: true, addresses, unknownRequiredFeatures };
}

/** How far ahead of `nowSec` a `channel_update` timestamp may be (LDK's bound: one day). */
export const MAX_FUTURE_TIMESTAMP_SEC = 24 * 60 * 60;

/**
 * BOLT 7 `channel_update` receiving rules: our chain, a channel we know
 * (its announcement, or one of our private channels), newer than the stored
 * update of that direction, not far in the future, sane HTLC limits, then
 * the signature of the node `direction` names (`warn`). On acceptance:
 * the direction, `disabled` (keep it, but do not route through that
 * direction) and `forward` (false for `dont_forward`: use it, never relay it).
 */
export function checkChannelUpdate(
  secp: Secp256k1,
  m: ChannelUpdateMessage,
  ctx: {
    readonly chainHash: Uint8Array;
    readonly channel?: { readonly nodeId1: Uint8Array; readonly nodeId2: Uint8Array; readonly capacitySat?: bigint | undefined } | undefined;
    readonly storedTimestamp?: number | undefined;
    readonly nowSec?: number | undefined;
  },
): GossipVerdict<{ readonly direction: 0 | 1; readonly disabled: boolean; readonly forward: boolean }> {
  if (!equalBytes(m.chainHash, ctx.chainHash)) return reject('unknown-chain', 'channel_update for another chain');
  if (ctx.channel === undefined) return reject('unknown-channel', `no channel ${m.shortChannelId}`);
  if (ctx.storedTimestamp !== undefined && m.timestamp <= ctx.storedTimestamp) {
    return reject('stale-timestamp', `timestamp ${m.timestamp} not after ${ctx.storedTimestamp}`);
  }
  if (ctx.nowSec !== undefined && m.timestamp > ctx.nowSec + MAX_FUTURE_TIMESTAMP_SEC) {
    return reject('timestamp-in-future', `timestamp ${m.timestamp} more than a day after ${ctx.nowSec}`);
  }
  if (m.htlcMinimumMsat > m.htlcMaximumMsat) return reject('htlc-minimum-above-maximum', 'htlc_minimum_msat above htlc_maximum_msat');
  if (ctx.channel.capacitySat !== undefined && m.htlcMaximumMsat > ctx.channel.capacitySat * 1000n) {
    return reject('htlc-maximum-above-capacity', `htlc_maximum_msat above the capacity of ${ctx.channel.capacitySat} sat`);
  }
  const direction = (m.channelFlags & CHANNEL_FLAG.direction) === 0 ? 0 : 1;
  const signer = direction === 0 ? ctx.channel.nodeId1 : ctx.channel.nodeId2;
  if (!verifyChannelUpdate(secp, m, signer)) return reject('bad-signature', `channel_update signature of node_id_${direction + 1} does not verify`, 'warn');
  return {
    ok: true,
    direction,
    disabled: (m.channelFlags & CHANNEL_FLAG.disable) !== 0,
    forward: (m.messageFlags & MESSAGE_FLAG.dontForward) === 0,
  };
}

/**
 * BOLT 7 `announcement_signatures` receiving rules: for our channel and its
 * short channel id (`warn` otherwise), both signatures over the
 * announcement we built (`warn`; BOLT 7: MAY fail the channel).
 */
export function checkAnnouncementSignatures(
  secp: Secp256k1,
  m: AnnouncementSignaturesMessage,
  ctx: {
    readonly channelId: Uint8Array;
    readonly announcement: UnsignedChannelAnnouncement;
    readonly theirNodeId: Uint8Array;
    readonly theirFundingPubkey: Uint8Array;
  },
): GossipVerdict {
  if (!equalBytes(m.channelId, ctx.channelId) || m.shortChannelId !== ctx.announcement.shortChannelId) {
    return reject('wrong-short-channel-id', `announcement_signatures for ${m.shortChannelId}, expected ${ctx.announcement.shortChannelId}`, 'warn');
  }
  const bad = verifyAnnouncementSignatures(secp, m, ctx.announcement, ctx.theirNodeId, ctx.theirFundingPubkey);
  if (bad !== null) return reject('bad-signature', `announcement_signatures ${bad} does not verify`, 'warn');
  return { ok: true };
}

/** `gossip_timestamp_filter`: for our chain (BOLT 7: otherwise ignore it). */
export function checkGossipTimestampFilter(m: GossipTimestampFilterMessage, chainHash: Uint8Array): GossipVerdict {
  return equalBytes(m.chainHash, chainHash) ? { ok: true } : reject('unknown-chain', 'gossip_timestamp_filter for another chain');
}

/** `query_channel_range`: for our chain (otherwise answer with `sync_complete` 0). */
export function checkQueryChannelRange(m: QueryChannelRangeMessage, chainHash: Uint8Array): GossipVerdict {
  return equalBytes(m.chainHash, chainHash) ? { ok: true } : reject('unknown-chain', 'query_channel_range for another chain');
}

function countOf<T>(a: EncodedArray<T>): number | undefined {
  return a.encoding === 'uncompressed' ? a.values.length : undefined;
}

/**
 * `query_short_channel_ids`: for our chain (otherwise answer
 * `reply_short_channel_ids_end` with `full_information` 0), uncompressed,
 * one query flag per short channel id (`warn`).
 */
export function checkQueryShortChannelIds(m: QueryShortChannelIdsMessage, chainHash: Uint8Array): GossipVerdict<{ readonly shortChannelIds: readonly bigint[] }> {
  if (!equalBytes(m.chainHash, chainHash)) return reject('unknown-chain', 'query_short_channel_ids for another chain');
  if (m.encodedShortIds.encoding !== 'uncompressed' || (m.queryFlags !== undefined && m.queryFlags.encoding !== 'uncompressed')) {
    return reject('deprecated-encoding', 'zlib-encoded query', 'warn');
  }
  if (m.queryFlags !== undefined && countOf(m.queryFlags) !== m.encodedShortIds.values.length) {
    return reject('count-mismatch', 'not one query flag per short channel id', 'warn');
  }
  return { ok: true, shortChannelIds: m.encodedShortIds.values };
}

/** Block height of a short channel id (its top 3 bytes). */
export function blockHeightOf(shortChannelId: bigint): number {
  return Number(shortChannelId >> 40n);
}

/**
 * One `reply_channel_range` to our `query`: our chain, uncompressed, its
 * range overlapping the query's, short channel ids ascending and inside its
 * own range, timestamps and checksums (when sent) one per short channel id.
 */
export function checkReplyChannelRange(m: ReplyChannelRangeMessage, query: QueryChannelRangeMessage): GossipVerdict<{ readonly shortChannelIds: readonly bigint[] }> {
  if (!equalBytes(m.chainHash, query.chainHash)) return reject('unknown-chain', 'reply_channel_range for another chain');
  if (m.encodedShortIds.encoding !== 'uncompressed' || (m.timestampsTlv !== undefined && m.timestampsTlv.encoding !== 'uncompressed')) {
    return reject('deprecated-encoding', 'zlib-encoded reply', 'warn');
  }
  const end = m.firstBlocknum + m.numberOfBlocks;
  const queryEnd = query.firstBlocknum + query.numberOfBlocks;
  if (m.numberOfBlocks === 0 || m.firstBlocknum >= queryEnd || end <= query.firstBlocknum) {
    return reject('out-of-range', `reply blocks ${m.firstBlocknum}+${m.numberOfBlocks} outside the query's ${query.firstBlocknum}+${query.numberOfBlocks}`, 'warn');
  }
  const ids = m.encodedShortIds.values;
  for (let i = 0; i < ids.length; i++) {
    if (i > 0 && ids[i]! <= ids[i - 1]!) return reject('short-channel-ids-not-ascending', `short channel id ${ids[i]} after ${ids[i - 1]}`, 'warn');
    const height = blockHeightOf(ids[i]!);
    if (height < m.firstBlocknum || height >= end) return reject('out-of-range', `short channel id ${ids[i]} outside blocks ${m.firstBlocknum}+${m.numberOfBlocks}`, 'warn');
  }
  if (m.timestampsTlv !== undefined && countOf(m.timestampsTlv) !== ids.length) return reject('count-mismatch', 'not one timestamp pair per short channel id', 'warn');
  if (m.checksumsTlv !== undefined && m.checksumsTlv.length !== ids.length) return reject('count-mismatch', 'not one checksum pair per short channel id', 'warn');
  return { ok: true, shortChannelIds: ids };
}
