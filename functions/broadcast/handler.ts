/**
 * The broadcast handler (broadcast FIFO queue): hands each transaction to
 * the chain source (`POST /tx`) until it has it.
 * - Accepted, or refused but the chain source already knows the transaction
 *   (in its mempool or a block): done.
 * - No answer, a server error, or 429: the record fails and SQS delivers it
 *   again (to the DLQ after the queue's maximum receives).
 * - Refused for good (invalid, conflicting, below the relay fee...): logged
 *   and recorded under the lease in `BROADCAST#<txid>`; a wallet payment's
 *   coins are released. Not retried.
 */
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { EsploraError, EsploraErrorCode } from '../../shared/chain/index.js';
import { fromHex } from '../../shared/crypto/index.js';
import { decodeBroadcast, EnvelopeError, type BroadcastEnvelope } from '../../shared/pipeline/envelopes.js';
import { SortKey } from '../../shared/store/index.js';
import { dropPending, encodeWalletState } from '../../shared/wallet/index.js';
import { applyInput } from '../runtime/invocation.js';
import type { NodeContext } from '../runtime/node-context.js';
import { processFifoBatch } from '../runtime/sqs-batch.js';
import { loadWallet } from '../wallet/wallet-service.js';

export const BroadcastOutcome = {
  /** The chain source accepted it now. */
  accepted: 'accepted',
  /** The chain source already had it. */
  known: 'known',
  /** Refused for good; recorded, not retried. */
  rejected: 'rejected',
  /** The record was not a broadcast envelope; dropped. */
  malformed: 'malformed',
} as const;
export type BroadcastOutcome = (typeof BroadcastOutcome)[keyof typeof BroadcastOutcome];

/** Whether an error from the chain source is worth another delivery. */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof EsploraError)) return true;
  if (error.code === EsploraErrorCode.Rejected) return error.status === 429 || error.status === 408;
  return error.code !== EsploraErrorCode.NotFound;
}

async function chainKnows(ctx: NodeContext, txid: string): Promise<boolean> {
  try {
    await ctx.esplora.tx(txid);
    return true;
  } catch (error) {
    if (error instanceof EsploraError && error.code === EsploraErrorCode.NotFound) return false;
    throw error;
  }
}

/** Records a permanent refusal and releases what a wallet payment held. */
async function recordRejection(ctx: NodeContext, envelope: BroadcastEnvelope, reason: string): Promise<void> {
  await applyInput(ctx, `broadcast-rejected-${envelope.txid}`, async (store) => {
    const wallet = await loadWallet(store, ctx.nodeKey);
    const released = dropPending(wallet, envelope.txid);
    const record = new TextEncoder().encode(JSON.stringify({ v: 1, txid: envelope.txid, reason: reason.slice(0, 1000) }));
    return {
      puts: [{ sk: SortKey.broadcast(envelope.txid), data: record }, ...(released === wallet ? [] : [{ sk: SortKey.wallet, data: encodeWalletState(released) }])],
      deletes: [],
      effects: [],
    };
  });
}

export function createBroadcastHandler(ctx: NodeContext) {
  async function broadcastOne(record: SQSRecord): Promise<BroadcastOutcome> {
    let envelope: BroadcastEnvelope;
    try {
      envelope = decodeBroadcast(record.body);
    } catch (error) {
      if (!(error instanceof EnvelopeError)) throw error;
      ctx.logger.error('broadcast record is not a broadcast envelope; dropped', { messageId: record.messageId, reason: error.message });
      return BroadcastOutcome.malformed;
    }
    try {
      await ctx.esplora.broadcast(fromHex(envelope.hex));
      return BroadcastOutcome.accepted;
    } catch (error) {
      if (isTransient(error)) throw error;
      if (await chainKnows(ctx, envelope.txid)) return BroadcastOutcome.known;
      const reason = (error as Error).message;
      ctx.logger.error('transaction refused by the chain source; not retried', { txid: envelope.txid, reason });
      await recordRejection(ctx, envelope, reason);
      return BroadcastOutcome.rejected;
    }
  }

  async function handle(event: SQSEvent): Promise<SQSBatchResponse> {
    // One transaction after the other, in the queue's order (a parent before its child); a transient failure fails the rest of the group too, to come back in order.
    return processFifoBatch(event, async (record) => {
      try {
        const outcome = await broadcastOne(record);
        ctx.logger.info('broadcast', { messageId: record.messageId, outcome });
      } catch (error) {
        ctx.logger.warn('broadcast failed; the queue will deliver it again', { messageId: record.messageId, error: String(error) });
        throw error;
      }
    });
  }
  return middy(handle);
}
