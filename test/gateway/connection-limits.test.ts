/**
 * What it costs to hold a gateway connection (issue 13, defect 8), over real
 * TCP on 127.0.0.1 and fauxqs: a peer must send `init` within the init
 * timeout, finish each act and frame it started within the read timeout,
 * and one IP (and everyone together) may hold only so many connections.
 * Each gateway here has short timeouts or small caps of its own.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/free-port.js';
import { startSqsLocal, type SqsLocal } from '../../infra/local/sqs-local.js';
import { fromHex, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { FifoQueue, type QueueMessage } from '../../shared/pipeline/queues.js';
import { ACT_ONE_SIZE } from '../../shared/transport/index.js';
import { OUR_INIT_FEATURES, encodeMessage } from '../../shared/wire/index.js';
import { startGateway, type Gateway, type GatewayOptions } from '../../functions/gateway/gateway.js';
import { collectingLogger, randomSecret, rawPeer, rawSocket, until, type LogLine, type RawPeer, type RawSocket } from '../support/raw-peer.js';

const secp = wasmSecp256k1;
const REGTEST = fromHex('06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f');
const nodeSecret = fromHex('5b'.repeat(32));
const nodeKey = toHex(secp.publicKeyFromSecret(nodeSecret));

const init = () => encodeMessage({ type: 16, globalfeatures: new Uint8Array(0), features: OUR_INIT_FEATURES, networks: [REGTEST] });
const ping = () => encodeMessage({ type: 18, numPongBytes: 1, ignored: new Uint8Array(0) });
/** An unknown odd message (type 65295): forwarded like any message after init (a ping after init is the gateway's own). */
const oddMessage = () => Uint8Array.of(0xff, 0x0f, 0x00);

let sqs: SqsLocal;
/** Sockets and gateways of the running test, closed after it. */
let sockets: RawSocket[] = [];
let gateways: Gateway[] = [];
/** Queues held shut by the running test, opened after it (a gateway stops once its envelopes are sent). */
let gates: GatedQueue[] = [];

beforeAll(async () => {
  sqs = await startSqsLocal({ port: await freePort() });
});
afterEach(async () => {
  for (const s of sockets) s.socket.destroy();
  sockets = [];
  for (const q of gates) q.open();
  gates = [];
  for (const g of gateways) await g.stop();
  gateways = [];
});
afterAll(async () => {
  await sqs?.stop();
});

/** A gateway with its own log, the given limits, and long defaults for everything the test is not about. */
async function gatewayWith(lines: LogLine[], limits: Partial<GatewayOptions>): Promise<Gateway> {
  const gateway = await startGateway({
    nodeSecret, secp, nodeKey, host: '127.0.0.1', port: 0,
    inbound: sqs.inbound, outbound: sqs.outbound,
    logger: collectingLogger(lines),
    outboundWaitSeconds: 1,
    handshakeTimeoutMs: 600_000,
    initTimeoutMs: 600_000,
    readTimeoutMs: 600_000,
    ...limits,
  });
  gateways.push(gateway);
  return gateway;
}
async function peerOf(gateway: Gateway, localAddress?: string): Promise<RawPeer> {
  const peer = await rawPeer(gateway.port, nodeKey, randomSecret(), localAddress);
  sockets.push(peer);
  return peer;
}
async function socketTo(gateway: Gateway, localAddress?: string): Promise<RawSocket> {
  const raw = await rawSocket(gateway.port, localAddress);
  sockets.push(raw);
  return raw;
}
/** Waits (bounded) for the gateway to close `raw`. */
const closedBy = (raw: RawSocket, what: string) => until(() => raw.isClosed(), `the gateway to close ${what}`);
const closeOf = (lines: LogLine[], peer: string) => lines.find((l) => l.message === 'peer disconnected' && l.attributes['peer'] === peer);
const connectedCount = (gateway: Gateway, peers: readonly RawPeer[]) => () => gateway.peers().filter((p) => peers.some((q) => q.nodeId === p.nodeId)).length === peers.length;

