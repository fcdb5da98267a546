/**
 * Follow-up inputs (docs/follow-ups.md): work that would touch many channels
 * in one input (a block reaching every confirming channel, a reconnection of
 * a peer with hundreds of channels, an `error` failing all of a peer's
 * channels) is split into one input per channel. The input that found the
 * work commits these records in its outbox item; each is then applied under
 * the lease as an input of its own, in the peer's inbound group (so it stays
 * ordered with that peer's messages), and is idempotent: applying it twice,
 * or after the channel moved on, changes nothing more.
 *
 * A versioned record: 0 kind, 2 channel id, 4 chain events (in order), 6 the
 * data of the peer's `error`, 8 received HTLCs (id, payment hash), 10 the
 * preimage of a claim or a payment result, 12 a fail-back for a
 * multi-part timeout (1), 14 an offered HTLC's id, 16 a payment hash, 18
 * the failure code of `update_fail_malformed_htlc`, 20 peers (node ids),
 * 22 a block height, 24 a txid, 26 an amount (sat), 28 an HTLC's amount
 * (msat), 30 an HTLC's `cltv_expiry`, 32 the short channel ids a
 * forward goes to (its plan looks them up), 34 a failure's reason.
 */
import { DecodeError, equalBytes, fixedBytes, repeated, restBytes, tlvRecord, u16, u32, u64, u8, versionedRecord, type Codec, type DecodeResult } from '../codec/index.js';
import type { FundingSeen } from '../channel/index.js';
import { sha256 } from '../crypto/index.js';
import type { FollowUp } from './manager-types.js';

/** What the chain told the manager about one channel, in the order it was told. */
export type ChainEvent =
  /**
   * The funding transaction confirmed (`transactions_confirmed`): what the
   * block showed of its funding output (`seen`), or the whole transaction for
   * a channel whose funding index the block's input did not know (a
   * confirming entry moved from a header of before issue 14).
   */
  | { readonly kind: 'confirmed'; readonly height: number; readonly txIndex: number; readonly blockHash: Uint8Array; readonly seen: FundingSeen }
  | { readonly kind: 'confirmed'; readonly height: number; readonly txIndex: number; readonly blockHash: Uint8Array; readonly tx: Uint8Array }
  /** The funding transaction left the best chain (`transaction_unconfirmed`). */
  | { readonly kind: 'unconfirmed' }
  /** A new tip (`best_block_updated`). */
  | { readonly kind: 'best-block'; readonly height: number };

