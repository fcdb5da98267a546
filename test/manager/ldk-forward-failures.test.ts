/**
 * Issue 18: forwards we refuse, between two real LDK 0.1 nodes (payer →
 * us → payee, test/support/ldk-hub.ts), and 20 forwards at once.
 *
 * A refusal goes back to the payer as the BOLT 4 failure it should be,
 * with our `channel_update` in it (read from the wire: the payer's onion
 * peeled with our key, our `update_fail_htlc` decrypted as the payer does:
 * the policy in force now, for the channel the payer named, signed by us). LDK 0.1 does not apply a
 * `channel_update` from a failure to its graph (onion_utils.rs: an UPDATE
 * failure with a well-formed update field blames the next channel for the
 * moment, `NetworkUpdate::ChannelFailure { is_permanent: false }`; one
 * without blames our node for good) and its retry avoids the channel it
 * blamed: with only the payee's route hint through us, the retry finds no
 * route and the payment fails. So each refusal is checked from both sides
 * (our log names the failure; LDK's log names the code it read from us, its
 * `PaymentPathFailed` blames our channel to the payee, not our node;
 * nothing moved), then the payee learns our new policy (our update on the
 * reconnection) and the payer pays its new invoice with our new fee, to
 * the msat on all four channel ends.
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { decodeInvoice } from '../../shared/invoice/index.js';
import { forwardingConfigOf, type ForwardingConfig } from '../../shared/manager/index.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { afterForward, fourEnds, invoiceOf, ourFailureFor, payInvoice, reconnectPayee, startLdkHub, stopLdkHub, type LdkHub } from '../support/ldk-hub.js';
import { ldkEvents } from '../support/manager-ldk.js';
import { until } from '../support/regtest-harness.js';

const DEPTH = 3;
/** The payer's channel to us: our in-flight limit on it is 10%, 100,000,000 msat. */
const PAYER_CHANNEL_SAT = 1_000_000n;
/** Our channel to the payee: the payee's in-flight limit on it (10%) is our `htlc_maximum_msat`, 60,000,000 msat. */
const PAYEE_CHANNEL_SAT = 600_000n;

let chain: RunningRegtestChain;
let hub: LdkHub;
beforeAll(async () => {
  chain = await startRegtestChain({ port: 0, dataDir: undefined });
  hub = await startLdkHub(chain, {
    label: 'forward-failures-hub',
    payerSeed: 193,
    payeeSeed: 194,
    depth: DEPTH,
    payerChannelSat: PAYER_CHANNEL_SAT,
    payeeChannelSat: PAYEE_CHANNEL_SAT,
    // Above the payee's reserve (6,000 sat) from the start: its balance is exact to compare.
    payeePushMsat: 10_000_000n,
  });
}, 120_000);
afterAll(async () => {
  if (hub !== undefined) await stopLdkHub(hub);
  await chain.stop();
});

/** Our policy in force now. */
function ourPolicy(): ForwardingConfig {
  return forwardingConfigOf(hub.ours.config);
}

/** Our policy changes (as a redeployed setting); the payee still holds the old one. */
function changePolicy(change: Partial<ForwardingConfig>): ForwardingConfig {
  hub.ours.config = { ...hub.ours.config, forwarding: { ...ourPolicy(), ...change } };
  return ourPolicy();
}

/** Our fee on `amountMsat` out under `policy`. */
function feeOf(policy: ForwardingConfig, amountMsat: bigint): bigint {
  return BigInt(policy.feeBaseMsat) + (amountMsat * BigInt(policy.feeProportionalMillionths)) / 1_000_000n;
}

/** The short channel id of the payee's route hint through us (what the payer's path names for our channel to the payee). */
function hintScid(invoice: ldk.Bolt11Invoice): bigint {
  const decoded = decodeInvoice(wasmSecp256k1, invoice.to_str());
  if (!decoded.ok) throw decoded.error;
  return decoded.value.routeHints[0]![0]!.shortChannelId;
}

/** Our log lines of refused forwards. */
function refusals(): string[] {
  return hub.ours.logs.filter((l) => l.includes('failed back: '));
}

