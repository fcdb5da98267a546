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
import { latestHolderCommitmentCodec, signedLatestHolderCommitment } from '../../shared/channel/index.js';
import { restBytes, tlvRecord, versionedRecord } from '../../shared/codec/index.js';
import { fromHex, sha256, toHex } from '../../shared/crypto/index.js';
import type { NodeChannelSettings } from '../../shared/manager/index.js';
import { ANTI_REORG_DELAY, decodeMonitorUpdate, type ChannelMonitor, type HolderCommitmentStep } from '../../shared/monitor/index.js';
import { MONITOR_UPDATES_PER_SNAPSHOT, SortKey, isMonitorSnapshotKey, monitorFromItems } from '../../shared/store/index.js';
import type { LocalServices } from './local-services.js';
import { RecordingNodeStore, type PipelineNet, type PipelineNode } from './pipeline-nodes.js';

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
  const withHtlc = (await holderCommitmentSteps(b, channelId)).find((step) => (step.htlcs ?? []).some((h) => h.transactionOutputIndex !== undefined));
  if (withHtlc === undefined) throw new Error('no commitment of B held the HTLC');
  const revoked = Transaction.fromBuffer(withHtlc.commitmentTx);
  const htlcVout = withHtlc.htlcs![0]!.transactionOutputIndex!;
  expect(BigInt(revoked.outs[htlcVout]!.value)).toBe(7_000n);
  return { a, b, channelId, revoked, htlcVout };
}

/** The node's channel monitor as its store holds it now (snapshot and updates). */
export async function monitorOf(node: PipelineNode, channelId: string): Promise<ChannelMonitor> {
  const items = await node.ctx.store.query(node.ctx.nodeKey, SortKey.monitorPrefix(channelId), Number(MONITOR_UPDATES_PER_SNAPSHOT) + 1, 'newest-first');
  const loaded = monitorFromItems(channelId, items);
  if (loaded === undefined) throw new Error(`no monitor for ${channelId}`);
  return loaded.monitor;
}

/**
 * What a `#holder` channel part holds: TLV 64, our commitment without its
 * witness and the counterparty's signature (docs/items.md, session 12), or
 * TLV 48, the commitment with both signatures, in parts written before.
 */
const holderPart = versionedRecord('channel', 1, { commitmentTx: tlvRecord(48, restBytes), latest: tlvRecord(64, latestHolderCommitmentCodec) });

/**
 * Every commitment of ours the node's monitor updates of the channel named,
 * in update order, with its transaction: from the update (written whole,
 * before the store kept only a summary) or from the `#holder` parts the
 * node committed (the summary's txid names it; RecordingNodeStore).
 */
async function holderCommitmentSteps(node: PipelineNode, channelId: string): Promise<Omit<HolderCommitmentStep, 'counterpartySignature'>[]> {
  const recorded = node.ctx.store instanceof RecordingNodeStore ? node.ctx.store.holderParts : [];
  const byTxid = new Map<string, Uint8Array>();
  const monitor = recorded.length > 0 ? await monitorOf(node, channelId) : undefined;
  for (const part of recorded) {
    const decoded = holderPart.decode(part);
    if (!decoded.ok || monitor === undefined) continue;
    const { commitmentTx, latest } = decoded.value;
    // As a force close does (shared/channel holderCommitmentTransaction): our signature made again, the witness assembled.
    const signer = node.ctx.managerPorts.signerProvider.deriveChannelSigner(monitor.channelValueSatoshis, monitor.channelKeysId);
    const signed = commitmentTx ?? (latest === undefined ? undefined : signedLatestHolderCommitment(signer, monitor.counterparty.pubkeys.fundingPubkey, monitor.channelValueSatoshis, latest));
    if (signed === undefined) continue;
    byTxid.set(toHex(Transaction.fromBuffer(Buffer.from(signed)).getHash()), signed);
  }
  return (await node.ctx.store.query(node.ctx.nodeKey, SortKey.monitorPrefix(channelId)))
    .filter((item) => !isMonitorSnapshotKey(item.sk))
    .flatMap((item) => {
      const update = decodeMonitorUpdate(item.data, fromHex(channelId));
      if (!update.ok) throw update.error;
      return update.value.steps.flatMap((s) => {
        if (s.kind === 'latest-holder-commitment') return [s];
        if (s.kind !== 'latest-holder-commitment-summary') return [];
        const commitmentTx = byTxid.get(toHex(s.commitmentTxid));
        if (commitmentTx === undefined) throw new Error(`our commitment ${s.commitmentNumber}: no #holder part committed with its txid`);
        return [{ kind: 'latest-holder-commitment' as const, commitmentNumber: s.commitmentNumber, commitmentTx, htlcSignatures: s.htlcSignatures, ...(s.htlcs === undefined ? {} : { htlcs: s.htlcs }) }];
      });
    });
}

