/**
 * Payments through a channel, ours and LDK 0.1 (npm `lightningdevkit`, WASM)
 * side by side in one process over TCP on 127.0.0.1 (issue 15, "Measure"):
 * ours → ours, ours → LDK, LDK → ours and LDK → LDK, driven by the same code
 * (bench/payment-nodes.ts), sequential and 20 in flight. Printed: wall time
 * and process CPU per payment (medians), payments per second, and on our
 * side the secp256k1 calls per payment (against the protocol's minimum,
 * stated below) and the DynamoDB-equivalent items and bytes each payment's
 * inputs write (the InMemoryManagerStore's `last` cost summed; target ≤ 4 KB
 * per HTLC). The channels are real: funded from the embedded regtest chain's
 * faucet and confirmed on it. Timing never gates anything.
 *
 * The same driver rules for every node: each reads its socket as bytes
 * arrive and answers at once (our PeerConnection; LDK's `read_event` then
 * `process_events`), every socket sends without Nagle's algorithm
 * (TCP_NODELAY: our PeerConnection, and test/support/ldk-node.ts since
 * session 12), every node is polled about once a millisecond and each LDK
 * node is also pumped every 5 ms. Before session 12 LDK's sockets kept
 * Nagle: LDK writes each message on its own, so its commitment_signed after
 * an update_add_htlc or revoke_and_ack waited for the peer's delayed ACK of
 * the first write (40 ms on Linux), which made LDK → ours (two such waits on
 * the path) 97 ms against 18 ms ours → ours (docs/payments.md, "LDK → ours
 * sequential (session 12)"; bench/payment-timeline.ts prints the timeline).
 * `BENCH_PAYMENTS` (default 30) sets the sequential payments per direction,
 * `BENCH_ROUNDS` (default 5) the rounds of 20 in flight.
 */
import { fromHex, sha256, toHex } from '../shared/crypto/index.js';
import { startRegtestChain } from '../infra/local/regtest-chain/index.js';
import { fundingFromFaucet, postToChain } from '../test/support/regtest-harness.js';
import { ms, percentile, printTable } from './measure.js';
import { LdkTcpNode, OurTcpNode, connectBlocks, openChannelBetween, type PayNode } from './payment-nodes.js';

const SEQUENTIAL = Math.max(3, Number(process.env['BENCH_PAYMENTS'] ?? 30));
const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 5));
const IN_FLIGHT = 20;
const WARMUP = 3;
/**
 * Rounds of 20 in flight per direction before anything is measured, the
 * directions taking turns: V8 optimizes a function of ours only after it
 * has run a while, the larger ones (a burst's decode, the monitor's item
 * writes) after a few hundred payments, and a fresh process's CPU per
 * payment falls by about a quarter over its first thousand payments
 * through our code (`bench/ours-payments-profile.ts` prints it per 100);
 * LDK's Rust is WASM, compiled up front. `BENCH_WARMUP_ROUNDS` (default 15,
 * 300 payments per direction, about 900 through our code) sets it; the
 * warm-up's own CPU per payment is printed beside the steady state's.
 */
const WARMUP_ROUNDS = Math.max(1, Number(process.env['BENCH_WARMUP_ROUNDS'] ?? 15));
/**
 * Sequential payments run in chunks, the directions taking turns chunk by
 * chunk (a change of load hits all alike): ten chunks (three payments each
 * by default), as this machine's speed drifts within seconds.
 */
const CHUNKS = Math.min(10, SEQUENTIAL);
const DEPTH = 3;
/**
 * LDK as fundee allows 10% of the channel in flight: 20 × the amount must
 * fit. Just below the 2^24 sat cap without `option_support_large_channel`:
 * each payer (A, C, E) can pay about 1,500 payments one way, so
 * `BENCH_PAYMENTS` and `BENCH_ROUNDS` can be raised for steadier medians.
 */
const FUNDING = 16_000_000n;
const PUSH_MSAT = 1_000_000_000n;
/**
 * Above the dust and HTLC-transaction thresholds at 253 sat/kW (every payment
 * is an HTLC output with its HTLC signatures), and above LDK's buffered
 * feerate's thresholds (about 2,300 sat): LDK counts HTLCs under them
 * against its dust exposure limit (2,530 sat at 253 sat/kW) and fails them.
 */
const AMOUNT_MSAT = 10_000_000n;