/**
 * The payer pays `invoice` with retries; we refuse it with `failure` (our
 * name) and LDK reads `ldkName`; the payment fails without moving a msat,
 * after one path through us (`settle`: false when other HTLCs stay on
 * our channels, the balances checked by the caller).
 */
async function refused(invoice: ldk.Bolt11Invoice, id: number, failure: string, ldkName: string, options: { settle?: boolean } = {}): Promise<void> {
  const { payer } = hub;
  const before = fourEnds(hub);
  const refusedBefore = refusals().length;
  const hash = toHex(invoice.payment_hash());
  payInvoice(payer, invoice, id, 3);
  await payer.waitFor(() => ldkEvents(payer, ldk.Event_PaymentFailed).some((e) => toHex(e.payment_id) === toHex(new Uint8Array(32).fill(id))), 'payer PaymentFailed');
  // Ours: exactly one refusal, of this failure, with our update in force now (the new policy), for the channel the payer named, enabled, signed by us.
  expect(refusals().slice(refusedBefore)).toHaveLength(1);
  expect(refusals().at(-1)).toContain(`failed back: ${failure}: `);
  const scid = hintScid(invoice);
  const sent = ourFailureFor(hub, invoice.payment_hash());
  expect(sent.failure.name).toBe(failure);
  const policy = ourPolicy();
  expect(sent.update).toMatchObject({ shortChannelId: scid, feeBaseMsat: policy.feeBaseMsat, feeProportionalMillionths: policy.feeProportionalMillionths, cltvExpiryDelta: policy.cltvExpiryDelta, htlcMaximumMsat: 60_000_000n });
  expect(sent.update!.channelFlags & 2).toBe(0);
  expect(sent.updateSignedByUs).toBe(true);
  // LDK's: it decoded our failure's code, blamed our channel to the payee for now (the update field well formed), and did not go through us again.
  const paths = ldkEvents(payer, ldk.Event_PaymentPathFailed).filter((e) => toHex(e.payment_hash) === hash);
  expect(paths).toHaveLength(1);
  const path = paths[0]!;
  expect(Boolean(path.payment_failed_permanently)).toBe(false);
  expect(BigInt.asUintN(64, (path.short_channel_id as ldk.Option_u64Z_Some).some)).toBe(scid);
  const update = ((path.failure as ldk.PathFailure_OnPath).network_update as ldk.Option_NetworkUpdateZ_Some).some;
  expect(update).toBeInstanceOf(ldk.NetworkUpdate_ChannelFailure);
  expect(BigInt.asUintN(64, (update as ldk.NetworkUpdate_ChannelFailure).short_channel_id)).toBe(scid);
  expect(Boolean((update as ldk.NetworkUpdate_ChannelFailure).is_permanent)).toBe(false);
  expect(payer.log.some((l) => l.includes(`Onion Error[from ${toHex(hub.ourId)}: ${ldkName}`))).toBe(true);
  if (options.settle === false) return;
  await until(() => hub.ours.channels().every((c) => c.pendingHtlcs.length === 0), 'our HTLCs settled');
  expect(fourEnds(hub)).toEqual(before);
}

