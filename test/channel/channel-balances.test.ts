/**
 * A channel's balances and HTLC limits (shared/channel/channel-balances.ts,
 * docs/balances.md), on channels of our own two machines brought to ready
 * and driven through the commitment dance: the exact arithmetic of LDK
 * 0.1's `get_available_balances` for funder and fundee, both channel types,
 * with HTLCs in flight, at the reserve and dust boundaries; each side's
 * inbound limit mirrors the other's outbound one; and our own `offerHtlc`
 * takes an HTLC of exactly the limit.
 */
import { describe, expect, it } from 'vitest';
import { channelBalancesOf, failHtlc, fulfillHtlc, type ChannelBalances } from '../../shared/channel/index.js';
import { sha256 } from '../../shared/crypto/index.js';
import { commit, deliverAll, offer, preimage, readyPair, type ReadyPair, type Side } from '../support/ready-pair.js';
import { readyPair as readyChannels } from '../support/ready-channels.js';

const FUNDING_SAT = 10_000_000n;
/** 1% of the channel: the reserve each side requires of the other (our default). */
const RESERVE_MSAT = 100_000_000n;

function balances(side: Side): ChannelBalances {
  return channelBalancesOf(side.channel);
}

/** Runs the dance until both sides are at rest, with no failure. */
function settle(pair: ReadyPair): void {
  deliverAll(pair);
  expect(pair.alice.failure).toBeUndefined();
  expect(pair.bob.failure).toBeUndefined();
}

/** `side` offers `amountMsat`, signs, and the dance completes. */
function pay(pair: ReadyPair, side: Side, amountMsat: bigint, label: string): void {
  offer(side, amountMsat, label);
  commit(side);
  settle(pair);
}

/** Each side's inbound limit is the other's outbound one (the same rules, mirrored), at rest. */
function expectMirrored(pair: ReadyPair): void {
  expect(balances(pair.alice).nextInboundHtlcLimitMsat).toBe(balances(pair.bob).nextOutboundHtlcLimitMsat);
  expect(balances(pair.bob).nextInboundHtlcLimitMsat).toBe(balances(pair.alice).nextOutboundHtlcLimitMsat);
  expect(balances(pair.alice).localBalanceMsat).toBe(balances(pair.bob).remoteBalanceMsat);
  expect(balances(pair.bob).localBalanceMsat).toBe(balances(pair.alice).remoteBalanceMsat);
}

describe('balances and limits at rest (Alice funds 10M sat, pushes Bob 4M sat, 253 sat/kw)', () => {
  it('static_remotekey: the funder pays the fee and keeps twice the fee of two more HTLC outputs; the fundee only its reserve', () => {
    const pair = readyPair();
    const a = balances(pair.alice);
    // Commitment fee with no HTLC: 253 * 724 / 1000 = 183 sat, taken from the funder's output.
    expect(a.localBalanceMsat).toBe(6_000_000_000n - 183_000n);
    expect(a.remoteBalanceMsat).toBe(4_000_000_000n);
    expect(a.pendingHtlcs).toEqual([]);
    // Balance less reserve less 2 x fee(2 HTLCs) = 2 x (253 * (724 + 2 * 172) / 1000 = 270 sat).
    expect(a.nextOutboundHtlcLimitMsat).toBe(6_000_000_000n - RESERVE_MSAT - 540_000n);
    expect(a.nextOutboundHtlcMinimumMsat).toBe(pair.bob.channel.holder.htlcMinimumMsat);
    // Bob does not pay the fee: his balance less his reserve.
    expect(a.nextInboundHtlcLimitMsat).toBe(4_000_000_000n - RESERVE_MSAT);
    expectMirrored(pair);
  });

  it('anchors: the fee of two more outputs, not doubled, and both anchors (660 sat) come out of the funder', () => {
    const pair = readyPair({ anchors: true });
    const a = balances(pair.alice);
    // 253 * 1124 / 1000 = 284 sat of fee, plus 2 x 330 sat anchors.
    expect(a.localBalanceMsat).toBe(6_000_000_000n - 284_000n - 660_000n);
    expect(a.remoteBalanceMsat).toBe(4_000_000_000n);
    // 253 * (1124 + 344) / 1000 = 371 sat, and the anchors.
    expect(a.nextOutboundHtlcLimitMsat).toBe(6_000_000_000n - RESERVE_MSAT - 371_000n - 660_000n);
    expect(a.nextInboundHtlcLimitMsat).toBe(4_000_000_000n - RESERVE_MSAT);
    expectMirrored(pair);
  });
});

