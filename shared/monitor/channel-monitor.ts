/**
 * The ChannelMonitor (LDK's `ChannelMonitor`, BOLT 5 "On-chain Transaction
 * Handling"): what a node must keep to enforce a channel on chain, separate
 * from the off-chain channel record. So far the establishment part: the
 * funding output, the keys id, both sides' parameters, commitment number 0
 * with the counterparty's signature (our broadcastable commitment) and the
 * counterparty's commitment txid, and the id of the last update applied;
 * then the counterparty's latest two commitments given by updates (their
 * HTLC sets are in justice records, one store item each: justice-record.ts);
 * and the payment steps (docs/monitor.md "Payment steps"): our latest
 * commitment with its HTLC signatures, the counterparty's revealed
 * per-commitment secrets (BOLT 3 compact storage) and the payment preimages
 * still needed, all bounded however long the channel lives.
 * Watching the chain and sweeping come with the on-chain issue.
 */
import type { InitialMonitor } from '../channel/index.js';
import { sha256, toHex } from '../crypto/index.js';
import { CounterpartyCommitmentSecrets } from '../keys/index.js';
import { txidOf } from './watched-channel.js';
import type { CounterpartyCommitmentRef, HolderCommitmentStep, HolderCommitmentSummaryStep, MonitorHtlc, MonitorUpdateStep } from './monitor-update-step.js';

/**
 * The most HTLCs one commitment holds: BOLT 2 caps `max_accepted_htlcs` at
 * 483 per direction, and a commitment carries both directions.
 */
export const MAX_COMMITMENT_HTLCS = 2 * 483;

/**
 * The most preimages a monitor keeps: those of the HTLCs of our latest two
 * commitments (pruning keeps no other once a commitment is applied). A
 * preimage past it is refused (`too-many-preimages`): only a caller feeding
 * preimages of HTLCs the channel never had gets there.
 */
export const MAX_MONITOR_PREIMAGES = 2 * MAX_COMMITMENT_HTLCS;

/** A payment preimage the monitor keeps, with its payment hash (sha256 of it). */
export interface KnownPreimage {
  readonly paymentHash: Uint8Array;
  readonly paymentPreimage: Uint8Array;
}

/**
 * Our commitment before the latest one (LDK's `prev_holder_signed_commitment_tx`,
 * reduced): only its number and HTLC set, which keep the preimages of HTLCs
 * it still held alive until the next commitment (docs/monitor.md "Payment
 * steps"). Not its transaction nor its signatures: we revoke it as soon as
 * the latest is durable and never broadcast it (a force close broadcasts
 * the latest, and no commitment is taken after one).
 */
export interface PreviousHolderCommitment {
  readonly commitmentNumber: bigint;
  /** Absent: unknown (given by an update written before the HTLC set was). */
  readonly htlcs?: readonly MonitorHtlc[];
}

/**
 * One channel's monitor: its newest snapshot (`MONITOR#<channel id>#0`, or a later one, docs/monitor.md) plus the
 * updates applied since. It starts as the channel's {@link InitialMonitor}
 * (the same fields), with the commitment number free to grow.
 */
