/**
 * The channel item in parts (docs/items.md): the fixed part, our latest
 * commitment and the released secrets stored beside the item, each written
 * only when its bytes change; items written whole by older code
 * (test/vectors/channel-entry-v1-whole.json, from commit 25cb707) and items
 * in parts written before the secrets had their own
 * (test/vectors/channel-entry-v1-parts-before-secrets.json, from commit
 * 932fbe4) still read, and the next write moves them to today's parts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeChannel, encodeChannelParts, joinChannelParts } from '../../shared/channel/index.js';
import { DecodeError } from '../../shared/codec/index.js';
import { fromHex } from '../../shared/crypto/index.js';
import { channelPartKey, decodeChannelEntry, encodeChannelEntry, encodeChannelEntryParts, partsNamedBy, type ChannelPartName, type ManagerChanges } from '../../shared/manager/index.js';
import { SortKey } from '../../shared/store/index.js';
import { createInvoiceOn, payInvoice } from '../support/invoice-payment.js';
import type { ManagerNode } from '../support/manager-network.js';
import { connectedPair, eventsOf, fund, openChannel } from './manager-fixture.js';

interface VectorItem {
  readonly node: string;
  readonly key: string;
  readonly htlcs: number;
  readonly hex: string;
}
const vector = JSON.parse(readFileSync(new URL('../vectors/channel-entry-v1-whole.json', import.meta.url), 'utf8')) as { items: VectorItem[] };
interface PartsVectorItem {
  readonly node: string;
  readonly key: string;
  readonly htlcs: number;
  readonly item: string;
  readonly parts: Readonly<Record<string, string>>;
}
const partsVector = JSON.parse(readFileSync(new URL('../vectors/channel-entry-v1-parts-before-secrets.json', import.meta.url), 'utf8')) as { items: PartsVectorItem[] };
const session11Vector = JSON.parse(readFileSync(new URL('../vectors/channel-entry-v1-parts-session11.json', import.meta.url), 'utf8')) as { items: PartsVectorItem[] };
const AMOUNT_MSAT = 10_000_000n;

/** The vector's network, up to bob holding alice's HTLC unclaimed. */
function paidNotClaimed() {
  const { net, alice, bob } = connectedPair();
  net.mine([fund(net, alice, openChannel(net, alice, bob))], 8);
  const invoice = createInvoiceOn(net, bob, { description: 'tea', expirySecs: 3600, amountMsat: AMOUNT_MSAT }).decoded;
  expect(payInvoice(net, alice, invoice, { paymentId: new Uint8Array(32).fill(1), amountMsat: AMOUNT_MSAT }).ok).toBe(true);
  net.run();
  return { net, alice, bob };
}

/** The channel keys (and part keys) each commit of `node` puts, in order. */
function recordPuts(node: ManagerNode): string[][] {
  const puts: string[][] = [];
  const commit = node.store.commit.bind(node.store);
  node.store.commit = (inputId: string, changes: ManagerChanges) => {
    puts.push([...changes.channels.put.keys()]);
    return commit(inputId, changes);
  };
  return puts;
}

