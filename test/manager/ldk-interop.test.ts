/**
 * The ChannelManager (not the bare channel machine) against real LDK 0.1
 * (npm `lightningdevkit`) over TCP on 127.0.0.1, for option_static_remotekey
 * and option_anchors_zero_fee_htlc_tx, both directions. Our side runs as a
 * handler would: BOLT 1 peer layer, manager loaded from the stored items
 * (with the node's configuration) for each input, changes committed,
 * messages sent, the funding transaction broadcast through the embedded
 * regtest chain's `POST /tx` after `funding_signed`. Both sides are fed the
 * real blocks and must report the channel usable with the same channel type,
 * capacity, balances and short channel id (test/support/manager-ldk.ts).
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FundingGenerationReady } from '../../shared/channel/index.js';
import { txidToDisplayHex } from '../../shared/tx/index.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { InteropChannelType, confirmAndCompare, connectToLdk, disconnectFromLdk, faucetFunding, only } from '../support/manager-ldk.js';
import { until } from '../support/regtest-harness.js';

const DEPTH = 3;
const FUNDING = 250_000n;

let chain: RunningRegtestChain;
beforeAll(async () => {
  chain = await startRegtestChain({ port: 0, dataDir: undefined });
});
afterAll(async () => {
  await chain.stop();
});

const CASES = [
  { channelType: InteropChannelType.StaticRemoteKey, seeds: [106, 108] },
  { channelType: InteropChannelType.Anchors, seeds: [110, 112] },
] as const;

for (const { channelType, seeds } of CASES) {
  describe(`the ChannelManager with real LDK (${channelType})`, () => {
    it('we open to LDK', async () => {
      const peers = await connectToLdk(chain, `mgr-we-open-${channelType}`, { channelType, depth: DEPTH, ldkSeed: seeds[0] });
      const { ldk: ldkNode, ours } = peers;
      try {
        const created = ours.step({ kind: 'create-channel' }, (m) => m.createChannel(ldkNode.nodeId, FUNDING, 30_000_000n, 11n));
        if (!created.ok) throw new Error(created.error.message);
        await until(() => ours.events.some((e) => e.event.kind === 'funding-generation-ready' || e.event.kind === 'channel-closed'), 'FundingGenerationReady');
        const ready = ours.events.map((e) => e.event).find((e): e is FundingGenerationReady => e.kind === 'funding-generation-ready')!;
        expect(ready.userChannelId).toBe(11n);
        const tx = faucetFunding(peers, 'manager channel funder', ready.outputScript, ready.channelValueSatoshis);
        const funded = ours.step({ kind: 'funding-transaction-generated', temporaryChannelId: ready.temporaryChannelId }, (m) => m.fundingTransactionGenerated(ready.temporaryChannelId, tx));
        expect(funded.ok).toBe(true);
        expect(peers.broadcasts).toHaveLength(0);
        await until(() => only(ours).state === 'awaiting-confirmation', 'funding_signed');
        await confirmAndCompare(peers, txidToDisplayHex(only(ours).fundingOutpoint!.txid));
        expect(only(ours).userChannelId).toBe(11n);
      } finally {
        await disconnectFromLdk(peers);
      }
    });

    it('LDK opens to us', async () => {
      const peers = await connectToLdk(chain, `mgr-ldk-opens-${channelType}`, { channelType, depth: DEPTH, ldkSeed: seeds[1] });
      const { ldk: ldkNode, ours } = peers;
      try {
        const result = ldkNode.channelManager.create_channel(ours.node.keys.getNodeId(), FUNDING, 40_000_000n, 9n, null, null);
        expect(result.is_ok()).toBeTruthy();
        await ldkNode.waitFor(() => ldkNode.events.some((e) => e instanceof ldk.Event_FundingGenerationReady), 'LDK FundingGenerationReady');
        const ready = ldkNode.events.find((e): e is ldk.Event_FundingGenerationReady => e instanceof ldk.Event_FundingGenerationReady)!;
        const tx = faucetFunding(peers, 'manager channel funder', ready.output_script, ready.channel_value_satoshis);
        expect(ldkNode.channelManager.funding_transaction_generated(ready.temporary_channel_id, ready.counterparty_node_id, tx).is_ok()).toBeTruthy();
        await until(() => ours.channels().length === 1 && only(ours).state === 'awaiting-confirmation', 'our funding_signed');
        await confirmAndCompare(peers, txidToDisplayHex(only(ours).fundingOutpoint!.txid));
        expect(ours.store.monitorItems(only(ours).channelId)).toHaveLength(1);
      } finally {
        await disconnectFromLdk(peers);
      }
    });
  });
}
