/**
 * `channel_reestablish` (BOLT 2, "Message Retransmission") between two of
 * our nodes: a funded channel survives a disconnection (and a restart),
 * each side resumes with the fixed numbers of a just-funded channel, nothing
 * else is sent before the peer's reestablish, `channel_ready` is
 * retransmitted only when it was sent, and a reestablish that does not match
 * our state fails the channel, without broadcasting when the peer proves we
 * lost data.
 */
import { describe, expect, it } from 'vitest';
import type { ChannelMessage } from '../../shared/manager/index.js';
import { toHex } from '../../shared/crypto/index.js';
import { INITIAL_COMMITMENT_INDEX } from '../../shared/keys/index.js';
import type { ChannelReestablishMessage, WireMessage } from '../../shared/wire/index.js';
import { decodeMessage } from '../../shared/wire/index.js';
import type { ManagerNetwork} from '../support/manager-network.js';
import { type ManagerNode } from '../support/manager-network.js';
import { channelsOf, connectedPair, eventsOf, fund, onlyChannel, openChannel } from './manager-fixture.js';

const DEPTH = 2;

function fundedPair() {
  const { net, alice, bob } = connectedPair(DEPTH);
  const tx = fund(net, alice, openChannel(net, alice, bob));
  return { net, alice, bob, tx };
}

/** Messages of `type` queued from `from` (not delivered yet). */
function queued(net: ManagerNetwork, from: ManagerNode, type: number): WireMessage[] {
  return net.queue
    .filter((q) => q.from === from)
    .map((q) => decodeMessage(q.bytes))
    .flatMap((d) => (d.kind === 'message' && d.message.type === type ? [d.message] : []));
}

function received(node: ManagerNode, type: number): WireMessage[] {
  return node.received.filter((m) => m.type === type) as WireMessage[];
}

/** Delivers `message` from `from` to `to` as its peer layer would. */
function deliver(net: ManagerNetwork, from: ManagerNode, to: ManagerNode, message: ChannelMessage): void {
  net.step(to, { kind: 'peer-message', peer: from.nodeId, message }, (m) => m.handleChannelMessage(from.nodeId, message));
  net.run();
}

/** `node`'s per-commitment secret of commitment number `n` for its only channel. */
function ourSecret(node: ManagerNode, n: bigint): Uint8Array {
  const entry = [...node.store.storedChannels().values()][0]!;
  if (!entry.ok || entry.value.kind !== 'channel') throw new Error('no channel item');
  const c = entry.value.channel;
  return node.ports.signerProvider.deriveChannelSigner(c.fundingSatoshis, c.channelKeysId).releaseCommitmentSecret(INITIAL_COMMITMENT_INDEX - n);
}

