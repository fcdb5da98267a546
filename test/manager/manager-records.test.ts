/**
 * The manager's persisted records (header, channel item, event): round
 * trips of real records at every establishment step, and truncated,
 * garbage and newer-version bytes refused with a typed DecodeError.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { DecodeError } from '../../shared/codec/index.js';
import {
  decodeChannelEntry,
  decodeEventItem,
  decodeManagerHeader,
  encodeChannelEntry,
  encodeChannelEntryParts,
  encodeEventItem,
  encodeManagerHeader,
  type ChannelEntry,
} from '../../shared/manager/index.js';
import { decodeMonitor, decodeMonitorUpdate, encodeMonitor, encodeStoredMonitorUpdate } from '../../shared/monitor/index.js';
import { SortKey } from '../../shared/store/index.js';
import { ManagerNetwork } from '../support/manager-network.js';
import { fund, openChannel } from './manager-fixture.js';

/** Every item both nodes ever wrote, by kind (a network with a manual-accept node, funding, ready, a reorg close, a discarded funding, an unsupported message). */
function allItems(): Map<string, Uint8Array[]> {
  const net = new ManagerNetwork();
  const alice = net.addNode('alice', { config: { minimumDepth: 1, negotiateAnchorsZeroFeeHtlcTx: true } });
  const bob = net.addNode('bob', { config: { minimumDepth: 1, negotiateAnchorsZeroFeeHtlcTx: true } });
  const carol = net.addNode('carol', { policy: 'manual', config: { negotiateAnchorsZeroFeeHtlcTx: true } });
  const seen = new Map<string, Uint8Array[]>();
  const snapshot = () => {
    for (const node of net.nodes) {
      for (const [sk, data] of node.store.items) {
        // A channel item and its parts (docs/items.md "The channel item in parts"): below, as one whole record and as stored.
        if (sk.startsWith('CHANNEL#')) continue;
        const kind = sk.startsWith('MONITOR#') ? (sk.endsWith('#' + '0'.repeat(20)) ? 'MONITOR' : 'UPDATE') : sk.split('#')[0]!;
        seen.set(kind, [...(seen.get(kind) ?? []), data]);
      }
      for (const [key, entry] of node.store.storedChannels()) {
        if (!entry.ok) throw new Error(`channel item ${key} does not decode`);
        seen.set('CHANNEL', [...(seen.get('CHANNEL') ?? []), encodeChannelEntry(entry.value)]);
        const stored = new Map([...node.store.items].filter(([sk]) => sk.startsWith(SortKey.channel(key))).map(([sk, data]) => [sk.slice(SortKey.channel(key).length), data] as const));
        storedParts.push({ entry: entry.value, stored });
      }
    }
  };
  net.connect(alice, bob);
  net.connect(alice, carol);
  net.step(alice, { kind: 'create-channel' }, (m) => m.createChannel(carol.nodeId, 20_000n, 0n, 9n));
  net.run();
  snapshot();
  const tx = fund(net, alice, openChannel(net, alice, bob));
  snapshot();
  net.mine([tx]);
  snapshot();
  net.reorg(1);
  snapshot();
  fund(net, alice, openChannel(net, alice, bob, 11n), false); // funding_created lost: DiscardFunding on the disconnection
  net.disconnect(alice, bob);
  // No BOLT 2 message is unsupported any more (update_fee is handled); the manager's call still writes the event (older items hold it).
  net.step(alice, { kind: 'unsupported-message' }, (m) => m.reportUnsupportedMessage(carol.nodeId, 134, 'the peer sent update_fee (type 134): this node does not handle it yet; it was disconnected'));
  net.run();
  snapshot();
  return seen;
}

/** Each channel as decoded, with its items as stored: `''` its item, `#fixed` and `#holder` its parts. */
const storedParts: { entry: ChannelEntry; stored: Map<string, Uint8Array> }[] = [];
const items = allItems();

it('CHANNEL items in parts: each re-encodes to the bytes stored, its item naming exactly the parts stored beside it', () => {
  expect(storedParts.some(({ stored }) => stored.has('#fixed'))).toBe(true);
  for (const { entry, stored } of storedParts) {
    const { item, parts } = encodeChannelEntryParts(entry);
    expect(item).toEqual(stored.get(''));
    expect(new Map([...parts].map(([name, bytes]) => [`#${name}`, bytes]))).toEqual(new Map([...stored].filter(([k]) => k !== '')));
  }
});
const codecs = {
  HEADER: { decode: decodeManagerHeader, encode: encodeManagerHeader },
  CHANNEL: { decode: decodeChannelEntry, encode: encodeChannelEntry },
  // One input's events are one item (version 1 for one event, version 2 for several: docs/events.md).
  EVENT: { decode: decodeEventItem, encode: encodeEventItem },
  MONITOR: { decode: decodeMonitor, encode: encodeMonitor },
  // Stored without the channel id, which the item's key names (docs/items.md "Bytes per HTLC").
  UPDATE: { decode: (b: Uint8Array) => decodeMonitorUpdate(b, new Uint8Array(32)), encode: encodeStoredMonitorUpdate },
} as const;

it.each(Object.keys(codecs) as (keyof typeof codecs)[])('%s items round-trip byte for byte', (kind) => {
  const found = items.get(kind) ?? [];
  expect(found.length).toBeGreaterThan(0);
  const codec = codecs[kind] as { decode: (b: Uint8Array) => { ok: boolean; value?: unknown }; encode: (v: never) => Uint8Array };
  for (const bytes of found) {
    const decoded = codec.decode(bytes);
    expect(decoded.ok).toBe(true);
    expect(codec.encode(decoded.value as never)).toEqual(bytes);
  }
});

it('covers every event kind, channel states and an open request', () => {
  const kinds = new Set(items.get('EVENT')!.flatMap((b) => (decodeEventItem(b) as { ok: true; value: { event: { kind: string } }[] }).value.map((r) => r.event.kind)));
  expect([...kinds].sort()).toEqual(['channel-closed', 'channel-pending', 'channel-ready', 'discard-funding', 'funding-generation-ready', 'open-channel-request', 'unsupported-message']);
  const entries = items.get('CHANNEL')!.map((b) => decodeChannelEntry(b));
  expect(entries.some((e) => e.ok && e.value.kind === 'open-request')).toBe(true);
});

it.each(['HEADER', 'CHANNEL', 'EVENT'] as const)('%s: truncation, a newer version and garbage give a DecodeError, never a throw', (kind) => {
  const decode = codecs[kind].decode as (b: Uint8Array) => { ok: boolean; error?: unknown };
  const sample = items.get(kind)!.at(-1)!;
  for (let n = 0; n < sample.length; n += Math.max(1, Math.floor(sample.length / 40))) {
    const r = decode(sample.subarray(0, n));
    if (!r.ok) expect(r.error).toBeInstanceOf(DecodeError);
  }
  expect(decode(new Uint8Array(0)).ok).toBe(false);
  const newer = Uint8Array.from(sample);
  newer[0] = kind === 'EVENT' ? 3 : 2; // an event item's version 2 is the batch of several events
  expect(decode(newer)).toMatchObject({ ok: false, error: expect.any(DecodeError) });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const r = decode(bytes);
      if (!r.ok) expect(r.error).toBeInstanceOf(DecodeError);
    }),
  );
});
