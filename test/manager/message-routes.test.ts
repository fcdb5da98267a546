/**
 * Issue 14: one routing table from message type to handler. Every type the
 * peer layer hands on has a row and every row is reachable through the
 * peer layer; a message in a phase that does not accept it gets the
 * treatment its row declares (ignore, warn, close); channel items written
 * before the flags existed still decode.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHANNEL_MESSAGE_ROWS, ChannelState, handleChannelMessage, phaseVerdict, type Channel, type ChannelLevelMessage } from '../../shared/channel/index.js';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { decodeChannelEntry, encodeChannelEntry, withFlags, type ChannelItem } from '../../shared/manager/channel-entry.js';
import { CHANNEL_MESSAGE_TYPES, encodePeerMessage, peerConnected, peerMessage, type NodeConfig, type PeerWireMessage } from '../../shared/manager/index.js';
import { MESSAGE_ROUTES, routeOf, unsupportedMessageText, type MessageRoute } from '../../shared/manager/message-routes.js';
import { UNSUPPORTED_CHANNEL_MESSAGES } from '../../shared/manager/peer-manager.js';
import { encodeMessage, OUR_INIT_FEATURES, type WireMessage } from '../../shared/wire/index.js';
import { VECTORS } from '../support/bolt02-vectors.js';
import { GOSSIP_SAMPLES } from '../support/gossip-samples.js';
import { recordValue, withRecord } from '../support/record-tlvs.js';
import { channelsOf, connectedPair, eventsOf, fund, onlyChannel, openChannel } from './manager-fixture.js';

const ROWS = Object.entries(MESSAGE_ROUTES as Record<string, MessageRoute>).map(([t, r]) => [Number(t), r] as const);
const REGTEST = fromHex('06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f');
const config: NodeConfig = { chainHash: REGTEST, features: OUR_INIT_FEATURES };
const PEER = fromHex('02' + '11'.repeat(32));
/** BOLT 2 normal-operation messages (the establishment vectors do not have them). */
const CID = new Uint8Array(32).fill(9);
const NORMAL_OPERATION: readonly WireMessage[] = [
  { type: 128, channelId: CID, id: 0n, amountMsat: 1000n, paymentHash: new Uint8Array(32), cltvExpiry: 100, onionRoutingPacket: new Uint8Array(1366) },
  { type: 130, channelId: CID, id: 0n, paymentPreimage: new Uint8Array(32) },
  { type: 131, channelId: CID, id: 0n, reason: new Uint8Array(0) },
  { type: 132, channelId: CID, signature: new Uint8Array(64), htlcSignatures: [] },
  { type: 133, channelId: CID, perCommitmentSecret: new Uint8Array(32), nextPerCommitmentPoint: fromHex('02' + '11'.repeat(32)) },
  { type: 134, channelId: CID, feeratePerKw: 253 },
  { type: 135, channelId: CID, id: 0n, sha256OfOnion: new Uint8Array(32), failureCode: 0x8000 | 0x4000 | 5 },
];
/** A BOLT 7 `channel_update` (a peer's policy for a private channel). */
const CHANNEL_UPDATE: WireMessage = {
  type: 258,
  signature: new Uint8Array(64),
  chainHash: REGTEST,
  shortChannelId: 7n,
  timestamp: 1,
  messageFlags: 1,
  channelFlags: 0,
  cltvExpiryDelta: 72,
  htlcMinimumMsat: 1n,
  feeBaseMsat: 1000,
  feeProportionalMillionths: 0,
  htlcMaximumMsat: 1000n,
};
/** A sample of every type the peer layer hands on: BOLT 2, `channel_update` and the other BOLT 7 types (decoded by shared/gossip). */
const SAMPLES: readonly PeerWireMessage[] = [...VECTORS.map((v) => v.message), ...NORMAL_OPERATION, CHANNEL_UPDATE, ...GOSSIP_SAMPLES];
const ERROR: WireMessage = { type: 17, channelId: new Uint8Array(32).fill(5), data: new TextEncoder().encode('bye') };

