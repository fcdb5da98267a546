/**
 * The node's channel settings from its environment (docs/deploy-aws.md,
 * README "configuration"): the same variables on Lambda (set by the CDK
 * stack) and for `npm start`. A bad value is a {@link ConfigError} naming
 * the variable, at start.
 */
import { DEFAULT_NODE_CHANNEL_SETTINGS, InboundChannelPolicy, type NodeChannelSettings } from '../../shared/manager/index.js';
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

/** `ANCHOR_CHANNELS` (`true` / `false`) and `INBOUND_CHANNELS` (`all` / `manual`); unset means the default. */
export function readNodeChannelSettings(env: Env): NodeChannelSettings {
  const anchors = setting(env, EnvVar.anchorChannels);
  if (anchors !== undefined && anchors !== 'true' && anchors !== 'false') {
    throw new ConfigError(`${EnvVar.anchorChannels} must be true or false, not '${anchors.slice(0, 32)}'`);
  }
  const policy = setting(env, EnvVar.inboundChannels);
  if (policy !== undefined && !isPolicy(policy)) {
    throw new ConfigError(`${EnvVar.inboundChannels} must be ${POLICIES.join(' or ')}, not '${policy.slice(0, 32)}'`);
  }
  return {
    anchors: anchors === undefined ? DEFAULT_NODE_CHANNEL_SETTINGS.anchors : anchors === 'true',
    acceptInboundChannels: policy ?? DEFAULT_NODE_CHANNEL_SETTINGS.acceptInboundChannels,
  };
}
