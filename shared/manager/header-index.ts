/**
 * The manager header's index (docs/manager.md, "The header"): the channels
 * not funded yet (`unfunded`, by temporary and current id, with their
 * creation height), at most `MAX_UNFUNDED_INBOUND_CHANNELS` +
 * `MAX_UNFUNDED_OUTBOUND_CHANNELS` (manager-config.ts). The funded channels the chain must
 * still report are index items (channel-indexes.ts). Pure: a channel's new
 * entry in, the header's new index out.
 */
import { equalBytes } from '../codec/index.js';
import { ChannelState, currentChannelId, type Channel } from '../channel/index.js';
import type { ChannelEntry } from './channel-entry.js';
import { REORG_SAFE_DEPTH } from './manager-config.js';
import type { ManagerHeader, UnfundedEntry } from './manager-header.js';

/** Before the first commitments are signed: forgotten on a disconnection (BOLT 2). */
export function isUnfunded(channel: Channel): boolean {
  return (
    channel.state === ChannelState.OutboundAwaitingAccept ||
    channel.state === ChannelState.InboundAwaitingFundingCreated ||
    channel.state === ChannelState.AwaitingFundingTx ||
    channel.state === ChannelState.AwaitingFundingSigned
  );
}

/**
 * A funded channel stays in the chain index until it is ready and its
 * funding is {@link REORG_SAFE_DEPTH} deep at the channel's own best height
 * (a function of the channel alone, so its index item is too).
 */
export function isStillConfirming(channel: Channel): boolean {
  if (channel.state === ChannelState.AwaitingConfirmation || channel.state === ChannelState.AwaitingChannelReady) return true;
  // Ready, or closing cooperatively (its funding can still be reorged out until the closing transaction confirms).
  const funded = channel.state === ChannelState.Ready || channel.state === ChannelState.ShutdownSent || channel.state === ChannelState.NegotiatingClose;
  if (!funded || channel.confirmation === undefined) return false;
  const depth = channel.bestHeight - channel.confirmation.height + 1;
  return depth < Math.max(REORG_SAFE_DEPTH, channel.minimumDepth);
}

/** Whether two index lists hold the same entries in the same order (field by field, no text form). */
function sameEntries(a: readonly UnfundedEntry[], b: readonly UnfundedEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (
      x.isOutbound !== y.isOutbound ||
      x.sinceHeight !== y.sinceHeight ||
      !equalBytes(x.counterpartyNodeId, y.counterpartyNodeId) ||
      !equalBytes(x.temporaryChannelId, y.temporaryChannelId) ||
      !equalBytes(x.channelId, y.channelId)
    ) {
      return false;
    }
  }
  return true;
}

/**
 * `header` with the index entries of the channel known by `ids` (temporary
 * or real) with `peer` replaced by those of `entry` (none when it is null: the
 * channel is gone). A channel keeps its creation height across re-keying and
 * acceptance. Returns `header` itself when nothing changed.
 */
export function reindexChannel(header: ManagerHeader, peer: Uint8Array, ids: readonly Uint8Array[], entry: ChannelEntry | null): ManagerHeader {
  // The common case, a funded channel's step with no unfunded channel listed: nothing to look at (every message of the dance comes here).
  const isUnfundedEntry = entry?.kind === 'open-request' || (entry?.kind === 'channel' && isUnfunded(entry.channel));
  if (header.unfunded.length === 0 && !isUnfundedEntry) return header;
  const known = (id: Uint8Array) => ids.some((x) => equalBytes(x, id));
  const isThis = (e: UnfundedEntry) => equalBytes(e.counterpartyNodeId, peer) && (known(e.temporaryChannelId) || known(e.channelId));
  const sinceHeight = header.unfunded.find(isThis)?.sinceHeight ?? header.bestBlock.height;
  const unfunded = header.unfunded.filter((e) => !isThis(e));
  if (entry?.kind === 'open-request') {
    const id = entry.open.temporaryChannelId;
    unfunded.push({ counterpartyNodeId: peer, temporaryChannelId: id, channelId: id, isOutbound: false, sinceHeight });
  } else if (entry?.kind === 'channel' && isUnfunded(entry.channel)) {
    const c = entry.channel;
    unfunded.push({ counterpartyNodeId: peer, temporaryChannelId: c.temporaryChannelId, channelId: currentChannelId(c), isOutbound: c.isOutbound, sinceHeight });
  }
  if (sameEntries(unfunded, header.unfunded)) return header;
  return { ...header, unfunded };
}
