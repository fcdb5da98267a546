/**
 * The peer-message Lambda: an SQS FIFO consumer. Each record is one inbound
 * envelope from the peer gateway, applied under the node's lease. Failures
 * are reported per record; in a FIFO batch the records after a failure of
 * the same group are failed too, so a peer's messages are never reordered.
 */
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { decodeInbound, type EnvelopeError } from '../../shared/pipeline/envelopes.js';
import { applyInput } from '../runtime/invocation.js';
import type { NodeContext } from '../runtime/node-context.js';
import { applyInbound } from './apply.js';

export function createPeerMessageHandler(ctx: NodeContext) {
  async function handle(event: SQSEvent): Promise<SQSBatchResponse> {
    const failures: { itemIdentifier: string }[] = [];
    const failedGroups = new Set<string>();
    for (const record of event.Records) {
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
      // The gateway's dedup id names the connection and sequence number: the same input id on a replay.
      const inputId = record.attributes.MessageDeduplicationId ?? record.messageId;
      try {
        const outcome = await applyInput(ctx, inputId, (store) => applyInbound(ctx, store, envelope));
        ctx.logger.debug('applied', { inputId, kind: envelope.kind, peer: envelope.peer, outcome });
      } catch (error) {
        ctx.logger.warn('inbound record failed; will be retried', { inputId, error: (error as Error).message });
        failures.push({ itemIdentifier: record.messageId });
        failedGroups.add(group);
      }
    }
    return { batchItemFailures: failures };
  }
  return middy(handle);
}
