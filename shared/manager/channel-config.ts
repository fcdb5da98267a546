/**
 * Setting one channel's forwarding fee and CLTV delta (LDK's
 * `update_channel_config`; docs/forwarding.md, "Per-channel policy"). The
 * channel keeps the result as its own policy (it no longer follows the
 * node's default), the policy it replaces stays honoured for forwards for
 * {@link PREVIOUS_POLICY_GRACE_SECS}, and our new `channel_update` goes
 * out in the same commit: to the peer when it is connected and the channel
 * ready (with a timestamp past the previous update's), and, for an
 * announced channel, to our other connected peers, which relay it to the
 * network. A peer offline gets it with the reestablish's update, which is
 * always built from the policy in force.
 */
import { ChannelState } from '../channel/index.js';
import { toHex } from '../crypto/index.js';
import { forwardingPolicyOf, PREVIOUS_POLICY_GRACE_SECS } from './channel-forwarding.js';
import { toOtherPeers } from './channel-update-status.js';
import { MIN_CLTV_EXPIRY_DELTA, type ChannelForwarding } from './manager-config.js';
import { log, type ManagerCore } from './manager-core.js';
import { ApiErrorCode, type ApiResult } from './manager-errors.js';
import { isPublicNow, ourChannelUpdate } from './our-channel-update.js';

/** The largest CLTV delta a `channel_update` carries (u16). */
const MAX_CLTV_EXPIRY_DELTA = 0xffff;
/** Fees are u32 in a `channel_update`. */
const MAX_FEE_FIELD = 0xffff_ffff;

const misuse = (message: string): ApiResult<ChannelForwarding> => ({ ok: false, error: { code: ApiErrorCode.ApiMisuse, message } });

/**
 * Applies `change` (any of the three fields) to the channel's policy in
 * force and returns the new policy. `api-misuse` for a CLTV delta below
 * {@link MIN_CLTV_EXPIRY_DELTA} (LDK refuses it the same way) or a field
 * that does not fit a `channel_update`; `channel-unavailable` for a channel
 * not loaded, not funded or closing.
 */
export function updateChannelConfig(core: ManagerCore, channelId: Uint8Array, counterpartyNodeId: Uint8Array, change: Partial<ChannelForwarding>): ApiResult<ChannelForwarding> {
  const { cs, ports } = core;
  if (change.cltvExpiryDelta !== undefined && (change.cltvExpiryDelta < MIN_CLTV_EXPIRY_DELTA || change.cltvExpiryDelta > MAX_CLTV_EXPIRY_DELTA)) {
    return misuse(`cltvExpiryDelta must be between ${MIN_CLTV_EXPIRY_DELTA} and ${MAX_CLTV_EXPIRY_DELTA}`);
  }
  for (const field of ['feeBaseMsat', 'feeProportionalMillionths'] as const) {
    const value = change[field];
    if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > MAX_FEE_FIELD)) return misuse(`${field} must be a whole number from 0 to ${MAX_FEE_FIELD}`);
  }
  const key = cs.keyFor(counterpartyNodeId, channelId);
  const item = cs.entry(key);
  if (item?.kind !== 'channel' || item.channel.funding === undefined) return { ok: false, error: { code: ApiErrorCode.ChannelUnavailable, message: 'no funded channel with this id and counterparty' } };
  const { channel } = item;
  if (channel.state !== ChannelState.Ready && channel.state !== ChannelState.AwaitingChannelReady) {
    return { ok: false, error: { code: ApiErrorCode.ChannelUnavailable, message: `the channel is ${channel.state}: its policy no longer matters` } };
  }
  const before = forwardingPolicyOf(cs, item);
  const was: ChannelForwarding = { feeBaseMsat: before.feeBaseMsat, feeProportionalMillionths: before.feeProportionalMillionths, cltvExpiryDelta: before.cltvExpiryDelta };
  const next: ChannelForwarding = { ...was, ...change };
  if (next.feeBaseMsat === was.feeBaseMsat && next.feeProportionalMillionths === was.feeProportionalMillionths && next.cltvExpiryDelta === was.cltvExpiryDelta) {
    if (item.forwarding === undefined) cs.putEntry(key, { ...item, forwarding: next });
    return { ok: true, value: next };
  }
  const now = ports.clock.nowSecs();
  // The update this one replaces may carry this very second (a change a moment ago): ours must be strictly newer.
  const lastChangeAt = item.previousForwarding === undefined ? undefined : item.previousForwarding.untilSec - PREVIOUS_POLICY_GRACE_SECS;
  const changed = { ...item, forwarding: next, previousForwarding: { policy: was, untilSec: now + PREVIOUS_POLICY_GRACE_SECS } };
  cs.putEntry(key, changed);
  const usable = channel.state === ChannelState.Ready && cs.featuresOf(counterpartyNodeId) !== undefined && item.flags?.awaitingReestablish !== true;
  if (!usable || item.disabledUpdateAt !== undefined) {
    log(core, 'info', `channel ${key}: forwarding policy ${JSON.stringify(next)}; our update goes out when the peer is back`);
    return { ok: true, value: next };
  }
  const update = ourChannelUpdate(core, channel, lastChangeAt === undefined ? {} : { notBefore: lastChangeAt + 1 });
  if (update !== undefined) {
    cs.send(counterpartyNodeId, update);
    const relayed = isPublicNow(channel) ? toOtherPeers(core, counterpartyNodeId, update) : 0;
    log(core, 'info', `channel ${key}: forwarding policy ${JSON.stringify(next)}; channel_update sent to ${toHex(counterpartyNodeId)}${relayed > 0 ? ` and ${relayed} other peer(s)` : ''}`);
  }
  return { ok: true, value: next };
}