describe('with HTLCs in flight', () => {
  it('an HTLC in flight is out of both balances, listed apart, and counted in the fee; settled, it moves to the payee', () => {
    const pair = readyPair();
    offer(pair.alice, 1_000_000_000n, 'p1', 744);
    commit(pair.alice);
    settle(pair);
    const a = balances(pair.alice);
    // One HTLC output: 253 * 896 / 1000 = 226 sat.
    expect(a.localBalanceMsat).toBe(5_000_000_000n - 226_000n);
    expect(a.remoteBalanceMsat).toBe(4_000_000_000n);
    expect(a.pendingHtlcs).toEqual([{ direction: 'offered', amountMsat: 1_000_000_000n, paymentHash: sha256(preimage('p1')), expiryHeight: 744 }]);
    expect(balances(pair.bob).pendingHtlcs).toEqual([{ direction: 'received', amountMsat: 1_000_000_000n, paymentHash: sha256(preimage('p1')), expiryHeight: 744 }]);
    // Three outputs for the limit (the HTLC, the new one, the buffer): 2 x (253 * 1240 / 1000 = 313 sat).
    expect(a.nextOutboundHtlcLimitMsat).toBe(5_000_000_000n - RESERVE_MSAT - 626_000n);
    expectMirrored(pair);

    const fulfilled = fulfillHtlc(pair.bob.node.ctx, pair.bob.channel, 0n, preimage('p1'));
    if (!fulfilled.ok) throw new Error(fulfilled.error.message);
    pair.bob.apply(fulfilled.value);
    commit(pair.bob);
    settle(pair);
    expect(balances(pair.alice)).toMatchObject({ localBalanceMsat: 5_000_000_000n - 183_000n, remoteBalanceMsat: 5_000_000_000n, pendingHtlcs: [] });
    expectMirrored(pair);
  });

  it('a failed HTLC goes back to its offerer; HTLCs both ways are listed with their direction', () => {
    const pair = readyPair({ anchors: true });
    offer(pair.alice, 2_000_000n, 'a1');
    offer(pair.bob, 3_000_000n, 'b1');
    commit(pair.alice);
    commit(pair.bob);
    settle(pair);
    expect(balances(pair.alice).pendingHtlcs.map((h) => [h.direction, h.amountMsat])).toEqual([
      ['offered', 2_000_000n],
      ['received', 3_000_000n],
    ]);
    // Two HTLC outputs on anchors: 253 * (1124 + 344) / 1000 = 371 sat, and the anchors.
    expect(balances(pair.alice).localBalanceMsat).toBe(6_000_000_000n - 2_000_000n - 371_000n - 660_000n);
    expect(balances(pair.alice).remoteBalanceMsat).toBe(4_000_000_000n - 3_000_000n);
    expectMirrored(pair);
    const failed = failHtlc(pair.bob.node.ctx, pair.bob.channel, 0n, new Uint8Array(0));
    if (!failed.ok) throw new Error(failed.error.message);
    pair.bob.apply(failed.value);
    commit(pair.bob);
    settle(pair);
    // Alice's 2,000 sat are back; Bob's HTLC still has its output: 253 * (1124 + 172) / 1000 = 327 sat.
    expect(balances(pair.alice).localBalanceMsat).toBe(6_000_000_000n - 327_000n - 660_000n);
    expect(balances(pair.alice).pendingHtlcs.map((h) => h.direction)).toEqual(['received']);
    expectMirrored(pair);
  });

  it('a dust HTLC adds no output: the fee and the limit do not count it', () => {
    const pair = readyPair();
    // Below 354 + 167 sat (dust limit plus the HTLC-timeout fee at 253 sat/kw) on Alice's commitment, and below 354 + 177 on Bob's.
    pay(pair, pair.alice, 500_000n, 'dust');
    const a = balances(pair.alice);
    expect(a.pendingHtlcs).toHaveLength(1);
    expect(a.localBalanceMsat).toBe(6_000_000_000n - 500_000n - 183_000n);
    expect(a.nextOutboundHtlcLimitMsat).toBe(6_000_000_000n - 500_000n - RESERVE_MSAT - 540_000n);
    expectMirrored(pair);
  });

  it("the receiver's max_accepted_htlcs and max_htlc_value_in_flight_msat bound the limit", () => {
    const pair = readyPair({ handshake: { ourMaxAcceptedHtlcs: 2, maxInboundHtlcValueInFlightPercent: 10 } });
    // 10% of the channel may be in flight toward each side.
    expect(balances(pair.alice).nextOutboundHtlcLimitMsat).toBe(1_000_000_000n);
    pay(pair, pair.alice, 300_000_000n, 'x1');
    expect(balances(pair.alice).nextOutboundHtlcLimitMsat).toBe(700_000_000n);
    pay(pair, pair.alice, 1_000_000n, 'x2');
    // Two HTLCs offered: Bob accepts no third.
    expect(balances(pair.alice).nextOutboundHtlcLimitMsat).toBe(0n);
    expect(balances(pair.alice).nextInboundHtlcLimitMsat).toBe(1_000_000_000n);
    expectMirrored(pair);
  });
});

