/**
 * Issue 15: `update_fee` from real LDK 0.1 (npm `lightningdevkit`) over TCP.
 * LDK opens a channel to us (it is the funder); its fee estimator rises and
 * its timer tick sends `update_fee` with a `commitment_signed`: we accept it
 * (before, the peer was disconnected as "not handled yet", over and over),
 * sign and revoke at the new feerate, both sides report it, and payments
 * both ways still settle; no channel closes, no disconnection. Both channel
 * types; our side runs as a handler would (test/support/manager-ldk.ts).
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadyChannel } from '../../shared/channel/index.js';
import { toHex } from '../../shared/crypto/index.js';
import { decodeChannelEntry } from '../../shared/manager/channel-entry.js';
import { txidToDisplayHex } from '../../shared/tx/index.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import type { LdkNode } from '../support/ldk-node.js';
import type { ManagerDriver } from '../support/manager-driver.js';
import { InteropChannelType, confirmAndCompare, connectToLdk, disconnectFromLdk, faucetFunding, only, type ManagerLdkPeers, eventsOf, ldkEvents } from '../support/manager-ldk.js';
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

/** Our stored channel (what the next handler loads). */
function storedChannel(ours: ManagerDriver): ReadyChannel {
  const [, bytes] = [...ours.store.items].find(([sk]) => sk.startsWith('CHANNEL#'))!;
  const entry = decodeChannelEntry(bytes);
  if (!entry.ok || entry.value.kind !== 'channel') throw new Error('no channel item');
  return entry.value.channel as ReadyChannel;
}

/** The feerate LDK reports for its only channel. */
function ldkFeerate(node: LdkNode): number | undefined {
  const feerate = node.channelManager.list_channels()[0]?.get_feerate_sat_per_1000_weight();
  return feerate instanceof ldk.Option_u32Z_Some ? feerate.some : undefined;
}

/** LDK opens a channel to us, pushing us some balance, confirmed on both sides. */
async function ldkOpensToUs(peers: ManagerLdkPeers): Promise<void> {
  const { ldk: ldkNode, ours } = peers;
  expect(ldkNode.channelManager.create_channel(ours.node.keys.getNodeId(), FUNDING, PUSH_MSAT, 7n, null, null).is_ok()).toBeTruthy();
  await ldkNode.waitFor(() => ldkNode.events.some((e) => e instanceof ldk.Event_FundingGenerationReady), 'LDK FundingGenerationReady');
  const ready = ldkNode.events.find((e): e is ldk.Event_FundingGenerationReady => e instanceof ldk.Event_FundingGenerationReady)!;
  const tx = faucetFunding(peers, 'update_fee funder', ready.output_script, ready.channel_value_satoshis);
  expect(ldkNode.channelManager.funding_transaction_generated(ready.temporary_channel_id, ready.counterparty_node_id, tx).is_ok()).toBeTruthy();
  await until(() => ours.channels().length === 1 && only(ours).state === 'awaiting-confirmation', 'our funding_signed');
  await confirmAndCompare(peers, txidToDisplayHex(only(ours).fundingOutpoint!.txid));
}

/** LDK pays an invoice of ours; we claim; both sides see it settle. */
async function ldkPaysUs(peers: ManagerLdkPeers, amountMsat: bigint, id: number): Promise<void> {
  const { ldk: ldkNode, ours } = peers;
  const created = ours.step({ kind: 'create-invoice' }, (m) => m.createBolt11Invoice({ description: `fee ${id}`, amountMsat, expirySecs: 3600 }));
  if (!created.ok) throw new Error(created.error.message);
  const parsed = ldk.Bolt11Invoice.constructor_from_str(created.value.invoice);
  if (!(parsed instanceof ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK)) throw new Error('LDK could not parse our invoice');
  const params = ldk.UtilMethods.constructor_payment_parameters_from_invoice(parsed.res);
  if (!(params instanceof ldk.Result_C3Tuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZNoneZ_OK)) throw new Error('LDK payment parameters');
  const [hash, onion, route] = [params.res.get_a(), params.res.get_b(), params.res.get_c()];
  expect(ldkNode.channelManager.send_payment(hash, onion, new Uint8Array(32).fill(id), route, ldk.Retry.constructor_attempts(0)).is_ok()).toBeTruthy();
  await until(() => eventsOf(ours, 'payment-claimable').some((e) => toHex(e.paymentHash) === toHex(hash)), 'our PaymentClaimable');
  const claimable = eventsOf(ours, 'payment-claimable').find((e) => toHex(e.paymentHash) === toHex(hash))!;
  expect(ours.step({ kind: 'claim-funds', paymentHash: hash }, (m) => m.claimFunds(claimable.paymentPreimage!)).ok).toBe(true);
  await ldkNode.waitFor(() => ldkEvents(ldkNode, ldk.Event_PaymentSent).some((e) => toHex(e.payment_hash) === toHex(hash)), 'LDK PaymentSent');
}

