/**
 * Issue 18 through the real handlers on the embedded regtest chain: node A
 * opens a channel with `"public": true` (`POST /v1/channels`) to node B
 * (whose settings accept announced channels), both with node settings
 * (`NODE_ALIAS`...); the chain handler's syncs confirm it, and the sync that
 * sees the 6th confirmation sends each node's `announcement_signatures`,
 * then the `channel_announcement`, `channel_update` and `node_announcement`
 * go both ways through the outbox and the peer-message handler.
 */
import { describe, expect, it } from 'vitest';
import { listChannels } from '../../functions/channels/channel-service.js';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import { newReceiveAddress } from '../../functions/wallet/wallet-service.js';
import type { NodeContext } from '../../functions/runtime/node-context.js';
import { EsploraClient } from '../../shared/chain/index.js';
import { Transaction } from 'bitcoinjs-lib';
import { useLocalServices } from '../support/local-services.js';
import { PipelineNet, type PipelineNode } from '../support/pipeline-nodes.js';

const local = useLocalServices();

/** The node's deployment settings: announced channels accepted, and its node_announcement. */
function publicNode(alias: string): (ctx: NodeContext) => NodeContext {
  return (ctx) => ({
    ...ctx,
    managerConfig: { ...ctx.managerConfig, channel: { ...ctx.managerConfig.channel, handshake: { ...ctx.managerConfig.channel.handshake, announceChannel: true } } },
    nodeAnnouncement: { alias, rgbColor: Uint8Array.of(1, 2, 3), addresses: [{ kind: 'ipv4', addr: Uint8Array.of(127, 0, 0, 1), port: 9735 }] },
  });
}

async function step(net: PipelineNet, a: PipelineNode, b: PipelineNode): Promise<void> {
  await net.mine(1);
  for (const n of [a, b]) await net.sync(n);
  await net.relay(a, b);
  await Promise.all([net.broadcasts(a), net.broadcasts(b)]);
}

const GOSSIP = new Set([256, 257, 258, 259]);

describe('a public channel announced through the handlers', () => {
  it('"public": true, 6 confirmations seen by the chain handler: announcement_signatures, then channel_announcement, channel_update and node_announcement both ways', async () => {
    const net = new PipelineNet(local);
    const [a, b] = await Promise.all([net.node('pa', undefined, publicNode('node a')), net.node('pb', undefined, publicNode('node b'))]);
    await net.faucet((await newReceiveAddress(a.ctx)).address, 500_000);
    await net.mine(1);
    await Promise.all([net.sync(a), net.sync(b)]);
    await net.connect(a, b);
    await storeNodeApi(a.ctx).openChannel({ nodeId: b.ctx.nodeKey, amountSat: 200_000n, pushMsat: 0n, public: true });
    await net.relay(a, b);
    const [fundingHex] = await net.broadcasts(a);
    await new EsploraClient(local.chain.url).broadcast(Transaction.fromHex(fundingHex!).toBuffer());
    for (let depth = 1; depth <= 5; depth++) await step(net, a, b);
    // The default minimum depth is 6 (LDK's): ready and announced at the same block.
    for (const n of [a, b]) expect((await listChannels(n.ctx)).map((c) => [c.state, c.isPublic])).toEqual([['awaiting-confirmation', true]]);
    expect([...a.sent, ...b.sent].filter((t) => typeof t === 'number' && GOSSIP.has(t))).toEqual([]);
    await step(net, a, b); // depth 6
    for (const n of [a, b]) expect((await listChannels(n.ctx)).map((c) => [c.state, c.isPublic])).toEqual([['ready', true]]);
    // Two channel_updates each: the one every channel gets once ready, and the one with the announcement.
    for (const n of [a, b]) expect(n.sent.filter((t) => typeof t === 'number' && GOSSIP.has(t)).sort()).toEqual([256, 257, 258, 258, 259]);
  });
});
