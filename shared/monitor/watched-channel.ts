/**
 * What the chain handler watches for one channel until its funds are back
 * in the wallet (docs/force-close.md "What is watched"): an index item,
 * `CHAIN_WATCH#<channel id>`, written with the channel's first monitor
 * snapshot and deleted once nothing of ours is left on chain. The chain
 * handler reads these small items, never the channels or the monitors, at
 * every block; a monitor is read only when something of the channel moved
 * on chain or an output of ours became claimable.
 *
 * Phases: `funding` (the funding output is watched), `spent` (a
 * transaction spent it; our outputs on it, and on the transactions that
 * spent those, are claimed as they become spendable). In `spent` the item
 * holds what was seen and done on chain, not what is ours: the outputs of
 * ours are derived again from the monitor whenever claims are planned
 * (claim-plan.ts).
 */
import { Transaction } from 'bitcoinjs-lib';
import {
  DecodeError,
  bytesToHex,
  catchDecodeError,
  equalBytes,
  hexToBytes,
  fixedBytes,
  point,
  repeated,
  restBytes,
  struct,
  tlvRecord,
  u16,
  u16PrefixedBytes,
  u32,
  u64,
  u8,
  versionedRecord,
  type Codec,
  type DecodeResult,
} from '../codec/index.js';
import type { Outpoint } from '../tx/index.js';
import type { WalletUtxo } from '../wallet/index.js';

export type WatchPhase = 'funding' | 'spent';

/**
 * A transaction of ours spending outputs of ours, broadcast (and handed to
 * the broadcast queue again at every block) until it confirms: a `sweep`
 * pays the wallet; an `htlc-tx` is our pre-signed HTLC-success or
 * HTLC-timeout transaction, whose output is ours again after our delay.
 */
export interface Claim {
  /** `anchor-child`: only as {@link WatchedChannel.anchorChild}, never among the claims. */
  readonly kind: 'sweep' | 'htlc-tx' | 'anchor-child';
  readonly tx: Uint8Array;
  readonly txid: Uint8Array;
  /** What it pays: the wallet (a sweep), or its output (an HTLC transaction). */
  readonly amountSat: bigint;
  /** The height it confirmed at; absent while unconfirmed. */
  readonly confirmedHeight?: number;
  /** The block it confirmed in (internal byte order), so a sync can check it still is. */
  readonly blockHash?: Uint8Array;
  /** A sweep reported final (`funds-swept` made once it was `ANTI_REORG_DELAY` deep, claim-plan.ts). */
  readonly reported?: true;
  /** A sweep or a claim paid by wallet coins: its feerate (sat per 1,000 weight), the tip height it was built at, and the height by which it must confirm (absent: none). */
  readonly feeratePerKw?: number;
  readonly builtHeight?: number;
  readonly deadline?: number;
  /** Earlier versions of this claim it replaced (RBF, a higher fee): one of them may confirm instead. */
  readonly replaces?: readonly Uint8Array[];
  /**
   * Under anchors, the wallet coins paying its fee (an HTLC transaction's
   * fee input, a CPFP child's coins): a bump spends the same coins again
   * (the replacement conflicts with every earlier version), and they stay
   * locked in the wallet until a version confirms or the claim is dropped.
   */
  readonly feeCoins?: readonly FeeCoin[];
}

/** A wallet coin paying a claim's fee: what signing it again needs. */
export type FeeCoin = Pick<WalletUtxo, 'txid' | 'vout' | 'valueSat' | 'keychain' | 'index'>;

/** A transaction not ours that confirmed spending the channel's commitment or an output of ours (their HTLC transaction, their claim). */
export interface Stage {
  readonly tx: Uint8Array;
  readonly height: number;
  readonly blockHash?: Uint8Array;
}

