/**
 * Our latest commitment once the dance moved past commitment 0, as the
 * channel record keeps it (TLV 64 of shared/channel/channel-record.ts;
 * docs/items.md "Bytes per sequential payment"): the transaction both sides
 * signed, without its witness, and the counterparty's signature. The rest
 * of the witness is derivable: the 2-of-2 funding script from both funding
 * keys, our signature made again (RFC 6979: the same bytes) when the
 * transaction is broadcast (BOLT 3 "Funding Transaction Output", BOLT 5
 * "Unilateral Close Handling"), which is rare, where storing it cost about
 * 160 bytes at every `commitment_signed`.
 */
import { DecodeError, fixedBytes, restBytes, struct, type Codec } from '../codec/index.js';
import type { ChannelSigner } from '../keys/index.js';
import { SighashType, fundingScript, fundingWitness, parseTransaction, witnessDigest } from '../tx/index.js';

/** Our latest commitment as stored: what cannot be derived. */
export interface LatestHolderCommitment {
  /** The commitment transaction without its witness (its non-segwit serialization: one input, the funding output). */
  readonly unsignedTx: Uint8Array;
  /** The counterparty's signature on it (64-byte compact, from their `commitment_signed`). */
  readonly counterpartySignature: Uint8Array;
}

/**
 * The persisted form (TLV 64): the counterparty's signature (64 bytes),
 * then the transaction. A transaction that does not parse, has trailing
 * bytes, a witness, or other than one input is a DecodeError.
 */
export const latestHolderCommitmentCodec: Codec<LatestHolderCommitment> = (() => {
  const fields = struct([
    ['counterpartySignature', fixedBytes(64)],
    ['unsignedTx', restBytes],
  ] as const);
  return {
    write: (w, c) => fields.write(w, c),
    read: (r) => {
      const v = fields.read(r);
      const tx = parseTransaction(v.unsignedTx);
      if (tx === null || tx.ins.length !== 1 || tx.hasWitnesses()) throw new DecodeError('invalid-value', 'latest holder commitment: not an unsigned one-input transaction');
      return v;
    },
  };
})();

/**
 * The stored commitment with both signatures, ready to broadcast: our
 * signature made with the funding key (the signer's, deterministic) over
 * the funding output of `fundingSat` locked by both funding keys.
 */
export function signedLatestHolderCommitment(signer: ChannelSigner, counterpartyFundingPubkey: Uint8Array, fundingSat: bigint, stored: LatestHolderCommitment): Uint8Array {
  const tx = parseTransaction(stored.unsignedTx);
  // The codec and the dance only ever hold a parsed one-input transaction.
  if (tx === null) throw new Error('latest holder commitment: the stored transaction does not parse');
  const ours = signer.publicKeys.fundingPubkey;
  const digest = witnessDigest(tx, 0, fundingScript(ours, counterpartyFundingPubkey), fundingSat, SighashType.All);
  tx.setWitness(0, fundingWitness(ours, counterpartyFundingPubkey, signer.signWithFundingKey(digest), stored.counterpartySignature));
  return new Uint8Array(tx.toBuffer());
}