describe('channel items written whole by older code', () => {
  it('decode, re-encode whole byte for byte, and split into parts that join back to the same channel', () => {
    for (const item of vector.items) {
      const bytes = fromHex(item.hex);
      expect(partsNamedBy(bytes)).toEqual([]);
      const decoded = decodeChannelEntry(bytes);
      if (!decoded.ok || decoded.value.kind !== 'channel') throw new Error(`${item.node}: does not decode`);
      expect(decoded.value.channel.htlcs).toHaveLength(item.htlcs);
      expect(decoded.value.channel.latestHolderCommitmentTx).toBeDefined();
      // Byte for byte but for the HTLCs, written back as TLV 58 (the compact records) instead of 42: the same channel, fewer bytes.
      const again = encodeChannelEntry(decoded.value);
      if (item.htlcs === 0) expect(again).toEqual(bytes);
      else expect(again.length).toBeLessThan(bytes.length);
      expect(decodeChannelEntry(again)).toEqual(decoded);
      const { item: moving, parts } = encodeChannelEntryParts(decoded.value);
      expect([...parts.keys()]).toEqual(['fixed', 'holder', 'secrets']);
      expect(partsNamedBy(moving)).toEqual(['fixed', 'holder', 'secrets']);
      expect(decodeChannelEntry(moving, parts)).toEqual(decoded);
      // What the HTLC messages rewrite is the item alone: under a third of the whole.
      expect(moving.length * 3).toBeLessThan(bytes.length);
    }
  });

  it('a node whose item was written whole claims the payment; its first write moves the item to parts, the next ones leave the fixed part alone', () => {
    const { net, alice, bob } = paidNotClaimed();
    // The vector's network (its signatures differ: fresh nonces), its items now in parts.
    const legacy = { key: [...bob.store.storedChannels().keys()][0]! };
    const stored = bob.store.storedChannel(legacy.key);
    if (!stored?.ok) throw new Error('no channel');
    expect(bob.store.items.has(SortKey.channel(channelPartKey(legacy.key, 'fixed')))).toBe(true);
    // Back to what older code stored (its encoder is encodeChannelEntry, byte for byte: above): the whole item, no part.
    for (const part of ['fixed', 'holder', 'secrets'] as const) bob.store.items.delete(SortKey.channel(channelPartKey(legacy.key, part)));
    bob.store.items.set(SortKey.channel(legacy.key), encodeChannelEntry(stored.value));
    const puts = recordPuts(bob);

    const claimable = eventsOf(bob, 'payment-claimable');
    expect(claimable).toHaveLength(1);
    expect(net.step(bob, { kind: 'claim-funds', paymentHash: claimable[0]!.paymentHash }, (m) => m.claimFunds(claimable[0]!.paymentPreimage!)).ok).toBe(true);
    net.run();
    expect(eventsOf(bob, 'payment-claimed')).toHaveLength(1);
    expect(eventsOf(alice, 'payment-sent')).toHaveLength(1);

    const written = puts.filter((keys) => keys.includes(legacy.key));
    expect(written.length).toBeGreaterThanOrEqual(3);
    expect(written[0]).toEqual([legacy.key, channelPartKey(legacy.key, 'fixed'), channelPartKey(legacy.key, 'holder'), channelPartKey(legacy.key, 'secrets')]);
    // The fulfill's dance: the fixed part is never written again; our latest commitment only by the commitment_signed
    // that replaces it; the released secrets only by the revoke_and_ack that brings one.
    expect(written.slice(1).flat().filter((k) => k === channelPartKey(legacy.key, 'fixed'))).toEqual([]);
    expect(written.slice(1).flat().filter((k) => k === channelPartKey(legacy.key, 'holder'))).toHaveLength(1);
    expect(written.slice(1).flat().filter((k) => k === channelPartKey(legacy.key, 'secrets'))).toHaveLength(1);
    const after = bob.store.storedChannel(legacy.key);
    expect(after?.ok && after.value.kind === 'channel' && after.value.channel.htlcs).toBeFalsy();
  });
});

