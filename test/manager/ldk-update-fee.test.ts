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
import { ConfirmationTarget } from '../../shared/channel/index.js';
import { txidToDisplayHex } from '../../shared/tx/index.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { InteropChannelType, ldkFeerate, storedChannel, confirmAndCompare, connectToLdk, disconnectFromLdk, faucetFunding, only, type ManagerLdkPeers, eventsOf, ldkEvents, ldkPaysOurInvoice, wePayLdk } from '../support/manager-ldk.js';
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
        // Our estimator moves too: our dust exposure limit scales with our fastest estimate (LDK's own does with its).
        ours.node.estimates.set(ConfirmationTarget.MaximumFeeEstimate, BigInt(RAISED_PER_KW));
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
        await ldkPaysOurInvoice(peers, 5_000_000n, 1);
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