const DEFINITION =
  'payment = the payee makes an inbound payment (hash + secret: our createInboundPayment, LDK create_inbound_payment), the payer sends it ' +
  '(our sendPayment, LDK send_payment; one direct channel, static_remotekey), the payee claims it on PaymentClaimable, until the payer has ' +
  'PaymentSent and the payee PaymentClaimed. Both nodes in this process, each on its own TCP socket on 127.0.0.1 (BOLT 8 on both sides). ' +
  'The driver polls every node about once a millisecond (setTimeout 0): LDK needs process_pending_htlc_forwards and its event processing ' +
  'called (test/support/ldk-node.ts also pumps each LDK node every 5 ms). LDK claims from its poll (claim_funds on Event::PaymentClaimable); ' +
  'ours claims as the deployed node does, on the manager of the input that made the payment claimable, in its commit (functions/invoices/claim-step.ts). ' +
  'Our node runs as its handler does: the messages of one socket read that the gateway would hand to one invocation run as bursts ' +
  '(docs/manager.md, "Bursts": one load, one commit), the others and every call as inputs of their own.';

/** The minimum EC operations of one payment alone on one side (see printMinimum). */
const MINIMUM = { payer: 32, payee: 31 };

const chain = await startRegtestChain({ port: 0, dataDir: undefined });
let funded = 0;
const fund = (script: Uint8Array, valueSat: bigint) => fundingFromFaucet(chain, `bench payments ${funded++}`, script, valueSat);
const tipNow = () => {
  const tip = chain.chain.tip();
  return { header: tip.header, height: tip.height, hash: fromHex(chain.chain.blockAt(tip.height)!.hash).reverse() };
};

const tip = tipNow();
const oursA = new OurTcpNode('bench payments ours A', tip, DEPTH);
const oursB = new OurTcpNode('bench payments ours B', tip, DEPTH);
const oursC = new OurTcpNode('bench payments ours C', tip, DEPTH);
const ldkD = await LdkTcpNode.start('LDK D', 151, DEPTH, tip);
const ldkE = await LdkTcpNode.start('LDK E', 152, DEPTH, tip);
const ldkF = await LdkTcpNode.start('LDK F', 153, DEPTH, tip);
// LDK → LDK again, each node serializing what a deployed LDK node writes (ldk-node's way): for reading the others' CPU against, not a target.
const ldkG = await LdkTcpNode.start('LDK G', 154, DEPTH, tip, { persist: true });
const ldkH = await LdkTcpNode.start('LDK H', 155, DEPTH, tip, { persist: true });
const nodes: PayNode[] = [oursA, oursB, oursC, ldkD, ldkE, ldkF, ldkG, ldkH];
/**
 * The persisting pair is polled and pumped only while its own direction
 * runs (and before the measurements): the other directions pay for the
 * same idle LDK nodes as before it was added (D, E and F).
 */
let persistingQuiet = false;
function quietPersisting(quiet: boolean): void {
  persistingQuiet = quiet;
  for (const n of [ldkG, ldkH]) n.node.setPumping(!quiet);
}
const polled = () => (persistingQuiet ? nodes.filter((n) => n !== ldkG && n !== ldkH) : nodes);

/** Polls every node until `predicate` holds (about once a millisecond). */
async function waitFor(predicate: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      for (const n of polled()) n.poll();
    } catch (e) {
      const logs = nodes.flatMap((n) => (n instanceof LdkTcpNode ? [`${n.name}:`, ...n.node.log.filter((l) => /attempt|dust|spike|exposure|Failing|cannot|can.t|unable|invalid|expir|cltv/i.test(l)).slice(-8)] : []));
      throw new Error(`${(e as Error).message}\n${logs.join('\n')}`);
    }
    if (predicate()) return;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 0));
  }
}

/** Polls for `millis`, letting the last messages of a dance arrive (not timed). */
async function settle(millis = 30): Promise<void> {
  const end = performance.now() + millis;
  await waitFor(() => performance.now() >= end, 'settle');
}

