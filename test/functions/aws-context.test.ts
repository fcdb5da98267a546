/** The Lambda cold-start helpers: environment, seed parsing, once-per-container memoisation. */
import { describe, expect, it } from 'vitest';
import { ConfigError, once, parseSeedHex, readNodeEnvironment, requireEnv } from '../../functions/runtime/aws-context.js';
import { readNodeAnnouncementSettings, readNodeChannelSettings } from '../../functions/runtime/node-settings.js';

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

describe('readNodeAnnouncementSettings (NODE_ALIAS, NODE_COLOR, NODE_ADDRESSES)', () => {
  it('none set: no node_announcement; readNodeEnvironment carries them when set', () => {
    expect(readNodeAnnouncementSettings({})).toBeUndefined();
    expect(readNodeAnnouncementSettings({ NODE_ALIAS: ' ', NODE_COLOR: '', NODE_ADDRESSES: '' })).toBeUndefined();
    expect(readNodeEnvironment({ ...ENV, NODE_ALIAS: 'shop' }).nodeAnnouncement).toEqual({ alias: 'shop', rgbColor: Uint8Array.of(0, 0, 0), addresses: [] });
  });

  it('reads the alias, the colour (rrggbb, # allowed) and IPv4, [IPv6] and DNS addresses', () => {
    const settings = readNodeAnnouncementSettings({ NODE_ALIAS: 'stormcell ⚡', NODE_COLOR: '#ff8800', NODE_ADDRESSES: '203.0.113.7:9735, [2001:db8::1]:9736,node.example.com:9737' });
    expect(settings).toEqual({
      alias: 'stormcell ⚡',
      rgbColor: Uint8Array.of(0xff, 0x88, 0x00),
      addresses: [
        { kind: 'ipv4', addr: Uint8Array.of(203, 0, 113, 7), port: 9735 },
        { kind: 'ipv6', addr: Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), port: 9736 },
        { kind: 'dns', hostname: 'node.example.com', port: 9737 },
      ],
    });
  });

  it('refuses a long alias, a bad colour, an address without a port or out of range, too many addresses', () => {
    expect(() => readNodeAnnouncementSettings({ NODE_ALIAS: 'x'.repeat(33) })).toThrow(new ConfigError('NODE_ALIAS must be at most 32 bytes of UTF-8'));
    expect(() => readNodeAnnouncementSettings({ NODE_COLOR: 'red' })).toThrow(new ConfigError("NODE_COLOR must be 6 hex digits (rrggbb), not 'red'"));
    expect(() => readNodeAnnouncementSettings({ NODE_ADDRESSES: 'node.example.com' })).toThrow(ConfigError);
    expect(() => readNodeAnnouncementSettings({ NODE_ADDRESSES: '1.2.3.4:0' })).toThrow(ConfigError);
    expect(() => readNodeAnnouncementSettings({ NODE_ADDRESSES: '1.2.3.400:9735' })).toThrow(new ConfigError("NODE_ADDRESSES: '1.2.3.400' is not an IPv4 address"));
    expect(() => readNodeAnnouncementSettings({ NODE_ADDRESSES: '[1::2::3]:9735' })).toThrow(ConfigError);
    expect(() => readNodeAnnouncementSettings({ NODE_ADDRESSES: Array.from({ length: 501 }, () => '1.2.3.4:9735').join(',') })).toThrow(new ConfigError('NODE_ADDRESSES lists 501 addresses (at most 500)'));
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
