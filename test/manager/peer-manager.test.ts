import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../shared/crypto/index.js';
import {
  CHANNEL_MESSAGE_TYPES,
  decodePeerState,
  encodePeerMessage,
  encodePeerState,
  peerConnected,
  peerDisconnected,
  peerMessage,
  type NodeConfig,
  type PeerState,
} from '../../shared/manager/index.js';
import { VECTORS } from '../support/bolt02-vectors.js';
import { GOSSIP_SAMPLES } from '../support/gossip-samples.js';
import { OUR_INIT_FEATURES, decodeAddressDescriptor, encodeMessage, featuresFromBits, type WireMessage } from '../../shared/wire/index.js';

const REGTEST = fromHex('06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f');
const MAINNET = fromHex('6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000');
const config: NodeConfig = { chainHash: REGTEST, features: OUR_INIT_FEATURES };
const PEER = fromHex('02' + '11'.repeat(32));
const LDK_FEATURES = fromHex('08a0000a0a5121');

const init = (features: Uint8Array, networks?: Uint8Array[]): WireMessage => ({
  type: 16,
  globalfeatures: new Uint8Array(0),
  features,
  ...(networks ? { networks } : {}),
});

function connected(): PeerState {
  const step = peerConnected(config, { nodeId: PEER, connectionId: 'c1', inbound: true, address: '127.0.0.1:40000' });
  return step.state!;
}

function ready(): PeerState {
  return peerMessage(config, connected(), 'c1', encodeMessage(init(LDK_FEATURES, [REGTEST]))).state!;
}

describe('connection and init (BOLT 1)', () => {
  it('sends our init with our features, our chain and the address we see', () => {
    const step = peerConnected(config, { nodeId: PEER, connectionId: 'c1', inbound: true, address: '127.0.0.1:40000' });
    expect(step.state).toMatchObject({ connectionId: 'c1', inbound: true });
    expect(step.effects).toHaveLength(1);
    const [effect] = step.effects;
    expect(effect?.kind).toBe('send');
    const sent = effect?.kind === 'send' ? effect.message : undefined;
    expect(sent?.type).toBe(16);
    if (sent?.type !== 16) return;
    expect(sent.features).toEqual(OUR_INIT_FEATURES);
    expect(sent.networks).toEqual([REGTEST]);
    expect(decodeAddressDescriptor(sent.remoteAddr!)).toMatchObject({ ok: true, value: { kind: 'ipv4', port: 40000 } });
  });

  it('accepts LDK 0.1 init features and remembers them', () => {
    const state = ready();
    expect(state.features).toEqual(LDK_FEATURES);
  });

  it('accepts an init without networks', () => {
    expect(peerMessage(config, connected(), 'c1', encodeMessage(init(LDK_FEATURES))).state?.features).toEqual(LDK_FEATURES);
  });

  it('disconnects on an unknown even (required) feature bit', () => {
    const features = featuresFromBits([0, 8, 12, 14, 100]);
    const step = peerMessage(config, connected(), 'c1', encodeMessage(init(features)));
    expect(step.effects).toEqual([{ kind: 'disconnect', peer: PEER, reason: expect.stringContaining('100') }]);
    expect(step.state).toBeUndefined();
  });

  it('disconnects a peer lacking a feature we require (static_remotekey)', () => {
    const features = featuresFromBits([0, 8, 14]);
    const step = peerMessage(config, connected(), 'c1', encodeMessage(init(features)));
    expect(step.effects[0]).toMatchObject({ kind: 'disconnect', reason: expect.stringContaining('12') });
  });

  it('disconnects a peer on another chain', () => {
    const step = peerMessage(config, connected(), 'c1', encodeMessage(init(LDK_FEATURES, [MAINNET])));
    expect(step.effects[0]).toMatchObject({ kind: 'disconnect', reason: expect.stringContaining('chain') });
  });

  it('disconnects when the first message is not init', () => {
    const step = peerMessage(config, connected(), 'c1', encodeMessage({ type: 18, numPongBytes: 1, ignored: new Uint8Array(0) }));
    expect(step.effects[0]).toMatchObject({ kind: 'disconnect', reason: expect.stringContaining('not init') });
  });
});

