/**
 * The peer-message Lambda: an SQS FIFO consumer. Each record is one inbound
 * envelope from the peer gateway. The records of one batch share one lease
 * (taken at the first record, released once at the end, also on failure),
 * each applied as its own input with its own fenced commit
 * (docs/commit-protocol.md, "A batch shares the lease"). Failures are
 * reported per record (runtime/sqs-batch.ts): the records after a failure
 * of the same group fail too, so a peer's messages are never reordered;
 * once the lease is lost (or could not be had), every record left fails.
 */
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { SortKey } from '../../shared/store/index.js';
import { decodeInbound, type EnvelopeError } from '../../shared/pipeline/envelopes.js';
import { LeaseSession } from '../runtime/invocation.js';
import { processFifoBatch } from '../runtime/sqs-batch.js';
import type { NodeContext } from '../runtime/node-context.js';
import { applyInbound, inboundPrefetch } from './apply.js';

/** The gateway's dedup id names the connection and sequence number: the same input id on a replay. */
function inputIdOf(record: SQSRecord): string {
  return record.attributes.MessageDeduplicationId ?? record.messageId;
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

  /** What a record's input reads first (its `INPUT#` and its prefetch), for the batch's snapshot; nothing for a body that does not decode. */
  function laterReads(record: SQSRecord): string[] {
    let envelope;
    try {
      envelope = decodeInbound(record.body);
    } catch {
      return [];
    }
    return [SortKey.input(inputIdOf(record)), ...inboundPrefetch(envelope)];
  }

  async function applyRecord(session: LeaseSession, record: SQSRecord, last: boolean): Promise<void> {
    let envelope;
    try {
      envelope = decodeInbound(record.body);
    } catch (error) {
      // A body that can never be applied is dropped (and logged), not retried forever.
      ctx.logger.error('dropping malformed inbound record', { messageId: record.messageId, error: (error as EnvelopeError).message });
      return;
    }
    const inputId = inputIdOf(record);
    try {
      // The batch's last record releases the lease in its commit (if it commits; else `close` releases it).
      // Its first reads go beside the lease when this record takes it (the batch's first).
      const outcome = await session.apply(inputId, (store) => applyInbound(ctx, store, envelope), { releaseWithCommit: last, prefetch: inboundPrefetch(envelope) });
      ctx.logger.debug('applied', { inputId, kind: envelope.kind, peer: envelope.peer, outcome });
    } catch (error) {
      ctx.logger.warn('inbound record failed; will be retried', { inputId, error: (error as Error).message });
      throw error;
    }
  }
  return middy(handle);
}
