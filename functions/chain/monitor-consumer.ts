/**
 * The channel monitors as a chain consumer (docs/force-close.md): the
 * funding output of every channel with a `CHAIN_WATCH#` item is watched;
 * when a transaction spends it, the channel's monitor is read (only then)
 * and what is ours on chain is derived from it (shared/monitor: sweep.ts,
 * htlc-claims.ts) and planned (claim-plan.ts): every output of ours ready
 * in the next block goes in one sweep to a fresh receive address of the
 * node's wallet at the stored feerate estimate, each of our pre-signed HTLC
 * transactions on its own; outputs whose CSV or CLTV is still ahead wait
 * (their earliest height kept in the item, their outpoints watched). Our
 * claims go to the broadcast queue after the commit and again at every
 * block until they confirm.
 *
 * The monitor is read again only when something of the channel moved on
 * chain: a claim of ours confirmed (a sweep: `funds-swept`; an HTLC
 * transaction: its output is ours after our delay), another transaction
 * took an output of ours (their HTLC transaction or claim: a claim of ours
 * that spent it can never confirm and is dropped, its other outputs
 * claimed again; on a revoked commitment the output of their HTLC
 * transaction is ours by the revocation key: second-stage justice), or the
 * earliest waiting height came. An HTLC we offered resolved on chain (taken
 * by our timeout claim, or by theirs with the preimage) is reported to the
 * payment (an `htlc-resolved-on-chain` follow-up). The item is deleted once
 * nothing of ours is left to claim.
 */
import { Transaction } from 'bitcoinjs-lib';
import { equalBytes } from '../../shared/codec/index.js';
import { StoredFeeEstimator } from '../../shared/chain/index.js';
import { sha256, toHex } from '../../shared/crypto/index.js';
import { followUpFor, htlcResolvedOnChain } from '../../shared/manager/index.js';
import {
  ANCHOR_INPUT_WEIGHT,
  buildAnchorCpfp,
  buildAnchorHtlcTx,
  classifyFundingSpend,
  cpfpChildFee,
  feerateOf,
  bumpedFeerate,
  claimableOutpoint,
  claimablesOf,
  decodeWatchedChannel,
  finalAt,
  encodeWatchedChannel,
  inFlightOutpoints,
  inputsOf,
  offeredHtlcOutcomes,
  offeredOnLatestCommitments,
  outpointKey,
  planClaims,
  sweepOutputs,
  withAnchorsWhenSafe,
  targetBlocks,
  txidOf,
  type ChannelMonitor,
  type Claim,
  type Claimable,
  type FeeCoin,
  type FeePaidTx,
  type FundingCoin,
  type JusticeRecord,
  type WatchedChannel,
} from '../../shared/monitor/index.js';
import { SortKey, StoreError, StoreErrorCode, monitorFromItems, MONITOR_UPDATES_PER_SNAPSHOT, type NodeStore } from '../../shared/store/index.js';
import { Keychain, claimChangeIndex, claimFeeCoins, dropPending, lockClaimInputs, P2WPKH_DUST_SAT, P2WPKH_INPUT_WEIGHT, P2WPKH_OUTPUT_WEIGHT, type ClaimLock, type WalletState } from '../../shared/wallet/index.js';
import { ANCHOR_OUTPUT_SAT, feeForWeight } from '../../shared/tx/index.js';
import type { FollowUpInput } from '../runtime/invocation.js';
import type { NodeContext } from '../runtime/node-context.js';
import { newReceiveAddress } from '../wallet/wallet-service.js';
import { decodeFeeRates } from './fee-record.js';
import type { ChainConsumer, ConsumerWrites } from './handler.js';

const BROADCAST_SUFFIX = '#broadcast';

/** A txid (internal byte order) in display order, as the wallet names its transactions. */
const displayTxid = (txid: Uint8Array) => toHex(Uint8Array.from(txid).reverse());

/** A claim's txid and those of the earlier versions it replaced. */
const versionsOf = (c: Claim): Uint8Array[] => [c.txid, ...(c.replaces ?? [])];

const feeCoinOf = (c: FundingCoin): FeeCoin => ({ txid: c.txid, vout: c.vout, valueSat: c.valueSat, keychain: c.keychain, index: c.index });


/** The `CHAIN_WATCH#` items decoded: the watched channels, and our transactions spending a funding output (by channel id hex). */
export interface WatchedChannels {
  readonly watched: readonly WatchedChannel[];
  /** Our transactions spending a funding output, to hand over again while it is unspent (SortKey.fundingSpendBroadcast). */
  readonly rebroadcast: ReadonlyMap<string, Uint8Array>;
}

/** Decodes the items of a Query of `CHAIN_WATCH#`; one that does not decode is `corrupt-item`. */
export function decodeWatchItems(items: readonly { readonly sk: string; readonly data: Uint8Array }[]): WatchedChannels {
  const rebroadcast = new Map(items.filter(({ sk }) => sk.endsWith(BROADCAST_SUFFIX)).map(({ sk, data }) => [sk.slice(SortKey.chainWatchPrefix.length, -BROADCAST_SUFFIX.length), data] as const));
  const watched = items
    .filter(({ sk }) => !sk.endsWith(BROADCAST_SUFFIX))
    .map(({ sk, data }) => {
      const w = decodeWatchedChannel(data);
      if (!w.ok) throw new StoreError(StoreErrorCode.CorruptItem, `${sk}: ${w.error.message}`);
      return w.value;
    });
  return { watched, rebroadcast };
}

/**
 * Loads the watched channels: by default one Query of `CHAIN_WATCH#` (small
 * items, never the channels or monitors); the chain handler passes `read`,
 * which keeps them between runs while unchanged (functions/chain/watch-items.ts).
 */