describe('channel_reestablish between our nodes', () => {
  it('a funded channel resumes after a reconnection: both send 1/0/zeros first, then complete at depth', () => {
    const { net, alice, bob, tx } = fundedPair();
    net.disconnect(alice, bob);
    net.connect(alice, bob, false);
    for (const [x, y] of [[alice, bob], [bob, alice]] as const) {
      const [ours] = queued(net, x, 136) as ChannelReestablishMessage[];
      expect(ours).toMatchObject({ nextCommitmentNumber: 1n, nextRevocationNumber: 0n, yourLastPerCommitmentSecret: new Uint8Array(32) });
      expect(toHex(ours!.channelId)).toBe(toHex(onlyChannel(net, x).channelId));
      expect(onlyChannel(net, y).isUsable).toBe(false);
    }
    net.run();
    // Nothing was sent yet: no channel_ready retransmitted before one was sent.
    expect(received(alice, 36)).toEqual([]);
    expect(received(bob, 36)).toEqual([]);
    net.mine([tx], DEPTH);
    for (const node of [alice, bob]) {
      expect(onlyChannel(net, node).isUsable).toBe(true);
      expect(eventsOf(node, 'channel-ready')).toHaveLength(1);
      expect(eventsOf(node, 'channel-closed')).toEqual([]);
    }
  });

  it('nothing but channel_reestablish goes out before the peer’s: a channel_ready due meanwhile waits for it', () => {
    const { net, alice, bob, tx } = fundedPair();
    net.disconnect(alice, bob);
    net.connect(alice, bob, false);
    // The depth is reached while both reestablish messages are still in flight.
    const queue = net.queue.splice(0);
    net.mine([tx], DEPTH);
    expect(queued(net, alice, 36)).toEqual([]);
    expect(queued(net, bob, 36)).toEqual([]);
    expect(onlyChannel(net, alice).state).toBe('awaiting-channel-ready');
    net.queue.push(...queue);
    net.run();
    for (const node of [alice, bob]) {
      expect(received(node, 36)).toHaveLength(1);
      expect(onlyChannel(net, node).isUsable).toBe(true);
    }
  });

  it('a ready channel is not usable between reconnection and the reestablish; channel_ready is retransmitted and ignored as redundant', () => {
    const { net, alice, bob, tx } = fundedPair();
    net.mine([tx], DEPTH);
    expect(onlyChannel(net, alice).isUsable).toBe(true);
    net.disconnect(alice, bob);
    expect(onlyChannel(net, alice).isUsable).toBe(false);
    net.connect(alice, bob, false);
    expect(onlyChannel(net, alice).isUsable).toBe(false);
    net.run();
    for (const node of [alice, bob]) {
      expect(onlyChannel(net, node).isUsable).toBe(true);
      expect(received(node, 36)).toHaveLength(2); // the first one, then the retransmission
      expect(eventsOf(node, 'channel-ready')).toHaveLength(1);
    }
  });

  it('survives a restart of both nodes while disconnected', () => {
    const { net, alice, bob, tx } = fundedPair();
    net.disconnect(alice, bob);
    net.restart(alice);
    net.restart(bob);
    net.connect(alice, bob);
    net.mine([tx], DEPTH);
    expect(onlyChannel(net, alice).isUsable).toBe(true);
    expect(onlyChannel(net, bob).isUsable).toBe(true);
  });

  it('a new connection without a seen disconnection (gateway crash): unfunded channels dropped, funded ones reestablished', () => {
    const { net, alice, bob, tx } = fundedPair();
    openChannel(net, alice, bob, 9n); // a second channel, still waiting for its funding transaction
    expect(channelsOf(net, alice)).toHaveLength(2);
    net.connect(alice, bob); // init again on a new connection; no peer-disconnected input before it
    expect(channelsOf(net, alice).map((c) => c.state)).toEqual(['awaiting-confirmation']);
    expect(eventsOf(alice, 'channel-closed')).toMatchObject([{ reason: 'peer-disconnected', userChannelId: 9n }]);
    expect(received(bob, 136)).toHaveLength(1);
    net.mine([tx], DEPTH);
    expect(onlyChannel(net, alice).isUsable).toBe(true);
    expect(onlyChannel(net, bob).isUsable).toBe(true);
  });

  it('another message before channel_reestablish is ignored with a warning', () => {
    const { net, alice, bob, tx } = fundedPair();
    net.mine([tx], DEPTH);
    net.disconnect(alice, bob);
    net.connect(alice, bob, false);
    net.queue.splice(0); // both reestablish messages lost
    const channelId = onlyChannel(net, alice).channelId;
    deliver(net, bob, alice, { type: 36, channelId, secondPerCommitmentPoint: (received(alice, 36)[0] as { secondPerCommitmentPoint: Uint8Array }).secondPerCommitmentPoint });
    expect(bob.peers.get(toHex(alice.nodeId))?.lastMessageFromPeer).toBe('warning: message type 36 before channel_reestablish');
    expect(onlyChannel(net, alice).state).toBe('ready');
    expect(onlyChannel(net, alice).isUsable).toBe(false);
  });
});

