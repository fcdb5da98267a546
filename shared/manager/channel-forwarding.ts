/**
 * The forwarding policy in force on one channel: the node's
 * (`forwardingConfigOf`, from its settings) unless the channel has its own
 * fee and CLTV delta (`ChannelItem.forwarding`, set by
 * `updateChannelConfig`: channel-config.ts). After a change, the previous
 * policy is still honoured for forwards for {@link PREVIOUS_POLICY_GRACE_SECS}
 * (LDK's `EXPIRE_PREV_CONFIG_TICKS`: 5 timer ticks of a minute, the time an
 * update takes to reach most of the network), so a payer who built its
 * route from our older update is not refused while the new one travels.
 */
import { currentChannelId, type Channel } from '../channel/index.js';
import { channelKey, type ChannelItem } from './channel-entry.js';
import { forwardingConfigOf, type ForwardingConfig } from './manager-config.js';
import type { ChangeSet } from './change-set.js';

/** How long the policy before a change is still accepted for forwards (LDK: 5 ticks of 60 s). */
export const PREVIOUS_POLICY_GRACE_SECS = 300;

/** The policy `item` forwards under now (the node's, or the channel's own fee and delta). */
export function forwardingPolicyOf(cs: ChangeSet, item: ChannelItem | undefined): ForwardingConfig {
  const node = forwardingConfigOf(cs.header.config);
  return item?.forwarding === undefined ? node : { ...node, ...item.forwarding };
}

/** The policy of `channel`'s item when it is loaded (the node's otherwise). */
export function forwardingPolicyOfChannel(cs: ChangeSet, channel: Channel): ForwardingConfig {
  const key = channelKey(channel.counterpartyNodeId, currentChannelId(channel));
  const entry = cs.isLoaded(key) ? cs.entry(key) : undefined;
  return forwardingPolicyOf(cs, entry?.kind === 'channel' ? entry : undefined);
}

/** The policies a forward over `item` may satisfy at `nowSec`: the one in force, then the previous one while its grace lasts. */
export function honouredPolicies(cs: ChangeSet, item: ChannelItem, nowSec: number): ForwardingConfig[] {
  const current = forwardingPolicyOf(cs, item);
  const previous = item.previousForwarding;
  if (previous === undefined || nowSec >= previous.untilSec) return [current];
  return [current, { ...current, ...previous.policy }];
}

/** What a forward of `amountMsat` out pays under `policy`: base + proportional (rounded down, as LDK). */
export function forwardingFeeMsat(policy: ForwardingConfig, amountMsat: bigint): bigint {
  return BigInt(policy.feeBaseMsat) + (amountMsat * BigInt(policy.feeProportionalMillionths)) / 1_000_000n;
}
