/**
 * Monitor items: a snapshot plus numbered updates, consolidated every N
 * updates (shared/store/monitor-items.ts), through the pure functions and
 * the in-memory store the functional tests use.
 */
import { describe, expect, it } from 'vitest';
import { hexToBytes } from '../../shared/codec/index.js';
import { sha256, toHex } from '../../shared/crypto/index.js';
import { INITIAL_COMMITMENT_INDEX, perCommitmentSecret } from '../../shared/keys/index.js';
import { changesWith, type ManagerChanges, type MonitorWrite } from '../../shared/manager/index.js';
import {
  applyMonitorUpdate,
  counterpartySecretOf,
  decodeJusticeRecord,
  decodeMonitor,
  decodeMonitorUpdate,
  encodeJusticeRecord,
  encodeMonitor,
  encodeMonitorUpdate,
  encodeStoredMonitorUpdate,
  encodeStoredJusticeRecord,
  type ChannelMonitor,
  type CounterpartyCommitmentStep,
  type MonitorHtlc,
  type ChannelMonitorUpdate,
  type MonitorUpdateStep,
} from '../../shared/monitor/index.js';
import {
  InMemoryManagerStore,
  MONITOR_UPDATES_PER_SNAPSHOT,
  SortKey,
  StoreError,
  isMonitorSnapshotKey,
  justiceRecordFromItem,
  managerItemWrites,
  monitorFromItems,
  monitorItemWrites,
  monitorSnapshotKey,
  monitorsToRead,
  supersededBy,
} from '../../shared/store/index.js';
import { openedMonitor } from '../manager/manager-fixture.js';


const initial = openedMonitor();
const ID = toHex(initial.channelId);

/** Update `u`: a force close (broadcast on every 7th) and, on odd ids, an unknown odd step carrying `u`. */
function updateOf(u: bigint): ChannelMonitorUpdate {
  const steps: MonitorUpdateStep[] = [{ kind: 'channel-force-closed', shouldBroadcast: u % 7n === 0n }];
  if (u % 2n === 1n) steps.push({ kind: 'unknown-odd', type: 2n * u + 1n, value: Uint8Array.of(Number(u % 256n)) });
  return { channelId: initial.channelId, updateId: u, steps };
}

function changesOf(monitors: readonly MonitorWrite[]): ManagerChanges {
  return changesWith({ monitors: { put: monitors } });
}

const snapshotWrite = (m: ChannelMonitor): MonitorWrite => ({ channelIdHex: toHex(m.channelId), updateId: 0n, bytes: encodeMonitor(m) });
const updateWrite = (u: bigint): MonitorWrite => ({ channelIdHex: ID, updateId: u, bytes: encodeMonitorUpdate(updateOf(u)) });

/** `initial` with updates 1..n applied one by one. */
function applied(n: bigint, from: ChannelMonitor = initial): ChannelMonitor {
  let m = from;
  for (let u = m.latestUpdateId + 1n; u <= n; u++) {
    const r = applyMonitorUpdate(m, updateOf(u));
    if (!r.ok) throw new Error(r.error);
    m = r.monitor;
  }
  return m;
}

function monitorKeys(store: InMemoryManagerStore): string[] {
  return [...store.items.keys()].filter((sk) => sk.startsWith(SortKey.monitorPrefix(ID))).sort();
}

/** Reads the monitor as a handler would, counting the items read. */
function read(store: InMemoryManagerStore): { monitor: ChannelMonitor | undefined; itemsRead: number } {
  store.last = { itemsRead: 0, bytesRead: 0, itemsWritten: 0, bytesWritten: 0 };
  const monitor = store.readMonitor(ID);
  return { monitor, itemsRead: store.last.itemsRead };
}