export interface WatchedChannel {
  readonly channelId: Uint8Array;
  readonly counterpartyNodeId: Uint8Array;
  readonly fundingOutpoint: Outpoint;
  /** The funding output's script (P2WSH of the 2-of-2), as the chain sync's watched output names it. */
  readonly fundingScript: Uint8Array;
  readonly phase: WatchPhase;
  /** `spent`: the transaction that spent the funding output, and the height it confirmed at. */
  readonly spend?: { readonly tx: Uint8Array; readonly height: number; readonly blockHash?: Uint8Array };
  /**
   * `spent`: the first block height an output of ours not claimed yet can
   * be spent in (its CSV or CLTV satisfied), when claims are planned again.
   * Absent: plan at the next run (the spend was just seen).
   */
  readonly spendableHeight?: number;
  /** Our claims, broadcast or confirmed. */
  readonly claims?: readonly Claim[];
  /** Transactions not ours that confirmed spending the commitment or an output of ours. */
  readonly stages?: readonly Stage[];
  /** Outputs of ours not claimed yet (waiting for their CSV or CLTV): watched so a spend by the counterparty is seen. */
  readonly pending?: readonly Outpoint[];
  /**
   * `funding`, under anchors: our CPFP child of our unconfirmed commitment
   * (kind `anchor-child`, spending our anchor and `feeCoins`), with its
   * feerate (the package's target), built height and deadline, bumped like
   * a claim while the commitment stays unconfirmed; dropped when the
   * funding output is spent.
   */
  readonly anchorChild?: Claim;
}

/** A transaction's txid in internal byte order. */
export function txidOf(tx: Uint8Array): Uint8Array {
  return new Uint8Array(Transaction.fromBuffer(tx).getHash());
}

/** Bytes with a BigSize length (a claim can be larger than a u16 length allows). */
const bigSizeBytes: Codec<Uint8Array> = {
  read: (r) => r.bytes(Number(r.bigSize())),
  write: (w, v) => void w.bigSize(BigInt(v.length)).bytes(v),
};

function concat(list: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(list.length * 32);
  list.forEach((b, i) => out.set(b, i * 32));
  return out;
}

function split32(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length % 32 !== 0) throw new DecodeError('invalid-value', 'chain-watch: replaced txids are not 32 bytes each');
  return Array.from({ length: bytes.length / 32 }, (_, i) => bytes.slice(i * 32, i * 32 + 32));
}

const CLAIM_KINDS: readonly Claim['kind'][] = ['sweep', 'htlc-tx', 'anchor-child'];
/** No block hash: all zeros. */
const NO_HASH = new Uint8Array(32);
const hashOrNone = (h: Uint8Array) => (h.every((b) => b === 0) ? undefined : h);

/**
 * A claim: kind, flags (1: reported), amount (sat), confirmed height (0:
 * unconfirmed) and block hash (zeros), feerate, built height and deadline
 * (0: none), the txids it replaced (concatenated), the transaction.
 */
const claimCodec = struct([
  ['kind', u8],
  ['flags', u8],
  ['amountSat', u64],
  ['confirmedHeight', u32],
  ['blockHash', fixedBytes(32)],
  ['feeratePerKw', u32],
  ['builtHeight', u32],
  ['deadline', u32],
  ['replaces', bigSizeBytes],
  ['tx', bigSizeBytes],
] as const);
/** A fee coin of the claim whose txid (internal order) comes first: the coin's txid (display order, as bytes), vout, value, keychain, index. */
const feeCoinCodec = struct([
  ['claimTxid', fixedBytes(32)],
  ['txid', fixedBytes(32)],
  ['vout', u32],
  ['valueSat', u64],
  ['keychain', u8],
  ['index', u32],
] as const);
const stageCodec = struct([
  ['height', u32],
  ['blockHash', fixedBytes(32)],
  ['tx', bigSizeBytes],
] as const);
const outpointCodec = struct([
  ['txid', fixedBytes(32)],
  ['index', u16],
] as const);

/**
 * Version 1: 0 channel id, 2 counterparty node id, 4 funding txid, 6
 * funding index, 7 funding script, 8 phase (0 funding, 1 spent; 2, the
 * earlier `sweeping`, reads as spent), 10 spending tx, 12 its height, 14
 * spendable height, 13 the spend's block hash, then the earlier one-sweep layout, still read: 16 sweep
 * tx, 18 sweep txid, 20 sweep amount (sat), 21 second-stage transactions
 * (each u16 length + bytes); and now: 23 claims, 25 stages, 27 pending
 * outpoints, 29 the wallet coins paying claims' fees (by claim txid), 31
 * the CPFP child of our commitment (odd: optional).
 */
