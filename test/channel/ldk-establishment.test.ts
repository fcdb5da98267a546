/**
 * Interop with real LDK 0.1 (npm `lightningdevkit`) over a real TCP socket
 * on 127.0.0.1: we open to LDK and LDK opens to us, each with
 * option_static_remotekey and with option_anchors_zero_fee_htlc_tx. The
 * funding transaction is paid from the embedded regtest chain's faucet,
 * broadcast through its `POST /tx`, mined to the confirmation depth, and
 * both sides are fed the real blocks (LDK: `transactions_confirmed` and
 * `best_block_updated` with the 80-byte headers on its ChannelManager and
 * ChainMonitor; ours: the channel transitions). Both must then report the
 * channel usable with the same capacity, balances and short channel id.
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChannelState,
  bestBlockUpdated,
  createChannel,
  fundingTransactionConfirmed,
  fundingTransactionGenerated,
  type Channel,
  type FundingGenerationReady,
} from '../../shared/channel/index.js';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { txidToDisplayHex } from '../../shared/tx/index.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { ChannelDriver } from '../support/channel-driver.js';
import { testNode } from '../support/channel-harness.js';
import { startLdkNode, type LdkNode } from '../support/ldk-node.js';
import { fundingFromFaucet as fundingFromChainFaucet, postToChain, until } from '../support/regtest-harness.js';
import { channelDetailsOf } from '../../shared/manager/index.js';

/** The channel as `listChannels` reports it (LDK's `ChannelDetails`), its peer connected. */
const details = (channel: Channel) => channelDetailsOf(channel, channel.bestHeight, true);

const DEPTH = 3;
const FUNDING = 250_000n;

let chain: RunningRegtestChain;
beforeAll(async () => {
  chain = await startRegtestChain({ port: 0, dataDir: undefined });
});
afterAll(async () => {
  await chain.stop();
});

const post = (path: string, body: string) => postToChain(chain, path, body);
const fundingFromFaucet = (script: Uint8Array, valueSat: bigint) => fundingFromChainFaucet(chain, 'channel funder', script, valueSat);

interface Peers {
  readonly ldk: LdkNode;
  readonly ours: ChannelDriver;
  fedHeight: number;
  readonly broadcasts: Promise<string>[];
}

async function connect(label: string, anchors: boolean): Promise<Peers> {
  const ldkNode = await startLdkNode(new Uint8Array(32).fill(label.length + (anchors ? 50 : 0)), { minimumDepth: DEPTH, anchors });
  const port = await ldkNode.listen();
  const tip = chain.chain.tip();
  ldkNode.bestBlockUpdated(tip.header, tip.height);
  const node = testNode(label, { handshake: { minimumDepth: DEPTH, negotiateAnchorsZeroFeeHtlcTx: anchors } });
  const ours = new ChannelDriver(node, () => chain.chain.tip().height);
  const peers: Peers = { ldk: ldkNode, ours, fedHeight: tip.height, broadcasts: [] };
  const broadcast = (tx: Uint8Array) => peers.broadcasts.push(post('/tx', toHex(tx)));
  ours.onBroadcast = broadcast;
  ldkNode.onBroadcast = broadcast;
  ours.dial('127.0.0.1', port, ldkNode.nodeId);
  await until(() => ours.theirFeatures !== null, 'LDK init');
  await ldkNode.waitFor(() => ldkNode.peers().some((p) => toHex(p.nodeId) === toHex(node.keys.getNodeId())), 'LDK to list us');
  return peers;
}

/** Mines `blocks` and feeds each new block to both sides, confirming `fundingTxid` (display hex) where it is. */
async function mineAndFeed(peers: Peers, blocks: number, fundingTxid: string): Promise<void> {
  await post('/regtest/mine', JSON.stringify({ blocks }));
  const ctx = peers.ours.node.ctx;
  for (let h = peers.fedHeight + 1; h <= chain.chain.tip().height; h++) {
    const block = chain.chain.blockAt(h)!;
    const position = block.txids.indexOf(fundingTxid);
    if (position >= 0) {
      const tx = block.transactions[position]!.toBuffer();
      peers.ldk.transactionsConfirmed(block.header, [[position, tx]], h);
      const confirmation = { height: h, txIndex: position, blockHash: fromHex(block.hash).reverse() };
      peers.ours.update((c) => fundingTransactionConfirmed(ctx, c, confirmation, tx));
    }
    peers.ldk.bestBlockUpdated(block.header, h);
    peers.ours.update((c) => bestBlockUpdated(ctx, c, h));
    peers.fedHeight = h;
  }
}

