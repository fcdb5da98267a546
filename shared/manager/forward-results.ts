/**
 * The result of an HTLC we forwarded, sent back upstream (docs/forwarding.md;
 * LDK's `claim_funds_internal` and `fail_htlc_backwards_internal` for a
 * forward):
 *
 * - fulfilled downstream: the incoming HTLC is fulfilled with the preimage in
 *   the same input that learned it (its channel loaded: at once; else a
 *   `claim-htlcs` follow-up committed with the preimage), and
 *   `PaymentForwarded` with our fee;
 * - failed downstream (`update_fail_htlc` made irrevocable): the reason
 *   wrapped once more with the incoming onion's shared secret (BOLT 4
 *   "Returning Errors"), failed back upstream; `update_fail_malformed_htlc`
 *   becomes a failure message of its own code, created with our secret;
 * - settled on chain without a preimage (forward-onchain.ts):
 *   `permanent_channel_failure`, created with our secret.
 *
 * The link record goes in the same commit: a result goes upstream once.
 */
import { ByteWriter } from '../codec/index.js';
import { sha256, toHex } from '../crypto/index.js';
import { createFailurePacket, wrapFailurePacket } from '../onion/index.js';
import { channelKey } from './channel-entry.js';
import { decodeForwardLink, type ForwardLink } from './forward-link.js';
import { applyClaimHtlcs, applyFailBack } from './inbound-htlcs.js';
import { log, type ManagerCore } from './manager-core.js';
import { ManagerError, ManagerErrorCode } from './manager-errors.js';
import { RecordKeys } from './payment-records.js';

/** The link record of an HTLC we offered on `channelId`. */
export function forwardLinkKey(channelId: Uint8Array, htlcId: bigint): string {
  return RecordKeys.forwardOut(toHex(channelId), htlcId);
}

/** The forward an HTLC we offered carries, when its link record was read with this input and exists. */
export function forwardLinkOf(core: ManagerCore, channelId: Uint8Array, htlcId: bigint): ForwardLink | undefined {
  const key = forwardLinkKey(channelId, htlcId);
  if (!core.cs.hasRecord(key)) return undefined;
  const bytes = core.cs.record(key);
  if (bytes === undefined) return undefined;
  const decoded = decodeForwardLink(bytes);
  if (!decoded.ok) throw new ManagerError(ManagerErrorCode.CorruptState, `forward link ${key} does not decode: ${decoded.error.message}`);
  return decoded.value;
}

/** Downstream fulfilled our HTLC `htlcId` on `channelId`: the incoming HTLC is claimed with the preimage, `PaymentForwarded`. */
export function forwardFulfilled(core: ManagerCore, channelId: Uint8Array, htlcId: bigint, link: ForwardLink, paymentPreimage: Uint8Array): void {
  const { cs } = core;
  cs.deleteRecord(forwardLinkKey(channelId, htlcId));
  const refs = [{ htlcId: link.incomingHtlcId, paymentHash: sha256(paymentPreimage) }];
  if (cs.isLoaded(channelKey(link.incomingPeer, link.incomingChannelId))) applyClaimHtlcs(core, link.incomingPeer, link.incomingChannelId, refs, paymentPreimage);
  else cs.followUp(link.incomingPeer, { kind: 'claim-htlcs', channelId: link.incomingChannelId, htlcs: refs, paymentPreimage });
  cs.emit({
    kind: 'payment-forwarded',
    amountMsat: link.outgoingAmountMsat,
    feeMsat: link.incomingAmountMsat - link.outgoingAmountMsat,
    inboundChannelId: link.incomingChannelId,
    outboundChannelId: channelId,
  });
}

/** What downstream failed our HTLC with. */
export type DownstreamFailure =
  | { readonly kind: 'fail-htlc'; readonly reason: Uint8Array }
  | { readonly kind: 'fail-malformed'; readonly failureCode: number; readonly sha256OfOnion?: Uint8Array }
  /** The outgoing channel closed and the chain took the HTLC back (or it was on no commitment): ours to report (forward-onchain.ts). */
  | { readonly kind: 'on-chain' }
  /** We took the HTLC back before it was sent (htlc-expiry.ts): `message`, our BOLT 4 failure message, for the payer. */
  | { readonly kind: 'withdrawn'; readonly message: Uint8Array };

/** BOLT 4 `permanent_channel_failure` (PERM|8): what LDK fails a forward back with when the chain settled its outgoing HTLC without a preimage. */
export const PERMANENT_CHANNEL_FAILURE = 0x4008;

/** The failure packet `failure` becomes for the payer: downstream's wrapped once more, else one of ours. */
function upstreamReason(link: ForwardLink, failure: DownstreamFailure): Uint8Array {
  switch (failure.kind) {
    case 'fail-htlc':
      return wrapFailurePacket(link.sharedSecret, failure.reason);
    case 'fail-malformed':
      return createFailurePacket(link.sharedSecret, new ByteWriter().u16(failure.failureCode).bytes(failure.sha256OfOnion ?? new Uint8Array(32)).finish());
    case 'on-chain':
      return createFailurePacket(link.sharedSecret, new ByteWriter().u16(PERMANENT_CHANNEL_FAILURE).finish());
    case 'withdrawn':
      return createFailurePacket(link.sharedSecret, failure.message);
  }
}

/** Downstream failed our HTLC `htlcId` on `channelId` for good: the incoming HTLC is failed back, the failure wrapped for the payer. */
export function forwardFailed(core: ManagerCore, channelId: Uint8Array, htlcId: bigint, link: ForwardLink, failure: DownstreamFailure): void {
  const { cs } = core;
  cs.deleteRecord(forwardLinkKey(channelId, htlcId));
  const reason = upstreamReason(link, failure);
  log(core, 'info', `forwarded HTLC ${htlcId} of ${toHex(channelId)} failed ${failure.kind === 'on-chain' ? 'on chain' : failure.kind === 'withdrawn' ? 'before it was sent' : 'downstream'}: failing back HTLC ${link.incomingHtlcId} of ${toHex(link.incomingChannelId)}`);
  if (cs.isLoaded(channelKey(link.incomingPeer, link.incomingChannelId))) applyFailBack(core, link.incomingPeer, link.incomingChannelId, link.incomingHtlcId, reason);
  else cs.followUp(link.incomingPeer, { kind: 'fail-back', channelId: link.incomingChannelId, htlcId: link.incomingHtlcId, reason });
}
