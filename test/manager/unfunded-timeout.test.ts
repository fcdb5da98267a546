/**
 * The unfunded-channel age limit (LDK's 60 ticks, here 6 blocks): a channel
 * stuck before `funding_signed`, or an inbound request never accepted, is
 * forgotten with ChannelClosed (`unfunded-timed-out`) and an `error` to the
 * peer, freeing its unfunded slot; a funded channel is not touched.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, decodeBigSize, encodeBigSize } from '../../shared/codec/index.js';
import {
  MAX_UNFUNDED_CHANNELS_PER_PEER,
  UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS,
  decodeManagerHeader,
  encodeManagerHeader,
} from '../../shared/manager/index.js';
import { SortKey } from '../../shared/store/index.js';
import { channelsOf, connectedPair, eventsOf, fund, FUNDING, onlyChannel, openChannel, PUSH } from './manager-fixture.js';

const pair = (bobPolicy: 'all' | 'manual' = 'all') => connectedPair(1, { policy: bobPolicy });

describe('unfunded channels age out after UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS', () => {
  it('a channel whose funding transaction never comes is closed on both sides at the limit, not before', () => {
    const { net, alice, bob } = pair();
    openChannel(net, alice, bob, 5n); // alice: waiting for the funding transaction; bob: for funding_created
    net.mine([], UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS - 1);
    expect(onlyChannel(net, alice).state).toBe('awaiting-funding-tx');
    expect(onlyChannel(net, bob).state).toBe('inbound-awaiting-funding-created');
    net.mine([], 1);
    expect(channelsOf(net, alice)).toEqual([]);
    expect(channelsOf(net, bob)).toEqual([]);
    expect(eventsOf(alice, 'channel-closed')).toMatchObject([{ reason: 'unfunded-timed-out', userChannelId: 5n }]);
    expect(eventsOf(bob, 'channel-closed')).toMatchObject([{ reason: 'unfunded-timed-out' }]);
    expect(alice.broadcasts).toEqual([]);
  });

  it('frees the per-peer unfunded slots a silent funder holds', () => {
    const { net, alice, bob } = pair();
    for (let i = 0; i < MAX_UNFUNDED_CHANNELS_PER_PEER; i++) openChannel(net, alice, bob, BigInt(i));
    const refused = net.step(alice, { kind: 'create-channel' }, (m) => m.createChannel(bob.nodeId, FUNDING, PUSH, 99n));
    expect(refused.ok).toBe(true);
    net.run();
    expect(alice.received.filter((m) => m.type === 17)).toHaveLength(1); // too many unfunded channels
    net.mine([], UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS);
    expect(channelsOf(net, bob)).toEqual([]);
    const ready = openChannel(net, alice, bob, 100n);
    fund(net, alice, ready);
    expect(onlyChannel(net, bob).state).toBe('awaiting-confirmation');
  });

  it('an inbound request never accepted (manual policy) is dropped with an error; the opener closes', () => {
    const { net, alice, bob } = pair('manual');
    const created = net.step(alice, { kind: 'create-channel' }, (m) => m.createChannel(bob.nodeId, FUNDING, PUSH, 7n));
    if (!created.ok) throw new Error(created.error.message);
    net.run();
    expect(eventsOf(bob, 'open-channel-request')).toHaveLength(1);
    net.mine([], UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS);
    expect(net.read(bob, (m) => m.listInboundChannelRequests())).toEqual([]);
    expect(channelsOf(net, alice)).toEqual([]);
    const accepted = net.step(bob, { kind: 'accept-inbound-channel', temporaryChannelId: created.value, counterpartyNodeId: alice.nodeId }, (m) =>
      m.acceptInboundChannel(created.value, alice.nodeId, 1n),
    );
    expect(accepted.ok).toBe(false);
  });

  it('a funded channel waiting for confirmations is not touched by the limit', () => {
    const { net, alice, bob } = pair();
    const tx = fund(net, alice, openChannel(net, alice, bob));
    net.mine([], UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS + 2);
    for (const node of [alice, bob]) expect(onlyChannel(net, node).state).toBe('awaiting-confirmation');
    net.mine([tx]);
    for (const node of [alice, bob]) expect(onlyChannel(net, node).isUsable).toBe(true);
    expect(eventsOf(alice, 'channel-closed')).toEqual([]);
  });

  it('a header written before the creation heights were kept counts its unfunded channels from its best block', () => {
    const { net, alice, bob } = pair();
    openChannel(net, alice, bob);
    const bytes = alice.store.items.get(SortKey.header)!;
    const decoded = decodeManagerHeader(bytes);
    if (!decoded.ok) throw new Error(decoded.error.message);
    expect(decoded.value.unfunded.map((e) => e.sinceHeight)).toEqual([net.height]);
    // The same header without record 13, as the previous version wrote it.
    const older = withoutRecord(bytes, 13n);
    expect(older.length).toBeLessThan(bytes.length);
    const read = decodeManagerHeader(older);
    if (!read.ok) throw new Error(read.error.message);
    expect(read.value.unfunded.map((e) => e.sinceHeight)).toEqual([read.value.bestBlock.height]);
    expect(bytesToHex(encodeManagerHeader(read.value))).toBe(bytesToHex(bytes));
  });
});

/** A versioned record's bytes without its TLV record `type` (version byte, then BigSize type, BigSize length, value). */
function withoutRecord(bytes: Uint8Array, type: bigint): Uint8Array {
  const out: number[] = [bytes[0]!];
  let at = 1;
  while (at < bytes.length) {
    const start = at;
    const t = readBigSize(bytes, at);
    at += t.size;
    const length = readBigSize(bytes, at);
    at += length.size + Number(length.value);
    if (t.value !== type) out.push(...bytes.subarray(start, at));
  }
  return Uint8Array.from(out);
}

function readBigSize(bytes: Uint8Array, at: number): { value: bigint; size: number } {
  const first = bytes[at]!;
  const size = first < 0xfd ? 1 : first === 0xfd ? 3 : first === 0xfe ? 5 : 9;
  const decoded = decodeBigSize(bytes.subarray(at, at + size));
  if (!decoded.ok) throw new Error('bad BigSize');
  if (encodeBigSize(decoded.value).length !== size) throw new Error('not minimal');
  return { value: decoded.value, size };
}
