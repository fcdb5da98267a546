/**
 * The commitment dance of a ready channel (BOLT 2 "Normal Operation":
 * "Committing Updates So Far: `commitment_signed`", "Completing the
 * Transition to the Updated State: `revoke_and_ack`"), with the HTLC state
 * transitions of LDK's `InboundHTLCState` / `OutboundHTLCState`
 * (docs/htlcs.md). Each step says what the monitor must make durable
 * (`monitor-update`) before the messages after it leave.
 */
import { equalConstantTime } from '../crypto/index.js';
import { INITIAL_COMMITMENT_INDEX, CounterpartyCommitmentSecrets, perCommitmentPoint } from '../keys/index.js';
import { buildHtlcTransactions, verifyRemoteHtlcSignature, witnessDigest } from '../tx/index.js';
import type { CommitmentSignedMessage, RevokeAndAckMessage, WireMessage } from '../wire/index.js';
import { closeChannel } from './channel-close.js';
import type { ChannelContext } from './channel-context.js';
import { isOperating, type Channel, type OperatingChannel } from './channel-state.js';
import {
  buildCommitment,
  commitmentStateOf,
  commitmentView,
  mainOutputsSat,
  monitorHtlcsOf,
  type CommitmentState,
} from './commitment-state.js';
import type { ChannelEffect, ChannelStep } from './effects.js';
import { ApiErrorCode, ChannelFailureReason, type ApiResult } from './errors.js';
import { FeeUpdateState, withPendingFee, type PendingFeeUpdate } from './fee-update.js';
import { InboundHtlcState, OutboundHtlcState, type HtlcRecord } from './htlc.js';
import { removalMessage, withHtlcs } from './htlc-updates.js';
import { signCommitmentWith, verifyCounterpartySignature } from './initial-commitment.js';

/**
 * Whether the counterparty's commitment lacks changes we must sign: our
 * updates not yet signed (while we do not await their revocation, every
 * `local-announced` and `local-removed` one is unsigned: our updates wait
 * during that time) and their updates we acknowledged; a fee update
 * counts like an HTLC update of the same side.
 */
export function needsCommitment(channel: OperatingChannel): boolean {
  const fee = channel.pendingFeeUpdate?.state;
  if (fee === FeeUpdateState.AwaitingRemoteRevokeToAnnounce || fee === FeeUpdateState.LocalAnnounced) return true;
  return (channel.htlcs ?? []).some((h) =>
    h.direction === 'received'
      ? h.state === InboundHtlcState.AwaitingRemoteRevokeToAnnounce || h.state === InboundHtlcState.LocalRemoved
      : h.state === OutboundHtlcState.AwaitingRemoteRevokeToRemove || h.state === OutboundHtlcState.LocalAnnounced,
  );
}

/**
 * Signs the counterparty's next commitment: acknowledged updates of theirs
 * move on (`awaiting-remote-revoke-to-announce` -> `awaiting-announced-remote-revoke`,
 * `awaiting-remote-revoke-to-remove` -> `awaiting-removed-remote-revoke`, and
 * their fee update likewise), the commitment is built with every HTLC it
 * holds at its feerate, signed, with one HTLC
 * signature per untrimmed HTLC output in output order (BIP 69 + CLTV);
 * the monitor gets the commitment (`latest-counterparty-commitment`)
 * before `commitment_signed` leaves.
 */
/** The channel with (or without) the counterparty's owed `commitment_signed` marked (channel-state.ts `expectingCommitmentSigned`). */
export function withExpectingCommitment<C extends OperatingChannel>(channel: C, expecting: boolean): C {
  const { expectingCommitmentSigned: _old, ...rest } = channel;
  void _old;
  return (expecting ? { ...rest, expectingCommitmentSigned: true } : rest) as C;
}

/** The channel with its retransmission order: `commitmentFirst` when our `revoke_and_ack` was sent after our `commitment_signed`. */
export function withResendOrder<C extends OperatingChannel>(channel: C, commitmentFirst: boolean): C {
  const { resendCommitmentFirst: _old, ...rest } = channel;
  void _old;
  return (commitmentFirst ? { ...rest, resendCommitmentFirst: true } : rest) as C;
}