describe('keys and plans', () => {
  it('keys a consolidation snapshot after the updates before it and before the next one', () => {
    expect(monitorSnapshotKey(ID, 0n)).toBe(SortKey.monitor(ID, 0n));
    const at200 = monitorSnapshotKey(ID, 200n);
    expect(at200).toBe(`MONITOR#${ID}#00000000000000000200#SNAPSHOT`);
    expect([SortKey.monitor(ID, 201n), at200, SortKey.monitor(ID, 199n), SortKey.monitor(ID, 200n)].sort()).toEqual([
      SortKey.monitor(ID, 199n),
      SortKey.monitor(ID, 200n),
      at200,
      SortKey.monitor(ID, 201n),
    ]);
    expect([SortKey.monitor(ID, 0n), at200].map(isMonitorSnapshotKey)).toEqual([true, true]);
    expect([1n, 10n, 100n, 201n].map((u) => isMonitorSnapshotKey(SortKey.monitor(ID, u)))).toEqual([false, false, false, false]);
  });

  it('spreads the deletes of superseded items over the next N − 1 updates, at most two each', () => {
    expect(MONITOR_UPDATES_PER_SNAPSHOT).toBe(100n);
    for (const u of [1n, 50n, 99n, 100n, 200n]) expect(supersededBy(ID, u)).toEqual([]);
    expect(supersededBy(ID, 101n)).toEqual([SortKey.monitor(ID, 1n), SortKey.monitor(ID, 0n)]);
    expect(supersededBy(ID, 150n)).toEqual([SortKey.monitor(ID, 50n)]);
    expect(supersededBy(ID, 199n)).toEqual([SortKey.monitor(ID, 99n)]);
    expect(supersededBy(ID, 201n)).toEqual([SortKey.monitor(ID, 101n), monitorSnapshotKey(ID, 100n)]);
    // Between two snapshots, every item the earlier one superseded is deleted exactly once.
    const deleted = Array.from({ length: 99 }, (_, j) => supersededBy(ID, 201n + BigInt(j))).flat();
    expect(new Set(deleted).size).toBe(deleted.length);
    expect(deleted.sort()).toEqual([monitorSnapshotKey(ID, 100n), ...Array.from({ length: 99 }, (_, i) => SortKey.monitor(ID, 101n + BigInt(i)))].sort());
  });

  it('reads a monitor first only for an update at a snapshot point with no snapshot before it in the same writes', () => {
    expect(monitorsToRead([updateWrite(99n), updateWrite(100n)])).toEqual([ID]);
    expect(monitorsToRead([updateWrite(101n)])).toEqual([]);
    expect(monitorsToRead([snapshotWrite(applied(0n)), updateWrite(1n)], 1n)).toEqual([]);
  });

  it('writes the monitor with the update applied at a snapshot point, the update itself otherwise', () => {
    const writes = monitorItemWrites([updateWrite(99n), updateWrite(100n), updateWrite(101n)], new Map([[ID, applied(98n)]]));
    expect(writes.map((w) => w.put.sk)).toEqual([SortKey.monitor(ID, 99n), monitorSnapshotKey(ID, 100n), SortKey.monitor(ID, 101n)]);
    expect(decodeMonitor(writes[1]!.put.data)).toEqual({ ok: true, value: applied(100n) });
    expect(writes[2]!.deletes).toEqual(supersededBy(ID, 101n));
  });

  it('refuses a snapshot point without the monitor, an update that does not apply, updates without a snapshot', () => {
    expect(() => monitorItemWrites([updateWrite(100n)])).toThrow(StoreError);
    expect(() => managerItemWrites(changesOf([updateWrite(100n)]))).toThrow(/not read first/);
    expect(() => monitorItemWrites([updateWrite(100n)], new Map([[ID, applied(98n)]]))).toThrow(/does not apply: out-of-order/);
    // Update 99 force-closed the channel: a commitment of ours after it does not apply.
    const holder: ChannelMonitorUpdate = {
      channelId: initial.channelId,
      updateId: 100n,
      steps: [{ kind: 'latest-holder-commitment', commitmentNumber: 1n, counterpartySignature: new Uint8Array(64), commitmentTx: Uint8Array.of(1), htlcSignatures: [], htlcs: [] }],
    };
    expect(() => monitorItemWrites([{ channelIdHex: ID, updateId: 100n, bytes: encodeMonitorUpdate(holder) }], new Map([[ID, applied(99n)]]))).toThrow(/channel-closed/);
    expect(() => monitorFromItems(ID, [{ sk: SortKey.monitor(ID, 3n), data: encodeMonitorUpdate(updateOf(3n)) }])).toThrow(StoreError);
    expect(monitorFromItems(ID, [])).toBeUndefined();
  });
});

