/**
 * Sweeps the channel monitor needs (BOLT 5 on-chain handling): `to_local`
 * after `to_self_delay`, revoked `to_local` and HTLC outputs with the
 * revocation key (justice), HTLC claims on the counterparty's commitment
 * with the preimage or after the timeout, `to_remote`, and anchors. One
 * transaction may sweep several outputs to one destination; its fee comes
 * from the spec's expected weights.
 */
import { Transaction } from 'bitcoinjs-lib';
import type { Secp256k1 } from '../crypto/index.js';
import type { Outpoint } from './amounts.js';
import { checkFeerate, checkInteger, checkOutpoint, checkSat } from './amounts.js';
import { TxError, TxErrorCode } from './errors.js';
import { ChannelType, feeForWeight } from './fees.js';
import { anchorScript, p2wpkh, p2wpkhScriptCode, p2wsh, toRemoteAnchorsScript } from './scripts.js';
import { SighashType, signWitnessInput, witnessSignature } from './sign.js';
import {
  ACCEPTED_HTLC_PENALTY_WITNESS,
  ACCEPTED_HTLC_TIMEOUT_WITNESS,
  ACCEPTED_HTLC_TIMEOUT_WITNESS_ANCHORS,
  ANCHOR_ANYONE_WITNESS,
  ANCHOR_FUNDING_WITNESS,
  OFFERED_HTLC_PENALTY_WITNESS,
  OFFERED_HTLC_PREIMAGE_WITNESS,
  P2WPKH_WITNESS,
  TO_LOCAL_DELAYED_WITNESS,
  TO_LOCAL_PENALTY_WITNESS,
  TO_REMOTE_ANCHORS_WITNESS,
  expectedSpendWeight,
} from './weights.js';

/** What a sweep input spends and how. */
export const SpendKind = {
  /** Our `to_local` (commitment) or HTLC-timeout/success output after `to_self_delay`: `<delayedsig> <>`. */
  ToLocalDelayed: 'to-local-delayed',
  /** A revoked `to_local` or second-stage HTLC output: `<revocationsig> 1`. */
  RevokedToLocal: 'revoked-to-local',
  /** A revoked commitment's HTLC output (offered or received): `<revocationsig> <revocationpubkey>`. */
  RevokedHtlc: 'revoked-htlc',
  /** An HTLC the counterparty offered us, on its commitment, claimed with the preimage: `<htlcsig> <preimage>`. */
  HtlcPreimage: 'htlc-preimage',
  /** An HTLC we offered, on the counterparty's commitment, after `cltv_expiry`: `<htlcsig> <>`. */
  HtlcTimeout: 'htlc-timeout',
  /** Our `to_remote` output on the counterparty's commitment (P2WPKH, or one-block CSV P2WSH with anchors). */
  ToRemote: 'to-remote',
  /** An anchor spent with its funding key: `<fundingsig>`. */
  Anchor: 'anchor',
  /** Any anchor after 16 blocks, spent by anyone: `<>`. */
  AnchorAfterDelay: 'anchor-after-delay',
} as const;
export type SpendKind = (typeof SpendKind)[keyof typeof SpendKind];

interface SpendBase {
  readonly outpoint: Outpoint;
  readonly amountSat: bigint;
}

/** One input of a sweep. `secretKey` is the key the script checks (already derived for the commitment). */
export type SpendInput =
  | (SpendBase & { readonly kind: typeof SpendKind.ToLocalDelayed; readonly witnessScript: Uint8Array; readonly toSelfDelay: number; readonly secretKey: Uint8Array })
  | (SpendBase & { readonly kind: typeof SpendKind.RevokedToLocal; readonly witnessScript: Uint8Array; readonly secretKey: Uint8Array })
  | (SpendBase & {
      readonly kind: typeof SpendKind.RevokedHtlc;
      readonly witnessScript: Uint8Array;
      readonly offered: boolean;
      readonly anchors: boolean;
      readonly secretKey: Uint8Array;
    })
  | (SpendBase & {
      readonly kind: typeof SpendKind.HtlcPreimage;
      readonly witnessScript: Uint8Array;
      readonly preimage: Uint8Array;
      readonly anchors: boolean;
      readonly secretKey: Uint8Array;
    })
  | (SpendBase & {
      readonly kind: typeof SpendKind.HtlcTimeout;
      readonly witnessScript: Uint8Array;
      readonly cltvExpiry: number;
      readonly anchors: boolean;
      readonly secretKey: Uint8Array;
    })
  | (SpendBase & { readonly kind: typeof SpendKind.ToRemote; readonly channelType: ChannelType; readonly secretKey: Uint8Array })
  | (SpendBase & { readonly kind: typeof SpendKind.Anchor; readonly secretKey: Uint8Array })
  | (SpendBase & { readonly kind: typeof SpendKind.AnchorAfterDelay; readonly fundingPubkey: Uint8Array });

