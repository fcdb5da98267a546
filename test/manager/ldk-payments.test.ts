/**
 * Issue 15: payments between our ChannelManager and real LDK 0.1 (npm
 * `lightningdevkit`) over TCP on 127.0.0.1, for option_static_remotekey and
 * option_anchors_zero_fee_htlc_tx: we pay LDK's invoice, LDK pays ours
 * (decoded by LDK's own invoice parser), keysend both ways, payments LDK
 * fails back (unknown hash, amount too low, an invoice it holds expired by
 * its latest block time), and a reconnection with payments settled. Our
 * side runs as a handler would (test/support/manager-ldk.ts): every input
 * loaded from the stored items, follow-ups applied as inputs of their own.
 * Both sides agree on the balances to the millisatoshi.
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FundingGenerationReady } from '../../shared/channel/index.js';
import { sha256, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { decodeInvoice } from '../../shared/invoice/index.js';
import { isFeatureSupported } from '../../shared/wire/index.js';
import { txidToDisplayHex } from '../../shared/tx/index.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import type { ManagerDriver } from '../support/manager-driver.js';
import { InteropChannelType, confirmAndCompare, connectToLdk, disconnectFromLdk, faucetFunding, mineAndFeed, only, type ManagerLdkPeers, eventsOf, ldkEvents, ldkPaysOurInvoice, wePayLdk } from '../support/manager-ldk.js';
import { decodedInvoice, invoicePayment } from '../support/invoice-payment.js';
import { until } from '../support/regtest-harness.js';

const DEPTH = 3;
const FUNDING = 250_000n;
const PUSH_MSAT = 100_000_000n;

let chain: RunningRegtestChain;
beforeAll(async () => {
  chain = await startRegtestChain({ port: 0, dataDir: undefined });
});
afterAll(async () => {
  await chain.stop();
});

/** Opens a channel from us to LDK (pushing LDK some balance) and confirms it on both sides. */
async function openToLdk(peers: ManagerLdkPeers, funding = FUNDING, pushMsat = PUSH_MSAT): Promise<void> {
  const { ldk: ldkNode, ours } = peers;
  const created = ours.step({ kind: 'create-channel' }, (m) => m.createChannel(ldkNode.nodeId, funding, pushMsat, 1n));
  if (!created.ok) throw new Error(created.error.message);
  await until(() => ours.events.some((e) => e.event.kind === 'funding-generation-ready'), 'FundingGenerationReady');
  const ready = ours.events.map((e) => e.event).find((e): e is FundingGenerationReady => e.kind === 'funding-generation-ready')!;
  const tx = faucetFunding(peers, 'payments funder', ready.outputScript, ready.channelValueSatoshis);
  expect(ours.step({ kind: 'funding-transaction-generated', temporaryChannelId: ready.temporaryChannelId }, (m) => m.fundingTransactionGenerated(ready.temporaryChannelId, tx)).ok).toBe(true);
  await until(() => only(ours).state === 'awaiting-confirmation', 'funding_signed');
  await confirmAndCompare(peers, txidToDisplayHex(only(ours).fundingOutpoint!.txid));
  await until(() => only(ours).isUsable && ldkNode.channelManager.list_usable_channels().length === 1, 'usable on both sides');
}

