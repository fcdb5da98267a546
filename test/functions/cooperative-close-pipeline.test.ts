/**
 * Cooperative close through the real handlers on the embedded regtest chain
 * (docs/close.md): two of our nodes open a channel funded by A's wallet, B
 * closes it with `POST /v1/channels/{id}/close` (the HTTP API's port), both
 * broadcast the same closing transaction, the chain's script validation
 * accepts it, and once it confirms each node's wallet counts its output:
 * the closing outputs pay fresh change addresses of the wallets, reserved
 * in the commit of the `shutdown` that named them. Then a close interrupted
 * by a disconnection completes after the reconnection.
 */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { listChannels } from '../../functions/channels/channel-service.js';
import { pendingEvents } from '../../functions/events/event-service.js';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import { loadWallet, walletBalanceOf } from '../../functions/wallet/wallet-service.js';
import { EsploraClient } from '../../shared/chain/index.js';
import { SortKey } from '../../shared/store/index.js';
import { Keychain } from '../../shared/wallet/index.js';
import { useLocalServices } from '../support/local-services.js';
import { CAPACITY, PUSH_SAT, readyChannel as readyChannelOf } from '../support/force-close-nodes.js';
import { PipelineNet, type PipelineNode } from '../support/pipeline-nodes.js';

const local = useLocalServices();

/** A and B with a ready channel of {@link CAPACITY} sat, A the funder, {@link PUSH_SAT} pushed to B. Returns its id (hex). */
async function readyChannel(net: PipelineNet, a: PipelineNode, b: PipelineNode): Promise<string> {
  return (await readyChannelOf(local, net, a, b)).channelId;
}

/** The closing transaction both nodes queued for broadcast (the same one). */
async function closingTx(net: PipelineNet, a: PipelineNode, b: PipelineNode): Promise<Transaction> {
  const [fromA, fromB] = [await net.broadcasts(a), await net.broadcasts(b)];
  const last = fromA.at(-1);
  expect(last).toBeDefined();
  expect(fromB.at(-1)).toBe(last);
  return Transaction.fromHex(last!);
}

/** The wallet's next change index (an address reserved for a close moved it). */
async function nextChange(n: PipelineNode): Promise<number> {
  return (await loadWallet(n.ctx.store, n.ctx.nodeKey)).nextIndex[Keychain.change];
}

async function closedEvents(n: PipelineNode) {
  return (await pendingEvents(n.ctx)).map((r) => r.event).filter((e) => e.kind === 'channel-closed');
}

