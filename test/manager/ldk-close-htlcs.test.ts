/**
 * Issue 17: a cooperative close started while an HTLC is pending, against
 * real LDK 0.1 over TCP (test/support/manager-ldk.ts), both channel types.
 * We pay LDK and close before LDK claims: LDK answers our `shutdown`, claims
 * in the closing channel, and once the HTLC settled we (the funder)
 * propose; LDK pays us and calls `close_channel` before we claim: we answer,
 * claim, and the close completes. Both sides broadcast the same closing
 * transaction, which the regtest chain validates and mines, paying each
 * side the balance the payment left, no force close anywhere.
 */
import { Transaction } from 'bitcoinjs-lib';
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../shared/crypto/index.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import type { ManagerDriver } from '../support/manager-driver.js';
import { InteropChannelType, connectToLdk, disconnectFromLdk, eventsOf, ldkEvents, only, weOpenToLdk, type ManagerLdkPeers } from '../support/manager-ldk.js';
import { postToChain, until } from '../support/regtest-harness.js';

const DEPTH = 3;
const FUNDING = 250_000n;
const PUSH_MSAT = 30_000_000n;
const AMOUNT_MSAT = 12_345_000n;

let chain: RunningRegtestChain;
beforeAll(async () => {
  chain = await startRegtestChain({ port: 0, dataDir: undefined });
});
afterAll(async () => {
  await chain.stop();
});

function recordBroadcasts(peers: ManagerLdkPeers): { ours: Uint8Array[]; ldk: Uint8Array[] } {
  const recorded = { ours: [] as Uint8Array[], ldk: [] as Uint8Array[] };
  peers.ours.onBroadcast = (tx) => recorded.ours.push(tx);
  peers.ldk.onBroadcast = (tx) => recorded.ldk.push(tx);
  return recorded;
}

/** Our stored channel's HTLCs (direction:state) and whether its dance is at rest. */
function storedDance(ours: ManagerDriver): { htlcs: string[]; atRest: boolean } {
  const entry = [...ours.store.storedChannels().values()][0]!;
  if (!entry.ok || entry.value.kind !== 'channel') throw new Error('no channel item');
  const c = entry.value.channel;
  return { htlcs: (c.htlcs ?? []).map((h) => `${h.direction}:${h.state}`), atRest: c.commitments?.awaitingRemoteRevoke !== true };
}

/** Both sides closed cooperatively, the same transaction broadcast, accepted and mined; returns it. */
async function closedOnBothSides(peers: ManagerLdkPeers, recorded: { ours: Uint8Array[]; ldk: Uint8Array[] }, weStarted: boolean): Promise<Transaction> {
  const { ldk: ldkNode, ours } = peers;
  await ldkNode.waitFor(() => ldkNode.events.some((e) => e instanceof ldk.Event_ChannelClosed) && ours.channels().length === 0, 'both sides closed');
  expect(eventsOf(ours, 'channel-closed').map((e) => e.reason)).toEqual(['cooperative-closure']);
  const closed = ldkEvents(ldkNode, ldk.Event_ChannelClosed);
  expect(closed).toHaveLength(1);
  const reason = weStarted ? ldk.ClosureReason_CounterpartyInitiatedCooperativeClosure : ldk.ClosureReason_LocallyInitiatedCooperativeClosure;
  expect(closed[0]!.reason instanceof reason).toBe(true);
  await ldkNode.waitFor(() => recorded.ldk.length > 0, 'LDK to broadcast the closing transaction');
  expect(recorded.ours).toHaveLength(1);
  expect(toHex(recorded.ldk.at(-1)!)).toBe(toHex(recorded.ours[0]!));
  const tx = Transaction.fromBuffer(Buffer.from(recorded.ours[0]!));
  // The closing transaction spends the funding output alone (a commitment would too, but has no such outputs: checked below).
  expect(tx.ins).toHaveLength(1);
  await postToChain(chain, '/tx', tx.toHex());
  await postToChain(chain, '/regtest/mine', JSON.stringify({ blocks: 1 }));
  expect(chain.chain.transaction(tx.getId())?.block).toBeDefined();
  expect(peers.ours.disconnects).toEqual([]);
  return tx;
}

