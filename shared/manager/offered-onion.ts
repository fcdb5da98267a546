/**
 * The onion of an HTLC we offered for a payment of ours, kept as the keys
 * that build it rather than as its 1,366 bytes (docs/items.md, "Bytes per
 * HTLC"). The record `ONION_OUT#<channel id>#<htlc id>` holds what the
 * symmetric half of BOLT 4 packet construction needs (shared/onion
 * `wrapOnion`): the session key (the `pad` stream), the first hop's
 * ephemeral public key, and each hop's shared secret and payload; about
 * 100 bytes a hop. Building the packet again (the holding cell's
 * `update_add_htlc` sent by a `revoke_and_ack`, one lost with a
 * connection) gives the very same bytes without a point operation.
 *
 * A forward's onion comes from the incoming HTLC, not from keys of ours:
 * it is stored whole, as before, and so are the records written before
 * this one (1,366 bytes starting with version 0); both read as they are.
 */
import { DecodeError, fixedBytes, point, repeated, struct, tlvRecord, u16PrefixedBytes, versionedRecord, type DecodeResult } from '../codec/index.js';
import { ONION_PACKET_LENGTH, ONION_VERSION, wrapOnion, type WrappedHop } from '../onion/index.js';

/** What builds an onion of ours again: the session key, the first hop's ephemeral key, each hop's shared secret and payload. */
export interface OfferedOnionKeys {
  readonly sessionKey: Uint8Array;
  readonly ephemeralPublicKey: Uint8Array;
  readonly hops: readonly WrappedHop[];
}

/** Version 1: 0 session key, 2 the first hop's ephemeral public key, 4 the hops (shared secret, u16-prefixed payload). */
const offeredOnionRecord = versionedRecord('offered-onion', 1, {
  sessionKey: tlvRecord(0, fixedBytes(32)),
  ephemeralPublicKey: tlvRecord(2, point),
  hops: tlvRecord(4, repeated(struct([['sharedSecret', fixedBytes(32)], ['payload', u16PrefixedBytes]] as const))),
});

/** The record of an onion of ours ({@link OfferedOnionKeys}). */
export function encodeOfferedOnion(keys: OfferedOnionKeys): Uint8Array {
  return offeredOnionRecord.encode({ sessionKey: keys.sessionKey, ephemeralPublicKey: keys.ephemeralPublicKey, hops: keys.hops });
}

/**
 * The packet an `ONION_OUT#` record stands for, committed to `paymentHash`:
 * the stored packet itself (a forward's, or a record written before the
 * keys), or the one its keys build. Never throws: bad bytes are a DecodeError.
 */
export function offeredOnionPacket(bytes: Uint8Array, paymentHash: Uint8Array): DecodeResult<Uint8Array> {
  if (bytes.length === ONION_PACKET_LENGTH && bytes[0] === ONION_VERSION) return { ok: true, value: bytes };
  const decoded = offeredOnionRecord.decode(bytes);
  if (!decoded.ok) return decoded;
  const { sessionKey, ephemeralPublicKey, hops } = decoded.value;
  if (sessionKey === undefined || ephemeralPublicKey === undefined || hops === undefined) {
    return { ok: false, error: new DecodeError('invalid-value', 'offered-onion: a required record is missing') };
  }
  try {
    return { ok: true, value: wrapOnion(sessionKey, ephemeralPublicKey, hops, paymentHash) };
  } catch (e) {
    return { ok: false, error: new DecodeError('invalid-value', `offered-onion: ${(e as Error).message}`) };
  }
}
