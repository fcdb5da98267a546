/**
 * Cooperative close against real LDK 0.1 (npm `lightningdevkit`) over TCP
 * on 127.0.0.1, both channel types: we open to LDK and close (we are the
 * funder: LDK, as fundee, takes the top of our `fee_range`, our normal fee
 * + 1,000 sat), and LDK opens to us and calls `close_channel` (LDK is the
 * funder: we take the top of its range). Both sides must report the
 * channel closed cooperatively and broadcast the same closing transaction
 * before it is mined (LDK-INTEROP-NOTES: mining first makes LDK treat the
 * close as on-chain); the embedded regtest chain, which checks every input
 * with bitcore-lib's interpreter, accepts and confirms it.
 */
import { Transaction } from 'bitcoinjs-lib';
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChannelState,
  FORCE_CLOSE_AVOIDANCE_MAX_FEE_SATOSHIS,
  bestBlockUpdated,
  closeChannelCooperatively,
  createChannel,
  currentChannelId,
  fundingTransactionConfirmed,
  fundingTransactionGenerated,
  type FundingGenerationReady,
} from '../../shared/channel/index.js';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { closingFeeSat, txidToDisplayHex } from '../../shared/tx/index.js';
import type { ClosingSignedMessage, ShutdownMessage } from '../../shared/wire/index.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { ChannelDriver } from '../support/channel-driver.js';
import { testNode } from '../support/channel-harness.js';
import { startLdkNode, type LdkNode } from '../support/ldk-node.js';
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

interface Peers {
  readonly ldk: LdkNode;
  readonly ours: ChannelDriver;
  fedHeight: number;
  /** Set once the close starts: from then on broadcasts are only recorded. */
  closing: boolean;
  /** Every transaction each side broadcast, in order. */
  readonly ourTxs: Uint8Array[];
  readonly ldkTxs: Uint8Array[];
  readonly posts: Promise<string>[];
}

async function connect(label: string, anchors: boolean): Promise<Peers> {
  const ldkNode = await startLdkNode(new Uint8Array(32).fill(label.length + (anchors ? 70 : 20)), { minimumDepth: DEPTH, anchors });
  const port = await ldkNode.listen();
  const tip = chain.chain.tip();
  ldkNode.bestBlockUpdated(tip.header, tip.height);
  const node = testNode(label, { handshake: { minimumDepth: DEPTH, negotiateAnchorsZeroFeeHtlcTx: anchors } });
  const ours = new ChannelDriver(node, () => chain.chain.tip().height);
  const peers: Peers = { ldk: ldkNode, ours, fedHeight: tip.height, closing: false, ourTxs: [], ldkTxs: [], posts: [] };
  // The funding transaction goes to the chain at once; closing transactions wait until both sides closed.
  const seen = new Set<string>();
  const funding = (tx: Uint8Array) => {
    const id = Transaction.fromBuffer(Buffer.from(tx)).getId();
    if (!peers.closing && !seen.has(id)) {
      seen.add(id);
      peers.posts.push(post('/tx', toHex(tx)));
    }
  };
  ours.onBroadcast = (tx) => {
    peers.ourTxs.push(tx);
    funding(tx);
  };
  ldkNode.onBroadcast = (tx) => {
    peers.ldkTxs.push(tx);
    funding(tx);
  };
  ours.dial('127.0.0.1', port, ldkNode.nodeId);
  await until(() => ours.theirFeatures !== null, 'LDK init');
  await ldkNode.waitFor(() => ldkNode.peers().some((p) => toHex(p.nodeId) === toHex(node.keys.getNodeId())), 'LDK to list us');
  return peers;
}

async function mineAndFeed(peers: Peers, blocks: number, fundingTxid: string): Promise<void> {
  await post('/regtest/mine', JSON.stringify({ blocks }));
  const ctx = peers.ours.node.ctx;
  for (let h = peers.fedHeight + 1; h <= chain.chain.tip().height; h++) {
    const block = chain.chain.blockAt(h)!;
    const position = block.txids.indexOf(fundingTxid);
    if (position >= 0) {
      const tx = block.transactions[position]!.toBuffer();
      peers.ldk.transactionsConfirmed(block.header, [[position, tx]], h);
      peers.ours.update((c) => fundingTransactionConfirmed(ctx, c, { height: h, txIndex: position, blockHash: fromHex(block.hash).reverse() }, tx));
    }
    peers.ldk.bestBlockUpdated(block.header, h);
    peers.ours.update((c) => bestBlockUpdated(ctx, c, h));
    peers.fedHeight = h;
  }
}

