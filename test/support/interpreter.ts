/**
 * Independent check of our witnesses: bitcore-lib's script interpreter, run on
 * one input of a serialized transaction against its prevout. The logic lives
 * with the embedded regtest chain, which uses the same check to accept
 * transactions (one place for it).
 */
export { FLAGS, verifyInput, verifyScripts } from '../../infra/local/regtest-chain/script-verifier.js';
export type { Prevout } from '../../infra/local/regtest-chain/script-verifier.js';