describe('messages after init', () => {
  it('answers ping with num_pong_bytes zero bytes, and changes no state', () => {
    const step = peerMessage(config, ready(), 'c1', encodeMessage({ type: 18, numPongBytes: 7, ignored: new Uint8Array(3) }));
    expect(step.state).toBeUndefined();
    expect(step.effects).toEqual([{ kind: 'send', peer: PEER, message: { type: 19, ignored: new Uint8Array(7) } }]);
  });

  it('does not answer a ping asking for 65532 or more bytes', () => {
    const step = peerMessage(config, ready(), 'c1', encodeMessage({ type: 18, numPongBytes: 65532, ignored: new Uint8Array(0) }));
    expect(step.effects).toEqual([]);
  });

  it('records warnings and errors', () => {
    const step = peerMessage(config, ready(), 'c1', encodeMessage({ type: 1, channelId: new Uint8Array(32), data: new TextEncoder().encode('careful') }));
    expect(step.state?.lastMessageFromPeer).toBe('warning: careful');
    const error: WireMessage = { type: 17, channelId: new Uint8Array(32), data: new TextEncoder().encode('bad') };
    const err = peerMessage(config, ready(), 'c1', encodeMessage(error));
    expect(err.state?.lastMessageFromPeer).toBe('error: bad');
    // BOLT 1: the error also fails the channel(s) it names: the ChannelManager gets it.
    expect(err.effects).toEqual([{ kind: 'channel-message', peer: PEER, message: error }]);
    expect(step.effects).toEqual([]);
  });

  it('ignores BOLT 7 gossip it cannot read (a truncated channel_update 258, announcement_signatures 259), without disconnecting', () => {
    expect(peerMessage(config, ready(), 'c1', fromHex('0102' + '00'.repeat(10)))).toEqual({ state: undefined, effects: [] });
    expect(peerMessage(config, ready(), 'c1', fromHex('0103' + '00'.repeat(10)))).toEqual({ state: undefined, effects: [] });
  });

  it('ignores an unknown odd message and disconnects on an unknown even one', () => {
    expect(peerMessage(config, ready(), 'c1', fromHex('ff0f0102'))).toEqual({ state: undefined, effects: [] });
    expect(peerMessage(config, ready(), 'c1', fromHex('ff0e0102')).effects[0]).toMatchObject({ kind: 'disconnect' });
  });

  it('hands a private channel_update (type 258, after LDK channel_ready) to the manager, ignores other gossip, without disconnecting', () => {
    // channel_update: signature, chain hash, scid, timestamp, flags, CLTV delta, HTLC minimum, fees, HTLC maximum.
    const update = fromHex('0102' + '00'.repeat(64) + '06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f' + '00'.repeat(40));
    expect(peerMessage(config, ready(), 'c1', update).effects).toMatchObject([{ kind: 'channel-message', peer: PEER, message: { type: 258, shortChannelId: 0n } }]);
    expect(peerMessage(config, ready(), 'c1', fromHex('0100' + '00'.repeat(10)))).toEqual({ state: undefined, effects: [] });
    // Another even type outside gossip still ends the connection.
    expect(peerMessage(config, ready(), 'c1', fromHex('010c00')).effects[0]).toMatchObject({ kind: 'disconnect' });
  });

  it('routes BOLT 2 channel messages (types 32-39) to the ChannelManager, changing no peer state', () => {
    const shutdown: WireMessage = { type: 38, channelId: new Uint8Array(32).fill(3), scriptpubkey: new Uint8Array(0) };
    const step = peerMessage(config, ready(), 'c1', encodeMessage(shutdown));
    expect(step).toEqual({ state: undefined, effects: [{ kind: 'channel-message', peer: PEER, message: shutdown }] });
    const channelReady: WireMessage = { type: 36, channelId: new Uint8Array(32).fill(4), secondPerCommitmentPoint: fromHex('02' + '22'.repeat(32)) };
    expect(peerMessage(config, ready(), 'c1', encodeMessage(channelReady)).effects).toEqual([{ kind: 'channel-message', peer: PEER, message: channelReady }]);
  });

  it('does not route a channel message that arrives before init', () => {
    const shutdown = encodeMessage({ type: 38, channelId: new Uint8Array(32), scriptpubkey: new Uint8Array(0) });
    expect(peerMessage(config, connected(), 'c1', shutdown).effects[0]).toMatchObject({ kind: 'disconnect' });
  });

  it('answers a malformed known message with a warning, then disconnects', () => {
    const step = peerMessage(config, ready(), 'c1', fromHex('0012'));
    expect(step.effects.map((e) => e.kind)).toEqual(['send', 'disconnect']);
    expect(step.effects[0]).toMatchObject({ message: { type: 1 } });
  });

  it('ignores events of an older connection', () => {
    const ping = encodeMessage({ type: 18, numPongBytes: 1, ignored: new Uint8Array(0) });
    expect(peerMessage(config, ready(), 'old', ping)).toEqual({ state: undefined, effects: [] });
    expect(peerDisconnected(ready(), 'old')).toEqual({ state: undefined, effects: [] });
    expect(peerDisconnected(ready(), 'c1')).toEqual({ state: null, effects: [] });
  });

  it('never throws on garbage (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const step = peerMessage(config, ready(), 'c1', bytes);
        expect(Array.isArray(step.effects)).toBe(true);
      }),
    );
  });
});

describe('pong', () => {
  it('changes nothing (liveness is the gateway\'s: docs/gateway.md, "Keepalive")', () => {
    expect(peerMessage(config, ready(), 'c1', encodeMessage({ type: 19, ignored: new Uint8Array(3) }))).toEqual({ state: undefined, effects: [] });
  });
});

