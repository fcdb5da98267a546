/**
 * The channel pipeline through the real handlers (docs/channels-pipeline.md):
 * two of our nodes, each with its own DynamoDB Local table and outbound
 * fauxqs queue, exchange BOLT 1 and BOLT 2 messages through their
 * peer-message handlers; the test plays the gateways (outbound `send` of one
 * node → inbound `message` of the other).
 */
import { randomUUID } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { createPeerMessageHandler } from '../../functions/peer-message/handler.js';
import { applyInput } from '../../functions/runtime/invocation.js';
import { loadManager, managerResult } from '../../functions/runtime/manager-step.js';
import { createNodeContext, type NodeContext } from '../../functions/runtime/node-context.js';
import { createChainHandler } from '../../functions/chain/handler.js';
import { encodeFeeRates } from '../../functions/chain/fee-record.js';
import { listChannels } from '../../functions/channels/channel-service.js';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import { pendingEvents } from '../../functions/events/event-service.js';
import { newReceiveAddress } from '../../functions/wallet/wallet-service.js';
import { EsploraClient } from '../../shared/chain/index.js';
import { sha256, toHex } from '../../shared/crypto/index.js';
import { type NodeChannelSettings } from '../../shared/manager/index.js';
import { decodeBroadcast, decodeOutbound, outboundParts, encodeInbound, type InboundEnvelope } from '../../shared/pipeline/envelopes.js';
import { FifoQueue } from '../../shared/pipeline/queues.js';
import { NodeStore, SortKey, ensureNodeTable } from '../../shared/store/index.js';
import { EMPTY_WALLET_STATE, Keychain, decodeWalletState, encodeWalletState, type WalletState } from '../../shared/wallet/index.js';
import { Transaction } from 'bitcoinjs-lib';
import { OUR_INIT_FEATURES, decodeMessage } from '../../shared/wire/index.js';
import { useLocalServices } from '../support/local-services.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} } as unknown as NodeContext['logger'];

const local = useLocalServices();

async function mine(blocks: number): Promise<void> {
  expect((await fetch(`${local.chain.url}/regtest/mine`, { method: 'POST', body: JSON.stringify({ blocks }) })).status).toBe(200);
}

interface TestNode {
  readonly ctx: NodeContext;
  readonly handler: ReturnType<typeof createPeerMessageHandler>;
  /** Message types this node sent, in order. */
  readonly sent: (number | string)[];
}

/** Gives `n`'s wallet one confirmed coin of `valueSat` (as a wallet sync would record it). */
async function fund(n: TestNode, valueSat: bigint): Promise<void> {
  const state: WalletState = {
    ...EMPTY_WALLET_STATE,
    nextIndex: [1, 0],
    usedCount: [1, 0],
    utxos: [{ txid: 'ab'.repeat(32), vout: 0, valueSat, keychain: Keychain.receive, index: 0, height: 5 }],
    syncedHeight: 10,
  };
  await applyInput(n.ctx, `fund-${randomUUID()}`, async () => ({ puts: [{ sk: SortKey.wallet, data: encodeWalletState(state) }], deletes: [], effects: [] }));
}

async function openChannel(from: TestNode, to: TestNode, valueSat: bigint): Promise<void> {
  const outcome = await applyInput(from.ctx, `open-${randomUUID()}`, async (store) => {
    const manager = await loadManager(from.ctx, store, { kind: 'create-channel' }, new Map([[to.ctx.nodeKey, OUR_INIT_FEATURES]]));
    const created = manager.createChannel(to.ctx.nodeId, valueSat, 0n, 7n);
    expect(created.ok).toBe(true);
    return managerResult(manager.takeChanges());
  });
  expect(outcome).toBe('applied');
}

