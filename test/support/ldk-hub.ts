/**
 * Test support: one of our nodes in the middle of two real LDK 0.1 nodes
 * (a payer and a payee, test/support/manager-hub.ts), over TCP on
 * 127.0.0.1, on the embedded regtest chain: the payer opens a channel to
 * us, we open one to the payee, both confirmed on all three; the payee
 * holds our `channel_update` (its invoices hint through us). Shared by the
 * forwarding tests with LDK (docs/forwarding.md, "Tests").
 */
import * as ldk from 'lightningdevkit';
import { expect } from 'vitest';
import { equalBytes } from '../../shared/codec/index.js';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import type { UpdateAddHtlcMessage, UpdateFailHtlcMessage } from '../../shared/wire/index.js';
import type { FundingGenerationReady } from '../../shared/channel/index.js';
import type { ChannelDetails, ForwardingConfig } from '../../shared/manager/index.js';
import { parseTransaction } from '../../shared/tx/index.js';
import type { RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { testNode } from './channel-harness.js';
import { startLdkNode, type LdkNode } from './ldk-node.js';
import { ManagerHub } from './manager-hub.js';
import { readOurFailure, type OurFailure } from './onion-failure.js';
import { InteropChannelType, concatBlock, ldkEvents, ourConfigFor } from './manager-ldk.js';
import { fundingFromFaucet, postToChain, until } from './regtest-harness.js';

export interface LdkHubOptions {
  /** Our node's label (its keys). */
  readonly label: string;
  /** The payer's and the payee's seed bytes (distinct LDK node ids per test). */
  readonly payerSeed: number;
  readonly payeeSeed: number;
  /** `minimum_depth` everyone asks for. */
  readonly depth: number;
  /** The payer's channel to us (LDK funds it). */
  readonly payerChannelSat: bigint;
  /** Our channel to the payee (we fund it). */
  readonly payeeChannelSat: bigint;
  /** Pushed to the payee at the opening (0 when absent): a payee above its reserve has an exact balance to compare. */
  readonly payeePushMsat?: bigint;
  /** Our forwarding policy at the start; LDK's defaults when absent. */
  readonly ourForwarding?: ForwardingConfig;
}

/** Our node between the payer and the payee, both channels usable. */
export interface LdkHub {
  readonly ours: ManagerHub;
  readonly payer: LdkNode;
  readonly payee: LdkNode;
  readonly ourId: Uint8Array;
  /** The payer's and the payee's listening ports (to dial them again). */
  readonly payerPort: number;
  readonly payeePort: number;
}

/** Starts both LDK nodes and ours, opens and confirms both channels, waits until the payee holds our policy. */
export async function startLdkHub(chain: RunningRegtestChain, options: LdkHubOptions): Promise<LdkHub> {
  const { depth } = options;
  const payer = await startLdkNode(new Uint8Array(32).fill(options.payerSeed), { minimumDepth: depth });
  const payee = await startLdkNode(new Uint8Array(32).fill(options.payeeSeed), { minimumDepth: depth });
  const tip = chain.chain.tip();
  for (const n of [payer, payee]) n.bestBlockUpdated(tip.header, tip.height);
  const config = ourConfigFor(InteropChannelType.StaticRemoteKey, depth);
  const bestBlock = { height: tip.height, hash: fromHex(chain.chain.blockAt(tip.height)!.hash).reverse() };
  const ours = new ManagerHub(testNode(options.label), bestBlock, options.ourForwarding === undefined ? config : { ...config, forwarding: options.ourForwarding });
  const post = (tx: Uint8Array) => void postToChain(chain, '/tx', toHex(tx));
  ours.onBroadcast = post;
  payer.onBroadcast = post;
  const hub = { ours, payer, payee, ourId: ours.node.keys.getNodeId(), payerPort: await payer.listen(0), payeePort: await payee.listen(0) };
  try {
    await openBoth(chain, hub, options);
  } catch (e) {
    await stopLdkHub(hub);
    throw e;
  }
  return hub;
}

/** The payer's channel to us and ours to the payee, funded, confirmed, usable on all three. */
async function openBoth(chain: RunningRegtestChain, hub: LdkHub, options: LdkHubOptions): Promise<void> {
  const { ours, payer, payee, ourId } = hub;
  const { depth } = options;
  ours.dial('127.0.0.1', hub.payerPort, payer.nodeId);
  ours.dial('127.0.0.1', hub.payeePort, payee.nodeId);
  await until(() => ours.isReady(payer.nodeId) && ours.isReady(payee.nodeId), 'both LDK inits');

  expect(payer.channelManager.create_channel(ourId, options.payerChannelSat, 0n, 7n, null, null).is_ok()).toBeTruthy();
  await payer.waitFor(() => ldkEvents(payer, ldk.Event_FundingGenerationReady).length === 1, 'payer FundingGenerationReady');
  const gen = ldkEvents(payer, ldk.Event_FundingGenerationReady)[0]!;
  const payerTx = fundingFromFaucet(chain, `${options.label} payer`, gen.output_script, gen.channel_value_satoshis);
  expect(payer.channelManager.funding_transaction_generated(gen.temporary_channel_id, gen.counterparty_node_id, payerTx).is_ok()).toBeTruthy();
  await payer.waitFor(() => payer.broadcasts.length === 1, 'payer funding broadcast');

  const created = ours.step({ kind: 'create-channel' }, (m) => m.createChannel(payee.nodeId, options.payeeChannelSat, options.payeePushMsat ?? 0n, 1n));
  if (!created.ok) throw new Error(created.error.message);
  await payee.waitFor(() => ours.events.some((e) => e.event.kind === 'funding-generation-ready'), 'our FundingGenerationReady');
  const ready = ours.events.map((e) => e.event).find((e): e is FundingGenerationReady => e.kind === 'funding-generation-ready')!;
  const ourTx = fundingFromFaucet(chain, `${options.label} ours`, ready.outputScript, ready.channelValueSatoshis);
  expect(ours.step({ kind: 'funding-transaction-generated', temporaryChannelId: ready.temporaryChannelId }, (m) => m.fundingTransactionGenerated(ready.temporaryChannelId, ourTx)).ok).toBe(true);
  await payee.waitFor(() => ours.channels().filter((c) => c.state === 'awaiting-confirmation').length === 2, 'both channels funded');
  const txids = [parseTransaction(payerTx)!.getId(), parseTransaction(ourTx)!.getId()];
  // Both funding transactions by txid (the faucet's own transactions wait in the mempool too).
  await until(() => txids.every((id) => chain.chain.mempool().some((e) => e.txid === id)), 'both fundings in the mempool');
  const from = chain.chain.tip().height + 1;
  await postToChain(chain, '/regtest/mine', JSON.stringify({ blocks: depth }));
  for (let h = from; h <= chain.chain.tip().height; h++) {
    const block = chain.chain.blockAt(h)!;
    const confirmed = block.txids.map((id, i) => [id, i] as const).filter(([id]) => txids.includes(id));
    for (const n of [payer, payee]) {
      if (confirmed.length > 0) n.transactionsConfirmed(block.header, confirmed.map(([, i]) => [i, block.transactions[i]!.toBuffer()] as const), h);
      n.bestBlockUpdated(block.header, h);
    }
    ours.step({ kind: 'chain' }, (m) => m.blockConnected(concatBlock(block.header, block.transactions.map((t) => t.toBuffer())), h));
  }
  await payer.waitFor(() => payer.channelManager.list_usable_channels().length === 1, 'payer channel usable', 30_000);
  await payee.waitFor(() => payee.channelManager.list_usable_channels().length === 1 && payee.channelManager.list_channels()[0]!.get_counterparty().get_forwarding_info() !== null, 'payee channel usable, our policy known', 30_000);
  await until(() => ours.channels().every((c) => c.isUsable), 'ours usable');
}

/** Closes our connections and stops both LDK nodes. */
export async function stopLdkHub(hub: LdkHub): Promise<void> {
  hub.ours.close();
  await hub.payer.stop();
  await hub.payee.stop();
}

/** The payee's BOLT 11 invoice for `amountMsat` (its route hint through us carries the policy it holds of ours). */
export function invoiceOf(payee: LdkNode, amountMsat: bigint): ldk.Bolt11Invoice {
  const made = payee.channelManager.create_bolt11_invoice(
    ldk.Option_u64Z.constructor_some(amountMsat),
    ldk.Bolt11InvoiceDescription.constructor_direct((ldk.Description.constructor_new('via us') as ldk.Result_DescriptionCreationErrorZ_OK).res),
    ldk.Option_u32Z.constructor_some(600),
    ldk.Option_u16Z.constructor_none(),
    ldk.Option_ThirtyTwoBytesZ.constructor_none(),
  ) as ldk.Result_Bolt11InvoiceSignOrCreationErrorZ_OK;
  return made.res;
}

/** The payer pays `invoice` (payment id: 32 bytes of `id`), retrying up to `attempts` more times on failure. */
export function payInvoice(payer: LdkNode, invoice: ldk.Bolt11Invoice, id: number, attempts = 0): void {
  const params = ldk.UtilMethods.constructor_payment_parameters_from_invoice(invoice) as ldk.Result_C3Tuple_ThirtyTwoBytesRecipientOnionFieldsRouteParametersZNoneZ_OK;
  const sent = payer.channelManager.send_payment(params.res.get_a(), params.res.get_b(), new Uint8Array(32).fill(id), params.res.get_c(), ldk.Retry.constructor_attempts(attempts));
  expect(sent.is_ok()).toBeTruthy();
}

/** LDK's end of its only channel, msat: what it could send plus the reserve it must keep (exact once its balance is above the reserve). */
export function ldkBalanceMsat(node: LdkNode): bigint {
  const channel = node.channelManager.list_channels()[0]!;
  const reserve = channel.get_unspendable_punishment_reserve();
  return channel.get_outbound_capacity_msat() + (reserve instanceof ldk.Option_u64Z_Some ? reserve.some * 1000n : 0n);
}

/** The four channel ends, msat: the payer's, ours with the payer, ours with the payee, the payee's. */
export interface FourEnds {
  readonly payer: bigint;
  readonly oursWithPayer: bigint;
  readonly oursWithPayee: bigint;
  readonly payee: bigint;
}

export function fourEnds(hub: LdkHub): FourEnds {
  const byPeer = new Map(hub.ours.channels().map((c) => [toHex(c.counterpartyNodeId), c.balanceMsat] as const));
  return { payer: ldkBalanceMsat(hub.payer), oursWithPayer: byPeer.get(toHex(hub.payer.nodeId))!, oursWithPayee: byPeer.get(toHex(hub.payee.nodeId))!, payee: ldkBalanceMsat(hub.payee) };
}

/** `before` after `amountMsat` went from the payer to the payee through us for `feeMsat`. */
export function afterForward(before: FourEnds, amountMsat: bigint, feeMsat: bigint): FourEnds {
  return {
    payer: before.payer - amountMsat - feeMsat,
    oursWithPayer: before.oursWithPayer + amountMsat + feeMsat,
    oursWithPayee: before.oursWithPayee - amountMsat,
    payee: before.payee + amountMsat,
  };
}

/**
 * The payee's connection to us ends and is made again: the reestablish
 * carries our `channel_update` with the policy in force now (how peers
 * learn a changed policy: docs/forwarding.md); resolves once the payee
 * holds `policy` and both sides list the channel usable again.
 */
export async function reconnectPayee(hub: LdkHub, policy: ForwardingConfig): Promise<void> {
  const { ours, payee } = hub;
  ours.disconnect(payee.nodeId);
  await redial(hub, payee);
  await payee.waitFor(() => {
    const channel = payee.channelManager.list_usable_channels()[0];
    const info = channel?.get_counterparty().get_forwarding_info();
    return (
      info !== undefined &&
      info !== null &&
      info.get_fee_base_msat() === policy.feeBaseMsat &&
      info.get_fee_proportional_millionths() === policy.feeProportionalMillionths &&
      info.get_cltv_expiry_delta() === policy.cltvExpiryDelta
    );
  }, 'the payee to hold our new policy');
  await until(() => ours.channels().every((c) => c.isUsable), 'ours usable again');
}

/** Once `node` (the payer or the payee) has seen our connection gone, we dial it again; resolves when its `init` arrived. */
export async function redial(hub: LdkHub, node: LdkNode): Promise<void> {
  const { ours, ourId } = hub;
  await node.waitFor(() => !node.peers().some((p) => toHex(p.nodeId) === toHex(ourId)), 'LDK to see us gone');
  ours.dial('127.0.0.1', node === hub.payer ? hub.payerPort : hub.payeePort, node.nodeId);
  await until(() => ours.isReady(node.nodeId), 'LDK init again');
}

/** Our view of the channel with `node` (the payer or the payee). */
export function ourChannelWith(hub: LdkHub, node: LdkNode): ChannelDetails {
  const found = hub.ours.channels().find((c) => equalBytes(c.counterpartyNodeId, node.nodeId));
  if (found === undefined) throw new Error('no channel with this peer');
  return found;
}

/**
 * Both ends of the channel with `node` agree to the msat, seen from LDK's
 * `ChannelDetails` and from ours (docs/balances.md): the largest HTLC LDK
 * can send us is our next inbound limit; LDK's inbound capacity is our
 * balance before the commitment fee (when we pay it) less the reserve LDK
 * requires of us (none below it); the HTLCs in flight are the same (amount, hash).
 */
export function expectLdkAgrees(hub: LdkHub, node: LdkNode): void {
  const mine = ourChannelWith(hub, node);
  const theirs = node.channelManager.list_channels()[0]!;
  expect(mine.nextInboundHtlcLimitMsat).toBe(theirs.get_next_outbound_htlc_limit_msat());
  const inFlightMsat = mine.pendingHtlcs.reduce((s, h) => s + h.amountMsat, 0n);
  const feeMsat = mine.channelValueSatoshis * 1000n - mine.localBalanceMsat - mine.remoteBalanceMsat - inFlightMsat;
  const aboveReserveMsat = mine.localBalanceMsat + (mine.isOutbound ? feeMsat : 0n) - mine.unspendablePunishmentReserveSatoshis! * 1000n;
  expect(theirs.get_inbound_capacity_msat()).toBe(aboveReserveMsat > 0n ? aboveReserveMsat : 0n);
  const ldkHtlcs = [...theirs.get_pending_outbound_htlcs(), ...theirs.get_pending_inbound_htlcs()].map((h) => `${h.get_amount_msat()}:${toHex(h.get_payment_hash())}`);
  expect(mine.pendingHtlcs.map((h) => `${h.amountMsat}:${toHex(h.paymentHash)}`).sort()).toEqual(ldkHtlcs.sort());
}

/**
 * The failure we sent back for the payer's HTLC of `paymentHash`: its
 * `update_add_htlc` from the wire and our `update_fail_htlc` for it, read
 * as the payer reads it (test/support/onion-failure.ts).
 */
export function ourFailureFor(hub: LdkHub, paymentHash: Uint8Array): OurFailure {
  const add = hub.ours.received.map((r) => r.message).find((m): m is UpdateAddHtlcMessage => m.type === 128 && equalBytes(m.paymentHash, paymentHash));
  if (add === undefined) throw new Error('no update_add_htlc for this payment');
  const fail = hub.ours.sent.map((s) => s.message).find((m): m is UpdateFailHtlcMessage => m.type === 131 && equalBytes(m.channelId, add.channelId) && m.id === add.id);
  if (fail === undefined) throw new Error('no update_fail_htlc for this HTLC');
  return readOurFailure(hub.ours.ports.nodeSigner, add, fail);
}
