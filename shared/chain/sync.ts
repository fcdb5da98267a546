/**
 * The chain sync: asks an Esplora server what `sync-plan.ts` needs, checks
 * the answers (block linkage, merkle proofs against headers, an unchanged
 * tip at the end), and applies the planned `Confirm` calls to every
 * implementer in order. Repeats while the chain moved during the sync or new
 * items were registered by the calls themselves (a monitor that saw its
 * funding confirm registers the funding output).
 */
import { equalBytes } from '../codec/index.js';
import { Block } from 'bitcoinjs-lib';
import { bytesToHex, hexToBytes } from '../codec/hex.js';
import { ChainSyncError, EsploraError, EsploraErrorCode } from './errors.js';
import type { EsploraClient } from './esplora-client.js';
import type { Confirm, RelevantTxid, WatchSet } from './interfaces.js';
import { blockHashOfHeader, headerMerkleRoot, headerPrevHash, merkleRootFromBranch } from './merkle-proof.js';
import {
  RECENT_WINDOW,
  blocksToCheck,
  forkCandidates,
  lookupsNeeded,
  outpointKey,
  planSync,
  upToDate,
  watchKeys,
  type BlockRef,
  type ConfirmCall,
  type FoundTx,
  type ScannedBlock,
  type SyncMode,
  type SyncView,
} from './sync-plan.js';
import { mapLimit } from './map-limit.js';

export interface ChainSyncOptions {
  /** At most this many new blocks are scanned; more means lookups instead. Default 24. */
  readonly maxScanBlocks?: number;
  /** Requests in flight at once. Default 8. */
  readonly concurrency?: number;
  /** Rounds before giving up on a chain that keeps moving. Default 10. */
  readonly maxRounds?: number;
}

export interface ChainSyncResult {
  readonly view: SyncView;
  /** Every call made, in order (for logs and tests). */
  readonly calls: readonly ConfirmCall[];
}

/** Thrown inside a round when the chain moved under it: the round is dropped and retried. */
class ChainMoved extends Error {}

function displayOf(internal: Uint8Array): string {
  return bytesToHex(Uint8Array.from(internal).reverse());
}

function internalOf(display: string): Uint8Array {
  return hexToBytes(display).reverse();
}

/** Applies one planned call to an implementer. */
export function applyCall(target: Confirm, call: ConfirmCall): void {
  if (call.kind === 'transactionUnconfirmed') target.transactionUnconfirmed(call.txid);
  else if (call.kind === 'transactionsConfirmed') target.transactionsConfirmed(call.header, call.txdata, call.height);
  else target.bestBlockUpdated(call.header, call.height);
}

class Round {
  private readonly headers = new Map<string, Promise<Uint8Array>>();

  constructor(
    private readonly client: EsploraClient,
    private readonly concurrency: number,
  ) {}

  header(blockHash: string): Promise<Uint8Array> {
    let header = this.headers.get(blockHash);
    if (header === undefined) {
      header = this.client.blockHeader(blockHash).then((h) => {
        if (displayOf(blockHashOfHeader(h)) !== blockHash) throw new EsploraError(EsploraErrorCode.InvalidResponse, `header of ${blockHash} hashes to another block`);
        return h;
      });
      this.headers.set(blockHash, header);
    }
    return header;
  }

  /** A confirmed transaction with its block, header and position (checked against the header's merkle root). */
  async found(txid: string, blockHash: string, height: number, spends: readonly string[]): Promise<FoundTx> {
    const [header, proof, tx] = await Promise.all([this.header(blockHash), this.client.merkleProof(txid), this.client.txRaw(txid)]);
    if (proof.blockHeight !== height) throw new ChainMoved();
    const root = merkleRootFromBranch(internalOf(txid), proof.merkle.map(internalOf), proof.pos);
    if (!equalBytes(root, headerMerkleRoot(header))) throw new EsploraError(EsploraErrorCode.InvalidResponse, `merkle proof of ${txid} does not match block ${blockHash}`);
    return { txid, tx, block: { height, hash: blockHash }, header, position: proof.pos, spends };
  }

  async lookupTx(txid: string): Promise<FoundTx | undefined> {
    const status = await this.client.txStatus(txid);
    if (!status.confirmed) return undefined;
    return this.found(txid, status.blockHash!, status.blockHeight!, []);
  }

  async lookupOutput(key: string): Promise<FoundTx | undefined> {
    const [txid, vout] = key.split(':') as [string, string];
    const spend = await this.client.outspend(txid, Number(vout));
    if (!spend.spent || spend.txid === undefined) return undefined;
    const status = spend.status ?? (await this.client.txStatus(spend.txid));
    if (!status.confirmed) return undefined;
    return this.found(spend.txid, status.blockHash!, status.blockHeight!, [key]);
  }

