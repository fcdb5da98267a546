/**
 * The manager's errors. A refused user call is a returned value (LDK's
 * `APIError`); only a broken invariant throws a {@link ManagerError} with a
 * stable code.
 */

/** Codes of a refused user call (LDK's `APIError` variants). */
export const ApiErrorCode = {
  /** The arguments are wrong (LDK's `APIMisuseError`). */
  ApiMisuse: 'api-misuse',
  /** No such channel, or not in a state that allows the call (LDK's `ChannelUnavailable`). */
  ChannelUnavailable: 'channel-unavailable',
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

/** A refused call: nothing changed. */
export interface ApiError {
  readonly code: ApiErrorCode;
  readonly message: string;
}

export type ApiResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ApiError };

/** Codes of a broken invariant. */
export const ManagerErrorCode = {
  /** A stored item does not decode (never silently replaced: the input fails loudly). */
  CorruptState: 'corrupt-state',
  /** The handler did not load an item this input needs (see `channelKeysFor`). */
  NotLoaded: 'not-loaded',
  /** `fundingTransactionGenerated` twice for one channel (LDK panics). */
  FundingAlreadyProvided: 'funding-already-provided',
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
