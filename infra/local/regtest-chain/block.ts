/**
 * Blocks of the embedded regtest chain, built as Bitcoin Core's regtest
 * builds them: an 80-byte header (version, previous block hash, merkle root of
 * the txids, time, bits 0x207fffff, nonce), a coinbase that pushes its height
 * first (BIP 34) and commits to the witness merkle root (BIP 141), and a
 * nonce ground until the header hash meets the regtest target (about two
 * tries: regtest's target is half of the hash space).
 */
import { Block, Transaction, script } from 'bitcoinjs-lib';
import { concatBytes } from '../../../shared/crypto/index.js';

/** Regtest's proof-of-work limit in compact form (Bitcoin Core's `powLimit` for regtest). */
export const REGTEST_BITS = 0x207fffff;
/** A coinbase output can be spent only by a block this many blocks above it (Bitcoin Core's `COINBASE_MATURITY`). */
export const COINBASE_MATURITY = 100;
/** Regtest halves the subsidy every 150 blocks. */
export const HALVING_INTERVAL = 150;
/** BIP 9 version with no signalled deployment. */
export const BLOCK_VERSION = 0x20000000;

const WITNESS_COMMITMENT_HEADER = Uint8Array.of(0xaa, 0x21, 0xa9, 0xed);
const WITNESS_RESERVED_VALUE = new Uint8Array(32);

/** The block subsidy at `height`: 50 BTC halved every 150 blocks (regtest). */
export function blockSubsidySat(height: number): bigint {
  const halvings = Math.floor(height / HALVING_INTERVAL);
  return halvings >= 64 ? 0n : (50n * 100_000_000n) >> BigInt(halvings);
}

/** The coinbase scriptSig: the height as BIP 34 demands (minimal push), then an extra nonce that makes each block unique. */
export function coinbaseScriptSig(height: number, extraNonce: Uint8Array): Uint8Array {
  return script.compile([script.number.encode(height), extraNonce]);
}

/** Reads the BIP 34 height back from a coinbase scriptSig, or undefined when it does not start with one. */
export function heightFromCoinbase(scriptSig: Uint8Array): number | undefined {
  const chunks = script.decompile(scriptSig);
  const first = chunks?.[0];
  if (first === undefined) return undefined;
  if (typeof first === 'number') {
    if (first === 0) return 0;
    if (first >= 0x51 && first <= 0x60) return first - 0x50;
    return undefined;
  }
  return script.number.decode(first, 5);
}

export interface BlockTemplate {
  readonly prevHash: Uint8Array;
  readonly height: number;
  /** Header time (seconds). */
  readonly time: number;
  readonly payoutScript: Uint8Array;
  /** Transactions after the coinbase, parents before children. */
  readonly transactions: readonly Transaction[];
  /** Sum of the fees of `transactions`. */
  readonly feesSat: bigint;
  /** Bytes pushed after the height in the coinbase. */
  readonly extraNonce: Uint8Array;
}

/** Builds a complete, valid regtest block: coinbase, witness commitment, merkle root, proof of work. */
export function buildBlock(template: BlockTemplate): Block {
  const coinbase = new Transaction();
  coinbase.version = 2;
  coinbase.addInput(new Uint8Array(32), 0xffffffff, 0xffffffff, coinbaseScriptSig(template.height, template.extraNonce));
  coinbase.addOutput(template.payoutScript, blockSubsidySat(template.height) + template.feesSat);
  coinbase.setWitness(0, [WITNESS_RESERVED_VALUE]);
  const transactions = [coinbase, ...template.transactions];
  const commitment = Block.calculateMerkleRoot(transactions, true);
  coinbase.addOutput(script.compile([script.OPS.OP_RETURN, concatBytes(WITNESS_COMMITMENT_HEADER, commitment)]), 0n);

  const block = new Block();
  block.version = BLOCK_VERSION;
  block.prevHash = template.prevHash;
  block.merkleRoot = Block.calculateMerkleRoot(transactions);
  block.timestamp = template.time;
  block.bits = REGTEST_BITS;
  block.nonce = 0;
  block.transactions = transactions;
  while (!block.checkProofOfWork()) block.nonce++;
  return block;
}

/** The 80-byte header of `block`. */
export function headerBytes(block: Block): Uint8Array {
  return block.toBuffer(true);
}