/** A sweep: inputs to spend, one destination, a feerate applied to the expected weight. */
export interface SpendParams {
  readonly inputs: readonly SpendInput[];
  readonly destinationScript: Uint8Array;
  readonly feeratePerKw: bigint;
  /** Smallest acceptable output; default 546 sat. */
  readonly dustLimitSat?: bigint;
  /** Lower bound for nLockTime (e.g. the current height against fee sniping); raised to any HTLC's `cltv_expiry`. */
  readonly minLocktime?: number;
}

/** A built, unsigned sweep: sequences and locktime already satisfy every input's CSV/CLTV. */
export interface SpendTransaction {
  readonly tx: Transaction;
  readonly inputs: readonly SpendInput[];
  /** Per input: the script the signature commits to (witness script, or P2WPKH script code). */
  readonly scriptCodes: readonly Uint8Array[];
  readonly prevoutScripts: readonly Uint8Array[];
  readonly feeSat: bigint;
  readonly expectedWeight: bigint;
}

/** BIP 125 signalling, non-final (so CLTV applies) sequence for inputs without a CSV. */
const RBF_SEQUENCE = 0xfffffffd;

function witnessBytes(input: SpendInput): number {
  switch (input.kind) {
    case SpendKind.ToLocalDelayed:
      return TO_LOCAL_DELAYED_WITNESS;
    case SpendKind.RevokedToLocal:
      return TO_LOCAL_PENALTY_WITNESS;
    case SpendKind.RevokedHtlc:
      // BOLT 5 gives the non-anchor sizes; anchors scripts are 3 bytes longer (BOLT 3 Appendix A).
      return (input.offered ? OFFERED_HTLC_PENALTY_WITNESS : ACCEPTED_HTLC_PENALTY_WITNESS) + (input.anchors ? 3 : 0);
    case SpendKind.HtlcPreimage:
      return OFFERED_HTLC_PREIMAGE_WITNESS;
    case SpendKind.HtlcTimeout:
      return input.anchors ? ACCEPTED_HTLC_TIMEOUT_WITNESS_ANCHORS : ACCEPTED_HTLC_TIMEOUT_WITNESS;
    case SpendKind.ToRemote:
      return input.channelType === ChannelType.Anchors ? TO_REMOTE_ANCHORS_WITNESS : P2WPKH_WITNESS;
    case SpendKind.Anchor:
      return ANCHOR_FUNDING_WITNESS;
    case SpendKind.AnchorAfterDelay:
      return ANCHOR_ANYONE_WITNESS;
  }
}

function sequenceOf(input: SpendInput): number {
  switch (input.kind) {
    case SpendKind.ToLocalDelayed:
      return checkInteger(input.toSelfDelay, 0xffff, 'to_self_delay');
    case SpendKind.HtlcPreimage:
    case SpendKind.HtlcTimeout:
      return input.anchors ? 1 : RBF_SEQUENCE;
    case SpendKind.ToRemote:
      return input.channelType === ChannelType.Anchors ? 1 : RBF_SEQUENCE;
    case SpendKind.AnchorAfterDelay:
      return 16;
    default:
      return RBF_SEQUENCE;
  }
}

function scripts(secp: Secp256k1, input: SpendInput): { scriptCode: Uint8Array; prevout: Uint8Array } {
  switch (input.kind) {
    case SpendKind.ToRemote: {
      const pub = pubkeyOf(secp, input.secretKey);
      if (input.channelType === ChannelType.Anchors) {
        const ws = toRemoteAnchorsScript(pub);
        return { scriptCode: ws, prevout: p2wsh(ws) };
      }
      return { scriptCode: p2wpkhScriptCode(pub), prevout: p2wpkh(pub) };
    }
    case SpendKind.Anchor: {
      const ws = anchorScript(pubkeyOf(secp, input.secretKey));
      return { scriptCode: ws, prevout: p2wsh(ws) };
    }
    case SpendKind.AnchorAfterDelay: {
      const ws = anchorScript(input.fundingPubkey);
      return { scriptCode: ws, prevout: p2wsh(ws) };
    }
    default:
      return { scriptCode: input.witnessScript, prevout: p2wsh(input.witnessScript) };
  }
}