/** One channel's share of an input that touched many. */
export type FollowUpWork =
  /** Chain events for a channel still confirming. */
  | { readonly kind: 'chain'; readonly channelId: Uint8Array; readonly events: readonly ChainEvent[] }
  /** Send our `channel_reestablish` on the connection the envelope names (unless already sent on it). */
  | { readonly kind: 'reestablish'; readonly channelId: Uint8Array }
  /** The peer's `error` naming all channels (an all-zero channel id): applied to this one, its `data` as received. */
  | { readonly kind: 'peer-error'; readonly channelId: Uint8Array; readonly data: Uint8Array }
  /**
   * HTLCs the peer offered that are now irrevocably committed: decide each
   * (LDK's `process_pending_htlc_forwards`: a payment to us, or failed back).
   */
  | {
      readonly kind: 'received-htlcs';
      readonly channelId: Uint8Array;
      readonly htlcs: readonly ReceivedHtlcRef[];
      /** Forwards among them: the outgoing short channel ids, whose channels the plan loads through the `SCID#` index (docs/forwarding.md). */
      readonly scids?: readonly bigint[];
    }
  /** A received HTLC we forwarded failed downstream: fail it back with `reason` (the downstream failure wrapped with our shared secret). */
  | { readonly kind: 'fail-back'; readonly channelId: Uint8Array; readonly htlcId: bigint; readonly reason: Uint8Array }
  /** Fulfill these parts of a payment the user claimed (the preimage was committed with the claim). */
  | { readonly kind: 'claim-htlcs'; readonly channelId: Uint8Array; readonly htlcs: readonly ReceivedHtlcRef[]; readonly paymentPreimage: Uint8Array }
  /** Fail these parts of a payment back (`failHtlcBackwards`, a multi-part timeout): `incorrect_or_unknown_payment_details`, or `mpp_timeout`. */
  | { readonly kind: 'fail-htlcs'; readonly channelId: Uint8Array; readonly htlcs: readonly ReceivedHtlcRef[]; readonly mppTimeout: boolean }
  /**
   * An HTLC we offered resolved: fulfilled (`paymentPreimage`), or removed
   * for good after `update_fail_htlc` (its reason in the `FAILURE#` record)
   * or `update_fail_malformed_htlc` (`malformedCode`).
   */
  | {
      readonly kind: 'payment-result';
      readonly channelId: Uint8Array;
      readonly htlcId: bigint;
      readonly paymentHash: Uint8Array;
      readonly paymentPreimage?: Uint8Array;
      readonly malformedCode?: number;
    }
  /** A block reached HTLCs of this channel close to (or past) their expiry: received ones unclaimed are failed back, offered ones expired close the channel. */
  | { readonly kind: 'htlc-expiry'; readonly channelId: Uint8Array; readonly height: number }
  /** The next attempt of a payment: routes over the channels of `peers` (the payee and the hints' nodes). */
  | { readonly kind: 'retry-payment'; readonly channelId: Uint8Array; readonly paymentHash: Uint8Array; readonly peers: readonly Uint8Array[] }
  /** A timer tick found the feerate of this channel we fund off the estimate: send `update_fee` if it still is (timer-tick.ts). */
  | { readonly kind: 'update-fee'; readonly channelId: Uint8Array }
  /**
   * The chain handler saw the counterparty's commitment spend the funding
   * output (docs/force-close.md): the channel closes with
   * `counterparty-force-closed`, or `revoked-commitment-punished` when
   * `revoked` (a commitment they had revoked: justice takes its outputs).
   */
  | { readonly kind: 'funding-spent'; readonly channelId: Uint8Array; readonly txid: Uint8Array; readonly revoked?: boolean }
  /** Our output of the closed channel reached the wallet (its sweep confirmed): event `funds-swept`. */
  | { readonly kind: 'funds-swept'; readonly channelId: Uint8Array; readonly txid: Uint8Array; readonly amountSat: bigint }
  /**
   * An HTLC we offered on the channel, on the commitment that confirmed,
   * settled by the chain (docs/force-close.md, "HTLCs we offered, resolved
   * on chain"): the counterparty claimed it with `paymentPreimage`, or,
   * without one, it came back to us (our timeout claim) or was trimmed as
   * dust. Named by what the chain shows (no HTLC id): hash, amount and,
   * when known, expiry.
   */
  | {
      readonly kind: 'htlc-resolved-on-chain';
      readonly channelId: Uint8Array;
      readonly paymentHash: Uint8Array;
      readonly amountMsat: bigint;
      readonly cltvExpiry?: number;
      readonly paymentPreimage?: Uint8Array;
    };

/**
 * Whether a lost follow-up of this kind is made again without help
 * (docs/follow-ups.md, "Lost follow-ups"): `chain` by the next chain sync
 * (the confirming index still lists the channel), `reestablish` by the
 * peer's next connection, `update-fee` by the next timer tick. Every other
 * kind is watched until applied (`FOLLOWUP#` items), as nothing else would
 * make it again.
 */
export function isRederived(kind: FollowUpWork['kind']): boolean {
  return kind === 'chain' || kind === 'reestablish' || kind === 'update-fee';
}

/**
 * `work` for `peer`'s inbound group as an outbox carries it (what the
 * manager's change set makes, and what an input outside the manager, the
 * chain handler, hands its commit): encoded, and marked `watched` unless
 * its kind is made again when lost ({@link isRederived}), so the
 * follow-up watch resends it.
 */
export function followUpFor(peer: Uint8Array, work: FollowUpWork, connectionId?: string): FollowUp {
  return { peer, work: encodeFollowUp(work), ...(connectionId === undefined ? {} : { connectionId }), ...(isRederived(work.kind) ? {} : { watched: true as const }) };
}

/** What the chain shows of one HTLC we offered (an output of the commitment that confirmed, or trimmed from it). */
export interface OnChainOfferedHtlc {
  readonly paymentHash: Uint8Array;
  readonly amountMsat: bigint;
  readonly cltvExpiry?: number;
}

