/**
 * LDK 0.1's dust exposure and fee spike buffer (shared/channel/dust-exposure.ts,
 * htlc-admission.ts), checked against numbers worked out by hand from LDK's
 * formulas (lightning/src/ln/channel.rs `get_pending_htlc_stats`,
 * `can_accept_incoming_htlc`, `get_available_balances`, `update_fee`), on two
 * of our channel machines (ready-pair.ts: Alice funds 10,000,000 sat, dust
 * limits 354 sat, feerate 253 sat/kW).
 *
 * At 253 sat/kW the dust buffer feerate is 253 + 2,530 = 2,783 sat/kW, so
 * (without anchors) HTLC-timeout costs 663 * 2,783 / 1000 = 1,845 sat and
 * HTLC-success 703 * 2,783 / 1000 = 1,956 sat: an HTLC Bob receives is dust
 * on Alice's commitment below 354 + 1,845 = 2,199 sat and on his own below
 * 354 + 1,956 = 2,310 sat. With anchors the thresholds are the dust limits.
 * The limit is 10,000 * 253 sat/kW = 2,530,000 msat.
 */
import { describe, expect, it } from 'vitest';
import {
  AdmissionRefusal,
  ConfirmationTarget,
  TEMPORARY_CHANNEL_FAILURE,
  checkIncomingHtlcAdmission,
  dustBufferFeerate,
  maxDustHtlcExposureMsat,
  nextHtlcLimitMsat,
  offerHtlc,
  pendingHtlcStats,
  perHtlcCounterpartyCommitFeeMsat,
  sendUpdateFee,
  type ReadyChannel,
} from '../../shared/channel/index.js';
import { channelBalancesOf, nextHtlcBounds } from '../../shared/channel/channel-balances.js';
import { sha256 } from '../../shared/crypto/index.js';
import type { UpdateFeeMessage } from '../../shared/wire/index.js';
import { ONION, commit, deliverAll, offer, preimage, readyPair, type ReadyPair, type ReadyPairOptions } from '../support/ready-pair.js';

const LIMIT_MSAT = 2_530_000n;

/** A pair where Alice's own limit is 10 times higher (her fastest estimate 2,530 sat/kW), so she sends what Bob's limit refuses. */
function pair(options: ReadyPairOptions = {}): ReadyPair {
  const p = readyPair(options);
  p.alice.node.estimates.set(ConfirmationTarget.MaximumFeeEstimate, 2_530n);
  return p;
}

/** Alice offers each amount to Bob and the dance completes. */
function committed(p: ReadyPair, ...amountsMsat: bigint[]): void {
  amountsMsat.forEach((a, i) => offer(p.alice, a, `h${i}`));
  commit(p.alice);
  deliverAll(p);
  expect(p.alice.failure ?? p.bob.failure).toBeUndefined();
}

function admission(channel: ReadyChannel, amountMsat: bigint, p: ReadyPair) {
  return checkIncomingHtlcAdmission(channel, p.bob.node.ctx.feeEstimator, amountMsat);
}

describe('the dust exposure arithmetic (LDK 0.1)', () => {
  it('limit: 10,000 times the fastest estimate; buffer feerate: +2,530 sat/kW or +25%, whichever is more, from the highest pending feerate', () => {
    expect(maxDustHtlcExposureMsat(253)).toBe(LIMIT_MSAT);
    const { bob } = readyPair();
    expect(dustBufferFeerate(bob.channel)).toBe(2_783);
    expect(dustBufferFeerate(bob.channel, 20_000)).toBe(25_000);
    expect(dustBufferFeerate({ ...bob.channel, pendingFeeUpdate: { feeratePerKw: 12_000, state: 'remote-announced' } as never })).toBe(15_000);
  });

  it('per HTLC on the counterparty commitment: 172 wu in whole sat; anchors add the HTLC-success weight (in sat, as LDK)', () => {
    const plain = readyPair().bob.channel;
    const anchored = readyPair({ anchors: true }).bob.channel;
    expect(perHtlcCounterpartyCommitFeeMsat(plain, 253)).toBe(43_000n); // 172 * 253 / 1000 = 43
    expect(perHtlcCounterpartyCommitFeeMsat(anchored, 253)).toBe(43_178n); // + 706 * 253 / 1000 = 178
  });

  it("Bob's stats with 2,000 and 2,250 sat received: dust on his commitment both (below 2,310), on Alice's only the first (below 2,199)", () => {
    const p = pair();
    committed(p, 2_000_000n, 2_250_000n);
    const stats = pendingHtlcStats(p.bob.channel, 253);
    expect(stats).toEqual({ pendingInboundValueMsat: 4_250_000n, pendingOutboundValueMsat: 0n, onHolderTxDustExposureMsat: 4_250_000n, onCounterpartyTxDustExposureMsat: 2_000_000n });
    // Alice's view of the same HTLCs (offered): dust on Bob's commitment below 354 + 1,956, on hers below 354 + 1,845.
    expect(pendingHtlcStats(p.alice.channel, 253)).toMatchObject({ onCounterpartyTxDustExposureMsat: 4_250_000n, onHolderTxDustExposureMsat: 2_000_000n });
    // With anchors, both are above the 354-sat dust limits: no exposure.
    const a = pair({ anchors: true });
    committed(a, 2_000_000n, 2_250_000n);
    expect(pendingHtlcStats(a.bob.channel, 253)).toMatchObject({ onHolderTxDustExposureMsat: 0n, onCounterpartyTxDustExposureMsat: 0n });
  });

  it('a feerate above the limiting one: the counterparty commitment counts its fee (and HTLC transactions, in sat as LDK) at the excess', () => {
    const p = pair();
    committed(p, 5_000_000n);
    // Limiting 200 sat/kW, channel at 253: excess 53. Commitment with one HTLC: 53 * (724 + 172) / 1000 = 47 sat;
    // the HTLC (offered by Alice, an HTLC-timeout on her commitment): 663 * 53 / 1000 = 35 (msat, LDK's units).
    expect(pendingHtlcStats(p.bob.channel, 200).onCounterpartyTxDustExposureMsat).toBe(47_000n + 35n);
    expect(pendingHtlcStats(p.bob.channel, 254).onCounterpartyTxDustExposureMsat).toBe(0n);
  });
});

