/**
 * The ChannelManager's stored items (issue 5): the size of a channel item,
 * a monitor snapshot and the manager header at open; and the cost of one
 * message on one channel (funding_created: loads the header and one channel
 * item, writes the re-keyed channel, the monitor, an event, the header) and
 * of one block, and of a reconnection of the peer (its init: its channels
 * loaded, a `channel_reestablish` each), for a node holding 1, 100 and
 * 1,000 and 10,000 ready channels (all but one with other peers), and again
 * for 1, 1,000 and 10,000 channels still confirming (funded, not yet
 * `REORG_SAFE_DEPTH` deep: each has its `CONFIRMING#` index item, and a block
 * reaches them all through follow-up inputs, docs/follow-ups.md); the
 * header's size for each (target: constant), the ratio of one message's cost
 * at 1,000 channels to 1 (target ≤ 1.2×); and what reading a monitor costs
 * after 250 updates (consolidated every 100). Each run starts from the same
 * stored items (an in-memory store standing in for DynamoDB, counting the
 * items and bytes read and written per step). `BENCH_MANAGER_COUNTS`
 * (e.g. `1,10`) and `BENCH_RUNS` make it light (test/bench/run-benches.test.ts).
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
import { outboxMessages } from '../functions/runtime/invocation.js';
import { MAX_OUTBOX_ITEM_BYTES, encodeOutboxRecord } from '../shared/store/index.js';
import { ms, printTable } from './measure.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 41);
const COUNTS = (process.env.BENCH_MANAGER_COUNTS ?? '').split(',').filter((c) => c !== '').map(Number);
const SETS = [
  { label: 'ready', confirming: false, counts: COUNTS.length > 0 ? COUNTS : [1, 100, 1000, 10000] },
  { label: 'confirming', confirming: true, counts: COUNTS.length > 0 ? COUNTS : [1, 1000, 10000] },
] as const;

function copyOf(store: InMemoryManagerStore): InMemoryManagerStore {
  const copy = new InMemoryManagerStore();
  for (const [k, v] of store.items) copy.items.set(k, v);
  return copy;
}

function median(samples: number[]): number {
  return [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

interface Row {
  readonly set: string;
  readonly count: number;
  readonly headerBytes: number;
  readonly indexItems: number;
  readonly followUps: number;
  readonly blockOutboxBytes: number;
  readonly blockRuns: number;
  readonly messageMs: number;
  readonly messageRead: string;
  readonly messageWritten: string;
  readonly blockMs: number;
  readonly blockRead: string;
  readonly reconnectMs: number;
  readonly reconnect: string;
}

function setup(count: number, confirming: boolean): { net: ManagerNetwork; alice: ManagerNode; bob: ManagerNode; created: FundingCreatedMessage } {
  const net = new ManagerNetwork();
  const alice = net.addNode('alice', { config: { minimumDepth: 3 } });
  const bob = net.addNode('bob', { config: { minimumDepth: 3 } });
  net.connect(alice, bob);
  populate(net, alice, bob, count, { confirming });
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
type Setup = ReturnType<typeof setup> & { readonly base: InMemoryManagerStore; readonly count: number };
/** The setups with 1 and 1,000 channels (or the smallest and largest given), kept for the interleaved ratio below. */
const kept = new Map<string, Setup[]>();
for (const set of SETS) for (const count of set.counts) {
  const made = setup(count, set.confirming);
  const { net, alice, bob, created } = made;
  const base = bob.store;
  const keepCounts = set.counts.includes(1) && set.counts.includes(1000) ? [1, 1000] : [Math.min(...set.counts), Math.max(...set.counts)];
  if (keepCounts.includes(count)) kept.set(set.label, [...(kept.get(set.label) ?? []), { ...made, base, count }]);
  // A block reaching thousands of confirming channels makes as many follow-ups: fewer runs.
  const blockRuns = set.confirming && count >= 1000 ? 6 : RUNS + 5;
  const blockWarmup = blockRuns === RUNS + 5 ? 5 : 1;
  let blockOutboxBytes = 0;
  // The block input alone: the chain follow-ups it makes (one per channel it reaches) are counted, not applied.
  net.deferFollowUps = true;
  let followUps = 0;
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
    if (run < blockRuns) {
      const tip = net.blocks[net.height]!;
      // The block's one outbox item as NodeStore.commit would write it (its follow-ups, in the inbound queue's envelopes).
      const store = bob.store;
      const commit = store.commit.bind(store);
      store.commit = (inputId, changes) => {
        blockOutboxBytes = encodeOutboxRecord(outboxMessages(inputId, [], changes.followUps, toHex(bob.nodeId))).length;
        return commit(inputId, changes);
      };
      const start2 = performance.now();
      net.step(bob, { kind: 'chain' }, (m) => m.bestBlockUpdated(tip.header, net.height), `b${run}`);
      const elapsed2 = performance.now() - start2;
      followUps = net.pendingFollowUps.length;
      net.pendingFollowUps.length = 0;
      if (run >= blockWarmup) block.ms.push(elapsed2);
      Object.assign(block, { read: bob.store.last.itemsRead, bytesRead: bob.store.last.bytesRead });
    }
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
    set: set.label,
    count,
    headerBytes: base.items.get('HEADER')!.length,
    indexItems: [...base.items.keys()].filter((k) => k.startsWith('INDEX#')).length,
    followUps,
    blockOutboxBytes,
    blockRuns: block.ms.length,
    messageMs: median(message.ms),
    messageRead: `${message.read} items, ${message.bytesRead} B`,
    messageWritten: `${message.written} items, ${message.bytesWritten} B`,
    blockMs: median(block.ms),
    blockRead: `${block.read} items, ${block.bytesRead} B`,
    reconnectMs: median(reconnect.ms),
    reconnect: `${reconnect.read} read, ${reconnect.written} written, ${reconnect.messages} sent`,
  });
  if (count === 1 && !set.confirming) {
    // Told apart by key, not by position: the reconnection above drops the unfunded channel, and
    // funding_created re-keys the new channel (its temporary item deleted, its real one added).
    const after = afterMessage!;
    const only = (items: InMemoryManagerStore, prefix: string, keep: (key: string) => boolean): number => {
      // A channel's part items (`#fixed`, `#holder`: docs/items.md) are not the item itself.
      const found = [...items.items].filter(([k]) => k.startsWith(prefix) && !/#(fixed|holder)$/.test(k) && keep(k));
      if (found.length !== 1) throw new Error(`expected one ${prefix} item, found ${found.length}`);
      return found[0]![1].length;
    };
    sizes = [
      ['item', 'bytes'],
      ['channel (ready)', String(only(after, 'CHANNEL#', (k) => base.items.has(k)))],
      ['channel (accepted, awaiting funding_created)', String(only(base, 'CHANNEL#', (k) => !after.items.has(k)))],
      ['channel (awaiting confirmation)', String(only(after, 'CHANNEL#', (k) => !base.items.has(k)))],
      ['monitor snapshot at open', String(only(after, 'MONITOR#', (k) => !base.items.has(k)))],
      ['manager header (after funding_created: one channel confirming, none unfunded)', String(after.items.get('HEADER')!.length)],
      ['manager header (one unfunded channel: accepted, awaiting funding_created)', String(base.items.get('HEADER')!.length)],
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
printTable(`The manager header with N channels stored (target: the same size whatever N)`, [
  ['channels', 'N', 'header bytes', 'INDEX# items', 'CONFIRMING# items'],
  ...rows.map((r) => [r.set, String(r.count), String(r.headerBytes), String(r.indexItems), r.set === 'confirming' ? String(r.count) : '0']),
]);
printTable(
  `One input for a node with N channels stored (median of ${RUNS}; load + apply + commit, in-memory store; the block input alone, its follow-ups counted)`,
  [
    ['channels', 'N', 'funding_created ms', 'read', 'written', 'one block ms (runs)', 'block read', 'block follow-ups', 'block outbox item', 'reconnect ms', 'reconnect items'],
    ...rows.map((r) => [
      r.set,
      String(r.count),
      ms(r.messageMs),
      r.messageRead,
      r.messageWritten,
      `${ms(r.blockMs)} (${r.blockRuns})`,
      r.blockRead,
      String(r.followUps),
      `${r.blockOutboxBytes} B${r.blockOutboxBytes > MAX_OUTBOX_ITEM_BYTES ? ' (over the limit)' : ''}`,
      ms(r.reconnectMs),
      r.reconnect,
    ]),
  ],
);
console.log(`\n(an outbox item may hold ${MAX_OUTBOX_ITEM_BYTES} B: MAX_OUTBOX_ITEM_BYTES; the in-memory store does not check it, NodeStore.commit refuses more with commit-too-large)`);

// One message with 1 vs 1,000 channels stored, the two nodes' runs alternating so that a change in load hits both alike.
// The in-memory store finds a prefix's keys (the new channel's monitor items, before its commit) by scanning all its
// keys, where DynamoDB's Query does not: that scan is timed alone, on the same runs, and taken out in the last column.
const ratios: string[][] = [['channels', 'N', 'funding_created ms (interleaved)', 'read', '× of the smallest (target ≤ 1.2×)', 'in-memory key scan ms', '× without the scan']];
for (const [label, setups] of kept) {
  const samples = setups.map(() => [] as number[]);
  const scans = setups.map(() => [] as number[]);
  const reads = setups.map(() => '');
  for (let run = 0; run < RUNS + 5; run++) {
    setups.forEach((s, i) => {
      s.bob.store = copyOf(s.base);
      const start = performance.now();
      s.net.step(s.bob, { kind: 'peer-message', peer: s.alice.nodeId, message: s.created }, (m) => m.handleChannelMessage(s.alice.nodeId, s.created), `r${run}`);
      const elapsed = performance.now() - start;
      s.net.queue.length = 0;
      const scanStart = performance.now();
      if ([...s.bob.store.items.keys()].filter((k) => k.startsWith('MONITOR#ff')).length < 0) throw new Error('unreachable');
      const scan = performance.now() - scanStart;
      if (run >= 5) samples[i]!.push(elapsed);
      if (run >= 5) scans[i]!.push(scan);
      reads[i] = `${s.bob.store.last.itemsRead} items, ${s.bob.store.last.bytesRead} B`;
    });
  }
  const medians = samples.map(median);
  const scanMedians = scans.map(median);
  const without = medians.map((m, i) => m - scanMedians[i]!);
  setups.forEach((s, i) => {
    ratios.push([label, String(s.count), ms(medians[i]!), reads[i]!, `×${(medians[i]! / medians[0]!).toFixed(2)}`, ms(scanMedians[i]!), `×${(without[i]! / without[0]!).toFixed(2)}`]);
  });
}
printTable(`The cost of one message (funding_created) with 1 and 1,000 channels stored (median of ${RUNS}, runs alternating)`, ratios);