/** A second channel from us to LDK (LDK given {@link PUSH_MSAT} on it too), usable on both sides. */
async function openSecondChannel(peers: ManagerLdkPeers, label: string): Promise<void> {
  const { ldk: ldkNode, ours } = peers;
  const created = ours.step({ kind: 'create-channel' }, (m) => m.createChannel(ldkNode.nodeId, FUNDING, PUSH_MSAT, 2n));
  if (!created.ok) throw new Error(created.error.message);
  await until(() => ours.events.filter((e) => e.event.kind === 'funding-generation-ready').length === 2, 'second FundingGenerationReady');
  const ready = ours.events.map((e) => e.event).filter((e): e is FundingGenerationReady => e.kind === 'funding-generation-ready')[1]!;
  const before = peers.broadcasts.length;
  const tx = faucetFunding(peers, label, ready.outputScript, ready.channelValueSatoshis);
  expect(ours.step({ kind: 'funding-transaction-generated', temporaryChannelId: ready.temporaryChannelId }, (m) => m.fundingTransactionGenerated(ready.temporaryChannelId, tx)).ok).toBe(true);
  await until(() => peers.broadcasts.length > before, 'second funding broadcast');
  await Promise.all(peers.broadcasts);
  const second = ours.channels().find((c) => c.userChannelId === 2n)!;
  await mineAndFeed(peers, DEPTH, txidToDisplayHex(second.fundingOutpoint!.txid));
  await until(() => ours.channels().every((c) => c.isUsable) && ldkNode.channelManager.list_usable_channels().length === 2, 'two usable channels');
}

/** Whether our channel waits for LDK's `revoke_and_ack` (a new HTLC would be refused: no holding cell yet). */
function awaitingRevoke(ours: ManagerDriver): boolean {
  const entry = [...ours.store.storedChannels().values()][0]!;
  return entry.ok && entry.value.kind === 'channel' && entry.value.channel.commitments?.awaitingRemoteRevoke === true;
}

/** Our balance on the channel and LDK's, which must add up to the channel less nothing in flight; the dance at rest. */
async function settledBalances(peers: ManagerLdkPeers, expectedOursMsat: bigint, funding = FUNDING): Promise<void> {
  const { ldk: ldkNode, ours } = peers;
  await until(() => only(ours).balanceMsat === expectedOursMsat && !awaitingRevoke(ours), `our balance ${expectedOursMsat}`);
  const theirs = ldkNode.channelManager.list_channels()[0]!;
  // LDK's outbound capacity is its balance less the reserve we asked of it.
  await ldkNode.waitFor(() => ldkNode.channelManager.list_channels()[0]!.get_outbound_capacity_msat() === funding * 1000n - expectedOursMsat - (theirs.get_unspendable_punishment_reserve() as ldk.Option_u64Z_Some).some * 1000n, 'LDK agrees');
}

/** Whether any of our channels waits for LDK's `revoke_and_ack`. */
function anyAwaitingRevoke(ours: ManagerDriver): boolean {
  return [...ours.store.storedChannels().values()].some((entry) => {
    return entry.ok && entry.value.kind === 'channel' && entry.value.channel.commitments?.awaitingRemoteRevoke === true;
  });
}

/** Per channel (by id): our balance and capacities, and LDK's, as one comparable line each. */
function channelBalances(peers: ManagerLdkPeers): string[] {
  const ldkById = new Map(peers.ldk.channelManager.list_channels().map((c) => [toHex(c.get_channel_id().get_a()), c]));
  return peers.ours.channels().map((c) => {
    const theirs = ldkById.get(toHex(c.channelId));
    if (theirs === undefined) throw new Error('LDK lacks one of our channels');
    return `${toHex(c.channelId)} ours ${c.balanceMsat}/${c.outboundCapacityMsat}/${c.inboundCapacityMsat} LDK ${theirs.get_outbound_capacity_msat()}/${theirs.get_inbound_capacity_msat()}`;
  }).sort();
}

/** Where a block header keeps its time (seconds, little-endian u32). */
const HEADER_TIME_OFFSET = 68;

/** A block header's time. */
function headerTimeSecs(header: Uint8Array): number {
  return new DataView(header.buffer, header.byteOffset, header.byteLength).getUint32(HEADER_TIME_OFFSET, true);
}

/** LDK 0.1 takes a payment to its invoice until this long after the invoice's expiry (by its highest block time). */
const LDK_EXPIRY_GRACE_SECS = 7200;

const CASES = [
  { channelType: InteropChannelType.StaticRemoteKey, seed: 120 },
  { channelType: InteropChannelType.Anchors, seed: 122 },
] as const;

