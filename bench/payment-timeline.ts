/**
 * Where a sequential payment's time goes (session 12, "LDK → ours"): the
 * nodes of bench/payments.bench.ts, one payment at a time in each direction,
 * each starting as soon as the one before ended (as the bench does), with
 * every TCP write and read of every node's socket timestamped (which node,
 * how many bytes, and on our side the BOLT message types), LDK's log lines
 * as they are written and the events each side reports. Not a bench
 * (prints no table, gates nothing):
 * `node --import tsx bench/payment-timeline.ts` (`TIMELINE_PAYMENTS`, default 3 per direction).
 */
import { Socket } from 'node:net';
import { fromHex, sha256, toHex } from '../shared/crypto/index.js';
import { startRegtestChain } from '../infra/local/regtest-chain/index.js';
import { fundingFromFaucet, postToChain } from '../test/support/regtest-harness.js';
import { LdkTcpNode, OurTcpNode, connectBlocks, openChannelBetween, type PayNode } from './payment-nodes.js';

const PAYMENTS = Math.max(1, Number(process.env['TIMELINE_PAYMENTS'] ?? 3));
const DEPTH = 3;

/** BOLT message names by type (those a payment and its channel exchange). */
const NAMES: Record<number, string> = {
  16: 'init', 17: 'error', 18: 'ping', 19: 'pong', 1: 'warning', 32: 'open_channel', 33: 'accept_channel', 34: 'funding_created', 35: 'funding_signed',
  36: 'channel_ready', 38: 'shutdown', 128: 'update_add_htlc', 130: 'update_fulfill_htlc', 131: 'update_fail_htlc', 132: 'commitment_signed',
  133: 'revoke_and_ack', 134: 'update_fee', 136: 'channel_reestablish', 258: 'channel_update', 259: 'announcement_signatures',
};

let t0 = performance.now();
let recording = false;
/** The current payment's lines, from its start to the next payment's start. */
let lines: { t: number; who: string; what: string }[] = [];
const note = (who: string, what: string) => {
  if (recording) lines.push({ t: performance.now() - t0, who, what });
};

// ---- every socket write and read, by the node that owns the socket ----
/** A socket's owner, by "localPort>remotePort". */
const owners = new Map<string, string>();
const ownerOf = (s: Socket) => owners.get(`${s.localPort}>${s.remotePort}`) ?? `?${s.localPort}`;
const write = Socket.prototype.write as (this: Socket, ...args: unknown[]) => boolean;
Socket.prototype.write = function (this: Socket, ...args: unknown[]) {
  const chunk = args[0] as Uint8Array | string;
  note(ownerOf(this), `  tcp write ${typeof chunk === 'string' ? chunk.length : chunk.byteLength} B`);
  return write.apply(this, args);
} as Socket['write'];
const emit = Socket.prototype.emit as (this: Socket, ...args: unknown[]) => boolean;
Socket.prototype.emit = function (this: Socket, ...args: unknown[]) {
  if (args[0] === 'data') note(ownerOf(this), `  tcp read ${(args[1] as Uint8Array).byteLength} B`);
  return emit.apply(this, args);
} as Socket['emit'];

const chain = await startRegtestChain({ port: 0, dataDir: undefined });
let funded = 0;
const fund = (script: Uint8Array, valueSat: bigint) => fundingFromFaucet(chain, `payment timeline ${funded++}`, script, valueSat);
const tip = chain.chain.tip();
const bestBlock = { header: tip.header, height: tip.height, hash: fromHex(chain.chain.blockAt(tip.height)!.hash).reverse() };
const ours = new OurTcpNode('timeline ours C', bestBlock, DEPTH);
const ldkD = await LdkTcpNode.start('LDK D', 151, DEPTH, bestBlock);
const ldkE = await LdkTcpNode.start('LDK E', 152, DEPTH, bestBlock);
const ldkF = await LdkTcpNode.start('LDK F', 153, DEPTH, bestBlock);
const nodes: PayNode[] = [ours, ldkD, ldkE, ldkF];
ours.onWire = (direction, type) => note(ours.name, `${direction === 'in' ? '<-' : '->'} ${NAMES[type] ?? type}`);
ours.onInput = (input, end) => {
  const detail = input.kind === 'follow-up' ? ` ${input.work.kind}` : input.kind === 'peer-message' ? ` ${NAMES[input.message.type] ?? input.message.type}` : '';
  note(ours.name, `  input ${input.kind}${detail} ${end ? 'done' : 'starts'}`);
};
for (const n of [ldkD, ldkE, ldkF]) {
  const log = n.node.log;
  const push = log.push.bind(log);
  log.push = (...items: string[]) => {
    for (const item of items) note(n.name, `ldk ${item.slice(0, 160)}`);
    return push(...items);
  };
}

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    for (const n of nodes) n.poll();
    if (predicate()) return;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 0));
  }
}

