/**
 * Channels end to end through the embedded deployment (the code behind
 * `npm start`): LDK connects to our peer port; `POST /v1/channels` opens to
 * LDK, our wallet funds it, the regtest chain mines, the chain handler and
 * LDK see the blocks, and `GET /v1/channels` shows the channel usable with
 * LDK's short channel id and capacity. Then LDK opens to us. Then the whole
 * deployment restarts with a channel waiting for confirmations, and
 * `channel_reestablish` with LDK resumes every channel.
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, sha256, toHex } from '../../shared/crypto/index.js';
import { EmbeddedWithLdk, ldkScid } from '../support/embedded-ldk.js';
import type { LdkNode } from '../support/ldk-node.js';

/** LDK's `minimum_depth` as fundee (what it asks of our funding transaction). */
const LDK_DEPTH = 3;
/** Ours as fundee (the default handshake config). */
const OUR_DEPTH = 6;

let env: EmbeddedWithLdk;
let ldkNode: LdkNode;

/** Our funds when the wallet was funded, and the fees our funding transactions paid (by txid, from the mempool). */
const WALLET_SAT = 1_000_000;
const fundingFees = new Map<string, number>();

/**
 * Every satoshi of ours accounted for: the wallet's total, plus the capacity of
 * each channel we funded (what we pushed to the peer included: a payment we chose),
 * plus the fees our funding transactions paid, equals what the wallet got.
 */
async function expectEverySatoshi(capacitiesSat: readonly number[]): Promise<void> {
  const wallet = (await env.api('/v1/wallet')).body as { confirmedSat: number; unconfirmedSat: number };
  const inChannels = capacitiesSat.reduce((sum, c) => sum + c, 0);
  const fees = [...fundingFees.values()].reduce((a, b) => a + b, 0);
  expect(wallet.confirmedSat + wallet.unconfirmedSat + inChannels + fees).toBe(WALLET_SAT);
}

/** Records the fee of our funding transaction `txid` while it is in the mempool. */
function recordFundingFee(txid: string): void {
  const entry = env.chain.mempool().find((e) => e.txid === txid);
  if (entry === undefined) throw new Error(`funding ${txid} is not in the mempool`);
  fundingFees.set(txid, Number(entry.feeSat));
}

