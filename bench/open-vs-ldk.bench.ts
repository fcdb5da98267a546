/**
 * One channel open, ours → LDK against LDK → LDK, in one process (issue 14).
 * Both rows open to a fresh real LDK 0.1 node (npm `lightningdevkit`, WASM;
 * LDK counts funded-but-unconfirmed inbound channels against 4 per peer), the
 * bytes passed directly between the peers (BOLT 8 on both sides, no sockets,
 * no timers: bench/open-peers.ts). The rows alternate open by open, so a
 * change in machine load affects both alike. Printed: wall time and process
 * CPU per open (medians and p90), the CPU charged to the opener and to the
 * LDK fundee, our secp256k1 calls per open, and where our side's CPU goes
 * (an in-process CPU profile of our opens, by phase and by function).
 * `BENCH_OPENS` (default 20) sets the opens per row.
 */
import { Session } from 'node:inspector/promises';
import { sha256, wasmSecp256k1 } from '../shared/crypto/index.js';
import { CpuMeter, GcLog, InProcessLdk, InProcessOurs, Wire, timed } from './open-peers.js';
import { countingSecp } from './counting-secp.js';
import { ms, percentile, printTable } from './measure.js';

const OPENS = Math.max(1, Number(process.env['BENCH_OPENS'] ?? 20));
const WARMUP = Math.min(3, OPENS);
/**
 * Opens per side on throw-away openers before the rows (`BENCH_JIT_WARMUP`,
 * default 20): the code both sides run gets compiled as in a node that has
 * been running (V8 optimizes our JS, and tiers LDK's WASM up, as they run),
 * without adding channels to the measured openers.
 */
const JIT_WARMUP = Math.max(0, Number(process.env['BENCH_JIT_WARMUP'] ?? 20));
const FUNDING = 250_000n;

const DEFINITION =
  'open = create_channel → open_channel → accept_channel → FundingGenerationReady → funding_transaction_generated → ' +
  'funding_created → funding_signed → the opener broadcasts the funding transaction; both sides persisted the channel ' +
  '(monitor), until nothing more moves between them (no chain: channel_ready needs confirmations). static_remotekey, ' +
  `${FUNDING} sat, no push, fundee: a fresh LDK node, connected (BOLT 8 + init) before the clock starts.`;

const meter = new CpuMeter();
const wire = new Wire(meter);
const counted = countingSecp(wasmSecp256k1);
let seeds = 0;
const freshLdk = (account: string) => InProcessLdk.start(sha256(Uint8Array.of(0x14, seeds >> 8, seeds++ & 0xff)), account, wire);

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly openerMs: number;
  readonly fundeeMs: number;
  /** Bytes the opener serialized for persistence (our items; LDK's monitors and manager). */
  readonly persistedBytes: number;
  /** CPU (ms) of LDK's serialization for persistence, opener and fundee (0 for our opener: its encoding is inside its inputs). */
  readonly persistMs: number;
  /** When the open ran (performance.now()), to find the GC pauses within it. */
  readonly start: number;
  readonly end: number;
}
const gc = new GcLog();

/** Our secp256k1 calls during the timed part of the opens (not the connections). */
const opsByKind = new Map<string, number>();

/** Our CPU per kind of input during the timed part of the opens. */
const stepCpu = new Map<string, number>();

async function openOurs(ours: InProcessOurs, userChannelId: number, count = false): Promise<Sample> {
  const fundee = await freshLdk('ldk-fundee');
  ours.connectTo(fundee);
  const before = new Map(counted.counts);
  const stepsBefore = new Map(ours.stepCpu);
  const broadcasts = ours.broadcasts.length;
  const [opener0, fundee0, persisted0, fundeePersist0] = [meter.get(ours.account), meter.get('ldk-fundee'), ours.persistedBytes, fundee.persistCpuMs];
  const { wallMs, cpuMs, start, end } = timed(() => {
    const created = ours.step({ kind: 'create-channel' }, (m) => m.createChannel(fundee.nodeId, FUNDING, 0n, BigInt(userChannelId)));
    if (!created.ok) throw new Error(created.error.message);
    wire.pump([ours, fundee]);
  });
  if (count) for (const [k, v] of counted.counts) opsByKind.set(k, (opsByKind.get(k) ?? 0) + v - (before.get(k) ?? 0));
  if (count) for (const [k, v] of ours.stepCpu) stepCpu.set(k, (stepCpu.get(k) ?? 0) + v - (stepsBefore.get(k) ?? 0));
  if (ours.broadcasts.length !== broadcasts + 1 || fundee.newMonitors !== 1 || fundee.fundedChannels() !== 1) throw new Error(`our open did not complete:\n${fundee.log.slice(-10).join('\n')}`);
  return { wallMs, cpuMs, openerMs: meter.get(ours.account) - opener0, fundeeMs: meter.get('ldk-fundee') - fundee0, persistedBytes: ours.persistedBytes - persisted0, persistMs: fundee.persistCpuMs - fundeePersist0, start, end };
}