const watchedRecord = versionedRecord('chain-watch', 1, {
  channelId: tlvRecord(0, fixedBytes(32)),
  counterpartyNodeId: tlvRecord(2, point),
  fundingTxid: tlvRecord(4, fixedBytes(32)),
  fundingIndex: tlvRecord(6, u16),
  fundingScript: tlvRecord(7, restBytes),
  phase: tlvRecord(8, u8),
  spendTx: tlvRecord(10, restBytes),
  spendHeight: tlvRecord(12, u32),
  spendBlockHash: tlvRecord(13, fixedBytes(32)),
  spendableHeight: tlvRecord(14, u32),
  sweepTx: tlvRecord(16, restBytes),
  sweepTxid: tlvRecord(18, fixedBytes(32)),
  sweepAmountSat: tlvRecord(20, u64),
  secondStage: tlvRecord(21, repeated(u16PrefixedBytes)),
  claims: tlvRecord(23, repeated(claimCodec)),
  stages: tlvRecord(25, repeated(stageCodec)),
  pending: tlvRecord(27, repeated(outpointCodec)),
  feeCoins: tlvRecord(29, repeated(feeCoinCodec)),
  anchorChild: tlvRecord(31, claimCodec),
});

function encodeClaim(c: Claim) {
  return {
    kind: CLAIM_KINDS.indexOf(c.kind),
    flags: c.reported === true ? 1 : 0,
    amountSat: c.amountSat,
    confirmedHeight: c.confirmedHeight ?? 0,
    blockHash: c.blockHash ?? NO_HASH,
    feeratePerKw: c.feeratePerKw ?? 0,
    builtHeight: c.builtHeight ?? 0,
    deadline: c.deadline ?? 0,
    replaces: concat(c.replaces ?? []),
    tx: c.tx,
  };
}

function encodeFeeCoins(claims: readonly Claim[]) {
  return claims.flatMap((c) =>
    (c.feeCoins ?? []).map((coin) => ({ claimTxid: c.txid, txid: hexToBytes(coin.txid), vout: coin.vout, valueSat: coin.valueSat, keychain: coin.keychain, index: coin.index })),
  );
}

type ClaimFields = Parameters<typeof claimCodec.write>[1];

function decodeClaim(c: ClaimFields, coins: readonly FeeCoinFields[]): Claim {
  const kind = CLAIM_KINDS[c.kind];
  if (kind === undefined) throw new DecodeError('invalid-value', `chain-watch: unknown claim kind ${c.kind}`);
  const blockHash = hashOrNone(c.blockHash);
  const txid = txidOf(c.tx);
  const feeCoins: FeeCoin[] = coins
    .filter((coin) => equalBytes(coin.claimTxid, txid))
    .map((coin) => {
      if (coin.keychain > 1) throw new DecodeError('invalid-value', `chain-watch: unknown keychain ${coin.keychain}`);
      return { txid: bytesToHex(coin.txid), vout: coin.vout, valueSat: coin.valueSat, keychain: coin.keychain as FeeCoin['keychain'], index: coin.index };
    });
  return {
    kind,
    tx: c.tx,
    txid,
    amountSat: c.amountSat,
    ...(c.confirmedHeight === 0 ? {} : { confirmedHeight: c.confirmedHeight }),
    ...(blockHash === undefined ? {} : { blockHash }),
    ...((c.flags & 1) !== 0 ? { reported: true as const } : {}),
    ...(c.feeratePerKw === 0 ? {} : { feeratePerKw: c.feeratePerKw }),
    ...(c.builtHeight === 0 ? {} : { builtHeight: c.builtHeight }),
    ...(c.deadline === 0 ? {} : { deadline: c.deadline }),
    ...(c.replaces.length === 0 ? {} : { replaces: split32(c.replaces) }),
    ...(feeCoins.length === 0 ? {} : { feeCoins }),
  };
}

type FeeCoinFields = Parameters<typeof feeCoinCodec.write>[1];

