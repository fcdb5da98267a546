/**
 * Issue 16's channel views end to end through the embedded deployment (the
 * code behind `npm start`) with real LDK: a channel we open (pushing LDK
 * some balance) and one LDK opens to us (pushing us some), read over HTTP:
 * both balances net of the funder's fee, no HTLC in flight, the capacities
 * (our inbound one equal to LDK's `next_outbound_htlc_limit_msat`), the
 * short channel id, `balanceMsat` as the alias; `GET /v1/channels` paged;
 * the node's totals; `GET /v1/events?after=` without acknowledging.
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { EmbeddedWithLdk, ldkScid } from '../support/embedded-ldk.js';
import type { LdkNode } from '../support/ldk-node.js';

const LDK_DEPTH = 3;
const OUR_DEPTH = 6;

let env: EmbeddedWithLdk;
let ldkNode: LdkNode;

beforeAll(async () => {
  env = await EmbeddedWithLdk.start('channel-views');
  ldkNode = await env.startLdk(79, { minimumDepth: LDK_DEPTH });
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

type Channel = Record<string, unknown> & { channelId: string };

async function channel(id: string): Promise<Channel> {
  const { status, body } = await env.api(`/v1/channels/${id}`);
  expect(status).toBe(200);
  return body as Channel;
}

/** LDK's channel `id`. */
function ldkChannel(id: string): ldk.ChannelDetails {
  return ldkNode.channelManager.list_channels().find((c) => toHex(c.get_channel_id().get_a()) === id)!;
}

/** The commitment fee of static_remotekey channel `id` with no HTLC, at its feerate as LDK reports it: feerate * 724 / 1000 sat. */
function feeMsat(id: string): number {
  const feerate = ldkChannel(id).get_feerate_sat_per_1000_weight() as ldk.Option_u32Z_Some;
  return Math.floor((feerate.some * 724) / 1000) * 1000;
}

