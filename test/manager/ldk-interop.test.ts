/**
 * The ChannelManager (not the bare channel machine) against real LDK 0.1
 * (npm `lightningdevkit`) over TCP on 127.0.0.1, option_static_remotekey,
 * both directions. Our side runs as a handler would: BOLT 1 peer layer,
 * manager loaded from the stored items for each input, changes committed,
 * messages sent, the funding transaction broadcast through the embedded
 * regtest chain's `POST /tx` after `funding_signed`. Both sides are fed the
 * real blocks and must report the channel usable with the same capacity,
 * balances and short channel id.
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FundingGenerationReady } from '../../shared/channel/index.js';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import type { ChannelDetails } from '../../shared/manager/index.js';
import { txidToDisplayHex } from '../../shared/tx/index.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { testNode } from '../support/channel-harness.js';
import { startLdkNode, type LdkNode } from '../support/ldk-node.js';
import { ManagerDriver } from '../support/manager-driver.js';
import { fundingFromFaucet as fundingFromChainFaucet, postToChain, until } from '../support/regtest-harness.js';

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
const fundingFromFaucet = (script: Uint8Array, valueSat: bigint) => fundingFromChainFaucet(chain, 'manager channel funder', script, valueSat);

interface Peers {
  readonly ldk: LdkNode;
  readonly ours: ManagerDriver;
  fedHeight: number;
  readonly broadcasts: Promise<string>[];
}

async function connect(label: string): Promise<Peers> {
  const ldkNode = await startLdkNode(new Uint8Array(32).fill(label.length + 100), { minimumDepth: DEPTH, anchors: false });
  const port = await ldkNode.listen();
  const tip = chain.chain.tip();
  ldkNode.bestBlockUpdated(tip.header, tip.height);
  const node = testNode(label);
  const ours = new ManagerDriver(node, { height: tip.height, hash: fromHex(chain.chain.blockAt(tip.height)!.hash).reverse() }, { minimumDepth: DEPTH });
  const peers: Peers = { ldk: ldkNode, ours, fedHeight: tip.height, broadcasts: [] };
  const broadcast = (tx: Uint8Array) => peers.broadcasts.push(post('/tx', toHex(tx)));
  ours.onBroadcast = broadcast;
  ldkNode.onBroadcast = broadcast;
  ours.dial('127.0.0.1', port, ldkNode.nodeId);
  await until(() => ours.ready, 'LDK init');
  await ldkNode.waitFor(() => ldkNode.peers().some((p) => toHex(p.nodeId) === toHex(node.keys.getNodeId())), 'LDK to list us');
  return peers;
}

/** Mines `blocks`; feeds each to LDK and to our manager (Listen: the whole block). */
async function mineAndFeed(peers: Peers, blocks: number, fundingTxid: string): Promise<void> {
  await post('/regtest/mine', JSON.stringify({ blocks }));
  for (let h = peers.fedHeight + 1; h <= chain.chain.tip().height; h++) {
    const block = chain.chain.blockAt(h)!;
    const position = block.txids.indexOf(fundingTxid);
    if (position >= 0) peers.ldk.transactionsConfirmed(block.header, [[position, block.transactions[position]!.toBuffer()]], h);
    peers.ldk.bestBlockUpdated(block.header, h);
    const raw = concatBlock(block.header, block.transactions.map((t) => t.toBuffer()));
    peers.ours.step({ kind: 'chain' }, (m) => m.blockConnected(raw, h));
    peers.fedHeight = h;
  }
}

/** A serialized block: header, tx count (compact size < 253), transactions. */
function concatBlock(header: Uint8Array, txs: Uint8Array[]): Uint8Array {
  if (txs.length >= 253) throw new Error('too many transactions for this helper');
  const total = 80 + 1 + txs.reduce((s, t) => s + t.length, 0);
  const out = new Uint8Array(total);
  out.set(header.subarray(0, 80), 0);
  out[80] = txs.length;
  let at = 81;
  for (const t of txs) {
    out.set(t, at);
    at += t.length;
  }
  return out;
}

function only(ours: ManagerDriver): ChannelDetails {
  const all = ours.channels();
  if (all.length !== 1) throw new Error(`${all.length} channels`);
  return all[0]!;
}

