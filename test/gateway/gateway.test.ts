/**
 * The peer gateway over real components: fauxqs for the two FIFO queues, real
 * TCP on 127.0.0.1, a real LDK node (lightningdevkit 0.1) as the peer, and
 * our own BOLT 8 initiator on raw sockets for the adversarial cases.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import * as ldkjs from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/free-port.js';
import { startSqsLocal, type SqsLocal } from '../../infra/local/sqs-local.js';
import { fromHex, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { decodeInbound, encodeOutbound, inboundParts, MAX_MESSAGES_PER_ENVELOPE, type InboundEnvelope, type OutboundEnvelope } from '../../shared/pipeline/envelopes.js';
import { FifoQueue } from '../../shared/pipeline/queues.js';
import { ACT_ONE_SIZE, initiatorHandshake } from '../../shared/transport/index.js';
import { OUR_INIT_FEATURES, decodeMessage, encodeMessage, type WireMessage } from '../../shared/wire/index.js';
import { startGateway, type Gateway } from '../../functions/gateway/gateway.js';
import { startLdkNode, type LdkNode } from '../support/ldk-node.js';
import { collectingLogger, randomSecret, rawPeer as rawPeerOn, rawSocket as rawSocketOn, readOnce, until, type LogLine, type RawPeer } from '../support/raw-peer.js';

const secp = wasmSecp256k1;
const REGTEST = fromHex('06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f');
const nodeSecret = fromHex('5a'.repeat(32));
const nodeKey = toHex(secp.publicKeyFromSecret(nodeSecret));
const MAX_MESSAGE_LENGTH = 32_768;

let sqs: SqsLocal;
let ldk: LdkNode;
let gateway: Gateway;
const logs: LogLine[] = [];

/** Everything read off the inbound queue so far (received, then deleted), in queue order. */
const seen: { group: string; envelope: InboundEnvelope }[] = [];
/** How many peer messages each queue message carried, per peer, in queue order. */
const carried = new Map<string, number[]>();
async function pumpInbound(): Promise<void> {
  for (const m of await sqs.inbound.receive(10, 0)) {
    const parts = inboundParts(decodeInbound(m.body));
    if (parts[0]?.kind === 'message') carried.set(parts[0].peer, [...(carried.get(parts[0].peer) ?? []), parts.length]);
    // A `messages` envelope is read as its messages (what the node applies, one input each).
    seen.push(...parts.map((envelope) => ({ group: m.group, envelope })));
    await sqs.inbound.delete(m.receiptHandle);
  }
}
async function waitInbound(predicate: (e: InboundEnvelope) => boolean, what: string): Promise<InboundEnvelope> {
  let found: InboundEnvelope | undefined;
  await until(async () => {
    found = seen.find((s) => predicate(s.envelope))?.envelope;
    if (!found) await pumpInbound();
    return found !== undefined;
  }, what);
  return found!;
}
const envelopesOf = (peer: string) => seen.filter((s) => s.envelope.peer === peer).map((s) => s.envelope);
const messagesOf = (peer: string, connectionId?: string) =>
  envelopesOf(peer).filter((e): e is Extract<InboundEnvelope, { kind: 'message' }> => e.kind === 'message' && (connectionId === undefined || e.connectionId === connectionId));
function decoded(e: InboundEnvelope): WireMessage {
  if (e.kind !== 'message') throw new Error('not a message envelope');
  const d = decodeMessage(e.message);
  if (d.kind !== 'message') throw new Error(`message does not decode: ${d.kind}`);
  return d.message;
}

let outboundIds = 0;
function putOutbound(envelope: OutboundEnvelope): Promise<void> {
  return sqs.outbound.send({ group: envelope.peer, dedupId: `test-${outboundIds++}`, body: encodeOutbound(envelope) });
}
const ourInit = () => encodeMessage({ type: 16, globalfeatures: new Uint8Array(0), features: OUR_INIT_FEATURES, networks: [REGTEST] });

const ldkSawPongFromUs = (node: LdkNode) => node.log.filter((l) => l.includes('Received message Pong') && l.includes(nodeKey)).length;

const ldkSawPingFromUs = (node: LdkNode) => node.log.filter((l) => l.includes('Received message Ping') && l.includes(nodeKey)).length;
/** Ping or pong messages of `peer` that reached the inbound queue (the gateway keeps those after init). */
const upkeepOnQueue = (peer: string) => messagesOf(peer).filter((e) => [18, 19].includes(decoded(e).type));

