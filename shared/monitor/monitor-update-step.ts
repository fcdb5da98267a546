/**
 * The kinds of monitor update step (LDK's `ChannelMonitorUpdateStep`) and
 * their persisted form. An update's steps are a list of TLV-framed steps,
 * in the order they apply: `bigsize type`, `bigsize length`, then the step's
 * value, itself a TLV stream so each kind can grow fields. Unlike a BOLT 1
 * TLV stream, types need not increase and may repeat (an update may carry
 * two steps of one kind). The rule of BOLT 1 holds per step: a reader meets
 * an unknown even kind with a DecodeError (it must understand it to keep
 * the channel safe), and keeps an unknown odd kind untouched (re-encoded as
 * it came, ignored when applied).
 *
 * | type | kind | fields (TLV types) |
 * |---|---|---|
 * | 0 | `channel-force-closed` | 0 shouldBroadcast |
 * | 2 | `latest-holder-commitment` | 0 commitment number, 2 counterparty signature, 4 commitment tx, 6 HTLC signatures, 8 HTLCs (optional) |
 * | 4 | `latest-counterparty-commitment` | 0 commitment number, 2 txid, 4 per-commitment point, 6 HTLCs, 9 feerate, 11 to_broadcaster sat, 13 to_countersignatory sat |
 * | 6 | `commitment-secret` | 0 index, 2 secret |
 * | 8 | `payment-preimage` | 0 preimage |
 * | 10 | `latest-counterparty-commitment-summary` | 0 commitment number, 2 txid, 4 per-commitment point |
 * | 12 | `latest-holder-commitment-summary` | 0 commitment number, 2 txid, 6 HTLC signatures, 8 HTLCs (optional) |
 *
 * Type 10 is what the store keeps of a type 4 step in the update item: the
 * rest (the HTLC set, feerate and amounts) goes to the commitment's justice
 * record, an item of its own (shared/store/monitor-items.ts, docs/monitor.md
 * "Justice records"), so that no update or snapshot grows with history.
 *
 * Type 12 is what the store keeps of a type 2 step in the update item: the
 * commitment's txid instead of the transaction and the counterparty's
 * signature on it. Since session 12 the commitment dance gives type 12
 * itself (docs/payments.md "Holder commitment signed at broadcast"): a
 * type 2 step needs our signature on the commitment, which LDK, and now
 * we, make only when it is broadcast; type 2 is still read (older items).
 * The transaction a force close broadcasts is the
 * channel's (its `#holder` part, written in the same commit), so the
 * update item need not hold it a second time (docs/items.md "Bytes per
 * HTLC"); the monitor needs only its txid (to know our commitment on chain)
 * and its HTLC signatures and HTLCs (to claim its HTLC outputs).
 *
 * Every kind so far is even: each changes what the monitor would claim or
 * punish on chain, so a reader that does not know it must not go on. Odd
 * types are for steps a reader may safely skip.
 */
import type { ByteReader } from '../codec/index.js';
import { parseTransaction } from '../tx/index.js';
import {
  ByteWriter,
  DecodeError,
  encode,
  fixedBytes,
  point,
  repeated,
  restBytes,
  tlvRecord,
  tlvStream,
  u32,
  u64,
  u8,
  type Codec,
} from '../codec/index.js';

/** An HTLC of a commitment transaction (LDK's `HTLCOutputInCommitment`), as the monitor keeps it. */
export interface MonitorHtlc {
  /** Offered by the commitment's owner (of a counterparty commitment: offered by the counterparty, so received by us). */
  readonly offered: boolean;
  readonly amountMsat: bigint;
  readonly cltvExpiry: number;
  readonly paymentHash: Uint8Array;
  /** Its output in the commitment transaction; absent for an HTLC trimmed as dust. */
  readonly transactionOutputIndex?: number;
}

/** A counterparty commitment as the monitor names it: its number (BOLT 3, 48 bits), txid and per-commitment point. */
export interface CounterpartyCommitmentRef {
  readonly commitmentNumber: bigint;
  readonly commitmentTxid: Uint8Array;
  readonly perCommitmentPoint: Uint8Array;
}

/**
 * The part of a counterparty commitment that justice reads and nothing else
 * does: its HTLC set (each HTLC's `offered` from the counterparty's point of
 * view) and, to rebuild the transaction without seeing it on chain (LDK's
 * `counterparty_commitment_txs_from_update`), its feerate and the two
 * main outputs. Those three are optional, as in LDK: whoever punishes a
 * revoked commitment has it on chain and reads the amounts from it.
 */
