/**
 * The node's channel settings from its environment (docs/deploy-aws.md,
 * README "configuration"): the same variables on Lambda (set by the CDK
 * stack) and for `npm start`. A bad value is a {@link ConfigError} naming
 * the variable, at start.
 */
import { DEFAULT_FORWARDING_CONFIG, DEFAULT_NODE_CHANNEL_SETTINGS, InboundChannelPolicy, type ForwardingConfig, type NodeChannelSettings } from '../../shared/manager/index.js';
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
