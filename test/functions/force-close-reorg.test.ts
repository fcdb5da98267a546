/**
 * Reorgs during a force close (BOLT 5, issue 17: "a commitment confirmed
 * then reorged out and replaced by another; a claim reorged out is
 * re-broadcast; nothing is lost and nothing spent twice"), through the real
 * handlers of two of our nodes on the embedded regtest chain
 * (docs/force-close.md). B force-closes while A is offline; A's chain
 * handler sweeps its `to_remote` from B's commitment; then the chain
 * reorganises:
 * - the block with B's commitment (and A's sweep) is replaced by a branch
 *   where A's own commitment spends the funding output: A's sweep of B's
 *   commitment can never confirm and must stop, A's `to_local` on its own
 *   commitment is swept after `to_self_delay`;
 * - the same, B's commitment confirming again in a later block;
 * - only A's sweep leaves the chain (the commitment stays): A hands it to
 *   the broadcast queue again and it confirms again.
 * Each time A's wallet ends with what the best chain pays it, and
 * `funds-swept` is reported once per sweep confirmed on the best chain.
 *
 * The chain handler keeps the item until the spend and its claims are
 * `ANTI_REORG_DELAY` deep, reports them to the chain sync
 * (`getRelevantTxids`) so a reorg of any is seen, and keeps its claims when
 * the same spend comes back; our own commitment is handed to the broadcast
 * queue again while the funding output is unspent.
 *
 * The test plays the broadcast queue (what A queues reaches the chain only
 * through the test) and the other miners (`RegtestChain.reorg`; a
 * transaction evicted from the regtest mempool is one the new branch's
 * miners never saw, so only its broadcaster can bring it back).
 */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import { walletBalanceOf } from '../../functions/wallet/wallet-service.js';
import { EsploraClient } from '../../shared/chain/index.js';
import { ANTI_REORG_DELAY, decodeWatchedChannel, type WatchedChannel } from '../../shared/monitor/index.js';

import { SortKey } from '../../shared/store/index.js';
import { readyChannel, spendOf as sweepOf, spentBy } from '../support/force-close-nodes.js';
import { useLocalServices } from '../support/local-services.js';
import { PipelineNet, type PipelineNode } from '../support/pipeline-nodes.js';

const local = useLocalServices();

/** The node's `CHAIN_WATCH#` items, decoded. */
async function watchedOf(n: PipelineNode): Promise<WatchedChannel[]> {
  // (Not our kept commitment, `CHAIN_WATCH#<id>#broadcast`: a transaction, not a record.)
  return (await n.ctx.store.query(n.ctx.nodeKey, SortKey.chainWatchPrefix)).filter((item) => !item.sk.endsWith('#broadcast')).map((item) => {
    const w = decodeWatchedChannel(item.data);
    if (!w.ok) throw w.error;
    return w.value;
  });
}

/** The `funds-swept` events of the node (follow-ups applied first). */
async function fundsSwept(net: PipelineNet, a: PipelineNode, b: PipelineNode) {
  await net.relay(a, b);
  return (await storeNodeApi(a.ctx).listEvents()).filter((e) => e.kind === 'funds-swept');
}

/** A's wallet total (confirmed + unconfirmed). */
async function totalOf(n: PipelineNode): Promise<bigint> {
  const balance = await walletBalanceOf(n.ctx);
  return balance.confirmedSat + balance.unconfirmedSat;
}

/**
 * A and B with a ready channel, A offline; B force-closes (and A too when
 * `aForceCloses`: its commitment queued, refused by the chain once B's
 * confirmed); B's commitment confirms; A's chain handler sweeps its
 * `to_remote`, the sweep reaches the mempool.
 */
