/**
 * The ChannelManager's stored items (issue 5): the size of a channel item,
 * a monitor snapshot and the manager header at open; and the cost of one
 * message on one channel (funding_created: loads the header and one channel
 * item, writes the re-keyed channel, the monitor, an event, the header) and
 * of one block, and of a reconnection of the peer (its init: its channels
 * loaded, a `channel_reestablish` each), for a node holding 1, 100 and
 * 1,000 ready channels (all but one with other peers); and what reading a
 * monitor costs after 250 updates (consolidated every 100). Each run
 * starts from the same stored items (an in-memory store standing in for
 * DynamoDB, counting the items and bytes read and written per step).
 */
import { performance } from 'node:perf_hooks';
import { ManagerNetwork, type ManagerNode } from '../test/support/manager-network.js';
import { populate } from '../test/support/manager-population.js';
import { fundingTransaction } from '../test/support/channel-harness.js';
import { InMemoryManagerStore } from '../shared/store/manager-items.js';
import { changesWith } from '../shared/manager/index.js';
import { decodeMonitor, encodeMonitorUpdate, type ChannelMonitorUpdate } from '../shared/monitor/index.js';
import { SortKey } from '../shared/store/layout.js';
import { decodeMessage, type FundingCreatedMessage } from '../shared/wire/index.js';
import { toHex } from '../shared/crypto/index.js';
import { ms, printTable } from './measure.js';

const RUNS = 41;

function copyOf(store: InMemoryManagerStore): InMemoryManagerStore {
  const copy = new InMemoryManagerStore();
  for (const [k, v] of store.items) copy.items.set(k, v);
  return copy;
}