async function confirmAndCompare(peers: Peers, anchors: boolean, fundingTxid: string): Promise<void> {
  const { ldk: ldkNode, ours } = peers;
  await until(() => peers.broadcasts.length > 0, 'the funding transaction broadcast');
  await Promise.all(peers.broadcasts);
  expect(chain.chain.mempool().map((e) => e.txid)).toContain(fundingTxid);
  await mineAndFeed(peers, DEPTH - 1, fundingTxid);
  // One block short of the depth: neither side is ready.
  expect(ours.channel.state).toBe(ChannelState.AwaitingConfirmation);
  expect(ldkNode.channelManager.list_usable_channels()).toHaveLength(0);
  await mineAndFeed(peers, 1, fundingTxid);
  await until(() => ours.channel.state === ChannelState.Ready, 'our channel ready');
  await ldkNode.waitFor(() => ldkNode.channelManager.list_usable_channels().length === 1, 'LDK usable channel');
  expect(ours.failures).toEqual([]);

  const usable = ldkNode.channelManager.list_usable_channels()[0]!;
  const mine = details(ours.channel);
  expect(mine.isUsable).toBe(true);
  expect(toHex(usable.get_channel_id().get_a())).toBe(toHex(mine.channelId));
  expect(usable.get_channel_value_satoshis()).toBe(mine.channelValueSatoshis);
  const scid = usable.get_short_channel_id();
  expect(scid instanceof ldk.Option_u64Z_Some ? scid.some : null).toBe(mine.shortChannelId);
  expect(mine.shortChannelId! >> 40n).toBe(BigInt(chain.chain.transaction(fundingTxid)!.block!.height));
  // LDK's capacities exclude the reserves; add them back to get each side's balance.
  const reserve = usable.get_unspendable_punishment_reserve();
  const ldkReserveSat = reserve instanceof ldk.Option_u64Z_Some ? reserve.some : 0n;
  const ldkToSelf = usable.get_outbound_capacity_msat() + ldkReserveSat * 1000n;
  const ldkToRemote = usable.get_inbound_capacity_msat() + usable.get_counterparty().get_unspendable_punishment_reserve() * 1000n;
  expect(ldkToSelf).toBe((mine.channelValueSatoshis * 1000n - mine.balanceMsat));
  expect(ldkToRemote).toBe(mine.balanceMsat);
  expect(ldkReserveSat).toBe(ours.channel.holder.channelReserveSatoshis);
  expect(usable.get_counterparty().get_unspendable_punishment_reserve()).toBe(ours.channel.counterparty!.channelReserveSatoshis);
  expect(Boolean(usable.get_channel_type().supports_anchors_zero_fee_htlc_tx())).toBe(anchors);
  expect(ours.channel.channelType.anchors).toBe(anchors);
  // option_upfront_shutdown_script both ways: LDK accepted our committed P2WPKH (the channel got here), and its own is kept.
  expect(ours.channel.holderShutdownScript).toEqual(ours.node.keys.getShutdownScriptpubkey());
  const theirs = ours.channel.counterparty!.upfrontShutdownScript!;
  expect([theirs.length, theirs[0], theirs[1]]).toEqual([22, 0x00, 0x14]);
  console.log(
    `${anchors ? 'anchors' : 'static_remotekey'} ${mine.isOutbound ? 'we opened' : 'LDK opened'}: scid ${mine.shortChannelId}, capacity ${mine.channelValueSatoshis} sat, to_self ${mine.balanceMsat} msat, to_remote ${(mine.channelValueSatoshis * 1000n - mine.balanceMsat)} msat`,
  );
}

describe.each([
  { name: 'static_remotekey', anchors: false },
  { name: 'anchors_zero_fee_htlc_tx', anchors: true },
])('LDK interop with $name', ({ name, anchors }) => {
  it('we open to LDK', async () => {
    const peers = await connect(`we-open-${name}`, anchors);
    const { ldk: ldkNode, ours } = peers;
    try {
      const created = createChannel(ours.node.ctx, {
        counterpartyNodeId: ldkNode.nodeId,
        theirInitFeatures: ours.theirFeatures!,
        bestHeight: chain.chain.tip().height,
        fundingSatoshis: FUNDING,
        pushMsat: 30_000_000n,
        userChannelId: 1n,
      });
      if (!created.ok) throw new Error(created.error.message);
      expect(created.value.channel.channelType.anchors).toBe(anchors);
      ours.add(created.value);
      await until(() => ours.events.some((e) => e.kind === 'funding-generation-ready') || ours.failures.length > 0, 'FundingGenerationReady');
      expect(ours.failures).toEqual([]);
      const ready = ours.events.find((e): e is FundingGenerationReady => e.kind === 'funding-generation-ready')!;
      const tx = fundingFromFaucet(ready.outputScript, ready.channelValueSatoshis);
      const generated = fundingTransactionGenerated(ours.node.ctx, ours.channel, tx);
      if (!generated.ok) throw new Error(generated.error.message);
      ours.apply(toHex(ready.temporaryChannelId), generated.value);
      await until(() => ours.channel.state === ChannelState.AwaitingConfirmation || ours.failures.length > 0, 'funding_signed');
      expect(ours.failures).toEqual([]);
      const fundingTxid = txidToDisplayHex(ours.channel.funding!.outpoint.txid);
      await confirmAndCompare(peers, anchors, fundingTxid);
    } finally {
      ours.close();
      await ldkNode.stop();
    }
  });

  it('LDK opens to us', async () => {
    const peers = await connect(`ldk-opens-${name}`, anchors);
    const { ldk: ldkNode, ours } = peers;
    try {
      const result = ldkNode.channelManager.create_channel(ours.node.keys.getNodeId(), FUNDING, 40_000_000n, 9n, null, null);
      expect(result.is_ok()).toBeTruthy();
      await ldkNode.waitFor(() => ldkNode.events.some((e) => e instanceof ldk.Event_FundingGenerationReady), 'LDK FundingGenerationReady');
      expect(ours.failures).toEqual([]);
      const ready = ldkNode.events.find((e): e is ldk.Event_FundingGenerationReady => e instanceof ldk.Event_FundingGenerationReady)!;
      const tx = fundingFromFaucet(ready.output_script, ready.channel_value_satoshis);
      const funded = ldkNode.channelManager.funding_transaction_generated(ready.temporary_channel_id, ready.counterparty_node_id, tx);
      expect(funded.is_ok()).toBeTruthy();
      await until(() => ours.channels.size === 1 && ours.channel.state === ChannelState.AwaitingConfirmation, 'our funding_signed');
      const fundingTxid = txidToDisplayHex(ours.channel.funding!.outpoint.txid);
      await confirmAndCompare(peers, anchors, fundingTxid);
      expect(ours.monitors).toHaveLength(1);
    } finally {
      ours.close();
      await ldkNode.stop();
    }
  });
});