describe('the in-memory store', () => {
  it('a monitor past 250 updates reads back whole, equal to applying every update, never reading more than N + 1 items', () => {
    const store = new InMemoryManagerStore();
    const n = MONITOR_UPDATES_PER_SNAPSHOT;
    store.commit('open', changesOf([snapshotWrite(initial)]));
    for (let u = 1n; u <= 250n; u++) {
      store.commit(`update-${u}`, changesOf([updateWrite(u)]));
      const { monitor, itemsRead } = read(store);
      expect(monitor).toEqual(applied(u));
      expect(itemsRead).toBeLessThanOrEqual(Number(n) + 1);
      // Superseded items go with the following updates: at most the current N items plus N − 1 left over.
      expect(monitorKeys(store).length).toBeLessThanOrEqual(2 * Number(n));
    }
    const { monitor, itemsRead } = read(store);
    expect(monitor?.latestUpdateId).toBe(250n);
    expect(monitor?.forceClosed).toEqual({ shouldBroadcast: false });
    expect(itemsRead).toBe(51); // updates 201..250 and the snapshot at 200
    // The snapshots at 100 and 0 and updates 1..150 are gone; 151..199 go with updates 251..299.
    const keys = monitorKeys(store);
    expect(keys).toContain(monitorSnapshotKey(ID, 200n));
    expect(keys).not.toContain(monitorSnapshotKey(ID, 100n));
    expect(keys).not.toContain(monitorSnapshotKey(ID, 0n));
    expect(keys.filter((sk) => !isMonitorSnapshotKey(sk))).toEqual(Array.from({ length: 100 }, (_, i) => SortKey.monitor(ID, 151n + BigInt(i))).filter((sk) => sk !== SortKey.monitor(ID, 200n)));
    expect(decodeMonitor(store.items.get(monitorSnapshotKey(ID, 200n))!)).toEqual({ ok: true, value: applied(200n) });
  });

  it('a commit with several updates crossing a snapshot point, and a restart (clone) in between', () => {
    let store = new InMemoryManagerStore(5n);
    store.commit('open', changesOf([snapshotWrite(initial)]));
    store.commit('1-3', changesOf([updateWrite(1n), updateWrite(2n), updateWrite(3n)]));
    store.commit('4-6', changesOf([updateWrite(4n), updateWrite(5n), updateWrite(6n)]));
    expect(store.items.has(SortKey.monitor(ID, 5n))).toBe(false);
    expect(store.items.has(monitorSnapshotKey(ID, 5n))).toBe(true);
    store = store.clone();
    for (let u = 7n; u <= 23n; u++) store.commit(`u${u}`, changesOf([updateWrite(u)]));
    const { monitor, itemsRead } = read(store);
    expect(monitor).toEqual(applied(23n));
    expect(itemsRead).toBe(4); // 21, 22, 23 and the snapshot at 20
  });

  it('reads the layout of before (snapshot at 0, version 1 updates) and consolidates it', () => {
    // Version 1 bytes, as the encoder before version 2 wrote them (this builder gives test/monitor's fixture for its channel id).
    const v1 = (channelIdHex: string, u: bigint, shouldBroadcast: boolean) =>
      hexToBytes(`010020${channelIdHex}0208${u.toString(16).padStart(16, '0')}0402000${shouldBroadcast ? 1 : 0}`);
    const fixtureId = Array.from({ length: 32 }, (_, i) => (i + 1).toString(16).padStart(2, '0')).join('');
    expect(toHex(v1(fixtureId, 1n, true))).toBe('0100200102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f200208000000000000000104020001');

    const store = new InMemoryManagerStore(3n);
    store.items.set(SortKey.monitor(ID, 0n), encodeMonitor(initial));
    store.items.set(SortKey.monitor(ID, 1n), v1(ID, 1n, false));
    store.items.set(SortKey.monitor(ID, 2n), v1(ID, 2n, true));
    const expected = (() => {
      const a = applyMonitorUpdate(initial, { channelId: initial.channelId, updateId: 1n, steps: [{ kind: 'channel-force-closed', shouldBroadcast: false }] });
      if (!a.ok) throw new Error(a.error);
      const b = applyMonitorUpdate(a.monitor, { channelId: initial.channelId, updateId: 2n, steps: [{ kind: 'channel-force-closed', shouldBroadcast: true }] });
      if (!b.ok) throw new Error(b.error);
      return b.monitor;
    })();
    expect(read(store)).toEqual({ monitor: expected, itemsRead: 3 });
    store.commit('u3', changesOf([updateWrite(3n)]));
    const consolidated = store.items.get(monitorSnapshotKey(ID, 3n));
    expect(consolidated && decodeMonitor(consolidated)).toEqual({ ok: true, value: applied(3n, expected) });
    store.commit('u4', changesOf([updateWrite(4n)]));
    expect(read(store)).toEqual({ monitor: applied(4n, expected), itemsRead: 2 });
    expect(monitorKeys(store)).toEqual([SortKey.monitor(ID, 2n), monitorSnapshotKey(ID, 3n), SortKey.monitor(ID, 4n)]);
  });
});

