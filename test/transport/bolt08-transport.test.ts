/**
 * BOLT 8 Appendix A, every case, on both secp256k1 backends: the initiator
 * and responder handshakes (success and each failure at its act), the final
 * keys, and the message encryption outputs across two key rotations.
 */
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, nobleSecp256k1, toHex, wasmSecp256k1, type Secp256k1 } from '../../shared/crypto/index.js';
import {
  NoiseTransport,
  TransportErrorCode,
  initiatorHandshake,
  responderHandshake,
  type Handshake,
  type HandshakeStep,
} from '../../shared/transport/index.js';
import vectors from '../vectors/bolt08-transport.json' with { type: 'json' };

interface ActVector {
  readonly input?: string;
  readonly output?: string;
  readonly expected_error?: string;
}
interface HandshakeVector {
  readonly name: string;
  readonly role: string;
  readonly 'rs.pub'?: string;
  readonly 'ls.priv': string;
  readonly 'ls.pub': string;
  readonly 'e.priv': string;
  readonly final_keys?: { readonly sk: string; readonly rk: string };
  readonly acts: { readonly act1?: ActVector; readonly act2?: ActVector; readonly act3?: ActVector };
}

/**
 * The spec's error labels (informative, per the vector notes) and our codes.
 * A `*_READ_FAILED` is a short read: the act never completes, and the peer
 * closing the connection (`end()`) is the failure.
 */
const expectedCode: Record<string, TransportErrorCode> = {
  ACT1_READ_FAILED: TransportErrorCode.Act1ShortRead,
  ACT1_BAD_VERSION: TransportErrorCode.Act1BadVersion,
  ACT1_BAD_PUBKEY: TransportErrorCode.Act1BadEphemeralKey,
  ACT1_BAD_TAG: TransportErrorCode.Act1BadMac,
  ACT2_READ_FAILED: TransportErrorCode.Act2ShortRead,
  ACT2_BAD_VERSION: TransportErrorCode.Act2BadVersion,
  ACT2_BAD_PUBKEY: TransportErrorCode.Act2BadEphemeralKey,
  ACT2_BAD_TAG: TransportErrorCode.Act2BadMac,
  ACT3_READ_FAILED: TransportErrorCode.Act3ShortRead,
  ACT3_BAD_VERSION: TransportErrorCode.Act3BadVersion,
  ACT3_BAD_CIPHERTEXT: TransportErrorCode.Act3BadStaticKeyMac,
  ACT3_BAD_PUBKEY: TransportErrorCode.Act3BadStaticKey,
  ACT3_BAD_TAG: TransportErrorCode.Act3BadMac,
};

function codeFor(label: string): TransportErrorCode {
  const code = expectedCode[label.split(' ')[0]!];
  if (code === undefined) throw new Error(`no mapping for spec label ${label}`);
  return code;
}

const initiatorCases = vectors.handshake.initiator as readonly HandshakeVector[];
const responderCases = vectors.handshake.responder as readonly HandshakeVector[];
const messages = vectors.message_encryption;
const hello = fromHex(messages.message_hex);

/** Feeds the peer's bytes of one act; checks the failure or the bytes we answer with. */
function feedAct(hs: Handshake, act: ActVector, answer: ActVector | undefined): HandshakeStep {
  const step = hs.receive(fromHex(act.input!));
  if (act.expected_error !== undefined) {
    const code = codeFor(act.expected_error);
    if (code === TransportErrorCode.Act1ShortRead || code === TransportErrorCode.Act2ShortRead || code === TransportErrorCode.Act3ShortRead) {
      expect(step).toEqual({}); // still waiting for the last byte
      expect(hs.end().error?.code).toBe(code);
    } else {
      expect(step.send).toBeUndefined();
      expect(step.done).toBeUndefined();
      expect(step.error?.code).toBe(code);
    }
    // Poisoned: more input, or the end of input, reports the same failure.
    expect(hs.receive(new Uint8Array(100)).error?.code).toBe(code);
    expect(hs.end().error?.code).toBe(code);
    expect(hs.phase).toBe('failed');
    return step;
  }
  expect(step.error).toBeUndefined();
  if (answer?.output !== undefined) expect(toHex(step.send!)).toBe(answer.output);
  return step;
}

