/**
 * Cooperative close end to end through the embedded deployment (the code
 * behind `npm start`; docs/close.md): a channel we opened to LDK is closed
 * with `POST /v1/channels/{id}/close`, both sides close cooperatively, the
 * closing transaction our broadcast handler sent is mined, and
 * `GET /v1/wallet` then holds every satoshi we put in, minus the funding and
 * closing fees and what we pushed. Then LDK closes a channel it opened to us
 * and pushed to us: our side of it reaches the wallet.
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { EmbeddedWithLdk } from '../support/embedded-ldk.js';
import type { LdkNode } from '../support/ldk-node.js';

const LDK_DEPTH = 3;
const OUR_DEPTH = 6;
const WALLET_SAT = 600_000;
const CAPACITY = 250_000;
const PUSH_SAT = 10_000;

let env: EmbeddedWithLdk;
let ldkNode: LdkNode;

beforeAll(async () => {
  env = await EmbeddedWithLdk.start('close');
  ldkNode = await env.startLdk(79, { minimumDepth: LDK_DEPTH });
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

async function wallet(): Promise<{ confirmedSat: number; unconfirmedSat: number }> {
  return (await env.api('/v1/wallet')).body as { confirmedSat: number; unconfirmedSat: number };
}

function feeOf(txid: string): number {
  const entry = env.chain.mempool().find((e) => e.txid === txid);
  if (entry === undefined) throw new Error(`${txid} is not in the mempool`);
  return Number(entry.feeSat);
}

function ldkClosures(): ldk.Event_ChannelClosed[] {
  return ldkNode.events.filter((e): e is ldk.Event_ChannelClosed => e instanceof ldk.Event_ChannelClosed);
}

describe('cooperative close through the embedded deployment', () => {
  it('POST /v1/channels/{id}/close: LDK closes too, the closing transaction is mined, and the wallet holds every satoshi back', async () => {
    await env.fundWallet(WALLET_SAT);
    await env.connectLdk(ldkNode);
    const opened = await env.post('/v1/channels', { nodeId: toHex(ldkNode.nodeId), amountSat: CAPACITY, pushMsat: PUSH_SAT * 1000 });
    expect(opened.status).toBe(202);
    await env.until(() => env.chain.mempool().length > 0, 'the funding transaction in the mempool');
    const [funded] = await env.channels();
    const fundingFee = feeOf(funded!.fundingTxid!);
    await env.mineAndFeed(LDK_DEPTH, funded!.fundingTxid!);
    await env.until(async () => (await env.channels())[0]?.isUsable === true, 'our channel usable');
    await env.until(() => ldkNode.channelManager.list_usable_channels().length === 1, 'LDK usable channel');
    const channelId = (await env.channels())[0]!.channelId;

    const closing = await env.post(`/v1/channels/${channelId}/close`, {});
    expect(closing.status).toBe(202);
    // Answered once the shutdown is committed; the peer's answer may already have moved the channel on.
    expect(closing.body).toMatchObject({ channelId, isUsable: false });
    expect(['shutdown-sent', 'negotiating-close']).toContain(closing.body['state']);
    expect((await env.post(`/v1/channels/${'00'.repeat(32)}/close`, {})).status).toBe(404);

    await env.until(() => ldkClosures().length === 1, 'LDK ChannelClosed');
    expect(ldkClosures()[0]!.reason instanceof ldk.ClosureReason_CounterpartyInitiatedCooperativeClosure).toBe(true);
    await env.until(async () => (await env.channels()).length === 0, 'our channel closed');
    expect((await env.api(`/v1/channels/${channelId}`)).body).toMatchObject({ state: 'closed', closure: { reason: 'cooperative-closure' } });
    // Our broadcast handler sent the closing transaction: the only one in the mempool spending the funding output.
    await env.until(() => env.chain.mempool().length === 1, 'the closing transaction in the mempool');
    const closingTxid = env.chain.mempool()[0]!.txid;
    const closingFee = feeOf(closingTxid);
    const closingTx = env.chain.transaction(closingTxid)!.tx;
    expect(toHex(Uint8Array.from(closingTx.ins[0]!.hash).reverse())).toBe(funded!.fundingTxid);

    await env.mineAndFeed(1, closingTxid);
    await env.until(async () => (await wallet()).unconfirmedSat === 0 && (await wallet()).confirmedSat > 0, 'the wallet synced');
    // Every satoshi: the wallet got WALLET_SAT, paid two fees and pushed PUSH_SAT to LDK.
    await env.until(async () => (await wallet()).confirmedSat === WALLET_SAT - fundingFee - closingFee - PUSH_SAT, 'the closing output counted');
    const events = ((await env.api('/v1/events')).body['events'] as { kind: string; reason?: string }[]).filter((e) => e.kind === 'channel-closed');
    expect(events).toEqual([expect.objectContaining({ kind: 'channel-closed', reason: 'cooperative-closure' })]);
  }, 120_000);

  it('LDK closes a channel it opened to us: our share reaches the wallet', async () => {
    const before = (await wallet()).confirmedSat;
    expect(ldkNode.channelManager.create_channel(fromHex(env.node.nodeId), 150_000n, 40_000_000n, 6n, null, null).is_ok()).toBeTruthy();
    await env.until(() => ldkNode.events.some((e) => e instanceof ldk.Event_FundingGenerationReady), 'LDK FundingGenerationReady');
    const ready = ldkNode.events.find((e): e is ldk.Event_FundingGenerationReady => e instanceof ldk.Event_FundingGenerationReady)!;
    const txid = env.fundLdkChannel(ldkNode, ready, 'ldk-close-funder');
    await env.inMempool(txid, "LDK's funding transaction in the mempool");
    await env.mineAndFeed(OUR_DEPTH, txid);
    await env.until(async () => (await env.channels()).find((c) => c.fundingTxid === txid)?.isUsable === true, 'our inbound channel usable');
    await env.until(() => ldkNode.channelManager.list_usable_channels().length === 1, 'LDK usable channel');
    const channel = ldkNode.channelManager.list_usable_channels()[0]!;

    expect(ldkNode.channelManager.close_channel(channel.get_channel_id(), fromHex(env.node.nodeId)).is_ok()).toBeTruthy();
    await env.until(() => ldkClosures().length === 2, 'LDK ChannelClosed');
    await env.until(async () => (await env.channels()).length === 0, 'our channel closed');
    await env.until(() => env.chain.mempool().length === 1, 'the closing transaction in the mempool');
    const closingTxid = env.chain.mempool()[0]!.txid;
    await env.mineAndFeed(1, closingTxid);
    await env.until(async () => (await wallet()).confirmedSat === before + 40_000, 'our 40,000 sat counted by the wallet');
  }, 120_000);
});
