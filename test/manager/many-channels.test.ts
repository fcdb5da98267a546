/**
 * Work that touches many channels is split into follow-up inputs
 * (docs/follow-ups.md): 500 channels confirming in one block, and a peer
 * with those 500 channels reconnecting (issue 14 asks for 300). Every commit
 * of every input stays within DynamoDB's 100 writes (the in-memory store
 * refuses more, as NodeStore does), the input that found the work writes a
 * bounded number of items, and the header does not grow with the channels.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeManagerHeader, MAX_UNFUNDED_OUTBOUND_CHANNELS, REORG_SAFE_DEPTH, UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS } from '../../shared/manager/index.js';
import { MAX_OUTBOX_ITEM_BYTES, SortKey, encodeOutboxRecord } from '../../shared/store/index.js';
import { outboxMessages } from '../../functions/runtime/invocation.js';
import { toHex } from '../../shared/crypto/index.js';
import { ManagerNetwork, type ManagerNode } from '../support/manager-network.js';
import { FUNDING, PUSH, channelsOf, fund, openChannel } from './manager-fixture.js';

const CHANNELS = 500;

function headerSize(node: ManagerNode): number {
  return node.store.items.get(SortKey.header)!.length;
}

describe(`${CHANNELS} channels between two nodes`, () => {
  let net: ManagerNetwork;
  let alice: ManagerNode;
  let bob: ManagerNode;
  let headerBefore: number;
  let fundings: Uint8Array[];

  beforeAll(() => {
    net = new ManagerNetwork();
    alice = net.addNode('alice', { config: { minimumDepth: 1 } });
    bob = net.addNode('bob', { config: { minimumDepth: 1 } });
    net.connect(alice, bob);
    headerBefore = headerSize(bob);
    fundings = Array.from({ length: CHANNELS }, (_, i) => fund(net, alice, openChannel(net, alice, bob, BigInt(i))));
  }, 300_000);

  it('all confirm in one block: the block input writes a bounded number of items, each channel its own follow-up', () => {
    expect(channelsOf(net, bob)).toHaveLength(CHANNELS);
    expect([...bob.store.items.keys()].filter((sk) => sk.startsWith('INDEX#CONFIRMING#'))).toHaveLength(CHANNELS);
    const costsBefore = bob.costs.length;
    const chainBefore = net.followUps.chain;
    net.mine(fundings);
    // Bob's block input: the header (best block) and nothing per channel (+ lease, input record and one outbox item in DynamoDB).
    const blockInput = bob.costs[costsBefore]!;
    expect(blockInput.itemsWritten).toBeLessThanOrEqual(2);
    expect(blockInput.itemsRead).toBe(1 + CHANNELS); // HEADER + the confirming index items (small), no channel item
    expect(net.followUps.chain - chainBefore).toBe(2 * CHANNELS);
    // The block input's follow-ups fit in its one outbox item, as NodeStore.commit writes it (each carries what the
    // block showed of its funding output, not the transaction).
    const blockFollowUps = bob.followUpBatches.at(-1)!;
    expect(blockFollowUps).toHaveLength(CHANNELS);
    const outboxBytes = encodeOutboxRecord(outboxMessages(`chain-${'f'.repeat(36)}`, [], blockFollowUps, toHex(bob.nodeId))).length;
    expect(outboxBytes).toBeLessThan(MAX_OUTBOX_ITEM_BYTES); // 267 KB for 500 (about 530 bytes each): room for about 650
    // Each follow-up commits one channel: its item, its index items, at most an event.
    const followUpWrites = bob.costs.slice(costsBefore + 1).map((c) => c.itemsWritten);
    expect(Math.max(...followUpWrites)).toBeLessThanOrEqual(6);
    expect(channelsOf(net, bob).every((c) => c.isUsable)).toBe(true);
    expect(channelsOf(net, alice).every((c) => c.isUsable)).toBe(true);

    // Buried: the channels leave the confirming index, blocks stop reaching them.
    net.mine([], REORG_SAFE_DEPTH);
    expect([...bob.store.items.keys()].filter((sk) => sk.startsWith('INDEX#CONFIRMING#'))).toEqual([]);
    const settled = net.followUps.chain;
    net.mine();
    expect(net.followUps.chain).toBe(settled);
    // The header is the size it was with no channel at all.
    expect(headerSize(bob)).toBe(headerBefore);
    expect(decodeManagerHeader(bob.store.items.get(SortKey.header)!)).toMatchObject({ ok: true, value: { unfunded: [] } });
    // Every channel is found by its short channel id, its alias and its funding outpoint (index items).
    expect([...bob.store.items.keys()].filter((sk) => sk.startsWith('INDEX#SCID#'))).toHaveLength(2 * CHANNELS);
    expect([...bob.store.items.keys()].filter((sk) => sk.startsWith('INDEX#OUTPOINT#'))).toHaveLength(CHANNELS);
  });

  it('the peer reconnects: its init writes a bounded number of items, each channel reestablishes in a follow-up', () => {
    net.disconnect(alice, bob);
    const costsBefore = bob.costs.length;
    const reestablishBefore = net.followUps.reestablish;
    const receivedBefore = alice.received.length;
    net.connect(alice, bob);
    const connectInput = bob.costs.find((c, i) => i >= costsBefore && c.itemsRead >= CHANNELS)!;
    expect(connectInput.itemsWritten).toBeLessThanOrEqual(1);
    expect(net.followUps.reestablish - reestablishBefore).toBe(2 * CHANNELS);
    const initFollowUps = bob.followUpBatches.at(-1)!;
    expect(initFollowUps).toHaveLength(CHANNELS);
    expect(encodeOutboxRecord(outboxMessages(`c:${'9'.repeat(36)}:connected`, [], initFollowUps, toHex(bob.nodeId))).length).toBeLessThan(MAX_OUTBOX_ITEM_BYTES);
    // Exactly one channel_reestablish per channel each way, and every channel usable again.
    expect(alice.received.slice(receivedBefore).filter((m) => m.type === 136)).toHaveLength(CHANNELS);
    expect(channelsOf(net, bob).filter((c) => c.isUsable)).toHaveLength(CHANNELS);
    expect(channelsOf(net, alice).filter((c) => c.isUsable)).toHaveLength(CHANNELS);
  });

  it(`refuses an outbound open while ${MAX_UNFUNDED_OUTBOUND_CHANNELS} are waiting for their funding, and opens again once they are gone`, () => {
    // To a peer that never answers (not connected: its open_channel goes nowhere), so they stay unfunded.
    const carol = net.addNode('carol');
    const open = (id: bigint) => net.step(alice, { kind: 'create-channel' }, (m) => m.createChannel(carol.nodeId, FUNDING, PUSH, id));
    for (let i = 0; i < MAX_UNFUNDED_OUTBOUND_CHANNELS; i++) expect(open(1_000n + BigInt(i)).ok).toBe(true);
    expect(open(2_000n)).toMatchObject({ ok: false, error: { code: 'api-misuse' } });
    net.mine([], UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS); // they age out (ChannelClosed: unfunded-timed-out)
    expect(open(2_001n).ok).toBe(true);
  });
});