/** The transactions `n` handed the broadcast queue (hex), each envelope checked to name its transaction by its txid (never the wtxid). */
async function broadcasts(n: TestNode): Promise<string[]> {
  const out: string[] = [];
  for (let batch = await n.ctx.broadcast!.receive(10, 0); batch.length > 0; batch = await n.ctx.broadcast!.receive(10, 0)) {
    for (const m of batch) {
      const envelope = decodeBroadcast(m.body);
      expect(envelope.txid).toBe(Transaction.fromHex(envelope.hex).getId());
      out.push(envelope.hex);
      await n.ctx.broadcast!.delete(m.receiptHandle);
    }
  }
  return out;
}

async function fifo(): Promise<FifoQueue> {
  const created = await local.sqs.client.send(new CreateQueueCommand({ QueueName: `q-${randomUUID()}.fifo`, Attributes: { FifoQueue: 'true', VisibilityTimeout: '1' } }));
  return new FifoQueue(local.sqs.client, created.QueueUrl!);
}

async function node(label: string, esploraUrl = 'http://127.0.0.1:9', channelSettings?: NodeChannelSettings): Promise<TestNode> {
  const tableName = `cp-${randomUUID()}`;
  await ensureNodeTable(local.dynamo, tableName);
  const ctx = createNodeContext({
    seed: sha256(new TextEncoder().encode(`${label}/${randomUUID()}`)),
    network: 'regtest',
    store: new NodeStore({ client: local.dynamo, tableName }),
    outbound: await fifo(),
    broadcast: await fifo(),
    // Follow-up inputs (docs/follow-ups.md): `relay` applies them as the inbound poller would.
    inbound: await fifo(),
    // By default nothing listens there: the funding fee rate falls back to the wallet's.
    esploraUrl,
    logger: quiet,
    ...(channelSettings === undefined ? {} : { channelSettings }),
  });
  return { ctx, handler: createPeerMessageHandler(ctx), sent: [] };
}

let seq = 0;
function event(to: TestNode, envelope: InboundEnvelope): SQSEvent {
  return {
    Records: [
      {
        messageId: randomUUID(),
        receiptHandle: 'rh',
        body: encodeInbound(envelope),
        attributes: { MessageGroupId: `${to.ctx.nodeKey}:${envelope.peer}`, MessageDeduplicationId: `g:${seq++}` },
        messageAttributes: {},
      },
    ],
  } as unknown as SQSEvent;
}

/**
 * Plays both gateways until neither node has anything queued: each `send` becomes the other's inbound `message`.
 * Messages for which `hold(type)` is true are not delivered but returned (to deliver later with `deliver`).
 */
async function relay(a: TestNode, b: TestNode, hold: (type: number) => boolean = () => false): Promise<{ to: TestNode; envelope: InboundEnvelope }[]> {
  const held: { to: TestNode; envelope: InboundEnvelope }[] = [];
  for (let idle = 0; idle < 2; ) {
    let moved = 0;
    for (const n of [a, b]) {
      for (const m of await n.ctx.inbound!.receive(10, 0)) {
        await n.ctx.inbound!.delete(m.receiptHandle);
        const record = { messageId: m.messageId, receiptHandle: m.receiptHandle, body: m.body, attributes: { MessageGroupId: m.group, MessageDeduplicationId: m.dedupId }, messageAttributes: {} };
        expect((await n.handler({ Records: [record] } as unknown as SQSEvent, {} as never)).batchItemFailures).toEqual([]);
        moved++;
      }
    }
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const batch = await from.ctx.outbound.receive(10, 0);
      for (const m of batch) await from.ctx.outbound.delete(m.receiptHandle);
      for (const out of batch.flatMap((m) => outboundParts(decodeOutbound(m.body)))) {
        if (out.kind !== 'send') {
          from.sent.push(out.kind);
          continue;
        }
        const decoded = decodeMessage(out.message);
        const type = decoded.kind === 'message' ? decoded.message.type : -1;
        from.sent.push(type);
        const envelope: InboundEnvelope = { kind: 'message', peer: from.ctx.nodeKey, connectionId: 'c', seq: seq++, message: out.message };
        if (hold(type)) {
          held.push({ to, envelope });
          continue;
        }
        await deliver(to, envelope);
        moved++;
      }
    }
    idle = moved === 0 ? idle + 1 : 0;
  }
  return held;
}

