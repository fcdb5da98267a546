/**
 * Many stored channels for one node (test and bench support): one real
 * channel is established (and buried, or left confirming), then its channel
 * item, its monitor and the index items it implies (`indexEntriesOf`:
 * outpoint, alias, short channel id and, while confirming, `CONFIRMING#`)
 * are copied under new peers and channel ids, as a node with N channels
 * would hold them. The header lists neither ready nor confirming channels
 * (docs/follow-ups.md, "Index items"), so it is the same whatever N is.
 */
import { sha256, toHex } from '../../shared/crypto/index.js';
import { channelKey, channelPartKey, encodeChannelEntryParts, indexEntriesOf } from '../../shared/manager/index.js';
import { channelIdFromOutpoint } from '../../shared/channel/index.js';
import { SortKey } from '../../shared/store/layout.js';
import { fundingTransaction } from './channel-harness.js';
import type { ManagerNetwork, ManagerNode } from './manager-network.js';

export interface PopulateOptions {
  /**
   * Leave the channels confirming: funded and ready (3 confirmations) but not
   * yet `REORG_SAFE_DEPTH` deep, so each has its `CONFIRMING#` index item and a
   * block reaches every one of them. Default: buried (8 confirmations).
   */
  readonly confirming?: boolean;
}

/** Gives `bob` `count` channels in total (the first one real, with `alice`). */
export function populate(net: ManagerNetwork, alice: ManagerNode, bob: ManagerNode, count: number, options: PopulateOptions = {}): void {
  const created = net.step(alice, { kind: 'create-channel' }, (m) => m.createChannel(bob.nodeId, 1_000_000n, 0n, 1n));
  if (!created.ok) throw new Error(created.error.message);
  net.run();
  const ready = alice.events.map((e) => e.event).find((e) => e.kind === 'funding-generation-ready');
  if (ready?.kind !== 'funding-generation-ready') throw new Error('no FundingGenerationReady');
  const tx = fundingTransaction(ready.outputScript, ready.channelValueSatoshis).toBuffer();
  net.step(alice, { kind: 'funding-transaction-generated', temporaryChannelId: ready.temporaryChannelId }, (m) => m.fundingTransactionGenerated(ready.temporaryChannelId, tx));
  net.run();
  net.mine([tx], options.confirming === true ? 3 : 8);
  const entry = [...bob.store.storedChannels().values()][0]!;
  if (!entry.ok || entry.value.kind !== 'channel') throw new Error('no channel item');
  const template = entry.value;
  const monitor = bob.store.monitorItems(template.channel.funding!.channelId)[0]!;
  for (let i = 1; i < count; i++) {
    const peer = Uint8Array.of(2, ...sha256(new TextEncoder().encode(`peer ${i}`)));
    const outpoint = { txid: sha256(new TextEncoder().encode(`funding ${i}`)), index: 0 };
    const channelId = channelIdFromOutpoint(outpoint);
    // Its own alias and short channel id (another position in the block), so its index items are its own.
    const base = { ...template.channel, counterpartyNodeId: peer, funding: { outpoint, channelId }, holderAlias: template.channel.holderAlias + BigInt(i) };
    const channel = 'confirmation' in base && base.confirmation !== undefined ? { ...base, confirmation: { ...base.confirmation, txIndex: base.confirmation.txIndex + i } } : base;
    const copy = { ...template, channel } as typeof template;
    // Stored as the store writes a channel: its item and its parts (docs/items.md).
    const key = channelKey(peer, channelId);
    const { item, parts } = encodeChannelEntryParts(copy);
    bob.store.items.set(SortKey.channel(key), item);
    for (const [part, bytes] of parts) bob.store.items.set(SortKey.channel(channelPartKey(key, part)), bytes);
    bob.store.items.set(SortKey.monitor(toHex(channelId), 0n), monitor);
    for (const [key, value] of indexEntriesOf(copy)) bob.store.items.set(SortKey.index(key), value);
  }
}