/** One LDK ping: the gateway answers it itself (docs/gateway.md, "Keepalive"); LDK gets the pong and keeps the connection. */
async function pingRound(): Promise<void> {
  const pongs = ldkSawPongFromUs(ldk);
  ldk.timerTick();
  await ldk.waitFor(() => ldkSawPongFromUs(ldk) > pongs, 'LDK to receive our pong');
  expect(ldk.peers().map((p) => toHex(p.nodeId))).toContain(nodeKey);
}

/** One message through the outbound queue to LDK (a ping, whose pong the gateway keeps): the consumer has gone past everything put before. */
async function outboundRound(): Promise<void> {
  const pings = ldkSawPingFromUs(ldk);
  await putOutbound({ kind: 'send', peer: toHex(ldk.nodeId), message: encodeMessage({ type: 18, numPongBytes: 2, ignored: new Uint8Array(0) }) });
  await ldk.waitFor(() => ldkSawPingFromUs(ldk) > pings, 'LDK to receive a ping from the outbound queue');
}

/** Two fresh FIFO queues (inbound, outbound) for a gateway of a test's own. */
async function freshQueues(): Promise<{ inbound: FifoQueue; outbound: FifoQueue }> {
  const create = async (name: string) => {
    const created = await sqs.client.send(new CreateQueueCommand({ QueueName: `${name}-${randomBytes(4).toString('hex')}.fifo`, Attributes: { FifoQueue: 'true', VisibilityTimeout: '5' } }));
    return new FifoQueue(sqs.client, created.QueueUrl!);
  };
  return { inbound: await create('in'), outbound: await create('out') };
}

/** Everything on `queue`, received and deleted. */
async function takeAll(queue: FifoQueue): Promise<InboundEnvelope[]> {
  const out: InboundEnvelope[] = [];
  for (const m of await queue.receive(10, 0)) {
    out.push(...inboundParts(decodeInbound(m.body)));
    await queue.delete(m.receiptHandle);
  }
  return out;
}

/** Decrypts what the gateway writes to a raw peer, from now on. */
function readMessages(peer: RawPeer): WireMessage[] {
  const received: WireMessage[] = [];
  peer.socket.on('data', (chunk: Uint8Array) => {
    const { messages } = peer.transport.receive(new Uint8Array(chunk));
    for (const m of messages) {
      const d = decodeMessage(m);
      if (d.kind === 'message') received.push(d.message);
    }
  });
  return received;
}
const ping = (numPongBytes: number) => encodeMessage({ type: 18, numPongBytes, ignored: new Uint8Array(0) });

/** Our own BOLT 8 initiator on a raw socket (test/support/raw-peer.ts), towards the fixture's gateway by default. */
const rawSocket = (port = gateway.port) => rawSocketOn(port);
const rawPeer = (secret: Uint8Array, port = gateway.port): Promise<RawPeer> => rawPeerOn(port, nodeKey, secret);

const closeLog = (code: string) => logs.find((l) => l.attributes['code'] === code);

beforeAll(async () => {
  sqs = await startSqsLocal({ port: await freePort() });
  ldk = await startLdkNode(new Uint8Array(32).fill(7));
  gateway = await startGateway({
    nodeSecret,
    secp,
    nodeKey,
    host: '127.0.0.1',
    port: 0,
    inbound: sqs.inbound,
    outbound: sqs.outbound,
    logger: collectingLogger(logs),
    maxMessageLength: MAX_MESSAGE_LENGTH,
    handshakeTimeoutMs: 5000,
    // The raw peers here speak BOLT 8 only (no init); init and read timeouts have their own tests (connection-limits.test.ts).
    initTimeoutMs: 600_000,
    // The gateway's own pings have their own tests (keepalive, below, on gateways of their own).
    pingIntervalMs: 600_000,
    maxPendingInbound: 8,
    outboundWaitSeconds: 1,
  });
});

afterAll(async () => {
  await gateway?.stop();
  await ldk?.stop();
  await sqs?.stop();
});

/** One peer connects twice: the second connection replaces the first (both `connected` envelopes seen). */
async function replacedConnection() {
  const secret = randomSecret();
  const first = await rawPeer(secret);
  const c1 = await waitInbound((e) => e.kind === 'connected' && e.peer === first.nodeId, 'first connected');
  const second = await rawPeer(secret);
  await first.closed;
  const c2 = await waitInbound((e) => e.kind === 'connected' && e.peer === second.nodeId && e.connectionId !== c1.connectionId, 'second connected');
  return { first, second, c1, c2 };
}