async function deliver(to: TestNode, envelope: InboundEnvelope): Promise<void> {
  expect((await to.handler(event(to, envelope), {} as never)).batchItemFailures).toEqual([]);
}

async function connect(a: TestNode, b: TestNode): Promise<void> {
  await a.handler(event(a, { kind: 'connected', peer: b.ctx.nodeKey, connectionId: 'c', inbound: false, address: '127.0.0.1:9735' }), {} as never);
  await b.handler(event(b, { kind: 'connected', peer: a.ctx.nodeKey, connectionId: 'c', inbound: true, address: '127.0.0.1:5555' }), {} as never);
  await relay(a, b);
}

async function events(n: TestNode) {
  return (await pendingEvents(n.ctx)).map((r) => r.event);
}

/** `feerate_per_kw` of the `open_channel` an envelope carries. */
function feerateOf(envelope: InboundEnvelope): number {
  const decoded = envelope.kind === 'message' ? decodeMessage(envelope.message) : undefined;
  if (decoded?.kind !== 'message' || decoded.message.type !== 32) throw new Error('not an open_channel');
  return decoded.message.feeratePerKw;
}

describe('channel pipeline through the peer-message handler', () => {
  it('creates each manager when the peer init arrives and routes open_channel / accept_channel between two nodes', async () => {
    const [a, b] = await Promise.all([node('a'), node('b')]);
    await fund(a, 150_000n);
    await connect(a, b);
    expect(await a.ctx.store.get(a.ctx.nodeKey, SortKey.header)).toBeDefined();
    expect(await b.ctx.store.get(b.ctx.nodeKey, SortKey.header)).toBeDefined();

    // Through the HTTP API's port: a peer that is not connected is refused, then the open goes out.
    await expect(storeNodeApi(a.ctx).openChannel({ nodeId: '02' + '55'.repeat(32), amountSat: 100_000n, pushMsat: 0n, public: false })).rejects.toMatchObject({ code: 'peer-not-connected' });
    const { channelId } = await storeNodeApi(a.ctx).openChannel({ nodeId: b.ctx.nodeKey, amountSat: 100_000n, pushMsat: 0n, public: false });
    expect(await storeNodeApi(a.ctx).getChannel(channelId)).toMatchObject({ state: 'outbound-awaiting-accept', capacitySat: 100_000n, isOutbound: true });
    // The coins go elsewhere before accept_channel arrives (a payment in between: the open only checked them).
    await applyInput(a.ctx, `spend-${randomUUID()}`, async () => ({ puts: [{ sk: SortKey.wallet, data: encodeWalletState(EMPTY_WALLET_STATE) }], deletes: [], effects: [] }));
    await relay(a, b);

    expect(a.sent).toContain(32); // open_channel
    expect(b.sent).toContain(33); // accept_channel
    const ready = (await events(a)).find((e) => e.kind === 'funding-generation-ready');
    expect(ready).toMatchObject({ kind: 'funding-generation-ready', channelValueSatoshis: 100_000n });
    // The emptied wallet cannot fund it: the channel is closed with the wallet's reason, and the peer told.
    const closed = (await events(a)).find((e) => e.kind === 'channel-closed');
    expect(closed).toMatchObject({ kind: 'channel-closed', reason: 'funding-not-provided' });
    expect(closed?.kind === 'channel-closed' && closed.message).toMatch(/wallet cannot fund the channel/);
    expect(a.sent).toEqual([16, 32, 17]);
    // The HTTP caller sees why in GET /v1/channels/{id}; the list no longer has it.
    expect(await storeNodeApi(a.ctx).getChannel(channelId)).toMatchObject({ state: 'closed', closure: { reason: 'funding-not-provided' } });
    expect(await storeNodeApi(a.ctx).listChannels()).toEqual([]);
    expect((await storeNodeApi(b.ctx).listChannels()).map((c) => c.state)).toEqual([]);
    expect(await a.ctx.store.query(a.ctx.nodeKey, SortKey.channelPrefix())).toEqual([]);
    expect(await broadcasts(a)).toEqual([]);
  });

  it('proposes the stored fee estimate: with FEES at 5,000 sat/kw for the non-anchor target, open_channel carries 5,000 (253 without the item)', async () => {
    const [a, b, c] = await Promise.all([node('a'), node('b'), node('c')]);
    // What the chain handler would have stored (sat/kw by target): 12 blocks is LDK's NonAnchorChannelFee target.
    const fees = encodeFeeRates(new Map([[1, 9_000n], [12, 5_000n], [144, 2_000n], [1008, 1_000n]]));
    for (const n of [a, b]) await applyInput(n.ctx, `fees-${randomUUID()}`, async () => ({ puts: [{ sk: SortKey.fees, data: fees }], deletes: [], effects: [] }));
    await Promise.all([fund(a, 1_000_000n), fund(c, 1_000_000n)]);
    await connect(a, b);
    await storeNodeApi(a.ctx).openChannel({ nodeId: b.ctx.nodeKey, amountSat: 100_000n, pushMsat: 0n, public: false });
    const [held] = await relay(a, b, (type) => type === 32);
    expect(feerateOf(held!.envelope)).toBe(5_000);
    // The fundee checks it against its own stored estimates (>= half the 1008-block one, <= 10x the 1-block one).
    await deliver(held!.to, held!.envelope);
    await relay(a, b);
    expect(b.sent).toContain(33);

    // A node without the item proposes the floor.
    await connect(c, b);
    await storeNodeApi(c.ctx).openChannel({ nodeId: b.ctx.nodeKey, amountSat: 100_000n, pushMsat: 0n, public: false });
    const [floor] = await relay(c, b, (type) => type === 32);
    expect(feerateOf(floor!.envelope)).toBe(253);
  });

  it('funds the channel from the wallet in the invocation of accept_channel and broadcasts only after funding_signed', async () => {
    const [a, b] = await Promise.all([node('a'), node('b')]);
    await fund(a, 1_000_000n);
    await connect(a, b);
    await openChannel(a, b, 200_000n);
    await relay(a, b);
    expect(a.sent).toEqual([16, 32, 34]); // init, open_channel, funding_created
    expect(b.sent).toEqual([16, 33, 35]); // init, accept_channel, funding_signed
    expect((await events(a)).map((e) => e.kind)).toEqual(['funding-generation-ready', 'channel-pending']);
    expect((await events(b)).map((e) => e.kind)).toEqual(['channel-pending']);
    // The wallet's coin is now spent by the funding transaction (pending), committed with funding_created.
    const wallet = decodeWalletState((await a.ctx.store.get(a.ctx.nodeKey, SortKey.wallet))!);
    expect(wallet.ok && wallet.value.utxos.find((u) => u.txid === 'ab'.repeat(32))?.spentBy).toBeDefined();
    const txs = await broadcasts(a);
    expect(txs).toHaveLength(1);
    const funding = Transaction.fromHex(txs[0]!);
    expect(funding.outs.some((o) => o.value === 200_000n || Number(o.value) === 200_000)).toBe(true);
    expect(await broadcasts(b)).toEqual([]);
    // Both sides hold the channel under its real id (its item and fixed part: docs/items.md), with a monitor.
    const [item, fixed] = await a.ctx.store.query(a.ctx.nodeKey, SortKey.channelPrefix(b.ctx.nodeKey));
    expect(fixed!.sk).toBe(`${item!.sk}#fixed`);
    expect(await a.ctx.store.query(a.ctx.nodeKey, 'MONITOR#')).toHaveLength(1);
    expect(await b.ctx.store.query(b.ctx.nodeKey, SortKey.channelPrefix(a.ctx.nodeKey))).toEqual([
      expect.objectContaining({ sk: item!.sk.replace(b.ctx.nodeKey, a.ctx.nodeKey) }),
      expect.objectContaining({ sk: fixed!.sk.replace(b.ctx.nodeKey, a.ctx.nodeKey) }),
    ]);
    // GET /v1/channels/{id} by the real id reads that channel's items alone (keys first), not every channel: the same answer as the list's.
    const [listed] = await storeNodeApi(a.ctx).listChannels();
    const query = vi.spyOn(a.ctx.store, 'query');
    expect(await storeNodeApi(a.ctx).getChannel(listed!.channelId)).toEqual(listed);
    expect(query.mock.calls.filter(([, prefix]) => prefix === SortKey.channelPrefix())).toEqual([]);
    query.mockRestore();
  });

  it('moves the channel to ready on both sides when the chain handler sees the funding transaction deep enough', async () => {
    const [a, b] = await Promise.all([node('a', local.chain.url), node('b', local.chain.url)]);
    const sync = (n: TestNode) => createChainHandler(n.ctx)({ id: randomUUID() }, {} as never);
    const { address } = await newReceiveAddress(a.ctx);
    const faucet = await fetch(`${local.chain.url}/regtest/faucet`, { method: 'POST', body: JSON.stringify({ address, sats: 500_000 }) });
    expect(faucet.status).toBe(200);
    await mine(1);
    await Promise.all([sync(a), sync(b)]);
    await connect(a, b);
    await openChannel(a, b, 200_000n);
    const held = await relay(a, b, (type) => type === 34);
    expect(held).toHaveLength(1);
    // A block while funding_created is in flight: the wallet's re-broadcast of its pending transactions
    // skips the funding transaction (no funding_signed yet: out now, it could lock the funds).
    await mine(1);
    expect((await sync(a)).outcome).toBe('applied');
    expect(await broadcasts(a)).toEqual([]);
    await deliver(held[0]!.to, held[0]!.envelope);
    await relay(a, b);
    const [funding] = await broadcasts(a);
    expect(funding).toBeDefined();
    const txid = await new EsploraClient(local.chain.url).broadcast(Transaction.fromHex(funding!).toBuffer());
    await mine(5);
    for (const n of [a, b]) expect((await sync(n)).outcome).toBe('applied');
    // After funding_signed the wallet re-broadcasts it each block like any pending payment, until it confirms.
    await broadcasts(a);
    await relay(a, b);
    expect((await listChannels(a.ctx)).map((c) => c.isChannelReady)).toEqual([false]);
    await mine(1);
    for (const n of [a, b]) await sync(n);
    await relay(a, b);
    expect(a.sent.filter((t) => t === 36)).toHaveLength(1); // channel_ready
    expect(b.sent.filter((t) => t === 36)).toHaveLength(1);
    for (const [n, peer] of [[a, b], [b, a]] as const) {
      const [details] = await listChannels(n.ctx);
      expect(details).toMatchObject({ isChannelReady: true, isUsable: true, channelValueSatoshis: 200_000n, confirmations: 6 });
      expect(details!.fundingOutpoint && toHex(Uint8Array.from(details!.fundingOutpoint.txid).reverse())).toBe(txid);
      expect(toHex(details!.counterpartyNodeId)).toBe(peer.ctx.nodeKey);
      expect(details!.shortChannelId).not.toBeNull();
    }
    expect((await events(a)).map((e) => e.kind)).toEqual(['funding-generation-ready', 'channel-pending', 'channel-ready']);

    // The user's view: GET /v1/events, then an acknowledgement deletes what was handled, idempotently.
    const api = storeNodeApi(a.ctx);
    const listed = await api.listEvents();
    expect(listed.map((e) => [e.kind, e.channelId])).toEqual([
      ['funding-generation-ready', undefined],
      ['channel-pending', expect.stringMatching(/^[0-9a-f]{64}$/)],
      ['channel-ready', listed[1]!.channelId],
    ]);
    expect(listed[1]).toMatchObject({ fundingTxid: txid, counterpartyNodeId: b.ctx.nodeKey });
    expect(listed[2]!.shortChannelId).toMatch(/^\d+x\d+x\d+$/);
    const ids = listed.map((e) => BigInt(e.id));
    expect(ids).toEqual([ids[0]!, ids[0]! + 1n, ids[0]! + 2n]);
    expect(await api.acknowledgeEvents(ids[1]!)).toBe(2);
    expect(await api.acknowledgeEvents(ids[1]!)).toBe(0);
    expect((await api.listEvents()).map((e) => e.kind)).toEqual(['channel-ready']);
    expect((await a.ctx.store.query(a.ctx.nodeKey, SortKey.eventPrefix)).length).toBe(1);
  });

  it('holds an inbound open_channel under the manual policy until POST /v1/channels/{id}/accept', async () => {
    // B deployed with the manual inbound policy (INBOUND_CHANNELS=manual).
    const [a, b] = await Promise.all([node('a'), node('b', undefined, { anchors: false, acceptInboundChannels: 'manual' })]);
    await fund(a, 1_000_000n);
    await connect(a, b);
    const { channelId } = await storeNodeApi(a.ctx).openChannel({ nodeId: b.ctx.nodeKey, amountSat: 120_000n, pushMsat: 0n, public: false });
    await relay(a, b);
    expect(b.sent).toEqual([16]); // nothing answered yet
    expect((await events(b)).map((e) => e.kind)).toEqual(['open-channel-request']);
    const held = await storeNodeApi(b.ctx).listChannels();
    expect(held).toMatchObject([{ channelId, temporaryChannelId: channelId, state: 'awaiting-acceptance', channelType: 'static_remotekey', capacitySat: 120_000n, isOutbound: false }]);
    expect(await storeNodeApi(b.ctx).getChannel(channelId)).toMatchObject({ state: 'awaiting-acceptance' });
    await expect(storeNodeApi(b.ctx).acceptChannel('00'.repeat(32))).rejects.toMatchObject({ code: 'not-found' });
    await expect(storeNodeApi(b.ctx).rejectChannel('00'.repeat(32))).rejects.toMatchObject({ code: 'not-found' });
    await storeNodeApi(b.ctx).acceptChannel(channelId);
    await relay(a, b);
    expect(b.sent).toEqual([16, 33, 35]);
    expect((await storeNodeApi(b.ctx).listChannels()).map((c) => [c.state, c.isOutbound, c.capacitySat])).toEqual([['awaiting-confirmation', false, 120_000n]]);
    expect((await storeNodeApi(a.ctx).getChannel(channelId)).state).toBe('awaiting-confirmation');
  });

  it('hands a disconnect to the manager; the closed channel keeps its capacity, direction and reason, by either id', async () => {
    const [a, b] = await Promise.all([node('a'), node('b')]);
    await fund(a, 1_000_000n);
    await connect(a, b);
    // A disconnect reaches the manager: the unfunded channel is dropped with ChannelClosed.
    const { channelId } = await storeNodeApi(a.ctx).openChannel({ nodeId: b.ctx.nodeKey, amountSat: 50_000n, pushMsat: 0n, public: false });
    await a.handler(event(a, { kind: 'disconnected', peer: b.ctx.nodeKey, connectionId: 'c' }), {} as never);
    expect((await events(a)).map((e) => e.kind)).toEqual(['channel-closed']);
    expect(await storeNodeApi(a.ctx).getChannel(channelId)).toMatchObject({
      state: 'closed',
      temporaryChannelId: channelId,
      capacitySat: 50_000n,
      isOutbound: true,
      closure: { reason: 'peer-disconnected' },
    });
  });

  it('refuses up front a channel the wallet cannot fund (422 insufficient-funds), and one to our own node (400): nothing created', async () => {
    const [a, b] = await Promise.all([node('a'), node('b')]);
    await fund(a, 78_590n);
    await connect(a, b);
    const api = storeNodeApi(a.ctx);
    await expect(api.openChannel({ nodeId: b.ctx.nodeKey, amountSat: 5_000_000n, pushMsat: 0n, public: false })).rejects.toMatchObject({ code: 'insufficient-funds', status: 422 });
    // The whole coin cannot pay the channel and its fee either.
    await expect(api.openChannel({ nodeId: b.ctx.nodeKey, amountSat: 78_590n, pushMsat: 0n, public: false })).rejects.toMatchObject({ code: 'insufficient-funds' });
    await expect(api.openChannel({ nodeId: a.ctx.nodeKey, amountSat: 20_000n, pushMsat: 0n, public: false })).rejects.toMatchObject({ code: 'invalid-request', status: 400 });
    expect(await api.listChannels()).toEqual([]);
    expect(await events(a)).toEqual([]);
    expect(a.sent).toEqual([16]);
    // What the wallet can fund still opens.
    await api.openChannel({ nodeId: b.ctx.nodeKey, amountSat: 70_000n, pushMsat: 0n, public: false });
    await relay(a, b);
    expect(a.sent).toEqual([16, 32, 34]);
  });
});