/** The payer pays the payee's fresh invoice (hinting `policy`) through us: our fee under `policy`, to the msat on all four ends. */
async function paysThrough(policy: ForwardingConfig, amountMsat: bigint, id: number): Promise<void> {
  const { ours, payer, payee } = hub;
  const before = fourEnds(hub);
  const forwardedBefore = ours.eventsOf('payment-forwarded').length;
  const invoice = invoiceOf(payee, amountMsat);
  const decoded = decodeInvoice(wasmSecp256k1, invoice.to_str());
  if (!decoded.ok) throw decoded.error;
  expect(decoded.value.routeHints[0]![0]).toMatchObject({ pubkey: hub.ourId, feeBaseMsat: BigInt(policy.feeBaseMsat), feeProportionalMillionths: policy.feeProportionalMillionths, cltvExpiryDelta: policy.cltvExpiryDelta });
  const hash = toHex(invoice.payment_hash());
  payInvoice(payer, invoice, id);
  await payee.waitFor(() => ldkEvents(payee, ldk.Event_PaymentClaimable).some((e) => toHex(e.payment_hash) === hash), 'payee PaymentClaimable');
  const claimable = ldkEvents(payee, ldk.Event_PaymentClaimable).find((e) => toHex(e.payment_hash) === hash)!;
  expect(claimable.amount_msat).toBe(amountMsat);
  payee.channelManager.claim_funds((claimable.purpose.preimage() as ldk.Option_ThirtyTwoBytesZ_Some).some);
  await payer.waitFor(() => ldkEvents(payer, ldk.Event_PaymentSent).some((e) => toHex(e.payment_hash) === hash), 'payer PaymentSent');
  const fee = feeOf(policy, amountMsat);
  expect((ldkEvents(payer, ldk.Event_PaymentSent).find((e) => toHex(e.payment_hash) === hash)!.fee_paid_msat as ldk.Option_u64Z_Some).some).toBe(fee);
  await until(() => ours.eventsOf('payment-forwarded').length === forwardedBefore + 1 && ours.channels().every((c) => c.pendingHtlcs.length === 0), 'our PaymentForwarded, HTLCs settled');
  expect(ours.eventsOf('payment-forwarded').at(-1)).toMatchObject({ amountMsat, feeMsat: fee });
  await payer.waitFor(() => payer.channelManager.list_channels()[0]!.get_pending_outbound_htlcs().length === 0, 'the payer settled');
  await payee.waitFor(() => payee.channelManager.list_channels()[0]!.get_pending_inbound_htlcs().length === 0, 'the payee settled');
  expect(fourEnds(hub)).toEqual(afterForward(before, amountMsat, fee));
}