describe('init timeout', () => {
  it('closes a peer that completed the handshake but sent no init (or something else first); a peer that sent init stays', async () => {
    const lines: LogLine[] = [];
    const gateway = await gatewayWith(lines, { initTimeoutMs: 300 });
    // Connected first: had its init not counted, its timer would have fired before the others'.
    const good = await peerOf(gateway);
    good.socket.write(good.transport.encryptMessage(init()));
    const silent = await peerOf(gateway);
    const pinger = await peerOf(gateway);
    pinger.socket.write(pinger.transport.encryptMessage(ping()));
    await closedBy(silent, 'the silent peer');
    await closedBy(pinger, 'the peer that pinged first');
    expect(closeOf(lines, silent.nodeId)?.attributes).toMatchObject({ reason: 'init-timeout' });
    expect(closeOf(lines, pinger.nodeId)?.attributes).toMatchObject({ reason: 'init-timeout', messages: 1 });
    expect(good.isClosed()).toBe(false);
    expect(gateway.peers().map((p) => p.nodeId)).toEqual([good.nodeId]);
  });
});

describe('read timeout', () => {
  it('closes a peer that sent a length header announcing 65535 bytes and then stalled; a peer that sent whole frames stays', async () => {
    const lines: LogLine[] = [];
    const gateway = await gatewayWith(lines, { readTimeoutMs: 300 });
    const good = await peerOf(gateway);
    good.socket.write(good.transport.encryptMessage(init()));
    const staller = await peerOf(gateway);
    staller.socket.write(staller.transport.encryptMessage(init()));
    const frame = staller.transport.encryptMessage(new Uint8Array(65535));
    staller.socket.write(frame.subarray(0, 18 + 1000)); // the length header and the first 1000 bytes of the body
    await closedBy(staller, 'the stalled frame');
    expect(closeOf(lines, staller.nodeId)?.attributes).toMatchObject({ reason: 'read-timeout', messages: 1 });
    expect(good.isClosed()).toBe(false);
    expect(gateway.peers().map((p) => p.nodeId)).toEqual([good.nodeId]);
  });

  it('closes a peer that stops inside a length header, and one that stops inside act 1', async () => {
    const lines: LogLine[] = [];
    const gateway = await gatewayWith(lines, { readTimeoutMs: 300 });
    const header = await peerOf(gateway);
    header.socket.write(header.transport.encryptMessage(init()).subarray(0, 5));
    const act = await socketTo(gateway);
    act.socket.write(new Uint8Array(ACT_ONE_SIZE - 10)); // version 0 and a partial key: nothing to refuse yet
    await closedBy(header, 'the stalled length header');
    await closedBy(act, 'the stalled act 1');
    expect(closeOf(lines, header.nodeId)?.attributes).toMatchObject({ reason: 'read-timeout', messages: 0 });
    expect(lines.filter((l) => l.message === 'connection closed before the handshake completed').map((l) => l.attributes['reason'])).toEqual(['read-timeout']);
  });
});

/** A queue whose sends all wait until `open()`: the gateway's envelopes pile up and it pauses reading. */
class GatedQueue extends FifoQueue {
  open: () => void = () => undefined;
  private readonly gate = new Promise<void>((r) => (this.open = r));

  override async send(message: QueueMessage): Promise<void> {
    await this.gate;
    return super.send(message);
  }
}

describe('read timeout and backpressure', () => {
  it('does not count time the gateway itself stopped reading (paused) against a frame in progress', async () => {
    const lines: LogLine[] = [];
    const gated = new GatedQueue(sqs.client, sqs.inbound.url);
    gates.push(gated);
    const gateway = await gatewayWith(lines, { readTimeoutMs: 300, maxPendingInbound: 4, inbound: gated });
    const slow = await peerOf(gateway);
    const frames = [init(), ...Array.from({ length: 20 }, oddMessage)].map((m) => slow.transport.encryptMessage(m));
    const last = slow.transport.encryptMessage(oddMessage());
    // One write: 21 messages, far past maxPendingInbound, then the start of a 22nd, left partial while paused.
    slow.socket.write(Buffer.concat([...frames, last.subarray(0, 10)]));
    await until(() => lines.some((l) => l.message === 'inbound backpressure: paused reading' && l.attributes['peer'] === slow.nodeId), 'the gateway to pause');
    // A peer that stalls mid-frame while the gateway is paused: its read timeout runs its course.
    const control = await peerOf(gateway);
    control.socket.write(control.transport.encryptMessage(init()).subarray(0, 5));
    await closedBy(control, 'the stalled control peer');
    expect(closeOf(lines, control.nodeId)?.attributes).toMatchObject({ reason: 'read-timeout' });
    // The paused one, mid-frame since before, is still up: the gateway was not reading it.
    expect(slow.isClosed()).toBe(false);
    gated.open();
    await until(() => lines.some((l) => l.message === 'inbound backpressure: resumed reading' && l.attributes['peer'] === slow.nodeId), 'the gateway to resume');
    slow.socket.end(last.subarray(10));
    await until(() => closeOf(lines, slow.nodeId) !== undefined, 'the slow peer to leave');
    expect(closeOf(lines, slow.nodeId)?.attributes).toMatchObject({ reason: 'remote-closed', messages: 22 });
  });
});