export interface ChannelMonitor extends Omit<InitialMonitor, 'commitmentNumber' | 'counterpartySignature' | 'holderCommitmentTx'> {
  /** Number of our latest commitment (0 until payments exist); the signature, transaction and txid below are of that commitment. */
  readonly holderCommitmentNumber: bigint;
  /**
   * Our latest commitment with both signatures, and the counterparty's
   * signature on it: commitment 0 (signed at open), or one given by a
   * `latest-holder-commitment` step (written before session 12). Absent
   * when the commitment came as a `latest-holder-commitment-summary` step,
   * its txid only: what the dance gives since session 12 (our signature is
   * made only if it is broadcast, docs/payments.md "Holder commitment signed
   * at broadcast") and what the store keeps; the transaction a force close
   * broadcasts is then the channel's, signed at that moment (docs/items.md
   * "Bytes per HTLC"), and `holderCommitmentTxid` is there instead
   * ({@link holderCommitmentTxidOf} reads either).
   */
  readonly holderCommitmentTx?: Uint8Array;
  readonly counterpartySignature?: Uint8Array;
  /** The txid (internal byte order) of our latest commitment, when the monitor knows it by its txid only. */
  readonly holderCommitmentTxid?: Uint8Array;
  /** The id of the last update applied: 0 for the snapshot made at `watchChannel`. */
  readonly latestUpdateId: bigint;
  /** Set once a `channel-force-closed` update is applied: the channel takes no more off-chain updates. */
  readonly forceClosed?: { readonly shouldBroadcast: boolean };
  /**
   * The counterparty's latest commitment given by an update (absent: only
   * its first, commitment 0, `counterpartyCommitmentTxid`), and the one
   * before it (still valid until revoked). Only these two: the HTLC sets of
   * every counterparty commitment are in their justice records, one item
   * each (docs/monitor.md "Justice records"), so the monitor stays the
   * same size however many commitments there were.
   */
  readonly latestCounterpartyCommitment?: CounterpartyCommitmentRef;
  readonly previousCounterpartyCommitment?: CounterpartyCommitmentRef;
  /** The counterparty's signatures on the HTLC transactions of our latest commitment, in output order (none at commitment 0). */
  readonly holderHtlcSignatures: readonly Uint8Array[];
  /**
   * The HTLCs of our latest commitment (`offered`: by us), at most
   * {@link MAX_COMMITMENT_HTLCS}. Absent: unknown (the commitment came in an
   * update written before the step carried it); then no preimage is pruned.
   */
  readonly holderHtlcs?: readonly MonitorHtlc[];
  /** Our commitment before the latest (absent until the first `latest-holder-commitment`). */
  readonly previousHolderCommitment?: PreviousHolderCommitment;
  /** The per-commitment secrets the counterparty revealed, as `CounterpartyCommitmentSecrets.serialize()` (at most 49 entries). */
  readonly counterpartyCommitmentSecrets: Uint8Array;
  /** Payment preimages learnt and still needed, in the order learnt, one per payment hash. */
  readonly paymentPreimages: readonly KnownPreimage[];
}

/** LDK's `ChannelMonitorUpdate`: numbered from 1 per channel, applied in order. */
export interface ChannelMonitorUpdate {
  readonly channelId: Uint8Array;
  readonly updateId: bigint;
  readonly steps: readonly MonitorUpdateStep[];
}

/** The monitor `watchChannel` is given when the first commitments are signed (update id 0). */
export function channelMonitorFrom(initial: InitialMonitor): ChannelMonitor {
  return {
    channelId: initial.channelId,
    fundingOutpoint: initial.fundingOutpoint,
    fundingScriptPubKey: initial.fundingScriptPubKey,
    channelValueSatoshis: initial.channelValueSatoshis,
    channelKeysId: initial.channelKeysId,
    channelType: initial.channelType,
    isOutbound: initial.isOutbound,
    counterpartyNodeId: initial.counterpartyNodeId,
    holder: initial.holder,
    counterparty: initial.counterparty,
    obscuringFactor: initial.obscuringFactor,
    holderCommitmentNumber: initial.commitmentNumber,
    counterpartySignature: initial.counterpartySignature,
    holderCommitmentTx: initial.holderCommitmentTx,
    counterpartyCommitmentTxid: initial.counterpartyCommitmentTxid,
    latestUpdateId: 0n,
    holderHtlcSignatures: [],
    holderHtlcs: [],
    counterpartyCommitmentSecrets: CounterpartyCommitmentSecrets.empty().serialize(),
    paymentPreimages: [],
  };
}

/**
 * Why an update cannot be applied (the monitor is then unchanged).
 * `stale-commitment`: a commitment (ours or the counterparty's) whose
 * number is not above the latest one the monitor has. `bad-secret`: a
 * per-commitment secret the compact storage refuses (not the next index,
 * or unable to derive the secrets before it: not from the same seed).
 * `bad-holder-commitment`: more HTLCs or HTLC signatures than a commitment
 * can hold, or not one signature per HTLC output. `channel-closed`: a
 * commitment of ours after a force close (it would replace the transaction
 * broadcast; LDK refuses it too). `too-many-preimages`: see
 * {@link MAX_MONITOR_PREIMAGES}. `bad-preimage`: not 32 bytes (a decoded
 * step always is).
 */
