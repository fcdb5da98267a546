/**
 * Our claims on our own commitment under `option_anchors_zero_fee_htlc_tx`
 * (issue 17, docs/force-close.md "Anchor channels"), each paid by coins of
 * the wallet (the anchor reserve, shared/wallet/anchor-reserve.ts). Pure:
 * the monitor, the channel's signer, the wallet's account and the coins to
 * spend in; signed transactions out.
 *
 * - **HTLC transactions with a fee input.** Under anchors our HTLC-timeout
 *   and HTLC-success pay no fee (BOLT 3: the counterparty signs them with
 *   SIGHASH_SINGLE|ANYONECANPAY, committing only to its own input and the
 *   output at the same index, and the transaction's version and locktime).
 *   So the HTLC input stays at index i with its output at index i, and
 *   wallet inputs and a change output are added after them; our HTLC
 *   signature, and the wallet's, are SIGHASH_ALL over the whole
 *   transaction. The input's sequence is 1 (the anchors HTLC scripts carry
 *   `1 OP_CHECKSEQUENCEVERIFY`). Several HTLCs can go in one transaction
 *   when they share the locktime their signatures commit to (every
 *   HTLC-success: 0; HTLC-timeouts of one `cltv_expiry`).
 * - **CPFP of our commitment.** A child spending our anchor (330 sat, BOLT 3
 *   `<local_funding_pubkey> OP_CHECKSIG OP_IFDUP OP_NOTIF OP_16
 *   OP_CHECKSEQUENCEVERIFY OP_ENDIF`, witness `<sig> <script>` with our
 *   funding key) and wallet coins, paying the wallet back its change: the
 *   child's fee makes the package (commitment + child) pay the target
 *   feerate. Relay: since Bitcoin Core's cluster mempool the CPFP carve-out
 *   is gone, and a commitment below the mempool's minimum fee is not
 *   accepted on its own at all (it needs package relay, which Esplora's
 *   `POST /tx` does not offer: docs/force-close.md).
 *
 * Fees count BOLT 3's expected weights (666 and 706 for the anchors HTLC
 * transactions, the anchor input's 116-byte witness) plus a P2WPKH input
 * (272 weight, a 72-byte signature) per coin and a P2WPKH change output.
 */
import { Transaction } from 'bitcoinjs-lib';
import { equalBytes, hexToBytes } from '../codec/index.js';
import type { Secp256k1 } from '../crypto/index.js';
import { INITIAL_COMMITMENT_INDEX, derivePublicKey, type ChannelSigner } from '../keys/index.js';
import {
  ANCHOR_FUNDING_WITNESS,
  ChannelType,
  INPUT_BYTES,
  SighashType,
  anchorScript,
  feeForWeight,
  htlcTransactionWeight,
  offeredHtlcScript,
  p2wpkhScriptCode,
  p2wsh,
  receivedHtlcScript,
  verifyWitnessInput,
  witnessDigest,
  witnessSignature,
  type Outpoint,
} from '../tx/index.js';
import { P2WPKH_DUST_SAT, P2WPKH_INPUT_WEIGHT, P2WPKH_OUTPUT_WEIGHT, type Bip84Account, type WalletUtxo } from '../wallet/index.js';
import { preimageOf, type ChannelMonitor } from './channel-monitor.js';
import { replacementFloorSat } from './claim-plan.js';
import type { MonitorHtlc } from './monitor-update-step.js';
import { classifyFundingSpend, holderToLocalScript } from './sweep.js';

/** The sequence of an HTLC input under anchors (its script's `1 OP_CHECKSEQUENCEVERIFY`). */
const ANCHORS_HTLC_SEQUENCE = 1;
/** Wallet inputs and the anchor input signal replaceability (BIP 125), so the claim can be bumped. */
const RBF_SEQUENCE = 0xfffffffd;

/**
 * One HTLC output of our latest anchors commitment we can claim through our
 * zero-fee HTLC transaction: what the counterparty signed (its input and
 * output) and what our signature needs.
 */
