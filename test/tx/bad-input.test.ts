/** Bad input to the transaction builders: typed `TxError`s with stable codes, never another exception. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wasmSecp256k1 } from '../../shared/crypto/index.js';
import type { CommitmentHtlc, CommitmentParams } from '../../shared/tx/index.js';
import {
  ChannelType,
  MAX_HTLCS_PER_SIDE,
  MAX_MONEY_MSAT,
  SpendKind,
  TxError,
  TxErrorCode,
  buildClosingTransaction,
  buildCommitmentTransaction,
  buildHtlcTransactions,
  buildSpendTransaction,
  compactFromDer,
  finalizeHtlcTransaction,
  fundingScript,
  obscuredLocktimeAndSequence,
  offeredHtlcScript,
  p2wpkh,
  toLocalScript,
  verifyCommitmentSignature,
} from '../../shared/tx/index.js';
import { makeFixture } from '../support/channel-fixture.js';

const secp = wasmSecp256k1;
const fixture = makeFixture(secp, { channelType: ChannelType.Anchors, offered: 3, received: 3, feeratePerKw: 1000n, dustLimitSat: 546n, toSelfDelay: 144, localIsOpener: true, seed: 7 });
const good = fixture.params;
const key = good.keys.localFundingPubkey;

function codeOf(fn: () => unknown): TxErrorCode | 'no error' {
  try {
    fn();
  } catch (e) {
    if (e instanceof TxError) return e.code;
    throw e;
  }
  return 'no error';
}

const withHtlcs = (htlcs: readonly CommitmentHtlc[]): CommitmentParams => {
  const total = htlcs.reduce((a, h) => a + h.amountMsat, 0n);
  return { ...good, htlcs, toLocalMsat: good.fundingSat * 1000n - good.toRemoteMsat - total };
};

describe('bad input → typed errors', () => {
  it('wrong-length or malformed keys', () => {
    for (const bad of [key.subarray(0, 32), new Uint8Array(34), Uint8Array.of(4, ...key.subarray(1)), new Uint8Array(0)]) {
      expect(codeOf(() => fundingScript(bad, key))).toBe(TxErrorCode.InvalidLength);
      expect(codeOf(() => toLocalScript(key, 144, bad))).toBe(TxErrorCode.InvalidLength);
      expect(codeOf(() => p2wpkh(bad))).toBe(TxErrorCode.InvalidLength);
      expect(codeOf(() => buildCommitmentTransaction({ ...good, keys: { ...good.keys, remoteHtlcPubkey: bad } }))).toBe(TxErrorCode.InvalidLength);
      expect(codeOf(() => buildCommitmentTransaction({ ...good, keys: { ...good.keys, revocationPubkey: bad } }))).toBe(TxErrorCode.InvalidLength);
    }
    const keys = { revocationPubkey: key, localHtlcPubkey: key, remoteHtlcPubkey: key };
    expect(codeOf(() => offeredHtlcScript(keys, new Uint8Array(31), false))).toBe(TxErrorCode.InvalidLength);
    expect(codeOf(() => buildCommitmentTransaction({ ...good, fundingOutpoint: { txid: new Uint8Array(31), index: 0 } }))).toBe(TxErrorCode.InvalidLength);
  });

  it('amounts that overflow or go negative', () => {
    expect(codeOf(() => buildCommitmentTransaction({ ...good, toLocalMsat: -1n }))).toBe(TxErrorCode.AmountOutOfRange);
    expect(codeOf(() => buildCommitmentTransaction({ ...good, toRemoteMsat: MAX_MONEY_MSAT + 1n }))).toBe(TxErrorCode.AmountOutOfRange);
    expect(codeOf(() => buildCommitmentTransaction({ ...good, fundingSat: 2n ** 64n }))).toBe(TxErrorCode.AmountOutOfRange);
    expect(codeOf(() => buildCommitmentTransaction({ ...good, dustLimitSat: -546n }))).toBe(TxErrorCode.AmountOutOfRange);
    const h = good.htlcs[0]!;
    expect(codeOf(() => buildCommitmentTransaction({ ...good, htlcs: [{ ...h, amountMsat: -1000n }] }))).toBe(TxErrorCode.AmountOutOfRange);
    // Balances that do not add up to the funding amount.
    expect(codeOf(() => buildCommitmentTransaction({ ...good, toLocalMsat: good.toLocalMsat + 1n }))).toBe(TxErrorCode.BalanceMismatch);
  });

  it(`more than ${MAX_HTLCS_PER_SIDE} HTLCs per side`, () => {
    const h = (offered: boolean, i: number): CommitmentHtlc => ({ offered, amountMsat: 1_000n, paymentHash: new Uint8Array(32).fill(i & 0xff), cltvExpiry: 800_000 + i });
    const many = (n: number, offered: boolean) => Array.from({ length: n }, (_, i) => h(offered, i));
    expect(codeOf(() => buildCommitmentTransaction(withHtlcs(many(MAX_HTLCS_PER_SIDE + 1, true))))).toBe(TxErrorCode.TooManyHtlcs);
    expect(codeOf(() => buildCommitmentTransaction(withHtlcs(many(MAX_HTLCS_PER_SIDE + 1, false))))).toBe(TxErrorCode.TooManyHtlcs);
    // 483 each way is allowed.
    expect(codeOf(() => buildCommitmentTransaction(withHtlcs([...many(MAX_HTLCS_PER_SIDE, true), ...many(MAX_HTLCS_PER_SIDE, false)])))).toBe('no error');
  });

  it('a feerate the opener cannot pay', () => {
    expect(codeOf(() => buildCommitmentTransaction({ ...good, feeratePerKw: 10_000_000n }))).toBe(TxErrorCode.OpenerCannotPayFee);
    // The remote is the opener and holds little: the local side never pays.
    const remoteOpener = { ...good, localIsOpener: false, toRemoteMsat: 500_000n, toLocalMsat: good.toLocalMsat + good.toRemoteMsat - 500_000n };
    expect(codeOf(() => buildCommitmentTransaction(remoteOpener))).toBe(TxErrorCode.OpenerCannotPayFee);
    expect(codeOf(() => buildCommitmentTransaction({ ...remoteOpener, localIsOpener: true }))).toBe('no error');
    expect(codeOf(() => buildCommitmentTransaction({ ...good, feeratePerKw: 2n ** 32n }))).toBe(TxErrorCode.InvalidParameter);
    expect(codeOf(() => buildCommitmentTransaction({ ...good, feeratePerKw: -1n }))).toBe(TxErrorCode.InvalidParameter);
    const closing = {
      fundingOutpoint: good.fundingOutpoint,
      fundingSat: good.fundingSat,
      localFundingPubkey: key,
      remoteFundingPubkey: good.keys.remoteFundingPubkey,
      localScriptPubKey: p2wpkh(key),
      remoteScriptPubKey: p2wpkh(good.keys.remoteFundingPubkey),
      toLocalMsat: 100_000n,
      toRemoteMsat: good.fundingSat * 1000n - 100_000n,
      localIsOpener: true,
      feeSat: 101n,
      dustLimitSat: 546n,
    };
    expect(codeOf(() => buildClosingTransaction(closing))).toBe(TxErrorCode.OpenerCannotPayFee);
    expect(codeOf(() => buildClosingTransaction({ ...closing, toLocalMsat: closing.toLocalMsat + 1n }))).toBe(TxErrorCode.BalanceMismatch);
  });

  it('out-of-range delays, expiries and commitment numbers', () => {
    expect(codeOf(() => buildCommitmentTransaction({ ...good, toSelfDelay: 0x10000 }))).toBe(TxErrorCode.InvalidParameter);
    expect(codeOf(() => buildCommitmentTransaction({ ...good, toSelfDelay: 1.5 }))).toBe(TxErrorCode.InvalidParameter);
    expect(codeOf(() => buildCommitmentTransaction({ ...good, commitmentNumber: 1n << 48n }))).toBe(TxErrorCode.InvalidParameter);
    expect(codeOf(() => obscuredLocktimeAndSequence(-1n, 0n))).toBe(TxErrorCode.InvalidParameter);
    const h = good.htlcs[0]!;
    expect(codeOf(() => buildCommitmentTransaction({ ...good, htlcs: [{ ...h, cltvExpiry: -1 }, ...good.htlcs.slice(1)] }))).toBe(TxErrorCode.InvalidParameter);
    expect(codeOf(() => buildCommitmentTransaction({ ...good, htlcs: [{ ...h, cltvExpiry: 2 ** 32 }, ...good.htlcs.slice(1)] }))).toBe(TxErrorCode.InvalidParameter);
  });

  it('bad signatures, preimages and sweeps', () => {
    const commitment = buildCommitmentTransaction(good);
    expect(codeOf(() => compactFromDer(Uint8Array.of(0x30, 0x01, 0x02)))).toBe(TxErrorCode.InvalidSignature);
    expect(verifyCommitmentSignature(secp, commitment, new Uint8Array(63), good.keys.remoteFundingPubkey)).toBe(false);
    expect(verifyCommitmentSignature(secp, commitment, new Uint8Array(64).fill(0xff), good.keys.remoteFundingPubkey)).toBe(false);
    const success = buildHtlcTransactions(commitment).find((h) => h.kind === 'htlc-success')!;
    const sig = new Uint8Array(64).fill(1);
    expect(codeOf(() => finalizeHtlcTransaction(success, sig, sig))).toBe(TxErrorCode.InvalidLength);
    expect(codeOf(() => finalizeHtlcTransaction(success, sig, sig, new Uint8Array(31)))).toBe(TxErrorCode.InvalidLength);
    const out = commitment.outputs.find((o) => o.kind === 'offered-htlc')!;
    const claim = { kind: SpendKind.HtlcPreimage, outpoint: { txid: commitment.tx.getHash(), index: 0 }, amountSat: out.amountSat, witnessScript: out.witnessScript, anchors: true, secretKey: fixture.secrets.remoteHtlc };
    expect(codeOf(() => buildSpendTransaction(secp, { inputs: [{ ...claim, preimage: new Uint8Array(33) }], destinationScript: p2wpkh(key), feeratePerKw: 253n }))).toBe(TxErrorCode.InvalidLength);
    expect(codeOf(() => buildSpendTransaction(secp, { inputs: [{ ...claim, preimage: new Uint8Array(32) }], destinationScript: p2wpkh(key), feeratePerKw: 1_000_000n }))).toBe(TxErrorCode.OutputBelowDust);
    expect(codeOf(() => buildSpendTransaction(secp, { inputs: [], destinationScript: p2wpkh(key), feeratePerKw: 253n }))).toBe(TxErrorCode.InvalidParameter);
    const toRemote = { kind: SpendKind.ToRemote, channelType: ChannelType.Anchors, outpoint: claim.outpoint, amountSat: 10_000n, secretKey: new Uint8Array(31) };
    expect(codeOf(() => buildSpendTransaction(secp, { inputs: [toRemote], destinationScript: p2wpkh(key), feeratePerKw: 253n }))).toBe(TxErrorCode.InvalidLength);
  });

  it('random garbage never escapes as anything but a TxError', () => {
    const bytesArb = fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 40 }), fc.constant(key));
    const amountArb = fc.oneof(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.bigInt({ min: 0n, max: 20_000_000_000n }));
    fc.assert(
      fc.property(
        fc.record({
          toLocalMsat: amountArb,
          toRemoteMsat: amountArb,
          feeratePerKw: fc.bigInt({ min: -10n, max: 2n ** 33n }),
          dustLimitSat: amountArb,
          toSelfDelay: fc.integer({ min: -5, max: 70_000 }),
          commitmentNumber: fc.bigInt({ min: -1n, max: 2n ** 49n }),
          remoteHtlcPubkey: bytesArb,
          htlcAmount: amountArb,
          htlcCount: fc.integer({ min: 0, max: 5 }),
          balanced: fc.boolean(),
        }),
        (r) => {
          const htlcs = Array.from({ length: r.htlcCount }, (_, i) => ({ ...good.htlcs[0]!, offered: i % 2 === 0, amountMsat: r.htlcAmount }));
          // Half the time, balances add up so the checks past the balance equation run too.
          const toLocalMsat = r.balanced ? good.fundingSat * 1000n - r.toRemoteMsat - r.htlcAmount * BigInt(r.htlcCount) : r.toLocalMsat;
          const params: CommitmentParams = {
            ...good,
            toLocalMsat,
            toRemoteMsat: r.toRemoteMsat,
            feeratePerKw: r.feeratePerKw,
            dustLimitSat: r.dustLimitSat,
            toSelfDelay: r.toSelfDelay,
            commitmentNumber: r.commitmentNumber,
            keys: { ...good.keys, remoteHtlcPubkey: r.remoteHtlcPubkey },
            htlcs,
          };
          const code = codeOf(() => {
            const c = buildCommitmentTransaction(params);
            buildHtlcTransactions(c);
          });
          expect(code === 'no error' || Object.values(TxErrorCode).includes(code)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