/** Counterparty commitment `n` of the justice tests: 30 HTLCs, the last 5 trimmed. */
function commitmentStep(n: bigint, count = 30): CounterpartyCommitmentStep {
  const htlcs: MonitorHtlc[] = Array.from({ length: count }, (_, i) => ({
    offered: i % 3 === 0,
    amountMsat: 1_000n * n + BigInt(i),
    cltvExpiry: 800_000 + Number(n) + i,
    paymentHash: Uint8Array.from({ length: 32 }, (_, b) => (Number(n) * 31 + i * 7 + b) % 256),
    ...(i < count - 5 ? { transactionOutputIndex: i + 2 } : {}),
  }));
  return {
    kind: 'latest-counterparty-commitment',
    commitmentNumber: n,
    commitmentTxid: new Uint8Array(32).fill(Number(n % 256n)),
    perCommitmentPoint: Uint8Array.of(2, ...new Uint8Array(32).fill(Number(n % 255n) + 1)),
    htlcs,
    feeratePerKw: 253 + Number(n),
    toBroadcasterValueSat: 500_000n - n,
    toCountersignatoryValueSat: 400_000n + n,
  };
}

/** Update `u`, carrying counterparty commitment `u`. */
function justiceUpdate(u: bigint): ChannelMonitorUpdate {
  return { channelId: initial.channelId, updateId: u, steps: [commitmentStep(u)] };
}
const justiceWrite = (u: bigint): MonitorWrite => ({ channelIdHex: ID, updateId: u, bytes: encodeMonitorUpdate(justiceUpdate(u)) });

