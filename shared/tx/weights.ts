/**
 * Expected weights of the channel's transactions, as the spec states them.
 * Fees are always computed from these constants (never from a measured
 * weight), so both peers arrive at the same amounts.
 *
 * Sources: BOLT 3 "Appendix A: Expected Weights" and "Fee Calculation";
 * BOLT 5 "Appendix A: Expected Weights" (penalty witnesses); the other
 * witness sizes are derived below with the same conventions (73-byte
 * signatures including the sighash byte, one length byte per element).
 */

/** BOLT 3 Fee Calculation: commitment weight without HTLC outputs (no anchors). */
export const COMMITMENT_WEIGHT = 724n;
/** BOLT 3 Fee Calculation: commitment weight without HTLC outputs with `option_anchors`. */
export const COMMITMENT_WEIGHT_ANCHORS = 1124n;
/** BOLT 3 Fee Calculation: weight added by each untrimmed HTLC output. */
export const HTLC_OUTPUT_WEIGHT = 172n;
/** BOLT 3 Fee Calculation: HTLC-timeout weight (no anchors). */
export const HTLC_TIMEOUT_WEIGHT = 663n;
/** BOLT 3 Fee Calculation: HTLC-timeout weight with `option_anchors`. */
export const HTLC_TIMEOUT_WEIGHT_ANCHORS = 666n;
/** BOLT 3 Fee Calculation: HTLC-success weight (no anchors). */
export const HTLC_SUCCESS_WEIGHT = 703n;
/** BOLT 3 Fee Calculation: HTLC-success weight with `option_anchors`. */
export const HTLC_SUCCESS_WEIGHT_ANCHORS = 706n;
/** BOLT 3 Anchor outputs: value of each anchor output. */
export const ANCHOR_OUTPUT_SAT = 330n;

/** BOLT 5 Appendix A: `to_local` penalty witness (`<sig> 1 <to_local_script>`), bytes. */
export const TO_LOCAL_PENALTY_WITNESS = 160;
/** BOLT 5 Appendix A: `offered_htlc` penalty witness (`<sig> <revocationpubkey> <script>`), bytes. */
export const OFFERED_HTLC_PENALTY_WITNESS = 243;
/** BOLT 5 Appendix A: `accepted_htlc` penalty witness (`<sig> <revocationpubkey> <script>`), bytes. */
export const ACCEPTED_HTLC_PENALTY_WITNESS = 249;
/**
 * `offered_htlc` penalty witness under `option_anchors`: BOLT 5's count with
 * the anchors script, 3 bytes longer (`1 OP_CHECKSEQUENCEVERIFY OP_DROP`):
 * 1 + (1 + 73) + (1 + 33) + (1 + 136).
 */
export const OFFERED_HTLC_PENALTY_WITNESS_ANCHORS = OFFERED_HTLC_PENALTY_WITNESS + 3;
/** `accepted_htlc` penalty witness under `option_anchors`: 1 + (1 + 73) + (1 + 33) + (1 + 142). */
export const ACCEPTED_HTLC_PENALTY_WITNESS_ANCHORS = ACCEPTED_HTLC_PENALTY_WITNESS + 3;

/**
 * `to_local` delayed spend `<local_delayedsig> <> <to_local_script>`: the
 * same count as BOLT 5's penalty witness (1 + 1 + 73 + 1 + 1 + 83; the spec
 * counts the `1` element as one byte and the script as 83 bytes, while the
 * real script is at most 78 bytes, so both bounds hold).
 */
export const TO_LOCAL_DELAYED_WITNESS = TO_LOCAL_PENALTY_WITNESS;
/**
 * Claim of an HTLC offered to us, on the counterparty's commitment,
 * `<sig> <preimage> <offered_htlc_script>`: 1 + (1 + 73) + (1 + 32) + (1 + 136)
 * (BOLT 3 offered script length with anchors, the larger variant).
 */
