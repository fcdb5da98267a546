/**
 * The manager's errors. A refused user call is a returned value (LDK's
 * `APIError`); only a broken invariant throws a {@link ManagerError} with a
 * stable code.
 */

/** A refused user call: the channel machine's one `ApiResult` (LDK's `APIError`). */
export { ApiErrorCode, type ApiError, type ApiResult } from '../channel/errors.js';

/** Codes of a broken invariant. */
export const ManagerErrorCode = {
  /** A stored item does not decode (never silently replaced: the input fails loudly). */
  CorruptState: 'corrupt-state',
  /** The handler did not load an item this input needs (see `channelKeysFor`). */
  NotLoaded: 'not-loaded',
  /** `fundingTransactionGenerated` twice for one channel (LDK panics). */
  FundingAlreadyProvided: 'funding-already-provided',
  /** `broadcastNodeAnnouncement` with more than 500 addresses, an alias above 32 bytes or a colour not of 3 bytes (LDK panics). */
  InvalidNodeAnnouncement: 'invalid-node-announcement',
} as const;
export type ManagerErrorCode = (typeof ManagerErrorCode)[keyof typeof ManagerErrorCode];

export class ManagerError extends Error {
  constructor(
    readonly code: ManagerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ManagerError';
  }
}