// ---- three channels: A → B (ours, ours), C → D (ours, LDK), E → F (LDK, LDK) ----
const channels: [PayNode, PayNode][] = [
  [oursA, oursB],
  [oursC, ldkD],
  [ldkE, ldkF],
  [ldkG, ldkH],
];
for (const [opener, fundee] of channels) {
  await openChannelBetween(opener, fundee, { fundingSat: FUNDING, pushMsat: PUSH_MSAT, fund }, (tx) => postToChain(chain, '/tx', toHex(tx)), waitFor);
}
chain.chain.mine(DEPTH);
connectBlocks(chain.chain, tip.height + 1, nodes);
await waitFor(() => nodes.every((n) => n.usableChannels() === 1), 'every channel usable on both sides');

// ---- the directions ----
interface Direction {
  readonly name: string;
  readonly payer: PayNode;
  readonly payee: PayNode;
  /** Sequential: per payment. */
  readonly wallMs: number[];
  readonly cpuMs: number[];
  /** 20 in flight: per round. */
  readonly roundWallMs: number[];
  readonly roundCpuMs: number[];
  /** Our side's totals over the measured payments, by phase. */
  readonly ours: Map<string, { payments: number; secp: Map<string, number>; inputs: number; commits: number; items: number; bytes: number }>;
  /** A persisting LDK pair's serialized writes over the measured payments (both nodes), by phase. */
  readonly persisted: Map<string, { payments: number; monitorWrites: number; monitorBytes: number; managerWrites: number; managerBytes: number }>;
}
const direction = (name: string, payer: PayNode, payee: PayNode): Direction => ({ name, payer, payee, wallMs: [], cpuMs: [], roundWallMs: [], roundCpuMs: [], ours: new Map(), persisted: new Map() });
const directions = [
  direction('ours → ours', oursA, oursB),
  direction('ours → LDK', oursC, ldkD),
  direction('LDK → ours', ldkD, oursC),
  direction('LDK → LDK', ldkE, ldkF),
  direction('LDK → LDK, persisting', ldkG, ldkH),
];
const oursOf = (d: Direction): { side: 'payer' | 'payee'; node: OurTcpNode }[] =>
  [
    { side: 'payer' as const, node: d.payer },
    { side: 'payee' as const, node: d.payee },
  ].filter((x): x is { side: 'payer' | 'payee'; node: OurTcpNode } => x.node instanceof OurTcpNode);

let ids = 0;
const nextId = () => sha256(Uint8Array.of(0x15, ids >> 16, (ids >> 8) & 0xff, ids++ & 0xff));

/** Starts `count` payments from `d.payer` to `d.payee` at once and waits until all are sent and claimed. */
async function payAll(d: Direction, count: number): Promise<void> {
  const hashes: string[] = [];
  for (let i = 0; i < count; i++) {
    const request = d.payee.request(AMOUNT_MSAT);
    d.payer.pay(request, nextId());
    hashes.push(toHex(request.paymentHash));
  }
  await waitFor(() => hashes.every((h) => d.payer.sent.has(h) && d.payee.claimed.has(h)), `${d.name}: ${count} payments`);
}

const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Runs `body` (`payments` payments of `d`), adding our side's secp256k1 calls and store writes meanwhile (and in the settling after) to `phase`. */
async function counted(d: Direction, phase: string, payments: number, body: () => Promise<void>): Promise<void> {
  quietPersisting(d.payer !== ldkG);
  const ours = oursOf(d).map(({ side, node }) => ({ side, node, secp: new Map(node.secpCounts), totals: { ...node.totals } }));
  const persisting = [d.payer, d.payee].flatMap((n) => (n instanceof LdkTcpNode && n.node.persisted.monitorWrites > 0 ? [n.node.persisted] : []));
  const persistedBefore = persisting.map((p) => ({ ...p }));
  await body();
  await settle();
  if (persisting.length > 0) {
    const acc = d.persisted.get(phase) ?? { payments: 0, monitorWrites: 0, monitorBytes: 0, managerWrites: 0, managerBytes: 0 };
    acc.payments += payments;
    persisting.forEach((p, i) => {
      const b = persistedBefore[i]!;
      acc.monitorWrites += p.monitorWrites - b.monitorWrites;
      acc.monitorBytes += p.monitorBytes - b.monitorBytes;
      acc.managerWrites += p.managerWrites - b.managerWrites;
      acc.managerBytes += p.managerBytes - b.managerBytes;
    });
    d.persisted.set(phase, acc);
  }
  for (const o of ours) {
    const key = `${phase}/${o.side}`;
    const acc = d.ours.get(key) ?? { payments: 0, secp: new Map<string, number>(), inputs: 0, commits: 0, items: 0, bytes: 0 };
    acc.payments += payments;
    for (const [k, v] of o.node.secpCounts) acc.secp.set(k, (acc.secp.get(k) ?? 0) + v - (o.secp.get(k) ?? 0));
    acc.inputs += o.node.totals.inputs - o.totals.inputs;
    acc.commits += o.node.totals.commits - o.totals.commits;
    acc.items += o.node.totals.itemsWritten - o.totals.itemsWritten;
    acc.bytes += o.node.totals.bytesWritten - o.totals.bytesWritten;
    d.ours.set(key, acc);
  }
}

