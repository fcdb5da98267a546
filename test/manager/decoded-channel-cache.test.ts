/**
 * The decoded-channel cache (shared/manager/channel-entry.ts): a channel this
 * process encoded is served by the digest of its stored bytes instead of
 * being decoded again, in the canonical form decoding gives, and only for
 * exactly those bytes. Input: the stored items of
 * test/vectors/channel-entry-v1-parts-session11.json (channels with HTLCs in
 * flight and without).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../shared/crypto/index.js';
import { decodeChannelEntry, encodeChannelEntryParts, type ChannelEntry, type ChannelPartName } from '../../shared/manager/index.js';
import { firstDifference } from '../../shared/manager/channel-entry.js';

interface PartsVectorItem {
  readonly node: string;
  readonly htlcs: number;
  readonly item: string;
  readonly parts: Readonly<Record<string, string>>;
}
const vector = JSON.parse(readFileSync(new URL('../vectors/channel-entry-v1-parts-session11.json', import.meta.url), 'utf8')) as { items: PartsVectorItem[] };

function stored(item: PartsVectorItem): ChannelEntry {
  const parts = new Map(Object.entries(item.parts).map(([name, hex]) => [name as ChannelPartName, fromHex(hex)]));
  const decoded = decodeChannelEntry(fromHex(item.item), parts);
  if (!decoded.ok) throw new Error(`${item.node}: does not decode`);
  return decoded.value;
}

const copy = (parts: ReadonlyMap<ChannelPartName, Uint8Array>) => new Map([...parts].map(([name, bytes]) => [name, bytes.slice()]));

describe('a channel this process encoded', () => {
  it('is served for the same bytes, even as other arrays (a later read of the item), as the entry encoded', () => {
    for (const item of vector.items) {
      const entry = stored(item);
      const { item: bytes, parts } = encodeChannelEntryParts(entry);
      const again = decodeChannelEntry(bytes.slice(), copy(parts));
      if (!again.ok || again.value.kind !== 'channel' || entry.kind !== 'channel') throw new Error('does not decode');
      // The kept entry itself (no parsing), unless the canonical form differs: then one equal to decoding.
      if ((entry.channel.htlcs?.length ?? 0) > 0) expect(again.value).toBe(entry);
      expect(firstDifference(again.value, entry, 'entry')).toBeUndefined();
    }
  });

  it('is kept in the form decoding gives: an empty HTLC list is absent, as the record leaves it', () => {
    const entry = stored(vector.items[0]!);
    if (entry.kind !== 'channel') throw new Error('not a channel');
    const emptied: ChannelEntry = { ...entry, channel: { ...entry.channel, htlcs: [] } };
    const { item: bytes, parts } = encodeChannelEntryParts(emptied);
    const again = decodeChannelEntry(bytes, parts);
    if (!again.ok || again.value.kind !== 'channel') throw new Error('does not decode');
    expect(again.value.channel.htlcs).toBeUndefined();
  });

  it('is not served for other bytes: a part changed by one byte decodes on its own (or fails)', () => {
    const item = vector.items.find((i) => i.htlcs > 0)!;
    const entry = stored(item);
    const { item: bytes, parts } = encodeChannelEntryParts(entry);
    const changed = copy(parts);
    const fixed = changed.get('fixed')!;
    fixed[fixed.length - 1]! ^= 1;
    const again = decodeChannelEntry(bytes, changed);
    if (again.ok) expect(again.value).not.toBe(entry);
    // Without the parts it names, it is refused as before.
    expect(decodeChannelEntry(bytes).ok).toBe(false);
  });
});

describe('firstDifference (the check the tests run on every hit)', () => {
  it('names the first place two values differ, treating a key holding undefined as absent', () => {
    expect(firstDifference({ a: 1n, b: undefined }, { a: 1n }, 'x')).toBeUndefined();
    expect(firstDifference({ a: [] }, {}, 'x')).toBe('x.a (length)');
    expect(firstDifference({ a: Uint8Array.of(1, 2) }, { a: Uint8Array.of(1, 3) }, 'x')).toBe('x.a');
    expect(firstDifference({ a: [{ b: 1n }] }, { a: [{ b: 2n }] }, 'x')).toBe('x.a[0].b');
    expect(firstDifference(new Map([['k', 1]]), new Map([['k', 2]]), 'x')).toBe('x<k>');
    expect(firstDifference(new Map([['k', 1]]), new Map(), 'x')).toBe('x (map size)');
    expect(firstDifference({ a: false }, {}, 'x')).toBe('x.a');
  });
});
