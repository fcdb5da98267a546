/**
 * Webhook URLs (docs/webhooks.md, "Which URLs are refused"): `https`, or
 * `http` where loopback is allowed (the embedded deployment) and only to a
 * loopback address; no user name or password; every address the host
 * resolves to must be allowed ({@link isAllowedAddress}). Checked when the
 * webhook is registered and again at every delivery (DNS answers change):
 * the delivery connects to the address that was checked, never resolving
 * twice.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AddressClass, classifyAddress, isAllowedAddress } from './webhook-address.js';

/** Longest webhook URL accepted. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** Why a URL is refused. */
export type UrlRefusal = { readonly ok: false; readonly reason: string };

/** Resolves a host name to its addresses (injected in tests). */
export type Resolver = (host: string) => Promise<readonly string[]>;

/** The system resolver: every address of `host`, IPv4 and IPv6. */
export const systemResolver: Resolver = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** The URL's host without IPv6 brackets. */
export function bareHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** The URL's form alone (no DNS): scheme, no credentials, a host, a literal address allowed. */
export function checkUrlForm(text: string, allowLoopback: boolean): { readonly ok: true; readonly url: URL } | UrlRefusal {
  if (text.length > MAX_WEBHOOK_URL_LENGTH) return { ok: false, reason: `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'must be an absolute http(s) URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'must use https' };
  if (url.protocol === 'http:' && !allowLoopback) return { ok: false, reason: 'must use https (plain http only to loopback in the embedded deployment)' };
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'must not carry a user name or password' };
  const host = bareHost(url);
  if (host === '') return { ok: false, reason: 'must name a host' };
  if (url.hash !== '') return { ok: false, reason: 'must not have a fragment' };
  if (isIP(host) !== 0) {
    const refusal = addressRefusal(host, url, allowLoopback);
    if (refusal !== undefined) return refusal;
  }
  return { ok: true, url };
}

function addressRefusal(address: string, url: URL, allowLoopback: boolean): UrlRefusal | undefined {
  if (!isAllowedAddress(address, allowLoopback)) {
    const cls = classifyAddress(address);
    return { ok: false, reason: `resolves to ${address}, a ${cls} address, where webhooks are not sent` };
  }
  if (url.protocol === 'http:' && classifyAddress(address) !== AddressClass.loopback) {
    return { ok: false, reason: 'must use https (plain http only to loopback)' };
  }
  return undefined;
}

/**
 * Checks the URL and resolves its host: the addresses it may be sent to
 * (all of them allowed), or why not. A host that does not resolve is refused.
 */
export async function resolveWebhookUrl(
  text: string,
  allowLoopback: boolean,
  resolve: Resolver = systemResolver,
): Promise<{ readonly ok: true; readonly url: URL; readonly addresses: readonly string[] } | UrlRefusal> {
  const form = checkUrlForm(text, allowLoopback);
  if (!form.ok) return form;
  const host = bareHost(form.url);
  let addresses: readonly string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = await resolve(host);
    } catch (error) {
      return { ok: false, reason: `host ${host} does not resolve (${(error as { code?: string }).code ?? 'error'})` };
    }
    if (addresses.length === 0) return { ok: false, reason: `host ${host} does not resolve` };
  }
  for (const address of addresses) {
    const refusal = addressRefusal(address, form.url, allowLoopback);
    if (refusal !== undefined) return refusal;
  }
  return { ok: true, url: form.url, addresses };
}
