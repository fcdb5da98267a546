// Cross-check of the BOLT 2 "Normal Operation" codecs (types 128-135) against
// real LDK 0.1 (the `lightningdevkit` WASM build): LDK reads the payloads we
// write to the same field values and writes them back byte for byte, and we
// read LDK's constructions to the same bytes. BOLT 1's vector file has no
// vectors for these messages: LDK stands in for them.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ldk from 'lightningdevkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../shared/codec/index.js';
import { decodeMessage, encodeMessage } from '../../shared/wire/index.js';
import type { WireMessage } from '../../shared/wire/index.js';

beforeAll(async () => {
  const pkg = createRequire(import.meta.url).resolve('lightningdevkit/package.json');
  await ldk.initializeWasmFromBinary(readFileSync(join(dirname(pkg), 'liblightningjs.wasm')));
});

const h = hexToBytes;
const CID = h('11'.repeat(32));
/** The generator point (a valid public key: LDK aborts on invalid ones). */
const G = h('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798');
/** A compact signature with r = s = 1: in range, so LDK parses it. */
const SIG = h('00'.repeat(31) + '01' + '00'.repeat(31) + '01');
const SIG2 = h('00'.repeat(31) + '02' + '00'.repeat(31) + '03');
const ONION = h('00' + bytesToHex(G) + '5a'.repeat(1300) + '77'.repeat(32));

function payload(m: WireMessage): Uint8Array {
  return encodeMessage(m).subarray(2);
}

function ok<T>(result: { is_ok(): boolean }, what: string): T {
  if (!result.is_ok()) throw new Error(`LDK refused ${what}`);
  return (result as unknown as { res: T }).res;
}

describe('LDK reads ours and writes the same bytes', () => {
  it('update_add_htlc (with and without blinding point)', () => {
    for (const blindingPoint of [undefined, G]) {
      const m: WireMessage = { type: 128, channelId: CID, id: 5n, amountMsat: 123_456n, paymentHash: h('22'.repeat(32)), cltvExpiry: 800_123, onionRoutingPacket: ONION, ...(blindingPoint ? { blindingPoint } : {}) };
      const bytes = payload(m);
      const read = ok<ldk.UpdateAddHTLC>(ldk.UpdateAddHTLC.constructor_read(bytes), 'update_add_htlc');
      expect(read.get_htlc_id()).toBe(5n);
      expect(read.get_amount_msat()).toBe(123_456n);
      expect(read.get_cltv_expiry() >>> 0).toBe(800_123);
      expect(read.get_payment_hash()).toEqual(h('22'.repeat(32)));
      expect(read.get_onion_routing_packet().write()).toEqual(ONION);
      expect(bytesToHex(read.write())).toBe(bytesToHex(bytes));
    }
  });

  it('update_fulfill_htlc, update_fail_htlc, update_fail_malformed_htlc', () => {
    const fulfill = payload({ type: 130, channelId: CID, id: 9n, paymentPreimage: h('44'.repeat(32)) });
    const f = ok<ldk.UpdateFulfillHTLC>(ldk.UpdateFulfillHTLC.constructor_read(fulfill), 'update_fulfill_htlc');
    expect([f.get_htlc_id(), f.get_payment_preimage()]).toEqual([9n, h('44'.repeat(32))]);
    expect(bytesToHex(f.write())).toBe(bytesToHex(fulfill));
    const fail = payload({ type: 131, channelId: CID, id: 10n, reason: h('abcdef0102') });
    const fa = ok<ldk.UpdateFailHTLC>(ldk.UpdateFailHTLC.constructor_read(fail), 'update_fail_htlc');
    expect(fa.get_htlc_id()).toBe(10n);
    expect(bytesToHex(fa.write())).toBe(bytesToHex(fail));
    const malformed = payload({ type: 135, channelId: CID, id: 11n, sha256OfOnion: h('66'.repeat(32)), failureCode: 0xc005 });
    const ma = ok<ldk.UpdateFailMalformedHTLC>(ldk.UpdateFailMalformedHTLC.constructor_read(malformed), 'update_fail_malformed_htlc');
    expect([ma.get_htlc_id(), ma.get_failure_code() & 0xffff]).toEqual([11n, 0xc005]);
    expect(bytesToHex(ma.write())).toBe(bytesToHex(malformed));
  });

  it('commitment_signed (0 and 2 HTLC signatures), revoke_and_ack, update_fee', () => {
    for (const htlcSignatures of [[], [SIG2, SIG]]) {
      const bytes = payload({ type: 132, channelId: CID, signature: SIG, htlcSignatures });
      const c = ok<ldk.CommitmentSigned>(ldk.CommitmentSigned.constructor_read(bytes), 'commitment_signed');
      expect(c.get_signature()).toEqual(SIG);
      expect(c.get_htlc_signatures()).toEqual(htlcSignatures);
      expect(bytesToHex(c.write())).toBe(bytesToHex(bytes));
    }
    const raa = payload({ type: 133, channelId: CID, perCommitmentSecret: h('55'.repeat(32)), nextPerCommitmentPoint: G });
    const r = ok<ldk.RevokeAndACK>(ldk.RevokeAndACK.constructor_read(raa), 'revoke_and_ack');
    expect([r.get_per_commitment_secret(), r.get_next_per_commitment_point()]).toEqual([h('55'.repeat(32)), G]);
    expect(bytesToHex(r.write())).toBe(bytesToHex(raa));
    const fee = payload({ type: 134, channelId: CID, feeratePerKw: 2500 });
    const u = ok<ldk.UpdateFee>(ldk.UpdateFee.constructor_read(fee), 'update_fee');
    expect(u.get_feerate_per_kw() >>> 0).toBe(2500);
    expect(bytesToHex(u.write())).toBe(bytesToHex(fee));
  });
});

describe('we read what LDK builds', () => {
  it('LDK-constructed update_fulfill_htlc, revoke_and_ack, commitment_signed and update_fee decode to the same fields and bytes', () => {
    const id = ldk.ChannelId.constructor_new(CID);
    const built: [number, Uint8Array, WireMessage][] = [
      [130, ldk.UpdateFulfillHTLC.constructor_new(id, 3n, h('44'.repeat(32))).write(), { type: 130, channelId: CID, id: 3n, paymentPreimage: h('44'.repeat(32)) }],
      [133, ldk.RevokeAndACK.constructor_new(id, h('55'.repeat(32)), G).write(), { type: 133, channelId: CID, perCommitmentSecret: h('55'.repeat(32)), nextPerCommitmentPoint: G }],
      [132, ldk.CommitmentSigned.constructor_new(id, SIG, [SIG2], null).write(), { type: 132, channelId: CID, signature: SIG, htlcSignatures: [SIG2] }],
      [134, ldk.UpdateFee.constructor_new(id, 253).write(), { type: 134, channelId: CID, feeratePerKw: 253 }],
    ];
    for (const [type, bytes, expected] of built) {
      const framed = Uint8Array.of(type >> 8, type & 0xff, ...bytes);
      expect(decodeMessage(framed)).toEqual({ kind: 'message', message: expected });
      expect(bytesToHex(encodeMessage(expected))).toBe(bytesToHex(framed));
    }
  });
});
