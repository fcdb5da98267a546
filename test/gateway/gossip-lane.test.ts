/**
 * The gateway's gossip lane (functions/gateway/gossip-lane.ts) over fauxqs
 * and real TCP: public gossip and gossip queries from a peer go to the gossip
 * queue, per peer, in order; channel messages, `announcement_signatures` and
 * a private channel's update (`dont_forward`) stay on the inbound queue;
 * the gossip function's `send-many` answers reach the peer in order; the
 * end of a connection that sent a `gossip_timestamp_filter` reaches the
 * gossip queue too (its filter is deleted there).
 */
import { randomBytes } from 'node:crypto';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/free-port.js';
import { startSqsLocal, type SqsLocal } from '../../infra/local/sqs-local.js';
import { fromHex, toHex, wasmSecp256k1 as secp } from '../../shared/crypto/index.js';
import { encodeGossipMessage, ourChannelUpdate } from '../../shared/gossip/index.js';
import { decodeInbound, decodeOutbound, encodeOutbound, inboundParts, type InboundEnvelope } from '../../shared/pipeline/envelopes.js';
import { FifoQueue } from '../../shared/pipeline/queues.js';
import { OUR_INIT_FEATURES, encodeMessage } from '../../shared/wire/index.js';
import { startGateway } from '../../functions/gateway/gateway.js';
import { inboundRoute } from '../../functions/gateway/gossip-lane.js';
import { randomSecret, rawPeer, until } from '../support/raw-peer.js';
import { GOSSIP_CHAIN, gossipNetwork } from '../support/gossip-network.js';

const nodeSecret = fromHex('6b'.repeat(32));
const nodeKey = toHex(secp.publicKeyFromSecret(nodeSecret));
const net = gossipNetwork(secp, { nodes: 2, channels: 1, timestamp: 1_700_000_000 });
const [announcement, update0] = net.channels[0]!.messages;
const privateUpdate = encodeGossipMessage(
  ourChannelUpdate(net.nodes[0]!, {
    chainHash: GOSSIP_CHAIN, shortChannelId: 5n, timestamp: 1, theirNodeId: net.nodes[1]!.getNodeId(), cltvExpiryDelta: 40,
    htlcMinimumMsat: 1n, htlcMaximumMsat: 2n, feeBaseMsat: 0, feeProportionalMillionths: 0, disabled: false, dontForward: true,
  }),
);
const announcementSignatures = Uint8Array.from([1, 3, ...new Uint8Array(32 + 8 + 128)]);
const filter = encodeGossipMessage({ type: 265, chainHash: GOSSIP_CHAIN, firstTimestamp: 0, timestampRange: 0xffffffff });
const init = () => encodeMessage({ type: 16, globalfeatures: new Uint8Array(0), features: OUR_INIT_FEATURES, networks: [GOSSIP_CHAIN] });
const typeOf = (m: Uint8Array) => (m[0]! << 8) | m[1]!;

describe('which messages are gossip', () => {
  it('256, 257, public 258 and 261..265 go to the gossip queue; 259, private 258, channel messages and garbage do not; a peer\'s own 258 goes both ways', () => {
    const stranger = secp.publicKeyFromSecret(fromHex('7c'.repeat(32)));
    const route = (m: Uint8Array, sender: Uint8Array = stranger) => inboundRoute(m, sender, secp);
    expect(route(announcement)).toBe('gossip');
    expect(route(update0)).toBe('gossip');
    expect(route(net.nodeAnnouncements[0]!)).toBe('gossip');
    expect(route(filter)).toBe('gossip');
    for (const t of [261, 262, 263, 264]) expect(route(Uint8Array.of(t >> 8, t & 0xff, 0))).toBe('gossip');
    expect(route(privateUpdate)).toBe('inbound');
    expect(route(announcementSignatures)).toBe('inbound');
    expect(route(init())).toBe('inbound');
    expect(route(Uint8Array.of(1))).toBe('inbound');
    expect(route(Uint8Array.of(1, 2, 0))).toBe('gossip');
    // The update its sender signed (LDK 0.1 sends a private channel's update without dont_forward): the manager may keep it for route hints.
    expect(net.nodes.map((n) => route(update0, n.getNodeId())).sort()).toEqual(['both', 'gossip']);
  });

  it('send-many envelopes round-trip; an empty or malformed list is refused', () => {
    const peer = toHex(net.nodes[0]!.getNodeId());
    const e = { kind: 'send-many', peer, messages: [announcement, update0], connectionId: 'c' } as const;
    expect(decodeOutbound(encodeOutbound(e))).toEqual(e);
    expect(() => decodeOutbound(JSON.stringify({ v: 1, kind: 'send-many', peer, messages: [] }))).toThrow(/messages/);
    expect(() => decodeOutbound(JSON.stringify({ v: 1, kind: 'send-many', peer, messages: ['!!'] }))).toThrow(/messages/);
  });
});

