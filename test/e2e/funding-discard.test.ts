/**
 * Issue 13, defect 1: a funding transaction leaves only for a channel whose
 * `funding_signed` was received and committed. LDK (as fundee) takes our
 * `funding_created` but its `funding_signed` is lost on the wire; then the
 * channel is lost: LDK drops the connection, or our whole deployment stops
 * (its in-memory SQS queues lost) and LDK comes back, or never comes back. Every time the
 * funding transaction is never broadcast, the node says so
 * (`discard-funding`), and the wallet has its coins back, spendable.
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../shared/crypto/index.js';
import { EmbeddedWithLdk } from '../support/embedded-ldk.js';
import type { LdkNode } from '../support/ldk-node.js';

const WALLET_SAT = 1_000_000;
const CHANNEL_SAT = 100_000;

let env: EmbeddedWithLdk;

beforeAll(async () => {
  env = await EmbeddedWithLdk.start('funding-discard');
  await env.fundWallet(WALLET_SAT);
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

interface EventJson {
  kind: string;
  channelId?: string;
  fundingTxid?: string;
  reason?: string;
}

async function wallet(): Promise<{ confirmedSat: number; unconfirmedSat: number }> {
  return (await env.api('/v1/wallet')).body as { confirmedSat: number; unconfirmedSat: number };
}

/** Opens a channel to `ldkNode` and waits until LDK took our `funding_created`; returns the temporary id and the funding txid. */
async function openUntilFundingCreated(ldkNode: LdkNode): Promise<{ temporaryChannelId: string; fundingTxid: string }> {
  const opened = await env.post('/v1/channels', { nodeId: toHex(ldkNode.nodeId), amountSat: CHANNEL_SAT });
  expect(opened.status).toBe(202);
  const temporaryChannelId = opened.body['channelId'] as string;
  await env.until(() => ldkNode.heldMonitors === 1, 'LDK to take our funding_created');
  const channel = (await env.channels()).find((c) => c.temporaryChannelId === temporaryChannelId);
  expect(channel).toMatchObject({ state: 'awaiting-funding-signed', isOutbound: true });
  // While the channel waits, the coins are spent by a transaction nobody has seen: only the change is left, unconfirmed.
  const during = await wallet();
  expect(during.confirmedSat + during.unconfirmedSat).toBeLessThan(WALLET_SAT - CHANNEL_SAT);
  return { temporaryChannelId, fundingTxid: channel!.fundingTxid! };
}

/**
 * The funding transaction was given up: a `discard-funding` event names it,
 * the wallet counts every coin again, a payment can spend them, and once that
 * payment (queued after any re-broadcast of the chain handler's, on the same
 * FIFO group) reached the chain, the funding transaction never did.
 */
async function expectDiscarded(fundingTxid: string, before: number): Promise<void> {
  await env.until(async () => {
    const w = await wallet();
    return w.confirmedSat + w.unconfirmedSat === before;
  }, 'the wallet to count the funding coins again');
  const events = (await env.api('/v1/events')).body['events'] as EventJson[];
  expect(events.filter((e) => e.kind === 'discard-funding').map((e) => e.fundingTxid)).toContain(fundingTxid);

  await env.mineAndFeed(1, ''); // a chain poll: the wallet re-broadcasts what it may
  const { body } = await env.post('/v1/wallet/address', {});
  const sent = await env.post('/v1/wallet/send', { address: body['address'], sats: before - 20_000 });
  expect(sent.status).toBe(200);
  const paymentTxid = sent.body['txid'] as string;
  await env.inMempool(paymentTxid, 'the payment in the mempool');
  expect(env.chain.mempool().map((e) => e.txid)).not.toContain(fundingTxid);
  await env.mineAndFeed(1, paymentTxid);
  expect(env.chain.transaction(fundingTxid)).toBeUndefined();
  expect(env.chain.transaction(paymentTxid)).toBeDefined();
}

async function total(): Promise<number> {
  const w = await wallet();
  return w.confirmedSat + w.unconfirmedSat;
}

describe('a funding transaction is broadcast only after funding_signed', () => {
  it('LDK disconnects after funding_created: nothing broadcast, the coins back in the wallet', async () => {
    const ldkNode = await env.startLdk(81, { loseFundingSigned: true });
    await env.connectLdk(ldkNode);
    const before = await total();
    expect(before).toBe(WALLET_SAT);
    const { temporaryChannelId, fundingTxid } = await openUntilFundingCreated(ldkNode);

    ldkNode.dropConnections();
    await env.until(async () => (await env.api(`/v1/channels/${temporaryChannelId}`)).body['state'] === 'closed', 'the channel closed');
    expect((await env.api(`/v1/channels/${temporaryChannelId}`)).body).toMatchObject({ closure: { reason: 'peer-disconnected' } });
    await expectDiscarded(fundingTxid, before);
  }, 90_000);

  it('our deployment stops after funding_created (queues lost) and LDK reconnects: nothing broadcast, the coins back', async () => {
    const ldkNode = await env.startLdk(82, { loseFundingSigned: true });
    await env.connectLdk(ldkNode);
    const before = await total();
    const { fundingTxid } = await openUntilFundingCreated(ldkNode);

    await env.restart(() => env.until(() => ldkNode.peers().length === 0, 'LDK to see us gone'));
    // Still waiting after the restart: the funding is held, not broadcast.
    await env.mineAndFeed(1, '');
    expect(env.chain.mempool().map((e) => e.txid)).not.toContain(fundingTxid);

    await env.connectLdk(ldkNode);
    await expectDiscarded(fundingTxid, before);
    // LDK learns that we forgot the channel; whatever it broadcasts spends an output that never existed.
    await env.until(() => ldkNode.events.some((e) => e instanceof ldk.Event_ChannelClosed), 'LDK to close its side');
  }, 120_000);

  it('our deployment stops after funding_created and LDK never returns: the channel ages out, nothing broadcast, the coins back', async () => {
    const ldkNode = await env.startLdk(83, { loseFundingSigned: true });
    await env.connectLdk(ldkNode);
    const before = await total();
    const { temporaryChannelId, fundingTxid } = await openUntilFundingCreated(ldkNode);

    await env.restart(async () => {
      await ldkNode.stop();
    });
    // Six blocks after its creation the unfunded channel times out (the chain handler's input).
    await env.mineAndFeed(6, '');
    await env.until(async () => (await env.api(`/v1/channels/${temporaryChannelId}`)).body['state'] === 'closed', 'the channel aged out');
    expect((await env.api(`/v1/channels/${temporaryChannelId}`)).body).toMatchObject({ closure: { reason: 'unfunded-timed-out' } });
    await expectDiscarded(fundingTxid, before);
  }, 120_000);
});