for (const { channelType, seed } of CASES) {
  describe(`payments with real LDK (${channelType})`, () => {
    it('we pay LDK, LDK pays our invoice, keysend both ways, an unknown hash failed back; balances agree to the msat', async () => {
      const peers = await connectToLdk(chain, `pay-${channelType}`, { channelType, depth: DEPTH, ldkSeed: seed });
      const { ldk: ldkNode, ours } = peers;
      try {
        await openToLdk(peers);
        // LDK sent its channel_update for the private channel: our invoices carry a route hint through LDK
        // (LDK's policy, and the alias LDK sent in channel_ready: its outbound_scid_alias), so a payer behind LDK reaches us.
        await until(() => {
          const inv = ours.step({ kind: 'create-invoice' }, (m) => m.createBolt11Invoice({ description: 'hint', amountMsat: 1_000n, expirySecs: 60 }));
          return inv.ok && (decodeInvoice(wasmSecp256k1, inv.value.invoice) as { ok: true; value: { routeHints: readonly unknown[] } }).value.routeHints.length === 1;
        }, 'a route hint in our invoice');
        const hinted = ours.step({ kind: 'create-invoice' }, (m) => m.createBolt11Invoice({ description: 'hint', amountMsat: 1_000n, expirySecs: 60 }));
        const decodedHint = hinted.ok ? decodeInvoice(wasmSecp256k1, hinted.value.invoice) : undefined;
        const ldkChannel = ldkNode.channelManager.list_channels()[0]!;
        expect(decodedHint?.ok && decodedHint.value.routeHints).toEqual([
          [{ pubkey: ldkNode.nodeId, shortChannelId: (ldkChannel.get_outbound_scid_alias() as ldk.Option_u64Z_Some).some, feeBaseMsat: 1000n, feeProportionalMillionths: 0, cltvExpiryDelta: 72 }],
        ]);
        let expected = only(ours).balanceMsat;
        expect(expected).toBe(FUNDING * 1000n - PUSH_MSAT);

        await wePayLdk(peers, 12_345_000n, 1);
        expected -= 12_345_000n;
        await settledBalances(peers, expected);

        await ldkPaysOurInvoice(peers, 5_000_000n, 2);
        expected += 5_000_000n;
        await settledBalances(peers, expected);

        // LDK keysends to us: the preimage arrives in the onion; we claim it.
        const sent = ldkNode.channelManager.send_spontaneous_payment(
          ldk.Option_ThirtyTwoBytesZ.constructor_none(),
          ldk.RecipientOnionFields.constructor_spontaneous_empty(),
          new Uint8Array(32).fill(3),
          ldk.RouteParameters.constructor_from_payment_params_and_value(ldk.PaymentParameters.constructor_for_keysend(ours.node.keys.getNodeId(), 40, false), 2_000_000n),
          ldk.Retry.constructor_attempts(0),
        );
        expect(sent.is_ok()).toBeTruthy();
        await until(() => eventsOf(ours, 'payment-claimable').some((e) => e.purpose === 'spontaneous'), 'keysend claimable');
        const keysend = eventsOf(ours, 'payment-claimable').find((e) => e.purpose === 'spontaneous')!;
        expect(sha256(keysend.paymentPreimage!)).toEqual(keysend.paymentHash);
        expect(ours.step({ kind: 'claim-funds', paymentHash: keysend.paymentHash }, (m) => m.claimFunds(keysend.paymentPreimage!)).ok).toBe(true);
        await ldkNode.waitFor(() => ldkEvents(ldkNode, ldk.Event_PaymentSent).some((e) => toHex(e.payment_hash) === toHex(keysend.paymentHash)), 'LDK keysend sent');
        expected += 2_000_000n;
        await settledBalances(peers, expected);

        // We keysend to LDK.
        const preimage = sha256(Uint8Array.of(4, seed));
        const paymentId = new Uint8Array(32).fill(4);
        const hash = sha256(preimage);
        expect(
          ours.step({ kind: 'send-payment', paymentId, paymentHash: hash, payeeNodeId: ldkNode.nodeId }, (m) =>
            m.sendPayment({ paymentId, paymentHash: hash, payeeNodeId: ldkNode.nodeId, amountMsat: 3_000_000n, finalCltvExpiryDelta: 40, recipient: { keysendPreimage: preimage }, retry: { attempts: 0 } }),
          ).ok,
        ).toBe(true);
        await ldkNode.waitFor(() => ldkEvents(ldkNode, ldk.Event_PaymentClaimable).some((e) => toHex(e.payment_hash) === toHex(hash)), 'LDK keysend claimable');
        ldkNode.channelManager.claim_funds(preimage);
        await until(() => eventsOf(ours, 'payment-sent').some((e) => toHex(e.paymentId) === toHex(paymentId)), 'our keysend sent');
        expected -= 3_000_000n;
        await settledBalances(peers, expected);

        // A hash LDK never made: LDK fails it back; we report the recipient rejected it, nothing paid.
        const unknownId = new Uint8Array(32).fill(5);
        const unknownHash = sha256(Uint8Array.of(5));
        expect(
          ours.step({ kind: 'send-payment', paymentId: unknownId, paymentHash: unknownHash, payeeNodeId: ldkNode.nodeId }, (m) =>
            m.sendPayment({ paymentId: unknownId, paymentHash: unknownHash, payeeNodeId: ldkNode.nodeId, amountMsat: 1_000_000n, finalCltvExpiryDelta: 30, recipient: { paymentSecret: new Uint8Array(32).fill(9), totalMsat: 1_000_000n }, retry: { attempts: 0 } }),
          ).ok,
        ).toBe(true);
        await until(() => eventsOf(ours, 'payment-failed').some((e) => toHex(e.paymentId) === toHex(unknownId)), 'our PaymentFailed');
        expect(eventsOf(ours, 'payment-failed').find((e) => toHex(e.paymentId) === toHex(unknownId))).toMatchObject({ reason: 'RecipientRejected' });
        expect(eventsOf(ours, 'payment-path-failed').find((e) => toHex(e.paymentId) === toHex(unknownId))).toMatchObject({ paymentFailedPermanently: true, failure: expect.stringContaining('incorrectOrUnknownPaymentDetails') });
        await settledBalances(peers, expected);

        // Less than LDK's invoice asks: LDK fails it back, we report the recipient rejected it, nothing paid.
        const low = ldkNode.channelManager.create_inbound_payment(ldk.Option_u64Z.constructor_some(5_000_000n), 3600, ldk.Option_u16Z.constructor_none()) as ldk.Result_C2Tuple_ThirtyTwoBytesThirtyTwoBytesZNoneZ_OK;
        const lowId = new Uint8Array(32).fill(8);
        expect(
          ours.step({ kind: 'send-payment', paymentId: lowId, paymentHash: low.res.get_a(), payeeNodeId: ldkNode.nodeId }, (m) =>
            m.sendPayment({ paymentId: lowId, paymentHash: low.res.get_a(), payeeNodeId: ldkNode.nodeId, amountMsat: 4_000_000n, finalCltvExpiryDelta: 30, recipient: { paymentSecret: low.res.get_b(), totalMsat: 4_000_000n }, retry: { attempts: 2 } }),
          ).ok,
        ).toBe(true);
        await until(() => eventsOf(ours, 'payment-failed').some((e) => toHex(e.paymentId) === toHex(lowId)), 'our PaymentFailed (amount too low)');
        expect(eventsOf(ours, 'payment-failed').find((e) => toHex(e.paymentId) === toHex(lowId))).toMatchObject({ reason: 'RecipientRejected' });
        await settledBalances(peers, expected);

        // Reconnect: the channel resumes at its commitment numbers and pays again.
        ours.disconnect();
        await ldkNode.waitFor(() => ldkNode.peers().length === 0, 'LDK sees us gone');
        const port = await ldkNode.listen(0);
        ours.dial('127.0.0.1', port, ldkNode.nodeId);
        await until(() => ours.ready, 'LDK init again');
        await until(() => only(ours).isUsable && ldkNode.channelManager.list_usable_channels().length === 1, 'usable again');
        await wePayLdk(peers, 1_000_000n, 6);
        expected -= 1_000_000n;
        await settledBalances(peers, expected);
        expect(ldkEvents(ldkNode, ldk.Event_ChannelClosed)).toEqual([]);
        expect(eventsOf(ours, 'channel-closed')).toEqual([]);
      } finally {
        await disconnectFromLdk(peers);
      }
    }, 120_000);

    it('20 payments in flight each way at once: each completes exactly once, balances agree', async () => {
      const peers = await connectToLdk(chain, `pay20-${channelType}`, { channelType, depth: DEPTH, ldkSeed: seed + 40 });
      const { ldk: ldkNode, ours } = peers;
      try {
        // Large enough that 20 HTLCs each way stay within LDK's limits: 10% of the channel in flight, and above its dust threshold.
        const funding = 2_000_000n;
        await openToLdk(peers, funding, 1_000_000_000n);
        const start = only(ours).balanceMsat;
        const N = 20;
        // LDK pays 20 of our invoices and we pay 20 of LDK's, all started before any settles.
        const ours20 = [...Array(N).keys()].map((i) => {
          const created = ours.step({ kind: 'create-invoice' }, (m) => m.createBolt11Invoice({ description: `in ${i}`, amountMsat: 3_000_000n + BigInt(i), expirySecs: 3600 }));
          if (!created.ok) throw new Error(created.error.message);
          return created.value;
        });
        const theirs20 = [...Array(N).keys()].map((i) => {
          const inbound = ldkNode.channelManager.create_inbound_payment(ldk.Option_u64Z.constructor_some(4_000_000n + BigInt(i)), 3600, ldk.Option_u16Z.constructor_none());
          if (!(inbound instanceof ldk.Result_C2Tuple_ThirtyTwoBytesThirtyTwoBytesZNoneZ_OK)) throw new Error('LDK create_inbound_payment');
          return { hash: inbound.res.get_a(), secret: inbound.res.get_b(), amountMsat: 4_000_000n + BigInt(i) };
        });
        for (const [i, invoice] of ours20.entries()) {
          const parsed = ldk.Bolt11Invoice.constructor_from_str(invoice.invoice) as ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK;
          const params = ldk.UtilMethods.constructor_payment_parameters_from_invoice(parsed.res) as ldk.Result_C3Tuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZNoneZ_OK;
          expect(ldkNode.channelManager.send_payment(params.res.get_a(), params.res.get_b(), new Uint8Array(32).fill(100 + i), params.res.get_c(), ldk.Retry.constructor_attempts(0)).is_ok()).toBeTruthy();
        }
        for (const [i, p] of theirs20.entries()) {
          const paymentId = new Uint8Array(32).fill(i + 1);
          const sent = ours.step({ kind: 'send-payment', paymentId, paymentHash: p.hash, payeeNodeId: ldkNode.nodeId }, (m) =>
            m.sendPayment({ paymentId, paymentHash: p.hash, payeeNodeId: ldkNode.nodeId, amountMsat: p.amountMsat, finalCltvExpiryDelta: 30, recipient: { paymentSecret: p.secret, totalMsat: p.amountMsat }, retry: { attempts: 0 } }),
          );
          expect(sent.ok).toBe(true);
        }
        // Claim on both sides as they become claimable.
        const claimed = new Set<string>();
        await until(() => {
          for (const e of eventsOf(ours, 'payment-claimable')) {
            const key = toHex(e.paymentHash);
            if (claimed.has(key)) continue;
            claimed.add(key);
            expect(ours.step({ kind: 'claim-funds', paymentHash: e.paymentHash }, (m) => m.claimFunds(e.paymentPreimage!)).ok).toBe(true);
          }
          for (const e of ldkEvents(ldkNode, ldk.Event_PaymentClaimable)) {
            const key = toHex(e.payment_hash);
            if (claimed.has(key)) continue;
            claimed.add(key);
            ldkNode.channelManager.claim_funds((e.purpose.preimage() as ldk.Option_ThirtyTwoBytesZ_Some).some);
          }
          return eventsOf(ours, 'payment-sent').length === N && ldkEvents(ldkNode, ldk.Event_PaymentSent).length === N;
        }, 'all 40 payments settled');
        expect(eventsOf(ours, 'payment-claimed')).toHaveLength(N);
        const received = ours20.reduce((sum, _inv, i) => sum + 3_000_000n + BigInt(i), 0n);
        const paid = theirs20.reduce((sum, p) => sum + p.amountMsat, 0n);
        await settledBalances(peers, start + received - paid, funding);
        expect(eventsOf(ours, 'channel-closed')).toEqual([]);
        expect(ldkEvents(ldkNode, ldk.Event_ChannelClosed)).toEqual([]);
      } finally {
        await disconnectFromLdk(peers);
      }
    }, 120_000);

    it('LDK pays our invoice over two channels (multi-part): collected until the total, claimed on both', async () => {
      const peers = await connectToLdk(chain, `mpp-${channelType}`, { channelType, depth: DEPTH, ldkSeed: seed + 60 });
      const { ldk: ldkNode, ours } = peers;
      try {
        await openToLdk(peers);
        await openSecondChannel(peers, 'mpp second funder');

        // 40,000 sat: more than one channel takes in flight (10% of 250,000 sat), so LDK splits it.
        const amountMsat = 40_000_000n;
        const invoice = ours.step({ kind: 'create-invoice' }, (m) => m.createBolt11Invoice({ description: 'mpp', amountMsat, expirySecs: 3600 }));
        if (!invoice.ok) throw new Error(invoice.error.message);
        const parsed = ldk.Bolt11Invoice.constructor_from_str(invoice.value.invoice) as ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK;
        const params = ldk.UtilMethods.constructor_payment_parameters_from_invoice(parsed.res) as ldk.Result_C3Tuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZNoneZ_OK;
        expect(ldkNode.channelManager.send_payment(params.res.get_a(), params.res.get_b(), new Uint8Array(32).fill(77), params.res.get_c(), ldk.Retry.constructor_attempts(3)).is_ok()).toBeTruthy();
        await until(() => eventsOf(ours, 'payment-claimable').length === 1, 'our PaymentClaimable for all parts');
        const [claimable] = eventsOf(ours, 'payment-claimable');
        expect(claimable).toMatchObject({ paymentHash: invoice.value.paymentHash, amountMsat, purpose: 'invoice' });
        const balances = () => ours.channels().map((c) => c.balanceMsat).reduce((a, b) => a + b, 0n);
        const start = balances();
        expect(ours.step({ kind: 'claim-funds', paymentHash: claimable!.paymentHash }, (m) => m.claimFunds(claimable!.paymentPreimage!)).ok).toBe(true);
        await ldkNode.waitFor(() => ldkEvents(ldkNode, ldk.Event_PaymentSent).length === 1, 'LDK PaymentSent');
        await until(() => balances() === start + amountMsat, 'both parts settled on our side');
        // Both channels carried a part.
        expect(ours.channels().every((c) => c.balanceMsat > FUNDING * 1000n - PUSH_MSAT)).toBe(true);
        expect(eventsOf(ours, 'payment-claimed')).toMatchObject([{ amountMsat }]);
      } finally {
        await disconnectFromLdk(peers);
      }
    }, 120_000);

    it("we pay LDK's invoice over two channels (multi-part, basic_mpp): LDK claims once with both parts", async () => {
      const peers = await connectToLdk(chain, `mpp-out-${channelType}`, { channelType, depth: DEPTH, ldkSeed: seed + 70 });
      const { ldk: ldkNode, ours } = peers;
      try {
        await openToLdk(peers);
        await openSecondChannel(peers, 'mpp-out second funder');
        // 40,000 sat: more than either channel can add in flight (LDK takes 10% of 250,000 sat), less than both.
        const amountMsat = 40_000_000n;
        const limits = ours.channels().map((c) => c.nextOutboundHtlcLimitMsat);
        expect(limits.every((l) => l < amountMsat)).toBe(true);
        expect(limits[0]! + limits[1]!).toBeGreaterThanOrEqual(amountMsat);
        const created = ldkNode.channelManager.create_bolt11_invoice(
          ldk.Option_u64Z.constructor_some(amountMsat),
          ldk.Bolt11InvoiceDescription.constructor_direct((ldk.Description.constructor_new('mpp out') as ldk.Result_DescriptionCreationErrorZ_OK).res),
          ldk.Option_u32Z.constructor_some(600),
          ldk.Option_u16Z.constructor_none(),
          ldk.Option_ThirtyTwoBytesZ.constructor_none(),
        ) as ldk.Result_Bolt11InvoiceSignOrCreationErrorZ_OK;
        const d = decodedInvoice(created.res.to_str());
        expect(isFeatureSupported(d.features, 'basic_mpp')).toBe(true);
        const balances = () => ours.channels().map((c) => c.balanceMsat);
        const start = balances();
        const paymentId = new Uint8Array(32).fill(78);
        const payment = invoicePayment(d, { paymentId, attempts: 2, basicMpp: true });
        const paid = ours.step(payment.input, payment.send);
        expect(paid).toEqual({ ok: true, value: undefined });
        await ldkNode.waitFor(() => ldkEvents(ldkNode, ldk.Event_PaymentClaimable).length === 1, 'LDK PaymentClaimable for the total');
        const claimable = ldkEvents(ldkNode, ldk.Event_PaymentClaimable)[0]!;
        expect(claimable.amount_msat).toBe(amountMsat);
        ldkNode.channelManager.claim_funds((claimable.purpose.preimage() as ldk.Option_ThirtyTwoBytesZ_Some).some);
        await ldkNode.waitFor(() => ldkEvents(ldkNode, ldk.Event_PaymentClaimed).length === 1, 'LDK PaymentClaimed');
        const claimed = ldkEvents(ldkNode, ldk.Event_PaymentClaimed)[0]!;
        expect(claimed.amount_msat).toBe(amountMsat);
        // LDK claimed both parts, one per channel.
        expect(claimed.htlcs.length).toBe(2);
        await until(() => eventsOf(ours, 'payment-sent').length === 1, 'our PaymentSent');
        expect(eventsOf(ours, 'payment-sent')).toEqual([expect.objectContaining({ paymentId, paymentHash: d.paymentHash, feePaidMsat: 0n })]);
        await until(() => balances().reduce((a, b) => a + b, 0n) === start.reduce((a, b) => a + b, 0n) - amountMsat && !awaitingRevoke(ours), 'both parts settled on our side');
        const moved = balances().map((b, i) => start[i]! - b);
        expect(moved.every((m) => m > 0n)).toBe(true);
        expect(eventsOf(ours, 'payment-sent')).toHaveLength(1);
        expect(eventsOf(ours, 'payment-failed')).toEqual([]);
        expect(eventsOf(ours, 'channel-closed')).toEqual([]);
      } finally {
        await disconnectFromLdk(peers);
      }
    }, 120_000);

    it("an invoice LDK holds expired (a block time past it) is failed back: the recipient rejected it, no retry over the other channel, nothing moved", async () => {
      const peers = await connectToLdk(chain, `expired-${channelType}`, { channelType, depth: DEPTH, ldkSeed: seed + 80 });
      const { ldk: ldkNode, ours } = peers;
      try {
        await openToLdk(peers);
        await openSecondChannel(peers, 'expired second funder');
        const before = channelBalances(peers);

        // LDK's invoice, valid for ten minutes by our clock.
        const amountMsat = 2_000_000n;
        const expirySecs = 600;
        const created = ldkNode.channelManager.create_bolt11_invoice(
          ldk.Option_u64Z.constructor_some(amountMsat),
          ldk.Bolt11InvoiceDescription.constructor_direct((ldk.Description.constructor_new('expires') as ldk.Result_DescriptionCreationErrorZ_OK).res),
          ldk.Option_u32Z.constructor_some(expirySecs),
          ldk.Option_u16Z.constructor_none(),
          ldk.Option_ThirtyTwoBytesZ.constructor_none(),
        ) as ldk.Result_Bolt11InvoiceSignOrCreationErrorZ_OK;
        const invoice = decodedInvoice(created.res.to_str());
        expect(invoice.expirySeconds).toBe(expirySecs);
        expect(invoice.expiresAtSec).toBeGreaterThan(Math.floor(Date.now() / 1000) + 60);

        // LDK's clock is the highest block time it has seen, and it takes an invoice's payment until two hours past
        // the invoice's expiry. The tip comes again with a time beyond that (a replacement at the same height, so no
        // height changes): LDK now holds the invoice expired while our clock still has it valid for minutes.
        const seenSecs = Math.max(...[...Array(peers.fedHeight + 1).keys()].map((h) => headerTimeSecs(peers.chain.chain.blockAt(h)!.header)));
        const later = Uint8Array.from(peers.chain.chain.blockAt(peers.fedHeight)!.header);
        new DataView(later.buffer).setUint32(HEADER_TIME_OFFSET, seenSecs + expirySecs + LDK_EXPIRY_GRACE_SECS + 60, true);
        ldkNode.bestBlockUpdated(later, peers.fedHeight);

        // Two attempts allowed and two channels to try: the payee's permanent refusal must not be retried.
        const paymentId = new Uint8Array(32).fill(81);
        const payment = invoicePayment(invoice, { paymentId, attempts: 2, basicMpp: true });
        expect(ours.step(payment.input, payment.send)).toEqual({ ok: true, value: undefined });
        await until(() => eventsOf(ours, 'payment-failed').some((e) => toHex(e.paymentId) === toHex(paymentId)), 'our PaymentFailed (expired)');
        expect(eventsOf(ours, 'payment-failed')).toEqual([expect.objectContaining({ paymentId, paymentHash: invoice.paymentHash, reason: 'RecipientRejected' })]);
        // LDK answers an expired payment as it answers an unknown hash: incorrect_or_unknown_payment_details.
        expect(eventsOf(ours, 'payment-path-failed')).toEqual([
          expect.objectContaining({ paymentId, paymentFailedPermanently: true, failure: expect.stringContaining('incorrectOrUnknownPaymentDetails') }),
        ]);
        expect(ldkNode.log.some((line) => line.includes(toHex(invoice.paymentHash)) && line.includes('expired payment'))).toBe(true);
        const failedAtLdk = ldkEvents(ldkNode, ldk.Event_HTLCHandlingFailed).filter((e) => {
          const destination = e.failed_next_destination;
          return destination instanceof ldk.HTLCDestination_FailedPayment && toHex(destination.payment_hash) === toHex(invoice.paymentHash);
        });
        expect(failedAtLdk).toHaveLength(1);
        expect(ldkEvents(ldkNode, ldk.Event_PaymentClaimable)).toEqual([]);
        expect(eventsOf(ours, 'payment-sent')).toEqual([]);

        // Nothing moved on either channel, on either side, and both are at rest.
        await until(() => !anyAwaitingRevoke(ours) && JSON.stringify(channelBalances(peers)) === JSON.stringify(before), 'balances back where they were');
        expect(eventsOf(ours, 'channel-closed')).toEqual([]);
        expect(ldkEvents(ldkNode, ldk.Event_ChannelClosed)).toEqual([]);
      } finally {
        await disconnectFromLdk(peers);
      }
    }, 120_000);
  });
}