/** A peer whose init arrived. */
function readyPeer() {
  const connected = peerConnected(config, { nodeId: PEER, connectionId: 'c1', inbound: true, address: '127.0.0.1:1' }).state!;
  const init: WireMessage = { type: 16, globalfeatures: new Uint8Array(0), features: fromHex('08a0000a0a5121'), networks: [REGTEST] };
  return peerMessage(config, connected, 'c1', encodeMessage(init)).state!;
}

/** A message of `type` the wire does not decode (the payment messages): type, 32-byte id, some payload. */
function raw(type: number): Uint8Array {
  const bytes = new Uint8Array(2 + 32 + 40);
  bytes[0] = type >> 8;
  bytes[1] = type & 0xff;
  return bytes;
}

describe('the routing table covers exactly what the peer layer hands on', () => {
  it('every BOLT 2 message, error, payment message and unknown type: handed on iff it has a row, as the row says', () => {
    const handedOn = new Map<number, 'message' | 'unsupported'>();
    const inputs: [number, Uint8Array][] = [
      [17, encodeMessage(ERROR)],
      [18, encodeMessage({ type: 18, numPongBytes: 0, ignored: new Uint8Array(0) })],
      [1, encodeMessage({ type: 1, channelId: new Uint8Array(32), data: new Uint8Array(0) })],
      ...SAMPLES.map((m) => [m.type, encodePeerMessage(m)] as [number, Uint8Array]),
      ...[129, 134, 136 + 64, 1000].map((t) => [t, raw(t)] as [number, Uint8Array]),
    ];
    for (const [type, bytes] of inputs) {
      const step = peerMessage(config, readyPeer(), 'c1', bytes);
      const row = routeOf(type);
      const forwarded = step.effects.find((e) => e.kind === 'channel-message' || e.kind === 'unsupported-message');
      if (forwarded) handedOn.set(type, forwarded.kind === 'channel-message' ? 'message' : 'unsupported');
      const expected = row?.kind === 'unsupported' ? 'unsupported' : row ? 'message' : undefined;
      expect(expected, `type ${type}`).toBe(handedOn.get(type));
    }
    // Each row is reachable: the peer layer hands on every type of the table, and nothing else.
    expect([...handedOn.keys()].sort((a, b) => a - b)).toEqual(ROWS.map(([t]) => t));
    expect([...CHANNEL_MESSAGE_TYPES].sort((a, b) => a - b)).toEqual(ROWS.filter(([, r]) => r.kind !== 'unsupported').map(([t]) => t));
    expect([...UNSUPPORTED_CHANNEL_MESSAGES]).toEqual(ROWS.filter(([, r]) => r.kind === 'unsupported').map(([t, r]) => [t, r.name]));
  });

  it('no BOLT 2 message type is unsupported any more (update_fee, the last one, has a channel row)', () => {
    expect([...UNSUPPORTED_CHANNEL_MESSAGES]).toEqual([]);
    for (let type = 32; type <= 136; type++) expect(routeOf(type)?.kind, `type ${type}`).not.toBe('unsupported');
    expect(routeOf(134)).toMatchObject({ kind: 'channel', name: 'update_fee', channelId: 'channelId', unknownChannel: 'error', beforeReestablish: 'warn' });
    const m: WireMessage = { type: 134, channelId: CID, feeratePerKw: 1000 };
    expect(peerMessage(config, readyPeer(), 'c1', encodeMessage(m)).effects).toEqual([{ kind: 'channel-message', peer: PEER, message: m }]);
  });

  it('every channel row has a channel-level row (phases), and only those', () => {
    const channelRows = ROWS.filter(([, r]) => r.kind === 'channel').map(([t]) => t);
    expect(Object.keys(CHANNEL_MESSAGE_ROWS).map(Number)).toEqual(channelRows);
  });

  it('through a node: each row reached by its message, as its row says (temporary id for 33/34, none for 32, zero id for all)', () => {
    const { net, alice, bob } = connectedPair();
    for (const [type, route] of ROWS) {
      const vector = SAMPLES.find((m) => m.type === type);
      const bytes = type === 17 ? encodeMessage(ERROR) : vector ? encodePeerMessage(vector) : raw(type);
      const before = alice.received.length;
      const disconnects = bob.disconnects.length;
      net.queue.push({ from: alice, to: bob, bytes });
      net.run();
      const answers = alice.received.slice(before);
      if (route.kind === 'unsupported') {
        expect(bob.disconnects.slice(disconnects), `type ${type}`).toEqual([unsupportedMessageText(type)]);
        expect(eventsOf(bob, 'unsupported-message').at(-1)?.messageType).toBe(type);
        continue;
      }
      if (route.kind === 'peer' && (type === 258 || (type >= 256 && type !== 259))) {
        // channel_update for no channel of ours, and the graph's gossip: no answer (the GossipHandler port reads it).
        expect(answers, `type ${type}`).toEqual([]);
        continue;
      }
      if (type === 259) {
        // announcement_signatures for no channel of ours: a warning (which the sender's peer layer keeps).
        expect(answers, `type ${type}`).toEqual([]);
        expect(alice.peers.get(toHex(bob.nodeId))?.lastMessageFromPeer).toBe('warning: announcement_signatures: unknown channel');
        continue;
      }
      if (route.kind === 'peer') {
        // open_channel: answered (accepted or refused) under its temporary id.
        const m = vector as Extract<WireMessage, { type: 32 }>;
        expect(answers.map((a) => ('temporaryChannelId' in a ? toHex(a.temporaryChannelId) : 'channelId' in a ? toHex(a.channelId) : '')), `type ${type}`).toContain(toHex(m.temporaryChannelId));
        continue;
      }
      if (route.unknownChannel === 'ignore') {
        expect(answers, `type ${type}`).toEqual([]);
        continue;
      }
      // An unknown channel, named by the row's id field, gets an error for that id.
      const id = (vector as unknown as Record<string, Uint8Array>)[route.channelId]!;
      expect(answers.map((a) => (a.type === 17 ? [toHex(a.channelId), new TextDecoder().decode(a.data)] : a.type)), `type ${type}`).toEqual([[toHex(id), 'unknown channel']]);
    }
  });
});

