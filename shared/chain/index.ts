/** shared/chain: the chain interfaces the core consumes, the Esplora client, the sync routine and the fee estimator (an adapter: does HTTP). */
export type { Confirm, ConfirmedTransaction, FeeEstimator, Filter, Listen, RelevantTxid, WatchedOutput, WatchSet } from './interfaces.js';
export { ChainSyncError, EsploraError, EsploraErrorCode } from './errors.js';
export { EsploraClient, scriptHash } from './esplora-client.js';
export type { BlockStatus, BlockSummary, EsploraClientOptions, EsploraTx, EsploraTxInput, EsploraTxOutput, MerkleProof, Outspend, TxStatus, Utxo } from './esplora-client.js';
export { EsploraFeeEstimator, FEERATE_FLOOR_SAT_PER_KW, StoredFeeEstimator, feeRateFromEstimates, feeRateFromTable, feeRatesPerKw } from './fee-estimator.js';
export { blockHashOfHeader, headerMerkleRoot, headerPrevHash, merkleRoot, merkleRootFromBranch } from './merkle-proof.js';
export {
  CHECKED_BUCKETS,
  EMPTY_SYNC_VIEW,
  RECENT_WINDOW,
  checkedDigestOf,
  planSync,
  syncViewFromJson,
  syncViewToJson,
  type BlockRef,
  type CheckedDigest,
  type ConfirmCall,
  type ConfirmedRecord,
  type FoundTx,
  type ScannedBlock,
  type SyncAnswers,
  type SyncMode,
  type SyncView,
} from './sync-plan.js';
export { applyCall, syncChain, type ChainSyncOptions, type ChainSyncResult } from './sync.js';
export { syncWallet, type WalletSyncOptions } from './wallet-sync.js';
