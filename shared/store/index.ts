/** shared/store: the node's state in DynamoDB, its lease, the fenced commit and the outbox. */
export { MAX_TRANSACTION_ITEMS, NodeStore, type Lease, type Commit, type OutboxMessage, type NodeStoreOptions } from './node-store.js';
export { relayOutbox, type OutboxSender } from './outbox.js';
export { ensureNodeTable } from './table.js';
export { StoreError, StoreErrorCode } from './errors.js';
export { Attr, SortKey, nodePartition, INPUT_RETENTION_SEC } from './layout.js';
export { InMemoryManagerStore, managerItemWrites, type StepCost } from './manager-items.js';
