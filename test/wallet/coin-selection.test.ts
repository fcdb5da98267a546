/**
 * Coin selection: exact cover without change, change above dust, change
 * below dust left to the fee, coins worth less than their input fee skipped,
 * insufficient funds, and 10,000 coins; the fee never below the fee rate.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { P2WPKH_DUST_SAT, P2WPKH_INPUT_WEIGHT, P2WPKH_OUTPUT_WEIGHT, WalletError, feeForWeight, selectCoins, txWeight } from '../../shared/wallet/index.js';

const coins = (...values: number[]) => values.map((v, i) => ({ id: i, valueSat: BigInt(v) }));
const base = { outputs: 1, outputWeights: P2WPKH_OUTPUT_WEIGHT, feeratePerKvb: 1000n } as const;
// 1 sat/vB: one input, one output = ceil((42 + 272 + 124) / 4) = 110 vB; with change 141 vB.
const fee1 = feeForWeight(txWeight(1, 1, P2WPKH_OUTPUT_WEIGHT), 1000n);
const fee1Change = feeForWeight(txWeight(1, 2, 2 * P2WPKH_OUTPUT_WEIGHT), 1000n);

describe('selectCoins', () => {
  it('computes the weights of P2WPKH spends', () => {
    expect(P2WPKH_INPUT_WEIGHT).toBe(272);
    expect(fee1).toBe(110n);
    expect(fee1Change).toBe(141n);
  });

  it('covers an exact amount with no change', () => {
    const s = selectCoins({ ...base, coins: coins(10_000 + 110), targetSat: 10_000n });
    expect(s.changeSat).toBeUndefined();
    expect(s.feeSat).toBe(110n);
  });

  it('makes change when the rest pays for it and stays above dust', () => {
    const s = selectCoins({ ...base, coins: coins(50_000), targetSat: 10_000n });
    expect(s.changeSat).toBe(50_000n - 10_000n - fee1Change);
    expect(s.feeSat).toBe(fee1Change);
  });

  it('leaves dust change to the fee', () => {
    const s = selectCoins({ ...base, coins: coins(10_000 + Number(fee1Change) + 293), targetSat: 10_000n });
    expect(s.changeSat).toBeUndefined();
    expect(s.feeSat).toBe(fee1Change + 293n);
    const t = selectCoins({ ...base, coins: coins(10_000 + Number(fee1Change) + 294), targetSat: 10_000n });
    expect(t.changeSat).toBe(P2WPKH_DUST_SAT);
  });

  it('takes the largest coins first and skips coins worth less than their input fee', () => {
    const s = selectCoins({ ...base, coins: coins(50, 3_000, 9_000, 68, 4_000), targetSat: 12_000n });
    expect(s.selected.map((c) => c.valueSat)).toEqual([9_000n, 4_000n]);
    expect(() => selectCoins({ ...base, coins: coins(68, 68, 68, 68), targetSat: 100n })).toThrow(expect.objectContaining({ code: 'insufficient-funds' }));
  });

  it('fails with insufficient-funds when the coins cannot pay amount plus fee', () => {
    expect(() => selectCoins({ ...base, coins: coins(10_000), targetSat: 10_000n })).toThrow(WalletError);
    expect(() => selectCoins({ ...base, coins: [], targetSat: 1n })).toThrow(expect.objectContaining({ code: 'insufficient-funds' }));
  });

  it('selects among 10,000 coins, paying with many small ones when needed', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({ id: i, valueSat: 1_000n + BigInt((i * 7919) % 5_000) }));
    const started = performance.now();
    const s = selectCoins({ ...base, coins: many, targetSat: 20_000_000n, feeratePerKvb: 2000n });
    const elapsed = performance.now() - started;
    const total = s.selected.reduce((a, c) => a + c.valueSat, 0n);
    expect(total - 20_000_000n - (s.changeSat ?? 0n)).toBe(s.feeSat);
    expect(s.feeSat).toBeGreaterThanOrEqual(feeForWeight(txWeight(s.selected.length, 2, 2 * P2WPKH_OUTPUT_WEIGHT), 2000n));
    expect(elapsed).toBeLessThan(1000);
  });

  it('always pays at least the fee rate and balances (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5_000_000 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 294, max: 10_000_000 }), fc.integer({ min: 1000, max: 50_000 }), (values, target, rate) => {
        try {
          const s = selectCoins({ ...base, coins: coins(...values), targetSat: BigInt(target), feeratePerKvb: BigInt(rate) });
          const total = s.selected.reduce((a, c) => a + c.valueSat, 0n);
          const outputs = s.changeSat === undefined ? 1 : 2;
          expect(total).toBe(BigInt(target) + s.feeSat + (s.changeSat ?? 0n));
          expect(s.feeSat).toBeGreaterThanOrEqual(feeForWeight(txWeight(s.selected.length, outputs, outputs * P2WPKH_OUTPUT_WEIGHT), BigInt(rate)));
          if (s.changeSat !== undefined) expect(s.changeSat).toBeGreaterThanOrEqual(P2WPKH_DUST_SAT);
        } catch (error) {
          expect((error as WalletError).code).toBe('insufficient-funds');
          const inputFee = feeForWeight(P2WPKH_INPUT_WEIGHT, BigInt(rate));
          const usable = values.filter((v) => BigInt(v) > inputFee).reduce((a, v) => a + BigInt(v), 0n);
          expect(usable).toBeLessThan(BigInt(target) + feeForWeight(txWeight(values.length, 1, P2WPKH_OUTPUT_WEIGHT), BigInt(rate)) + 1n);
        }
      }),
    );
  });
});