beforeAll(async () => {
  env = await EmbeddedWithLdk.start('channels');
  ldkNode = await env.startLdk(77, { minimumDepth: LDK_DEPTH });
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

describe('channels through the embedded deployment', () => {
  it('opens a channel to LDK with POST /v1/channels, funded by our wallet, usable once mined', async () => {
    await env.fundWallet(WALLET_SAT);
    expect((await env.api('/v1/wallet')).body['confirmedSat']).toBe(WALLET_SAT);
    await env.connectLdk(ldkNode);

    const opened = await env.post('/v1/channels', { nodeId: toHex(ldkNode.nodeId), amountSat: 250_000, pushMsat: 10_000_000 });
    expect(opened.status).toBe(202);
    const channelId = opened.body['channelId'] as string;
    // accept_channel → our wallet funds it → funding_created → funding_signed → broadcast.
    await env.until(() => env.chain.mempool().length > 0, 'the funding transaction in the mempool');
    const [ours] = await env.channels();
    expect(ours).toMatchObject({ temporaryChannelId: channelId, state: 'awaiting-confirmation', capacitySat: 250_000, isOutbound: true, isUsable: false });
    expect(env.chain.mempool().map((e) => e.txid)).toContain(ours!.fundingTxid);
    recordFundingFee(ours!.fundingTxid!);
    await env.until(async () => {
      const w = (await env.api('/v1/wallet')).body as { confirmedSat: number; unconfirmedSat: number };
      return w.unconfirmedSat > 0;
    }, 'the change counted');
    await expectEverySatoshi([250_000]);

    await env.mineAndFeed(LDK_DEPTH, ours!.fundingTxid!);
    await env.until(async () => (await env.channels())[0]?.isUsable === true, 'our channel usable');
    await env.until(() => ldkNode.channelManager.list_usable_channels().length === 1, 'LDK usable channel');
    const theirs = ldkNode.channelManager.list_usable_channels()[0]!;
    const [usable] = await env.channels();
    expect(usable!.channelId).toBe(toHex(theirs.get_channel_id().get_a()));
    expect(usable!.shortChannelId).toBe(ldkScid(theirs));
    expect(BigInt(usable!.capacitySat)).toBe(theirs.get_channel_value_satoshis());
    expect((await env.api(`/v1/channels/${channelId}`)).body).toMatchObject({ channelId: usable!.channelId, state: 'ready', isUsable: true });

    // The merchant's view of what happened: events by id, then acknowledged.
    const events = (await env.api('/v1/events')).body['events'] as { id: string; kind: string; channelId?: string; shortChannelId?: string }[];
    expect(events.map((e) => e.kind)).toEqual(['funding-generation-ready', 'channel-pending', 'channel-ready']);
    expect(events[2]).toMatchObject({ channelId: usable!.channelId, shortChannelId: usable!.shortChannelId });
    const acked = await env.post('/v1/events/ack', { upTo: events[2]!.id });
    expect(acked).toEqual({ status: 200, body: { acknowledged: 3 } });
    expect((await env.api('/v1/events')).body).toEqual({ events: [] });
  }, 90_000);

  it('accepts a channel LDK opens to us, usable once mined', async () => {
    const result = ldkNode.channelManager.create_channel(fromHex(env.node.nodeId), 150_000n, 0n, 5n, null, null);
    expect(result.is_ok()).toBeTruthy();
    await env.until(() => ldkNode.events.some((e) => e instanceof ldk.Event_FundingGenerationReady), 'LDK FundingGenerationReady');
    const ready = ldkNode.events.find((e): e is ldk.Event_FundingGenerationReady => e instanceof ldk.Event_FundingGenerationReady)!;
    const txid = env.fundLdkChannel(ldkNode, ready, 'ldk-funder');
    await env.inMempool(txid, "LDK's funding transaction in the mempool");
    await env.until(async () => (await env.channels()).some((c) => c.fundingTxid === txid), 'our inbound channel');
    await env.mineAndFeed(OUR_DEPTH, txid);
    await env.until(async () => (await env.channels()).find((c) => c.fundingTxid === txid)?.isUsable === true, 'our inbound channel usable');
    await env.until(() => ldkNode.channelManager.list_usable_channels().length === 2, 'LDK: both channels usable');
    const inbound = (await env.channels()).find((c) => c.fundingTxid === txid)!;
    expect(inbound).toMatchObject({ isOutbound: false, capacitySat: 150_000, state: 'ready' });
    const theirs = ldkNode.channelManager.list_usable_channels().find((c) => toHex(c.get_channel_id().get_a()) === inbound.channelId)!;
    expect(inbound.shortChannelId).toBe(ldkScid(theirs));
  }, 90_000);

  it('completes a channel across a restart of the deployment mid-establishment (channel_reestablish with LDK)', async () => {
    const opened = await env.post('/v1/channels', { nodeId: toHex(ldkNode.nodeId), amountSat: 120_000 });
    expect(opened.status).toBe(202);
    const channelId = opened.body['channelId'] as string;
    const pending = async () => (await env.channels()).find((c) => c.temporaryChannelId === channelId);
    await env.until(async () => (await pending())?.state === 'awaiting-confirmation', 'the new channel funded and broadcast');
    const fundingTxid = (await pending())!.fundingTxid!;
    await env.inMempool(fundingTxid, 'the funding transaction in the mempool');
    recordFundingFee(fundingTxid);

    // Stop everything (gateway, handlers, DynamoDB Local, queues, chain) and start again on the same data.
    await env.restart(() => env.until(() => ldkNode.channelManager.list_usable_channels().length === 0, 'LDK to see the channels offline'));
    expect(env.chain.mempool().map((e) => e.txid)).toContain(fundingTxid);
    await env.connectLdk(ldkNode);
    // channel_reestablish both ways: the two ready channels are usable again on both sides before any new block.
    await env.until(() => ldkNode.channelManager.list_usable_channels().length === 2, 'LDK: the ready channels usable again');
    await env.until(async () => (await env.channels()).filter((c) => c.isUsable).length === 2, 'ours: the ready channels usable again');
    expect(await pending()).toMatchObject({ state: 'awaiting-confirmation', isUsable: false });

    await env.mineAndFeed(LDK_DEPTH, fundingTxid);
    await env.until(async () => (await pending())?.isUsable === true, 'the restarted channel usable');
    await env.until(() => ldkNode.channelManager.list_usable_channels().length === 3, 'LDK: three usable channels');
    const resumed = (await pending())!;
    const theirs = ldkNode.channelManager.list_usable_channels().find((c) => toHex(c.get_channel_id().get_a()) === resumed.channelId);
    expect(theirs?.get_channel_value_satoshis()).toBe(120_000n);
    expect(ldkNode.events.filter((e) => e instanceof ldk.Event_ChannelClosed)).toEqual([]);
    // Across the restart: the wallet, our two channels and their funding fees still add up to what the wallet got.
    await expectEverySatoshi([250_000, 120_000]);
  }, 120_000);

  it('a payment LDK sends (keysend) reaches us through the pipeline: payment-claimable, the preimage from the onion (issue 15)', async () => {
    const inbound = (await env.channels()).find((c) => !c.isOutbound && c.isUsable)!;
    const payment = ldkNode.channelManager.send_spontaneous_payment(
      ldk.Option_ThirtyTwoBytesZ.constructor_none(),
      ldk.RecipientOnionFields.constructor_spontaneous_empty(),
      new Uint8Array(32).fill(7),
      ldk.RouteParameters.constructor_from_payment_params_and_value(ldk.PaymentParameters.constructor_for_keysend(fromHex(env.node.nodeId), 40, false), 10_000n),
      ldk.Retry.constructor_attempts(0),
    );
    expect(payment.is_ok()).toBeTruthy();
    type EventJson = { kind: string; amountMsat?: string; purpose?: string; paymentHash?: string; paymentPreimage?: string };
    const claimable = async () => ((await env.api('/v1/events')).body['events'] as EventJson[]).filter((e) => e.kind === 'payment-claimable');
    await env.until(async () => (await claimable()).length > 0, 'a payment-claimable event');
    const [event] = await claimable();
    expect(event).toMatchObject({ amountMsat: '10000', purpose: 'spontaneous' });
    expect(toHex(sha256(fromHex(event!.paymentPreimage!)))).toBe(event!.paymentHash);
    // The channel is still ours, ready, and nobody was disconnected.
    expect((await env.channels()).find((c) => c.channelId === inbound.channelId)).toMatchObject({ state: 'ready' });
    expect(ldkNode.peers()).toHaveLength(1);
  }, 90_000);
});
