/**
 * The chain look-up of an announced channel's funding output (docs/gossip.md:
 * checked at the edge), over Esplora: the short channel id's block
 * (`/block-height/:h`), its transaction (`/block/:hash/txids`), the output
 * (`/tx/:txid`) and whether it is spent (`/tx/:txid/outspend/:vout`).
 * Answers per short channel id are kept for the container's life (an output
 * never changes; a spend found later only matters for channels already
 * closed, which their updates' `disable` bit and age take care of), and a
 * block's txid list is kept for the announcements of the same block.
 */
import { EsploraError, EsploraErrorCode, type EsploraClient } from '../../shared/chain/index.js';
import type { FundingOutput } from '../../shared/gossip/index.js';

/** At most this many answers and block txid lists are kept (oldest dropped first). */
const CACHE_ENTRIES = 20_000;
const BLOCK_ENTRIES = 64;

function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): V {
  if (map.size >= max) map.delete(map.keys().next().value as K);
  map.set(key, value);
  return value;
}

/** A `fundingOutput` port for the gossip function, over `esplora`. A short channel id naming nothing answers undefined. */
export function esploraFundingOutput(esplora: EsploraClient): (shortChannelId: bigint) => Promise<FundingOutput | undefined> {
  const answers = new Map<bigint, FundingOutput | undefined>();
  const blocks = new Map<number, Promise<string[]>>();
  return async (shortChannelId) => {
    if (answers.has(shortChannelId)) return answers.get(shortChannelId);
    const height = Number(shortChannelId >> 40n);
    const txIndex = Number((shortChannelId >> 16n) & 0xffffffn);
    const vout = Number(shortChannelId & 0xffffn);
    try {
      let txids = blocks.get(height);
      if (txids === undefined) {
        txids = esplora.blockHashAt(height).then((hash) => esplora.blockTxids(hash));
        remember(blocks, height, txids, BLOCK_ENTRIES);
        txids.catch(() => blocks.delete(height));
      }
      const txid = (await txids)[txIndex];
      if (txid === undefined) return remember(answers, shortChannelId, undefined, CACHE_ENTRIES);
      const output = (await esplora.tx(txid)).vout[vout];
      if (output === undefined) return remember(answers, shortChannelId, undefined, CACHE_ENTRIES);
      const spent = (await esplora.outspend(txid, vout)).spent;
      return remember(answers, shortChannelId, { scriptPubkey: output.scriptPubKey, valueSat: output.valueSat, spent }, CACHE_ENTRIES);
    } catch (error) {
      // No such block yet (or ever): nothing there. Other errors propagate: the record is retried.
      if (error instanceof EsploraError && error.code === EsploraErrorCode.NotFound) return undefined;
      throw error;
    }
  };
}

/**
 * A `fundingSpent` port for the pruner (graph-upkeep.ts), over `esplora`:
 * whether the output a short channel id names is spent now. The funding
 * transaction's id is kept per short channel id (it never changes); the
 * spend is read fresh each time (`/tx/:txid/outspend/:vout`). Undefined when
 * the id names nothing on chain.
 */
export function esploraFundingSpent(esplora: EsploraClient): (shortChannelId: bigint) => Promise<boolean | undefined> {
  const txids = new Map<bigint, string | undefined>();
  return async (shortChannelId) => {
    const height = Number(shortChannelId >> 40n);
    const txIndex = Number((shortChannelId >> 16n) & 0xffffffn);
    const vout = Number(shortChannelId & 0xffffn);
    try {
      let txid = txids.get(shortChannelId);
      if (!txids.has(shortChannelId)) txid = remember(txids, shortChannelId, (await esplora.blockTxids(await esplora.blockHashAt(height)))[txIndex], CACHE_ENTRIES);
      if (txid === undefined) return undefined;
      return (await esplora.outspend(txid, vout)).spent;
    } catch (error) {
      if (error instanceof EsploraError && error.code === EsploraErrorCode.NotFound) return undefined;
      throw error;
    }
  };
}
