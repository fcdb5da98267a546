/**
 * What the chain handler watches for one channel until its funds are back
 * in the wallet (docs/force-close.md "What is watched"): an index item,
 * `CHAIN_WATCH#<channel id>`, written with the channel's first monitor
 * snapshot and deleted once nothing of ours is left on chain. The chain
 * handler reads these small items, never the channels or the monitors, at
 * every block; a monitor is read only when its funding output was spent.
 *
 * Phases: `funding` (the funding output is watched), `spent` (a commitment
 * spent it; our output waits for its CSV), `sweeping` (our sweep is
 * broadcast, and re-broadcast at every block until it confirms).
 */
import { DecodeError, catchDecodeError, fixedBytes, point, repeated, restBytes, tlvRecord, u16, u16PrefixedBytes, u32, u64, u8, versionedRecord, type DecodeResult } from '../codec/index.js';
import type { Outpoint } from '../tx/index.js';

export type WatchPhase = 'funding' | 'spent' | 'sweeping';
const PHASES: readonly WatchPhase[] = ['funding', 'spent', 'sweeping'];

export interface WatchedChannel {
  readonly channelId: Uint8Array;
  readonly counterpartyNodeId: Uint8Array;
  readonly fundingOutpoint: Outpoint;
  /** The funding output's script (P2WSH of the 2-of-2), as the chain sync's watched output names it. */
  readonly fundingScript: Uint8Array;
  readonly phase: WatchPhase;
  /** `spent` and `sweeping`: the transaction that spent the funding output, and the height it confirmed at. */
  readonly spend?: { readonly tx: Uint8Array; readonly height: number };
  /** `spent`: the first block height our output can be spent in (its CSV satisfied). */
  readonly spendableHeight?: number;
  /** `sweeping`: our signed sweep and what it pays the wallet. */
  readonly sweep?: { readonly tx: Uint8Array; readonly txid: Uint8Array; readonly amountSat: bigint };
  /**
   * `sweeping`: their transactions spending the commitment whose outputs the
   * sweep also takes (their HTLC-success or HTLC-timeout transactions on a
   * revoked commitment: second-stage justice), so a rebuild can find them.
   */
  readonly secondStage?: readonly Uint8Array[];
}

/**
 * Version 1: 0 channel id, 2 counterparty node id, 4 funding txid, 6
 * funding index, 7 funding script, 8 phase, 10 spending tx, 12 its height, 14 spendable
 * height, 16 sweep tx, 18 sweep txid, 20 sweep amount (sat), 21 second-stage
 * transactions (each u16 length + bytes; odd: optional).
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
  spendableHeight: tlvRecord(14, u32),
  sweepTx: tlvRecord(16, restBytes),
  sweepTxid: tlvRecord(18, fixedBytes(32)),
  sweepAmountSat: tlvRecord(20, u64),
  secondStage: tlvRecord(21, repeated(u16PrefixedBytes)),
});

export function encodeWatchedChannel(w: WatchedChannel): Uint8Array {
  return watchedRecord.encode({
    channelId: w.channelId,
    counterpartyNodeId: w.counterpartyNodeId,
    fundingTxid: w.fundingOutpoint.txid,
    fundingIndex: w.fundingOutpoint.index,
    fundingScript: w.fundingScript,
    phase: PHASES.indexOf(w.phase),
    ...(w.spend === undefined ? {} : { spendTx: w.spend.tx, spendHeight: w.spend.height }),
    ...(w.spendableHeight === undefined ? {} : { spendableHeight: w.spendableHeight }),
    ...(w.sweep === undefined ? {} : { sweepTx: w.sweep.tx, sweepTxid: w.sweep.txid, sweepAmountSat: w.sweep.amountSat }),
    ...(w.secondStage === undefined || w.secondStage.length === 0 ? {} : { secondStage: w.secondStage }),
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
    const phase = PHASES[v.phase];
    if (phase === undefined) throw new DecodeError('invalid-value', `chain-watch: unknown phase ${v.phase}`);
    const spend = v.spendTx !== undefined && v.spendHeight !== undefined ? { tx: v.spendTx, height: v.spendHeight } : undefined;
    const sweep = v.sweepTx !== undefined && v.sweepTxid !== undefined && v.sweepAmountSat !== undefined ? { tx: v.sweepTx, txid: v.sweepTxid, amountSat: v.sweepAmountSat } : undefined;
    if (phase !== 'funding' && spend === undefined) throw new DecodeError('invalid-value', `chain-watch: phase ${phase} without its spend`);
    if (phase === 'sweeping' && sweep === undefined) throw new DecodeError('invalid-value', 'chain-watch: sweeping without its sweep');
    return {
      channelId: v.channelId,
      counterpartyNodeId: v.counterpartyNodeId,
      fundingOutpoint: { txid: v.fundingTxid, index: v.fundingIndex },
      fundingScript: v.fundingScript,
      phase,
      ...(spend === undefined ? {} : { spend }),
      ...(v.spendableHeight === undefined ? {} : { spendableHeight: v.spendableHeight }),
      ...(sweep === undefined ? {} : { sweep }),
      ...(v.secondStage === undefined || v.secondStage.length === 0 ? {} : { secondStage: v.secondStage }),
    };
  });
}
