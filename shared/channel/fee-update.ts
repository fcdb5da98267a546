/**
 * A pending change of the commitment feerate (BOLT 2 "Updating Fees:
 * `update_fee`"), as LDK keeps it (`pending_update_fee` with its
 * `FeeUpdateState`): at most one at a time, moving through the commitment
 * dance like an HTLC update from the same side (docs/htlcs.md "Fee
 * updates"). Once irrevocable it replaces the channel's `feeratePerKw` and
 * is no longer pending.
 */
import { DecodeError, type Codec } from '../codec/index.js';
import type { ChannelBase } from './channel-state.js';

/** Where a pending fee update stands; the same names and rules as the HTLC states of the side that sent it. */
export const FeeUpdateState = {
  /** Theirs, received: in our next commitment only (like a `remote-announced` HTLC). */
  RemoteAnnounced: 'remote-announced',
  /** Theirs, in their `commitment_signed` and we revoked: still in ours only, until we sign theirs. */
  AwaitingRemoteRevokeToAnnounce: 'awaiting-remote-revoke-to-announce',
  /** Theirs, in both commitments; their revocation of the last commitment without it makes it committed. */
  AwaitingAnnouncedRemoteRevoke: 'awaiting-announced-remote-revoke',
  /** Ours (we are the funder), sent: in their next commitment only, committed by their revocation (like a `local-announced` HTLC). */
  LocalAnnounced: 'local-announced',
} as const;
export type FeeUpdateState = (typeof FeeUpdateState)[keyof typeof FeeUpdateState];

/** The feerate an `update_fee` asked for and where it stands. */
export interface PendingFeeUpdate {
  /** Sat per 1000 weight. */
  readonly feeratePerKw: number;
  readonly state: FeeUpdateState;
}

const STATES = Object.values(FeeUpdateState);

/** Persisted form (a TLV value of the channel record): feerate u32, state u8 (its index in {@link FeeUpdateState}). */
export const pendingFeeUpdateCodec: Codec<PendingFeeUpdate> = {
  write(w, p) {
    const state = STATES.indexOf(p.state);
    if (state < 0) throw new TypeError(`fee update: unknown state ${p.state}`);
    w.u32(p.feeratePerKw).u8(state);
  },
  read(r) {
    const feeratePerKw = r.u32();
    const state = STATES[r.u8()];
    if (state === undefined) throw new DecodeError('invalid-value', 'fee update: unknown state');
    return { feeratePerKw, state };
  },
};

/**
 * Whether the pending fee update applies to `owner`'s next commitment:
 * ours holds every update of theirs, theirs every update of ours and the
 * updates of theirs we acknowledged by signing (commitment-state.ts
 * `includedIn`, the same rule for HTLCs).
 */
export function feeUpdateIncludedIn(owner: 'holder' | 'counterparty', p: PendingFeeUpdate): boolean {
  switch (p.state) {
    case FeeUpdateState.RemoteAnnounced:
    case FeeUpdateState.AwaitingRemoteRevokeToAnnounce:
      return owner === 'holder';
    case FeeUpdateState.AwaitingAnnouncedRemoteRevoke:
      return true;
    case FeeUpdateState.LocalAnnounced:
      return owner === 'counterparty';
  }
}

/** The feerate of `owner`'s next commitment: the pending update's when it applies there, else the channel's. */
export function commitmentFeerate(channel: Pick<ChannelBase, 'feeratePerKw' | 'pendingFeeUpdate'>, owner: 'holder' | 'counterparty'): number {
  const p = channel.pendingFeeUpdate;
  return p !== undefined && feeUpdateIncludedIn(owner, p) ? p.feeratePerKw : channel.feeratePerKw;
}

/** The channel with `pending` as its pending fee update (none when undefined). */
export function withPendingFee<C extends ChannelBase>(channel: C, pending: PendingFeeUpdate | undefined): C {
  const { pendingFeeUpdate: _old, ...rest } = channel;
  void _old;
  return (pending === undefined ? rest : { ...rest, pendingFeeUpdate: pending }) as C;
}
