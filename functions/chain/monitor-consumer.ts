/**
 * The channel monitors as a chain consumer (docs/force-close.md): the
 * funding output of every channel with a `CHAIN_WATCH#` item is watched;
 * when a commitment spends it, the channel's monitor is read (only then)
 * and our outputs on it are found (shared/monitor/sweep.ts): `to_local` on
 * our commitment once its CSV allows, `to_remote` on theirs at once (one
 * block under anchors), and on a revoked one of theirs also their
 * `to_local` and every HTLC output (justice; the HTLCs from that
 * commitment's justice record, one GetItem), in the same transaction, at
 * once (one block under anchors, for the `to_remote` input: still long
 * before their `to_self_delay`). On an unrevoked commitment of theirs, the
 * HTLC outputs they offered us whose preimage the monitor holds (we claimed
 * the payment) go in the same sweep, with the preimage (the HTLCs from that
 * commitment's justice record too). The sweep pays a fresh receive address of the
 * node's wallet at the stored feerate estimate, goes to the broadcast queue
 * after the commit and again at every block until it confirms; then the
 * item is deleted and the wallet (which scans that address) counts it.
 * While it waits, its inputs are watched: when another transaction spending
 * one of them confirms (the cheater's HTLC-success or HTLC-timeout, or their
 * `to_local` after their delay), the sweep can never confirm, so it is
 * rebuilt without the inputs taken (its other outputs are not left behind),
 * and, on a revoked commitment, with the output of their HTLC transaction
 * that took one (second-stage justice: the revoked `to_local` script,
 * ours at once by the revocation key; the transaction kept in the item).
 */
import { Transaction } from 'bitcoinjs-lib';
import { equalBytes } from '../../shared/codec/index.js';
import { StoredFeeEstimator } from '../../shared/chain/index.js';
import { toHex } from '../../shared/crypto/index.js';
import { encodeFollowUp } from '../../shared/manager/index.js';
import {
  classifyFundingSpend,
  decodeWatchedChannel,
  encodeWatchedChannel,
  ourOutputs,
  revokedHtlcTxOutputs,
  sweepOutputs,
  type ChannelMonitor,
  type JusticeRecord,
  type WatchedChannel,
} from '../../shared/monitor/index.js';
import { SortKey, StoreError, StoreErrorCode, monitorFromItems, MONITOR_UPDATES_PER_SNAPSHOT, type NodeStore } from '../../shared/store/index.js';
import { Keychain } from '../../shared/wallet/index.js';
import type { FollowUpInput } from '../runtime/invocation.js';
import type { NodeContext } from '../runtime/node-context.js';
import { newReceiveAddress } from '../wallet/wallet-service.js';
import { decodeFeeRates } from './fee-record.js';
import type { ChainConsumer, ConsumerWrites } from './handler.js';

/** The confirmation target of a sweep's feerate (blocks): nothing of ours is at risk while it waits. */
export const SWEEP_TARGET_BLOCKS = 6;

/** Loads the watched channels (one Query of `CHAIN_WATCH#`: small items, never the channels or monitors). */
export function monitorChainConsumers(ctx: NodeContext) {
  return async (store: NodeStore): Promise<readonly ChainConsumer[]> => {
    const items = await store.query(ctx.nodeKey, SortKey.chainWatchPrefix);
    if (items.length === 0) return [];
    const watched = items.map(({ sk, data }) => {
      const w = decodeWatchedChannel(data);
      if (!w.ok) throw new StoreError(StoreErrorCode.CorruptItem, `${sk}: ${w.error.message}`);
      return w.value;
    });
    return [new MonitorConsumer(ctx, store, watched)];
  };
}

class MonitorConsumer implements ChainConsumer {
  readonly #byId: Map<string, WatchedChannel>;
  readonly #changed = new Set<string>();
  readonly #swept = new Set<string>();
  /** Sweeps an input of which another transaction took (confirmed): the outpoints taken, `txid:index` (internal byte order, hex), and those transactions. */
  readonly #conflicts = new Map<string, { readonly taken: Set<string>; readonly txs: Uint8Array[] }>();
  #tipHeight: number | undefined;

  constructor(
    private readonly ctx: NodeContext,
    private readonly store: NodeStore,
    watched: readonly WatchedChannel[],
  ) {
    this.#byId = new Map(watched.map((w) => [toHex(w.channelId), w]));
  }