describe('inbound HTLCs refused at admission (temporary_channel_failure)', () => {
  it('a dust HTLC taking the counterparty commitment past the limit: refused one msat over, accepted at the limit', () => {
    const p = pair();
    committed(p, 2_000_000n);
    expect(admission(p.bob.channel, 530_000n, p)).toBeNull(); // 2,000,000 + 530,000 = the limit
    expect(admission(p.bob.channel, 531_000n, p)).toMatchObject({ refusal: AdmissionRefusal.DustExposureCounterparty, failureCode: TEMPORARY_CHANNEL_FAILURE });
    expect(TEMPORARY_CHANNEL_FAILURE).toBe(0x1007);
  });

  it('between the two thresholds (2,199 and 2,310 sat) only our own commitment counts it as dust', () => {
    const p = pair();
    committed(p, 2_000_000n);
    // On Alice's commitment 2,250 sat is not dust: 2,000,000 + 43,000 (its output's fee) is within the limit; on Bob's it is.
    expect(admission(p.bob.channel, 2_250_000n, p)).toMatchObject({ refusal: AdmissionRefusal.DustExposureHolder });
    const fresh = pair();
    expect(admission(fresh.bob.channel, 2_250_000n, fresh)).toBeNull();
  });

  it('anchors: zero-fee HTLC transactions, so only HTLCs below the 354-sat dust limit are dust', () => {
    const plain = pair();
    committed(plain, 353_000n);
    expect(admission(plain.bob.channel, 2_178_000n, plain)).toMatchObject({ refusal: AdmissionRefusal.DustExposureCounterparty });
    const anchored = pair({ anchors: true });
    committed(anchored, 353_000n);
    expect(admission(anchored.bob.channel, 2_178_000n, anchored)).toBeNull();
    // Seven 353-sat dust HTLCs = 2,471,000 msat: an eighth of 59 sat reaches the limit, one of 60 sat passes it.
    const many = pair({ anchors: true });
    committed(many, ...Array<bigint>(7).fill(353_000n));
    expect(admission(many.bob.channel, 59_000n, many)).toBeNull();
    expect(admission(many.bob.channel, 60_000n, many)).toMatchObject({ refusal: AdmissionRefusal.DustExposureCounterparty });
  });

  describe.each([
    // Alice keeps 120,000 sat, Bob requires 100,000: 20,000,000 msat above the reserve. The fee of her commitment with the
    // HTLC and one more: 253 * (724 + 2 * 172) / 1000 = 270 sat, doubled: 540,000 msat. Anchors: 253 * (1124 + 344) / 1000
    // = 371 sat, not doubled, plus 660 sat of anchors.
    { name: 'static_remotekey', anchors: false, largestMsat: 19_460_000n },
    { name: 'anchors_zero_fee_htlc_tx', anchors: true, largestMsat: 18_969_000n },
  ])('the fee spike buffer of a funder counterparty ($name)', ({ anchors, largestMsat }) => {
    const drained = (): ReadyPair => readyPair({ anchors, pushMsat: 9_880_000_000n });

    it("refused one msat above LDK's number, accepted at it; the same number is Alice's own next outbound limit", () => {
      const p = drained();
      expect(admission(p.bob.channel, largestMsat, p)).toBeNull();
      expect(admission(p.bob.channel, largestMsat + 1n, p)).toMatchObject({ refusal: AdmissionRefusal.FeeSpikeBuffer, failureCode: 0x1007 });
      expect(nextHtlcLimitMsat(p.alice.channel, 'holder')).toBe(largestMsat);
      expect(nextHtlcLimitMsat(p.bob.channel, 'counterparty')).toBe(largestMsat);
    });

    it('the HTLC is still taken into the channel (BOLT 2 only requires the fee at today’s feerate): nothing closes', () => {
      const p = drained();
      offer(p.alice, largestMsat + 1n, 'over');
      commit(p.alice);
      deliverAll(p);
      expect(p.alice.failure ?? p.bob.failure).toBeUndefined();
      expect(p.bob.channel.htlcs).toHaveLength(1);
    });

    it('no check when we are the funder (LDK checks only a funder counterparty)', () => {
      const p = drained();
      // Bob offers to Alice: she is the funder, so no fee spike check applies on her side.
      expect(checkIncomingHtlcAdmission(p.alice.channel, p.alice.node.ctx.feeEstimator, 3_000_000_000n)).toBeNull();
    });
  });
});

