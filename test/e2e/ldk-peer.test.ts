/**
 * `npm run peer` (scripts/ldk-peer.ts) as the README's "Try a payment" uses
 * it: a child process beside the embedded deployment, driven line by line
 * on its stdin. It opens a channel to our node funded from the faucet, pays
 * an invoice of ours (`GET /v1/invoices/{hash}` says paid), writes an
 * invoice our node pays (`POST /v1/payments` succeeds, the peer claims it),
 * pays our node by keysend (our `payment-received` event),
 * dials our node again after a restart of the deployment and pays again,
 * answers a bad command with an error and keeps going, closes the channel
 * cooperatively (our share confirmed in our wallet), and quits cleanly;
 * beside a node that holds inbound channels, `open` says the channel waits
 * for acceptance and goes on to ready once it is accepted, or reports the
 * rejection.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedWithLdk } from '../support/embedded-ldk.js';

const root = resolve(import.meta.dirname, '../..');

/** `npm run peer` as a child process beside `env`'s deployment, its output collected, driven on its stdin. */
class PeerProcess {
  output = '';
  readonly child: ChildProcessWithoutNullStreams;

  constructor(env: EmbeddedWithLdk) {
    const { port, peerPort, chainPort } = env.options;
    this.child = spawn(process.execPath, ['--import', 'tsx', 'scripts/ldk-peer.ts'], {
      cwd: root,
      env: { ...process.env, PORT: String(port), PEER_PORT: String(peerPort), CHAIN_PORT: String(chainPort), STORMCELL_API_KEY: env.node.apiKey, LDK_PEER_PORT: '0' },
    });
    this.child.stdout.on('data', (c: Uint8Array) => (this.output += new TextDecoder().decode(c)));
    this.child.stderr.on('data', (c: Uint8Array) => (this.output += new TextDecoder().decode(c)));
  }