export interface CounterpartyCommitmentDetail {
  readonly htlcs: readonly MonitorHtlc[];
  readonly feeratePerKw?: number;
  /** The counterparty's own output (to_local in its commitment), satoshis. */
  readonly toBroadcasterValueSat?: bigint;
  /** Our output in it (to_remote), satoshis. */
  readonly toCountersignatoryValueSat?: bigint;
}

/** The step of a new counterparty commitment (type 4). */
export interface CounterpartyCommitmentStep extends CounterpartyCommitmentRef, CounterpartyCommitmentDetail {
  readonly kind: 'latest-counterparty-commitment';
}

/**
 * Our new commitment (type 2; BOLT 2 `commitment_signed` received): the
 * counterparty's signatures on it and on its HTLC transactions, in output
 * order, and its HTLC set (`offered`: offered by us; trimmed ones without an
 * output index). The set is optional: an update written before field 8
 * existed has none, and the monitor then keeps every preimage it holds
 * (docs/monitor.md "Payment steps").
 */
export interface HolderCommitmentStep {
  readonly kind: 'latest-holder-commitment';
  readonly commitmentNumber: bigint;
  readonly counterpartySignature: Uint8Array;
  readonly commitmentTx: Uint8Array;
  readonly htlcSignatures: readonly Uint8Array[];
  readonly htlcs?: readonly MonitorHtlc[];
}

/**
 * What the store keeps of a {@link HolderCommitmentStep} (type 12): the
 * same but the transaction, replaced by its txid (internal byte order), and
 * the counterparty's signature on it.
 */
export interface HolderCommitmentSummaryStep extends Omit<HolderCommitmentStep, 'kind' | 'commitmentTx' | 'counterpartySignature'> {
  readonly kind: 'latest-holder-commitment-summary';
  readonly commitmentTxid: Uint8Array;
}

/** One change to a monitor (LDK's `ChannelMonitorUpdateStep`). */
export type MonitorUpdateStep =
  /** The manager failed the channel: stop accepting updates; broadcast our commitment when `shouldBroadcast`. */
  | { readonly kind: 'channel-force-closed'; readonly shouldBroadcast: boolean }
  | HolderCommitmentStep
  /** What the store keeps of a `latest-holder-commitment` step in the update item: its txid, not the transaction. */
  | HolderCommitmentSummaryStep
  /** The counterparty's new commitment (BOLT 2 `commitment_signed` sent; LDK's `LatestCounterpartyCommitmentTXInfo`): what to watch for and claim from. */
  | CounterpartyCommitmentStep
  /** What the store keeps of a `latest-counterparty-commitment` step in the update item: the rest is in the commitment's justice record. */
  | ({ readonly kind: 'latest-counterparty-commitment-summary' } & CounterpartyCommitmentRef)
  /** A per-commitment secret the counterparty revealed (BOLT 2 `revoke_and_ack`; BOLT 3 index, 48 bits). */
  | { readonly kind: 'commitment-secret'; readonly index: bigint; readonly secret: Uint8Array }
  /** A payment preimage learnt (BOLT 2 `update_fulfill_htlc`, or ours): claim the HTLCs of its hash on chain. */
  | { readonly kind: 'payment-preimage'; readonly paymentPreimage: Uint8Array }
  /** A step of an odd kind this reader does not know: kept as it came, ignored when applied. */
  | { readonly kind: 'unknown-odd'; readonly type: bigint; readonly value: Uint8Array };

/** The step kinds this reader knows (not `unknown-odd`). */
export type KnownMonitorUpdateStep = Exclude<MonitorUpdateStep, { readonly kind: 'unknown-odd' }>;

/** The TLV type of each known step kind. */
export const MonitorStepType = {
  'channel-force-closed': 0n,
  'latest-holder-commitment': 2n,
  'latest-counterparty-commitment': 4n,
  'commitment-secret': 6n,
  'payment-preimage': 8n,
  'latest-counterparty-commitment-summary': 10n,
  'latest-holder-commitment-summary': 12n,
} as const satisfies Record<KnownMonitorUpdateStep['kind'], bigint>;