describe('connection caps', () => {
  it('refuses the (N+1)-th connection from one IP while the first N stay up; other IPs still connect; one closing makes room', async () => {
    const lines: LogLine[] = [];
    const gateway = await gatewayWith(lines, { maxConnectionsPerIp: 3 });
    const held = [await peerOf(gateway), await peerOf(gateway), await peerOf(gateway)];
    await until(connectedCount(gateway, held), 'three handshakes');
    const refused = [await socketTo(gateway), await socketTo(gateway)];
    for (const r of refused) await closedBy(r, 'a connection over the per-IP cap');
    // Logged once for the episode, with the IP.
    expect(lines.filter((l) => l.level === 'warn')).toEqual([
      expect.objectContaining({ message: 'refusing connections: too many connections from one IP', attributes: expect.objectContaining({ ip: '127.0.0.1', maxConnectionsPerIp: 3 }) }),
    ]);
    expect(held.map((p) => p.isClosed())).toEqual([false, false, false]);
    for (const p of held) p.socket.write(p.transport.encryptMessage(init()));
    // The cap is per IP: another loopback address still gets in.
    const other = await peerOf(gateway, '127.0.0.2');
    await until(connectedCount(gateway, [...held, other]), 'a handshake from 127.0.0.2');

    held[0]!.socket.destroy();
    await until(() => lines.some((l) => l.message === 'accepting connections again'), 'the count to drop');
    expect(lines.find((l) => l.message === 'accepting connections again')?.attributes).toEqual({ cap: 'per-ip', ip: '127.0.0.1', refused: 2 });
    const again = await peerOf(gateway);
    await until(connectedCount(gateway, [held[1]!, held[2]!, other, again]), 'a handshake after the count dropped');
    expect(held.slice(1).map((p) => p.isClosed())).toEqual([false, false]);
  });

  it('refuses a connection past the total cap while those held stay up', async () => {
    const lines: LogLine[] = [];
    const gateway = await gatewayWith(lines, { maxConnections: 2 });
    const held = [await peerOf(gateway), await peerOf(gateway)];
    await until(connectedCount(gateway, held), 'two handshakes');
    const refused = await socketTo(gateway, '127.0.0.3');
    await closedBy(refused, 'a connection over the total cap');
    expect(lines.filter((l) => l.level === 'warn')).toEqual([
      expect.objectContaining({ message: 'refusing connections: too many connections in total', attributes: expect.objectContaining({ ip: '127.0.0.3', maxConnections: 2 }) }),
    ]);
    expect(held.map((p) => p.isClosed())).toEqual([false, false]);
    // One closing makes room; a connection still in its handshake counts too.
    held[1]!.socket.destroy();
    await until(() => lines.some((l) => l.message === 'accepting connections again'), 'the count to drop');
    expect(lines.find((l) => l.message === 'accepting connections again')?.attributes).toEqual({ cap: 'total', refused: 1 });
    const handshaking = await socketTo(gateway);
    await closedBy(await socketTo(gateway), 'a connection over the total cap again');
    expect(handshaking.isClosed()).toBe(false);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(2);
  });
});

describe('limit options', () => {
  it.each([['initTimeoutMs', 0], ['readTimeoutMs', 1.5], ['maxConnectionsPerIp', -1], ['maxConnections', Number.NaN]] as const)(
    '%s = %s is refused at start (RangeError)',
    async (name, value) => {
      await expect(gatewayWith([], { [name]: value })).rejects.toThrow(RangeError);
    },
  );
});
