/**
 * The ChannelManager's configuration (LDK's `UserConfig`, the part channel
 * establishment uses): the handshake settings and limits of shared/channel,
 * and the inbound-channel acceptance policy (LDK's
 * `manually_accept_inbound_channels`).
 */
import { DEFAULT_CHANNEL_CONFIG, type ChannelConfig, type ChannelHandshakeConfig } from '../channel/index.js';
import { OUR_INIT_FEATURE_BITS, featureBit, featuresFromBits } from '../wire/index.js';

/** What happens to a peer's `open_channel` that passes every BOLT 2 check. */
export const InboundChannelPolicy = {
  /** Accept at once (`accept_channel` goes out in the same step). */
  AcceptAll: 'all',
  /** Emit `OpenChannelRequest` and wait for `acceptInboundChannel` / `rejectInboundChannel`. */
  Manual: 'manual',
} as const;
export type InboundChannelPolicy = (typeof InboundChannelPolicy)[keyof typeof InboundChannelPolicy];

/**
 * Our forwarding policy (LDK's `ChannelConfig` forwarding fields): what a
 * payer pays us to forward over one of our channels, and the blocks we keep
 * between the incoming and the outgoing HTLC's expiry. Advertised to each
 * peer in our `channel_update` (docs/forwarding.md) and checked on every
 * forward.
 */
export interface ForwardingConfig {
  readonly feeBaseMsat: number;
  readonly feeProportionalMillionths: number;
  /** Raised to {@link MIN_CLTV_EXPIRY_DELTA} when below it, as LDK does. */
  readonly cltvExpiryDelta: number;
  /** The smallest HTLC we forward (the peer's own minimum applies too: the larger wins). */
  readonly htlcMinimumMsat: bigint;
}

/**
 * The part of the policy a channel may set for itself (LDK's
 * `ChannelConfigUpdate` forwarding fields, `update_channel_config`): a
 * channel with its own fee and delta no longer follows the node's default.
 */
export type ChannelForwarding = Pick<ForwardingConfig, 'feeBaseMsat' | 'feeProportionalMillionths' | 'cltvExpiryDelta'>;

/** LDK's `MIN_CLTV_EXPIRY_DELTA`: fewer blocks leave no time to claim an incoming HTLC on chain after the outgoing one settles. */
export const MIN_CLTV_EXPIRY_DELTA = 42;

/** LDK 0.1's defaults: 1,000 msat base, 0 ppm, 72 blocks. */
export const DEFAULT_FORWARDING_CONFIG: ForwardingConfig = { feeBaseMsat: 1000, feeProportionalMillionths: 0, cltvExpiryDelta: 72, htlcMinimumMsat: 1n };

/** Everything the manager is configured with; kept in the manager header (all but `forwarding`, given at each load). */
export interface ManagerConfig {
  readonly channel: ChannelConfig;
  readonly acceptInboundChannels: InboundChannelPolicy;
  /** Absent: {@link DEFAULT_FORWARDING_CONFIG}. Not written in the header: the configuration given to `load` carries it. */
  readonly forwarding?: ForwardingConfig;
}

/** The forwarding policy in force under `config` (defaults filled in, the CLTV delta at least {@link MIN_CLTV_EXPIRY_DELTA}). */
export function forwardingConfigOf(config: ManagerConfig): ForwardingConfig {
  const f = config.forwarding ?? DEFAULT_FORWARDING_CONFIG;
  return { ...f, cltvExpiryDelta: Math.max(MIN_CLTV_EXPIRY_DELTA, f.cltvExpiryDelta) };
}

/** LDK 0.1's defaults, accepting every inbound channel that passes the checks. */
export const DEFAULT_MANAGER_CONFIG: ManagerConfig = {
  channel: DEFAULT_CHANNEL_CONFIG,
  acceptInboundChannels: InboundChannelPolicy.AcceptAll,
};

/**
 * The channel settings a deployment chooses for its node (docs/manager.md,
 * "Node settings"): applied at every load, like LDK's
 * `ChannelManagerReadArgs::default_config`.
 */
