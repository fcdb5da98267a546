/**
 * The gossip function: an SQS FIFO consumer of the gossip queue, which the
 * gateway fills with public gossip and gossip queries, grouped per peer
 * (functions/gateway/gossip-lane.ts). It takes no lease and touches no
 * node partition: each record is checked and stored, or answered, by
 * gossip-service.ts. After a batch that stored something, the changes are
 * counted; past {@link SNAPSHOT_EVERY_CHANGES} a new graph snapshot is built
 * (graph-snapshot-job.ts). Failures are reported per record, and the later
 * records of the same peer fail with it (FIFO order kept: runtime/sqs-batch.ts).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { decodeInbound, type EnvelopeError } from '../../shared/pipeline/envelopes.js';
import { processFifoBatch } from '../runtime/sqs-batch.js';
import { handleGossip, type GossipContext, type GossipOutcome } from './gossip-service.js';
import { SNAPSHOT_EVERY_CHANGES, refreshGraphSnapshot, snapshotId, type GraphFromStoreOptions, type SnapshotRun } from './graph-snapshot-job.js';

export interface GossipHandlerContext extends GossipContext {
  /** Stored changes after which a snapshot is built (default {@link SNAPSHOT_EVERY_CHANGES}). */
  readonly snapshotEvery?: number;
  readonly snapshotOptions?: GraphFromStoreOptions;
  readonly logger?: Pick<Logger, 'warn' | 'debug'>;
}

/** What one batch did (the bench and tests read it; Lambda gets the failures only). */
export interface GossipBatchResult extends SQSBatchResponse {
  readonly outcomes: readonly GossipOutcome[];
  readonly snapshot?: SnapshotRun;
}

export function createGossipHandler(ctx: GossipHandlerContext) {
  return async function handle(event: SQSEvent): Promise<GossipBatchResult> {
    const outcomes: GossipOutcome[] = [];
    const { batchItemFailures } = await processFifoBatch(event, async (record) => {
      const outcome = await gossipOf(record);
      if (outcome !== undefined) outcomes.push(outcome);
    });
    const stored = outcomes.filter((outcome) => outcome.kind === 'stored').length;
    let snapshot: SnapshotRun | undefined;
    if (stored > 0) {
      const changes = await ctx.graph.addChanges(stored);
      if (changes >= (ctx.snapshotEvery ?? SNAPSHOT_EVERY_CHANGES)) {
        snapshot = await refreshGraphSnapshot(ctx.graph, snapshotId(ctx.nowSec() * 1000), changes, ctx.snapshotOptions);
      }
    }
    return { batchItemFailures, outcomes, ...(snapshot === undefined ? {} : { snapshot }) };
  };

  /** One record checked and stored or answered; undefined for a record that is not gossip (dropped). */
  async function gossipOf(record: SQSRecord): Promise<GossipOutcome | undefined> {
    let envelope;
    try {
      envelope = decodeInbound(record.body);
    } catch (error) {
      ctx.logger?.warn('dropping malformed gossip record', { messageId: record.messageId, error: (error as EnvelopeError).message });
      return undefined;
    }
    // Connection events and follow-ups are the peer-message function's; none should come here.
    if (envelope.kind !== 'message') return undefined;
    try {
      const outcome = await handleGossip(ctx, {
        peer: envelope.peer,
        connectionId: envelope.connectionId,
        inputId: record.attributes.MessageDeduplicationId ?? record.messageId,
        message: envelope.message,
      });
      if (outcome.kind === 'rejected' || outcome.kind === 'undecodable') ctx.logger?.debug('gossip refused', { peer: envelope.peer, ...outcome });
      return outcome;
    } catch (error) {
      ctx.logger?.warn('gossip record failed; will be retried', { messageId: record.messageId, error: (error as Error).message });
      throw error;
    }
  }
}
