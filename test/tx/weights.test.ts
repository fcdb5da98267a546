/** The expected-weight constants against the spec's own arithmetic (BOLT 3 Appendix A, BOLT 5 Appendix A). */
import { describe, expect, it } from 'vitest';
import {
  COMMITMENT_WEIGHT,
  COMMITMENT_WEIGHT_ANCHORS,
  FUNDING_WITNESS_BYTES,
  HTLC_OUTPUT_WEIGHT,
  HTLC_SUCCESS_WEIGHT,
  HTLC_TIMEOUT_WEIGHT,
  HTLC_TIMEOUT_WEIGHT_ANCHORS,
  TO_LOCAL_PENALTY_WITNESS,
  expectedSpendWeight,
  toLocalScript,
} from '../../shared/tx/index.js';

const key = Uint8Array.of(2, ...new Uint8Array(32).fill(7));

const p2wshScript = new Uint8Array(34);
const p2wpkhScript = new Uint8Array(22);

describe('expected weights', () => {
  it('commitment: 724 / 1124 + 172 per HTLC output', () => {
    expect(expectedSpendWeight([FUNDING_WITNESS_BYTES], [p2wshScript, p2wpkhScript])).toBe(COMMITMENT_WEIGHT);
    // The spec counts `count_tx_out` as 3 bytes for anchors (225 bytes): 8 weight units above the varint's 1 byte.
    expect(expectedSpendWeight([FUNDING_WITNESS_BYTES], [p2wshScript, p2wshScript, p2wshScript, p2wshScript]) + 8n).toBe(COMMITMENT_WEIGHT_ANCHORS);
    expect(expectedSpendWeight([FUNDING_WITNESS_BYTES], [p2wshScript, p2wpkhScript, p2wshScript]) - COMMITMENT_WEIGHT).toBe(HTLC_OUTPUT_WEIGHT);
  });
  it('HTLC transactions: 663 / 666, and 703 (the spec rounds 702 up "for historical reasons")', () => {
    expect(expectedSpendWeight([285], [p2wshScript])).toBe(HTLC_TIMEOUT_WEIGHT);
    expect(expectedSpendWeight([288], [p2wshScript])).toBe(HTLC_TIMEOUT_WEIGHT_ANCHORS);
    expect(expectedSpendWeight([324], [p2wshScript])).toBe(HTLC_SUCCESS_WEIGHT - 1n);
  });
  it('BOLT 5 to_local penalty witness: 1 + 1 + 73 + 1 + 1 + 83, an upper bound of the real witness', () => {
    expect(TO_LOCAL_PENALTY_WITNESS).toBe(1 + 1 + 73 + 1 + 1 + 83);
    const longest = toLocalScript(key, 0xffff, key);
    expect(longest.length).toBe(78);
    expect(1 + 1 + 73 + 2 + 1 + longest.length).toBeLessThanOrEqual(TO_LOCAL_PENALTY_WITNESS);
  });
});
