/** Esplora client errors with stable codes: HTTP statuses and transport failures are translated at this boundary. */
export const EsploraErrorCode = {
  /** 404: no such block, transaction or route. */
  NotFound: 'not-found',
  /** 400 (and other 4xx): the server refused the request, e.g. a transaction it would not accept. */
  Rejected: 'rejected',
  /** 5xx. */
  ServerError: 'server-error',
  /** The request never got an HTTP answer (connection refused, reset, timeout). */
  Unreachable: 'unreachable',
  /** An answer that is not what the API documents. */
  InvalidResponse: 'invalid-response',
} as const;
export type EsploraErrorCode = (typeof EsploraErrorCode)[keyof typeof EsploraErrorCode];

export class EsploraError extends Error {
  constructor(
    readonly code: EsploraErrorCode,
    message: string,
    /** HTTP status, when there was an answer. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'EsploraError';
  }
}

/** Thrown by the sync when the chain moved under it too many times in a row. */
export class ChainSyncError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChainSyncError';
  }
}