/** The types of the messages we send from now on. */
function recordSent(ours: ManagerDriver): number[] {
  const types: number[] = [];
  const send = ours.send.bind(ours);
  ours.send = (m) => {
    types.push(m.type);
    send(m);
  };
  return types;
}

/** Output values, smallest first, and the fee (funding less outputs). */
function valuesAndFee(tx: Transaction): { small: bigint; large: bigint; fee: bigint } {
  const values = tx.outs.map((o) => BigInt(o.value)).sort((x, y) => (x < y ? -1 : 1));
  expect(values).toHaveLength(2);
  return { small: values[0]!, large: values[1]!, fee: FUNDING - values[0]! - values[1]! };
}

const CASES = [
  { channelType: InteropChannelType.StaticRemoteKey, seed: 140 },
  { channelType: InteropChannelType.Anchors, seed: 142 },
] as const;

for (const { channelType, seed } of CASES) {
  describe(`cooperative close with an HTLC pending, real LDK (${channelType})`, () => {
    it('we pay LDK and close before LDK claims: LDK claims in the closing channel, then the close completes with the payment settled', async () => {
      const peers = await connectToLdk(chain, `close-htlc-ours-${channelType}`, { channelType, depth: DEPTH, ldkSeed: seed });
      const { ldk: ldkNode, ours } = peers;
      try {
        const channelId = await weOpenToLdk(peers, 'close htlc funder', FUNDING, PUSH_MSAT, 31n);
        await until(() => only(ours).isUsable && ldkNode.channelManager.list_usable_channels().length === 1, 'usable on both sides');
        const inbound = ldkNode.channelManager.create_inbound_payment(ldk.Option_u64Z.constructor_some(AMOUNT_MSAT), 3600, ldk.Option_u16Z.constructor_none());
        if (!(inbound instanceof ldk.Result_C2Tuple_ThirtyTwoBytesThirtyTwoBytesZNoneZ_OK)) throw new Error('LDK create_inbound_payment');
        const [paymentHash, paymentSecret] = [inbound.res.get_a(), inbound.res.get_b()];
        const paymentId = new Uint8Array(32).fill(7);
        const sent = ours.step({ kind: 'send-payment', paymentId, paymentHash, payeeNodeId: ldkNode.nodeId }, (m) =>
          m.sendPayment({ paymentId, paymentHash, payeeNodeId: ldkNode.nodeId, amountMsat: AMOUNT_MSAT, finalCltvExpiryDelta: 30, recipient: { paymentSecret, totalMsat: AMOUNT_MSAT }, retry: { attempts: 0 } }),
        );
        expect(sent).toEqual({ ok: true, value: undefined });
        await ldkNode.waitFor(() => ldkEvents(ldkNode, ldk.Event_PaymentClaimable).length === 1, 'LDK PaymentClaimable');
        await until(() => storedDance(ours).atRest, 'our dance at rest');
        expect(storedDance(ours).htlcs).toEqual(['offered:committed']);

        const recorded = recordBroadcasts(peers);
        const sentTypes = recordSent(ours);
        const peer = ldkNode.nodeId;
        expect(ours.step({ kind: 'close-channel', counterpartyNodeId: peer, channelId }, (m) => m.closeChannel(channelId, peer))).toEqual({ ok: true, value: undefined });
        // LDK answers our shutdown; nobody proposes a fee while the HTLC is there.
        await until(() => only(ours).state === 'negotiating-close', 'LDK shutdown');
        expect(ours.received.some((m) => m.type === 39)).toBe(false);
        expect(sentTypes).toEqual([38]);
        expect(only(ours).isUsable).toBe(false);

        const claimable = ldkEvents(ldkNode, ldk.Event_PaymentClaimable)[0]!;
        ldkNode.channelManager.claim_funds((claimable.purpose.preimage() as ldk.Option_ThirtyTwoBytesZ_Some).some);
        const tx = await closedOnBothSides(peers, recorded, true);
        // LDK's fulfill and the dance (our revoke_and_ack and commitment_signed), then our closing_signed (and our reply to LDK's counter-proposal).
        expect(sentTypes.slice(0, 2)).toEqual([38, 133]);
        expect(sentTypes).toContain(132);
        expect(sentTypes.indexOf(39)).toBeGreaterThan(sentTypes.lastIndexOf(133));
        expect(sentTypes.slice(sentTypes.indexOf(39)).every((t) => t === 39)).toBe(true);
        expect(eventsOf(ours, 'payment-sent').map((e) => toHex(e.paymentId))).toEqual([toHex(paymentId)]);
        await ldkNode.waitFor(() => ldkEvents(ldkNode, ldk.Event_PaymentClaimed).length === 1, 'LDK PaymentClaimed');
        const { small, large, fee } = valuesAndFee(tx);
        // LDK: the push and the payment; us: the rest less the fee we pay as funder.
        expect(small).toBe((PUSH_MSAT + AMOUNT_MSAT) / 1000n);
        expect(large).toBe(FUNDING - (PUSH_MSAT + AMOUNT_MSAT) / 1000n - fee);
        expect(fee > 0n && fee < 3_000n).toBe(true);
      } finally {
        await disconnectFromLdk(peers);
      }
    });

    it('LDK pays us and calls close_channel before we claim: we answer, claim, and the close completes with the payment received', async () => {
      const peers = await connectToLdk(chain, `close-htlc-ldk-${channelType}`, { channelType, depth: DEPTH, ldkSeed: seed + 1 });
      const { ldk: ldkNode, ours } = peers;
      try {
        const channelId = await weOpenToLdk(peers, 'close htlc fundee', FUNDING, PUSH_MSAT, 32n);
        await until(() => only(ours).isUsable && ldkNode.channelManager.list_usable_channels().length === 1, 'usable on both sides');
        const created = ours.step({ kind: 'create-invoice' }, (m) => m.createBolt11Invoice({ description: 'close with htlc', amountMsat: AMOUNT_MSAT, expirySecs: 3600 }));
        if (!created.ok) throw new Error(created.error.message);
        const parsed = ldk.Bolt11Invoice.constructor_from_str(created.value.invoice);
        if (!(parsed instanceof ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK)) throw new Error('LDK could not parse our invoice');
        const params = ldk.UtilMethods.constructor_payment_parameters_from_invoice(parsed.res);
        if (!(params instanceof ldk.Result_C3Tuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZNoneZ_OK)) throw new Error('LDK payment parameters');
        const [hash, onion, route] = [params.res.get_a(), params.res.get_b(), params.res.get_c()];
        expect(ldkNode.channelManager.send_payment(hash, onion, new Uint8Array(32).fill(8), route, ldk.Retry.constructor_attempts(0)).is_ok()).toBeTruthy();
        await until(() => eventsOf(ours, 'payment-claimable').length === 1, 'our PaymentClaimable');
        await until(() => storedDance(ours).atRest, 'our dance at rest');
        expect(storedDance(ours).htlcs).toEqual(['received:committed']);

        const recorded = recordBroadcasts(peers);
        const sentTypes = recordSent(ours);
        expect(ldkNode.channelManager.close_channel(ldk.ChannelId.constructor_new(channelId), ours.node.keys.getNodeId()).is_ok()).toBeTruthy();
        await until(() => only(ours).state === 'negotiating-close', 'LDK shutdown answered');
        // Our shutdown answered LDK's; no closing_signed while the HTLC is there.
        expect(sentTypes).toEqual([38]);

        const claimable = eventsOf(ours, 'payment-claimable')[0]!;
        expect(ours.step({ kind: 'claim-funds', paymentHash: hash }, (m) => m.claimFunds(claimable.paymentPreimage!)).ok).toBe(true);
        const tx = await closedOnBothSides(peers, recorded, false);
        await ldkNode.waitFor(() => ldkEvents(ldkNode, ldk.Event_PaymentSent).length === 1, 'LDK PaymentSent');
        expect(eventsOf(ours, 'payment-claimed').map((e) => toHex(e.paymentHash))).toEqual([toHex(hash)]);
        const { small, large, fee } = valuesAndFee(tx);
        // LDK: the push less the payment; us: the rest plus the payment, less the fee we pay as funder.
        expect(small).toBe((PUSH_MSAT - AMOUNT_MSAT) / 1000n);
        expect(large).toBe(FUNDING - (PUSH_MSAT - AMOUNT_MSAT) / 1000n - fee);
        expect(fee > 0n && fee < 3_000n).toBe(true);
      } finally {
        await disconnectFromLdk(peers);
      }
    });
  });
}