describe('a channel record in parts', () => {
  it('each part encoded on its own joins into the whole record byte for byte; the fixed part is reused until one of its fields changes', () => {
    const { bob } = paidNotClaimed();
    const channels = [...vector.items.map((item) => decodeChannelEntry(fromHex(item.hex))), ...[...bob.store.storedChannels().keys()].map((key) => bob.store.storedChannel(key)!)];
    for (const decoded of channels) {
      if (!decoded.ok || decoded.value.kind !== 'channel') throw new Error('does not decode');
      const channel = decoded.value.channel;
      const parts = encodeChannelParts(channel);
      const joined = joinChannelParts([parts.moving, parts.fixed, ...(parts.holder ? [parts.holder] : []), ...(parts.secrets ? [parts.secrets] : [])]);
      expect(joined.ok && joined.value).toEqual(encodeChannel(channel));
      // A step that changes what the HTLC messages change (a new channel object, the same parameters) reuses the fixed part's bytes.
      const next = { ...channel, bestHeight: channel.bestHeight + 1 };
      expect(encodeChannelParts(next).fixed).toBe(parts.fixed);
      // One that changes a fixed field encodes it again.
      const closed = { ...channel, closingTxid: new Uint8Array(32).fill(9) };
      const changed = encodeChannelParts(closed);
      expect(changed.fixed).not.toEqual(parts.fixed);
      const again = joinChannelParts([changed.moving, changed.fixed, ...(changed.holder ? [changed.holder] : []), ...(changed.secrets ? [changed.secrets] : [])]);
      expect(again.ok && again.value).toEqual(encodeChannel(closed));
    }
  });
});

describe('channel items in parts written before the released secrets had their own part', () => {
  const partsOf = (item: PartsVectorItem) => new Map(Object.entries(item.parts).map(([name, hex]) => [name as ChannelPartName, fromHex(hex)]));

  it('read; re-encoded, the secrets leave the item for their own part and the other parts keep their bytes', () => {
    expect(partsVector.items).toHaveLength(2);
    for (const old of partsVector.items) {
      const bytes = fromHex(old.item);
      expect(partsNamedBy(bytes)).toEqual(['fixed', 'holder']);
      const decoded = decodeChannelEntry(bytes, partsOf(old));
      if (!decoded.ok || decoded.value.kind !== 'channel') throw new Error(`${old.node}: does not decode`);
      expect(decoded.value.channel.htlcs).toHaveLength(old.htlcs);
      const secrets = decoded.value.channel.commitments!.counterpartySecrets;
      // Three revoke_and_ack received at least: secrets stored (2 bytes of count, 40 per secret).
      expect(secrets.length).toBeGreaterThan(2);
      const { item, parts } = encodeChannelEntryParts(decoded.value);
      expect(partsNamedBy(item)).toEqual(['fixed', 'holder', 'secrets']);
      // The fixed part and our latest commitment are the bytes the older code wrote: not written again.
      expect(parts.get('fixed')).toEqual(fromHex(old.parts['fixed']!));
      expect(parts.get('holder')).toEqual(fromHex(old.parts['holder']!));
      expect(item.length).toBeLessThanOrEqual(bytes.length - secrets.length);
      expect(parts.get('secrets')!.length).toBeGreaterThan(secrets.length);
      expect(decodeChannelEntry(item, parts)).toEqual(decoded);
      // Whole, the channel is the record it was: the secrets back at the end of TLV 44.
      expect(decodeChannelEntry(encodeChannelEntry(decoded.value))).toEqual(decoded);
    }
  });
});

describe('channel items in parts written before session 12 (TLV 44 in the item, version-1 secrets under type 56)', () => {
  const partsOf = (item: PartsVectorItem) => new Map(Object.entries(item.parts).map(([name, hex]) => [name as ChannelPartName, fromHex(hex)]));

  it('read; re-encoded, the dance is TLVs 60 (item) and 62 (#secrets, with the points), the fixed part keeps its bytes', () => {
    expect(session11Vector.items).toHaveLength(2);
    for (const old of session11Vector.items) {
      const bytes = fromHex(old.item);
      expect(partsNamedBy(bytes)).toEqual(['fixed', 'holder', 'secrets']);
      const decoded = decodeChannelEntry(bytes, partsOf(old));
      if (!decoded.ok || decoded.value.kind !== 'channel') throw new Error(`${old.node}: does not decode`);
      expect(decoded.value.channel.htlcs).toHaveLength(old.htlcs);
      const dance = decoded.value.channel.commitments!;
      // Seven revoke_and_ack received (three payments claimed, one added): version-1 secrets, kept as read until the next one.
      expect(dance.counterpartySecrets[0]).toBe(1);
      expect(dance.holderCommitmentNumber).toBe(7n);
      expect(dance.counterpartyCommitmentNumber).toBe(7n);
      const { item, parts } = encodeChannelEntryParts(decoded.value);
      expect(partsNamedBy(item)).toEqual(['fixed', 'holder', 'secrets']);
      expect(parts.get('fixed')).toEqual(fromHex(old.parts['fixed']!));
      // The item loses the points (66 bytes) and 31 bytes of counters (41 fixed, 10 in BigSize); the #secrets part gains the points.
      expect(item.length).toBe(bytes.length - 66 - 31);
      expect(parts.get('secrets')!.length).toBe(fromHex(old.parts['secrets']!).length + 66);
      expect(decodeChannelEntry(item, parts)).toEqual(decoded);
      expect(decodeChannelEntry(encodeChannelEntry(decoded.value))).toEqual(decoded);
    }
  });
});

