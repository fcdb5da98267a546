/**
 * The API key check: `authorization: Bearer <key>`, compared with the
 * configured SHA-256 of the key in constant time. Only the hash is ever
 * configured or stored; the key itself is never logged. The one check both
 * the HTTP handler and the Lambda authorizer (functions/authorizer) run.
 */
import { equalConstantTime } from '../../shared/crypto/bytes.js';
import { sha256 } from '../../shared/crypto/hash.js';

/** Length of the configured key hash. */
export const API_KEY_SHA256_LENGTH = 32;

const UTF8 = new TextEncoder();
/**
 * `Bearer`, exactly one space, the key (RFC 6750 section 2.1's form; the
 * scheme in any case, RFC 9110 section 11.1). A tab, two spaces or trailing
 * whitespace is refused: the header must read the same to every hop.
 */
const BEARER = /^Bearer ([^\s]+)$/i;

/** SHA-256 of an API key, the form in which it is configured (for provisioning and tests). */
export function apiKeySha256(key: string): Uint8Array {
  return sha256(UTF8.encode(key));
}

/**
 * Whether the `authorization` header value carries the key whose SHA-256 is
 * `expectedSha256`. Both sides are 32-byte digests, so the comparison takes
 * the same time whatever the presented key's length or content.
 */
export function isAuthorized(header: string | undefined, expectedSha256: Uint8Array): boolean {
  if (expectedSha256.length !== API_KEY_SHA256_LENGTH) throw new RangeError('apiKeySha256 must be 32 bytes');
  const match = header === undefined ? null : BEARER.exec(header);
  if (!match) return false;
  return equalConstantTime(apiKeySha256(match[1]!), expectedSha256);
}