/** The largest BOLT 3 commitment number / secret index (48 bits). */
const MAX_INDEX = (1n << 48n) - 1n;

function invalid(what: string): never {
  throw new DecodeError('invalid-value', `monitor update step: ${what}`);
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) invalid(`${what} is missing`);
  return value;
}

function flag(value: number | undefined, what: string): boolean {
  if (value !== 0 && value !== 1) invalid(`${what} must be 0 or 1`);
  return value === 1;
}

function index48(value: bigint | undefined, what: string): bigint {
  const v = required(value, what);
  if (v > MAX_INDEX) invalid(`${what} ${v} exceeds 48 bits`);
  return v;
}

/** A value that carries its own BigSize length (an element of a list of variable-size records). */
function lengthPrefixed<T>(inner: Codec<T>): Codec<T> {
  return {
    read: (r) => {
      const length = r.bigSize();
      if (length > BigInt(r.remaining)) throw new DecodeError('short-read', `a ${length}-byte element but ${r.remaining} byte(s) left`);
      const sub = r.subReader(Number(length));
      const value = inner.read(sub);
      sub.expectEnd('a list element');
      return value;
    },
    write: (w, v) => {
      const bytes = encode(inner, v);
      w.bigSize(BigInt(bytes.length)).bytes(bytes);
    },
  };
}

const htlcFields = tlvStream({
  offered: tlvRecord(0, u8),
  amountMsat: tlvRecord(2, u64),
  cltvExpiry: tlvRecord(4, u32),
  paymentHash: tlvRecord(6, fixedBytes(32)),
  transactionOutputIndex: tlvRecord(8, u32),
});

const htlcCodec: Codec<MonitorHtlc> = {
  read: (r) => {
    const v = htlcFields.read(r);
    return {
      offered: flag(v.offered, 'htlc offered'),
      amountMsat: required(v.amountMsat, 'htlc amount'),
      cltvExpiry: required(v.cltvExpiry, 'htlc cltv expiry'),
      paymentHash: required(v.paymentHash, 'htlc payment hash'),
      ...(v.transactionOutputIndex === undefined ? {} : { transactionOutputIndex: v.transactionOutputIndex }),
    };
  },
  write: (w, h) =>
    htlcFields.write(w, {
      offered: h.offered ? 1 : 0,
      amountMsat: h.amountMsat,
      cltvExpiry: h.cltvExpiry,
      paymentHash: h.paymentHash,
      ...(h.transactionOutputIndex === undefined ? {} : { transactionOutputIndex: h.transactionOutputIndex }),
    }),
};

/** A list of HTLCs, each behind its BigSize length (the step's field 6, and a justice record's). */
export const monitorHtlcList: Codec<readonly MonitorHtlc[]> = repeated(lengthPrefixed(htlcCodec));

const forceClosedFields = tlvStream({ shouldBroadcast: tlvRecord(0, u8) });
const holderCommitmentFields = tlvStream({
  commitmentNumber: tlvRecord(0, u64),
  counterpartySignature: tlvRecord(2, fixedBytes(64)),
  commitmentTx: tlvRecord(4, restBytes),
  htlcSignatures: tlvRecord(6, repeated(fixedBytes(64))),
  htlcs: tlvRecord(8, monitorHtlcList),
});
const holderSummaryFields = tlvStream({
  commitmentNumber: tlvRecord(0, u64),
  commitmentTxid: tlvRecord(2, fixedBytes(32)),
  htlcSignatures: tlvRecord(6, repeated(fixedBytes(64))),
  htlcs: tlvRecord(8, monitorHtlcList),
});
const counterpartyCommitmentFields = tlvStream({
  commitmentNumber: tlvRecord(0, u64),
  commitmentTxid: tlvRecord(2, fixedBytes(32)),
  perCommitmentPoint: tlvRecord(4, point),
  htlcs: tlvRecord(6, monitorHtlcList),
  feeratePerKw: tlvRecord(9, u32),
  toBroadcasterValueSat: tlvRecord(11, u64),
  toCountersignatoryValueSat: tlvRecord(13, u64),
});
const counterpartySummaryFields = tlvStream({
  commitmentNumber: tlvRecord(0, u64),
  commitmentTxid: tlvRecord(2, fixedBytes(32)),
  perCommitmentPoint: tlvRecord(4, point),
});
const commitmentSecretFields = tlvStream({ index: tlvRecord(0, u64), secret: tlvRecord(2, fixedBytes(32)) });
const paymentPreimageFields = tlvStream({ paymentPreimage: tlvRecord(0, fixedBytes(32)) });

