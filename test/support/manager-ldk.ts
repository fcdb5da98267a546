/**
 * Test support: one of our ChannelManagers (a {@link ManagerDriver}: peer
 * layer, manager loaded from the stored items for every input) connected
 * over TCP to a real LDK 0.1 node, both on the embedded regtest chain, with
 * the steps the interop tests share: connect, feed blocks to both sides,
 * confirm a funding transaction and compare what both sides report.
 * Parametrized by the channel type both sides are set up for.
 */
import * as ldk from 'lightningdevkit';
import { expect } from 'vitest';
import { channelTypeBytes, type FundingGenerationReady, type ReadyChannel } from '../../shared/channel/index.js';
import { fromHex, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { decodeInvoice } from '../../shared/invoice/index.js';
import { managerConfigWith, type ChannelDetails, type ForwardingConfig, type ManagerConfig, type ManagerEvent } from '../../shared/manager/index.js';
import { txidToDisplayHex } from '../../shared/tx/index.js';
import type { RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { testNode } from './channel-harness.js';
import { startLdkNode, type LdkNode } from './ldk-node.js';
import { ManagerDriver } from './manager-driver.js';
import { fundingFromFaucet, postToChain, until } from './regtest-harness.js';

/** The commitment formats of BOLT 3 both sides can agree on, as the HTTP API names them. */
export const InteropChannelType = {
  StaticRemoteKey: 'static_remotekey',
  Anchors: 'anchors_zero_fee_htlc_tx',
} as const;
export type InteropChannelType = (typeof InteropChannelType)[keyof typeof InteropChannelType];

export interface ManagerLdkOptions {
  /** Both sides are configured for it: our `negotiateAnchorsZeroFeeHtlcTx`, LDK's `negotiate_anchors_zero_fee_htlc_tx`. */
  readonly channelType: InteropChannelType;
  /** `minimum_depth` both sides ask of the other's funding transaction. */
  readonly depth: number;
  /** LDK's seed byte (distinct LDK node ids per test). */
  readonly ldkSeed: number;
  /** LDK forwards payments to private channels (`accept_forwards_to_priv_channels`, off by default). */
  readonly ldkForwardsToPrivateChannels?: boolean;
  /** Our forwarding policy (our `channel_update`); LDK's defaults when absent. */
  readonly ourForwarding?: ForwardingConfig;
  /**
   * Set: LDK keeps a network graph from its peers' gossip (`P2PGossipSync`);
   * true: both sides also open and accept announced channels only (ours
   * `announceChannel`, LDK's `announce_for_forwarding`).
   */
  readonly announce?: boolean;
}

/** One of our nodes and one LDK node, connected, fed the same blocks. */
export interface ManagerLdkPeers {
  readonly chain: RunningRegtestChain;
  readonly ldk: LdkNode;
  readonly ours: ManagerDriver;
  readonly options: ManagerLdkOptions;
  /** The highest block both sides were fed. */
  fedHeight: number;
  /** Our and LDK's broadcasts, posted to the chain's `POST /tx`. */
  readonly broadcasts: Promise<string>[];
}

/** Our configuration for `channelType` (only anchors differ from the defaults), with `depth` as our `minimum_depth`. */
export function ourConfigFor(channelType: InteropChannelType, depth: number, announce = false): ManagerConfig {
  const config = managerConfigWith({ anchors: channelType === InteropChannelType.Anchors, acceptInboundChannels: 'all' });
  return { ...config, channel: { ...config.channel, handshake: { ...config.channel.handshake, minimumDepth: depth, announceChannel: announce } } };
}

/** Starts LDK, starts our node `label`, dials LDK and waits until both sides list each other. */
export async function connectToLdk(chain: RunningRegtestChain, label: string, options: ManagerLdkOptions): Promise<ManagerLdkPeers> {
  const ldkNode = await startLdkNode(new Uint8Array(32).fill(options.ldkSeed), {
    minimumDepth: options.depth,
    anchors: options.channelType === InteropChannelType.Anchors,
    ...(options.ldkForwardsToPrivateChannels ? { acceptForwardsToPrivateChannels: true } : {}),
    ...(options.announce === undefined ? {} : { announceChannels: options.announce, gossip: true }),
  });
  const port = await ldkNode.listen();
  const tip = chain.chain.tip();
  ldkNode.bestBlockUpdated(tip.header, tip.height);
  const node = testNode(label);
  const config = ourConfigFor(options.channelType, options.depth, options.announce === true);
  const ours = new ManagerDriver(node, { height: tip.height, hash: fromHex(chain.chain.blockAt(tip.height)!.hash).reverse() }, options.ourForwarding === undefined ? config : { ...config, forwarding: options.ourForwarding });
  const peers: ManagerLdkPeers = { chain, ldk: ldkNode, ours, options, fedHeight: tip.height, broadcasts: [] };
  const broadcast = (tx: Uint8Array) => peers.broadcasts.push(postToChain(chain, '/tx', toHex(tx)));
  ours.onBroadcast = broadcast;
  ldkNode.onBroadcast = broadcast;
  ours.dial('127.0.0.1', port, ldkNode.nodeId);
  await until(() => ours.ready, 'LDK init');
  await ldkNode.waitFor(() => ldkNode.peers().some((p) => toHex(p.nodeId) === toHex(node.keys.getNodeId())), 'LDK to list us');
  return peers;
}

/** Closes our connection and stops LDK. */
export async function disconnectFromLdk(peers: ManagerLdkPeers): Promise<void> {
  peers.ours.close();
  await peers.ldk.stop();
}

/** A funding transaction paying `script` `valueSat` from a faucet coin of the key `label`. */
export function faucetFunding(peers: ManagerLdkPeers, label: string, script: Uint8Array, valueSat: bigint): Uint8Array {
  return fundingFromFaucet(peers.chain, label, script, valueSat);
}

/** A serialized block: header, tx count (compact size < 253), transactions. */
export function concatBlock(header: Uint8Array, txs: readonly Uint8Array[]): Uint8Array {
  if (txs.length >= 253) throw new Error('too many transactions for this helper');
  const total = 80 + 1 + txs.reduce((s, t) => s + t.length, 0);
  const out = new Uint8Array(total);
  out.set(header.subarray(0, 80), 0);
  out[80] = txs.length;
  let at = 81;
  for (const t of txs) {
    out.set(t, at);
    at += t.length;
  }
  return out;
}

/** Mines `blocks`; feeds each to LDK (`transactionsConfirmed` for `fundingTxid`, display hex) and to our manager (Listen: the whole block). */
export async function mineAndFeed(peers: ManagerLdkPeers, blocks: number, fundingTxid: string): Promise<void> {
  const { chain } = peers;
  await postToChain(chain, '/regtest/mine', JSON.stringify({ blocks }));
  for (let h = peers.fedHeight + 1; h <= chain.chain.tip().height; h++) {
    const block = chain.chain.blockAt(h)!;
    const position = block.txids.indexOf(fundingTxid);
    if (position >= 0) peers.ldk.transactionsConfirmed(block.header, [[position, block.transactions[position]!.toBuffer()]], h);
    peers.ldk.bestBlockUpdated(block.header, h);
    const raw = concatBlock(block.header, block.transactions.map((t) => t.toBuffer()));
    peers.ours.step({ kind: 'chain' }, (m) => m.blockConnected(raw, h));
    peers.fedHeight = h;
  }
}

/** Our only channel (throws unless there is exactly one). */
export function only(ours: ManagerDriver): ChannelDetails {
  const all = ours.channels();
  if (all.length !== 1) throw new Error(`${all.length} channels`);
  return all[0]!;
}

/** Our only channel as stored (what the next input loads). */
export function storedChannel(ours: ManagerDriver): ReadyChannel {
  const entry = [...ours.store.storedChannels().values()][0]!;
  if (!entry.ok || entry.value.kind !== 'channel') throw new Error('no channel item');
  return entry.value.channel as ReadyChannel;
}

/** The feerate LDK reports for its only channel. */
export function ldkFeerate(node: LdkNode): number | undefined {
  const feerate = node.channelManager.list_channels()[0]?.get_feerate_sat_per_1000_weight();
  return feerate instanceof ldk.Option_u32Z_Some ? feerate.some : undefined;
}

/**
 * We open a channel of `fundingSat` to LDK, pushing it `pushMsat`, funded by
 * the chain's faucet: `funding_signed`, then confirmed and compared on both
 * sides ({@link confirmAndCompare}); returns its channel id.
 */
export async function weOpenToLdk(peers: ManagerLdkPeers, label: string, fundingSat: bigint, pushMsat: bigint, userChannelId = 1n): Promise<Uint8Array> {
  const { ldk: ldkNode, ours } = peers;
  const created = ours.step({ kind: 'create-channel' }, (m) => m.createChannel(ldkNode.nodeId, fundingSat, pushMsat, userChannelId));
  if (!created.ok) throw new Error(created.error.message);
  await until(() => ours.events.some((e) => e.event.kind === 'funding-generation-ready'), 'FundingGenerationReady');
  const ready = ours.events.map((e) => e.event).find((e): e is FundingGenerationReady => e.kind === 'funding-generation-ready')!;
  const tx = faucetFunding(peers, label, ready.outputScript, ready.channelValueSatoshis);
  expect(ours.step({ kind: 'funding-transaction-generated', temporaryChannelId: ready.temporaryChannelId }, (m) => m.fundingTransactionGenerated(ready.temporaryChannelId, tx)).ok).toBe(true);
  await until(() => only(ours).state === 'awaiting-confirmation', 'funding_signed');
  await confirmAndCompare(peers, txidToDisplayHex(only(ours).fundingOutpoint!.txid));
  return only(ours).channelId;
}

/** The channel type LDK reports for `channel`, as the feature bytes of BOLT 2's `channel_type`. */
export function ldkChannelTypeHex(channel: ldk.ChannelDetails): string {
  // Big-endian, minimal, no length prefix (as in `channel_type`).
  return toHex(channel.get_channel_type().write());
}

/**
 * The funding transaction `fundingTxid` (display hex) reaches the mempool,
 * is mined one block short of the depth (nothing usable), then to the
 * depth: both sides must report one usable channel of the expected type
 * with the same id, value, short channel id, and mirrored capacities.
 */
export async function confirmAndCompare(peers: ManagerLdkPeers, fundingTxid: string): Promise<void> {
  const { ldk: ldkNode, ours, chain, options } = peers;
  await until(() => peers.broadcasts.length > 0, 'the funding transaction broadcast');
  await Promise.all(peers.broadcasts);
  expect(chain.chain.mempool().map((e) => e.txid)).toContain(fundingTxid);
  await mineAndFeed(peers, options.depth - 1, fundingTxid);
  expect(only(ours).state).toBe('awaiting-confirmation');
  expect(ldkNode.channelManager.list_usable_channels()).toHaveLength(0);
  await mineAndFeed(peers, 1, fundingTxid);
  await until(() => only(ours).isUsable, 'our channel usable');
  await ldkNode.waitFor(() => ldkNode.channelManager.list_usable_channels().length === 1, 'LDK usable channel');
  expect(ours.disconnects).toEqual([]);
  expect(ours.events.filter((e) => e.event.kind === 'channel-closed')).toEqual([]);

  const theirs = ldkNode.channelManager.list_usable_channels()[0]!;
  const mine = only(ours);
  const anchors = options.channelType === InteropChannelType.Anchors;
  expect(mine.channelType).toEqual({ anchors, scidAlias: false });
  // The WASM bindings answer booleans as 0 or 1.
  expect(Boolean(theirs.get_channel_type().requires_anchors_zero_fee_htlc_tx())).toBe(anchors);
  expect(ldkChannelTypeHex(theirs)).toBe(toHex(channelTypeBytes(mine.channelType)));
  expect(toHex(theirs.get_channel_id().get_a())).toBe(toHex(mine.channelId));
  expect(theirs.get_channel_value_satoshis()).toBe(mine.channelValueSatoshis);
  const scid = theirs.get_short_channel_id();
  expect(scid instanceof ldk.Option_u64Z_Some ? scid.some : null).toBe(mine.shortChannelId);
  // LDK's outbound capacity is our inbound one and the other way round.
  expect(theirs.get_outbound_capacity_msat()).toBe(mine.inboundCapacityMsat);
  expect(theirs.get_inbound_capacity_msat()).toBe(mine.outboundCapacityMsat);
  expect(ours.events.filter((e) => e.event.kind === 'channel-ready')).toHaveLength(1);
}

/** Our events of `kind`, oldest first. */
export function eventsOf<K extends ManagerEvent['kind']>(ours: ManagerDriver, kind: K): Extract<ManagerEvent, { kind: K }>[] {
  return ours.events.map((e) => e.event).filter((e): e is Extract<ManagerEvent, { kind: K }> => e.kind === kind);
}

/** LDK's events of one class (e.g. `ldk.Event_PaymentSent`), oldest first. */
export function ldkEvents<T extends ldk.Event>(node: LdkNode, type: { prototype: T }): T[] {
  return node.events.filter((e): e is T => Object.prototype.isPrototypeOf.call(type.prototype, e));
}

/** We pay `amountMsat` to LDK's `create_inbound_payment`; LDK claims. */
export async function wePayLdk(peers: ManagerLdkPeers, amountMsat: bigint, id: number): Promise<void> {
  const { ldk: ldkNode, ours } = peers;
  const inbound = ldkNode.channelManager.create_inbound_payment(ldk.Option_u64Z.constructor_some(amountMsat), 3600, ldk.Option_u16Z.constructor_none());
  if (!(inbound instanceof ldk.Result_C2Tuple_ThirtyTwoBytesThirtyTwoBytesZNoneZ_OK)) throw new Error('LDK create_inbound_payment');
  const [paymentHash, paymentSecret] = [inbound.res.get_a(), inbound.res.get_b()];
  const paymentId = new Uint8Array(32).fill(id);
  const sent = ours.step({ kind: 'send-payment', paymentId, paymentHash, payeeNodeId: ldkNode.nodeId }, (m) =>
    m.sendPayment({ paymentId, paymentHash, payeeNodeId: ldkNode.nodeId, amountMsat, finalCltvExpiryDelta: 30, recipient: { paymentSecret, totalMsat: amountMsat }, retry: { attempts: 0 } }),
  );
  expect(sent).toEqual({ ok: true, value: undefined });
  await ldkNode.waitFor(() => ldkEvents(ldkNode, ldk.Event_PaymentClaimable).some((e) => toHex(e.payment_hash) === toHex(paymentHash)), 'LDK PaymentClaimable');
  const claimable = ldkEvents(ldkNode, ldk.Event_PaymentClaimable).find((e) => toHex(e.payment_hash) === toHex(paymentHash))!;
  expect(claimable.amount_msat).toBe(amountMsat);
  const preimage = (claimable.purpose.preimage() as ldk.Option_ThirtyTwoBytesZ_Some).some;
  ldkNode.channelManager.claim_funds(preimage);
  await until(() => eventsOf(ours, 'payment-sent').some((e) => toHex(e.paymentId) === toHex(paymentId)), 'our PaymentSent');
  expect(eventsOf(ours, 'payment-sent').find((e) => toHex(e.paymentId) === toHex(paymentId))).toMatchObject({ paymentHash, paymentPreimage: preimage, feePaidMsat: 0n });
  await ldkNode.waitFor(() => ldkEvents(ldkNode, ldk.Event_PaymentClaimed).some((e) => toHex(e.payment_hash) === toHex(paymentHash)), 'LDK PaymentClaimed');
}

/** LDK pays our invoice (parsed by LDK); we claim. */
export async function ldkPaysOurInvoice(peers: ManagerLdkPeers, amountMsat: bigint, id: number): Promise<void> {
  const { ldk: ldkNode, ours } = peers;
  const created = ours.step({ kind: 'create-invoice' }, (m) => m.createBolt11Invoice({ description: `order ${id}`, amountMsat, expirySecs: 3600 }));
  if (!created.ok) throw new Error(created.error.message);
  const decodedByUs = decodeInvoice(wasmSecp256k1, created.value.invoice);
  expect(decodedByUs.ok).toBe(true);
  const parsed = ldk.Bolt11Invoice.constructor_from_str(created.value.invoice);
  if (!(parsed instanceof ldk.Result_Bolt11InvoiceParseOrSemanticErrorZ_OK)) throw new Error('LDK could not parse our invoice');
  const params = ldk.UtilMethods.constructor_payment_parameters_from_invoice(parsed.res);
  if (!(params instanceof ldk.Result_C3Tuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZNoneZ_OK)) throw new Error('LDK payment parameters');
  const [hash, onion, route] = [params.res.get_a(), params.res.get_b(), params.res.get_c()];
  expect(hash).toEqual(created.value.paymentHash);
  expect(ldkNode.channelManager.send_payment(hash, onion, new Uint8Array(32).fill(id), route, ldk.Retry.constructor_attempts(0)).is_ok()).toBeTruthy();
  await until(() => eventsOf(ours, 'payment-claimable').some((e) => toHex(e.paymentHash) === toHex(hash)), 'our PaymentClaimable');
  const claimable = eventsOf(ours, 'payment-claimable').find((e) => toHex(e.paymentHash) === toHex(hash))!;
  expect(claimable).toMatchObject({ amountMsat, purpose: 'invoice' });
  expect(ours.step({ kind: 'claim-funds', paymentHash: hash }, (m) => m.claimFunds(claimable.paymentPreimage!)).ok).toBe(true);
  await ldkNode.waitFor(() => ldkEvents(ldkNode, ldk.Event_PaymentSent).some((e) => toHex(e.payment_hash) === toHex(hash)), 'LDK PaymentSent');
  expect(eventsOf(ours, 'payment-claimed').some((e) => toHex(e.paymentHash) === toHex(hash))).toBe(true);
}
