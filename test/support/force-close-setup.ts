/**
 * The setup of the force-close tests over two of our nodes on the embedded
 * regtest chain (test/functions/force-close-pipeline.test.ts,
 * force-close-reorg.test.ts): a ready channel of {@link CAPACITY} sat funded
 * by A's wallet, {@link PUSH_SAT} pushed to B, and A's claim of a
 * transaction found in A's broadcast queue.
 */
import { Transaction } from 'bitcoinjs-lib';
import { expect } from 'vitest';
import { listChannels } from '../../functions/channels/channel-service.js';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import { newReceiveAddress } from '../../functions/wallet/wallet-service.js';
import { EsploraClient } from '../../shared/chain/index.js';
import type { PipelineNet, PipelineNode } from './pipeline-nodes.js';

export const CAPACITY = 200_000n;
export const PUSH_SAT = 50_000n;

/** A transaction's input outpoints as `txid:index` (display-order txid). */
export function spentBy(tx: Transaction): string[] {
  return tx.ins.map((x) => `${Buffer.from(x.hash).reverse().toString('hex')}:${x.index}`);
}

/** A and B with a ready channel of {@link CAPACITY} sat, A the funder. Returns its id (hex) and the funding transaction. */
export async function readyChannel(net: PipelineNet, a: PipelineNode, b: PipelineNode): Promise<{ channelId: string; funding: Transaction }> {
  await net.faucet((await newReceiveAddress(a.ctx)).address, 500_000);
  await net.mine(1);
  await Promise.all([net.sync(a), net.sync(b)]);
  await net.connect(a, b);
  await storeNodeApi(a.ctx).openChannel({ nodeId: b.ctx.nodeKey, amountSat: CAPACITY, pushMsat: PUSH_SAT * 1000n, public: false });
  await net.relay(a, b);
  const [fundingHex] = await net.broadcasts(a);
  const funding = Transaction.fromHex(fundingHex!);
  await new EsploraClient(net.local.chain.url).broadcast(funding.toBuffer());
  for (let i = 0; i < 8 && !(await listChannels(a.ctx)).every((c) => c.isUsable); i++) {
    await net.mine(1);
    for (const n of [a, b]) await net.sync(n);
    await net.relay(a, b);
    await Promise.all([net.broadcasts(a), net.broadcasts(b)]);
  }
  for (const n of [a, b]) expect((await listChannels(n.ctx)).map((c) => c.state)).toEqual(['ready']);
  const [details] = await listChannels(a.ctx);
  return { channelId: Buffer.from(details!.channelId).toString('hex'), funding };
}

/** The node's first broadcast spending `txid`, syncing it (and mining) until it comes. */
export async function sweepOf(net: PipelineNet, n: PipelineNode, txid: string): Promise<Transaction> {
  let sweep: Transaction | undefined;
  for (let i = 0; i < 3 && sweep === undefined; i++) {
    await net.sync(n);
    sweep = (await net.broadcasts(n)).map((h) => Transaction.fromHex(h)).find((t) => t.ins.some((x) => Buffer.from(x.hash).reverse().toString('hex') === txid));
    if (sweep === undefined) await net.mine(1);
  }
  expect(sweep).toBeDefined();
  return sweep!;
}
