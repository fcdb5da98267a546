/**
 * The embedded regtest chain's rules, checked on the chain object itself:
 * real blocks (genesis, 80-byte headers, merkle roots, BIP 34, proof of work),
 * and a mempool that refuses double spends, missing outputs, outputs above
 * inputs, early CSV/CLTV spends, immature coinbases, bad signatures and wrong
 * scripts, then accepts the same spends once valid. Persistence across a
 * restart and reorgs that return transactions to the mempool.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transaction} from 'bitcoinjs-lib';
import { Block, crypto as bcrypto } from 'bitcoinjs-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockSubsidySat, heightFromCoinbase, REGTEST_BITS } from '../../infra/local/regtest-chain/block.js';
import { BlockLog } from '../../infra/local/regtest-chain/block-log.js';
import { RegtestChain } from '../../infra/local/regtest-chain/chain-state.js';
import { FAUCET_SCRIPT } from '../../infra/local/regtest-chain/faucet.js';
import { REGTEST_GENESIS_HASH } from '../../infra/local/regtest-chain/genesis.js';
import { verifyScripts } from '../../infra/local/regtest-chain/script-verifier.js';
import { cltvScript, csvScript, outputTo, p2wsh, spend, testKey } from '../support/regtest-wallet.js';

const alice = testKey('alice');
const bob = testKey('bob');

function fund(chain: RegtestChain, script: Uint8Array, sats: bigint) {
  const txid = chain.faucet(script, sats);
  return outputTo(chain.transaction(txid)!.tx, script);
}

function refused(chain: RegtestChain, tx: Transaction): string {
  const result = chain.accept(tx);
  expect(result.ok, 'expected a refusal').toBe(false);
  return result.ok ? '' : result.reason;
}

function accepted(chain: RegtestChain, tx: Transaction): void {
  const result = chain.accept(tx);
  expect(result.ok ? '' : result.reason).toBe('');
}

describe('regtest blocks', () => {
  it('starts at the regtest genesis block and builds real blocks on it', () => {
    const chain = new RegtestChain();
    expect(chain.tip().hash).toBe(REGTEST_GENESIS_HASH);
    const [hash] = chain.mine(1);
    const block = chain.blockByHash(hash!)!;
    expect(block.height).toBe(1);
    expect(block.header.length).toBe(80);
    const parsed = Block.fromBuffer(block.block.toBuffer());
    expect(parsed.getId()).toBe(hash);
    expect(Buffer.from(parsed.prevHash!).reverse().toString('hex')).toBe(REGTEST_GENESIS_HASH);
    expect(parsed.bits).toBe(REGTEST_BITS);
    expect(parsed.checkProofOfWork()).toBe(true);
    expect(parsed.checkTxRoots()).toBe(true);
    expect(heightFromCoinbase(parsed.transactions![0]!.ins[0]!.script)).toBe(1);
    expect(parsed.transactions![0]!.outs[0]!.value).toBe(blockSubsidySat(1));
    expect(parsed.hasWitnessCommit()).toBe(true);
  });

  it('puts the txids merkle root in the header, coinbase first, fees to the coinbase', () => {
    const chain = new RegtestChain();
    chain.mine(101);
    const a = chain.faucet(alice.script, 100_000n);
    const b = chain.faucet(bob.script, 200_000n);
    const fees = chain.mempool().reduce((sum, e) => sum + e.feeSat, 0n);
    const [hash] = chain.mine(1);
    const block = chain.blockByHash(hash!)!;
    expect(block.txids.slice(1)).toEqual([a, b]);
    const hashes = block.txids.map((id) => Buffer.from(id, 'hex').reverse());
    let level: Uint8Array[] = hashes;
    while (level.length > 1) {
      const next: Uint8Array[] = [];
      for (let i = 0; i < level.length; i += 2) next.push(bcrypto.hash256(Buffer.concat([level[i]!, level[i + 1] ?? level[i]!])));
      level = next;
    }
    expect(Buffer.from(block.header.subarray(36, 68)).equals(Buffer.from(level[0]!))).toBe(true);
    expect(block.transactions[0]!.outs[0]!.value).toBe(blockSubsidySat(102) + fees);
    expect(chain.transaction(a)!.block?.hash).toBe(hash);
  });
});

describe('regtest mempool rules', () => {
  let chain: RegtestChain;
  beforeAll(() => {
    chain = new RegtestChain();
    chain.mine(101);
  });

  it('refuses a double spend of a confirmed output, and one in the mempool that does not pay more (no replacement)', () => {
    const coin = fund(chain, alice.script, 50_000n);
    const first = spend({ inputs: [{ ...coin, key: alice }], outputs: [{ script: bob.script, valueSat: 49_000n }] });
    const same = spend({ inputs: [{ ...coin, key: alice }], outputs: [{ script: alice.script, valueSat: 49_000n }] });
    const more = spend({ inputs: [{ ...coin, key: alice }], outputs: [{ script: alice.script, valueSat: 48_000n }] });
    accepted(chain, first);
    // The same fee: refused by BIP 125 rule 6 (feerate not higher) or, when its signature came out a byte shorter
    // (a higher feerate on fewer bytes), by rule 4 (no additional fee): Bitcoin Core's two messages for it.
    expect(refused(chain, same)).toMatch(/insufficient fee: rejecting replacement .*(new feerate .* <= old feerate|not enough additional fees to relay)/);
    chain.mine(1);
    expect(refused(chain, more)).toMatch(/double spend.*confirmed/);
    expect(chain.transaction(first.getId())!.block).toBeDefined();
  });

  it("replaces a mempool transaction by one paying more (Bitcoin Core's full RBF): its descendants go with it; the rules refuse a weak one", () => {
    const coin = fund(chain, alice.script, 50_000n);
    const first = spend({ inputs: [{ ...coin, key: alice }], outputs: [{ script: bob.script, valueSat: 49_000n }] });
    accepted(chain, first);
    const child = spend({ inputs: [{ ...outputTo(first, bob.script), key: bob }], outputs: [{ script: bob.script, valueSat: 48_000n }] });
    accepted(chain, child);
    // Rule 3: at least the fees of everything evicted (1,000 + 1,000): 1,900 is not.
    const weak = spend({ inputs: [{ ...coin, key: alice }], outputs: [{ script: alice.script, valueSat: 48_100n }] });
    expect(refused(chain, weak)).toMatch(/less fees than conflicting txs; 1900 < 2000/);
    // Rule 4: plus its own size at 1 sat/vB: 2,010 is not enough either.
    const thin = spend({ inputs: [{ ...coin, key: alice }], outputs: [{ script: alice.script, valueSat: 47_990n }] });
    expect(refused(chain, thin)).toMatch(/not enough additional fees to relay; 10 < \d+/);
    const replacement = spend({ inputs: [{ ...coin, key: alice }], outputs: [{ script: alice.script, valueSat: 47_000n }] });
    accepted(chain, replacement);
    expect(chain.mempool().map((e) => e.txid)).toEqual(expect.not.arrayContaining([first.getId(), child.getId()]));
    expect(chain.mempool().map((e) => e.txid)).toContain(replacement.getId());
    // Rule 2: no new unconfirmed input: another mempool coin added to a replacement of `replacement` is refused.
    const other = spend({ inputs: [{ ...fund(chain, alice.script, 9_000n), key: alice }], outputs: [{ script: alice.script, valueSat: 8_000n }] });
    accepted(chain, other);
    const widened = spend({ inputs: [{ ...coin, key: alice }, { ...outputTo(other, alice.script), key: alice }], outputs: [{ script: alice.script, valueSat: 50_000n }] });
    expect(refused(chain, widened)).toMatch(/replacement-adds-unconfirmed/);
    chain.mine(1);
    expect(chain.transaction(replacement.getId())!.block).toBeDefined();
    expect(chain.transaction(first.getId())?.block).toBeUndefined();
  });

  it('refuses a spend of a missing output, accepts it once the output exists', () => {
    const coin = fund(chain, alice.script, 30_000n);
    const missing = spend({ inputs: [{ ...coin, vout: 7, key: alice }], outputs: [{ script: bob.script, valueSat: 1_000n }] });
    expect(refused(chain, missing)).toMatch(/missing input/);
    const unknownTxid = spend({ inputs: [{ ...coin, txid: 'ab'.repeat(32), key: alice }], outputs: [{ script: bob.script, valueSat: 1_000n }] });
    expect(refused(chain, unknownTxid)).toMatch(/missing input/);
    // A child of an unconfirmed parent is fine: the parent is in the mempool.
    accepted(chain, spend({ inputs: [{ ...coin, key: alice }], outputs: [{ script: bob.script, valueSat: 29_000n }] }));
  });

  it('refuses outputs above inputs, accepts the same spend with a fee', () => {
    const coin = fund(chain, alice.script, 40_000n);
    expect(refused(chain, spend({ inputs: [{ ...coin, key: alice }], outputs: [{ script: bob.script, valueSat: 40_001n }] }))).toMatch(/outputs \(40001 sat\) exceed inputs \(40000 sat\)/);
    accepted(chain, spend({ inputs: [{ ...coin, key: alice }], outputs: [{ script: bob.script, valueSat: 40_000n }] }));
  });

  it('refuses a bad signature and a wrong script, accepts the right ones', () => {
    const coin = fund(chain, alice.script, 60_000n);
    const out = [{ script: bob.script, valueSat: 59_000n }];
    expect(refused(chain, spend({ inputs: [{ ...coin, key: alice }], outputs: out, wrongKey: bob }))).toMatch(/script verification failed: input 0/);
    // A signature over different outputs (tampered after signing).
    const tampered = spend({ inputs: [{ ...coin, key: alice }], outputs: out });
    tampered.outs[0]!.value = 58_000n;
    expect(refused(chain, tampered)).toMatch(/script verification failed/);
    // A P2WSH coin spent with a witness script that is not the committed one.
    const committed = csvScript(1, alice.pubkey);
    const wsh = fund(chain, p2wsh(committed), 25_000n);
    chain.mine(1);
    const wrongScript = spend({ inputs: [{ ...wsh, key: bob, witnessScript: csvScript(1, bob.pubkey), sequence: 1 }], outputs: [{ script: bob.script, valueSat: 24_000n }] });
    expect(refused(chain, wrongScript)).toMatch(/script verification failed/);
    accepted(chain, spend({ inputs: [{ ...coin, key: alice }], outputs: out }));
    accepted(chain, spend({ inputs: [{ ...wsh, key: alice, witnessScript: committed, sequence: 1 }], outputs: [{ script: bob.script, valueSat: 24_000n }] }));
  });

  it("gives the same verdicts with libsecp256k1's curve arithmetic as with bitcore's own", () => {
    const coins = [fund(chain, alice.script, 11_000n), fund(chain, alice.script, 12_000n)];
    const prevouts = coins.map((c) => ({ scriptPubKey: alice.script, amountSat: c.valueSat }));
    const outputs = [{ script: bob.script, valueSat: 20_000n }];
    const good = spend({ inputs: coins.map((c) => ({ ...c, key: alice })), outputs });
    const bad = spend({ inputs: coins.map((c) => ({ ...c, key: alice })), outputs, wrongKey: bob });
    const wrongAmount = prevouts.map((p) => ({ ...p, amountSat: p.amountSat + 1n }));
    for (const ecdsa of ['libsecp256k1', 'bitcore'] as const) {
      expect(verifyScripts(good, prevouts, { ecdsa })).toBeUndefined();
      expect(verifyScripts(bad, prevouts, { ecdsa })?.index).toBe(0);
      expect(verifyScripts(good, wrongAmount, { ecdsa })?.index).toBe(0);
    }
  });

  it('refuses a CSV spend too early, accepts it once the coin is old enough', () => {
    const witnessScript = csvScript(5, alice.pubkey);
    const coin = fund(chain, p2wsh(witnessScript), 70_000n);
    const make = (sequence: number) => spend({ inputs: [{ ...coin, key: alice, witnessScript, sequence }], outputs: [{ script: bob.script, valueSat: 69_000n }] });
    // In the mempool the coin counts as mined in the next block: 5 blocks are missing.
    expect(refused(chain, make(5))).toMatch(/non-BIP68-final/);
    chain.mine(1);
    const confirmedAt = chain.tip().height;
    chain.mine(3);
    // Next block is confirmedAt + 4: one block short.
    expect(refused(chain, make(5))).toMatch(/non-BIP68-final.*spendable from height/);
    // A sequence below the script's CSV value passes BIP 68 but fails the script.
    expect(refused(chain, make(4))).toMatch(/script verification failed/);
    chain.mine(1);
    expect(chain.tip().height + 1 - confirmedAt).toBe(5);
    accepted(chain, make(5));
  });

  it('refuses a CLTV spend too early, accepts it at the locktime', () => {
    const lockHeight = chain.tip().height + 4;
    const witnessScript = cltvScript(lockHeight, alice.pubkey);
    const coin = fund(chain, p2wsh(witnessScript), 80_000n);
    const make = (locktime: number) => spend({ inputs: [{ ...coin, key: alice, witnessScript }], outputs: [{ script: bob.script, valueSat: 79_000n }], locktime });
    // nLockTime not reached by the next block: non-final.
    expect(refused(chain, make(lockHeight))).toMatch(/non-final: locktime/);
    // nLockTime below the script's lock: final, but OP_CLTV fails.
    expect(refused(chain, make(lockHeight - 4))).toMatch(/script verification failed/);
    chain.mine(3);
    expect(refused(chain, make(lockHeight))).toMatch(/non-final/);
    chain.mine(1);
    accepted(chain, make(lockHeight));
  });

  it('refuses a premature coinbase spend (maturity 100)', () => {
    const fresh = new RegtestChain();
    const [first] = fresh.mine(1, alice.script);
    const coinbase = fresh.blockByHash(first!)!.transactions[0]!;
    const coin = outputTo(coinbase, alice.script);
    const tx = spend({ inputs: [{ ...coin, key: alice }], outputs: [{ script: bob.script, valueSat: coin.valueSat - 1_000n }] });
    fresh.mine(98);
    expect(refused(fresh, tx)).toMatch(/premature spend of coinbase.*spendable from height 101/);
    fresh.mine(1);
    accepted(fresh, tx);
  });

  it('answers an already-known transaction: mempool is idempotent, confirmed is refused', () => {
    const txid = chain.faucet(alice.script, 10_000n);
    const tx = chain.transaction(txid)!.tx;
    accepted(chain, tx);
    chain.mine(1);
    expect(refused(chain, tx)).toMatch(/already in block chain/);
  });
});

describe("regtest mempool chain limits (Bitcoin Core's 25 ancestors / 25 descendants / 101 kvB)", () => {
  /** A chain of `length` transactions, each spending output 0 of the one before, from `coin` (alice's). */
  function chainFrom(coin: { txid: string; vout: number; valueSat: bigint }, length: number, extraOutputs: (i: number) => { script: Uint8Array; valueSat: bigint }[] = () => []): Transaction[] {
    const txs: Transaction[] = [];
    let prev = coin;
    for (let i = 0; i < length; i++) {
      const extra = extraOutputs(i);
      const rest = extra.reduce((sum, o) => sum + o.valueSat, 0n);
      const tx = spend({ inputs: [{ ...prev, key: alice }], outputs: [{ script: alice.script, valueSat: prev.valueSat - 1_000n - rest }, ...extra] });
      txs.push(tx);
      prev = { txid: tx.getId(), vout: 0, valueSat: tx.outs[0]!.value };
    }
    return txs;
  }

  it('accepts a chain of 25 unconfirmed transactions and refuses the 26th, as Bitcoin Core does; after a block it fits', () => {
    const chain = new RegtestChain();
    chain.mine(101);
    const coin = fund(chain, alice.script, 1_000_000n); // the faucet payment is the first of the chain
    const txs = chainFrom(coin, 25);
    for (const tx of txs.slice(0, 24)) accepted(chain, tx);
    expect(refused(chain, txs[24]!)).toBe('too-long-mempool-chain, too many unconfirmed ancestors [limit: 25]');
    expect(chain.mempool()).toHaveLength(25);
    expect(chain.transaction(txs[24]!.getId())).toBeUndefined();
    chain.mine(1);
    accepted(chain, txs[24]!);
  });

  it('refuses a 26th descendant of one transaction, naming it', () => {
    const chain = new RegtestChain();
    chain.mine(101);
    const coin = fund(chain, alice.script, 1_000_000n);
    chain.mine(1);
    // The root has a second output; 24 descendants through its first output make 25 with it.
    const [root, ...rest] = chainFrom(coin, 25, (i) => (i === 0 ? [{ script: bob.script, valueSat: 10_000n }] : []));
    accepted(chain, root!);
    for (const tx of rest) accepted(chain, tx);
    const sibling = spend({ inputs: [{ txid: root!.getId(), vout: 1, valueSat: 10_000n, key: bob }], outputs: [{ script: bob.script, valueSat: 9_000n }] });
    expect(refused(chain, sibling)).toBe(`too-long-mempool-chain, too many descendants for tx ${root!.getId()} [limit: 25]`);
  });

  it('refuses a chain past 101 kvB', () => {
    const chain = new RegtestChain();
    chain.mine(101);
    const coin = fund(chain, alice.script, 10_000_000n);
    chain.mine(1);
    // Three transactions of about 40 kvB (1,300 outputs each): the third would make 120 kvB.
    const [a, b, c] = chainFrom(coin, 3, () => Array.from({ length: 1_300 }, () => ({ script: bob.script, valueSat: 600n })));
    expect(a!.virtualSize()).toBeGreaterThan(40_000);
    accepted(chain, a!);
    accepted(chain, b!);
    expect(refused(chain, c!)).toBe(`too-long-mempool-chain, exceeds descendant size limit for tx ${a!.getId()} [limit: 101000]`);
  });

  it('keeps the faucet paying past 25 payments before a block (other coins), and says when it cannot', () => {
    const chain = new RegtestChain();
    chain.mine(101); // two mature coinbase coins: two chains of 25
    for (let i = 0; i < 50; i++) chain.faucet(alice.script, 1_000n + BigInt(i));
    expect(() => chain.faucet(alice.script, 1_000n)).toThrow(/cannot pay 1000 sat.*mine/);
    chain.mine(1);
    chain.faucet(alice.script, 1_000n);
  });
});

