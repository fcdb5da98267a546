/**
 * The embedded regtest chain's state: the best chain of blocks, the blocks
 * that left it (still answerable, `in_best_chain: false`), the UTXO set with
 * undo data per block, the mempool, and every transaction ever seen. Blocks
 * come only from `mine` (this chain is the only miner) and from the on-disk
 * log at start; transactions enter through `accept`, which applies every rule
 * of validation.ts and Bitcoin Core's mempool chain limits ({@link MEMPOOL_LIMITS}).
 */
import { equalBytes } from '../../../shared/codec/index.js';
import { createHash, randomBytes } from 'node:crypto';
import { Block, type Transaction } from 'bitcoinjs-lib';
import { COINBASE_MATURITY, buildBlock, headerBytes } from './block.js';
import { BlockLogRecord, type BlockLog, type BlockLogEntry } from './block-log.js';
import { FAUCET_SCRIPT, buildFaucetTransaction, type FaucetCoin } from './faucet.js';
import { regtestGenesisBlock } from './genesis.js';
import { checkTransaction, type Acceptance, type Coin, type CoinLookup, type NextBlock } from './validation.js';

/** One block as the chain keeps it. */
export interface ChainBlock {
  /** Display-order hex. */
  readonly hash: string;
  readonly height: number;
  readonly block: Block;
  readonly header: Uint8Array;
  readonly size: number;
  readonly weight: number;
  /** Display-order txids, coinbase first. */
  readonly txids: readonly string[];
  readonly transactions: readonly Transaction[];
  readonly medianTimePast: number;
}

export interface MempoolEntry {
  readonly tx: Transaction;
  readonly txid: string;
  readonly feeSat: bigint;
  readonly vsize: number;
}

/**
 * Bitcoin Core's default mempool chain limits before cluster mempool
 * (`-limitancestorcount`, `-limitancestorsize`, `-limitdescendantcount`,
 * `-limitdescendantsize`; v0.12 to v28): a transaction enters the mempool
 * only with at most 25 unconfirmed ancestors, itself included, of at most
 * 101 kvB together, and while each of them keeps at most 25 descendants,
 * itself included, of at most 101 kvB. The CPFP carve-out (one more
 * descendant for a small child of a transaction with no other unconfirmed
 * ancestor) is not copied.
 */
export const MEMPOOL_LIMITS = { ancestorCount: 25, ancestorSizeVbytes: 101_000, descendantCount: 25, descendantSizeVbytes: 101_000 } as const;
/** Bitcoin Core's reject reason for a transaction past {@link MEMPOOL_LIMITS}. */
export const TOO_LONG_MEMPOOL_CHAIN = 'too-long-mempool-chain';

/**
 * Bitcoin Core's replacement policy (full RBF, its default since 28.0; BIP
 * 125 rules 2-6): the most transactions one replacement may evict, and the
 * incremental relay feerate (sat/vB) its extra fee must pay for its own size.
 */
export const REPLACEMENT_LIMITS = { maxEvicted: 100, incrementalRelaySatPerVb: 1n } as const;

/** Where a transaction is. */
export interface TxLocation {
  readonly tx: Transaction;
  /** Set when the transaction is in a block of the best chain. */
  readonly block?: ChainBlock;
  readonly position?: number;
  readonly inMempool: boolean;
}

export interface ReorgResult {
  /** Lowest first. */
  readonly disconnected: readonly string[];
  readonly connected: readonly string[];
}

/** A broken invariant of the chain or a refused control request (the server answers 400 with its message). */
export class RegtestChainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegtestChainError';
  }
}

function displayHex(internal: Uint8Array): string {
  return Buffer.from(internal).reverse().toString('hex');
}

function outpointKey(txid: string, vout: number): string {
  return `${txid}:${vout}`;
}

function isUnspendable(script: Uint8Array): boolean {
  return script.length > 0 && script[0] === 0x6a;
}

