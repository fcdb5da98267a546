/**
 * BOLT 3 Appendix F (option_anchors): every test case byte for byte: the
 * commitment tx with both anchors, the remote's commitment signature, and
 * every HTLC transaction (remote signature SIGHASH_SINGLE|ANYONECANPAY).
 */
import { describe, expect, it } from 'vitest';
import { fromHex, nobleSecp256k1, signatureToDer, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import {
  ANCHOR_OUTPUT_SAT,
  ChannelType,
  CommitmentOutputKind,
  SighashType,
  buildCommitmentTransaction,
  buildHtlcTransactions,
  compactFromDer,
  finalizeCommitment,
  finalizeHtlcTransaction,
  signCommitment,
  signHtlcTransactionAsLocal,
  signHtlcTransactionAsRemote,
  verifyRemoteHtlcSignature,
} from '../../shared/tx/index.js';
import { htlcsFor, keys, paramsFor, secrets } from '../support/bolt03.js';
import vectors from '../vectors/bolt03-commitment-anchors.json' with { type: 'json' };

describe('BOLT 3 Appendix F: base parameters are Appendix C', () => {
  it('uses the same base parameters as the static_remotekey file', async () => {
    const c = await import('../vectors/bolt03-commitment-static-remotekey.json', { with: { type: 'json' } });
    expect(vectors.base_parameters).toEqual(c.default.base_parameters);
  });
});

it('holds every test case of the appendix (9)', () => {
  expect(vectors.test_cases).toHaveLength(9);
});

describe.each([nobleSecp256k1, wasmSecp256k1])('BOLT 3 Appendix F anchors test cases ($name)', (secp) => {
  it.each(vectors.test_cases.map((t) => [t.Name, t] as const))('%s', (_name, t) => {
    const caseHtlcs = htlcsFor(t.Name, t.UseTestHtlcs);
    const params = paramsFor(
      ChannelType.Anchors,
      { toLocalMsat: BigInt(t.LocalBalance), toRemoteMsat: BigInt(t.RemoteBalance), feeratePerKw: BigInt(t.FeePerKw), dustLimitSat: BigInt(t.DustLimitSatoshis) },
      caseHtlcs,
    );
    const commitment = buildCommitmentTransaction(params);
    const anchorsOut = commitment.outputs.filter((o) => o.kind === CommitmentOutputKind.LocalAnchor || o.kind === CommitmentOutputKind.RemoteAnchor);
    expect(anchorsOut.length).toBeGreaterThanOrEqual(1);
    for (const a of anchorsOut) expect(a.amountSat).toBe(ANCHOR_OUTPUT_SAT);

    const localSig = signCommitment(secp, commitment, secrets.localFunding);
    const remoteSig = signCommitment(secp, commitment, secrets.remoteFunding);
    expect(toHex(signatureToDer(remoteSig))).toBe(t.RemoteSigHex);
    expect(finalizeCommitment(commitment, localSig, remoteSig).toHex()).toBe(t.ExpectedCommitmentTxHex);

    const htlcTxs = buildHtlcTransactions(commitment);
    expect(htlcTxs).toHaveLength(t.HtlcDescs.length);
    htlcTxs.forEach((h, i) => {
      const expected = t.HtlcDescs[i]!;
      expect(h.remoteSighashType).toBe(SighashType.SingleAnyoneCanPay);
      expect(h.tx.ins[0]!.sequence).toBe(1);
      const remoteHtlcSig = signHtlcTransactionAsRemote(secp, h, secrets.remoteHtlc);
      expect(toHex(signatureToDer(remoteHtlcSig))).toBe(expected.RemoteSigHex);
      expect(verifyRemoteHtlcSignature(secp, h, compactFromDer(fromHex(expected.RemoteSigHex)), keys.remoteHtlcPubkey)).toBe(true);
      const localHtlcSig = signHtlcTransactionAsLocal(secp, h, secrets.localHtlc);
      const htlc = caseHtlcs[h.htlcIndex]!;
      const final = finalizeHtlcTransaction(h, remoteHtlcSig, localHtlcSig, h.kind === 'htlc-success' ? htlc.preimage : undefined);
      expect(final.toHex()).toBe(expected.ResolutionTxHex);
      expect(BigInt(final.weight())).toBeLessThanOrEqual(h.expectedWeight);
    });
  });
});
