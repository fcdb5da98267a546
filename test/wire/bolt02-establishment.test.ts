// BOLT 2 channel establishment and close messages: the hand-built vectors of
// test/support/bolt02-vectors.ts (one per message, field by field from the
// spec's field tables), then truncation, extension-TLV and bad-value cases.
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../shared/codec/index.js';
import { MESSAGE_TYPE, decodeMessage, encodeMessage, featuresFromBits } from '../../shared/wire/index.js';
import type { MessageDecodeResult, WireMessage } from '../../shared/wire/index.js';
import {
  acceptChannel,
  ANCHORS_TYPE,
  CHANNEL_ID,
  channelReady,
  channelReestablish,
  closingSigned,
  E_BASE_POINT,
  E_LOCALPUBKEY,
  E_PER_COMMITMENT_POINT,
  E_REVOCATIONPUBKEY,
  FUNDING_TXID_WIRE,
  fundingCreated,
  fundingSigned,
  LOCAL_DELAYED_BASEPOINT,
  LOCAL_FUNDING_PUBKEY,
  LOCAL_PAYMENT_BASEPOINT,
  openChannel,
  P2WPKH,
  REMOTE_FUNDING_PUBKEY,
  REMOTE_PAYMENT_BASEPOINT,
  REMOTE_REVOCATION_BASEPOINT,
  SIG_A,
  SIG_B,
  shutdown,
  typeHex,
  VECTORS,
} from '../support/bolt02-vectors.js';
import type { Vector } from '../support/bolt02-vectors.js';
import appendixC from '../vectors/bolt03-commitment-static-remotekey.json' with { type: 'json' };
import appendixE from '../vectors/bolt03-keys-and-secrets.json' with { type: 'json' };

const h = hexToBytes;

function decoded(hex: string): WireMessage {
  const result = decodeMessage(hexToBytes(hex));
  if (result.kind !== 'message') throw new Error(`expected a message, got ${JSON.stringify(result)}`);
  return result.message;
}

function errorReason(result: MessageDecodeResult): string | undefined {
  return result.kind === 'decode-error' ? result.error.reason : undefined;
}

/** The vector's fixed part (type + fixed fields) with `tail` as its extension. */
function withExtension(v: Vector, tail: string): string {
  return v.hex.slice(0, 2 * v.fixedLength) + tail;
}

describe('vector inputs come from BOLT 3', () => {
  const base = appendixC.base_parameters;
  const internal = base.internal_values_from_html_comment;
  it('points are the spec values', () => {
    expect(LOCAL_FUNDING_PUBKEY).toBe(base.local_funding_pubkey);
    expect(REMOTE_FUNDING_PUBKEY).toBe(base.remote_funding_pubkey);
    expect(LOCAL_PAYMENT_BASEPOINT).toBe(base.local_payment_basepoint);
    expect(LOCAL_PAYMENT_BASEPOINT).toBe(base.local_htlc_basepoint);
    expect(REMOTE_PAYMENT_BASEPOINT).toBe(base.remote_payment_basepoint);
    expect(LOCAL_DELAYED_BASEPOINT).toBe(internal.local_delayed_payment_basepoint);
    expect(REMOTE_REVOCATION_BASEPOINT).toBe(internal.remote_revocation_basepoint);
    expect(E_BASE_POINT).toBe(appendixE.key_derivation.base_point);
    expect(E_PER_COMMITMENT_POINT).toBe(appendixE.key_derivation.per_commitment_point);
    expect(E_PER_COMMITMENT_POINT).toBe(internal.local_per_commitment_point);
    expect(E_LOCALPUBKEY).toBe(appendixE.key_derivation.tests[0]!.result);
    expect(E_REVOCATIONPUBKEY).toBe(appendixE.key_derivation.tests[2]!.result);
  });

  it('funding txid on the wire is the displayed txid reversed, as the commitment tx spends it', () => {
    expect(bytesToHex(h(base.funding_tx_id).reverse())).toBe(FUNDING_TXID_WIRE);
    expect(base.funding_output_index).toBe(0);
    const case0 = appendixC.test_cases[0]!;
    // The commitment tx: version 02000000, marker+flag 0001, 1 input, then the outpoint's txid.
    expect(case0.output_commit_tx.slice(0, 14)).toBe('02000000' + '0001' + '01');
    expect(case0.output_commit_tx.slice(14, 14 + 64)).toBe(FUNDING_TXID_WIRE);
    expect(case0.output_commit_tx).toContain('16' + P2WPKH); // the to_remote output script, length-prefixed
  });

  it('compact signatures are r || s of the DER signatures', () => {
    const case0 = appendixC.test_cases[0]!;
    // DER: 30 len 02 rlen r 02 slen s; r of the remote signature has a 00 pad (rlen 0x21).
    expect(case0.remote_signature).toBe('3045' + '0221' + '00' + SIG_A.slice(0, 64) + '0220' + SIG_A.slice(64));
    expect(case0.local_signature).toBe('3044' + '0220' + SIG_B.slice(0, 64) + '0220' + SIG_B.slice(64));
  });

  it('channel_type 401000 is bits 22 and 12 (option_anchors)', () => {
    expect(bytesToHex(featuresFromBits([12, 22]))).toBe(ANCHORS_TYPE);
  });
});

