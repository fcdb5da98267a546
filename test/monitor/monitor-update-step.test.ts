/**
 * Monitor update records, version 2: steps as a list of TLV-framed typed
 * steps. Vectors, round trips of every kind, the kept/refused unknown
 * kinds, bad values, truncation and garbage, and version 1 bytes (written
 * by the encoder before this change) still read.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, hexToBytes } from '../../shared/codec/index.js';
import { toHex } from '../../shared/crypto/index.js';
import {
  MonitorStepType,
  decodeMonitorUpdate,
  encodeMonitorUpdate,
  type ChannelMonitorUpdate,
  type MonitorHtlc,
  type MonitorUpdateStep,
} from '../../shared/monitor/index.js';

const CHANNEL_ID = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const CHANNEL_ID_HEX = toHex(CHANNEL_ID);
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

/** Version 1 updates, as `encodeMonitorUpdate` wrote them before version 2 (generated from that code, kept unchanged). */
const V1_FIXTURES: readonly { hex: string; update: ChannelMonitorUpdate }[] = [
  {
    hex: '0100200102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f200208000000000000000104020001',
    update: { channelId: CHANNEL_ID, updateId: 1n, steps: [{ kind: 'channel-force-closed', shouldBroadcast: true }] },
  },
  {
    hex: '0100200102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2002080000000000000007040400000001',
    update: {
      channelId: CHANNEL_ID,
      updateId: 7n,
      steps: [
        { kind: 'channel-force-closed', shouldBroadcast: false },
        { kind: 'channel-force-closed', shouldBroadcast: true },
      ],
    },
  },
  { hex: '0100200102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20020800000000000000020400', update: { channelId: CHANNEL_ID, updateId: 2n, steps: [] } },
];

/** The record around `stepsHex`: version 2, channel id, update id 1, then TLV 6 holding the steps. */
function v2(stepsHex: string): string {
  const len = stepsHex.length / 2;
  if (len >= 0xfd) throw new Error('test vectors stay short');
  return `02 0020${CHANNEL_ID_HEX} 0208${'0'.repeat(15)}1 06${len.toString(16).padStart(2, '0')}${stepsHex}`.replace(/ /g, '');
}

const update = (steps: readonly MonitorUpdateStep[]): ChannelMonitorUpdate => ({ channelId: CHANNEL_ID, updateId: 1n, steps });

