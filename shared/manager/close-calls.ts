/**
 * Closing a channel cooperatively from the user's side (LDK's
 * `close_channel`; docs/close.md): our `shutdown` goes to the peer, the
 * channel moves to `shutdown-sent`, and the peer's `shutdown` and the
 * `closing_signed` negotiation follow through the routing table (rows 38,
 * 39). Once both sides signed one fee the closing transaction is
 * broadcast, `ChannelClosed` (`cooperative-closure`) is emitted and the
 * channel item is deleted (channel-step.ts).
 */
import { closeChannelCooperatively } from '../channel/index.js';
import { applyStep } from './channel-step.js';
import { channelContext, type ManagerCore } from './manager-core.js';
import { ApiErrorCode, type ApiResult } from './manager-errors.js';

const unavailable = (message: string): ApiResult<void> => ({ ok: false, error: { code: ApiErrorCode.ChannelUnavailable, message } });

/**
 * LDK's `close_channel` (see `ChannelManager.closeChannel`). Refused with
 * `channel-unavailable` when no such channel is loaded, when the peer is not
 * connected or its `channel_reestablish` has not arrived yet on this
 * connection (the `shutdown` could not go out; LDK refuses the same way),
 * when the channel is not `ready`, and for a moment while an update of ours
 * is not yet signed or an HTLC of ours waits in the holding cell
 * (`closeChannelCooperatively`). HTLCs in flight settle before the
 * `closing_signed` negotiation (docs/close.md). The script our
 * output pays is the SignerProvider's (in the deployment, a fresh address of
 * the node's wallet), or the upfront script committed at open.
 */
export function closeChannel(core: ManagerCore, channelId: Uint8Array, counterpartyNodeId: Uint8Array): ApiResult<void> {
  const { cs } = core;
  const key = cs.keyFor(counterpartyNodeId, channelId);
  const item = cs.entry(key);
  if (item?.kind !== 'channel') return unavailable('no channel with this id and counterparty');
  if (cs.featuresOf(counterpartyNodeId) === undefined) return unavailable('the peer is not connected: a cooperative close needs it online');
  if (item.flags?.awaitingReestablish === true) return unavailable('the channel is being reestablished with the peer: try again once it is');
  const result = closeChannelCooperatively(channelContext(core), item.channel);
  if (!result.ok) return result;
  applyStep(core, key, item, result.value);
  return { ok: true, value: undefined };
}
