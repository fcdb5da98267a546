/**
 * The chain (LDK's `chain::Confirm` and `chain::Listen`): funding
 * transactions confirming and leaving the best chain, new tips (depth,
 * unfunded channels aging out), and the txids still to watch.
 */
import { Block } from 'bitcoinjs-lib';
import { equalBytes } from '../codec/index.js';
import { bestBlockUpdated as channelBestBlockUpdated, fundingTransactionConfirmed, fundingTransactionUnconfirmed } from '../channel/index.js';
import { sha256 } from '../crypto/index.js';
import type { ConfirmedTransaction, RelevantTxid } from '../ports/index.js';
import { channelKey } from './channel-entry.js';
import { applyStep } from './channel-step.js';
import { channelContext, type ManagerCore } from './manager-core.js';
import { expireUnfunded } from './peer-lifecycle.js';

/** Double SHA256 of an 80-byte block header: the block hash, internal order. */
function blockHashOf(header: Uint8Array): Uint8Array {
  return sha256(sha256(header.subarray(0, 80)));
}

/** `chain::Confirm::transactions_confirmed`: funding transactions among `txdata` confirm their channels. */
export function transactionsConfirmed(core: ManagerCore, header: Uint8Array, txdata: readonly ConfirmedTransaction[], height: number): void {
  const { cs } = core;
  const blockHash = blockHashOf(header);
  for (const tx of txdata) {
    for (const e of cs.header.confirming.filter((c) => equalBytes(c.fundingTxid, tx.txid))) {
      const key = channelKey(e.counterpartyNodeId, e.channelId);
      const item = cs.entry(key);
      if (item?.kind !== 'channel') continue;
      applyStep(core, key, item, fundingTransactionConfirmed(channelContext(core), item.channel, { height, txIndex: tx.position, blockHash }, tx.tx));
    }
  }
}

/** `chain::Confirm::transaction_unconfirmed`: before our `channel_ready` the channel waits again; after it, it closes (`funding-reorged-out`). */
export function transactionUnconfirmed(core: ManagerCore, txid: Uint8Array): void {
  const { cs } = core;
  for (const e of cs.header.confirming.filter((c) => equalBytes(c.fundingTxid, txid))) {
    const key = channelKey(e.counterpartyNodeId, e.channelId);
    const item = cs.entry(key);
    if (item?.kind !== 'channel') continue;
    applyStep(core, key, item, fundingTransactionUnconfirmed(channelContext(core), item.channel));
  }
}

/** `chain::Confirm::best_block_updated`: the new tip; channels waiting for depth may send `channel_ready`; old unfunded channels are forgotten. */
export function bestBlockUpdated(core: ManagerCore, header: Uint8Array, height: number): void {
  const { cs } = core;
  cs.setBestBlock({ height, hash: blockHashOf(header) });
  expireUnfunded(core, height);
  for (const e of [...cs.header.confirming]) {
    const key = channelKey(e.counterpartyNodeId, e.channelId);
    const item = cs.entry(key);
    if (item?.kind !== 'channel') continue;
    applyStep(core, key, item, channelBestBlockUpdated(channelContext(core), item.channel, height));
  }
}

/** `chain::Confirm::get_relevant_txids`: confirmed funding transactions not yet final. */
export function getRelevantTxids(core: ManagerCore): RelevantTxid[] {
  return core.cs.header.confirming.flatMap((e) =>
    e.confirmation ? [{ txid: e.fundingTxid, height: e.confirmation.height, blockHash: e.confirmation.blockHash }] : [],
  );
}

/** `chain::Listen::block_connected`: the block's funding transactions, then the new tip. */
export function blockConnected(core: ManagerCore, block: Uint8Array, height: number): void {
  const parsed = Block.fromBuffer(block);
  const header = block.subarray(0, 80);
  const txdata: ConfirmedTransaction[] = [];
  (parsed.transactions ?? []).forEach((tx, position) => {
    const txid = tx.getHash();
    if (core.cs.header.confirming.some((e) => equalBytes(e.fundingTxid, txid))) txdata.push({ position, txid, tx: tx.toBuffer() });
  });
  if (txdata.length > 0) transactionsConfirmed(core, header, txdata, height);
  bestBlockUpdated(core, header, height);
}

/** `chain::Listen::block_disconnected`: funding transactions confirmed at or above `height` are unconfirmed; the tip steps back. */
export function blockDisconnected(core: ManagerCore, header: Uint8Array, height: number): void {
  for (const e of [...core.cs.header.confirming]) {
    if (e.confirmation !== undefined && e.confirmation.height >= height) transactionUnconfirmed(core, e.fundingTxid);
  }
  core.cs.setBestBlock({ height: height - 1, hash: header.slice(4, 36) });
}
