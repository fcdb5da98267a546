/**
 * Force close end to end through the embedded deployment (the code behind
 * `npm start`) with real LDK (docs/force-close.md): we open a channel to LDK
 * pushing it 10,000 sat; LDK force-closes (`force_close_broadcasting_latest_txn`);
 * its commitment confirms on the embedded regtest chain; our chain handler
 * sees it spend the funding output, closes the channel
 * (`counterparty-force-closed`), sweeps our `to_remote` (static_remotekey:
 * spendable at once) to a fresh wallet address, and once the sweep confirms
 * `GET /v1/wallet` counts it and `funds-swept` is an event. Then we
 * force-close through the API: our commitment confirms, LDK closes its side,
 * and our `to_local` reaches the
 * wallet once LDK's `to_self_delay` has passed (the chain checks the CSV).
 */
import { Transaction } from 'bitcoinjs-lib';
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { EmbeddedWithLdk } from '../support/embedded-ldk.js';
import type { LdkNode } from '../support/ldk-node.js';

let env: EmbeddedWithLdk;
let ldkNode: LdkNode;

beforeAll(async () => {
  env = await EmbeddedWithLdk.start('force-close');
  ldkNode = await env.startLdk(83, { minimumDepth: 3 });
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

async function wallet(): Promise<{ confirmedSat: number; unconfirmedSat: number }> {
  return (await env.api('/v1/wallet')).body as { confirmedSat: number; unconfirmedSat: number };
}

describe('force close through the embedded deployment', () => {
  it('LDK force-closes: we see its commitment, close the channel, and our to_remote reaches the wallet (funds-swept)', async () => {
    await env.fundWallet(1_000_000);
    await env.connectLdk(ldkNode);
    expect((await env.post('/v1/channels', { nodeId: toHex(ldkNode.nodeId), amountSat: 250_000, pushMsat: 10_000_000 })).status).toBe(202);
    await env.until(async () => (await env.channels())[0]?.state === 'awaiting-confirmation', 'our channel funded');
    const [pending] = await env.channels();
    await env.mineAndFeed(6, pending!.fundingTxid!);
    await env.until(async () => (await env.channels())[0]?.isUsable === true, 'our channel usable');
    const channelId = pending!.channelId;
    const before = await wallet();

    // LDK broadcasts its latest commitment; we hand it to the chain.
    const closed = ldkNode.channelManager.force_close_broadcasting_latest_txn(ldk.ChannelId.constructor_new(fromHex(channelId)), fromHex(env.node.nodeId), 'test');
    expect(closed.is_ok()).toBeTruthy();
    await env.until(() => ldkNode.broadcasts.length > 0, 'LDK broadcasts its commitment');
    const commitment = Transaction.fromBuffer(ldkNode.broadcasts.at(-1)!);
    const posted = await fetch(`${env.node.chainUrl}/tx`, { method: 'POST', body: commitment.toHex() });
    expect(posted.status).toBe(200);
    await env.mineAndFeed(1, commitment.getId());

    // Our node closes the channel: LDK's `error` (sent with its force close) usually arrives first (`counterparty-error`); else the chain tells (`counterparty-force-closed`).
    await env.until(async () => (await env.api(`/v1/channels/${channelId}`)).body['state'] === 'closed', 'our channel closed');
    const closure = (await env.api(`/v1/channels/${channelId}`)).body['closure'] as { reason: string; txid?: string };
    expect(['counterparty-error', 'counterparty-force-closed']).toContain(closure.reason);
    if (closure.reason === 'counterparty-force-closed') expect(closure.txid).toBe(commitment.getId());
    // Our to_remote: the funder's balance, 240,000 sat minus the commitment fee.
    const toRemote = commitment.outs.map((o) => Number(o.value)).find((v) => v > 200_000)!;
    expect(toRemote).toBeLessThan(240_000);
    expect(toRemote).toBeGreaterThan(235_000);

    // The sweep goes out through the broadcast queue; a block confirms it; the wallet counts it, and funds-swept says how much.
    let swept: Record<string, unknown> | undefined;
    for (let i = 0; i < 10 && swept === undefined; i++) {
      await env.mineAndFeed(1, '');
      const events = (await env.api('/v1/events')).body['events'] as Record<string, unknown>[];
      swept = events.find((e) => e['kind'] === 'funds-swept');
    }
    expect(swept).toMatchObject({ channelId });
    const amountSat = Number(swept!['amountSat']);
    expect(amountSat).toBeLessThan(toRemote);
    expect(amountSat).toBeGreaterThan(toRemote - 2_000);
    await env.until(async () => (await wallet()).confirmedSat === before.confirmedSat + before.unconfirmedSat + amountSat, 'the wallet counts the sweep');
  }, 180_000);

  it('we force-close via the API: our commitment confirms, our to_local is swept after to_self_delay, LDK sees the channel closed', async () => {
    await env.fundWallet(1_000_000);
    expect((await env.post('/v1/channels', { nodeId: toHex(ldkNode.nodeId), amountSat: 200_000, pushMsat: 20_000_000 })).status).toBe(202);
    await env.until(async () => (await env.channels()).some((c) => c.state === 'awaiting-confirmation'), 'our channel funded');
    const pending = (await env.channels()).find((c) => c.state === 'awaiting-confirmation')!;
    await env.mineAndFeed(6, pending.fundingTxid!);
    await env.until(async () => (await env.channels()).some((c) => c.channelId === pending.channelId && c.isUsable), 'our channel usable');
    const channelId = pending.channelId;

    // LDK offline while we close: connected, it would take our `error` and broadcast its own commitment at
    // once, which may reach the mempool first (then theirs confirms and our to_remote is swept); this case is ours.
    ldkNode.dropConnections();
    await env.until(async () => (await env.peerCount()) === 0, 'LDK disconnected');
    const closed = await env.post(`/v1/channels/${channelId}/close`, { force: true });
    expect(closed.status).toBe(202);
    expect(closed.body).toMatchObject({ state: 'closed', closure: { reason: 'holder-force-closed' } });
    const txid = (closed.body['closure'] as { txid: string }).txid;
    // The broadcast queue hands it to the chain; a block confirms it (fed to LDK, which sees the channel closed).
    await env.inMempool(txid, 'our commitment in the mempool');
    const before = await wallet();
    await env.mineAndFeed(1, txid);
    const funding = env.chain.transaction(txid)!.tx.ins[0]!;
    expect(env.chain.outspend(Buffer.from(funding.hash).reverse().toString('hex'), funding.index)?.txid).toBe(txid);
    await env.connectLdk(ldkNode);
    await env.until(() => !ldkNode.channelManager.list_channels().some((c) => toHex(c.get_channel_id().get_a()) === channelId), 'LDK closed the channel');

    // to_self_delay blocks later our to_local (180,000 sat minus the commitment fee) is swept: funds-swept, and the wallet counts it.
    let swept: Record<string, unknown> | undefined;
    for (let i = 0; i < 40 && swept === undefined; i++) {
      await env.mineAndFeed(10, '');
      const events = (await env.api('/v1/events')).body['events'] as Record<string, unknown>[];
      swept = events.find((e) => e['kind'] === 'funds-swept' && e['channelId'] === channelId);
    }
    expect(swept).toBeDefined();
    const amountSat = Number(swept!['amountSat']);
    expect(amountSat).toBeLessThan(180_000);
    expect(amountSat).toBeGreaterThan(175_000);
    await env.until(async () => (await wallet()).confirmedSat === before.confirmedSat + before.unconfirmedSat + amountSat, 'the wallet counts the sweep');
  }, 300_000);
});
