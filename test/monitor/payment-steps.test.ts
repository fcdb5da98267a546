/**
 * The payment steps of a ChannelMonitor (docs/monitor.md "Payment steps"):
 * our latest commitment, the counterparty's secrets, payment preimages
 * (kept bounded), applied and persisted; old snapshots still read.
 */
import { describe, expect, it } from 'vitest';
import { hexToBytes } from '../../shared/codec/index.js';
import { sha256, toHex } from '../../shared/crypto/index.js';
import { CounterpartyCommitmentSecrets, INITIAL_COMMITMENT_INDEX, perCommitmentSecret } from '../../shared/keys/index.js';
import {
  MAX_COMMITMENT_HTLCS,
  MAX_MONITOR_PREIMAGES,
  applyMonitorUpdate,
  counterpartySecretOf,
  decodeMonitor,
  decodeMonitorUpdate,
  encodeMonitor,
  encodeMonitorUpdate,
  preimageOf,
  type ChannelMonitor,
  type HolderCommitmentStep,
  type MonitorHtlc,
  type MonitorUpdateStep,
} from '../../shared/monitor/index.js';

/**
 * A monitor snapshot written before the payment steps existed (the encoder
 * of commit 1596320): a channel at open, then counterparty commitments 1
 * and 2 (summaries, update ids 1 and 2). Kept as bytes, unchanged.
 */
const OLD_SNAPSHOT = hexToBytes(
  [
  '0100209d99a627443f6dbdc72ccdcf854879f2540377ca1992eb41c18a300f153f1b3c02229d99a627443f6dbdc72ccdcf854879f2540377ca1992eb',
  '41c18a300f153f1b3d000104220020f71d85bba044eb6438b9023b40dd135b848e8b1d38972897f8eb762739e341d9060800000000000f42400820b7',
  '4988b673b75a6d7c162ca1f7a87b57df5037f4eb40884e4d5a745e7985ca560a01010c210215a763eb7931cec7a659ce83fc24507d2ce69301f03d60',
  '84d2ca7e8ee539f4fd0e2400000000000001620000000005f5e100000000000000271000000000000000010090003210ea0000000000000162000000',
  '0005f5e1000000000000002710000000000000000100900032034bda2a8b345bdf7dcba7299212c17d19f183733ff00d857f2ce3118eb85a8afa0283',
  '1a40c808cbf1f72fa444032d46cff969987bf78ac92711c976cf00d9c257c7035fd5b5348e19641a83620d686412305489ff6bb01c350ffd6629553c',
  '18d98dcc020de23ef6766548b8287a2fe9dee4e80bea449fb8193316a11cbcf470345727ae0381ffe1d5103cb8417e4de7a7fd1bd62d69c0e384df53',
  '411f05b85dbde756e546028f60557d45e0c8e9aec3f1a4caaeadf0e8860d4893c02bb3567a1dd13af0a0cc1116001496ec90cf78c304ce3d99b40c16',
  'cd0f1a8359c1b312080000fbdf853aa6ea140800000000000000001640a1c84214d7a74b25cee70d2f95b4f144d8c7c4fcd862e28ad54724c6efa409',
  '20699acad4b101f3243bf64c2d611a105feaed866a299733a8a5ca9bf637130edf18fd015a020000000001019d99a627443f6dbdc72ccdcf854879f2',
  '540377ca1992eb41c18a300f153f1b3d010000000085dffb800210270000000000001600141b9fd080f56edc5c986782a2ac000b5c171922df791a0f',
  '00000000002200200ab6905eccf83da585b1e69182b7e7e80da79911923990e14752684a05b91cfc0400483045022100a1c84214d7a74b25cee70d2f',
  '95b4f144d8c7c4fcd862e28ad54724c6efa409200220699acad4b101f3243bf64c2d611a105feaed866a299733a8a5ca9bf637130edf014730440220',
  '60f30f003fd77181e6d9dd80a94b53b3a13c4cf70d23e3a77e5bdb8c1f16476a02204240e59f47839a8d8159ab0620f7f4db4f844a02583418dfdea1',
  'ac600dec85e501475221034bda2a8b345bdf7dcba7299212c17d19f183733ff00d857f2ce3118eb85a8afa21035d29cdec2af9c3912ea18ca21f418e',
  '54d262efabd5040d966c342537fcc17aa052aeeaa63a201a20c7b1d6536f25e3dab6fd433efac79ad84f4b3c1290753678007bdce5a5f48ceb1c0800',
  '000000000000021e49000000000000000202020202020202020202020202020202020202020202020202020202020202020202020202020202020202',
  '020202020202020202020202020202020202020202022049000000000000000101010101010101010101010101010101010101010101010101010101',
  '01010101020101010101010101010101010101010101010101010101010101010101010101',
  ].join(''),
);

