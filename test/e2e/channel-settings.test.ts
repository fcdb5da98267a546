/**
 * The node's channel settings end to end through the embedded deployment,
 * started with ANCHOR_CHANNELS=true and INBOUND_CHANNELS=manual (its own
 * data dir and ports): an anchors LDK node opens to us, `GET /v1/channels`
 * shows the held request, `POST /v1/channels/{id}/accept` completes it, and
 * the channel is usable with channel type anchors on both sides; we open an
 * anchors channel to LDK with `POST /v1/channels`; a request from a second
 * LDK node (static_remotekey) is refused with `POST /v1/channels/{id}/reject`
 * and LDK sees its channel closed. Ignoring either setting fails these tests.
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../shared/crypto/index.js';
import { EmbeddedWithLdk, ldkScid } from '../support/embedded-ldk.js';
import type { LdkNode } from '../support/ldk-node.js';

/** LDK's `minimum_depth` as fundee. */
const LDK_DEPTH = 3;
/** Ours as fundee (the default handshake config). */
const OUR_DEPTH = 6;

let env: EmbeddedWithLdk;
let anchorsLdk: LdkNode;

beforeAll(async () => {
  env = await EmbeddedWithLdk.start('settings', { channelSettings: { anchors: true, acceptInboundChannels: 'manual' } });
  anchorsLdk = await env.startLdk(91, { minimumDepth: LDK_DEPTH, anchors: true });
  await env.fundWallet(1_000_000);
  await env.connectLdk(anchorsLdk);
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

function fundingReady(ldkNode: LdkNode, after: number): ldk.Event_FundingGenerationReady | undefined {
  return ldkNode.events.slice(after).find((e): e is ldk.Event_FundingGenerationReady => e instanceof ldk.Event_FundingGenerationReady);
}

function anchorsOnLdk(channel: ldk.ChannelDetails): boolean {
  // The WASM bindings answer booleans as 0 or 1.
  return Boolean(channel.get_channel_type().requires_anchors_zero_fee_htlc_tx());
}

describe('embedded deployment with ANCHOR_CHANNELS=true, INBOUND_CHANNELS=manual', () => {
  it('advertises anchors in init', async () => {
    const features = (await env.api('/v1/node')).body['features'] as string;
    // OUR_INIT_FEATURES with anchors (bit 23) and upfront_shutdown_script (bit 5), and gossip_queries (bit 7): the embedded node keeps a graph (docs/gossip.md).
    expect(features).toBe('a000088a51a1');
  });

  it('holds an anchors channel LDK opens until POST /v1/channels/{id}/accept; then it is usable with channel type anchors on both sides', async () => {
    const eventsBefore = anchorsLdk.events.length;
    const result = anchorsLdk.channelManager.create_channel(Buffer.from(env.node.nodeId, 'hex'), 150_000n, 0n, 5n, null, null);
    expect(result.is_ok()).toBeTruthy();
    await env.until(async () => (await env.channels()).length === 1, 'the held request in GET /v1/channels');
    const [held] = await env.channels();
    expect(held).toMatchObject({ state: 'awaiting-acceptance', channelType: 'anchors_zero_fee_htlc_tx', capacitySat: 150_000, isOutbound: false, isUsable: false });
    expect((await env.api(`/v1/channels/${held!.channelId}`)).body).toMatchObject({ state: 'awaiting-acceptance' });
    // Held: LDK got no accept_channel.
    await new Promise((r) => setTimeout(r, 300));
    anchorsLdk.processEvents();
    expect(fundingReady(anchorsLdk, eventsBefore)).toBeUndefined();

    expect(await env.post(`/v1/channels/${held!.channelId}/accept`, {})).toMatchObject({ status: 200, body: { status: 'accepted', channelId: held!.channelId } });
    await env.until(() => fundingReady(anchorsLdk, eventsBefore) !== undefined, 'LDK FundingGenerationReady');
    const txid = env.fundLdkChannel(anchorsLdk, fundingReady(anchorsLdk, eventsBefore)!, 'ldk-anchors-funder');
    await env.inMempool(txid, "LDK's funding transaction in the mempool");
    await env.until(async () => (await env.channels()).some((c) => c.fundingTxid === txid), 'our inbound channel funded');
    await env.mineAndFeed(OUR_DEPTH, txid);
    await env.until(async () => (await env.channels()).find((c) => c.fundingTxid === txid)?.isUsable === true, 'our inbound channel usable');
    await env.until(() => anchorsLdk.channelManager.list_usable_channels().length === 1, 'LDK usable channel');
    const inbound = (await env.channels()).find((c) => c.fundingTxid === txid)!;
    expect(inbound).toMatchObject({ state: 'ready', channelType: 'anchors_zero_fee_htlc_tx', isOutbound: false, capacitySat: 150_000 });
    const theirs = anchorsLdk.channelManager.list_usable_channels()[0]!;
    expect(toHex(theirs.get_channel_id().get_a())).toBe(inbound.channelId);
    expect(anchorsOnLdk(theirs)).toBe(true);
    expect(inbound.shortChannelId).toBe(ldkScid(theirs));
  }, 90_000);

  it('opens an anchors channel to LDK with POST /v1/channels (not held: manual is for inbound channels)', async () => {
    const opened = await env.post('/v1/channels', { nodeId: toHex(anchorsLdk.nodeId), amountSat: 250_000, pushMsat: 10_000_000 });
    expect(opened.status).toBe(202);
    const temporaryId = opened.body['channelId'] as string;
    await env.until(async () => (await env.channels()).some((c) => c.temporaryChannelId === temporaryId && c.fundingTxid !== undefined), 'our funding transaction');
    const ours = (await env.channels()).find((c) => c.temporaryChannelId === temporaryId)!;
    await env.inMempool(ours.fundingTxid!, 'the funding transaction in the mempool');
    await env.mineAndFeed(LDK_DEPTH, ours.fundingTxid!);
    await env.until(async () => (await env.channels()).find((c) => c.temporaryChannelId === temporaryId)?.isUsable === true, 'our channel usable');
    await env.until(() => anchorsLdk.channelManager.list_usable_channels().length === 2, 'LDK: both channels usable');
    const usable = (await env.channels()).find((c) => c.temporaryChannelId === temporaryId)!;
    expect(usable).toMatchObject({ state: 'ready', channelType: 'anchors_zero_fee_htlc_tx', isOutbound: true, capacitySat: 250_000 });
    const theirs = anchorsLdk.channelManager.list_usable_channels().find((c) => toHex(c.get_channel_id().get_a()) === usable.channelId)!;
    expect(anchorsOnLdk(theirs)).toBe(true);
    expect(BigInt(usable.capacitySat)).toBe(theirs.get_channel_value_satoshis());
    expect(usable.shortChannelId).toBe(ldkScid(theirs));
  }, 90_000);

  it('POST /v1/channels/{id}/reject refuses a held request; LDK sees its channel closed', async () => {
    const plainLdk = await env.startLdk(92, { minimumDepth: LDK_DEPTH });
    await env.connectLdk(plainLdk);
    const result = plainLdk.channelManager.create_channel(Buffer.from(env.node.nodeId, 'hex'), 120_000n, 0n, 6n, null, null);
    expect(result.is_ok()).toBeTruthy();
    const heldRequest = async () => (await env.channels()).find((c) => c.state === 'awaiting-acceptance');
    await env.until(async () => (await heldRequest()) !== undefined, 'the held request');
    const held = (await heldRequest())!;
    expect(held).toMatchObject({ channelType: 'static_remotekey', capacitySat: 120_000 });
    expect(await env.post(`/v1/channels/${held.channelId}/reject`, {})).toMatchObject({ status: 200, body: { status: 'rejected', channelId: held.channelId } });
    await env.until(() => plainLdk.events.some((e) => e instanceof ldk.Event_ChannelClosed), 'LDK ChannelClosed');
    const closed = plainLdk.events.find((e): e is ldk.Event_ChannelClosed => e instanceof ldk.Event_ChannelClosed)!;
    expect(toHex(closed.channel_id.get_a())).toBe(held.channelId);
    expect(plainLdk.channelManager.list_channels()).toHaveLength(0);
    expect(fundingReady(plainLdk, 0)).toBeUndefined();
    expect((await env.channels()).map((c) => c.state)).toEqual(['ready', 'ready']);
    expect((await env.api(`/v1/channels/${held.channelId}`)).status).toBe(404);
    expect((await env.post(`/v1/channels/${held.channelId}/accept`, {})).status).toBe(404);
  }, 90_000);
});
