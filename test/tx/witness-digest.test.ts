import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { witnessDigest, type SighashType } from '../../shared/tx/index.js';
import { rng } from '../support/seeded-random.js';


describe('witnessDigest', () => {
  it('is byte-for-byte bitcoinjs-lib hashForWitnessV0 (every sighash type, varint boundaries)', () => {
    const next = rng(143);
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => next() & 0xff);
    const scriptLengths = [0, 1, 22, 34, 71, 252, 253, 254, 300, 0xffff, 0x10000];
    for (let t = 0; t < 60; t++) {
      const tx = new Transaction();
      tx.version = next() % 3;
      tx.locktime = next();
      const ins = 1 + (next() % 4);
      for (let i = 0; i < ins; i++) tx.addInput(bytes(32), next(), next());
      const outs = next() % 5;
      for (let o = 0; o < outs; o++) tx.addOutput(bytes(scriptLengths[next() % 6]!), BigInt(next()) * BigInt(next() % 1000));
      const script = bytes(scriptLengths[t % scriptLengths.length]!);
      const amount = BigInt(next()) * 1000n;
      for (const type of [0x01, 0x02, 0x03, 0x81, 0x82, 0x83]) {
        for (let i = 0; i < ins; i++) {
          expect(witnessDigest(tx, i, script, amount, type as SighashType)).toEqual(tx.hashForWitnessV0(i, script, amount, type));
        }
      }
    }
  });

  it('rejects a missing input and an amount out of range', () => {
    const tx = new Transaction();
    tx.addInput(new Uint8Array(32), 0);
    expect(() => witnessDigest(tx, 1, new Uint8Array(0), 1n, 0x01)).toThrow();
    expect(() => witnessDigest(tx, 0, new Uint8Array(0), -1n, 0x01)).toThrow();
    expect(() => witnessDigest(tx, 0, new Uint8Array(0), 1n << 63n, 0x01)).toThrow();
  });
});