describe('vectors', () => {
  const htlc: MonitorHtlc = { offered: true, amountMsat: 5000n, cltvExpiry: 500, paymentHash: bytes(32, 0xaa), transactionOutputIndex: 2 };
  const vectors: readonly { name: string; step: MonitorUpdateStep; hex: string }[] = [
    { name: 'channel-force-closed', step: { kind: 'channel-force-closed', shouldBroadcast: true }, hex: '00 03 000101' },
    { name: 'payment-preimage', step: { kind: 'payment-preimage', paymentPreimage: bytes(32, 0x11) }, hex: `08 22 0020${'11'.repeat(32)}` },
    { name: 'commitment-secret', step: { kind: 'commitment-secret', index: 0xffffffffffffn, secret: bytes(32, 0x22) }, hex: `06 2c 00080000ffffffffffff 0220${'22'.repeat(32)}` },
    {
      name: 'latest-holder-commitment',
      step: { kind: 'latest-holder-commitment', commitmentNumber: 3n, counterpartySignature: bytes(64, 0x33), commitmentTx: Uint8Array.of(1, 2, 3), htlcSignatures: [bytes(64, 0x44)] },
      hex: `02 93 00080000000000000003 0240${'33'.repeat(64)} 0403010203 0640${'44'.repeat(64)}`,
    },
    {
      name: 'latest-counterparty-commitment',
      step: { kind: 'latest-counterparty-commitment', commitmentNumber: 4n, commitmentTxid: bytes(32, 0x55), perCommitmentPoint: Uint8Array.of(2, ...bytes(32, 0x66)), htlcs: [htlc] },
      // htlc: 0 offered, 2 amount, 4 cltv, 6 hash, 8 output index (a 59-byte TLV stream behind its BigSize length)
      hex: `04 8d 00080000000000000004 0220${'55'.repeat(32)} 042102${'66'.repeat(32)} 063c 3b 000101 02080000000000001388 0404000001f4 0620${'aa'.repeat(32)} 080400000002`,
    },
    {
      name: 'latest-counterparty-commitment with feerate and amounts (odd fields 9, 11, 13) and a trimmed HTLC',
      step: {
        kind: 'latest-counterparty-commitment',
        commitmentNumber: 0xffffffffffffn,
        commitmentTxid: bytes(32, 0x55),
        perCommitmentPoint: Uint8Array.of(3, ...bytes(32, 0x66)),
        htlcs: [{ offered: false, amountMsat: 1000n, cltvExpiry: 600, paymentHash: bytes(32, 0xbb) }],
        feeratePerKw: 253,
        toBroadcasterValueSat: 700_000n,
        toCountersignatoryValueSat: 299_000n,
      },
      // htlc: 0 not offered, 2 amount, 4 cltv, 6 hash, no 8 (trimmed): a 53-byte stream
      hex: `04 a1 00080000ffffffffffff 0220${'55'.repeat(32)} 042103${'66'.repeat(32)} 0636 35 000100 020800000000000003e8 040400000258 0620${'bb'.repeat(32)} 0904000000fd 0b0800000000000aae60 0d080000000000048ff8`,
    },
    {
      name: 'latest-counterparty-commitment-summary',
      step: { kind: 'latest-counterparty-commitment-summary', commitmentNumber: 4n, commitmentTxid: bytes(32, 0x55), perCommitmentPoint: Uint8Array.of(2, ...bytes(32, 0x66)) },
      hex: `0a 4f 00080000000000000004 0220${'55'.repeat(32)} 042102${'66'.repeat(32)}`,
    },
    { name: 'an unknown odd kind', step: { kind: 'unknown-odd', type: 0xfdn, value: Uint8Array.of(9, 9) }, hex: 'fd00fd 02 0909' },
  ];

  it.each(vectors)('$name: encodes to its vector and back', ({ step, hex }) => {
    const expected = hexToBytes(v2(hex.replace(/ /g, '')));
    expect(toHex(encodeMonitorUpdate(update([step])))).toBe(toHex(expected));
    expect(decodeMonitorUpdate(expected)).toEqual({ ok: true, value: update([step]) });
  });

  it('keeps the order of steps and allows a kind twice', () => {
    const steps: MonitorUpdateStep[] = [
      { kind: 'payment-preimage', paymentPreimage: bytes(32, 1) },
      { kind: 'channel-force-closed', shouldBroadcast: false },
      { kind: 'payment-preimage', paymentPreimage: bytes(32, 2) },
    ];
    expect(decodeMonitorUpdate(encodeMonitorUpdate(update(steps)))).toEqual({ ok: true, value: update(steps) });
  });

  it('gives every known kind an even type (a reader that does not know one must stop)', () => {
    for (const type of Object.values(MonitorStepType)) expect(type % 2n).toBe(0n);
    expect(new Set(Object.values(MonitorStepType)).size).toBe(Object.values(MonitorStepType).length);
  });
});

