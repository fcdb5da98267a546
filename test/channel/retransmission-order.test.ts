/**
 * BOLT 2 "Message Retransmission": when both our `commitment_signed` and
 * our `revoke_and_ack` go again after a reconnection, they go in the order
 * we first sent them (LDK's `resend_order`; the channel's
 * `resendCommitmentFirst`, TLV 52 of the channel record).
 */
import { describe, expect, it } from 'vitest';
import { decodeChannel, encodeChannel, ourChannelReestablish, type Channel } from '../../shared/channel/index.js';
import { withResendOrder } from '../../shared/channel/commitment-dance.js';
import { commit, deliverAll, offer, readyPair, type ReadyPair } from '../support/ready-pair.js';
import { recordTlvs } from '../support/record-tlvs.js';

function noFailure(pair: ReadyPair): void {
  expect(pair.alice.failure).toBeUndefined();
  expect(pair.bob.failure).toBeUndefined();
}

/** Both exchange `channel_reestablish` (nothing else in flight): what Alice sends again, by message type. */
function reconnect(pair: ReadyPair): number[] {
  const { alice, bob } = pair;
  alice.outbox.length = 0;
  bob.outbox.length = 0;
  const fromAlice = ourChannelReestablish(alice.node.ctx, alice.channel);
  const fromBob = ourChannelReestablish(bob.node.ctx, bob.channel);
  bob.receive(fromAlice);
  alice.receive(fromBob);
  noFailure(pair);
  return alice.outbox.map((m) => m.type);
}

function roundTrip(channel: Channel): Channel {
  const decoded = decodeChannel(encodeChannel(channel));
  if (!decoded.ok) throw decoded.error;
  return decoded.value;
}

describe('retransmission order of commitment_signed and revoke_and_ack', () => {
  it('crossed commitments: we signed, then revoked for theirs; both lost: commitment_signed goes first, and Bob accepts both', () => {
    const pair = readyPair();
    const { alice, bob } = pair;
    offer(alice, 5_000_000n, 'a');
    commit(alice); // Alice: update_add_htlc, commitment_signed (awaiting Bob's revoke_and_ack).
    offer(bob, 6_000_000n, 'b');
    commit(bob); // Bob, crossing: update_add_htlc, commitment_signed.
    // Bob's messages reach Alice: she revokes (no commitment_signed: she awaits Bob's revocation).
    for (const m of bob.outbox.splice(0)) alice.receive(m);
    noFailure(pair);
    expect(alice.outbox.map((m) => m.type)).toEqual([128, 132, 133]);
    expect(alice.channel.resendCommitmentFirst).toBe(true);
    // Everything Alice sent is lost; she restarts from her stored channel.
    alice.channel = roundTrip(alice.channel) as typeof alice.channel;
    expect(alice.channel.resendCommitmentFirst).toBe(true);
    expect(reconnect(pair)).toEqual([128, 132, 133]);
    deliverAll(pair);
    noFailure(pair);
    // Settled: each side holds both HTLCs, committed.
    for (const side of [alice, bob]) expect(side.channel.htlcs?.map((h) => h.state)).toEqual(['committed', 'committed']);
  });

  it('the other order would fail Bob: revoke_and_ack first acknowledges his update, which Alice’s commitment_signed did not hold', () => {
    const pair = readyPair();
    const { alice, bob } = pair;
    offer(alice, 5_000_000n, 'a');
    commit(alice);
    offer(bob, 6_000_000n, 'b');
    commit(bob);
    for (const m of bob.outbox.splice(0)) alice.receive(m);
    alice.channel = withResendOrder(alice.channel, false);
    expect(reconnect(pair)).toEqual([133, 128, 132]);
    deliverAll(pair);
    expect(bob.failure?.reason).toBe('bad-commitment-signature');
  });

  it('revoked, then signed (our commitment_signed answers theirs at once): revoke_and_ack goes first', () => {
    const pair = readyPair();
    const { alice, bob } = pair;
    offer(bob, 6_000_000n, 'b');
    commit(bob);
    for (const m of bob.outbox.splice(0)) alice.receive(m);
    // Alice revokes and signs Bob's commitment with his HTLC at once.
    expect(alice.outbox.map((m) => m.type)).toEqual([133, 132]);
    expect(alice.channel.resendCommitmentFirst).toBeUndefined();
    expect(reconnect(pair)).toEqual([133, 132]);
    deliverAll(pair);
    noFailure(pair);
    for (const side of [alice, bob]) expect(side.channel.htlcs?.map((h) => h.state)).toEqual(['committed']);
  });

  it('the record: TLV 52 written only for commitment first; an item without it reads as revoke_and_ack first', () => {
    const { alice } = readyPair();
    const first = withResendOrder(alice.channel, true);
    const types = (c: Channel): bigint[] => recordTlvs(encodeChannel(c)).records.map(([t]) => t);
    expect(recordTlvs(encodeChannel(first)).records.find(([t]) => t === 52n)?.[1]).toEqual(Uint8Array.of(1));
    expect(types(alice.channel)).not.toContain(52n);
    expect(roundTrip(first).resendCommitmentFirst).toBe(true);
    expect(roundTrip(alice.channel).resendCommitmentFirst).toBeUndefined();
  });
});