function oldMonitor(): ChannelMonitor {
  const decoded = decodeMonitor(OLD_SNAPSHOT);
  if (!decoded.ok) throw decoded.error;
  return decoded.value;
}

const base = oldMonitor();

function apply(m: ChannelMonitor, ...steps: MonitorUpdateStep[]): ChannelMonitor {
  const r = applyMonitorUpdate(m, { channelId: m.channelId, updateId: m.latestUpdateId + 1n, steps });
  if (!r.ok) throw new Error(r.error);
  return r.monitor;
}

function refused(m: ChannelMonitor, ...steps: MonitorUpdateStep[]): string {
  const r = applyMonitorUpdate(m, { channelId: m.channelId, updateId: m.latestUpdateId + 1n, steps });
  if (r.ok) throw new Error('applied');
  return r.error;
}

const preimage = (label: string): Uint8Array => sha256(new TextEncoder().encode(`preimage ${label}`));
const hashOf = (label: string): Uint8Array => sha256(preimage(label));

/** An HTLC paying `label`'s hash, with an output unless trimmed (`null`). */
function htlc(label: string, offered = false, outputIndex: number | null = 0): MonitorHtlc {
  return { offered, amountMsat: 5_000_000n, cltvExpiry: 700, paymentHash: hashOf(label), ...(outputIndex === null ? {} : { transactionOutputIndex: outputIndex }) };
}

/** Our commitment `n` holding HTLCs of `labels` (one signature per HTLC, none trimmed). */
function holder(n: bigint, labels: readonly string[] = [], withHtlcs = true): HolderCommitmentStep {
  return {
    kind: 'latest-holder-commitment',
    commitmentNumber: n,
    counterpartySignature: new Uint8Array(64).fill(Number(n % 255n) + 1),
    commitmentTx: Uint8Array.of(2, 0, 0, 0, Number(n % 256n)),
    htlcSignatures: labels.map((_, i) => new Uint8Array(64).fill(i + 1)),
    ...(withHtlcs ? { htlcs: labels.map((l, i) => htlc(l, i % 2 === 0, i)) } : {}),
  };
}

const SEED = new Uint8Array(32).fill(0x42);
/** The counterparty's secret revoking its commitment `n` (BOLT 3 index 2^48 - 1 - n). */
function secretStep(n: bigint, seed = SEED): MonitorUpdateStep {
  const index = INITIAL_COMMITMENT_INDEX - n;
  return { kind: 'commitment-secret', index, secret: perCommitmentSecret(seed, index) };
}

const roundTrips = (m: ChannelMonitor): void => {
  expect(decodeMonitor(encodeMonitor(m))).toEqual({ ok: true, value: m });
};

describe('a snapshot written before the payment steps', () => {
  it('still decodes, to a monitor with no payment state, and re-encodes byte for byte', () => {
    expect(base).toMatchObject({
      latestUpdateId: 2n,
      holderCommitmentNumber: 0n,
      holderHtlcSignatures: [],
      holderHtlcs: [],
      paymentPreimages: [],
      counterpartyCommitmentSecrets: CounterpartyCommitmentSecrets.empty().serialize(),
      latestCounterpartyCommitment: { commitmentNumber: 2n },
      previousCounterpartyCommitment: { commitmentNumber: 1n },
    });
    expect(base.previousHolderCommitment).toBeUndefined();
    // Re-encoded as written then, plus the channel type record (TLV 46, `2e021000`: static_remotekey) every writer adds since.
    expect(toHex(encodeMonitor(base))).toBe(`${toHex(OLD_SNAPSHOT)}2e021000`);
  });

  it('takes every payment step, and the result round-trips', () => {
    const m = apply(base, holder(1n, ['a']), secretStep(0n), { kind: 'payment-preimage', paymentPreimage: preimage('a') });
    roundTrips(m);
    expect(m).toMatchObject({ holderCommitmentNumber: 1n, holderHtlcs: [htlc('a', true, 0)], paymentPreimages: [{ paymentPreimage: preimage('a') }] });
    expect(counterpartySecretOf(m, INITIAL_COMMITMENT_INDEX)).toEqual(perCommitmentSecret(SEED, INITIAL_COMMITMENT_INDEX));
  });
});