// Warm-up: a few payments each way, then rounds in flight, the directions taking turns (timed apart from the steady state).
const warmupCpuMs = new Map<Direction, number[]>(directions.map((d) => [d, []]));
for (const d of directions) for (let i = 0; i < WARMUP; i++) await payAll(d, 1);
for (let r = 0; r < WARMUP_ROUNDS; r++) {
  for (const d of directions) {
    const cpu = cpuNow();
    await payAll(d, IN_FLIGHT);
    warmupCpuMs.get(d)!.push((cpuNow() - cpu) / IN_FLIGHT);
  }
}
await settle();

// Idle: what the polling and LDK's 5 ms pumps cost with nothing to do.
quietPersisting(true);
const idleCpu0 = cpuNow();
const idleWall0 = performance.now();
await settle(500);
const idleCpuPerMs = (cpuNow() - idleCpu0) / (performance.now() - idleWall0);

/** `n` sequential payments of `d`, each timed. */
async function sequentialChunk(d: Direction, n: number): Promise<void> {
  await counted(d, 'sequential', n, async () => {
    for (let i = 0; i < n; i++) {
      const cpu = cpuNow();
      const start = performance.now();
      await payAll(d, 1);
      d.wallMs.push(performance.now() - start);
      d.cpuMs.push(cpuNow() - cpu);
    }
  });
}

/** One round of `IN_FLIGHT` payments of `d` started at once, timed. */
async function inFlightRound(d: Direction): Promise<void> {
  await counted(d, 'in flight', IN_FLIGHT, async () => {
    const cpu = cpuNow();
    const start = performance.now();
    await payAll(d, IN_FLIGHT);
    d.roundWallMs.push(performance.now() - start);
    d.roundCpuMs.push(cpuNow() - cpu);
  });
}

// The four directions of the targets take turns; the persisting pair runs after them, on its own (the garbage its
// ChannelManager writes leaves would otherwise be collected in the next direction's time).
const rotated = directions.slice(0, 4);
const persistingDirection = directions[4]!;
const perChunk = Math.ceil(SEQUENTIAL / CHUNKS);
for (let c = 0; c < CHUNKS; c++) {
  const order = rotated.map((_, i) => rotated[(i + c) % rotated.length]!);
  for (const d of order) {
    const n = Math.min(perChunk, SEQUENTIAL - c * perChunk);
    if (n > 0) await sequentialChunk(d, n);
  }
}
for (let r = 0; r < ROUNDS; r++) {
  const order = rotated.map((_, i) => rotated[(i + r) % rotated.length]!);
  for (const d of order) await inFlightRound(d);
}
await sequentialChunk(persistingDirection, SEQUENTIAL);
for (let r = 0; r < ROUNDS; r++) await inFlightRound(persistingDirection);
quietPersisting(true);
// Untimed: which items our inputs write, ours → ours, sequential.
const CLASSIFIED = 5;
for (const node of [oursA, oursB]) node.classifyWrites = true;
for (let i = 0; i < CLASSIFIED; i++) await payAll(directions[0]!, 1);
await settle();
for (const node of [oursA, oursB]) node.classifyWrites = false;
for (const n of nodes) await n.stop();
await chain.stop();

