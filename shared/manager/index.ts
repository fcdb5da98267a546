/** shared/manager: the node's core. So far the connection-level protocol of BOLT 1. */
export { peerConnected, peerDisconnected, peerMessage, peerTimerTick, ourInit, type NodeConfig, type PeerEffect, type PeerStep } from './peer-manager.js';
export { encodePeerState, decodePeerState, type PeerState } from './peer-state.js';
