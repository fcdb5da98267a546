/**
 * Our outputs of a closed channel, found on chain and swept to the wallet
 * (BOLT 5 "On-chain Transaction Handling", BOLT 3 scripts; docs/force-close.md).
 * Pure: a transaction that spent the funding output, the monitor, the
 * channel's signer; out come our outputs on it, which sweep-tx.ts spends in
 * a signed sweep to a destination script at a feerate.
 *
 * - Our commitment (the one the monitor holds): our `to_local`, P2WSH of
 *   `OP_IF <revocationpubkey> OP_ELSE <to_self_delay> OP_CSV OP_DROP
 *   <local_delayedpubkey> OP_ENDIF OP_CHECKSIG`, spendable `to_self_delay`
 *   blocks after the commitment confirms: input sequence = to_self_delay
 *   (the counterparty's `to_self_delay`, which applies to us), witness
 *   `<local_delayedsig> <> <witness script>`.
 * - The counterparty's commitment (any of them, revoked or not): our
 *   `to_remote`. With option_static_remotekey it is P2WPKH of our payment
 *   basepoint, spendable at once, witness `<sig> <pubkey>`; with anchors
 *   P2WSH of `<payment basepoint> OP_CHECKSIGVERIFY 1 OP_CSV`, spendable one
 *   block after the commitment, sequence 1, witness `<sig> <witness script>`.
 * - A revoked commitment of theirs (we hold its per-commitment secret):
 *   also their `to_local` (justice, BOLT 5 "Revoked Transaction Close
 *   Handling"): the same script from their side, revocationpubkey from our
 *   revocation basepoint and their per-commitment point, delayed by OUR
 *   `to_self_delay` (the one we asked of them). We spend it at once through
 *   the `OP_IF` branch: sequence 0xfffffffd, witness `<revocation_sig> 1
 *   <witness script>`, signed with the revocation private key the signer
 *   derives from the secret.
 * - The HTLC outputs of a revoked commitment of theirs, given its justice
 *   record (the HTLC set the monitor kept of it, justice-record.ts): each
 *   HTLC's BOLT 3 offered or received script from their side (revocationpubkey
 *   as above, `local_htlcpubkey` theirs, `remote_htlcpubkey` ours, both
 *   derived with their per-commitment point), matched against the outputs
 *   (an HTLC the commitment trimmed is not found; two alike take two
 *   outputs). Spent at once through the revocation branch (the anchors
 *   variant's `1 OP_CSV` sits in the other branch): sequence 0xfffffffd,
 *   witness `<revocation_sig> <revocationpubkey> <witness script>`.
 *
 * - The output of their HTLC-success or HTLC-timeout transaction spending
 *   an HTLC output of a revoked commitment (second stage): BOLT 3 gives it
 *   the very script of that commitment's `to_local` (same revocationpubkey,
 *   our `to_self_delay`, their delayed key), so it is taken the same way
 *   ({@link revokedHtlcTxOutputs}).
 *
 * - The HTLC outputs of an unrevoked commitment of theirs that THEY offered
 *   us and whose preimage the monitor holds (BOLT 5 "Unilateral Close
 *   Handling: Remote Commitment Transaction": a received HTLC we know the
 *   preimage of MUST be spent with it), given that commitment's justice
 *   record (the same kind of record as above: every counterparty commitment
 *   has one): BOLT 3's offered HTLC script from their side, the keys derived
 *   with the record's per-commitment point, matched the same way. Spent
 *   directly (no second-stage transaction on their commitment) through the
 *   `remote_htlcpubkey` branch: witness `<remote_htlcsig> <payment_preimage>
 *   <witness script>`, our htlc key being `remote_htlcpubkey` there; at once
 *   (sequence 0xfffffffd), one block after the commitment under anchors (the
 *   script's `1 OP_CSV` sits in that branch: sequence 1).
 *
 * - The HTLC outputs of an unrevoked commitment of theirs that WE offered
 *   them (received by them: BOLT 3's received HTLC script from their side),
 *   from the same record: ours again once the chain passed the HTLC's
 *   `cltv_expiry`, through the `remote_htlcpubkey` branch that checks it:
 *   witness `<remote_htlcsig> <> <witness script>` (an empty element, not
 *   32 bytes), the transaction's nLockTime at least `cltv_expiry`
 *   (sweep-tx.ts sets it from the input's `cltvExpiry`); sequence
 *   0xfffffffd, 1 under anchors.
 *
 * The HTLC outputs of our own commitment go through our second-stage
 * transactions (htlc-claims.ts). The transaction spending outputs is
 * sweep-tx.ts's. Not claimed: anchors.
 */
