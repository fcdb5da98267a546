/**
 * A restart of the embedded deployment (the code behind `npm start`) at each
 * step of a close, with real LDK (issue 17): "the close completes and the
 * funds arrive". Each restart is a kill -9 as far as one process can play it
 * (`killAndRestart`): DynamoDB Local killed under the invocations in flight,
 * the queues' messages and every peer connection lost, the mempool not
 * saved; the deployment starts again on the same data dir (DynamoDB Local's
 * data and the regtest chain's blocks) and LDK, which stays up, dials again.
 *
 * Force close (ours; docs/force-close.md): restart right after the API
 * answered, after our commitment confirmed, after our `to_local` sweep went
 * out. Cooperative close (docs/close.md): restart right after the API
 * answered (the reestablishment resumes the close), after the closing
 * transaction went out. Each case opens its own 200,000 sat channel to the
 * same LDK node (20,000 sat pushed) and ends with `GET /v1/wallet` = what
 * it held before the close + what the chain paid us, to the satoshi.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Transaction } from 'bitcoinjs-lib';
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../shared/crypto/index.js';
import { EmbeddedWithLdk } from '../support/embedded-ldk.js';
import type { LdkNode } from '../support/ldk-node.js';

const CAPACITY = 200_000;
const PUSH_SAT = 20_000;
const LDK_DEPTH = 3;
/** LDK's `our_to_self_delay` (its default, BREAKDOWN_TIMEOUT): the CSV on our `to_local`. */
const LDK_TO_SELF_DELAY = 144;

let env: EmbeddedWithLdk;
let ldkNode: LdkNode;

