/** Store errors with stable codes: SDK errors are translated at this boundary. */
export const StoreErrorCode = {
  /** Another invocation holds an unexpired lease on the node. */
  LeaseHeld: 'lease-held',
  /** Our lease was taken over (the fencing token moved): nothing was committed. */
  LeaseLost: 'lease-lost',
  /** The input was already applied by an earlier invocation: nothing was committed. */
  DuplicateInput: 'duplicate-input',
  /** The commit has more writes than one DynamoDB transaction takes (100), or an outbox item over its size limit: nothing was committed. */
  CommitTooLarge: 'commit-too-large',
  /** A stored item we wrote does not decode (a broken invariant, not bad input). */
  CorruptItem: 'corrupt-item',
  /**
   * A put's own condition (`PutCondition`) did not hold: the item it expects
   * absent exists, or is no longer in the state it expects. Nothing was written.
   */
  ConditionFailed: 'condition-failed',
  /** The transaction was refused for another reason (conflict, throttling). */
  CommitFailed: 'commit-failed',
  /** A read of a grouped input (`NodeStore.withPending`) that cannot see what the inputs before it wrote: the group is committed first and the input applied again. */
  GroupRead: 'group-read',
} as const;
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}
