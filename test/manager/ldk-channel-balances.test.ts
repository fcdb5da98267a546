/**
 * Issue 16: a channel's balances and limits (shared/channel/channel-balances.ts,
 * docs/balances.md) against real LDK 0.1 (npm `lightningdevkit`) over TCP,
 * for both channel types and both funders, after payments both ways and
 * with an HTLC in flight. What LDK exposes that must agree to the msat:
 *
 * - LDK's `next_outbound_htlc_limit_msat` is the largest HTLC LDK can send
 *   us: our `nextInboundHtlcLimitMsat` (the API's `inboundCapacityMsat`),
 *   computed by our own code from our side of the channel.
 * - LDK's `ClaimableOnChannelClose.amount_satoshis` is LDK's output on its
 *   commitment: our `remoteBalanceMsat` in whole satoshis (LDK rounds the
 *   output down; we keep the msat). Its `transaction_fee_satoshis` is the
 *   commitment fee when LDK pays it: our fee (capacity less both balances
 *   and the HTLCs in flight) less the anchors.
 * - LDK's `inbound_capacity_msat` is our balance before any fee, less the
 *   reserve LDK requires of us: our `localBalanceMsat` plus the fee we pay.
 * - LDK's pending HTLCs: our `pendingHtlcs` (amount, hash, expiry).
 *
 * LDK has no "next inbound HTLC limit", so our `nextOutboundHtlcLimitMsat`
 * (the API's `outboundCapacityMsat`) is checked by use: a payment of one
 * msat more is refused by our router before any HTLC leaves, and a payment
 * of exactly the limit is accepted by LDK (whose receiver checks include
 * the fee spike buffer) and settles.
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../shared/crypto/index.js';
import { PaymentFailureReason, type ChannelDetails } from '../../shared/manager/index.js';
import { txidToDisplayHex } from '../../shared/tx/index.js';
import { channelInfoOf } from '../../functions/http/store-node-api.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import type { ManagerDriver } from '../support/manager-driver.js';
import {
  InteropChannelType,
  weOpenToLdk,
  confirmAndCompare,
  connectToLdk,
  disconnectFromLdk,
  eventsOf,
  faucetFunding,
  ldkEvents,
  ldkPaysOurInvoice,
  only,
  wePayLdk,
  type ManagerLdkPeers,
} from '../support/manager-ldk.js';
import { until } from '../support/regtest-harness.js';

const DEPTH = 3;
const FUNDING = 250_000n;
const PUSH_MSAT = 90_000_000n;
/** The commitment fee with no HTLC at 253 sat/kw (253 * 724 / 1000; anchors: 253 * 1124 / 1000 and two 330-sat anchors). */
const REST_COST_MSAT = { [InteropChannelType.StaticRemoteKey]: 183_000n, [InteropChannelType.Anchors]: 284_000n + 660_000n } as const;

/** The fee of two more HTLC outputs a funder keeps (2 x 270 sat; anchors: 371 sat and the anchors, 660 sat). */
const SPIKE_BUFFER_MSAT = { [InteropChannelType.StaticRemoteKey]: 540_000n, [InteropChannelType.Anchors]: 371_000n + 660_000n } as const;
/** What a funder drained to its reserve and buffer can still send: the fee of the one output a dust HTLC does not add. */
const DUST_ONLY_MSAT = { [InteropChannelType.StaticRemoteKey]: 88_000n, [InteropChannelType.Anchors]: 44_000n } as const;

let chain: RunningRegtestChain;
beforeAll(async () => {
  chain = await startRegtestChain({ port: 0, dataDir: undefined });
});
afterAll(async () => {
  await chain.stop();
});

