/**
 * Reconnection through `reestablish` follow-ups (docs/follow-ups.md): the
 * peer's `channel_reestablish` may arrive before our follow-up ran (LDK
 * sends its own at once); ours then goes first and the follow-up finds it
 * done. A follow-up made for a connection that has since been replaced
 * does nothing. A header of the code before follow-ups is migrated.
 */
import { expect, it } from 'vitest';
import { decodeConfirmingIndex, decodeManagerHeader } from '../../shared/manager/index.js';
import { SortKey } from '../../shared/store/index.js';
import { toHex } from '../../shared/crypto/index.js';
import type { ManagerNode } from '../support/manager-network.js';
import { channelsOf, connectedPair, fund, openChannel } from './manager-fixture.js';

function readyPair() {
  const { net, alice, bob } = connectedPair(1);
  net.mine([fund(net, alice, openChannel(net, alice, bob))]);
  expect(channelsOf(net, alice).map((c) => c.isUsable)).toEqual([true]);
  return { net, alice, bob };
}

function sentReestablishes(to: ManagerNode, from: number): number {
  return to.received.slice(from).filter((m) => m.type === 136).length;
}

it("the peer's channel_reestablish before our follow-up: ours goes first, once; the follow-up finds it done", () => {
  const { net, alice, bob } = readyPair();
  net.disconnect(alice, bob);
  net.deferFollowUps = true;
  const [aliceFrom, bobFrom] = [bob.received.length, alice.received.length];
  net.connect(alice, bob); // inits exchanged; both sides' reestablish follow-ups wait
  expect(net.pendingFollowUps).toHaveLength(2);
  // Bob's follow-up runs first: his channel_reestablish reaches alice while hers still waits.
  net.pendingFollowUps.splice(1, 1)[0]!();
  net.run();
  expect(sentReestablishes(bob, aliceFrom)).toBe(1); // alice answered with her own before handling his
  net.runFollowUps();
  net.run();
  expect(sentReestablishes(bob, aliceFrom)).toBe(1); // her follow-up found it done
  expect(sentReestablishes(alice, bobFrom)).toBe(1);
  net.deferFollowUps = false;
  for (const node of [alice, bob]) {
    expect(channelsOf(net, node).map((c) => c.isUsable)).toEqual([true]);
    const entry = [...node.store.storedChannels().values()][0]!;
    expect(entry.ok && entry.value.kind === 'channel' && entry.value.flags?.awaitingReestablish).toBeFalsy();
  }
});

it('a follow-up made for a connection that has since been replaced does nothing', () => {
  const { net, alice, bob } = readyPair();
  net.disconnect(alice, bob);
  net.deferFollowUps = true;
  net.connect(alice, bob); // connection 2: follow-ups wait
  const stale = net.pendingFollowUps.splice(0);
  net.disconnect(alice, bob);
  net.connect(alice, bob); // connection 3
  net.deferFollowUps = false;
  net.runFollowUps();
  net.run();
  const from = bob.received.length;
  for (const apply of stale) apply();
  net.run();
  expect(sentReestablishes(bob, from)).toBe(0);
  expect(channelsOf(net, alice).map((c) => c.isUsable)).toEqual([true]);
});

it("a header written before index items (its confirming list, TLV 14) is read, and the next commit moves the list into index items", () => {
  const { net, alice, bob } = connectedPair(3);
  net.mine([fund(net, alice, openChannel(net, alice, bob))]); // 1 of 3 confirmations: still confirming
  const [indexKey, indexBytes] = [...alice.store.items].find(([sk]) => sk.startsWith('INDEX#CONFIRMING#'))!;
  const entry = decodeConfirmingIndex(indexBytes);
  if (!entry.ok) throw entry.error;
  const e = entry.value;
  // The header as the code before issue 14 wrote it: the same records, plus record 14 listing the channel.
  const value = Uint8Array.from([...e.counterpartyNodeId, ...e.channelId, ...e.fundingTxid, 0, 0, (e.confirmation!.height >> 8) & 0xff, e.confirmation!.height & 0xff, ...e.confirmation!.blockHash]);
  const legacy = Uint8Array.from([...alice.store.items.get(SortKey.header)!, 14, value.length, ...value]);
  const decodedLegacy = decodeManagerHeader(legacy);
  if (!decodedLegacy.ok) throw decodedLegacy.error;
  expect(decodedLegacy.value.legacyConfirming?.map((c) => [toHex(c.channelId), c.confirmation?.height])).toEqual([[toHex(e.channelId), e.confirmation!.height]]);
  alice.store.items.set(SortKey.header, legacy);
  alice.store.items.delete(indexKey);
  net.mine([], 2); // the channel reaches its depth through the follow-up the moved entry makes
  expect(alice.store.items.has(indexKey)).toBe(true);
  const rewritten = decodeManagerHeader(alice.store.items.get(SortKey.header)!);
  expect(rewritten.ok && rewritten.value.legacyConfirming).toBeUndefined();
  expect(channelsOf(net, alice).map((c) => c.isUsable)).toEqual([true]);
});
