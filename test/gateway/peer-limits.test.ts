/** The gateway's connection limits from the environment (PEER_*), as the Fargate task and `npm start` read them. */
import { describe, expect, it } from 'vitest';
import { readPeerLimits } from '../../functions/gateway/peer-limits.js';
import { ConfigError } from '../../functions/runtime/aws-env.js';

describe('readPeerLimits', () => {
  it('unset or blank: nothing, so the gateway applies its defaults', () => {
    expect(readPeerLimits({})).toEqual({});
    expect(readPeerLimits({ PEER_INIT_TIMEOUT_SEC: '', PEER_MAX_CONNECTIONS: ' ' })).toEqual({});
  });

  it('reads all five, seconds as milliseconds', () => {
    expect(
      readPeerLimits({ PEER_INIT_TIMEOUT_SEC: '45', PEER_READ_TIMEOUT_SEC: ' 20 ', PEER_MAX_CONNECTIONS_PER_IP: '16', PEER_MAX_CONNECTIONS: '5000', PEER_PING_INTERVAL_SEC: '10' }),
    ).toEqual({ initTimeoutMs: 45_000, readTimeoutMs: 20_000, maxConnectionsPerIp: 16, maxConnections: 5000, pingIntervalMs: 10_000 });
  });

  it.each([
    [{ PEER_MAX_CONNECTIONS_PER_IP: 'many' }, "PEER_MAX_CONNECTIONS_PER_IP must be a positive whole number, not 'many'"],
    [{ PEER_MAX_CONNECTIONS: '0' }, "PEER_MAX_CONNECTIONS must be a positive whole number, not '0'"],
    [{ PEER_INIT_TIMEOUT_SEC: '1.5' }, "PEER_INIT_TIMEOUT_SEC must be a positive whole number, not '1.5'"],
    [{ PEER_READ_TIMEOUT_SEC: '-3' }, "PEER_READ_TIMEOUT_SEC must be a positive whole number, not '-3'"],
    [{ PEER_READ_TIMEOUT_SEC: '3000000' }, 'PEER_READ_TIMEOUT_SEC must be at most 2147483 seconds'],
    [{ PEER_PING_INTERVAL_SEC: '0' }, "PEER_PING_INTERVAL_SEC must be a positive whole number, not '0'"],
  ])('%j is a ConfigError naming the variable', (env, message) => {
    expect(() => readPeerLimits(env)).toThrow(new ConfigError(message));
  });
});
