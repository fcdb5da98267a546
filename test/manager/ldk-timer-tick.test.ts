/**
 * Our timer tick against real LDK 0.1 (npm `lightningdevkit`) over TCP
 * (docs/timer.md). We open a channel to LDK (we are the funder); our
 * estimate rises and our tick sends `update_fee` with `commitment_signed`:
 * LDK accepts it, both sides move to the new feerate, and payments both
 * ways still settle; the tick sends nothing while the estimate stays. A
 * payment from LDK that is complete is left alone by our ticks (its claim
 * still settles it). Both channel types.
 *
 * An incomplete multi-part payment cannot be made with LDK: its
 * `send_payment*` always sends parts that add up to the total (the total is
 * the sum of the route's paths), so the `mpp_timeout` fail-back is covered
 * over our own nodes (test/manager/timer-tick.test.ts).
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../shared/crypto/index.js';
import { MPP_TIMEOUT_TICKS } from '../../shared/manager/index.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import type { ManagerDriver } from '../support/manager-driver.js';
import {
  InteropChannelType,
  ldkFeerate,
  storedChannel,
  weOpenToLdk,
  connectToLdk,
  disconnectFromLdk,
  eventsOf,
  ldkEvents,
  only,
  wePayLdk,
  type ManagerLdkPeers,
} from '../support/manager-ldk.js';
import { until } from '../support/regtest-harness.js';

const DEPTH = 3;
const FUNDING = 250_000n;
const PUSH_MSAT = 40_000_000n;
const RAISED_PER_KW = 2_000;

let chain: RunningRegtestChain;
beforeAll(async () => {
  chain = await startRegtestChain({ port: 0, dataDir: undefined });
});
afterAll(async () => {
  await chain.stop();
});

/** Our estimate for every target (the driver's fee estimator port). */
function setOurFeerate(ours: ManagerDriver, perKw: number): void {
  Object.assign(ours.ports, { feeEstimator: { feeRatePerKw: () => BigInt(perKw) } });
}

function tick(ours: ManagerDriver) {
  return ours.step({ kind: 'timer-tick' }, (m) => m.timerTickOccurred());
}

/** LDK pays our invoice; we tick past the MPP timeout while it is claimable, then claim: LDK sees it paid. */
async function ldkPaysOurInvoiceTicking(peers: ManagerLdkPeers, amountMsat: bigint, id: number): Promise<void> {
  const { ldk: ldkNode, ours } = peers;
  const created = ours.step({ kind: 'create-invoice' }, (m) => m.createBolt11Invoice({ description: `order ${id}`, amountMsat, expirySecs: 3600 }));
  if (!created.ok) throw new Error(created.error.message);
  const parsed = ldk.Bolt11Invoice.constructor_from_str(created.value.invoice);
  if (!(parsed instanceof ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK)) throw new Error('LDK could not parse our invoice');
  const params = ldk.UtilMethods.constructor_payment_parameters_from_invoice(parsed.res);
  if (!(params instanceof ldk.Result_C3Tuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZNoneZ_OK)) throw new Error('LDK payment parameters');
  const [hash, onion, route] = [params.res.get_a(), params.res.get_b(), params.res.get_c()];
  expect(ldkNode.channelManager.send_payment(hash, onion, new Uint8Array(32).fill(id), route, ldk.Retry.constructor_attempts(0)).is_ok()).toBeTruthy();
  await until(() => eventsOf(ours, 'payment-claimable').some((e) => toHex(e.paymentHash) === toHex(hash)), 'our PaymentClaimable');
  for (let i = 0; i <= MPP_TIMEOUT_TICKS; i++) expect(tick(ours)).toMatchObject({ mppTimedOut: 0, mppStale: 0 });
  const claimable = eventsOf(ours, 'payment-claimable').find((e) => toHex(e.paymentHash) === toHex(hash))!;
  expect(ours.step({ kind: 'claim-funds', paymentHash: hash }, (m) => m.claimFunds(claimable.paymentPreimage!)).ok).toBe(true);
  await ldkNode.waitFor(() => ldkEvents(ldkNode, ldk.Event_PaymentSent).some((e) => toHex(e.payment_hash) === toHex(hash)), 'LDK PaymentSent');
  expect(ldkEvents(ldkNode, ldk.Event_PaymentFailed)).toEqual([]);
}

const CASES = [
  { channelType: InteropChannelType.StaticRemoteKey, seed: 171 },
  { channelType: InteropChannelType.Anchors, seed: 173 },
] as const;

for (const { channelType, seed } of CASES) {
  describe(`our timer tick with real LDK (${channelType})`, () => {
    it('our update_fee as funder is accepted by LDK; payments both ways settle after it; a complete payment is left alone by ticks', async () => {
      const peers = await connectToLdk(chain, `mgr-ldk-timer-tick-${channelType}`, { channelType, depth: DEPTH, ldkSeed: seed });
      const { ldk: ldkNode, ours } = peers;
      try {
        await weOpenToLdk(peers, 'timer tick funder', FUNDING, PUSH_MSAT);
        await until(() => only(ours).isUsable && ldkNode.channelManager.list_usable_channels().length === 1, 'usable on both sides');
        expect(storedChannel(ours).feeratePerKw).toBe(253);
        expect(ldkFeerate(ldkNode)).toBe(253);
        // The estimate does not move: a tick sends nothing.
        expect(tick(ours)).toMatchObject({ feeUpdates: 0 });

        // Fees rise for both (LDK refuses a feerate far from its own estimate, as we do).
        ldkNode.feeratePerKw = RAISED_PER_KW;
        setOurFeerate(ours, RAISED_PER_KW);
        expect(tick(ours)).toMatchObject({ feeUpdates: 1 });
        await until(() => {
          const c = storedChannel(ours);
          return c.feeratePerKw === RAISED_PER_KW && c.pendingFeeUpdate === undefined && c.commitments?.awaitingRemoteRevoke === false;
        }, 'our channel at the new feerate');
        await ldkNode.waitFor(() => ldkFeerate(ldkNode) === RAISED_PER_KW, 'LDK at the new feerate');
        expect(storedChannel(ours).commitments?.counterpartyCommitmentNumber).toBe(1n);
        // Settled: the next tick has nothing to send.
        expect(tick(ours)).toMatchObject({ feeUpdates: 0 });

        // A payment each way at the new feerate.
        const before = only(ours).balanceMsat;
        await wePayLdk(peers, 3_000_000n, 1);
        // LDK pays our invoice; while it is claimable (complete), ticks past the MPP timeout leave it alone.
        await ldkPaysOurInvoiceTicking(peers, 5_000_000n, 2);
        await until(() => storedChannel(ours).htlcs === undefined, 'the dance at rest');
        expect(only(ours).balanceMsat).toBe(before - 3_000_000n + 5_000_000n);
        expect(storedChannel(ours).feeratePerKw).toBe(RAISED_PER_KW);
        expect(ours.disconnects).toEqual([]);
        expect(eventsOf(ours, 'channel-closed')).toEqual([]);
        expect(ldkEvents(ldkNode, ldk.Event_ChannelClosed)).toEqual([]);
        expect(only(ours).isUsable).toBe(true);
      } finally {
        await disconnectFromLdk(peers);
      }
    });
  });
}
