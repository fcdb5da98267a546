/**
 * The in-memory store's items (shared/store/manager-items.ts `sortedItems`):
 * a Query by prefix reads its range in sort key order, as DynamoDB's key
 * condition does, however the items were set or deleted (tests set them
 * directly too).
 */
import { describe, expect, it } from 'vitest';
import { InMemoryManagerStore } from '../../shared/store/index.js';
import { sortedItems } from '../../shared/store/manager-items.js';

const bytes = (n: number) => Uint8Array.of(n);

describe('sortedItems', () => {
  it('lists the keys of a prefix in ascending order after sets, overwrites and deletes', () => {
    const items = sortedItems();
    for (const [i, sk] of ['INDEX#b', 'CHANNEL#02#aa', 'INDEX#a', 'CHANNEL#03#00', 'CHANNEL#02#aa#fixed', 'CHANNEL#02#01', 'INDEX#'].entries()) items.set(sk, bytes(i));
    items.set('CHANNEL#02#aa', bytes(9));
    expect(items.keysWithPrefix('CHANNEL#02#')).toEqual(['CHANNEL#02#01', 'CHANNEL#02#aa', 'CHANNEL#02#aa#fixed']);
    expect(items.keysWithPrefix('INDEX#')).toEqual(['INDEX#', 'INDEX#a', 'INDEX#b']);
    expect(items.keysWithPrefix('NONE')).toEqual([]);
    expect(items.get('CHANNEL#02#aa')).toEqual(bytes(9));
    expect(items.size).toBe(7);
    expect(items.delete('CHANNEL#02#01')).toBe(true);
    expect(items.delete('CHANNEL#02#01')).toBe(false);
    expect(items.keysWithPrefix('CHANNEL#')).toEqual(['CHANNEL#02#aa', 'CHANNEL#02#aa#fixed', 'CHANNEL#03#00']);
    items.clear();
    expect(items.keysWithPrefix('')).toEqual([]);
    items.set('A', bytes(1));
    expect(items.keysWithPrefix('')).toEqual(['A']);
  });

  it('agrees with a full scan on random keys', () => {
    const items = sortedItems();
    const plain = new Map<string, Uint8Array>();
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const sk = `P${next() % 4}#${(next() % 50).toString(16)}`;
      if (next() % 3 === 0) {
        expect(items.delete(sk)).toBe(plain.delete(sk));
      } else {
        items.set(sk, bytes(i % 256));
        plain.set(sk, bytes(i % 256));
      }
    }
    for (const prefix of ['', 'P0#', 'P1#1', 'P3#', 'Q']) {
      expect(items.keysWithPrefix(prefix)).toEqual([...plain.keys()].filter((k) => k.startsWith(prefix)).sort());
    }
  });

  it('still equals a plain Map of the same items (tests compare them)', () => {
    const items = sortedItems();
    items.set('B', bytes(2)).set('A', bytes(1));
    expect(items).toEqual(new Map([['A', bytes(1)], ['B', bytes(2)]]));
    expect(new Map(items)).toEqual(items);
    expect(items).not.toEqual(new Map([['A', bytes(1)]]));
    expect(Object.keys(items)).toEqual([]);
  });

  it('is what the store queries, counting what it reads', () => {
    const store = new InMemoryManagerStore();
    store.items.set('INDEX#MPP#2', bytes(2));
    store.items.set('INDEX#MPP#1', bytes(1));
    store.items.set('INDEX#OUT#1', bytes(3));
    expect(store.query('INDEX#MPP#')).toEqual([
      { sk: 'INDEX#MPP#1', data: bytes(1) },
      { sk: 'INDEX#MPP#2', data: bytes(2) },
    ]);
    expect(store.last.itemsRead).toBe(2);
    expect(store.last.bytesRead).toBe(2);
  });
});
