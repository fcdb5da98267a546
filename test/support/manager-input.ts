/**
 * What the test drivers of one of our nodes share (manager-driver.ts with
 * one peer, manager-hub.ts with several): the manager's ports over a test
 * node, and one input as a handler runs it (load from the in-memory store,
 * apply, commit, then send, broadcast, record, and apply its follow-ups).
 */
import { wasmSecp256k1 } from '../../shared/crypto/index.js';
import {
  ChannelManager,
  decodeFollowUp,
  type EventRecord,
  type ManagerConfig,
  type ManagerInput,
  type ManagerPorts,
  type NodeAnnouncementSettings,
  type PeerWireMessage,
} from '../../shared/manager/index.js';
import { committedWatch } from '../../shared/monitor/index.js';
import type { InMemoryManagerStore } from '../../shared/store/manager-items.js';
import { REGTEST_CHAIN_HASH, type TestNode } from './channel-harness.js';

/** The ports a test node's manager runs with (the committed watch, the wall clock). */
export function testManagerPorts(node: TestNode): ManagerPorts {
  return {
    secp: wasmSecp256k1,
    nodeSigner: node.keys,
    signerProvider: node.keys,
    entropy: node.ctx.entropy,
    feeEstimator: node.ctx.feeEstimator,
    watch: committedWatch,
    clock: { nowSecs: () => Math.floor(Date.now() / 1000) },
  };
}

/** A new node's manager, its header committed to `store`. */
export function createTestManager(store: InMemoryManagerStore, ports: ManagerPorts, bestBlock: { height: number; hash: Uint8Array }, config: ManagerConfig): void {
  const manager = ChannelManager.create({ ports, chainHash: REGTEST_CHAIN_HASH, bestBlock, config });
  store.commit('create', manager.takeChanges());
}

/** What one input needs from the driver that runs it. */
export interface InputHost {
  readonly store: InMemoryManagerStore;
  readonly ports: ManagerPorts;
  readonly config: ManagerConfig;
  readonly events: EventRecord[];
  /** The connected peers' `init` features and connection ids, by node id hex. */
  connected(): { features: Map<string, Uint8Array>; connections: Map<string, string> };
  /** What our `node_announcement` says (the node's settings), given at every load; unset: none is sent. */
  readonly nodeAnnouncement?: NodeAnnouncementSettings | undefined;
  sendTo(peer: Uint8Array, message: PeerWireMessage): void;
  onBroadcast(tx: Uint8Array): void;
  /** A fresh id for the input's commit. */
  nextInputId(): string;
}

/** One input: load, run `fn`, commit, then send, broadcast, record, and apply its follow-ups (each an input of its own). */
export function runInput<T>(host: InputHost, input: ManagerInput, fn: (m: ChannelManager) => T): T {
  const { features, connections } = host.connected();
  const manager = host.store.load(host.ports, input, features, host.config, connections, host.nodeAnnouncement);
  const result = fn(manager);
  const changes = manager.takeChanges();
  host.store.commit(host.nextInputId(), changes);
  host.events.push(...changes.events);
  for (const { peer, message } of changes.messages) host.sendTo(peer, message);
  for (const tx of changes.broadcasts) host.onBroadcast(tx);
  for (const f of changes.followUps) {
    const work = decodeFollowUp(f.work);
    if (!work.ok) throw work.error;
    runInput(host, { kind: 'follow-up', peer: f.peer, work: work.value }, (m) => m.applyFollowUp(f.peer, work.value, f.connectionId));
  }
  return result;
}
