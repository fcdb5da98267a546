/**
 * Issue 15: payments through a real LDK node in the middle (LDK 0.1,
 * `accept_forwards_to_priv_channels` on: off by default), all over TCP on
 * 127.0.0.1: a second LDK node pays our invoice through the first one,
 * routed by our invoice's route hint (the first node's alias and policy
 * from its `channel_update`), and we pay the second node's invoice through
 * the first one by the hint in its invoice. Both see the fee the middle
 * node charges (1,000 msat base, LDK's default).
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FundingGenerationReady } from '../../shared/channel/index.js';
import { toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { decodeInvoice } from '../../shared/invoice/index.js';
import { parseTransaction, txidToDisplayHex } from '../../shared/tx/index.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { startLdkNode, type LdkNode } from '../support/ldk-node.js';
import { InteropChannelType, confirmAndCompare, connectToLdk, disconnectFromLdk, faucetFunding, mineAndFeed, only, type ManagerLdkPeers, eventsOf, ldkEvents } from '../support/manager-ldk.js';
import { postToChain, until } from '../support/regtest-harness.js';

const DEPTH = 3;

let chain: RunningRegtestChain;
beforeAll(async () => {
  chain = await startRegtestChain({ port: 0, dataDir: undefined });
});
afterAll(async () => {
  await chain.stop();
});

/** Feeds `node` the chain's blocks from `from` to the tip (the funding transactions among them confirmed). */
function feed(node: LdkNode, from: number, txids: readonly string[]): void {
  for (let h = from; h <= chain.chain.tip().height; h++) {
    const block = chain.chain.blockAt(h)!;
    const confirmed = block.txids.map((id, i) => [id, i] as const).filter(([id]) => txids.includes(id));
    if (confirmed.length > 0) node.transactionsConfirmed(block.header, confirmed.map(([, i]) => [i, block.transactions[i]!.toBuffer()] as const), h);
    node.bestBlockUpdated(block.header, h);
  }
}