describe('a message in a phase that does not accept it gets its declared treatment', () => {
  /** A real funded channel (bob's, ready), to stand in any phase. */
  function readyChannel(): Channel {
    const { net, alice, bob } = connectedPair();
    net.mine([fund(net, alice, openChannel(net, alice, bob))]);
    const entry = [...bob.store.storedChannels().values()][0]!;
    if (!entry.ok || entry.value.kind !== 'channel') throw new Error('no channel');
    return entry.value.channel;
  }

  it('the channel-level table, every row in every phase: close fails it (unexpected-message), ignore and warn change nothing', () => {
    const base = readyChannel();
    const messages = new Map<number, ChannelLevelMessage>(SAMPLES.map((m) => [m.type, m as ChannelLevelMessage]));
    messages.set(17, ERROR as ChannelLevelMessage);
    const seen = new Set<string>();
    for (const [type, row] of Object.entries(CHANNEL_MESSAGE_ROWS)) {
      for (const state of Object.values(ChannelState)) {
        const channel = { ...base, state } as Channel;
        const m = messages.get(Number(type))!;
        const verdict = phaseVerdict(channel, m);
        seen.add(verdict);
        if (verdict === 'handle') {
          expect(row.accepts, `${row.name} in ${state}`).toContain(state);
          continue;
        }
        const step = handleChannelMessage({} as never, channel, m);
        if (verdict === 'close') {
          expect(step.failure, `${row.name} in ${state}`).toEqual({ reason: 'unexpected-message', message: `${row.name} in state ${state}` });
        } else {
          expect(step, `${row.name} in ${state}`).toEqual({ channel, effects: [] });
        }
      }
    }
    expect([...seen].sort()).toEqual(['close', 'handle', 'ignore', 'warn']);
  });

  it('close: funding_signed to a ready channel fails it (and force-closes: our commitment is broadcast)', () => {
    const { net, alice, bob } = connectedPair();
    net.mine([fund(net, alice, openChannel(net, alice, bob))]);
    const channelId = onlyChannel(net, bob).channelId;
    const message = { type: 35, channelId, signature: new Uint8Array(64) } as const;
    const broadcasts = bob.broadcasts.length;
    net.step(bob, { kind: 'peer-message', peer: alice.nodeId, message }, (m) => m.handleChannelMessage(alice.nodeId, message));
    expect(eventsOf(bob, 'channel-closed')).toMatchObject([{ reason: 'unexpected-message', message: 'funding_signed in state ready' }]);
    expect(bob.broadcasts.length).toBe(broadcasts + 1);
    expect(channelsOf(net, bob)).toEqual([]);
  });

  it('ignore: a repeated channel_ready to a ready channel writes nothing and sends nothing', () => {
    const { net, alice, bob } = connectedPair();
    net.mine([fund(net, alice, openChannel(net, alice, bob))]);
    const channelId = onlyChannel(net, bob).channelId;
    const message = { type: 36, channelId, secondPerCommitmentPoint: alice.nodeId } as const;
    const items = new Map(bob.store.items);
    const changes = net.step(bob, { kind: 'peer-message', peer: alice.nodeId, message }, (m) => {
      m.handleChannelMessage(alice.nodeId, message);
      return m.getAndClearPendingMsgEvents();
    });
    expect(changes).toEqual([]);
    expect(bob.store.items).toEqual(items);
  });

  it('shutdown before channel_ready: a warning from the channel-level row (BOLT 2 allows it; not supported yet), the channel stays', () => {
    const { net, alice, bob } = connectedPair();
    fund(net, alice, openChannel(net, alice, bob));
    const channelId = onlyChannel(net, bob).channelId;
    const message = { type: 38, channelId, scriptpubkey: Uint8Array.of(0, 20, ...new Uint8Array(20)) } as const;
    net.step(bob, { kind: 'peer-message', peer: alice.nodeId, message }, (m) => m.handleChannelMessage(alice.nodeId, message));
    net.run();
    expect(alice.peers.get(toHex(bob.nodeId))?.lastMessageFromPeer).toBe('warning: shutdown before channel_ready is not supported yet');
    expect(onlyChannel(net, bob).channelId).toEqual(channelId);
  });
});