describe('justice records', () => {
  it('keys them apart from every MONITOR# query, in commitment order', () => {
    const sk = SortKey.monitorHtlcs(ID, 3n);
    expect(sk).toBe(`MONITOR_HTLCS#${ID}#00000000000000000003`);
    expect(sk.startsWith(SortKey.monitorPrefix(ID))).toBe(false);
    expect(sk.startsWith('MONITOR#')).toBe(false);
    expect(sk.startsWith(SortKey.monitorHtlcsPrefix(ID))).toBe(true);
    expect([SortKey.monitorHtlcs(ID, 10n), SortKey.monitorHtlcs(ID, 9n)].sort()).toEqual([SortKey.monitorHtlcs(ID, 9n), SortKey.monitorHtlcs(ID, 10n)]);
  });

  it('writes the HTLC set to its own item and a summary in the update, in the same writes', () => {
    const [w] = monitorItemWrites([justiceWrite(3n)]);
    expect(w!.put.sk).toBe(SortKey.monitor(ID, 3n));
    const kept = decodeMonitorUpdate(w!.put.data, initial.channelId);
    const { kind: _kind, htlcs: _htlcs, feeratePerKw: _f, toBroadcasterValueSat: _b, toCountersignatoryValueSat: _c, ...ref } = commitmentStep(3n);
    expect(kept).toEqual({ ok: true, value: { channelId: initial.channelId, updateId: 3n, steps: [{ kind: 'latest-counterparty-commitment-summary', ...ref }] } });
    expect(w!.put.data.length).toBeLessThan(200); // 30 HTLCs are about 1,800 bytes: not here
    expect(w!.justice.map((j) => j.sk)).toEqual([SortKey.monitorHtlcs(ID, 3n)]);
    const { kind: _k, ...detail } = commitmentStep(3n);
    expect(decodeJusticeRecord(w!.justice[0]!.data, { channelId: initial.channelId, commitmentNumber: 3n })).toEqual({ ok: true, value: { channelId: initial.channelId, ...detail } });
    expect(justiceRecordFromItem(ID, 3n, w!.justice[0]!.data)).toEqual({ channelId: initial.channelId, ...detail });
    // Stored without the channel id and the number (the key names them): 44 bytes fewer than the record written whole (before), which reads the same.
    const whole = encodeJusticeRecord({ channelId: initial.channelId, ...detail });
    expect(w!.justice[0]!.data.length).toBe(whole.length - 44);
    expect(justiceRecordFromItem(ID, 3n, whole)).toEqual({ channelId: initial.channelId, ...detail });
    expect(decodeJusticeRecord(w!.justice[0]!.data)).toMatchObject({ ok: false });
    // managerItemWrites puts both.
    expect(managerItemWrites(changesOf([justiceWrite(3n)])).puts.map((p) => p.sk)).toEqual([SortKey.monitor(ID, 3n), SortKey.monitorHtlcs(ID, 3n)]);
    // An update without a counterparty commitment is stored as it came but for the channel id (its key names it), with no record.
    const [plain] = monitorItemWrites([updateWrite(5n)]);
    expect(plain).toEqual({ put: { sk: SortKey.monitor(ID, 5n), data: encodeStoredMonitorUpdate(updateOf(5n)) }, justice: [], deletes: [] });
    expect(plain!.put.data.length).toBe(encodeMonitorUpdate(updateOf(5n)).length - 34);
    expect(decodeMonitorUpdate(plain!.put.data)).toMatchObject({ ok: false });
    expect(decodeMonitorUpdate(plain!.put.data, initial.channelId)).toEqual({ ok: true, value: updateOf(5n) });
    expect(decodeMonitorUpdate(plain!.put.data, new Uint8Array(32).fill(1))).toEqual({ ok: true, value: { ...updateOf(5n), channelId: new Uint8Array(32).fill(1) } });
    // An update item written with its channel id (before) reads as before; one naming another channel than its key is refused.
    expect(decodeMonitorUpdate(encodeMonitorUpdate(updateOf(5n)), initial.channelId)).toEqual({ ok: true, value: updateOf(5n) });
    expect(decodeMonitorUpdate(encodeMonitorUpdate(updateOf(5n)), new Uint8Array(32).fill(1))).toMatchObject({ ok: false });
  });

  it('writes the record of an update at a snapshot point too, and the snapshot keeps only the latest two commitments', () => {
    let before = initial;
    for (let u = 1n; u <= 99n; u++) {
      const r = applyMonitorUpdate(before, justiceUpdate(u));
      if (!r.ok) throw new Error(r.error);
      before = r.monitor;
    }
    const [w] = monitorItemWrites([justiceWrite(100n)], new Map([[ID, before]]));
    expect(w!.put.sk).toBe(monitorSnapshotKey(ID, 100n));
    expect(w!.justice.map((j) => j.sk)).toEqual([SortKey.monitorHtlcs(ID, 100n)]);
    const snapshot = decodeMonitor(w!.put.data);
    if (!snapshot.ok) throw snapshot.error;
    expect(snapshot.value.latestCounterpartyCommitment?.commitmentNumber).toBe(100n);
    expect(snapshot.value.previousCounterpartyCommitment?.commitmentNumber).toBe(99n);
  });

  it('refuses a commitment given twice in one commit, and a record read under another key', () => {
    const twice = { channelId: initial.channelId, updateId: 4n, steps: [commitmentStep(4n), commitmentStep(4n)] };
    expect(() => monitorItemWrites([{ channelIdHex: ID, updateId: 4n, bytes: encodeMonitorUpdate(twice) }])).toThrow(/given twice/);
    const data = encodeJusticeRecord({ channelId: initial.channelId, ...commitmentStep(4n) });
    expect(() => justiceRecordFromItem(ID, 5n, data)).toThrow(StoreError);
    expect(() => justiceRecordFromItem('00'.repeat(32), 4n, data)).toThrow(/another channel/);
    const stored = encodeStoredJusticeRecord({ channelId: initial.channelId, ...commitmentStep(4n) });
    expect(justiceRecordFromItem('00'.repeat(32), 5n, stored)).toMatchObject({ channelId: new Uint8Array(32), commitmentNumber: 5n });
    expect(() => justiceRecordFromItem(ID, 4n, Uint8Array.of(1, 0))).toThrow(StoreError);
    expect(justiceRecordFromItem(ID, 4n, undefined)).toBeUndefined();
  });

  it('in the in-memory store: 250 commitments of 30 HTLCs, any one read in one item, the monitor in at most N, snapshots of one size', () => {
    const store = new InMemoryManagerStore();
    store.commit('open', changesOf([snapshotWrite(initial)]));
    const snapshotSizes = new Map<bigint, number>();
    for (let u = 1n; u <= 250n; u++) {
      store.commit(`u${u}`, changesOf([justiceWrite(u)]));
      if (u % 100n === 0n) snapshotSizes.set(u, store.items.get(monitorSnapshotKey(ID, u))!.length);
    }
    expect(snapshotSizes.get(200n)).toBe(snapshotSizes.get(100n));
    expect(snapshotSizes.get(100n)).toBe(encodeMonitor(initial).length + 2 * (2 + 8 + 32 + 33));

    store.last = { itemsRead: 0, bytesRead: 0, itemsWritten: 0, bytesWritten: 0 };
    const { kind: _k, ...three } = commitmentStep(3n);
    expect(store.counterpartyHtlcs(ID, 3n)).toEqual({ channelId: initial.channelId, ...three });
    expect(store.last.itemsRead).toBe(1);
    expect(store.counterpartyHtlcs(ID, 251n)).toBeUndefined();

    const { monitor, itemsRead } = read(store);
    expect(itemsRead).toBeLessThanOrEqual(Number(MONITOR_UPDATES_PER_SNAPSHOT));
    expect(monitor?.latestCounterpartyCommitment?.commitmentNumber).toBe(250n);
    expect(monitor?.previousCounterpartyCommitment?.commitmentNumber).toBe(249n);
    expect([...store.items.keys()].filter((sk) => sk.startsWith(SortKey.monitorHtlcsPrefix(ID)))).toHaveLength(250);
  });
});

