/**
 * The outbox relay: messages leave for SQS only after the commit that made
 * them is durable. One input's messages are one item (`OUTBOX#<input id>`,
 * shared/store/outbox-record.ts): the relay sends all of them in order, each
 * under the deduplication id it was committed with, then deletes the item. A
 * crash before the delete re-sends the whole item under the same ids, which
 * the FIFO queue (within 5 minutes) and the receiver drop as duplicates.
 */
import type { NodeStore } from './node-store.js';
import type { OutboxMessage } from './outbox-record.js';

/** Hands one input's messages to the queue, in order; resolves once every one was accepted. */
export type OutboxSender = (messages: readonly OutboxMessage[]) => Promise<void>;

/** Sends every pending outbox item of the node (item by item, in sort-key order) and deletes it; returns how many messages were relayed. */
export async function relayOutbox(store: NodeStore, nodeKey: string, send: OutboxSender): Promise<number> {
  let relayed = 0;
  for (const item of await store.pendingOutbox(nodeKey)) {
    await send(item.messages);
    await store.deleteOutbox(nodeKey, item.inputId);
    relayed += item.messages.length;
  }
  return relayed;
}