import type { Transaction } from 'bitcoinjs-lib';
import { equalBytes } from '../codec/index.js';
import { INITIAL_COMMITMENT_INDEX, derivePublicKey, type ChannelSigner } from '../keys/index.js';
import type { Secp256k1 } from '../crypto/index.js';
import {
  anchorScript,
  commitmentNumberFromTx,
  p2wpkh,
  p2wpkhScriptCode,
  p2wsh,
  offeredHtlcScript,
  receivedHtlcScript,
  toLocalScript,
  toRemoteAnchorsScript,
  type Outpoint,
} from '../tx/index.js';
import { counterpartySecretOf, holderCommitmentTxidOf, preimageOf, type ChannelMonitor } from './channel-monitor.js';
import type { JusticeRecord } from './justice-record.js';
import type { OurOutput } from './sweep-tx.js';

/** What spent the funding output, as the monitor tells. */
export type FundingSpend =
  /** Our latest commitment (the one a force close broadcasts). */
  | { readonly kind: 'holder-commitment'; readonly commitmentNumber: bigint }
  /** A commitment that is not our latest: the counterparty's (or, never broadcast by us, an older one of ours). */
  | { readonly kind: 'counterparty-commitment'; readonly commitmentNumber: bigint }
  /** A counterparty commitment they revoked: the monitor holds its per-commitment secret (justice takes their `to_local`). */
  | { readonly kind: 'revoked-counterparty-commitment'; readonly commitmentNumber: bigint; readonly perCommitmentSecret: Uint8Array }
  /** Not a commitment (no BOLT 3 locktime and sequence markers): the cooperative close. */
  | { readonly kind: 'cooperative-close' }
  /** Does not spend the funding output. */
  | { readonly kind: 'unrelated' };

/** BOLT 3 commitment markers: locktime's upper byte 0x20, the input sequence's 0x80. */
function isCommitment(tx: Transaction): boolean {
  return tx.ins.length === 1 && tx.locktime >>> 24 === 0x20 && tx.ins[0]!.sequence >>> 24 === 0x80;
}

function spendsFunding(tx: Transaction, funding: Outpoint): boolean {
  return tx.ins.some((i) => i.index === funding.index && equalBytes(i.hash, funding.txid));
}

/** What `tx` is to the channel of `monitor` (BOLT 5: "a node MUST monitor the blockchain for transactions that spend any output that is not yet irrevocably resolved"). */
export function classifyFundingSpend(monitor: ChannelMonitor, tx: Transaction): FundingSpend {
  if (!spendsFunding(tx, monitor.fundingOutpoint)) return { kind: 'unrelated' };
  if (!isCommitment(tx)) return { kind: 'cooperative-close' };
  const commitmentNumber = commitmentNumberFromTx(tx, monitor.obscuringFactor);
  const ours = holderCommitmentTxidOf(monitor);
  if (equalBytes(tx.getHash(), ours)) return { kind: 'holder-commitment', commitmentNumber };
  // They released this commitment's secret when they revoked it (BOLT 3 index counts down from 2^48 - 1).
  const perCommitmentSecret = counterpartySecretOf(monitor, INITIAL_COMMITMENT_INDEX - commitmentNumber);
  return perCommitmentSecret === undefined
    ? { kind: 'counterparty-commitment', commitmentNumber }
    : { kind: 'revoked-counterparty-commitment', commitmentNumber, perCommitmentSecret };
}

/**
 * Our outputs on `tx`, a transaction spending the channel's funding output:
 * `to_local` on our latest commitment, `to_remote` on any other commitment,
 * and first, on a revoked one of theirs, their `to_local` (justice: it must
 * go out before their `to_self_delay` lets them take it), then, after
 * `to_remote`, every HTLC output of `justice` (that commitment's justice
 * record; ignored unless its commitment number and txid are `tx`'s), in
 * output order; on an unrevoked one of theirs, after `to_remote`, the HTLC
 * outputs of `justice` they offered us whose preimage the monitor holds, in
 * output order, then those we offered them (`htlc-timeout`, spendable once
 * the chain reached their `cltv_expiry`), in output order. None on a cooperative close (its output already pays the
 * wallet) or an unrelated transaction. An output the commitment trimmed is
 * simply absent.
 */