/**
 * Update `u` of a channel with payments: our commitments (each holding the
 * HTLCs of the last 6 payments), the counterparty's, its secrets in order,
 * the preimages of earlier payments; some updates carry two steps.
 */
function paymentUpdate(u: bigint): ChannelMonitorUpdate {
  const label = (k: bigint): Uint8Array => Uint8Array.from({ length: 32 }, (_, b) => Number((k * 13n + BigInt(b)) % 256n));
  const htlcsAt = (k: bigint): MonitorHtlc[] =>
    Array.from({ length: 6 }, (_, i) => k - BigInt(i)).filter((p) => p > 0n).map((p, i) => ({
      offered: p % 2n === 0n,
      amountMsat: 1_000_000n + p,
      cltvExpiry: 800_000 + Number(p),
      paymentHash: sha256(label(p)),
      ...(i < 4 ? { transactionOutputIndex: i } : {}),
    }));
  const holder = (k: bigint): MonitorUpdateStep => {
    const htlcs = htlcsAt(k);
    return {
      kind: 'latest-holder-commitment',
      commitmentNumber: k,
      counterpartySignature: new Uint8Array(64).fill(Number(k % 256n)),
      commitmentTx: Uint8Array.of(2, 0, 0, 0, ...new Uint8Array(8).fill(Number(k % 256n))),
      htlcSignatures: htlcs.filter((h) => h.transactionOutputIndex !== undefined).map((_, i) => new Uint8Array(64).fill(i + 1)),
      htlcs,
    };
  };
  // Per 5 updates: 2 holder commitments, 2 counterparty commitments, 1 secret, 1 preimage.
  const round = (u - 1n) / 5n;
  const steps: MonitorUpdateStep[] = [];
  switch (u % 5n) {
    case 1n:
      steps.push(holder(2n * round + 1n));
      break;
    case 2n:
      steps.push({ ...commitmentStep(2n * round + 1n, 6) });
      break;
    case 3n:
      steps.push({ kind: 'commitment-secret', index: INITIAL_COMMITMENT_INDEX - round, secret: perCommitmentSecret(SECRETS_SEED, INITIAL_COMMITMENT_INDEX - round) });
      break;
    case 4n:
      steps.push({ kind: 'payment-preimage', paymentPreimage: label(2n * round + 1n) });
      break;
    default:
      steps.push(holder(2n * round + 2n), commitmentStep(2n * round + 2n, 6));
  }
  return { channelId: initial.channelId, updateId: u, steps };
}
const SECRETS_SEED = new Uint8Array(32).fill(9);

