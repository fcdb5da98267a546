/**
 * shared/wallet: the node's on-chain BIP 84 wallet, pure: key derivation,
 * the persisted state, coin selection, payment building and signing, and
 * the state change a chain scan brings. The scan's I/O is in
 * shared/chain/wallet-sync.ts; the lease and the store in functions/wallet.
 */
export { WalletError, WalletErrorCode } from './errors.js';
export { HARDENED, deriveChild, derivePath, masterKey, parsePath, type ExtendedKey } from './bip32.js';
export { Bip84Account, GAP_LIMIT, Keychain, accountPath, bitcoinNetwork, type WalletKey, type WalletNetwork } from './bip84-account.js';
export {
  EMPTY_WALLET_STATE,
  MAX_HISTORY,
  PENDING_EXPIRY_BLOCKS,
  decodeWalletState,
  encodeWalletState,
  sortHistory,
  walletBalance,
  type OwnUnconfirmedTx,
  type PendingTx,
  type WalletBalance,
  type WalletState,
  type WalletTx,
  type WalletUtxo,
} from './wallet-state.js';
export {
  P2WPKH_DUST_SAT,
  P2WPKH_INPUT_WEIGHT,
  P2WPKH_OUTPUT_WEIGHT,
  compactSizeLength,
  feeForWeight,
  outputWeight,
  selectCoins,
  txWeight,
  type Coin,
  type Selection,
  type SelectionRequest,
} from './coin-selection.js';
export { Bip143Sighasher, RBF_SEQUENCE, buildSend, spendableCoins, txidOf, type SendRequest, type SignedSend } from './wallet-spend.js';
export { MAX_ANCESTOR_VSIZE, MAX_UNCONFIRMED_ANCESTORS, UnconfirmedChains, liveOwnUnconfirmed, withinChainLimits, type Ancestors } from './unconfirmed-chain.js';
export {
  applyWalletScan,
  dropPending,
  markUsed,
  scanTargets,
  scriptUnchanged,
  txidsToLookUp,
  walletAmounts,
  type ScanTarget,
  type ScannedTx,
  type ScriptScan,
  type WalletScanResult,
} from './wallet-scan.js';
export {
  ANCHOR_RESERVE_PER_CHANNEL_SAT,
  anchorReserveError,
  anchorReserveSat,
  assertAnchorReserve,
  isReserved,
  reservedCoins,
  type ReservedCoins,
} from './anchor-reserve.js';
export { claimChangeIndex, claimFeeCoins, lockClaimInputs, type ClaimLock } from './claim-funding.js';
export { broadcastablePending, discardFunding, holdFunding, isHeldFunding, releaseFunding } from './channel-funding.js';
export { reserveCloseScript, type ReservedCloseScript } from './channel-close.js';
