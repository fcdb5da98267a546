/**
 * Our dust exposure limit against real LDK 0.1 (in-process, over TCP): LDK,
 * expecting fees ten times higher than we do (so its own limit is ten times
 * ours), pays us a second dust HTLC past our 2,530-sat limit; we fail it
 * back with `temporary_channel_failure` (docs/htlcs.md "Refused at
 * admission"), LDK reports the payment failed, nothing closes, and the
 * first payment still settles.
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FundingGenerationReady } from '../../shared/channel/index.js';
import { toHex } from '../../shared/crypto/index.js';
import { txidToDisplayHex } from '../../shared/tx/index.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { InteropChannelType, confirmAndCompare, connectToLdk, disconnectFromLdk, eventsOf, faucetFunding, ldkEvents, only, type ManagerLdkPeers } from '../support/manager-ldk.js';
import { until } from '../support/regtest-harness.js';

let chain: RunningRegtestChain;
beforeAll(async () => {
  chain = await startRegtestChain({ port: 0, dataDir: undefined });
});
afterAll(async () => {
  await chain.stop();
});

async function openToLdk(peers: ManagerLdkPeers): Promise<void> {
  const { ldk: ldkNode, ours } = peers;
  const created = ours.step({ kind: 'create-channel' }, (m) => m.createChannel(ldkNode.nodeId, 250_000n, 100_000_000n, 1n));
  if (!created.ok) throw new Error(created.error.message);
  await until(() => ours.events.some((e) => e.event.kind === 'funding-generation-ready'), 'FundingGenerationReady');
  const ready = ours.events.map((e) => e.event).find((e): e is FundingGenerationReady => e.kind === 'funding-generation-ready')!;
  const tx = faucetFunding(peers, 'admission funder', ready.outputScript, ready.channelValueSatoshis);
  expect(ours.step({ kind: 'funding-transaction-generated', temporaryChannelId: ready.temporaryChannelId }, (m) => m.fundingTransactionGenerated(ready.temporaryChannelId, tx)).ok).toBe(true);
  await until(() => only(ours).state === 'awaiting-confirmation', 'funding_signed');
  await confirmAndCompare(peers, txidToDisplayHex(only(ours).fundingOutpoint!.txid));
  await until(() => only(ours).isUsable && ldkNode.channelManager.list_usable_channels().length === 1, 'usable on both sides');
}

/** LDK starts paying our invoice of `amountMsat`: its payment hash. */
function ldkPays(peers: ManagerLdkPeers, amountMsat: bigint, id: number): Uint8Array {
  const { ldk: ldkNode, ours } = peers;
  const created = ours.step({ kind: 'create-invoice' }, (m) => m.createBolt11Invoice({ description: `order ${id}`, amountMsat, expirySecs: 3600 }));
  if (!created.ok) throw new Error(created.error.message);
  const parsed = ldk.Bolt11Invoice.constructor_from_str(created.value.invoice);
  if (!(parsed instanceof ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK)) throw new Error('LDK could not parse our invoice');
  const params = ldk.UtilMethods.constructor_payment_parameters_from_invoice(parsed.res);
  if (!(params instanceof ldk.Result_C3Tuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZNoneZ_OK)) throw new Error('LDK payment parameters');
  const [hash, onion, route] = [params.res.get_a(), params.res.get_b(), params.res.get_c()];
  expect(ldkNode.channelManager.send_payment(hash, onion, new Uint8Array(32).fill(id), route, ldk.Retry.constructor_attempts(0)).is_ok()).toBeTruthy();
  return hash;
}

it('LDK pays a dust HTLC past our dust exposure limit: failed back (temporary_channel_failure), nothing closes, the first payment settles', async () => {
  const peers = await connectToLdk(chain, 'mgr-ldk-admission', { channelType: InteropChannelType.StaticRemoteKey, depth: 3, ldkSeed: 150 });
  const { ldk: ldkNode, ours } = peers;
  try {
    await openToLdk(peers);
    // LDK's fastest estimate 2,530 sat/kW: its limit is 25,300 sat, ours (253 sat/kW) 2,530 sat.
    ldkNode.feeratePerKw = 2_530;
    const first = ldkPays(peers, 2_000_000n, 1);
    await until(() => eventsOf(ours, 'payment-claimable').some((e) => toHex(e.paymentHash) === toHex(first)), 'our PaymentClaimable');

    const second = ldkPays(peers, 600_000n, 2);
    await ldkNode.waitFor(() => ldkEvents(ldkNode, ldk.Event_PaymentFailed).some((e) => toHex(e.payment_id) === toHex(new Uint8Array(32).fill(2))), 'LDK PaymentFailed');
    const pathFailed = ldkEvents(ldkNode, ldk.Event_PaymentPathFailed).find((e) => toHex(e.payment_hash) === toHex(second))!;
    // Failed by us, the final hop, with an error LDK does not take as permanent (incorrect_or_unknown_payment_details would be).
    expect(Boolean(pathFailed.payment_failed_permanently)).toBe(false);
    expect(eventsOf(ours, 'payment-claimable')).toHaveLength(1);
    expect(eventsOf(ours, 'channel-closed')).toEqual([]);
    expect(ldkEvents(ldkNode, ldk.Event_ChannelClosed)).toEqual([]);

    const claimable = eventsOf(ours, 'payment-claimable')[0]!;
    expect(ours.step({ kind: 'claim-funds', paymentHash: first }, (m) => m.claimFunds(claimable.paymentPreimage!)).ok).toBe(true);
    await ldkNode.waitFor(() => ldkEvents(ldkNode, ldk.Event_PaymentSent).some((e) => toHex(e.payment_hash) === toHex(first)), 'LDK PaymentSent');
    expect(ldkNode.channelManager.list_usable_channels()).toHaveLength(1);
    expect(only(ours).isUsable).toBe(true);
  } finally {
    await disconnectFromLdk(peers);
  }
});