export function monitorChainConsumers(ctx: NodeContext, read?: (store: NodeStore) => Promise<WatchedChannels>) {
  return async (store: NodeStore): Promise<readonly ChainConsumer[]> => {
    const { watched, rebroadcast } = read === undefined ? decodeWatchItems(await store.query(ctx.nodeKey, SortKey.chainWatchPrefix)) : await read(store);
    if (watched.length === 0 && rebroadcast.size === 0) return [];
    return [new MonitorConsumer(ctx, store, watched, rebroadcast)];
  };
}

/** What moved on chain for one watched channel during this run. */
interface Moved {
  /** The funding output was spent (the item entered `spent`). */
  spent: boolean;
  /** Our claims that confirmed. */
  readonly confirmed: Claim[];
  /** Transactions not ours that confirmed spending the commitment or an output of ours. */
  readonly stages: Uint8Array[];
  /** A transaction the item relied on left the best chain. */
  reorged: boolean;
}

class MonitorConsumer implements ChainConsumer {
  readonly #byId: Map<string, WatchedChannel>;
  readonly #moved = new Map<string, Moved>();
  #tipHeight: number | undefined;
  #fees: Promise<StoredFeeEstimator> | undefined;
  /** The wallet as this run sees it, with the coins our anchors claims took marked (writes() sets it). */
  #wallet: WalletState | undefined;
  /** Claims paid by wallet coins made this run, and dropped ones (display txids) whose coins go back: settleWallet applies them. */
  readonly #locks: ClaimLock[] = [];
  readonly #releases: string[] = [];
  /** Channels whose CPFP child was made or bumped this run (their item is written). */
  readonly #childChanged = new Set<string>();

  constructor(
    private readonly ctx: NodeContext,
    private readonly store: NodeStore,
    watched: readonly WatchedChannel[],
    /** Channel id (hex) → our transaction spending its funding output, handed over again while that output is unspent. */
    private readonly rebroadcast: ReadonlyMap<string, Uint8Array> = new Map(),
  ) {
    this.#byId = new Map(watched.map((w) => [toHex(w.channelId), w]));
  }

