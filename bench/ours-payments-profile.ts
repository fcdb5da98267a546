/**
 * Ours → ours payments alone (the payments bench's driver, two of our nodes
 * over TCP on 127.0.0.1, no LDK node polled beside them), to compare two
 * versions of our code on the same machine and to profile our payments
 * without the bench's start-up: `N=100 node --import tsx
 * bench/ours-payments-profile.ts` prints the process CPU and wall time per
 * payment (and the CPU so far every 100 payments: V8 is still optimizing
 * our larger functions a thousand payments in), and our inputs and commits
 * per payment; `INFLIGHT=10` starts that many at once; `AMOUNT_MSAT` sets
 * the amount; `WARMUP=1000` pays that many first, unmeasured;
 * `ALLOC=file.heapprofile` writes a sampling profile of what the payments
 * allocate (garbage included); `PROF=file.cpuprofile`
 * writes a CPU profile of the payments only (the inspector started after
 * the channel is usable). Not a target's bench: `npm run bench -- payments`
 * is, with LDK side by side.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { fromHex, sha256, toHex } from '../shared/crypto/index.js';
import { startRegtestChain } from '../infra/local/regtest-chain/index.js';
import { fundingFromFaucet, postToChain } from '../test/support/regtest-harness.js';
import { OurTcpNode, connectBlocks, openChannelBetween, type PayNode } from './payment-nodes.js';
const chain = await startRegtestChain({ port: 0, dataDir: undefined });
let funded = 0;
const fund = (script: Uint8Array, valueSat: bigint) => fundingFromFaucet(chain, `p ${funded++}`, script, valueSat);
const t = chain.chain.tip();
const tip = { header: t.header, height: t.height, hash: fromHex(chain.chain.blockAt(t.height)!.hash).reverse() };
const a = new OurTcpNode('A', tip, 3);
const b = new OurTcpNode('B', tip, 3);
const nodes: PayNode[] = [a, b];
async function waitFor(p: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    for (const n of nodes) n.poll();
    if (p()) return;
    if (performance.now() > deadline) throw new Error(`timed out ${what}`);
    await new Promise((r) => setTimeout(r, 0));
  }
}
await openChannelBetween(a, b, { fundingSat: 10_000_000n, pushMsat: 1_000_000_000n, fund }, (tx) => postToChain(chain, '/tx', toHex(tx)), waitFor);
chain.chain.mine(3);
connectBlocks(chain.chain, tip.height + 1, nodes);
await waitFor(() => nodes.every((n) => n.usableChannels() === 1), 'usable');
let ids = 0;
const nextId = () => sha256(Uint8Array.of(0x15, ids >> 16, (ids >> 8) & 0xff, ids++ & 0xff));
/** Our inputs by kind (a peer message by its type, a follow-up by its work), per node. */
const kinds = new Map<string, number>();
/**
 * Main-thread time of each commit (load, the inputs, commit and sends; its follow-ups apart), by its first input's kind:
 * a commit runs synchronously, so its wall time is its main-thread time (V8's helper threads not counted).
 */
const commitMs = new Map<string, number>();
for (const [n, tag] of [[a, 'A (payer)'], [b, 'B (payee)']] as const) {
  let open: { key: string; start: number } | undefined;
  n.onInput = (input, end) => {
    const detail = input.kind === 'peer-message' ? ` ${input.message.type}` : input.kind === 'follow-up' ? ` ${input.work.kind}` : '';
    const key = `${tag} ${input.kind}${detail}`;
    if (end) {
      if (open !== undefined) commitMs.set(open.key, (commitMs.get(open.key) ?? 0) + performance.now() - open.start);
      open = undefined;
      return;
    }
    open ??= { key, start: performance.now() };
    kinds.set(key, (kinds.get(key) ?? 0) + 1);
  };
}
const N = Number(process.env['N'] ?? 200);
const INF = Number(process.env['INFLIGHT'] ?? 1);
/** The channel holds about 9,000,000 sat on the payer's side: N × the amount must fit (3,000,000 msat lets N = 2,900). */
const AMOUNT_MSAT = BigInt(process.env['AMOUNT_MSAT'] ?? 10_000_000);
/** Payments made before anything is measured or profiled (`WARMUP`, default 0): V8 optimizes our larger functions only after a few hundred. */
const WARMUP = Number(process.env['WARMUP'] ?? 0);
async function payRounds(payments: number, report: boolean, cpu0?: NodeJS.CpuUsage): Promise<void> {
  for (let i = 0; i < payments / INF; i++) {
    const hashes: string[] = [];
    for (let j = 0; j < INF; j++) {
      const r = b.request(AMOUNT_MSAT);
      a.pay(r, nextId());
      hashes.push(toHex(r.paymentHash));
    }
    await waitFor(() => hashes.every((h) => a.sent.has(h) && b.claimed.has(h)), 'pay');
    if (report && ((i + 1) * INF) % 100 === 0) {
      const cc = process.cpuUsage(cpu0);
      console.log(`### ${(i + 1) * INF} payments: ${((cc.user + cc.system) / 1000).toFixed(0)} ms CPU so far`);
    }
  }
}
await payRounds(WARMUP, false);
const totals0 = new Map([a, b].map((n) => [n, { ...n.totals }]));
kinds.clear();
commitMs.clear();
const session = new Session();
const profile = process.env['PROF'];
if (profile !== undefined) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
}
/** `ALLOC=file.heapprofile`: a sampling profile of what the payments allocate, the garbage included. */
const allocations = process.env['ALLOC'];
if (allocations !== undefined) {
  if (profile === undefined) session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}
const cpu0 = process.cpuUsage();
const w0 = performance.now();
await payRounds(N, true, cpu0);
const c = process.cpuUsage(cpu0);
console.log(`${N} payments (${INF} in flight): cpu/payment ${((c.user + c.system) / 1000 / N).toFixed(2)} ms, wall/payment ${((performance.now() - w0) / N).toFixed(2)} ms`);
console.log([...kinds].sort().map(([k, v]) => `  ${k}: ${(v / N).toFixed(2)} per payment, ${((commitMs.get(k) ?? 0) / N).toFixed(3)} ms per payment in commits it starts`).join('\n'));
for (const tag of ['A (payer)', 'B (payee)']) console.log(`  ${tag}: ${([...commitMs].filter(([k]) => k.startsWith(tag)).reduce((t, [, v]) => t + v, 0) / N).toFixed(3)} ms per payment in commits`);
for (const [n, tag] of [[a, 'A'], [b, 'B']] as const) {
  const t0 = totals0.get(n)!;
  console.log(`  ${tag}: ${((n.totals.inputs - t0.inputs) / N).toFixed(2)} inputs, ${((n.totals.commits - t0.commits) / N).toFixed(2)} commits, ${((n.totals.bytesWritten - t0.bytesWritten) / N).toFixed(0)} bytes written per payment`);
}
if (profile !== undefined) writeFileSync(profile, JSON.stringify((await session.post('Profiler.stop')).profile));
if (allocations !== undefined) writeFileSync(allocations, JSON.stringify((await session.post('HeapProfiler.stopSampling')).profile));
process.exit(0);
