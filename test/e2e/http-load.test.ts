/**
 * Issue 13, defect 3: 2,000 HTTP requests, 50 at a time, against the
 * embedded deployment while its chain handler and timer run: handing out
 * addresses takes no lease (an atomic counter) and reads take none, so no
 * answer is a 5xx; every address is distinct. (Requests that need the lease
 * wait within a budget, else 503 with Retry-After: test/functions/lease-contention.test.ts.)
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EmbeddedWithLdk } from '../support/embedded-ldk.js';

let env: EmbeddedWithLdk;
beforeAll(async () => {
  // The chain handler every second and the timer every second: scheduled inputs contend for the lease meanwhile.
  env = await EmbeddedWithLdk.start('http-load', { chainPollMs: 1_000, timerIntervalMs: 1_000 });
}, 60_000);
afterAll(async () => {
  await env?.stop();
});

it('answers 2,000 requests (50 concurrent) without a 5xx; every address handed out once', async () => {
  const statuses = new Map<number, number>();
  const addresses: string[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < 2_000; i = next++) {
      const response = i % 2 === 0 ? await env.post('/v1/wallet/address', {}) : await env.api('/v1/wallet');
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (i % 2 === 0 && response.status === 200) addresses.push(response.body['address'] as string);
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
  expect(Object.fromEntries(statuses)).toEqual({ 200: 2_000 });
  expect(new Set(addresses).size).toBe(1_000);
}, 180_000);