describe('payment steps through consolidation', () => {
  it('250 updates of mixed steps (some commits with several, across snapshot points) read back whole, equal to applying them all in memory', () => {
    const store = new InMemoryManagerStore();
    store.commit('open', changesOf([snapshotWrite(initial)]));
    let expected = initial;
    const snapshots = new Map<bigint, Uint8Array>();
    const batches: bigint[][] = [];
    for (let u = 1n; u <= 250n; ) {
      // Updates 98..101 and 199..201 in one commit each: the snapshot is made from the monitor read before it.
      const size = u === 98n ? 4 : u === 199n ? 3 : 1;
      batches.push(Array.from({ length: size }, (_, i) => u + BigInt(i)));
      u += BigInt(size);
    }
    for (const batch of batches) {
      const updates = batch.map(paymentUpdate);
      for (const update of updates) {
        const r = applyMonitorUpdate(expected, update);
        if (!r.ok) throw new Error(`update ${update.updateId}: ${r.error}`);
        expected = r.monitor;
      }
      store.commit(`u${batch[0]}`, changesOf(updates.map((update) => ({ channelIdHex: ID, updateId: update.updateId, bytes: encodeMonitorUpdate(update) }))));
      const { monitor, itemsRead } = read(store);
      expect(monitor).toEqual(expected);
      expect(itemsRead).toBeLessThanOrEqual(Number(MONITOR_UPDATES_PER_SNAPSHOT) + 1);
      for (const k of [100n, 200n]) if (batch.includes(k)) snapshots.set(k, store.items.get(monitorSnapshotKey(ID, k))!);
    }
    // The snapshots hold the payment state, and do not grow with it.
    const at100 = decodeMonitor(snapshots.get(100n)!);
    const at200 = decodeMonitor(snapshots.get(200n)!);
    if (!at100.ok || !at200.ok) throw new Error('a snapshot does not decode');
    expect(at200.value.holderCommitmentNumber).toBe(80n);
    expect(at200.value.holderHtlcs).toHaveLength(6);
    expect(at200.value.holderHtlcSignatures).toHaveLength(4);
    expect(at200.value.previousHolderCommitment?.commitmentNumber).toBe(79n);
    expect(counterpartySecretOf(at200.value, INITIAL_COMMITMENT_INDEX - 5n)).toEqual(perCommitmentSecret(SECRETS_SEED, INITIAL_COMMITMENT_INDEX - 5n));
    expect(at200.value.paymentPreimages.length).toBeGreaterThan(0);
    expect(at200.value.paymentPreimages.length).toBeLessThanOrEqual(7);
    expect(at100.value.latestUpdateId).toBe(100n);
    expect(Math.abs(snapshots.get(200n)!.length - snapshots.get(100n)!.length)).toBeLessThanOrEqual(2 * 40 + 32);
    const { monitor } = read(store);
    expect(monitor?.latestUpdateId).toBe(250n);
    expect(monitor?.holderCommitmentNumber).toBe(100n);
    expect(monitor?.latestCounterpartyCommitment?.commitmentNumber).toBe(100n);
    expect([...store.items.keys()].filter((sk) => sk.startsWith(SortKey.monitorHtlcsPrefix(ID)))).toHaveLength(100);
  });
});
