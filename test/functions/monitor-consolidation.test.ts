/**
 * Monitor consolidation over DynamoDB Local, as a handler commits it
 * (functions/runtime/manager-step.ts): the 100th update is written as a
 * snapshot built from the monitor read first (one newest-first Query), the
 * next update deletes what it superseded, and a read stops at the snapshot.
 * And justice records: each counterparty commitment's HTLC set in an item
 * of its own, read back by commitment number however old.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { managerResult, monitorsBefore } from '../../functions/runtime/manager-step.js';
import { toHex } from '../../shared/crypto/index.js';
import { changesWith, type ManagerChanges, type MonitorWrite } from '../../shared/manager/index.js';
import {
  applyMonitorUpdate,
  encodeMonitor,
  encodeMonitorUpdate,
  type ChannelMonitor,
  type ChannelMonitorUpdate,
  type CounterpartyCommitmentStep,
  type MonitorHtlc,
} from '../../shared/monitor/index.js';
import { MONITOR_UPDATES_PER_SNAPSHOT, NodeStore, SortKey, ensureNodeTable, monitorFromItems, monitorSnapshotKey } from '../../shared/store/index.js';
import { openedMonitor } from '../manager/manager-fixture.js';

let client: DynamoDBClient;
const tableName = `monitor-test-${randomUUID()}`;
beforeAll(async () => {
  client = localDynamoClient(inject('dynamoEndpoint'));
  await ensureNodeTable(client, tableName);
});
afterAll(() => client.destroy());


it('writes the 100th update as a snapshot, deletes what it superseded after, and reads at most N + 1 items', async () => {
  const initial = openedMonitor();
  const id = toHex(initial.channelId);
  const updateOf = (u: bigint): ChannelMonitorUpdate => ({ channelId: initial.channelId, updateId: u, steps: [{ kind: 'channel-force-closed', shouldBroadcast: u % 3n === 0n }] });
  const write = (u: bigint): MonitorWrite => ({ channelIdHex: id, updateId: u, bytes: u === 0n ? encodeMonitor(initial) : encodeMonitorUpdate(updateOf(u)) });
  const changes = (writes: MonitorWrite[]): ManagerChanges => changesWith({ monitors: { put: writes } });
  let expected = initial;
  const ctx = { nodeKey: randomUUID() };
  const store = new NodeStore({ client, tableName });
  const lease = await store.acquireLease(ctx.nodeKey, 'test', 60_000);
  const commit = async (writes: MonitorWrite[]) => {
    const c = changes(writes);
    const result = managerResult(c, undefined, await monitorsBefore(ctx, store, c));
    await store.commit(lease, { puts: result.puts, deletes: result.deletes });
    for (const w of writes) {
      if (w.updateId === 0n) continue;
      const applied = applyMonitorUpdate(expected, updateOf(w.updateId));
      if (!applied.ok) throw new Error(applied.error);
      expected = applied.monitor;
    }
    return result;
  };
  await commit([write(0n), ...Array.from({ length: 49 }, (_, i) => write(BigInt(i + 1)))]);
  await commit(Array.from({ length: 50 }, (_, i) => write(BigInt(i + 50))));
  const at100 = await commit([write(100n)]);
  expect(at100.puts.map((p) => p.sk)).toEqual([monitorSnapshotKey(id, 100n)]);
  const at101 = await commit([write(101n)]);
  expect(at101.deletes).toEqual([SortKey.monitor(id, 1n), SortKey.monitor(id, 0n)]);

  const n = Number(MONITOR_UPDATES_PER_SNAPSHOT);
  const items = await store.query(ctx.nodeKey, SortKey.monitorPrefix(id), n + 1, 'newest-first');
  const read = monitorFromItems(id, items);
  expect(read).toEqual({ monitor: expected, itemsUsed: 2 });
  expect(read?.monitor.latestUpdateId).toBe(101n);
  const all = await store.query(ctx.nodeKey, SortKey.monitorPrefix(id));
  expect(all.map((i) => i.sk)).toEqual([...Array.from({ length: 98 }, (_, i) => SortKey.monitor(id, BigInt(i + 2))), monitorSnapshotKey(id, 100n), SortKey.monitor(id, 101n)]);
});

it('250 counterparty commitments of 30 HTLCs: any one read back in one GetItem, the monitor in at most N items, snapshots that do not grow', async () => {
  const initial = openedMonitor();
  const id = toHex(initial.channelId);
  const n = Number(MONITOR_UPDATES_PER_SNAPSHOT);
  const commitment = (c: bigint): CounterpartyCommitmentStep => ({
    kind: 'latest-counterparty-commitment',
    commitmentNumber: c,
    commitmentTxid: Uint8Array.from({ length: 32 }, (_, b) => (Number(c) + b) % 256),
    perCommitmentPoint: Uint8Array.of(3, ...Uint8Array.from({ length: 32 }, (_, b) => (Number(c) * 3 + b) % 256)),
    htlcs: Array.from({ length: 30 }, (_, i): MonitorHtlc => ({
      offered: i % 2 === 1,
      amountMsat: 10_000n * c + BigInt(i),
      cltvExpiry: 900_000 + Number(c) * 2 + i,
      paymentHash: Uint8Array.from({ length: 32 }, (_, b) => (Number(c) * 17 + i * 5 + b) % 256),
      ...(i % 6 === 5 ? {} : { transactionOutputIndex: i }),
    })),
    feeratePerKw: 1000 + Number(c),
    toBroadcasterValueSat: 600_000n - c,
    toCountersignatoryValueSat: 300_000n + c,
  });
  const updateOf = (u: bigint): ChannelMonitorUpdate => ({ channelId: initial.channelId, updateId: u, steps: [commitment(u)] });
  const write = (u: bigint): MonitorWrite => ({ channelIdHex: id, updateId: u, bytes: u === 0n ? encodeMonitor(initial) : encodeMonitorUpdate(updateOf(u)) });
  const changes = (writes: MonitorWrite[]): ManagerChanges => changesWith({ monitors: { put: writes } });
  const ctx = { nodeKey: randomUUID() };
  const store = new NodeStore({ client, tableName });
  const lease = await store.acquireLease(ctx.nodeKey, 'test', 60_000);
  let expected: ChannelMonitor = initial;
  const snapshotSizes = new Map<bigint, number>();

  await store.commit(lease, { puts: managerResult(changes([write(0n)])).puts });
  // Ten updates a commit (each puts its update and its justice record, and deletes up to two superseded items).
  for (let first = 1n; first <= 250n; first += 10n) {
    const writes = Array.from({ length: 10 }, (_, i) => write(first + BigInt(i)));
    const c = changes(writes);
    const result = managerResult(c, undefined, await monitorsBefore(ctx, store, c));
    expect(result.puts.filter((p) => p.sk.startsWith(SortKey.monitorHtlcsPrefix(id)))).toHaveLength(10);
    await store.commit(lease, { puts: result.puts, deletes: result.deletes });
    for (const w of writes) {
      const applied = applyMonitorUpdate(expected, updateOf(w.updateId));
      if (!applied.ok) throw new Error(applied.error);
      expected = applied.monitor;
      if (w.updateId % MONITOR_UPDATES_PER_SNAPSHOT === 0n) {
        const snapshot = await store.get(ctx.nodeKey, monitorSnapshotKey(id, w.updateId));
        snapshotSizes.set(w.updateId, snapshot?.length ?? -1);
      }
    }
  }

  // The snapshots at 100 and 200 are the same size: two commitments' number, txid and point, not 100 or 200 HTLC sets.
  expect(snapshotSizes.get(100n)).toBe(encodeMonitor(initial).length + 2 * (2 + 8 + 32 + 33));
  expect(snapshotSizes.get(200n)).toBe(snapshotSizes.get(100n));

  // Commitment 3's HTLC set, exactly, in one GetItem (its update and the snapshots around it are long gone).
  let commands = 0;
  client.middlewareStack.add((next) => (args) => {
    commands++;
    return next(args);
  }, { step: 'initialize', name: 'countCommands' });
  const three = await store.counterpartyHtlcs(ctx.nodeKey, id, 3n);
  client.middlewareStack.remove('countCommands');
  expect(commands).toBe(1);
  const { kind: _kind, ...detail } = commitment(3n);
  expect(three).toEqual({ channelId: initial.channelId, ...detail });
  expect(await store.get(ctx.nodeKey, SortKey.monitor(id, 3n))).toBeUndefined();
  expect(await store.counterpartyHtlcs(ctx.nodeKey, id, 251n)).toBeUndefined();

  // The monitor read whole from at most N items (newest first, Limit N): updates 201..250 and the snapshot at 200.
  const items = await store.query(ctx.nodeKey, SortKey.monitorPrefix(id), n, 'newest-first');
  expect(items.length).toBeLessThanOrEqual(n);
  expect(items.some((i) => i.sk.startsWith('MONITOR_HTLCS#'))).toBe(false);
  const read = monitorFromItems(id, items);
  expect(read).toEqual({ monitor: expected, itemsUsed: 51 });
  expect(read?.monitor.latestCounterpartyCommitment?.commitmentNumber).toBe(250n);
  expect(read?.monitor.previousCounterpartyCommitment?.commitmentNumber).toBe(249n);
  // One justice record per commitment, kept (the part that grows with history).
  expect(await store.query(ctx.nodeKey, SortKey.monitorHtlcsPrefix(id))).toHaveLength(250);
});
