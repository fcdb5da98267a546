/**
 * Our commitments in the monitor items (docs/items.md "Bytes per HTLC"):
 * the store keeps a `latest-holder-commitment` step as its summary (the
 * txid instead of the transaction and the counterparty's signature: the
 * channel's `#holder` part holds the transaction), and a monitor read from
 * the items knows our commitment by that txid. Update items written whole
 * (before the summary) read as before.
 */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../shared/crypto/index.js';
import {
  applyMonitorUpdate,
  classifyFundingSpend,
  decodeMonitor,
  decodeMonitorUpdate,
  encodeMonitor,
  encodeMonitorUpdate,
  holderCommitmentTxidOf,
  type ChannelMonitor,
  type ChannelMonitorUpdate,
  type HolderCommitmentStep,
} from '../../shared/monitor/index.js';
import { SortKey, monitorFromItems, monitorItemWrites, monitorSnapshotKey } from '../../shared/store/index.js';
import { openedMonitor } from '../manager/manager-fixture.js';

const initial = openedMonitor();
const ID = toHex(initial.channelId);

/** Our commitment `n`: a real transaction (the one at open, its locktime changed so each has its own txid). */
function commitmentTx(n: bigint): Uint8Array {
  const tx = Transaction.fromBuffer(initial.holderCommitmentTx! as Buffer);
  tx.locktime = (tx.locktime & 0xff000000) | Number(n);
  return Uint8Array.from(tx.toBuffer());
}

function holderStep(n: bigint): HolderCommitmentStep {
  const hash = new Uint8Array(32).fill(Number(n));
  return {
    kind: 'latest-holder-commitment',
    commitmentNumber: n,
    counterpartySignature: new Uint8Array(64).fill(7),
    commitmentTx: commitmentTx(n),
    htlcSignatures: [new Uint8Array(64).fill(9)],
    htlcs: [{ offered: true, amountMsat: 10_000_000n, cltvExpiry: 800_000, paymentHash: hash, transactionOutputIndex: 2 }],
  };
}

const updateOf = (u: bigint): ChannelMonitorUpdate => ({ channelId: initial.channelId, updateId: u, steps: [holderStep(u)] });
const txidOf = (tx: Uint8Array): string => toHex(Transaction.fromBuffer(tx as Buffer).getHash());

