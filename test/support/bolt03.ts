/** Appendix C base parameters turned into builder inputs, shared by the BOLT 3 vector suites. */
import { fromHex, sha256 } from '../../shared/crypto/index.js';
import type { ChannelType, CommitmentHtlc, CommitmentKeys, CommitmentParams } from '../../shared/tx/index.js';
import { txidFromDisplayHex } from '../../shared/tx/index.js';
import vectors from '../vectors/bolt03-commitment-static-remotekey.json' with { type: 'json' };

export const base = vectors.base_parameters;
const internal = base.internal_values_from_html_comment;

/** Spec private keys carry a trailing 01 (compressed-key marker): keep the 32-byte secret. */
export const secret = (hex: string): Uint8Array => fromHex(hex).subarray(0, 32);

export const secrets = {
  localFunding: secret(base.local_funding_privkey),
  remoteFunding: secret(internal.remote_funding_privkey),
  localHtlc: secret(base.local_privkey),
  remoteHtlc: secret(internal.remote_privkey),
};

export const keys: CommitmentKeys = {
  localFundingPubkey: fromHex(base.local_funding_pubkey),
  remoteFundingPubkey: fromHex(base.remote_funding_pubkey),
  revocationPubkey: fromHex(base.local_revocation_pubkey),
  localDelayedPubkey: fromHex(base.local_delayedpubkey),
  localHtlcPubkey: fromHex(base.local_htlcpubkey),
  remoteHtlcPubkey: fromHex(base.remote_htlcpubkey),
  remotePaymentPubkey: fromHex(base.remote_payment_basepoint),
};

export const OBSCURING_FACTOR = 0x2bb038521914n;

export interface VectorHtlc extends CommitmentHtlc {
  readonly id: number;
  readonly preimage: Uint8Array;
}

/** The Appendix C HTLCs, as seen on local's commitment ("remote->local" = received by local). */
export const htlcs: readonly VectorHtlc[] = base.htlcs.map((h) => {
  const preimage = fromHex(h.payment_preimage);
  return {
    id: h.id,
    offered: h.direction === 'local->remote',
    amountMsat: BigInt(h.amount_msat),
    paymentHash: sha256(preimage),
    cltvExpiry: h.expiry,
    preimage,
  };
});

/** HTLC set of a test case: none for the first, 1/5/6 for "same amount and preimage", else 0–4 (per the spec text). */
export function htlcsFor(name: string, useHtlcs: boolean): readonly VectorHtlc[] {
  if (!useHtlcs) return [];
  if (name.includes('same amount and preimage')) return [htlcs[1]!, htlcs[5]!, htlcs[6]!];
  return htlcs.slice(0, 5);
}

export function paramsFor(
  channelType: ChannelType,
  c: { toLocalMsat: bigint; toRemoteMsat: bigint; feeratePerKw: bigint; dustLimitSat: bigint },
  caseHtlcs: readonly VectorHtlc[],
): CommitmentParams {
  return {
    channelType,
    fundingOutpoint: { txid: txidFromDisplayHex(base.funding_tx_id), index: base.funding_output_index },
    fundingSat: BigInt(base.funding_amount_satoshi),
    obscuringFactor: OBSCURING_FACTOR,
    commitmentNumber: BigInt(base.commitment_number),
    localIsOpener: true,
    toLocalMsat: c.toLocalMsat,
    toRemoteMsat: c.toRemoteMsat,
    feeratePerKw: c.feeratePerKw,
    dustLimitSat: c.dustLimitSat,
    toSelfDelay: base.local_delay,
    keys,
    htlcs: caseHtlcs,
    allowFeeShortfall: true,
  };
}
