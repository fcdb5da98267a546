/**
 * Issue 15: a disconnect in the middle of the commitment dance with real LDK
 * 0.1, at each message. For a payment each way (we pay LDK's invoice; LDK
 * pays ours), the connection drops right after our node applied the k-th
 * dance message it received (k = 1, 2, ...: `update_add_htlc`,
 * `commitment_signed`, `revoke_and_ack`, `update_fulfill_htlc`), losing
 * whatever either side had in flight; we reconnect and the channel is
 * reestablished (BOLT 2 retransmission). Every input of our node is loaded
 * from its stored items (test/support/manager-driver.ts), so each drop is
 * also a restart of our side. Afterwards the payment completed exactly once
 * on both sides, nothing is left in flight, the channel was never closed,
 * and both sides agree on the balance to the millisatoshi.
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../shared/crypto/index.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { InteropChannelType, connectToLdk, disconnectFromLdk, eventsOf, ldkEvents, only, weOpenToLdk, type ManagerLdkPeers } from '../support/manager-ldk.js';
import { until as untilAsync } from '../support/raw-peer.js';
import { until } from '../support/regtest-harness.js';

const DEPTH = 3;
const FUNDING = 250_000n;
const PUSH_MSAT = 100_000_000n;
const AMOUNT_MSAT = 5_000_000n;
/** The dance messages: update_add_htlc, update_fulfill_htlc, update_fail_htlc, commitment_signed, revoke_and_ack, update_fail_malformed_htlc. */
const DANCE = new Set([128, 130, 131, 132, 133, 135]);

let chain: RunningRegtestChain;
beforeAll(async () => {
  chain = await startRegtestChain({ port: 0, dataDir: undefined });
});
afterAll(async () => {
  await chain.stop();
});

/** Drops the connection right after our node applied the `k`-th dance message it received from now on; resolves how many it saw. */
function dropAfter(peers: ManagerLdkPeers, k: number): { dropped: () => boolean } {
  let seen = 0;
  let dropped = false;
  peers.ours.onChannelMessage = (m) => {
    if (dropped || !DANCE.has(m.type)) return;
    if (++seen === k) {
      dropped = true;
      peers.ours.disconnect();
    }
  };
  return { dropped: () => dropped };
}

/** Dials LDK again once it has seen us gone; resolves when the channel is usable on both sides. */
async function reconnect(peers: ManagerLdkPeers): Promise<void> {
  const { ldk: ldkNode, ours } = peers;
  await ldkNode.waitFor(() => ldkNode.peers().length === 0, 'LDK sees us gone');
  const port = await ldkNode.listen(0);
  ours.dial('127.0.0.1', port, ldkNode.nodeId);
  await until(() => ours.ready, 'LDK init again');
}

/** Nothing in flight on either side, and LDK's view of our balance is ours. */
async function atRest(peers: ManagerLdkPeers, expectedOursMsat: bigint): Promise<void> {
  const { ldk: ldkNode, ours } = peers;
  await until(() => only(ours).isUsable && ldkNode.channelManager.list_usable_channels().length === 1, 'usable on both sides');
  await until(() => only(ours).pendingHtlcs.length === 0 && only(ours).balanceMsat === expectedOursMsat, `our balance ${expectedOursMsat} with nothing in flight`);
  await ldkNode.waitFor(() => {
    const theirs = ldkNode.channelManager.list_channels()[0]!;
    if (theirs.get_pending_inbound_htlcs().length + theirs.get_pending_outbound_htlcs().length > 0) return false;
    const reserve = (theirs.get_unspendable_punishment_reserve() as ldk.Option_u64Z_Some).some * 1000n;
    return theirs.get_outbound_capacity_msat() === FUNDING * 1000n - expectedOursMsat - reserve;
  }, 'LDK agrees, nothing in flight');
}

/** Until `done` and nothing in flight, playing both users (LDK claims what it can claim, we claim ours) and reconnecting after the drop. */
async function settle(peers: ManagerLdkPeers, paymentHash: Uint8Array, drop: { dropped: () => boolean }, done: () => boolean): Promise<void> {
  const { ldk: ldkNode, ours } = peers;
  let reconnected = false;
  let ldkClaimed = false;
  let weClaimed = false;
  await untilAsync(async () => {
    if (drop.dropped() && !reconnected) {
      reconnected = true;
      await reconnect(peers);
    }
    const claimable = ldkEvents(ldkNode, ldk.Event_PaymentClaimable).find((e) => toHex(e.payment_hash) === toHex(paymentHash));
    if (claimable !== undefined && !ldkClaimed) {
      ldkClaimed = true;
      ldkNode.channelManager.claim_funds((claimable.purpose.preimage() as ldk.Option_ThirtyTwoBytesZ_Some).some);
    }
    const ourClaimable = eventsOf(ours, 'payment-claimable').find((e) => toHex(e.paymentHash) === toHex(paymentHash));
    if (ourClaimable !== undefined && !weClaimed && ours.ready) {
      weClaimed = true;
      expect(ours.step({ kind: 'claim-funds', paymentHash }, (m) => m.claimFunds(ourClaimable.paymentPreimage!)).ok).toBe(true);
    }
    // Done, and the dance at rest on both sides (a drop may come after the payment's events: its last messages).
    const theirs = ldkNode.channelManager.list_channels()[0];
    const ldkIdle = theirs !== undefined && theirs.get_pending_inbound_htlcs().length + theirs.get_pending_outbound_htlcs().length === 0 && ldkNode.channelManager.list_usable_channels().length === 1;
    return done() && ldkIdle && only(ours).isUsable && only(ours).pendingHtlcs.length === 0;
  }, 'the payment to complete and the dance to rest', 30_000);
}