beforeAll(async () => {
  env = await EmbeddedWithLdk.start('close-restart');
  ldkNode = await env.startLdk(0x71, { minimumDepth: LDK_DEPTH });
  await env.connectLdk(ldkNode);
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

type Wallet = { confirmedSat: number; unconfirmedSat: number };
/** An event as `GET /v1/events` lists it (amounts as decimal strings). */
type EventJson = { kind: string; channelId?: string; txid?: string; amountSat?: string; reason?: string };

async function wallet(): Promise<Wallet> {
  return (await env.api('/v1/wallet')).body as Wallet;
}

async function events(): Promise<EventJson[]> {
  return (await env.api('/v1/events')).body['events'] as EventJson[];
}

/**
 * kill -9 of the deployment, then `npm start` again on the same data dir:
 * DynamoDB Local is killed under whatever runs (as the dead process leaves
 * it), fauxqs loses its queued messages, the connections drop, and the
 * mempool, saved only by a clean stop, is gone. LDK dials the new run.
 */
async function killAndRestart(options: { ldkDials: boolean } = { ldkDials: true }): Promise<void> {
  env.node.abandon();
  await env.restart(async () => {
    rmSync(join(env.dataDir, 'regtest-chain', 'mempool.hex'), { force: true });
  });
  if (options.ldkDials) await env.connectLdk(ldkNode);
}

/** Opens a channel to LDK, confirmed and usable on both sides; the wallet as it is then. */
async function openChannel(): Promise<{ channelId: string; fundingTxid: string; fundingVout: number; before: Wallet }> {
  await env.fundWallet(CAPACITY + 50_000);
  const known = new Set((await env.channels()).map((c) => c.channelId));
  const opened = await env.post('/v1/channels', { nodeId: toHex(ldkNode.nodeId), amountSat: CAPACITY, pushMsat: PUSH_SAT * 1000 });
  expect(opened.status).toBe(202);
  await env.until(async () => (await env.channels()).some((c) => !known.has(c.channelId) && c.state === 'awaiting-confirmation'), 'our channel funded');
  const pending = (await env.channels()).find((c) => !known.has(c.channelId))!;
  const fundingTxid = pending.fundingTxid!;
  await env.inMempool(fundingTxid, 'the funding transaction in the mempool');
  await env.mineAndFeed(6, fundingTxid);
  await env.until(async () => (await env.channels()).some((c) => c.channelId === pending.channelId && c.isUsable), 'our channel usable');
  await env.until(() => ldkNode.channelManager.list_usable_channels().some((c) => toHex(c.get_channel_id().get_a()) === pending.channelId), 'LDK: the channel usable');
  const fundingVout = env.chain.transaction(fundingTxid)!.tx.outs.findIndex((o) => Number(o.value) === CAPACITY);
  const before = await wallet();
  expect(before.unconfirmedSat).toBe(0);
  return { channelId: pending.channelId, fundingTxid, fundingVout, before };
}

/** The transaction spending `txid:vout` in the best chain or the mempool, if any. */
function spender(txid: string, vout: number): { txid: string; tx: Transaction; confirmed: boolean } | undefined {
  const spend = env.chain.outspend(txid, vout);
  if (spend === undefined) return undefined;
  const found = env.chain.transaction(spend.txid)!;
  return { txid: spend.txid, tx: found.tx, confirmed: found.block !== undefined };
}

/**
 * Mines one block at a time (our chain handler runs after each) until a
 * transaction spending `txid:vout` confirms, waiting a moment after each
 * block for one to reach the mempool (the broadcast queue's poller hands it
 * over). Returns it.
 */
async function mineUntilSpent(txid: string, vout: number, what: string, maxBlocks = 4): Promise<{ txid: string; tx: Transaction; height: number }> {
  for (let i = 0; i < maxBlocks; i++) {
    await env.until(() => spender(txid, vout) !== undefined, `${what} in the mempool`, 5_000).catch(() => undefined);
    const spend = spender(txid, vout);
    await env.mineAndFeed(1, spend?.txid ?? '');
    const now = spender(txid, vout);
    if (now?.confirmed === true) return { txid: now.txid, tx: now.tx, height: env.chain.transaction(now.txid)!.block!.height };
  }
  throw new Error(`${what} not confirmed after ${maxBlocks} blocks`);
}

/** Mines blocks (running a timer tick after each, as the deployment's timer would) until `funds-swept` for `channelId` is an event. */
async function mineUntilFundsSwept(channelId: string): Promise<EventJson> {
  for (let i = 0; i < 12; i++) {
    await env.mineAndFeed(1, '');
    await env.node.tick();
    const swept = (await events()).find((e) => e.kind === 'funds-swept' && e.channelId === channelId);
    if (swept !== undefined) return swept;
  }
  throw new Error('no funds-swept after 12 blocks');
}

type ForceStep = 'answered' | 'commitment-confirmed' | 'sweep-broadcast';

/** Our force close of a fresh channel with a kill and restart at `step`; checks the commitment, the sweep, `funds-swept` and the wallet. */
async function forceCloseWithRestartAt(step: ForceStep): Promise<void> {
  const { channelId, fundingTxid, fundingVout, before } = await openChannel();
  // LDK is offline while we close, until our commitment confirmed. Connected, it would take our `error` and
  // broadcast its own commitment at once, which can reach the mempool before ours (then theirs confirms: our
  // to_remote is swept, docs/force-close.md); this case is about ours.
  ldkNode.dropConnections();
  await env.until(async () => (await env.peerCount()) === 0, 'LDK disconnected');

  const closed = await env.post(`/v1/channels/${channelId}/close`, { force: true });
  expect(closed.status).toBe(202);
  expect(closed.body).toMatchObject({ state: 'closed', closure: { reason: 'holder-force-closed' } });
  const commitmentTxid = (closed.body['closure'] as { txid: string }).txid;
  if (step === 'answered') {
    await killAndRestart({ ldkDials: false });
    // Whether it had reached the mempool or still waited in the queue, the kill lost it: only our node can send it again.
    expect(spender(fundingTxid, fundingVout)).toBeUndefined();
  }

  // Our commitment spends the funding output; LDK, fed the block, closes its side, and dials us again.
  const commitment = await mineUntilSpent(fundingTxid, fundingVout, 'our commitment');
  expect(commitment.txid).toBe(commitmentTxid);
  await env.connectLdk(ldkNode);
  await env.until(() => !ldkNode.channelManager.list_channels().some((c) => toHex(c.get_channel_id().get_a()) === channelId), 'LDK closed the channel');
  // Our to_local: the funder's 180,000 sat minus the commitment fee; LDK's to_remote: the 20,000 pushed.
  const toLocalVout = commitment.tx.outs.findIndex((o) => Number(o.value) > CAPACITY - PUSH_SAT - 5_000);
  expect(toLocalVout).toBeGreaterThanOrEqual(0);
  const toLocal = Number(commitment.tx.outs[toLocalVout]!.value);
  expect(commitment.tx.outs.map((o) => Number(o.value))).toContain(PUSH_SAT);
  expect(toLocal).toBeLessThan(CAPACITY - PUSH_SAT);
  if (step === 'commitment-confirmed') await killAndRestart();

  // to_self_delay blocks after the commitment's, the next block can hold the sweep: mine up to just before.
  const csvHeight = commitment.height + LDK_TO_SELF_DELAY;
  await env.mineAndFeed(csvHeight - 2 - env.chain.tip().height, '');
  expect(spender(commitment.txid, toLocalVout)).toBeUndefined();
  if (step === 'sweep-broadcast') {
    // One block more and the chain handler plans the sweep: it goes to the broadcast queue, then the mempool.
    await env.mineAndFeed(1, '');
    await env.until(() => spender(commitment.txid, toLocalVout) !== undefined, 'our sweep in the mempool');
    expect(spender(commitment.txid, toLocalVout)!.confirmed).toBe(false);
    await killAndRestart();
    expect(spender(commitment.txid, toLocalVout)).toBeUndefined();
  }
  const sweep = await mineUntilSpent(commitment.txid, toLocalVout, 'our to_local sweep');
  expect(sweep.height).toBeGreaterThanOrEqual(csvHeight);
  // One input (our to_local), one output paying the wallet: the sweep fee is what is missing.
  expect(sweep.tx.ins).toHaveLength(1);
  expect(sweep.tx.outs).toHaveLength(1);
  const sweptSat = Number(sweep.tx.outs[0]!.value);
  expect(sweptSat).toBeLessThan(toLocal);
  expect(sweptSat).toBeGreaterThan(toLocal - 2_000);

  const swept = await mineUntilFundsSwept(channelId);
  expect(swept).toMatchObject({ channelId, txid: sweep.txid, amountSat: String(sweptSat) });
  // Once, also after more blocks and ticks.
  await env.mineAndFeed(2, '');
  await env.node.tick();
  expect((await events()).filter((e) => e.kind === 'funds-swept' && e.channelId === channelId)).toHaveLength(1);
  await env.until(async () => (await wallet()).confirmedSat === before.confirmedSat + sweptSat, 'the wallet counts the sweep');
  expect(await wallet()).toEqual({ ...before, confirmedSat: before.confirmedSat + sweptSat });
}

/**
 * `answered`: killed right after the 202 (our `shutdown` may or may not have reached LDK);
 * `shutdown-lost`: the same, our `shutdown` sent but lost on the way (LDK never read it);
 * `closing-broadcast`: killed once the closing transaction is in the mempool.
 */
type CooperativeStep = 'answered' | 'shutdown-lost' | 'closing-broadcast';

/** LDK's view of the channel's shutdown. */
function ldkShutdownState(channelId: string): ldk.ChannelShutdownState | undefined {
  const channel = ldkNode.channelManager.list_channels().find((c) => toHex(c.get_channel_id().get_a()) === channelId);
  const state = channel?.get_channel_shutdown_state();
  return state instanceof ldk.Option_ChannelShutdownStateZ_Some ? state.some : undefined;
}

/** Our cooperative close of a fresh channel with a kill and restart at `step`; checks the closure, the closing transaction and the wallet. */
async function cooperativeCloseWithRestartAt(step: CooperativeStep): Promise<void> {
  const { channelId, fundingTxid, fundingVout, before } = await openChannel();
  const ldkClosedBefore = ldkNode.events.filter((e) => e instanceof ldk.Event_ChannelClosed).length;

  // The network fails at the next bytes LDK would read (our shutdown): nothing more passes either way.
  if (step === 'shutdown-lost') ldkNode.goDarkBefore = () => true;
  const closing = await env.post(`/v1/channels/${channelId}/close`, {});
  expect(closing.status).toBe(202);
  expect(['shutdown-sent', 'negotiating-close']).toContain(closing.body['state']);
  if (step === 'shutdown-lost') {
    await env.until(() => ldkNode.goDarkBefore === undefined, 'our shutdown lost on the way');
    expect(ldkShutdownState(channelId)).toBe(ldk.ChannelShutdownState.LDKChannelShutdownState_NotShuttingDown);
    expect(closing.body['state']).toBe('shutdown-sent');
  }
  if (step === 'answered' || step === 'shutdown-lost') await killAndRestart();

  await env.until(async () => (await env.api(`/v1/channels/${channelId}`)).body['state'] === 'closed', 'our channel closed', 30_000);
  expect((await env.api(`/v1/channels/${channelId}`)).body).toMatchObject({ state: 'closed', closure: { reason: 'cooperative-closure' } });
  await env.until(() => ldkNode.events.filter((e) => e instanceof ldk.Event_ChannelClosed).length === ldkClosedBefore + 1, 'LDK ChannelClosed');
  const ldkClosure = ldkNode.events.filter((e): e is ldk.Event_ChannelClosed => e instanceof ldk.Event_ChannelClosed).at(-1)!;
  expect(toHex(ldkClosure.channel_id.get_a())).toBe(channelId);
  expect(ldkClosure.reason instanceof ldk.ClosureReason_CounterpartyInitiatedCooperativeClosure).toBe(true);

  if (step === 'closing-broadcast') {
    await env.until(() => spender(fundingTxid, fundingVout) !== undefined, 'the closing transaction in the mempool');
    expect(spender(fundingTxid, fundingVout)!.confirmed).toBe(false);
    await killAndRestart();
    expect(spender(fundingTxid, fundingVout)).toBeUndefined();
  }
  const closingTx = await mineUntilSpent(fundingTxid, fundingVout, 'the closing transaction');
  // Two outputs: LDK's 20,000 pushed, ours the rest less the closing fee (the funder pays it).
  const values = closingTx.tx.outs.map((o) => Number(o.value));
  expect(values).toHaveLength(2);
  expect(values).toContain(PUSH_SAT);
  const fee = CAPACITY - values.reduce((a, b) => a + b, 0);
  expect(fee).toBeGreaterThan(0);
  const ours = CAPACITY - PUSH_SAT - fee;
  expect(values).toContain(ours);

  await env.until(async () => (await wallet()).confirmedSat === before.confirmedSat + ours, 'the wallet counts our closing output');
  expect(await wallet()).toEqual({ ...before, confirmedSat: before.confirmedSat + ours });
  const closedEvents = (await events()).filter((e) => e.kind === 'channel-closed' && e.channelId === channelId);
  expect(closedEvents).toEqual([expect.objectContaining({ reason: 'cooperative-closure' })]);
}

describe('our force close with a restart of the deployment', () => {
  it('restarted right after the API answered: our commitment confirms, to_local swept after the delay, funds-swept once, the wallet + the sweep', async () => {
    await forceCloseWithRestartAt('answered');
  }, 300_000);

  it('restarted after our commitment confirmed, before the CSV: the same', async () => {
    await forceCloseWithRestartAt('commitment-confirmed');
  }, 300_000);

  it('restarted after our sweep went out, before it confirms (the mempool lost it): the same', async () => {
    await forceCloseWithRestartAt('sweep-broadcast');
  }, 300_000);
});

describe('a cooperative close with a restart of the deployment', () => {
  it('restarted right after the API answered: the reestablishment resumes the close, the closing transaction confirms, the wallet counts our output', async () => {
    await cooperativeCloseWithRestartAt('answered');
  }, 180_000);

  it('restarted after our shutdown was sent and lost on the way (LDK never read it): the reestablishment sends it again, the close completes, the same', async () => {
    await cooperativeCloseWithRestartAt('shutdown-lost');
  }, 180_000);

  it('restarted after the closing transaction went out, before it confirms (the mempool lost it): the same', async () => {
    await cooperativeCloseWithRestartAt('closing-broadcast');
  }, 180_000);
});
