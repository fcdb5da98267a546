/**
 * BOLT 2 "Closing Initiation: `shutdown`" with HTLCs in flight (issue 17),
 * between two of our channel machines: `shutdown` is accepted and answered
 * while an HTLC is pending, nobody sends `closing_signed` until the HTLC
 * settled through the commitment dance (no new HTLC either way), then the
 * funder proposes and the closing transaction pays the settled balances;
 * an `update_add_htlc` after the peer's `shutdown` and a `closing_signed`
 * while an HTLC remains fail the channel; a reconnection in the middle
 * retransmits both `shutdown`s and the lost dance, and the close completes.
 */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import {
  ChannelState,
  closeChannelCooperatively,
  closingNegotiationReady,
  decodeChannel,
  encodeChannel,
  failHtlc,
  fulfillHtlc,
  offerHtlc,
  ourChannelReestablish,
  type Channel,
  type FundedChannel,
  type HtlcRecord,
} from '../../shared/channel/index.js';
import { sha256 } from '../../shared/crypto/index.js';
import type { ShutdownMessage, UpdateAddHtlcMessage, WireMessage } from '../../shared/wire/index.js';
import { verifyInput } from '../support/interpreter.js';
import { ONION, commit, deliverAll, offer, preimage, readyPair, type ReadyPair, type Side } from '../support/ready-pair.js';

const AMOUNT_MSAT = 50_000_000n;

function close(side: Side): void {
  const r = closeChannelCooperatively(side.node.ctx, side.channel);
  if (!r.ok) throw new Error(r.error.message);
  side.apply(r.value);
}

function typesSent(side: Side): number[] {
  return side.sent.map((m) => m.type);
}

/** `amountMsat` from `from` to `to`, committed on both sides (the full dance). */
function pendingHtlc(p: ReadyPair, from: Side, label: string): bigint {
  const id = offer(from, AMOUNT_MSAT, label);
  commit(from);
  deliverAll(p);
  expect(p.alice.failure).toBeUndefined();
  expect(p.bob.failure).toBeUndefined();
  expect(from.channel.htlcs?.map((h) => h.state)).toEqual(['committed']);
  return id;
}

/** The one closing transaction both sides broadcast (the same bytes), checked against the funding output. */
function closingTxOf(p: ReadyPair): Transaction {
  const txs = [p.alice, p.bob].map((side) => {
    const broadcast = broadcasts.get(side) ?? [];
    expect(broadcast, `${side.name} broadcasts once`).toHaveLength(1);
    return broadcast[0]!;
  });
  expect(Buffer.from(txs[0]!).toString('hex')).toBe(Buffer.from(txs[1]!).toString('hex'));
  const tx = Transaction.fromBuffer(Buffer.from(txs[0]!));
  const out = p.fundingTx.outs[0]!;
  expect(verifyInput(tx, 0, { scriptPubKey: Uint8Array.from(out.script), amountSat: BigInt(out.value) })).toBe('');
  return tx;
}

/** Broadcasts recorded per side (Side.perform keeps only messages and monitor steps). */
const broadcasts = new Map<Side, Uint8Array[]>();

function recordBroadcasts(p: ReadyPair): void {
  for (const side of [p.alice, p.bob]) {
    broadcasts.set(side, []);
    const perform = side.perform.bind(side);
    side.perform = (effects) => {
      for (const e of effects) if (e.kind === 'broadcast') broadcasts.get(side)!.push(e.tx);
      perform(effects);
    };
  }
}

/** The closing transaction's fee (sat): the funding output less its outputs. */
function feeOf(p: ReadyPair, tx: Transaction): bigint {
  return BigInt(p.fundingTx.outs[0]!.value) - tx.outs.reduce((sum, o) => sum + BigInt(o.value), 0n);
}

/** The closing output paying `side`'s shutdown script, in sat (0 when absent). */
function paidTo(tx: Transaction, side: Side): bigint {
  const script = (side.channel as Channel & { shutdown: { holderScript: Uint8Array } }).shutdown.holderScript;
  const out = tx.outs.find((o) => Buffer.from(o.script).equals(Buffer.from(script)));
  return out === undefined ? 0n : BigInt(out.value);
}

