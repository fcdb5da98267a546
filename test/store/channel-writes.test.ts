/**
 * The pure planner of a channel's item writes (shared/store/channel-writes.ts,
 * docs/items.md): what each HTLC message of a full channel writes, deletes,
 * and leaves to the deferred cleanup.
 */
import { describe, expect, it } from 'vitest';
import { decodeCleanupRecord, encodeCleanupRecord, planChannelWrites, SortKey } from '../../shared/store/index.js';
import type { HtlcRecord } from '../../shared/channel/index.js';
import { channelWith, htlc, htlcsEachWay, onionOf, signatureSet } from '../support/htlc-population.js';

describe('planChannelWrites', () => {
  const full = channelWith(htlcsEachWay());
  const id = full.idHex;

  it('update_add_htlc: the channel item and the new onion', () => {
    const w = planChannelWrites({ channelIdHex: id, channel: { key: full.key, data: full.item }, onions: [{ htlcId: 482n, onion: onionOf(482) }] });
    expect(w.puts.map((p) => p.sk)).toEqual([SortKey.channel(full.key), SortKey.onion(id, 482n)]);
    expect(w.deletes).toEqual([]);
    expect(w.cleanup).toEqual([]);
  });

  it('commitment_signed: one HTLCSIGS item, the previous deleted (not when it is the same number)', () => {
    const w = planChannelWrites({ channelIdHex: id, htlcSignatures: { set: signatureSet(9n, 966), replaces: 8n } });
    expect(w.puts.map((p) => p.sk)).toEqual([SortKey.htlcSignatures(id, 9n)]);
    expect(w.deletes).toEqual([SortKey.htlcSignatures(id, 8n)]);
    expect(planChannelWrites({ channelIdHex: id, htlcSignatures: { set: signatureSet(9n, 1), replaces: 9n } }).deletes).toEqual([]);
    expect(planChannelWrites({ channelIdHex: id, htlcSignatures: { set: signatureSet(0n, 0) } }).deletes).toEqual([]);
  });

  it('update_fail_htlc: the failure reason once; resolving a failed HTLC with a reason cleans it and the onion later', () => {
    const w = planChannelWrites({ channelIdHex: id, failureReasons: [{ direction: 'offered', htlcId: 7n, reason: new Uint8Array(292) }] });
    expect(w.puts.map((p) => p.sk)).toEqual([SortKey.failureReason(id, 'offered', 7n)]);
    const failed: HtlcRecord = { ...htlc('received', 3), direction: 'received', state: 'local-removed', resolution: { kind: 'fail', hasReason: true } };
    const malformed: HtlcRecord = {
      ...htlc('received', 4),
      direction: 'received',
      state: 'local-removed',
      resolution: { kind: 'fail-malformed', failureCode: 0xc005, sha256OfOnion: new Uint8Array(32) },
    };
    const offeredFailed: HtlcRecord = { ...htlc('offered', 7), direction: 'offered', state: 'awaiting-removed-remote-revoke', resolution: { kind: 'fail', hasReason: true } };
    const r = planChannelWrites({ channelIdHex: id, resolved: [failed, malformed, offeredFailed, htlc('offered', 8, true)] });
    expect(r.puts).toEqual([]);
    expect(r.deletes).toEqual([]);
    expect(r.cleanup).toEqual([SortKey.onion(id, 3n), SortKey.failureReason(id, 'received', 3n), SortKey.onion(id, 4n), SortKey.failureReason(id, 'offered', 7n)]);
  });

  it('revoke_and_ack settling 966 HTLCs: the channel item only, and 483 keys for the cleanup (one item)', () => {
    const empty = channelWith([]);
    const w = planChannelWrites({ channelIdHex: id, channel: { key: empty.key, data: empty.item }, resolved: htlcsEachWay(483, true) });
    expect(w.puts).toHaveLength(1);
    expect(w.deletes).toEqual([]);
    expect(w.cleanup).toHaveLength(483);
    const item = encodeCleanupRecord(w.cleanup);
    console.log(`CLEANUP item of 483 onion keys: ${item.length} bytes`);
    expect(decodeCleanupRecord(item)).toEqual({ ok: true, value: w.cleanup });
  });

  it('a side item written and resolved in the same input is neither written nor cleaned', () => {
    const w = planChannelWrites({ channelIdHex: id, onions: [{ htlcId: 1n, onion: onionOf(1) }], resolved: [htlc('received', 1, true)] });
    expect(w.puts).toEqual([]);
    expect(w.cleanup).toEqual([]);
  });

  it('cleanup records refuse garbage and newer versions with a DecodeError', () => {
    expect(decodeCleanupRecord(Uint8Array.of(2)).ok).toBe(false);
    expect(decodeCleanupRecord(Uint8Array.of(1, 0, 5, 9)).ok).toBe(false);
  });
});
