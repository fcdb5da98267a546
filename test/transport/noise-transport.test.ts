/** The BOLT 8 message stream: framing, chunking, MAC failures, length limits, poisoning. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, equalConstantTime, sha256 } from '../../shared/crypto/index.js';
import {
  MAX_MESSAGE_LENGTH,
  MESSAGE_OVERHEAD,
  NoiseTransport,
  TransportError,
  TransportErrorCode,
  type NoiseTransportOptions,
} from '../../shared/transport/index.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
const key = (label: string) => sha256(utf8(label));

/** A connected pair: a's sending key is b's receiving key and the reverse. */
function pair(options: NoiseTransportOptions = {}): { a: NoiseTransport; b: NoiseTransport } {
  const ck = key('ck');
  return {
    a: new NoiseTransport({ sendingKey: key('a->b'), receivingKey: key('b->a'), chainingKey: ck }, options),
    b: new NoiseTransport({ sendingKey: key('b->a'), receivingKey: key('a->b'), chainingKey: ck }, options),
  };
}

/** Splits `bytes` at the given cut points (taken modulo the length, deduplicated). */
function chunk(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort((x, y) => x - y);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

const messageArb = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ maxLength: 600 }) },
  // Large messages: a random pattern repeated up to 65535 bytes (cheaper to generate than 65535 random bytes).
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 60_000, max: MAX_MESSAGE_LENGTH }), fc.uint8Array({ minLength: 1, maxLength: 97 }))
      .map(([length, pattern]) => Uint8Array.from({ length }, (_, i) => pattern[i % pattern.length]!)),
  },
);