/** LDK opens to us, pushing us some balance. */
async function ldkOpens(peers: ManagerLdkPeers): Promise<void> {
  const { ldk: ldkNode, ours } = peers;
  expect(ldkNode.channelManager.create_channel(ours.node.keys.getNodeId(), FUNDING, PUSH_MSAT, 7n, null, null).is_ok()).toBeTruthy();
  await ldkNode.waitFor(() => ldkNode.events.some((e) => e instanceof ldk.Event_FundingGenerationReady), 'LDK FundingGenerationReady');
  const ready = ldkNode.events.find((e): e is ldk.Event_FundingGenerationReady => e instanceof ldk.Event_FundingGenerationReady)!;
  const tx = faucetFunding(peers, 'balances LDK funder', ready.output_script, ready.channel_value_satoshis);
  expect(ldkNode.channelManager.funding_transaction_generated(ready.temporary_channel_id, ready.counterparty_node_id, tx).is_ok()).toBeTruthy();
  await until(() => ours.channels().length === 1 && only(ours).state === 'awaiting-confirmation', 'our funding_signed');
  await confirmAndCompare(peers, txidToDisplayHex(only(ours).fundingOutpoint!.txid));
}

/** Whether our channel waits for LDK's `revoke_and_ack`. */
function awaitingRevoke(ours: ManagerDriver): boolean {
  const entry = [...ours.store.storedChannels().values()][0]!;
  return entry.ok && entry.value.kind === 'channel' && entry.value.channel.commitments?.awaitingRemoteRevoke === true;
}

function ldkChannel(peers: ManagerLdkPeers): ldk.ChannelDetails {
  return peers.ldk.channelManager.list_channels()[0]!;
}

