/**
 * The outbox relay: messages leave for SQS only after the commit that made
 * them is durable. Each is sent with its id as the deduplication id, then
 * deleted; a crash between the two re-sends the same id, which the queue
 * (and the receiver) drop as a duplicate.
 */
import type { NodeStore, OutboxMessage } from './node-store.js';

export type OutboxSender = (message: OutboxMessage) => Promise<void>;

/** Sends every pending outbox message of the node in id order; returns how many were relayed. */
export async function relayOutbox(store: NodeStore, nodeKey: string, send: OutboxSender): Promise<number> {
  const pending = await store.pendingOutbox(nodeKey);
  for (const message of pending) {
    await send(message);
    await store.deleteOutbox(nodeKey, message.id);
  }
  return pending.length;
}
