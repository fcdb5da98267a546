/** ChannelMonitor and monitor update records: round trip, update order, bad bytes. */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { DecodeError } from '../../shared/codec/index.js';
import { toHex } from '../../shared/crypto/index.js';
import { applyMonitorUpdate, decodeMonitor, decodeMonitorUpdate, encodeMonitor, encodeMonitorUpdate, type MonitorUpdateStep } from '../../shared/monitor/index.js';
import { ManagerNetwork } from '../support/manager-network.js';
import { fund, onlyChannel, openChannel } from '../manager/manager-fixture.js';

function monitorBytes(): Uint8Array {
  const net = new ManagerNetwork();
  const alice = net.addNode('alice');
  const bob = net.addNode('bob');
  net.connect(alice, bob);
  fund(net, alice, openChannel(net, alice, bob));
  return alice.store.monitorItems(onlyChannel(net, alice).channelId)[0]!;
}

const bytes = monitorBytes();

it('a monitor at open is well under 16 KB and round-trips', () => {
  expect(bytes.length).toBeLessThan(16_384);
  const decoded = decodeMonitor(bytes);
  if (!decoded.ok) throw decoded.error;
  expect(encodeMonitor(decoded.value)).toEqual(bytes);
  expect(decoded.value.latestUpdateId).toBe(0n);
});

it('updates apply in order only; a force close with broadcast yields our commitment', () => {
  const decoded = decodeMonitor(bytes);
  if (!decoded.ok) throw decoded.error;
  const monitor = decoded.value;
  const update = { channelId: monitor.channelId, updateId: 1n, steps: [{ kind: 'channel-force-closed', shouldBroadcast: true }] } as const;
  expect(decodeMonitorUpdate(encodeMonitorUpdate(update))).toEqual({ ok: true, value: update });
  expect(applyMonitorUpdate(monitor, { ...update, updateId: 2n })).toEqual({ ok: false, error: 'out-of-order' });
  expect(applyMonitorUpdate(monitor, { ...update, channelId: new Uint8Array(32) })).toEqual({ ok: false, error: 'wrong-channel' });
  const applied = applyMonitorUpdate(monitor, update);
  if (!applied.ok) throw new Error(applied.error);
  expect(applied.broadcasts.map(toHex)).toEqual([toHex(monitor.holderCommitmentTx!)]);
  expect(decodeMonitor(encodeMonitor(applied.monitor))).toEqual({ ok: true, value: applied.monitor });
});

it('truncated, newer-version and garbage bytes give a DecodeError', () => {
  for (let n = 0; n < bytes.length; n += 7) {
    const r = decodeMonitor(bytes.subarray(0, n));
    expect(r.ok).toBe(false);
  }
  const newer = Uint8Array.from(bytes);
  newer[0] = 9;
  expect(decodeMonitor(newer)).toMatchObject({ ok: false, error: expect.any(DecodeError) });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      for (const r of [decodeMonitor(b), decodeMonitorUpdate(b)]) if (!r.ok) expect(r.error).toBeInstanceOf(DecodeError);
    }),
  );
});

it('applies an unknown odd step as nothing, and refuses a whole update when one step does not apply', () => {
  const decoded = decodeMonitor(bytes);
  if (!decoded.ok) throw decoded.error;
  const monitor = decoded.value;
  const odd = applyMonitorUpdate(monitor, { channelId: monitor.channelId, updateId: 1n, steps: [{ kind: 'unknown-odd', type: 9n, value: Uint8Array.of(1) }] });
  expect(odd).toEqual({ ok: true, monitor: { ...monitor, latestUpdateId: 1n }, broadcasts: [] });
  // The payment steps apply (test/monitor/payment-steps.test.ts); a stale one, even behind a force close, leaves the monitor as it was.
  const stale: MonitorUpdateStep = { kind: 'latest-holder-commitment', commitmentNumber: 0n, counterpartySignature: new Uint8Array(64), commitmentTx: Uint8Array.of(1), htlcSignatures: [] };
  const steps = [{ kind: 'channel-force-closed', shouldBroadcast: true } as const, stale];
  expect(applyMonitorUpdate(monitor, { channelId: monitor.channelId, updateId: 1n, steps })).toEqual({ ok: false, error: 'channel-closed' });
  expect(applyMonitorUpdate(monitor, { channelId: monitor.channelId, updateId: 1n, steps: [stale] })).toEqual({ ok: false, error: 'stale-commitment' });
});

it('applies counterparty commitments (full or summary alike), keeping only the latest two, and refuses a stale one', () => {
  const decoded = decodeMonitor(bytes);
  if (!decoded.ok) throw decoded.error;
  const monitor = decoded.value;
  const ref = (n: bigint) => ({ commitmentNumber: n, commitmentTxid: new Uint8Array(32).fill(Number(n)), perCommitmentPoint: Uint8Array.of(2, ...new Uint8Array(32).fill(Number(n))) });
  const htlcs = Array.from({ length: 30 }, (_, i) => ({ offered: i % 2 === 0, amountMsat: 1000n * BigInt(i + 1), cltvExpiry: 500 + i, paymentHash: new Uint8Array(32).fill(i), transactionOutputIndex: i }));
  const full = (n: bigint): MonitorUpdateStep => ({ kind: 'latest-counterparty-commitment', ...ref(n), htlcs, feeratePerKw: 253 });
  const summary = (n: bigint): MonitorUpdateStep => ({ kind: 'latest-counterparty-commitment-summary', ...ref(n) });
  const apply = (m: typeof monitor, u: bigint, step: MonitorUpdateStep) => {
    const r = applyMonitorUpdate(m, { channelId: m.channelId, updateId: u, steps: [step] });
    if (!r.ok) throw new Error(r.error);
    return r.monitor;
  };
  const one = apply(monitor, 1n, full(1n));
  expect(one).toEqual({ ...monitor, latestUpdateId: 1n, latestCounterpartyCommitment: ref(1n) });
  expect(apply(monitor, 1n, summary(1n))).toEqual(one);
  const two = apply(one, 2n, full(2n));
  expect(two).toMatchObject({ latestCounterpartyCommitment: ref(2n), previousCounterpartyCommitment: ref(1n) });
  expect(apply(one, 2n, summary(2n))).toEqual(two);
  // The record round-trips, and its size does not depend on the commitments seen nor their HTLCs.
  expect(decodeMonitor(encodeMonitor(two))).toEqual({ ok: true, value: two });
  const five = apply(apply(apply(two, 3n, full(3n)), 4n, full(4n)), 5n, full(5n));
  expect(encodeMonitor(five).length).toBe(encodeMonitor(two).length);
  expect(encodeMonitor(two).length).toBe(encodeMonitor(monitor).length + 2 * (2 + 8 + 32 + 33));
  // Not above the latest (or above commitment 0): refused, the monitor unchanged.
  expect(applyMonitorUpdate(two, { channelId: two.channelId, updateId: 3n, steps: [full(2n)] })).toEqual({ ok: false, error: 'stale-commitment' });
  expect(applyMonitorUpdate(two, { channelId: two.channelId, updateId: 3n, steps: [full(3n), summary(1n)] })).toEqual({ ok: false, error: 'stale-commitment' });
  expect(applyMonitorUpdate(monitor, { channelId: monitor.channelId, updateId: 1n, steps: [summary(0n)] })).toEqual({ ok: false, error: 'stale-commitment' });
});
