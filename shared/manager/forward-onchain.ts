/**
 * Forwarded HTLCs whose outgoing channel closed, settled by the chain
 * (docs/forwarding.md, "The outgoing channel closed"; LDK's
 * `MonitorEvent::HTLCEvent` for an HTLC whose source is a previous hop):
 *
 * - the counterparty claimed our HTLC on chain with the preimage: the
 *   incoming HTLC is claimed with it at once, `PaymentForwarded`;
 * - our timeout claim took it back (final), or it had no output on the
 *   commitment that confirmed (final), or it never left our holding cell:
 *   the incoming HTLC is failed back with `permanent_channel_failure`
 *   (0x4008, as LDK), created with the incoming onion's shared secret.
 *
 * The chain handler names an HTLC by what the chain shows (channel, hash,
 * amount, expiry), never by its id, and the closed channel's item is gone
 * when its `htlc-resolved-on-chain` follow-up runs. So the commit that
 * closes a channel writes, for each HTLC we offered on it, its id under
 * that name (`FORWARD#<channel>#x<hash>#<amount>#<expiry>`, a list of ids:
 * alike HTLCs share one); the follow-up reads that record, then the link
 * record of each id (`FORWARD#<channel>#o<id>`, forward-link.ts) after it.
 * An id with a link is a forward: settled here, the id taken off the list.
 * None: the HTLC was one of our payments (outbound-calls.ts).
 */
import { ByteReader, ByteWriter } from '../codec/index.js';
import { OutboundHtlcState, type Channel } from '../channel/index.js';
import { toHex } from '../crypto/index.js';
import type { ChangeSet } from './change-set.js';
import type { FollowUpWork } from './follow-up.js';
import { forwardFailed, forwardFulfilled, forwardLinkKey, forwardLinkOf } from './forward-results.js';
import { log, type ManagerCore } from './manager-core.js';
import { ManagerError, ManagerErrorCode } from './manager-errors.js';
import { RecordKeys, type RecordKey } from './payment-records.js';

type ResolvedOnChain = Extract<FollowUpWork, { kind: 'htlc-resolved-on-chain' }>;

/**
 * How long the by-name records outlive the close (seconds): past every
 * incoming HTLC's expiry (at most 2016 blocks after its forward, BOLT 4's
 * `expiry_too_far`), after which nothing upstream can be claimed or failed.
 */
export const OFFERED_ON_CHAIN_TTL_SECS = 60 * 24 * 3600;

/** The record of the HTLCs we offered on `channelId` that the chain names (hash, amount, expiry). */
export function offeredOnChainKey(channelId: Uint8Array, paymentHash: Uint8Array, amountMsat: bigint, cltvExpiry: number): RecordKey {
  return RecordKeys.offeredOnChain(toHex(channelId), toHex(paymentHash), amountMsat, cltvExpiry);
}

/** The ids, 8 bytes each, in the order they were offered. */
export function encodeOfferedIds(ids: readonly bigint[]): Uint8Array {
  const w = new ByteWriter();
  for (const id of ids) w.u64(id);
  return w.finish();
}

/** Reads a record written by {@link encodeOfferedIds}: `undefined` when it is not a whole number of ids. */
export function decodeOfferedIds(bytes: Uint8Array): bigint[] | undefined {
  if (bytes.length % 8 !== 0) return undefined;
  const r = new ByteReader(bytes);
  return Array.from({ length: bytes.length / 8 }, () => r.u64());
}

/** The ids under `key` (none when the record does not exist or was not read). */
function idsOf(cs: ChangeSet, key: RecordKey): bigint[] {
  const bytes = cs.hasRecord(key) ? cs.record(key) : undefined;
  if (bytes === undefined) return [];
  const ids = decodeOfferedIds(bytes);
  if (ids === undefined) throw new ManagerError(ManagerErrorCode.CorruptState, `record ${key} is not a list of HTLC ids (${bytes.length} bytes)`);
  return ids;
}

/**
 * In the commit that closes `channel` (channel-step.ts): each HTLC we
 * offered on it, by the name the chain will give it. Those still in our
 * holding cell were on no commitment and never will be: each gets its
 * `htlc-resolved-on-chain` follow-up (failed) in the same commit, as LDK
 * fails the HTLCs its `force_shutdown` drops.
 */
export function keepOfferedForChain(core: ManagerCore, channel: Channel): void {
  const funding = channel.funding;
  if (funding === undefined) return;
  const offered = (channel.htlcs ?? []).filter((h) => h.direction === 'offered');
  if (offered.length === 0) return;
  const groups = new Map<RecordKey, bigint[]>();
  for (const h of offered) {
    const key = offeredOnChainKey(funding.channelId, h.paymentHash, h.amountMsat, h.cltvExpiry);
    groups.set(key, [...(groups.get(key) ?? []), h.id]);
  }
  const forgetAt = core.ports.clock.nowSecs() + OFFERED_ON_CHAIN_TTL_SECS;
  for (const [key, ids] of groups) core.cs.putRecord(key, encodeOfferedIds(ids), forgetAt);
  for (const h of offered.filter((x) => x.state === OutboundHtlcState.Held)) {
    core.cs.followUp(channel.counterpartyNodeId, { kind: 'htlc-resolved-on-chain', channelId: funding.channelId, paymentHash: h.paymentHash, amountMsat: h.amountMsat, cltvExpiry: h.cltvExpiry });
  }
}

/** The by-name record an `htlc-resolved-on-chain` follow-up reads with its plan (none without an expiry: not a name we keep). */
export function offeredOnChainRecords(work: ResolvedOnChain): RecordKey[] {
  return work.cltvExpiry === undefined ? [] : [offeredOnChainKey(work.channelId, work.paymentHash, work.amountMsat, work.cltvExpiry)];
}

/** The link records of the ids that by-name record holds: read after it (load-plan.ts `recordsAfterLoad`). */
export function offeredOnChainLinkRecords(cs: ChangeSet, work: ResolvedOnChain): RecordKey[] {
  const [key] = offeredOnChainRecords(work);
  return key === undefined ? [] : idsOf(cs, key).map((id) => forwardLinkKey(work.channelId, id));
}

/**
 * An `htlc-resolved-on-chain` follow-up for a forward: the first id of its
 * name whose link still exists is settled upstream (preimage: claimed and
 * `PaymentForwarded`; none: failed back with `permanent_channel_failure`),
 * its link deleted and its id taken off the list in the same commit.
 * Returns false when no id of that name is a forward in flight (one of our
 * payments, or already settled: a repeated outcome changes nothing).
 */
export function forwardResolvedOnChain(core: ManagerCore, work: ResolvedOnChain): boolean {
  const [key] = offeredOnChainRecords(work);
  if (key === undefined) return false;
  const ids = idsOf(core.cs, key);
  for (const id of ids) {
    const link = forwardLinkOf(core, work.channelId, id);
    if (link === undefined) continue;
    const rest = ids.filter((x) => x !== id);
    if (rest.length === 0) core.cs.deleteRecord(key);
    else core.cs.putRecord(key, encodeOfferedIds(rest), core.ports.clock.nowSecs() + OFFERED_ON_CHAIN_TTL_SECS);
    if (work.paymentPreimage !== undefined) {
      log(core, 'info', `forwarded HTLC ${id} of ${toHex(work.channelId)} claimed on chain: claiming HTLC ${link.incomingHtlcId} of ${toHex(link.incomingChannelId)}`);
      forwardFulfilled(core, work.channelId, id, link, work.paymentPreimage);
    } else {
      forwardFailed(core, work.channelId, id, link, { kind: 'on-chain' });
    }
    return true;
  }
  return false;
}