function signCounterpartyCommitment(ctx: ChannelContext, channel: OperatingChannel, state: CommitmentState): { channel: OperatingChannel; effects: ChannelEffect[] } {
  const htlcs = (channel.htlcs ?? []).map((h): HtlcRecord => {
    if (h.direction === 'received' && h.state === InboundHtlcState.AwaitingRemoteRevokeToAnnounce) return { ...h, state: InboundHtlcState.AwaitingAnnouncedRemoteRevoke };
    if (h.direction === 'offered' && h.state === OutboundHtlcState.AwaitingRemoteRevokeToRemove) return { ...h, state: OutboundHtlcState.AwaitingRemovedRemoteRevoke };
    return h;
  });
  const fee = channel.pendingFeeUpdate;
  const advanced = fee?.state === FeeUpdateState.AwaitingRemoteRevokeToAnnounce ? withPendingFee(channel, { ...fee, state: FeeUpdateState.AwaitingAnnouncedRemoteRevoke }) : channel;
  const signer = ctx.signerProvider.deriveChannelSigner(channel.fundingSatoshis, channel.channelKeysId);
  const number = state.counterpartyCommitmentNumber + 1n;
  const view = commitmentView(advanced, state, 'counterparty', htlcs);
  const built = buildCommitment(ctx, advanced, signer, 'counterparty', number, view, state.counterpartyNextPoint);
  const signature = signCommitmentWith(signer, built.commitment);
  const htlcSignatures = buildHtlcTransactions(built.commitment).map((htlcTx) =>
    signer.signWithHtlcKey(witnessDigest(htlcTx.tx, 0, htlcTx.witnessScript, htlcTx.amountSat, htlcTx.remoteSighashType), built.perCommitmentPoint),
  );
  const { toLocalSat, toRemoteSat } = mainOutputsSat(built.commitment);
  const next: CommitmentState = { ...state, counterpartyCommitmentNumber: number, awaitingRemoteRevoke: true };
  const message: CommitmentSignedMessage = { type: 132, channelId: channel.funding.channelId, signature, htlcSignatures };
  return {
    // Our commitment_signed is now the last of the two we sent (LDK: `RevokeAndACKFirst`).
    channel: withResendOrder(withHtlcs(advanced, htlcs, next), false),
    effects: [
      {
        kind: 'monitor-update',
        steps: [
          {
            kind: 'latest-counterparty-commitment',
            commitmentNumber: number,
            commitmentTxid: built.commitment.tx.getHash(),
            perCommitmentPoint: built.perCommitmentPoint,
            htlcs: monitorHtlcsOf(built),
            feeratePerKw: view.feeratePerKw,
            toBroadcasterValueSat: toLocalSat,
            toCountersignatoryValueSat: toRemoteSat,
          },
        ],
      },
      { kind: 'send-message', message },
    ],
  };
}

/**
 * Sends `commitment_signed` for our pending updates (the user's or the
 * manager's call after `offerHtlc`, `fulfillHtlc`, ...). Refused while we
 * await their `revoke_and_ack`, or with nothing to sign (BOLT 2: MUST NOT
 * send a `commitment_signed` that includes no updates).
 */
export function sendCommitmentSigned(ctx: ChannelContext, channel: Channel): ApiResult<{ channel: OperatingChannel; effects: readonly ChannelEffect[] }> {
  if (!isOperating(channel)) return { ok: false, error: { code: ApiErrorCode.ChannelUnavailable, message: `the channel is ${channel.state}, not ready or closing` } };
  const state = commitmentStateOf(channel);
  if (state.awaitingRemoteRevoke) return { ok: false, error: { code: ApiErrorCode.ChannelUnavailable, message: 'waiting for the peer\'s revoke_and_ack' } };
  if (!needsCommitment(channel)) return { ok: false, error: { code: ApiErrorCode.ChannelUnavailable, message: 'no update to commit' } };
  return { ok: true, value: signCounterpartyCommitment(ctx, channel, state) };
}

/**
 * Their `commitment_signed`: our next commitment (their updates and our
 * acknowledged ones) must carry their valid signature, and exactly one
 * valid HTLC signature per untrimmed HTLC output, else the channel fails.
 * Then `remote-announced` -> `awaiting-remote-revoke-to-announce`,
 * `remote-removed` -> `awaiting-remote-revoke-to-remove` (their fee update
 * likewise: it was in this commitment); the monitor gets
 * the new holder commitment; we revoke the previous one (`revoke_and_ack`:
 * its secret and the point after the new one) and, when their commitment
 * lacks changes and we may sign, send our `commitment_signed` too.
 */
