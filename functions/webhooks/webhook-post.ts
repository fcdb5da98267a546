/**
 * One HTTP POST of a webhook delivery: the URL checked and resolved again
 * (webhook-url.ts), the connection made to the address that was checked
 * (so a DNS answer that changes between the check and the connect cannot
 * redirect it), a timeout for the whole exchange, redirects not followed
 * (a 3xx is a failed attempt), the response body read and dropped.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIPv6 } from 'node:net';
import { resolveWebhookUrl, systemResolver, type Resolver } from './webhook-url.js';

/** How long one attempt may take (ms). */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** What an attempt came to: the receiver's status, or why no status came. */
export type PostOutcome = { readonly status: number } | { readonly error: string };

export interface PostOptions {
  readonly allowLoopback: boolean;
  readonly timeoutMs?: number;
  readonly resolve?: Resolver;
}

/** A function that POSTs a delivery (injected in tests). */
export type PostWebhook = (url: string, body: string, headers: Readonly<Record<string, string>>) => Promise<PostOutcome>;

/** POSTs `body` to `url` with `headers` (content type JSON added). */
export async function postWebhook(url: string, body: string, headers: Readonly<Record<string, string>>, options: PostOptions): Promise<PostOutcome> {
  const resolved = await resolveWebhookUrl(url, options.allowLoopback, options.resolve ?? systemResolver);
  if (!resolved.ok) return { error: `refused: ${resolved.reason}` };
  const address = resolved.addresses[0]!;
  const family = isIPv6(address) ? 6 : 4;
  const timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  const request = resolved.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<PostOutcome>((done) => {
    let settled = false;
    const finish = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done(outcome);
    };
    const req = request(
      resolved.url,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'stormcell-webhooks/1' },
        // The checked address, whatever the resolver would answer now (TLS still verifies the host name).
        lookup: (_host, opts, cb) => {
          // Node asks for every address (`all`) when it races IPv4 and IPv6: answer the one checked, in either form.
          if ((opts as { all?: boolean }).all === true) (cb as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
          else (cb as (e: null, a: string, f: number) => void)(null, address, family);
        },
      },
      (res: IncomingMessage) => {
        res.on('data', () => undefined);
        res.on('end', () => finish({ status: res.statusCode ?? 0 }));
        res.on('error', (e) => finish({ error: e.message }));
      },
    );
    const timer = setTimeout(() => {
      finish({ error: `timed out after ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (e) => finish({ error: e.message }));
    req.end(body);
  });
}

/** Whether an outcome counts as delivered: a 2xx answer. */
export function isDelivered(outcome: PostOutcome): boolean {
  return 'status' in outcome && outcome.status >= 200 && outcome.status < 300;
}