describe('channel item flags', () => {
  const fixture = fromHex(readFileSync(new URL('./fixtures/channel-item-tlv20.hex', import.meta.url), 'utf8').trim());

  it('an item written before the flags existed (TLV 20) decodes, with its held effects, and re-encodes byte for byte (but for the channel_type record)', () => {
    const decoded = decodeChannelEntry(fixture);
    if (!decoded.ok || decoded.value.kind !== 'channel') throw new Error('the fixture does not decode');
    expect(decoded.value.flags).toEqual({ awaitingReestablish: true });
    expect(decoded.value.latestMonitorUpdateId).toBe(0n);
    expect(decoded.value.held).toMatchObject({ untilUpdateId: 0n, broadcasts: [Uint8Array.of(1, 2, 3)], messages: [{ type: 1, data: new TextEncoder().encode('held') }] });
    expect(decoded.value.channel.state).toBe('awaiting-confirmation');
    // Since TLV 46 the channel record inside (entry TLV 2) also holds its channel_type, `1000` (static_remotekey); nothing else changes.
    const channelRecord = recordValue(fixture, 2n)!;
    const expected = withRecord(fixture, 2n, withRecord(channelRecord, 46n, fromHex('1000')));
    expect(toHex(encodeChannelEntry(decoded.value))).toBe(toHex(expected));
  });

  it('awaitingRemoteRevoke round-trips (TLV 22); peerDisconnected is derived, never written; no flag, no flags', () => {
    const decoded = decodeChannelEntry(fixture);
    if (!decoded.ok || decoded.value.kind !== 'channel') throw new Error('the fixture does not decode');
    const item: ChannelItem = withFlags(decoded.value, { awaitingReestablish: false, awaitingRemoteRevoke: true, peerDisconnected: true });
    const again = decodeChannelEntry(encodeChannelEntry(item));
    expect(again.ok && again.value.kind === 'channel' && again.value.flags).toEqual({ awaitingRemoteRevoke: true });
    const none = withFlags(item, { awaitingRemoteRevoke: false, peerDisconnected: false });
    expect('flags' in none).toBe(false);
    const plain = decodeChannelEntry(encodeChannelEntry(none));
    expect(plain.ok && 'flags' in plain.value).toBe(false);
  });
});
