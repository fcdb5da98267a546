/**
 * Idempotency keys (docs/idempotency.md): a POST that creates something may
 * carry an `Idempotency-Key`; what it answered is kept as one item,
 * `IDEMPOTENCY#<sha256(key)>`, written in the SAME commit as what the request
 * created, so a crash can never leave the one without the other. A request
 * repeated with the key and the same body (method, path, body) gets the first
 * answer again; with another body, 409 `idempotency-key-reused`. Only
 * successes are recorded: a refused request committed nothing, so its retry
 * runs again.
 */
import { sha256, toHex } from '../../shared/crypto/index.js';
import { SortKey } from '../../shared/store/index.js';
import { HttpError, HttpErrorCode } from './errors.js';

/** How long an answer is kept at least (the API promises 24 hours; the item's TTL is set past it). */
export const IDEMPOTENCY_RETENTION_SEC = 48 * 3600;

/** What a request answered, kept under its key. */
export interface IdempotencyRecord {
  /** {@link requestFingerprint} of the first request. */
  readonly fingerprint: string;
  /** The success body it answered (the route's success status goes with it). */
  readonly body: unknown;
  readonly createdAtSecs: number;
}

const text = new TextEncoder();

/** The sort key of a key's record: the key is hashed, so any visible ASCII key fits and none is stored. */
export function idempotencySortKey(key: string): string {
  return SortKey.idempotency(toHex(sha256(text.encode(key))));
}

/** JSON with object keys sorted, so two bodies that differ only in key order are the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** What makes two requests under one key the same: method, path and body. */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  return toHex(sha256(text.encode(`${method.toUpperCase()} ${path}\n${canonicalJson(body)}`)));
}

export function encodeIdempotencyRecord(record: IdempotencyRecord): Uint8Array {
  return text.encode(JSON.stringify({ v: 1, f: record.fingerprint, b: record.body, t: record.createdAtSecs }));
}

/** The record, or undefined for bytes this code did not write (never a crash). */
export function decodeIdempotencyRecord(bytes: Uint8Array): IdempotencyRecord | undefined {
  try {
    const o = JSON.parse(new TextDecoder().decode(bytes)) as { v?: unknown; f?: unknown; b?: unknown; t?: unknown };
    if (o.v !== 1 || typeof o.f !== 'string' || typeof o.t !== 'number') return undefined;
    return { fingerprint: o.f, body: o.b, createdAtSecs: o.t };
  } catch {
    return undefined;
  }
}

/** The first answer for a repeated request, or 409 `idempotency-key-reused` when the key came with another request. */
export function replayOf(record: IdempotencyRecord, fingerprint: string): unknown {
  if (record.fingerprint !== fingerprint) {
    throw new HttpError(HttpErrorCode.idempotencyKeyReused, 'this Idempotency-Key was used with a different request: nothing was done (use a new key for a new request)');
  }
  return record.body;
}