async function confirmToReady(peers: Peers, fundingTxid: string): Promise<void> {
  await until(() => peers.posts.length > 0, 'the funding transaction broadcast');
  await Promise.all(peers.posts);
  await mineAndFeed(peers, DEPTH, fundingTxid);
  await until(() => peers.ours.channel.state === ChannelState.Ready, 'our channel ready');
  await peers.ldk.waitFor(() => peers.ldk.channelManager.list_usable_channels().length === 1, 'LDK usable channel');
  expect(peers.ours.failures).toEqual([]);
}

/** Waits for both sides to close cooperatively, checks they broadcast the same closing transaction, mines it; returns it and the fee. */
async function closedOnBothSides(peers: Peers, ldkInitiated: boolean): Promise<{ tx: Transaction; feeSat: bigint }> {
  const { ldk: ldkNode, ours } = peers;
  const txsBefore = [peers.ourTxs.length, peers.ldkTxs.length];
  await ldkNode.waitFor(() => ldkNode.events.some((e) => e instanceof ldk.Event_ChannelClosed) || ours.failures.length > 0, 'LDK ChannelClosed');
  await until(() => ours.channel.state === ChannelState.Closed, 'our channel closed');
  expect(ours.failures).toEqual([]);
  expect(ours.channel.closure?.reason).toBe('cooperative-closure');
  expect(ours.events.filter((e) => e.kind === 'channel-closed').map((e) => e.reason)).toEqual(['cooperative-closure']);
  const closed = ldkNode.events.filter((e): e is ldk.Event_ChannelClosed => e instanceof ldk.Event_ChannelClosed);
  expect(closed).toHaveLength(1);
  const reason = closed[0]!.reason;
  expect(ldkInitiated ? reason instanceof ldk.ClosureReason_LocallyInitiatedCooperativeClosure : reason instanceof ldk.ClosureReason_CounterpartyInitiatedCooperativeClosure).toBe(true);
  await until(() => peers.ldkTxs.length > txsBefore[1]!, 'LDK to broadcast the closing transaction');
  const ourClosing = peers.ourTxs.slice(txsBefore[0]);
  const ldkClosing = peers.ldkTxs.slice(txsBefore[1]);
  expect(ourClosing).toHaveLength(1);
  expect(toHex(ldkClosing[0]!)).toBe(toHex(ourClosing[0]!));
  const tx = Transaction.fromBuffer(Buffer.from(ourClosing[0]!));
  expect(toHex(Uint8Array.from(tx.getHash()))).toBe(toHex(ours.channel.closingTxid!));
  // Only now to the chain (it checks the witness with bitcore-lib), and mined.
  await post('/tx', tx.toHex());
  await post('/regtest/mine', JSON.stringify({ blocks: 1 }));
  expect(chain.chain.transaction(tx.getId())?.block).toBeDefined();
  const paid = tx.outs.reduce((s, o) => s + BigInt(o.value), 0n);
  return { tx, feeSat: FUNDING - paid };
}