/**
 * The `htlc-resolved-on-chain` follow-up for an HTLC we offered on
 * `channelId` (what the chain handler enqueues in the channel's peer group
 * once the chain settled it): `paymentPreimage` when the counterparty's
 * claim revealed it, none when our timeout claim took it back or it was
 * trimmed as dust. Refuses (`undefined`) a hash or preimage not 32 bytes,
 * a negative amount, or a preimage that does not hash to the payment hash.
 */
export function htlcResolvedOnChain(
  channelId: Uint8Array,
  htlc: OnChainOfferedHtlc,
  paymentPreimage?: Uint8Array,
): Extract<FollowUpWork, { kind: 'htlc-resolved-on-chain' }> | undefined {
  if (channelId.length !== 32 || htlc.paymentHash.length !== 32 || htlc.amountMsat < 0n) return undefined;
  if (htlc.cltvExpiry !== undefined && (!Number.isSafeInteger(htlc.cltvExpiry) || htlc.cltvExpiry < 0 || htlc.cltvExpiry > 0xffffffff)) return undefined;
  if (paymentPreimage !== undefined && (paymentPreimage.length !== 32 || !equalBytes(sha256(paymentPreimage), htlc.paymentHash))) return undefined;
  return {
    kind: 'htlc-resolved-on-chain',
    channelId,
    paymentHash: htlc.paymentHash,
    amountMsat: htlc.amountMsat,
    ...(htlc.cltvExpiry === undefined ? {} : { cltvExpiry: htlc.cltvExpiry }),
    ...(paymentPreimage === undefined ? {} : { paymentPreimage }),
  };
}

/** A received HTLC a `received-htlcs` follow-up names. */
export interface ReceivedHtlcRef {
  readonly htlcId: bigint;
  readonly paymentHash: Uint8Array;
}

const KINDS = ['chain', 'reestablish', 'peer-error', 'received-htlcs', 'claim-htlcs', 'fail-htlcs', 'payment-result', 'retry-payment', 'htlc-expiry', 'update-fee', 'funding-spent', 'funds-swept', 'htlc-resolved-on-chain', 'fail-back'] as const;

const htlcRefCodec: Codec<ReceivedHtlcRef> = {
  read: (r) => ({ htlcId: r.u64(), paymentHash: r.bytes(32) }),
  write: (w, h) => void w.u64(h.htlcId).bytes(h.paymentHash),
};
const EVENT_KINDS = ['confirmed', 'unconfirmed', 'best-block'] as const;

const lengthPrefixed: Codec<Uint8Array> = {
  read: (r) => r.bytes(r.u32()),
  write: (w, v) => void w.u32(v.length).bytes(v),
};

/**
 * One event: its kind, then its fields. `best-block`: height. `unconfirmed`:
 * nothing. `confirmed`: height, position, block hash, then either the
 * funding output seen (flag 1; 2 coinbase, 4 the output exists: txid, the
 * output count, then the output's value and script) or the whole
 * transaction (flag 0).
 */
const eventCodec: Codec<ChainEvent> = {
  read: (r) => {
    const code = r.u8();
    const kind = EVENT_KINDS[code];
    if (kind === undefined) throw new DecodeError('invalid-value', `follow-up: unknown chain event ${code}`);
    if (kind === 'best-block') return { kind, height: r.u32() };
    if (kind === 'unconfirmed') return { kind };
    const at = { kind, height: r.u32(), txIndex: r.u32(), blockHash: r.bytes(32) } as const;
    const flags = r.u8();
    if ((flags & 1) === 0) return { ...at, tx: lengthPrefixed.read(r) };
    const txid = r.bytes(32);
    const outputCount = r.u32();
    const output = (flags & 4) !== 0 ? { output: { valueSat: r.u64(), script: lengthPrefixed.read(r) } } : {};
    return { ...at, seen: { txid, coinbase: (flags & 2) !== 0, outputCount, ...output } };
  },
  write: (w, e) => {
    w.u8(EVENT_KINDS.indexOf(e.kind));
    if (e.kind === 'best-block') return void w.u32(e.height);
    if (e.kind === 'unconfirmed') return;
    w.u32(e.height).u32(e.txIndex).bytes(e.blockHash);
    if ('tx' in e) {
      w.u8(0);
      return lengthPrefixed.write(w, e.tx);
    }
    const { seen } = e;
    w.u8(1 | (seen.coinbase ? 2 : 0) | (seen.output !== undefined ? 4 : 0)).bytes(seen.txid).u32(seen.outputCount);
    if (seen.output !== undefined) {
      w.u64(seen.output.valueSat);
      lengthPrefixed.write(w, seen.output.script);
    }
  },
};

