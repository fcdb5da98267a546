/**
 * Synthetic HTLCs for the item-size tests (docs/items.md): a ready channel
 * (the vector test/vectors/channel-record-v1-before-htlcs.json, written by
 * today's encoder before HTLCs existed) with up to 483 HTLCs each way, their
 * onions, HTLC signatures and the events of settling them.
 */
import { sha256 } from '../../shared/crypto/index.js';
import {
  InboundHtlcState,
  MAX_HTLCS_PER_DIRECTION,
  ONION_PACKET_BYTES,
  OutboundHtlcState,
  decodeChannel,
  type Channel,
  type HtlcRecord,
  type HtlcSignatureSet,
} from '../../shared/channel/index.js';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { channelKey, encodeChannelEntry, type EventRecord } from '../../shared/manager/index.js';
import oldChannels from '../vectors/channel-record-v1-before-htlcs.json' with { type: 'json' };

const text = (s: string) => new TextEncoder().encode(s);

/** The ready channel of the vector, as today's decoder reads it. */
export function readyChannel(): Channel {
  const decoded = decodeChannel(fromHex(oldChannels.items[0]!.hex));
  if (!decoded.ok) throw new Error(decoded.error.message);
  return decoded.value;
}

/** HTLC `i` of a direction, in a given state; the payment hash is sha256 of its preimage (`preimageOf`). */
export function htlc(direction: 'offered' | 'received', i: number, settled = false): HtlcRecord {
  const common = {
    id: BigInt(i),
    amountMsat: 1_000_000n + BigInt(i),
    paymentHash: sha256(preimageOf(direction, i)),
    cltvExpiry: 800_000 + i,
    ...(settled ? { resolution: { kind: 'fulfill' as const, preimage: preimageOf(direction, i) } } : {}),
  };
  return direction === 'received'
    ? { ...common, direction, state: settled ? InboundHtlcState.LocalRemoved : InboundHtlcState.Committed }
    : { ...common, direction, state: settled ? OutboundHtlcState.AwaitingRemovedRemoteRevoke : OutboundHtlcState.Committed };
}

export function preimageOf(direction: 'offered' | 'received', i: number): Uint8Array {
  return sha256(text(`${direction} preimage ${i}`));
}

/** `count` HTLCs each way (at most 483). */
export function htlcsEachWay(count: number = MAX_HTLCS_PER_DIRECTION, settled = false): HtlcRecord[] {
  return [
    ...Array.from({ length: count }, (_, i) => htlc('received', i, settled)),
    ...Array.from({ length: count }, (_, i) => htlc('offered', i, settled)),
  ];
}

/** The channel with `htlcs`, and its item (the manager's channel entry) and key. */
export function channelWith(htlcs: readonly HtlcRecord[]): { channel: Channel; key: string; idHex: string; item: Uint8Array } {
  const base = readyChannel();
  const channel = { ...base, htlcs } as Channel;
  const id = channel.funding!.channelId;
  return { channel, key: channelKey(channel.counterpartyNodeId, id), idHex: toHex(id), item: encodeChannelEntry({ kind: 'channel', channel, latestMonitorUpdateId: 7n }) };
}

/** A 1,366-byte onion, distinct per HTLC. */
export function onionOf(i: number): Uint8Array {
  const out = new Uint8Array(ONION_PACKET_BYTES);
  for (let at = 0; at < out.length; at += 32) out.set(sha256(text(`onion ${i} ${at}`)).subarray(0, Math.min(32, out.length - at)), at);
  return out;
}

/** The counterparty's signatures on our commitment `n` with `htlcOutputs` HTLC outputs. */
export function signatureSet(n: bigint, htlcOutputs: number): HtlcSignatureSet {
  const sig = (i: number) => Uint8Array.of(...sha256(text(`sig ${n} ${i}`)), ...sha256(text(`sig' ${n} ${i}`)));
  return { commitmentNumber: n, commitmentSignature: sig(-1), htlcSignatures: Array.from({ length: htlcOutputs }, (_, i) => sig(i)) };
}

/**
 * One event per settled HTLC, ids from `firstId`: stand-ins for LDK's
 * PaymentClaimed / PaymentSent (not built yet) of about their size (a
 * channel id, a counterparty, an amount, a message naming the hash).
 */
export function settleEvents(htlcs: readonly HtlcRecord[], firstId: bigint, channel: Channel): EventRecord[] {
  return htlcs.map((h, i) => ({
    id: firstId + BigInt(i),
    event: { kind: 'unsupported-message', counterpartyNodeId: channel.counterpartyNodeId, messageType: 130, message: `${h.direction} htlc ${h.id} settled: payment ${toHex(h.paymentHash)}` },
  }));
}