async function sweptAfterForceClose(label: string, aForceCloses: boolean) {
  const net = new PipelineNet(local);
  const esplora = new EsploraClient(local.chain.url);
  const [a, b] = await Promise.all([net.node(`${label}-a`), net.node(`${label}-b`)]);
  const { channelId } = await readyChannel(local, net, a, b);
  await net.disconnect(a, b);
  const closedB = await storeNodeApi(b.ctx).closeChannel(channelId, { force: true });
  const commitB = Transaction.fromHex((await net.broadcasts(b)).at(-1)!);
  expect(commitB.getId()).toBe(closedB.closure!.txid);
  let commitA: Transaction | undefined;
  if (aForceCloses) {
    const closedA = await storeNodeApi(a.ctx).closeChannel(channelId, { force: true });
    expect(closedA).toMatchObject({ state: 'closed', closure: { reason: 'holder-force-closed' } });
    commitA = Transaction.fromHex((await net.broadcasts(a)).at(-1)!);
    expect(commitA.getId()).toBe(closedA.closure!.txid);
    expect(commitA.getId()).not.toBe(commitB.getId());
  }
  await esplora.broadcast(commitB.toBuffer());
  await net.mine(1);
  const aBefore = await totalOf(a);
  const sweep = await sweepOf(net, a, commitB.getId());
  expect(spentBy(sweep)).toEqual([`${commitB.getId()}:${sweep.ins[0]!.index}`]);
  await esplora.broadcast(sweep.toBuffer());
  return { net, esplora, a, b, channelId, commitB, commitA, aBefore, sweep, swept: BigInt(sweep.outs[0]!.value) };
}

/** Syncs the node after mining `blocks`, playing its broadcast queue (each queued transaction the chain accepts reaches the mempool); returns what it queued. */
async function tick(net: PipelineNet, n: PipelineNode, blocks: number): Promise<Transaction[]> {
  if (blocks > 0) await net.mine(blocks);
  await net.sync(n);
  const queued = (await net.broadcasts(n)).map((h) => Transaction.fromHex(h));
  for (const tx of queued) if (local.chain.chain.check(tx).ok) local.chain.chain.accept(tx);
  return queued;
}

/** The transaction spending `outpoint` (`txid:index`) on the best chain, if any. */
function bestChainSpender(outpoint: string): Transaction | undefined {
  const [txid, index] = outpoint.split(':');
  const spender = local.chain.chain.outspend(txid!, Number(index));
  const found = spender === undefined ? undefined : local.chain.chain.transaction(spender.txid);
  return found?.block === undefined ? undefined : found.tx;
}

/**
 * B's commitment confirmed, A's sweep of `to_remote` broadcast; `then`:
 * nothing more (the reorg comes before A's chain handler runs again), or
 * one more block, with the sweep (`sweep-confirmed`) or without it, and a
 * run of A's chain handler. Then a branch where A's own commitment (A
 * force-closed too, its commitment refused while B's held the funding
 * output) spends the funding output instead.
 */