describe('what we send stays within our dust exposure limit', () => {
  it('offerHtlc refuses a dust HTLC past the limit (nothing changes); the router limit and minimum follow LDK', () => {
    const p = readyPair();
    offer(p.alice, 2_000_000n, 'a');
    const before = p.alice.channel;
    const over = offerHtlc(p.alice.node.ctx, before, { amountMsat: 531_000n, paymentHash: sha256(preimage('b')), cltvExpiry: 700, onionRoutingPacket: ONION });
    expect(over).toMatchObject({ ok: false, error: { code: 'api-misuse', message: expect.stringMatching(/^dust-exposure-too-high/) } });
    expect(offerHtlc(p.alice.node.ctx, before, { amountMsat: 530_000n, paymentHash: sha256(preimage('b')), cltvExpiry: 700, onionRoutingPacket: ONION }).ok).toBe(true);
    // get_available_balances: exposure 2,000,000 + the threshold 2,310,000 passes the limit, and the limit before it is above
    // the threshold: the minimum rises to 2,310,000 (a non-dust HTLC still fits); our own commitment (2,199 sat threshold)
    // counts the 2,000 sat too: 2,000,000 + 2,199,000 - 1 > the limit, so the minimum is the larger threshold.
    const bounds = nextHtlcBounds(before, 'holder', 253);
    expect(bounds.minimumMsat).toBe(2_310_000n);
    expect(bounds.limitMsat).toBe(nextHtlcLimitMsat(before, 'holder'));
    expect(channelBalancesOf(before, 253).nextOutboundHtlcMinimumMsat).toBe(2_310_000n);
    expect(channelBalancesOf(before).nextOutboundHtlcMinimumMsat).toBe(1n);
  });

  it('when the limit is below the dust threshold anyway, it is capped at what remains below the exposure limit', () => {
    // Alice drained to 2,000 sat above her reserve and fee spike buffer: her limit is below the 2,310-sat threshold.
    const p = readyPair({ pushMsat: 9_900_000_000n - 540_000n - 2_000_000n });
    expect(nextHtlcLimitMsat(p.alice.channel, 'holder')).toBe(2_000_000n);
    // Bob pays her 2,000 sat: an output at 253 sat/kW (her buffer pays its 43 sat, doubled), but dust at the buffer feerate
    // on both commitments, so only 530,000 msat of dust exposure remain.
    offer(p.bob, 2_000_000n, 'b');
    commit(p.bob);
    deliverAll(p);
    expect(nextHtlcLimitMsat(p.alice.channel, 'holder')).toBe(1_914_000n);
    expect(nextHtlcBounds(p.alice.channel, 'holder', 253)).toEqual({ limitMsat: 530_000n, minimumMsat: 1n });
  });
});

describe('update_fee and dust exposure', () => {
  function byHand(p: ReadyPair, feeratePerKw: number): UpdateFeeMessage {
    return { type: 134, channelId: p.alice.channel.funding.channelId, feeratePerKw };
  }

  it('received: a feerate that makes in-flight HTLCs dust past the limit closes the channel (dust-exposure-too-high), as LDK', () => {
    // Two 3,000-sat HTLCs are not dust at 253 sat/kW; at 2,000 sat/kW (buffer 4,530: HTLC-success 3,184 sat, HTLC-timeout
    // 3,003 sat, so thresholds 3,538 and 3,357 sat) they are: 6,000,000 msat on each commitment. At 300 sat/kW they are not.
    const p = pair();
    committed(p, 3_000_000n, 3_000_000n);
    const ok = pair();
    committed(ok, 3_000_000n, 3_000_000n);
    ok.bob.receive(byHand(ok, 300));
    expect(ok.bob.failure).toBeUndefined();
    p.bob.receive(byHand(p, 2_000));
    expect(p.bob.failure?.reason).toBe('dust-exposure-too-high');
  });

  it('sent (the timer tick): sendUpdateFee refuses such a feerate, nothing sent', () => {
    const p = pair();
    committed(p, 3_000_000n, 3_000_000n);
    p.alice.node.estimates.delete(ConfirmationTarget.MaximumFeeEstimate);
    const refused = sendUpdateFee(p.alice.node.ctx, p.alice.channel, 2_000);
    expect(refused).toMatchObject({ ok: false, error: { code: 'api-misuse', message: expect.stringMatching(/^dust-exposure-too-high/) } });
    expect(sendUpdateFee(p.alice.node.ctx, p.alice.channel, 300).ok).toBe(true);
  });
});