export function ourOutputs(secp: Secp256k1, signer: ChannelSigner, monitor: ChannelMonitor, tx: Transaction, justice?: JusticeRecord): OurOutput[] {
  const spend = classifyFundingSpend(monitor, tx);
  const txid = new Uint8Array(tx.getHash());
  const find = (script: Uint8Array) => tx.outs.findIndex((o) => equalBytes(o.script, script));
  if (spend.kind === 'holder-commitment') {
    const { witnessScript, perCommitmentPoint } = holderToLocalScript(signer, monitor, spend.commitmentNumber);
    const vout = find(p2wsh(witnessScript));
    if (vout < 0) return [];
    const valueSat = BigInt(tx.outs[vout]!.value);
    return [{ kind: 'to-local', outpoint: { txid, index: vout }, valueSat, scriptCode: witnessScript, csvBlocks: monitor.counterparty.toSelfDelay, perCommitmentPoint }];
  }
  if (spend.kind === 'counterparty-commitment' || spend.kind === 'revoked-counterparty-commitment') {
    const record = justice !== undefined && justice.commitmentNumber === spend.commitmentNumber && equalBytes(justice.commitmentTxid, txid) ? justice : undefined;
    if (spend.kind === 'counterparty-commitment') {
      if (record === undefined) return toRemote(signer, monitor, tx);
      return [...toRemote(signer, monitor, tx), ...preimageHtlcs(secp, signer, monitor, tx, record), ...timeoutHtlcs(secp, signer, monitor, tx, record)];
    }
    const secret = spend.perCommitmentSecret;
    const htlcs = record === undefined ? [] : revokedHtlcs(secp, signer, monitor, tx, secret, record);
    return [...revokedToLocal(secp, signer, monitor, tx, secret), ...toRemote(signer, monitor, tx), ...htlcs];
  }
  return [];
}

/**
 * Our anchor (BOLT 3: 330 sat, P2WSH of `<local_funding_pubkey>
 * OP_CHECKSIG OP_IFDUP OP_NOTIF OP_16 OP_CHECKSEQUENCEVERIFY OP_ENDIF` with
 * our funding key) on a commitment of an anchors channel, ours or theirs,
 * or undefined. Spendable by our funding key at once; by anyone after 16
 * blocks.
 */
export function ourAnchorOutput(signer: ChannelSigner, monitor: ChannelMonitor, tx: Transaction): OurOutput | undefined {
  if (!monitor.channelType.anchors) return undefined;
  const witnessScript = anchorScript(signer.publicKeys.fundingPubkey);
  const script = p2wsh(witnessScript);
  const vout = tx.outs.findIndex((o) => equalBytes(o.script, script));
  if (vout < 0) return undefined;
  return { kind: 'anchor', outpoint: { txid: new Uint8Array(tx.getHash()), index: vout }, valueSat: BigInt(tx.outs[vout]!.value), scriptCode: witnessScript, csvBlocks: 0 };
}

/**
 * BOLT 3's `to_local` script of our commitment `commitmentNumber`
 * (revocationpubkey of their revocation basepoint and our per-commitment
 * point, their `to_self_delay`, our delayed key): our commitment's
 * `to_local` and the output of each of our HTLC transactions spending it.
 */
export function holderToLocalScript(signer: ChannelSigner, monitor: ChannelMonitor, commitmentNumber: bigint): { witnessScript: Uint8Array; perCommitmentPoint: Uint8Array } {
  const index = INITIAL_COMMITMENT_INDEX - commitmentNumber;
  const perCommitmentPoint = signer.perCommitmentPoint(index);
  const revocation = signer.holderRevocationPublicKey(monitor.counterparty.pubkeys.revocationBasepoint, index);
  return { witnessScript: toLocalScript(revocation, monitor.counterparty.toSelfDelay, signer.delayedPaymentPublicKey(perCommitmentPoint)), perCommitmentPoint };
}

/** Our `to_remote` on a commitment of theirs (the same script on every one of them). */
function toRemote(signer: ChannelSigner, monitor: ChannelMonitor, tx: Transaction): OurOutput[] {
  const key = signer.publicKeys.paymentBasepoint;
  const witnessScript = monitor.channelType.anchors ? toRemoteAnchorsScript(key) : undefined;
  const script = witnessScript !== undefined ? p2wsh(witnessScript) : p2wpkh(key);
  const vout = tx.outs.findIndex((o) => equalBytes(o.script, script));
  if (vout < 0) return [];
  const valueSat = BigInt(tx.outs[vout]!.value);
  const outpoint = { txid: new Uint8Array(tx.getHash()), index: vout };
  return [witnessScript !== undefined ? { kind: 'to-remote', outpoint, valueSat, scriptCode: witnessScript, csvBlocks: 1, anchors: true } : { kind: 'to-remote', outpoint, valueSat, scriptCode: p2wpkhScriptCode(key), csvBlocks: 0 }];
}

