/**
 * The compact HTLC record kept inside the channel record (docs/items.md):
 * what the channel state machine needs of every HTLC in flight, in a fixed
 * number of bytes, so a channel with 483 HTLCs each way stays one small
 * item. The bulky parts live in side items (shared/store/channel-writes.ts):
 * a received HTLC's onion and a failure reason (`ONION#…`), the
 * counterparty's HTLC signatures (`HTLCSIGS#…`, one item per commitment).
 *
 * States follow LDK's `InboundHTLCState` / `OutboundHTLCState`
 * (lightning/src/ln/channel.rs): each direction has its own enum, and the
 * record keeps one state code whose meaning depends on the direction.
 */
import { DecodeError, type Codec } from '../codec/index.js';

/** BOLT 2: at most 483 HTLCs offered by each side. */
export const MAX_HTLCS_PER_DIRECTION = 483;

export type HtlcDirection = 'offered' | 'received';

/** LDK's `InboundHTLCState`: an HTLC the counterparty offered us (`update_add_htlc` received). */
export const InboundHtlcState = {
  /** Added by them, not yet in a commitment we signed. */
  RemoteAnnounced: 'remote-announced',
  /** In their `commitment_signed`; we revoked, and wait for their revocation to add it to theirs. */
  AwaitingRemoteRevokeToAnnounce: 'awaiting-remote-revoke-to-announce',
  /** In both commitments; their revocation of the commitment without it is awaited. */
  AwaitingAnnouncedRemoteRevoke: 'awaiting-announced-remote-revoke',
  /** Irrevocably committed on both sides. */
  Committed: 'committed',
  /** We sent its removal (fulfill or fail), until both sides revoked the commitments with it. */
  LocalRemoved: 'local-removed',
  /**
   * We removed it (its `resolution` set) while awaiting their
   * `revoke_and_ack` (LDK's holding cell): not sent yet, still in both
   * commitments; the removal goes out with the `commitment_signed` that
   * follows their revocation.
   */
  RemovalHeld: 'removal-held',
} as const;
export type InboundHtlcState = (typeof InboundHtlcState)[keyof typeof InboundHtlcState];

/** LDK's `OutboundHTLCState`: an HTLC we offered (`update_add_htlc` sent). */
export const OutboundHtlcState = {
  /** Sent by us, not yet irrevocably committed. */
  LocalAnnounced: 'local-announced',
  /** Irrevocably committed on both sides. */
  Committed: 'committed',
  /** They sent its removal; not yet in a commitment_signed of theirs we accepted. */
  RemoteRemoved: 'remote-removed',
  /** The removal is in a commitment; we wait for their revocation to remove it from ours. */
  AwaitingRemoteRevokeToRemove: 'awaiting-remote-revoke-to-remove',
  /** Removed from both commitments; their revocation of the last one with it is awaited. */
  AwaitingRemovedRemoteRevoke: 'awaiting-removed-remote-revoke',
  /**
   * Offered while we awaited their `revoke_and_ack` (LDK's holding cell):
   * not sent yet, in no commitment; its `update_add_htlc` goes out with
   * the `commitment_signed` that follows their revocation.
   */
  Held: 'held',
} as const;
export type OutboundHtlcState = (typeof OutboundHtlcState)[keyof typeof OutboundHtlcState];

/**
 * How a removed HTLC was resolved. A `fail` keeps only whether a reason
 * exists: the encrypted reason (variable, up to ~1 KB) lives in a side item,
 * like the onion. A `fail-malformed` keeps its BOLT 4 code and the SHA-256 of
 * the onion it could not parse (fixed sizes).
 */
export type HtlcResolution =
  | { readonly kind: 'fulfill'; readonly preimage: Uint8Array }
  | { readonly kind: 'fail'; readonly hasReason: boolean }
  | { readonly kind: 'fail-malformed'; readonly failureCode: number; readonly sha256OfOnion: Uint8Array };

interface HtlcCommon {
  /** The HTLC's id (BOLT 2 `id`, per direction). */
  readonly id: bigint;
  readonly amountMsat: bigint;
  readonly paymentHash: Uint8Array;
  readonly cltvExpiry: number;
  /** Set once a removal was sent or received. */
  readonly resolution?: HtlcResolution;
}

/** One HTLC of a channel, as kept in the channel record. */
export type HtlcRecord =
  | (HtlcCommon & { readonly direction: 'received'; readonly state: InboundHtlcState })
  | (HtlcCommon & { readonly direction: 'offered'; readonly state: OutboundHtlcState });

const INBOUND_STATES = Object.values(InboundHtlcState);
const OUTBOUND_STATES = Object.values(OutboundHtlcState);