  readonly confirm = {
    transactionsConfirmed: (_header: Uint8Array, txdata: readonly { readonly tx: Uint8Array; readonly txid: Uint8Array }[], height: number) => {
      for (const { tx: raw, txid } of txdata) {
        const tx = Transaction.fromBuffer(raw);
        for (const [id, w] of this.#byId) {
          if (w.phase === 'funding' && tx.ins.some((i) => i.index === w.fundingOutpoint.index && equalBytes(i.hash, w.fundingOutpoint.txid))) {
            this.#byId.set(id, { ...w, phase: 'spent', spend: { tx: raw, height } });
            this.#changed.add(id);
          } else if (w.phase === 'sweeping' && w.sweep !== undefined && equalBytes(w.sweep.txid, txid)) {
            this.#swept.add(id);
          } else if (w.phase === 'sweeping' && w.sweep !== undefined) {
            const ours = new Set(sweepInputs(w.sweep.tx).map(outpointKey));
            const taken = tx.ins.map((i) => outpointKey({ txid: i.hash, index: i.index })).filter((k) => ours.has(k));
            if (taken.length === 0) continue;
            const conflict = this.#conflicts.get(id) ?? { taken: new Set<string>(), txs: [] };
            for (const k of taken) conflict.taken.add(k);
            conflict.txs.push(raw);
            this.#conflicts.set(id, conflict);
          }
        }
      }
    },
    transactionUnconfirmed: (txid: Uint8Array) => {
      // The spend left the best chain: watch the funding output again (a sweep built on it is dropped with it).
      for (const [id, w] of this.#byId) {
        if (w.spend !== undefined && equalBytes(Transaction.fromBuffer(w.spend.tx).getHash(), txid)) {
          const { spend: _spend, spendableHeight: _h, sweep: _s, ...rest } = w;
          this.#byId.set(id, { ...rest, phase: 'funding' });
          this.#changed.add(id);
        }
        if (w.sweep !== undefined && equalBytes(w.sweep.txid, txid)) this.#swept.delete(id);
        // A conflicting spend that left the best chain no longer calls for a rebuild.
        if (this.#conflicts.get(id)?.txs.some((raw) => equalBytes(Transaction.fromBuffer(raw).getHash(), txid)) === true) this.#conflicts.delete(id);
      }
    },
    bestBlockUpdated: (_header: Uint8Array, height: number) => {
      this.#tipHeight = height;
    },
    getRelevantTxids: () => [],
  };

  watch() {
    const watching = [...this.#byId.values()];
    return {
      txids: watching.flatMap((w) => (w.phase === 'sweeping' && w.sweep !== undefined ? [w.sweep.txid] : [])),
      outputs: watching.flatMap((w) => {
        if (w.phase === 'funding') return [{ outpoint: w.fundingOutpoint, scriptPubKey: w.fundingScript }];
        if (w.phase !== 'sweeping' || w.sweep === undefined || w.spend === undefined) return [];
        // The sweep's inputs (outputs of the spend or of a second-stage transaction): a conflicting spend of one of them is seen.
        const sources = [w.spend.tx, ...(w.secondStage ?? [])].map((raw) => Transaction.fromBuffer(raw));
        return sweepInputs(w.sweep.tx).flatMap((o) => {
          const out = sources.find((t) => equalBytes(t.getHash(), o.txid))?.outs[o.index];
          return out === undefined ? [] : [{ outpoint: o, scriptPubKey: new Uint8Array(out.script) }];
        });
      }),
    };
  }

  async writes(): Promise<ConsumerWrites> {
    const puts: { sk: string; data: Uint8Array }[] = [];
    const deletes: string[] = [];
    const broadcasts: Uint8Array[] = [];
    const followUps: FollowUpInput[] = [];
    const tip = this.#tipHeight;
    for (const [id, initial] of this.#byId) {
      let w = initial;
      let changed = this.#changed.has(id);
      const sk = SortKey.chainWatch(id);
      if (this.#swept.has(id)) {
        this.ctx.logger.info('funds swept', { channelId: id, txid: toHex(Uint8Array.from(w.sweep!.txid).reverse()), amountSat: w.sweep!.amountSat.toString() });
        deletes.push(sk);
        // The manager emits `funds-swept` (an event id of its own), in the channel's peer group.
        followUps.push({ peer: w.counterpartyNodeId, work: encodeFollowUp({ kind: 'funds-swept', channelId: w.channelId, txid: w.sweep!.txid, amountSat: w.sweep!.amountSat }) });
        continue;
      }
      if (w.phase === 'spent' && w.spendableHeight === undefined) {
        const { found, byCounterparty } = await this.#ourOutputs(id, w);
        // Their commitment: the channel, if still open in the manager, closes with `counterparty-force-closed`.
        if (byCounterparty) followUps.push({ peer: w.counterpartyNodeId, work: encodeFollowUp({ kind: 'funding-spent', channelId: w.channelId, txid: Transaction.fromBuffer(w.spend!.tx).getHash() }) });
        if (found.length === 0) {
          // A cooperative close (its output already pays the wallet), or nothing of ours on the commitment.
          deletes.push(sk);
          continue;
        }
        // One sweep spends them all: it can enter once the largest CSV among them allows.
        w = { ...w, spendableHeight: w.spend!.height + Math.max(...found.map((o) => o.csvBlocks)) };
        changed = true;
      }
      // The next block is the first the sweep can enter: its CSV counts from the commitment's block.
      // A new sweep goes out; none (below dust after fees) ends the item.
      let rebuild: Set<string> | undefined | false = false;
      if (w.phase === 'spent' && tip !== undefined && w.spendableHeight !== undefined && tip + 1 >= w.spendableHeight) {
        rebuild = undefined;
      } else if (w.phase === 'sweeping' && this.#conflicts.has(id)) {
        const { taken, txs } = this.#conflicts.get(id)!;
        const keep = new Set(sweepInputs(w.sweep!.tx).map(outpointKey).filter((k) => !taken.has(k)));
        // Those spending the commitment itself may be their HTLC transactions: their outputs are offered to the rebuild (it keeps only ours).
        const spendTxid = Transaction.fromBuffer(w.spend!.tx).getHash();
        const secondStage = txs.filter((raw) => Transaction.fromBuffer(raw).ins.some((i) => equalBytes(i.hash, spendTxid)));
        for (const raw of secondStage) {
          const t = Transaction.fromBuffer(raw);
          t.outs.forEach((_, index) => keep.add(outpointKey({ txid: t.getHash(), index })));
        }
        if (secondStage.length > 0) w = { ...w, secondStage: [...(w.secondStage ?? []), ...secondStage] };
        this.ctx.logger.warn('sweep input taken by another transaction: rebuilding the sweep without it', { channelId: id, taken: [...taken].join(','), secondStage: secondStage.length });
        rebuild = keep;
      } else if (w.phase === 'sweeping' && tip !== undefined && w.sweep !== undefined && !changed) {
        // Not confirmed yet: handed to the broadcast queue again at each block.
        broadcasts.push(w.sweep.tx);
      }
      if (rebuild !== false) {
        const swept = await this.#sweep(id, w, rebuild);
        if (swept === undefined) {
          deletes.push(sk);
          continue;
        }
        w = swept;
        changed = true;
        broadcasts.push(w.sweep!.tx);
      }
      if (changed) puts.push({ sk, data: encodeWatchedChannel(w) });
    }
    return { puts, deletes, broadcasts, followUps };
  }

  /** The monitor of channel `id` (read now: its funding output was spent). */
  async #monitor(id: string) {
    const items = await this.store.query(this.ctx.nodeKey, SortKey.monitorPrefix(id), Number(MONITOR_UPDATES_PER_SNAPSHOT) + 1, 'newest-first');
    const read = monitorFromItems(id, items);
    if (read === undefined) throw new StoreError(StoreErrorCode.CorruptItem, `${SortKey.chainWatch(id)}: no monitor for a watched channel`);
    return read.monitor;
  }

  async #ourOutputs(id: string, w: WatchedChannel) {
    const monitor = await this.#monitor(id);
    const signer = this.ctx.managerPorts.signerProvider.deriveChannelSigner(monitor.channelValueSatoshis, monitor.channelKeysId);
    const tx = Transaction.fromBuffer(w.spend!.tx);
    const kind = classifyFundingSpend(monitor, tx).kind;
    const found = ourOutputs(this.ctx.managerPorts.secp, signer, monitor, tx, await this.#justiceRecord(id, monitor, tx));
    return { found, byCounterparty: kind === 'counterparty-commitment' || kind === 'revoked-counterparty-commitment' };
  }

  /**
   * The justice record (HTLC set) of `tx` when it is a commitment of theirs:
   * revoked (every HTLC output is ours), or not while the monitor holds a
   * preimage (the HTLCs they offered us that we claimed are ours). One
   * GetItem, read outside the lease (written once, never changed). Missing
   * (a channel older than the records) or unreadable: the sweep goes without
   * the HTLC outputs (logged), rather than not at all.
   */
  async #justiceRecord(id: string, monitor: ChannelMonitor, tx: Transaction): Promise<JusticeRecord | undefined> {
    const spend = classifyFundingSpend(monitor, tx);
    const revoked = spend.kind === 'revoked-counterparty-commitment';
    if (!revoked && (spend.kind !== 'counterparty-commitment' || monitor.paymentPreimages.length === 0)) return undefined;
    const fields = { channelId: id, commitmentNumber: spend.commitmentNumber.toString() };
    const what = revoked ? 'justice: the HTLC record of the revoked commitment' : 'HTLC claim: the HTLC record of their commitment';
    try {
      const record = await this.store.counterpartyHtlcs(this.ctx.nodeKey, id, spend.commitmentNumber);
      if (record === undefined) this.ctx.logger.warn(`${what} is missing: its HTLC outputs are not taken`, fields);
      return record;
    } catch (e) {
      if (!(e instanceof StoreError) || e.code !== StoreErrorCode.CorruptItem) throw e;
      this.ctx.logger.error(`${what} is unreadable: its HTLC outputs are not taken`, { ...fields, error: e.message });
      return undefined;
    }
  }

