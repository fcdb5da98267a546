/** ChannelMonitor and monitor update records: round trip, update order, bad bytes. */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { DecodeError } from '../../shared/codec/index.js';
import { toHex } from '../../shared/crypto/index.js';
import { applyMonitorUpdate, decodeMonitor, decodeMonitorUpdate, encodeMonitor, encodeMonitorUpdate } from '../../shared/monitor/index.js';
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