const RESOLUTION_NONE = 0;
const RESOLUTION_FULFILL = 1;
const RESOLUTION_FAIL = 2;
const RESOLUTION_FAIL_WITH_REASON = 3;
const RESOLUTION_FAIL_MALFORMED = 4;

/**
 * The encoded size of one record: id u64, direction u8 (0 received, 1
 * offered), state u8, amount u64, payment hash 32, cltv u32, resolution kind
 * u8, resolution bytes 32 (preimage, sha256 of the onion, or zeros), failure
 * code u16.
 */
export const HTLC_RECORD_BYTES = 8 + 1 + 1 + 8 + 32 + 4 + 1 + 32 + 2;

const ZERO32 = new Uint8Array(32);

function need32(bytes: Uint8Array, what: string): Uint8Array {
  if (bytes.length !== 32) throw new TypeError(`htlc: ${what} must be 32 bytes`);
  return bytes;
}

/** One HTLC record, fixed size ({@link HTLC_RECORD_BYTES}). */
export const htlcCodec: Codec<HtlcRecord> = {
  write(w, h) {
    const states: readonly string[] = h.direction === 'received' ? INBOUND_STATES : OUTBOUND_STATES;
    const state = states.indexOf(h.state);
    if (state < 0) throw new TypeError(`htlc: state ${h.state} is not a ${h.direction} HTLC state`);
    w.u64(h.id).u8(h.direction === 'received' ? 0 : 1).u8(state).u64(h.amountMsat).bytes(need32(h.paymentHash, 'payment hash')).u32(h.cltvExpiry);
    const r = h.resolution;
    if (r === undefined) w.u8(RESOLUTION_NONE).bytes(ZERO32).u16(0);
    else if (r.kind === 'fulfill') w.u8(RESOLUTION_FULFILL).bytes(need32(r.preimage, 'preimage')).u16(0);
    else if (r.kind === 'fail') w.u8(r.hasReason ? RESOLUTION_FAIL_WITH_REASON : RESOLUTION_FAIL).bytes(ZERO32).u16(0);
    else w.u8(RESOLUTION_FAIL_MALFORMED).bytes(need32(r.sha256OfOnion, 'sha256 of onion')).u16(r.failureCode);
  },
  read(r) {
    const id = r.u64();
    const direction = r.u8();
    const stateCode = r.u8();
    const amountMsat = r.u64();
    const paymentHash = r.bytes(32);
    const cltvExpiry = r.u32();
    const kind = r.u8();
    // The 32 resolution bytes are copied only when the resolution holds them (zeros otherwise).
    const payload = kind === RESOLUTION_FULFILL || kind === RESOLUTION_FAIL_MALFORMED ? r.bytes(32) : r.skip(32);
    const code = r.u16();
    let resolution: HtlcResolution | undefined;
    switch (kind) {
      case RESOLUTION_NONE:
        break;
      case RESOLUTION_FULFILL:
        resolution = { kind: 'fulfill', preimage: payload! };
        break;
      case RESOLUTION_FAIL:
      case RESOLUTION_FAIL_WITH_REASON:
        resolution = { kind: 'fail', hasReason: kind === RESOLUTION_FAIL_WITH_REASON };
        break;
      case RESOLUTION_FAIL_MALFORMED:
        resolution = { kind: 'fail-malformed', failureCode: code, sha256OfOnion: payload! };
        break;
      default:
        throw new DecodeError('invalid-value', `htlc: unknown resolution kind ${kind}`);
    }
    const states: readonly string[] | undefined = direction === 0 ? INBOUND_STATES : direction === 1 ? OUTBOUND_STATES : undefined;
    if (states === undefined) throw new DecodeError('invalid-value', `htlc: unknown direction ${direction}`);
    const state = states[stateCode];
    if (state === undefined) throw new DecodeError('invalid-value', `htlc: unknown ${direction === 0 ? 'inbound' : 'outbound'} state ${stateCode}`);
    // One literal per shape (no spreads): the same fields in the same order as before.
    const record =
      resolution === undefined
        ? { id, amountMsat, paymentHash, cltvExpiry, direction: direction === 0 ? 'received' : 'offered', state }
        : { id, amountMsat, paymentHash, cltvExpiry, resolution, direction: direction === 0 ? 'received' : 'offered', state };
    return record as HtlcRecord;
  },
};

/** Every HTLC of a channel, back to back (a TLV value: read to its end). */
export const htlcListCodec: Codec<readonly HtlcRecord[]> = {
  write(w, list) {
    for (const h of list) htlcCodec.write(w, h);
  },
  read(r) {
    const out: HtlcRecord[] = [];
    while (!r.isAtEnd()) out.push(htlcCodec.read(r));
    return out;
  },
};
