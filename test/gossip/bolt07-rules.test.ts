// The BOLT 7 receiving rules (shared/gossip/gossip-rules.ts): each typed
// reason from a concrete message, and what an accepted message tells the
// caller (direction, disable / dont_forward, the addresses worth dialling).
import { describe, expect, it } from 'vitest';
import { nobleSecp256k1 as secp } from '../../shared/crypto/index.js';
import {
  announcementSignaturesFor,
  channelAnnouncementFrom,
  checkAnnouncementSignatures,
  checkChannelAnnouncement,
  checkChannelUpdate,
  checkFundingOutput,
  checkGossipTimestampFilter,
  checkNodeAnnouncement,
  checkQueryChannelRange,
  checkQueryShortChannelIds,
  checkReplyChannelRange,
  ourChannelUpdate,
  ourNodeAnnouncement,
  unsignedChannelAnnouncement,
  weAreNode1,
} from '../../shared/gossip/index.js';
import type { QueryChannelRangeMessage, ReplyChannelRangeMessage } from '../../shared/gossip/index.js';
import { KeysManager } from '../../shared/keys/index.js';
import { fundingOutputScript } from '../../shared/tx/index.js';
import { setFeatureBits } from '../../shared/wire/index.js';

const CHAIN = new Uint8Array(32).fill(0x0c);
const OTHER_CHAIN = new Uint8Array(32).fill(0x0d);
const NOW = 1_700_000_000;
const entropy = { getSecureRandomBytes: () => new Uint8Array(32).fill(0x11) };
const a = new KeysManager(secp, new Uint8Array(32).fill(0x01), entropy);
const b = new KeysManager(secp, new Uint8Array(32).fill(0x02), entropy);
const signerA = a.deriveChannelSigner(100_000n, new Uint8Array(32).fill(1));
const signerB = b.deriveChannelSigner(100_000n, new Uint8Array(32).fill(2));
const SCID = (800_000n << 40n) | (5n << 16n) | 1n;
const channelId = new Uint8Array(32).fill(7);

const unsignedA = unsignedChannelAnnouncement({ chainHash: CHAIN, shortChannelId: SCID, ourNodeId: a.getNodeId(), theirNodeId: b.getNodeId(), ourFundingPubkey: signerA.publicKeys.fundingPubkey, theirFundingPubkey: signerB.publicKeys.fundingPubkey });
const unsignedB = unsignedChannelAnnouncement({ chainHash: CHAIN, shortChannelId: SCID, ourNodeId: b.getNodeId(), theirNodeId: a.getNodeId(), ourFundingPubkey: signerB.publicKeys.fundingPubkey, theirFundingPubkey: signerA.publicKeys.fundingPubkey });
const sigsA = announcementSignaturesFor(a, signerA, channelId, unsignedA);
const sigsB = announcementSignaturesFor(b, signerB, channelId, unsignedB);
const announcement = channelAnnouncementFrom(unsignedA, a.getNodeId(), sigsA, sigsB);
const channel = { nodeId1: announcement.nodeId1, nodeId2: announcement.nodeId2, capacitySat: 100_000n };
const policy = { chainHash: CHAIN, shortChannelId: SCID, timestamp: NOW, cltvExpiryDelta: 40, htlcMinimumMsat: 1n, htlcMaximumMsat: 100_000_000n, feeBaseMsat: 1, feeProportionalMillionths: 1, disabled: false, dontForward: false };

