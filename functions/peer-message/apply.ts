/** Applies one inbound envelope (from the peer gateway) to the node's BOLT 1 core. */
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { BURST_MESSAGE_TYPES, CHANNEL_MESSAGE_TYPES, RecordKeys, type ChannelManager, decodeFollowUp, decodePeerState, encodePeerState, peerConnected, peerDisconnected, peerMessage, soleChannelMessage, type ManagerInput, type PeerState, type PeerStep } from '../../shared/manager/index.js';
import type { InboundPart } from '../../shared/pipeline/envelopes.js';
import { SortKey, type NodeStore } from '../../shared/store/index.js';
import type { InvocationResult } from '../runtime/invocation.js';
import { extendManager, loadManager, takeChangesFunded } from '../runtime/manager-step.js';
import type { NodeContext } from '../runtime/node-context.js';
import { StepReads } from '../runtime/step-reads.js';

export async function loadPeer(ctx: NodeContext, store: NodeStore, peerHex: string): Promise<PeerState | undefined> {
  const bytes = await store.get(ctx.nodeKey, SortKey.peer(peerHex));
  if (bytes === undefined) return undefined;
  const decoded = decodePeerState(bytes);
  if (!decoded.ok) {
    // Unreadable state is never silently replaced: fail loudly, the input goes to the DLQ.
    throw new Error(`peer item ${peerHex} does not decode: ${decoded.error.reason}`);
  }
  return decoded.value;
}

/** Turns a step into the store writes and effects of the invocation. */
export function peerWrites(peerHex: string, step: PeerStep): InvocationResult {
  const sk = SortKey.peer(peerHex);
  if (step.state === undefined) return { puts: [], deletes: [], effects: step.effects };
  if (step.state === null) return { puts: [], deletes: [sk], effects: step.effects };
  return { puts: [{ sk, data: encodePeerState(step.state) }], deletes: [], effects: step.effects };
}

/**
 * Hands what the BOLT 1 layer decided to the ChannelManager, in the same
 * invocation: a peer whose `init` just arrived is `peerConnected`, a peer whose
 * connection ended is `peerDisconnected`, each BOLT 2 message (and
 * `error`) the peer layer returned as a `channel-message` effect is handled,
 * and a message we cannot handle yet is reported (`reportUnsupportedMessage`).
 * Inputs that touch no channel never load the manager (a ping costs nothing more).
 */
async function withManager(
  ctx: NodeContext,
  store: NodeStore,
  before: PeerState | undefined,
  step: PeerStep,
  base: InvocationResult,
  reads: StepReads = new StepReads(ctx, store),
): Promise<InvocationResult> {
  const channelMessages = step.effects.flatMap((e) => (e.kind === 'channel-message' ? [e] : []));
  const unsupported = step.effects.flatMap((e) => (e.kind === 'unsupported-message' ? [e] : []));
  const after = step.state === undefined ? before : step.state === null ? undefined : step.state;
  const initArrived = before?.features === undefined && after?.features !== undefined;
  const disconnected = step.state === null && before?.features !== undefined;
  if (channelMessages.length === 0 && !initArrived && !disconnected && unsupported.length === 0) return base;
  const peer = (after ?? before)!.nodeId;
  const connected = new Map<string, Uint8Array>();
  const connections = new Map<string, string>();
  if (after?.features !== undefined) {
    connected.set(toHex(peer), after.features);
    connections.set(toHex(peer), after.connectionId);
  }
  const input: ManagerInput =
    channelMessages.length > 0
      ? { kind: 'peer-message', peer, message: channelMessages[0]!.message }
      : unsupported.length > 0
        ? { kind: 'unsupported-message' }
        : { kind: initArrived ? 'peer-connected' : 'peer-disconnected', peer };
  if (channelMessages.length > 1) throw new Error('the peer layer returned more than one channel message for one input');
  const manager = await loadManager(ctx, store, input, connected, reads, connections);
  if (initArrived) manager.peerConnected(peer, after!.features!, after!.connectionId);
  if (disconnected) manager.peerDisconnected(peer);
  for (const { message } of channelMessages) manager.handleChannelMessage(peer, message);
  for (const u of unsupported) {
    // Loud the first time per message type (with an event for the user), quiet after: a peer retrying on every reconnection is no news.
    const first = manager.reportUnsupportedMessage(peer, u.messageType, u.message);
    ctx.logger[first ? 'warn' : 'info']('unsupported message from a peer', { peer: toHex(peer), messageType: u.messageType, message: u.message });
  }
  const result = await takeChangesFunded(ctx, store, manager, reads);
  return { ...result, puts: [...base.puts, ...result.puts], deletes: [...base.deletes, ...result.deletes], effects: [...base.effects, ...result.effects] };
}