describe('LDK dials the gateway', () => {
  it('forwards the handshake as connected, LDK init as message 0, carries init both ways through the queues, and answers LDK pings itself', async () => {
    const ldkHex = toHex(ldk.nodeId);
    await ldk.connect(fromHex(nodeKey), '127.0.0.1', gateway.port);
    const connected = await waitInbound((e) => e.kind === 'connected' && e.peer === ldkHex, 'connected');
    expect(connected).toMatchObject({ kind: 'connected', peer: ldkHex, inbound: true });
    expect(connected.kind === 'connected' && connected.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(seen.find((s) => s.envelope === connected)!.group).toBe(`${nodeKey}:${ldkHex}`);
    expect(gateway.peers()).toEqual([{ nodeId: ldkHex, address: connected.kind === 'connected' ? connected.address : '', inbound: true, connectionId: connected.connectionId }]);

    const first = await waitInbound((e) => e.kind === 'message' && e.peer === ldkHex, 'LDK init');
    expect(first).toMatchObject({ connectionId: connected.connectionId, seq: 0 });
    expect(seen.find((s) => s.envelope === first)!.group).toBe(`${nodeKey}:${ldkHex}`);
    const init = decoded(first);
    expect(init.type).toBe(16);
    const ldkFeatures = ldkjs.UtilMethods.constructor_provided_init_features(ldkjs.UserConfig.constructor_default()).write();
    // `write()` puts a u16 length before the feature bytes.
    expect(init.type === 16 && toHex(init.features)).toBe(toHex(ldkFeatures.subarray(2)));
    expect(init.type === 16 && init.networks?.map(toHex)).toEqual([toHex(REGTEST)]);

    await putOutbound({ kind: 'send', peer: ldkHex, message: ourInit() });
    await ldk.waitFor(() => ldk.peers().some((p) => toHex(p.nodeId) === nodeKey), 'LDK to list the gateway');
    expect(toHex(ldk.peers().find((p) => toHex(p.nodeId) === nodeKey)!.features.subarray(2))).toBe(toHex(OUR_INIT_FEATURES));

    // LDK pings on each timer tick and drops a peer that did not answer by the next one: the gateway answers, the queue sees none of it.
    for (let round = 0; round < 2; round++) await pingRound();
    await pumpInbound();
    expect(upkeepOnQueue(ldkHex)).toEqual([]);
    const seqs = messagesOf(ldkHex, connected.connectionId).map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    // Logs name peers and close reasons, never keys or message bytes.
    const logged = JSON.stringify(logs);
    expect(logged).not.toContain(toHex(nodeSecret));
    expect(logged).not.toContain(toHex(first.kind === 'message' ? first.message : new Uint8Array(1)));
  });
});

describe('the gateway dials', () => {
  it('dials LDK on an outbound connect, ignores a second connect, and closes on an outbound disconnect', async () => {
    const other = await startLdkNode(new Uint8Array(32).fill(8));
    try {
      const otherHex = toHex(other.nodeId);
      const port = await other.listen();
      await putOutbound({ kind: 'connect', peer: otherHex, host: '127.0.0.1', port });
      const connected = await waitInbound((e) => e.kind === 'connected' && e.peer === otherHex, 'connected (outbound)');
      expect(connected).toMatchObject({ inbound: false, address: `127.0.0.1:${port}` });
      expect(seen.find((s) => s.envelope === connected)!.group).toBe(`${nodeKey}:${otherHex}`);
      const init = await waitInbound((e) => e.kind === 'message' && e.peer === otherHex, 'LDK init (outbound)');
      expect(init).toMatchObject({ connectionId: connected.connectionId, seq: 0 });
      expect(decoded(init).type).toBe(16);
      await putOutbound({ kind: 'send', peer: otherHex, message: ourInit() });
      await other.waitFor(() => other.peers().some((p) => toHex(p.nodeId) === nodeKey), 'LDK to list the gateway');
      expect(gateway.peers().find((p) => p.nodeId === otherHex)).toMatchObject({ inbound: false, connectionId: connected.connectionId });

      // Same group, so handled in order: the connect is a no-op, then the disconnect closes the one connection.
      await putOutbound({ kind: 'connect', peer: otherHex, host: '127.0.0.1', port });
      await putOutbound({ kind: 'disconnect', peer: otherHex, reason: 'test' });
      await waitInbound((e) => e.kind === 'disconnected' && e.connectionId === connected.connectionId, 'disconnected');
      expect(envelopesOf(otherHex).filter((e) => e.kind === 'connected')).toHaveLength(1);
      await other.waitFor(() => other.peers().length === 0, 'LDK to drop the connection');
      expect(gateway.peers().map((p) => p.nodeId)).not.toContain(otherHex);
      expect(logs.find((l) => l.message === 'peer disconnected' && l.attributes['connectionId'] === connected.connectionId)?.attributes)
        .toMatchObject({ peer: otherHex, reason: 'local', detail: 'test' });
    } finally {
      await other.stop();
    }
  });

  it('logs and deletes outbound records it cannot use: malformed, or for a peer with no connection', async () => {
    const nobody = '03' + 'cd'.repeat(32);
    await sqs.outbound.send({ group: 'junk', dedupId: `test-${outboundIds++}`, body: 'not an envelope' });
    await putOutbound({ kind: 'send', peer: nobody, message: ourInit() });
    await until(() => logs.some((l) => l.message === 'dropping a malformed outbound record'), 'malformed record log');
    await until(() => logs.some((l) => l.message === 'dropping an outbound message: peer not connected' && l.attributes['peer'] === nobody), 'drop log');
    // Both were deleted: the queue is empty once the gateway's consumer has gone past them.
    await outboundRound();
  });
});

describe('bad input closes only that connection', () => {
  /** Every envelope since `mark` came from the LDK connection: the refused connection produced none. */
  const onlyLdkSince = (mark: number) => seen.slice(mark).map((s) => s.envelope.peer).filter((p) => p !== toHex(ldk.nodeId));

  it('200 bytes of garbage', async () => {
    const mark = seen.length;
    const { socket, closed } = await rawSocket();
    const garbage = new Uint8Array(randomBytes(200));
    garbage[0] = 1; // a version byte other than 0 is refused at once
    socket.write(garbage);
    await closed;
    await until(() => closeLog('act1-bad-version') !== undefined, 'close log');
    expect(closeLog('act1-bad-version')!.message).toBe('connection closed before the handshake completed');
    await pingRound();
    expect(onlyLdkSince(mark)).toEqual([]);
  });

  it('a truncated act 1, then close', async () => {
    const mark = seen.length;
    const { socket, closed } = await rawSocket();
    socket.write(new Uint8Array(ACT_ONE_SIZE - 1));
    socket.end();
    await closed;
    await until(() => closeLog('act1-short-read') !== undefined, 'close log');
    await pingRound();
    expect(onlyLdkSince(mark)).toEqual([]);
  });

  it('act 3 with a bad MAC', async () => {
    const mark = seen.length;
    const secret = randomSecret();
    const { socket, closed } = await rawSocket();
    const hs = initiatorHandshake({ secp, localSecret: secret, ephemeralSecret: randomSecret(), remoteStatic: fromHex(nodeKey) });
    socket.write(hs.start().send);
    const act3 = hs.receive(await readOnce(socket)).send!.slice();
    act3[10] = act3[10]! ^ 0xff; // the encrypted static key no longer authenticates
    socket.write(act3);
    await closed;
    await until(() => closeLog('act3-bad-static-key-mac') !== undefined, 'close log');
    await pingRound();
    expect(onlyLdkSince(mark)).toEqual([]);
    expect(envelopesOf(toHex(secp.publicKeyFromSecret(secret)))).toEqual([]);
  });

  it('a message longer than maxMessageLength after the handshake', async () => {
    const peer = await rawPeer(randomSecret());
    const connected = await waitInbound((e) => e.kind === 'connected' && e.peer === peer.nodeId, 'connected');
    peer.socket.write(peer.transport.encryptMessage(new Uint8Array(MAX_MESSAGE_LENGTH + 1)));
    await peer.closed;
    await waitInbound((e) => e.kind === 'disconnected' && e.peer === peer.nodeId, 'disconnected');
    await pingRound();
    expect(envelopesOf(peer.nodeId).map((e) => e.kind)).toEqual(['connected', 'disconnected']);
    expect(logs.find((l) => l.message === 'peer disconnected' && l.attributes['connectionId'] === connected.connectionId)?.attributes)
      .toMatchObject({ peer: peer.nodeId, reason: 'transport', code: 'message-too-long' });
  });
});

describe('ordering and backpressure', () => {
  it('200 messages sent quickly arrive in order with seq 0..199 (reads paused and resumed on the way)', async () => {
    const peer = await rawPeer(randomSecret());
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 200; i++) frames.push(peer.transport.encryptMessage(encodeMessage({ type: 18, numPongBytes: i, ignored: new Uint8Array(0) })));
    const paused = () => logs.some((l) => l.message === 'inbound backpressure: paused reading' && l.attributes['peer'] === peer.nodeId);
    // The first half in one write: far more than maxPendingInbound (8) at once, so the gateway stops reading.
    peer.socket.write(Buffer.concat(frames.slice(0, 100)));
    await until(paused, 'the gateway to pause reading');
    // The second half is only read once the gateway resumed.
    for (const frame of frames.slice(100)) peer.socket.write(frame);
    await until(async () => {
      await pumpInbound();
      return messagesOf(peer.nodeId).length >= 200;
    }, '200 messages', 60_000);
    const messages = messagesOf(peer.nodeId);
    expect(messages.map((m) => m.seq)).toEqual([...Array(200).keys()]);
    expect(messages.map((m) => { const d = decoded(m); return d.type === 18 ? d.numPongBytes : -1; })).toEqual([...Array(200).keys()]);
    expect(new Set(messages.map((m) => m.connectionId)).size).toBe(1);
    // Messages read while the lane was sending left together: far fewer queue messages than peer messages.
    const perQueueMessage = carried.get(peer.nodeId) ?? [];
    expect(perQueueMessage.reduce((a, b) => a + b, 0)).toBe(200);
    expect(perQueueMessage.length).toBeLessThan(100);
    expect(Math.max(...perQueueMessage)).toBeLessThanOrEqual(MAX_MESSAGES_PER_ENVELOPE);
    expect(envelopesOf(peer.nodeId)[0]!.kind).toBe('connected');
    expect(logs.some((l) => l.message === 'inbound backpressure: resumed reading' && l.attributes['peer'] === peer.nodeId)).toBe(true);
    peer.socket.destroy();
    await waitInbound((e) => e.kind === 'disconnected' && e.peer === peer.nodeId, 'disconnected');
  });

  it('outbound messages beyond what the socket buffers hold reach a slow reader whole and in order (writes wait for drain)', async () => {
    const peer = await rawPeer(randomSecret());
    await waitInbound((e) => e.kind === 'connected' && e.peer === peer.nodeId, 'connected');
    // The peer does not read at first: the gateway's writes fill the socket and wait for it to drain.
    peer.socket.pause();
    // 65535-byte messages: about 60 of them fill the loopback socket buffers of a reader that does not read.
    const count = 120;
    const ignored = 65535 - 6;
    for (let i = 0; i < count; i++) {
      await putOutbound({ kind: 'send', peer: peer.nodeId, message: encodeMessage({ type: 18, numPongBytes: i, ignored: new Uint8Array(ignored).fill(i % 256) }) });
    }
    await until(() => logs.some((l) => l.message === 'outbound backpressure: waiting for the peer to drain' && l.attributes['peer'] === peer.nodeId), 'a drain wait');
    const received: WireMessage[] = [];
    peer.socket.on('data', (chunk: Uint8Array) => {
      const { messages, error } = peer.transport.receive(new Uint8Array(chunk));
      expect(error).toBeUndefined();
      for (const m of messages) {
        const d = decodeMessage(m);
        if (d.kind === 'message') received.push(d.message);
      }
    });
    peer.socket.resume();
    await until(() => received.length >= count, `${count} messages at the peer`, 60_000);
    expect(received.map((m) => (m.type === 18 ? [m.numPongBytes, m.ignored.length, m.ignored[0]] : []))).toEqual(
      [...Array(count).keys()].map((i) => [i, ignored, i % 256]),
    );
    peer.socket.destroy();
  });

  it('a second connection from the same peer replaces the first; the first one\'s disconnected comes before the new connected', async () => {
    const { first, second, c1, c2 } = await replacedConnection();
    await waitInbound((e) => e.kind === 'disconnected' && e.connectionId === c1.connectionId, 'first disconnected');
    expect(envelopesOf(first.nodeId).map((e) => `${e.kind}:${e.connectionId}`)).toEqual([
      `connected:${c1.connectionId}`,
      `disconnected:${c1.connectionId}`,
      `connected:${c2.connectionId}`,
    ]);
    expect(gateway.peers().filter((p) => p.nodeId === first.nodeId)).toEqual([expect.objectContaining({ connectionId: c2.connectionId, inbound: true })]);
    second.socket.write(second.transport.encryptMessage(encodeMessage({ type: 18, numPongBytes: 3, ignored: new Uint8Array(0) })));
    const m = await waitInbound((e) => e.kind === 'message' && e.connectionId === c2.connectionId, 'message on the new connection');
    expect(m).toMatchObject({ seq: 0 });
    second.socket.destroy();
  });

  it('drops an outbound message made for an earlier connection of the peer; one for the current connection, or for none named, goes out', async () => {
    const { second, c1, c2 } = await replacedConnection();
    const received = readMessages(second);
    const pingOf = (n: number, connectionId?: string): OutboundEnvelope => ({
      kind: 'send',
      peer: second.nodeId,
      message: ping(n),
      ...(connectionId === undefined ? {} : { connectionId }),
    });
    // In queue order: one made on the first connection (as a commit before the reconnection would), then the current one's, then an unbound one.
    await putOutbound(pingOf(1, c1.connectionId));
    await putOutbound(pingOf(2, c2.connectionId));
    await putOutbound(pingOf(3));
    await until(() => received.length >= 2, 'the two pings for the current connection');
    expect(received.map((m) => (m as { numPongBytes: number }).numPongBytes)).toEqual([2, 3]);
    expect(logs.some((l) => l.message === 'dropping an outbound message made for an earlier connection' && l.attributes['connectionId'] === c1.connectionId)).toBe(true);
    second.socket.destroy();
  });
});

