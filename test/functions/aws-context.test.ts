/** The Lambda cold-start helpers: environment, seed parsing, once-per-container memoisation. */
import { describe, expect, it } from 'vitest';
import { ConfigError, once, parseSeedHex, readNodeEnvironment, requireEnv } from '../../functions/runtime/aws-context.js';
import { readNodeChannelSettings } from '../../functions/runtime/node-settings.js';

const ENV = {
  TABLE_NAME: 'node',
  OUTBOUND_QUEUE_URL: 'https://sqs/outbound.fifo',
  NETWORK: 'signet',
  NODE_SEED_SECRET_ARN: 'arn:seed',
};

describe('readNodeEnvironment', () => {
  it('reads the four variables the stack sets', () => {
    expect(readNodeEnvironment(ENV)).toEqual({
      tableName: 'node',
      outboundQueueUrl: 'https://sqs/outbound.fifo',
      network: 'signet',
      seedSecretArn: 'arn:seed',
      channelSettings: { anchors: false, acceptInboundChannels: 'all' },
    });
  });

  it('reads the channel settings', () => {
    expect(readNodeEnvironment({ ...ENV, ANCHOR_CHANNELS: 'true', INBOUND_CHANNELS: 'manual' }).channelSettings).toEqual({ anchors: true, acceptInboundChannels: 'manual' });
    expect(() => readNodeEnvironment({ ...ENV, INBOUND_CHANNELS: 'some' })).toThrow(ConfigError);
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

describe('readNodeChannelSettings', () => {
  it('defaults to no anchors and accepting every inbound channel (LDK 0.1)', () => {
    expect(readNodeChannelSettings({})).toEqual({ anchors: false, acceptInboundChannels: 'all' });
    expect(readNodeChannelSettings({ ANCHOR_CHANNELS: ' ', INBOUND_CHANNELS: '' })).toEqual({ anchors: false, acceptInboundChannels: 'all' });
  });

  it('reads true/false and all/manual, trimmed, either case', () => {
    expect(readNodeChannelSettings({ ANCHOR_CHANNELS: 'true', INBOUND_CHANNELS: 'manual' })).toEqual({ anchors: true, acceptInboundChannels: 'manual' });
    expect(readNodeChannelSettings({ ANCHOR_CHANNELS: ' TRUE\n', INBOUND_CHANNELS: 'Manual' })).toEqual({ anchors: true, acceptInboundChannels: 'manual' });
    expect(readNodeChannelSettings({ ANCHOR_CHANNELS: 'false', INBOUND_CHANNELS: 'all' })).toEqual({ anchors: false, acceptInboundChannels: 'all' });
  });

  it('names the variable and the allowed values in one line', () => {
    expect(() => readNodeChannelSettings({ ANCHOR_CHANNELS: 'yes' })).toThrow(new ConfigError("ANCHOR_CHANNELS must be true or false, not 'yes'"));
    expect(() => readNodeChannelSettings({ ANCHOR_CHANNELS: '1' })).toThrow(new ConfigError("ANCHOR_CHANNELS must be true or false, not '1'"));
    expect(() => readNodeChannelSettings({ INBOUND_CHANNELS: 'none' })).toThrow(new ConfigError("INBOUND_CHANNELS must be all or manual, not 'none'"));
  });
});

describe('readNodeChannelSettings: the forwarding policy', () => {
  it('leaves it out when no variable is set (LDK 0.1 defaults apply)', () => {
    expect(readNodeChannelSettings({ FORWARDING_FEE_BASE_MSAT: ' ' }).forwarding).toBeUndefined();
  });

  it('reads each variable, the others at their defaults', () => {
    expect(readNodeChannelSettings({ FORWARDING_FEE_BASE_MSAT: '2500', FORWARDING_FEE_PPM: ' 150 ', FORWARDING_CLTV_DELTA: '90' }).forwarding).toEqual({
      feeBaseMsat: 2500,
      feeProportionalMillionths: 150,
      cltvExpiryDelta: 90,
      htlcMinimumMsat: 1n,
    });
    expect(readNodeChannelSettings({ FORWARDING_FEE_PPM: '0', FORWARDING_FEE_BASE_MSAT: '0' }).forwarding).toEqual({ feeBaseMsat: 0, feeProportionalMillionths: 0, cltvExpiryDelta: 72, htlcMinimumMsat: 1n });
    expect(readNodeChannelSettings({ FORWARDING_CLTV_DELTA: '65535', FORWARDING_FEE_BASE_MSAT: '4294967295' }).forwarding).toMatchObject({ cltvExpiryDelta: 65535, feeBaseMsat: 4294967295 });
  });

  it.each([
    ['FORWARDING_FEE_BASE_MSAT', '-1', 4294967295],
    ['FORWARDING_FEE_BASE_MSAT', '4294967296', 4294967295],
    ['FORWARDING_FEE_PPM', '1.5', 4294967295],
    ['FORWARDING_FEE_PPM', 'lots', 4294967295],
    ['FORWARDING_CLTV_DELTA', '65536', 65535],
    ['FORWARDING_CLTV_DELTA', '1e3', 65535],
  ] as const)('names %s and its range for %j', (name, value, max) => {
    expect(() => readNodeChannelSettings({ [name]: value })).toThrow(new ConfigError(`${name} must be a whole number from 0 to ${max}, not '${value}'`));
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
