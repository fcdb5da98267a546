/**
 * BOLT 3 Appendix C (option_static_remotekey): every commitment test case,
 * byte for byte: commitment tx, both signatures, every HTLC transaction and
 * its signatures, and the printed fees and output scripts.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, nobleSecp256k1, signatureToDer, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import {
  ChannelType,
  buildCommitmentTransaction,
  buildHtlcTransactions,
  commitmentNumberFromTx,
  commitmentObscuringFactor,
  compactFromDer,
  finalizeCommitment,
  finalizeHtlcTransaction,
  signCommitment,
  signHtlcTransactionAsLocal,
  signHtlcTransactionAsRemote,
  verifyCommitmentSignature,
  verifyRemoteHtlcSignature,
} from '../../shared/tx/index.js';
import { OBSCURING_FACTOR, base, htlcsFor, keys, paramsFor, secrets } from '../support/bolt03.js';
import vectors from '../vectors/bolt03-commitment-static-remotekey.json' with { type: 'json' };

describe('BOLT 3 Appendix C: base parameters', () => {
  it('derives the obscuring factor from the payment basepoints', () => {
    expect(commitmentObscuringFactor(fromHex(base.local_payment_basepoint), fromHex(base.remote_payment_basepoint))).toBe(OBSCURING_FACTOR);
  });
  it('matches the funding witness script printed in the spec', () => {
    const c = buildCommitmentTransaction(paramsFor(ChannelType.StaticRemoteKey, { toLocalMsat: 7000000000n, toRemoteMsat: 3000000000n, feeratePerKw: 15000n, dustLimitSat: 546n }, []));
    expect('funding wscript = ' + toHex(c.fundingScript)).toBe(base.spec_comments[1]);
    expect(commitmentNumberFromTx(c.tx, OBSCURING_FACTOR)).toBe(42n);
  });
  it('has private keys matching the public keys', () => {
    expect(toHex(nobleSecp256k1.publicKeyFromSecret(secrets.localFunding))).toBe(base.local_funding_pubkey);
    expect(toHex(nobleSecp256k1.publicKeyFromSecret(secrets.remoteFunding))).toBe(base.remote_funding_pubkey);
    expect(toHex(nobleSecp256k1.publicKeyFromSecret(secrets.localHtlc))).toBe(base.local_htlcpubkey);
    expect(toHex(nobleSecp256k1.publicKeyFromSecret(secrets.remoteHtlc))).toBe(base.remote_htlcpubkey);
  });
});

it('holds every test case of the appendix (16)', () => {
  expect(vectors.test_cases).toHaveLength(16);
});

describe.each([nobleSecp256k1, wasmSecp256k1])('BOLT 3 Appendix C commitment test cases ($name)', (secp) => {
  it.each(vectors.test_cases.map((t) => [t.name, t] as const))('%s', (_name, t) => {
    const caseHtlcs = htlcsFor(t.name, t.name !== 'simple commitment tx with no HTLCs');
    const params = paramsFor(
      ChannelType.StaticRemoteKey,
      { toLocalMsat: BigInt(t.to_local_msat), toRemoteMsat: BigInt(t.to_remote_msat), feeratePerKw: BigInt(t.local_feerate_per_kw), dustLimitSat: BigInt(base.local_dust_limit_satoshi) },
      caseHtlcs,
    );
    const commitment = buildCommitmentTransaction(params);
    const { base_commitment_tx_fee_sat: baseFee, actual_commitment_tx_fee_sat: actualFee } = t.debug;
    if (baseFee !== undefined && actualFee !== undefined) {
      // Every case but the last prints its fees and all of its outputs.
      expect(commitment.baseFeeSat).toBe(BigInt(baseFee));
      expect(commitment.actualFeeSat).toBe(BigInt(actualFee));
      expect(commitment.outputs).toHaveLength(t.debug.outputs.length);
    }
    // The spec prints the outputs in the order of its construction steps; match them by amount and script.
    for (const o of t.debug.outputs) {
      const found = commitment.outputs.find((c) => c.amountSat === BigInt(o.amount_sat) && ('wscript' in o ? toHex(c.witnessScript) === o.wscript : c.kind === 'to-remote'));
      expect(found, JSON.stringify(o)).toBeDefined();
    }

    const localSig = signCommitment(secp, commitment, secrets.localFunding);
    const remoteSig = signCommitment(secp, commitment, secrets.remoteFunding);
    expect(toHex(signatureToDer(localSig))).toBe(t.local_signature);
    expect(toHex(signatureToDer(remoteSig))).toBe(t.remote_signature);
    expect(verifyCommitmentSignature(secp, commitment, compactFromDer(fromHex(t.remote_signature)), keys.remoteFundingPubkey)).toBe(true);
    expect(verifyCommitmentSignature(secp, commitment, compactFromDer(fromHex(t.remote_signature)), keys.localFundingPubkey)).toBe(false);
    const signed = finalizeCommitment(commitment, localSig, remoteSig);
    expect(signed.toHex()).toBe(t.output_commit_tx);
    expect(BigInt(signed.weight())).toBeLessThanOrEqual(commitment.expectedWeight);

    const htlcTxs = buildHtlcTransactions(commitment);
    expect(htlcTxs).toHaveLength(t.htlc_txs.length);
    expect(t.num_htlcs).toBe(t.htlc_txs.length);
    htlcTxs.forEach((h, i) => {
      const expected = t.htlc_txs[i]!;
      expect(h.commitmentOutputIndex).toBe(expected.commit_output_index);
      expect(h.kind).toBe(expected.type);
      const htlc = caseHtlcs[h.htlcIndex]!;
      expect(htlc.id).toBe(expected.htlc);
      const remoteHtlcSig = signHtlcTransactionAsRemote(secp, h, secrets.remoteHtlc);
      const localHtlcSig = signHtlcTransactionAsLocal(secp, h, secrets.localHtlc);
      expect(toHex(signatureToDer(remoteHtlcSig))).toBe(expected.remote_htlc_signature);
      expect(toHex(signatureToDer(localHtlcSig))).toBe(expected.local_htlc_signature);
      expect(verifyRemoteHtlcSignature(secp, h, remoteHtlcSig, keys.remoteHtlcPubkey)).toBe(true);
      const final = finalizeHtlcTransaction(h, remoteHtlcSig, localHtlcSig, h.kind === 'htlc-success' ? htlc.preimage : undefined);
      expect(final.toHex()).toBe(expected.tx_hex);
      expect(BigInt(final.weight())).toBeLessThanOrEqual(h.expectedWeight);
    });
  });
});