async function openLdk(opener: InProcessLdk, userChannelId: number): Promise<Sample> {
  const fundee = await freshLdk('ldk-fundee');
  opener.connectTo(fundee);
  const broadcasts = opener.broadcasts.length;
  const [opener0, fundee0, persisted0, persist0] = [meter.get(opener.account), meter.get('ldk-fundee'), opener.persistedBytes, opener.persistCpuMs + fundee.persistCpuMs];
  const { wallMs, cpuMs, start, end } = timed(() => {
    meter.run(opener.account, () => {
      if (!opener.channelManager.create_channel(fundee.nodeId, FUNDING, 0n, BigInt(userChannelId), null, null).is_ok()) throw new Error('LDK create_channel failed');
    });
    wire.pump([opener, fundee]);
  });
  if (opener.broadcasts.length !== broadcasts + 1 || fundee.newMonitors !== 1 || fundee.fundedChannels() !== 1) throw new Error(`LDK's open did not complete:\n${fundee.log.slice(-10).join('\n')}`);
  return { wallMs, cpuMs, openerMs: meter.get(opener.account) - opener0, fundeeMs: meter.get('ldk-fundee') - fundee0, persistedBytes: opener.persistedBytes - persisted0, persistMs: opener.persistCpuMs + fundee.persistCpuMs - persist0, start, end };
}

// ---- warm-up on throw-away openers (the same code, compiled; the measured openers start as before) ----
{
  const warmOurs = new InProcessOurs('bench open warm-up', counted.backend, 'warm-up', wire);
  const warmLdk = await freshLdk('warm-up');
  for (let i = 0; i < JIT_WARMUP; i++) {
    await openOurs(warmOurs, 5000 + i);
    await openLdk(warmLdk, 5000 + i);
  }
}

// ---- the timed rows, interleaved ----
const ours = new InProcessOurs('bench open ours', counted.backend, 'ours', wire);
const ldkOpener = await freshLdk('ldk-opener');
const oursSamples: Sample[] = [];
const ldkSamples: Sample[] = [];
for (let i = 0; i < WARMUP + OPENS; i++) {
  const measured = i >= WARMUP;
  const runOurs = async () => {
    const s = await openOurs(ours, i + 1, measured);
    if (measured) oursSamples.push(s);
  };
  const runLdk = async () => {
    const s = await openLdk(ldkOpener, i + 1);
    if (measured) ldkSamples.push(s);
  };
  if (i % 2 === 0) {
    await runOurs();
    await runLdk();
  } else {
    await runLdk();
    await runOurs();
  }
}
if (ours.channels().filter((c) => c.state === 'awaiting-confirmation').length !== WARMUP + OPENS) throw new Error('our channels are not all awaiting confirmation');

