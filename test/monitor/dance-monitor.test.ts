/**
 * A real commitment dance feeding each side's ChannelMonitor: every
 * `monitor-update` effect of two channel machines (test/support/ready-pair.ts),
 * numbered and passed through the update codec, applies to the monitor
 * built from that side's `persist-monitor`; the monitor ends with the
 * commitment the channel holds (valid on chain, the one the peer signed),
 * the channel's secret storage, and every preimage an unrevoked commitment
 * may still need (docs/monitor.md "Payment steps").
 */
import { describe, expect, it } from 'vitest';
import {
  ConfirmationTarget,
  buildCommitment,
  commitmentStateOf,
  commitmentView,
  failHtlc,
  fulfillHtlc,
  type ChannelMonitorStep,
} from '../../shared/channel/index.js';
import { sha256, toHex } from '../../shared/crypto/index.js';
import { INITIAL_COMMITMENT_INDEX } from '../../shared/keys/index.js';
import {
  applyMonitorUpdate,
  channelMonitorFrom,
  counterpartySecretOf,
  decodeMonitor,
  decodeMonitorUpdate,
  encodeMonitor,
  encodeMonitorUpdate,
  holderCommitmentTxidOf,
  preimageOf,
  type ChannelMonitor,
  type MonitorHtlc,
} from '../../shared/monitor/index.js';
import { p2wsh } from '../../shared/tx/index.js';
import { verifyInput } from '../support/interpreter.js';
import { broadcastCommitment, commit, offer, preimage, readyPair, type ReadyPair, type Side } from '../support/ready-pair.js';

/** One side's monitor, fed its side's monitor steps as they come, one update each. */
class Fed {
  monitor: ChannelMonitor;
  #taken = 0;
  /** The HTLC set of each counterparty commitment given (what its justice record holds). */
  readonly counterpartyHtlcs = new Map<bigint, readonly MonitorHtlc[]>();
  /** Every preimage this side learnt, by hash. */
  readonly learnt = new Set<string>();

  constructor(readonly side: Side) {
    expect(side.initialMonitors).toHaveLength(1);
    this.monitor = channelMonitorFrom(side.initialMonitors[0]!);
  }