  /**
   * Our outputs' sweep (one transaction: on a revoked commitment of theirs,
   * the justice inputs, their `to_local` and HTLC outputs, and our
   * `to_remote`) to a fresh receive address, of those in `only` when given
   * (`txid:index` keys: a rebuild without the inputs another transaction
   * took); undefined when it is below dust after fees (left on chain, logged).
   */
  async #sweep(id: string, w: WatchedChannel, only?: ReadonlySet<string>): Promise<WatchedChannel | undefined> {
    const monitor = await this.#monitor(id);
    const signer = this.ctx.managerPorts.signerProvider.deriveChannelSigner(monitor.channelValueSatoshis, monitor.channelKeysId);
    const tx = Transaction.fromBuffer(w.spend!.tx);
    const secp = this.ctx.managerPorts.secp;
    const found = [
      ...ourOutputs(secp, signer, monitor, tx, await this.#justiceRecord(id, monitor, tx)),
      ...(w.secondStage ?? []).flatMap((raw) => revokedHtlcTxOutputs(secp, signer, monitor, tx, Transaction.fromBuffer(raw))),
    ];
    const outputs = only === undefined ? found : found.filter((o) => only.has(outpointKey(o.outpoint)));
    if (outputs.length === 0) return undefined;
    const fees = decodeFeeRates(await this.store.get(this.ctx.nodeKey, SortKey.fees));
    const feerate = new StoredFeeEstimator(fees.ok ? fees.value : new Map()).feeRatePerKw(SWEEP_TARGET_BLOCKS);
    const { index } = await newReceiveAddress(this.ctx);
    const destination = this.ctx.wallet.key(Keychain.receive, index).script;
    const sweep = sweepOutputs(signer, outputs, destination, feerate);
    const valueSat = outputs.reduce((sum, o) => sum + o.valueSat, 0n);
    if (sweep.kind === 'below-dust') {
      this.ctx.logger.warn('output below dust after fees: not swept', { channelId: id, valueSat: valueSat.toString(), feeSat: sweep.feeSat.toString() });
      return undefined;
    }
    const kinds = sweep.outputs.map((o) => o.kind).join('+');
    this.ctx.logger.info(kinds.includes('revoked') ? 'justice: sweeping a revoked commitment' : 'sweeping our output', { channelId: id, kind: kinds, amountSat: sweep.amountSat.toString(), feeSat: sweep.feeSat.toString() });
    return { ...w, phase: 'sweeping', sweep: { tx: sweep.tx, txid: sweep.txid, amountSat: sweep.amountSat } };
  }
}

/** An outpoint as a map key: `txid:index`, the txid in internal byte order (hex). */
function outpointKey(o: { readonly txid: Uint8Array; readonly index: number }): string {
  return `${toHex(o.txid)}:${o.index}`;
}

/** The outpoints a sweep spends (internal byte order). */
function sweepInputs(sweepTx: Uint8Array): { txid: Uint8Array; index: number }[] {
  return Transaction.fromBuffer(sweepTx).ins.map((i) => ({ txid: new Uint8Array(i.hash), index: i.index }));
}