describe('payments through a real LDK node in the middle (route hints)', () => {
  it('LDK pays our invoice through LDK; we pay LDK through LDK', async () => {
    const peers: ManagerLdkPeers = await connectToLdk(chain, 'three', { channelType: InteropChannelType.StaticRemoteKey, depth: DEPTH, ldkSeed: 140, ldkForwardsToPrivateChannels: true });
    const { ldk: middle, ours } = peers;
    const payer = await startLdkNode(new Uint8Array(32).fill(141), { minimumDepth: DEPTH });
    try {
      // Us -> middle: 500,000 sat, 200,000 pushed to the middle node.
      const created = ours.step({ kind: 'create-channel' }, (m) => m.createChannel(middle.nodeId, 500_000n, 200_000_000n, 1n));
      if (!created.ok) throw new Error(created.error.message);
      await until(() => ours.events.some((e) => e.event.kind === 'funding-generation-ready'), 'FundingGenerationReady');
      const ready = ours.events.map((e) => e.event).find((e): e is FundingGenerationReady => e.kind === 'funding-generation-ready')!;
      const tx = faucetFunding(peers, 'three ours', ready.outputScript, ready.channelValueSatoshis);
      expect(ours.step({ kind: 'funding-transaction-generated', temporaryChannelId: ready.temporaryChannelId }, (m) => m.fundingTransactionGenerated(ready.temporaryChannelId, tx)).ok).toBe(true);
      await until(() => only(ours).state === 'awaiting-confirmation', 'funding_signed');
      const ourFunding = txidToDisplayHex(only(ours).fundingOutpoint!.txid);
      const from = chain.chain.tip().height + 1;
      feed(payer, 1, []);
      await confirmAndCompare(peers, ourFunding);
      feed(payer, from, []);

      // Payer -> middle: 500,000 sat, LDK to LDK.
      const port = await middle.listen(0);
      await payer.connect(middle.nodeId, '127.0.0.1', port);
      await payer.waitFor(() => payer.peers().length === 1, 'payer connected to the middle');
      expect(payer.channelManager.create_channel(middle.nodeId, 500_000n, 100_000_000n, 7n, null, null).is_ok()).toBeTruthy();
      await payer.waitFor(() => ldkEvents(payer, ldk.Event_FundingGenerationReady).length === 1, 'payer FundingGenerationReady');
      const gen = ldkEvents(payer, ldk.Event_FundingGenerationReady)[0]!;
      const ldkTx = faucetFunding(peers, 'three payer', gen.output_script, gen.channel_value_satoshis);
      payer.onBroadcast = (b) => void postToChain(chain, '/tx', toHex(b));
      expect(payer.channelManager.funding_transaction_generated(gen.temporary_channel_id, gen.counterparty_node_id, ldkTx).is_ok()).toBeTruthy();
      await payer.waitFor(() => payer.broadcasts.length === 1, 'payer funding broadcast');
      await until(() => chain.chain.mempool().length > 0, 'in the mempool');
      const ldkFunding = parseTransaction(payer.broadcasts[0]!)!.getId();
      const before = chain.chain.tip().height + 1;
      // The middle node and ours are fed by mineAndFeed (the middle sees its funding confirm), the payer here.
      await mineAndFeed(peers, DEPTH, ldkFunding);
      feed(payer, before, [ldkFunding]);
      await payer.waitFor(() => payer.channelManager.list_usable_channels().length === 1, 'payer channel usable');
      await middle.waitFor(() => middle.channelManager.list_usable_channels().length === 2, 'middle: both channels usable');

      // The payer pays our invoice through the middle node, by our route hint.
      await until(() => {
        const inv = ours.step({ kind: 'create-invoice' }, (m) => m.createBolt11Invoice({ description: 'three', amountMsat: 1_000n, expirySecs: 60 }));
        return inv.ok && (decodeInvoice(wasmSecp256k1, inv.value.invoice) as { ok: true; value: { routeHints: readonly unknown[] } }).value.routeHints.length === 1;
      }, 'a route hint in our invoice');
      const amountMsat = 30_000_000n;
      const invoice = ours.step({ kind: 'create-invoice' }, (m) => m.createBolt11Invoice({ description: 'through the middle', amountMsat, expirySecs: 600 }));
      if (!invoice.ok) throw new Error(invoice.error.message);
      const parsed = ldk.Bolt11Invoice.constructor_from_str(invoice.value.invoice) as ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK;
      const params = ldk.UtilMethods.constructor_payment_parameters_from_invoice(parsed.res) as ldk.Result_C3Tuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZNoneZ_OK;
      expect(payer.channelManager.send_payment(params.res.get_a(), params.res.get_b(), new Uint8Array(32).fill(1), params.res.get_c(), ldk.Retry.constructor_attempts(0)).is_ok()).toBeTruthy();
      await until(() => eventsOf(ours, 'payment-claimable').length === 1, 'our PaymentClaimable through the middle');
      const claimable = eventsOf(ours, 'payment-claimable')[0]!;
      expect(claimable).toMatchObject({ paymentHash: invoice.value.paymentHash, amountMsat });
      expect(ours.step({ kind: 'claim-funds', paymentHash: claimable.paymentHash }, (m) => m.claimFunds(claimable.paymentPreimage!)).ok).toBe(true);
      await payer.waitFor(() => ldkEvents(payer, ldk.Event_PaymentSent).length === 1, 'payer PaymentSent');
      const sent = ldkEvents(payer, ldk.Event_PaymentSent)[0]!;
      expect((sent.fee_paid_msat as ldk.Option_u64Z_Some).some).toBe(1_000n);

      // We pay the payer's own invoice through the middle node, by the hint in it.
      const theirs = payer.channelManager.create_bolt11_invoice(
        ldk.Option_u64Z.constructor_some(20_000_000n),
        ldk.Bolt11InvoiceDescription.constructor_direct((ldk.Description.constructor_new('back') as ldk.Result_DescriptionCreationErrorZ_OK).res),
        ldk.Option_u32Z.constructor_some(600),
        ldk.Option_u16Z.constructor_none(),
        ldk.Option_ThirtyTwoBytesZ.constructor_none(),
      ) as ldk.Result_Bolt11InvoiceSignOrCreationErrorZ_OK;
      const decoded = decodeInvoice(wasmSecp256k1, theirs.res.to_str());
      if (!decoded.ok) throw decoded.error;
      const d = decoded.value;
      expect(d.routeHints.length).toBeGreaterThan(0);
      const paymentId = new Uint8Array(32).fill(2);
      const paid = ours.step({ kind: 'send-payment', paymentId, paymentHash: d.paymentHash, payeeNodeId: d.payeeNodeId, routeHints: d.routeHints }, (m) =>
        m.sendPayment({ paymentId, paymentHash: d.paymentHash, payeeNodeId: d.payeeNodeId, amountMsat: 20_000_000n, finalCltvExpiryDelta: d.minFinalCltvExpiryDelta, routeHints: d.routeHints, recipient: { paymentSecret: d.paymentSecret, totalMsat: 20_000_000n }, retry: { attempts: 1 }, expiresAtSecs: d.expiresAtSec }),
      );
      expect(paid).toEqual({ ok: true, value: undefined });
      await payer.waitFor(() => ldkEvents(payer, ldk.Event_PaymentClaimable).length === 1, 'payer PaymentClaimable');
      const theirClaimable = ldkEvents(payer, ldk.Event_PaymentClaimable)[0]!;
      payer.channelManager.claim_funds((theirClaimable.purpose.preimage() as ldk.Option_ThirtyTwoBytesZ_Some).some);
      await until(() => eventsOf(ours, 'payment-sent').length === 1, 'our PaymentSent');
      expect(eventsOf(ours, 'payment-sent')[0]).toMatchObject({ paymentId, paymentHash: d.paymentHash, feePaidMsat: 1_000n });
      expect(eventsOf(ours, 'channel-closed')).toEqual([]);
    } finally {
      await payer.stop();
      await disconnectFromLdk(peers);
    }
  }, 120_000);
});