export interface AnchorHtlcClaim {
  /** Offered by us (an HTLC-timeout), else received (an HTLC-success, with its preimage). */
  readonly offered: boolean;
  readonly htlc: MonitorHtlc;
  readonly paymentHash: Uint8Array;
  /** The commitment output it spends. */
  readonly spends: Outpoint;
  readonly amountSat: bigint;
  /** The HTLC output's witness script (the anchors variant). */
  readonly witnessScript: Uint8Array;
  /** What the HTLC transaction's output pays: the commitment's `to_local` script (P2WSH). */
  readonly outputScript: Uint8Array;
  /** The HTLC transaction's nLockTime (its `cltv_expiry` for a timeout, 0 for a success): the counterparty's signature commits to it. */
  readonly locktime: number;
  /** The counterparty's SIGHASH_SINGLE|ANYONECANPAY signature (compact). */
  readonly remoteSignature: Uint8Array;
  readonly remoteHtlcPubkey: Uint8Array;
  /** Our per-commitment point of the commitment (our HTLC key is derived from it). */
  readonly perCommitmentPoint: Uint8Array;
  readonly preimage?: Uint8Array;
  /** BOLT 3's expected weight of the HTLC transaction alone (666 or 706). */
  readonly weight: bigint;
}

/**
 * The HTLCs of our latest commitment `commitmentTx` of an anchors channel
 * that our HTLC transactions can claim (else none): as
 * `holderHtlcTransactions` for static_remotekey channels, an HTLC-timeout for
 * each we offered, an HTLC-success for each received whose preimage the
 * monitor holds, each with the counterparty's signature from the monitor
 * (one per HTLC output, in output order). A signature that does not verify
 * on the one-input one-output transaction it was made for gives nothing for
 * that HTLC.
 */
export function anchorHtlcClaims(secp: Secp256k1, signer: ChannelSigner, monitor: ChannelMonitor, commitmentTx: Transaction): AnchorHtlcClaim[] {
  const spend = classifyFundingSpend(monitor, commitmentTx);
  if (spend.kind !== 'holder-commitment' || !monitor.channelType.anchors) return [];
  const withOutput = (monitor.holderHtlcs ?? []).filter((h) => h.transactionOutputIndex !== undefined).sort((a, b) => a.transactionOutputIndex! - b.transactionOutputIndex!);
  if (withOutput.length !== monitor.holderHtlcSignatures.length) return [];
  const index = INITIAL_COMMITMENT_INDEX - spend.commitmentNumber;
  const perCommitmentPoint = signer.perCommitmentPoint(index);
  const keys = {
    revocationPubkey: signer.holderRevocationPublicKey(monitor.counterparty.pubkeys.revocationBasepoint, index),
    localHtlcPubkey: signer.htlcPublicKey(perCommitmentPoint),
    remoteHtlcPubkey: derivePublicKey(secp, monitor.counterparty.pubkeys.htlcBasepoint, perCommitmentPoint),
  };
  const outputScript = p2wsh(holderToLocalScript(signer, monitor, spend.commitmentNumber).witnessScript);
  const txid = new Uint8Array(commitmentTx.getHash());
  const claims: AnchorHtlcClaim[] = [];
  withOutput.forEach((htlc, i) => {
    const vout = htlc.transactionOutputIndex!;
    const preimage = htlc.offered ? undefined : preimageOf(monitor, htlc.paymentHash);
    if (!htlc.offered && preimage === undefined) return;
    const witnessScript = htlc.offered ? offeredHtlcScript(keys, htlc.paymentHash, true) : receivedHtlcScript(keys, htlc.paymentHash, htlc.cltvExpiry, true);
    const out = commitmentTx.outs[vout];
    if (out === undefined || !equalBytes(out.script, p2wsh(witnessScript))) return;
    const claim: AnchorHtlcClaim = {
      offered: htlc.offered,
      htlc,
      paymentHash: htlc.paymentHash.slice(),
      spends: { txid, index: vout },
      amountSat: BigInt(out.value),
      witnessScript,
      outputScript,
      locktime: htlc.offered ? htlc.cltvExpiry : 0,
      remoteSignature: monitor.holderHtlcSignatures[i]!,
      remoteHtlcPubkey: keys.remoteHtlcPubkey,
      perCommitmentPoint,
      ...(preimage === undefined ? {} : { preimage }),
      weight: htlcTransactionWeight(ChannelType.Anchors, htlc.offered),
    };
    // The transaction the counterparty signed: this input and this output alone (version 2, its locktime).
    const alone = unsignedTx([claim], [], undefined);
    if (!verifyWitnessInput(secp, alone, 0, witnessScript, claim.amountSat, claim.remoteSignature, claim.remoteHtlcPubkey, SighashType.SingleAnyoneCanPay)) return;
    claims.push(claim);
  });
  return claims;
}