describe('BOLT 7 channel_announcement rules', () => {
  it('both sides build the same announcement; our signatures make a valid one whichever node is node_1', () => {
    expect(unsignedB).toEqual(unsignedA);
    expect(checkChannelAnnouncement(secp, announcement, { chainHash: CHAIN })).toEqual({ ok: true });
    expect(channelAnnouncementFrom(unsignedB, b.getNodeId(), sigsB, sigsA)).toEqual(announcement);
  });

  it('refuses another chain, unsorted node ids, unknown required features, a known scid, and bad signatures (warn)', () => {
    const check = (m: typeof announcement, known?: typeof announcement) => checkChannelAnnouncement(secp, m, { chainHash: CHAIN, known });
    expect(checkChannelAnnouncement(secp, announcement, { chainHash: OTHER_CHAIN })).toMatchObject({ ok: false, reason: 'unknown-chain', action: 'ignore' });
    expect(check({ ...announcement, nodeId1: announcement.nodeId2, nodeId2: announcement.nodeId1 })).toMatchObject({ ok: false, reason: 'node-ids-not-sorted' });
    expect(check({ ...announcement, nodeId2: announcement.nodeId1 })).toMatchObject({ ok: false, reason: 'node-ids-not-sorted' });
    expect(check({ ...announcement, features: Uint8Array.of(1) })).toMatchObject({ ok: false, reason: 'unknown-required-feature' });
    expect(check(announcement, announcement)).toMatchObject({ ok: false, reason: 'duplicate-announcement' });
    expect(check(announcement, { ...announcement, bitcoinKey1: signerB.publicKeys.fundingPubkey })).toMatchObject({ ok: false, reason: 'conflicting-announcement' });
    expect(check({ ...announcement, bitcoinSignature2: announcement.bitcoinSignature1 })).toMatchObject({ ok: false, reason: 'bad-signature', action: 'warn' });
    expect(check({ ...announcement, excessData: Uint8Array.of(0) })).toMatchObject({ ok: false, reason: 'bad-signature' });
    // An odd (optional) unknown channel feature is fine, but it is signed: a changed one no longer verifies.
    expect(check({ ...announcement, features: Uint8Array.of(2) })).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('the funding output must be the unspent 2-of-2 P2WSH of the bitcoin keys; its value is the capacity', () => {
    const script = fundingOutputScript(signerA.publicKeys.fundingPubkey, signerB.publicKeys.fundingPubkey);
    expect(script.length).toBe(34);
    expect(checkFundingOutput(announcement, { scriptPubkey: script, valueSat: 100_000n, spent: false })).toEqual({ ok: true, capacitySat: 100_000n });
    expect(checkFundingOutput(announcement, undefined)).toMatchObject({ ok: false, reason: 'funding-output-missing' });
    const other = fundingOutputScript(signerA.publicKeys.fundingPubkey, signerA.publicKeys.htlcBasepoint);
    expect(checkFundingOutput(announcement, { scriptPubkey: other, valueSat: 100_000n, spent: false })).toMatchObject({ ok: false, reason: 'funding-output-mismatch' });
    expect(checkFundingOutput(announcement, { scriptPubkey: script, valueSat: 100_000n, spent: true })).toMatchObject({ ok: false, reason: 'funding-output-spent' });
  });

  it('announcement_signatures: for our channel and scid, both signatures over our announcement', () => {
    const ctx = { channelId, announcement: unsignedA, theirNodeId: b.getNodeId(), theirFundingPubkey: signerB.publicKeys.fundingPubkey };
    expect(checkAnnouncementSignatures(secp, sigsB, ctx)).toEqual({ ok: true });
    expect(checkAnnouncementSignatures(secp, { ...sigsB, shortChannelId: SCID + 1n }, ctx)).toMatchObject({ ok: false, reason: 'wrong-short-channel-id', action: 'warn' });
    expect(checkAnnouncementSignatures(secp, { ...sigsB, channelId: new Uint8Array(32) }, ctx)).toMatchObject({ ok: false, reason: 'wrong-short-channel-id' });
    expect(checkAnnouncementSignatures(secp, sigsA, ctx)).toMatchObject({ ok: false, reason: 'bad-signature', detail: expect.stringContaining('node-signature') });
    expect(checkAnnouncementSignatures(secp, { ...sigsB, bitcoinSignature: sigsA.bitcoinSignature }, ctx)).toMatchObject({ ok: false, reason: 'bad-signature', detail: expect.stringContaining('bitcoin-signature') });
  });
});

describe('BOLT 7 node_announcement rules', () => {
  const node = ourNodeAnnouncement(a, {
    timestamp: NOW,
    features: new Uint8Array(0),
    rgbColor: Uint8Array.of(0, 0, 0),
    alias: 'ä node',
    addresses: [
      { kind: 'ipv4', addr: Uint8Array.of(1, 2, 3, 4), port: 0 },
      { kind: 'ipv4', addr: Uint8Array.of(1, 2, 3, 4), port: 9735 },
      { kind: 'dns', hostname: 'first.example', port: 9735 },
      { kind: 'dns', hostname: 'second.example', port: 9735 },
      { kind: 'unknown', addressType: 9, data: Uint8Array.of(1) },
    ],
  });

  it('accepts a newer signed announcement of a node with a channel, with the addresses worth dialling', () => {
    expect(new TextDecoder().decode(node.alias).replace(/\0+$/, '')).toBe('ä node');
    expect(checkNodeAnnouncement(secp, node, { hasChannel: true, storedTimestamp: NOW - 1 })).toEqual({
      ok: true,
      unknownRequiredFeatures: false,
      addresses: [
        { kind: 'ipv4', addr: Uint8Array.of(1, 2, 3, 4), port: 9735 },
        { kind: 'dns', hostname: 'first.example', port: 9735 },
      ],
    });
  });

  it('refuses a node with no channel, a timestamp not newer, a bad signature; flags unknown required features', () => {
    expect(checkNodeAnnouncement(secp, node, { hasChannel: false })).toMatchObject({ ok: false, reason: 'unknown-node', action: 'ignore' });
    expect(checkNodeAnnouncement(secp, node, { hasChannel: true, storedTimestamp: NOW })).toMatchObject({ ok: false, reason: 'stale-timestamp' });
    expect(checkNodeAnnouncement(secp, { ...node, timestamp: NOW + 1 }, { hasChannel: true })).toMatchObject({ ok: false, reason: 'bad-signature', action: 'warn' });
    const strange = ourNodeAnnouncement(a, { timestamp: NOW, features: setFeatureBits(new Uint8Array(0), 100), rgbColor: Uint8Array.of(0, 0, 0), alias: '', addresses: [] });
    expect(checkNodeAnnouncement(secp, strange, { hasChannel: true })).toMatchObject({ ok: true, unknownRequiredFeatures: true });
    expect(() => ourNodeAnnouncement(a, { timestamp: NOW, features: new Uint8Array(0), rgbColor: Uint8Array.of(0, 0, 0), alias: 'x'.repeat(33), addresses: [] })).toThrow(RangeError);
  });
});

describe('BOLT 7 channel_update rules', () => {
  const fromA = ourChannelUpdate(a, { ...policy, theirNodeId: b.getNodeId() });
  const aIsNode1 = weAreNode1(a.getNodeId(), b.getNodeId());

  it('accepts a signed update: its direction from the node order, disable and dont_forward read', () => {
    expect(checkChannelUpdate(secp, fromA, { chainHash: CHAIN, channel, nowSec: NOW })).toEqual({ ok: true, direction: aIsNode1 ? 0 : 1, disabled: false, forward: true });
    const privateDisabled = ourChannelUpdate(a, { ...policy, theirNodeId: b.getNodeId(), disabled: true, dontForward: true, timestamp: NOW + 1 });
    expect(privateDisabled.messageFlags).toBe(3);
    expect(checkChannelUpdate(secp, privateDisabled, { chainHash: CHAIN, channel, storedTimestamp: NOW })).toEqual({ ok: true, direction: aIsNode1 ? 0 : 1, disabled: true, forward: false });
  });

  it('refuses another chain, an unknown channel, old or far-future timestamps, bad HTLC limits, the wrong signer', () => {
    const ctx = { chainHash: CHAIN, channel };
    expect(checkChannelUpdate(secp, fromA, { ...ctx, chainHash: OTHER_CHAIN })).toMatchObject({ ok: false, reason: 'unknown-chain' });
    expect(checkChannelUpdate(secp, fromA, { chainHash: CHAIN })).toMatchObject({ ok: false, reason: 'unknown-channel' });
    expect(checkChannelUpdate(secp, fromA, { ...ctx, storedTimestamp: NOW })).toMatchObject({ ok: false, reason: 'stale-timestamp' });
    expect(checkChannelUpdate(secp, fromA, { ...ctx, nowSec: NOW - 86_401 })).toMatchObject({ ok: false, reason: 'timestamp-in-future' });
    expect(checkChannelUpdate(secp, fromA, { ...ctx, nowSec: NOW - 86_400 }).ok).toBe(true);
    const inverted = ourChannelUpdate(a, { ...policy, theirNodeId: b.getNodeId(), htlcMinimumMsat: 2n, htlcMaximumMsat: 1n });
    expect(checkChannelUpdate(secp, inverted, ctx)).toMatchObject({ ok: false, reason: 'htlc-minimum-above-maximum' });
    const tooBig = ourChannelUpdate(a, { ...policy, theirNodeId: b.getNodeId(), htlcMaximumMsat: 100_000_001n });
    expect(checkChannelUpdate(secp, tooBig, ctx)).toMatchObject({ ok: false, reason: 'htlc-maximum-above-capacity' });
    expect(checkChannelUpdate(secp, tooBig, { chainHash: CHAIN, channel: { ...channel, capacitySat: undefined } }).ok).toBe(true);
    expect(checkChannelUpdate(secp, { ...fromA, channelFlags: fromA.channelFlags ^ 1 }, ctx)).toMatchObject({ ok: false, reason: 'bad-signature', action: 'warn' });
  });
});

describe('BOLT 7 query rules', () => {
  const query: QueryChannelRangeMessage = { type: 263, chainHash: CHAIN, firstBlocknum: 800_000, numberOfBlocks: 1000 };
  const at = (height: bigint, tx = 0n): bigint => (height << 40n) | (tx << 16n);
  const reply = (over: Partial<ReplyChannelRangeMessage>): ReplyChannelRangeMessage => ({
    type: 264,
    chainHash: CHAIN,
    firstBlocknum: 800_000,
    numberOfBlocks: 500,
    syncComplete: 1,
    encodedShortIds: { encoding: 'uncompressed', values: [at(800_000n), at(800_000n, 1n), at(800_499n)] },
    ...over,
  });

  it('gossip_timestamp_filter and query_channel_range: our chain only', () => {
    expect(checkGossipTimestampFilter({ type: 265, chainHash: CHAIN, firstTimestamp: 0, timestampRange: 1 }, CHAIN)).toEqual({ ok: true });
    expect(checkGossipTimestampFilter({ type: 265, chainHash: OTHER_CHAIN, firstTimestamp: 0, timestampRange: 1 }, CHAIN)).toMatchObject({ ok: false, reason: 'unknown-chain' });
    expect(checkQueryChannelRange(query, CHAIN)).toEqual({ ok: true });
    expect(checkQueryChannelRange(query, OTHER_CHAIN)).toMatchObject({ ok: false, reason: 'unknown-chain' });
  });

  it('query_short_channel_ids: uncompressed, one flag per id', () => {
    const ids = { encoding: 'uncompressed' as const, values: [at(1n), at(2n)] };
    expect(checkQueryShortChannelIds({ type: 261, chainHash: CHAIN, encodedShortIds: ids, queryFlags: { encoding: 'uncompressed', values: [1n, 31n] } }, CHAIN)).toEqual({ ok: true, shortChannelIds: ids.values });
    expect(checkQueryShortChannelIds({ type: 261, chainHash: CHAIN, encodedShortIds: ids, queryFlags: { encoding: 'uncompressed', values: [1n] } }, CHAIN)).toMatchObject({ ok: false, reason: 'count-mismatch', action: 'warn' });
    expect(checkQueryShortChannelIds({ type: 261, chainHash: CHAIN, encodedShortIds: { encoding: 'zlib', data: Uint8Array.of(0x78) } }, CHAIN)).toMatchObject({ ok: false, reason: 'deprecated-encoding' });
    expect(checkQueryShortChannelIds({ type: 261, chainHash: OTHER_CHAIN, encodedShortIds: ids }, CHAIN)).toMatchObject({ ok: false, reason: 'unknown-chain' });
  });

  it('reply_channel_range: ids ascending and inside the reply range, the range inside the query, one timestamp and checksum pair per id', () => {
    expect(checkReplyChannelRange(reply({}), query)).toMatchObject({ ok: true });
    expect(checkReplyChannelRange(reply({ encodedShortIds: { encoding: 'uncompressed', values: [at(800_001n), at(800_000n)] } }), query)).toMatchObject({ ok: false, reason: 'short-channel-ids-not-ascending' });
    expect(checkReplyChannelRange(reply({ encodedShortIds: { encoding: 'uncompressed', values: [at(800_000n), at(800_000n)] } }), query)).toMatchObject({ ok: false, reason: 'short-channel-ids-not-ascending' });
    expect(checkReplyChannelRange(reply({ encodedShortIds: { encoding: 'uncompressed', values: [at(800_500n)] } }), query)).toMatchObject({ ok: false, reason: 'out-of-range' });
    expect(checkReplyChannelRange(reply({ firstBlocknum: 801_000 }), query)).toMatchObject({ ok: false, reason: 'out-of-range' });
    expect(checkReplyChannelRange(reply({ numberOfBlocks: 0, encodedShortIds: { encoding: 'uncompressed', values: [] } }), query)).toMatchObject({ ok: false, reason: 'out-of-range' });
    expect(checkReplyChannelRange(reply({ checksumsTlv: [{ checksumNodeId1: 1, checksumNodeId2: 2 }] }), query)).toMatchObject({ ok: false, reason: 'count-mismatch' });
    expect(checkReplyChannelRange(reply({ timestampsTlv: { encoding: 'uncompressed', values: [] } }), query)).toMatchObject({ ok: false, reason: 'count-mismatch' });
    expect(checkReplyChannelRange(reply({ chainHash: OTHER_CHAIN }), query)).toMatchObject({ ok: false, reason: 'unknown-chain' });
  });
});