describe('version 1 (fixed pairs) is still read', () => {
  it.each(V1_FIXTURES)('$hex', ({ hex, update: expected }) => {
    const decoded = decodeMonitorUpdate(hexToBytes(hex));
    expect(decoded).toEqual({ ok: true, value: expected });
    // Written again, it is version 2 and reads back the same.
    const rewritten = encodeMonitorUpdate(expected);
    expect(rewritten[0]).toBe(2);
    expect(decodeMonitorUpdate(rewritten)).toEqual({ ok: true, value: expected });
  });

  it('refuses a version 1 step kind other than force close, a flag over 1, an odd pair', () => {
    for (const pairs of ['0100', '0002', '00']) {
      const hex = `01 0020${CHANNEL_ID_HEX} 02080000000000000001 04${(pairs.length / 2).toString(16).padStart(2, '0')}${pairs}`.replace(/ /g, '');
      expect(decodeMonitorUpdate(hexToBytes(hex))).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
    }
  });

  it('refuses a record with the other version steps (v1 with record 6, v2 with record 4)', () => {
    const v1With6 = `01 0020${CHANNEL_ID_HEX} 02080000000000000001 0402 0001 0600`.replace(/ /g, '');
    const v2With4 = `02 0020${CHANNEL_ID_HEX} 02080000000000000001 0402 0001 0600`.replace(/ /g, '');
    const v2Without = `02 0020${CHANNEL_ID_HEX} 02080000000000000001`.replace(/ /g, '');
    for (const hex of [v1With6, v2With4, v2Without]) expect(decodeMonitorUpdate(hexToBytes(hex))).toMatchObject({ ok: false, error: { reason: 'invalid-value' } });
  });
});

describe('unknown kinds', () => {
  it('refuses an unknown even kind', () => {
    const r = decodeMonitorUpdate(hexToBytes(v2('0e0100')));
    expect(r).toMatchObject({ ok: false, error: { reason: 'unknown-even-type' } });
  });

  it('keeps an unknown odd kind among known ones, byte for byte', () => {
    const bytesIn = hexToBytes(v2(`00 03 000101 07 03 010203 08 22 0020${'11'.repeat(32)}`.replace(/ /g, '')));
    const r = decodeMonitorUpdate(bytesIn);
    if (!r.ok) throw r.error;
    expect(r.value.steps.map((s) => s.kind)).toEqual(['channel-force-closed', 'unknown-odd', 'payment-preimage']);
    expect(r.value.steps[1]).toEqual({ kind: 'unknown-odd', type: 7n, value: Uint8Array.of(1, 2, 3) });
    expect(toHex(encodeMonitorUpdate(r.value))).toBe(toHex(bytesIn));
  });

  it('refuses to write a kept step of an even type', () => {
    expect(() => encodeMonitorUpdate(update([{ kind: 'unknown-odd', type: 10n, value: new Uint8Array(0) }]))).toThrow(TypeError);
  });
});

describe('bad values', () => {
  const cases: readonly [string, string, string][] = [
    ['a flag over 1', '000300 0102', 'invalid-value'],
    ['a required field missing (shouldBroadcast)', '0000', 'invalid-value'],
    ['a preimage of 31 bytes', `0821 001f${'11'.repeat(31)}`, 'invalid-value'],
    ['a secret index over 48 bits', `062c 00080001000000000000 0220${'22'.repeat(32)}`, 'invalid-value'],
    ['a per-commitment point without an 02/03 prefix', `042d 00080000000000000001 042104${'66'.repeat(32)}`, 'invalid-value'],
    ['a counterparty commitment number over 48 bits', `0a4f 00080001000000000000 0220${'55'.repeat(32)} 042102${'66'.repeat(32)}`, 'invalid-value'],
    ['a summary without its txid', `0a2d 00080000000000000001 042102${'66'.repeat(32)}`, 'invalid-value'],
    ['a summary with an HTLC set (field 6 is not one of its fields)', '0a0c 00080000000000000001 0600', 'unknown-even-type'],
    ['a step value longer than its fields', '0004 000101ff', 'invalid-value'],
    // The list is the value of record 6: a step running past it makes that record's length wrong (BOLT 1: invalid).
    ['a step length past the end of the list', '0009 000101', 'invalid-value'],
    ['a non-minimal step type', 'fd0000 00', 'non-minimal-encoding'],
    ['an unknown even field in a step', '0006 000101 020100', 'unknown-even-type'],
    ['fields out of order in a step', `062c 0220${'22'.repeat(32)} 00080000000000000001`, 'tlv-out-of-order'],
  ];
  it.each(cases)('%s', (_name, stepsHex, reason) => {
    expect(decodeMonitorUpdate(hexToBytes(v2(stepsHex.replace(/ /g, ''))))).toMatchObject({ ok: false, error: { reason } });
  });
});

