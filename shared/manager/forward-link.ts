/**
 * The records that tie a forwarded HTLC to the one it came from
 * (docs/forwarding.md): kept apart from the channel items, written in the
 * commit that offers the outgoing HTLC.
 *
 * - `FORWARD#<out channel>#o<out htlc id>` ({@link ForwardLink}): where the
 *   result goes back: the incoming channel and HTLC, the shared secret that
 *   wraps a failure for the payer, and both amounts (our fee). Deleted when
 *   the result has gone upstream.
 * - `FORWARD#<in channel>#r<in htlc id>` ({@link ForwardMark}): the incoming
 *   HTLC was forwarded (a second decision leaves it alone, and the expiry
 *   check waits for the downstream result). Deleted with the incoming HTLC.
 *
 * Version 1: 0 peer, 2 channel id, 4 HTLC id, 6 shared secret, 8 incoming
 * amount (msat), 10 outgoing amount (msat).
 */
import { DecodeError, fixedBytes, point, tlvRecord, u64, versionedRecord, type DecodeResult } from '../codec/index.js';

/** The incoming side of a forward, kept under the outgoing HTLC. */
export interface ForwardLink {
  readonly incomingPeer: Uint8Array;
  readonly incomingChannelId: Uint8Array;
  readonly incomingHtlcId: bigint;
  /** The incoming onion's shared secret: wraps the downstream failure for the payer. */
  readonly sharedSecret: Uint8Array;
  readonly incomingAmountMsat: bigint;
  readonly outgoingAmountMsat: bigint;
}

/** The outgoing side of a forward, kept under the incoming HTLC. */
export interface ForwardMark {
  readonly outgoingPeer: Uint8Array;
  readonly outgoingChannelId: Uint8Array;
  readonly outgoingHtlcId: bigint;
}

const record = versionedRecord('forward-link', 1, {
  peer: tlvRecord(0, point),
  channelId: tlvRecord(2, fixedBytes(32)),
  htlcId: tlvRecord(4, u64),
  sharedSecret: tlvRecord(6, fixedBytes(32)),
  incomingAmountMsat: tlvRecord(8, u64),
  outgoingAmountMsat: tlvRecord(10, u64),
});

export function encodeForwardLink(l: ForwardLink): Uint8Array {
  return record.encode({
    peer: l.incomingPeer,
    channelId: l.incomingChannelId,
    htlcId: l.incomingHtlcId,
    sharedSecret: l.sharedSecret,
    incomingAmountMsat: l.incomingAmountMsat,
    outgoingAmountMsat: l.outgoingAmountMsat,
  });
}

/** Reads a record written by {@link encodeForwardLink}; never throws. */
export function decodeForwardLink(bytes: Uint8Array): DecodeResult<ForwardLink> {
  const r = record.decode(bytes);
  if (!r.ok) return r;
  const v = r.value;
  if (v.peer === undefined || v.channelId === undefined || v.htlcId === undefined || v.sharedSecret === undefined || v.incomingAmountMsat === undefined || v.outgoingAmountMsat === undefined) {
    return { ok: false, error: new DecodeError('invalid-value', 'forward-link: a field is missing') };
  }
  return {
    ok: true,
    value: { incomingPeer: v.peer, incomingChannelId: v.channelId, incomingHtlcId: v.htlcId, sharedSecret: v.sharedSecret, incomingAmountMsat: v.incomingAmountMsat, outgoingAmountMsat: v.outgoingAmountMsat },
  };
}

export function encodeForwardMark(m: ForwardMark): Uint8Array {
  return record.encode({ peer: m.outgoingPeer, channelId: m.outgoingChannelId, htlcId: m.outgoingHtlcId });
}

/** Reads a record written by {@link encodeForwardMark}; never throws. */
export function decodeForwardMark(bytes: Uint8Array): DecodeResult<ForwardMark> {
  const r = record.decode(bytes);
  if (!r.ok) return r;
  const v = r.value;
  if (v.peer === undefined || v.channelId === undefined || v.htlcId === undefined) return { ok: false, error: new DecodeError('invalid-value', 'forward-mark: a field is missing') };
  return { ok: true, value: { outgoingPeer: v.peer, outgoingChannelId: v.channelId, outgoingHtlcId: v.htlcId } };
}
