/**
 * BOLT 2 "Channel Close" between two of our channel machines (no HTLCs):
 * `shutdown` both ways, `closing_signed` with `fee_range`, either side
 * initiating, both channel types; the closing transaction checked by
 * bitcore-lib's interpreter against the funding output; dust output
 * omitted; every receiver check refused with its reason.
 */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import {
  ChannelState,
  FORCE_CLOSE_AVOIDANCE_MAX_FEE_SATOSHIS,
  closeChannelCooperatively,
  decodeChannel,
  encodeChannel,
  handleChannelMessage,
  phaseVerdict,
  type Channel,
  type ChannelEffect,
  type ChannelStep,
  type HtlcRecord,
  type NegotiatingCloseChannel,
} from '../../shared/channel/index.js';
import { sha256, toHex, wasmSecp256k1 } from '../../shared/crypto/index.js';
import {
  SighashType,
  buildClosingTransaction,
  closingFeeSat,
  fundingOutputScript,
  p2wpkh,
  witnessDigest,
} from '../../shared/tx/index.js';
import type { ClosingSignedMessage, ShutdownMessage, WireMessage } from '../../shared/wire/index.js';
import { eventsOf, sentMessages, type TestNode } from '../support/channel-harness.js';
import { verifyInput } from '../support/interpreter.js';
import { readyPair, type ReadyPair } from '../support/ready-channels.js';

const FUNDING = 1_000_000n;
const PUSH = 123_456_789n;

/** The close messages of `effects` (what the peer reads). */
const closeMessages = (effects: readonly ChannelEffect[]) => sentMessages(effects) as (ShutdownMessage | ClosingSignedMessage)[];

