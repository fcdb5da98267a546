/**
 * shared/ports: the interfaces the pure core consumes and its adapters
 * implement (LDK's traits): chain notifications, fee estimation, logging,
 * outpoints. Types only, at the bottom layer so every core folder may use them.
 */
export type { Outpoint } from './outpoint.js';
export type { Confirm, ConfirmedTransaction, FeeEstimator, Filter, Listen, RelevantTxid, WatchedOutput, WatchSet } from './chain.js';
export type { LogLevel, Logger } from './logger.js';