describe('failures', () => {
  it('closes a connection whose envelopes the inbound queue keeps refusing, after retries', async () => {
    const missing = new FifoQueue(sqs.client, `${sqs.endpoint}/000000000000/no-such-queue.fifo`);
    const lines: LogLine[] = [];
    const broken = await startGateway({
      nodeSecret, secp, nodeKey, host: '127.0.0.1', port: 0,
      inbound: missing, outbound: missing,
      logger: collectingLogger(lines),
      inboundRetry: { attempts: 3, baseDelayMs: 10 },
      outboundWaitSeconds: 1,
    });
    try {
      const peer = await rawPeer(randomSecret(), broken.port);
      await peer.closed;
      expect(lines.filter((l) => l.message === 'inbound queue send failed' && l.attributes['kind'] === 'connected')).toHaveLength(3);
      expect(lines.find((l) => l.message === 'inbound queue refused an envelope; closing the connection')?.attributes)
        .toMatchObject({ peer: peer.nodeId, kind: 'connected' });
      expect(broken.peers()).toEqual([]);
    } finally {
      await broken.stop();
    }
    expect(lines.some((l) => l.message === 'outbound queue receive failed')).toBe(true);
    expect(lines.at(-1)!.message).toBe('gateway stopped');
  });

  it('disconnects a peer that leaves its socket buffer full for longer than drainTimeoutMs', async () => {
    // A second gateway on queues of its own (the fixture's dead-letter queues, unused otherwise).
    const lines: LogLine[] = [];
    const strict = await startGateway({
      nodeSecret, secp, nodeKey, host: '127.0.0.1', port: 0,
      inbound: sqs.inboundDlq, outbound: sqs.outboundDlq,
      logger: collectingLogger(lines),
      outboundWaitSeconds: 1,
      drainTimeoutMs: 300,
    });
    try {
      const peer = await rawPeer(randomSecret(), strict.port);
      peer.socket.pause(); // and never reads
      await until(() => strict.peers().length === 1, 'handshake');
      const big = encodeMessage({ type: 18, numPongBytes: 0, ignored: new Uint8Array(65535 - 6) });
      for (let i = 0; i < 120; i++) {
        await sqs.outboundDlq.send({ group: peer.nodeId, dedupId: `test-${outboundIds++}`, body: encodeOutbound({ kind: 'send', peer: peer.nodeId, message: big }) });
      }
      // (The paused test socket would not notice the close: watch the gateway instead.)
      await until(() => lines.some((l) => l.message === 'peer disconnected'), 'the gateway to drop the peer');
      peer.socket.destroy();
      expect(lines.find((l) => l.message === 'peer disconnected')?.attributes).toMatchObject({
        peer: peer.nodeId,
        reason: 'local',
        detail: 'peer is not reading (write buffer full)',
      });
      expect(strict.peers()).toEqual([]);
    } finally {
      await strict.stop();
    }
  });

  it('a port in use is a one-line error naming the variable to change', async () => {
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      const attempt = startGateway({ nodeSecret, secp, nodeKey, host: '127.0.0.1', port, inbound: sqs.inbound, outbound: sqs.outbound, logger: collectingLogger([]), portVariable: 'PEER_PORT' });
      await expect(attempt).rejects.toThrow(new Error(`port ${port} is in use: set PEER_PORT to a free port`));
      const message = await attempt.then(() => '', (e: Error) => e.message);
      expect(message).not.toContain('\n');
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});

describe('keepalive (ping/pong are the gateway\'s)', () => {
  it('answers LDK\'s pings and pings LDK on its interval: LDK stays connected, and no ping or pong reaches the inbound queue', async () => {
    const queues = await freshQueues();
    const lines: LogLine[] = [];
    const own = await startGateway({
      nodeSecret, secp, nodeKey, host: '127.0.0.1', port: 0, ...queues,
      logger: collectingLogger(lines), outboundWaitSeconds: 1, pingIntervalMs: 1000,
    });
    const other = await startLdkNode(new Uint8Array(32).fill(9));
    try {
      const otherHex = toHex(other.nodeId);
      const envelopes: InboundEnvelope[] = [];
      const waitFor = (predicate: (e: InboundEnvelope) => boolean, what: string) =>
        until(async () => envelopes.some(predicate) || (envelopes.push(...(await takeAll(queues.inbound))), envelopes.some(predicate)), what);
      await other.connect(fromHex(nodeKey), '127.0.0.1', own.port);
      await waitFor((e) => e.kind === 'message', 'LDK init');
      await queues.outbound.send({ group: otherHex, dedupId: 'init', body: encodeOutbound({ kind: 'send', peer: otherHex, message: ourInit() }) });
      await other.waitFor(() => other.peers().some((p) => toHex(p.nodeId) === nodeKey), 'LDK to list the gateway');

      // LDK's pings, one per timer tick: each answered by the gateway (LDK drops a peer that did not answer by its next tick).
      for (let tick = 1; tick <= 3; tick++) {
        other.timerTick();
        await other.waitFor(() => ldkSawPongFromUs(other) >= tick, `LDK to receive the gateway's pong ${tick}`);
      }
      // The gateway's pings: it sends the next one only if the previous one was answered (else it closes the connection).
      await other.waitFor(() => ldkSawPingFromUs(other) >= 3, 'three pings from the gateway', 20_000);
      expect(other.peers().map((p) => toHex(p.nodeId))).toEqual([nodeKey]);
      expect(own.peers().map((p) => p.nodeId)).toEqual([otherHex]);

      // The queue saw the connection, LDK's init, and its end: nothing of the upkeep.
      other.dropConnections();
      await waitFor((e) => e.kind === 'disconnected', 'disconnected');
      expect(envelopes.map((e) => (e.kind === 'message' ? `message:${decoded(e).type}` : e.kind))).toEqual(['connected', 'message:16', 'disconnected']);
      expect(lines.some((l) => l.attributes['reason'] === 'pong-timeout')).toBe(false);
    } finally {
      await other.stop();
      await own.stop();
    }
  });

  it('closes a peer that does not answer its ping by the next interval (pong-timeout), after its init and ours', async () => {
    const queues = await freshQueues();
    const lines: LogLine[] = [];
    const own = await startGateway({
      nodeSecret, secp, nodeKey, host: '127.0.0.1', port: 0, ...queues,
      logger: collectingLogger(lines), outboundWaitSeconds: 1, pingIntervalMs: 100,
    });
    try {
      const peer = await rawPeerOn(own.port, nodeKey, randomSecret());
      const received = readMessages(peer);
      peer.socket.write(peer.transport.encryptMessage(ourInit()));
      await queues.outbound.send({ group: peer.nodeId, dedupId: 'init', body: encodeOutbound({ kind: 'send', peer: peer.nodeId, message: ourInit() }) });
      await until(() => peer.isClosed(), 'the gateway to close the peer that never answers');
      expect(received.map((m) => m.type)).toEqual([16, 18]);
      expect(received[1]).toEqual({ type: 18, numPongBytes: 0, ignored: new Uint8Array(0) });
      expect(lines.find((l) => l.message === 'peer disconnected')?.attributes).toMatchObject({ peer: peer.nodeId, reason: 'pong-timeout' });
      const envelopes: InboundEnvelope[] = [];
      await until(async () => (envelopes.push(...(await takeAll(queues.inbound))), envelopes.some((e) => e.kind === 'disconnected')), 'disconnected');
      expect(envelopes.map((e) => e.kind)).toEqual(['connected', 'message', 'disconnected']);
      expect(envelopes[2]).toMatchObject({ kind: 'disconnected', peer: peer.nodeId, reason: 'pong-timeout' });
    } finally {
      await own.stop();
    }
  });

  it('forwards a ping before init and a malformed one; holds a pong until our init; no pong from num_pong_bytes 65532; keeps pongs', async () => {
    const peer = await rawPeer(randomSecret());
    const received = readMessages(peer);
    const send = (bytes: Uint8Array) => peer.socket.write(peer.transport.encryptMessage(bytes));
    const connected = await waitInbound((e) => e.kind === 'connected' && e.peer === peer.nodeId, 'connected');
    send(ping(5)); // before init: the handler's (first message must be init)
    send(ourInit());
    send(ping(7)); // our init has not gone out yet: the pong waits for it
    await waitInbound((e) => e.kind === 'message' && e.peer === peer.nodeId && e.seq === 1, 'the peer init');
    expect(received).toEqual([]);
    await putOutbound({ kind: 'send', peer: peer.nodeId, message: ourInit() });
    await until(() => received.length >= 2, 'our init, then the held pong');
    expect(received.map((m) => m.type)).toEqual([16, 19]);
    expect(received[1]).toEqual({ type: 19, ignored: new Uint8Array(7) });
    send(ping(65532)); // BOLT 1: no reply
    send(ping(3));
    await until(() => received.length >= 3, 'the pong to ping(3)');
    send(Uint8Array.of(0x00, 0x12, 0x00, 0x01)); // a ping cut short: malformed, the handler's (warning, disconnection)
    send(encodeMessage({ type: 19, ignored: new Uint8Array(4) })); // an unsolicited pong: kept, ignored
    peer.socket.destroy();
    await waitInbound((e) => e.kind === 'disconnected' && e.connectionId === connected.connectionId, 'disconnected');
    expect(received.slice(2)).toEqual([{ type: 19, ignored: new Uint8Array(3) }]);
    const forwarded = messagesOf(peer.nodeId, connected.connectionId);
    expect(forwarded.map((e) => [e.seq, toHex(e.message)])).toEqual([
      [0, toHex(ping(5))],
      [1, toHex(ourInit())],
      [2, '00120001'],
    ]);
  });
});

describe('keepalive under a peer that does not read', () => {
  it('holds at most one pong while the socket buffer is full: 300 pings asking for 65531 bytes each do not make 300 pongs', async () => {
    const peer = await rawPeer(randomSecret());
    const received = readMessages(peer);
    const send = (bytes: Uint8Array) => peer.socket.write(peer.transport.encryptMessage(bytes));
    const connected = await waitInbound((e) => e.kind === 'connected' && e.peer === peer.nodeId, 'connected');
    send(ourInit());
    await putOutbound({ kind: 'send', peer: peer.nodeId, message: ourInit() });
    await until(() => received.length === 1, 'our init');
    peer.socket.pause(); // from now on the peer does not read: the gateway's writes fill the socket buffers
    const PINGS = 300;
    for (let i = 0; i < PINGS; i++) send(ping(65531));
    // A forwarded message after the pings: once it is on the queue, the gateway has handled every ping.
    const marker = Uint8Array.of(0xff, 0x0f, 0x01);
    send(marker);
    await waitInbound((e) => e.kind === 'message' && e.connectionId === connected.connectionId && toHex(e.message) === toHex(marker), 'the marker after the pings');
    // The peer reads again; a message through the outbound queue comes after whatever the gateway buffered.
    peer.socket.resume();
    await putOutbound({ kind: 'send', peer: peer.nodeId, message: encodeMessage({ type: 1, channelId: new Uint8Array(32), data: new Uint8Array(0) }) });
    await until(() => received.some((m) => m.type === 1), 'a warning through the outbound queue', 30_000);
    const pongs = received.filter((m) => m.type === 19);
    expect(pongs.length).toBeGreaterThan(0);
    expect(pongs.length).toBeLessThan(PINGS);
    expect(pongs.every((m) => m.type === 19 && m.ignored.length === 65531)).toBe(true);
    expect(peer.isClosed()).toBe(false);
    // None of it reached the queue: only the marker (seq 1, after init).
    expect(messagesOf(peer.nodeId, connected.connectionId).map((e) => e.seq)).toEqual([0, 1]);
    peer.socket.destroy();
  });
});

describe('stop', () => {
  it('closes every connection and sends their disconnected envelopes before it resolves', async () => {
    const ldkHex = toHex(ldk.nodeId);
    const current = gateway.peers().find((p) => p.nodeId === ldkHex)!;
    expect(current).toBeDefined();
    await gateway.stop();
    expect(gateway.peers()).toEqual([]);
    await waitInbound((e) => e.kind === 'disconnected' && e.connectionId === current.connectionId, 'disconnected on stop');
    await ldk.waitFor(() => ldk.peers().length === 0, 'LDK to see the disconnect');
    expect(logs.at(-1)!.message).toBe('gateway stopped');
  });
});