/** A wallet coin as signing it needs it. */
export type FundingCoin = Pick<WalletUtxo, 'txid' | 'vout' | 'valueSat' | 'keychain' | 'index'>;

/** Where the wallet's coins and change come from: the account that signs them and the change output's script. */
export interface FeeFunding {
  readonly account: Bip84Account;
  /** Confirmed wallet coins to spend (the anchor reserve's, or any; a bump: the same ones again). */
  readonly coins: readonly FundingCoin[];
  /** The wallet script the change goes to. */
  readonly changeScript: Uint8Array;
}

/** A signed claim paid by wallet coins. */
export type FeePaidTx =
  | {
      readonly kind: 'signed';
      readonly tx: Uint8Array;
      readonly txid: Uint8Array;
      /** What the transaction pays in fees (all from the wallet's coins). */
      readonly feeSat: bigint;
      /** The change back to the wallet (absent: below dust, given to the fee). */
      readonly changeSat?: bigint;
      /** The wallet coins it spends (to lock them until it confirms or is replaced). */
      readonly coins: readonly FundingCoin[];
      readonly weight: number;
    }
  /** The coins do not pay the fee the target asks (nothing signed). */
  | { readonly kind: 'coins-too-small'; readonly neededSat: bigint; readonly availableSat: bigint }
  /** HTLC claims that cannot share one transaction (different locktimes), or none. */
  | { readonly kind: 'invalid-claims'; readonly reason: string };

const outpointOf = (coin: FundingCoin) => ({ hash: hexToBytes(coin.txid).reverse(), index: coin.vout });

function unsignedTx(claims: readonly AnchorHtlcClaim[], coins: readonly FundingCoin[], change: { script: Uint8Array; valueSat: bigint } | undefined): Transaction {
  const tx = new Transaction();
  tx.version = 2;
  tx.locktime = claims[0]?.locktime ?? 0;
  for (const c of claims) tx.addInput(Uint8Array.from(c.spends.txid), c.spends.index, ANCHORS_HTLC_SEQUENCE);
  for (const coin of coins) {
    const { hash, index } = outpointOf(coin);
    tx.addInput(hash, index, RBF_SEQUENCE);
  }
  for (const c of claims) tx.addOutput(c.outputScript, c.amountSat);
  if (change !== undefined) tx.addOutput(change.script, change.valueSat);
  return tx;
}

/** Signs wallet input `inputIndex` (P2WPKH, SIGHASH_ALL). */
function signCoin(secp: Secp256k1, account: Bip84Account, tx: Transaction, inputIndex: number, coin: FundingCoin): void {
  const key = account.key(coin.keychain, coin.index);
  const signature = secp.sign(witnessDigest(tx, inputIndex, p2wpkhScriptCode(key.publicKey), coin.valueSat, SighashType.All), key.secret);
  tx.setWitness(inputIndex, [witnessSignature(signature), key.publicKey]);
}

/**
 * The fee of a transaction of `baseWeight` plus `coins` wallet inputs and a
 * change output (counted even when none is made: the fee is never below the
 * target), the change it leaves (undefined below dust: given to the fee), or
 * what is missing.
 */
function settle(
  baseWeight: bigint,
  coins: readonly Pick<WalletUtxo, 'valueSat'>[],
  feeFor: (weight: bigint) => bigint,
): { ok: true; feeSat: bigint; changeSat: bigint | undefined } | { ok: false; neededSat: bigint; availableSat: bigint } {
  const availableSat = coins.reduce((sum, c) => sum + c.valueSat, 0n);
  const feeSat = feeFor(baseWeight + BigInt(coins.length * P2WPKH_INPUT_WEIGHT + P2WPKH_OUTPUT_WEIGHT));
  if (availableSat < feeSat) return { ok: false, neededSat: feeSat, availableSat };
  const changeSat = availableSat - feeSat;
  return changeSat >= P2WPKH_DUST_SAT ? { ok: true, feeSat, changeSat } : { ok: true, feeSat: availableSat, changeSat: undefined };
}