export const OFFERED_HTLC_PREIMAGE_WITNESS = 1 + 1 + 73 + 1 + 32 + 1 + 136;
/**
 * The same claim without anchors, the offered script being BOLT 5 Appendix
 * A's 133 bytes (no `1 OP_CHECKSEQUENCEVERIFY OP_DROP`):
 * 1 + (1 + 73) + (1 + 32) + (1 + 133). BOLT 5 states no size for this
 * witness; this counts it the way it counts the penalty witnesses.
 */
export const OFFERED_HTLC_PREIMAGE_WITNESS_NO_ANCHORS = 1 + 1 + 73 + 1 + 32 + 1 + 133;
/**
 * Timeout claim of an HTLC we offered, on the counterparty's commitment
 * (received by them: BOLT 3's received HTLC script), through its
 * `remote_htlcpubkey` branch after `cltv_expiry`: `<sig> <> <script>`,
 * 1 + (1 + 73) + 1 + (1 + 139), the script being BOLT 5 Appendix A's
 * `accepted_htlc_script` (139 bytes, a 3-byte `cltv_expiry`). BOLT 5 states
 * no size for this witness; this counts it the way it counts the penalty
 * witnesses.
 */
export const ACCEPTED_HTLC_TIMEOUT_WITNESS = 1 + 1 + 73 + 1 + 1 + 139;
/** The same under `option_anchors`: the script 3 bytes longer (`1 OP_CHECKSEQUENCEVERIFY OP_DROP`), 1 + (1 + 73) + 1 + (1 + 142). */
export const ACCEPTED_HTLC_TIMEOUT_WITNESS_ANCHORS = ACCEPTED_HTLC_TIMEOUT_WITNESS + 3;
/** P2WPKH `<sig> <pubkey>`: 1 + (1 + 73) + (1 + 33). */
export const P2WPKH_WITNESS = 1 + 1 + 73 + 1 + 33;
/**
 * Anchors `to_remote` `<sig> <to_remote_script>`: 1 + (1 + 73) + (1 + 37),
 * the script being `<33-byte key> OP_CHECKSIGVERIFY 1 OP_CHECKSEQUENCEVERIFY`.
 */
export const TO_REMOTE_ANCHORS_WITNESS = 1 + 1 + 73 + 1 + 37;
/** Anchor spent with the funding key `<sig> <anchor_script>`: 1 + (1 + 73) + (1 + 40). */
export const ANCHOR_FUNDING_WITNESS = 1 + 1 + 73 + 1 + 40;
/** Anchor spent by anyone after 16 blocks `<> <anchor_script>`: 1 + 1 + (1 + 40). */
export const ANCHOR_ANYONE_WITNESS = 1 + 1 + 1 + 40;

/** Non-witness bytes of one input: outpoint 36, script length 1, sequence 4 (BOLT 3 Appendix A). */
export const INPUT_BYTES = 41;
/** Version 4 + locktime 4 (BOLT 3 Appendix A). */
export const TX_FIXED_BYTES = 8;
/** Segwit marker + flag, counted in weight units (BOLT 3 Appendix A `witness_header`). */
export const WITNESS_HEADER_WEIGHT = 2;

/** Byte length of a Bitcoin CompactSize (var_int) prefix. */
export function varIntLength(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9;
}

/**
 * Expected weight of a segwit transaction with the given inputs' expected
 * witness sizes (bytes, each including its element count) and outputs'
 * scriptPubKeys: 4 × non-witness bytes + witness header + witness bytes.
 */
export function expectedSpendWeight(witnessBytes: readonly number[], outputScripts: readonly Uint8Array[]): bigint {
  let base = TX_FIXED_BYTES + varIntLength(witnessBytes.length) + INPUT_BYTES * witnessBytes.length + varIntLength(outputScripts.length);
  for (const s of outputScripts) base += 8 + varIntLength(s.length) + s.length;
  let witness = WITNESS_HEADER_WEIGHT;
  for (const w of witnessBytes) witness += w;
  return BigInt(4 * base + witness);
}
