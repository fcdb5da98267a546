/**
 * The peer-message Lambda: an SQS FIFO consumer. Each record is one inbound
 * envelope from the peer gateway (a `messages` envelope is several of a
 * peer's messages in a row, each its own input, committed together). The
 * records of one batch share one lease (taken at the first record, released
 * once at the end, also on failure), each record with its own fenced commit
 * (docs/commit-protocol.md, "A batch shares the lease"). Failures are
 * reported per record (runtime/sqs-batch.ts): the records after a failure
 * of the same group fail too, so a peer's messages are never reordered;
 * once the lease is lost (or could not be had), every record left fails.
 */
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { SortKey, type NodeStore } from '../../shared/store/index.js';
import { decodeInbound, inboundParts, messageInputId, type EnvelopeError, type InboundPart } from '../../shared/pipeline/envelopes.js';
import { LeaseSession } from '../runtime/invocation.js';
import { processFifoBatch } from '../runtime/sqs-batch.js';
import type { NodeContext } from '../runtime/node-context.js';
import { applyInbound, applyInboundBurst, inboundPrefetch, joinable } from './apply.js';

/**
 * A record's inputs and their ids: a message's id is its connection and
 * sequence number, the same whichever record carried it (alone, the
 * gateway's dedup id names exactly that); any other record is one input
 * under its dedup id.
 */
function inputsOf(record: SQSRecord): { readonly parts: InboundPart[]; readonly ids: string[] } {
  const envelope = decodeInbound(record.body);
  const parts = inboundParts(envelope);
  const recordId = record.attributes.MessageDeduplicationId ?? record.messageId;
  return { parts, ids: envelope.kind === 'messages' ? parts.map((part) => (part.kind === 'message' ? messageInputId(part.connectionId, part.seq) : recordId)) : [recordId] };
}

export function createPeerMessageHandler(ctx: NodeContext) {
  async function handle(event: SQSEvent): Promise<SQSBatchResponse> {
    // The snapshot beside the lease reads the other records' first items too (their replay checks, their peers' items).
    const session = new LeaseSession(ctx, { laterPrefetch: event.Records.flatMap(laterReads) });
    try {
      return await processFifoBatch(event, (record, index) => applyRecord(session, record, index === event.Records.length - 1));
    } finally {
      await session.close();
    }
  }

  /** What a record's inputs read first (their `INPUT#` and their prefetch), for the batch's snapshot; nothing for a body that does not decode. */
  function laterReads(record: SQSRecord): string[] {
    let inputs;
    try {
      inputs = inputsOf(record);
    } catch {
      return [];
    }
    const { parts, ids } = inputs;
    return parts.flatMap((part, i) => [SortKey.input(ids[i]!), ...inboundPrefetch(part)]);
  }

  async function applyRecord(session: LeaseSession, record: SQSRecord, last: boolean): Promise<void> {
    let inputs;
    try {
      inputs = inputsOf(record);
    } catch (error) {
      // A body that can never be applied is dropped (and logged), not retried forever.
      ctx.logger.error('dropping malformed inbound record', { messageId: record.messageId, error: (error as EnvelopeError).message });
      return;
    }
    const { parts, ids } = inputs;
    try {
      // The batch's last record releases the lease in its commit (if it commits; else `close` releases it).
      // Its first reads go beside the lease when this record takes it (the batch's first).
      if (parts.length === 1) {
        const outcome = await session.apply(ids[0]!, (store) => applyInbound(ctx, store, parts[0]!), { releaseWithCommit: last, prefetch: inboundPrefetch(parts[0]!) });
        ctx.logger.debug('applied', { inputId: ids[0], kind: parts[0]!.kind, peer: parts[0]!.peer, outcome });
        return;
      }
      // Messages in a row: applied one after another, committed together (docs/commit-protocol.md, "One commit for messages in a row").
      // The messages of the commitment dance among them run as bursts, each on one load of the manager (docs/manager.md, "Bursts").
      const group = parts.map((part, i) => ({ inputId: ids[i]!, step: (store: NodeStore) => applyInbound(ctx, store, part), prefetch: inboundPrefetch(part), joinable: joinable(part) }));
      const burst = (store: NodeStore, indices: readonly number[]) => applyInboundBurst(ctx, store, indices.map((i) => parts[i]!));
      const outcomes = await session.applyGroup(group, { releaseWithCommit: last, burst });
      ctx.logger.debug('applied', { inputIds: ids, peer: parts[0]!.peer, outcomes });
    } catch (error) {
      ctx.logger.warn('inbound record failed; will be retried', { inputIds: ids, error: (error as Error).message });
      throw error;
    }
  }
  return middy(handle);
}
