/** shared/tx: BOLT 3 scripts, transactions, fees, weights and signatures (built with bitcoinjs-lib). */
export { TxError, TxErrorCode } from './errors.js';
export * from './weights.js';
export {
  MAX_MONEY_SAT,
  MAX_MONEY_MSAT,
  type Outpoint,
  txidFromDisplayHex,
  txidToDisplayHex,
} from './amounts.js';
export {
  ChannelType,
  feeForWeight,
  commitmentWeight,
  commitmentFeeSat,
  htlcTimeoutFeeSat,
  htlcSuccessFeeSat,
  htlcTransactionWeight,
  isHtlcTrimmed,
} from './fees.js';
export {
  scriptNumber,
  compareBytes,
  fundingScript,
  toLocalScript,
  toRemoteAnchorsScript,
  anchorScript,
  offeredHtlcScript,
  receivedHtlcScript,
  p2wsh,
  p2wpkh,
  p2wpkhScriptCode,
  type HtlcScriptKeys,
} from './scripts.js';
export { SighashType, witnessDigest, signWitnessInput, verifyWitnessInput, witnessSignature, compactFromDer } from './sign.js';
export {
  fundingOutputScript,
  fundingWitness,
  buildFundingTransaction,
  type FundingInput,
  type FundingOutput,
  type FundingTransaction,
  type FundingTransactionParams,
} from './funding.js';
export {
  MAX_HTLCS_PER_SIDE,
  CommitmentOutputKind,
  commitmentObscuringFactor,
  obscuredLocktimeAndSequence,
  commitmentNumberFromTx,
  buildCommitmentTransaction,
  signCommitment,
  verifyCommitmentSignature,
  finalizeCommitment,
  type CommitmentHtlc,
  type CommitmentKeys,
  type CommitmentParams,
  type CommitmentOutput,
  type CommitmentTransaction,
} from './commitment.js';
export {
  HtlcTransactionKind,
  buildHtlcTransactions,
  signHtlcTransactionAsRemote,
  signHtlcTransactionAsLocal,
  verifyRemoteHtlcSignature,
  finalizeHtlcTransaction,
  type HtlcTransaction,
} from './htlc-tx.js';
export {
  FUNDING_WITNESS_BYTES,
  closingWeight,
  closingFeeSat,
  buildClosingTransaction,
  signClosing,
  verifyClosingSignature,
  finalizeClosing,
  type ClosingParams,
  type ClosingTransaction,
} from './closing.js';
export {
  SpendKind,
  buildSpendTransaction,
  signSpendTransaction,
  type SpendInput,
  type SpendParams,
  type SpendTransaction,
} from './spends.js';
export { parseTransaction, txidOf } from './parse.js';