export function handleCommitmentSigned(ctx: ChannelContext, current: Channel, m: CommitmentSignedMessage): ChannelStep {
  const channel = current as OperatingChannel;
  const state = commitmentStateOf(channel);
  const signer = ctx.signerProvider.deriveChannelSigner(channel.fundingSatoshis, channel.channelKeysId);
  const number = state.holderCommitmentNumber + 1n;
  const built = buildCommitment(ctx, channel, signer, 'holder', number, commitmentView(channel, state, 'holder'));
  if (!verifyCounterpartySignature(ctx.secp, channel, built.commitment, m.signature)) {
    return closeChannel(channel, ChannelFailureReason.BadCommitmentSignature, `commitment_signed: bad signature on our commitment ${number}`);
  }
  const htlcTxs = buildHtlcTransactions(built.commitment);
  if (m.htlcSignatures.length !== htlcTxs.length) {
    return closeChannel(channel, ChannelFailureReason.BadHtlcSignature, `commitment_signed: ${m.htlcSignatures.length} HTLC signatures for ${htlcTxs.length} HTLC outputs`);
  }
  // Read (so derived: commitmentKeys) only for a commitment with HTLC outputs.
  const keys = built.commitment.params.keys;
  const bad = htlcTxs.findIndex((htlcTx, i) => !verifyRemoteHtlcSignature(ctx.secp, htlcTx, m.htlcSignatures[i]!, keys.remoteHtlcPubkey));
  if (bad >= 0) return closeChannel(channel, ChannelFailureReason.BadHtlcSignature, `commitment_signed: bad signature on HTLC output ${htlcTxs[bad]!.commitmentOutputIndex}`);

  const htlcs = (channel.htlcs ?? []).map((h): HtlcRecord => {
    if (h.direction === 'received' && h.state === InboundHtlcState.RemoteAnnounced) return { ...h, state: InboundHtlcState.AwaitingRemoteRevokeToAnnounce };
    if (h.direction === 'offered' && h.state === OutboundHtlcState.RemoteRemoved) return { ...h, state: OutboundHtlcState.AwaitingRemoteRevokeToRemove };
    return h;
  });
  const revokedIndex = INITIAL_COMMITMENT_INDEX - state.holderCommitmentNumber;
  const revoke: RevokeAndAckMessage = {
    type: 133,
    channelId: channel.funding.channelId,
    perCommitmentSecret: signer.releaseCommitmentSecret(revokedIndex),
    nextPerCommitmentPoint: signer.perCommitmentPoint(revokedIndex - 2n),
  };
  const next: CommitmentState = { ...state, holderCommitmentNumber: number };
  const fee = channel.pendingFeeUpdate;
  const feeSigned = fee?.state === FeeUpdateState.RemoteAnnounced ? withPendingFee(channel, { ...fee, state: FeeUpdateState.AwaitingRemoteRevokeToAnnounce }) : channel;
  // Our revoke_and_ack is now the last of the two we sent (LDK: `CommitmentFirst`), unless a commitment_signed follows.
  // Stored without the witness (latest-holder-commitment.ts), replacing the signed form older records held.
  const { latestHolderCommitmentTx: _signedBefore, ...advanced } = withExpectingCommitment(withHtlcs(feeSigned, htlcs, next), false);
  const latestHolderCommitment = { unsignedTx: new Uint8Array(built.commitment.tx.toBuffer()), counterpartySignature: m.signature };
  const revoked: OperatingChannel = withResendOrder({ ...advanced, latestHolderCommitment }, true);
  const effects: ChannelEffect[] = [
    // By its txid: our signature is made only if this commitment is ever broadcast (holderCommitmentTransaction), not at every commitment_signed.
    { kind: 'monitor-update', steps: [{ kind: 'latest-holder-commitment-summary', commitmentNumber: number, commitmentTxid: new Uint8Array(built.commitment.tx.getHash()), htlcSignatures: m.htlcSignatures, htlcs: monitorHtlcsOf(built) }] },
    { kind: 'send-message', message: revoke },
  ];
  if (next.awaitingRemoteRevoke || !needsCommitment(revoked)) return { channel: revoked, effects };
  const signed = signCounterpartyCommitment(ctx, revoked, next);
  return { channel: signed.channel, effects: [...effects, ...signed.effects] };
}

/**
 * Their `revoke_and_ack`: only while we await it; the secret must be the
 * one of the commitment it revokes (its point is the one they gave) and
 * consistent with every secret they released before (BOLT 3 storage), and
 * their next point a valid point, else the channel fails. The monitor stores the secret. Then
 * `local-removed` and `awaiting-removed-remote-revoke` HTLCs leave (their
 * amounts settle), `awaiting-announced-remote-revoke` and `local-announced`
 * ones are committed, and so is a fee update in both commitments (theirs)
 * or in theirs (ours): it becomes the channel's `feeratePerKw`; their next
 * point is kept, and pending changes (their
 * updates we acknowledged meanwhile) are signed at once.
 */
