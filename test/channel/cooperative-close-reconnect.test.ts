/**
 * BOLT 2 "Message Retransmission" during a cooperative close, between two of
 * our channel machines: after `channel_reestablish` a channel in
 * `shutdown-sent` or `negotiating-close` retransmits its `shutdown` (and
 * `channel_ready`, next_commitment_number being 1), the peer ignores the
 * repeats, and the `closing_signed` negotiation restarts with the funder's
 * proposal, whatever was lost with the old connection.
 */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import {
  ChannelState,
  closeChannelCooperatively,
  decodeChannel,
  encodeChannel,
  handleChannelMessage,
  isFundedChannel,
  ourChannelReestablish,
  phaseVerdict,
  type Channel,
  type ChannelEffect,
  type ChannelLevelMessage,
} from '../../shared/channel/index.js';
import type { WireMessage } from '../../shared/wire/index.js';
import { sentMessages } from '../support/channel-harness.js';
import { verifyInput } from '../support/interpreter.js';
import { readyPair, type ReadyPair } from '../support/ready-channels.js';

type Side = 'alice' | 'bob';

interface Run {
  a: Channel;
  b: Channel;
  /** `alice->bob 38`, ... in delivery order. */
  log: string[];
  effects: Record<Side, ChannelEffect[]>;
}

function roundTrips(c: Channel): Channel {
  const decoded = decodeChannel(encodeChannel(c));
  if (!decoded.ok) throw new Error(decoded.error.message);
  expect(decoded.value).toEqual(c);
  return decoded.value;
}

/** Delivers `queue` and every answer until both sides are quiet; no step may fail. Channels are persisted (encode/decode) after each step. */
function deliver(p: ReadyPair, run: Run, queue: { to: Side; m: WireMessage }[]): Run {
  for (let guard = 0; queue.length > 0 && guard < 40; guard++) {
    const { to, m } = queue.shift()!;
    run.log.push(`${to === 'bob' ? 'alice->bob' : 'bob->alice'} ${m.type}`);
    const step = handleChannelMessage(to === 'bob' ? p.bob.ctx : p.alice.ctx, to === 'bob' ? run.b : run.a, m as ChannelLevelMessage);
    expect(step.failure).toBeUndefined();
    const next = roundTrips(step.channel);
    if (to === 'bob') run.b = next;
    else run.a = next;
    run.effects[to].push(...step.effects);
    for (const out of sentMessages(step.effects)) queue.push({ to: to === 'bob' ? 'alice' : 'bob', m: out });
  }
  expect(queue).toEqual([]);
  return run;
}

/** A new connection: both send `channel_reestablish` first, then whatever the other's makes them retransmit. */
function reconnect(p: ReadyPair, run: Run): Run {
  if (!isFundedChannel(run.a) || !isFundedChannel(run.b)) throw new Error('both channels must be funded');
  const fromAlice = ourChannelReestablish(p.alice.ctx, run.a);
  const fromBob = ourChannelReestablish(p.bob.ctx, run.b);
  return deliver(p, run, [
    { to: 'bob', m: fromAlice },
    { to: 'alice', m: fromBob },
  ]);
}

function closingTx(effects: readonly ChannelEffect[]): Transaction {
  const txs = effects.flatMap((e) => (e.kind === 'broadcast' ? [e.tx] : []));
  expect(txs).toHaveLength(1);
  return Transaction.fromBuffer(Buffer.from(txs[0]!));
}

function expectClosedTogether(p: ReadyPair, run: Run): void {
  expect(run.a.state).toBe(ChannelState.Closed);
  expect(run.b.state).toBe(ChannelState.Closed);
  expect(run.a.closure?.reason).toBe('cooperative-closure');
  expect(run.b.closure?.reason).toBe('cooperative-closure');
  const tx = closingTx(run.effects.alice);
  expect(closingTx(run.effects.bob).toHex()).toBe(tx.toHex());
  const out = p.fundingTx.outs[1]!;
  expect(verifyInput(tx, 0, { scriptPubKey: Uint8Array.from(out.script), amountSat: BigInt(out.value) })).toBe('');
}

const fresh = (p: ReadyPair, a: Channel, b: Channel): Run => ({ a, b, log: [], effects: { alice: [], bob: [] } });