async function replacedByOwnCommitment(then: 'reorg' | 'block' | 'sweep-confirmed') {
  const { net, a, b, channelId, commitB, commitA, aBefore, sweep, swept } = await sweptAfterForceClose(`own-${then}`, true);
  const chain = local.chain.chain;
  let depth = 1;
  if (then !== 'reorg') {
    chain.mine(1, undefined, then === 'sweep-confirmed' ? new Set() : new Set([sweep.getId()]));
    await tick(net, a, 0);
    expect(chain.transaction(sweep.getId())?.block !== undefined).toBe(then === 'sweep-confirmed');
    expect(await totalOf(a)).toBe(aBefore + swept);
    depth = 2;
  }

  // Other miners' branch: B's commitment (and A's sweep) never there; A's commitment confirms instead.
  chain.reorg(depth, depth, new Set([commitB.getId()]));
  chain.evict(commitB.getId());
  expect(chain.transaction(sweep.getId())?.inMempool).toBe(false);
  chain.accept(commitA!);
  const queued = await tick(net, a, 1);
  const commitAHeight = chain.transaction(commitA!.getId())!.block!.height;

  // What the best chain pays A: not the sweep of B's commitment, which A no longer hands to the broadcast queue.
  expect(await totalOf(a), 'A\'s wallet after the reorg').toBe(aBefore);
  const ofCommitB = (txs: readonly Transaction[]) => txs.filter((t) => spentBy(t).some((o) => o.startsWith(`${commitB.getId()}:`)));
  expect(ofCommitB(queued), 'queued by A at the first block of the new branch').toEqual([]);
  const [watched] = await watchedOf(a);
  expect(watched, 'A\'s CHAIN_WATCH item after the reorg').toMatchObject({ phase: 'spent', spend: { height: commitAHeight } });
  expect(Transaction.fromBuffer(Buffer.from(watched!.spend!.tx)).getId()).toBe(commitA!.getId());

  // A's to_local on its own commitment: swept once B's to_self_delay passed.
  let sweepA: Transaction | undefined;
  for (let i = 0; i < 20 && sweepA === undefined; i++) {
    const queuedNow = await tick(net, a, 10);
    expect(ofCommitB(queuedNow), 'queued by A while its to_local waits').toEqual([]);
    sweepA = queuedNow.find((t) => spentBy(t).some((o) => o.startsWith(`${commitA!.getId()}:`)));
  }
  expect(sweepA, 'A\'s sweep of its to_local').toBeDefined();
  expect(chain.tip().height + 1 - commitAHeight).toBeGreaterThanOrEqual(sweepA!.ins[0]!.sequence);
  const sweptA = BigInt(sweepA!.outs[0]!.value);
  await tick(net, a, 1);
  expect(chain.transaction(sweepA!.getId())?.block).toBeDefined();
  expect(await walletBalanceOf(a.ctx)).toEqual({ confirmedSat: aBefore + sweptA, unconfirmedSat: 0n });
  // Deep enough that no reorg is expected to undo it: nothing of the channel is watched any more.
  await tick(net, a, ANTI_REORG_DELAY - 1);
  expect(await watchedOf(a)).toEqual([]);
  expect(await fundsSwept(net, a, b)).toEqual([expect.objectContaining({ channelId, txid: sweepA!.getId(), amountSat: sweptA.toString() })]);
  // Nothing left re-broadcasting.
  expect(await tick(net, a, 1)).toEqual([]);
}

/**
 * A's sweep of `to_remote` confirmed, then a reorg: `commitmentToo` takes
 * B's commitment out as well (it confirms again two blocks higher), else
 * only the sweep leaves the chain. When `mempoolForgets`, the new branch's
 * miners never saw A's sweep (evicted from the regtest mempool): only A's
 * broadcast queue can bring it back. Either way A's `to_remote` ends spent
 * once on the best chain, paying A's wallet, reported once.
 */
async function sweepReorgedOut(commitmentToo: boolean, mempoolForgets: boolean) {
  const { net, a, b, channelId, commitB, aBefore, sweep, swept } = await sweptAfterForceClose(`claim-${commitmentToo ? 'c' : 's'}-${mempoolForgets ? 'f' : 'k'}`, false);
  const chain = local.chain.chain;
  await tick(net, a, 1);
  const confirmedAt = chain.transaction(sweep.getId())!.block!.height;
  expect(await walletBalanceOf(a.ctx)).toEqual({ confirmedSat: aBefore + swept, unconfirmedSat: 0n });
  const toRemote = spentBy(sweep)[0]!;

  if (commitmentToo) chain.reorg(2, 3, new Set([commitB.getId()]));
  else chain.reorg(1, 2, new Set([sweep.getId()]));
  if (mempoolForgets) chain.evict(sweep.getId());
  expect(chain.transaction(commitB.getId())?.block !== undefined).toBe(!commitmentToo);
  expect(chain.transaction(sweep.getId())).toMatchObject({ inMempool: !mempoolForgets });
  expect(chain.transaction(sweep.getId())?.block).toBeUndefined();
  await tick(net, a, 0);
  // The wallet counts the sweep only while the chain (its mempool included) has it.
  expect(await walletBalanceOf(a.ctx), 'A\'s wallet after the reorg').toEqual({ confirmedSat: aBefore, unconfirmedSat: mempoolForgets ? 0n : swept });

  // A block or two later A's to_remote is spent again on the best chain: by A's sweep (the same, or one rebuilt by A).
  let again: Transaction | undefined;
  for (let i = 0; i < 3 && again === undefined; i++) {
    await tick(net, a, 1);
    again = bestChainSpender(toRemote);
  }
  expect(again, 'A\'s to_remote spent again on the best chain').toBeDefined();
  expect(chain.transaction(again!.getId())!.block!.height).toBeGreaterThan(confirmedAt);
  expect(spentBy(again!)).toEqual([toRemote]);
  const sweptAgain = BigInt(again!.outs[0]!.value);
  await tick(net, a, 1);
  expect(await walletBalanceOf(a.ctx), 'A\'s wallet at the end').toEqual({ confirmedSat: aBefore + sweptAgain, unconfirmedSat: 0n });
  await tick(net, a, ANTI_REORG_DELAY - 1);
  expect(await walletBalanceOf(a.ctx), 'A\'s wallet at the end').toEqual({ confirmedSat: aBefore + sweptAgain, unconfirmedSat: 0n });
  expect(await watchedOf(a), 'A\'s CHAIN_WATCH items at the end').toEqual([]);
  expect(await fundsSwept(net, a, b), 'A\'s funds-swept events').toEqual([expect.objectContaining({ channelId, txid: again!.getId(), amountSat: sweptAgain.toString() })]);
  expect(await tick(net, a, 1), 'queued by A after the end').toEqual([]);
}