describe('the gateway with a gossip queue', () => {
  let sqs: SqsLocal;
  beforeAll(async () => {
    sqs = await startSqsLocal({ port: await freePort() });
  });
  afterAll(() => sqs.stop());

  it('splits a peer\'s messages between the two queues, in order on each; answers reach the peer in order', async () => {
    const create = async (name: string) => {
      const created = await sqs.client.send(new CreateQueueCommand({ QueueName: `${name}-${randomBytes(4).toString('hex')}.fifo`, Attributes: { FifoQueue: 'true', VisibilityTimeout: '5' } }));
      return new FifoQueue(sqs.client, created.QueueUrl!);
    };
    const [inbound, outbound, gossip] = [await create('in'), await create('out'), await create('gossip')];
    const gateway = await startGateway({ nodeSecret, secp, nodeKey, host: '127.0.0.1', port: 0, inbound, outbound, gossip, outboundWaitSeconds: 1 });
    try {
      const peer = await rawPeer(gateway.port, nodeKey, randomSecret());
      const received: Uint8Array[] = [];
      peer.socket.on('data', (chunk: Uint8Array) => received.push(...peer.transport.receive(new Uint8Array(chunk)).messages));
      for (const m of [init(), announcement, announcementSignatures, update0, privateUpdate, filter]) peer.socket.write(peer.transport.encryptMessage(m));
      const take = async (queue: FifoQueue, into: { group: string; envelope: InboundEnvelope }[]) => {
        for (const m of await queue.receive(10, 0)) {
          into.push(...inboundParts(decodeInbound(m.body)).map((envelope) => ({ group: m.group, envelope })));
          await queue.delete(m.receiptHandle);
        }
      };
      const onInbound: { group: string; envelope: InboundEnvelope }[] = [];
      const onGossip: { group: string; envelope: InboundEnvelope }[] = [];
      const types = (list: typeof onInbound) => list.map((e) => (e.envelope.kind === 'message' ? typeOf(e.envelope.message) : e.envelope.kind));
      await until(async () => {
        await take(inbound, onInbound);
        await take(gossip, onGossip);
        return onInbound.length >= 4 && onGossip.length >= 3;
      }, 'both queues to fill');
      expect(types(onInbound)).toEqual(['connected', 16, 259, 258]);
      expect(types(onGossip)).toEqual([256, 258, 265]);
      expect(new Set(onGossip.map((e) => e.group))).toEqual(new Set([`${nodeKey}:${peer.nodeId}`]));

      // The gossip function's answer: one queue message, several peer messages, in order.
      await outbound.send({ group: peer.nodeId, dedupId: 'init', body: encodeOutbound({ kind: 'send', peer: peer.nodeId, message: init() }) });
      await outbound.send({ group: peer.nodeId, dedupId: 'answer', body: encodeOutbound({ kind: 'send-many', peer: peer.nodeId, messages: [announcement, update0, net.nodeAnnouncements[0]!] }) });
      await until(() => received.length >= 4, 'the answer to reach the peer');
      expect(received.map(typeOf)).toEqual([16, 256, 258, 257]);
      expect(toHex(received[1]!)).toBe(toHex(announcement));
      peer.socket.destroy();
      // The peer sent a gossip_timestamp_filter: its connection's end goes to the gossip queue too (the filter is forgotten there).
      await until(async () => {
        await take(gossip, onGossip);
        await take(inbound, onInbound);
        return onGossip.length >= 4 && onInbound.length >= 5;
      }, 'the disconnection on both queues');
      expect(types(onGossip)).toEqual([256, 258, 265, 'disconnected']);
      expect(onGossip[3]!.envelope.connectionId).toBe(onGossip[2]!.envelope.connectionId);
      expect(types(onInbound).at(-1)).toBe('disconnected');
    } finally {
      await gateway.stop();
    }
  });
});
