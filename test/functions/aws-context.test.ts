/** The Lambda cold-start helpers: environment, seed parsing, once-per-container memoisation. */
import { describe, expect, it } from 'vitest';
import { ConfigError, once, parseSeedHex, readNodeEnvironment, requireEnv } from '../../functions/runtime/aws-context.js';

const ENV = {
  TABLE_NAME: 'node',
  OUTBOUND_QUEUE_URL: 'https://sqs/outbound.fifo',
  NETWORK: 'signet',
  NODE_SEED_SECRET_ARN: 'arn:seed',
};

describe('readNodeEnvironment', () => {
  it('reads the four variables the stack sets', () => {
    expect(readNodeEnvironment(ENV)).toEqual({ tableName: 'node', outboundQueueUrl: 'https://sqs/outbound.fifo', network: 'signet', seedSecretArn: 'arn:seed' });
  });

  it.each(['TABLE_NAME', 'OUTBOUND_QUEUE_URL', 'NETWORK', 'NODE_SEED_SECRET_ARN'] as const)('names %s when it is missing or blank', (name) => {
    expect(() => readNodeEnvironment({ ...ENV, [name]: undefined })).toThrow(new ConfigError(`environment variable ${name} is not set`));
    expect(() => readNodeEnvironment({ ...ENV, [name]: '  ' })).toThrow(ConfigError);
  });

  it('rejects an unknown network', () => {
    expect(() => readNodeEnvironment({ ...ENV, NETWORK: 'mainnet' })).toThrow(/NETWORK must be/);
  });

  it('requireEnv trims', () => {
    expect(requireEnv({ API_KEY_SECRET_ARN: ' arn \n' }, 'API_KEY_SECRET_ARN')).toBe('arn');
  });
});

describe('parseSeedHex', () => {
  it('takes 64 hex characters, either case, surrounding whitespace ignored', () => {
    const seed = parseSeedHex(`  ${'aB'.repeat(32)}\n`);
    expect(seed).toEqual(new Uint8Array(32).fill(0xab));
  });

  it.each(['', 'ab'.repeat(31), 'ab'.repeat(33), 'zz'.repeat(32), `${'ab'.repeat(16)} ${'ab'.repeat(16)}`])('rejects %j without echoing it', (text) => {
    expect(() => parseSeedHex(text)).toThrow(new ConfigError('the node seed secret must hold 64 hex characters (32 bytes)'));
  });
});

describe('once', () => {
  it('shares one result between concurrent and later calls', async () => {
    let calls = 0;
    const get = once(async () => ++calls);
    expect(await Promise.all([get(), get(), get()])).toEqual([1, 1, 1]);
    expect(await get()).toBe(1);
    expect(calls).toBe(1);
  });

  it('does not keep a failure: the next call tries again', async () => {
    let calls = 0;
    const get = once(async () => {
      calls++;
      if (calls === 1) throw new Error('secrets manager down');
      return 'ok';
    });
    await expect(get()).rejects.toThrow('secrets manager down');
    expect(await get()).toBe('ok');
    expect(calls).toBe(2);
  });
});