describe('latest-holder-commitment', () => {
  it('becomes our commitment: number, signature, transaction, HTLC signatures and HTLCs; the one before is kept by number and HTLCs', () => {
    const step = holder(1n, ['a', 'b', 'c']);
    const m = apply(base, step);
    expect(m).toEqual({
      ...base,
      latestUpdateId: 3n,
      holderCommitmentNumber: 1n,
      counterpartySignature: step.counterpartySignature,
      holderCommitmentTx: step.commitmentTx,
      holderHtlcSignatures: step.htlcSignatures,
      holderHtlcs: step.htlcs,
      previousHolderCommitment: { commitmentNumber: 0n, htlcs: [] },
    });
    roundTrips(m);
    const next = apply(m, holder(2n, ['d']));
    expect(next.previousHolderCommitment).toEqual({ commitmentNumber: 1n, htlcs: step.htlcs });
    roundTrips(next);
  });

  it('a force close after it broadcasts the new commitment, not the one at open', () => {
    const m = apply(base, holder(1n), holder(2n, ['a']));
    const r = applyMonitorUpdate(m, { channelId: m.channelId, updateId: m.latestUpdateId + 1n, steps: [{ kind: 'channel-force-closed', shouldBroadcast: true }] });
    if (!r.ok) throw new Error(r.error);
    expect(r.broadcasts.map(toHex)).toEqual([toHex(holder(2n).commitmentTx)]);
    expect(r.broadcasts.map(toHex)).not.toContain(toHex(base.holderCommitmentTx!));
    // No commitment of ours after the force close: it would replace the one broadcast.
    expect(refused(r.monitor, holder(3n))).toBe('channel-closed');
  });

  it('refuses a number not above the latest, and a commitment whose signatures do not match its HTLC outputs (the monitor unchanged)', () => {
    const m = apply(base, holder(3n, ['a']));
    const before = encodeMonitor(m);
    expect(refused(m, holder(3n))).toBe('stale-commitment');
    expect(refused(m, holder(2n))).toBe('stale-commitment');
    // A good step before a bad one in the same update: nothing applies.
    expect(refused(m, { kind: 'payment-preimage', paymentPreimage: preimage('a') }, holder(4n), holder(4n))).toBe('stale-commitment');
    expect(refused(m, { ...holder(4n, ['a', 'b']), htlcSignatures: [new Uint8Array(64)] })).toBe('bad-holder-commitment');
    // A trimmed HTLC has no output, so no signature.
    expect(apply(m, { ...holder(4n, ['a']), htlcs: [htlc('a'), htlc('t', false, null)] }).holderHtlcs).toHaveLength(2);
    expect(refused(m, { ...holder(4n), htlcSignatures: Array.from({ length: MAX_COMMITMENT_HTLCS + 1 }, () => new Uint8Array(64)) })).toBe('bad-holder-commitment');
    expect(toHex(encodeMonitor(m))).toBe(toHex(before));
  });

  it('keeps the HTLC signatures of a full commitment (2 × 483 HTLCs) in the snapshot; the worst case stays under the 400 KB of an item', () => {
    const labels = (tag: string): string[] => Array.from({ length: MAX_COMMITMENT_HTLCS }, (_, i) => `${tag}${i}`);
    const m = apply(base, holder(1n, labels('full')));
    roundTrips(m);
    expect(m.holderHtlcSignatures).toHaveLength(MAX_COMMITMENT_HTLCS);
    // Two full commitments of distinct HTLCs, every preimage known, 49 secrets.
    let worst = apply(m, holder(2n, labels('other')));
    worst = apply(worst, ...[...labels('full'), ...labels('other')].map((l): MonitorUpdateStep => ({ kind: 'payment-preimage', paymentPreimage: preimage(l) })));
    for (let n = 0n; n < 64n; n++) worst = apply(worst, secretStep(n));
    expect(worst.paymentPreimages).toHaveLength(MAX_MONITOR_PREIMAGES);
    const bytes = encodeMonitor(worst);
    expect(bytes.length).toBeLessThan(400_000);
    expect(decodeMonitor(bytes)).toEqual({ ok: true, value: worst });
  });

  it('an update without the HTLC set (written before field 8) still decodes and applies; the HTLCs are then unknown', () => {
    const update = { channelId: base.channelId, updateId: 3n, steps: [holder(1n, ['a'], false)] };
    const decoded = decodeMonitorUpdate(encodeMonitorUpdate(update));
    expect(decoded).toEqual({ ok: true, value: update });
    const m = apply(base, holder(1n, ['a'], false));
    expect(m.holderHtlcs).toBeUndefined();
    roundTrips(m);
    expect(apply(m, holder(2n)).previousHolderCommitment).toEqual({ commitmentNumber: 1n });
    roundTrips(apply(m, holder(2n)));
  });
});

