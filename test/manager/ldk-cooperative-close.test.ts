/**
 * Cooperative close through the ChannelManager (`closeChannel`,
 * docs/close.md) against real LDK 0.1 over TCP on 127.0.0.1: we open to
 * LDK, close, and both sides report the channel closed cooperatively and
 * hand the same closing transaction to their broadcaster, which the
 * embedded regtest chain (script validation) accepts and mines. Then a
 * close whose `shutdown` is lost with the connection: after the
 * reconnection and `channel_reestablish` we retransmit it (LDK resends
 * `channel_ready`, which we ignore) and the close completes.
 */
import { Transaction } from 'bitcoinjs-lib';
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../shared/crypto/index.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { InteropChannelType, weOpenToLdk, connectToLdk, disconnectFromLdk, only, type ManagerLdkPeers } from '../support/manager-ldk.js';
import { postToChain, until } from '../support/regtest-harness.js';

const DEPTH = 3;
const FUNDING = 250_000n;
const PUSH_MSAT = 30_000_000n;

let chain: RunningRegtestChain;
beforeAll(async () => {
  chain = await startRegtestChain({ port: 0, dataDir: undefined });
});
afterAll(async () => {
  await chain.stop();
});

/** From now on both broadcasters only record (the closing transaction goes to the chain once both sides closed: mined first, LDK would see an on-chain close). */
function recordBroadcasts(peers: ManagerLdkPeers): { ours: Uint8Array[]; ldk: Uint8Array[] } {
  const recorded = { ours: [] as Uint8Array[], ldk: [] as Uint8Array[] };
  peers.ours.onBroadcast = (tx) => recorded.ours.push(tx);
  peers.ldk.onBroadcast = (tx) => recorded.ldk.push(tx);
  return recorded;
}

function close(peers: ManagerLdkPeers, channelId: Uint8Array) {
  const peer = peers.ldk.nodeId;
  return peers.ours.step({ kind: 'close-channel', counterpartyNodeId: peer, channelId }, (m) => m.closeChannel(channelId, peer));
}

/** Both sides closed cooperatively and broadcast the same transaction; the chain accepts and mines it. */
async function closedOnBothSides(peers: ManagerLdkPeers, recorded: { ours: Uint8Array[]; ldk: Uint8Array[] }): Promise<Transaction> {
  const { ldk: ldkNode, ours } = peers;
  await ldkNode.waitFor(() => ldkNode.events.some((e) => e instanceof ldk.Event_ChannelClosed) && ours.channels().length === 0, 'both sides closed');
  expect(ours.events.filter((e) => e.event.kind === 'channel-closed').map((e) => e.event.kind === 'channel-closed' && e.event.reason)).toEqual(['cooperative-closure']);
  const closed = ldkNode.events.filter((e): e is ldk.Event_ChannelClosed => e instanceof ldk.Event_ChannelClosed);
  expect(closed).toHaveLength(1);
  expect(closed[0]!.reason instanceof ldk.ClosureReason_CounterpartyInitiatedCooperativeClosure).toBe(true);
  await ldkNode.waitFor(() => recorded.ldk.length > 0, 'LDK to broadcast the closing transaction');
  expect(recorded.ours).toHaveLength(1);
  expect(toHex(recorded.ldk.at(-1)!)).toBe(toHex(recorded.ours[0]!));
  const tx = Transaction.fromBuffer(Buffer.from(recorded.ours[0]!));
  await postToChain(chain, '/tx', tx.toHex());
  await postToChain(chain, '/regtest/mine', JSON.stringify({ blocks: 1 }));
  expect(chain.chain.transaction(tx.getId())?.block).toBeDefined();
  // Our output: our balance less the fee; LDK's: the push.
  const values = tx.outs.map((o) => BigInt(o.value)).sort((x, y) => (x < y ? -1 : 1));
  expect(values[0]).toBe(PUSH_MSAT / 1000n);
  expect(values[1]! > FUNDING - PUSH_MSAT / 1000n - 3_000n).toBe(true);
  return tx;
}

const CASES = [
  { channelType: InteropChannelType.StaticRemoteKey, seed: 120 },
  { channelType: InteropChannelType.Anchors, seed: 122 },
] as const;

for (const { channelType, seed } of CASES) {
  describe(`ChannelManager.closeChannel with real LDK (${channelType})`, () => {
    it('we close: shutdown, LDK answers, closing_signed until agreed, both broadcast the same closing transaction', async () => {
      const peers = await connectToLdk(chain, `mgr-close-${channelType}`, { channelType, depth: DEPTH, ldkSeed: seed });
      try {
        const channelId = await weOpenToLdk(peers, 'manager close funder', FUNDING, PUSH_MSAT, 21n);
        const recorded = recordBroadcasts(peers);
        expect(close(peers, channelId)).toEqual({ ok: true, value: undefined });
        await closedOnBothSides(peers, recorded);
        expect(peers.ours.disconnects).toEqual([]);
      } finally {
        await disconnectFromLdk(peers);
      }
    });
  });
}

describe('cooperative close with real LDK across a reconnection', () => {
  it('our shutdown is lost with the connection: after reconnecting it is retransmitted and the close completes', async () => {
    const peers = await connectToLdk(chain, 'mgr-close-reconnect', { channelType: InteropChannelType.StaticRemoteKey, depth: DEPTH, ldkSeed: 124 });
    const { ldk: ldkNode, ours } = peers;
    try {
      const channelId = await weOpenToLdk(peers, 'manager close funder', FUNDING, PUSH_MSAT, 21n);
      const recorded = recordBroadcasts(peers);
      // The connection goes dark: our shutdown never leaves.
      const send = ours.send.bind(ours);
      ours.send = () => undefined;
      expect(close(peers, channelId).ok).toBe(true);
      ours.send = send;
      ours.disconnect();
      await ldkNode.waitFor(() => ldkNode.peers().length === 0, 'LDK to see the disconnection');
      expect(only(ours).state).toBe('shutdown-sent');
      expect(ldkNode.channelManager.list_channels()).toHaveLength(1);

      const port = await ldkNode.listen(0);
      ours.dial('127.0.0.1', port, ldkNode.nodeId);
      await until(() => ours.ready, 'LDK init again');
      await closedOnBothSides(peers, recorded);
      // After the reestablish: channel_ready again from LDK (ignored), then its shutdown and closing_signed.
      const afterReconnect = ours.received.slice(ours.received.map((m) => m.type).lastIndexOf(136));
      expect(afterReconnect.map((m) => m.type).filter((t) => t === 38 || t === 39)).toEqual([38, 39]);
      expect(ours.disconnects).toEqual([]);
    } finally {
      await disconnectFromLdk(peers);
    }
  });
});