/** We pay an LDK invoice hash; LDK claims; both sides see it settle. */
async function wePayLdk(peers: ManagerLdkPeers, amountMsat: bigint, id: number): Promise<void> {
  const { ldk: ldkNode, ours } = peers;
  const inbound = ldkNode.channelManager.create_inbound_payment(ldk.Option_u64Z.constructor_some(amountMsat), 3600, ldk.Option_u16Z.constructor_none());
  if (!(inbound instanceof ldk.Result_C2Tuple_ThirtyTwoBytesThirtyTwoBytesZNoneZ_OK)) throw new Error('LDK create_inbound_payment');
  const [paymentHash, paymentSecret] = [inbound.res.get_a(), inbound.res.get_b()];
  const paymentId = new Uint8Array(32).fill(id);
  const sent = ours.step({ kind: 'send-payment', paymentId, paymentHash, payeeNodeId: ldkNode.nodeId }, (m) =>
    m.sendPayment({ paymentId, paymentHash, payeeNodeId: ldkNode.nodeId, amountMsat, finalCltvExpiryDelta: 30, recipient: { paymentSecret, totalMsat: amountMsat }, retry: { attempts: 0 } }),
  );
  expect(sent).toEqual({ ok: true, value: undefined });
  await ldkNode.waitFor(() => ldkEvents(ldkNode, ldk.Event_PaymentClaimable).some((e) => toHex(e.payment_hash) === toHex(paymentHash)), 'LDK PaymentClaimable');
  const claimable = ldkEvents(ldkNode, ldk.Event_PaymentClaimable).find((e) => toHex(e.payment_hash) === toHex(paymentHash))!;
  ldkNode.channelManager.claim_funds((claimable.purpose.preimage() as ldk.Option_ThirtyTwoBytesZ_Some).some);
  await until(() => eventsOf(ours, 'payment-sent').some((e) => toHex(e.paymentId) === toHex(paymentId)), 'our PaymentSent');
}

const CASES = [
  { channelType: InteropChannelType.StaticRemoteKey, seed: 140 },
  { channelType: InteropChannelType.Anchors, seed: 142 },
] as const;

for (const { channelType, seed } of CASES) {
  describe(`update_fee from real LDK (${channelType})`, () => {
    it('LDK, the funder, raises its feerate: we accept update_fee, both sides move to it, payments both ways still settle, nothing closes', async () => {
      const peers = await connectToLdk(chain, `mgr-ldk-update-fee-${channelType}`, { channelType, depth: DEPTH, ldkSeed: seed });
      const { ldk: ldkNode, ours } = peers;
      try {
        await ldkOpensToUs(peers);
        expect(storedChannel(ours).feeratePerKw).toBe(253);
        expect(ldkFeerate(ldkNode)).toBe(253);

        ldkNode.feeratePerKw = RAISED_PER_KW;
        ldkNode.channelManager.timer_tick_occurred();
        ldkNode.processEvents();
        // update_fee + commitment_signed from LDK; our revoke_and_ack + commitment_signed; LDK's revoke_and_ack commits it on our side.
        await until(() => {
          const c = storedChannel(ours);
          return c.feeratePerKw === RAISED_PER_KW && c.pendingFeeUpdate === undefined && c.commitments?.awaitingRemoteRevoke === false;
        }, 'our channel at the new feerate');
        await ldkNode.waitFor(() => ldkFeerate(ldkNode) === RAISED_PER_KW, 'LDK at the new feerate');
        expect(storedChannel(ours).commitments?.holderCommitmentNumber).toBe(1n);
        expect(ours.disconnects).toEqual([]);
        expect(eventsOf(ours, 'unsupported-message')).toEqual([]);

        // Payments both ways at the new feerate.
        await ldkPaysUs(peers, 5_000_000n, 1);
        await wePayLdk(peers, 2_000_000n, 2);
        await until(() => only(ours).balanceMsat === PUSH_MSAT + 5_000_000n - 2_000_000n && storedChannel(ours).htlcs === undefined, 'our balance settled');
        expect(storedChannel(ours).feeratePerKw).toBe(RAISED_PER_KW);

        expect(ours.disconnects).toEqual([]);
        expect(eventsOf(ours, 'channel-closed')).toEqual([]);
        expect(ldkEvents(ldkNode, ldk.Event_ChannelClosed)).toEqual([]);
        expect(ldkNode.channelManager.list_usable_channels()).toHaveLength(1);
        expect(only(ours).isUsable).toBe(true);
      } finally {
        await disconnectFromLdk(peers);
      }
    });
  });
}
