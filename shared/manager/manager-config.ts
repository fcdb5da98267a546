/**
 * The ChannelManager's configuration (LDK's `UserConfig`, the part channel
 * establishment uses): the handshake settings and limits of shared/channel,
 * and the inbound-channel acceptance policy (LDK's
 * `manually_accept_inbound_channels`).
 */
import { DEFAULT_CHANNEL_CONFIG, type ChannelConfig, type ChannelHandshakeConfig } from '../channel/index.js';

/** What happens to a peer's `open_channel` that passes every BOLT 2 check. */
export const InboundChannelPolicy = {
  /** Accept at once (`accept_channel` goes out in the same step). */
  AcceptAll: 'all',
  /** Emit `OpenChannelRequest` and wait for `acceptInboundChannel` / `rejectInboundChannel`. */
  Manual: 'manual',
} as const;
export type InboundChannelPolicy = (typeof InboundChannelPolicy)[keyof typeof InboundChannelPolicy];

/** Everything the manager is configured with; kept in the manager header. */
export interface ManagerConfig {
  readonly channel: ChannelConfig;
  readonly acceptInboundChannels: InboundChannelPolicy;
}

/** LDK 0.1's defaults, accepting every inbound channel that passes the checks. */
export const DEFAULT_MANAGER_CONFIG: ManagerConfig = {
  channel: DEFAULT_CHANNEL_CONFIG,
  acceptInboundChannels: InboundChannelPolicy.AcceptAll,
};

/** Per-call changes to the handshake settings (LDK's `override_config` of `create_channel`). */
export type HandshakeOverride = Partial<ChannelHandshakeConfig>;

/** LDK's `MAX_UNFUNDED_CHANS_PER_PEER`: inbound channels not yet funded, per peer. */
export const MAX_UNFUNDED_CHANNELS_PER_PEER = 4;
/** Inbound channels not yet funded, all peers together: keeps the manager header small. */
export const MAX_UNFUNDED_INBOUND_CHANNELS = 50;
/**
 * Depth after which a funding transaction is treated as final (LDK's
 * `ANTI_REORG_DELAY`): a ready channel leaves the header's chain index then,
 * and blocks stop loading it.
 */
export const REORG_SAFE_DEPTH = 6;
