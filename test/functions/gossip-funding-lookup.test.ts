/**
 * The funding-output look-up of announced channels over Esplora
 * (functions/gossip/funding-lookup.ts): the short channel id's block,
 * transaction and output, its spent state; nothing there is undefined;
 * answers and a block's txids are cached; other errors propagate (the
 * gossip record is retried).
 */
import { describe, expect, it } from 'vitest';
import { EsploraError, EsploraErrorCode, type EsploraClient } from '../../shared/chain/index.js';
import { esploraFundingOutput, esploraFundingSpent } from '../../functions/gossip/funding-lookup.js';

const scid = (height: number, tx: number, vout: number) => (BigInt(height) << 40n) | (BigInt(tx) << 16n) | BigInt(vout);
const SCRIPT = Uint8Array.of(0, 32, ...new Uint8Array(32).fill(7));

function fakeEsplora(options: { down?: boolean; spent?: Set<string> } = {}) {
  const calls: string[] = [];
  const esplora = {
    blockHashAt: async (h: number) => {
      calls.push(`hash ${h}`);
      if (options.down) throw new EsploraError(EsploraErrorCode.ServerError, 'down', 503);
      if (h > 800) throw new EsploraError(EsploraErrorCode.NotFound, 'no block', 404);
      return `block${h}`;
    },
    blockTxids: async (hash: string) => {
      calls.push(`txids ${hash}`);
      return ['coinbase', 'tx1', 'tx2'];
    },
    tx: async (txid: string) => {
      calls.push(`tx ${txid}`);
      return { vout: [{ scriptPubKey: SCRIPT, valueSat: 500_000n }] };
    },
    outspend: async (txid: string, vout: number) => {
      calls.push(`outspend ${txid}:${vout}`);
      return { spent: txid === 'tx2' || (options.spent?.has(`${txid}:${vout}`) ?? false) };
    },
  };
  return { esplora: esplora as unknown as EsploraClient, calls };
}

describe('funding outputs over Esplora', () => {
  it('reads the output the short channel id names and whether it is spent; caches answers and block txids', async () => {
    const { esplora, calls } = fakeEsplora();
    const lookup = esploraFundingOutput(esplora);
    expect(await lookup(scid(700, 1, 0))).toEqual({ scriptPubkey: SCRIPT, valueSat: 500_000n, spent: false });
    expect(await lookup(scid(700, 2, 0))).toEqual({ scriptPubkey: SCRIPT, valueSat: 500_000n, spent: true });
    expect(calls.filter((c) => c.startsWith('txids'))).toHaveLength(1);
    const before = calls.length;
    expect(await lookup(scid(700, 1, 0))).toMatchObject({ spent: false });
    expect(calls.length).toBe(before);
  });

  it('no such block, transaction or output: undefined', async () => {
    const lookup = esploraFundingOutput(fakeEsplora().esplora);
    expect(await lookup(scid(900, 1, 0))).toBeUndefined();
    expect(await lookup(scid(700, 9, 0))).toBeUndefined();
    expect(await lookup(scid(700, 1, 3))).toBeUndefined();
  });

  it('an unavailable chain source is an error (the record is retried), not a missing output', async () => {
    const lookup = esploraFundingOutput(fakeEsplora({ down: true }).esplora);
    await expect(lookup(scid(700, 1, 0))).rejects.toThrow('down');
  });
});

describe('spent funding outputs for the pruner', () => {
  it('reads the spend fresh each time and the funding txid once; nothing there is undefined; an unavailable source throws', async () => {
    const spent = new Set<string>();
    const { esplora, calls } = fakeEsplora({ spent });
    const isSpent = esploraFundingSpent(esplora);
    expect(await isSpent(scid(700, 1, 0))).toBe(false);
    spent.add('tx1:0');
    expect(await isSpent(scid(700, 1, 0))).toBe(true);
    expect(calls.filter((c) => c.startsWith('txids'))).toHaveLength(1);
    expect(calls.filter((c) => c.startsWith('outspend'))).toHaveLength(2);
    expect(await isSpent(scid(700, 9, 0))).toBeUndefined();
    expect(await isSpent(scid(900, 1, 0))).toBeUndefined();
    await expect(esploraFundingSpent(fakeEsplora({ down: true }).esplora)(scid(700, 1, 0))).rejects.toThrow('down');
  });
});