describe('commitment-secret', () => {
  it('stores each revealed secret in the compact storage; any earlier one derives from it', () => {
    let m = base;
    for (let n = 0n; n < 70n; n++) m = apply(m, secretStep(n));
    roundTrips(m);
    for (const n of [0n, 1n, 33n, 69n]) expect(counterpartySecretOf(m, INITIAL_COMMITMENT_INDEX - n)).toEqual(perCommitmentSecret(SEED, INITIAL_COMMITMENT_INDEX - n));
    expect(counterpartySecretOf(m, INITIAL_COMMITMENT_INDEX - 70n)).toBeUndefined();
    // 49 slots at most: the snapshot does not grow with the secrets received.
    expect(m.counterpartyCommitmentSecrets.length).toBeLessThanOrEqual(2 + 49 * 40);
  });

  it('refuses an out-of-order index and a secret inconsistent with the earlier ones as bad-secret, the monitor unchanged', () => {
    let m = base;
    for (let n = 0n; n < 3n; n++) m = apply(m, secretStep(n));
    const before = encodeMonitor(m);
    expect(refused(m, secretStep(4n))).toBe('bad-secret');
    expect(refused(m, secretStep(2n))).toBe('bad-secret');
    // Index 2^48 - 4 has two trailing zeros: it must derive the secrets of indexes -2 and -3 before it.
    expect(refused(m, secretStep(3n, new Uint8Array(32).fill(7)))).toBe('bad-secret');
    expect(refused(m, { kind: 'payment-preimage', paymentPreimage: preimage('x') }, secretStep(3n, new Uint8Array(32).fill(7)))).toBe('bad-secret');
    expect(toHex(encodeMonitor(m))).toBe(toHex(before));
    expect(apply(m, secretStep(3n)).latestUpdateId).toBe(m.latestUpdateId + 1n);
  });

  it('a snapshot whose secrets do not read is a DecodeError, not a crash', () => {
    const m = apply(base, secretStep(0n));
    const bytes = encodeMonitor(m);
    // The secrets record (type 42) comes last but for the channel type (4 bytes): version 2, the last index (6 bytes), one secret.
    const at = bytes.length - 4 - 32 - 6 - 1;
    expect(bytes[at]).toBe(2);
    const bad = Uint8Array.from(bytes);
    // The last index 2^48 - 1 implies one secret (slot 0); 2^48 - 3 implies two (slots 0 and 1): 32 bytes missing.
    bad[at + 6] = 0xfd;
    expect(decodeMonitor(bad).ok).toBe(false);
    bad[at + 6] = 0xff;
    bad[at] = 3;
    expect(decodeMonitor(bad).ok).toBe(false);
  });
});

