// Round trips of every message through encodeMessage/decodeMessage, and
// garbage / truncated input into the frame decoder.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DECODE_ERROR_REASONS, DecodeError, bytesToHex } from '../../shared/codec/index.js';
import type { UnknownTlvRecord } from '../../shared/codec/index.js';
import { MESSAGE_TYPE, decodeMessage, encodeMessage, isKnownMessageType } from '../../shared/wire/index.js';
import type { MessageDecodeResult, WireMessage } from '../../shared/wire/index.js';

const bytes = (maxLength: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength });
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** Unknown odd extension records (types not in `known`), increasing, as decode returns them. */
function unknownTlvs(known: readonly bigint[]): fc.Arbitrary<UnknownTlvRecord[]> {
  return fc
    .uniqueArray(
      fc.record({
        type: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((t) => t | 1n).filter((t) => !known.includes(t)),
        value: bytes(64),
      }),
      { selector: (r) => r.type, maxLength: 3 },
    )
    .map((rs) => [...rs].sort((a, b) => (a.type < b.type ? -1 : 1)));
}

function withUnknown<T extends object>(msg: T, unknown: UnknownTlvRecord[]): T {
  return unknown.length > 0 ? { ...msg, unknownTlvs: unknown } : msg;
}

const initArb: fc.Arbitrary<WireMessage> = fc
  .tuple(
    fc.record(
      {
        globalfeatures: bytes(8),
        features: bytes(16),
        networks: fc.array(bytes32, { maxLength: 3 }),
        remoteAddr: bytes(40),
      },
      { requiredKeys: ['globalfeatures', 'features'] },
    ),
    unknownTlvs([1n, 3n]),
  )
  .map(([m, u]) => withUnknown({ type: MESSAGE_TYPE.init, ...m }, u));

const errorArb: fc.Arbitrary<WireMessage> = fc
  .tuple(fc.record({ channelId: bytes32, data: bytes(200) }), unknownTlvs([]))
  .map(([m, u]) => withUnknown({ type: MESSAGE_TYPE.error, ...m }, u));

const warningArb: fc.Arbitrary<WireMessage> = fc
  .tuple(fc.record({ channelId: bytes32, data: bytes(200) }), unknownTlvs([]))
  .map(([m, u]) => withUnknown({ type: MESSAGE_TYPE.warning, ...m }, u));

const pingArb: fc.Arbitrary<WireMessage> = fc
  .tuple(fc.record({ numPongBytes: fc.integer({ min: 0, max: 0xffff }), ignored: bytes(300) }), unknownTlvs([]))
  .map(([m, u]) => withUnknown({ type: MESSAGE_TYPE.ping, ...m }, u));

const pongArb: fc.Arbitrary<WireMessage> = fc
  .tuple(fc.record({ ignored: bytes(300) }), unknownTlvs([]))
  .map(([m, u]) => withUnknown({ type: MESSAGE_TYPE.pong, ...m }, u));

const messageArb = fc.oneof(initArb, errorArb, warningArb, pingArb, pongArb);

/** The same message without its extension: the fixed fields only. */
function fixedPart(msg: WireMessage): WireMessage {
  const rest: Record<string, unknown> = { ...msg };
  for (const key of ['networks', 'remoteAddr', 'unknownTlvs']) delete rest[key];
  return rest as unknown as WireMessage;
}

function expectTyped(result: MessageDecodeResult): void {
  expect(['message', 'unknown-odd', 'unknown-even', 'decode-error']).toContain(result.kind);
  if (result.kind === 'decode-error') {
    expect(result.error).toBeInstanceOf(DecodeError);
    expect(DECODE_ERROR_REASONS).toContain(result.error.reason);
  }
}

describe('every message round-trips (property)', () => {
  for (const [name, arb] of [
    ['init', initArb],
    ['error', errorArb],
    ['warning', warningArb],
    ['ping', pingArb],
    ['pong', pongArb],
  ] as const) {
    it(name, () => {
      fc.assert(
        fc.property(arb, (msg) => {
          expect(decodeMessage(encodeMessage(msg))).toEqual({ kind: 'message', message: msg });
        }),
        { numRuns: 200 },
      );
    });
  }
});

describe('garbage and truncated input', () => {
  it('any bytes: a typed result, never an exception', () => {
    fc.assert(
      fc.property(bytes(300), (input) => expectTyped(decodeMessage(input))),
      { numRuns: 1000 },
    );
  });

  it('known types with random or mutated payloads: a typed result; a decoded one re-encodes to the same bytes', () => {
    const known = fc.constantFrom(...Object.values(MESSAGE_TYPE));
    const randomPayload = fc
      .tuple(known, bytes(120))
      .map(([type, payload]) => Uint8Array.of(type >> 8, type & 0xff, ...payload));
    // A valid message with a few bytes after the type overwritten, then cut or extended.
    const mutated = fc
      .tuple(
        messageArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        fc.nat(),
        bytes(4),
      )
      .map(([msg, edits, cut, tail]) => {
        const input = encodeMessage(msg);
        for (const [at, value] of edits) input[2 + (at % (input.length - 2))] = value;
        // One in four inputs is cut short, one in four gets random bytes appended.
        const end = cut % 4 === 0 ? 2 + (cut % (input.length - 1)) : input.length;
        return Uint8Array.of(...input.subarray(0, end), ...(cut % 4 === 1 ? tail : []));
      });
    let decoded = 0;
    let failed = 0;
    fc.assert(
      fc.property(fc.oneof(randomPayload, mutated), (input) => {
        const result = decodeMessage(input);
        expectTyped(result);
        expect(result.kind === 'message' || result.kind === 'decode-error').toBe(true);
        if (result.kind === 'message') {
          decoded++;
          expect(bytesToHex(encodeMessage(result.message))).toBe(bytesToHex(input));
        } else {
          failed++;
        }
      }),
      { numRuns: 2000, seed: 20261125 },
    );
    // Both outcomes are well exercised (typically several hundred each).
    expect(decoded).toBeGreaterThan(100);
    expect(failed).toBeGreaterThan(100);
  });

  it('every strict prefix of the fixed fields is a short-read (property)', () => {
    fc.assert(
      fc.property(messageArb, fc.nat(), (msg, cut) => {
        const full = encodeMessage(fixedPart(msg));
        const result = decodeMessage(full.subarray(0, cut % full.length));
        expect(result.kind).toBe('decode-error');
        expect(result.kind === 'decode-error' && result.error.reason).toBe('short-read');
      }),
      { numRuns: 500 },
    );
  });

  it('any unknown type follows the odd/even rule', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }).filter((t) => !isKnownMessageType(t)), bytes(20), (type, payload) => {
        const result = decodeMessage(Uint8Array.of(type >> 8, type & 0xff, ...payload));
        expect(result.kind).toBe(type % 2 === 1 ? 'unknown-odd' : 'unknown-even');
      }),
    );
  });
});