function unwrap(r: ReturnType<typeof closeChannelCooperatively>): ChannelStep {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

function roundTrips(c: Channel): void {
  const decoded = decodeChannel(encodeChannel(c));
  if (!decoded.ok) throw new Error(decoded.error.message);
  expect(decoded.value).toEqual(c);
}

/** Delivers messages back and forth until neither side sends more; returns both final channels, every effect, and the message types in order. */
function exchange(p: ReadyPair, a: Channel, b: Channel, toBob: readonly WireMessage[]): { a: Channel; b: Channel; aliceEffects: ChannelEffect[]; bobEffects: ChannelEffect[]; log: string[] } {
  const aliceEffects: ChannelEffect[] = [];
  const bobEffects: ChannelEffect[] = [];
  const log: string[] = [];
  let queue: { to: 'alice' | 'bob'; m: WireMessage }[] = toBob.map((m) => ({ to: 'bob', m }));
  for (let guard = 0; queue.length > 0 && guard < 20; guard++) {
    const next: typeof queue = [];
    for (const { to, m } of queue) {
      log.push(`${to === 'bob' ? 'alice->bob' : 'bob->alice'} ${m.type}`);
      if (m.type !== 38 && m.type !== 39) throw new Error(`unexpected message ${m.type}`);
      const step = handleChannelMessage(to === 'bob' ? p.bob.ctx : p.alice.ctx, to === 'bob' ? b : a, m);
      expect(step.failure).toBeUndefined();
      roundTrips(step.channel);
      if (to === 'bob') {
        b = step.channel;
        bobEffects.push(...step.effects);
      } else {
        a = step.channel;
        aliceEffects.push(...step.effects);
      }
      for (const out of sentMessages(step.effects)) next.push({ to: to === 'bob' ? 'alice' : 'bob', m: out });
    }
    queue = next;
  }
  return { a, b, aliceEffects, bobEffects, log };
}

function broadcastOf(effects: readonly ChannelEffect[]): Transaction {
  const txs = effects.flatMap((e) => (e.kind === 'broadcast' ? [e.tx] : []));
  expect(txs).toHaveLength(1);
  return Transaction.fromBuffer(Buffer.from(txs[0]!));
}

function fundingPrevout(p: ReadyPair) {
  const out = p.fundingTx.outs[1]!;
  return { scriptPubKey: Uint8Array.from(out.script), amountSat: BigInt(out.value) };
}

/** Both sides sent `shutdown`: Alice's first `closing_signed` (in flight) and both channels. */
function negotiating(p: ReadyPair): { a: NegotiatingCloseChannel; b: NegotiatingCloseChannel; proposal: ClosingSignedMessage } {
  const started = unwrap(closeChannelCooperatively(p.alice.ctx, p.a));
  const bobAnswer = handleChannelMessage(p.bob.ctx, p.b, sentMessages(started.effects)[0] as ShutdownMessage);
  const aliceGot = handleChannelMessage(p.alice.ctx, started.channel, sentMessages(bobAnswer.effects)[0] as ShutdownMessage);
  const proposal = sentMessages(aliceGot.effects)[0] as ClosingSignedMessage;
  expect(proposal.type).toBe(39);
  return { a: aliceGot.channel as NegotiatingCloseChannel, b: bobAnswer.channel as NegotiatingCloseChannel, proposal };
}

/** A `closing_signed` signed by `signerNode` for its channel `c` at `fee` (any range), optionally without the signer's own output. */
function signedBy(signerNode: TestNode, c: NegotiatingCloseChannel, fee: bigint, range: [bigint, bigint], omitOwn = false): ClosingSignedMessage {
  const signer = signerNode.keys.deriveChannelSigner(c.fundingSatoshis, c.channelKeysId);
  const funderMsat = c.fundingSatoshis * 1000n - c.pushMsat;
  const closing = buildClosingTransaction({
    fundingOutpoint: c.funding.outpoint,
    fundingSat: c.fundingSatoshis,
    localFundingPubkey: signer.publicKeys.fundingPubkey,
    remoteFundingPubkey: c.counterparty.pubkeys.fundingPubkey,
    localScriptPubKey: c.shutdown.holderScript,
    remoteScriptPubKey: c.shutdown.counterpartyScript!,
    toLocalMsat: c.isOutbound ? funderMsat : c.pushMsat,
    toRemoteMsat: c.isOutbound ? c.pushMsat : funderMsat,
    localIsOpener: c.isOutbound,
    feeSat: fee,
    dustLimitSat: c.holder.dustLimitSatoshis,
  });
  if (omitOwn) closing.tx.outs.splice(closing.localOutputIndex!, 1);
  const signature = signer.signWithFundingKey(witnessDigest(closing.tx, 0, closing.fundingScript, c.fundingSatoshis, SighashType.All));
  return { type: 39, channelId: c.funding.channelId, feeSatoshis: fee, signature, feeRange: { minFeeSatoshis: range[0], maxFeeSatoshis: range[1] } };
}

function expectFailure(step: ChannelStep, reason: string): void {
  expect(step.failure?.reason).toBe(reason);
  expect(step.channel.state).toBe(ChannelState.Closed);
  const error = sentMessages(step.effects).find((m) => m.type === 17);
  expect(error && new TextDecoder().decode(error.data).startsWith(reason)).toBe(true);
  expect(step.effects.some((e) => e.kind === 'broadcast')).toBe(false);
}

describe.each([
  { name: 'static_remotekey', anchors: false },
  { name: 'anchors_zero_fee_htlc_tx', anchors: true },
])('cooperative close with $name', ({ anchors }) => {
  it.each([
    { initiator: 'alice (funder)' },
    { initiator: 'bob (fundee)' },
  ])('closes when $initiator sends shutdown; the closing tx spends the funding output and pays each side its balance, the funder paying the fee', ({ initiator }) => {
    const p = readyPair({ anchors });
    const byAlice = initiator.startsWith('alice');
    const started = unwrap(closeChannelCooperatively(byAlice ? p.alice.ctx : p.bob.ctx, byAlice ? p.a : p.b));
    expect(started.channel.state).toBe(ChannelState.ShutdownSent);
    roundTrips(started.channel);
    const shutdown = closeMessages(started.effects);
    expect(shutdown.map((m) => m.type)).toEqual([38]);
    const a0 = byAlice ? started.channel : p.a;
    const b0 = byAlice ? p.b : started.channel;
    // exchange() starts by delivering to Bob; when Bob initiates, deliver his shutdown to Alice first.
    let r;
    if (byAlice) {
      r = exchange(p, a0, b0, shutdown);
    } else {
      const aliceStep = handleChannelMessage(p.alice.ctx, a0, shutdown[0]!);
      expect(aliceStep.failure).toBeUndefined();
      const out = sentMessages(aliceStep.effects);
      // Alice answers with her shutdown and, as funder, her first closing_signed.
      expect(out.map((m) => m.type)).toEqual([38, 39]);
      r = exchange(p, aliceStep.channel, b0, out);
      r.aliceEffects.unshift(...aliceStep.effects);
    }
    expect(r.a.state).toBe(ChannelState.Closed);
    expect(r.b.state).toBe(ChannelState.Closed);
    expect(r.a.closure?.reason).toBe('cooperative-closure');
    expect(r.b.closure?.reason).toBe('cooperative-closure');
    for (const effects of [r.aliceEffects, r.bobEffects]) {
      const closed = eventsOf(effects).filter((e) => e.kind === 'channel-closed');
      expect(closed.map((e) => e.reason)).toEqual(['cooperative-closure']);
      expect(sentMessages(effects).some((m) => m.type === 17)).toBe(false);
    }
    const txA = broadcastOf(r.aliceEffects);
    const txB = broadcastOf(r.bobEffects);
    expect(txA.toHex()).toBe(txB.toHex());
    expect(toHex(r.a.closingTxid!)).toBe(toHex(Uint8Array.from(txA.getHash())));
    expect(toHex(r.b.closingTxid!)).toBe(toHex(r.a.closingTxid!));
    // The funding output: 2-of-2 P2WSH of both funding keys, and the interpreter accepts the witness.
    const prevout = fundingPrevout(p);
    expect(toHex(prevout.scriptPubKey)).toBe(toHex(fundingOutputScript(p.a.counterparty!.pubkeys.fundingPubkey, p.b.counterparty!.pubkeys.fundingPubkey)));
    expect(toHex(txA.ins[0]!.hash)).toBe(toHex(p.fundingTx.getHash()));
    expect(verifyInput(txA, 0, prevout)).toBe('');
    // Each side is paid to its shutdown script (their committed upfront P2WPKH): Alice her balance less the fee, Bob his push.
    const aliceScript = p.alice.keys.getShutdownScriptpubkey();
    const bobScript = p.bob.keys.getShutdownScriptpubkey();
    const fee = closingFeeSat(253n, aliceScript, bobScript) + FORCE_CLOSE_AVOIDANCE_MAX_FEE_SATOSHIS;
    const paid = new Map(txA.outs.map((o) => [toHex(Uint8Array.from(o.script)), BigInt(o.value)]));
    expect(paid.get(toHex(aliceScript))).toBe((FUNDING * 1000n - PUSH) / 1000n - fee);
    expect(paid.get(toHex(bobScript))).toBe(PUSH / 1000n);
    // Both outputs are rounded down to whole satoshis (BOLT 3): the 211 + 789 msat remainders add one satoshi to what the miner gets.
    expect(FUNDING - txA.outs.reduce((s, o) => s + BigInt(o.value), 0n)).toBe(fee + 1n);
    // Bob, as fundee, took the top of Alice's range (LDK): Alice proposed, Bob countered, Alice echoed.
    expect(r.log.filter((l) => l.endsWith(' 39'))).toEqual(['alice->bob 39', 'bob->alice 39', 'alice->bob 39']);
  });
});

describe('cooperative close: outputs and signature variants', () => {
  it('omits a dust output (the fundee holds 300 sat, below the 354-sat dust limit)', () => {
    const p = readyPair({ pushMsat: 300_000n });
    const started = unwrap(closeChannelCooperatively(p.bob.ctx, p.b));
    const aliceStep = handleChannelMessage(p.alice.ctx, p.a, closeMessages(started.effects)[0]!);
    const r = exchange(p, aliceStep.channel, started.channel, sentMessages(aliceStep.effects));
    expect(r.a.state).toBe(ChannelState.Closed);
    expect(r.b.closure?.reason).toBe('cooperative-closure');
    const tx = broadcastOf(r.bobEffects);
    expect(tx.outs).toHaveLength(1);
    expect(toHex(Uint8Array.from(tx.outs[0]!.script))).toBe(toHex(p.alice.keys.getShutdownScriptpubkey()));
    expect(verifyInput(tx, 0, fundingPrevout(p))).toBe('');
  });

  it('accepts a funder signature on the variant without the funder output (BOLT 3: a signer MAY eliminate its own output)', () => {
    const p = readyPair();
    const n = negotiating(p);
    const fee = n.proposal.feeSatoshis;
    const m = signedBy(p.alice, n.a, fee, [fee, fee], true);
    const step = handleChannelMessage(p.bob.ctx, n.b, m);
    expect(step.failure).toBeUndefined();
    expect(step.channel.state).toBe(ChannelState.Closed);
    const tx = broadcastOf(step.effects);
    expect(tx.outs).toHaveLength(1);
    expect(BigInt(tx.outs[0]!.value)).toBe(PUSH / 1000n);
    expect(verifyInput(tx, 0, fundingPrevout(p))).toBe('');
    // Bob's answer signs that same transaction, so Alice can finalize it too.
    const echo = sentMessages(step.effects).find((x) => x.type === 39) as ClosingSignedMessage;
    expect(echo.feeSatoshis).toBe(fee);
  });

  it('a fundee agreeing at once answers the same fee (the funder offered a single fee)', () => {
    const p = readyPair();
    const n = negotiating(p);
    const fee = n.proposal.feeSatoshis;
    const step = handleChannelMessage(p.bob.ctx, n.b, signedBy(p.alice, n.a, fee, [fee, fee]));
    expect(step.channel.state).toBe(ChannelState.Closed);
    const back = handleChannelMessage(p.alice.ctx, n.a, closeMessages(step.effects)[0]!);
    expect(back.failure).toBeUndefined();
    expect(back.channel.state).toBe(ChannelState.Closed);
    expect(broadcastOf(back.effects).toHex()).toBe(broadcastOf(step.effects).toHex());
  });
});

describe('cooperative close: closeChannelCooperatively refusals', () => {
  it('only from ready (HTLCs in flight: cooperative-close-htlcs.test.ts)', () => {
    const p = readyPair();
    const started = unwrap(closeChannelCooperatively(p.alice.ctx, p.a));
    const again = closeChannelCooperatively(p.alice.ctx, started.channel);
    expect(again.ok ? null : again.error.code).toBe('channel-unavailable');
  });

  it('the committed upfront script is used; another script is api-misuse', () => {
    const p = readyPair();
    const other = p2wpkh(wasmSecp256k1.publicKeyFromSecret(sha256(new TextEncoder().encode('wallet'))));
    const r = closeChannelCooperatively(p.alice.ctx, p.a, other);
    expect(r.ok ? null : r.error.code).toBe('api-misuse');
    const s = unwrap(closeChannelCooperatively(p.alice.ctx, p.a, p.alice.keys.getShutdownScriptpubkey()));
    expect((sentMessages(s.effects)[0] as ShutdownMessage).scriptpubkey).toEqual(p.alice.keys.getShutdownScriptpubkey());
  });

  it('without an upfront script the given wallet script is used, and must be a shutdown form', () => {
    const p = readyPair({ upfront: false });
    expect(p.a.holderShutdownScript).toBeUndefined();
    const wallet = p2wpkh(wasmSecp256k1.publicKeyFromSecret(sha256(new TextEncoder().encode('wallet'))));
    const s = unwrap(closeChannelCooperatively(p.alice.ctx, p.a, wallet));
    expect((sentMessages(s.effects)[0] as ShutdownMessage).scriptpubkey).toEqual(wallet);
    const bad = closeChannelCooperatively(p.alice.ctx, p.a, Uint8Array.of(0x6a, 0x01, 0x00));
    expect(bad.ok ? null : bad.error.code).toBe('api-misuse');
    // Then the peer (no upfront script either) may close to any valid script, and the close completes.
    const r = exchange(p, s.channel, p.b, sentMessages(s.effects));
    expect([r.a.state, r.b.state]).toEqual([ChannelState.Closed, ChannelState.Closed]);
    expect(broadcastOf(r.aliceEffects).outs.some((o) => toHex(Uint8Array.from(o.script)) === toHex(wallet))).toBe(true);
  });
});

describe('cooperative close: receiver checks', () => {
  const shutdownTo = (c: Channel, scriptpubkey: Uint8Array): ShutdownMessage => ({ type: 38, channelId: c.funding!.channelId, scriptpubkey });

  it('shutdown with a script that is not a shutdown form: invalid-shutdown-script', () => {
    const p = readyPair({ upfront: false });
    expectFailure(handleChannelMessage(p.bob.ctx, p.b, shutdownTo(p.b, Uint8Array.of(0x6a, 0x01, 0x00))), 'invalid-shutdown-script');
    const v1 = Uint8Array.of(0x51, 0x20, ...new Uint8Array(32).fill(7));
    // A witness v1 program only with option_shutdown_anysegwit.
    expect(handleChannelMessage(p.bob.ctx, { ...p.b, anysegwit: true }, shutdownTo(p.b, v1)).failure).toBeUndefined();
    expectFailure(handleChannelMessage(p.bob.ctx, { ...p.b, anysegwit: false }, shutdownTo(p.b, v1)), 'invalid-shutdown-script');
  });

  it('shutdown not paying to their upfront script: shutdown-script-mismatch', () => {
    const p = readyPair();
    const other = p2wpkh(wasmSecp256k1.publicKeyFromSecret(sha256(new TextEncoder().encode('elsewhere'))));
    expectFailure(handleChannelMessage(p.bob.ctx, p.b, shutdownTo(p.b, other)), 'shutdown-script-mismatch');
  });

  it('a repeated shutdown: the same script is ignored, a different one is shutdown-script-mismatch', () => {
    const p = readyPair({ upfront: false });
    const first = p2wpkh(wasmSecp256k1.publicKeyFromSecret(sha256(new TextEncoder().encode('first'))));
    const second = p2wpkh(wasmSecp256k1.publicKeyFromSecret(sha256(new TextEncoder().encode('second'))));
    const b1 = handleChannelMessage(p.bob.ctx, p.b, shutdownTo(p.b, first)).channel;
    expect(b1.state).toBe(ChannelState.NegotiatingClose);
    expect(handleChannelMessage(p.bob.ctx, b1, shutdownTo(p.b, first))).toEqual({ channel: b1, effects: [] });
    expectFailure(handleChannelMessage(p.bob.ctx, b1, shutdownTo(p.b, second)), 'shutdown-script-mismatch');
  });

  it('shutdown before funding fails the channel; before channel_ready it gets a warning; after close it is ignored', () => {
    const p = readyPair();
    const unfunded = { ...p.b, state: ChannelState.InboundAwaitingFundingCreated } as Channel;
    expectFailure(handleChannelMessage(p.bob.ctx, unfunded, shutdownTo(p.b, p.alice.keys.getShutdownScriptpubkey())), 'unexpected-message');
    const m = shutdownTo(p.b, p.alice.keys.getShutdownScriptpubkey());
    expect(phaseVerdict({ ...p.b, state: ChannelState.AwaitingChannelReady } as Channel, m)).toBe('warn');
    expect(phaseVerdict({ ...p.b, state: ChannelState.Closed } as Channel, m)).toBe('ignore');
  });

  it('shutdown while an update_add_htlc of ours waits in the holding cell: shutdown-with-htlcs (it could never be sent)', () => {
    const p = readyPair();
    const held = { id: 0n, direction: 'offered', state: 'held', amountMsat: 1_000_000n, paymentHash: new Uint8Array(32), cltvExpiry: 700 } as HtlcRecord;
    expectFailure(handleChannelMessage(p.bob.ctx, { ...p.b, htlcs: [held] }, shutdownTo(p.b, p.alice.keys.getShutdownScriptpubkey())), 'shutdown-with-htlcs');
  });

  it('closing_signed before both shutdowns: unexpected-message; after close: ignored', () => {
    const p = readyPair();
    const n = negotiating(p);
    expectFailure(handleChannelMessage(p.bob.ctx, p.b, n.proposal), 'unexpected-message');
    expect(phaseVerdict({ ...p.b, state: ChannelState.Closed } as Channel, n.proposal)).toBe('ignore');
  });

  it('closing_signed with a bad signature: bad-closing-signature', () => {
    const p = readyPair();
    const n = negotiating(p);
    const wrongFee = signedBy(p.alice, n.a, n.proposal.feeSatoshis + 1n, [0n, 10_000n]);
    expectFailure(handleChannelMessage(p.bob.ctx, n.b, { ...wrongFee, feeSatoshis: n.proposal.feeSatoshis }), 'bad-closing-signature');
    // Bob's own signature is not Alice's.
    expectFailure(handleChannelMessage(p.bob.ctx, n.b, signedBy(p.bob, n.b, n.proposal.feeSatoshis, [0n, 10_000n])), 'bad-closing-signature');
  });

  it('closing_signed with a fee outside its own fee_range or above the funder balance: closing-fee-out-of-range', () => {
    const p = readyPair();
    const n = negotiating(p);
    expectFailure(handleChannelMessage(p.bob.ctx, n.b, signedBy(p.alice, n.a, 500n, [600n, 700n])), 'closing-fee-out-of-range');
    expectFailure(handleChannelMessage(p.bob.ctx, n.b, { ...n.proposal, feeSatoshis: FUNDING + 1n, feeRange: { minFeeSatoshis: 0n, maxFeeSatoshis: FUNDING + 1n } }), 'closing-fee-out-of-range');
  });

  it('no overlap between the ranges (the fundee estimates far higher fees): closing-fee-out-of-range', () => {
    const p = readyPair();
    const n = negotiating(p);
    const bobCtx = { ...p.bob.ctx, feeEstimator: { feeRatePerKw: () => 20_000n } };
    expectFailure(handleChannelMessage(bobCtx, n.b, n.proposal), 'closing-fee-out-of-range');
  });

  it('the funder refuses a counter-proposal outside its range: closing-fee-out-of-range', () => {
    const p = readyPair();
    const n = negotiating(p);
    const above = n.proposal.feeRange!.maxFeeSatoshis + 1n;
    expectFailure(handleChannelMessage(p.alice.ctx, n.a, signedBy(p.bob, n.b, above, [0n, 100_000n])), 'closing-fee-out-of-range');
  });

  it('an agreed output below the dust limit of its script (a 400-sat P2PKH, BOLT 3: 546): closing-output-below-dust', () => {
    const p = readyPair({ upfront: false, pushMsat: 400_000n });
    const p2pkh = Uint8Array.of(0x76, 0xa9, 0x14, ...new Uint8Array(20).fill(3), 0x88, 0xac);
    const started = unwrap(closeChannelCooperatively(p.bob.ctx, p.b, p2pkh));
    const aliceStep = handleChannelMessage(p.alice.ctx, p.a, closeMessages(started.effects)[0]!);
    const [aliceShutdown, proposal] = closeMessages(aliceStep.effects);
    const bobNegotiating = handleChannelMessage(p.bob.ctx, started.channel, aliceShutdown!).channel;
    expect(bobNegotiating.state).toBe(ChannelState.NegotiatingClose);
    expectFailure(handleChannelMessage(p.bob.ctx, bobNegotiating, proposal!), 'closing-output-below-dust');
  });

  it('the fundee refuses a second, different fee after its answer: closing-fee-mismatch', () => {
    const p = readyPair();
    const n = negotiating(p);
    const countered = handleChannelMessage(p.bob.ctx, n.b, n.proposal);
    expect(countered.channel.state).toBe(ChannelState.NegotiatingClose);
    const answer = sentMessages(countered.effects)[0] as ClosingSignedMessage;
    expect(answer.feeSatoshis).toBe(n.proposal.feeRange!.maxFeeSatoshis);
    expectFailure(handleChannelMessage(p.bob.ctx, countered.channel, n.proposal), 'closing-fee-mismatch');
  });
});