export function encodeWatchedChannel(w: WatchedChannel): Uint8Array {
  const nonEmpty = <T>(list: readonly T[] | undefined) => list !== undefined && list.length > 0;
  const feeCoins = encodeFeeCoins([...(w.claims ?? []), ...(w.anchorChild === undefined ? [] : [w.anchorChild])]);
  return watchedRecord.encode({
    channelId: w.channelId,
    counterpartyNodeId: w.counterpartyNodeId,
    fundingTxid: w.fundingOutpoint.txid,
    fundingIndex: w.fundingOutpoint.index,
    fundingScript: w.fundingScript,
    phase: w.phase === 'funding' ? 0 : 1,
    ...(w.spend === undefined ? {} : { spendTx: w.spend.tx, spendHeight: w.spend.height }),
    ...(w.spend?.blockHash === undefined ? {} : { spendBlockHash: w.spend.blockHash }),
    ...(w.spendableHeight === undefined ? {} : { spendableHeight: w.spendableHeight }),
    ...(nonEmpty(w.claims) ? { claims: w.claims!.map(encodeClaim) } : {}),
    ...(nonEmpty(w.stages) ? { stages: w.stages!.map((st) => ({ height: st.height, blockHash: st.blockHash ?? NO_HASH, tx: st.tx })) } : {}),
    ...(nonEmpty(w.pending) ? { pending: w.pending! } : {}),
    ...(nonEmpty(feeCoins) ? { feeCoins } : {}),
    ...(w.anchorChild === undefined ? {} : { anchorChild: encodeClaim(w.anchorChild) }),
  });
}

export function decodeWatchedChannel(bytes: Uint8Array): DecodeResult<WatchedChannel> {
  const result = watchedRecord.decode(bytes);
  if (!result.ok) return result;
  const v = result.value;
  return catchDecodeError(() => {
    if (v.channelId === undefined || v.counterpartyNodeId === undefined || v.fundingTxid === undefined || v.fundingIndex === undefined || v.fundingScript === undefined || v.phase === undefined) {
      throw new DecodeError('invalid-value', 'chain-watch: a required record is missing');
    }
    if (v.phase > 2) throw new DecodeError('invalid-value', `chain-watch: unknown phase ${v.phase}`);
    const phase: WatchPhase = v.phase === 0 ? 'funding' : 'spent';
    const spend = v.spendTx !== undefined && v.spendHeight !== undefined ? { tx: v.spendTx, height: v.spendHeight, ...(v.spendBlockHash === undefined ? {} : { blockHash: v.spendBlockHash }) } : undefined;
    if (phase !== 'funding' && spend === undefined) throw new DecodeError('invalid-value', 'chain-watch: spent without its spend');
    const coins = v.feeCoins ?? [];
    const claims: Claim[] = (v.claims ?? []).map((c) => decodeClaim(c, coins));
    const anchorChild = v.anchorChild === undefined ? undefined : decodeClaim(v.anchorChild, coins);
    if (anchorChild !== undefined && anchorChild.kind !== 'anchor-child') throw new DecodeError('invalid-value', `chain-watch: the CPFP child has claim kind ${anchorChild.kind}`);
    if (claims.some((c) => c.kind === 'anchor-child')) throw new DecodeError('invalid-value', 'chain-watch: a CPFP child among the claims');
    // The earlier layout: one sweep, and their second-stage transactions (their heights unknown: the spend's, which only a CSV would read).
    if (v.phase === 2) {
      if (v.sweepTx === undefined || v.sweepAmountSat === undefined) throw new DecodeError('invalid-value', 'chain-watch: sweeping without its sweep');
      claims.push({ kind: 'sweep', tx: v.sweepTx, txid: txidOf(v.sweepTx), amountSat: v.sweepAmountSat });
    }
    const stages: Stage[] = [
      ...(v.stages ?? []).map((st) => {
        const blockHash = hashOrNone(st.blockHash);
        return { tx: st.tx, height: st.height, ...(blockHash === undefined ? {} : { blockHash }) };
      }),
      ...(v.secondStage ?? []).map((tx) => ({ tx, height: spend!.height })),
    ];
    return {
      channelId: v.channelId,
      counterpartyNodeId: v.counterpartyNodeId,
      fundingOutpoint: { txid: v.fundingTxid, index: v.fundingIndex },
      fundingScript: v.fundingScript,
      phase,
      ...(spend === undefined ? {} : { spend }),
      ...(v.spendableHeight === undefined ? {} : { spendableHeight: v.spendableHeight }),
      ...(claims.length === 0 ? {} : { claims }),
      ...(stages.length === 0 ? {} : { stages }),
      ...(v.pending === undefined || v.pending.length === 0 ? {} : { pending: v.pending }),
      ...(anchorChild === undefined ? {} : { anchorChild }),
    };
  });
}
