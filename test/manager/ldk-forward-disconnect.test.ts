/**
 * Issues 15 and 18: a forward between two real LDK 0.1 nodes (payer → us →
 * payee over TCP, test/support/ldk-hub.ts) with a fault at each message of
 * both commitment dances, one position per forward: the payer's HTLC to us
 * (`update_add_htlc`, `commitment_signed`, `revoke_and_ack`), ours to the
 * payee, the payee's `update_fulfill_htlc` and its dance, our fulfill to the
 * payer and its dance. A position is the k-th dance message our node
 * received (the fault right after it was applied) or sent (the fault right
 * before it leaves: the message is lost); in a third run, the k-th message
 * received, as it arrives (lost: the fault comes before our node applies
 * it). The fault is either
 *
 * - a disconnect of that peer (the manager hears `peer-disconnected`), or
 * - a restart of our node: both connections end without the manager
 *   hearing of it, and our stored items are read back into new objects
 *   (`ManagerHub.restart`).
 *
 * We dial again and the channels are reestablished (BOLT 2 retransmission).
 * Afterwards the forward completed exactly once: the payer's `PaymentSent`
 * with the payee's preimage and our fee, the payee's `PaymentClaimed`, one
 * `payment-forwarded` of ours with that fee, nothing in flight, no channel
 * closed, and all four channel ends moved by exactly amount + fee and agree
 * with LDK's `ChannelDetails` to the msat. Then a forward the payee fails,
 * with a disconnect (then a restart) at each message of the fail-back: the payer's payment
 * fails for good, once, nothing moved, no fee. One set of nodes serves
 * every position.
 */
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { equalBytes } from '../../shared/codec/index.js';
import { toHex } from '../../shared/crypto/index.js';
import { forwardingConfigOf, type PeerWireMessage } from '../../shared/manager/index.js';
import { startRegtestChain, type RunningRegtestChain } from '../../infra/local/regtest-chain/index.js';
import { afterForward, expectLdkAgrees, fourEnds, invoiceOf, ourChannelWith, payInvoice, redial, startLdkHub, stopLdkHub, type LdkHub } from '../support/ldk-hub.js';
import type { LdkNode } from '../support/ldk-node.js';
import type { MessageMoment } from '../support/manager-hub.js';
import { ldkEvents } from '../support/manager-ldk.js';
import { until } from '../support/raw-peer.js';

const DEPTH = 3;
const AMOUNT_MSAT = 5_000_000n;
/** The dance messages, by type. */
const DANCE: ReadonlyMap<number, string> = new Map([
  [128, 'update_add_htlc'],
  [130, 'update_fulfill_htlc'],
  [131, 'update_fail_htlc'],
  [132, 'commitment_signed'],
  [133, 'revoke_and_ack'],
  [135, 'update_fail_malformed_htlc'],
]);

type Fault = 'disconnect' | 'restart';

/** The positions a run counts: after each message in was applied and before each one out leaves, or as each one in arrives (lost). */
const APPLIED_OR_LEAVING: ReadonlySet<MessageMoment> = new Set(['applied', 'leaving']);
const ARRIVING: ReadonlySet<MessageMoment> = new Set(['arriving']);
const LABEL: Record<MessageMoment, string> = { applied: 'from', leaving: 'to', arriving: 'lost from' };

let chain: RunningRegtestChain;
let hub: LdkHub;
beforeAll(async () => {
  chain = await startRegtestChain({ port: 0, dataDir: undefined });
  hub = await startLdkHub(chain, {
    label: 'forward-disconnect-hub',
    payerSeed: 195,
    payeeSeed: 196,
    depth: DEPTH,
    payerChannelSat: 1_000_000n,
    payeeChannelSat: 600_000n,
    // Above the payee's reserve (6,000 sat) from the start: its balance is exact to compare.
    payeePushMsat: 10_000_000n,
  });
}, 120_000);
afterAll(async () => {
  if (hub !== undefined) await stopLdkHub(hub);
  await chain.stop();
});

/** A fault armed at the k-th dance message from now on: where it fired, and the peers to dial again. */
interface Armed {
  position: string | undefined;
  readonly redial: LdkNode[];
}

function nameOf(node: Uint8Array): string {
  return equalBytes(node, hub.payer.nodeId) ? 'payer' : 'payee';
}

/** Arms `fault` at the k-th dance message at one of `moments` from now on (into `armed`, a new one when absent). */
function arm(k: number, fault: Fault, moments: ReadonlySet<MessageMoment>, armed: Armed = { position: undefined, redial: [] }): Armed {
  let seen = 0;
  hub.ours.onChannelMessage = (peer: Uint8Array, message: PeerWireMessage, moment: MessageMoment) => {
    const name = DANCE.get(message.type);
    if (armed.position !== undefined || name === undefined || !moments.has(moment) || ++seen !== k) return;
    armed.position = `${LABEL[moment]} the ${nameOf(peer)}: ${name}`;
    if (fault === 'disconnect') {
      hub.ours.disconnect(peer);
      armed.redial.push(equalBytes(peer, hub.payer.nodeId) ? hub.payer : hub.payee);
    } else {
      hub.ours.restart();
      // The payee first: a forward decided while the channel to the payee is not reestablished yet fails back
      // (temporary_channel_failure, as LDK's `can_forward_htlc` does for a channel not live).
      armed.redial.push(hub.payee, hub.payer);
    }
  };
  return armed;
}

