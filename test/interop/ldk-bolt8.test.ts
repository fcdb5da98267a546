/**
 * Interop with real LDK (npm `lightningdevkit`, LDK 0.1 in WASM) over real TCP
 * on 127.0.0.1: the BOLT 8 handshake in both directions, `init` with features
 * LDK accepts, ping/pong both ways; and bad connections refused with typed
 * errors while the LDK connection on the same listener stays up. Both
 * sides' sockets send without Nagle's delay, so a test or bench timing them
 * treats them alike.
 */
import { randomBytes } from 'node:crypto';
import { Socket, connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fromHex, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { PeerConnection, type CloseReason } from '../../shared/peer/peer-connection.js';
import { TransportErrorCode, initiatorHandshake, ACT_ONE_SIZE } from '../../shared/transport/index.js';
import { OUR_INIT_FEATURES, decodeMessage, encodeMessage, pongFor, type WireMessage } from '../../shared/wire/index.js';
import { startLdkNode, type LdkNode } from '../support/ldk-node.js';

const secp = wasmSecp256k1;
const REGTEST = fromHex('06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f');
const ourSecret = fromHex('21'.repeat(32));
const ourNodeId = secp.publicKeyFromSecret(ourSecret);
const MAX_MESSAGE_LENGTH = 32_768;

/** Our side of one connection: answers `init` and `ping` as BOLT 1 requires, records what it saw. */
interface OurPeer {
  readonly connection: PeerConnection;
  readonly received: WireMessage[];
  closed?: CloseReason;
}

function behave(peers: OurPeer[]) {
  const find = (c: PeerConnection) => peers.find((p) => p.connection === c)!;
  return {
    onReady(c: PeerConnection) {
      c.send(encodeMessage({ type: 16, globalfeatures: new Uint8Array(0), features: OUR_INIT_FEATURES, networks: [REGTEST] }));
    },
    onMessage(c: PeerConnection, bytes: Uint8Array) {
      const decoded = decodeMessage(bytes);
      if (decoded.kind === 'unknown-odd') return;
      if (decoded.kind !== 'message') return c.close({ kind: 'local', reason: decoded.kind });
      find(c).received.push(decoded.message);
      if (decoded.message.type === 18) {
        const pong = pongFor(decoded.message);
        if (pong) c.send(encodeMessage(pong));
      }
    },
    onClose(c: PeerConnection, reason: CloseReason) {
      const peer = find(c);
      if (peer) peer.closed = reason;
    },
  };
}

async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Our PeerConnection dials LDK listening on `port`; resolves once LDK's init arrived. */
async function dialLdk(ldk: LdkNode, port: number): Promise<{ connection: PeerConnection; peers: OurPeer[] }> {
  const peers: OurPeer[] = [];
  const connection = PeerConnection.dial('127.0.0.1', port, ldk.nodeId, { secp, localSecret: ourSecret }, behave(peers));
  peers.push({ connection, received: [] });
  await until(() => peers[0]!.received.some((m) => m.type === 16), 'LDK init');
  return { connection, peers };
}

const ldkSawPongFromUs = (ldk: LdkNode) => ldk.log.filter((l) => l.includes('Received message Pong') && l.includes(toHex(ourNodeId))).length;

let ldk: LdkNode;
let server: Server;
let ourPort: number;
const accepted: OurPeer[] = [];

beforeAll(async () => {
  ldk = await startLdkNode(new Uint8Array(32).fill(7));
  server = createServer((socket) => {
    const peer = { received: [] } as unknown as { connection: PeerConnection; received: WireMessage[] };
    accepted.push(peer as OurPeer);
    peer.connection = PeerConnection.accept(socket, { secp, localSecret: ourSecret, maxMessageLength: MAX_MESSAGE_LENGTH, handshakeTimeoutMs: 5000 }, behave(accepted));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  ourPort = typeof address === 'object' && address ? address.port : 0;
});

afterAll(async () => {
  for (const p of accepted) p.connection.close();
  await ldk.stop();
  await new Promise((r) => server.close(r));
});

describe('LDK dials us', () => {
  it('completes BOLT 8, exchanges init with features LDK accepts, and answers LDK pings across its timer ticks', async () => {
    await ldk.connect(ourNodeId, '127.0.0.1', ourPort);
    await until(() => accepted.some((p) => p.connection.ready), 'handshake');
    const peer = accepted.find((p) => p.connection.ready)!;
    expect(toHex(peer.connection.remoteNodeId!)).toBe(toHex(ldk.nodeId));
    await ldk.waitFor(() => ldk.peers().some((p) => toHex(p.nodeId) === toHex(ourNodeId)), 'LDK to list us');
    await until(() => peer.received.some((m) => m.type === 16), 'LDK init');
    const init = peer.received.find((m) => m.type === 16)!;
    expect(init.type === 16 && init.networks?.map(toHex)).toEqual([toHex(REGTEST)]);

    // LDK pings on each timer tick and disconnects a peer that did not answer by the next one.
    for (let tick = 1; tick <= 3; tick++) {
      ldk.timerTick();
      await until(() => peer.received.filter((m) => m.type === 18).length >= tick, `LDK ping ${tick}`);
      await ldk.waitFor(() => ldkSawPongFromUs(ldk) >= tick, `LDK to receive our pong ${tick}`);
    }
    expect(ldk.peers().map((p) => toHex(p.nodeId))).toContain(toHex(ourNodeId));
    expect(peer.closed).toBeUndefined();
  });
});

describe('we dial LDK', () => {
  it('completes BOLT 8 as initiator, exchanges init, and gets a pong for our ping', async () => {
    const other = await startLdkNode(new Uint8Array(32).fill(8));
    try {
      const port = await other.listen();
      const { connection, peers } = await dialLdk(other, port);
      await other.waitFor(() => other.peers().some((p) => toHex(p.nodeId) === toHex(ourNodeId)), 'LDK to list us');
      connection.send(encodeMessage({ type: 18, numPongBytes: 12, ignored: new Uint8Array(4) }));
      await until(() => peers[0]!.received.some((m) => m.type === 19), 'pong');
      const pong = peers[0]!.received.find((m) => m.type === 19)!;
      expect(pong.type === 19 && pong.ignored.length).toBe(12);
      other.timerTick();
      await until(() => peers[0]!.received.some((m) => m.type === 18), 'LDK ping');
      await other.waitFor(() => ldkSawPongFromUs(other) >= 1, 'LDK to receive our pong');
      other.timerTick();
      expect(other.peers()).toHaveLength(1);
      connection.close();
    } finally {
      await other.stop();
    }
  });
});

describe('several messages in one write', () => {
  it('sendMany writes its messages in one socket write, in order; LDK reads each (a pong for every ping, by its length)', async () => {
    const other = await startLdkNode(new Uint8Array(32).fill(9));
    try {
      const port = await other.listen();
      const { connection, peers } = await dialLdk(other, port);
      await other.waitFor(() => other.peers().some((p) => toHex(p.nodeId) === toHex(ourNodeId)), 'LDK to list us');
      const socket = (connection as unknown as { socket: Socket }).socket;
      const write = vi.spyOn(socket, 'write');
      const lengths = [3, 5, 7, 11];
      connection.sendMany(lengths.map((n) => encodeMessage({ type: 18, numPongBytes: n, ignored: new Uint8Array(0) })));
      expect(write).toHaveBeenCalledTimes(1);
      await until(() => peers[0]!.received.filter((m) => m.type === 19).length === lengths.length, 'four pongs');
      expect(peers[0]!.received.flatMap((m) => (m.type === 19 ? [m.ignored.length] : []))).toEqual(lengths);
      connection.close();
    } finally {
      await other.stop();
    }
  });
});

describe('socket options, alike on both sides', () => {
  it("LDK's sockets, dialled and accepted, disable Nagle's algorithm as our PeerConnection does", async () => {
    // LDK writes each message on its own (update_add_htlc, then commitment_signed):
    // with Nagle the second waits for the peer's delayed ACK of the first (40 ms on Linux).
    const noDelay = vi.spyOn(Socket.prototype, 'setNoDelay');
    const other = await startLdkNode(new Uint8Array(32).fill(9));
    const plainSockets: Socket[] = [];
    const plain = createServer((s) => plainSockets.push(s.on('error', () => undefined)));
    try {
      const port = await other.listen();
      const { connection } = await dialLdk(other, port);
      // LDK dials a listener that only accepts: its socket is set up on connect.
      await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
      const address = plain.address();
      const plainPort = typeof address === 'object' && address ? address.port : 0;
      await other.connect(ourNodeId, '127.0.0.1', plainPort);
      const withoutNagle = noDelay.mock.calls.flatMap((args, i) => (args[0] ?? true ? [noDelay.mock.contexts[i] as Socket] : []));
      expect(withoutNagle.some((s) => s.remotePort === port)).toBe(true); // ours, dialling LDK
      expect(withoutNagle.some((s) => s.localPort === port)).toBe(true); // LDK's, accepted
      expect(withoutNagle.some((s) => s.remotePort === plainPort)).toBe(true); // LDK's, dialled
      connection.close();
    } finally {
      noDelay.mockRestore();
      await other.stop();
      for (const s of plainSockets) s.destroy();
      await new Promise((r) => plain.close(r));
    }
  });
});

describe('bad connections on our listener', () => {
  function rawSocket(): Promise<Socket> {
    return new Promise((resolve) => {
      const s = connect(ourPort, '127.0.0.1', () => resolve(s));
      s.on('error', () => undefined);
    });
  }
  const newest = () => accepted[accepted.length - 1]!;

  async function expectRefused(code: string, act: (s: Socket) => Promise<void> | void): Promise<void> {
    const before = accepted.length;
    const socket = await rawSocket();
    await until(() => accepted.length > before, 'accept');
    const peer = newest();
    await act(socket);
    await until(() => peer.closed !== undefined, `close with ${code}`);
    expect(peer.closed).toMatchObject({ kind: 'transport', failure: { code } });
    socket.destroy();
    // The LDK connection on the same listener is unaffected: it still answers pings.
    const ldkPeer = accepted.find((p) => p.connection.ready)!;
    const pings = ldkPeer.received.filter((m) => m.type === 18).length;
    ldk.timerTick();
    await until(() => ldkPeer.received.filter((m) => m.type === 18).length > pings, 'LDK still pinging');
    expect(ldk.peers().map((p) => toHex(p.nodeId))).toContain(toHex(ourNodeId));
  }

  it('refuses 200 bytes of garbage before the handshake', async () => {
    await expectRefused(TransportErrorCode.Act1BadVersion, (s) => {
      const garbage = randomBytes(200);
      garbage[0] = 1; // any version byte but 0 is refused at once
      s.write(garbage);
    });
  });

  it('refuses act 3 with a bad MAC', async () => {
    await expectRefused(TransportErrorCode.Act3BadStaticKeyMac, async (s) => {
      const hs = initiatorHandshake({ secp, localSecret: fromHex('31'.repeat(32)), ephemeralSecret: fromHex('32'.repeat(32)), remoteStatic: ourNodeId });
      s.write(hs.start().send);
      const act2 = await new Promise<Uint8Array>((r) => s.once('data', (d: Uint8Array) => r(d)));
      const step = hs.receive(act2);
      const act3 = step.send!.slice();
      act3[10] = act3[10]! ^ 0xff; // corrupt the encrypted static key: its MAC fails
      s.write(act3);
    });
  });

  it('refuses a message length over the maximum', async () => {
    await expectRefused(TransportErrorCode.MessageTooLong, async (s) => {
      const hs = initiatorHandshake({ secp, localSecret: fromHex('41'.repeat(32)), ephemeralSecret: fromHex('42'.repeat(32)), remoteStatic: ourNodeId });
      s.write(hs.start().send);
      const act2 = await new Promise<Uint8Array>((r) => s.once('data', (d: Uint8Array) => r(d)));
      const step = hs.receive(act2);
      s.write(step.send!);
      s.write(step.done!.transport.encryptMessage(new Uint8Array(MAX_MESSAGE_LENGTH + 1)));
    });
  });

  it('closes a connection that never completes the handshake (a truncated act)', async () => {
    const before = accepted.length;
    const socket = await rawSocket();
    await until(() => accepted.length > before, 'accept');
    const peer = newest();
    socket.write(new Uint8Array(ACT_ONE_SIZE - 1));
    socket.end();
    await until(() => peer.closed !== undefined, 'close');
    expect(peer.closed).toMatchObject({ kind: 'transport', failure: { code: TransportErrorCode.Act1ShortRead } });
  });
});