const byte32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const byte64 = fc.uint8Array({ minLength: 64, maxLength: 64 });
const index48 = fc.bigInt({ min: 0n, max: (1n << 48n) - 1n });
const pointArb = fc.tuple(fc.constantFrom(2, 3), byte32).map(([p, x]) => Uint8Array.of(p, ...x));
const htlcArb: fc.Arbitrary<MonitorHtlc> = fc
  .record({ offered: fc.boolean(), amountMsat: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), cltvExpiry: fc.nat({ max: 0xffffffff }), paymentHash: byte32, index: fc.option(fc.nat({ max: 0xffffffff }), { nil: undefined }) })
  .map(({ index, ...h }) => (index === undefined ? h : { ...h, transactionOutputIndex: index }));

/** Every step kind, with unknown odd ones among them. */
const stepArb: fc.Arbitrary<MonitorUpdateStep> = fc.oneof(
  fc.boolean().map((shouldBroadcast) => ({ kind: 'channel-force-closed', shouldBroadcast }) as const),
  fc
    .record({ commitmentNumber: index48, counterpartySignature: byte64, commitmentTx: fc.uint8Array({ maxLength: 400 }), htlcSignatures: fc.array(byte64, { maxLength: 4 }) })
    .map((s) => ({ kind: 'latest-holder-commitment', ...s }) as const),
  fc
    .record(
      {
        commitmentNumber: index48,
        commitmentTxid: byte32,
        perCommitmentPoint: pointArb,
        htlcs: fc.array(htlcArb, { maxLength: 4 }),
        feeratePerKw: fc.nat({ max: 0xffffffff }),
        toBroadcasterValueSat: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        toCountersignatoryValueSat: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      },
      { requiredKeys: ['commitmentNumber', 'commitmentTxid', 'perCommitmentPoint', 'htlcs'] },
    )
    .map((s) => ({ kind: 'latest-counterparty-commitment', ...s }) as const),
  fc
    .record({ commitmentNumber: index48, commitmentTxid: byte32, perCommitmentPoint: pointArb })
    .map((s) => ({ kind: 'latest-counterparty-commitment-summary', ...s }) as const),
  fc.record({ index: index48, secret: byte32 }).map((s) => ({ kind: 'commitment-secret', ...s }) as const),
  byte32.map((paymentPreimage) => ({ kind: 'payment-preimage', paymentPreimage }) as const),
  fc.record({ type: fc.bigInt({ min: 0n, max: 1000n }).map((t) => 2n * t + 1n), value: fc.uint8Array({ maxLength: 50 }) }).map((s) => ({ kind: 'unknown-odd', ...s }) as const),
);

const updateArb: fc.Arbitrary<ChannelMonitorUpdate> = fc.record({
  channelId: byte32,
  updateId: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }),
  steps: fc.array(stepArb, { maxLength: 6 }),
});

describe('properties', () => {
  it('every update round-trips, and encoding is stable', () => {
    fc.assert(
      fc.property(updateArb, (u) => {
        const encoded = encodeMonitorUpdate(u);
        const decoded = decodeMonitorUpdate(encoded);
        expect(decoded).toEqual({ ok: true, value: u });
        if (decoded.ok) expect(encodeMonitorUpdate(decoded.value)).toEqual(encoded);
      }),
    );
  });

  it('every strict prefix of an update fails with a DecodeError', () => {
    fc.assert(
      fc.property(updateArb, (u) => {
        const encoded = encodeMonitorUpdate(u);
        for (let n = 0; n < encoded.length; n++) {
          const r = decodeMonitorUpdate(encoded.subarray(0, n));
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.error).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('garbage, and garbage behind a valid header, never throws', () => {
    const head = hexToBytes(`020020${CHANNEL_ID_HEX}02080000000000000001`);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (junk) => {
        for (const b of [junk, Uint8Array.of(...head, 6, Math.min(junk.length, 0xfc), ...junk.subarray(0, 0xfc))]) {
          const r = decodeMonitorUpdate(b);
          if (!r.ok) expect(r.error).toBeInstanceOf(DecodeError);
        }
      }),
    );
  });
});