/**
 * What the store keeps of our new commitment's step (type 12): its txid
 * instead of the transaction and the counterparty's signature. Undefined
 * when the step's bytes hold no transaction (then the step is kept whole).
 */
export function summarizeHolderCommitment(step: HolderCommitmentStep): HolderCommitmentSummaryStep | undefined {
  const tx = parseTransaction(step.commitmentTx);
  if (tx === null) return undefined;
  return {
    kind: 'latest-holder-commitment-summary',
    commitmentNumber: step.commitmentNumber,
    commitmentTxid: new Uint8Array(tx.getHash()),
    htlcSignatures: step.htlcSignatures,
    ...(step.htlcs === undefined ? {} : { htlcs: step.htlcs }),
  };
}

/** The optional detail fields present in `d` (absent ones stay absent, so a round trip is exact). */
export function optionalDetail(d: Omit<CounterpartyCommitmentDetail, 'htlcs'>): Omit<CounterpartyCommitmentDetail, 'htlcs'> {
  return {
    ...(d.feeratePerKw === undefined ? {} : { feeratePerKw: d.feeratePerKw }),
    ...(d.toBroadcasterValueSat === undefined ? {} : { toBroadcasterValueSat: d.toBroadcasterValueSat }),
    ...(d.toCountersignatoryValueSat === undefined ? {} : { toCountersignatoryValueSat: d.toCountersignatoryValueSat }),
  };
}

/** Writes one known step's value (its TLV stream). */
function writeStepValue(w: ByteWriter, step: KnownMonitorUpdateStep): void {
  switch (step.kind) {
    case 'channel-force-closed':
      return forceClosedFields.write(w, { shouldBroadcast: step.shouldBroadcast ? 1 : 0 });
    case 'latest-holder-commitment':
      return holderCommitmentFields.write(w, {
        commitmentNumber: step.commitmentNumber,
        counterpartySignature: step.counterpartySignature,
        commitmentTx: step.commitmentTx,
        htlcSignatures: step.htlcSignatures,
        ...(step.htlcs === undefined ? {} : { htlcs: step.htlcs }),
      });
    case 'latest-holder-commitment-summary':
      return holderSummaryFields.write(w, {
        commitmentNumber: step.commitmentNumber,
        commitmentTxid: step.commitmentTxid,
        htlcSignatures: step.htlcSignatures,
        ...(step.htlcs === undefined ? {} : { htlcs: step.htlcs }),
      });
    case 'latest-counterparty-commitment':
      return counterpartyCommitmentFields.write(w, {
        commitmentNumber: step.commitmentNumber,
        commitmentTxid: step.commitmentTxid,
        perCommitmentPoint: step.perCommitmentPoint,
        htlcs: step.htlcs,
        ...optionalDetail(step),
      });
    case 'latest-counterparty-commitment-summary':
      return counterpartySummaryFields.write(w, {
        commitmentNumber: step.commitmentNumber,
        commitmentTxid: step.commitmentTxid,
        perCommitmentPoint: step.perCommitmentPoint,
      });
    case 'commitment-secret':
      return commitmentSecretFields.write(w, { index: step.index, secret: step.secret });
    case 'payment-preimage':
      return paymentPreimageFields.write(w, { paymentPreimage: step.paymentPreimage });
  }
}