describe('payment-preimage', () => {
  it('keeps a preimage by its payment hash, once', () => {
    const m = apply(base, holder(1n, ['a']), { kind: 'payment-preimage', paymentPreimage: preimage('a') }, { kind: 'payment-preimage', paymentPreimage: preimage('a') });
    expect(m.paymentPreimages).toEqual([{ paymentHash: hashOf('a'), paymentPreimage: preimage('a') }]);
    expect(preimageOf(m, hashOf('a'))).toEqual(preimage('a'));
    expect(preimageOf(m, hashOf('b'))).toBeUndefined();
    roundTrips(m);
    expect(refused(m, { kind: 'payment-preimage', paymentPreimage: new Uint8Array(31) })).toBe('bad-preimage');
  });

  it('keeps a preimage while its hash is in our latest or previous commitment, drops it after (a trimmed HTLC counts)', () => {
    const pre = (l: string): MonitorUpdateStep => ({ kind: 'payment-preimage', paymentPreimage: preimage(l) });
    let m = apply(base, holder(1n, ['a', 'b']), pre('a'), pre('b'));
    // The dance: a fulfilled HTLC leaves our next commitment; the one before still holds it.
    m = apply(m, holder(2n, ['b']));
    expect(m.paymentPreimages.map((p) => toHex(p.paymentHash))).toEqual([toHex(hashOf('a')), toHex(hashOf('b'))]);
    m = apply(m, { ...holder(3n), htlcs: [htlc('b', false, null)] });
    expect(m.paymentPreimages.map((p) => toHex(p.paymentHash))).toEqual([toHex(hashOf('b'))]);
    m = apply(m, holder(4n));
    expect(m.paymentPreimages).toEqual([{ paymentHash: hashOf('b'), paymentPreimage: preimage('b') }]);
    m = apply(m, holder(5n));
    expect(m.paymentPreimages).toEqual([]);
    // A preimage of an HTLC in no commitment of ours goes at the next commitment.
    m = apply(m, pre('stray'));
    expect(m.paymentPreimages).toHaveLength(1);
    expect(apply(m, holder(6n)).paymentPreimages).toEqual([]);
  });

  it('prunes nothing while either of our latest two commitments has an unknown HTLC set', () => {
    const pre = (l: string): MonitorUpdateStep => ({ kind: 'payment-preimage', paymentPreimage: preimage(l) });
    let m = apply(base, holder(1n, ['a']), pre('a'), pre('stray'));
    m = apply(m, holder(2n, ['a'], false));
    expect(m.paymentPreimages).toHaveLength(2);
    m = apply(m, holder(3n));
    expect(m.paymentPreimages).toHaveLength(2);
    m = apply(m, holder(4n));
    expect(m.paymentPreimages).toEqual([]);
  });

  it('does not grow with history: 1,000 payments leave the snapshot the size of one with a single payment in flight', () => {
    const pre = (l: string): MonitorUpdateStep => ({ kind: 'payment-preimage', paymentPreimage: preimage(l) });
    let m = base;
    let sizeAfterFirst = 0;
    for (let i = 0; i < 1000; i++) {
      const n = BigInt(2 * i + 1);
      // HTLC i is added, then fulfilled (preimage), then leaves our commitment.
      m = apply(m, holder(n, [`p${i}`]), pre(`p${i}`), holder(n + 1n), secretStep(BigInt(i)));
      expect(m.paymentPreimages.length).toBeLessThanOrEqual(1);
      if (i === 0) sizeAfterFirst = encodeMonitor(m).length;
    }
    expect(encodeMonitor(m).length).toBeLessThanOrEqual(sizeAfterFirst + 2 * 49 * 40);
    expect(m.paymentPreimages).toEqual([{ paymentHash: hashOf('p999'), paymentPreimage: preimage('p999') }]);
  });

  it('refuses a preimage past the bound, the monitor unchanged (only a caller feeding unrelated preimages gets there)', () => {
    let m = base;
    const steps: MonitorUpdateStep[] = Array.from({ length: MAX_MONITOR_PREIMAGES }, (_, i) => ({ kind: 'payment-preimage', paymentPreimage: preimage(`s${i}`) }));
    m = apply(m, ...steps);
    expect(refused(m, { kind: 'payment-preimage', paymentPreimage: preimage('one more') })).toBe('too-many-preimages');
    // One already known is not new.
    expect(apply(m, steps[0]!).paymentPreimages).toHaveLength(MAX_MONITOR_PREIMAGES);
    roundTrips(m);
  });
});
