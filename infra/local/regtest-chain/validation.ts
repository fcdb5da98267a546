/**
 * Whether a transaction may enter the embedded chain's mempool, i.e. could be
 * mined in the next block: structure, inputs that exist and are unspent
 * (mempool included), coinbase maturity, value balance, absolute locktime
 * (nLockTime, against the next height or the tip's median time past, BIP 113),
 * relative locktimes (BIP 68) and every input script under bitcore-lib's
 * interpreter (consensus + the standardness flags of script-verifier.ts).
 */
import type { Transaction } from 'bitcoinjs-lib';
import { COINBASE_MATURITY } from './block.js';
import { verifyScripts } from './script-verifier.js';

/** An unspent output as the chain knows it. */
export interface Coin {
  readonly valueSat: bigint;
  readonly script: Uint8Array;
  /** Height of the block that created it; undefined while its transaction is in the mempool. */
  readonly height: number | undefined;
  readonly coinbase: boolean;
}

/** The state a transaction is checked against. */
export interface CoinLookup {
  /** The unspent coin at `txid:vout` (display txid), confirmed or in the mempool, if any. */
  coin(txid: string, vout: number): Coin | undefined;
  /** Who spends `txid:vout` already (confirmed or in the mempool), if anyone. */
  spender(txid: string, vout: number): { readonly txid: string; readonly confirmed: boolean } | undefined;
  /** Median time past of the block at `height` (BIP 113), for time-based relative locks. */
  medianTimePast(height: number): number;
}

/** Where the transaction would be mined: the next block. */
export interface NextBlock {
  readonly height: number;
  /** Median time past of the current tip: the time locks are measured against (BIP 113). */
  readonly medianTimePast: number;
}

export type Acceptance =
  | { readonly ok: true; readonly feeSat: bigint; readonly prevouts: readonly Coin[] }
  | { readonly ok: false; readonly reason: string };

const MAX_MONEY_SAT = 21_000_000n * 100_000_000n;
const LOCKTIME_THRESHOLD = 500_000_000;
const SEQUENCE_FINAL = 0xffffffff;
const SEQUENCE_DISABLE_FLAG = 0x80000000;
const SEQUENCE_TYPE_FLAG = 0x00400000;
const SEQUENCE_MASK = 0x0000ffff;
/** Standard weight limit of one transaction (Bitcoin Core's MAX_STANDARD_TX_WEIGHT). */
const MAX_STANDARD_TX_WEIGHT = 400_000;

function displayTxid(hash: Uint8Array): string {
  return Buffer.from(hash).reverse().toString('hex');
}

function refuse(reason: string): Acceptance {
  return { ok: false, reason };
}

/** Whether `tx`'s nLockTime lets it into a block at `next` (Bitcoin Core's IsFinalTx). */
export function isFinal(tx: Transaction, next: NextBlock): boolean {
  if (tx.locktime === 0) return true;
  const cutoff = tx.locktime < LOCKTIME_THRESHOLD ? next.height : next.medianTimePast;
  if (tx.locktime < cutoff) return true;
  return tx.ins.every((input) => input.sequence === SEQUENCE_FINAL);
}

/** Checks everything but scripts; `checkTransaction` adds the script check. */
export function checkContext(tx: Transaction, coins: CoinLookup, next: NextBlock): Acceptance {
  if (tx.isCoinbase()) return refuse('coinbase transactions are only valid in a block');
  if (tx.ins.length === 0) return refuse('transaction has no inputs');
  if (tx.outs.length === 0) return refuse('transaction has no outputs');
  if (tx.weight() > MAX_STANDARD_TX_WEIGHT) return refuse(`transaction weight ${tx.weight()} exceeds ${MAX_STANDARD_TX_WEIGHT}`);
  let outSat = 0n;
  for (const [i, out] of tx.outs.entries()) {
    if (out.value < 0n || out.value > MAX_MONEY_SAT) return refuse(`output ${i} value ${out.value} is out of range`);
    outSat += out.value;
  }
  if (outSat > MAX_MONEY_SAT) return refuse('total output value is out of range');

  const seen = new Set<string>();
  const prevouts: Coin[] = [];
  let inSat = 0n;
  for (const [i, input] of tx.ins.entries()) {
    const txid = displayTxid(input.hash);
    const key = `${txid}:${input.index}`;
    if (seen.has(key)) return refuse(`input ${i} spends ${key} twice in one transaction`);
    seen.add(key);
    const spentBy = coins.spender(txid, input.index);
    if (spentBy !== undefined) {
      return refuse(`double spend: input ${i} spends ${key}, already spent by ${spentBy.txid} (${spentBy.confirmed ? 'confirmed' : 'in the mempool'})`);
    }
    const coin = coins.coin(txid, input.index);
    if (coin === undefined) return refuse(`missing input: input ${i} spends ${key}, which does not exist`);
    if (coin.coinbase && coin.height !== undefined && next.height - coin.height < COINBASE_MATURITY) {
      return refuse(`premature spend of coinbase: input ${i} spends ${key} from height ${coin.height}, spendable from height ${coin.height + COINBASE_MATURITY}`);
    }
    prevouts.push(coin);
    inSat += coin.valueSat;
  }
  if (outSat > inSat) return refuse(`outputs (${outSat} sat) exceed inputs (${inSat} sat)`);

  if (!isFinal(tx, next)) {
    const what = tx.locktime < LOCKTIME_THRESHOLD ? `height ${next.height}` : `median time past ${next.medianTimePast}`;
    return refuse(`non-final: locktime ${tx.locktime} is not below the next block's ${what}`);
  }
  if (tx.version >= 2) {
    for (const [i, input] of tx.ins.entries()) {
      if ((input.sequence & SEQUENCE_DISABLE_FLAG) !== 0) continue;
      const coin = prevouts[i]!;
      const coinHeight = coin.height ?? next.height;
      const value = input.sequence & SEQUENCE_MASK;
      if ((input.sequence & SEQUENCE_TYPE_FLAG) !== 0) {
        const coinTime = coins.medianTimePast(Math.max(coinHeight - 1, 0));
        const needed = coinTime + value * 512;
        if (needed > next.medianTimePast) return refuse(`non-BIP68-final: input ${i} is time-locked until median time past ${needed} (now ${next.medianTimePast})`);
      } else if (coinHeight + value > next.height) {
        return refuse(`non-BIP68-final: input ${i} is locked for ${value} blocks after height ${coinHeight}, spendable from height ${coinHeight + value} (next block ${next.height})`);
      }
    }
  }
  return { ok: true, feeSat: inSat - outSat, prevouts };
}

/** Every rule of the embedded chain, scripts included. */
export function checkTransaction(tx: Transaction, coins: CoinLookup, next: NextBlock): Acceptance {
  const context = checkContext(tx, coins, next);
  if (!context.ok) return context;
  for (const [i, coin] of context.prevouts.entries()) {
    if (coin.script.length > 0 && coin.script[0]! >= 0x51 && coin.script[0]! <= 0x60 && coin.script.length >= 4 && coin.script.length <= 42 && coin.script[1] === coin.script.length - 2) {
      return refuse(`input ${i}: spends a witness v${coin.script[0]! - 0x50} output, which the embedded chain does not verify (segwit v0 and legacy only)`);
    }
  }
  const failure = verifyScripts(tx, context.prevouts.map((c) => ({ scriptPubKey: c.script, amountSat: c.valueSat })));
  if (failure !== undefined) return refuse(`script verification failed: input ${failure.index}: ${failure.reason}`);
  return context;
}