describe('cooperative close across a reconnection', () => {
  it('shutdown lost with the connection: the initiator retransmits it after channel_reestablish and the close completes', () => {
    for (const initiator of ['alice', 'bob'] as const) {
      const p = readyPair({ pushMsat: 200_000_000n });
      const start = closeChannelCooperatively(initiator === 'alice' ? p.alice.ctx : p.bob.ctx, initiator === 'alice' ? p.a : p.b);
      if (!start.ok) throw new Error(start.error.message);
      // The shutdown never arrives: the connection dropped.
      let run = fresh(p, initiator === 'alice' ? start.value.channel : p.a, initiator === 'bob' ? start.value.channel : p.b);
      run = reconnect(p, run);
      // Both re-sent channel_ready (next_commitment_number 1 both ways); the initiator its shutdown; the funder (alice) then proposes.
      expect(run.log.slice(0, 2)).toEqual(['alice->bob 136', 'bob->alice 136']);
      expect(run.log).toContain('alice->bob 36');
      expect(run.log).toContain('bob->alice 36');
      const retransmitted = `${initiator === 'alice' ? 'alice->bob' : 'bob->alice'} 38`;
      expect(run.log.indexOf(retransmitted)).toBeLessThan(run.log.indexOf('alice->bob 39'));
      expectClosedTogether(p, run);
    }
  });

  it('closing_signed lost mid-negotiation: both retransmit shutdown, the funder proposes again, the fundee answers afresh', () => {
    const p = readyPair({ pushMsat: 200_000_000n });
    const start = closeChannelCooperatively(p.bob.ctx, p.b);
    if (!start.ok) throw new Error(start.error.message);
    // Alice gets Bob's shutdown, answers with hers and her first closing_signed; Bob gets both, counters: that counter is lost.
    let run = fresh(p, p.a, start.value.channel);
    const held: { to: Side; m: WireMessage }[] = [];
    const aliceStep = handleChannelMessage(p.alice.ctx, run.a, sentMessages(start.value.effects)[0] as ChannelLevelMessage);
    run.a = aliceStep.channel;
    for (const m of sentMessages(aliceStep.effects)) {
      const bobStep = handleChannelMessage(p.bob.ctx, run.b, m as ChannelLevelMessage);
      expect(bobStep.failure).toBeUndefined();
      run.b = bobStep.channel;
      held.push(...sentMessages(bobStep.effects).map((x) => ({ to: 'alice' as const, m: x })));
    }
    expect(held.map((h) => h.m.type)).toEqual([39]);
    expect(run.a.state).toBe(ChannelState.NegotiatingClose);
    expect(run.b.state).toBe(ChannelState.NegotiatingClose);
    expect(run.a.shutdown?.sent).toBeDefined();
    expect(run.b.shutdown?.sent).toBeDefined();

    run = reconnect(p, run);
    // Each side's last proposal was forgotten at the reestablish; the funder proposed again on the retransmitted shutdown.
    const closeLog = run.log.filter((l) => / 3[89]$/.test(l));
    expect(closeLog.slice(0, 2).sort()).toEqual(['alice->bob 38', 'bob->alice 38']);
    expect(closeLog.slice(2)).toEqual(['alice->bob 39', 'bob->alice 39', 'alice->bob 39']);
    expectClosedTogether(p, run);
  });

  it('the funder\'s first closing_signed lost: it proposes again after the reconnection', () => {
    const p = readyPair({ pushMsat: 200_000_000n });
    const start = closeChannelCooperatively(p.alice.ctx, p.a);
    if (!start.ok) throw new Error(start.error.message);
    const bob1 = handleChannelMessage(p.bob.ctx, p.b, sentMessages(start.value.effects)[0] as ChannelLevelMessage);
    const alice1 = handleChannelMessage(p.alice.ctx, start.value.channel, sentMessages(bob1.effects)[0] as ChannelLevelMessage);
    // Alice's first proposal is lost; after the reconnection, she proposes again and the close completes.
    let run = fresh(p, alice1.channel, bob1.channel);
    expect(sentMessages(alice1.effects).map((m) => m.type)).toEqual([39]);
    run = reconnect(p, run);
    expectClosedTogether(p, run);
  });

  it('channel_reestablish and channel_ready are accepted (a repeat of channel_ready ignored) in both close phases', () => {
    const p = readyPair();
    const start = closeChannelCooperatively(p.alice.ctx, p.a);
    if (!start.ok) throw new Error(start.error.message);
    const sent = start.value.channel;
    const ready = { type: 36, channelId: p.a.funding!.channelId, secondPerCommitmentPoint: new Uint8Array(33).fill(2) } as ChannelLevelMessage;
    if (!isFundedChannel(p.b)) throw new Error('bob is ready');
    const reestablish = ourChannelReestablish(p.bob.ctx, p.b);
    for (const c of [sent, { ...sent, state: ChannelState.NegotiatingClose } as Channel]) {
      expect(phaseVerdict(c, ready)).toBe('ignore');
      expect(phaseVerdict(c, reestablish)).toBe('handle');
      expect(isFundedChannel(c)).toBe(true);
    }
    expect(phaseVerdict({ ...sent, state: ChannelState.Closed } as Channel, reestablish)).toBe('close');
  });
});
