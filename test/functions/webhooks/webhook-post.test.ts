/** One POST of a delivery: to the checked address, with a timeout, redirects not followed, refused addresses never dialled. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDelivered, postWebhook } from '../../../functions/webhooks/webhook-post.js';

let server: Server;
let port: number;
const seen: { path: string; body: string; type: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', body, type: req.headers['content-type'] });
      if (req.url === '/slow') return; // never answers
      if (req.url === '/moved') return void res.writeHead(302, { location: '/ok' }).end();
      res.writeHead(req.url === '/fail' ? 500 : 200).end('fine');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('postWebhook', () => {
  it('POSTs JSON to a host name, connecting to the address it checked', async () => {
    // `localhost` goes through the resolver and the pinned lookup (Node asks it for every address).
    const outcome = await postWebhook(`http://localhost:${port}/ok`, '{"id":"1"}', { 'x-test': '1' }, { allowLoopback: true, resolve: async () => ['127.0.0.1'] });
    expect(outcome).toEqual({ status: 200 });
    expect(isDelivered(outcome)).toBe(true);
    expect(seen.at(-1)).toEqual({ path: '/ok', body: '{"id":"1"}', type: 'application/json' });
  });

  it('counts a 5xx, a redirect and a timeout as failures', async () => {
    expect(await postWebhook(`http://127.0.0.1:${port}/fail`, '{}', {}, { allowLoopback: true })).toEqual({ status: 500 });
    const moved = await postWebhook(`http://127.0.0.1:${port}/moved`, '{}', {}, { allowLoopback: true });
    expect(moved).toEqual({ status: 302 });
    expect(isDelivered(moved)).toBe(false);
    const slow = await postWebhook(`http://127.0.0.1:${port}/slow`, '{}', {}, { allowLoopback: true, timeoutMs: 200 });
    expect(slow).toEqual({ error: 'timed out after 200 ms' });
    expect(seen.filter((s) => s.path === '/ok')).toHaveLength(1);
  });

  it('never dials an address it refuses, even when DNS changed since registration', async () => {
    const before = seen.length;
    const rebound = await postWebhook(`http://hooks.example.com:${port}/ok`, '{}', {}, { allowLoopback: false, resolve: async () => ['127.0.0.1'] });
    expect(rebound).toMatchObject({ error: expect.stringMatching(/^refused: /) });
    const metadata = await postWebhook(`https://hooks.example.com/ok`, '{}', {}, { allowLoopback: true, resolve: async () => ['169.254.169.254'] });
    expect(metadata).toMatchObject({ error: expect.stringMatching(/metadata/) });
    expect(seen.length).toBe(before);
  });
});
