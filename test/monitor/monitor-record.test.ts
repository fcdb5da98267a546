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
  expect(applied.broadcasts.map(toHex)).toEqual([toHex(monitor.holderCommitmentTx)]);
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

it('applies an unknown odd step as nothing, and refuses a payment step it cannot apply yet (the monitor unchanged)', () => {
  const decoded = decodeMonitor(bytes);
  if (!decoded.ok) throw decoded.error;
  const monitor = decoded.value;
  const odd = applyMonitorUpdate(monitor, { channelId: monitor.channelId, updateId: 1n, steps: [{ kind: 'unknown-odd', type: 9n, value: Uint8Array.of(1) }] });
  expect(odd).toEqual({ ok: true, monitor: { ...monitor, latestUpdateId: 1n }, broadcasts: [] });
  const payment: MonitorUpdateStep[] = [
    { kind: 'payment-preimage', paymentPreimage: new Uint8Array(32) },
    { kind: 'commitment-secret', index: 5n, secret: new Uint8Array(32) },
    { kind: 'latest-holder-commitment', commitmentNumber: 1n, counterpartySignature: new Uint8Array(64), commitmentTx: Uint8Array.of(1), htlcSignatures: [] },
    { kind: 'latest-counterparty-commitment', commitmentNumber: 1n, commitmentTxid: new Uint8Array(32), perCommitmentPoint: Uint8Array.of(2, ...new Uint8Array(32)), htlcs: [] },
  ];
  for (const step of payment) {
    // Even behind a force close in the same update: nothing of it applies.
    const steps = [{ kind: 'channel-force-closed', shouldBroadcast: true } as const, step];
    expect(applyMonitorUpdate(monitor, { channelId: monitor.channelId, updateId: 1n, steps })).toEqual({ ok: false, error: 'unsupported-step' });
  }
});
