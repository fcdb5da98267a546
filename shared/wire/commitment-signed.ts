/**
 * The `commitment_signed` message (BOLT 2, "Normal Operation", "Committing
 * Updates So Far: `commitment_signed`"), type 132.
 */
import { DecodeError, EncodeError } from '../codec/index.js';
import type { Codec, UnknownTlvRecord } from '../codec/index.js';
import { defineMessage } from './message-codec.js';
import type { MessageCodec } from './message-codec.js';
import { channelId, signature } from './wire-types.js';

/**
 * `commitment_signed`: the sender's signature of the receiver's next
 * commitment transaction, and one signature per HTLC output of it (for the
 * second-stage HTLC transactions), in the commitment's output order.
 */
export interface CommitmentSignedMessage {
  readonly type: 132;
  readonly channelId: Uint8Array;
  /** 64-byte compact signature of the commitment by the sender's `funding_pubkey`. */
  readonly signature: Uint8Array;
  /** `num_htlcs` then that many 64-byte signatures (the count is implicit). */
  readonly htlcSignatures: readonly Uint8Array[];
  /** Unknown odd records of `commitment_signed_tlvs` (e.g. splicing's `funding_txid`), kept as received. */
  readonly unknownTlvs?: readonly UnknownTlvRecord[];
}

/** `[u16:num_htlcs] [num_htlcs*signature:htlc_signature]`. */
const htlcSignatureList: Codec<readonly Uint8Array[]> = {
  read: (r) => {
    const count = r.u16();
    if (count * 64 > r.remaining) throw new DecodeError('short-read', `num_htlcs ${count} needs ${count * 64} bytes`);
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) out.push(signature.read(r));
    return out;
  },
  write: (w, sigs) => {
    if (sigs.length > 0xffff) throw new EncodeError('value-out-of-range', `${sigs.length} HTLC signatures exceed a u16 count`);
    w.u16(sigs.length);
    for (const s of sigs) signature.write(w, s);
  },
};

/** Codec of `commitment_signed`, declared as its BOLT 2 field table. */
export const commitmentSignedCodec: MessageCodec<CommitmentSignedMessage> = defineMessage({
  type: 132,
  name: 'commitment_signed',
  fields: [
    ['channelId', channelId],
    ['signature', signature],
    ['htlcSignatures', htlcSignatureList],
  ],
  tlvs: {},
});