describe('regtest reorgs and restarts', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('reorg: disconnected transactions return to the mempool; excluded ones stay there', () => {
    const chain = new RegtestChain();
    chain.mine(101);
    const a = chain.faucet(alice.script, 11_000n);
    const b = chain.faucet(bob.script, 12_000n);
    const [old] = chain.mine(1);
    const height = chain.tip().height;
    const result = chain.reorg(1, 2, new Set([b]));
    expect(result.disconnected).toEqual([old]);
    expect(result.connected).toHaveLength(2);
    expect(chain.tip().height).toBe(height + 1);
    expect(chain.blockByHash(old!)).toBeDefined();
    expect(chain.isInBestChain(chain.blockByHash(old!)!)).toBe(false);
    expect(chain.transaction(a)!.block?.height).toBe(height);
    expect(chain.transaction(b)!.inMempool).toBe(true);
    chain.mine(1);
    expect(chain.transaction(b)!.block?.height).toBe(height + 2);
  });

  it('keeps the chain across a restart (append-only block log)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtest-chain-'));
    dirs.push(dir);
    const first = BlockLog.open(dir);
    const chain = new RegtestChain({ log: first.log });
    chain.mine(101);
    const txid = chain.faucet(alice.script, 15_000n);
    chain.mine(2);
    chain.reorg(1, 3);
    const tip = chain.tip().hash;
    const utxos = chain.scriptUtxos(FAUCET_SCRIPT).length;
    first.log.close();

    const second = BlockLog.open(dir);
    const reloaded = new RegtestChain({ log: second.log, entries: second.entries });
    expect(reloaded.tip().hash).toBe(tip);
    expect(reloaded.tip().height).toBe(105);
    expect(reloaded.transaction(txid)!.block?.height).toBe(102);
    expect(reloaded.scriptUtxos(FAUCET_SCRIPT).length).toBe(utxos);
    reloaded.mine(1);
    second.log.close();
  });
});