/**
 * A force-closed too (its commitment refused while B's held the funding
 * output); B's commitment leaves the chain and is forgotten by the mempool:
 * only A can get a commitment confirmed now, by handing its own to the
 * broadcast queue again.
 */
async function ownCommitmentRebroadcast() {
  const { net, a, commitB, commitA } = await sweptAfterForceClose('own-again', true);
  const chain = local.chain.chain;
  chain.reorg(1, 1, new Set([commitB.getId()]));
  chain.evict(commitB.getId());
  let confirmed = false;
  for (let i = 0; i < 3 && !confirmed; i++) {
    await tick(net, a, 1);
    confirmed = chain.transaction(commitA!.getId())?.block !== undefined;
  }
  expect(confirmed, 'A\'s commitment confirmed from A\'s broadcast queue').toBe(true);
}

describe('reorgs during a force close, on the regtest chain', () => {
  it('B\'s commitment reorged out for A\'s own before A\'s chain handler ran again: A\'s sweep of to_remote stops, A\'s to_local is swept after to_self_delay, counted once', async () => {
    await replacedByOwnCommitment('reorg');
  });

  it('B\'s commitment reorged out with A\'s confirmed sweep, confirmed again two blocks higher (both back in the mempool): A\'s wallet counts the sweep once, funds-swept once', async () => {
    await sweepReorgedOut(true, false);
  });

  it('A\'s confirmed sweep reorged out while B\'s commitment stays (back in the mempool): it re-confirms, counted once, to_remote spent once', async () => {
    await sweepReorgedOut(false, false);
  });

  it('B\'s commitment reorged out for A\'s own one block and one run of A\'s chain handler later, A\'s sweep of to_remote unconfirmed: that sweep stops, A\'s to_local is swept after to_self_delay, counted once', async () => {
    await replacedByOwnCommitment('block');
  });

  it('B\'s commitment reorged out for A\'s own after A\'s sweep of to_remote confirmed: that sweep stops, A\'s to_local is swept after to_self_delay, counted once', async () => {
    await replacedByOwnCommitment('sweep-confirmed');
  });

  it('B\'s commitment reorged out with A\'s confirmed sweep, confirmed again two blocks higher, the sweep forgotten by the mempool: A hands it to the broadcast queue again, counted once', async () => {
    await sweepReorgedOut(true, true);
  });

  it('A\'s confirmed sweep reorged out while B\'s commitment stays, forgotten by the mempool: A hands it to the broadcast queue again, it re-confirms, counted once', async () => {
    await sweepReorgedOut(false, true);
  });

  it('A force-closed too; B\'s commitment reorged out and forgotten: A hands its own commitment to the broadcast queue again and it confirms', async () => {
    await ownCommitmentRebroadcast();
  });
});