function ldkClaimable(peers: ManagerLdkPeers): ldk.Balance_ClaimableOnChannelClose {
  const balances = peers.ldk.chainMonitor.get_claimable_balances([]);
  const found = balances.filter((b): b is ldk.Balance_ClaimableOnChannelClose => b instanceof ldk.Balance_ClaimableOnChannelClose);
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** Both sides at rest with `htlcs` HTLCs in flight, committed on both. */
async function atRest(peers: ManagerLdkPeers, htlcs: number): Promise<void> {
  const { ours, ldk: ldkNode } = peers;
  const ldkHtlcs = () => ldkChannel(peers).get_pending_inbound_htlcs().length + ldkChannel(peers).get_pending_outbound_htlcs().length;
  const committed = () => only(ours).pendingHtlcs.length === htlcs && !awaitingRevoke(ours) && ldkHtlcs() === htlcs;
  await until(committed, `our side at rest with ${htlcs} HTLCs`);
  await ldkNode.waitFor(() => committed() && only(ours).nextInboundHtlcLimitMsat === ldkChannel(peers).get_next_outbound_htlc_limit_msat(), 'LDK at rest');
}

/**
 * What LDK reports and what we report agree to the msat (the header lists
 * each pair); the API's channel view carries our numbers unchanged.
 */
function expectAgreement(peers: ManagerLdkPeers, channelType: InteropChannelType): ChannelDetails {
  const mine = only(peers.ours);
  const theirs = ldkChannel(peers);
  expect(mine.nextInboundHtlcLimitMsat).toBe(theirs.get_next_outbound_htlc_limit_msat());
  const inFlightMsat = mine.pendingHtlcs.reduce((s, h) => s + h.amountMsat, 0n);
  const costMsat = mine.channelValueSatoshis * 1000n - mine.localBalanceMsat - mine.remoteBalanceMsat - inFlightMsat;
  if (inFlightMsat === 0n) expect(costMsat).toBe(REST_COST_MSAT[channelType]);
  const claimable = ldkClaimable(peers);
  expect(claimable.amount_satoshis).toBe(mine.remoteBalanceMsat / 1000n);
  const anchorsSat = channelType === InteropChannelType.Anchors ? 660n : 0n;
  expect(claimable.transaction_fee_satoshis).toBe(mine.isOutbound ? 0n : costMsat / 1000n - anchorsSat);
  const reserveLdkRequiresMsat = mine.unspendablePunishmentReserveSatoshis! * 1000n;
  expect(theirs.get_inbound_capacity_msat()).toBe(mine.localBalanceMsat + (mine.isOutbound ? costMsat : 0n) - reserveLdkRequiresMsat);
  // LDK's HTLCs, seen from its side: its outbound ones are our received ones.
  const ldkHtlcs = [
    ...theirs.get_pending_outbound_htlcs().map((h) => ({ direction: 'received', amountMsat: h.get_amount_msat(), paymentHash: toHex(h.get_payment_hash()), expiryHeight: h.get_cltv_expiry() })),
    ...theirs.get_pending_inbound_htlcs().map((h) => ({ direction: 'offered', amountMsat: h.get_amount_msat(), paymentHash: toHex(h.get_payment_hash()), expiryHeight: h.get_cltv_expiry() })),
  ];
  expect(mine.pendingHtlcs.map((h) => ({ ...h, paymentHash: toHex(h.paymentHash) }))).toEqual(ldkHtlcs);
  const view = channelInfoOf({ kind: 'open', details: mine });
  expect(view).toMatchObject({
    localBalanceMsat: mine.localBalanceMsat,
    remoteBalanceMsat: mine.remoteBalanceMsat,
    outboundCapacityMsat: mine.nextOutboundHtlcLimitMsat,
    inboundCapacityMsat: theirs.get_next_outbound_htlc_limit_msat(),
    shortChannelId: expect.stringMatching(/^\d+x\d+x\d+$/),
  });
  return mine;
}

/** LDK pays our invoice and we hold the HTLC (claimable, not claimed); returns the claim. */
async function ldkPaysAndWeHold(peers: ManagerLdkPeers, amountMsat: bigint, id: number): Promise<() => void> {
  const { ldk: ldkNode, ours } = peers;
  const created = ours.step({ kind: 'create-invoice' }, (m) => m.createBolt11Invoice({ description: `held ${id}`, amountMsat, expirySecs: 3600 }));
  if (!created.ok) throw new Error(created.error.message);
  const parsed = ldk.Bolt11Invoice.constructor_from_str(created.value.invoice);
  if (!(parsed instanceof ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK)) throw new Error('LDK could not parse our invoice');
  const params = ldk.UtilMethods.constructor_payment_parameters_from_invoice(parsed.res);
  if (!(params instanceof ldk.Result_C3Tuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZNoneZ_OK)) throw new Error('LDK payment parameters');
  const hash = params.res.get_a();
  expect(ldkNode.channelManager.send_payment(hash, params.res.get_b(), new Uint8Array(32).fill(id), params.res.get_c(), ldk.Retry.constructor_attempts(0)).is_ok()).toBeTruthy();
  await until(() => eventsOf(ours, 'payment-claimable').some((e) => toHex(e.paymentHash) === toHex(hash)), 'our PaymentClaimable');
  const claimable = eventsOf(ours, 'payment-claimable').find((e) => toHex(e.paymentHash) === toHex(hash))!;
  return () => {
    expect(ours.step({ kind: 'claim-funds', paymentHash: hash }, (m) => m.claimFunds(claimable.paymentPreimage!)).ok).toBe(true);
  };
}

/** We try to pay LDK `amountMsat`: refused by our router before any HTLC is offered. */
async function refusedByOurRouter(peers: ManagerLdkPeers, amountMsat: bigint, id: number): Promise<void> {
  const { ldk: ldkNode, ours } = peers;
  const paymentId = new Uint8Array(32).fill(id);
  const paymentHash = new Uint8Array(32).fill(id);
  ours.step({ kind: 'send-payment', paymentId, paymentHash, payeeNodeId: ldkNode.nodeId }, (m) =>
    m.sendPayment({ paymentId, paymentHash, payeeNodeId: ldkNode.nodeId, amountMsat, finalCltvExpiryDelta: 30, recipient: { paymentSecret: new Uint8Array(32).fill(9), totalMsat: amountMsat }, retry: { attempts: 0 } }),
  );
  await until(() => eventsOf(ours, 'payment-failed').some((e) => toHex(e.paymentId) === toHex(paymentId)), 'our PaymentFailed');
  expect(eventsOf(ours, 'payment-failed').find((e) => toHex(e.paymentId) === toHex(paymentId))!.reason).toBe(PaymentFailureReason.RouteNotFound);
  expect(only(ours).pendingHtlcs).toEqual([]);
  expect(ldkEvents(ldkNode, ldk.Event_PaymentClaimable).some((e) => toHex(e.payment_hash) === toHex(paymentHash))).toBe(false);
}

const CASES = [
  { channelType: InteropChannelType.StaticRemoteKey, weFund: true, seed: 160 },
  { channelType: InteropChannelType.StaticRemoteKey, weFund: false, seed: 161 },
  { channelType: InteropChannelType.Anchors, weFund: true, seed: 162 },
  { channelType: InteropChannelType.Anchors, weFund: false, seed: 163 },
] as const;

for (const { channelType, weFund, seed } of CASES) {
  describe(`channel balances against real LDK (${channelType}, ${weFund ? 'we fund' : 'LDK funds'})`, () => {
    it('limits, balances and HTLCs in flight agree with LDK to the msat; paying exactly our outbound capacity settles, 1 msat more is refused', async () => {
      const peers = await connectToLdk(chain, `balances-${channelType}-${weFund}`, { channelType, depth: DEPTH, ldkSeed: seed });
      try {
        await (weFund ? weOpenToLdk(peers, 'balances funder', FUNDING, PUSH_MSAT) : ldkOpens(peers));
        await atRest(peers, 0);
        expectAgreement(peers, channelType);

        await wePayLdk(peers, 12_345_678n, 1);
        await atRest(peers, 0);
        expectAgreement(peers, channelType);
        await ldkPaysOurInvoice(peers, 5_432_109n, 2);
        await atRest(peers, 0);
        expectAgreement(peers, channelType);

        // An HTLC in flight (LDK paid, we hold it): out of both balances, in the fee, listed with LDK's expiry.
        const claim = await ldkPaysAndWeHold(peers, 7_000_000n, 3);
        await atRest(peers, 1);
        const held = expectAgreement(peers, channelType);
        expect(held.pendingHtlcs).toMatchObject([{ direction: 'received', amountMsat: 7_000_000n }]);
        claim();
        await atRest(peers, 0);
        expectAgreement(peers, channelType);

        // Our outbound capacity, used. First bound by LDK's max_htlc_value_in_flight_msat (10% of the channel, LDK's default):
        // 1 msat more is refused by our router; exactly it settles, until our balance bounds it.
        let limit = only(peers.ours).nextOutboundHtlcLimitMsat;
        expect(limit).toBe(FUNDING * 100n);
        await refusedByOurRouter(peers, limit + 1n, 4);
        let id = 5;
        while (limit === FUNDING * 100n) {
          await wePayLdk(peers, limit, id++);
          await atRest(peers, 0);
          limit = expectAgreement(peers, channelType).nextOutboundHtlcLimitMsat;
        }
        // Then bound by our balance, the reserve LDK requires and, as funder, the fee with the spike buffer and the anchors.
        expect(limit).toBeGreaterThan(0n);
        await refusedByOurRouter(peers, limit + 1n, id++);
        const before = only(peers.ours).localBalanceMsat;
        await wePayLdk(peers, limit, id++);
        await atRest(peers, 0);
        const after = expectAgreement(peers, channelType);
        expect(after.localBalanceMsat).toBe(before - limit);
        expect(after.localBalanceMsat + (weFund ? REST_COST_MSAT[channelType] : 0n)).toBe(after.unspendablePunishmentReserveSatoshis! * 1000n + (weFund ? SPIKE_BUFFER_MSAT[channelType] : 0n));
        // What is left as funder is only a dust HTLC's worth: the fee of the output it would not add (2 x (270 - 226) sat; anchors 371 - 327 sat).
        expect(after.nextOutboundHtlcLimitMsat).toBe(weFund ? DUST_ONLY_MSAT[channelType] : 0n);
        expect(peers.ours.disconnects).toEqual([]);
        expect(eventsOf(peers.ours, 'channel-closed')).toEqual([]);
      } finally {
        await disconnectFromLdk(peers);
      }
    }, 120_000);
  });
}