function countFailures(cases: readonly HandshakeVector[]): number {
  return cases.filter((c) => Object.values(c.acts).some((a: ActVector) => a.expected_error !== undefined)).length;
}

describe('BOLT 8 Appendix A vectors file', () => {
  it('holds 1 + 4 initiator and 1 + 9 responder cases and 6 message outputs', () => {
    expect(initiatorCases).toHaveLength(5);
    expect(countFailures(initiatorCases)).toBe(4);
    expect(responderCases).toHaveLength(10);
    expect(countFailures(responderCases)).toBe(9);
    expect(messages.outputs.map((o) => o.index)).toEqual([0, 1, 500, 501, 1000, 1001]);
  });
});

describe.each([nobleSecp256k1, wasmSecp256k1])('BOLT 8 handshake vectors, backend $name', (secp: Secp256k1) => {
  describe.each(initiatorCases)('$name', (v) => {
    it('writes act 1, then reads act 2 and writes act 3 or fails at the stated act', () => {
      expect(toHex(secp.publicKeyFromSecret(fromHex(v['ls.priv'])))).toBe(v['ls.pub']);
      const hs = initiatorHandshake({
        secp,
        localSecret: fromHex(v['ls.priv']),
        ephemeralSecret: fromHex(v['e.priv']),
        remoteStatic: fromHex(v['rs.pub']!),
      });
      expect(hs.phase).toBe('idle');
      expect(toHex(hs.start().send)).toBe(v.acts.act1!.output);
      expect(hs.phase).toBe('awaiting-act2');
      const step = feedAct(hs, v.acts.act2!, v.acts.act3);
      if (v.acts.act2!.expected_error !== undefined) return;
      expect(hs.phase).toBe('complete');
      expect(toHex(step.done!.remoteStatic)).toBe(v['rs.pub']);
      expect(step.done!.leftover).toHaveLength(0);
    });
  });

  describe.each(responderCases)('$name', (v) => {
    it('reads act 1, writes act 2, reads act 3, or fails at the stated act', () => {
      const hs = responderHandshake({ secp, localSecret: fromHex(v['ls.priv']), ephemeralSecret: fromHex(v['e.priv']) });
      expect(hs.phase).toBe('awaiting-act1');
      feedAct(hs, v.acts.act1!, v.acts.act2);
      if (v.acts.act1!.expected_error !== undefined) return;
      expect(hs.phase).toBe('awaiting-act3');
      const step = feedAct(hs, v.acts.act3!, undefined);
      if (v.acts.act3!.expected_error !== undefined) return;
      expect(hs.phase).toBe('complete');
      // The initiator's static key of the initiator vectors.
      expect(toHex(step.done!.remoteStatic)).toBe(initiatorCases[0]!['ls.pub']);
      expect(step.done!.leftover).toHaveLength(0);
    });
  });

  it('final keys: the initiator sends with sk and receives with rk; the responder the reverse (ck from the message test)', () => {
    const init = initiatorCases[0]!;
    const resp = responderCases[0]!;
    const initiator = initiatorHandshake({
      secp,
      localSecret: fromHex(init['ls.priv']),
      ephemeralSecret: fromHex(init['e.priv']),
      remoteStatic: fromHex(init['rs.pub']!),
    });
    const responder = responderHandshake({ secp, localSecret: fromHex(resp['ls.priv']), ephemeralSecret: fromHex(resp['e.priv']) });
    const act1 = initiator.start().send;
    const act2 = responder.receive(act1).send!;
    const { send: act3, done: initiatorDone } = initiator.receive(act2);
    const responderDone = responder.receive(act3!).done!;
    expect(toHex(responderDone.remoteStatic)).toBe(init['ls.pub']);
    expect(toHex(initiatorDone!.remoteStatic)).toBe(resp['ls.pub']);

    const { sk, rk } = init.final_keys!;
    expect(resp.final_keys).toEqual(expect.objectContaining({ sk: rk, rk: sk }));
    const ck = fromHex(messages.ck);
    const zero = new Uint8Array(32);
    // Frames sealed with sk (and ck) are exactly what each side's transport sends/accepts, across rotations.
    const withSk = new NoiseTransport({ sendingKey: fromHex(sk), receivingKey: zero, chainingKey: ck });
    const withRk = new NoiseTransport({ sendingKey: fromHex(rk), receivingKey: zero, chainingKey: ck });
    for (let i = 0; i < 1002; i++) {
      const fromInitiator = initiatorDone!.transport.encryptMessage(hello);
      expect(toHex(fromInitiator)).toBe(toHex(withSk.encryptMessage(hello)));
      const fromResponder = responderDone.transport.encryptMessage(hello);
      expect(toHex(fromResponder)).toBe(toHex(withRk.encryptMessage(hello)));
      expect(responderDone.transport.receive(fromInitiator)).toEqual({ messages: [hello] });
      expect(initiatorDone!.transport.receive(fromResponder)).toEqual({ messages: [hello] });
    }
  });
});

