/**
 * BOLT 4 `bolt04/onion-test.json` (test/vectors/bolt04-onion.json): the
 * 5-hop packet byte for byte, and each hop peeling it with its node secret
 * (payload, and the packet it forwards), on both secp256k1 backends; then
 * deliberately malformed packets.
 */
import { describe, expect, it } from 'vitest';
import { decodeBigSize } from '../../shared/codec/index.js';
import { concatBytes, fromHex, hmacSha256, nobleSecp256k1, sha256, toHex, wasmSecp256k1, type Secp256k1 } from '../../shared/crypto/index.js';
import {
  FAILURE_CODES,
  ONION_PACKET_LENGTH,
  OnionError,
  OnionErrorCode,
  createOnion,
  decodeHopPayload,
  generateKey,
  onionSharedSecrets,
  peelOnion,
  type PeeledOnion,
} from '../../shared/onion/index.js';
import vector from '../vectors/bolt04-onion.json' with { type: 'json' };
import forwards from '../vectors/bolt04-onion-forwards.json' with { type: 'json' };

/** The vector's payloads carry their BigSize length; ours are the bare TLV bytes. */
function stripLength(prefixed: string): Uint8Array {
  const bytes = fromHex(prefixed);
  const length = decodeBigSize(bytes.subarray(0, bytes[0] === 0xfd ? 3 : 1));
  if (!length.ok) throw length.error;
  const payload = bytes.subarray(bytes.length - Number(length.value));
  expect(payload.length + (bytes[0] === 0xfd ? 3 : 1)).toBe(bytes.length);
  return payload;
}

const sessionKey = fromHex(vector.generate.session_key);
const associatedData = fromHex(vector.generate.associated_data);
const hops = vector.generate.hops.map((h) => ({ pubkey: fromHex(h.pubkey), payload: stripLength(h.payload) }));
const nodeSecrets = vector.decode.map(fromHex);

function peel(secp: Secp256k1, node: Uint8Array | ((k: Uint8Array) => Uint8Array), packet: Uint8Array): PeeledOnion {
  const result = peelOnion(secp, node, packet, associatedData);
  if (!result.ok) throw new Error(`peel failed: ${result.error.reason}`);
  return result.value;
}

describe.each([wasmSecp256k1, nobleSecp256k1])('BOLT 4 onion-test.json ($name)', (secp) => {
  it('the node secrets are those of the route', () => {
    nodeSecrets.forEach((s, i) => expect(toHex(secp.publicKeyFromSecret(s))).toBe(toHex(hops[i]!.pubkey)));
  });

  it('creates the packet byte for byte', () => {
    const packet = createOnion(secp, sessionKey, hops, associatedData);
    expect(packet.length).toBe(ONION_PACKET_LENGTH);
    expect(toHex(packet)).toBe(vector.onion);
  });

  it('each hop peels its payload and forwards the next packet; the last one is final', () => {
    const sharedSecrets = onionSharedSecrets(secp, sessionKey, hops.map((h) => h.pubkey));
    let packet: Uint8Array | null = fromHex(vector.onion);
    const forwarded: string[] = [];
    for (let i = 0; i < hops.length; i++) {
      expect(packet).not.toBeNull();
      const peeled = peel(secp, nodeSecrets[i]!, packet!);
      expect(toHex(peeled.payload)).toBe(toHex(hops[i]!.payload));
      expect(toHex(peeled.sharedSecret)).toBe(toHex(sharedSecrets[i]!));
      expect(peeled.next === null).toBe(i === hops.length - 1);
      if (peeled.next !== null) {
        expect(peeled.next.length).toBe(ONION_PACKET_LENGTH);
        forwarded.push(toHex(peeled.next));
      }
      packet = peeled.next;
    }
    // The forwarded packets byte for byte: ephemeral keys from the BOLT 4 trace, HMACs from eclair's
    // reference test, whole packets pinned (test/vectors/bolt04-onion-forwards.json says where each part comes from).
    expect(forwarded).toEqual(forwards.forwards.map((f) => f.packet));
    forwarded.forEach((p, i) => {
      expect(p.slice(2, 68)).toBe(forwards.forwards[i]!.ephemeral_pubkey);
      expect(p.slice(-64)).toBe(forwards.forwards[i]!.hmac);
    });
  });

  it('peels with an ECDH function in place of the node secret', () => {
    const viaFunction = peel(secp, (k) => secp.ecdh(nodeSecrets[0]!, k), fromHex(vector.onion));
    const viaSecret = peel(secp, nodeSecrets[0]!, fromHex(vector.onion));
    expect(toHex(viaFunction.next!)).toBe(toHex(viaSecret.next!));
  });

  it('the payloads decode as BOLT 4 hop payloads', () => {
    // Hop 1 carries an unknown odd TLV (513), hop 4 payment_data and an unknown odd TLV (301).
    const first = decodeHopPayload(hops[0]!.payload, false);
    expect(first).toEqual({ ok: true, value: { kind: 'forward', amtToForward: 15000n, outgoingCltvValue: 1500, shortChannelId: 1n } });
    const second = decodeHopPayload(hops[1]!.payload, false);
    expect(second.ok && second.value.unknownTlvs?.[0]?.type).toBe(513n);
    const last = decodeHopPayload(hops[4]!.payload, true);
    expect(last.ok).toBe(true);
    if (last.ok && last.value.kind === 'final') {
      expect(last.value.amtToForward).toBe(10000n);
      expect(last.value.outgoingCltvValue).toBe(1000);
      expect(last.value.paymentData?.totalMsat).toBe(10000n);
      expect(last.value.unknownTlvs?.map((t) => t.type)).toEqual([301n]);
    }
  });
});