  async scan(fork: BlockRef, tip: BlockRef): Promise<ScannedBlock[]> {
    const heights = Array.from({ length: tip.height - fork.height }, (_, i) => fork.height + 1 + i);
    const blocks = await mapLimit(heights, this.concurrency, async (height) => {
      const hash = height === tip.height ? tip.hash : await this.client.blockHashAt(height);
      const raw = await this.client.blockRaw(hash);
      let block: Block;
      try {
        block = Block.fromBuffer(raw);
      } catch (error) {
        throw new EsploraError(EsploraErrorCode.InvalidResponse, `block ${hash}: not a block (${(error as Error).message})`);
      }
      if (block.getId() !== hash) throw new ChainMoved();
      const txs = (block.transactions ?? []).map((tx) => ({
        txid: tx.getId(),
        tx: tx.toBuffer(),
        spends: tx.isCoinbase() ? [] : tx.ins.map((input) => outpointKey(displayOf(input.hash), input.index)),
      }));
      if (!block.checkTxRoots()) throw new EsploraError(EsploraErrorCode.InvalidResponse, `block ${hash}: transactions do not match its merkle root`);
      return { ref: { height, hash }, header: block.toBuffer(true), txs };
    });
    let prev = fork.hash;
    for (const b of blocks) {
      if (displayOf(headerPrevHash(b.header)) !== prev) throw new ChainMoved();
      prev = b.ref.hash;
    }
    return blocks;
  }
}

/**
 * Brings `confirmables` up to the chain's tip for the items in `watch`
 * (called again each round, so registrations made during the sync count).
 * Returns the next view to persist and the calls made.
 */
export async function syncChain(
  client: EsploraClient,
  confirmables: readonly Confirm[],
  watch: () => WatchSet,
  view: SyncView,
  options: ChainSyncOptions = {},
): Promise<ChainSyncResult> {
  const maxScan = options.maxScanBlocks ?? 24;
  const concurrency = options.concurrency ?? 8;
  const maxRounds = options.maxRounds ?? 10;
  const calls: ConfirmCall[] = [];
  let current = view;
  for (let round = 0; round < maxRounds; round++) {
    const tipHash = await client.tipHash();
    // The watched keys once per round (upToDate, lookupsNeeded and planSync all use them).
    const watched = watchKeys(watch());
    if (upToDate(current, watched, tipHash)) return { view: current, calls };
    const relevant: RelevantTxid[] = confirmables.flatMap((c) => c.getRelevantTxids());
    const r = new Round(client, concurrency);
    try {
      const [status, tipHeader] = await Promise.all([client.blockStatus(tipHash), r.header(tipHash)]);
      if (!status.inBestChain || status.height === undefined) throw new ChainMoved();
      const tip: BlockRef = { height: status.height, hash: tipHash };

      let fork: BlockRef | undefined;
      for (const candidate of forkCandidates(current, tip.height)) {
        if (candidate.height === tip.height ? candidate.hash === tip.hash : (await client.blockHashAt(candidate.height)) === candidate.hash) {
          fork = candidate;
          break;
        }
      }

      let mode: SyncMode;
      if (fork !== undefined && tip.height - fork.height <= maxScan) {
        mode = { kind: 'scan', forkHeight: fork.height, blocks: await r.scan(fork, tip) };
      } else {
        const hashes = blocksToCheck(current, relevant);
        const inBest = await mapLimit(hashes, concurrency, async (h) => {
          try {
            return (await client.blockStatus(h)).inBestChain;
          } catch (error) {
            if (error instanceof EsploraError && error.code === EsploraErrorCode.NotFound) return false;
            throw error;
          }
        });
        const heights = Array.from({ length: Math.min(RECENT_WINDOW, tip.height + 1) }, (_, i) => tip.height - i).reverse();
        const recent = await mapLimit(heights, concurrency, async (height) => ({ height, hash: height === tip.height ? tip.hash : await client.blockHashAt(height) }));
        mode = { kind: 'lookup', blockInBestChain: new Map(hashes.map((h, i) => [h, inBest[i]!] as const)), recent };
      }

      const needed = lookupsNeeded(current, watched, relevant, mode);
      const txFound = await mapLimit(needed.txids, concurrency, (t) => r.lookupTx(t));
      const outFound = await mapLimit(needed.outputs, concurrency, (o) => r.lookupOutput(o));
      if ([...txFound, ...outFound].some((f) => f !== undefined && f.block.height > tip.height)) throw new ChainMoved();
      if ((await client.tipHash()) !== tipHash) throw new ChainMoved();

      const plan = planSync(current, watched, relevant, {
        tip,
        tipHeader,
        mode,
        txLookups: new Map(needed.txids.map((t, i) => [t, txFound[i]] as const)),
        outputLookups: new Map(needed.outputs.map((o, i) => [o, outFound[i]] as const)),
      });
      for (const call of plan.calls) for (const c of confirmables) applyCall(c, call);
      calls.push(...plan.calls);
      current = plan.view;
    } catch (error) {
      if (error instanceof ChainMoved) continue;
      if (error instanceof EsploraError && error.code === EsploraErrorCode.NotFound) continue; // a block or tx vanished mid-round: the chain moved
      throw error;
    }
  }
  throw new ChainSyncError(`the chain kept moving: no consistent view after ${maxRounds} rounds`);
}
