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
import { DecodeError, equalBytes, type Codec } from '../codec/index.js';
import { sha256 } from '../crypto/index.js';

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
/** Compact form only: a fulfill whose preimage does not hash to the payment hash (both kept). */
const RESOLUTION_FULFILL_WITH_HASH = 5;

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

/**
 * One HTLC record, compact (the channel record's TLV 58, docs/items.md
 * "Bytes per HTLC"): a header byte (bit 0 the direction, 1 offered; bits
 * 1-3 the state; bits 4-6 the resolution kind, as in {@link htlcCodec}),
 * the id and the amount as BigSize, the cltv u32, then the payment hash
 * (32), except for a fulfilled HTLC, whose preimage (32) stands for both
 * (the hash is its SHA-256; kind 5, a preimage that is not the hash's, is
 * kept after the hash); a malformed fail adds the onion's SHA-256 and its
 * code u16. 43 bytes for a 10,000 sat HTLC, pending or fulfilled,
 * against {@link HTLC_RECORD_BYTES}.
 */
export const compactHtlcCodec: Codec<HtlcRecord> = {
  write(w, h) {
    const states: readonly string[] = h.direction === 'received' ? INBOUND_STATES : OUTBOUND_STATES;
    const state = states.indexOf(h.state);
    if (state < 0) throw new TypeError(`htlc: state ${h.state} is not a ${h.direction} HTLC state`);
    const r = h.resolution;
    // A preimage that hashes to the payment hash stands for both; any other (never stored by the channel, which checks it) is kept beside the hash.
    const preimageIsHash = r?.kind === 'fulfill' && equalBytes(sha256(need32(r.preimage, 'preimage')), h.paymentHash);
    const kind =
      r === undefined
        ? RESOLUTION_NONE
        : r.kind === 'fulfill'
          ? preimageIsHash ? RESOLUTION_FULFILL : RESOLUTION_FULFILL_WITH_HASH
          : r.kind === 'fail' ? (r.hasReason ? RESOLUTION_FAIL_WITH_REASON : RESOLUTION_FAIL) : RESOLUTION_FAIL_MALFORMED;
    w.u8((h.direction === 'offered' ? 1 : 0) | (state << 1) | (kind << 4)).bigSize(h.id).bigSize(h.amountMsat).u32(h.cltvExpiry);
    if (kind !== RESOLUTION_FULFILL) w.bytes(need32(h.paymentHash, 'payment hash'));
    if (r?.kind === 'fulfill') w.bytes(r.preimage);
    if (r?.kind === 'fail-malformed') w.bytes(need32(r.sha256OfOnion, 'sha256 of onion')).u16(r.failureCode);
  },
  read(r) {
    const header = r.u8();
    if (header >> 7 !== 0) throw new DecodeError('invalid-value', `htlc: unknown header bits ${header}`);
    const direction = header & 1;
    const stateCode = (header >> 1) & 7;
    const kind = header >> 4;
    const id = r.bigSize();
    const amountMsat = r.bigSize();
    const cltvExpiry = r.u32();
    let resolution: HtlcResolution | undefined;
    let paymentHash: Uint8Array;
    switch (kind) {
      case RESOLUTION_NONE:
        paymentHash = r.bytes(32);
        break;
      case RESOLUTION_FULFILL: {
        const preimage = r.bytes(32);
        paymentHash = sha256(preimage);
        resolution = { kind: 'fulfill', preimage };
        break;
      }
      case RESOLUTION_FULFILL_WITH_HASH:
        paymentHash = r.bytes(32);
        resolution = { kind: 'fulfill', preimage: r.bytes(32) };
        break;
      case RESOLUTION_FAIL:
      case RESOLUTION_FAIL_WITH_REASON:
        paymentHash = r.bytes(32);
        resolution = { kind: 'fail', hasReason: kind === RESOLUTION_FAIL_WITH_REASON };
        break;
      case RESOLUTION_FAIL_MALFORMED: {
        paymentHash = r.bytes(32);
        const sha256OfOnion = r.bytes(32);
        resolution = { kind: 'fail-malformed', failureCode: r.u16(), sha256OfOnion };
        break;
      }
      default:
        throw new DecodeError('invalid-value', `htlc: unknown resolution kind ${kind}`);
    }
    const common = { id, amountMsat, paymentHash, cltvExpiry, ...(resolution === undefined ? {} : { resolution }) };
    if (direction === 0) {
      const state = INBOUND_STATES[stateCode];
      if (state === undefined) throw new DecodeError('invalid-value', `htlc: unknown inbound state ${stateCode}`);
      return { ...common, direction: 'received', state };
    }
    const state = OUTBOUND_STATES[stateCode];
    if (state === undefined) throw new DecodeError('invalid-value', `htlc: unknown outbound state ${stateCode}`);
    return { ...common, direction: 'offered', state };
  },
};

/** Every HTLC of a channel in the compact form ({@link compactHtlcCodec}), back to back (a TLV value: read to its end). */
export const compactHtlcListCodec: Codec<readonly HtlcRecord[]> = {
  write(w, list) {
    for (const h of list) compactHtlcCodec.write(w, h);
  },
  read(r) {
    const out: HtlcRecord[] = [];
    while (!r.isAtEnd()) out.push(compactHtlcCodec.read(r));
    return out;
  },
};