/** More than a one-input faucet payment weighs (vbytes): what the faucet leaves room for under the chain limits. */
const FAUCET_TX_VSIZE_BOUND = 200;

export interface RegtestChainOptions {
  /** Where connected and disconnected blocks are appended; none keeps the chain in memory only. */
  readonly log?: BlockLog;
  /** Records to replay (from `BlockLog.open`). */
  readonly entries?: readonly BlockLogEntry[];
  /** Clock for block times (seconds). */
  readonly nowSec?: () => number;
}

export class RegtestChain {
  private readonly best: ChainBlock[] = [];
  private readonly byHash = new Map<string, ChainBlock>();
  private readonly undo = new Map<string, (readonly [string, Coin])[]>();
  private readonly utxos = new Map<string, Coin>();
  private readonly confirmedSpends = new Map<string, { readonly txid: string; readonly vin: number }>();
  private readonly confirmed = new Map<string, { readonly block: ChainBlock; readonly position: number }>();
  private readonly seen = new Map<string, Transaction>();
  private readonly scriptsByHash = new Map<string, Uint8Array>();
  private readonly pool = new Map<string, MempoolEntry>();
  private readonly poolSpends = new Map<string, { readonly txid: string; readonly vin: number }>();
  private readonly log: BlockLog | undefined;
  private readonly nowSec: () => number;

  constructor(options: RegtestChainOptions = {}) {
    this.log = options.log;
    this.nowSec = options.nowSec ?? (() => Math.floor(Date.now() / 1000));
    this.connect(regtestGenesisBlock(), false);
    for (const entry of options.entries ?? []) {
      if (entry.kind === BlockLogRecord.Connect) {
        this.connect(Block.fromBuffer(entry.payload), false);
      } else {
        const tip = this.tip();
        if (displayHex(entry.payload) !== tip.hash) throw new RegtestChainError(`block log: disconnect of ${displayHex(entry.payload)} but the tip is ${tip.hash}`);
        this.disconnectTip(false);
      }
    }
  }

  // ---- reading ----

  tip(): ChainBlock {
    return this.best[this.best.length - 1]!;
  }

  blockAt(height: number): ChainBlock | undefined {
    return this.best[height];
  }

  /** Any block this chain built, in the best chain or not. */
  blockByHash(hash: string): ChainBlock | undefined {
    return this.byHash.get(hash);
  }

  isInBestChain(block: ChainBlock): boolean {
    return this.best[block.height]?.hash === block.hash;
  }