describe.each([nobleSecp256k1, wasmSecp256k1])('BOLT 8 message encryption vectors, backend $name', (secp: Secp256k1) => {
  const init = initiatorCases[0]!;
  const resp = responderCases[0]!;

  /** The initiator's and responder's transports after the vector handshake. */
  function handshake(): { initiator: NoiseTransport; responder: NoiseTransport } {
    const initiator = initiatorHandshake({
      secp,
      localSecret: fromHex(init['ls.priv']),
      ephemeralSecret: fromHex(init['e.priv']),
      remoteStatic: fromHex(init['rs.pub']!),
    });
    const responder = responderHandshake({ secp, localSecret: fromHex(resp['ls.priv']), ephemeralSecret: fromHex(resp['e.priv']) });
    const act2 = responder.receive(initiator.start().send).send!;
    const { send: act3, done } = initiator.receive(act2);
    return { initiator: done!.transport, responder: responder.receive(act3!).done!.transport };
  }

  const fromVectorKeys = (): NoiseTransport =>
    new NoiseTransport({ sendingKey: fromHex(messages.sk), receivingKey: fromHex(messages.rk), chainingKey: fromHex(messages.ck) });

  it.each([
    ['the handshake', () => handshake().initiator],
    ['the vector ck, sk, rk', fromVectorKeys],
  ])('encrypting "hello" 1002 times from %s gives outputs 0, 1, 500, 501, 1000, 1001 byte for byte', (_, make) => {
    const transport = make();
    const frames = Array.from({ length: messages.messages_sent + 1 }, () => transport.encryptMessage(hello));
    for (const { index, output } of messages.outputs) expect(toHex(frames[index]!)).toBe(output);
  });

  it('the responder decrypts all 1002 frames, whole, one byte at a time, or coalesced', () => {
    const { initiator, responder } = handshake();
    const frames = Array.from({ length: 1002 }, () => initiator.encryptMessage(hello));
    for (const { index, output } of messages.outputs) expect(toHex(frames[index]!)).toBe(output);
    let received = 0;
    for (let i = 0; i < 300; i++) {
      expect(responder.receive(frames[i]!)).toEqual({ messages: [hello] });
      received++;
    }
    for (let i = 300; i < 600; i++) {
      for (const byte of frames[i]!) {
        const { messages: got, error } = responder.receive(Uint8Array.of(byte));
        expect(error).toBeUndefined();
        received += got.length;
        for (const m of got) expect(m).toEqual(hello);
      }
    }
    const rest = responder.receive(concatBytes(...frames.slice(600)));
    expect(rest.error).toBeUndefined();
    expect(rest.messages).toHaveLength(402);
    received += rest.messages.length;
    expect(received).toBe(1002);
  });
});