function pubkeyOf(secp: Secp256k1, secret: Uint8Array): Uint8Array {
  if (secret.length !== 32) throw new TxError(TxErrorCode.InvalidLength, 'secret key must be 32 bytes');
  return secp.publicKeyFromSecret(secret);
}

/**
 * Builds an unsigned sweep of `inputs` to `destinationScript`. The fee is
 * `feeratePerKw × expected weight / 1000` (BOLT 3/5 expected weights);
 * sequences are set for each input's CSV (to_self_delay, 1, or 16) and the
 * locktime to the highest HTLC `cltv_expiry`.
 */
export function buildSpendTransaction(secp: Secp256k1, p: SpendParams): SpendTransaction {
  if (p.inputs.length === 0) throw new TxError(TxErrorCode.InvalidParameter, 'a sweep needs inputs');
  checkFeerate(p.feeratePerKw);
  const dust = checkSat(p.dustLimitSat ?? 546n, 'dust limit');
  let locktime = checkInteger(p.minLocktime ?? 0, 0xffffffff, 'locktime');
  let total = 0n;
  const tx = new Transaction();
  tx.version = 2;
  const scriptCodes: Uint8Array[] = [];
  const prevoutScripts: Uint8Array[] = [];
  for (const input of p.inputs) {
    checkOutpoint(input.outpoint, 'spent outpoint');
    total += checkSat(input.amountSat, 'spent amount');
    if (input.kind === SpendKind.HtlcTimeout) locktime = Math.max(locktime, checkInteger(input.cltvExpiry, 0xffffffff, 'cltv_expiry'));
    if (input.kind === SpendKind.HtlcPreimage && input.preimage.length !== 32) throw new TxError(TxErrorCode.InvalidLength, 'preimage must be 32 bytes');
    const s = scripts(secp, input);
    scriptCodes.push(s.scriptCode);
    prevoutScripts.push(s.prevout);
    tx.addInput(input.outpoint.txid, input.outpoint.index, sequenceOf(input));
  }
  checkSat(total, 'total spent');
  tx.locktime = locktime;
  const expectedWeight = expectedSpendWeight(p.inputs.map(witnessBytes), [p.destinationScript]);
  const feeSat = feeForWeight(p.feeratePerKw, expectedWeight);
  if (total - feeSat < dust) throw new TxError(TxErrorCode.OutputBelowDust, `sweep of ${total} sat leaves less than ${dust} sat after a ${feeSat} sat fee`);
  tx.addOutput(p.destinationScript, total - feeSat);
  return { tx, inputs: p.inputs, scriptCodes, prevoutScripts, feeSat, expectedWeight };
}

/**
 * Signs every input (SIGHASH_ALL, through the injected backend) and sets the
 * witnesses; returns the broadcastable transaction. Signs the transaction as
 * it is now, so a caller may adjust locktime or sequences first.
 */
export function signSpendTransaction(secp: Secp256k1, spend: SpendTransaction): Transaction {
  const tx = spend.tx.clone();
  const empty = new Uint8Array(0);
  spend.inputs.forEach((input, i) => {
    const scriptCode = spend.scriptCodes[i]!;
    if (input.kind === SpendKind.AnchorAfterDelay) {
      tx.setWitness(i, [empty, scriptCode]);
      return;
    }
    const sig = witnessSignature(signWitnessInput(secp, tx, i, scriptCode, input.amountSat, input.secretKey, SighashType.All));
    switch (input.kind) {
      case SpendKind.ToLocalDelayed:
        tx.setWitness(i, [sig, empty, scriptCode]);
        break;
      case SpendKind.RevokedToLocal:
        tx.setWitness(i, [sig, Uint8Array.of(1), scriptCode]);
        break;
      case SpendKind.RevokedHtlc:
        tx.setWitness(i, [sig, secp.publicKeyFromSecret(input.secretKey), scriptCode]);
        break;
      case SpendKind.HtlcPreimage:
        tx.setWitness(i, [sig, input.preimage, scriptCode]);
        break;
      case SpendKind.HtlcTimeout:
        tx.setWitness(i, [sig, empty, scriptCode]);
        break;
      case SpendKind.ToRemote:
        tx.setWitness(i, input.channelType === ChannelType.Anchors ? [sig, scriptCode] : [sig, secp.publicKeyFromSecret(input.secretKey)]);
        break;
      case SpendKind.Anchor:
        tx.setWitness(i, [sig, scriptCode]);
        break;
    }
  });
  return tx;
}
