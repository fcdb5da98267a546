/**
 * Issue 18: our disabled `channel_update` (LDK's `timer_tick_occurred`,
 * BOLT 7 `disable` bit). alice — bob — carol, three of our nodes (the
 * in-memory network: every input loads its items from the store). When
 * carol has been offline through a full minute of bob's timer ticks, bob's
 * channel with her is disabled: the update is stored on the channel and,
 * for a public channel, sent to alice (his other connected peer); a
 * forward into it fails with `channel_disabled`. When carol is back, her
 * `channel_reestablish` enables the channel again with a newer timestamp.
 */
import { describe, expect, it } from 'vitest';
import type { ReadyChannel } from '../../shared/channel/index.js';
import { SortKey } from '../../shared/store/index.js';
import { compareBytes } from '../../shared/codec/index.js';
import { sha256, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { checkChannelUpdate } from '../../shared/gossip/index.js';
import { DISABLE_AFTER_TICKS, decodeManagerHeader, type ChannelDetails, type ChannelItem, type TimerTickReport } from '../../shared/manager/index.js';
import type { ChannelUpdateMessage } from '../../shared/wire/index.js';
import { REGTEST_CHAIN_HASH } from '../support/channel-harness.js';
import { createInvoiceOn, payInvoice } from '../support/invoice-payment.js';
import { ManagerNetwork, type ManagerNode } from '../support/manager-network.js';
import { FUNDING, channelsOf, eventsOf, fund, openChannel } from './manager-fixture.js';

const NOW = 1_800_000_000;

interface Three {
  net: ManagerNetwork;
  alice: ManagerNode;
  bob: ManagerNode;
  carol: ManagerNode;
}

/** alice → bob and bob → carol, 6 deep (public ones announced), bob's clock fixed at {@link NOW}. */
function threeNodes(announceChannel: boolean): Three {
  const net = new ManagerNetwork();
  const config = { minimumDepth: 1, announceChannel };
  const alice = net.addNode('alice', { config });
  const bob = net.addNode('bob', { config });
  const carol = net.addNode('carol', { config });
  bob.ports = { ...bob.ports, clock: { nowSecs: () => NOW } };
  net.connect(alice, bob);
  net.connect(bob, carol);
  const ab = fund(net, alice, openChannel(net, alice, bob, 1n));
  const bc = fund(net, bob, openChannel(net, bob, carol, 2n));
  net.mine([ab, bc]);
  net.mine([], 5);
  net.run();
  for (const n of [alice, bob, carol]) expect(channelsOf(net, n).every((c) => c.isUsable && c.isPublic === announceChannel)).toBe(true);
  return { net, alice, bob, carol };
}

function tick(net: ManagerNetwork, node: ManagerNode): TimerTickReport {
  const report = net.step(node, { kind: 'timer-tick' }, (m) => m.timerTickOccurred());
  net.run();
  return report;
}

function channelWith(net: ManagerNetwork, node: ManagerNode, peer: ManagerNode): ChannelDetails {
  const found = channelsOf(net, node).find((c) => toHex(c.counterpartyNodeId) === toHex(peer.nodeId));
  if (found === undefined) throw new Error(`${node.label} has no channel with ${peer.label}`);
  return found;
}

/** Bob's stored item of his channel with `peer` (what the next input loads). */
function storedItem(bob: ManagerNode, peer: ManagerNode): ChannelItem {
  for (const entry of bob.store.storedChannels().values()) {
    if (entry.ok && entry.value.kind === 'channel' && toHex(entry.value.channel.counterpartyNodeId) === toHex(peer.nodeId)) return entry.value;
  }
  throw new Error(`bob has no stored channel with ${peer.label}`);
}

function updatesFrom(node: ManagerNode): ChannelUpdateMessage[] {
  return node.received.filter((m): m is ChannelUpdateMessage => m.type === 258);
}

/** The peers on bob's offline list (his stored header). */
function offlinePeers(bob: ManagerNode): string[] {
  const header = decodeManagerHeader(bob.store.items.get(SortKey.header)!);
  if (!header.ok) throw header.error;
  return (header.value.offlinePeers ?? []).map((o) => toHex(o.peer));
}

const disabledBit = (u: ChannelUpdateMessage) => (u.channelFlags & 2) !== 0;

/** The update passes the BOLT 7 receiving rules of shared/gossip for the bob–carol channel. */
function checked(t: Three, update: ChannelUpdateMessage) {
  const [nodeId1, nodeId2] = [t.bob.nodeId, t.carol.nodeId].sort(compareBytes);
  return checkChannelUpdate(wasmSecp256k1, update, { chainHash: REGTEST_CHAIN_HASH, channel: { nodeId1: nodeId1!, nodeId2: nodeId2!, capacitySat: FUNDING }, storedTimestamp: undefined, nowSec: NOW });
}

describe('a public channel whose peer is offline a full minute of timer ticks', () => {
  it(`after ${DISABLE_AFTER_TICKS} ticks: a disabled update stored and sent to the other peers; the reconnection enables it with a newer timestamp`, () => {
    const t = threeNodes(true);
    const scid = channelWith(t.net, t.bob, t.carol).shortChannelId!;
    const atStart = updatesFrom(t.alice).length;
    t.net.disconnect(t.bob, t.carol);
    // The first tick may come a second after the disconnection: nothing yet.
    expect(tick(t.net, t.bob)).toMatchObject({ channelsDisabled: 0 });
    expect(updatesFrom(t.alice)).toHaveLength(atStart);
    expect(storedItem(t.bob, t.carol).disabledUpdateAt).toBeUndefined();
    // A full interval later: disabled.
    expect(tick(t.net, t.bob)).toMatchObject({ channelsDisabled: 1 });
    const sent = updatesFrom(t.alice).slice(atStart);
    expect(sent).toHaveLength(1);
    const disabled = sent[0]!;
    expect(disabled.shortChannelId).toBe(scid);
    expect(disabledBit(disabled)).toBe(true);
    expect(checked(t, disabled)).toMatchObject({ ok: true, forward: true, disabled: true });
    expect(storedItem(t.bob, t.carol).disabledUpdateAt).toBe(disabled.timestamp);
    expect(offlinePeers(t.bob)).toEqual([]); // done with carol
    // Bob's channel with alice (connected) is untouched; a later tick sends nothing again.
    expect(storedItem(t.bob, t.alice).disabledUpdateAt).toBeUndefined();
    expect(tick(t.net, t.bob)).toMatchObject({ channelsDisabled: 0 });
    expect(updatesFrom(t.alice).slice(atStart)).toHaveLength(1);
    expect(channelWith(t.net, t.bob, t.carol).isUsable).toBe(false);
    // A block while carol is away steps the channel: the update in force stays the disabled one.
    t.net.mine();
    expect(storedItem(t.bob, t.carol).disabledUpdateAt).toBe(disabled.timestamp);

    // Carol is back: her channel_reestablish makes the channel usable; the enabled update, newer, to her and to alice.
    const carolBefore = updatesFrom(t.carol).length;
    t.net.connect(t.bob, t.carol);
    t.net.run();
    expect(channelWith(t.net, t.bob, t.carol).isUsable).toBe(true);
    const [toCarol, ...moreToCarol] = updatesFrom(t.carol).slice(carolBefore);
    expect(moreToCarol).toEqual([]);
    expect(disabledBit(toCarol!)).toBe(false);
    expect(toCarol!.timestamp).toBeGreaterThan(disabled.timestamp);
    const enabled = updatesFrom(t.alice).slice(atStart + 1);
    expect(enabled).toEqual([toCarol]);
    expect(checked(t, toCarol!)).toMatchObject({ ok: true, disabled: false });
    expect(storedItem(t.bob, t.carol).disabledUpdateAt).toBeUndefined();
  });

  it('back before the tick that would disable it: nothing disabled, nothing sent; a peer without channels is not listed', () => {
    const t = threeNodes(true);
    const atStart = updatesFrom(t.alice).length;
    const dave = t.net.addNode('dave');
    t.net.connect(t.bob, dave);
    t.net.disconnect(t.bob, dave);
    expect(offlinePeers(t.bob)).toEqual([]);
    t.net.disconnect(t.bob, t.carol);
    expect(offlinePeers(t.bob)).toEqual([toHex(t.carol.nodeId)]);
    tick(t.net, t.bob);
    t.net.connect(t.bob, t.carol);
    expect(offlinePeers(t.bob)).toEqual([]);
    t.net.run();
    for (let i = 0; i < 3; i++) expect(tick(t.net, t.bob)).toMatchObject({ channelsDisabled: 0 });
    expect(updatesFrom(t.alice)).toHaveLength(atStart);
    expect(storedItem(t.bob, t.carol).disabledUpdateAt).toBeUndefined();
  });
});

describe('a private channel whose peer is offline a full minute', () => {
  it('disabled on the channel, nothing to the network; the peer gets the enabled update, newer, when back', () => {
    const t = threeNodes(false);
    const atStart = updatesFrom(t.alice).length;
    t.net.disconnect(t.bob, t.carol);
    tick(t.net, t.bob);
    expect(tick(t.net, t.bob)).toMatchObject({ channelsDisabled: 1 });
    const disabledAt = storedItem(t.bob, t.carol).disabledUpdateAt;
    expect(disabledAt).toBe(NOW);
    expect(updatesFrom(t.alice)).toHaveLength(atStart);
    const carolBefore = updatesFrom(t.carol).length;
    t.net.connect(t.bob, t.carol);
    t.net.run();
    const [toCarol, ...more] = updatesFrom(t.carol).slice(carolBefore);
    expect(more).toEqual([]);
    expect(disabledBit(toCarol!)).toBe(false);
    expect(toCarol!.messageFlags & 2).toBe(2); // dont_forward: for carol only
    expect(toCarol!.timestamp).toBeGreaterThan(disabledAt!);
    expect(updatesFrom(t.alice)).toHaveLength(atStart);
    expect(storedItem(t.bob, t.carol).disabledUpdateAt).toBeUndefined();
  });
});

describe('a forward into a channel whose peer is offline', () => {
  function payCarol(t: Three, id: number, invoice: ReturnType<typeof createInvoiceOn>): string | undefined {
    const before = eventsOf(t.alice, 'payment-path-failed').length;
    expect(payInvoice(t.net, t.alice, invoice.decoded, { paymentId: sha256(Uint8Array.of(id)) }).ok).toBe(true);
    t.net.run();
    return eventsOf(t.alice, 'payment-path-failed')[before]?.failure;
  }

  it('temporary_channel_failure while the peer is freshly gone; channel_disabled once our disabled update is in force; balances unchanged', () => {
    const t = threeNodes(false);
    const first = createInvoiceOn(t.net, t.carol, { description: 'one', amountMsat: 2_000_000n, expirySecs: 3600 });
    const second = createInvoiceOn(t.net, t.carol, { description: 'two', amountMsat: 2_000_000n, expirySecs: 3600 });
    const balance = () => channelWith(t.net, t.alice, t.bob).balanceMsat;
    const before = balance();
    t.net.disconnect(t.bob, t.carol);
    expect(payCarol(t, 1, first)).toMatch(/temporaryChannelFailure from hop 0/);
    tick(t.net, t.bob);
    tick(t.net, t.bob);
    expect((storedItem(t.bob, t.carol).channel as ReadyChannel).state).toBe('ready');
    expect(storedItem(t.bob, t.carol).disabledUpdateAt).toBe(NOW);
    expect(payCarol(t, 2, second)).toMatch(/channelDisabled from hop 0/);
    expect(eventsOf(t.bob, 'payment-forwarded')).toHaveLength(0);
    expect(balance()).toBe(before);
  });
});
