/** shared/store: the node's state in DynamoDB, its lease, the fenced commit and the outbox. */
export { MAX_SNAPSHOT_KEYS, MAX_TRANSACTION_ITEMS, NodeStore, knownFromSnapshot, type CleanupItem, type Lease, type StoreSnapshot, type Commit, type ItemPut, type NodeStoreOptions, type PutCondition, type VersionedItem, type VersionedWrite } from './node-store.js';
export { KnownItems, writtenOnlyUnderLease, type CommittedWrites, type KnownItem } from './known-items.js';
export { PendingWrites } from './pending-writes.js';
export { MAX_CLEANUP_ITEM_BYTES, decodeCleanupRecord, encodeCleanupRecord } from './cleanup-record.js';
export { planChannelWrites, type ChannelChanges, type PlannedWrites } from './channel-writes.js';
export { MAX_EVENT_ITEM_BYTES, eventItemWrites } from './event-items.js';
export { MAX_OUTBOX_ITEM_BYTES, decodeOutboxRecord, encodeOutboxRecord, outboxParts, type OutboxItem, type OutboxMessage } from './outbox-record.js';
export { relayOutbox, type OutboxSender } from './outbox.js';
export { ensureNodeTable } from './table.js';
export { StoreError, StoreErrorCode } from './errors.js';
export { Attr, SortKey, nodePartition, INPUT_RETENTION_SEC } from './layout.js';
export { InMemoryManagerStore, managerItemWrites, type StepCost } from './manager-items.js';
export {
  MONITOR_UPDATES_PER_SNAPSHOT,
  isMonitorSnapshotKey,
  isSnapshotPoint,
  justiceRecordFromItem,
  monitorFromItems,
  monitorItemWrites,
  monitorSnapshotKey,
  monitorsToRead,
  supersededBy,
  type MonitorItemWrites,
} from './monitor-items.js';