describe('a channel_reestablish that does not match our state', () => {
  function reconnectedWithLostMessages() {
    const pair = fundedPair();
    pair.net.disconnect(pair.alice, pair.bob);
    pair.net.connect(pair.alice, pair.bob, false);
    pair.net.queue.splice(0);
    const channelId = onlyChannel(pair.net, pair.alice).channelId;
    const base: ChannelReestablishMessage = {
      type: 136,
      channelId,
      nextCommitmentNumber: 1n,
      nextRevocationNumber: 0n,
      yourLastPerCommitmentSecret: new Uint8Array(32),
      myCurrentPerCommitmentPoint: (received(pair.alice, 36)[0] as { secondPerCommitmentPoint?: Uint8Array } | undefined)?.secondPerCommitmentPoint ?? pair.alice.nodeId,
    };
    return { ...pair, base };
  }

  function errorsTo(node: ManagerNode): string[] {
    return received(node, 17).map((m) => new TextDecoder().decode((m as { data: Uint8Array }).data));
  }

  it('in sync (1/0): resumes, nothing closes', () => {
    const { net, alice, bob, base } = reconnectedWithLostMessages();
    deliver(net, bob, alice, base);
    expect(eventsOf(alice, 'channel-closed')).toEqual([]);
    expect(errorsTo(bob)).toEqual([]);
  });

  it('next_commitment_number 0: the channel fails and our commitment is broadcast', () => {
    const { net, alice, bob, base } = reconnectedWithLostMessages();
    deliver(net, bob, alice, { ...base, nextCommitmentNumber: 0n });
    expect(eventsOf(alice, 'channel-closed')).toMatchObject([{ reason: 'reestablish-mismatch' }]);
    expect(errorsTo(bob)[0]).toMatch(/^reestablish-mismatch/);
    expect(alice.broadcasts).toHaveLength(2); // the funding transaction, then our commitment
  });

  it('next_revocation_number 1 with our real secret of commitment 0: we lost data, so nothing is broadcast', () => {
    const { net, alice, bob, base } = reconnectedWithLostMessages();
    deliver(net, bob, alice, { ...base, nextRevocationNumber: 1n, yourLastPerCommitmentSecret: ourSecret(alice, 0n) });
    expect(eventsOf(alice, 'channel-closed')).toMatchObject([{ reason: 'peer-has-newer-state' }]);
    expect(errorsTo(bob)[0]).toMatch(/^peer-has-newer-state/);
    expect(alice.broadcasts).toHaveLength(1); // the funding transaction only
    expect(alice.store.query('MONITOR#').length).toBeGreaterThan(1); // the monitor was told (force-closed, no broadcast)
  });

  it('next_commitment_number 2 (a commitment we never signed): treated as lost data, nothing broadcast', () => {
    const { net, alice, bob, base } = reconnectedWithLostMessages();
    deliver(net, bob, alice, { ...base, nextCommitmentNumber: 2n });
    expect(eventsOf(alice, 'channel-closed')).toMatchObject([{ reason: 'peer-has-newer-state' }]);
    expect(alice.broadcasts).toHaveLength(1);
  });

  it('next_revocation_number 1 with a wrong secret: the channel fails and our commitment is broadcast', () => {
    const { net, alice, bob, base } = reconnectedWithLostMessages();
    deliver(net, bob, alice, { ...base, nextRevocationNumber: 1n, yourLastPerCommitmentSecret: new Uint8Array(32).fill(7) });
    expect(eventsOf(alice, 'channel-closed')).toMatchObject([{ reason: 'reestablish-mismatch' }]);
    expect(alice.broadcasts).toHaveLength(2);
  });

  it('for a channel we do not know: an error, nothing else changes', () => {
    const { net, alice, bob, base } = reconnectedWithLostMessages();
    deliver(net, bob, alice, { ...base, channelId: new Uint8Array(32).fill(9) });
    expect(errorsTo(bob)).toEqual(['unknown channel']);
    expect(eventsOf(alice, 'channel-closed')).toEqual([]);
  });
});