  #movedOf(id: string): Moved {
    let m = this.#moved.get(id);
    if (m === undefined) this.#moved.set(id, (m = { spent: false, confirmed: [], stages: [], reorged: false }));
    return m;
  }

  readonly confirm = {
    transactionsConfirmed: (header: Uint8Array, txdata: readonly { readonly tx: Uint8Array; readonly txid: Uint8Array }[], height: number) => {
      const blockHash = sha256(sha256(header));
      for (const { tx: raw, txid } of txdata) {
        const spends = inputsOf(raw).map(outpointKey);
        for (const [id, w] of this.#byId) {
          if (w.phase === 'funding') {
            if (!spends.includes(outpointKey(w.fundingOutpoint))) continue;
            // The same spend back after a reorg keeps our claims on it (re-broadcast, maybe still in mempools); another drops them.
            const same = w.spend !== undefined && equalBytes(txidOf(w.spend.tx), txid);
            const { claims: _c, anchorChild: _a, ...rest } = w;
            const { anchorChild, ...kept } = w;
            // The CPFP child is no longer needed: the version the chain took is the wallet's already; the others give their coins back.
            if (anchorChild !== undefined) this.#releases.push(...versionsOf(anchorChild).map(displayTxid));
            this.#byId.set(id, { ...(same ? kept : rest), phase: 'spent', spend: { tx: raw, height, blockHash } });
            this.#movedOf(id).spent = true;
            continue;
          }
          // Ours: the claim, or an earlier version of it it replaced (a bumped fee) that confirmed instead.
          const claim = (w.claims ?? []).find((c) => c.confirmedHeight === undefined && (equalBytes(c.txid, txid) || (c.replaces ?? []).some((r) => equalBytes(r, txid))));
          if (claim !== undefined) {
            const version = equalBytes(claim.txid, txid) ? {} : { tx: raw, txid, amountSat: BigInt(Transaction.fromBuffer(raw).outs[0]!.value) };
            const confirmed = { ...claim, ...version, confirmedHeight: height, blockHash };
            // The other versions of a claim paid by wallet coins never confirm now: their pending entry (the newest's) goes.
            if (claim.feeCoins !== undefined) this.#releases.push(...versionsOf(claim).filter((t) => !equalBytes(t, txid)).map(displayTxid));
            this.#byId.set(id, { ...w, claims: w.claims!.map((c) => (c === claim ? confirmed : c)) });
            this.#movedOf(id).confirmed.push(confirmed);
            continue;
          }
          // Another transaction spending the commitment or an output of ours (pending, or in one of our claims).
          const commitment = `${toHex(txidOf(w.spend!.tx))}:`;
          const ours = new Set([...(w.pending ?? []).map(outpointKey), ...inFlightOutpoints(w)]);
          if (!spends.some((k) => ours.has(k) || k.startsWith(commitment))) continue;
          this.#byId.set(id, { ...w, stages: [...(w.stages ?? []), { tx: raw, height, blockHash }] });
          this.#movedOf(id).stages.push(raw);
        }
      }
    },
    transactionUnconfirmed: (txid: Uint8Array) => {
      for (const [id, w] of this.#byId) {
        if (w.spend === undefined) continue;
        if (w.phase === 'spent' && equalBytes(txidOf(w.spend.tx), txid)) {
          // The spend left the best chain: watch the funding output again. Our claims on it are kept (unconfirmed) in
          // case the same spend comes back (their transactions may still be in mempools); what else was seen goes.
          const claims = (w.claims ?? []).map(({ confirmedHeight: _h, blockHash: _b, ...c }) => c);
          const { spend } = w;
          this.#byId.set(id, { channelId: w.channelId, counterpartyNodeId: w.counterpartyNodeId, fundingOutpoint: w.fundingOutpoint, fundingScript: w.fundingScript, phase: 'funding', spend, ...(claims.length === 0 ? {} : { claims }) });
          this.#movedOf(id).reorged = true;
          continue;
        }
        const claims = (w.claims ?? []).map((c) => {
          if (c.confirmedHeight === undefined || !equalBytes(c.txid, txid)) return c;
          const { confirmedHeight: _h, blockHash: _b, ...unconfirmed } = c;
          return unconfirmed;
        });
        const stages = (w.stages ?? []).filter((s) => !equalBytes(txidOf(s.tx), txid));
        if (stages.length !== (w.stages ?? []).length || claims.some((c, i) => c !== w.claims![i])) {
          this.#byId.set(id, { ...w, claims, stages });
          this.#movedOf(id).reorged = true;
        }
      }
    },
    bestBlockUpdated: (_header: Uint8Array, height: number) => {
      this.#tipHeight = height;
    },
    // What the items rely on being confirmed (the spend, our confirmed claims, the stages): a sync checks they still are.
    getRelevantTxids: () =>
      [...this.#byId.values()].flatMap((w) => {
        if (w.phase !== 'spent') return [];
        const spend = w.spend!;
        const claims = (w.claims ?? []).flatMap((c) => (c.confirmedHeight === undefined ? [] : [{ txid: c.txid, height: c.confirmedHeight, blockHash: c.blockHash }]));
        const stages = (w.stages ?? []).map((st) => ({ txid: txidOf(st.tx), height: st.height, blockHash: st.blockHash }));
        return [{ txid: txidOf(spend.tx), height: spend.height, blockHash: spend.blockHash }, ...claims, ...stages];
      }),
  };

  watch() {
    const watching = [...this.#byId.values()];
    return {
      txids: watching.flatMap((w) => (w.claims ?? []).filter((c) => c.confirmedHeight === undefined).flatMap((c) => [c.txid, ...(c.replaces ?? [])])),
      outputs: watching.flatMap((w) => {
        if (w.phase === 'funding') return [{ outpoint: w.fundingOutpoint, scriptPubKey: w.fundingScript }];
        // Our outputs waiting and those our claims spend: a spend by another transaction is seen.
        const sources = [w.spend!.tx, ...(w.stages ?? []).map((s) => s.tx), ...(w.claims ?? []).map((c) => c.tx)].map((raw) => Transaction.fromBuffer(raw));
        const keys = new Set([...(w.pending ?? []).map(outpointKey), ...inFlightOutpoints(w)]);
        return sources.flatMap((t) => {
          const txid = new Uint8Array(t.getHash());
          return t.outs.flatMap((out, index) => (keys.has(outpointKey({ txid, index })) ? [{ outpoint: { txid, index }, scriptPubKey: new Uint8Array(out.script) }] : []));
        });
      }),
    };
  }

  /** The wallet with our anchors claims of this run recorded (their coins marked, their change counted) and dropped ones released. */
  settleWallet(wallet: WalletState): WalletState {
    let out = wallet;
    for (const txid of this.#releases) out = dropPending(out, txid);
    for (const lock of this.#locks) out = lockClaimInputs(out, lock);
    return out;
  }

  async writes(wallet?: WalletState): Promise<ConsumerWrites> {
    this.#wallet = wallet;
    const puts: { sk: string; data: Uint8Array }[] = [];
    const deletes: string[] = [];
    const broadcasts: Uint8Array[] = [];
    const followUps: FollowUpInput[] = [];
    for (const [id, tx] of this.rebroadcast) {
      // Handed over at each block while the funding output is unspent (again after a reorg took its spend out); deleted with the item.
      const w = this.#byId.get(id);
      if (w === undefined) deletes.push(SortKey.fundingSpendBroadcast(id));
      else if (w.phase === 'funding' && this.#tipHeight !== undefined) broadcasts.push(tx, ...(await this.#cpfp(id, tx, this.#tipHeight)));
    }
    for (const [id, initial] of this.#byId) {
      const sk = SortKey.chainWatch(id);
      const moved = this.#moved.get(id);
      if (initial.phase === 'funding') {
        if (moved?.reorged === true || this.#childChanged.has(id)) puts.push({ sk, data: encodeWatchedChannel(initial) });
        continue;
      }
      const tip = this.#tipHeight ?? initial.spend!.height;
      const due = initial.spendableHeight === undefined || tip + 1 >= initial.spendableHeight;
      const bumps = await this.#bumps(initial, tip);
      if (moved === undefined && !due && bumps.size === 0) {
        // Nothing moved: our claims not confirmed yet go to the broadcast queue again at each block.
        if (this.#tipHeight !== undefined) broadcasts.push(...(initial.claims ?? []).filter((c) => c.confirmedHeight === undefined).map((c) => c.tx));
        continue;
      }
      const planned = await this.#plan(id, initial, moved, tip, followUps, bumps);
      broadcasts.push(...planned.broadcasts);
      if (planned.done) deletes.push(sk, ...(this.rebroadcast.has(id) ? [SortKey.fundingSpendBroadcast(id)] : []));
      else puts.push({ sk, data: encodeWatchedChannel(planned.watched) });
    }
    return { puts, deletes, broadcasts, followUps };
  }

  /**
   * Plans the claims of channel `id` at tip `tip`: reads the monitor, derives
   * what is ours, reports HTLCs we offered that the chain resolved, drops
   * our claims another transaction made impossible, and builds the claims
   * ready now. `done` when nothing of ours is left to claim.
   */
  async #plan(id: string, initial: WatchedChannel, moved: Moved | undefined, tip: number, followUps: FollowUpInput[], bumps: ReadonlyMap<Claim, number>) {
    const monitor = await this.#monitor(id);
    const commitment = Transaction.fromBuffer(initial.spend!.tx);
    const spend = classifyFundingSpend(monitor, commitment);
    const peer = initial.counterpartyNodeId;
    const justice = await this.#justiceRecord(id, monitor, commitment);
    const claimables = claimablesOf(this.ctx.managerPorts.secp, this.#signer(monitor), monitor, initial, justice);
    if (moved?.spent === true && (spend.kind === 'counterparty-commitment' || spend.kind === 'revoked-counterparty-commitment')) {
      // Their commitment: the channel, if still open in the manager, closes with `counterparty-force-closed`, or
      // `revoked-commitment-punished` when they had revoked it and justice has outputs of theirs to take.
      const revoked = spend.kind === 'revoked-counterparty-commitment' && claimables.some((c) => c.kind === 'output' && (c.output.kind === 'revoked-to-local' || c.output.kind === 'revoked-htlc'));
      followUps.push(followUpFor(peer, { kind: 'funding-spent', channelId: initial.channelId, txid: new Uint8Array(commitment.getHash()), ...(revoked ? { revoked } : {}) }));
    }
    // HTLCs we offered, resolved on chain, reach their payment (without output on the commitment: once it is final).
    const commitmentFinal = tip >= finalAt(initial.spend!.height);
    const offered = commitmentFinal ? offeredOnLatestCommitments(monitor, [justice, await this.#latestCounterpartyRecord(id, monitor, justice)]) : [];
    for (const { htlc, paymentPreimage } of offeredHtlcOutcomes(initial, claimables, moved?.stages ?? [], tip, offered)) {
      const work = htlcResolvedOnChain(initial.channelId, htlc, paymentPreimage);
      if (work !== undefined) followUps.push(followUpFor(peer, work));
    }
    // A claim of ours spending an output another transaction took can never confirm: dropped, its other outputs planned again.
    const taken = new Set((initial.stages ?? []).flatMap((s) => inputsOf(s.tx).map(outpointKey)));
    const kept = (initial.claims ?? []).filter((c) => c.confirmedHeight !== undefined || !inputsOf(c.tx).some((o) => taken.has(outpointKey(o))));
    if (kept.length !== (initial.claims ?? []).length) this.ctx.logger.warn('a claim input was taken by another transaction: claiming the rest again', { channelId: id });
    // A dropped claim paid by wallet coins (an anchors HTLC transaction) gives them back.
    for (const dropped of (initial.claims ?? []).filter((c) => !kept.includes(c))) this.#releases.push(toHex(Uint8Array.from(dropped.txid).reverse()));
    // Claims bumped: the same outputs to the same address at a higher feerate, replacing them (full RBF); an anchors HTLC
    // transaction with the same wallet coins.
    const rebuilt: Claim[] = [];
    for (const [old, feeratePerKw] of bumps) {
      if (!kept.includes(old)) continue;
      if (old.kind === 'htlc-tx') {
        const bumped = await this.#bumpAnchorHtlcTx(id, monitor, old, claimables, feeratePerKw, tip);
        if (bumped === undefined) continue;
        kept.splice(kept.indexOf(old), 1);
        rebuilt.push(bumped);
        continue;
      }
      const inputs = new Set(inputsOf(old.tx).map(outpointKey));
      const outputs = claimables.filter((c) => c.kind === 'output' && inputs.has(outpointKey(c.output.outpoint)));
      const destination = new Uint8Array(Transaction.fromBuffer(old.tx).outs[0]!.script);
      const bumped = await this.#sweep(id, monitor, outputs, tip, { feeratePerKw, destination, replaces: [old.txid, ...(old.replaces ?? [])] });
      if (bumped === undefined) continue;
      this.ctx.logger.warn('claim unconfirmed: bumping its fee', { channelId: id, from: old.feeratePerKw, to: bumped.feeratePerKw, deadline: old.deadline });
      kept.splice(kept.indexOf(old), 1);
      rebuilt.push(bumped);
    }
    let w: WatchedChannel = { ...initial, claims: [...kept, ...rebuilt] };
    const plan = planClaims(w, claimables, tip);
    const built = await this.#build(id, monitor, withAnchorsWhenSafe(plan.ready, initial.spend!.height, tip), tip);
    const claims = [...kept.map((c) => this.#reportIfFinal(id, initial, c, tip, followUps)), ...rebuilt, ...built];
    const waiting = plan.waiting.map(claimableOutpoint);
    // So are the commitment and our confirmed claims, until final (a reorg dropping a claim hands it to the broadcast queue again).
    const unsettled = [initial.spend!.height, ...claims.flatMap((c) => (c.confirmedHeight === undefined ? [] : [c.confirmedHeight]))].filter((h) => tip < finalAt(h)).map((h) => finalAt(h) + 1);
    const heights = [...(plan.spendableHeight === undefined ? [] : [plan.spendableHeight]), ...unsettled];
    const { spendableHeight: _h, pending: _p, ...rest } = w;
    w = { ...rest, claims, ...(waiting.length === 0 ? {} : { pending: waiting }), ...(heights.length === 0 ? {} : { spendableHeight: Math.min(...heights) }) };
    const unconfirmed = claims.filter((c) => c.confirmedHeight === undefined);
    return { watched: w, broadcasts: unconfirmed.map((c) => c.tx), done: unconfirmed.length === 0 && waiting.length === 0 && unsettled.length === 0 };
  }

  /**
   * A sweep of ours final now: `funds-swept` (the manager emits the event,
   * an event id of its own, in the channel's peer group), once (LDK reports
   * `SpendableOutputs` at the same depth); the wallet counted it from its
   * first confirmation (it scans the address).
   */
  #reportIfFinal(id: string, w: WatchedChannel, c: Claim, tip: number, followUps: FollowUpInput[]): Claim {
    if (c.kind !== 'sweep' || c.reported === true || c.confirmedHeight === undefined || tip < finalAt(c.confirmedHeight)) return c;
    this.ctx.logger.info('funds swept', { channelId: id, txid: toHex(Uint8Array.from(c.txid).reverse()), amountSat: c.amountSat.toString() });
    followUps.push(followUpFor(w.counterpartyNodeId, { kind: 'funds-swept', channelId: w.channelId, txid: c.txid, amountSat: c.amountSat }));
    return { ...c, reported: true };
  }

  #signer(monitor: ChannelMonitor) {
    return this.ctx.managerPorts.signerProvider.deriveChannelSigner(monitor.channelValueSatoshis, monitor.channelKeysId);
  }

  /** The justice record of the counterparty's latest commitment, unless it is `confirmed`'s (read once the spend is final: HTLCs we offered that only it held failed). */
  async #latestCounterpartyRecord(id: string, monitor: ChannelMonitor, confirmed: JusticeRecord | undefined): Promise<JusticeRecord | undefined> {
    const latest = monitor.latestCounterpartyCommitment;
    if (latest === undefined || latest.commitmentNumber === confirmed?.commitmentNumber) return undefined;
    try {
      return await this.store.counterpartyHtlcs(this.ctx.nodeKey, id, latest.commitmentNumber);
    } catch (e) {
      if (!(e instanceof StoreError) || e.code !== StoreErrorCode.CorruptItem) throw e;
      this.ctx.logger.error('the HTLC record of their latest commitment is unreadable: the HTLCs only it held are not reported', { channelId: id, error: e.message });
      return undefined;
    }
  }

  /** Our claims of `ready`: one sweep of the outputs, each pre-signed HTLC transaction on its own, each anchors HTLC transaction with a wallet coin. */
  async #build(id: string, monitor: ChannelMonitor, ready: readonly Claimable[], tip: number): Promise<Claim[]> {
    const claims: Claim[] = [];
    for (const c of ready) if (c.kind === 'htlc-tx') claims.push({ kind: 'htlc-tx', tx: c.tx, txid: c.txid, amountSat: c.amountSat });
    for (const c of ready) {
      if (c.kind !== 'anchor-htlc') continue;
      const claim = await this.#anchorHtlcTx(id, monitor, c, tip);
      if (claim !== undefined) claims.push(claim);
    }
    const sweep = await this.#sweep(id, monitor, ready, tip);
    return sweep === undefined ? claims : [...claims, sweep];
  }

  /**
   * One sweep of the outputs among `claimables` to a fresh receive address,
   * at the estimate for the blocks left before the earliest deadline among
   * them; or, bumping an earlier sweep, at `bump.feeratePerKw` to its
   * address. Undefined when there is nothing to sweep or it would be below
   * dust after the fee (logged).
   */
  async #sweep(
    id: string,
    monitor: ChannelMonitor,
    claimables: readonly Claimable[],
    tip: number,
    bump?: { readonly feeratePerKw: number; readonly destination: Uint8Array; readonly replaces: readonly Uint8Array[] },
  ): Promise<Claim | undefined> {
    const outputs = claimables.flatMap((c) => (c.kind === 'output' ? [c] : []));
    if (outputs.length === 0) return undefined;
    const deadlines = outputs.flatMap((c) => (c.deadline === undefined ? [] : [c.deadline]));
    const deadline = deadlines.length === 0 ? undefined : Math.min(...deadlines);
    const feeratePerKw = bump?.feeratePerKw ?? (await this.#estimate(targetBlocks(deadline, tip)));
    const destination = bump?.destination ?? this.ctx.wallet.key(Keychain.receive, (await newReceiveAddress(this.ctx)).index).script;
    const sweep = sweepOutputs(this.#signer(monitor), outputs.map((c) => c.output), destination, BigInt(feeratePerKw));
    if (sweep.kind === 'below-dust') {
      const valueSat = outputs.reduce((sum, c) => sum + c.output.valueSat, 0n);
      this.ctx.logger.warn(bump === undefined ? 'output below dust after fees: not swept' : 'a bumped fee would leave the outputs below dust: not bumped', { channelId: id, valueSat: valueSat.toString(), feeSat: sweep.feeSat.toString() });
      return undefined;
    }
    const kinds = sweep.outputs.map((o) => o.kind).join('+');
    if (bump === undefined) this.ctx.logger.info(kinds.includes('revoked') ? 'justice: sweeping a revoked commitment' : 'sweeping our output', { channelId: id, kind: kinds, amountSat: sweep.amountSat.toString(), feeSat: sweep.feeSat.toString() });
    return {
      kind: 'sweep',
      tx: sweep.tx,
      txid: sweep.txid,
      amountSat: sweep.amountSat,
      feeratePerKw,
      builtHeight: tip,
      ...(deadline === undefined ? {} : { deadline }),
      ...(bump === undefined ? {} : { replaces: bump.replaces }),
    };
  }

  /**
   * Our zero-fee HTLC transaction of `c` with a confirmed wallet coin paying
   * its fee at the estimate for the blocks left before its deadline, the
   * change to the wallet's next change address; the coin locked for it
   * (settleWallet). Undefined, logged, when no confirmed coin pays it.
   */
  async #anchorHtlcTx(id: string, monitor: ChannelMonitor, c: Extract<Claimable, { kind: 'anchor-htlc' }>, tip: number): Promise<Claim | undefined> {
    if (this.#wallet === undefined) return undefined;
    const feeratePerKw = await this.#estimate(targetBlocks(c.deadline, tip));
    const neededSat = feeForWeight(BigInt(feeratePerKw), c.claim.weight + BigInt(P2WPKH_INPUT_WEIGHT + P2WPKH_OUTPUT_WEIGHT)) + P2WPKH_DUST_SAT;
    const coins = claimFeeCoins(this.#wallet, neededSat);
    const changeIndex = claimChangeIndex(this.#wallet);
    const build = (with_: readonly FundingCoin[]) =>
      buildAnchorHtlcTx(this.ctx.wallet.secp, this.#signer(monitor), [c.claim], { account: this.ctx.wallet, coins: with_, changeScript: this.ctx.wallet.key(Keychain.change, changeIndex).script }, BigInt(feeratePerKw));
    const built = build(coins);
    if (built.kind !== 'signed') {
      this.ctx.logger.error('anchors: no confirmed wallet coin pays the fee of our HTLC transaction: not claimed (add confirmed funds)', { channelId: id, neededSat: neededSat.toString(), reason: built.kind });
      return undefined;
    }
    this.#lockFeeCoins(built, 1, changeIndex, tip);
    this.ctx.logger.info('anchors: our HTLC transaction with a wallet fee input', { channelId: id, offered: c.claim.offered, feeSat: built.feeSat.toString(), feeratePerKw });
    return anchorHtlcClaim(built, c.amountSat, feeratePerKw, tip, c.deadline);
  }

  /**
   * `old`, our anchors HTLC transaction still unconfirmed, rebuilt at
   * `feeratePerKw` (RBF): the same HTLC input and output, the same wallet
   * coins (more confirmed ones only when they no longer pay the fee), the
   * change to the same address, a fee at least the old one plus the
   * incremental relay fee over its size (BIP 125). The old version's
   * pending entry goes, the new one locks the coins. Undefined (logged) to
   * leave `old` as it is: the fee would exceed the HTLC's amount (the cap),
   * or no coin pays it.
   */
  async #bumpAnchorHtlcTx(id: string, monitor: ChannelMonitor, old: Claim, claimables: readonly Claimable[], feeratePerKw: number, tip: number): Promise<Claim | undefined> {
    if (this.#wallet === undefined || old.feeCoins === undefined) return undefined;
    const tx = Transaction.fromBuffer(old.tx);
    const spends = inputsOf(old.tx)[0]!;
    const c = claimables.find((x): x is Extract<Claimable, { kind: 'anchor-htlc' }> => x.kind === 'anchor-htlc' && outpointKey(x.spends) === outpointKey(spends));
    if (c === undefined) return undefined;
    const oldFeeSat = c.amountSat + old.feeCoins.reduce((sum, coin) => sum + coin.valueSat, 0n) - tx.outs.reduce((sum, o) => sum + BigInt(o.value), 0n);
    const changeOut = tx.outs.slice(1).map((o) => this.ctx.wallet.keyOfScript(new Uint8Array(o.script))).find((k) => k !== undefined);
    const changeIndex = changeOut?.keychain === Keychain.change ? changeOut.index : claimChangeIndex(this.#wallet);
    const funding = (coins: readonly FundingCoin[]) => ({ account: this.ctx.wallet, coins, changeScript: this.ctx.wallet.key(Keychain.change, changeIndex).script });
    const signer = this.#signer(monitor);
    let built = buildAnchorHtlcTx(this.ctx.wallet.secp, signer, [c.claim], funding(old.feeCoins), BigInt(feeratePerKw), { feeSat: oldFeeSat });
    if (built.kind === 'coins-too-small') {
      const more = claimFeeCoins(this.#wallet, built.neededSat - built.availableSat + BigInt(P2WPKH_INPUT_WEIGHT) * BigInt(feeratePerKw) / 1000n + P2WPKH_DUST_SAT);
      if (more.length > 0) built = buildAnchorHtlcTx(this.ctx.wallet.secp, signer, [c.claim], funding([...old.feeCoins, ...more]), BigInt(feeratePerKw), { feeSat: oldFeeSat });
    }
    if (built.kind !== 'signed') {
      this.ctx.logger.error('anchors: no confirmed wallet coin pays a bump of our HTLC transaction: left at its fee (add confirmed funds)', { channelId: id, feeratePerKw, reason: built.kind });
      return undefined;
    }
    if (built.feeSat > c.amountSat) {
      this.ctx.logger.warn('anchors: a bump of our HTLC transaction would pay more than the HTLC: left at its fee (the cap)', { channelId: id, feeSat: built.feeSat.toString(), amountSat: c.amountSat.toString() });
      return undefined;
    }
    const oldTxid = displayTxid(old.txid);
    this.#releases.push(oldTxid);
    this.#wallet = dropPending(this.#wallet, oldTxid);
    this.#lockFeeCoins(built, 1, changeIndex, tip);
    this.ctx.logger.warn('claim unconfirmed: bumping its fee', { channelId: id, kind: 'anchor-htlc', from: old.feeratePerKw, to: feeratePerKw, feeSat: built.feeSat.toString(), deadline: old.deadline });
    return { ...anchorHtlcClaim(built, c.amountSat, feeratePerKw, tip, old.deadline), replaces: [old.txid, ...(old.replaces ?? [])] };
  }

  /** Records `built` (its change at output `changeVout`, index `changeIndex`) as a pending transaction of the wallet, its coins locked (settleWallet commits it). */
  #lockFeeCoins(built: Extract<FeePaidTx, { kind: 'signed' }>, changeVout: number, changeIndex: number, tip: number): void {
    const lock: ClaimLock = {
      txid: displayTxid(built.txid),
      raw: built.tx,
      coins: built.coins,
      ...(built.changeSat === undefined ? {} : { change: { vout: changeVout, valueSat: built.changeSat, index: changeIndex } }),
      tipHeight: tip,
    };
    this.#wallet = lockClaimInputs(this.#wallet!, lock);
    this.#locks.push(lock);
  }

  /**
   * Under anchors, a child of our commitment `raw` (unconfirmed: the funding
   * output is still unspent) when the commitment pays less than the estimate
   * for the blocks left before its earliest HTLC expiry (6 without HTLCs): it
   * spends our anchor and a confirmed wallet coin, the package at that
   * estimate (anchor-claims.ts `buildAnchorCpfp`), the coin locked in the
   * wallet, the child kept in the item (`anchorChild`). At each block the
   * commitment stays unconfirmed it is handed over again after its parent,
   * bumped like a claim (bumpedFeerate: every block while HTLCs have a
   * deadline; else only when the estimate rises) with the same coins,
   * replacing the previous child. The monitor is read only for a
   * commitment with a 330 sat output.
   */
  async #cpfp(id: string, raw: Uint8Array, tip: number): Promise<Uint8Array[]> {
    if (this.#wallet === undefined) return [];
    const commitment = Transaction.fromBuffer(raw);
    if (!commitment.outs.some((o) => BigInt(o.value) === ANCHOR_OUTPUT_SAT)) return [];
    const w = this.#byId.get(id);
    const parent = new Uint8Array(commitment.getHash());
    const child = w?.anchorChild;
    if (w !== undefined && child !== undefined && inputsOf(child.tx).some((o) => equalBytes(o.txid, parent))) {
      const feerate = bumpedFeerate(child, tip, await this.#estimates([targetBlocks(child.deadline, tip)]));
      if (feerate === undefined) return [child.tx];
      const bumped = await this.#buildCpfp(id, commitment, tip, feerate, child);
      if (bumped === undefined) return [child.tx];
      this.#byId.set(id, { ...w, anchorChild: bumped });
      this.#childChanged.add(id);
      return [bumped.tx];
    }
    // A child made before the item kept it: handed over again as it is (the wallet's pending entry).
    const existing = this.#wallet.pending.find((p) => inputsOf(p.raw).some((o) => equalBytes(o.txid, parent)));
    if (existing !== undefined) return [existing.raw];
    const built = await this.#buildCpfp(id, commitment, tip, undefined, undefined);
    if (built === undefined) return [];
    if (w !== undefined) {
      this.#byId.set(id, { ...w, anchorChild: built });
      this.#childChanged.add(id);
    }
    return [built.tx];
  }

  /**
   * The CPFP child of `commitment` at the estimate (none when the commitment
   * pays it already), or, bumping `previous`, at `feeratePerKw` with its
   * coins (more only when they no longer pay), its fee at least the
   * previous one's plus the incremental relay fee (BIP 125); the coins
   * locked, the previous version's pending entry dropped. Never above
   * `MAX_BUMP_FEERATE_PER_KW` (bumpedFeerate caps it).
   */
  async #buildCpfp(id: string, commitment: Transaction, tip: number, feeratePerKw: number | undefined, previous: Claim | undefined): Promise<Claim | undefined> {
    const monitor = await this.#monitor(id);
    if (!monitor.channelType.anchors || this.#wallet === undefined) return undefined;
    const feeSat = monitor.channelValueSatoshis - commitment.outs.reduce((sum, o) => sum + BigInt(o.value), 0n);
    const weight = BigInt(commitment.weight());
    const expiries = (monitor.holderHtlcs ?? []).map((h) => h.cltvExpiry);
    const deadline = expiries.length === 0 ? undefined : Math.min(...expiries);
    const target = feeratePerKw ?? (await this.#estimate(targetBlocks(deadline, tip)));
    if (previous === undefined && feerateOf(feeSat, weight) >= BigInt(target)) return undefined;
    // A child of one anchor input, one coin and the change: its fee, plus room for the change.
    const childWeight = BigInt((4 + 4 + 1 + 1) * 4 + 2 + ANCHOR_INPUT_WEIGHT + P2WPKH_INPUT_WEIGHT + P2WPKH_OUTPUT_WEIGHT);
    const neededSat = cpfpChildFee(weight, feeSat, childWeight, BigInt(target)) + P2WPKH_DUST_SAT;
    const previousTx = previous === undefined ? undefined : Transaction.fromBuffer(previous.tx);
    const changeOut = previousTx?.outs.map((o) => this.ctx.wallet.keyOfScript(new Uint8Array(o.script))).find((k) => k !== undefined);
    const changeIndex = changeOut?.keychain === Keychain.change ? changeOut.index : claimChangeIndex(this.#wallet);
    const funding = (coins: readonly FundingCoin[]) => ({ account: this.ctx.wallet, coins, changeScript: this.ctx.wallet.key(Keychain.change, changeIndex).script });
    const replacing =
      previous === undefined || previousTx === undefined
        ? undefined
        : { feeSat: ANCHOR_OUTPUT_SAT + (previous.feeCoins ?? []).reduce((sum, c) => sum + c.valueSat, 0n) - previousTx.outs.reduce((sum, o) => sum + BigInt(o.value), 0n) };
    const signer = this.#signer(monitor);
    const coins = previous?.feeCoins ?? claimFeeCoins(this.#wallet, neededSat);
    let built = buildAnchorCpfp(this.ctx.wallet.secp, signer, commitment, feeSat, funding(coins), BigInt(target), replacing);
    if (built.kind === 'coins-too-small' && previous !== undefined) {
      const more = claimFeeCoins(this.#wallet, built.neededSat - built.availableSat + BigInt(P2WPKH_INPUT_WEIGHT) * BigInt(target) / 1000n + P2WPKH_DUST_SAT);
      if (more.length > 0) built = buildAnchorCpfp(this.ctx.wallet.secp, signer, commitment, feeSat, funding([...coins, ...more]), BigInt(target), replacing);
    }
    if (built.kind !== 'signed') {
      this.ctx.logger.error(`anchors: no confirmed wallet coin pays ${previous === undefined ? 'a child' : 'a bump of the child'} of our commitment (add confirmed funds)`, { channelId: id, neededSat: neededSat.toString(), reason: built.kind });
      return undefined;
    }
    if (previous !== undefined) {
      const oldTxid = displayTxid(previous.txid);
      this.#releases.push(oldTxid);
      this.#wallet = dropPending(this.#wallet, oldTxid);
    }
    this.#lockFeeCoins(built, 0, changeIndex, tip);
    this.ctx.logger.info(previous === undefined ? 'anchors: a child of our commitment through our anchor (CPFP)' : 'anchors: the child of our commitment bumped (RBF)', {
      channelId: id,
      commitmentFeeratePerKw: feerateOf(feeSat, weight).toString(),
      targetPerKw: target,
      feeSat: built.feeSat.toString(),
    });
    return {
      kind: 'anchor-child',
      tx: built.tx,
      txid: built.txid,
      amountSat: built.changeSat ?? 0n,
      feeratePerKw: target,
      builtHeight: tip,
      ...(deadline === undefined ? {} : { deadline }),
      ...(previous === undefined ? {} : { replaces: [previous.txid, ...(previous.replaces ?? [])] }),
      feeCoins: built.coins.map(feeCoinOf),
    };
  }

  /** The stored estimate for `target` blocks (sat per 1,000 weight), read once per run. */
  async #estimate(target: number): Promise<number> {
    this.#fees ??= (async () => {
      const fees = decodeFeeRates(await this.store.get(this.ctx.nodeKey, SortKey.fees));
      return new StoredFeeEstimator(fees.ok ? fees.value : new Map());
    })();
    return Number((await this.#fees).feeRatePerKw(target));
  }

  /** The stored estimates for `targets`, as the lookup bumpedFeerate takes. */
  async #estimates(targets: readonly number[]): Promise<(target: number) => number> {
    const market = new Map<number, number>();
    for (const target of targets) market.set(target, await this.#estimate(target));
    return (target) => market.get(target)!;
  }

  /** Our unconfirmed sweeps and anchors HTLC transactions of `w` to rebuild at a higher feerate now (bumpedFeerate), with that feerate. */
  async #bumps(w: WatchedChannel, tip: number): Promise<Map<Claim, number>> {
    const bumps = new Map<Claim, number>();
    if (this.#tipHeight === undefined) return bumps;
    for (const c of w.claims ?? []) {
      if ((c.kind !== 'sweep' && c.feeCoins === undefined) || c.confirmedHeight !== undefined || c.feeratePerKw === undefined) continue;
      const feerate = bumpedFeerate(c, tip, await this.#estimates([targetBlocks(c.deadline, tip)]));
      if (feerate !== undefined) bumps.set(c, feerate);
    }
    return bumps;
  }

  /** The monitor of channel `id` (read now: something of it moved on chain). */
  async #monitor(id: string) {
    const items = await this.store.query(this.ctx.nodeKey, SortKey.monitorPrefix(id), Number(MONITOR_UPDATES_PER_SNAPSHOT) + 1, 'newest-first');
    const read = monitorFromItems(id, items);
    if (read === undefined) throw new StoreError(StoreErrorCode.CorruptItem, `${SortKey.chainWatch(id)}: no monitor for a watched channel`);
    return read.monitor;
  }

  /**
   * The justice record (HTLC set) of `tx` when it is a commitment of theirs:
   * on a revoked one every HTLC output is ours; on the others those they
   * offered us whose preimage the monitor holds, and those we offered them
   * (after their CLTV). One GetItem, read outside the lease (written once,
   * never changed). Missing (a channel older than the records) or
   * unreadable: the claims go without the HTLC outputs (logged), rather
   * than not at all.
   */
  async #justiceRecord(id: string, monitor: ChannelMonitor, tx: Transaction): Promise<JusticeRecord | undefined> {
    const spend = classifyFundingSpend(monitor, tx);
    const revoked = spend.kind === 'revoked-counterparty-commitment';
    if (!revoked && spend.kind !== 'counterparty-commitment') return undefined;
    // Their first commitment holds no HTLC (and has no record: it came with the snapshot, not an update).
    if (spend.commitmentNumber === 0n) return undefined;
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
}

/** The claim of our anchors HTLC transaction `built` (its fee coins kept for a later bump), spending an HTLC of `amountSat`. */
function anchorHtlcClaim(built: Extract<FeePaidTx, { kind: 'signed' }>, amountSat: bigint, feeratePerKw: number, tip: number, deadline: number | undefined): Claim {
  return {
    kind: 'htlc-tx',
    tx: built.tx,
    txid: built.txid,
    amountSat,
    feeratePerKw,
    builtHeight: tip,
    ...(deadline === undefined ? {} : { deadline }),
    feeCoins: built.coins.map(feeCoinOf),
  };
}