const record = versionedRecord('follow-up', 1, {
  kind: tlvRecord(0, u8),
  channelId: tlvRecord(2, fixedBytes(32)),
  events: tlvRecord(4, repeated(eventCodec)),
  data: tlvRecord(6, restBytes),
  htlcs: tlvRecord(8, repeated(htlcRefCodec)),
  paymentPreimage: tlvRecord(10, fixedBytes(32)),
  mppTimeout: tlvRecord(12, u8),
  htlcId: tlvRecord(14, u64),
  paymentHash: tlvRecord(16, fixedBytes(32)),
  malformedCode: tlvRecord(18, u16),
  peers: tlvRecord(20, repeated(fixedBytes(33))),
  height: tlvRecord(22, u32),
  txid: tlvRecord(24, fixedBytes(32)),
  amountSat: tlvRecord(26, u64),
  amountMsat: tlvRecord(28, u64),
  cltvExpiry: tlvRecord(30, u32),
  scids: tlvRecord(32, repeated(u64)),
  reason: tlvRecord(34, restBytes),
  // Odd: a reader from before it ignores it (the channel then closes with `counterparty-force-closed`).
  revoked: tlvRecord(37, u8),
});

export function encodeFollowUp(work: FollowUpWork): Uint8Array {
  return record.encode({
    kind: KINDS.indexOf(work.kind),
    channelId: work.channelId,
    ...(work.kind === 'chain' ? { events: work.events } : {}),
    ...(work.kind === 'peer-error' ? { data: work.data } : {}),
    ...(work.kind === 'received-htlcs' || work.kind === 'claim-htlcs' || work.kind === 'fail-htlcs' ? { htlcs: work.htlcs } : {}),
    ...(work.kind === 'received-htlcs' && work.scids !== undefined && work.scids.length > 0 ? { scids: work.scids } : {}),
    ...(work.kind === 'fail-back' ? { htlcId: work.htlcId, reason: work.reason } : {}),
    ...(work.kind === 'claim-htlcs' ? { paymentPreimage: work.paymentPreimage } : {}),
    ...(work.kind === 'fail-htlcs' ? { mppTimeout: work.mppTimeout ? 1 : 0 } : {}),
    ...(work.kind === 'payment-result'
      ? {
          htlcId: work.htlcId,
          paymentHash: work.paymentHash,
          ...(work.paymentPreimage === undefined ? {} : { paymentPreimage: work.paymentPreimage }),
          ...(work.malformedCode === undefined ? {} : { malformedCode: work.malformedCode }),
        }
      : {}),
    ...(work.kind === 'retry-payment' ? { paymentHash: work.paymentHash, peers: work.peers } : {}),
    ...(work.kind === 'htlc-expiry' ? { height: work.height } : {}),
    ...(work.kind === 'funding-spent' || work.kind === 'funds-swept' ? { txid: work.txid } : {}),
    ...(work.kind === 'funds-swept' ? { amountSat: work.amountSat } : {}),
    ...(work.kind === 'funding-spent' && work.revoked === true ? { revoked: 1 } : {}),
    ...(work.kind === 'htlc-resolved-on-chain'
      ? {
          paymentHash: work.paymentHash,
          amountMsat: work.amountMsat,
          ...(work.cltvExpiry === undefined ? {} : { cltvExpiry: work.cltvExpiry }),
          ...(work.paymentPreimage === undefined ? {} : { paymentPreimage: work.paymentPreimage }),
        }
      : {}),
  });
}