export interface NodeChannelSettings {
  /** Propose and accept `option_anchors_zero_fee_htlc_tx` (BOLT 2 "Channel Type"; LDK's `negotiate_anchors_zero_fee_htlc_tx`). */
  readonly anchors: boolean;
  /** What happens to an inbound `open_channel` (LDK's `manually_accept_inbound_channels`). */
  readonly acceptInboundChannels: InboundChannelPolicy;
  /** Our forwarding policy (fees, CLTV delta, minimum HTLC); LDK's defaults when absent. */
  readonly forwarding?: ForwardingConfig;
}

/** The settings of a node that sets none: LDK 0.1's defaults (no anchors, accept all). */
export const DEFAULT_NODE_CHANNEL_SETTINGS: NodeChannelSettings = { anchors: false, acceptInboundChannels: InboundChannelPolicy.AcceptAll };

/** `base` with the node's settings applied. */
export function managerConfigWith(settings: NodeChannelSettings, base: ManagerConfig = DEFAULT_MANAGER_CONFIG): ManagerConfig {
  return {
    channel: { ...base.channel, handshake: { ...base.channel.handshake, negotiateAnchorsZeroFeeHtlcTx: settings.anchors } },
    acceptInboundChannels: settings.acceptInboundChannels,
    ...(settings.forwarding === undefined ? (base.forwarding === undefined ? {} : { forwarding: base.forwarding }) : { forwarding: settings.forwarding }),
  };
}

function sameFields<T extends object>(a: T, b: T): boolean {
  const keys = Object.keys(a) as (keyof T)[];
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** True when `a` and `b` configure the manager the same way (every handshake setting, limit and the policy). */
export function sameManagerConfig(a: ManagerConfig, b: ManagerConfig): boolean {
  return a.acceptInboundChannels === b.acceptInboundChannels && sameFields(a.channel.handshake, b.channel.handshake) && sameFields(a.channel.limits, b.channel.limits);
}

/**
 * Our `init` features under `config` (BOLT 9; LDK's `provided_init_features`):
 * `option_anchors_zero_fee_htlc_tx` is offered only when anchors are
 * negotiated, so a peer never proposes a channel type we would refuse.
 * `gossipQueries`: `gossip_queries` offered too (a node that keeps a graph
 * and asks its peers for gossip: gossip-sync.ts).
 */
export function initFeaturesFor(config: ManagerConfig, options: { readonly gossipQueries?: boolean } = {}): Uint8Array {
  const anchors = featureBit('option_anchors_zero_fee_htlc_tx', 'optional');
  const bits = config.channel.handshake.negotiateAnchorsZeroFeeHtlcTx ? OUR_INIT_FEATURE_BITS : OUR_INIT_FEATURE_BITS.filter((b) => b !== anchors);
  return featuresFromBits(options.gossipQueries === true ? [...bits, featureBit('gossip_queries', 'optional')] : bits);
}

/** Per-call changes to the handshake settings (LDK's `override_config` of `create_channel`). */
export type HandshakeOverride = Partial<ChannelHandshakeConfig>;

/** LDK's `MAX_UNFUNDED_CHANS_PER_PEER`: inbound channels not yet funded, per peer. */
export const MAX_UNFUNDED_CHANNELS_PER_PEER = 4;
/** Inbound channels not yet funded, all peers together: keeps the manager header small. */
export const MAX_UNFUNDED_INBOUND_CHANNELS = 50;
/**
 * Outbound channels not funded yet (between `createChannel` and the peer's
 * `funding_signed`): they sit in the manager header, which must stay small.
 * Past it `createChannel` refuses (`api-misuse`); it succeeds again as
 * those channels are funded or closed (seconds, or the age limit below).
 * Funded channels have no limit: blocks reach them through follow-up inputs
 * (docs/follow-ups.md).
 */
export const MAX_UNFUNDED_OUTBOUND_CHANNELS = 50;
/**
 * Blocks after which a channel still not funded (`open_channel` sent or
 * received, no `funding_signed` yet), or an inbound request never accepted,
 * is forgotten: LDK's 60 timer ticks (about an hour), counted in blocks so
 * that no timer input has to write the header.
 */
export const UNFUNDED_CHANNEL_AGE_LIMIT_BLOCKS = 6;
/**
 * Depth after which a funding transaction is treated as final (LDK's
 * `ANTI_REORG_DELAY`): a ready channel leaves the header's chain index then,
 * and blocks stop loading it.
 */
export const REORG_SAFE_DEPTH = 6;
