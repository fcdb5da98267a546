/**
 * The chain (LDK's `chain::Confirm` and `chain::Listen`): funding
 * transactions confirming and leaving the best chain, new tips (depth,
 * unfunded channels aging out), and the txids still to watch.
 *
 * The input of a block loads the confirming index, not the channels: each
 * confirming channel's events go into its `chain` follow-up
 * (docs/follow-ups.md), applied as an input of its own
 * ({@link applyChainEvents}), so a block reaching any number of channels
 * commits a bounded number of items. The unfunded channels (bounded, in the
 * header) are aged out here.
 */
import { Block } from 'bitcoinjs-lib';
import { parseTransaction } from '../tx/index.js';
import { equalBytes } from '../codec/index.js';
import {
  bestBlockUpdated as channelBestBlockUpdated,
  fundingConfirmed,
  fundingSeenIn,
  fundingTransactionConfirmed,
  fundingTransactionUnconfirmed,
  type ChannelStep,
} from '../channel/index.js';
import { sha256, toHex } from '../crypto/index.js';
import type { ConfirmedTransaction, RelevantTxid } from '../ports/index.js';
import { channelKey } from './channel-entry.js';
import { applyStep } from './channel-step.js';
import { announceIfDue } from './channel-announcements.js';
import type { ChainEvent } from './follow-up.js';
import { channelContext, type ManagerCore } from './manager-core.js';
import { expireUnfunded } from './peer-lifecycle.js';
import { HTLC_FAIL_BACK_BUFFER } from './final-cltv.js';

/** Double SHA256 of an 80-byte block header: the block hash, internal order. */
function blockHashOf(header: Uint8Array): Uint8Array {
  return sha256(sha256(header.subarray(0, 80)));
}

/** `chain::Confirm::transactions_confirmed`: funding transactions among `txdata` confirm their channels (through follow-ups). */
export function transactionsConfirmed(core: ManagerCore, header: Uint8Array, txdata: readonly ConfirmedTransaction[], height: number): void {
  const { cs } = core;
  const blockHash = blockHashOf(header);
  const confirming = cs.confirming();
  for (const tx of txdata) {
    const funded = confirming.filter((c) => equalBytes(c.fundingTxid, tx.txid));
    if (funded.length === 0) continue;
    const parsed = parseTransaction(tx.tx);
    for (const e of funded) {
      const at = { kind: 'confirmed', height, txIndex: tx.position, blockHash } as const;
      // What the block shows of the channel's funding output travels, not the transaction (one may fund hundreds of channels).
      if (parsed !== null && e.fundingOutputIndex !== undefined) cs.chainEvent(e, { ...at, seen: fundingSeenIn(parsed, e.fundingOutputIndex) });
      else cs.chainEvent(e, { ...at, tx: tx.tx });
    }
  }
}

/** `chain::Confirm::transaction_unconfirmed`: before our `channel_ready` the channel waits again; after it, it closes (`funding-reorged-out`). */
export function transactionUnconfirmed(core: ManagerCore, txid: Uint8Array): void {
  const { cs } = core;
  for (const e of cs.confirming().filter((c) => equalBytes(c.fundingTxid, txid))) cs.chainEvent(e, { kind: 'unconfirmed' });
}

/** `chain::Confirm::best_block_updated`: the new tip; every confirming channel hears of it (depth, `channel_ready`); old unfunded channels are forgotten. */
export function bestBlockUpdated(core: ManagerCore, header: Uint8Array, height: number): void {
  const { cs } = core;
  cs.setBestBlock({ height, hash: blockHashOf(header) });
  expireUnfunded(core, height);
  for (const e of cs.confirming()) cs.chainEvent(e, { kind: 'best-block', height });
  // Channels with HTLCs near (or past) expiry: one follow-up each (htlc-expiry.ts).
  const seen = new Set<string>();
  for (const ref of cs.expiringBy(height + HTLC_FAIL_BACK_BUFFER + 1)) {
    const id = `${toHex(ref.counterpartyNodeId)}#${toHex(ref.channelId)}`;
    if (seen.has(id)) continue;
    seen.add(id);
    cs.followUp(ref.counterpartyNodeId, { kind: 'htlc-expiry', channelId: ref.channelId, height });
  }
}

/** `chain::Confirm::get_relevant_txids`: confirmed funding transactions not yet final. */
export function getRelevantTxids(core: ManagerCore): RelevantTxid[] {
  return core.cs.confirming().flatMap((e) => (e.confirmation ? [{ txid: e.fundingTxid, height: e.confirmation.height, blockHash: e.confirmation.blockHash }] : []));
}

/** The funding txids the chain must report: every confirming channel's. */
export function watchedFundingTxids(core: ManagerCore): Uint8Array[] {
  return core.cs.confirming().map((e) => e.fundingTxid);
}

/** `chain::Listen::block_connected`: the block's funding transactions, then the new tip. */
export function blockConnected(core: ManagerCore, block: Uint8Array, height: number): void {
  const parsed = Block.fromBuffer(block);
  const header = block.subarray(0, 80);
  const confirming = core.cs.confirming();
  const txdata: ConfirmedTransaction[] = [];
  (parsed.transactions ?? []).forEach((tx, position) => {
    const txid = tx.getHash();
    if (confirming.some((e) => equalBytes(e.fundingTxid, txid))) txdata.push({ position, txid, tx: tx.toBuffer() });
  });
  if (txdata.length > 0) transactionsConfirmed(core, header, txdata, height);
  bestBlockUpdated(core, header, height);
}

/** `chain::Listen::block_disconnected`: funding transactions confirmed at or above `height` are unconfirmed; the tip steps back. */
export function blockDisconnected(core: ManagerCore, header: Uint8Array, height: number): void {
  for (const e of core.cs.confirming()) {
    if (e.confirmation !== undefined && e.confirmation.height >= height) core.cs.chainEvent(e, { kind: 'unconfirmed' });
  }
  core.cs.setBestBlock({ height: height - 1, hash: header.slice(4, 36) });
}

/**
 * A `chain` follow-up: the channel's events, in order, each through the
 * channel's own step (`fundingTransactionConfirmed` with the confirmation it
 * already has, and `bestBlockUpdated` at its own best height, change
 * nothing: a repeat is harmless). A channel that is gone drops its
 * confirming index item.
 */
export function applyChainEvents(core: ManagerCore, peer: Uint8Array, channelId: Uint8Array, events: readonly ChainEvent[]): void {
  const { cs } = core;
  const key = channelKey(peer, channelId);
  for (const event of events) {
    const item = cs.entry(key);
    if (item?.kind !== 'channel') {
      cs.dropConfirming(peer, channelId);
      return;
    }
    applyStep(core, key, item, chainStep(core, item.channel, event));
  }
  // The block that makes a public channel 6 deep sends our announcement_signatures (channel-announcements.ts).
  announceIfDue(core, key);
}

function chainStep(core: ManagerCore, channel: Parameters<typeof fundingTransactionUnconfirmed>[1], event: ChainEvent): ChannelStep {
  const ctx = channelContext(core);
  switch (event.kind) {
    case 'confirmed': {
      const at = { height: event.height, txIndex: event.txIndex, blockHash: event.blockHash };
      return 'seen' in event ? fundingConfirmed(ctx, channel, at, event.seen) : fundingTransactionConfirmed(ctx, channel, at, event.tx);
    }
    case 'unconfirmed':
      return fundingTransactionUnconfirmed(ctx, channel);
    case 'best-block':
      return channelBestBlockUpdated(ctx, channel, event.height);
  }
}