export function handleRevokeAndAck(ctx: ChannelContext, current: Channel, m: RevokeAndAckMessage, kept: KeptUpdates = NO_KEPT_UPDATES): ChannelStep {
  const channel = current as OperatingChannel;
  const state = commitmentStateOf(channel);
  if (!state.awaitingRemoteRevoke) return closeChannel(channel, ChannelFailureReason.UnexpectedRevocation, 'revoke_and_ack without a commitment_signed of ours awaiting it');
  const revokedNumber = state.counterpartyCommitmentNumber - 1n;
  const index = INITIAL_COMMITMENT_INDEX - revokedNumber;
  let point: Uint8Array | null;
  try {
    point = perCommitmentPoint(ctx.secp, m.perCommitmentSecret);
  } catch {
    point = null;
  }
  if (point === null || !equalConstantTime(point, state.counterpartyCurrentPoint)) {
    return closeChannel(channel, ChannelFailureReason.InvalidRevocation, `revoke_and_ack: the secret is not the one of commitment ${revokedNumber}`);
  }
  if (!ctx.secp.isValidPublicKey(m.nextPerCommitmentPoint)) {
    return closeChannel(channel, ChannelFailureReason.InvalidPoint, 'revoke_and_ack: next_per_commitment_point is not a valid secp256k1 point');
  }
  const loaded = CounterpartyCommitmentSecrets.deserialize(state.counterpartySecrets);
  if (!loaded.ok) throw new Error(`channel record: unreadable counterparty secrets (${loaded.error})`);
  const store = loaded.value;
  const provided = store.provide(index, m.perCommitmentSecret);
  if (!provided.ok) {
    return closeChannel(channel, ChannelFailureReason.InconsistentCommitmentSecret, `revoke_and_ack: secret of commitment ${revokedNumber} refused by the secret store (${provided.error})`);
  }
  let holderBalanceMsat = state.holderBalanceMsat;
  // Our updates this revocation acknowledges reach our own commitment only with their next commitment_signed.
  let owesCommitment = channel.pendingFeeUpdate?.state === FeeUpdateState.LocalAnnounced;
  const htlcs: HtlcRecord[] = [];
  for (const h of channel.htlcs ?? []) {
    if (h.direction === 'received') {
      if (h.state === InboundHtlcState.LocalRemoved) {
        if (h.resolution?.kind === 'fulfill') holderBalanceMsat += h.amountMsat;
        owesCommitment = true;
        continue;
      }
      htlcs.push(h.state === InboundHtlcState.AwaitingAnnouncedRemoteRevoke ? { ...h, state: InboundHtlcState.Committed } : h);
    } else {
      if (h.state === OutboundHtlcState.AwaitingRemovedRemoteRevoke) {
        if (h.resolution?.kind !== 'fulfill') holderBalanceMsat += h.amountMsat;
        continue;
      }
      if (h.state === OutboundHtlcState.LocalAnnounced) owesCommitment = true;
      htlcs.push(h.state === OutboundHtlcState.LocalAnnounced ? { ...h, state: OutboundHtlcState.Committed } : h);
    }
  }
  const next: CommitmentState = {
    ...state,
    awaitingRemoteRevoke: false,
    counterpartyCurrentPoint: state.counterpartyNextPoint,
    counterpartyNextPoint: m.nextPerCommitmentPoint,
    holderBalanceMsat,
    counterpartySecrets: store.serialize(),
  };
  const effects: ChannelEffect[] = [{ kind: 'monitor-update', steps: [{ kind: 'commitment-secret', index, secret: m.perCommitmentSecret }] }];
  // The holding cell: our updates made while we awaited this revocation go out now, then one commitment_signed for all.
  const released = htlcs.map((h): HtlcRecord => {
    if (h.direction === 'offered' && h.state === OutboundHtlcState.Held) {
      const onion = kept.onions.get(h.id);
      if (onion === undefined) throw new Error(`held HTLC ${h.id}: its onion was not passed`);
      effects.push({ kind: 'send-message', message: { type: 128, channelId: channel.funding.channelId, id: h.id, amountMsat: h.amountMsat, paymentHash: h.paymentHash, cltvExpiry: h.cltvExpiry, onionRoutingPacket: onion } });
      return { ...h, state: OutboundHtlcState.LocalAnnounced };
    }
    if (h.direction === 'received' && h.state === InboundHtlcState.RemovalHeld) {
      const message = removalMessage(channel.funding.channelId, h, kept.failureReasons.get(h.id));
      if (message === undefined) throw new Error(`held removal of HTLC ${h.id}: its failure reason was not passed`);
      effects.push({ kind: 'send-message', message });
      return { ...h, state: InboundHtlcState.LocalRemoved };
    }
    return h;
  });
  const revoked = withHtlcs(withExpectingCommitment(commitFeeUpdate(channel), owesCommitment || channel.expectingCommitmentSigned === true), released, next);
  if (!needsCommitment(revoked)) return { channel: revoked, effects };
  const signed = signCounterpartyCommitment(ctx, revoked, next);
  return { channel: signed.channel, effects: [...effects, ...signed.effects] };
}