describe('NoiseTransport', () => {
  it('frames a message as 18 + length + 16 bytes', () => {
    const { a } = pair();
    expect(a.encryptMessage(new Uint8Array(0))).toHaveLength(MESSAGE_OVERHEAD);
    expect(a.encryptMessage(new Uint8Array(1000))).toHaveLength(1034);
    expect(a.encryptMessage(new Uint8Array(MAX_MESSAGE_LENGTH))).toHaveLength(MAX_MESSAGE_LENGTH + 34);
  });

  it('round-trips random messages (empty to 65535 bytes) in any chunking, across key rotations', () => {
    fc.assert(
      fc.property(
        fc.array(messageArb, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.nat({ max: 1200 }),
        (msgs, cuts, warmup) => {
          const { a, b } = pair();
          // Start at a random point of the rotation cycle so rotations fall inside the batch.
          for (let i = 0; i < warmup; i++) b.receive(a.encryptMessage(Uint8Array.of(i & 0xff)));
          const stream = concatBytes(...msgs.map((m) => a.encryptMessage(m)));
          const got: Uint8Array[] = [];
          for (const piece of chunk(stream, cuts)) {
            const { messages, error } = b.receive(piece);
            expect(error).toBeUndefined();
            got.push(...messages);
          }
          expect(got).toHaveLength(msgs.length);
          got.forEach((m, i) => expect(equalConstantTime(m, msgs[i]!)).toBe(true));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('decrypted messages are fresh arrays: reusing the input chunk does not change them', () => {
    const { a, b } = pair();
    const frame = a.encryptMessage(utf8('hello'));
    const { messages } = b.receive(frame);
    frame.fill(0);
    expect(messages).toEqual([utf8('hello')]);
  });

  it('encrypting more than 65535 bytes throws message-too-long and consumes no nonce', () => {
    const { a, b } = pair();
    let thrown: unknown;
    try {
      a.encryptMessage(new Uint8Array(MAX_MESSAGE_LENGTH + 1));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(TransportError);
    expect((thrown as TransportError).code).toBe(TransportErrorCode.MessageTooLong);
    expect(b.receive(a.encryptMessage(utf8('still in sync')))).toEqual({ messages: [utf8('still in sync')] });
  });

  it('refuses an incoming length above maxMessageLength before reading the body', () => {
    const { a, b } = pair({ maxMessageLength: 1000 });
    expect(b.receive(a.encryptMessage(new Uint8Array(1000))).messages).toHaveLength(1);
    const over = a.encryptMessage(new Uint8Array(1001));
    // The length header alone is enough to fail.
    expect(b.receive(over.subarray(0, 18))).toEqual({
      messages: [],
      error: { code: TransportErrorCode.MessageTooLong, message: expect.any(String) },
    });
    expect(b.receive(over.subarray(18)).error?.code).toBe(TransportErrorCode.MessageTooLong);
    expect(b.error?.code).toBe(TransportErrorCode.MessageTooLong);
  });

  it('rejects a maxMessageLength that is not an integer from 0 to 65535', () => {
    for (const bad of [-1, 65536, 1.5, Number.NaN]) expect(() => pair({ maxMessageLength: bad })).toThrow(RangeError);
    expect(() => pair({ maxMessageLength: 0 })).not.toThrow();
  });

  it('a flipped bit in the length header is bad-length-mac; in the body or its MAC, bad-body-mac; then poisoned', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat({ max: 7 }), (body, at, bit) => {
        const { a, b } = pair();
        const good = a.encryptMessage(utf8('first'));
        const frame = a.encryptMessage(body);
        const i = at % frame.length;
        frame[i] = frame[i]! ^ (1 << bit);
        const expected = i < 18 ? TransportErrorCode.BadLengthMac : TransportErrorCode.BadBodyMac;
        const result = b.receive(concatBytes(good, frame));
        // The message before the bad frame is authentic and still delivered.
        expect(result.messages).toEqual([utf8('first')]);
        expect(result.error?.code).toBe(expected);
        expect(b.receive(a.encryptMessage(utf8('later')))).toEqual({ messages: [], error: result.error });
      }),
      { numRuns: 100 },
    );
  });

  it('a frame from the wrong key or replayed out of order fails its length MAC', () => {
    const { a, b } = pair();
    const first = a.encryptMessage(utf8('one'));
    const second = a.encryptMessage(utf8('two'));
    expect(b.receive(second).error?.code).toBe(TransportErrorCode.BadLengthMac);
    const fresh = pair();
    expect(fresh.b.receive(first).messages).toEqual([utf8('one')]);
    expect(fresh.b.receive(first).error?.code).toBe(TransportErrorCode.BadLengthMac);
  });

  it('random garbage never throws: it is a typed error or a wait for more bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (garbage) => {
        const { b } = pair();
        const result = b.receive(garbage);
        expect(result.messages).toEqual([]);
        if (garbage.length >= 18) expect(result.error?.code).toBe(TransportErrorCode.BadLengthMac);
        else expect(result.error).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });

  it('midFrame is true from the first byte of a frame until its body and MAC have arrived, false after a failure', () => {
    const { a, b } = pair();
    const frame = a.encryptMessage(utf8('hello'));
    expect(b.midFrame).toBe(false);
    // Every cut inside the frame leaves the receiver mid-frame: in the length header, right after it, in the body.
    for (const cut of [1, 17, 18, 19, frame.length - 1]) {
      const { a: sa, b: sb } = pair();
      const f = sa.encryptMessage(utf8('hello'));
      expect(sb.receive(f.subarray(0, cut)).messages).toEqual([]);
      expect(sb.midFrame).toBe(true);
      expect(sb.receive(f.subarray(cut)).messages).toEqual([utf8('hello')]);
      expect(sb.midFrame).toBe(false);
    }
    // A whole frame and part of the next: mid-frame again.
    const next = a.encryptMessage(utf8('next'));
    expect(b.receive(concatBytes(frame, next.subarray(0, 3))).messages).toEqual([utf8('hello')]);
    expect(b.midFrame).toBe(true);
    expect(b.receive(new Uint8Array(40)).error?.code).toBe(TransportErrorCode.BadLengthMac);
    expect(b.midFrame).toBe(false);
  });
});