describe('anchor reserve (issue 17): 25,000 sat of confirmed coins per anchor channel', () => {
  const anchorsOn = { anchors: true, acceptInboundChannels: 'all' } as const;

  /** Gives `n`'s wallet confirmed coins of these values. */
  async function fundCoins(n: TestNode, values: readonly bigint[]): Promise<void> {
    const state: WalletState = {
      ...EMPTY_WALLET_STATE,
      nextIndex: [values.length, 0],
      usedCount: [values.length, 0],
      utxos: values.map((valueSat, i) => ({ txid: (i + 1).toString(16).padStart(2, '0').repeat(32), vout: 0, valueSat, keychain: Keychain.receive, index: i, height: 5 })),
      syncedHeight: 10,
    };
    await applyInput(n.ctx, `fund-${randomUUID()}`, async () => ({ puts: [{ sk: SortKey.wallet, data: encodeWalletState(state) }], deletes: [], effects: [] }));
  }

  it('refuses an anchor channel whose funding would leave less than the reserve (422 anchor-reserve-not-covered); funds one that leaves it; sends cannot spend it', async () => {
    const [a, b] = await Promise.all([node('a', undefined, anchorsOn), node('b', undefined, anchorsOn)]);
    await fundCoins(a, [100_000n]);
    await connect(a, b);
    const api = storeNodeApi(a.ctx);
    expect(await api.wallet()).toEqual({ confirmedSat: 100_000n, unconfirmedSat: 0n, anchorReserve: { anchorChannels: 0, requiredSat: 0n, reservedSat: 0n } });
    // The only coin funds it, and its change (about 19,800 sat) would not keep the new channel's 25,000 sat.
    await expect(api.openChannel({ nodeId: b.ctx.nodeKey, amountSat: 80_000n, pushMsat: 0n, public: false })).rejects.toMatchObject({ code: 'anchor-reserve-not-covered', status: 422 });
    expect(a.sent).toEqual([16]);
    // A coin of 30,000 sat keeps the reserve; the other funds the channel.
    await fundCoins(a, [30_000n, 200_000n]);
    await api.openChannel({ nodeId: b.ctx.nodeKey, amountSat: 150_000n, pushMsat: 0n, public: false });
    await relay(a, b);
    expect(a.sent).toEqual([16, 32, 34]);
    const [channel] = await api.listChannels();
    expect(channel?.channelType).toBe('anchors_zero_fee_htlc_tx');
    const wallet = decodeWalletState((await a.ctx.store.get(a.ctx.nodeKey, SortKey.wallet))!);
    if (!wallet.ok) throw wallet.error;
    expect(wallet.value.utxos.filter((u) => u.spentBy !== undefined).map((u) => u.valueSat)).toEqual([200_000n]);
    const info = await api.wallet();
    expect(info.anchorReserve).toEqual({ anchorChannels: 1, requiredSat: 25_000n, reservedSat: 30_000n });
    // A payment the funding's change (about 49,800 sat, unconfirmed) cannot make alone, only with the reserved coin, is refused;
    // nothing committed. One the change pays goes.
    const address = (await newReceiveAddress(b.ctx)).address;
    await expect(api.send({ address, sats: 60_000n, feerateSatPerVb: 2 })).rejects.toMatchObject({ code: 'anchor-reserve-not-covered', status: 422 });
    const after = decodeWalletState((await a.ctx.store.get(a.ctx.nodeKey, SortKey.wallet))!);
    expect(after.ok && after.value.utxos.find((u) => u.valueSat === 30_000n)?.spentBy).toBeUndefined();
    await api.send({ address, sats: 10_000n, feerateSatPerVb: 2 });
    const paid = decodeWalletState((await a.ctx.store.get(a.ctx.nodeKey, SortKey.wallet))!);
    expect(paid.ok && paid.value.utxos.find((u) => u.valueSat === 30_000n)?.spentBy).toBeUndefined();
    // A second anchor channel needs 50,000 sat of confirmed coins kept: the 30,000 sat coin and the change do not.
    await expect(api.openChannel({ nodeId: b.ctx.nodeKey, amountSat: 20_000n, pushMsat: 0n, public: false })).rejects.toMatchObject({ code: 'anchor-reserve-not-covered' });
  });

  it('a static_remotekey channel keeps the reserve of the anchor channels but adds none', async () => {
    const [a, b] = await Promise.all([node('a', undefined, { anchors: false, acceptInboundChannels: 'all' }), node('b', undefined, anchorsOn)]);
    await fundCoins(a, [100_000n]);
    await connect(a, b);
    await storeNodeApi(a.ctx).openChannel({ nodeId: b.ctx.nodeKey, amountSat: 50_000n, pushMsat: 0n, public: false });
    await relay(a, b);
    expect(a.sent).toEqual([16, 32, 34]);
    expect((await storeNodeApi(b.ctx).wallet()).anchorReserve).toEqual({ anchorChannels: 0, requiredSat: 0n, reservedSat: 0n });
  });

  it('refuses to accept an inbound anchor channel (manual policy) the reserve cannot cover; accepts it once the wallet covers it', async () => {
    const [a, b] = await Promise.all([node('a', undefined, anchorsOn), node('b', undefined, { anchors: true, acceptInboundChannels: 'manual' })]);
    await fundCoins(a, [30_000n, 200_000n]);
    await fundCoins(b, [20_000n]);
    await connect(a, b);
    const { channelId } = await storeNodeApi(a.ctx).openChannel({ nodeId: b.ctx.nodeKey, amountSat: 120_000n, pushMsat: 0n, public: false });
    await relay(a, b);
    await expect(storeNodeApi(b.ctx).acceptChannel(channelId)).rejects.toMatchObject({ code: 'anchor-reserve-not-covered', status: 422 });
    await relay(a, b);
    expect(b.sent).toEqual([16]);
    expect(await storeNodeApi(b.ctx).getChannel(channelId)).toMatchObject({ state: 'awaiting-acceptance' });
    await fundCoins(b, [20_000n, 5_000n]);
    await storeNodeApi(b.ctx).acceptChannel(channelId);
    await relay(a, b);
    expect(b.sent).toEqual([16, 33, 35]);
    expect((await storeNodeApi(b.ctx).wallet()).anchorReserve).toEqual({ anchorChannels: 1, requiredSat: 25_000n, reservedSat: 25_000n });
  });
});