/** The channel with its fee update committed when their revocation made it irrevocable (in both commitments, or ours in theirs). */
function commitFeeUpdate(channel: OperatingChannel): OperatingChannel {
  const fee: PendingFeeUpdate | undefined = channel.pendingFeeUpdate;
  if (fee === undefined || (fee.state !== FeeUpdateState.AwaitingAnnouncedRemoteRevoke && fee.state !== FeeUpdateState.LocalAnnounced)) return channel;
  return { ...withPendingFee(channel, undefined), feeratePerKw: fee.feeratePerKw };
}

/** What a retransmission needs that the channel record does not hold: our offered HTLCs' onions and our failures' reasons, by HTLC id. */
export interface KeptUpdates {
  readonly onions: ReadonlyMap<bigint, Uint8Array>;
  readonly failureReasons: ReadonlyMap<bigint, Uint8Array>;
}

export const NO_KEPT_UPDATES: KeptUpdates = { onions: new Map(), failureReasons: new Map() };

/**
 * Our `commitment_signed` for the counterparty's commitment `number` again
 * (BOLT 2 "Message Retransmission": the peer did not receive it), after the
 * removals it carried, which the peer lost with it. The commitment is
 * rebuilt from the state right after we signed it (nothing of theirs can
 * join it until they revoke), so its signatures are the same. The onions of
 * our `update_add_htlc`s and the reasons of our `update_fail_htlc`s are not
 * in the channel record: the caller passes them (`kept`); refused when one
 * is missing.
 */
export function resendCommitmentSigned(ctx: ChannelContext, channel: OperatingChannel, number: bigint, kept: KeptUpdates = NO_KEPT_UPDATES): { messages: WireMessage[] } | { failure: string } {
  const state = commitmentStateOf(channel);
  const messages: WireMessage[] = [];
  const channelId = channel.funding.channelId;
  for (const h of [...(channel.htlcs ?? [])].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (h.direction === 'offered' && h.state === OutboundHtlcState.LocalAnnounced) {
      const onion = kept.onions.get(h.id);
      if (onion === undefined) return { failure: `our update_add_htlc ${h.id} was lost with the connection and its onion is not kept` };
      messages.push({ type: 128, channelId, id: h.id, amountMsat: h.amountMsat, paymentHash: h.paymentHash, cltvExpiry: h.cltvExpiry, onionRoutingPacket: onion });
      continue;
    }
    if (h.direction !== 'received' || h.state !== InboundHtlcState.LocalRemoved) continue;
    const message = removalMessage(channelId, h, kept.failureReasons.get(h.id));
    if (message === undefined) return { failure: `our update_fail_htlc ${h.id} was lost with the connection and its reason is not kept` };
    messages.push(message);
  }
  const fee = channel.pendingFeeUpdate;
  if (fee?.state === FeeUpdateState.LocalAnnounced) messages.push({ type: 134, channelId, feeratePerKw: fee.feeratePerKw });
  const signer = ctx.signerProvider.deriveChannelSigner(channel.fundingSatoshis, channel.channelKeysId);
  const built = buildCommitment(ctx, channel, signer, 'counterparty', number, commitmentView(channel, state, 'counterparty'), state.counterpartyNextPoint);
  const signature = signCommitmentWith(signer, built.commitment);
  const htlcSignatures = buildHtlcTransactions(built.commitment).map((htlcTx) =>
    signer.signWithHtlcKey(witnessDigest(htlcTx.tx, 0, htlcTx.witnessScript, htlcTx.amountSat, htlcTx.remoteSighashType), built.perCommitmentPoint),
  );
  messages.push({ type: 132, channelId, signature, htlcSignatures });
  return { messages };
}
