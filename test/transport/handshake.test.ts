/** The BOLT 8 handshake machines against each other: chunking, leftovers, garbage, misuse. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CryptoError,
  concatBytes,
  nobleSecp256k1,
  sha256,
  toHex,
  wasmSecp256k1,
  type Secp256k1,
} from '../../shared/crypto/index.js';
import {
  TransportError,
  TransportErrorCode,
  initiatorHandshake,
  responderHandshake,
  type Handshake,
  type HandshakeDone,
  type HandshakeStep,
} from '../../shared/transport/index.js';

const secretArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((b) => nobleSecp256k1.isValidSecretKey(b));
const keysArb = fc.record({ initiator: secretArb, initiatorEphemeral: secretArb, responder: secretArb, responderEphemeral: secretArb });
const utf8 = (s: string) => new TextEncoder().encode(s);
const fixedSecret = (label: string) => sha256(utf8(label));

/** Splits `bytes` at the given cut points (modulo its length). */
function chunk(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

/** Feeds chunks to a handshake, collecting what it sends; stops at done or error. */
function feed(hs: Handshake, chunks: readonly Uint8Array[]): { sent: Uint8Array; done?: HandshakeDone; steps: HandshakeStep[] } {
  const steps: HandshakeStep[] = [];
  const sent: Uint8Array[] = [];
  for (const piece of chunks) {
    const step = hs.receive(piece);
    steps.push(step);
    expect(step.error).toBeUndefined();
    if (step.send !== undefined) sent.push(step.send);
    if (step.done !== undefined) return { sent: concatBytes(...sent), done: step.done, steps };
  }
  return { sent: concatBytes(...sent), steps };
}

describe.each([nobleSecp256k1, wasmSecp256k1])('handshake between our initiator and responder, backend $name', (secp: Secp256k1) => {
  it('completes with any chunking of every act; bytes after act 3 in the same chunk reach the transport', () => {
    fc.assert(
      fc.property(
        keysArb,
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 3 }),
        (keys, cuts1, cuts2, cuts3, early) => {
          const initiator = initiatorHandshake({
            secp,
            localSecret: keys.initiator,
            ephemeralSecret: keys.initiatorEphemeral,
            remoteStatic: secp.publicKeyFromSecret(keys.responder),
          });
          const responder = responderHandshake({ secp, localSecret: keys.responder, ephemeralSecret: keys.responderEphemeral });

          const act1 = initiator.start().send;
          expect(act1).toHaveLength(50);
          const r1 = feed(responder, chunk(act1, cuts1));
          expect(r1.done).toBeUndefined();
          expect(r1.sent).toHaveLength(50);
          expect(responder.phase).toBe('awaiting-act3');

          const i2 = feed(initiator, chunk(r1.sent, cuts2));
          expect(i2.sent).toHaveLength(66);
          const initiatorDone = i2.done!;
          expect(toHex(initiatorDone.remoteStatic)).toBe(toHex(secp.publicKeyFromSecret(keys.responder)));
          expect(initiatorDone.leftover).toHaveLength(0);

          // The initiator may send its first messages right behind act 3: coalesce and re-split them.
          const frames = early.map((m) => initiatorDone.transport.encryptMessage(m));
          const r3 = feed(responder, chunk(concatBytes(i2.sent, ...frames), cuts3));
          const responderDone = r3.done!;
          expect(toHex(responderDone.remoteStatic)).toBe(toHex(secp.publicKeyFromSecret(keys.initiator)));
          expect(responder.phase).toBe('complete');
          const consumed = r3.steps.length;
          const rest = chunk(concatBytes(i2.sent, ...frames), cuts3).slice(consumed);
          const got: Uint8Array[] = [];
          for (const piece of [responderDone.leftover, ...rest]) {
            const { messages, error } = responderDone.transport.receive(piece);
            expect(error).toBeUndefined();
            got.push(...messages);
          }
          expect(got).toEqual(early);

          // And the session works both ways.
          const reply = responderDone.transport.encryptMessage(utf8('pong'));
          expect(initiatorDone.transport.receive(reply)).toEqual({ messages: [utf8('pong')] });
        },
      ),
      { numRuns: secp === wasmSecp256k1 ? 40 : 15 },
    );
  });

  it('a handshake to the wrong node fails act 1 at the responder (bad MAC)', () => {
    const initiator = initiatorHandshake({
      secp,
      localSecret: fixedSecret('i'),
      ephemeralSecret: fixedSecret('ie'),
      remoteStatic: secp.publicKeyFromSecret(fixedSecret('someone else')),
    });
    const responder = responderHandshake({ secp, localSecret: fixedSecret('r'), ephemeralSecret: fixedSecret('re') });
    expect(responder.receive(initiator.start().send).error?.code).toBe(TransportErrorCode.Act1BadMac);
  });

  it('200 random bytes into a fresh responder give a typed act 1 error, never an exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 200, maxLength: 200 }), (garbage) => {
        const responder = responderHandshake({ secp, localSecret: fixedSecret('r'), ephemeralSecret: fixedSecret('re') });
        const step = responder.receive(garbage);
        expect([TransportErrorCode.Act1BadVersion, TransportErrorCode.Act1BadEphemeralKey, TransportErrorCode.Act1BadMac]).toContain(
          step.error?.code,
        );
        expect(step.send).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });

  it('garbage shaped like act 1 (version 0, a valid point) fails on its MAC', () => {
    fc.assert(
      fc.property(secretArb, fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 150 }), (e, mac, tail) => {
        const responder = responderHandshake({ secp, localSecret: fixedSecret('r'), ephemeralSecret: fixedSecret('re') });
        const act = concatBytes(Uint8Array.of(0), secp.publicKeyFromSecret(e), mac, tail);
        expect(responder.receive(act).error?.code).toBe(TransportErrorCode.Act1BadMac);
      }),
      { numRuns: 20 },
    );
  });

  it('random bytes of any length, then the end of input: a typed error (short read below 50 bytes)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (garbage) => {
        const responder = responderHandshake({ secp, localSecret: fixedSecret('r'), ephemeralSecret: fixedSecret('re') });
        const step = responder.receive(garbage);
        const end = responder.end();
        if (garbage.length < 50) {
          expect(step).toEqual({});
          expect(end.error?.code).toBe(TransportErrorCode.Act1ShortRead);
        } else {
          expect(end.error).toEqual(step.error);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('random bytes as act 2 into an initiator give a typed act 2 error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 50, maxLength: 120 }), (garbage) => {
        const initiator = initiatorHandshake({
          secp,
          localSecret: fixedSecret('i'),
          ephemeralSecret: fixedSecret('ie'),
          remoteStatic: secp.publicKeyFromSecret(fixedSecret('r')),
        });
        initiator.start();
        const code = initiator.receive(garbage).error?.code;
        expect([TransportErrorCode.Act2BadVersion, TransportErrorCode.Act2BadEphemeralKey, TransportErrorCode.Act2BadMac]).toContain(code);
      }),
      { numRuns: 50 },
    );
  });
});