/**
 * A and B (both with `settings`) with a ready channel, A the funder; at
 * once A pays B `aToBSat` and B pays A `bToASat` (both above dust), so one
 * commitment of the cheater (B, or A when `cheater` is `'a'`) holds both
 * HTLCs as outputs, with the victim's signatures on their HTLC
 * transactions; both payments settle, which revokes it. Returns the
 * victim, the cheater, that commitment, and the cheater's monitor as it
 * was then (its latest holder commitment that one, with the preimage of the
 * HTLC the victim offered, which the cheater learnt as its payee): what the
 * cheater's HTLC-success and HTLC-timeout are built from.
 */
export async function revokedWithHtlcsBothWays(local: LocalServices, net: PipelineNet, label: string, settings: NodeChannelSettings, aToBSat: bigint, bToASat: bigint, cheaterName: 'a' | 'b' = 'b') {
  const [a, b] = await Promise.all([net.node(`${label}-a`, settings), net.node(`${label}-b`, settings)]);
  const { channelId } = await readyChannel(local, net, a, b);
  const [toB, toA] = await Promise.all([invoiceOf(b, aToBSat * 1000n, 'justice a to b'), invoiceOf(a, bToASat * 1000n, 'justice b to a')]);
  const aPayment = await payInvoiceOf(a, toB, `${label}-a-pays`);
  const bPayment = await payInvoiceOf(b, toA, `${label}-b-pays`);
  await net.relay(a, b);
  await net.relay(a, b);
  const [paidByA, paidByB] = [await storeNodeApi(a.ctx).getPayment(aPayment), await storeNodeApi(b.ctx).getPayment(bPayment)];
  expect(paidByA).toMatchObject({ state: 'succeeded' });
  expect(paidByB).toMatchObject({ state: 'succeeded' });
  await net.disconnect(a, b);
  const [victim, cheater, paidByVictim] = cheaterName === 'b' ? [a, b, paidByA] : [b, a, paidByB];
  const both = (await holderCommitmentSteps(cheater, channelId)).find((s) => (s.htlcs ?? []).filter((h) => h.transactionOutputIndex !== undefined).length === 2);
  if (both === undefined) throw new Error('no commitment of the cheater held both HTLCs');
  const revoked = Transaction.fromBuffer(both.commitmentTx);
  const cheaterNow = await monitorOf(cheater, channelId);
  expect(cheaterNow.holderCommitmentNumber).toBeGreaterThan(both.commitmentNumber);
  const preimage = Uint8Array.from(Buffer.from((paidByVictim as { preimage: string }).preimage, 'hex'));
  const cheaterThen: ChannelMonitor = {
    ...cheaterNow,
    holderCommitmentNumber: both.commitmentNumber,
    holderCommitmentTx: both.commitmentTx,
    holderHtlcSignatures: both.htlcSignatures,
    holderHtlcs: both.htlcs!,
    paymentPreimages: [{ paymentHash: sha256(preimage), paymentPreimage: preimage }],
  };
  const htlcVout = (offeredByCheater: boolean) => both.htlcs!.find((h) => h.offered === offeredByCheater)!.transactionOutputIndex!;
  const [victimOffered, cheaterOffered] = cheaterName === 'b' ? [aToBSat, bToASat] : [bToASat, aToBSat];
  expect(BigInt(revoked.outs[htlcVout(false)]!.value)).toBe(victimOffered);
  expect(BigInt(revoked.outs[htlcVout(true)]!.value)).toBe(cheaterOffered);
  return { a, b, victim, cheater, channelId, revoked, cheaterThen, offeredByVictimVout: htlcVout(false), offeredByCheaterVout: htlcVout(true) };
}