describe('persisted peer state', () => {
  it('round-trips', () => {
    const state = { ...ready(), lastMessageFromPeer: 'warning: x' };
    expect(decodePeerState(encodePeerState(state))).toEqual({ ok: true, value: state });
    // An item written while the timer pinged peers may carry flag 2 (awaiting pong): it still reads, the flag ignored.
    const withOldFlag = encodePeerState(state).slice();
    // Version byte, TLV 0 (node id), TLV 2 (connection id 'c1'), then TLV 4's type and length: the flags byte.
    const flagsAt = 1 + (2 + 33) + (2 + 'c1'.length) + 2;
    expect([withOldFlag[flagsAt - 2], withOldFlag[flagsAt - 1], withOldFlag[flagsAt]]).toEqual([4, 1, 1]);
    withOldFlag[flagsAt] = withOldFlag[flagsAt]! | 2;
    expect(decodePeerState(withOldFlag)).toEqual({ ok: true, value: state });
    expect(decodePeerState(encodePeerState(connected()))).toEqual({ ok: true, value: connected() });
  });

  it('refuses a newer version, unknown even records and garbage with typed errors', () => {
    const bytes = encodePeerState(ready());
    const newer = bytes.slice();
    newer[0] = 2;
    expect(decodePeerState(newer)).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
    expect(decodePeerState(Uint8Array.of(...bytes, 0x0a, 0x00))).toMatchObject({ ok: false, error: { reason: 'unknown-even-type' } });
    expect(decodePeerState(Uint8Array.of(...bytes, 0x0b, 0x00)).ok).toBe(true);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (b) => void decodePeerState(b)));
  });
});

describe('routing to the ChannelManager', () => {
  it('hands exactly the CHANNEL_MESSAGE_TYPES to the manager (the handler prefetches by the same set)', () => {
    const error: WireMessage = { type: 17, channelId: new Uint8Array(32), data: new Uint8Array(0) };
    const ping: WireMessage = { type: 18, numPongBytes: 0, ignored: new Uint8Array(0) };
    for (const message of [error, ping, ...VECTORS.map((v) => v.message)]) {
      const step = peerMessage(config, ready(), 'c1', encodeMessage(message));
      const routed = step.effects.some((e) => e.kind === 'channel-message');
      expect(routed, `type ${message.type}`).toBe(CHANNEL_MESSAGE_TYPES.has(message.type));
    }
    expect([...CHANNEL_MESSAGE_TYPES].sort((a, b) => a - b)).toEqual(
      [17, ...VECTORS.map((v) => v.message.type), 128, 130, 131, 132, 133, 134, 135, 256, 257, 258, 259, 261, 262, 263, 264, 265].sort((a, b) => a - b),
    );
  });

  it('decodes every BOLT 7 message through shared/gossip and hands it to the manager, without disconnecting (LDK gossips to its channel peers)', () => {
    for (const message of GOSSIP_SAMPLES) {
      const step = peerMessage(config, ready(), 'c1', encodePeerMessage(message));
      expect(step, `type ${message.type}`).toEqual({ state: undefined, effects: [{ kind: 'channel-message', peer: PEER, message }] });
    }
    // Before init, gossip is a first message that is not init: the peer is disconnected (BOLT 1).
    expect(peerMessage(config, connected(), 'c1', encodePeerMessage(GOSSIP_SAMPLES[0]!)).effects).toMatchObject([{ kind: 'disconnect', reason: 'first message was type 256, not init' }]);
  });
});

describe('BOLT 2 normal-operation messages (issue 15): all handed to the manager, update_fee included', () => {
  const CID = fromHex('11'.repeat(32));
  const wellFormed: WireMessage[] = [
    { type: 128, channelId: CID, id: 0n, amountMsat: 1000n, paymentHash: new Uint8Array(32), cltvExpiry: 100, onionRoutingPacket: new Uint8Array(1366) },
    { type: 130, channelId: CID, id: 0n, paymentPreimage: new Uint8Array(32) },
    { type: 131, channelId: CID, id: 0n, reason: new Uint8Array(4) },
    { type: 132, channelId: CID, signature: new Uint8Array(64), htlcSignatures: [] },
    { type: 133, channelId: CID, perCommitmentSecret: new Uint8Array(32), nextPerCommitmentPoint: PEER },
    { type: 134, channelId: CID, feeratePerKw: 253 },
    { type: 135, channelId: CID, id: 0n, sha256OfOnion: new Uint8Array(32), failureCode: 0x8000 },
  ];
  const malformed = (type: number): Uint8Array => Uint8Array.of(type >> 8, type & 0xff, ...new Uint8Array(40));

  it('update_fee is no longer reported as unsupported: malformed, it gets what any malformed BOLT 2 message gets (a warning, a disconnection)', () => {
    for (const type of [128, 134]) {
      const step = peerMessage(config, ready(), 'c1', malformed(type));
      expect(step.effects.map((e) => e.kind), `type ${type}`).toEqual(['send', 'disconnect']);
    }
  });

  it('each, well-formed, goes to the manager as decoded', () => {
    for (const m of wellFormed) {
      const step = peerMessage(config, ready(), 'c1', encodeMessage(m));
      expect(step.effects, `type ${m.type}`).toEqual([{ kind: 'channel-message', peer: PEER, message: m }]);
      expect(CHANNEL_MESSAGE_TYPES.has(m.type)).toBe(true);
    }
  });
});

