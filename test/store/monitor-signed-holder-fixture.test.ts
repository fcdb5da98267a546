/**
 * Our commitment signed only when broadcast (session 12, docs/payments.md
 * "Holder commitment signed at broadcast"): `commitment_signed` no longer
 * makes our signature for the monitor; its step names the commitment by
 * txid (`latest-holder-commitment-summary`) and a force close signs the
 * channel's commitment then. Checked against monitor items the code before
 * wrote (test/vectors/monitor-signed-holder-commitment-session12.json: a
 * `latest-holder-commitment` step and a snapshot holding the commitment
 * with both signatures, TLV 22 and 24), for both channel types:
 * - those items still read, re-encode byte for byte, and their transaction
 *   is valid on chain and broadcast by a force close of that monitor;
 * - the same dance today writes the same update item (the store kept the
 *   summary already) and broadcasts, on a force close, that very transaction
 *   byte for byte, valid by bitcore's interpreter.
 */
import { readFileSync } from 'node:fs';
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import {
  applyMonitorUpdate,
  channelMonitorFrom,
  decodeMonitor,
  decodeMonitorUpdate,
  encodeMonitor,
  encodeMonitorUpdate,
  holderCommitmentTxidOf,
  type ChannelMonitor,
} from '../../shared/monitor/index.js';
import { SortKey, monitorFromItems, monitorItemWrites, monitorSnapshotKey } from '../../shared/store/index.js';
import { verifyInput } from '../support/interpreter.js';
import { broadcastCommitment, commit, deliverAll, offer, readyPair } from '../support/ready-pair.js';

interface FixtureItem {
  readonly channelType: string;
  readonly anchors: boolean;
  readonly stepKinds: readonly string[];
  readonly snapshot0: string;
  readonly updates: readonly string[];
  readonly snapshot: string;
  readonly holderCommitmentTx: string;
}

const vector = JSON.parse(readFileSync(new URL('../vectors/monitor-signed-holder-commitment-session12.json', import.meta.url), 'utf8')) as { items: FixtureItem[] };

const decoded = (hex: string): ChannelMonitor => {
  const r = decodeMonitor(fromHex(hex));
  if (!r.ok) throw r.error;
  return r.value;
};

const forceClosed = (m: ChannelMonitor) => {
  const r = applyMonitorUpdate(m, { channelId: m.channelId, updateId: m.latestUpdateId + 1n, steps: [{ kind: 'channel-force-closed', shouldBroadcast: true }] });
  if (!r.ok) throw new Error(r.error);
  return r;
};

/** The fixture's dance again, with today's code: the pair and alice's monitor steps as updates 1.. (encoded). */
function danceNow(anchors: boolean) {
  const pair = readyPair({ anchors });
  offer(pair.alice, 7_000_000n, 'fixture', 700);
  commit(pair.alice);
  deliverAll(pair);
  const monitor = channelMonitorFrom(pair.alice.initialMonitors[0]!);
  const updates = pair.alice.monitorSteps.map((step, i) => encodeMonitorUpdate({ channelId: monitor.channelId, updateId: BigInt(i + 1), steps: [step] }));
  return { pair, monitor, updates };
}

describe.each(vector.items)('monitor items holding our signed commitment, written before session 12 ($channelType)', (item) => {
  const signed = fromHex(item.holderCommitmentTx);
  const tx = Transaction.fromBuffer(signed);
  const old = decoded(item.snapshot);
  const id = toHex(old.channelId);

  it('the snapshot reads, re-encodes byte for byte, and its commitment is valid on chain and broadcast by a force close', () => {
    expect(item.stepKinds).toEqual(['latest-counterparty-commitment', 'commitment-secret', 'latest-holder-commitment']);
    expect(toHex(encodeMonitor(old))).toBe(item.snapshot);
    expect(old.holderCommitmentNumber).toBe(1n);
    expect(old.holderCommitmentTx).toEqual(signed);
    expect(verifyInput(tx, 0, { scriptPubKey: old.fundingScriptPubKey, amountSat: old.channelValueSatoshis })).toBe('');
    expect(forceClosed(old).broadcasts).toEqual([signed]);
  });

  it('its update items written whole read back into the same monitor; the store keeps the step as its summary', () => {
    const newestFirst = [
      ...item.updates.map((u, i) => ({ sk: SortKey.monitor(id, BigInt(i + 1)), data: fromHex(u) })).reverse(),
      { sk: monitorSnapshotKey(id, 0n), data: fromHex(item.snapshot0) },
    ];
    expect(monitorFromItems(id, newestFirst)?.monitor).toEqual(old);
    const kept = monitorItemWrites([{ channelIdHex: id, updateId: 3n, bytes: fromHex(item.updates[2]!) }]);
    const step = decodeMonitorUpdate(kept[0]!.put.data, old.channelId);
    if (!step.ok) throw step.error;
    expect(step.value.steps).toMatchObject([{ kind: 'latest-holder-commitment-summary', commitmentNumber: 1n, commitmentTxid: new Uint8Array(tx.getHash()) }]);
  });

  it('today the same dance makes no signature for the monitor, writes the same items, and a force close broadcasts that very transaction', () => {
    const now = danceNow(item.anchors);
    expect(now.pair.alice.monitorSteps.map((s) => s.kind)).toEqual(['latest-counterparty-commitment', 'commitment-secret', 'latest-holder-commitment-summary']);
    expect(toHex(encodeMonitor(now.monitor))).toBe(item.snapshot0);
    // The first two updates are the same bytes; the third is what the store kept of the old one.
    expect(now.updates.slice(0, 2).map(toHex)).toEqual(item.updates.slice(0, 2));
    const write = (bytes: Uint8Array) => monitorItemWrites([{ channelIdHex: id, updateId: 3n, bytes }])[0]!.put.data;
    expect(toHex(write(now.updates[2]!))).toBe(toHex(write(fromHex(item.updates[2]!))));
    // A snapshot at that point names our commitment by its txid (TLV 48); otherwise the monitor the old code wrote.
    const writes = [encodeMonitor(now.monitor), ...now.updates].map((bytes, i) => ({ channelIdHex: id, updateId: BigInt(i), bytes }));
    const snapshot = decoded(toHex(monitorItemWrites(writes, new Map(), 3n).at(-1)!.put.data));
    const { holderCommitmentTx: _tx, counterpartySignature: _signature, ...rest } = old;
    expect(snapshot).toEqual({ ...rest, holderCommitmentTxid: new Uint8Array(tx.getHash()) });
    expect(toHex(holderCommitmentTxidOf(snapshot))).toBe(toHex(tx.getHash()));
    expect(forceClosed(snapshot).broadcasts).toEqual([]);
    // What the manager's force close broadcasts (the channel's commitment, our signature made now): the old bytes, valid.
    const broadcast = broadcastCommitment(now.pair.alice);
    expect(toHex(broadcast.toBuffer())).toBe(item.holderCommitmentTx);
    expect(verifyInput(broadcast, 0, { scriptPubKey: snapshot.fundingScriptPubKey, amountSat: snapshot.channelValueSatoshis })).toBe('');
  });
});