  /** Applies the steps not applied yet (each through the codec), then checks what the monitor must still hold. */
  sync(): void {
    for (; this.#taken < this.side.monitorSteps.length; this.#taken++) {
      const step: ChannelMonitorStep = this.side.monitorSteps[this.#taken]!;
      if (step.kind === 'latest-counterparty-commitment') this.counterpartyHtlcs.set(step.commitmentNumber, step.htlcs);
      if (step.kind === 'payment-preimage') this.learnt.add(toHex(sha256(step.paymentPreimage)));
      const update = { channelId: this.monitor.channelId, updateId: this.monitor.latestUpdateId + 1n, steps: [step] };
      const decoded = decodeMonitorUpdate(encodeMonitorUpdate(update));
      if (!decoded.ok) throw decoded.error;
      const applied = applyMonitorUpdate(this.monitor, decoded.value);
      expect(applied, `${this.side.name} update ${update.updateId} (${step.kind})`).toMatchObject({ ok: true });
      if (!applied.ok) return;
      this.monitor = applied.monitor;
      this.checkPreimages();
    }
  }

  /**
   * Every HTLC received by this side whose preimage it learnt, and that an
   * unrevoked commitment still holds (our latest two, or a counterparty
   * commitment whose secret the monitor does not have), still has its
   * preimage in the monitor.
   */
  checkPreimages(): void {
    const m = this.monitor;
    const needed: MonitorHtlc[] = [];
    // In our commitments `offered` is ours, in theirs it is theirs.
    for (const h of [...(m.holderHtlcs ?? []), ...(m.previousHolderCommitment?.htlcs ?? [])]) if (!h.offered) needed.push(h);
    for (const [n, htlcs] of this.counterpartyHtlcs) {
      if (counterpartySecretOf(m, INITIAL_COMMITMENT_INDEX - n) !== undefined) continue;
      for (const h of htlcs) if (h.offered) needed.push(h);
    }
    for (const h of needed) {
      if (!this.learnt.has(toHex(h.paymentHash))) continue;
      expect(preimageOf(m, h.paymentHash), `${this.side.name}: preimage of ${toHex(h.paymentHash).slice(0, 8)} pruned while on an unrevoked commitment`).toBeDefined();
    }
  }
}

/** Delivers queued messages both ways, one at a time, feeding the monitors after each. */
function drain(pair: ReadyPair, fed: readonly Fed[]): void {
  for (let i = 0; i < 10_000; i++) {
    const a = pair.alice.outbox.shift();
    if (a) pair.bob.receive(a);
    for (const f of fed) f.sync();
    const b = pair.bob.outbox.shift();
    if (b) pair.alice.receive(b);
    for (const f of fed) f.sync();
    expect(pair.alice.failure).toBeUndefined();
    expect(pair.bob.failure).toBeUndefined();
    if (!a && !b) return;
  }
  throw new Error('messages still flowing');
}

/** `side` removes received HTLC `id`: fulfilled with `label`'s preimage, or failed. */
function settle(side: Side, id: bigint, label: string, fulfill: boolean): void {
  const r = fulfill ? fulfillHtlc(side.node.ctx, side.channel, id, preimage(label)) : failHtlc(side.node.ctx, side.channel, id, new Uint8Array(0));
  if (!r.ok) throw new Error(r.error.message);
  side.apply(r.value);
}

/**
 * The monitor names the commitment the channel holds: same number, the
 * txid of the transaction the peer signed; that transaction, as a force
 * close broadcasts it (the channel's, our signature made then), is valid on
 * chain.
 */
function checkHolderCommitment(f: Fed, peer: Fed): void {
  const ch = f.side.channel;
  const state = commitmentStateOf(ch);
  const m = f.monitor;
  expect(m.holderCommitmentNumber).toBe(state.holderCommitmentNumber);
  const signer = f.side.node.ctx.signerProvider.deriveChannelSigner(ch.fundingSatoshis, ch.channelKeysId);
  const built = buildCommitment(f.side.node.ctx, ch, signer, 'holder', state.holderCommitmentNumber, commitmentView(ch, state, 'holder'));
  const tx = broadcastCommitment(f.side);
  expect(tx.getId()).toBe(built.commitment.tx.getId());
  expect(toHex(holderCommitmentTxidOf(m))).toBe(toHex(tx.getHash()));
  // The peer's monitor names the same transaction as its latest counterparty commitment.
  expect(peer.monitor.latestCounterpartyCommitment?.commitmentNumber).toBe(state.holderCommitmentNumber);
  expect(toHex(peer.monitor.latestCounterpartyCommitment!.commitmentTxid)).toBe(toHex(tx.getHash()));
  expect(verifyInput(tx, 0, { scriptPubKey: p2wsh(built.commitment.fundingScript), amountSat: ch.fundingSatoshis })).toBe('');
  expect(m.holderHtlcSignatures).toHaveLength(built.commitment.htlcOutputIndex.filter((i) => i !== null && i !== undefined).length);
  // The secrets are the channel's, byte for byte.
  expect(toHex(m.counterpartyCommitmentSecrets)).toBe(toHex(state.counterpartySecrets));
  expect(decodeMonitor(encodeMonitor(m))).toEqual({ ok: true, value: m });
}

describe.each([
  { name: 'static_remotekey', anchors: false },
  { name: 'anchors_zero_fee_htlc_tx', anchors: true },
])('a monitor fed by the commitment dance ($name)', ({ anchors }) => {
  it('applies every update of payments both ways (crossing commitments, HTLCs in flight across rounds), and ends with the latest commitment', () => {
    const pair = readyPair({ anchors });
    const { alice, bob } = pair;
    // Many small HTLCs at once: a dust exposure limit (10,000 times the fastest estimate) this high lets them all through.
    for (const side of [alice, bob]) side.node.estimates.set(ConfirmationTarget.MaximumFeeEstimate, 100_000n);
    const fa = new Fed(alice);
    const fb = new Fed(bob);
    const fed = [fa, fb];
    let previous: { a: bigint; b: bigint; round: number } | undefined;
    for (let round = 0; round < 8; round++) {
      const a = offer(alice, 2_000_000n + BigInt(round) * 1_000_000n, `a${round}`);
      const b = offer(bob, 1_000_000n + BigInt(round) * 700_000n, `b${round}`);
      // The HTLCs of the round before are committed now: settle them in the same round.
      if (previous !== undefined) {
        settle(bob, previous.a, `a${previous.round}`, true);
        settle(alice, previous.b, `b${previous.round}`, previous.round % 3 !== 2);
      }
      for (const f of fed) f.sync();
      commit(alice);
      commit(bob);
      drain(pair, fed);
      previous = { a, b, round };
      checkHolderCommitment(fa, fb);
      checkHolderCommitment(fb, fa);
    }
    // The last round's HTLCs, then an empty dance to settle everything.
    settle(bob, previous!.a, `a${previous!.round}`, true);
    settle(alice, previous!.b, `b${previous!.round}`, true);
    commit(alice);
    commit(bob);
    drain(pair, fed);
    for (const [f, peer] of [[fa, fb], [fb, fa]] as const) {
      checkHolderCommitment(f, peer);
      expect(f.monitor.latestUpdateId).toBe(BigInt(f.side.monitorSteps.length));
      expect(f.side.channel.htlcs ?? []).toEqual([]);
    }
    // Each side learnt 14 preimages (8 of Alice's HTLCs, 6 of Bob's: 2 were failed). Our latest commitment holds no HTLC;
    // only the preimages of those our previous one still held stay (the last round's), never the history.
    expect(fb.learnt.size).toBe(14);
    expect(fa.learnt.size).toBe(14);
    for (const f of fed) {
      expect(f.monitor.holderHtlcs).toEqual([]);
      const stillHeld = (f.monitor.previousHolderCommitment?.htlcs ?? []).map((h) => toHex(h.paymentHash)).filter((h) => f.learnt.has(h));
      expect(stillHeld.length, f.side.name).toBeGreaterThan(0);
      expect(f.monitor.paymentPreimages.map((p) => toHex(p.paymentHash)).sort(), f.side.name).toEqual(stillHeld.sort());
    }
    // The monitor knows the latest commitment by its txid only (as one read from the store): a force close broadcasts
    // nothing of its own, never the commitment at open; the manager broadcasts the channel's (checkHolderCommitment).
    const closed = applyMonitorUpdate(fa.monitor, { channelId: fa.monitor.channelId, updateId: fa.monitor.latestUpdateId + 1n, steps: [{ kind: 'channel-force-closed', shouldBroadcast: true }] });
    if (!closed.ok) throw new Error(closed.error);
    expect(closed.broadcasts).toEqual([]);
    expect(fa.monitor.holderCommitmentTx).toBeUndefined();
    expect(toHex(holderCommitmentTxidOf(fa.monitor))).toBe(toHex(broadcastCommitment(alice).getHash()));
    expect(toHex(broadcastCommitment(alice).toBuffer())).not.toBe(toHex(alice.initialMonitors[0]!.holderCommitmentTx));
  });
});