describe('handshake misuse', () => {
  const secp = wasmSecp256k1;
  const make = () =>
    initiatorHandshake({
      secp,
      localSecret: fixedSecret('i'),
      ephemeralSecret: fixedSecret('ie'),
      remoteStatic: secp.publicKeyFromSecret(fixedSecret('r')),
    });

  it('input before start() is handshake-not-complete (and poisons)', () => {
    const hs = make();
    expect(hs.receive(new Uint8Array(50)).error?.code).toBe(TransportErrorCode.HandshakeNotComplete);
    expect(hs.phase).toBe('failed');
    expect(hs.receive(new Uint8Array(1)).error?.code).toBe(TransportErrorCode.HandshakeNotComplete);
  });

  it('start() twice throws a TransportError', () => {
    const hs = make();
    hs.start();
    expect(() => hs.start()).toThrow(TransportError);
  });

  it('end() before start() is handshake-not-complete; end() after completion is nothing', () => {
    expect(make().end().error?.code).toBe(TransportErrorCode.HandshakeNotComplete);
    const initiator = make();
    const responder = responderHandshake({ secp, localSecret: fixedSecret('r'), ephemeralSecret: fixedSecret('re') });
    const act2 = responder.receive(initiator.start().send).send!;
    expect(initiator.receive(act2).done).toBeDefined();
    expect(initiator.end()).toEqual({});
    expect(initiator.receive(new Uint8Array(3)).error?.code).toBe(TransportErrorCode.HandshakeAlreadyComplete);
  });

  it('an invalid remote static key or local secret throws CryptoError at construction', () => {
    expect(() =>
      initiatorHandshake({ secp, localSecret: fixedSecret('i'), ephemeralSecret: fixedSecret('ie'), remoteStatic: new Uint8Array(33) }),
    ).toThrow(CryptoError);
    expect(() => responderHandshake({ secp, localSecret: new Uint8Array(32), ephemeralSecret: fixedSecret('re') })).toThrow(CryptoError);
  });

  it('midAct is true while an awaited act has only partly arrived', () => {
    const initiator = make();
    const responder = responderHandshake({ secp, localSecret: fixedSecret('r'), ephemeralSecret: fixedSecret('re') });
    const act1 = initiator.start().send;
    expect(responder.midAct).toBe(false);
    responder.receive(act1.subarray(0, 1));
    expect(responder.midAct).toBe(true);
    const act2 = responder.receive(act1.subarray(1)).send!;
    expect(responder.midAct).toBe(false); // act 1 done, nothing of act 3 yet
    expect(initiator.midAct).toBe(false);
    initiator.receive(act2.subarray(0, 49));
    expect(initiator.midAct).toBe(true);
    const act3 = initiator.receive(act2.subarray(49)).send!;
    expect(initiator.midAct).toBe(false);
    responder.receive(act3.subarray(0, 65));
    expect(responder.midAct).toBe(true);
    expect(responder.receive(act3.subarray(65)).done).toBeDefined();
    expect(responder.midAct).toBe(false);
  });

  it('maxMessageLength passes through to the transport', () => {
    const initiator = make();
    const responder = responderHandshake({ secp, localSecret: fixedSecret('r'), ephemeralSecret: fixedSecret('re'), maxMessageLength: 10 });
    const { send: act3, done } = initiator.receive(responder.receive(initiator.start().send).send!);
    const server = responder.receive(act3!).done!.transport;
    expect(server.receive(done!.transport.encryptMessage(new Uint8Array(10))).messages).toHaveLength(1);
    expect(server.receive(done!.transport.encryptMessage(new Uint8Array(11))).error?.code).toBe(TransportErrorCode.MessageTooLong);
    expect(() => responderHandshake({ secp, localSecret: fixedSecret('r'), ephemeralSecret: fixedSecret('re'), maxMessageLength: 70000 })).toThrow(
      RangeError,
    );
  });
});
