/**
 * Two of our nodes through the real handlers on the embedded regtest chain,
 * for the force-close tests (test/functions/*-pipeline.test.ts): a ready
 * channel funded by A's wallet, an invoice of one paid by the other, and
 * what the chain handler hands to the broadcast queue.
 */
import { Transaction } from 'bitcoinjs-lib';
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { connectedPeers } from '../../functions/chain/channel-consumer.js';
import { listChannels } from '../../functions/channels/channel-service.js';
import { requestFingerprint } from '../../functions/http/idempotency.js';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import { applyInput } from '../../functions/runtime/invocation.js';
import { loadManager, takeChangesFunded } from '../../functions/runtime/manager-step.js';
import { newReceiveAddress } from '../../functions/wallet/wallet-service.js';
import { EsploraClient } from '../../shared/chain/index.js';
import { ANTI_REORG_DELAY, decodeMonitorUpdate } from '../../shared/monitor/index.js';
import { SortKey, isMonitorSnapshotKey } from '../../shared/store/index.js';
import type { LocalServices } from './local-services.js';
import type { PipelineNet, PipelineNode } from './pipeline-nodes.js';

export const CAPACITY = 200_000n;
export const PUSH_SAT = 50_000n;

/** A and B with a ready channel of {@link CAPACITY} sat, A the funder, `pushSat` ({@link PUSH_SAT} by default) pushed to B. Returns its id (hex) and the funding transaction. */
export async function readyChannel(local: LocalServices, net: PipelineNet, a: PipelineNode, b: PipelineNode, pushSat = PUSH_SAT): Promise<{ channelId: string; funding: Transaction }> {
  await net.faucet((await newReceiveAddress(a.ctx)).address, 500_000);
  await net.mine(1);
  await Promise.all([net.sync(a), net.sync(b)]);
  await net.connect(a, b);
  await storeNodeApi(a.ctx).openChannel({ nodeId: b.ctx.nodeKey, amountSat: CAPACITY, pushMsat: pushSat * 1000n, public: false });
  await net.relay(a, b);
  const [fundingHex] = await net.broadcasts(a);
  const funding = Transaction.fromHex(fundingHex!);
  await new EsploraClient(local.chain.url).broadcast(funding.toBuffer());
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

/** A BOLT 11 invoice of `node` for `amountMsat`, made through its manager as the HTTP route does. */
export async function invoiceOf(node: PipelineNode, amountMsat: bigint, description = 'test'): Promise<string> {
  let bolt11 = '';
  await applyInput(node.ctx, `invoice-${randomUUID()}`, async (store) => {
    const manager = await loadManager(node.ctx, store, { kind: 'create-invoice' }, await connectedPeers(node.ctx, store));
    const created = manager.createBolt11Invoice({ description, amountMsat, expirySecs: 3600 });
    if (!created.ok) throw new Error(created.error.message);
    bolt11 = created.value.invoice;
    return takeChangesFunded(node.ctx, store, manager);
  });
  return bolt11;
}

/** `payer` pays `bolt11` through the payments API (its `paymentId`); nothing is relayed yet. */
export async function payInvoiceOf(payer: PipelineNode, bolt11: string, idempotencyKey: string): Promise<string> {
  const paid = await storeNodeApi(payer.ctx).payInvoice({ bolt11 }, { idempotencyKey, fingerprint: requestFingerprint('POST', '/v1/payments', { bolt11 }) });
  return paid.paymentId;
}

/** A transaction's input outpoints as `txid:index` (display-order txid). */
export function spentBy(tx: Transaction): string[] {
  return tx.ins.map((x) => `${Buffer.from(x.hash).reverse().toString('hex')}:${x.index}`);
}

/** The node's first broadcast spending `txid`, syncing it (and mining one block at a time, at most `blocks`) until it comes. */
export async function spendOf(net: PipelineNet, node: PipelineNode, txid: string, blocks = 2): Promise<Transaction> {
  let found: Transaction | undefined;
  for (let i = 0; i <= blocks && found === undefined; i++) {
    await net.sync(node);
    found = (await net.broadcasts(node)).map((h) => Transaction.fromHex(h)).find((t) => t.ins.some((x) => Buffer.from(x.hash).reverse().toString('hex') === txid));
    if (found === undefined && i < blocks) await net.mine(1);
  }
  expect(found, `a broadcast spending ${txid}`).toBeDefined();
  return found!;
}

/**
 * The node's claims confirmed: its `CHAIN_WATCH` item stays (they are watched
 * for a reorg) until they are {@link ANTI_REORG_DELAY} deep, then is deleted
 * and nothing more goes to the broadcast queue.
 */
export async function expectWatchEnds(net: PipelineNet, node: PipelineNode): Promise<void> {
  // (A channel we force-closed also has its commitment kept for broadcasting again: `CHAIN_WATCH#<id>#broadcast`, deleted with the item.)
  expect((await node.ctx.store.query(node.ctx.nodeKey, SortKey.chainWatchPrefix)).filter((i) => !i.sk.endsWith('#broadcast'))).toHaveLength(1);
  await net.mine(ANTI_REORG_DELAY - 1);
  await net.sync(node);
  expect(await node.ctx.store.query(node.ctx.nodeKey, SortKey.chainWatchPrefix)).toEqual([]);
  expect(await net.broadcasts(node)).toEqual([]);
}

/**
 * A and B with a ready channel; A pays B 7,000 sat; B's commitment that held
 * the payment's HTLC (fully signed, from the update of B's monitor that
 * carried it), revoked by the rest of the dance (A's monitor keeps B's
 * secret), and its HTLC output.
 */
export async function revokedWithHtlc(local: LocalServices, net: PipelineNet, label: string) {
  const [a, b] = await Promise.all([net.node(`${label}-a`), net.node(`${label}-b`)]);
  const { channelId } = await readyChannel(local, net, a, b);
  const paymentId = await payInvoiceOf(a, await invoiceOf(b, 7_000_000n, 'justice'), label);
  await net.relay(a, b);
  await net.relay(a, b);
  expect(await storeNodeApi(a.ctx).getPayment(paymentId)).toMatchObject({ state: 'succeeded' });
  await net.disconnect(a, b);
  const bSteps = (await b.ctx.store.query(b.ctx.nodeKey, SortKey.monitorPrefix(channelId)))
    .filter((item) => !isMonitorSnapshotKey(item.sk))
    .flatMap((item) => {
      const update = decodeMonitorUpdate(item.data);
      if (!update.ok) throw update.error;
      return update.value.steps;
    });
  const withHtlc = bSteps.find((step) => step.kind === 'latest-holder-commitment' && (step.htlcs ?? []).some((h) => h.transactionOutputIndex !== undefined));
  if (withHtlc?.kind !== 'latest-holder-commitment') throw new Error('no commitment of B held the HTLC');
  const revoked = Transaction.fromBuffer(withHtlc.commitmentTx);
  const htlcVout = withHtlc.htlcs![0]!.transactionOutputIndex!;
  expect(BigInt(revoked.outs[htlcVout]!.value)).toBe(7_000n);
  return { a, b, channelId, revoked, htlcVout };
}