describe('at the reserve and dust boundaries', () => {
  it('the fundee can send exactly its limit, and not 1 msat more', () => {
    const pair = readyPair();
    const limit = balances(pair.bob).nextOutboundHtlcLimitMsat;
    expect(limit).toBe(4_000_000_000n - RESERVE_MSAT);
    expect(() => offer(pair.bob, limit + 1n, 'over')).toThrow(/reserve/);
    pay(pair, pair.bob, limit, 'exact');
    expect(balances(pair.bob)).toMatchObject({ localBalanceMsat: RESERVE_MSAT, nextOutboundHtlcLimitMsat: 0n });
    expectMirrored(pair);
  });

  it('the funder can send exactly its limit, the fundee accepts it, and the limit is then 0', () => {
    for (const anchors of [false, true]) {
      const pair = readyPair({ anchors });
      const limit = balances(pair.alice).nextOutboundHtlcLimitMsat;
      pay(pair, pair.alice, limit, 'all');
      expect(balances(pair.alice).nextOutboundHtlcLimitMsat).toBe(0n);
      expectMirrored(pair);
    }
  });

  it('a funder just above its reserve can only send dust: the fee of an HTLC output it would not add is free again', () => {
    // Alice keeps her reserve plus 600 sat; 2 x 270 sat of fee for two outputs leaves 60 sat, below the dust threshold (354 + 167 sat).
    const pair = readyPair({ pushMsat: FUNDING_SAT * 1000n - RESERVE_MSAT - 600_000n });
    // Without the candidate's output the fee is 2 x (253 * 896 / 1000 = 226 sat): 600 - 452 = 148 sat, a dust HTLC.
    expect(balances(pair.alice).nextOutboundHtlcLimitMsat).toBe(148_000n);
    pay(pair, pair.alice, 148_000n, 'dust');
    expectMirrored(pair);
  });

  it('a funder at its reserve cannot send; the fundee can then send only dust HTLCs (the funder could not pay for another output)', () => {
    const pair = readyPair({ pushMsat: FUNDING_SAT * 1000n - RESERVE_MSAT - 100_000n });
    expect(balances(pair.alice).nextOutboundHtlcLimitMsat).toBe(0n);
    // Alice keeps 100 sat over her reserve, less than the 226 sat of fee for one more output: Bob may add only HTLCs below 354 + 177 sat.
    expect(balances(pair.bob).nextOutboundHtlcLimitMsat).toBe(530_999n);
    expectMirrored(pair);
    pay(pair, pair.bob, 530_999n, 'dust');
  });

  it('before the channel is ready: the opening split less the first fee, no HTLC limit', () => {
    const pending = readyChannels({ fundingSatoshis: FUNDING_SAT, pushMsat: 4_000_000_000n });
    const a = channelBalancesOf({ ...pending.a, state: 'awaiting-channel-ready' } as never);
    expect(a).toMatchObject({ localBalanceMsat: 6_000_000_000n - 183_000n, remoteBalanceMsat: 4_000_000_000n, nextOutboundHtlcLimitMsat: 0n, nextInboundHtlcLimitMsat: 0n });
  });
});