describe('our commitment in the update items', () => {
  it('is kept as its txid, HTLC signatures and HTLCs: smaller by the transaction and the signature', () => {
    const whole = encodeMonitorUpdate(updateOf(1n));
    const [write] = monitorItemWrites([{ channelIdHex: ID, updateId: 1n, bytes: whole }]);
    const kept = decodeMonitorUpdate(write!.put.data, initial.channelId);
    if (!kept.ok) throw kept.error;
    const step = holderStep(1n);
    expect(kept.value.steps).toEqual([
      { kind: 'latest-holder-commitment-summary', commitmentNumber: 1n, commitmentTxid: new Uint8Array(Transaction.fromBuffer(step.commitmentTx as Buffer).getHash()), htlcSignatures: step.htlcSignatures, htlcs: step.htlcs },
    ]);
    expect(whole.length - write!.put.data.length).toBeGreaterThanOrEqual(step.commitmentTx.length + 64 - 32);
  });

  it('a monitor read from the items knows our latest commitment by its txid, and tells it from theirs on chain', () => {
    const items = [{ sk: monitorSnapshotKey(ID, 0n), data: encodeMonitor(initial) }];
    for (const u of [1n, 2n, 3n]) {
      const [w] = monitorItemWrites([{ channelIdHex: ID, updateId: u, bytes: encodeMonitorUpdate(updateOf(u)) }]);
      items.push({ sk: w!.put.sk, data: w!.put.data });
    }
    const read = monitorFromItems(ID, [...items].reverse());
    if (read === undefined) throw new Error('no monitor');
    // Applied whole in memory: the same monitor but for the transaction, known by its txid.
    let inMemory: ChannelMonitor = initial;
    for (const u of [1n, 2n, 3n]) {
      const r = applyMonitorUpdate(inMemory, updateOf(u));
      if (!r.ok) throw new Error(r.error);
      inMemory = r.monitor;
    }
    const { holderCommitmentTx, counterpartySignature, ...rest } = inMemory;
    expect(read.monitor).toEqual({ ...rest, holderCommitmentTxid: new Uint8Array(Transaction.fromBuffer(holderCommitmentTx! as Buffer).getHash()) });
    expect(counterpartySignature).toBeDefined();
    expect(toHex(holderCommitmentTxidOf(read.monitor))).toBe(txidOf(commitmentTx(3n)));
    expect(toHex(holderCommitmentTxidOf(read.monitor))).toBe(toHex(holderCommitmentTxidOf(inMemory)));
    const onChain = Transaction.fromBuffer(commitmentTx(3n) as Buffer);
    expect(classifyFundingSpend(read.monitor, onChain)).toEqual(classifyFundingSpend(inMemory, onChain));
    expect(classifyFundingSpend(read.monitor, onChain).kind).toBe('holder-commitment');
    // A force close of a monitor read back broadcasts nothing itself: the manager broadcasts the channel's transaction.
    const closed = applyMonitorUpdate(read.monitor, { channelId: initial.channelId, updateId: 4n, steps: [{ kind: 'channel-force-closed', shouldBroadcast: true }] });
    expect(closed).toMatchObject({ ok: true, broadcasts: [] });
  });

  it('a snapshot of such a monitor holds the txid (TLV 48) instead of the transaction, and reads back equal', () => {
    const applied = applyMonitorUpdate(initial, { channelId: initial.channelId, updateId: 1n, steps: [{ ...holderStep(1n), kind: 'latest-holder-commitment' }] });
    if (!applied.ok) throw new Error(applied.error);
    const [w] = monitorItemWrites([{ channelIdHex: ID, updateId: 1n, bytes: encodeMonitorUpdate(updateOf(1n)) }]);
    const summary = decodeMonitorUpdate(w!.put.data, initial.channelId);
    if (!summary.ok) throw summary.error;
    const fromSummary = applyMonitorUpdate(initial, summary.value);
    if (!fromSummary.ok) throw new Error(fromSummary.error);
    const bytes = encodeMonitor(fromSummary.monitor);
    expect(bytes.length).toBeLessThan(encodeMonitor(applied.monitor).length);
    expect(decodeMonitor(bytes)).toEqual({ ok: true, value: fromSummary.monitor });
    expect(fromSummary.monitor.holderCommitmentTx).toBeUndefined();
    expect(toHex(fromSummary.monitor.holderCommitmentTxid!)).toBe(txidOf(commitmentTx(1n)));
  });

  it('an update item written whole (before the summary) reads and applies as before', () => {
    const whole = encodeMonitorUpdate(updateOf(1n));
    const items = [
      { sk: SortKey.monitor(ID, 1n), data: whole },
      { sk: monitorSnapshotKey(ID, 0n), data: encodeMonitor(initial) },
    ];
    const read = monitorFromItems(ID, items);
    const r = applyMonitorUpdate(initial, updateOf(1n));
    if (!r.ok) throw new Error(r.error);
    expect(read?.monitor).toEqual(r.monitor);
    expect(read?.monitor.holderCommitmentTx).toEqual(commitmentTx(1n));
  });

  it('a step whose bytes hold no transaction is kept whole', () => {
    const update: ChannelMonitorUpdate = { channelId: initial.channelId, updateId: 1n, steps: [{ ...holderStep(1n), commitmentTx: Uint8Array.of(1, 2, 3) }] };
    const [w] = monitorItemWrites([{ channelIdHex: ID, updateId: 1n, bytes: encodeMonitorUpdate(update) }]);
    expect(decodeMonitorUpdate(w!.put.data, initial.channelId)).toEqual({ ok: true, value: update });
  });
});