function expectCooperativelyClosed(side: Side): void {
  expect(side.failure).toBeUndefined();
  expect(side.channel.state).toBe(ChannelState.Closed);
  expect((side.channel as Channel).closure?.reason).toBe('cooperative-closure');
}

function persisted(side: Side): void {
  const decoded = decodeChannel(encodeChannel(side.channel));
  if (!decoded.ok) throw new Error(decoded.error.message);
  expect(decoded.value).toEqual(side.channel);
}

describe('cooperative close with an HTLC in flight', () => {
  for (const anchors of [false, true]) {
    const type = anchors ? 'anchors' : 'static_remotekey';

    it(`${type}: Alice (funder) closes while her HTLC to Bob is pending; no closing_signed until Bob fulfills it; the close pays the settled balances`, () => {
      const p = readyPair({ anchors });
      recordBroadcasts(p);
      const id = pendingHtlc(p, p.alice, 'pay bob');
      const aliceBefore = p.alice.channel.commitments!.holderBalanceMsat;
      const bobBefore = p.bob.channel.commitments!.holderBalanceMsat;

      close(p.alice);
      deliverAll(p);
      // Bob answered; both are negotiating, nobody proposed a fee: the HTLC is still there.
      expect(p.alice.channel.state).toBe(ChannelState.NegotiatingClose);
      expect(p.bob.channel.state).toBe(ChannelState.NegotiatingClose);
      expect(typesSent(p.bob)).toContain(38);
      expect(typesSent(p.alice)).not.toContain(39);
      expect(typesSent(p.bob)).not.toContain(39);
      expect(closingNegotiationReady(p.alice.channel)).toBe(false);
      persisted(p.alice);
      persisted(p.bob);
      // No new HTLC in a closing state.
      const refused = offerHtlc(p.alice.node.ctx, p.alice.channel, { amountMsat: 1_000_000n, paymentHash: sha256(preimage('more')), cltvExpiry: 700, onionRoutingPacket: ONION });
      expect(refused.ok ? null : refused.error.code).toBe('channel-unavailable');

      // Bob claims: fulfill, commitment_signed; the dance runs in negotiating-close and ends with Alice's closing_signed.
      const fulfilled = fulfillHtlc(p.bob.node.ctx, p.bob.channel, id, preimage('pay bob'));
      if (!fulfilled.ok) throw new Error(fulfilled.error.message);
      p.bob.apply(fulfilled.value);
      commit(p.bob);
      deliverAll(p);

      const order = p.alice.sent.map((m) => m.type);
      // Alice's first closing_signed comes after her last revoke_and_ack of the dance.
      expect(order.indexOf(39)).toBeGreaterThan(order.lastIndexOf(133));
      expectCooperativelyClosed(p.alice);
      expectCooperativelyClosed(p.bob);
      const tx = closingTxOf(p);
      const fee = feeOf(p, tx);
      expect(paidTo(tx, p.bob)).toBe((bobBefore + AMOUNT_MSAT) / 1000n);
      expect(paidTo(tx, p.alice)).toBe(aliceBefore / 1000n - fee);
      expect(fee).toBeGreaterThan(0n);
    });
  }

  it('Bob (fundee) closes while his HTLC to Alice is pending; Alice fails it; then she proposes and both sign the closing tx with the balances unchanged', () => {
    const p = readyPair();
    recordBroadcasts(p);
    const aliceStart = p.alice.channel.commitments?.holderBalanceMsat ?? 10_000_000_000n - 4_000_000_000n;
    const id = pendingHtlc(p, p.bob, 'pay alice');

    close(p.bob);
    deliverAll(p);
    expect(p.alice.channel.state).toBe(ChannelState.NegotiatingClose);
    expect(p.bob.channel.state).toBe(ChannelState.NegotiatingClose);
    expect(typesSent(p.alice)).not.toContain(39);

    const failed = failHtlc(p.alice.node.ctx, p.alice.channel, id, new Uint8Array(0));
    if (!failed.ok) throw new Error(failed.error.message);
    p.alice.apply(failed.value);
    commit(p.alice);
    deliverAll(p);

    expectCooperativelyClosed(p.alice);
    expectCooperativelyClosed(p.bob);
    const tx = closingTxOf(p);
    const fee = feeOf(p, tx);
    expect(paidTo(tx, p.bob)).toBe(4_000_000n);
    expect(paidTo(tx, p.alice)).toBe(aliceStart / 1000n - fee);
  });

  it('an HTLC the peer adds after our shutdown (theirs not sent yet) is taken; one added after its own shutdown fails the channel', () => {
    const p = readyPair();
    close(p.alice);
    // Bob's update_add_htlc crosses Alice's shutdown: legal for Bob, Alice (shutdown-sent) takes it.
    offer(p.bob, AMOUNT_MSAT, 'crossing');
    const bobsAdd = p.bob.outbox.shift()!;
    const aliceShutdown = p.alice.outbox.shift()!;
    p.alice.receive(bobsAdd);
    expect(p.alice.failure).toBeUndefined();
    expect(p.alice.channel.htlcs?.map((h) => `${h.direction}:${h.state}`)).toEqual(['received:remote-announced']);

    // Now Bob reads Alice's shutdown and answers; an add from Alice after her shutdown fails Bob's channel.
    p.bob.receive(aliceShutdown);
    expect(p.bob.channel.state).toBe(ChannelState.NegotiatingClose);
    const add: UpdateAddHtlcMessage = {
      type: 128,
      channelId: p.bob.channel.funding.channelId,
      id: 0n,
      amountMsat: AMOUNT_MSAT,
      paymentHash: sha256(preimage('late')),
      cltvExpiry: 700,
      onionRoutingPacket: ONION,
    };
    const step = p.bob.receive(add);
    expect(step.failure?.reason).toBe('add-htlc-after-shutdown');
    expect(step.channel.state).toBe(ChannelState.Closed);
    expect(step.effects.some((e) => e.kind === 'send-message' && e.message.type === 17)).toBe(true);
  });

  it('closing_signed while an HTLC remains fails the channel (BOLT 2)', () => {
    const p = readyPair();
    pendingHtlc(p, p.alice, 'still pending');
    close(p.alice);
    deliverAll(p);
    expect(p.bob.channel.state).toBe(ChannelState.NegotiatingClose);
    const step = p.bob.receive({
      type: 39,
      channelId: p.bob.channel.funding.channelId,
      feeSatoshis: 1_000n,
      signature: new Uint8Array(64).fill(1),
      feeRange: { minFeeSatoshis: 500n, maxFeeSatoshis: 2_000n },
    });
    expect(step.failure?.reason).toBe('closing-signed-with-htlcs');
    expect(step.failure?.message).toContain('1 HTLC is still in flight');
    expect(step.channel.state).toBe(ChannelState.Closed);
  });

  it('closeChannelCooperatively is refused while an add of ours waits in the holding cell or an update of ours is unsigned; a peer shutdown then fails the channel', () => {
    const p = readyPair();
    offer(p.alice, AMOUNT_MSAT, 'unsigned');
    // update_add_htlc sent, no commitment_signed yet: the shutdown must wait.
    const unsigned = closeChannelCooperatively(p.alice.node.ctx, p.alice.channel);
    expect(unsigned.ok ? null : unsigned.error.message).toMatch(/not signed yet/);
    commit(p.alice);
    // Awaiting Bob's revoke_and_ack: a second add goes to the holding cell.
    offer(p.alice, AMOUNT_MSAT, 'held');
    expect(p.alice.channel.htlcs?.map((h) => h.state)).toEqual(['local-announced', 'held']);
    const held = closeChannelCooperatively(p.alice.node.ctx, p.alice.channel);
    expect(held.ok ? null : held.error.message).toMatch(/revoke_and_ack/);
    const shutdown: ShutdownMessage = { type: 38, channelId: p.alice.channel.funding.channelId, scriptpubkey: p.bob.node.keys.getShutdownScriptpubkey() };
    const step = p.alice.receive(shutdown);
    expect(step.failure?.reason).toBe('shutdown-with-htlcs');
    // Once the dance moved on (no held add), the close is allowed with the HTLCs in flight.
    const q = readyPair();
    pendingHtlc(q, q.alice, 'committed');
    expect(closeChannelCooperatively(q.alice.node.ctx, q.alice.channel).ok).toBe(true);
  });

  it('a reconnection in the middle: both shutdowns retransmitted, the lost fulfill and commitment_signed resent, then the close completes', () => {
    const p = readyPair();
    recordBroadcasts(p);
    const id = pendingHtlc(p, p.alice, 'across a reconnection');
    const bobBefore = p.bob.channel.commitments!.holderBalanceMsat;
    close(p.alice);
    deliverAll(p);
    const fulfilled = fulfillHtlc(p.bob.node.ctx, p.bob.channel, id, preimage('across a reconnection'));
    if (!fulfilled.ok) throw new Error(fulfilled.error.message);
    p.bob.apply(fulfilled.value);
    commit(p.bob);
    // The connection drops with Bob's update_fulfill_htlc and commitment_signed unread.
    expect(p.bob.outbox.map((m: WireMessage) => m.type)).toEqual([130, 132]);
    p.bob.outbox.length = 0;
    for (const side of [p.alice, p.bob]) persisted(side);

    const sentBefore = { alice: p.alice.sent.length, bob: p.bob.sent.length };
    p.alice.outbox.push(ourChannelReestablish(p.alice.node.ctx, p.alice.channel as FundedChannel));
    p.bob.outbox.push(ourChannelReestablish(p.bob.node.ctx, p.bob.channel as FundedChannel));
    deliverAll(p);

    const bobResent = p.bob.sent.slice(sentBefore.bob).map((m) => m.type);
    const aliceResent = p.alice.sent.slice(sentBefore.alice).map((m) => m.type);
    // Bob (after his channel_reestablish): the lost updates, then his shutdown again; Alice: her shutdown again.
    expect(bobResent.slice(0, 3)).toEqual([130, 132, 38]);
    expect(aliceResent[0]).toBe(38);
    expectCooperativelyClosed(p.alice);
    expectCooperativelyClosed(p.bob);
    const tx = closingTxOf(p);
    expect(paidTo(tx, p.bob)).toBe((bobBefore + AMOUNT_MSAT) / 1000n);
  });

  it('the funder waits for the commitment_signed the peer owes after its revoke_and_ack (LDK expecting_peer_commitment_signed)', () => {
    const p = readyPair();
    const id = pendingHtlc(p, p.bob, 'owed');
    close(p.alice);
    deliverAll(p);
    // Alice fulfills Bob's HTLC; deliver Bob's revoke_and_ack alone: Alice has no HTLC left but Bob's commitment_signed is owed.
    const fulfilled = fulfillHtlc(p.alice.node.ctx, p.alice.channel, id, preimage('owed'));
    if (!fulfilled.ok) throw new Error(fulfilled.error.message);
    p.alice.apply(fulfilled.value);
    commit(p.alice);
    p.bob.receive(p.alice.outbox.shift()!);
    p.bob.receive(p.alice.outbox.shift()!);
    expect(p.bob.outbox.map((m) => m.type)).toEqual([133, 132]);
    p.alice.receive(p.bob.outbox.shift()!);
    expect(p.alice.channel.htlcs ?? []).toEqual([] as HtlcRecord[]);
    expect(p.alice.channel.expectingCommitmentSigned).toBe(true);
    persisted(p.alice);
    expect(p.alice.outbox).toEqual([]);
    // Bob's commitment_signed: Alice revokes, then proposes.
    p.alice.receive(p.bob.outbox.shift()!);
    expect(p.alice.outbox.map((m) => m.type)).toEqual([133, 39]);
  });
});