/**
 * Their `to_local` on a revoked commitment of theirs: BOLT 3's to_local
 * script from their side (revocationpubkey of our revocation basepoint and
 * their per-commitment point, our `to_self_delay`, their delayed pubkey),
 * spendable by us at once through its revocation branch.
 */
function revokedToLocal(secp: Secp256k1, signer: ChannelSigner, monitor: ChannelMonitor, tx: Transaction, perCommitmentSecret: Uint8Array): OurOutput[] {
  const witnessScript = revokedToLocalScript(secp, signer, monitor, perCommitmentSecret);
  const script = p2wsh(witnessScript);
  const vout = tx.outs.findIndex((o) => equalBytes(o.script, script));
  if (vout < 0) return [];
  const outpoint = { txid: new Uint8Array(tx.getHash()), index: vout };
  return [{ kind: 'revoked-to-local', outpoint, valueSat: BigInt(tx.outs[vout]!.value), scriptCode: witnessScript, csvBlocks: 0, perCommitmentSecret: perCommitmentSecret.slice() }];
}

/** One HTLC of a commitment of theirs found on chain: its output and the witness script it pays. */
interface FoundHtlc {
  readonly htlc: JusticeRecord['htlcs'][number];
  readonly outpoint: Outpoint;
  readonly valueSat: bigint;
  readonly witnessScript: Uint8Array;
}

/**
 * The outputs of `tx`, a commitment of theirs for `theirPoint`, paying the
 * HTLCs of `htlcs` that `wanted` keeps: each HTLC's BOLT 3 script from their
 * side (their htlc key is `local_htlcpubkey`, ours `remote_htlcpubkey`),
 * matched to an output not matched yet (two equal HTLCs take two outputs;
 * a trimmed one is not found), in output order.
 */
function theirHtlcOutputs(
  secp: Secp256k1,
  signer: ChannelSigner,
  monitor: ChannelMonitor,
  tx: Transaction,
  theirPoint: Uint8Array,
  htlcs: JusticeRecord['htlcs'],
  wanted: (htlc: JusticeRecord['htlcs'][number]) => boolean = () => true,
): { revocationPubkey: Uint8Array; found: FoundHtlc[] } {
  const anchors = monitor.channelType.anchors;
  const keys = {
    revocationPubkey: signer.counterpartyRevocationPublicKey(theirPoint),
    localHtlcPubkey: derivePublicKey(secp, monitor.counterparty.pubkeys.htlcBasepoint, theirPoint),
    remoteHtlcPubkey: signer.htlcPublicKey(theirPoint),
  };
  const txid = new Uint8Array(tx.getHash());
  const taken = new Set<number>();
  const found: FoundHtlc[] = [];
  for (const htlc of htlcs) {
    if (!wanted(htlc)) continue;
    const witnessScript = htlc.offered ? offeredHtlcScript(keys, htlc.paymentHash, anchors) : receivedHtlcScript(keys, htlc.paymentHash, htlc.cltvExpiry, anchors);
    const script = p2wsh(witnessScript);
    const vout = tx.outs.findIndex((o, i) => !taken.has(i) && equalBytes(o.script, script));
    if (vout < 0) continue;
    taken.add(vout);
    found.push({ htlc, outpoint: { txid, index: vout }, valueSat: BigInt(tx.outs[vout]!.value), witnessScript });
  }
  return { revocationPubkey: keys.revocationPubkey, found: found.sort((a, b) => a.outpoint.index - b.outpoint.index) };
}

/** The HTLC outputs of a revoked commitment of theirs, from its justice record, spent with the revocation key. */
function revokedHtlcs(secp: Secp256k1, signer: ChannelSigner, monitor: ChannelMonitor, tx: Transaction, perCommitmentSecret: Uint8Array, record: JusticeRecord): OurOutput[] {
  const anchors = monitor.channelType.anchors;
  const { revocationPubkey, found } = theirHtlcOutputs(secp, signer, monitor, tx, secp.publicKeyFromSecret(perCommitmentSecret), record.htlcs);
  return found.map((f) => ({
    kind: 'revoked-htlc',
    outpoint: f.outpoint,
    valueSat: f.valueSat,
    scriptCode: f.witnessScript,
    csvBlocks: 0,
    perCommitmentSecret: perCommitmentSecret.slice(),
    revocationPubkey,
    offered: f.htlc.offered,
    anchors,
  }));
}

