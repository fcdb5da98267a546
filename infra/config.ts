/**
 * The deployment's parameters, read from CDK context (`-c key=value` or
 * cdk.json): stage, network, Esplora URL, alarm e-mail, the node's channel
 * settings. See the README's "Deploy to AWS" section and docs/deploy-aws.md.
 */
import { isNetwork, type Network } from '../functions/runtime/node-context.js';
import { ConfigError, EnvVar } from '../functions/runtime/aws-env.js';
import { readForwardingSettings } from '../functions/runtime/node-settings.js';
import { DEFAULT_NODE_CHANNEL_SETTINGS, InboundChannelPolicy, type ForwardingConfig, type NodeChannelSettings } from '../shared/manager/index.js';

export interface StackConfig {
  /** Names the deployment; `dev` is disposable (no deletion protection, everything destroyed with the stack). */
  readonly stage: string;
  readonly network: Network;
  /** The Esplora REST API the node reads the chain from. */
  readonly esploraUrl: string;
  /** Where DLQ alarms are e-mailed, if anywhere. */
  readonly alarmEmail?: string;
  /** Anchors, the inbound channel policy and the forwarding policy, given to the functions as `ANCHOR_CHANNELS`, `INBOUND_CHANNELS` and `FORWARDING_*`. */
  readonly channelSettings: NodeChannelSettings;
}

/** The disposable stage. */
export const DEV_STAGE = 'dev';
export const DEFAULT_STAGE = DEV_STAGE;
/** On AWS the node runs on signet unless told otherwise: a public test chain with no real money. */
export const DEFAULT_NETWORK: Network = 'signet';

/** Public Esplora instances used when `esploraUrl` is not given; regtest has none and needs one. */
export const DEFAULT_ESPLORA_URL: Readonly<Partial<Record<Network, string>>> = {
  signet: 'https://mempool.space/signet/api',
  testnet: 'https://mempool.space/testnet/api',
  bitcoin: 'https://mempool.space/api',
};

/** Context keys. */
export const ContextKey = {
  stage: 'stage',
  network: 'network',
  esploraUrl: 'esploraUrl',
  alarmEmail: 'alarmEmail',
  /** `true` or `false` (default). */
  anchorChannels: 'anchorChannels',
  /** `all` (default) or `manual`. */
  inboundChannels: 'inboundChannels',
  /** Our forwarding policy (docs/forwarding.md): whole numbers, each unset keeps LDK's default. */
  forwardingFeeBaseMsat: 'forwardingFeeBaseMsat',
  forwardingFeePpm: 'forwardingFeePpm',
  forwardingCltvDelta: 'forwardingCltvDelta',
} as const;

/** Each forwarding context key and the functions' variable it becomes. */
const FORWARDING_VARIABLES = [
  [ContextKey.forwardingFeeBaseMsat, EnvVar.forwardingFeeBaseMsat],
  [ContextKey.forwardingFeePpm, EnvVar.forwardingFeePpm],
  [ContextKey.forwardingCltvDelta, EnvVar.forwardingCltvDelta],
] as const;

export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

const STAGE = /^[a-z][a-z0-9-]{0,15}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function text(value: unknown, key: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ConfigurationError(`context '${key}' must be a string`);
  return value.trim();
}

/** A context flag: a boolean (cdk.json) or `true` / `false` (`-c key=...`). */
function flag(value: unknown, key: string): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const given = text(value, key)?.toLowerCase();
  if (given === undefined) return undefined;
  if (given !== 'true' && given !== 'false') throw new ConfigurationError(`context '${key}' must be true or false, not '${given.slice(0, 32)}'`);
  return given === 'true';
}

function channelSettingsOf(get: (key: string) => unknown): NodeChannelSettings {
  const anchors = flag(get(ContextKey.anchorChannels), ContextKey.anchorChannels) ?? DEFAULT_NODE_CHANNEL_SETTINGS.anchors;
  const policy = text(get(ContextKey.inboundChannels), ContextKey.inboundChannels)?.toLowerCase() ?? DEFAULT_NODE_CHANNEL_SETTINGS.acceptInboundChannels;
  const policies: readonly string[] = Object.values(InboundChannelPolicy);
  if (!policies.includes(policy)) throw new ConfigurationError(`context '${ContextKey.inboundChannels}' must be ${policies.join(' or ')}, not '${policy.slice(0, 32)}'`);
  return { anchors, acceptInboundChannels: policy as InboundChannelPolicy, ...forwardingOf(get) };
}

/** The functions' `FORWARDING_*` variables for `forwarding` (none when the context set none). */
export function forwardingEnvironment(forwarding: ForwardingConfig | undefined): Record<string, string> {
  if (forwarding === undefined) return {};
  return {
    [EnvVar.forwardingFeeBaseMsat]: String(forwarding.feeBaseMsat),
    [EnvVar.forwardingFeePpm]: String(forwarding.feeProportionalMillionths),
    [EnvVar.forwardingCltvDelta]: String(forwarding.cltvExpiryDelta),
  };
}

/** The forwarding policy from context (a cdk.json number or a `-c` string), checked as the functions check its variables. */
function forwardingOf(get: (key: string) => unknown): Pick<NodeChannelSettings, 'forwarding'> {
  const env: Record<string, string | undefined> = {};
  for (const [key, name] of FORWARDING_VARIABLES) {
    const value = get(key);
    env[name] = typeof value === 'number' ? String(value) : text(value, key);
  }
  try {
    const forwarding = readForwardingSettings(env);
    return forwarding === undefined ? {} : { forwarding };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const [key] = FORWARDING_VARIABLES.find(([, name]) => error.message.startsWith(name))!;
    throw new ConfigurationError(`context '${key}'${error.message.slice(error.message.indexOf(' '))}`);
  }
}

/** Validates the context values (`get(key)` is `node.tryGetContext`). */
export function readStackConfig(get: (key: string) => unknown): StackConfig {
  const stage = text(get(ContextKey.stage), ContextKey.stage) ?? DEFAULT_STAGE;
  if (!STAGE.test(stage)) throw new ConfigurationError(`stage '${stage}' must be 1-16 of a-z, 0-9, '-', starting with a letter`);
  const network = text(get(ContextKey.network), ContextKey.network) ?? DEFAULT_NETWORK;
  if (!isNetwork(network)) throw new ConfigurationError(`network '${network}' must be regtest, testnet, signet or bitcoin`);
  const esploraUrl = text(get(ContextKey.esploraUrl), ContextKey.esploraUrl) ?? DEFAULT_ESPLORA_URL[network];
  if (esploraUrl === undefined) throw new ConfigurationError(`network '${network}' has no public Esplora: pass -c esploraUrl=https://...`);
  let parsed: URL;
  try {
    parsed = new URL(esploraUrl);
  } catch {
    throw new ConfigurationError(`esploraUrl '${esploraUrl}' is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new ConfigurationError('esploraUrl must be http(s)');
  const alarmEmail = text(get(ContextKey.alarmEmail), ContextKey.alarmEmail);
  if (alarmEmail !== undefined && !EMAIL.test(alarmEmail)) throw new ConfigurationError(`alarmEmail '${alarmEmail}' is not an e-mail address`);
  const channelSettings = channelSettingsOf(get);
  return { stage, network, esploraUrl: esploraUrl.replace(/\/+$/, ''), ...(alarmEmail === undefined ? {} : { alarmEmail }), channelSettings };
}

/** Whether the stage keeps its data when the stack goes (deletion protection, retained table, key and secrets). */
export function isRetainedStage(stage: string): boolean {
  return stage !== DEV_STAGE;
}