const NOTHING: InvocationResult = { puts: [], deletes: [], effects: [] };

/**
 * A follow-up input (docs/follow-ups.md): one channel's share of an input
 * that touched many, applied like a message of the peer (the peer's current
 * connection decides whether a `reestablish` is still wanted). A record that
 * does not decode is dropped with an ERROR line: we wrote it, and retrying
 * cannot fix it.
 */
async function applyFollowUp(
  ctx: NodeContext,
  store: NodeStore,
  current: PeerState | undefined,
  envelope: Extract<InboundPart, { kind: 'follow-up' }>,
  reads: StepReads,
): Promise<InvocationResult> {
  const work = decodeFollowUp(envelope.work);
  if (!work.ok) {
    ctx.logger.error('dropping a follow-up that does not decode', { peer: envelope.peer, error: work.error.message });
    return NOTHING;
  }
  if ((await reads.header()) === undefined) return NOTHING;
  const peer = fromHex(envelope.peer);
  const connected = new Map<string, Uint8Array>();
  const connections = new Map<string, string>();
  // A forward's next peer is read with its channel by the load plan's scids (functions/runtime/manager-step.ts), not here.
  if (current?.features !== undefined) {
    connected.set(envelope.peer, current.features);
    connections.set(envelope.peer, current.connectionId);
  }
  const manager = await loadManager(ctx, store, { kind: 'follow-up', peer, work: work.value }, connected, reads, connections);
  manager.applyFollowUp(peer, work.value, envelope.connectionId);
  return takeChangesFunded(ctx, store, manager, reads);
}

/** The message type (its first two bytes), or null when there are fewer. */
function messageType(bytes: Uint8Array): number | null {
  return bytes.length < 2 ? null : (bytes[0]! << 8) | bytes[1]!;
}


/**
 * The items {@link applyInbound} reads first for `envelope`: the peer's item,
 * and for a channel message or a follow-up the manager's HEADER and FEES and
 * WEBHOOKS (and WALLET where the step funds or closes). Read beside the
 * lease when the input takes it (functions/runtime/invocation.ts, `prefetch`).
 */
export function inboundPrefetch(envelope: InboundPart): string[] {
  const type = envelope.kind === 'message' ? messageType(envelope.message) : null;
  const manager = envelope.kind === 'follow-up' || (type !== null && CHANNEL_MESSAGE_TYPES.has(type));
  if (!manager) return [SortKey.peer(envelope.peer)];
  const forward = envelope.kind === 'message' ? forwardOfRemoval(envelope.message) : undefined;
  return [SortKey.peer(envelope.peer), SortKey.header, SortKey.fees, SortKey.webhooks, ...(type === 33 || type === 35 || type === 38 ? [SortKey.wallet] : []), ...(forward === undefined ? [] : [forward])];
}

/**
 * The record the manager reads when an HTLC we offered is removed
 * (`update_fulfill_htlc`, `update_fail_htlc`, `update_fail_malformed_htlc`,
 * each `channel_id` then `id` after the type): whether we forwarded it
 * (`FORWARD#<channel>#o<id>`, shared/manager/payment-records.ts), read
 * beside the lease with the rest.
 */
function forwardOfRemoval(message: Uint8Array): string | undefined {
  const type = messageType(message);
  if ((type !== 130 && type !== 131 && type !== 135) || message.length < 42) return undefined;
  const id = new DataView(message.buffer, message.byteOffset + 34, 8).getBigUint64(0);
  return RecordKeys.forwardOut(toHex(message.subarray(2, 34)), id);
}