describe('BOLT 2 establishment messages: hand-built vectors', () => {
  it('covers every new message type', () => {
    expect(VECTORS.map((v) => v.message.type)).toEqual([
      MESSAGE_TYPE.openChannel,
      MESSAGE_TYPE.acceptChannel,
      MESSAGE_TYPE.fundingCreated,
      MESSAGE_TYPE.fundingSigned,
      MESSAGE_TYPE.channelReady,
      MESSAGE_TYPE.shutdown,
      MESSAGE_TYPE.closingSigned,
      MESSAGE_TYPE.channelReestablish,
    ]);
    expect(VECTORS.map((v) => v.hex.slice(0, 4))).toEqual(VECTORS.map((v) => typeHex(v.message.type)));
  });

  it('fixed parts have the lengths BOLT 2 gives', () => {
    // open_channel: 2 + 32 + 32 + 6*8 + 4 + 2*2 + 6*33 + 1 = 321
    expect(openChannel.fixedLength).toBe(2 + 32 + 32 + 6 * 8 + 4 + 2 * 2 + 6 * 33 + 1);
    expect(openChannel.fixedLength).toBe(321);
    // accept_channel: 2 + 32 + 4*8 + 4 + 2*2 + 6*33 = 272
    expect(acceptChannel.fixedLength).toBe(272);
    expect(fundingCreated.fixedLength).toBe(2 + 32 + 32 + 2 + 64);
    expect(fundingSigned.fixedLength).toBe(2 + 32 + 64);
    expect(channelReady.fixedLength).toBe(2 + 32 + 33);
    expect(shutdown.fixedLength).toBe(2 + 32 + 2 + 22);
    expect(closingSigned.fixedLength).toBe(2 + 32 + 8 + 64);
    expect(channelReestablish.fixedLength).toBe(2 + 32 + 8 + 8 + 32 + 33);
  });

  for (const v of VECTORS) {
    it(`${v.name}: decodes to the record and re-encodes byte for byte`, () => {
      expect(decoded(v.hex)).toEqual(v.message);
      expect(bytesToHex(encodeMessage(v.message))).toBe(v.hex);
    });
  }

  it('a zero-length shutdown script and a closing_signed without fee_range are valid', () => {
    expect(decoded(typeHex(38) + CHANNEL_ID + '0000')).toEqual({ type: 38, channelId: h(CHANNEL_ID), scriptpubkey: new Uint8Array(0) });
    expect(decoded(closingSigned.hex.slice(0, 2 * closingSigned.fixedLength))).toEqual({
      type: 39,
      channelId: h(CHANNEL_ID),
      feeSatoshis: 10860n,
      signature: h(SIG_B),
    });
  });
});

describe('truncated input: short-read at every length', () => {
  for (const v of VECTORS) {
    it(`${v.name}: every strict prefix is a short-read, or a message if it ends on a TLV record`, () => {
      const full = hexToBytes(v.hex);
      for (let cut = 0; cut < full.length; cut++) {
        const result = decodeMessage(full.subarray(0, cut));
        const boundary = cut === v.fixedLength || v.recordEnds.includes(cut);
        if (boundary) {
          // A stream cut after a whole record is a valid shorter stream.
          expect(result.kind, `cut ${cut}`).toBe('message');
          expect(bytesToHex(encodeMessage((result as { message: WireMessage }).message))).toBe(bytesToHex(full.subarray(0, cut)));
        } else {
          expect(errorReason(result), `cut ${cut}`).toBe('short-read');
          expect(result.kind === 'decode-error' && result.type, `cut ${cut}`).toBe(cut < 2 ? null : v.message.type);
        }
      }
    });
  }
});