describe('channel views through the embedded deployment', () => {
  it('balances, capacities and totals of a channel each way agree with LDK; paging; events after an id', async () => {
    await env.fundWallet(1_000_000);
    await env.connectLdk(ldkNode);

    // We open 250,000 sat, pushing LDK 10,000 sat.
    const opened = await env.post('/v1/channels', { nodeId: toHex(ldkNode.nodeId), amountSat: 250_000, pushMsat: 10_000_000 });
    expect(opened.status).toBe(202);
    await env.until(async () => (await env.channels())[0]?.state === 'awaiting-confirmation', 'our channel funded');
    const [pending] = await env.channels();
    await env.until(() => ldkChannel(pending!.channelId) !== undefined, 'LDK lists the channel');
    const FEE_MSAT = feeMsat(pending!.channelId);
    // Awaiting confirmation: the opening split, the first fee from us; nothing can be sent yet. Counted in the node's balance.
    expect(await channel(pending!.channelId)).toMatchObject({ localBalanceMsat: 240_000_000 - FEE_MSAT, remoteBalanceMsat: 10_000_000, outboundCapacityMsat: 0, inboundCapacityMsat: 0 });
    expect((await env.api('/v1/node')).body).toMatchObject({ channelBalanceMsat: 240_000_000 - FEE_MSAT, inboundCapacityMsat: 0 });
    await env.mineAndFeed(LDK_DEPTH, pending!.fundingTxid!);
    await env.until(async () => (await env.channels())[0]?.isUsable === true, 'our channel usable');

    // LDK opens 150,000 sat to us, pushing us 20,000 sat.
    expect(ldkNode.channelManager.create_channel(fromHex(env.node.nodeId), 150_000n, 20_000_000n, 5n, null, null).is_ok()).toBeTruthy();
    await env.until(() => ldkNode.events.some((e) => e instanceof ldk.Event_FundingGenerationReady), 'LDK FundingGenerationReady');
    const ready = ldkNode.events.find((e): e is ldk.Event_FundingGenerationReady => e instanceof ldk.Event_FundingGenerationReady)!;
    const txid = env.fundLdkChannel(ldkNode, ready, 'views-ldk-funder');
    await env.inMempool(txid, "LDK's funding transaction in the mempool");
    await env.until(async () => (await env.channels()).some((c) => c.fundingTxid === txid), 'our inbound channel');
    await env.mineAndFeed(OUR_DEPTH, txid);
    // (Through the gateway and the queues both ways: slow when the whole suite loads the machine; no timing is asserted.)
    await env.until(async () => (await env.channels()).every((c) => c.isUsable), 'both channels usable', 60_000);
    await env.until(() => ldkNode.channelManager.list_usable_channels().length === 2, 'LDK: both usable', 60_000);

    const outboundId = (await env.channels()).find((c) => c.isOutbound)!.channelId;
    const inboundId = (await env.channels()).find((c) => !c.isOutbound)!.channelId;
    const out = await channel(outboundId);
    const theirsOut = ldkChannel(outboundId);
    expect(out).toMatchObject({
      shortChannelId: ldkScid(theirsOut),
      localBalanceMsat: 240_000_000 - FEE_MSAT,
      balanceMsat: 240_000_000 - FEE_MSAT,
      remoteBalanceMsat: 10_000_000,
      pendingHtlcs: [],
      // LDK accepts at most 10% of the channel in flight (its default).
      outboundCapacityMsat: 25_000_000,
    });
    expect(BigInt(out['inboundCapacityMsat'] as number)).toBe(theirsOut.get_next_outbound_htlc_limit_msat());
    const inb = await channel(inboundId);
    const theirsIn = ldkChannel(inboundId);
    expect(inb).toMatchObject({ shortChannelId: ldkScid(theirsIn), localBalanceMsat: 20_000_000, remoteBalanceMsat: 130_000_000 - feeMsat(inboundId), pendingHtlcs: [] });
    // Ours to send: our balance less the reserve LDK requires of us (LDK's inbound capacity), within LDK's 10% in flight.
    const lessReserve = theirsIn.get_inbound_capacity_msat();
    expect(lessReserve).toBeLessThan(20_000_000n);
    expect(BigInt(inb['outboundCapacityMsat'] as number)).toBe(lessReserve < 15_000_000n ? lessReserve : 15_000_000n);
    expect(BigInt(inb['inboundCapacityMsat'] as number)).toBe(theirsIn.get_next_outbound_htlc_limit_msat());

    const node = (await env.api('/v1/node')).body;
    expect(node['channelBalanceMsat']).toBe((out['localBalanceMsat'] as number) + (inb['localBalanceMsat'] as number));
    expect(node['inboundCapacityMsat']).toBe((out['inboundCapacityMsat'] as number) + (inb['inboundCapacityMsat'] as number));

    // Paging: one channel a page, in id order.
    const [first, second] = [outboundId, inboundId].sort();
    const page1 = await env.api('/v1/channels?limit=1');
    expect(page1.body).toMatchObject({ channels: [{ channelId: first }], nextAfter: first });
    const page2 = await env.api(`/v1/channels?limit=1&after=${first}`);
    expect((page2.body['channels'] as Channel[]).map((c) => c.channelId)).toEqual([second]);
    expect(page2.body).not.toHaveProperty('nextAfter');
    expect(await env.api('/v1/channels?limit=0')).toEqual({ status: 400, body: { code: 'invalid-request', message: 'limit: must be an integer from 1 to 200' } });

    // Events past an id, nothing acknowledged.
    const events = (await env.api('/v1/events')).body['events'] as { id: string }[];
    expect(events.length).toBeGreaterThan(2);
    const later = (await env.api(`/v1/events?after=${events[1]!.id}`)).body['events'] as { id: string }[];
    expect(later.map((e) => e.id)).toEqual(events.slice(2).map((e) => e.id));
    expect(((await env.api('/v1/events')).body['events'] as unknown[]).length).toBe(events.length);
    expect((await env.api('/v1/events?after=x')).status).toBe(400);
  }, 240_000);
});
