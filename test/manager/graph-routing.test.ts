/**
 * The manager routes payments over the public graph it is given
 * (ManagerPorts.routing; docs/routing.md "Switching the manager"): alice has
 * one channel, to bob; carol is known only from the graph (a bob–carol
 * channel). Without the graph there is no route; with it alice offers the
 * HTLC to bob for carol, and when the part fails at bob the scorer given
 * beside the graph learns the liquidity of the channel it blamed.
 */
import { describe, expect, it } from 'vitest';
import { compareBytes } from '../../shared/codec/index.js';
import { sha256, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { ProbabilisticScorer, buildNetworkGraph } from '../../shared/routing/index.js';
import type { ManagerNetwork, ManagerNode } from '../support/manager-network.js';
import { connectedPair, eventsOf, fund, openChannel } from './manager-fixture.js';

const CAROL = wasmSecp256k1.publicKeyFromSecret(new Uint8Array(32).fill(0x3c));
const BOB_CAROL = (150n << 40n) | (7n << 16n);

function ready(): { net: ManagerNetwork; alice: ManagerNode; bob: ManagerNode } {
  const { net, alice, bob } = connectedPair();
  net.mine([fund(net, alice, openChannel(net, alice, bob, 42n))]);
  net.run();
  return { net, alice, bob };
}

function graphWithBobCarol(bob: ManagerNode) {
  const bobFirst = compareBytes(bob.nodeId, CAROL) < 0;
  const [nodeId1, nodeId2] = bobFirst ? [bob.nodeId, CAROL] : [CAROL, bob.nodeId];
  const policy = { shortChannelId: BOB_CAROL, timestamp: 1, enabled: true, cltvExpiryDelta: 40, htlcMinimumMsat: 1n, htlcMaximumMsat: 500_000_000n, feeBaseMsat: 1_000n, feeProportionalMillionths: 100 };
  return buildNetworkGraph([{ shortChannelId: BOB_CAROL, nodeId1, nodeId2, capacitySat: 1_000_000n }], [
    { ...policy, direction: 0 },
    { ...policy, direction: 1 },
  ]).graph;
}

function payCarol(net: ManagerNetwork, alice: ManagerNode, id: number) {
  const paymentId = new Uint8Array(32).fill(id);
  const paymentHash = sha256(paymentId);
  return net.step(alice, { kind: 'send-payment', paymentId, paymentHash, payeeNodeId: CAROL, routeHints: [] }, (m) =>
    m.sendPayment({
      paymentId,
      paymentHash,
      payeeNodeId: CAROL,
      amountMsat: 20_000_000n,
      finalCltvExpiryDelta: 40,
      routeHints: [],
      recipient: { paymentSecret: new Uint8Array(32).fill(9), totalMsat: 20_000_000n },
      retry: { attempts: 0 },
      expiresAtSecs: Math.floor(Date.now() / 1000) + 3600,
    }),
  );
}

const addsTo = (net: ManagerNetwork, from: ManagerNode) => net.queue.filter((q) => q.from === from && q.bytes[0] === 0 && q.bytes[1] === 128);

describe('payments routed over the public graph', () => {
  it('without a graph, a node only the graph knows is not reachable', () => {
    const { net, alice } = ready();
    payCarol(net, alice, 1);
    expect(addsTo(net, alice)).toHaveLength(0);
    net.run();
    expect(eventsOf(alice, 'payment-failed')).toHaveLength(1);
  });

  it('with the graph, the HTLC goes to bob for carol; its failure teaches the scorer', () => {
    const { net, alice, bob } = ready();
    const graph = graphWithBobCarol(bob);
    const scorer = new ProbabilisticScorer();
    alice.ports = { ...alice.ports, routing: { graph: () => graph, scorer } };
    const sent = payCarol(net, alice, 2);
    expect(sent.ok).toBe(true);
    expect(addsTo(net, alice)).toHaveLength(1);
    expect(scorer.size).toBe(0);
    net.run();
    // Bob cannot reach carol: the part fails back, is attributed, and the payment fails (no retries asked).
    const failed = eventsOf(alice, 'payment-path-failed');
    expect(failed).toHaveLength(1);
    expect(eventsOf(alice, 'payment-failed')).toHaveLength(1);
    expect(eventsOf(alice, 'payment-sent')).toHaveLength(0);
    expect(scorer.size).toBeGreaterThan(0);
  });
});