describe('extension TLV stream', () => {
  for (const v of VECTORS) {
    it(`${v.name}: unknown even types fail the message`, () => {
      // Appended after the vector's records (which use types 0 and 1 at most), so the stream stays ordered.
      for (const even of ['02' + '00', '02' + '01ff', 'fe00010000' + '00', '32' + '02abcd']) {
        expect(errorReason(decodeMessage(h(v.hex + even))), even).toBe('unknown-even-type');
      }
      // Type 0 is known only to open_channel and accept_channel.
      const zero = decodeMessage(h(withExtension(v, '00' + '00')));
      if (v.message.type === 32 || v.message.type === 33) expect(zero.kind).toBe('message');
      else expect(errorReason(zero)).toBe('unknown-even-type');
    });

    it(`${v.name}: unknown odd types are kept and re-emitted`, () => {
      const tail = '03' + '02cafe' + 'fd0101' + '00' + 'ff8000000000000001' + '01ee';
      const msg = decoded(v.hex + tail);
      expect(msg).toEqual({
        ...v.message,
        unknownTlvs: [
          { type: 3n, value: h('cafe') },
          { type: 0x101n, value: new Uint8Array(0) },
          { type: 0x8000000000000001n, value: h('ee') },
        ],
      });
      expect(bytesToHex(encodeMessage(msg))).toBe(v.hex + tail);
    });

    it(`${v.name}: records out of order or repeated fail the message`, () => {
      expect(errorReason(decodeMessage(h(v.hex + '07' + '00' + '03' + '00')))).toBe('tlv-out-of-order');
      expect(errorReason(decodeMessage(h(v.hex + '07' + '00' + '07' + '00')))).toBe('tlv-out-of-order');
    });
  }

  it('empty known records and a following odd record round-trip', () => {
    const msg = decoded(withExtension(openChannel, '00' + '00' + '01' + '00' + '03' + '0101'));
    expect(msg).toMatchObject({ upfrontShutdownScript: new Uint8Array(0), channelType: new Uint8Array(0) });
    expect(bytesToHex(encodeMessage(msg))).toBe(withExtension(openChannel, '0000' + '0100' + '030101'));
  });

  it('known records with a wrong length are invalid-value', () => {
    // fee_range is 16 bytes; alias is 8.
    expect(errorReason(decodeMessage(h(withExtension(closingSigned, '01' + '0f' + '00'.repeat(15)))))).toBe('invalid-value');
    expect(errorReason(decodeMessage(h(withExtension(closingSigned, '01' + '11' + '00'.repeat(17)))))).toBe('invalid-value');
    expect(errorReason(decodeMessage(h(withExtension(channelReady, '01' + '07' + '00'.repeat(7)))))).toBe('invalid-value');
    expect(errorReason(decodeMessage(h(withExtension(channelReady, '01' + '09' + '00'.repeat(9)))))).toBe('invalid-value');
    // next_funding and my_current_funding_locked are 33 bytes (txid, flags).
    expect(errorReason(decodeMessage(h(withExtension(channelReestablish, '01' + '20' + '00'.repeat(32)))))).toBe('invalid-value');
    expect(errorReason(decodeMessage(h(withExtension(channelReestablish, '05' + '22' + '00'.repeat(34)))))).toBe('invalid-value');
  });

  it('channel_reestablish: next_funding (1) and my_current_funding_locked (5) decode and re-encode', () => {
    const ext = '01' + '21' + FUNDING_TXID_WIRE + '01' + '05' + '21' + 'aa'.repeat(32) + '00';
    const msg = decoded(withExtension(channelReestablish, ext));
    expect(msg).toMatchObject({
      nextFunding: { txid: h(FUNDING_TXID_WIRE), retransmitFlags: 1 },
      myCurrentFundingLocked: { txid: new Uint8Array(32).fill(0xaa), retransmitFlags: 0 },
    });
    expect(bytesToHex(encodeMessage(msg))).toBe(withExtension(channelReestablish, ext));
  });

  it('a TLV length past the end of the message is a short-read', () => {
    expect(errorReason(decodeMessage(h(withExtension(openChannel, '00' + '16' + P2WPKH.slice(2)))))).toBe('short-read');
  });
});

describe('bad values', () => {
  it('a point without an 02/03 prefix is invalid-value, in every point field', () => {
    const pointOffsets: [Vector, number[]][] = [
      [openChannel, [0, 1, 2, 3, 4, 5].map((i) => 2 + 32 + 32 + 48 + 4 + 4 + 33 * i)],
      [acceptChannel, [0, 1, 2, 3, 4, 5].map((i) => 2 + 32 + 32 + 4 + 4 + 33 * i)],
      [channelReady, [2 + 32]],
      [channelReestablish, [2 + 32 + 8 + 8 + 32]],
    ];
    for (const [v, offsets] of pointOffsets) {
      for (const at of offsets) {
        const bytes = h(v.hex);
        expect([0x02, 0x03]).toContain(bytes[at]);
        for (const prefix of [0x00, 0x04, 0x06, 0xff]) {
          bytes[at] = prefix;
          expect(errorReason(decodeMessage(bytes)), `${v.name} @${at}`).toBe('invalid-value');
        }
      }
    }
  });

  it('encoding rejects fields of the wrong size', () => {
    expect(() => encodeMessage({ ...fundingCreated.message, signature: new Uint8Array(63) } as WireMessage)).toThrow(/64 bytes/);
    expect(() => encodeMessage({ ...fundingCreated.message, fundingTxid: new Uint8Array(33) } as WireMessage)).toThrow(/32 bytes/);
    expect(() => encodeMessage({ ...openChannel.message, fundingPubkey: new Uint8Array(33) } as WireMessage)).toThrow(/02 or 03/);
    expect(() => encodeMessage({ ...openChannel.message, toSelfDelay: 0x10000 } as WireMessage)).toThrow();
    expect(() => encodeMessage({ ...openChannel.message, channelFlags: 256 } as WireMessage)).toThrow();
    expect(() => encodeMessage({ ...openChannel.message, pushMsat: 1n << 64n } as WireMessage)).toThrow();
  });
});