describe('forwards we refuse, between two real LDK nodes', () => {
  it('a fee below ours (the payee holds our old update): fee_insufficient with our update, nothing moves; once the payee has our update, our new fee to the msat', async () => {
    const stale = invoiceOf(hub.payee, 10_000_000n);
    const policy = changePolicy({ feeBaseMsat: 2_000, feeProportionalMillionths: 100 });
    await refused(stale, 11, 'feeInsufficient', 'fee_insufficient');
    await reconnectPayee(hub, policy);
    await paysThrough(policy, 10_000_000n, 12);
  }, 120_000);

  it('a CLTV delta below ours: incorrect_cltv_expiry with our update, nothing moves; then paid with our new delta', async () => {
    const stale = invoiceOf(hub.payee, 10_000_000n);
    const policy = changePolicy({ cltvExpiryDelta: 100 });
    await refused(stale, 21, 'incorrectCltvExpiry', 'incorrect_cltv_expiry');
    await reconnectPayee(hub, policy);
    await paysThrough(policy, 10_000_000n, 22);
  }, 120_000);

  it('more than our channel to the payee carries now: temporary_channel_failure with our update, the payment fails, nothing moves', async () => {
    const { ours, payee } = hub;
    const before = fourEnds(hub);
    // Our own payment of 40,000,000 msat to the payee, held by it: the payee's in-flight limit (60,000,000 msat) leaves 20,000,000.
    const inbound = payee.channelManager.create_inbound_payment(ldk.Option_u64Z.constructor_some(40_000_000n), 3600, ldk.Option_u16Z.constructor_none()) as ldk.Result_C2Tuple_ThirtyTwoBytesThirtyTwoBytesZNoneZ_OK;
    const [paymentHash, paymentSecret] = [inbound.res.get_a(), inbound.res.get_b()];
    const paymentId = new Uint8Array(32).fill(30);
    const sent = ours.step({ kind: 'send-payment', paymentId, paymentHash, payeeNodeId: payee.nodeId }, (m) =>
      m.sendPayment({ paymentId, paymentHash, payeeNodeId: payee.nodeId, amountMsat: 40_000_000n, finalCltvExpiryDelta: 30, recipient: { paymentSecret, totalMsat: 40_000_000n }, retry: { attempts: 0 } }),
    );
    expect(sent).toEqual({ ok: true, value: undefined });
    await payee.waitFor(() => ldkEvents(payee, ldk.Event_PaymentClaimable).some((e) => toHex(e.payment_hash) === toHex(paymentHash)), 'payee holds our payment');
    // 30,000,000 msat: under our htlc_maximum_msat (the payer's router keeps to it), over what the channel carries now.
    await refused(invoiceOf(payee, 30_000_000n), 31, 'temporaryChannelFailure', 'temporary_channel_failure', { settle: false });
    expect(refusals().at(-1)).toContain('the next channel refused it');
    payee.channelManager.fail_htlc_backwards(paymentHash);
    await until(() => ours.eventsOf('payment-failed').some((e) => toHex(e.paymentId) === toHex(paymentId)), 'our payment failed back');
    await until(() => ours.channels().every((c) => c.pendingHtlcs.length === 0), 'our HTLCs settled');
    await payee.waitFor(() => payee.channelManager.list_channels()[0]!.get_pending_inbound_htlcs().length === 0, 'the payee settled');
    expect(fourEnds(hub)).toEqual(before);
  }, 120_000);

  it('20 forwards at once: all settle, exactly 20 fees, balances to the msat', async () => {
    const { ours, payer, payee } = hub;
    const policy = ourPolicy();
    const before = fourEnds(hub);
    const forwardedBefore = ours.eventsOf('payment-forwarded').length;
    // 2,500 sat each: above LDK's dust-exposure threshold at 253 sat/kW; 50,000,000 msat in flight at most, under the payee's 60,000,000.
    const amountMsat = 2_500_000n;
    const invoices = Array.from({ length: 20 }, () => invoiceOf(payee, amountMsat));
    const hashes = new Set(invoices.map((i) => toHex(i.payment_hash())));
    invoices.forEach((invoice, i) => payInvoice(payer, invoice, 100 + i));
    const claimed = new Set<string>();
    await payee.waitFor(() => {
      for (const e of ldkEvents(payee, ldk.Event_PaymentClaimable)) {
        const hash = toHex(e.payment_hash);
        if (!hashes.has(hash) || claimed.has(hash)) continue;
        expect(e.amount_msat).toBe(amountMsat);
        payee.channelManager.claim_funds((e.purpose.preimage() as ldk.Option_ThirtyTwoBytesZ_Some).some);
        claimed.add(hash);
      }
      return claimed.size === 20;
    }, 'the payee to claim all 20', 60_000);
    await payer.waitFor(() => ldkEvents(payer, ldk.Event_PaymentSent).filter((e) => hashes.has(toHex(e.payment_hash))).length === 20, 'payer PaymentSent x20', 60_000);
    const fee = feeOf(policy, amountMsat);
    for (const sent of ldkEvents(payer, ldk.Event_PaymentSent).filter((e) => hashes.has(toHex(e.payment_hash)))) expect((sent.fee_paid_msat as ldk.Option_u64Z_Some).some).toBe(fee);
    await until(() => ours.eventsOf('payment-forwarded').length === forwardedBefore + 20 && ours.channels().every((c) => c.pendingHtlcs.length === 0), 'our 20 PaymentForwarded, HTLCs settled', 60_000);
    const forwarded = ours.eventsOf('payment-forwarded').slice(forwardedBefore);
    expect(forwarded.every((e) => e.amountMsat === amountMsat && e.feeMsat === fee)).toBe(true);
    expect(forwarded.reduce((s, e) => s + e.feeMsat, 0n)).toBe(20n * fee);
    expect(ldkEvents(payer, ldk.Event_PaymentPathFailed).filter((e) => hashes.has(toHex(e.payment_hash)))).toEqual([]);
    await payer.waitFor(() => payer.channelManager.list_channels()[0]!.get_pending_outbound_htlcs().length === 0, 'the payer settled');
    await payee.waitFor(() => payee.channelManager.list_channels()[0]!.get_pending_inbound_htlcs().length === 0, 'the payee settled');
    expect(fourEnds(hub)).toEqual(afterForward(before, 20n * amountMsat, 20n * fee));
  }, 120_000);
});
