/**
 * The chain's own wallet: one P2WPKH key (fixed, derived from a label: this is
 * regtest money) that every block mined without an address pays, and that
 * funds `POST /regtest/faucet` transactions.
 */
import { Transaction } from 'bitcoinjs-lib';
import { sha256, wasmSecp256k1 } from '../../../shared/crypto/index.js';
import { p2wpkh, p2wpkhScriptCode, signWitnessInput, witnessSignature } from '../../../shared/tx/index.js';

const FAUCET_SECRET = sha256(new TextEncoder().encode('stormcell regtest chain faucet key'));
const FAUCET_PUBKEY = wasmSecp256k1.publicKeyFromSecret(FAUCET_SECRET);

/** The script every faucet coin is locked to. */
export const FAUCET_SCRIPT = p2wpkh(FAUCET_PUBKEY);

/** A faucet coin to spend. */
export interface FaucetCoin {
  readonly txid: string;
  readonly vout: number;
  readonly valueSat: bigint;
}

/** Fee rate of faucet transactions (sat per vbyte). */
const FAUCET_FEERATE_SAT_PER_VB = 2n;
/** Change below this is left to the fee. */
const CHANGE_DUST_SAT = 1_000n;

/**
 * Builds and signs a transaction paying `sats` to `destination` from `coins`
 * (taken in order until they cover amount and fee), change back to the
 * faucet. Returns undefined when the coins do not cover it.
 */
export function buildFaucetTransaction(coins: readonly FaucetCoin[], destination: Uint8Array, sats: bigint): Transaction | undefined {
  const chosen: FaucetCoin[] = [];
  let total = 0n;
  const feeFor = (inputs: number) => BigInt(11 + 68 * inputs + 31 * 2 + destination.length) * FAUCET_FEERATE_SAT_PER_VB;
  for (const coin of coins) {
    if (total >= sats + feeFor(chosen.length)) break;
    chosen.push(coin);
    total += coin.valueSat;
  }
  const fee = feeFor(chosen.length);
  if (chosen.length === 0 || total < sats + fee) return undefined;
  const tx = new Transaction();
  tx.version = 2;
  for (const coin of chosen) tx.addInput(Buffer.from(coin.txid, 'hex').reverse(), coin.vout, 0xfffffffd);
  tx.addOutput(destination, sats);
  const change = total - sats - fee;
  if (change >= CHANGE_DUST_SAT) tx.addOutput(FAUCET_SCRIPT, change);
  const scriptCode = p2wpkhScriptCode(FAUCET_PUBKEY);
  chosen.forEach((coin, i) => {
    const signature = signWitnessInput(wasmSecp256k1, tx, i, scriptCode, coin.valueSat, FAUCET_SECRET);
    tx.setWitness(i, [witnessSignature(signature), FAUCET_PUBKEY]);
  });
  return tx;
}
