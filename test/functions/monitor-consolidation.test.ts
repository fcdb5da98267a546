/**
 * Monitor consolidation over DynamoDB Local, as a handler commits it
 * (functions/runtime/manager-step.ts): the 100th update is written as a
 * snapshot built from the monitor read first (one newest-first Query), the
 * next update deletes what it superseded, and a read stops at the snapshot.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { managerResult, monitorsBefore } from '../../functions/runtime/manager-step.js';
import { toHex } from '../../shared/crypto/index.js';
import type { ManagerChanges, MonitorWrite } from '../../shared/manager/index.js';
import { applyMonitorUpdate, encodeMonitor, encodeMonitorUpdate, type ChannelMonitorUpdate } from '../../shared/monitor/index.js';
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
  const changes = (writes: MonitorWrite[]): ManagerChanges => ({ channels: { put: new Map(), delete: [] }, monitors: { put: writes }, events: [], messages: [], broadcasts: [] });
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
