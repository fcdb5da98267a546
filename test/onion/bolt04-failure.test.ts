/**
 * BOLT 4 "Returning Errors": the spec's test vector (test/vectors/
 * bolt04-returning-errors.json: incorrect_or_unknown_payment_details with a
 * 300-byte TLV, padded to 1,024) and the older bolt04/onion-error-test.json
 * (temporary_node_failure, padded to 256), byte for byte at each hop, then
 * decoded at the origin. Attribution data is not built (docs/onion.md).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import {
  FAILURE_CODES,
  FailureFlag,
  OnionError,
  createFailurePacket,
  decodeFailure,
  decodeFailureMessage,
  encodeFailureMessage,
  failureMessage,
  failureName,
  failurePacketPlaintext,
  generateKey,
  hasFlag,
  onionSharedSecrets,
  pseudoRandomStream,
  wrapFailurePacket,
  type FailureName,
} from '../../shared/onion/index.js';
import returning from '../vectors/bolt04-returning-errors.json' with { type: 'json' };
import legacy from '../vectors/bolt04-onion-error.json' with { type: 'json' };

const secp = wasmSecp256k1;

describe('BOLT 4 Test Vector "Returning Errors" (incorrect_or_unknown_payment_details + TLV, 1,024 bytes)', () => {
  const sessionKey = fromHex(returning.parameters.sessionkey);
  const route = returning.parameters.hops.map((h) => fromHex(h.pubkey));
  const sharedSecrets = onionSharedSecrets(secp, sessionKey, route);
  const creating = returning.creating_error_message;
  const fields = returning.parameters.failure_message_fields;
  const message = failureMessage(
    'incorrectOrUnknownPaymentDetails',
    { htlcMsat: BigInt(fields.htlc_msat), height: fields.height },
    { unknownTlvs: [{ type: BigInt(fields.tlv.type), value: new Uint8Array(300).fill(128) }] },
  );
  const encoded = encodeFailureMessage(message);

  it('encodes the failure message (0x400f, htlc_msat, height, TLV 34001)', () => {
    // encoded_failure_message is failuremsg || pad_len || pad.
    const paddedTail = creating.encoded_failure_message.slice(encoded.length * 2);
    expect(toHex(encoded)).toBe(creating.encoded_failure_message.slice(0, encoded.length * 2));
    expect(paddedTail).toBe('02c0' + '00'.repeat(0x2c0));
    expect(FAILURE_CODES.incorrectOrUnknownPaymentDetails).toBe(0x400f);
  });

  it('the erring node (4): shared secret, um key, payload and the HMAC-prefixed packet', () => {
    expect(toHex(sharedSecrets[4]!)).toBe(creating.shared_secret);
    expect(toHex(generateKey('um', sharedSecrets[4]!))).toBe(creating.um_key);
    const plaintext = failurePacketPlaintext(sharedSecrets[4]!, encoded, 1024);
    expect(toHex(plaintext.subarray(32))).toBe(creating.payload);
    expect(toHex(plaintext)).toBe(creating.raw_error_packet);
  });

  it('each hop from 4 back to 0: shared secret, ammag key, stream and error packet byte for byte', () => {
    let packet = fromHex(creating.raw_error_packet);
    for (const step of returning.forwarding_steps) {
      const ss = sharedSecrets[step.node]!;
      expect(toHex(ss)).toBe(step.shared_secret);
      const ammag = generateKey('ammag', ss);
      expect(toHex(ammag)).toBe(step.ammag_key);
      expect(toHex(pseudoRandomStream(ammag, packet.length))).toBe(step.stream);
      packet = wrapFailurePacket(ss, packet);
      expect(toHex(packet)).toBe(step.error_packet);
    }
    expect(toHex(createFailurePacket(sharedSecrets[4]!, message, 1024))).toBe(returning.forwarding_steps[0]!.error_packet);
  });

  it('the origin finds hop 4 and decodes the message', () => {
    const received = fromHex(returning.forwarding_steps.at(-1)!.error_packet);
    const decoded = decodeFailure(sharedSecrets, received);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.hopIndex).toBe(4);
    expect(toHex(decoded.failureMessage)).toBe(toHex(encoded));
    expect(decoded.message).toEqual(message);
    expect(decoded.message?.name).toBe('incorrectOrUnknownPaymentDetails');
    const code = decoded.message!.failureCode;
    expect([hasFlag(code, FailureFlag.PERM), hasFlag(code, FailureFlag.NODE), hasFlag(code, FailureFlag.UPDATE)]).toEqual([true, false, false]);
  });
});

describe('bolt04/onion-error-test.json (temporary_node_failure, 256 bytes)', () => {
  const hops = legacy.generate.hops;
  const sessionKey = fromHex(legacy.generate.session_key);
  const sharedSecrets = onionSharedSecrets(
    secp,
    sessionKey,
    hops.map((h) => fromHex(h.pubkey)),
  );
  const last = hops[4]!;

  it('shared secrets, ammag keys and the final node\'s um key and payload', () => {
    hops.forEach((h, i) => {
      expect(toHex(sharedSecrets[i]!)).toBe(h.hop_shared_secret);
      expect(toHex(generateKey('ammag', sharedSecrets[i]!))).toBe(h.ammag_key);
    });
    expect(toHex(generateKey('um', sharedSecrets[4]!))).toBe(last.um_key);
    const plaintext = failurePacketPlaintext(sharedSecrets[4]!, fromHex(legacy.generate.failure_message));
    expect(toHex(plaintext.subarray(32))).toBe(last.payload);
  });

  it('wrapped by hops 4..0 gives the error packet; the origin reads temporary_node_failure from hop 4', () => {
    let packet = createFailurePacket(sharedSecrets[4]!, failureMessage('temporaryNodeFailure', {}));
    for (let i = 3; i >= 0; i--) packet = wrapFailurePacket(sharedSecrets[i]!, packet);
    expect(toHex(packet)).toBe(legacy.errorpacket);
    const decoded = decodeFailure(sharedSecrets, packet);
    expect(decoded).toMatchObject({ ok: true, hopIndex: 4, message: { name: 'temporaryNodeFailure', failureCode: 0x2002 } });
  });
});

describe('failures at the origin', () => {
  const sessionKey = new Uint8Array(32).fill(7);
  const route = [1, 2, 3].map((b) => secp.publicKeyFromSecret(new Uint8Array(32).fill(b)));
  const secrets = onionSharedSecrets(secp, sessionKey, route);

  it('an intermediate hop\'s failure is attributed to it, through the hops before it', () => {
    let packet = createFailurePacket(
      secrets[1]!,
      failureMessage('feeInsufficient', { htlcMsat: 5_000n, channelUpdate: new Uint8Array(0) }),
    );
    packet = wrapFailurePacket(secrets[0]!, packet);
    const decoded = decodeFailure(secrets, packet);
    expect(decoded).toMatchObject({ ok: true, hopIndex: 1, message: { name: 'feeInsufficient', failureCode: 0x100c, data: { htlcMsat: 5_000n } } });
  });

  it('a corrupted packet is unattributable; an unknown code keeps its bytes', () => {
    const packet = createFailurePacket(secrets[2]!, fromHex('0063abcd'));
    const wrapped = wrapFailurePacket(secrets[1]!, wrapFailurePacket(secrets[0]!, packet));
    expect(decodeFailure(secrets, wrapped)).toMatchObject({ ok: true, hopIndex: 2, message: { name: undefined, failureCode: 0x63 } });
    const corrupted = wrapped.slice();
    corrupted[100] = corrupted[100]! ^ 1;
    expect(decodeFailure(secrets, corrupted)).toEqual({ ok: false, reason: 'unattributable' });
    expect(decodeFailure(secrets, new Uint8Array(5))).toEqual({ ok: false, reason: 'unattributable' });
  });

  it('a failure message over the padded length is refused (OnionError)', () => {
    expect(() => failurePacketPlaintext(secrets[0]!, new Uint8Array(300))).toThrow(OnionError);
    expect(failurePacketPlaintext(secrets[0]!, new Uint8Array(300), 1024).length).toBe(32 + 4 + 1024);
  });

  it('a known code with truncated data is kept raw (message undefined)', () => {
    const packet = createFailurePacket(secrets[0]!, fromHex('400f0000'));
    expect(decodeFailure(secrets, packet)).toMatchObject({ ok: true, hopIndex: 0, message: undefined });
  });
});

describe('failure codes table', () => {
  it('has the BOLT 4 values and flags', () => {
    expect(FAILURE_CODES).toMatchObject({
      temporaryNodeFailure: 0x2002,
      permanentNodeFailure: 0x6002,
      requiredNodeFeatureMissing: 0x6003,
      invalidOnionVersion: 0xc004,
      invalidOnionHmac: 0xc005,
      invalidOnionKey: 0xc006,
      temporaryChannelFailure: 0x1007,
      permanentChannelFailure: 0x4008,
      requiredChannelFeatureMissing: 0x4009,
      unknownNextPeer: 0x400a,
      amountBelowMinimum: 0x100b,
      feeInsufficient: 0x100c,
      incorrectCltvExpiry: 0x100d,
      expiryTooSoon: 0x100e,
      incorrectOrUnknownPaymentDetails: 0x400f,
      finalIncorrectCltvExpiry: 18,
      finalIncorrectHtlcAmount: 19,
      channelDisabled: 0x1014,
      expiryTooFar: 21,
      invalidOnionPayload: 0x4016,
      mppTimeout: 23,
      invalidOnionBlinding: 0xc018,
    });
    expect(failureName(0x400f)).toBe('incorrectOrUnknownPaymentDetails');
    expect(failureName(0x1234)).toBeUndefined();
  });

  it('every message round-trips, with trailing TLVs kept and garbage after the data ignored', () => {
    const samples = {
      temporaryChannelFailure: { channelUpdate: fromHex('0102') },
      incorrectCltvExpiry: { cltvExpiry: 800_000, channelUpdate: new Uint8Array(0) },
      channelDisabled: { disabledFlags: 0, channelUpdate: fromHex('ff') },
      invalidOnionPayload: { type: 6n, offset: 12 },
      invalidOnionHmac: { sha256OfOnion: new Uint8Array(32).fill(9) },
      finalIncorrectHtlcAmount: { incomingHtlcAmt: 1n },
    } as const;
    for (const [name, data] of Object.entries(samples)) {
      const m = failureMessage(name as FailureName, data as never);
      const decoded = decodeFailureMessage(encodeFailureMessage(m));
      expect(decoded).toEqual({ ok: true, value: m });
    }
    const withGarbage = fromHex('2002' + 'fd');
    expect(decodeFailureMessage(withGarbage)).toEqual({ ok: true, value: { name: 'temporaryNodeFailure', failureCode: 0x2002, data: {} } });
  });

  it('round-trips incorrect_or_unknown_payment_details and fee_insufficient with odd TLVs (property)', () => {
    const tlvs = fc.uniqueArray(fc.bigInt({ min: 0n, max: 1n << 40n }).map((t) => t * 2n + 1n), { maxLength: 3 }).chain((types) =>
      fc.tuple(...types.sort((a, b) => (a < b ? -1 : 1)).map((type) => fc.uint8Array({ maxLength: 20 }).map((value) => ({ type, value })))),
    );
    const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    fc.assert(
      fc.property(u64, fc.nat({ max: 0xffffffff }), fc.uint8Array({ maxLength: 40 }), tlvs, (htlcMsat, height, update, unknownTlvs) => {
        const extra = unknownTlvs.length === 0 ? undefined : { unknownTlvs };
        for (const m of [
          failureMessage('incorrectOrUnknownPaymentDetails', { htlcMsat, height }, extra),
          failureMessage('feeInsufficient', { htlcMsat, channelUpdate: update }, extra),
        ]) {
          expect(decodeFailureMessage(encodeFailureMessage(m))).toEqual({ ok: true, value: m });
        }
      }),
    );
  });

  it('decodeFailure never throws on garbage', () => {
    const secrets = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        expect(typeof decodeFailure(secrets, bytes).ok).toBe('boolean');
      }),
    );
  });

  it('decodeFailureMessage never throws on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const r = decodeFailureMessage(bytes);
        expect(typeof r.ok).toBe('boolean');
      }),
    );
  });
});
