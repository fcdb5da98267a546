/**
 * LDK's `chain::Watch`: where the manager hands each new ChannelMonitor and
 * each monitor update. The answer says whether it is durable yet.
 */
import type { Outpoint } from '../ports/index.js';
import type { ChannelMonitor, ChannelMonitorUpdate } from './channel-monitor.js';

/** LDK's `ChannelMonitorUpdateStatus`. */
export const MonitorUpdateStatus = {
  /** Durable: the channel may go on (messages that depend on it may leave). */
  Completed: 'completed',
  /** Not durable yet: the manager holds the channel's messages and broadcasts until `channelMonitorUpdated`. */
  InProgress: 'in-progress',
} as const;
export type MonitorUpdateStatus = (typeof MonitorUpdateStatus)[keyof typeof MonitorUpdateStatus];

/** LDK's `chain::Watch`. */
export interface Watch {
  watchChannel(fundingOutpoint: Outpoint, monitor: ChannelMonitor): MonitorUpdateStatus;
  updateChannel(fundingOutpoint: Outpoint, update: ChannelMonitorUpdate): MonitorUpdateStatus;
}

/**
 * The Watch of stormcell's store: the manager lists every monitor write in
 * `takeChanges().monitors`, and the handler commits them in the same
 * DynamoDB transaction as the channel item and the outbox, so nothing that
 * depends on a monitor can leave before it is durable. Hence `completed`.
 */
export const committedWatch: Watch = {
  watchChannel: () => MonitorUpdateStatus.Completed,
  updateChannel: () => MonitorUpdateStatus.Completed,
};