  /** Resolves with the first match of `pattern` in the output from `from` on; fails with everything printed after 40 s. */
  async line(pattern: RegExp, from: number, what: string): Promise<RegExpMatchArray> {
    const deadline = Date.now() + 40_000;
    for (;;) {
      const found = this.output.slice(from).match(pattern);
      if (found !== null) return found;
      if (Date.now() > deadline) throw new Error(`the peer did not print ${what}; it printed:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Writes one command line; returns where its output starts. */
  command(text: string): number {
    const from = this.output.length;
    this.child.stdin.write(`${text}\n`);
    return from;
  }

  exited(): Promise<number | null> {
    return new Promise((done) => (this.child.exitCode !== null ? done(this.child.exitCode) : this.child.once('exit', done)));
  }
}

let env: EmbeddedWithLdk;
let peer: PeerProcess;
/** What the peer could send right after the channel opened (its `channels` line). */
let canSendAtOpen = 0n;
const CHANNEL_LINE = /^channel [0-9a-f]{64} 200000 sat, usable, can send (\d+) msat, can receive (\d+) msat$/m;
const line = (pattern: RegExp, from: number, what: string) => peer.line(pattern, from, what);
const command = (text: string) => peer.command(text);

beforeAll(async () => {
  env = await EmbeddedWithLdk.start('peer', { chainPollMs: 200 });
  peer = new PeerProcess(env);
  await line(/^ready: LDK node ([0-9a-f]{66})/m, 0, 'ready');
}, 120_000);

afterAll(async () => {
  peer?.child.kill();
  await env?.stop();
});

describe('npm run peer beside the embedded deployment', () => {
  it('opens a channel to our node, funded from the faucet, ready on both sides', async () => {
    const ready = await line(/^ready: LDK node ([0-9a-f]{66})/m, 0, 'ready');
    await env.until(async () => (await env.peerCount()) === 1, 'our node to list the peer');
    expect((await env.api('/v1/peers')).body['peers']).toEqual([expect.objectContaining({ nodeId: ready[1] })]);
    const from = command('open 200000 50000000');
    const channelId = (await line(/^channel-ready ([0-9a-f]{64})$/m, from, 'channel-ready'))[1]!;
    await env.until(async () => (await env.channels()).some((c) => c.channelId === channelId && c.isUsable), 'our node to list the channel usable', 60_000);
    const ours = (await env.channels()).find((c) => c.channelId === channelId)!;
    expect(ours).toMatchObject({ capacitySat: 200_000, isOutbound: false, state: 'ready' });
    expect((ours as unknown as { localBalanceMsat: number }).localBalanceMsat).toBe(50_000_000);
    canSendAtOpen = BigInt((await line(CHANNEL_LINE, command('channels'), 'its channel'))[1]!);
  }, 120_000);

  it('pays an invoice of our node', async () => {
    const created = await env.post('/v1/invoices', { amountMsat: 5_000_000, description: 'order 42' });
    expect(created.status).toBe(201);
    const from = command(`pay ${String(created.body['bolt11'])}`);
    await line(new RegExp(`^payment-sent ${String(created.body['paymentHash'])} fee 0 msat$`, 'm'), from, 'payment-sent');
    await env.until(async () => (await env.api(`/v1/invoices/${String(created.body['paymentHash'])}`)).body['state'] === 'paid', 'the invoice paid', 30_000);
    expect((await env.api(`/v1/invoices/${String(created.body['paymentHash'])}`)).body).toMatchObject({ state: 'paid', receivedMsat: 5_000_000 });
  }, 60_000);

  it('writes an invoice our node pays, and claims it', async () => {
    const from = command('invoice 3000000 coffee');
    const bolt11 = (await line(/^invoice (lnbcrt\S+)$/m, from, 'an invoice'))[1]!;
    const sent = await env.api('/v1/payments', { method: 'POST', body: JSON.stringify({ bolt11 }), headers: { 'content-type': 'application/json', 'idempotency-key': 'peer-coffee' } });
    expect(sent.status).toBe(202);
    await line(new RegExp(`^payment-claimed ${String(sent.body['paymentHash'])} 3000000 msat$`, 'm'), from, 'payment-claimed');
    await env.until(async () => (await env.api(`/v1/payments/${String(sent.body['paymentId'])}`)).body['state'] === 'succeeded', 'our payment to succeed', 30_000);
  }, 60_000);

  it('pays our node without an invoice (keysend): our node reports it received', async () => {
    const from = command('keysend 1000000');
    const hash = (await line(/^paying ([0-9a-f]{64})$/m, from, 'paying'))[1]!;
    await line(new RegExp(`^payment-sent ${hash} fee 0 msat$`, 'm'), from, 'payment-sent');
    type EventJson = { kind: string; paymentHash?: string; purpose?: string; amountMsat?: string };
    const claimed = async () => ((await env.api('/v1/events')).body['events'] as EventJson[]).find((e) => e.kind === 'payment-received' && e.paymentHash === hash);
    await env.until(async () => (await claimed()) !== undefined, 'our payment-received event', 30_000);
    expect(await claimed()).toMatchObject({ purpose: 'spontaneous', amountMsat: '1000000' });
  }, 60_000);

  it('dials our node again after it restarts, and pays over the channel again', async () => {
    const from = peer.output.length;
    await env.restart();
    await line(/^reconnected to [0-9a-f]{66}$/m, from, 'reconnected');
    await env.until(async () => (await env.channels()).some((c) => c.isUsable), 'the channel usable again (reestablished)', 60_000);
    const created = await env.post('/v1/invoices', { amountMsat: 2_000_000, description: 'after the restart' });
    const paid = command(`pay ${String(created.body['bolt11'])}`);
    await line(new RegExp(`^payment-sent ${String(created.body['paymentHash'])} fee 0 msat$`, 'm'), paid, 'payment-sent');
    await env.until(async () => (await env.api(`/v1/invoices/${String(created.body['paymentHash'])}`)).body['state'] === 'paid', 'the invoice paid', 30_000);
  }, 120_000);

  it('answers a bad command with an error and lists its channel', async () => {
    const from = command('pay not-an-invoice');
    await line(/^error: not a BOLT 11 invoice$/m, from, 'the error');
    // Since the open, the peer paid 5,000, 1,000 (keysend) and 2,000 sat and received 3,000: it can send 5,000 sat less (its reserve and the commitment's fee unchanged).
    // Asked again while the last payment's dance ends (LDK counts an HTLC until our last revoke_and_ack reaches it).
    const paidSinceOpen = async () => canSendAtOpen - BigInt((await line(CHANNEL_LINE, command('channels'), 'its channel'))[1]!);
    await env.until(async () => (await paidSinceOpen()) === 5_000_000n, 'what the peer can send to settle');
    expect(await paidSinceOpen()).toBe(5_000_000n);
  }, 60_000);

  it('closes the channel cooperatively: our share reaches our wallet once the close confirms', async () => {
    const channel = (await env.channels()).find((c) => c.isUsable)!;
    // The last payment's commitment dance may still run (the peer reports payment-sent at our fulfill): once no HTLC is left.
    type View = { localBalanceMsat: number; pendingHtlcs: unknown[] };
    const view = async () => (await env.api(`/v1/channels/${channel.channelId}`)).body as unknown as View;
    await env.until(async () => (await view()).pendingHtlcs.length === 0, 'no HTLC left on our channel');
    const ourShareSat = (await view()).localBalanceMsat / 1000;
    // 50,000 sat pushed + 5,000, 1,000 and 2,000 received − 3,000 paid.
    expect(ourShareSat).toBe(55_000);
    const from = command(`close ${channel.channelId}`);
    await line(new RegExp(`^channel-closed ${channel.channelId} LocallyInitiatedCooperativeClosure$`, 'm'), from, 'channel-closed');
    command('mine 1');
    // The funder (the peer) pays the closing fee: our output is our whole share.
    await env.until(async () => (await env.api('/v1/wallet')).body['confirmedSat'] === ourShareSat, 'our share in the wallet, confirmed', 30_000);
  }, 60_000);

  it('quits cleanly', async () => {
    command('quit');
    expect(await peer.exited()).toBe(0);
  }, 30_000);
});

describe('npm run peer and a node that holds inbound channels (INBOUND_CHANNELS=manual)', () => {
  let held: EmbeddedWithLdk;
  let heldPeer: PeerProcess;

  beforeAll(async () => {
    held = await EmbeddedWithLdk.start('peer-manual', { chainPollMs: 200, channelSettings: { anchors: false, acceptInboundChannels: 'manual' } });
    heldPeer = new PeerProcess(held);
    await heldPeer.line(/^ready: LDK node/m, 0, 'ready');
  }, 120_000);

  afterAll(async () => {
    heldPeer?.child.kill();
    await held?.stop();
  });

  it('says the channel waits for acceptance, and goes on to ready once it is accepted', async () => {
    const from = heldPeer.command('open 150000');
    const temporary = (await heldPeer.line(/^channel-waiting ([0-9a-f]{64}): the node has not accepted it yet/m, from, 'channel-waiting'))[1]!;
    expect((await held.channels()).find((c) => c.temporaryChannelId === temporary)).toMatchObject({ state: 'awaiting-acceptance' });
    expect((await held.post(`/v1/channels/${temporary}/accept`, {})).status).toBe(200);
    const channelId = (await heldPeer.line(/^channel-ready ([0-9a-f]{64})$/m, from, 'channel-ready'))[1]!;
    await held.until(async () => (await held.channels()).some((c) => c.channelId === channelId && c.isUsable), 'our node to list the channel usable', 60_000);
  }, 120_000);

  it('reports a channel the node rejects, and stops waiting for it', async () => {
    const from = heldPeer.command('open 120000');
    const temporary = (await heldPeer.line(/^channel-waiting ([0-9a-f]{64})/m, from, 'channel-waiting'))[1]!;
    expect((await held.post(`/v1/channels/${temporary}/reject`, {})).status).toBe(200);
    await heldPeer.line(new RegExp(`^channel-closed ${temporary} \\w+$`, 'm'), from, 'channel-closed');
    await heldPeer.line(new RegExp(`^error: the node refused channel ${temporary}$`, 'm'), from, 'the refusal');
  }, 120_000);
});