// ---- tables ----
const p50 = (xs: readonly number[]) => percentile(xs, 0.5);
const ldkLdk = directions[3]!;
console.log(`\n${DEFINITION}`);
printTable(`payments per direction (sequential: ${SEQUENTIAL} one after another, medians; in flight: ${ROUNDS} rounds of ${IN_FLIGHT} started at once, medians of the rounds ÷ ${IN_FLIGHT}; ${WARMUP} + ${WARMUP_ROUNDS} rounds of warm-up)`, [
  ['payer → payee', 'seq wall ms p50', 'seq wall p90', 'seq payments/s', 'seq CPU ms p50', 'seq CPU / LDK→LDK', `${IN_FLIGHT} in flight: wall ms per payment`, 'payments/s', 'CPU ms per payment', 'CPU / LDK→LDK'],
  ...directions.map((d) => {
    const seqWall = p50(d.wallMs);
    const roundWall = p50(d.roundWallMs) / IN_FLIGHT;
    const roundCpu = p50(d.roundCpuMs) / IN_FLIGHT;
    return [
      d.name,
      ms(seqWall),
      ms(percentile(d.wallMs, 0.9)),
      (1000 / seqWall).toFixed(0),
      ms(p50(d.cpuMs)),
      `${(p50(d.cpuMs) / p50(ldkLdk.cpuMs)).toFixed(2)}×`,
      ms(roundWall),
      (1000 / roundWall).toFixed(0),
      ms(roundCpu),
      `${(roundCpu / (p50(ldkLdk.roundCpuMs) / IN_FLIGHT)).toFixed(2)}×`,
    ];
  }),
]);
const mean = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
const warmupLdk = warmupCpuMs.get(ldkLdk)!;
printTable(`warm-up before the measurements above: ${WARMUP_ROUNDS} rounds of ${IN_FLIGHT} in flight per direction, the directions taking turns (CPU ms per payment; our nodes share their code, so the first direction's first round warms it for the others)`, [
  ['payer → payee', 'first round', `mean of ${WARMUP_ROUNDS} rounds`, 'mean / LDK→LDK', 'last round'],
  ...directions.map((d) => {
    const w = warmupCpuMs.get(d)!;
    return [d.name, ms(w[0]!), ms(mean(w)), `${(mean(w) / mean(warmupLdk)).toFixed(2)}×`, ms(w[w.length - 1]!)];
  }),
]);
console.log(
  `\n(CPU = process.cpuUsage over the payment: both nodes, the driver's polling, every idle LDK node's 5 ms pump and V8's background threads. ` +
    `Idle, with nothing to pay, the process uses ${idleCpuPerMs.toFixed(3)} ms of CPU per ms of wall time; ` +
    `a sequential payment's wall time is mostly waiting for the next poll or socket read. ` +
    `The ratios are to LDK → LDK, whose nodes persist nothing (their Persist answers Completed), the issue's bar; ` +
    `LDK → LDK, persisting, serializes what a deployed LDK node writes (each monitor update, the ChannelManager when it needs persisting), as ours writes every commit: ` +
    `not a target, the same work for reading our CPU against; measured after the four others, on its own.)`,
);

/** Calls that are no EC operation: scalar arithmetic mod n and validity checks of a key's encoding. */
const NOT_EC = new Set(['isValidSecretKey', 'isValidPublicKey', 'secretKeyTweakAdd', 'secretKeyTweakMul']);
const sum = (m: ReadonlyMap<string, number>, ec: boolean) => [...m].filter(([k]) => NOT_EC.has(k) !== ec).reduce((a, [, v]) => a + v, 0);
const rows: string[][] = [];
for (const d of directions) {
  for (const phase of ['sequential', 'in flight']) {
    for (const side of ['payer', 'payee'] as const) {
      const acc = d.ours.get(`${phase}/${side}`);
      if (acc === undefined) continue;
      const calls = sum(acc.secp, true) / acc.payments;
      rows.push([
        d.name,
        phase,
        `our ${side}`,
        calls.toFixed(1),
        phase === 'sequential' ? `${MINIMUM[side]} (${(calls / MINIMUM[side]).toFixed(2)}×)` : '',
        (sum(acc.secp, false) / acc.payments).toFixed(1),
        (acc.inputs / acc.payments).toFixed(1),
        (acc.commits / acc.payments).toFixed(1),
        (acc.items / acc.payments).toFixed(1),
        (acc.bytes / acc.payments).toFixed(0),
      ]);
    }
  }
}
printTable('our side per payment (one HTLC each): EC operations (every secp256k1 call but scalar arithmetic and key-encoding checks, the "other" column), and the DynamoDB-equivalent writes of its inputs (InMemoryManagerStore `last`, summed, with the settling after)', [
  ['payer → payee', 'mode', 'side', 'EC operations', 'minimum (×)', 'other secp256k1 calls', 'inputs', 'commits (bursts)', 'items written', 'bytes written (target ≤ 4,096)'],
  ...rows,
]);
printTable('what the persisting LDK pair serialized per payment (LDK → LDK, persisting; both nodes together, as ldk-node writes: each ChannelMonitorUpdate, the ChannelManager when it needs persisting)', [
  ['mode', 'monitor writes', 'monitor bytes', 'ChannelManager writes', 'ChannelManager bytes'],
  ...[...persistingDirection.persisted].map(([phase, acc]) => [
    phase,
    (acc.monitorWrites / acc.payments).toFixed(1),
    (acc.monitorBytes / acc.payments).toFixed(0),
    (acc.managerWrites / acc.payments).toFixed(1),
    (acc.managerBytes / acc.payments).toFixed(0),
  ]),
]);
console.log(
  '\n(Items and bytes: the header, channel, index, monitor, justice, payment-record and event items each commit puts, as NodeStore.commit would ' +
    '(deletes count as items, 0 bytes). Not counted: the outbox item of the messages and follow-ups each commit also writes, the lease and the ' +
    'input record (the in-memory store does not size them), and the deferred cleanup deletes after the commit.)',
);

