/**
 * A received HTLC's onion as the `ONION#<channel id>#<htlc id>` record keeps
 * it (docs/items.md, "Bytes per HTLC"): peeled when the `update_add_htlc`
 * comes (the one ECDH its decision needs, made earlier), so the record
 * holds our shared secret with the sender and our payload (about 100
 * bytes) and, for a forward, the next hop's packet, rather than the
 * 1,366-byte packet. A packet that does not peel is kept as it came, and
 * so are records written before: both are peeled when read, as before.
 */
import { decodeOnionEntry, encodeOnionRecord, encodePeeledOnionRecord, type OnionEntry } from '../channel/index.js';
import type { DecodeResult } from '../codec/index.js';
import { peelOnion, type PeelResult } from '../onion/index.js';
import type { ManagerPorts } from './manager-types.js';

/** The record of the onion `packet` of a received HTLC, peeled now when it peels; `failBackCode` when it was refused at admission. */
export function receivedOnionRecord(ports: Pick<ManagerPorts, 'secp' | 'nodeSigner'>, packet: Uint8Array, paymentHash: Uint8Array, failBackCode?: number): Uint8Array {
  const peeled = peelOnion(ports.secp, (point) => ports.nodeSigner.ecdh(point), packet, paymentHash);
  return peeled.ok ? encodePeeledOnionRecord(peeled.value, failBackCode) : encodeOnionRecord(packet, failBackCode);
}

/** A stored onion, decoded ({@link receivedOnionRecord}, or a record of before). */
export function decodeReceivedOnion(bytes: Uint8Array): DecodeResult<OnionEntry> {
  return decodeOnionEntry(bytes);
}

/** What peeling the stored onion gives: the peel made when it came, or (a packet kept as it came) the packet peeled now. */
export function peelReceivedOnion(ports: Pick<ManagerPorts, 'secp' | 'nodeSigner'>, entry: OnionEntry, paymentHash: Uint8Array): PeelResult {
  if (entry.peeled !== undefined) return { ok: true, value: entry.peeled };
  return peelOnion(ports.secp, (point) => ports.nodeSigner.ecdh(point), entry.onion, paymentHash);
}