/** LDK's one channel of `node` usable, nothing in flight. */
function ldkIdle(node: LdkNode): boolean {
  const channel = node.channelManager.list_channels()[0];
  return channel !== undefined && node.channelManager.list_usable_channels().length === 1 && channel.get_pending_inbound_htlcs().length + channel.get_pending_outbound_htlcs().length === 0;
}

/** Until `done` and every channel end at rest, dialing again after the fault and calling `onClaimable` once the payee holds the payment. */
async function settle(armed: Armed, paymentHash: Uint8Array, onClaimable: (e: ldk.Event_PaymentClaimable) => void, done: () => boolean): Promise<void> {
  const { ours, payer, payee } = hub;
  let redialed = false;
  let held = false;
  await until(async () => {
    if (armed.position !== undefined && !redialed) {
      redialed = true;
      for (const node of armed.redial) {
        await redial(hub, node);
        await until(() => ourChannelWith(hub, node).isUsable, 'the channel reestablished');
      }
    }
    const claimable = ldkEvents(payee, ldk.Event_PaymentClaimable).find((e) => equalBytes(e.payment_hash, paymentHash));
    if (claimable !== undefined && !held) {
      held = true;
      onClaimable(claimable);
    }
    return done() && ldkIdle(payer) && ldkIdle(payee) && ours.channels().every((c) => c.isUsable && c.pendingHtlcs.length === 0);
  }, 'the forward to complete and every dance to rest', 30_000);
}

/** No channel closed on any of the three. */
function expectNoClose(): void {
  expect(ldkEvents(hub.payer, ldk.Event_ChannelClosed)).toEqual([]);
  expect(ldkEvents(hub.payee, ldk.Event_ChannelClosed)).toEqual([]);
  expect(hub.ours.eventsOf('channel-closed')).toEqual([]);
}

/**
 * One forward per position k = 1, 2, ... with `fault` at the k-th dance
 * message, until a forward's dance ends before its k-th message; returns
 * the positions where a fault fired.
 */
async function forwardsWithFaults(fault: Fault, moments: ReadonlySet<MessageMoment>, firstId: number): Promise<string[]> {
  const { ours, payer, payee } = hub;
  const policy = forwardingConfigOf(ours.config);
  const feeMsat = BigInt(policy.feeBaseMsat) + (AMOUNT_MSAT * BigInt(policy.feeProportionalMillionths)) / 1_000_000n;
  const positions: string[] = [];
  for (let k = 1; ; k++) {
    const before = fourEnds(hub);
    const forwardedBefore = ours.eventsOf('payment-forwarded').length;
    const invoice = invoiceOf(payee, AMOUNT_MSAT);
    const hash = invoice.payment_hash();
    const ofHash = <T extends { payment_hash: Uint8Array }>(events: T[]) => events.filter((e) => equalBytes(e.payment_hash, hash));
    let preimage: Uint8Array | undefined;
    const armed = arm(k, fault, moments);
    payInvoice(payer, invoice, firstId + k);
    try {
      await settle(
        armed,
        hash,
        (claimable) => {
          expect(claimable.amount_msat).toBe(AMOUNT_MSAT);
          preimage = (claimable.purpose.preimage() as ldk.Option_ThirtyTwoBytesZ_Some).some;
          payee.channelManager.claim_funds(preimage);
        },
        () => ofHash(ldkEvents(payer, ldk.Event_PaymentSent)).length > 0 && ofHash(ldkEvents(payee, ldk.Event_PaymentClaimed)).length > 0 && ours.eventsOf('payment-forwarded').length > forwardedBefore,
      );
    } catch (error) {
      console.log(`${fault} k=${k} at ${armed.position}: ours ${JSON.stringify(ours.channels(), (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? toHex(v) : v))}\n${ours.logs.slice(-20).join('\n')}`);
      throw error;
    }
    ours.onChannelMessage = () => undefined;
    const where = `${fault} at #${k} (${armed.position ?? 'none'})`;
    // Exactly once, with the payee's preimage and our fee; the payee paid once; we forwarded once.
    const sent = ofHash(ldkEvents(payer, ldk.Event_PaymentSent));
    expect(sent, where).toHaveLength(1);
    expect(toHex(sent[0]!.payment_preimage), where).toBe(toHex(preimage!));
    expect((sent[0]!.fee_paid_msat as ldk.Option_u64Z_Some).some, where).toBe(feeMsat);
    expect(ofHash(ldkEvents(payer, ldk.Event_PaymentPathFailed)), where).toEqual([]);
    expect(ofHash(ldkEvents(payee, ldk.Event_PaymentClaimed)).map((e) => e.amount_msat), where).toEqual([AMOUNT_MSAT]);
    expect(ours.eventsOf('payment-forwarded').slice(forwardedBefore), where).toEqual([expect.objectContaining({ amountMsat: AMOUNT_MSAT, feeMsat })]);
    // All four ends moved by exactly the amount and our fee, and each channel's two ends agree with LDK's view.
    expect(fourEnds(hub), where).toEqual(afterForward(before, AMOUNT_MSAT, feeMsat));
    expectLdkAgrees(hub, payer);
    expectLdkAgrees(hub, payee);
    expectNoClose();
    if (armed.position === undefined) return positions;
    positions.push(armed.position);
  }
}

