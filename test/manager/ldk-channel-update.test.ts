/**
 * Issue 18, step 1: real LDK 0.1 receives our `channel_update` for a
 * private channel (signed by our node key, its direction by node id order)
 * and takes our policy: its ChannelDetails shows it as the counterparty's
 * forwarding info, and LDK's invoices then carry a route hint through us
 * with our fee and CLTV delta; a channel's own policy set later
 * (`updateChannelConfig`) reaches LDK at once.
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wasmSecp256k1 } from '../../shared/crypto/index.js';
import { decodeInvoice } from '../../shared/invoice/index.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { InteropChannelType, connectToLdk, disconnectFromLdk, only, weOpenToLdk } from '../support/manager-ldk.js';
import { until } from '../support/regtest-harness.js';

let chain: RunningRegtestChain;
beforeAll(async () => {
  chain = await startRegtestChain({ port: 0, dataDir: undefined });
});
afterAll(async () => {
  await chain.stop();
});

function forwardingInfo(node: { channelManager: ldk.ChannelManager }): ldk.CounterpartyForwardingInfo | null {
  const channel = node.channelManager.list_channels()[0];
  return channel?.get_counterparty().get_forwarding_info() ?? null;
}

describe('our channel_update, as LDK takes it', () => {
  it('LDK shows our policy for the channel and puts it in its invoice route hint', async () => {
    const policy = { feeBaseMsat: 2_500, feeProportionalMillionths: 150, cltvExpiryDelta: 90, htlcMinimumMsat: 1n };
    const peers = await connectToLdk(chain, 'chan-update', { channelType: InteropChannelType.StaticRemoteKey, depth: 3, ldkSeed: 181, ourForwarding: policy });
    const { ldk: node, ours } = peers;
    try {
      await weOpenToLdk(peers, 'chan-update', 400_000n, 100_000_000n);
      await until(() => forwardingInfo(node) !== null, 'LDK to take our channel_update');
      const info = forwardingInfo(node)!;
      expect(info.get_fee_base_msat()).toBe(2_500);
      expect(info.get_fee_proportional_millionths()).toBe(150);
      expect(info.get_cltv_expiry_delta()).toBe(90);
      // And LDK's invoice now offers a hint through us, with our policy.
      const invoice = node.channelManager.create_bolt11_invoice(
        ldk.Option_u64Z.constructor_some(10_000_000n),
        ldk.Bolt11InvoiceDescription.constructor_direct((ldk.Description.constructor_new('via us') as ldk.Result_DescriptionCreationErrorZ_OK).res),
        ldk.Option_u32Z.constructor_some(600),
        ldk.Option_u16Z.constructor_none(),
        ldk.Option_ThirtyTwoBytesZ.constructor_none(),
      ) as ldk.Result_Bolt11InvoiceSignOrCreationErrorZ_OK;
      const decoded = decodeInvoice(wasmSecp256k1, invoice.res.to_str());
      if (!decoded.ok) throw decoded.error;
      expect(decoded.value.routeHints).toHaveLength(1);
      expect(decoded.value.routeHints[0]![0]).toMatchObject({ pubkey: ours.node.keys.getNodeId(), feeBaseMsat: 2_500n, feeProportionalMillionths: 150, cltvExpiryDelta: 90 });
      // The hint names the alias we sent LDK in channel_ready: what our forwarding looks the channel up by.
      expect(decoded.value.routeHints[0]![0]!.shortChannelId).toBe(only(ours).inboundScidAlias);

      // One channel's own policy (PATCH /v1/channels/{id}): LDK takes our new update at once, no reconnection.
      const { channelId, counterpartyNodeId } = only(ours);
      await new Promise((resolve) => setTimeout(resolve, 1100)); // a second past the update LDK holds: BOLT 7 keeps only a newer timestamp
      const set = ours.step({ kind: 'update-channel-config', counterpartyNodeId, channelId }, (m) => m.updateChannelConfig(channelId, counterpartyNodeId, { feeBaseMsat: 7_000, cltvExpiryDelta: 144 }));
      expect(set).toEqual({ ok: true, value: { feeBaseMsat: 7_000, feeProportionalMillionths: 150, cltvExpiryDelta: 144 } });
      await until(() => forwardingInfo(node)?.get_fee_base_msat() === 7_000, 'LDK to take our new channel_update');
      expect(forwardingInfo(node)!.get_cltv_expiry_delta()).toBe(144);
      expect(forwardingInfo(node)!.get_fee_proportional_millionths()).toBe(150);
    } finally {
      await disconnectFromLdk(peers);
    }
  }, 120_000);
});