/**
 * A bump: the fee of the version it replaces. The new version pays at least
 * that plus the incremental relay fee over its own size (BIP 125 rules 3
 * and 4, `replacementFloorSat`), whatever the feerate asks.
 */
export interface Replacing {
  readonly feeSat: bigint;
}

/** The fee for `weight` at `feeratePerKw`, never below what replacing `replacing` takes. */
function feeWithFloor(feeFor: (weight: bigint) => bigint, replacing: Replacing | undefined): (weight: bigint) => bigint {
  return (weight) => {
    const fee = feeFor(weight);
    if (replacing === undefined) return fee;
    const floor = replacementFloorSat(replacing.feeSat, weight);
    return fee > floor ? fee : floor;
  };
}

/**
 * Our HTLC transaction for `claims` (one or several sharing a locktime) at
 * `feeratePerKw`, its fee paid by `funding.coins`: the HTLC inputs and their
 * outputs first, at the same indexes (the counterparty's
 * SIGHASH_SINGLE|ANYONECANPAY signatures), then the coins and the change.
 * Witness of each HTLC input `0 <remotehtlcsig> <localhtlcsig> <preimage or
 * empty> <witness script>`, the counterparty's signature with its sighash
 * byte 0x83, ours SIGHASH_ALL.
 */
export function buildAnchorHtlcTx(secp: Secp256k1, signer: ChannelSigner, claims: readonly AnchorHtlcClaim[], funding: FeeFunding, feeratePerKw: bigint, replacing?: Replacing): FeePaidTx {
  if (claims.length === 0) return { kind: 'invalid-claims', reason: 'no HTLC claim' };
  if (claims.some((c) => c.locktime !== claims[0]!.locktime)) return { kind: 'invalid-claims', reason: 'HTLC claims of different locktimes (their signatures commit to it)' };
  // One HTLC transaction's weight is BOLT 3's; each more adds its input, witness and output (the weight less the fixed part).
  const fixed = BigInt((4 + 4 + 1 + 1) * 4 + 2);
  const baseWeight = fixed + claims.reduce((sum, c) => sum + c.weight - fixed, 0n);
  const settled = settle(baseWeight, funding.coins, feeWithFloor((w) => feeForWeight(feeratePerKw, w), replacing));
  if (!settled.ok) return { kind: 'coins-too-small', neededSat: settled.neededSat, availableSat: settled.availableSat };
  const tx = unsignedTx(claims, funding.coins, settled.changeSat === undefined ? undefined : { script: funding.changeScript, valueSat: settled.changeSat });
  claims.forEach((c, i) => {
    const local = signer.signWithHtlcKey(witnessDigest(tx, i, c.witnessScript, c.amountSat, SighashType.All), c.perCommitmentPoint);
    tx.setWitness(i, [
      new Uint8Array(0),
      witnessSignature(c.remoteSignature, SighashType.SingleAnyoneCanPay),
      witnessSignature(local, SighashType.All),
      c.offered ? new Uint8Array(0) : c.preimage!,
      c.witnessScript,
    ]);
  });
  funding.coins.forEach((coin, k) => signCoin(secp, funding.account, tx, claims.length + k, coin));
  return signedResult(tx, settled.feeSat, settled.changeSat, funding.coins);
}

function signedResult(tx: Transaction, feeSat: bigint, changeSat: bigint | undefined, coins: readonly FundingCoin[]): FeePaidTx {
  return {
    kind: 'signed',
    tx: Uint8Array.from(tx.toBuffer()),
    txid: new Uint8Array(tx.getHash()),
    feeSat,
    ...(changeSat === undefined ? {} : { changeSat }),
    coins,
    weight: tx.weight(),
  };
}

/** Our anchor on `commitmentTx` (P2WSH of BOLT 3's anchor script with our funding key), or undefined. */
export function holderAnchorOutput(signer: ChannelSigner, commitmentTx: Transaction): { outpoint: Outpoint; witnessScript: Uint8Array; valueSat: bigint } | undefined {
  const witnessScript = anchorScript(signer.publicKeys.fundingPubkey);
  const script = p2wsh(witnessScript);
  const index = commitmentTx.outs.findIndex((o) => equalBytes(o.script, script));
  if (index < 0) return undefined;
  return { outpoint: { txid: new Uint8Array(commitmentTx.getHash()), index }, witnessScript, valueSat: BigInt(commitmentTx.outs[index]!.value) };
}

