/**
 * Issue 18: our node in the middle of two real LDK 0.1 nodes, over TCP on
 * 127.0.0.1 (test/support/manager-hub.ts: one of our nodes with two peers).
 * The payee's invoice carries a route hint through us (LDK puts it there
 * once it has our `channel_update`); the payer pays it through us; we keep
 * our fee (1,000 msat, the default), to the msat on both channels; a
 * payment the payee fails comes back to the payer through us.
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import type { FundingGenerationReady } from '../../shared/channel/index.js';
import { decodeInvoice } from '../../shared/invoice/index.js';
import { parseTransaction } from '../../shared/tx/index.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { testNode } from '../support/channel-harness.js';
import { startLdkNode, type LdkNode } from '../support/ldk-node.js';
import { ManagerHub } from '../support/manager-hub.js';
import { InteropChannelType, concatBlock, ldkEvents, ourConfigFor } from '../support/manager-ldk.js';
import { fundingFromFaucet, postToChain, until } from '../support/regtest-harness.js';

const DEPTH = 3;

let chain: RunningRegtestChain;
beforeAll(async () => {
  chain = await startRegtestChain({ port: 0, dataDir: undefined });
});
afterAll(async () => {
  await chain.stop();
});

function invoiceOf(payee: LdkNode, amountMsat: bigint): ldk.Bolt11Invoice {
  const made = payee.channelManager.create_bolt11_invoice(
    ldk.Option_u64Z.constructor_some(amountMsat),
    ldk.Bolt11InvoiceDescription.constructor_direct((ldk.Description.constructor_new('via us') as ldk.Result_DescriptionCreationErrorZ_OK).res),
    ldk.Option_u32Z.constructor_some(600),
    ldk.Option_u16Z.constructor_none(),
    ldk.Option_ThirtyTwoBytesZ.constructor_none(),
  ) as ldk.Result_Bolt11InvoiceSignOrCreationErrorZ_OK;
  return made.res;
}

function pay(payer: LdkNode, invoice: ldk.Bolt11Invoice, id: number): void {
  const params = ldk.UtilMethods.constructor_payment_parameters_from_invoice(invoice) as ldk.Result_C3Tuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZNoneZ_OK;
  expect(payer.channelManager.send_payment(params.res.get_a(), params.res.get_b(), new Uint8Array(32).fill(id), params.res.get_c(), ldk.Retry.constructor_attempts(0)).is_ok()).toBeTruthy();
}

describe('forwarding between two real LDK nodes', () => {
  it('LDK pays LDK through us: our fee to the msat, PaymentForwarded; a failure from the payee reaches the payer', async () => {
    const payer = await startLdkNode(new Uint8Array(32).fill(191), { minimumDepth: DEPTH });
    const payee = await startLdkNode(new Uint8Array(32).fill(192), { minimumDepth: DEPTH });
    const tip = chain.chain.tip();
    for (const n of [payer, payee]) n.bestBlockUpdated(tip.header, tip.height);
    const ours = new ManagerHub(testNode('forwarding-hub'), { height: tip.height, hash: fromHex(chain.chain.blockAt(tip.height)!.hash).reverse() }, ourConfigFor(InteropChannelType.StaticRemoteKey, DEPTH));
    const post = (tx: Uint8Array) => void postToChain(chain, '/tx', toHex(tx));
    ours.onBroadcast = post;
    payer.onBroadcast = post;
    const ourId = ours.node.keys.getNodeId();
    try {
      ours.dial('127.0.0.1', await payer.listen(0), payer.nodeId);
      ours.dial('127.0.0.1', await payee.listen(0), payee.nodeId);
      await until(() => ours.isReady(payer.nodeId) && ours.isReady(payee.nodeId), 'both LDK inits');

      // Payer -> us: 500,000 sat (LDK funds). Us -> payee: 500,000 sat (we fund).
      expect(payer.channelManager.create_channel(ourId, 500_000n, 0n, 7n, null, null).is_ok()).toBeTruthy();
      await payer.waitFor(() => ldkEvents(payer, ldk.Event_FundingGenerationReady).length === 1, 'payer FundingGenerationReady');
      const gen = ldkEvents(payer, ldk.Event_FundingGenerationReady)[0]!;
      const payerTx = fundingFromFaucet(chain, 'fwd payer', gen.output_script, gen.channel_value_satoshis);
      expect(payer.channelManager.funding_transaction_generated(gen.temporary_channel_id, gen.counterparty_node_id, payerTx).is_ok()).toBeTruthy();
      await payer.waitFor(() => payer.broadcasts.length === 1, 'payer funding broadcast');

      const created = ours.step({ kind: 'create-channel' }, (m) => m.createChannel(payee.nodeId, 500_000n, 0n, 1n));
      if (!created.ok) throw new Error(created.error.message);
      await payee.waitFor(() => ours.events.some((e) => e.event.kind === 'funding-generation-ready'), 'our FundingGenerationReady');
      const ready = ours.events.map((e) => e.event).find((e): e is FundingGenerationReady => e.kind === 'funding-generation-ready')!;
      const ourTx = fundingFromFaucet(chain, 'fwd ours', ready.outputScript, ready.channelValueSatoshis);
      expect(ours.step({ kind: 'funding-transaction-generated', temporaryChannelId: ready.temporaryChannelId }, (m) => m.fundingTransactionGenerated(ready.temporaryChannelId, ourTx)).ok).toBe(true);
      await payee.waitFor(() => ours.channels().filter((c) => c.state === 'awaiting-confirmation').length === 2, 'both channels funded');
      const txids = [parseTransaction(payerTx)!.getId(), parseTransaction(ourTx)!.getId()];
      // Both funding transactions by txid (the faucet's own transactions wait in the mempool too).
      await until(() => txids.every((id) => chain.chain.mempool().some((e) => e.txid === id)), 'both fundings in the mempool');
      const from = chain.chain.tip().height + 1;
      await postToChain(chain, '/regtest/mine', JSON.stringify({ blocks: DEPTH }));
      for (let h = from; h <= chain.chain.tip().height; h++) {
        const block = chain.chain.blockAt(h)!;
        const confirmed = block.txids.map((id, i) => [id, i] as const).filter(([id]) => txids.includes(id));
        for (const n of [payer, payee]) {
          if (confirmed.length > 0) n.transactionsConfirmed(block.header, confirmed.map(([, i]) => [i, block.transactions[i]!.toBuffer()] as const), h);
          n.bestBlockUpdated(block.header, h);
        }
        ours.step({ kind: 'chain' }, (m) => m.blockConnected(concatBlock(block.header, block.transactions.map((t) => t.toBuffer())), h));
      }
      await payer.waitFor(() => payer.channelManager.list_usable_channels().length === 1, 'payer channel usable', 30_000);
      await payee.waitFor(() => payee.channelManager.list_usable_channels().length === 1 && payee.channelManager.list_channels()[0]!.get_counterparty().get_forwarding_info() !== null, 'payee channel usable, our policy known', 30_000);
      await until(() => ours.channels().every((c) => c.isUsable), 'ours usable');

      // A payment through us, by the payee's route hint.
      const before = ours.channels().map((c) => [toHex(c.counterpartyNodeId), c.balanceMsat] as const);
      const amountMsat = 20_000_000n;
      const invoice = invoiceOf(payee, amountMsat);
      const hints = decodeInvoice(wasmSecp256k1, invoice.to_str());
      if (!hints.ok) throw hints.error;
      expect(hints.value.routeHints[0]![0]).toMatchObject({ pubkey: ourId, feeBaseMsat: 1000n, cltvExpiryDelta: 72 });
      pay(payer, invoice, 1);
      await payee.waitFor(() => ldkEvents(payee, ldk.Event_PaymentClaimable).length === 1, 'payee PaymentClaimable');
      const claimable = ldkEvents(payee, ldk.Event_PaymentClaimable)[0]!;
      expect(claimable.amount_msat).toBe(amountMsat);
      payee.channelManager.claim_funds((claimable.purpose.preimage() as ldk.Option_ThirtyTwoBytesZ_Some).some);
      await payer.waitFor(() => ldkEvents(payer, ldk.Event_PaymentSent).length === 1, 'payer PaymentSent');
      expect((ldkEvents(payer, ldk.Event_PaymentSent)[0]!.fee_paid_msat as ldk.Option_u64Z_Some).some).toBe(1_000n);
      await payee.waitFor(() => ours.events.some((e) => e.event.kind === 'payment-forwarded'), 'our PaymentForwarded');
      expect(ours.events.map((e) => e.event).find((e) => e.kind === 'payment-forwarded')).toMatchObject({ amountMsat, feeMsat: 1_000n });
      await payee.waitFor(() => ours.channels().every((c) => c.pendingHtlcs.length === 0), 'our HTLCs settled');
      const after = new Map(ours.channels().map((c) => [toHex(c.counterpartyNodeId), c.balanceMsat] as const));
      for (const [peer, balance] of before) expect(after.get(peer)).toBe(peer === toHex(payer.nodeId) ? balance + amountMsat + 1_000n : balance - amountMsat);

      // The payee fails the next one: the payer hears it, through us.
      const second = invoiceOf(payee, 5_000_000n);
      pay(payer, second, 2);
      await payee.waitFor(() => ldkEvents(payee, ldk.Event_PaymentClaimable).length === 2, 'payee second PaymentClaimable');
      payee.channelManager.fail_htlc_backwards(second.payment_hash());
      await payer.waitFor(() => ldkEvents(payer, ldk.Event_PaymentFailed).length === 1, 'payer PaymentFailed');
      const pathFailed = ldkEvents(payer, ldk.Event_PaymentPathFailed)[0]!;
      expect(pathFailed.payment_failed_permanently).toBeTruthy();
      await payee.waitFor(() => ours.channels().every((c) => c.pendingHtlcs.length === 0), 'our HTLCs settled again');
      expect(ours.events.filter((e) => e.event.kind === 'payment-forwarded')).toHaveLength(1);
    } finally {
      ours.close();
      await payer.stop();
      await payee.stop();
    }
  }, 120_000);
});