  /** Median time past at `height` (BIP 113): the median of the times of that block and the ten before it. */
  medianTimePast(height: number): number {
    const times: number[] = [];
    for (let h = Math.max(0, height - 10); h <= height && h < this.best.length; h++) times.push(this.best[h]!.block.timestamp);
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)] ?? 0;
  }

  nextBlock(): NextBlock {
    const tip = this.tip();
    return { height: tip.height + 1, medianTimePast: tip.medianTimePast };
  }

  transaction(txid: string): TxLocation | undefined {
    const tx = this.seen.get(txid);
    if (tx === undefined) return undefined;
    const where = this.confirmed.get(txid);
    if (where !== undefined) return { tx, block: where.block, position: where.position, inMempool: false };
    if (this.pool.has(txid)) return { tx, inMempool: true };
    return { tx, inMempool: false };
  }

  /** The output `txid:vout` of any transaction seen (for prevouts in JSON). */
  output(txid: string, vout: number): { readonly script: Uint8Array; readonly valueSat: bigint } | undefined {
    const out = this.seen.get(txid)?.outs[vout];
    return out === undefined ? undefined : { script: out.script, valueSat: out.value };
  }

  /** Who spends `txid:vout` in the best chain or the mempool. */
  outspend(txid: string, vout: number): { readonly txid: string; readonly vin: number } | undefined {
    const key = outpointKey(txid, vout);
    return this.confirmedSpends.get(key) ?? this.poolSpends.get(key);
  }

  mempool(): readonly MempoolEntry[] {
    return [...this.pool.values()];
  }

  /** Best-chain and mempool transactions that pay to or spend from `script`, mempool first, then newest block first. */
  scriptHistory(script: Uint8Array): Transaction[] {
    const touches = (tx: Transaction) =>
      tx.outs.some((o) => equalBytes(o.script, script)) ||
      (!tx.isCoinbase() && tx.ins.some((i) => {
        const prev = this.output(displayHex(i.hash), i.index);
        return prev !== undefined && equalBytes(prev.script, script);
      }));
    const out: Transaction[] = [...this.pool.values()].map((e) => e.tx).filter(touches).reverse();
    for (let h = this.best.length - 1; h >= 0; h--) {
      const txs = this.best[h]!.transactions;
      for (let i = txs.length - 1; i >= 0; i--) if (touches(txs[i]!)) out.push(txs[i]!);
    }
    return out;
  }

  /** Unspent outputs locked to `script`: confirmed ones not spent in the mempool, then mempool ones. */
  scriptUtxos(script: Uint8Array): { readonly txid: string; readonly vout: number; readonly coin: Coin }[] {
    const out: { txid: string; vout: number; coin: Coin }[] = [];
    for (const [key, coin] of this.utxos) {
      if (!equalBytes(coin.script, script) || this.poolSpends.has(key)) continue;
      const sep = key.indexOf(':');
      out.push({ txid: key.slice(0, sep), vout: Number(key.slice(sep + 1)), coin });
    }
    for (const entry of this.pool.values()) {
      entry.tx.outs.forEach((o, vout) => {
        if (equalBytes(o.script, script) && !this.poolSpends.has(outpointKey(entry.txid, vout))) {
          out.push({ txid: entry.txid, vout, coin: { valueSat: o.value, script: o.script, height: undefined, coinbase: false } });
        }
      });
    }
    return out;
  }

  /** The output script whose SHA-256 (hex, as Esplora's `/scripthash/` routes take it) is `scripthash`, if any output used it. */
  scriptByHash(scripthash: string): Uint8Array | undefined {
    return this.scriptsByHash.get(scripthash);
  }

  private remember(txid: string, tx: Transaction): void {
    if (this.seen.has(txid)) return;
    this.seen.set(txid, tx);
    for (const out of tx.outs) this.scriptsByHash.set(createHash('sha256').update(out.script).digest('hex'), out.script);
  }

  // ---- transactions ----

  private readonly lookup: CoinLookup = {
    coin: (txid, vout) => {
      const confirmedCoin = this.utxos.get(outpointKey(txid, vout));
      if (confirmedCoin !== undefined) return confirmedCoin;
      const out = this.pool.get(txid)?.tx.outs[vout];
      return out === undefined ? undefined : { valueSat: out.value, script: out.script, height: undefined, coinbase: false };
    },
    spender: (txid, vout) => {
      const key = outpointKey(txid, vout);
      const inBlock = this.confirmedSpends.get(key);
      if (inBlock !== undefined) return { txid: inBlock.txid, confirmed: true };
      const inPool = this.poolSpends.get(key);
      return inPool === undefined ? undefined : { txid: inPool.txid, confirmed: false };
    },
    medianTimePast: (height) => this.medianTimePast(height),
  };

  /** Checks `tx` against every rule for the next block without adding it anywhere. */
  check(tx: Transaction): Acceptance {
    return checkTransaction(tx, this.lookup, this.nextBlock());
  }

  /** The mempool transactions spending outputs of `txid`. */
  private children(txid: string): string[] {
    const entry = this.pool.get(txid);
    if (entry === undefined) return [];
    const out = new Set<string>();
    entry.tx.outs.forEach((_, vout) => {
      const child = this.poolSpends.get(outpointKey(txid, vout));
      if (child !== undefined) out.add(child.txid);
    });
    return [...out];
  }

  /** `txid` and its descendants in the mempool: count and total vsize. */
  private withDescendants(txid: string): { count: number; vsize: number } {
    const seen = new Set<string>();
    const stack = [txid];
    let vsize = 0;
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      vsize += this.pool.get(t)!.vsize;
      stack.push(...this.children(t));
    }
    return { count: seen.size, vsize };
  }

  /**
   * Why a transaction of `vsize` vbytes spending outputs of the mempool
   * transactions `parents` would break {@link MEMPOOL_LIMITS}, in Bitcoin
   * Core's words (`CalculateAncestorsAndCheckLimits`: the same walk, checks
   * and messages), or undefined if it would not.
   */
  chainLimitError(parents: readonly string[], vsize: number): string | undefined {
    const limits = MEMPOOL_LIMITS;
    if (vsize > limits.ancestorSizeVbytes) return `exceeds ancestor size limit [limit: ${limits.ancestorSizeVbytes}]`;
    if (vsize > limits.descendantSizeVbytes) return `exceeds descendant size limit [limit: ${limits.descendantSizeVbytes}]`;
    const staged = new Set(parents.filter((p) => this.pool.has(p)));
    const ancestors = new Set<string>();
    let ancestorsVsize = vsize;
    while (staged.size > 0) {
      const stage = staged.values().next().value!;
      staged.delete(stage);
      ancestors.add(stage);
      const entry = this.pool.get(stage)!;
      ancestorsVsize += entry.vsize;
      const descendants = this.withDescendants(stage);
      if (descendants.vsize + vsize > limits.descendantSizeVbytes) return `exceeds descendant size limit for tx ${stage} [limit: ${limits.descendantSizeVbytes}]`;
      if (descendants.count + 1 > limits.descendantCount) return `too many descendants for tx ${stage} [limit: ${limits.descendantCount}]`;
      if (ancestorsVsize > limits.ancestorSizeVbytes) return `exceeds ancestor size limit [limit: ${limits.ancestorSizeVbytes}]`;
      for (const input of entry.tx.ins) {
        const parent = displayHex(input.hash);
        if (!this.pool.has(parent)) continue;
        if (!ancestors.has(parent)) staged.add(parent);
        if (staged.size + ancestors.size + 1 > limits.ancestorCount) return `too many unconfirmed ancestors [limit: ${limits.ancestorCount}]`;
      }
    }
    return undefined;
  }

  /**
   * Checks `tx` against every rule and adds it to the mempool; a transaction
   * already in the mempool is accepted again as is. `bypassLimits` skips the
   * chain limits, as Bitcoin Core does for transactions returning from
   * disconnected blocks.
   */
  accept(tx: Transaction, options: { readonly bypassLimits?: boolean } = {}): Acceptance & { readonly txid: string } {
    const txid = tx.getId();
    const pooled = this.pool.get(txid);
    if (pooled !== undefined) return { ok: true, feeSat: pooled.feeSat, prevouts: [], txid };
    if (this.confirmed.has(txid)) return { ok: false, reason: 'transaction already in block chain', txid };
    const conflicts = [...new Set(tx.ins.flatMap((input) => this.poolSpends.get(outpointKey(displayHex(input.hash), input.index))?.txid ?? []))];
    const evicted = conflicts.length === 0 ? new Set<string>() : this.descendantSet(conflicts);
    const result = checkTransaction(tx, evicted.size === 0 ? this.lookup : this.lookupWithout(evicted), this.nextBlock());
    if (!result.ok) return { ...result, txid };
    const vsize = tx.virtualSize();
    if (evicted.size > 0) {
      const refused = this.replacementError(tx, result.feeSat, vsize, conflicts, evicted);
      if (refused !== undefined) return { ok: false, reason: refused, txid };
      for (const id of conflicts) this.evict(id);
    }
    if (options.bypassLimits !== true) {
      const tooLong = this.chainLimitError(tx.ins.map((i) => displayHex(i.hash)), vsize);
      if (tooLong !== undefined) return { ok: false, reason: `${TOO_LONG_MEMPOOL_CHAIN}, ${tooLong}`, txid };
    }
    this.pool.set(txid, { tx, txid, feeSat: result.feeSat, vsize });
    tx.ins.forEach((input, vin) => this.poolSpends.set(outpointKey(displayHex(input.hash), input.index), { txid, vin }));
    this.remember(txid, tx);
    return { ...result, txid };
  }

  /** `txids` and every mempool transaction spending their outputs, transitively. */
  private descendantSet(txids: readonly string[]): Set<string> {
    const all = new Set<string>();
    const visit = (id: string) => {
      if (all.has(id) || !this.pool.has(id)) return;
      all.add(id);
      this.pool.get(id)!.tx.outs.forEach((_, vout) => {
        const child = this.poolSpends.get(outpointKey(id, vout));
        if (child !== undefined) visit(child.txid);
      });
    };
    txids.forEach(visit);
    return all;
  }

  /** The coin lookup as if the mempool transactions `evicted` were gone (a replacement is checked against it). */
  private lookupWithout(evicted: ReadonlySet<string>): CoinLookup {
    return {
      coin: (txid, vout) => (evicted.has(txid) ? undefined : this.lookup.coin(txid, vout)),
      spender: (txid, vout) => {
        const spender = this.lookup.spender(txid, vout);
        return spender !== undefined && !spender.confirmed && evicted.has(spender.txid) ? undefined : spender;
      },
      medianTimePast: (height) => this.lookup.medianTimePast(height),
    };
  }

  /**
   * Why `tx` (fee `feeSat`, `vsize` vB) may not replace the mempool
   * transactions it conflicts with (`conflicts`; with their descendants,
   * `evicted`), as Bitcoin Core's full-RBF policy refuses it; undefined when
   * it may: no new unconfirmed input (rule 2), a fee at least theirs all
   * together (3) plus the incremental relay fee of its own size (4), at most
   * 100 evicted (5), a feerate above each conflict's (6).
   */
  private replacementError(tx: Transaction, feeSat: bigint, vsize: number, conflicts: readonly string[], evicted: ReadonlySet<string>): string | undefined {
    if (evicted.size > REPLACEMENT_LIMITS.maxEvicted) return `too many potential replacements: ${evicted.size} > ${REPLACEMENT_LIMITS.maxEvicted}`;
    const conflictInputs = new Set(conflicts.flatMap((id) => this.pool.get(id)!.tx.ins.map((i) => displayHex(i.hash))));
    const newUnconfirmed = tx.ins.find((i) => this.pool.has(displayHex(i.hash)) && !conflictInputs.has(displayHex(i.hash)));
    if (newUnconfirmed !== undefined) return `replacement-adds-unconfirmed: spends ${displayHex(newUnconfirmed.hash)}, in the mempool and not spent by a replaced transaction`;
    for (const id of conflicts) {
      const c = this.pool.get(id)!;
      if (feeSat * BigInt(c.vsize) <= c.feeSat * BigInt(vsize)) return `insufficient fee: rejecting replacement ${tx.getId()}; new feerate ${feeSat}/${vsize} sat/vB <= old feerate ${c.feeSat}/${c.vsize} of ${id}`;
    }
    const replacedFee = [...evicted].reduce((sum, id) => sum + this.pool.get(id)!.feeSat, 0n);
    if (feeSat < replacedFee) return `insufficient fee: rejecting replacement ${tx.getId()}, less fees than conflicting txs; ${feeSat} < ${replacedFee}`;
    const needed = REPLACEMENT_LIMITS.incrementalRelaySatPerVb * BigInt(vsize);
    if (feeSat - replacedFee < needed) return `insufficient fee: rejecting replacement ${tx.getId()}, not enough additional fees to relay; ${feeSat - replacedFee} < ${needed}`;
    return undefined;
  }

  /**
   * Removes `txid` and everything in the mempool that spends its outputs (a
   * block's conflict does; a test does it to leave a transaction to its
   * broadcaster, or to let a conflicting one confirm on a new branch).
   */
  evict(txid: string): void {
    const entry = this.pool.get(txid);
    if (entry === undefined) return;
    this.pool.delete(txid);
    for (const input of entry.tx.ins) {
      const key = outpointKey(displayHex(input.hash), input.index);
      if (this.poolSpends.get(key)?.txid === txid) this.poolSpends.delete(key);
    }
    entry.tx.outs.forEach((_, vout) => {
      const child = this.poolSpends.get(outpointKey(txid, vout));
      if (child !== undefined) this.evict(child.txid);
    });
  }

  // ---- blocks ----

  private connect(block: Block, persist: boolean): ChainBlock {
    const height = this.best.length;
    const hash = block.getId();
    if (height > 0 && displayHex(block.prevHash!) !== this.tip().hash) throw new RegtestChainError(`block ${hash} does not build on the tip ${this.tip().hash}`);
    const transactions = block.transactions ?? [];
    const spent: (readonly [string, Coin])[] = [];
    const txids = transactions.map((tx) => tx.getId());
    // Median time past includes this block: compute after it is in `best`.
    const partial = { hash, height, block, header: headerBytes(block), size: block.byteLength(), weight: block.weight(), txids, transactions, medianTimePast: 0 };
    this.best.push(partial);
    const chainBlock: ChainBlock = { ...partial, medianTimePast: this.medianTimePast(height) };
    this.best[height] = chainBlock;
    transactions.forEach((tx, position) => {
      const txid = txids[position]!;
      if (!tx.isCoinbase()) {
        tx.ins.forEach((input, vin) => {
          const key = outpointKey(displayHex(input.hash), input.index);
          const coin = this.utxos.get(key);
          if (coin === undefined) throw new RegtestChainError(`block ${hash} spends ${key}, which is not in the UTXO set`);
          spent.push([key, coin]);
          this.utxos.delete(key);
          this.confirmedSpends.set(key, { txid, vin });
          const conflict = this.poolSpends.get(key);
          if (conflict !== undefined && conflict.txid !== txid) this.evict(conflict.txid);
        });
      }
      if (height > 0) {
        tx.outs.forEach((out, vout) => {
          if (!isUnspendable(out.script)) this.utxos.set(outpointKey(txid, vout), { valueSat: out.value, script: out.script, height, coinbase: tx.isCoinbase() });
        });
      }
      this.confirmed.set(txid, { block: chainBlock, position });
      this.remember(txid, tx);
      if (this.pool.has(txid)) {
        this.pool.delete(txid);
        tx.ins.forEach((input) => {
          const key = outpointKey(displayHex(input.hash), input.index);
          if (this.poolSpends.get(key)?.txid === txid) this.poolSpends.delete(key);
        });
      }
    });
    this.undo.set(hash, spent);
    this.byHash.set(hash, chainBlock);
    if (persist) this.log?.append(BlockLogRecord.Connect, block.toBuffer());
    return chainBlock;
  }

  private disconnectTip(persist: boolean): ChainBlock {
    if (this.best.length <= 1) throw new RegtestChainError('cannot disconnect the genesis block');
    const block = this.best.pop()!;
    // Restore the spent coins first, then remove every coin the block created
    // (including those it created and spent itself).
    for (const [key, coin] of this.undo.get(block.hash) ?? []) {
      this.utxos.set(key, coin);
      this.confirmedSpends.delete(key);
    }
    block.transactions.forEach((tx, position) => {
      const txid = block.txids[position]!;
      tx.outs.forEach((_, vout) => this.utxos.delete(outpointKey(txid, vout)));
      this.confirmed.delete(txid);
    });
    this.undo.delete(block.hash);
    if (persist) this.log?.append(BlockLogRecord.Disconnect, block.block.getHash());
    return block;
  }

  /**
   * Mines `count` blocks on the tip, each with every mempool transaction not
   * in `exclude` (nor spending one that is), paying subsidy and fees to
   * `payoutScript`. Returns the new block hashes.
   */
  mine(count: number, payoutScript: Uint8Array = FAUCET_SCRIPT, exclude: ReadonlySet<string> = new Set()): string[] {
    const hashes: string[] = [];
    for (let i = 0; i < count; i++) {
      const tip = this.tip();
      const skipped = new Set<string>();
      const chosen: Transaction[] = [];
      let feesSat = 0n;
      for (const entry of this.pool.values()) {
        const blocked = exclude.has(entry.txid) || entry.tx.ins.some((input) => skipped.has(displayHex(input.hash)));
        if (blocked) {
          skipped.add(entry.txid);
          continue;
        }
        chosen.push(entry.tx);
        feesSat += entry.feeSat;
      }
      const block = buildBlock({
        prevHash: tip.block.getHash(),
        height: tip.height + 1,
        time: Math.max(this.nowSec(), tip.medianTimePast + 1),
        payoutScript,
        transactions: chosen,
        feesSat,
        extraNonce: randomBytes(8),
      });
      hashes.push(this.connect(block, true).hash);
    }
    this.log?.sync();
    return hashes;
  }

  /**
   * Replaces the last `depth` blocks by `blocks` new ones (default depth + 1):
   * their transactions go back to the mempool when still valid, and the new
   * blocks mine the mempool except `exclude` (which stays in the mempool).
   */
  reorg(depth: number, blocks: number = depth + 1, exclude: ReadonlySet<string> = new Set()): ReorgResult {
    if (!Number.isInteger(depth) || depth < 1) throw new RegtestChainError('depth must be a positive integer');
    if (depth >= this.best.length) throw new RegtestChainError(`depth ${depth} would disconnect the genesis block (tip height ${this.tip().height})`);
    const gone: ChainBlock[] = [];
    for (let i = 0; i < depth; i++) gone.push(this.disconnectTip(true));
    const ascending = [...gone].reverse();
    const returning = ascending.flatMap((b) => b.transactions.filter((tx) => !tx.isCoinbase()));
    const pooled = [...this.pool.values()].map((e) => e.tx);
    this.pool.clear();
    this.poolSpends.clear();
    for (const tx of [...returning, ...pooled]) this.accept(tx, { bypassLimits: true });
    const connected = this.mine(blocks, FAUCET_SCRIPT, exclude);
    return { disconnected: ascending.map((b) => b.hash), connected };
  }

  // ---- faucet ----

  /**
   * Spendable faucet coins: mature confirmed ones not spent in the mempool,
   * then unspent faucet change in the mempool whose chain leaves room for a
   * child ({@link MEMPOOL_LIMITS}).
   */
  private faucetCoins(): FaucetCoin[] {
    const nextHeight = this.tip().height + 1;
    return this.scriptUtxos(FAUCET_SCRIPT)
      .filter(({ coin }) => !coin.coinbase || (coin.height !== undefined && nextHeight - coin.height >= COINBASE_MATURITY))
      .filter(({ txid, coin }) => coin.height !== undefined || this.chainLimitError([txid], FAUCET_TX_VSIZE_BOUND) === undefined)
      .map(({ txid, vout, coin }) => ({ txid, vout, valueSat: coin.valueSat }));
  }

  /** Pays `sats` to `script` from the faucet; returns the txid (the transaction is in the mempool). */
  faucet(script: Uint8Array, sats: bigint): string {
    if (sats <= 0n) throw new RegtestChainError('sats must be positive');
    const tx = buildFaucetTransaction(this.faucetCoins(), script, sats);
    if (tx === undefined) throw new RegtestChainError(`the faucet cannot pay ${sats} sat: mine more blocks`);
    const result = this.accept(tx);
    if (!result.ok && result.reason.startsWith(TOO_LONG_MEMPOOL_CHAIN)) throw new RegtestChainError(`the faucet cannot pay ${sats} sat before a block: ${result.reason}; mine a block`);
    if (!result.ok) throw new RegtestChainError(`the faucet's own transaction was refused: ${result.reason}`);
    return result.txid;
  }
}