export type MonitorUpdateError =
  | 'out-of-order'
  | 'wrong-channel'
  | 'stale-commitment'
  | 'bad-secret'
  | 'bad-holder-commitment'
  | 'channel-closed'
  | 'bad-preimage'
  | 'too-many-preimages';

/**
 * Applies `update` (its id must be the next one): the new monitor, and the
 * transactions to broadcast now (our commitment on a force close that asks
 * for it). Steps of an unknown odd kind are ignored (BOLT 1's rule: odd is
 * safe to skip); the monitor is unchanged when any step cannot be applied.
 */
export function applyMonitorUpdate(
  monitor: ChannelMonitor,
  update: ChannelMonitorUpdate,
): { readonly ok: true; readonly monitor: ChannelMonitor; readonly broadcasts: readonly Uint8Array[] } | { readonly ok: false; readonly error: MonitorUpdateError } {
  if (update.updateId !== monitor.latestUpdateId + 1n) return { ok: false, error: 'out-of-order' };
  if (!update.channelId.every((b, i) => b === monitor.channelId[i])) return { ok: false, error: 'wrong-channel' };
  let next: ChannelMonitor = { ...monitor, latestUpdateId: update.updateId };
  const broadcasts: Uint8Array[] = [];
  for (const step of update.steps) {
    switch (step.kind) {
      case 'channel-force-closed':
        next = { ...next, forceClosed: { shouldBroadcast: step.shouldBroadcast } };
        // A monitor that knows our commitment by its txid only (every one past commitment 0 since session 12) broadcasts
        // nothing itself: the manager broadcasts the channel's, our signature made then (channel-step.ts forceCloseMonitor).
        if (step.shouldBroadcast && next.holderCommitmentTx !== undefined) broadcasts.push(next.holderCommitmentTx);
        break;
      case 'unknown-odd':
        break;
      case 'latest-counterparty-commitment':
      case 'latest-counterparty-commitment-summary': {
        // The same for both: the HTLC set is the justice record's, never the monitor's.
        const latest = next.latestCounterpartyCommitment;
        if (step.commitmentNumber <= (latest?.commitmentNumber ?? 0n)) return { ok: false, error: 'stale-commitment' };
        const ref = { commitmentNumber: step.commitmentNumber, commitmentTxid: step.commitmentTxid, perCommitmentPoint: step.perCommitmentPoint };
        next = { ...next, latestCounterpartyCommitment: ref, ...(latest === undefined ? {} : { previousCounterpartyCommitment: latest }) };
        break;
      }
      case 'latest-holder-commitment':
      case 'latest-holder-commitment-summary': {
        const applied = withHolderCommitment(next, step);
        if (typeof applied === 'string') return { ok: false, error: applied };
        next = applied;
        break;
      }
      case 'commitment-secret': {
        const secrets = withSecret(next.counterpartyCommitmentSecrets, step.index, step.secret);
        if (secrets === undefined) return { ok: false, error: 'bad-secret' };
        next = { ...next, counterpartyCommitmentSecrets: secrets };
        break;
      }
      case 'payment-preimage': {
        if (step.paymentPreimage.length !== 32) return { ok: false, error: 'bad-preimage' };
        const paymentHash = sha256(step.paymentPreimage);
        if (next.paymentPreimages.some((p) => equalBytes(p.paymentHash, paymentHash))) break;
        if (next.paymentPreimages.length >= MAX_MONITOR_PREIMAGES) return { ok: false, error: 'too-many-preimages' };
        next = { ...next, paymentPreimages: [...next.paymentPreimages, { paymentHash, paymentPreimage: step.paymentPreimage.slice() }] };
        break;
      }
    }
  }
  return { ok: true, monitor: next, broadcasts };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Our new commitment: its number above the latest, at most
 * {@link MAX_COMMITMENT_HTLCS} HTLCs, one signature per HTLC output when the
 * HTLC set is given. The latest becomes the previous one (number and HTLC
 * set), and the preimages whose hash is in neither go (docs/monitor.md
 * "Payment steps": why that is safe).
 */
function withHolderCommitment(monitor: ChannelMonitor, step: HolderCommitmentStep | HolderCommitmentSummaryStep): ChannelMonitor | MonitorUpdateError {
  if (monitor.forceClosed !== undefined) return 'channel-closed';
  if (step.commitmentNumber <= monitor.holderCommitmentNumber) return 'stale-commitment';
  if (step.htlcSignatures.length > MAX_COMMITMENT_HTLCS) return 'bad-holder-commitment';
  if (step.htlcs !== undefined) {
    if (step.htlcs.length > MAX_COMMITMENT_HTLCS) return 'bad-holder-commitment';
    if (step.htlcs.filter((h) => h.transactionOutputIndex !== undefined).length !== step.htlcSignatures.length) return 'bad-holder-commitment';
  }
  const previous: PreviousHolderCommitment = {
    commitmentNumber: monitor.holderCommitmentNumber,
    ...(monitor.holderHtlcs === undefined ? {} : { htlcs: monitor.holderHtlcs }),
  };
  const { holderHtlcs: _dropped, holderCommitmentTx: _tx, counterpartySignature: _signature, holderCommitmentTxid: _txid, ...rest } = monitor;
  const commitment =
    step.kind === 'latest-holder-commitment'
      ? { holderCommitmentTx: step.commitmentTx, counterpartySignature: step.counterpartySignature }
      : { holderCommitmentTxid: step.commitmentTxid };
  return {
    ...rest,
    holderCommitmentNumber: step.commitmentNumber,
    ...commitment,
    holderHtlcSignatures: step.htlcSignatures,
    ...(step.htlcs === undefined ? {} : { holderHtlcs: step.htlcs }),
    previousHolderCommitment: previous,
    paymentPreimages: prunedPreimages(monitor.paymentPreimages, step.htlcs, previous.htlcs),
  };
}

/** The preimages whose hash is in the latest or the previous holder commitment; all of them when either set is unknown. */
function prunedPreimages(
  preimages: readonly KnownPreimage[],
  latest: readonly MonitorHtlc[] | undefined,
  previous: readonly MonitorHtlc[] | undefined,
): readonly KnownPreimage[] {
  if (latest === undefined || previous === undefined) return preimages;
  const needed = new Set([...latest, ...previous].map((h) => toHex(h.paymentHash)));
  return preimages.filter((p) => needed.has(toHex(p.paymentHash)));
}

/** The secret storage with `secret` for BOLT 3 index `index` added, or undefined when it refuses it. */
function withSecret(serialized: Uint8Array, index: bigint, secret: Uint8Array): Uint8Array | undefined {
  const loaded = CounterpartyCommitmentSecrets.deserialize(serialized);
  // Written by serialize() here, or checked when the snapshot was read (monitor-record.ts).
  if (!loaded.ok) throw new Error(`channel monitor: unreadable counterparty secrets (${loaded.error})`);
  if (secret.length !== 32) return undefined;
  return loaded.value.provide(index, secret).ok ? loaded.value.serialize() : undefined;
}

/**
 * The txid (internal byte order) of our latest commitment: the one the
 * monitor keeps, or its transaction's. Throws when the monitor holds a
 * transaction that does not parse (a broken invariant: we built it).
 */
export function holderCommitmentTxidOf(monitor: ChannelMonitor): Uint8Array {
  if (monitor.holderCommitmentTx !== undefined) return txidOf(monitor.holderCommitmentTx);
  if (monitor.holderCommitmentTxid === undefined) throw new TypeError('channel monitor: neither our commitment nor its txid');
  return monitor.holderCommitmentTxid;
}

/** The counterparty's per-commitment secret for BOLT 3 index `index`, if revealed (justice reads it). */
export function counterpartySecretOf(monitor: ChannelMonitor, index: bigint): Uint8Array | undefined {
  const loaded = CounterpartyCommitmentSecrets.deserialize(monitor.counterpartyCommitmentSecrets);
  return loaded.ok ? loaded.value.get(index) : undefined;
}

/** The preimage the monitor holds for `paymentHash`, if any (claiming an HTLC on chain reads it). */
export function preimageOf(monitor: ChannelMonitor, paymentHash: Uint8Array): Uint8Array | undefined {
  return monitor.paymentPreimages.find((p) => equalBytes(p.paymentHash, paymentHash))?.paymentPreimage;
}
