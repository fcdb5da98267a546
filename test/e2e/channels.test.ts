/**
 * Channels end to end through the embedded deployment (the code behind
 * `npm start`): LDK connects to our peer port; `POST /v1/channels` opens to
 * LDK, our wallet funds it, the regtest chain mines, the chain handler and
 * LDK see the blocks, and `GET /v1/channels` shows the channel usable with
 * LDK's short channel id and capacity. Then LDK opens to us.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbedded, type Embedded } from '../../infra/local/embedded.js';
import { freePort } from '../../infra/local/free-port.js';
import type { RegtestChain } from '../../infra/local/regtest-chain/index.js';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { startLdkNode, type LdkNode } from '../support/ldk-node.js';
import { outputTo, spend, testKey } from '../support/regtest-wallet.js';

/** LDK's `minimum_depth` as fundee (what it asks of our funding transaction). */
const LDK_DEPTH = 3;
/** Ours as fundee (the default handshake config). */
const OUR_DEPTH = 6;

let node: Embedded;
let embeddedOptions: Parameters<typeof startEmbedded>[0];
let ldkNode: LdkNode;
let chain: RegtestChain;
let fedHeight = 0;
const dataDir = mkdtempSync(join(tmpdir(), 'stormcell-e2e-channels-'));

async function until(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; LDK log tail:\n${ldkNode.log.slice(-25).join("\n")}`);
    ldkNode.processEvents();
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function api(path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${node.apiKey}`);
  const response = await fetch(`${node.apiUrl}${path}`, { ...init, headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  return api(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

interface ChannelJson {
  channelId: string;
  temporaryChannelId: string;
  state: string;
  shortChannelId?: string;
  capacitySat: number;
  isUsable: boolean;
  isOutbound: boolean;
  fundingTxid?: string;
}
const channels = async () => (await api('/v1/channels')).body['channels'] as ChannelJson[];

/** Mines `blocks`, runs our chain handler, and feeds LDK every new block (confirming `txid`, display hex, where it is). */
async function mineAndFeed(blocks: number, txid: string): Promise<void> {
  chain.mine(blocks);
  await node.syncChain();
  for (let h = fedHeight + 1; h <= chain.tip().height; h++) {
    const block = chain.blockAt(h)!;
    const position = block.txids.indexOf(txid);
    if (position >= 0) ldkNode.transactionsConfirmed(block.header, [[position, block.transactions[position]!.toBuffer()]], h);
    ldkNode.bestBlockUpdated(block.header, h);
    fedHeight = h;
  }
}

function formatScid(scid: bigint): string {
  return `${scid >> 40n}x${(scid >> 16n) & 0xffffffn}x${scid & 0xffffn}`;
}

beforeAll(async () => {
  embeddedOptions = {
    dataDir,
    port: await freePort(),
    peerPort: await freePort(),
    dynamoPort: await freePort(),
    sqsPort: await freePort(),
    chainPort: await freePort(),
    chainPollMs: 3_600_000,
    timerIntervalMs: 3_600_000,
  };
  node = await startEmbedded(embeddedOptions);
  chain = node.chain!.chain;
  ldkNode = await startLdkNode(new Uint8Array(32).fill(77), { minimumDepth: LDK_DEPTH });
  const tip = chain.tip();
  ldkNode.bestBlockUpdated(tip.header, tip.height);
  fedHeight = tip.height;
  ldkNode.onBroadcast = (tx) => {
    void fetch(`${node.chainUrl}/tx`, { method: 'POST', body: toHex(tx) });
  };
}, 60_000);

afterAll(async () => {
  await ldkNode?.stop();
  await node?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('channels through the embedded deployment', () => {
  it('opens a channel to LDK with POST /v1/channels, funded by our wallet, usable once mined', async () => {
    // Fund our wallet: a fresh address, the chain's faucet, one block, a chain sync.
    const { body: addressBody } = await post('/v1/wallet/address', {});
    const faucet = await fetch(`${node.chainUrl}/regtest/faucet`, { method: 'POST', body: JSON.stringify({ address: addressBody['address'], sats: 1_000_000 }) });
    expect(faucet.status).toBe(200);
    await mineAndFeed(1, '');
    expect((await api('/v1/wallet')).body['confirmedSat']).toBe(1_000_000);

    await ldkNode.connect(fromHex(node.nodeId), '127.0.0.1', Number(node.peerAddress.split(':')[1]));
    await until(async () => ((await api('/v1/peers')).body['peers'] as unknown[]).length === 1, 'our node to list LDK');

    const opened = await post('/v1/channels', { nodeId: toHex(ldkNode.nodeId), amountSat: 250_000, pushMsat: 10_000_000 });
    expect(opened.status).toBe(202);
    const channelId = opened.body['channelId'] as string;
    // accept_channel → our wallet funds it → funding_created → funding_signed → broadcast.
    await until(() => chain.mempool().length > 0, 'the funding transaction in the mempool');
    const [ours] = await channels();
    expect(ours).toMatchObject({ temporaryChannelId: channelId, state: 'awaiting-confirmation', capacitySat: 250_000, isOutbound: true, isUsable: false });
    expect(chain.mempool().map((e) => e.txid)).toContain(ours!.fundingTxid);

    await mineAndFeed(LDK_DEPTH, ours!.fundingTxid!);
    await until(async () => (await channels())[0]?.isUsable === true, 'our channel usable');
    await until(() => ldkNode.channelManager.list_usable_channels().length === 1, 'LDK usable channel');
    const theirs = ldkNode.channelManager.list_usable_channels()[0]!;
    const scid = theirs.get_short_channel_id();
    const [usable] = await channels();
    expect(usable!.channelId).toBe(toHex(theirs.get_channel_id().get_a()));
    expect(usable!.shortChannelId).toBe(scid instanceof ldk.Option_u64Z_Some ? formatScid(scid.some) : 'none');
    expect(BigInt(usable!.capacitySat)).toBe(theirs.get_channel_value_satoshis());
    expect((await api(`/v1/channels/${channelId}`)).body).toMatchObject({ channelId: usable!.channelId, state: 'ready', isUsable: true });
  }, 90_000);

  it('accepts a channel LDK opens to us, usable once mined', async () => {
    const result = ldkNode.channelManager.create_channel(fromHex(node.nodeId), 150_000n, 0n, 5n, null, null);
    expect(result.is_ok()).toBeTruthy();
    await until(() => ldkNode.events.some((e) => e instanceof ldk.Event_FundingGenerationReady), 'LDK FundingGenerationReady');
    const ready = ldkNode.events.find((e): e is ldk.Event_FundingGenerationReady => e instanceof ldk.Event_FundingGenerationReady)!;
    // LDK's funding transaction, paid from the chain's faucet.
    const key = testKey('ldk-funder');
    const coin = outputTo(chain.transaction(chain.faucet(key.script, 200_000n))!.tx, key.script);
    const tx = spend({
      inputs: [{ txid: coin.txid, vout: coin.vout, valueSat: coin.valueSat, key }],
      outputs: [
        { script: ready.output_script, valueSat: ready.channel_value_satoshis },
        { script: key.script, valueSat: coin.valueSat - ready.channel_value_satoshis - 1_000n },
      ],
    });
    expect(ldkNode.channelManager.funding_transaction_generated(ready.temporary_channel_id, ready.counterparty_node_id, tx.toBuffer()).is_ok()).toBeTruthy();
    const txid = tx.getId();
    await until(() => chain.mempool().some((e) => e.txid === txid), "LDK's funding transaction in the mempool");
    await until(async () => (await channels()).some((c) => c.fundingTxid === txid), 'our inbound channel');
    await mineAndFeed(OUR_DEPTH, txid);
    await until(async () => (await channels()).find((c) => c.fundingTxid === txid)?.isUsable === true, 'our inbound channel usable');
    await until(() => ldkNode.channelManager.list_usable_channels().length === 2, 'LDK: both channels usable');
    const inbound = (await channels()).find((c) => c.fundingTxid === txid)!;
    expect(inbound).toMatchObject({ isOutbound: false, capacitySat: 150_000, state: 'ready' });
    const theirs = ldkNode.channelManager.list_usable_channels().find((c) => toHex(c.get_channel_id().get_a()) === inbound.channelId)!;
    const scid = theirs.get_short_channel_id();
    expect(inbound.shortChannelId).toBe(scid instanceof ldk.Option_u64Z_Some ? formatScid(scid.some) : 'none');
  }, 90_000);

  it('completes a channel across a restart of the deployment mid-establishment (channel_reestablish with LDK)', async () => {
    const opened = await post('/v1/channels', { nodeId: toHex(ldkNode.nodeId), amountSat: 120_000 });
    expect(opened.status).toBe(202);
    const channelId = opened.body['channelId'] as string;
    const pending = async () => (await channels()).find((c) => c.temporaryChannelId === channelId);
    await until(async () => (await pending())?.state === 'awaiting-confirmation', 'the new channel funded and broadcast');
    const fundingTxid = (await pending())!.fundingTxid!;
    await until(() => chain.mempool().some((e) => e.txid === fundingTxid), 'the funding transaction in the mempool');

    // Stop everything (gateway, handlers, DynamoDB Local, queues, chain) and start again on the same data.
    await node.stop();
    await until(() => ldkNode.channelManager.list_usable_channels().length === 0, 'LDK to see the channels offline');
    node = await startEmbedded(embeddedOptions);
    chain = node.chain!.chain;
    expect(chain.mempool().map((e) => e.txid)).toContain(fundingTxid);
    await ldkNode.connect(fromHex(node.nodeId), '127.0.0.1', Number(node.peerAddress.split(':')[1]));
    // channel_reestablish both ways: the two ready channels are usable again on both sides before any new block.
    await until(() => ldkNode.channelManager.list_usable_channels().length === 2, 'LDK: the ready channels usable again');
    await until(async () => (await channels()).filter((c) => c.isUsable).length === 2, 'ours: the ready channels usable again');
    expect(await pending()).toMatchObject({ state: 'awaiting-confirmation', isUsable: false });

    await mineAndFeed(LDK_DEPTH, fundingTxid);
    await until(async () => (await pending())?.isUsable === true, 'the restarted channel usable');
    await until(() => ldkNode.channelManager.list_usable_channels().length === 3, 'LDK: three usable channels');
    const resumed = (await pending())!;
    const theirs = ldkNode.channelManager.list_usable_channels().find((c) => toHex(c.get_channel_id().get_a()) === resumed.channelId);
    expect(theirs?.get_channel_value_satoshis()).toBe(120_000n);
    expect(ldkNode.events.filter((e) => e instanceof ldk.Event_ChannelClosed)).toEqual([]);
  }, 120_000);
});
