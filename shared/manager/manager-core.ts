/**
 * What every manager module works on: the invocation's change set and the
 * injected ports. The modules are functions of a `ManagerCore`; the
 * `ChannelManager` class only presents them as the seed's API.
 */
import type { ChannelContext } from '../channel/index.js';
import type { ChangeSet } from './change-set.js';
import type { NodeAnnouncementSettings } from './channel-announcements.js';
import type { GossipSyncSettings } from './gossip-sync.js';
import type { HandshakeOverride } from './manager-config.js';
import type { ManagerPorts } from './manager-types.js';

export interface ManagerCore {
  readonly cs: ChangeSet;
  readonly ports: ManagerPorts;
  /** What our `node_announcement` says (given at load, or by `broadcastNodeAnnouncement`; not persisted): without it, none is sent. */
  nodeAnnouncement?: NodeAnnouncementSettings;
  /** Whether our peers are asked for gossip (given at load; not persisted): absent, none is asked (gossip-sync.ts). */
  readonly gossipSync?: GossipSyncSettings;
}

/** The channel machines' context: the ports and the header's chain and configuration (with a per-channel override). */
export function channelContext(core: ManagerCore, override?: HandshakeOverride): ChannelContext {
  const config = core.cs.header.config.channel;
  return {
    secp: core.ports.secp,
    signerProvider: core.ports.signerProvider,
    entropy: core.ports.entropy,
    feeEstimator: core.ports.feeEstimator,
    chainHash: core.cs.header.chainHash,
    config: override ? { ...config, handshake: { ...config.handshake, ...override } } : config,
  };
}

export function log(core: ManagerCore, level: 'debug' | 'info' | 'warn', message: string): void {
  core.ports.logger?.log(level, message);
}

export function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