for (const channelType of [InteropChannelType.StaticRemoteKey, InteropChannelType.Anchors]) {
  describe(`a disconnect at each message of the dance with real LDK (${channelType})`, () => {
    it('we pay LDK and LDK pays us, dropping the connection after each message in turn: each payment completes once, balances agree', async () => {
      const peers = await connectToLdk(chain, `drop-${channelType}`, { channelType, depth: DEPTH, ldkSeed: channelType === InteropChannelType.Anchors ? 131 : 130 });
      const { ldk: ldkNode, ours } = peers;
      try {
        await weOpenToLdk(peers, `drop funder ${channelType}`, FUNDING, PUSH_MSAT);
        let expected = FUNDING * 1000n - PUSH_MSAT;
        await atRest(peers, expected);
        let id = 0;
        const dropsAt: string[] = [];
        for (const direction of ['we pay LDK', 'LDK pays us'] as const) {
          // k past the last message of the dance: the payment completes without a drop, and the loop ends.
          for (let k = 1; ; k++) {
            id++;
            const drop = dropAfter(peers, k);
            let paymentHash: Uint8Array;
            let done: () => boolean;
            if (direction === 'we pay LDK') {
              const inbound = ldkNode.channelManager.create_inbound_payment(ldk.Option_u64Z.constructor_some(AMOUNT_MSAT), 3600, ldk.Option_u16Z.constructor_none()) as ldk.Result_C2Tuple_ThirtyTwoBytesThirtyTwoBytesZNoneZ_OK;
              paymentHash = inbound.res.get_a();
              const paymentId = new Uint8Array(32).fill(id);
              const sent = ours.step({ kind: 'send-payment', paymentId, paymentHash, payeeNodeId: ldkNode.nodeId }, (m) =>
                m.sendPayment({ paymentId, paymentHash, payeeNodeId: ldkNode.nodeId, amountMsat: AMOUNT_MSAT, finalCltvExpiryDelta: 30, recipient: { paymentSecret: inbound.res.get_b(), totalMsat: AMOUNT_MSAT }, retry: { attempts: 0 } }),
              );
              expect(sent.ok).toBe(true);
              done = () =>
                eventsOf(ours, 'payment-sent').some((e) => toHex(e.paymentId) === toHex(paymentId)) &&
                ldkEvents(ldkNode, ldk.Event_PaymentClaimed).some((e) => toHex(e.payment_hash) === toHex(paymentHash));
              expected -= AMOUNT_MSAT;
            } else {
              const created = ours.step({ kind: 'create-invoice' }, (m) => m.createBolt11Invoice({ description: `drop ${id}`, amountMsat: AMOUNT_MSAT, expirySecs: 3600 }));
              if (!created.ok) throw new Error(created.error.message);
              paymentHash = created.value.paymentHash;
              const parsed = ldk.Bolt11Invoice.constructor_from_str(created.value.invoice) as ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK;
              const params = ldk.UtilMethods.constructor_payment_parameters_from_invoice(parsed.res) as ldk.Result_C3Tuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZNoneZ_OK;
              await until(() => ldkNode.channelManager.send_payment(paymentHash, params.res.get_b(), new Uint8Array(32).fill(id), params.res.get_c(), ldk.Retry.constructor_attempts(0)).is_ok(), 'LDK to send');
              const hash = paymentHash;
              done = () =>
                eventsOf(ours, 'payment-claimed').some((e) => toHex(e.paymentHash) === toHex(hash)) &&
                ldkEvents(ldkNode, ldk.Event_PaymentSent).some((e) => toHex(e.payment_hash) === toHex(hash));
              expected += AMOUNT_MSAT;
            }
            try {
              await settle(peers, paymentHash, drop, done);
              await atRest(peers, expected);
            } catch (error) {
              const theirs = ldkNode.channelManager.list_channels()[0];
              console.log(`${direction} k=${k} dropped=${drop.dropped()}: ours ${JSON.stringify(only(ours), (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? toHex(v) : v))}`);
              console.log(`LDK pending in ${theirs?.get_pending_inbound_htlcs().length} out ${theirs?.get_pending_outbound_htlcs().length}\n${ldkNode.log.filter((l) => !l.includes('router') && !l.includes('Ping') && !l.includes('Pong')).slice(-40).join('\n')}`);
              throw error;
            }
            // Exactly once on both sides, and the channel never closed.
            expect(ldkEvents(ldkNode, ldk.Event_PaymentClaimed).filter((e) => toHex(e.payment_hash) === toHex(paymentHash))).toHaveLength(direction === 'we pay LDK' ? 1 : 0);
            expect(eventsOf(ours, 'payment-claimed').filter((e) => toHex(e.paymentHash) === toHex(paymentHash))).toHaveLength(direction === 'we pay LDK' ? 0 : 1);
            expect(ldkEvents(ldkNode, ldk.Event_ChannelClosed)).toEqual([]);
            expect(eventsOf(ours, 'channel-closed')).toEqual([]);
            if (!drop.dropped()) break;
            dropsAt.push(`${direction} #${k}`);
            // Let the reconnection's own messages settle before the next payment arms a drop.
            ours.onChannelMessage = () => undefined;
          }
        }
        // The dance of each payment has five messages reaching us; each was a drop point once.
        expect(dropsAt.filter((d) => d.startsWith('we pay')).length).toBeGreaterThanOrEqual(5);
        expect(dropsAt.filter((d) => d.startsWith('LDK pays')).length).toBeGreaterThanOrEqual(5);
      } finally {
        await disconnectFromLdk(peers);
      }
    }, 240_000);
  });
}
