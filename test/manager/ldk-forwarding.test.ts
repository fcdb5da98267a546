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
import { toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { decodeInvoice } from '../../shared/invoice/index.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { invoiceOf, payInvoice as pay, startLdkHub, stopLdkHub } from '../support/ldk-hub.js';
import { ldkEvents } from '../support/manager-ldk.js';

const DEPTH = 3;

let chain: RunningRegtestChain;
beforeAll(async () => {
  chain = await startRegtestChain({ port: 0, dataDir: undefined });
});
afterAll(async () => {
  await chain.stop();
});

describe('forwarding between two real LDK nodes', () => {
  it('LDK pays LDK through us: our fee to the msat, PaymentForwarded; a failure from the payee reaches the payer', async () => {
    const hub = await startLdkHub(chain, { label: 'forwarding-hub', payerSeed: 191, payeeSeed: 192, depth: DEPTH, payerChannelSat: 500_000n, payeeChannelSat: 500_000n });
    const { ours, payer, payee, ourId } = hub;
    try {
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
      await stopLdkHub(hub);
    }
  }, 120_000);
});
