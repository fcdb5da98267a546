/**
 * What a peer connection may cost the gateway, from the environment: the
 * same variables for the Fargate task (functions/gateway/main.ts) and
 * `npm start` (infra/local/main.ts). Unset means the gateway's default
 * (docs/gateway.md, "Connection limits"); a bad value is a
 * {@link ConfigError} naming the variable, at start.
 */
import { ConfigError, type Env } from '../runtime/aws-env.js';
import type { GatewayOptions } from './gateway.js';

/** The limits, each absent when its variable is unset. */
export type PeerLimits = Pick<GatewayOptions, 'initTimeoutMs' | 'readTimeoutMs' | 'maxConnectionsPerIp' | 'maxConnections' | 'pingIntervalMs'>;

export const PeerLimitVar = {
  /** Seconds a peer has to send `init` after the handshake (default 30). */
  initTimeoutSec: 'PEER_INIT_TIMEOUT_SEC',
  /** Seconds an act or frame may stay partly received (default 30). */
  readTimeoutSec: 'PEER_READ_TIMEOUT_SEC',
  /** Inbound connections held at once from one IP, loopback included (default 8). */
  maxConnectionsPerIp: 'PEER_MAX_CONNECTIONS_PER_IP',
  /** Inbound connections held at once in total (default 1000). */
  maxConnections: 'PEER_MAX_CONNECTIONS',
  /** Seconds between the gateway's pings to each peer; no pong by the next one closes the connection (default 30). */
  pingIntervalSec: 'PEER_PING_INTERVAL_SEC',
} as const;

/** A whole number from 1, or undefined when unset or blank. */
function positiveInteger(env: Env, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError(`${name} must be a positive whole number, not '${raw.slice(0, 32)}'`);
  }
  return value;
}

/** Seconds to milliseconds, within what a Node timer accepts (about 24.8 days). */
function seconds(env: Env, name: string): number | undefined {
  const value = positiveInteger(env, name);
  if (value === undefined) return undefined;
  if (value * 1000 > 2 ** 31 - 1) throw new ConfigError(`${name} must be at most ${Math.floor((2 ** 31 - 1) / 1000)} seconds`);
  return value * 1000;
}

/** The limits set in `env`; the gateway applies its defaults to the rest. */
export function readPeerLimits(env: Env): PeerLimits {
  const initTimeoutMs = seconds(env, PeerLimitVar.initTimeoutSec);
  const readTimeoutMs = seconds(env, PeerLimitVar.readTimeoutSec);
  const maxConnectionsPerIp = positiveInteger(env, PeerLimitVar.maxConnectionsPerIp);
  const maxConnections = positiveInteger(env, PeerLimitVar.maxConnections);
  const pingIntervalMs = seconds(env, PeerLimitVar.pingIntervalSec);
  return {
    ...(initTimeoutMs !== undefined ? { initTimeoutMs } : {}),
    ...(readTimeoutMs !== undefined ? { readTimeoutMs } : {}),
    ...(maxConnectionsPerIp !== undefined ? { maxConnectionsPerIp } : {}),
    ...(maxConnections !== undefined ? { maxConnections } : {}),
    ...(pingIntervalMs !== undefined ? { pingIntervalMs } : {}),
  };
}