const channels: [PayNode, PayNode][] = [
  [ours, ldkD],
  [ldkE, ldkF],
];
for (const [opener, fundee] of channels) {
  const port = await openChannelBetween(opener, fundee, { fundingSat: 3_000_000n, pushMsat: 1_000_000_000n, fund }, (tx) => postToChain(chain, '/tx', toHex(tx)), waitFor);
  labelSockets(port, opener.name, fundee.name);
}
/** Names the two sockets of the connection to `port`: found among the process's open handles. */
function labelSockets(port: number, opener: string, fundee: string): void {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  for (const h of handles) {
    if (!(h instanceof Socket) || h.localPort === undefined) continue;
    if (h.localPort === port) owners.set(`${h.localPort}>${h.remotePort}`, fundee);
    else if (h.remotePort === port) owners.set(`${h.localPort}>${h.remotePort}`, opener);
  }
}
chain.chain.mine(DEPTH);
connectBlocks(chain.chain, tip.height + 1, nodes);
await waitFor(() => nodes.every((n) => n.usableChannels() === 1), 'every channel usable');

let ids = 0;
const nextId = () => sha256(Uint8Array.of(0x16, ids >> 8, ids++ & 0xff));
/** One payment; its wall time from `pay` (the lines' times also count from there: the invoice's come first, below zero). */
async function pay(payer: PayNode, payee: PayNode): Promise<number> {
  t0 = performance.now();
  const request = payee.request(10_000_000n);
  const hash = toHex(request.paymentHash);
  const invoiceMs = performance.now() - t0;
  t0 += invoiceMs;
  for (const l of lines) l.t -= invoiceMs;
  note('driver', 'pay');
  payer.pay(request, nextId());
  let sentAt = -1;
  let claimedAt = -1;
  await waitFor(() => {
    if (sentAt < 0 && payer.sent.has(hash)) {
      sentAt = performance.now() - t0;
      note('driver', `${payer.name} PaymentSent`);
    }
    if (claimedAt < 0 && payee.claimed.has(hash)) {
      claimedAt = performance.now() - t0;
      note('driver', `${payee.name} PaymentClaimed`);
    }
    return sentAt >= 0 && claimedAt >= 0;
  }, 'payment');
  return performance.now() - t0;
}

async function settle(millis: number): Promise<void> {
  const end = performance.now() + millis;
  await waitFor(() => performance.now() > end, 'settle');
}

const directions: [string, PayNode, PayNode][] = [
  ['LDK → ours', ldkD, ours],
  ['ours → LDK', ours, ldkD],
  ['LDK → LDK', ldkE, ldkF],
];
for (const [, payer, payee] of directions) {
  for (let i = 0; i < 3; i++) await pay(payer, payee);
  await settle(100);
}
/** LDK's log lines shown (all with TIMELINE_ALL_LOGS): the messages it handles and sends, its events. */
const shown = /peer_handler: (Received message|Enqueueing message)|channelmanager: Handling event/;
for (const [name, payer, payee] of directions) {
  // As in bench/payments.bench.ts: each payment starts as soon as the one before ended (sent and claimed).
  const payments: { wall: number; lines: typeof lines }[] = [];
  recording = true;
  for (let i = 0; i < PAYMENTS; i++) {
    lines = [];
    const wall = await pay(payer, payee);
    payments.push({ wall, lines });
  }
  // The last dance's last messages (their times still show).
  await settle(100);
  recording = false;
  payments.forEach(({ wall, lines }, i) => {
    console.log(`\n## ${name} #${i + 1}: ${wall.toFixed(1)} ms (lines until the next payment's start)`);
    for (const l of lines) if (!l.what.startsWith('ldk ') || shown.test(l.what) || process.env['TIMELINE_ALL_LOGS']) console.log(`${l.t.toFixed(2).padStart(8)} ${l.who.padEnd(16)} ${l.what}`);
  });
  await settle(100);
}
for (const n of nodes) await n.stop();
await chain.stop();