function median(samples: number[]): number {
  return [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

interface Row {
  readonly count: number;
  readonly messageMs: number;
  readonly messageRead: string;
  readonly messageWritten: string;
  readonly blockMs: number;
  readonly blockRead: string;
  readonly reconnectMs: number;
  readonly reconnect: string;
}

function setup(count: number): { net: ManagerNetwork; alice: ManagerNode; bob: ManagerNode; created: FundingCreatedMessage } {
  const net = new ManagerNetwork();
  const alice = net.addNode('alice', { config: { minimumDepth: 3 } });
  const bob = net.addNode('bob', { config: { minimumDepth: 3 } });
  net.connect(alice, bob);
  populate(net, alice, bob, count);
  const made = net.step(alice, { kind: 'create-channel' }, (m) => m.createChannel(bob.nodeId, 500_000n, 0n, 2n));
  if (!made.ok) throw new Error(made.error.message);
  net.run();
  const ready = alice.events.map((e) => e.event).filter((e) => e.kind === 'funding-generation-ready').at(-1);
  if (ready?.kind !== 'funding-generation-ready') throw new Error('no FundingGenerationReady');
  const tx = fundingTransaction(ready.outputScript, ready.channelValueSatoshis).toBuffer();
  net.step(alice, { kind: 'funding-transaction-generated', temporaryChannelId: ready.temporaryChannelId }, (m) => m.fundingTransactionGenerated(ready.temporaryChannelId, tx));
  const decoded = decodeMessage(net.queue.shift()!.bytes);
  if (decoded.kind !== 'message' || decoded.message.type !== 34) throw new Error('no funding_created');
  return { net, alice, bob, created: decoded.message };
}

const rows: Row[] = [];
let sizes: string[][] = [];
let monitorRead = { itemsRead: 0, bytesRead: 0, stored: 0 };

function forceClose(channelId: Uint8Array, updateId: bigint): ChannelMonitorUpdate {
  return { channelId, updateId, steps: [{ kind: 'channel-force-closed', shouldBroadcast: updateId % 2n === 0n }] };
}

/** A store holding `snapshotBytes` then `updates` updates, each committed alone; the cost of one read of the monitor after. */
function monitorReadAfter(snapshotBytes: Uint8Array, updates: bigint): { itemsRead: number; bytesRead: number; stored: number } {
  const decoded = decodeMonitor(snapshotBytes);
  if (!decoded.ok) throw decoded.error;
  const id = toHex(decoded.value.channelId);
  const store = new InMemoryManagerStore();
  const commit = (updateId: bigint, bytes: Uint8Array) =>
    store.commit(`u${updateId}`, changesWith({ monitors: { put: [{ channelIdHex: id, updateId, bytes }] } }));
  commit(0n, snapshotBytes);
  for (let u = 1n; u <= updates; u++) commit(u, encodeMonitorUpdate(forceClose(decoded.value.channelId, u)));
  store.last = { itemsRead: 0, bytesRead: 0, itemsWritten: 0, bytesWritten: 0 };
  if (store.readMonitor(id)?.latestUpdateId !== updates) throw new Error('the monitor did not read back');
  return { itemsRead: store.last.itemsRead, bytesRead: store.last.bytesRead, stored: [...store.items.keys()].filter((k) => k.startsWith(SortKey.monitorPrefix(id))).length };
}
for (const count of [1, 100, 1000]) {
  const { net, alice, bob, created } = setup(count);
  const base = bob.store;
  const message: { ms: number[]; read: number; bytesRead: number; written: number; bytesWritten: number } = { ms: [], read: 0, bytesRead: 0, written: 0, bytesWritten: 0 };
  const block: { ms: number[]; read: number; bytesRead: number } = { ms: [], read: 0, bytesRead: 0 };
  const reconnect: { ms: number[]; read: number; written: number; messages: number } = { ms: [], read: 0, written: 0, messages: 0 };
  let afterMessage: InMemoryManagerStore | undefined;
  const aliceFeatures = bob.peers.get(toHex(alice.nodeId))!.features!;
  for (let run = 0; run < RUNS + 5; run++) {
    bob.store = copyOf(base);
    const start = performance.now();
    net.step(bob, { kind: 'peer-message', peer: alice.nodeId, message: created }, (m) => m.handleChannelMessage(alice.nodeId, created), `m${run}`);
    const elapsed = performance.now() - start;
    if (run >= 5) message.ms.push(elapsed);
    // The items right after funding_created: the channel now awaiting confirmation under its real id, its first monitor.
    if (count === 1 && run === 0) afterMessage = copyOf(bob.store);
    Object.assign(message, { read: bob.store.last.itemsRead, bytesRead: bob.store.last.bytesRead, written: bob.store.last.itemsWritten, bytesWritten: bob.store.last.bytesWritten });
    net.queue.length = 0;
    // One block on the same state: loads the header and the channels waiting for confirmations only.
    const tip = net.blocks[net.height]!;
    const start2 = performance.now();
    net.step(bob, { kind: 'chain' }, (m) => m.bestBlockUpdated(tip.header, net.height), `b${run}`);
    const elapsed2 = performance.now() - start2;
    if (run >= 5) block.ms.push(elapsed2);
    Object.assign(block, { read: bob.store.last.itemsRead, bytesRead: bob.store.last.bytesRead });
    // alice's init again (a reconnection): loads alice's channels only, sends channel_reestablish for each funded one.
    bob.store = copyOf(base);
    const start3 = performance.now();
    net.step(bob, { kind: 'peer-connected', peer: alice.nodeId }, (m) => m.peerConnected(alice.nodeId, aliceFeatures), `c${run}`);
    const elapsed3 = performance.now() - start3;
    if (run >= 5) reconnect.ms.push(elapsed3);
    Object.assign(reconnect, { read: bob.store.last.itemsRead, written: bob.store.last.itemsWritten, messages: net.queue.length });
    net.queue.length = 0;
  }
  rows.push({
    count,
    messageMs: median(message.ms),
    messageRead: `${message.read} items, ${message.bytesRead} B`,
    messageWritten: `${message.written} items, ${message.bytesWritten} B`,
    blockMs: median(block.ms),
    blockRead: `${block.read} items, ${block.bytesRead} B`,
    reconnectMs: median(reconnect.ms),
    reconnect: `${reconnect.read} read, ${reconnect.written} written, ${reconnect.messages} sent`,
  });
  if (count === 1) {
    // Told apart by key, not by position: the reconnection above drops the unfunded channel, and
    // funding_created re-keys the new channel (its temporary item deleted, its real one added).
    const after = afterMessage!;
    const only = (items: InMemoryManagerStore, prefix: string, keep: (key: string) => boolean): number => {
      const found = [...items.items].filter(([k]) => k.startsWith(prefix) && keep(k));
      if (found.length !== 1) throw new Error(`expected one ${prefix} item, found ${found.length}`);
      return found[0]![1].length;
    };
    sizes = [
      ['item', 'bytes'],
      ['channel (ready)', String(only(after, 'CHANNEL#', (k) => base.items.has(k)))],
      ['channel (accepted, awaiting funding_created)', String(only(base, 'CHANNEL#', (k) => !after.items.has(k)))],
      ['channel (awaiting confirmation)', String(only(after, 'CHANNEL#', (k) => !base.items.has(k)))],
      ['monitor snapshot at open', String(only(after, 'MONITOR#', (k) => !base.items.has(k)))],
      ['manager header (one channel confirming)', String(after.items.get('HEADER')!.length)],
      ['manager header (nothing confirming)', String(base.items.get('HEADER')!.length)],
      ['event (ChannelPending)', String(only(after, 'EVENT#', (k) => !base.items.has(k)))],
      ['monitor update (channel-force-closed)', String(encodeMonitorUpdate(forceClose(new Uint8Array(32), 1n)).length)],
    ];
    const snapshot = [...after.items].find(([k]) => k.startsWith('MONITOR#') && !base.items.has(k))!;
    monitorRead = monitorReadAfter(snapshot[1], 250n);
  }
}
printTable('ChannelManager items (bytes)', sizes);
printTable('A monitor after 250 updates (snapshot every 100)', [
  ['items read', 'bytes read', 'MONITOR items stored'],
  [String(monitorRead.itemsRead), String(monitorRead.bytesRead), String(monitorRead.stored)],
]);
printTable(
  `One input for a node with N ready channels stored (median of ${RUNS}; load + apply + commit, in-memory store)`,
  [
    ['N channels', 'funding_created ms', 'read', 'written', 'one block ms', 'block read', 'reconnect ms', 'reconnect items'],
    ...rows.map((r) => [String(r.count), ms(r.messageMs), r.messageRead, r.messageWritten, ms(r.blockMs), r.blockRead, ms(r.reconnectMs), r.reconnect]),
  ],
);
const first = rows[0]!;
const last = rows.at(-1)!;
console.log(`\nfunding_created at 1,000 vs 1 channel: time x${(last.messageMs / first.messageMs).toFixed(2)}; bytes read ${last.messageRead} vs ${first.messageRead}`);