describe('cooperative close through the handlers, on the regtest chain', () => {
  it('B closes with POST /v1/channels/{id}/close: both broadcast the closing tx, and once it confirms each wallet counts its output', async () => {
    const net = new PipelineNet(local);
    const [a, b] = await Promise.all([net.node('a'), net.node('b')]);
    const channelId = await readyChannel(net, a, b);
    const changeBefore = { a: await nextChange(a), b: await nextChange(b) };
    const balanceBefore = { a: await walletBalanceOf(a.ctx), b: await walletBalanceOf(b.ctx) };
    expect(balanceBefore.b).toEqual({ confirmedSat: 0n, unconfirmedSat: 0n });

    // 404 for an unknown channel; then the close: B's shutdown is committed with its reserved wallet address.
    await expect(storeNodeApi(b.ctx).closeChannel('00'.repeat(32))).rejects.toMatchObject({ code: 'not-found' });
    const closing = await storeNodeApi(b.ctx).closeChannel(channelId);
    expect(closing).toMatchObject({ channelId, state: 'shutdown-sent', isUsable: false });
    expect(await nextChange(b)).toBe(changeBefore.b + 1);
    await expect(storeNodeApi(b.ctx).closeChannel(channelId)).rejects.toMatchObject({ code: 'channel-not-closable' });

    await net.relay(a, b);
    expect(await nextChange(a)).toBe(changeBefore.a + 1);
    for (const n of [a, b]) {
      expect(await listChannels(n.ctx)).toEqual([]);
      expect((await closedEvents(n)).map((e) => e.kind === 'channel-closed' && e.reason)).toEqual(['cooperative-closure']);
      expect(await storeNodeApi(n.ctx).getChannel(channelId)).toMatchObject({ state: 'closed', closure: { reason: 'cooperative-closure' } });
    }
    expect(b.sent.filter((t) => t === 38 || t === 39)).toEqual([38, 39]);
    expect(a.sent.filter((t) => t === 38 || t === 39)).toEqual([38, 39, 39]);

    // Each output pays the reserved change address of its node's wallet.
    const tx = await closingTx(net, a, b);
    const scriptA = a.ctx.wallet.key(Keychain.change, changeBefore.a).script;
    const scriptB = b.ctx.wallet.key(Keychain.change, changeBefore.b).script;
    const paid = new Map(tx.outs.map((o) => [Buffer.from(o.script).toString('hex'), BigInt(o.value)]));
    expect([...paid.keys()].sort()).toEqual([Buffer.from(scriptA).toString('hex'), Buffer.from(scriptB).toString('hex')].sort());
    const toB = paid.get(Buffer.from(scriptB).toString('hex'))!;
    const toA = paid.get(Buffer.from(scriptA).toString('hex'))!;
    expect(toB).toBe(PUSH_SAT);
    expect(toA < CAPACITY - PUSH_SAT && toA > CAPACITY - PUSH_SAT - 3_000n).toBe(true);

    // The chain accepts it (script validation) and confirms it; the next sync counts it in both wallets.
    await new EsploraClient(local.chain.url).broadcast(tx.toBuffer());
    await net.mine(1);
    for (const n of [a, b]) await net.sync(n);
    expect(await walletBalanceOf(b.ctx)).toEqual({ confirmedSat: PUSH_SAT, unconfirmedSat: 0n });
    const after = await walletBalanceOf(a.ctx);
    expect(after.confirmedSat - balanceBefore.a.confirmedSat - balanceBefore.a.unconfirmedSat).toBe(toA);
    const wallet = await loadWallet(b.ctx.store, b.ctx.nodeKey);
    expect(wallet.utxos).toEqual([expect.objectContaining({ txid: tx.getId(), keychain: Keychain.change, index: changeBefore.b, valueSat: PUSH_SAT })]);
    // Nothing of the channel is left in either table (the monitor aside).
    for (const n of [a, b]) expect(await n.ctx.store.query(n.ctx.nodeKey, SortKey.channelPrefix())).toEqual([]);
  });

  it('a close interrupted by a disconnection resumes after the reconnection (channel_reestablish, shutdown again, closing_signed again)', async () => {
    const net = new PipelineNet(local);
    const [a, b] = await Promise.all([net.node('a'), net.node('b')]);
    const channelId = await readyChannel(net, a, b);
    // A (the funder) closes; its shutdown reaches B, but B's answer and everything after is lost with the connection.
    await storeNodeApi(a.ctx).closeChannel(channelId);
    await net.relay(a, b, (type) => type !== 38 || b.sent.includes(38));
    await net.disconnect(a, b);
    expect((await listChannels(a.ctx)).map((c) => c.state)).toEqual(['shutdown-sent']);
    expect((await listChannels(b.ctx)).map((c) => c.state)).toEqual(['negotiating-close']);
    // Offline, a close is refused as such.
    await expect(storeNodeApi(b.ctx).closeChannel(channelId)).rejects.toMatchObject({ code: 'peer-not-connected' });

    await net.connect(a, b);
    for (const n of [a, b]) {
      expect(await listChannels(n.ctx)).toEqual([]);
      expect((await closedEvents(n)).map((e) => e.kind === 'channel-closed' && e.reason)).toEqual(['cooperative-closure']);
    }
    const tx = await closingTx(net, a, b);
    await new EsploraClient(local.chain.url).broadcast(tx.toBuffer());
    await net.mine(1);
    await net.sync(b);
    expect((await walletBalanceOf(b.ctx)).confirmedSat).toBe(PUSH_SAT);
  });
});
