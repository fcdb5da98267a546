/** Webhook URL validation: scheme, credentials, and every address the host resolves to (docs/webhooks.md). */
import { describe, expect, it } from 'vitest';
import { checkUrlForm, resolveWebhookUrl, type Resolver } from '../../../functions/webhooks/webhook-url.js';

/** A resolver answering from a table (a name missing from it does not resolve). */
function table(entries: Record<string, readonly string[]>): Resolver {
  return async (host) => {
    const found = entries[host];
    if (found === undefined) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return found;
  };
}

const dns = table({
  'hooks.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'internal.example.com': ['10.0.0.7'],
  'mixed.example.com': ['93.184.216.34', '192.168.0.10'],
  'metadata.example.com': ['169.254.169.254'],
  'mapped.example.com': ['::ffff:127.0.0.1'],
  'localhost': ['127.0.0.1', '::1'],
  'empty.example.com': [],
});

describe('webhook URL form', () => {
  it('accepts https URLs with a host, a port and a path', () => {
    for (const url of ['https://hooks.example.com/stormcell', 'https://hooks.example.com:8443/a/b?c=d', 'https://8.8.8.8/x', 'https://[2606:4700:4700::1111]/x']) {
      expect(checkUrlForm(url, false), url).toMatchObject({ ok: true });
    }
  });

  it('refuses other schemes, credentials, fragments, relative and oversized URLs', () => {
    const refused = [
      'ftp://hooks.example.com/',
      'file:///etc/passwd',
      'gopher://hooks.example.com/',
      'javascript:alert(1)',
      '/relative/path',
      'hooks.example.com/x',
      'https://user:pass@hooks.example.com/',
      'https://user@hooks.example.com/',
      'https://hooks.example.com/#frag',
      `https://hooks.example.com/${'a'.repeat(2048)}`,
      'http://hooks.example.com/',
    ];
    for (const url of refused) expect(checkUrlForm(url, false), url).toMatchObject({ ok: false });
  });

  it('refuses literal addresses webhooks are not sent to, in every spelling', () => {
    for (const url of [
      'https://10.0.0.1/',
      'https://169.254.169.254/latest/meta-data',
      'https://[::ffff:169.254.169.254]/',
      'https://[::1]/',
      'https://127.0.0.1/',
      'https://0.0.0.0/',
      'https://[fd00:ec2::254]/',
      'https://2130706433/', // 127.0.0.1 as one decimal number: the URL parser normalises it
      'https://0x7f.1/',
      'https://100.64.1.1/',
      'https://224.0.0.1/',
    ]) {
      expect(checkUrlForm(url, false), url).toMatchObject({ ok: false });
    }
  });

  it('allows plain http to loopback only where loopback is allowed', () => {
    expect(checkUrlForm('http://127.0.0.1:8080/hook', true)).toMatchObject({ ok: true });
    expect(checkUrlForm('http://127.0.0.1:8080/hook', false)).toMatchObject({ ok: false });
    expect(checkUrlForm('http://8.8.8.8/hook', true)).toMatchObject({ ok: false });
    expect(checkUrlForm('https://[::1]:9000/', true)).toMatchObject({ ok: true });
  });
});

describe('webhook URL resolution', () => {
  it('accepts a host whose every address is public', async () => {
    expect(await resolveWebhookUrl('https://hooks.example.com/x', false, dns)).toMatchObject({ ok: true, addresses: ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'] });
  });

  it('refuses a host with any private, metadata or loopback address, or none', async () => {
    for (const host of ['internal.example.com', 'mixed.example.com', 'metadata.example.com', 'mapped.example.com', 'localhost', 'empty.example.com', 'nowhere.example.com']) {
      const result = await resolveWebhookUrl(`https://${host}/x`, false, dns);
      expect(result, host).toMatchObject({ ok: false });
    }
  });

  it('allows a loopback host name where loopback is allowed, over http too', async () => {
    expect(await resolveWebhookUrl('http://localhost:9000/x', true, dns)).toMatchObject({ ok: true });
    expect(await resolveWebhookUrl('http://mixed.example.com/x', true, dns)).toMatchObject({ ok: false });
  });
});