describe.each([
  { name: 'static_remotekey', anchors: false },
  { name: 'anchors_zero_fee_htlc_tx', anchors: true },
])('cooperative close with LDK, $name', ({ name, anchors }) => {
  it('we open to LDK and close: LDK takes the top of our fee_range (our normal fee + 1,000 sat)', async () => {
    const peers = await connect(`we-close-${name}`, anchors);
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
      ours.add(created.value);
      await until(() => ours.events.some((e) => e.kind === 'funding-generation-ready') || ours.failures.length > 0, 'FundingGenerationReady');
      const ready = ours.events.find((e): e is FundingGenerationReady => e.kind === 'funding-generation-ready')!;
      const generated = fundingTransactionGenerated(ours.node.ctx, ours.channel, fundingFromChainFaucet(chain, 'close funder', ready.outputScript, ready.channelValueSatoshis));
      if (!generated.ok) throw new Error(generated.error.message);
      ours.apply(toHex(ready.temporaryChannelId), generated.value);
      await until(() => ours.channel.state === ChannelState.AwaitingConfirmation || ours.failures.length > 0, 'funding_signed');
      await confirmToReady(peers, txidToDisplayHex(ours.channel.funding!.outpoint.txid));

      peers.closing = true;
      const started = closeChannelCooperatively(ours.node.ctx, ours.channel);
      if (!started.ok) throw new Error(started.error.message);
      ours.apply(toHex(currentChannelId(ours.channel)), started.value);
      const { tx, feeSat } = await closedOnBothSides(peers, false);
      const ourScript = ours.node.keys.getShutdownScriptpubkey();
      const ldkShutdown = ours.received.find((m): m is ShutdownMessage => m.type === 38)!;
      const fee = closingFeeSat(253n, ourScript, ldkShutdown.scriptpubkey) + FORCE_CLOSE_AVOIDANCE_MAX_FEE_SATOSHIS;
      const paid = new Map(tx.outs.map((o) => [toHex(Uint8Array.from(o.script)), BigInt(o.value)]));
      expect(paid.get(toHex(ourScript))).toBe(FUNDING - 30_000n - fee);
      expect(paid.get(toHex(ldkShutdown.scriptpubkey))).toBe(30_000n);
      expect(feeSat).toBe(fee);
      console.log(`${name}, we closed: fee ${feeSat} sat, closing tx ${tx.getId()}`);
    } finally {
      ours.close();
      await ldkNode.stop();
    }
  });

  it('LDK opens to us and closes: we take the top of its fee_range', async () => {
    const peers = await connect(`ldk-closes-${name}`, anchors);
    const { ldk: ldkNode, ours } = peers;
    try {
      expect(ldkNode.channelManager.create_channel(ours.node.keys.getNodeId(), FUNDING, 40_000_000n, 9n, null, null).is_ok()).toBeTruthy();
      await ldkNode.waitFor(() => ldkNode.events.some((e) => e instanceof ldk.Event_FundingGenerationReady), 'LDK FundingGenerationReady');
      const ready = ldkNode.events.find((e): e is ldk.Event_FundingGenerationReady => e instanceof ldk.Event_FundingGenerationReady)!;
      const tx0 = fundingFromChainFaucet(chain, 'close ldk funder', ready.output_script, ready.channel_value_satoshis);
      expect(ldkNode.channelManager.funding_transaction_generated(ready.temporary_channel_id, ready.counterparty_node_id, tx0).is_ok()).toBeTruthy();
      await until(() => ours.channels.size === 1 && ours.channel.state === ChannelState.AwaitingConfirmation, 'our funding_signed');
      await confirmToReady(peers, txidToDisplayHex(ours.channel.funding!.outpoint.txid));

      const channelId = currentChannelId(ours.channel);
      peers.closing = true;
      expect(ldkNode.channelManager.close_channel(ldk.ChannelId.constructor_new(channelId), ours.node.keys.getNodeId()).is_ok()).toBeTruthy();
      const { tx, feeSat } = await closedOnBothSides(peers, true);
      const proposals = ours.received.filter((m): m is ClosingSignedMessage => m.type === 39);
      // LDK proposed first with its range; we answered its max_fee_satoshis; LDK echoed it.
      expect(proposals.length).toBeGreaterThanOrEqual(2);
      const range = proposals[0]!.feeRange!;
      expect(feeSat).toBe(range.maxFeeSatoshis);
      expect(proposals[proposals.length - 1]!.feeSatoshis).toBe(range.maxFeeSatoshis);
      const ourScript = ours.node.keys.getShutdownScriptpubkey();
      const paid = new Map(tx.outs.map((o) => [toHex(Uint8Array.from(o.script)), BigInt(o.value)]));
      expect(paid.get(toHex(ourScript))).toBe(40_000n);
      console.log(`${name}, LDK closed: LDK range ${range.minFeeSatoshis}..${range.maxFeeSatoshis}, first fee ${proposals[0]!.feeSatoshis}, agreed ${feeSat} sat, closing tx ${tx.getId()}`);
    } finally {
      ours.close();
      await ldkNode.stop();
    }
  });
});