describe('an item in parts', () => {
  const whole = decodeChannelEntry(fromHex(vector.items[0]!.hex));
  if (!whole.ok) throw new Error('vector');
  const { item, parts } = encodeChannelEntryParts(whole.value);

  it('without a part it names is a DecodeError, never a throw', () => {
    for (const missing of ['fixed', 'holder', 'secrets'] as const) {
      const some = new Map([...parts].filter(([name]) => name !== missing));
      expect(decodeChannelEntry(item, some)).toMatchObject({ ok: false, error: expect.any(DecodeError) });
    }
    expect(decodeChannelEntry(item)).toMatchObject({ ok: false, error: expect.any(DecodeError) });
  });

  it('with a record in two parts, a part of another version or garbage, is a DecodeError', () => {
    const fixed = parts.get('fixed')!;
    expect(decodeChannelEntry(item, new Map([['fixed', fixed], ['holder', fixed]]))).toMatchObject({ ok: false, error: expect.any(DecodeError) });
    const newer = Uint8Array.from(parts.get('holder')!);
    newer[0] = 2;
    expect(decodeChannelEntry(item, new Map([['fixed', fixed], ['holder', newer]]))).toMatchObject({ ok: false, error: expect.any(DecodeError) });
    for (const garbage of [new Uint8Array(0), Uint8Array.of(1, 0xfd), Uint8Array.of(1, 99, 5, 1)]) {
      expect(decodeChannelEntry(item, new Map([['fixed', fixed], ['holder', garbage]]))).toMatchObject({ ok: false, error: expect.any(DecodeError) });
    }
  });

  it('released secrets without the commitment dance they belong to is a DecodeError', () => {
    const withoutDance = decodeChannelEntry(fromHex(vector.items[0]!.hex));
    if (!withoutDance.ok || withoutDance.value.kind !== 'channel') throw new Error('vector');
    const { commitments: _dance, htlcs: _htlcs, ...channel } = withoutDance.value.channel;
    const bare = encodeChannelEntryParts({ ...withoutDance.value, channel });
    expect(bare.parts.has('secrets')).toBe(false);
    expect(decodeChannelEntry(bare.item, bare.parts)).toMatchObject({ ok: true });
    const stray = new Map<ChannelPartName, Uint8Array>([...bare.parts, ['secrets', parts.get('secrets')!]]);
    const named = Uint8Array.from(bare.item);
    // TLV 24 (the parts named) is the item's last record but for 25: name the secrets too (bit 4).
    let at = named.length - 1;
    while (at >= 2 && !(named[at - 2] === 24 && named[at - 1] === 1)) at--;
    named[at] = named[at]! | 4;
    expect(partsNamedBy(named)).toEqual(['fixed', 'holder', 'secrets']);
    expect(decodeChannelEntry(named, stray)).toMatchObject({ ok: false, error: expect.any(DecodeError) });
  });

  it('a part left over beside an item written whole is ignored', () => {
    const bytes = fromHex(vector.items[0]!.hex);
    expect(decodeChannelEntry(bytes, new Map([['fixed', Uint8Array.of(1, 0xff)]]))).toEqual(whole);
  });
});