/** Reads a record written by {@link encodeFollowUp}; never throws. */
export function decodeFollowUp(bytes: Uint8Array): DecodeResult<FollowUpWork> {
  const result = record.decode(bytes);
  if (!result.ok) return result;
  const v = result.value;
  const kind = v.kind === undefined ? undefined : KINDS[v.kind];
  if (kind === undefined || v.channelId === undefined) return { ok: false, error: new DecodeError('invalid-value', 'follow-up: unknown kind or no channel id') };
  switch (kind) {
    case 'chain':
      return { ok: true, value: { kind, channelId: v.channelId, events: v.events ?? [] } };
    case 'reestablish':
    case 'update-fee':
      return { ok: true, value: { kind, channelId: v.channelId } };
    case 'peer-error':
      return { ok: true, value: { kind, channelId: v.channelId, data: v.data ?? new Uint8Array(0) } };
    case 'received-htlcs':
      return { ok: true, value: { kind, channelId: v.channelId, htlcs: v.htlcs ?? [], ...(v.scids === undefined ? {} : { scids: v.scids }) } };
    case 'fail-back':
      if (v.htlcId === undefined || v.reason === undefined) return { ok: false, error: new DecodeError('invalid-value', 'follow-up: a fail-back without its HTLC or reason') };
      return { ok: true, value: { kind, channelId: v.channelId, htlcId: v.htlcId, reason: v.reason } };
    case 'claim-htlcs':
      if (v.paymentPreimage === undefined) return { ok: false, error: new DecodeError('invalid-value', 'follow-up: a claim without its preimage') };
      return { ok: true, value: { kind, channelId: v.channelId, htlcs: v.htlcs ?? [], paymentPreimage: v.paymentPreimage } };
    case 'fail-htlcs':
      return { ok: true, value: { kind, channelId: v.channelId, htlcs: v.htlcs ?? [], mppTimeout: v.mppTimeout === 1 } };
    case 'payment-result':
      if (v.htlcId === undefined || v.paymentHash === undefined) return { ok: false, error: new DecodeError('invalid-value', 'follow-up: a payment result without its HTLC') };
      return {
        ok: true,
        value: {
          kind,
          channelId: v.channelId,
          htlcId: v.htlcId,
          paymentHash: v.paymentHash,
          ...(v.paymentPreimage === undefined ? {} : { paymentPreimage: v.paymentPreimage }),
          ...(v.malformedCode === undefined ? {} : { malformedCode: v.malformedCode }),
        },
      };
    case 'htlc-expiry':
      if (v.height === undefined) return { ok: false, error: new DecodeError('invalid-value', 'follow-up: an expiry without its height') };
      return { ok: true, value: { kind, channelId: v.channelId, height: v.height } };
    case 'retry-payment':
      if (v.paymentHash === undefined) return { ok: false, error: new DecodeError('invalid-value', 'follow-up: a retry without its payment') };
      return { ok: true, value: { kind, channelId: v.channelId, paymentHash: v.paymentHash, peers: v.peers ?? [] } };
    case 'funding-spent':
      if (v.txid === undefined) return { ok: false, error: new DecodeError('invalid-value', 'follow-up: a funding spend without its txid') };
      return { ok: true, value: { kind, channelId: v.channelId, txid: v.txid, ...(v.revoked === 1 ? { revoked: true } : {}) } };
    case 'funds-swept':
      if (v.txid === undefined || v.amountSat === undefined) return { ok: false, error: new DecodeError('invalid-value', 'follow-up: a sweep without its txid or amount') };
      return { ok: true, value: { kind, channelId: v.channelId, txid: v.txid, amountSat: v.amountSat } };
    case 'htlc-resolved-on-chain':
      if (v.paymentHash === undefined || v.amountMsat === undefined) return { ok: false, error: new DecodeError('invalid-value', 'follow-up: an on-chain HTLC result without its hash or amount') };
      return {
        ok: true,
        value: {
          kind,
          channelId: v.channelId,
          paymentHash: v.paymentHash,
          amountMsat: v.amountMsat,
          ...(v.cltvExpiry === undefined ? {} : { cltvExpiry: v.cltvExpiry }),
          ...(v.paymentPreimage === undefined ? {} : { paymentPreimage: v.paymentPreimage }),
        },
      };
  }
}