const kinds = new Set([...oursA.bytesByKind.keys(), ...oursB.bytesByKind.keys()]);
const kindCell = (node: OurTcpNode, kind: string) => {
  const k = node.bytesByKind.get(kind);
  return k === undefined ? '' : `${(k.items / CLASSIFIED).toFixed(1)} / ${(k.bytes / CLASSIFIED).toFixed(0)}`;
};
printTable(`what our inputs write per sequential payment, by item kind (ours → ours, ${CLASSIFIED} more payments, untimed; items / bytes; the sort key up to its first #, a channel part by its suffix)`, [
  ['item kind', 'payer', 'payee'],
  ...[...kinds].sort((a, b) => (oursA.bytesByKind.get(b)?.bytes ?? 0) - (oursA.bytesByKind.get(a)?.bytes ?? 0)).map((k) => [k, kindCell(oursA, k), kindCell(oursB, k)]),
]);

const ourOurs = directions[0]!;
const methods = new Set<string>();
for (const key of ['sequential/payer', 'sequential/payee', 'in flight/payer', 'in flight/payee']) for (const k of ourOurs.ours.get(key)?.secp.keys() ?? []) methods.add(k);
printTable('our secp256k1 calls per payment by method (ours → ours)', [
  ['method', 'sequential payer', 'sequential payee', 'in flight payer', 'in flight payee'],
  ...[...methods].map((k) => {
    const of = (key: string) => {
      const acc = ourOurs.ours.get(key);
      return acc === undefined ? '' : ((acc.secp.get(k) ?? 0) / acc.payments).toFixed(1);
    };
    return [NOT_EC.has(k) ? `${k} (not EC)` : k, of('sequential/payer'), of('sequential/payee'), of('in flight/payer'), of('in flight/payee')];
  }).filter((r) => r.slice(1).some((c) => c !== '0.0' && c !== '')),
]);
console.log(
  `\nThe protocol's minimum for one payment alone over one direct channel (static_remotekey, an HTLC above the dust), per side, ` +
    `in EC operations (point multiplications and additions, signatures made and checked, ECDH): two commitment dances (the add, then the fulfill); in each a side signs the other's new ` +
    `commitment and checks a signature on its own: 2 commitment signatures made + 1 HTLC signature (the commitment holding the HTLC), ` +
    `the same checked (3 + 3); 2 new per-commitment points (one per revoke_and_ack sent) and 2 received per-commitment secrets checked ` +
    `against their points (2 + 2); the keys of the 4 commitments it handles (2 signed, 2 checked; 1 of each with the HTLC): the revocation ` +
    `key (2 tweak-multiplications + 1 addition), the delayed key (1 tweak-add), and with the HTLC both HTLC keys (2 tweak-adds): ` +
    `2 × 6 + 2 × 4 = 20; the onion: the payer's session key's point and its ECDH with the payee (2), the payee's ECDH (1). ` +
    `A key may be derived either way (a public tweak on the peer's point, or the secret tweaked and multiplied by G): one operation each here. ` +
    `Payer ${MINIMUM.payer}, payee ${MINIMUM.payee}; the issue's target is within 1.3×. In flight, one commitment covers several HTLCs, so fewer per payment.`,
);