export async function applyInbound(ctx: NodeContext, store: NodeStore, envelope: InboundPart): Promise<InvocationResult> {
  const reads = new StepReads(ctx, store);
  const type = envelope.kind === 'message' ? messageType(envelope.message) : null;
  if (type !== null && CHANNEL_MESSAGE_TYPES.has(type)) {
    // A channel message will need HEADER and FEES: read them alongside the PEER item (one round trip instead of two),
    // and WALLET too for accept_channel (the wallet funds the channel in this invocation), funding_signed (it releases the funding)
    // and shutdown (our answer pays a fresh wallet address: docs/close.md).
    void reads.header();
    void reads.fees();
    if (type === 33 || type === 35 || type === 38) void reads.wallet();
  }
  const current = await loadPeer(ctx, store, envelope.peer);
  let step: PeerStep;
  switch (envelope.kind) {
    case 'connected':
      step = peerConnected(ctx.config, {
        nodeId: fromHex(envelope.peer),
        connectionId: envelope.connectionId,
        inbound: envelope.inbound,
        address: envelope.address,
      });
      // A new connection replaces the old one: the manager sees the old one end.
      return withManager(ctx, store, current, current?.features === undefined ? step : { state: null, effects: [] }, peerWrites(envelope.peer, step));
    case 'message':
      step = peerMessage(ctx.config, current, envelope.connectionId, envelope.message);
      break;
    case 'disconnected':
      step = peerDisconnected(current, envelope.connectionId);
      break;
    case 'follow-up':
      return applyFollowUp(ctx, store, current, envelope, reads);
  }
  const base = peerWrites(envelope.peer, { ...step, effects: step.effects.filter((e) => e.kind !== 'channel-message') });
  return withManager(ctx, store, current, step, base, reads);
}

/** Whether `part` may run in a burst with the messages around it: a message of the commitment dance (`BURST_MESSAGE_TYPES`). */
export function joinable(part: InboundPart): boolean {
  if (part.kind !== 'message') return false;
  const type = messageType(part.message);
  return type !== null && BURST_MESSAGE_TYPES.has(type);
}

/**
 * A peer's messages in a row (`joinable`, of one connection) on ONE load of
 * the manager (docs/manager.md, "Bursts"): the first loads it as
 * {@link applyInbound} would, each next one reads only what the manager
 * does not hold yet (`extendManager`), and the changes are taken once. It
 * stops before a message that needs a load of its own or that the peer
 * layer does not hand on as one channel message alone (each then runs as
 * an input of its own). Returns how many of `parts` it ran (at least the
 * first) and their result, for one commit with all their input records.
 */
export async function applyInboundBurst(ctx: NodeContext, store: NodeStore, parts: readonly InboundPart[]): Promise<{ readonly count: number; readonly result: InvocationResult }> {
  const first = parts[0]!;
  const reads = new StepReads(ctx, store);
  void reads.header();
  void reads.fees();
  const current = await loadPeer(ctx, store, first.peer);
  const alone = async () => ({ count: 1, result: await applyInbound(ctx, store, first) });
  if (current?.features === undefined) return alone();
  const peer = current.nodeId;
  const connected = new Map([[first.peer, current.features]]);
  const connections = new Map([[first.peer, current.connectionId]]);
  let manager: ChannelManager | undefined;
  let count = 0;
  for (const part of parts) {
    if (part.kind !== 'message' || part.peer !== first.peer) break;
    const message = soleChannelMessage(peerMessage(ctx.config, current, part.connectionId, part.message));
    if (message === undefined) break;
    const input: ManagerInput = { kind: 'peer-message', peer, message };
    if (manager === undefined) manager = await loadManager(ctx, store, input, connected, reads, connections);
    else if (!(await extendManager(ctx, store, manager, input))) break;
    manager.handleChannelMessage(peer, message);
    count++;
  }
  if (manager === undefined) return alone();
  return { count, result: await takeChangesFunded(ctx, store, manager, reads) };
}
