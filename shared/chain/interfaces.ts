/** The chain interfaces live in the core's `shared/ports` (types only); re-exported for the adapter. */
export type { Confirm, ConfirmedTransaction, FeeEstimator, Filter, Listen, RelevantTxid, WatchedOutput, WatchSet } from '../ports/chain.js';