/** Reads one step of known `type` from its value's reader (the whole value); undefined for an unknown type. */
function readStepValue(type: bigint, r: ByteReader): KnownMonitorUpdateStep | undefined {
  switch (type) {
    case MonitorStepType['channel-force-closed']: {
      const v = forceClosedFields.read(r);
      return { kind: 'channel-force-closed', shouldBroadcast: flag(v.shouldBroadcast, 'shouldBroadcast') };
    }
    case MonitorStepType['latest-holder-commitment']: {
      const v = holderCommitmentFields.read(r);
      return {
        kind: 'latest-holder-commitment',
        commitmentNumber: index48(v.commitmentNumber, 'commitment number'),
        counterpartySignature: required(v.counterpartySignature, 'counterparty signature'),
        commitmentTx: required(v.commitmentTx, 'commitment tx'),
        htlcSignatures: v.htlcSignatures ?? [],
        ...(v.htlcs === undefined ? {} : { htlcs: v.htlcs }),
      };
    }
    case MonitorStepType['latest-holder-commitment-summary']: {
      const v = holderSummaryFields.read(r);
      return {
        kind: 'latest-holder-commitment-summary',
        commitmentNumber: index48(v.commitmentNumber, 'commitment number'),
        commitmentTxid: required(v.commitmentTxid, 'commitment txid'),
        htlcSignatures: v.htlcSignatures ?? [],
        ...(v.htlcs === undefined ? {} : { htlcs: v.htlcs }),
      };
    }
    case MonitorStepType['latest-counterparty-commitment']: {
      const v = counterpartyCommitmentFields.read(r);
      return {
        kind: 'latest-counterparty-commitment',
        commitmentNumber: index48(v.commitmentNumber, 'commitment number'),
        commitmentTxid: required(v.commitmentTxid, 'commitment txid'),
        perCommitmentPoint: required(v.perCommitmentPoint, 'per-commitment point'),
        htlcs: v.htlcs ?? [],
        ...optionalDetail(v),
      };
    }
    case MonitorStepType['latest-counterparty-commitment-summary']: {
      const v = counterpartySummaryFields.read(r);
      return {
        kind: 'latest-counterparty-commitment-summary',
        commitmentNumber: index48(v.commitmentNumber, 'commitment number'),
        commitmentTxid: required(v.commitmentTxid, 'commitment txid'),
        perCommitmentPoint: required(v.perCommitmentPoint, 'per-commitment point'),
      };
    }
    case MonitorStepType['commitment-secret']: {
      const v = commitmentSecretFields.read(r);
      return { kind: 'commitment-secret', index: index48(v.index, 'secret index'), secret: required(v.secret, 'secret') };
    }
    case MonitorStepType['payment-preimage']: {
      const v = paymentPreimageFields.read(r);
      return { kind: 'payment-preimage', paymentPreimage: required(v.paymentPreimage, 'payment preimage') };
    }
    default:
      return undefined;
  }
}

/**
 * The steps of an update, in order, each `bigsize type, bigsize length,
 * value` (see the module comment). Decoding: minimal BigSizes, a length
 * within the bytes left (`short-read`), a known step's value read whole
 * (`invalid-value` otherwise), an unknown even type is `unknown-even-type`,
 * an unknown odd one is kept.
 */
export const monitorUpdateSteps: Codec<readonly MonitorUpdateStep[]> = {
  read: (r) => {
    const steps: MonitorUpdateStep[] = [];
    while (!r.isAtEnd()) {
      const type = r.bigSize();
      const length = r.bigSize();
      if (length > BigInt(r.remaining)) throw new DecodeError('short-read', `step type ${type}: length ${length} but ${r.remaining} byte(s) left`);
      const value = r.subReader(Number(length));
      const known = readKnownStep(type, value);
      if (known !== undefined) steps.push(known);
      else if (type % 2n === 0n) throw new DecodeError('unknown-even-type', `monitor update step of unknown even type ${type}`);
      else steps.push({ kind: 'unknown-odd', type, value: value.rest() });
    }
    return steps;
  },
  write: (w, steps) => {
    for (const step of steps) {
      if (step.kind === 'unknown-odd') {
        // Every known kind is even, so an odd type is never a known one.
        if (step.type % 2n === 0n) throw new TypeError(`a kept monitor update step must be of an odd type, not ${step.type}`);
        w.bigSize(step.type).bigSize(BigInt(step.value.length)).bytes(step.value);
        continue;
      }
      const inner = new ByteWriter();
      writeStepValue(inner, step);
      const bytes = inner.finish();
      w.bigSize(MonitorStepType[step.kind]).bigSize(BigInt(bytes.length)).bytes(bytes);
    }
  },
};

function readKnownStep(type: bigint, value: ByteReader): KnownMonitorUpdateStep | undefined {
  try {
    const step = readStepValue(type, value);
    if (step !== undefined) value.expectEnd(`step type ${type}`);
    return step;
  } catch (e) {
    // The list itself is long enough: a value shorter than its encoding is a wrong length (as in tlvStream).
    if (e instanceof DecodeError && e.reason === 'short-read') throw new DecodeError('invalid-value', `step type ${type}: ${e.message}`);
    throw e;
  }
}
