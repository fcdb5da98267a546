/**
 * The `Stormcell-Signature` header of a webhook delivery (docs/webhooks.md):
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. The
 * timestamp is inside the MAC, so a receiver that refuses old timestamps
 * refuses replayed deliveries; the MAC covers the exact body bytes sent.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header's name. */
export const SIGNATURE_HEADER = 'Stormcell-Signature';

/** How old a signed timestamp a receiver should accept (seconds): five minutes. */
export const SIGNATURE_TOLERANCE_SEC = 300;

/** Hex HMAC-SHA256 of `"<t>.<body>"` under `secret` (the string shown when the webhook was created, used as UTF-8 bytes). */
export function signatureMac(secret: string, timestampSec: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSec}.${body}`).digest('hex');
}

/** The header value for `body` sent at `timestampSec`. */
export function signatureHeader(secret: string, timestampSec: number, body: string): string {
  return `t=${timestampSec},v1=${signatureMac(secret, timestampSec, body)}`;
}

/** Why a signature is refused. */
export type SignatureRefusal = 'malformed' | 'too-old' | 'in-the-future' | 'mismatch';

/**
 * Checks a `Stormcell-Signature` header as a receiver would: well formed,
 * its timestamp within `toleranceSec` of `nowSec` (either way), and one of
 * its `v1` MACs equal to ours (compared in constant time).
 */
export function verifySignature(
  header: string | undefined,
  body: string,
  secret: string,
  nowSec: number,
  toleranceSec: number = SIGNATURE_TOLERANCE_SEC,
): { readonly ok: true } | { readonly ok: false; readonly reason: SignatureRefusal } {
  if (header === undefined || header.length > 1024) return { ok: false, reason: 'malformed' };
  let t: number | undefined;
  const macs: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return { ok: false, reason: 'malformed' };
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === 't') {
      if (!/^[0-9]{1,12}$/.test(value) || t !== undefined) return { ok: false, reason: 'malformed' };
      t = Number(value);
    } else if (name === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return { ok: false, reason: 'malformed' };
      macs.push(value);
    }
  }
  if (t === undefined || macs.length === 0) return { ok: false, reason: 'malformed' };
  if (nowSec - t > toleranceSec) return { ok: false, reason: 'too-old' };
  if (t - nowSec > toleranceSec) return { ok: false, reason: 'in-the-future' };
  const expected = Buffer.from(signatureMac(secret, t, body), 'hex');
  const matches = macs.some((mac) => timingSafeEqual(Buffer.from(mac, 'hex'), expected));
  return matches ? { ok: true } : { ok: false, reason: 'mismatch' };
}