/** The positions both dances of a forward have, each of which must have been a fault point. */
const FORWARD_POSITIONS = [
  'from the payer: update_add_htlc',
  'from the payer: commitment_signed',
  'from the payer: revoke_and_ack',
  'to the payer: revoke_and_ack',
  'to the payer: commitment_signed',
  'to the payee: update_add_htlc',
  'to the payee: commitment_signed',
  'from the payee: revoke_and_ack',
  'from the payee: commitment_signed',
  'to the payee: revoke_and_ack',
  'from the payee: update_fulfill_htlc',
  'to the payer: update_fulfill_htlc',
];

describe('a forward between two real LDK nodes with a fault at each message of both dances', () => {
  it('a disconnect of that peer at each position: every forward completes once, our fee exactly, four ends to the msat', async () => {
    const positions = await forwardsWithFaults('disconnect', APPLIED_OR_LEAVING, 0);
    // Ten messages in, ten out: each was a fault point once.
    expect(positions).toHaveLength(20);
    for (const p of FORWARD_POSITIONS) expect(positions).toContain(p);
  }, 180_000);

  it('a restart of our node at each position: every forward completes once, our fee exactly, four ends to the msat', async () => {
    const positions = await forwardsWithFaults('restart', APPLIED_OR_LEAVING, 100);
    expect(positions).toHaveLength(20);
    for (const p of FORWARD_POSITIONS) expect(positions).toContain(p);
  }, 180_000);

  it('a disconnect as each message of a peer arrives, before our node applies it (lost with the connection): every forward completes once, four ends to the msat', async () => {
    const positions = await forwardsWithFaults('disconnect', ARRIVING, 40);
    // The ten messages in.
    expect(positions).toHaveLength(10);
    for (const p of FORWARD_POSITIONS.filter((p) => p.startsWith('from '))) expect(positions).toContain(`lost ${p}`);
  }, 180_000);

  it.each([
    ['disconnect', 200],
    ['restart', 230],
  ] as const)('the payee fails the forward, a %s at each message of the fail-back: the payer fails once for good, nothing moves, no fee', async (fault, firstId) => {
    const { ours, payer, payee } = hub;
    const positions: string[] = [];
    for (let k = 1; ; k++) {
      const before = fourEnds(hub);
      const forwardedBefore = ours.eventsOf('payment-forwarded').length;
      const invoice = invoiceOf(payee, AMOUNT_MSAT);
      const hash = invoice.payment_hash();
      const paymentId = new Uint8Array(32).fill(firstId + k);
      const armed: Armed = { position: undefined, redial: [] };
      payInvoice(payer, invoice, firstId + k);
      await settle(
        armed,
        hash,
        () => {
          // Counted from the payee's fail: the positions of the fail-back.
          arm(k, fault, APPLIED_OR_LEAVING, armed);
          payee.channelManager.fail_htlc_backwards(hash);
        },
        () => ldkEvents(payer, ldk.Event_PaymentFailed).some((e) => equalBytes(e.payment_id, paymentId)),
      );
      ours.onChannelMessage = () => undefined;
      const where = `${fault} at fail-back #${k} (${armed.position ?? 'none'})`;
      expect(ldkEvents(payer, ldk.Event_PaymentFailed).filter((e) => equalBytes(e.payment_id, paymentId)), where).toHaveLength(1);
      const paths = ldkEvents(payer, ldk.Event_PaymentPathFailed).filter((e) => equalBytes(e.payment_hash, hash));
      expect(paths.map((p) => Boolean(p.payment_failed_permanently)), where).toEqual([true]);
      expect(ldkEvents(payer, ldk.Event_PaymentSent).filter((e) => equalBytes(e.payment_hash, hash)), where).toEqual([]);
      expect(ours.eventsOf('payment-forwarded').length, where).toBe(forwardedBefore);
      expect(fourEnds(hub), where).toEqual(before);
      expectLdkAgrees(hub, payer);
      expectLdkAgrees(hub, payee);
      expectNoClose();
      if (armed.position === undefined) break;
      positions.push(armed.position);
    }
    // Five messages in, five out.
    expect(positions).toHaveLength(10);
    for (const p of ['from the payee: update_fail_htlc', 'from the payee: commitment_signed', 'to the payee: revoke_and_ack', 'to the payer: update_fail_htlc', 'to the payer: commitment_signed', 'from the payer: revoke_and_ack', 'from the payer: commitment_signed', 'to the payer: revoke_and_ack']) {
      expect(positions).toContain(p);
    }
  }, 180_000);
});
