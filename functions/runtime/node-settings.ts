/**
 * The node's channel settings from its environment (docs/deploy-aws.md,
 * README "configuration"): the same variables on Lambda (set by the CDK
 * stack) and for `npm start`. A bad value is a {@link ConfigError} naming
 * the variable, at start.
 */
import {
  DEFAULT_FORWARDING_CONFIG,
  DEFAULT_NODE_CHANNEL_SETTINGS,
  InboundChannelPolicy,
  MAX_NODE_ANNOUNCEMENT_ADDRESSES,
  type ForwardingConfig,
  type NodeAnnouncementSettings,
  type NodeChannelSettings,
} from '../../shared/manager/index.js';
import type { AddressDescriptor } from '../../shared/wire/index.js';
import { ConfigError, EnvVar, type Env } from './aws-env.js';

const POLICIES: readonly string[] = Object.values(InboundChannelPolicy);

function isPolicy(value: string): value is InboundChannelPolicy {
  return POLICIES.includes(value);
}

/** The value of `name`, trimmed and lower-cased, or undefined when unset or blank. */
function setting(env: Env, name: EnvVar): string | undefined {
  const value = env[name]?.trim().toLowerCase();
  return value === undefined || value === '' ? undefined : value;
}

/** `name` as a whole number from 0 to `max` (the width of its `channel_update` field), or undefined when unset. */
function wholeNumber(env: Env, name: EnvVar, max: number): number | undefined {
  const value = setting(env, name);
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,10}$/.test(value) || Number(value) > max) throw new ConfigError(`${name} must be a whole number from 0 to ${max}, not '${value.slice(0, 32)}'`);
  return Number(value);
}

const U32_MAX = 0xffff_ffff;
const U16_MAX = 0xffff;

/**
 * `FORWARDING_FEE_BASE_MSAT`, `FORWARDING_FEE_PPM`, `FORWARDING_CLTV_DELTA`
 * (BOLT 7 `channel_update` widths: u32, u32, u16); undefined when none is
 * set (LDK's defaults), else the defaults with the ones set. A CLTV delta
 * below 42 is raised to 42 where it is used (`forwardingConfigOf`).
 */
export function readForwardingSettings(env: Env): ForwardingConfig | undefined {
  const feeBaseMsat = wholeNumber(env, EnvVar.forwardingFeeBaseMsat, U32_MAX);
  const feeProportionalMillionths = wholeNumber(env, EnvVar.forwardingFeePpm, U32_MAX);
  const cltvExpiryDelta = wholeNumber(env, EnvVar.forwardingCltvDelta, U16_MAX);
  if (feeBaseMsat === undefined && feeProportionalMillionths === undefined && cltvExpiryDelta === undefined) return undefined;
  return {
    ...DEFAULT_FORWARDING_CONFIG,
    ...(feeBaseMsat === undefined ? {} : { feeBaseMsat }),
    ...(feeProportionalMillionths === undefined ? {} : { feeProportionalMillionths }),
    ...(cltvExpiryDelta === undefined ? {} : { cltvExpiryDelta }),
  };
}

/** `ANCHOR_CHANNELS` (`true` / `false`), `INBOUND_CHANNELS` (`all` / `manual`) and the forwarding policy; unset means the default. */
export function readNodeChannelSettings(env: Env): NodeChannelSettings {
  const anchors = setting(env, EnvVar.anchorChannels);
  if (anchors !== undefined && anchors !== 'true' && anchors !== 'false') {
    throw new ConfigError(`${EnvVar.anchorChannels} must be true or false, not '${anchors.slice(0, 32)}'`);
  }
  const policy = setting(env, EnvVar.inboundChannels);
  if (policy !== undefined && !isPolicy(policy)) {
    throw new ConfigError(`${EnvVar.inboundChannels} must be ${POLICIES.join(' or ')}, not '${policy.slice(0, 32)}'`);
  }
  const forwarding = readForwardingSettings(env);
  return {
    anchors: anchors === undefined ? DEFAULT_NODE_CHANNEL_SETTINGS.anchors : anchors === 'true',
    acceptInboundChannels: policy ?? DEFAULT_NODE_CHANNEL_SETTINGS.acceptInboundChannels,
    ...(forwarding === undefined ? {} : { forwarding }),
  };
}

/** One `NODE_ADDRESSES` entry as a BOLT 7 address descriptor. */
function addressOf(text: string): AddressDescriptor {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) throw new ConfigError(`${EnvVar.nodeAddresses}: '${text.slice(0, 64)}' is not host:port (port 1-65535)`);
  if (m[1] !== undefined) {
    const addr = ipv6Bytes(m[1]);
    if (addr === undefined) throw new ConfigError(`${EnvVar.nodeAddresses}: '${m[1].slice(0, 64)}' is not an IPv6 address`);
    return { kind: 'ipv6', addr, port };
  }
  const host = m[2]!;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const octets = v4.slice(1, 5).map(Number);
    if (octets.some((o) => o > 255)) throw new ConfigError(`${EnvVar.nodeAddresses}: '${host}' is not an IPv4 address`);
    return { kind: 'ipv4', addr: Uint8Array.from(octets), port };
  }
  if (host.length > 255 || !/^[\x21-\x7e]+$/.test(host)) throw new ConfigError(`${EnvVar.nodeAddresses}: '${host.slice(0, 64)}' is not a DNS hostname`);
  return { kind: 'dns', hostname: host, port };
}

/** The 16 bytes of a textual IPv6 address (with at most one `::`), or undefined. */
function ipv6Bytes(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/**
 * What the node's `node_announcement` says, from `NODE_ALIAS` (up to 32
 * bytes of UTF-8), `NODE_COLOR` (6 hex digits, default `000000`) and
 * `NODE_ADDRESSES` (comma-separated `host:port`, `[ipv6]:port`; IPv4 and
 * IPv6 literals, else a DNS hostname); undefined when none is set (no
 * `node_announcement` is sent). A bad value is a {@link ConfigError}.
 */
export function readNodeAnnouncementSettings(env: Env): NodeAnnouncementSettings | undefined {
  const alias = env[EnvVar.nodeAlias]?.trim() ?? '';
  const color = env[EnvVar.nodeColor]?.trim() ?? '';
  const addressList = env[EnvVar.nodeAddresses]?.trim() ?? '';
  if (alias === '' && color === '' && addressList === '') return undefined;
  if (new TextEncoder().encode(alias).length > 32) throw new ConfigError(`${EnvVar.nodeAlias} must be at most 32 bytes of UTF-8`);
  if (color !== '' && !/^#?[0-9a-fA-F]{6}$/.test(color)) throw new ConfigError(`${EnvVar.nodeColor} must be 6 hex digits (rrggbb), not '${color.slice(0, 32)}'`);
  const hex = color.replace(/^#/, '') || '000000';
  const rgbColor = Uint8Array.of(parseInt(hex.slice(0, 2), 16), parseInt(hex.slice(2, 4), 16), parseInt(hex.slice(4, 6), 16));
  const addresses = addressList === '' ? [] : addressList.split(',').map((a) => addressOf(a.trim()));
  if (addresses.length > MAX_NODE_ANNOUNCEMENT_ADDRESSES) throw new ConfigError(`${EnvVar.nodeAddresses} lists ${addresses.length} addresses (at most ${MAX_NODE_ANNOUNCEMENT_ADDRESSES})`);
  return { rgbColor, alias, addresses };
}