await new Promise((r) => setTimeout(r, 10)); // the last GC entries
const gcPerOpen = (samples: readonly Sample[]) => samples.reduce((sum, s) => sum + gc.within(s.start, s.end), 0) / samples.length;
const p50 = (xs: readonly number[]) => percentile(xs, 0.5);
const p90 = (xs: readonly number[]) => percentile(xs, 0.9);
const column = (samples: readonly Sample[], key: keyof Sample) => samples.map((s) => s[key]);
const rowOf = (name: string, samples: readonly Sample[]): string[] => [
  name,
  String(samples.length),
  ms(p50(column(samples, 'wallMs'))),
  ms(p90(column(samples, 'wallMs'))),
  ms(p50(column(samples, 'cpuMs'))),
  ms(p90(column(samples, 'cpuMs'))),
  ms(p50(column(samples, 'openerMs'))),
  ms(p50(column(samples, 'fundeeMs'))),
];
const ratio = (key: keyof Sample, q: (xs: readonly number[]) => number) => `${(q(column(oursSamples, key)) / q(column(ldkSamples, key))).toFixed(2)}×`;
console.log(`\n${DEFINITION}`);
printTable(`channel open, ours → LDK vs LDK → LDK (${OPENS} opens each after ${WARMUP} warm-up, interleaved, ${JIT_WARMUP} opens each on throw-away openers first; ms per open)`, [
  ['opener → fundee', 'opens', 'wall p50', 'wall p90', 'CPU p50', 'CPU p90', 'opener CPU p50', 'fundee CPU p50', 'GC pause (mean)', 'opener bytes persisted (p50)', 'LDK serialization CPU p50'],
  [...rowOf('ours → LDK', oursSamples), ms(gcPerOpen(oursSamples)), String(p50(column(oursSamples, 'persistedBytes'))), ms(p50(column(oursSamples, 'persistMs')))],
  [...rowOf('LDK → LDK', ldkSamples), ms(gcPerOpen(ldkSamples)), String(p50(column(ldkSamples, 'persistedBytes'))), ms(p50(column(ldkSamples, 'persistMs')))],
  ['ours / LDK', '', ratio('wallMs', p50), ratio('wallMs', p90), ratio('cpuMs', p50), ratio('cpuMs', p90), ratio('openerMs', p50), ratio('fundeeMs', p50), '', '', ''],
]);
const withoutSerialization = (samples: readonly Sample[]) => p50(samples.map((s) => s.cpuMs - s.persistMs));
console.log(
  `\nCPU p50 without LDK's serialization for persistence (LDK's write() calls taken out of both rows, as before LDK persisted here): ` +
    `ours → LDK ${ms(withoutSerialization(oursSamples))}, LDK → LDK ${ms(withoutSerialization(ldkSamples))}, ` +
    `ours / LDK ${(withoutSerialization(oursSamples) / withoutSerialization(ldkSamples)).toFixed(2)}×`,
);
console.log(
  '\n(Everything runs on the main thread without waiting, so wall time is its CPU time (plus preemption by other processes).' +
    ' CPU = process.cpuUsage over the open: both nodes, the test wallet, and the CPU of V8\'s background threads (concurrent GC, compilers) meanwhile;' +
    ' opener / fundee CPU = the same, over the calls into that node only (so the LDK fundee also pays for garbage the opener left).' +
    ' GC pause = V8 pauses that started within the open.' +
    ' Both sides persist as they must before going on: ours commits its items to an in-memory store after each input; LDK serializes each new or updated' +
    ' ChannelMonitor and, when get_and_clear_needs_persistence() says so, its ChannelManager (kept in memory; about 4 writes per open, each of the whole manager:' +
    ' its size grows with the opener\'s channels). Bytes persisted = what the opener serialized; LDK serialization CPU = the CPU of those write() calls, both LDK nodes of the row' +
    ' (already inside the CPU columns).)',
);
const MESSAGE_NAMES: Record<string, string> = { '33': 'accept_channel (peer message)', '35': 'funding_signed (peer message)' };
const stepTotal = [...stepCpu.values()].reduce((a, b) => a + b, 0);
const oursTotal = oursSamples.reduce((a, s) => a + s.openerMs, 0);
printTable('our side CPU per open by input (each: load the items, run, commit, encrypt what it sends; means)', [
  ['input', 'ms per open'],
  ...[...stepCpu.entries()].filter(([, v]) => v > 0).map(([k, v]) => [MESSAGE_NAMES[k] ?? k, ms(v / oursSamples.length)]),
  ['all inputs', ms(stepTotal / oursSamples.length)],
  ['opener CPU (with BOLT 8 decryption and the peer layer)', ms(oursTotal / oursSamples.length)],
]);
const oursOps = [...opsByKind.values()].reduce((a, b) => a + b, 0);
printTable(`our secp256k1 calls per open (${(oursOps / oursSamples.length).toFixed(1)} in all)`, [
  ['operation', 'calls per open'],
  ...[...opsByKind.entries()].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, (v / oursSamples.length).toFixed(1)]),
]);