/**
 * The HTLC outputs of an unrevoked commitment of theirs, from its justice
 * record, that they offered us and whose preimage the monitor holds
 * (BOLT 3's offered HTLC script from their side, keys from the record's
 * per-commitment point), spent with the preimage (one block after the
 * commitment under anchors).
 */
function preimageHtlcs(secp: Secp256k1, signer: ChannelSigner, monitor: ChannelMonitor, tx: Transaction, record: JusticeRecord): OurOutput[] {
  const anchors = monitor.channelType.anchors;
  const theirPoint = record.perCommitmentPoint;
  const { found } = theirHtlcOutputs(secp, signer, monitor, tx, theirPoint, record.htlcs, (h) => h.offered && preimageOf(monitor, h.paymentHash) !== undefined);
  return found.map((f) => ({
    kind: 'htlc-preimage',
    outpoint: f.outpoint,
    valueSat: f.valueSat,
    scriptCode: f.witnessScript,
    csvBlocks: anchors ? 1 : 0,
    perCommitmentPoint: theirPoint.slice(),
    paymentPreimage: preimageOf(monitor, f.htlc.paymentHash)!.slice(),
    htlc: f.htlc,
    anchors,
  }));
}

/**
 * The HTLC outputs of an unrevoked commitment of theirs, from its justice
 * record, that we offered them (BOLT 3's received HTLC script from their
 * side), taken back through the timeout branch once the chain reached each
 * one's `cltv_expiry` (one block after the commitment under anchors).
 */
function timeoutHtlcs(secp: Secp256k1, signer: ChannelSigner, monitor: ChannelMonitor, tx: Transaction, record: JusticeRecord): OurOutput[] {
  const anchors = monitor.channelType.anchors;
  const theirPoint = record.perCommitmentPoint;
  const { found } = theirHtlcOutputs(secp, signer, monitor, tx, theirPoint, record.htlcs, (h) => !h.offered);
  return found.map((f) => ({
    kind: 'htlc-timeout',
    outpoint: f.outpoint,
    valueSat: f.valueSat,
    scriptCode: f.witnessScript,
    csvBlocks: anchors ? 1 : 0,
    perCommitmentPoint: theirPoint.slice(),
    cltvExpiry: f.htlc.cltvExpiry,
    htlc: f.htlc,
    anchors,
  }));
}

/** BOLT 3's `to_local` script of a commitment of theirs, by its per-commitment secret (also their HTLC transactions' output script). */
function revokedToLocalScript(secp: Secp256k1, signer: ChannelSigner, monitor: ChannelMonitor, perCommitmentSecret: Uint8Array): Uint8Array {
  const theirPoint = secp.publicKeyFromSecret(perCommitmentSecret);
  const revocation = signer.counterpartyRevocationPublicKey(theirPoint);
  const theirDelayed = derivePublicKey(secp, monitor.counterparty.pubkeys.delayedPaymentBasepoint, theirPoint);
  return toLocalScript(revocation, monitor.holder.toSelfDelay, theirDelayed);
}

/**
 * The outputs of `htlcTx` ours by the revocation key when it spends an
 * output of `commitment`, a revoked commitment of theirs: their HTLC-success
 * or HTLC-timeout transaction (BOLT 3) pays that commitment's `to_local`
 * script, which we spend at once like `to_local` (`revoked-to-local`, the
 * outpoint on `htlcTx`). None when `commitment` is not revoked or `htlcTx`
 * does not spend it.
 */
export function revokedHtlcTxOutputs(secp: Secp256k1, signer: ChannelSigner, monitor: ChannelMonitor, commitment: Transaction, htlcTx: Transaction): OurOutput[] {
  const spend = classifyFundingSpend(monitor, commitment);
  if (spend.kind !== 'revoked-counterparty-commitment') return [];
  const commitmentTxid = commitment.getHash();
  if (!htlcTx.ins.some((i) => equalBytes(i.hash, commitmentTxid))) return [];
  const witnessScript = revokedToLocalScript(secp, signer, monitor, spend.perCommitmentSecret);
  const script = p2wsh(witnessScript);
  const txid = new Uint8Array(htlcTx.getHash());
  return htlcTx.outs.flatMap((o, index) =>
    equalBytes(o.script, script)
      ? [{ kind: 'revoked-to-local' as const, outpoint: { txid, index }, valueSat: BigInt(o.value), scriptCode: witnessScript, csvBlocks: 0, perCommitmentSecret: spend.perCommitmentSecret.slice() }]
      : [],
  );
}