/** The weight of the anchor input: outpoint, empty scriptSig and sequence (×4), and BOLT 3's 116-byte witness. */
export const ANCHOR_INPUT_WEIGHT = INPUT_BYTES * 4 + ANCHOR_FUNDING_WITNESS;

/**
 * The fee a child of weight `childWeight` must pay so that it and its parent
 * (`parentWeight`, paying `parentFeeSat`) pay `feeratePerKw` together, and
 * at least that feerate on its own.
 */
export function cpfpChildFee(parentWeight: bigint, parentFeeSat: bigint, childWeight: bigint, feeratePerKw: bigint): bigint {
  const package_ = feeForWeight(feeratePerKw, parentWeight + childWeight) - parentFeeSat;
  const own = feeForWeight(feeratePerKw, childWeight);
  return package_ > own ? package_ : own;
}

/**
 * A child of our anchors commitment `commitmentTx` (which pays
 * `commitmentFeeSat`) bringing the package to `feeratePerKw`: it spends our
 * anchor (330 sat, witness `<sig> <anchor script>`, our funding key,
 * SIGHASH_ALL) and `funding.coins`, and pays the wallet the change (the
 * anchor's value included). `invalid-claims` when the commitment has no
 * anchor of ours.
 */
export function buildAnchorCpfp(
  secp: Secp256k1,
  signer: ChannelSigner,
  commitmentTx: Transaction,
  commitmentFeeSat: bigint,
  funding: FeeFunding,
  feeratePerKw: bigint,
  replacing?: Replacing,
): FeePaidTx {
  const anchor = holderAnchorOutput(signer, commitmentTx);
  if (anchor === undefined) return { kind: 'invalid-claims', reason: 'the commitment has no anchor of ours' };
  const parentWeight = BigInt(commitmentTx.weight());
  const base = BigInt((4 + 4 + 1 + 1) * 4 + 2 + ANCHOR_INPUT_WEIGHT);
  // The anchor's 330 sat count as one more coin the wallet brings.
  const anchorCoin: WalletUtxo = { txid: '', vout: anchor.outpoint.index, valueSat: anchor.valueSat, keychain: 0, index: 0, height: 0 };
  const settled = settle(base - BigInt(P2WPKH_INPUT_WEIGHT), [anchorCoin, ...funding.coins], feeWithFloor((w) => cpfpChildFee(parentWeight, commitmentFeeSat, w, feeratePerKw), replacing));
  if (!settled.ok) return { kind: 'coins-too-small', neededSat: settled.neededSat, availableSat: settled.availableSat };
  const tx = new Transaction();
  tx.version = 2;
  tx.locktime = 0;
  tx.addInput(Uint8Array.from(anchor.outpoint.txid), anchor.outpoint.index, RBF_SEQUENCE);
  for (const coin of funding.coins) {
    const { hash, index } = outpointOf(coin);
    tx.addInput(hash, index, RBF_SEQUENCE);
  }
  if (settled.changeSat !== undefined) tx.addOutput(funding.changeScript, settled.changeSat);
  else tx.addOutput(Uint8Array.of(0x6a), 0n); // every coin went to the fee: an OP_RETURN keeps the transaction valid
  const signature = signer.signWithFundingKey(witnessDigest(tx, 0, anchor.witnessScript, anchor.valueSat, SighashType.All));
  tx.setWitness(0, [witnessSignature(signature), anchor.witnessScript]);
  funding.coins.forEach((coin, k) => signCoin(secp, funding.account, tx, 1 + k, coin));
  const feeSat = anchor.valueSat + funding.coins.reduce((s, c) => s + c.valueSat, 0n) - (settled.changeSat ?? 0n);
  return signedResult(tx, feeSat, settled.changeSat, funding.coins);
}

/** The feerate (sat per 1000 weight) `feeSat` pays over `weight`, rounded down. */
export function feerateOf(feeSat: bigint, weight: bigint): bigint {
  return weight === 0n ? 0n : (feeSat * 1000n) / weight;
}