// ---- where our time goes: a CPU profile of our opens (a fresh node, same warm-up) ----
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const profiled = new InProcessOurs('bench open profiled', wasmSecp256k1, 'ours-profiled', wire);
for (let i = 0; i < WARMUP; i++) await openOurs(profiled, 1000 + i);
const fundees = await Promise.all(Array.from({ length: OPENS }, () => freshLdk('ldk-fundee')));
for (const fundee of fundees) profiled.connectTo(fundee);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const profiledCpu0 = meter.get(profiled.account);
for (const [i, fundee] of fundees.entries()) {
  profiled.step({ kind: 'create-channel' }, (m) => m.createChannel(fundee.nodeId, FUNDING, 0n, BigInt(2000 + i)));
  wire.pump([profiled, fundee]);
}
const profiledCpu = meter.get(profiled.account) - profiledCpu0;
const { profile } = (await session.post('Profiler.stop')) as { profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] } };
session.disconnect();

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const OUR_FILE = /\/shared\/([a-z]+)\/([a-z0-9-]+)\.ts/;
const SUBSYSTEM = new Map([
  ['keys', 'keys: derivation, per-commitment points, signer'],
  ['tx', 'tx: build commitment/funding, sighash, sign, verify'],
  ['crypto', 'crypto called directly (hash, EC)'],
  ['store', 'store: load (decode items), commit (encode items)'],
  ['codec', 'codec: record/TLV encode, decode'],
  ['monitor', 'monitor: build, encode'],
  ['wire', 'wire: message encode, decode'],
  ['transport', 'BOLT 8 transport'],
]);
const byPhase = new Map<string, number>();
const byFunction = new Map<string, number>();
const byEntry = new Map<string, number>();
const label = (f: { n: ProfileNode; m: RegExpExecArray | null }) => `${f.m![1]}/${f.m![2]}.ts ${f.n.callFrame.functionName || `(line ${f.n.callFrame.lineNumber + 1})`}`;
let ourMs = 0;
let gcMs = 0;
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
profile.samples.forEach((id, i) => {
  const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
  const stack: ProfileNode[] = [];
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.unshift(byId.get(at)!);
  const leaf = stack[stack.length - 1]!;
  if (leaf.callFrame.functionName === '(garbage collector)') gcMs += dt;
  const ourFrames = stack.map((n) => ({ n, m: OUR_FILE.exec(n.callFrame.url) })).filter((f) => f.m !== null);
  if (ourFrames.length === 0) return;
  ourMs += dt;
  const phase = ourFrames.find((f) => SUBSYSTEM.has(f.m![1]!));
  add(byPhase, phase ? SUBSYSTEM.get(phase.m![1]!)! : 'manager, channel, peer logic (own code)', dt);
  add(byEntry, phase ? label(phase) : 'manager, channel, peer logic (own code)', dt);
  const inner = ourFrames[ourFrames.length - 1]!;
  const below = stack[stack.indexOf(inner.n) + 1]?.callFrame.functionName;
  add(byFunction, inner.n.callFrame.functionName === '' && below ? `${inner.m![1]}/${inner.m![2]}.ts → ${below}` : label(inner), dt);
});
const perOpen = (v: number) => ms(v / OPENS);
const share = (v: number) => `${((100 * v) / ourMs).toFixed(0)}%`;
printTable(`where our side's CPU goes, by phase (CPU profile of ${OPENS} opens; ${perOpen(ourMs)} ms per open sampled in our code, ${perOpen(profiledCpu)} ms metered)`, [
  ['phase (first subsystem frame on the stack)', 'ms per open', 'share'],
  ...[...byPhase.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, perOpen(v), share(v)]),
]);
printTable('our top entry points into a subsystem (the first subsystem frame: its time and everything it calls)', [
  ['function', 'ms per open', 'share'],
  ...[...byEntry.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, v]) => [k, perOpen(v), share(v)]),
]);
printTable('our top functions (innermost frame of our code: its own time and the WASM/library calls below it)', [
  ['function', 'ms per open', 'share'],
  ...[...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, v]) => [k, perOpen(v), share(v)]),
]);
console.log(`\n(garbage collector, either side, not in the tables: ${perOpen(gcMs)} ms per open)`);
gc.stop();