async function confirmAndCompare(peers: Peers, fundingTxid: string): Promise<void> {
  const { ldk: ldkNode, ours } = peers;
  await until(() => peers.broadcasts.length > 0, 'the funding transaction broadcast');
  await Promise.all(peers.broadcasts);
  expect(chain.chain.mempool().map((e) => e.txid)).toContain(fundingTxid);
  await mineAndFeed(peers, DEPTH - 1, fundingTxid);
  expect(only(ours).state).toBe('awaiting-confirmation');
  expect(ldkNode.channelManager.list_usable_channels()).toHaveLength(0);
  await mineAndFeed(peers, 1, fundingTxid);
  await until(() => only(ours).isUsable, 'our channel usable');
  await ldkNode.waitFor(() => ldkNode.channelManager.list_usable_channels().length === 1, 'LDK usable channel');
  expect(ours.disconnects).toEqual([]);
  expect(ours.events.filter((e) => e.event.kind === 'channel-closed')).toEqual([]);

  const theirs = ldkNode.channelManager.list_usable_channels()[0]!;
  const mine = only(ours);
  expect(toHex(theirs.get_channel_id().get_a())).toBe(toHex(mine.channelId));
  expect(theirs.get_channel_value_satoshis()).toBe(mine.channelValueSatoshis);
  const scid = theirs.get_short_channel_id();
  expect(scid instanceof ldk.Option_u64Z_Some ? scid.some : null).toBe(mine.shortChannelId);
  // LDK's outbound capacity is our inbound one and the other way round.
  expect(theirs.get_outbound_capacity_msat()).toBe(mine.inboundCapacityMsat);
  expect(theirs.get_inbound_capacity_msat()).toBe(mine.outboundCapacityMsat);
  expect(ours.events.filter((e) => e.event.kind === 'channel-ready')).toHaveLength(1);
}

describe('the ChannelManager with real LDK (static_remotekey)', () => {
  it('we open to LDK', async () => {
    const peers = await connect('mgr-we-open');
    const { ldk: ldkNode, ours } = peers;
    try {
      const created = ours.step({ kind: 'create-channel' }, (m) => m.createChannel(ldkNode.nodeId, FUNDING, 30_000_000n, 11n));
      if (!created.ok) throw new Error(created.error.message);
      await until(() => ours.events.some((e) => e.event.kind === 'funding-generation-ready' || e.event.kind === 'channel-closed'), 'FundingGenerationReady');
      const ready = ours.events.map((e) => e.event).find((e): e is FundingGenerationReady => e.kind === 'funding-generation-ready')!;
      expect(ready.userChannelId).toBe(11n);
      const tx = fundingFromFaucet(ready.outputScript, ready.channelValueSatoshis);
      const funded = ours.step({ kind: 'funding-transaction-generated', temporaryChannelId: ready.temporaryChannelId }, (m) => m.fundingTransactionGenerated(ready.temporaryChannelId, tx));
      expect(funded.ok).toBe(true);
      expect(peers.broadcasts).toHaveLength(0);
      await until(() => only(ours).state === 'awaiting-confirmation', 'funding_signed');
      await confirmAndCompare(peers, txidToDisplayHex(only(ours).fundingOutpoint!.txid));
      expect(only(ours).userChannelId).toBe(11n);
    } finally {
      ours.close();
      await ldkNode.stop();
    }
  });

  it('LDK opens to us', async () => {
    const peers = await connect('mgr-ldk-opens');
    const { ldk: ldkNode, ours } = peers;
    try {
      const result = ldkNode.channelManager.create_channel(ours.node.keys.getNodeId(), FUNDING, 40_000_000n, 9n, null, null);
      expect(result.is_ok()).toBeTruthy();
      await ldkNode.waitFor(() => ldkNode.events.some((e) => e instanceof ldk.Event_FundingGenerationReady), 'LDK FundingGenerationReady');
      const ready = ldkNode.events.find((e): e is ldk.Event_FundingGenerationReady => e instanceof ldk.Event_FundingGenerationReady)!;
      const tx = fundingFromFaucet(ready.output_script, ready.channel_value_satoshis);
      expect(ldkNode.channelManager.funding_transaction_generated(ready.temporary_channel_id, ready.counterparty_node_id, tx).is_ok()).toBeTruthy();
      await until(() => ours.channels().length === 1 && only(ours).state === 'awaiting-confirmation', 'our funding_signed');
      await confirmAndCompare(peers, txidToDisplayHex(only(ours).fundingOutpoint!.txid));
      expect(ours.store.monitorItems(only(ours).channelId)).toHaveLength(1);
    } finally {
      ours.close();
      await ldkNode.stop();
    }
  });
});
