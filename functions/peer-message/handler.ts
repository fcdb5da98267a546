/**
 * The peer-message Lambda: an SQS FIFO consumer. Each record is one inbound
 * envelope from the peer gateway. The records of one batch share one lease
 * (taken at the first record, released once at the end, also on failure),
 * each applied as its own input with its own fenced commit
 * (docs/commit-protocol.md, "A batch shares the lease"). Failures are
 * reported per record; in a FIFO batch the records after a failure of the
 * same group are failed too, so a peer's messages are never reordered; once
 * the lease is lost (or could not be had), every record left is failed.
 */
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { SortKey } from '../../shared/store/index.js';
import { decodeInbound, type EnvelopeError } from '../../shared/pipeline/envelopes.js';
import { LeaseSession } from '../runtime/invocation.js';
import type { NodeContext } from '../runtime/node-context.js';
import { applyInbound, inboundPrefetch } from './apply.js';

/** The gateway's dedup id names the connection and sequence number: the same input id on a replay. */
function inputIdOf(record: SQSRecord): string {
  return record.attributes.MessageDeduplicationId ?? record.messageId;
}

export function createPeerMessageHandler(ctx: NodeContext) {
  async function handle(event: SQSEvent): Promise<SQSBatchResponse> {
    const failures: { itemIdentifier: string }[] = [];
    const failedGroups = new Set<string>();
    // The snapshot beside the lease reads the other records' first items too (their replay checks, their peers' items).
    const session = new LeaseSession(ctx, { laterPrefetch: event.Records.flatMap(laterReads) });
    try {
      await applyRecords(event, session, failures, failedGroups);
    } finally {
      await session.close();
    }
    return { batchItemFailures: failures };
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

  async function applyRecords(event: SQSEvent, session: LeaseSession, failures: { itemIdentifier: string }[], failedGroups: Set<string>): Promise<void> {
    for (const [index, record] of event.Records.entries()) {
      const group = record.attributes.MessageGroupId ?? '';
      if (failedGroups.has(group)) {
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      let envelope;
      try {
        envelope = decodeInbound(record.body);
      } catch (error) {
        // A body that can never be applied is dropped (and logged), not retried forever.
        ctx.logger.error('dropping malformed inbound record', { messageId: record.messageId, error: (error as EnvelopeError).message });
        continue;
      }
      const inputId = inputIdOf(record);
      try {
        // The batch's last record releases the lease in its commit (if it commits; else `close` releases it).
        const last = index === event.Records.length - 1;
        // Its first reads go beside the lease when this record takes it (the batch's first).
        const outcome = await session.apply(inputId, (store) => applyInbound(ctx, store, envelope), { releaseWithCommit: last, prefetch: inboundPrefetch(envelope) });
        ctx.logger.debug('applied', { inputId, kind: envelope.kind, peer: envelope.peer, outcome });
      } catch (error) {
        ctx.logger.warn('inbound record failed; will be retried', { inputId, error: (error as Error).message });
        failures.push({ itemIdentifier: record.messageId });
        failedGroups.add(group);
      }
    }
  }
  return middy(handle);
}