describe('malformed packets give typed failures (BADONION codes and sha256 of the onion)', () => {
  const secp = wasmSecp256k1;
  const good = fromHex(vector.onion);

  function failure(packet: Uint8Array, ad: Uint8Array = associatedData) {
    const result = peelOnion(secp, nodeSecrets[0]!, packet, ad);
    if (result.ok) throw new Error('expected a failure');
    return result.error;
  }

  it('bad version → invalid_onion_version (0xc004)', () => {
    const packet = good.slice();
    packet[0] = 1;
    const error = failure(packet);
    expect(error).toEqual({ reason: 'invalid-version', failureCode: 0xc004, sha256OfOnion: sha256(packet) });
    expect(error.failureCode).toBe(FAILURE_CODES.invalidOnionVersion);
  });

  it.each([
    ['a prefix other than 02/03', (p: Uint8Array) => void (p[1] = 0x04)],
    ['an x off the curve', (p: Uint8Array) => p.fill(0xff, 2, 34)],
    ['all zeros', (p: Uint8Array) => p.fill(0, 1, 34)],
  ])('bad point (%s) → invalid_onion_key (0xc006)', (_, corrupt) => {
    const packet = good.slice();
    corrupt(packet);
    expect(failure(packet)).toEqual({ reason: 'invalid-key', failureCode: 0xc006, sha256OfOnion: sha256(packet) });
  });

  it.each([
    ['a flipped hop_payloads byte', (p: Uint8Array) => void (p[500] = p[500]! ^ 1)],
    ['a flipped HMAC byte', (p: Uint8Array) => void (p[ONION_PACKET_LENGTH - 1] = p[ONION_PACKET_LENGTH - 1]! ^ 0x80)],
    ['another valid ephemeral key', (p: Uint8Array) => p.set(hops[1]!.pubkey, 1)],
  ])('bad HMAC (%s) → invalid_onion_hmac (0xc005)', (_, corrupt) => {
    const packet = good.slice();
    corrupt(packet);
    expect(failure(packet)).toEqual({ reason: 'invalid-hmac', failureCode: 0xc005, sha256OfOnion: sha256(packet) });
  });

  it('other associated data (payment hash) → invalid_onion_hmac', () => {
    expect(failure(good, new Uint8Array(32)).reason).toBe('invalid-hmac');
  });

  it('the wrong node → invalid_onion_hmac', () => {
    const result = peelOnion(secp, nodeSecrets[1]!, good, associatedData);
    expect(result.ok === false && result.error.reason).toBe('invalid-hmac');
  });

  it('a valid HMAC over a payload length below 2 → invalid_onion_payload (0x4016), not BADONION', () => {
    // Flip the first decrypted byte (the BigSize length 0x12) to 0x01, then MAC the packet as the origin would.
    const ss = secp.ecdh(sessionKey, hops[0]!.pubkey);
    const packet = good.slice();
    packet[34] = packet[34]! ^ hops[0]!.payload.length ^ 0x01;
    packet.set(hmacSha256(generateKey('mu', ss), concatBytes(packet.subarray(34, 34 + 1300), associatedData)), 34 + 1300);
    const error = failure(packet);
    expect(error.reason).toBe('invalid-payload');
    expect(error.failureCode).toBe(0x4016);
    expect(error.reason === 'invalid-payload' && toHex(error.sharedSecret)).toBe(toHex(ss));
  });

  it('a packet of the wrong length is a broken invariant (OnionError)', () => {
    expect(() => peelOnion(secp, nodeSecrets[0]!, good.subarray(0, 1365), associatedData)).toThrow(OnionError);
  });

  it('createOnion refuses an empty route, a 1-byte payload and payloads over 1,300 bytes', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof OnionError ? e.code : 'other';
      }
      return 'none';
    };
    expect(code(() => createOnion(secp, sessionKey, [], associatedData))).toBe(OnionErrorCode.EmptyRoute);
    expect(code(() => createOnion(secp, sessionKey, [{ pubkey: hops[0]!.pubkey, payload: new Uint8Array(1) }], associatedData))).toBe(
      OnionErrorCode.InvalidPayloadLength,
    );
    // 1,300 = 3 + 1,265 + 32 fits exactly; one more byte does not.
    expect(code(() => createOnion(secp, sessionKey, [{ pubkey: hops[0]!.pubkey, payload: new Uint8Array(1265) }], associatedData))).toBe('none');
    expect(code(() => createOnion(secp, sessionKey, [{ pubkey: hops[0]!.pubkey, payload: new Uint8Array(1266) }], associatedData))).toBe(
      OnionErrorCode.PayloadsTooLarge,
    );
  });
});

