/**
 * BOLT 2 channel establishment between two of our own channel machines
 * (outbound <-> inbound), messages through the wire codec: open -> accept
 * -> funding -> signed -> confirmed -> ready for both channel types,
 * serialization at every state, funding-call errors, chain events.
 */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import {
  ChannelState,
  bestBlockUpdated,
  createChannel,
  decodeChannel,
  encodeChannel,
  fundingTransactionConfirmed,
  fundingTransactionGenerated,
  fundingTransactionUnconfirmed,
  handleAcceptChannel,
  handleChannelReady,
  handleFundingCreated,
  handleFundingSigned,
  handleOpenChannel,
  type Channel,
  type ChannelStep,
  type FundingGenerationReady,
  type InitialMonitor,
} from '../../shared/channel/index.js';
import { wasmSecp256k1 } from '../../shared/crypto/index.js';
import { INITIAL_COMMITMENT_INDEX } from '../../shared/keys/index.js';
import { fundingOutputScript, verifyWitnessInput, fundingScript, SighashType } from '../../shared/tx/index.js';
import { eventsOf, fundingTransaction, onlyMessage, PEER_FEATURES, testNode, type TestNode } from '../support/channel-harness.js';
import { channelDetailsOf } from '../../shared/manager/index.js';

/** The channel as `listChannels` reports it (LDK's `ChannelDetails`), its peer connected. */
const details = (channel: Channel) => channelDetailsOf(channel, channel.bestHeight, true);

const FUNDING = 1_000_000n;
const PUSH = 123_456_789n;

interface Established {
  readonly alice: TestNode;
  readonly bob: TestNode;
  /** Every record each side went through, in order. */
  readonly aliceStates: Channel[];
  readonly bobStates: Channel[];
  readonly a: Channel;
  readonly b: Channel;
  readonly fundingTx: Transaction;
  readonly broadcasts: Uint8Array[];
  readonly monitors: InitialMonitor[];
}

function okStep(step: ChannelStep): ChannelStep {
  expect(step.failure).toBeUndefined();
  return step;
}

/** Alice opens to Bob and both reach `awaiting-confirmation`. */
function fund(anchors: boolean, minimumDepth = 3): Established {
  const alice = testNode('alice', { handshake: { negotiateAnchorsZeroFeeHtlcTx: anchors, minimumDepth } });
  const bob = testNode('bob', { handshake: { negotiateAnchorsZeroFeeHtlcTx: anchors, minimumDepth } });
  const aliceStates: Channel[] = [];
  const bobStates: Channel[] = [];
  const monitors: InitialMonitor[] = [];
  const broadcasts: Uint8Array[] = [];

  const created = createChannel(alice.ctx, { counterpartyNodeId: bob.nodeId, theirInitFeatures: PEER_FEATURES, bestHeight: 100, fundingSatoshis: FUNDING, pushMsat: PUSH, userChannelId: 42n });
  if (!created.ok) throw new Error(created.error.message);
  let a = created.value.channel;
  aliceStates.push(a);
  const open = onlyMessage(created.value.effects, 32);

  const inbound = handleOpenChannel(bob.ctx, { counterpartyNodeId: alice.nodeId, theirInitFeatures: PEER_FEATURES, bestHeight: 100 }, open);
  if (!inbound.ok) throw new Error(inbound.failure.message);
  let b: Channel = inbound.channel;
  bobStates.push(b);
  const accept = onlyMessage(inbound.effects, 33);

  const accepted = okStep(handleAcceptChannel(alice.ctx, a, accept));
  a = accepted.channel;
  aliceStates.push(a);
  const ready = eventsOf(accepted.effects)[0] as FundingGenerationReady;
  expect(ready.kind).toBe('funding-generation-ready');
  expect(ready.userChannelId).toBe(42n);
  const fundingTx = fundingTransaction(ready.outputScript, ready.channelValueSatoshis, { index: 1 });

  const generated = fundingTransactionGenerated(alice.ctx, a, fundingTx.toBuffer());
  if (!generated.ok) throw new Error(generated.error.message);
  a = generated.value.channel;
  aliceStates.push(a);
  expect(generated.value.effects.some((e) => e.kind === 'broadcast')).toBe(false);

  const createdMsg = onlyMessage(generated.value.effects, 34);
  const bobFunded = okStep(handleFundingCreated(bob.ctx, b, createdMsg));
  b = bobFunded.channel;
  bobStates.push(b);
  expect(bobFunded.effects.map((e) => e.kind)).toEqual(['persist-monitor', 'send-message', 'event']);
  for (const e of bobFunded.effects) if (e.kind === 'persist-monitor') monitors.push(e.monitor);

  const signedMsg = onlyMessage(bobFunded.effects, 35);
  const aliceFunded = okStep(handleFundingSigned(alice.ctx, a, signedMsg));
  a = aliceFunded.channel;
  aliceStates.push(a);
  expect(aliceFunded.effects.map((e) => e.kind)).toEqual(['persist-monitor', 'broadcast', 'event']);
  for (const e of aliceFunded.effects) {
    if (e.kind === 'persist-monitor') monitors.push(e.monitor);
    if (e.kind === 'broadcast') broadcasts.push(e.tx);
  }
  return { alice, bob, aliceStates, bobStates, a, b, fundingTx, broadcasts, monitors };
}

/** Confirms the funding tx at height 200 and walks both sides to `ready`. */
function confirmAndReady(f: Established, minimumDepth = 3): { a: Channel; b: Channel; aliceStates: Channel[]; bobStates: Channel[] } {
  const conf = { height: 200, txIndex: 5, blockHash: new Uint8Array(32).fill(9) };
  const aliceStates = [...f.aliceStates];
  const bobStates = [...f.bobStates];
  let a = okStep(fundingTransactionConfirmed(f.alice.ctx, f.a, conf, f.fundingTx.toBuffer())).channel;
  let b = okStep(fundingTransactionConfirmed(f.bob.ctx, f.b, conf, f.fundingTx.toBuffer())).channel;
  aliceStates.push(a);
  bobStates.push(b);
  // One block short of the depth: nothing sent.
  const early = bestBlockUpdated(f.alice.ctx, a, 200 + minimumDepth - 2);
  expect(early.effects).toEqual([]);
  a = early.channel;
  const aReady = okStep(bestBlockUpdated(f.alice.ctx, a, 200 + minimumDepth - 1));
  a = aReady.channel;
  aliceStates.push(a);
  expect(a.state).toBe(ChannelState.AwaitingChannelReady);
  const aliceReadyMsg = onlyMessage(aReady.effects, 36);

  // Bob hears Alice's channel_ready before his own depth: he keeps it.
  const bKeeps = okStep(handleChannelReady(f.bob.ctx, b, aliceReadyMsg));
  b = bKeeps.channel;
  bobStates.push(b);
  expect(b.state).toBe(ChannelState.AwaitingConfirmation);
  const bReady = okStep(bestBlockUpdated(f.bob.ctx, b, 200 + minimumDepth - 1));
  b = bReady.channel;
  bobStates.push(b);
  expect(b.state).toBe(ChannelState.Ready);
  expect(eventsOf(bReady.effects).map((e) => e.kind)).toEqual(['channel-ready']);
  const bobReadyMsg = onlyMessage(bReady.effects, 36);

  const aDone = okStep(handleChannelReady(f.alice.ctx, a, bobReadyMsg));
  a = aDone.channel;
  aliceStates.push(a);
  expect(a.state).toBe(ChannelState.Ready);
  expect(eventsOf(aDone.effects).map((e) => e.kind)).toEqual(['channel-ready']);
  return { a, b, aliceStates, bobStates };
}

describe.each([
  { name: 'static_remotekey', anchors: false },
  { name: 'anchors_zero_fee_htlc_tx', anchors: true },
])('establishment with $name', ({ anchors }) => {
  it('goes open -> accept -> funding -> signed -> confirmed -> ready on both sides with matching details', () => {
    const f = fund(anchors);
    expect(f.a.channelType).toEqual({ anchors, scidAlias: false });
    expect(f.b.channelType).toEqual({ anchors, scidAlias: false });
    // The funding transaction is broadcast after funding_signed, unchanged.
    expect(f.broadcasts).toHaveLength(1);
    expect(Transaction.fromBuffer(f.broadcasts[0]!).getId()).toBe(f.fundingTx.getId());
    const { a, b } = confirmAndReady(f);
    const da = details(a);
    const db = details(b);
    expect(da.isUsable && db.isUsable).toBe(true);
    expect(da.channelId).toEqual(db.channelId);
    expect(da.channelValueSatoshis).toBe(FUNDING);
    expect(db.channelValueSatoshis).toBe(FUNDING);
    expect(da.balanceMsat).toBe(FUNDING * 1000n - PUSH);
    expect(db.balanceMsat).toBe(PUSH);
    expect((da.channelValueSatoshis * 1000n - da.balanceMsat)).toBe(db.balanceMsat);
    expect(da.shortChannelId).toBe((200n << 40n) | (5n << 16n) | 1n);
    expect(db.shortChannelId).toBe(da.shortChannelId);
    // channel_id = funding txid XOR output index 1.
    const txid = f.fundingTx.getHash();
    expect(da.channelId.subarray(0, 31)).toEqual(txid.subarray(0, 31));
    expect(da.channelId[31]).toBe(txid[31]! ^ 1);
  });

  it('hands each side a monitor whose commitment 0 carries two valid funding signatures', () => {
    const f = fund(anchors);
    expect(f.monitors).toHaveLength(2);
    for (const m of f.monitors) {
      const tx = Transaction.fromBuffer(m.holderCommitmentTx);
      expect(tx.ins[0]!.hash).toEqual(m.fundingOutpoint.txid);
      const w = tx.ins[0]!.witness;
      expect(w).toHaveLength(4);
      expect(m.fundingScriptPubKey).toEqual(f.fundingTx.outs[m.fundingOutpoint.index]!.script);
      const anchorsOutputs = tx.outs.filter((o) => o.value === 330n).length;
      expect(anchorsOutputs).toBe(anchors ? 2 : 0);
    }
    // Bob's monitor: commitment 0 verifies under Alice's funding key (the signature Bob holds).
    const bobMonitor = f.monitors.find((m) => !m.isOutbound)!;
    const aliceSigner = f.alice.keys.deriveChannelSigner(FUNDING, f.a.channelKeysId);
    const bobSigner = f.bob.keys.deriveChannelSigner(FUNDING, f.b.channelKeysId);
    const tx = Transaction.fromBuffer(bobMonitor.holderCommitmentTx);
    const script = fundingScript(aliceSigner.publicKeys.fundingPubkey, bobSigner.publicKeys.fundingPubkey);
    expect(verifyWitnessInput(wasmSecp256k1, tx, 0, script, FUNDING, bobMonitor.counterpartySignature, aliceSigner.publicKeys.fundingPubkey, SighashType.All)).toBe(true);
    expect(fundingOutputScript(aliceSigner.publicKeys.fundingPubkey, bobSigner.publicKeys.fundingPubkey)).toEqual(bobMonitor.fundingScriptPubKey);
  });

  it('round-trips every state through encodeChannel/decodeChannel, each item under 8 KB', () => {
    const f = fund(anchors);
    const { aliceStates, bobStates } = confirmAndReady(f);
    const sizes: Record<string, number> = {};
    for (const c of [...aliceStates, ...bobStates]) {
      const bytes = encodeChannel(c);
      const decoded = decodeChannel(bytes);
      if (!decoded.ok) throw decoded.error;
      expect(decoded.value).toEqual(c);
      expect(encodeChannel(decoded.value)).toEqual(bytes);
      expect(bytes.length).toBeLessThanOrEqual(8192);
      const key = `${c.isOutbound ? 'outbound' : 'inbound'} ${c.state}`;
      sizes[key] = Math.max(sizes[key] ?? 0, bytes.length);
    }
    console.log(`channel item sizes (${anchors ? 'anchors' : 'static_remotekey'}):`, sizes);
    expect(Object.keys(sizes)).toEqual(expect.arrayContaining(['outbound outbound-awaiting-accept', 'inbound ready', 'outbound ready', 'outbound awaiting-funding-signed']));
  });
});

describe('serialization', () => {
  it('refuses a newer version, a cut record and a record missing a required field', () => {
    const f = fund(false);
    const bytes = encodeChannel(f.a);
    const newer = Uint8Array.from(bytes);
    newer[0] = 2;
    expect(decodeChannel(newer).ok).toBe(false);
    expect(decodeChannel(bytes.subarray(0, bytes.length - 3)).ok).toBe(false);
    // An awaiting-confirmation record without its counterparty signature (TLV 32) is refused.
    const withoutSig = encodeChannel({ ...f.a, counterpartySignature: undefined } as unknown as Channel);
    const decoded = decodeChannel(withoutSig);
    expect(decoded.ok).toBe(false);
  });
});

describe('fundingTransactionGenerated errors', () => {
  function awaitingFunding() {
    const alice = testNode('alice');
    const bob = testNode('bob');
    const created = createChannel(alice.ctx, { counterpartyNodeId: bob.nodeId, theirInitFeatures: PEER_FEATURES, bestHeight: 100, fundingSatoshis: FUNDING, pushMsat: 0n, userChannelId: 1n });
    if (!created.ok) throw new Error(created.error.message);
    const inbound = handleOpenChannel(bob.ctx, { counterpartyNodeId: alice.nodeId, theirInitFeatures: PEER_FEATURES, bestHeight: 100 }, onlyMessage(created.value.effects, 32));
    if (!inbound.ok) throw new Error(inbound.failure.message);
    const step = handleAcceptChannel(alice.ctx, created.value.channel, onlyMessage(inbound.effects, 33));
    const ready = eventsOf(step.effects)[0] as FundingGenerationReady;
    return { alice, channel: step.channel, ready };
  }

  it('refuses a non-segwit input (api-misuse) and leaves the channel waiting', () => {
    const { alice, channel, ready } = awaitingFunding();
    const tx = fundingTransaction(ready.outputScript, FUNDING, { segwit: false });
    const result = fundingTransactionGenerated(alice.ctx, channel, tx.toBuffer());
    expect(result).toEqual({ ok: false, error: { code: 'api-misuse', message: expect.stringContaining('segwit') } });
    expect(channel.state).toBe(ChannelState.AwaitingFundingTx);
  });

  it('refuses a transaction with no output of the funding script and value', () => {
    const { alice, channel, ready } = awaitingFunding();
    for (const tx of [fundingTransaction(ready.outputScript, FUNDING - 1n), fundingTransaction(new Uint8Array(34).fill(0), FUNDING)]) {
      const result = fundingTransactionGenerated(alice.ctx, channel, tx.toBuffer());
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toEqual({ code: 'api-misuse', message: expect.stringContaining('no output') });
    }
    expect(fundingTransactionGenerated(alice.ctx, channel, Uint8Array.of(1, 2, 3)).ok).toBe(false);
  });

  it('refuses a second call', () => {
    const { alice, channel, ready } = awaitingFunding();
    const tx = fundingTransaction(ready.outputScript, FUNDING);
    const first = fundingTransactionGenerated(alice.ctx, channel, tx.toBuffer());
    if (!first.ok) throw new Error(first.error.message);
    const second = fundingTransactionGenerated(alice.ctx, first.value.channel, tx.toBuffer());
    expect(second).toEqual({ ok: false, error: { code: 'channel-unavailable', message: expect.stringContaining('already provided') } });
  });
});

describe('createChannel API errors', () => {
  const alice = testNode('alice');
  const bob = testNode('bob');
  const request = { counterpartyNodeId: bob.nodeId, theirInitFeatures: new Uint8Array(0), bestHeight: 1, pushMsat: 0n, userChannelId: 0n };
  it.each([
    ['below 1,000 sat', { fundingSatoshis: 999n }, 'at least'],
    ['2^24 sat without large channels', { fundingSatoshis: 1n << 24n }, 'at most'],
    ['push above the value', { fundingSatoshis: 10_000n, pushMsat: 10_000_001n }, 'push_msat'],
  ])('%s', (_name, over, text) => {
    const result = createChannel(alice.ctx, { ...request, ...over } as typeof request & { fundingSatoshis: bigint });
    expect(result).toEqual({ ok: false, error: { code: 'api-misuse', message: expect.stringContaining(text) } });
  });
  it('allows 2^24 sat with option_support_large_channel', () => {
    const result = createChannel(alice.ctx, { ...request, theirInitFeatures: PEER_FEATURES, fundingSatoshis: 1n << 24n });
    expect(result.ok).toBe(true);
  });
});

describe('chain events', () => {
  it('a reorg of the funding transaction before channel_ready goes back to waiting', () => {
    const f = fund(false, 3);
    const conf = { height: 200, txIndex: 1, blockHash: new Uint8Array(32).fill(1) };
    let b = fundingTransactionConfirmed(f.bob.ctx, f.b, conf, f.fundingTx.toBuffer()).channel;
    b = bestBlockUpdated(f.bob.ctx, b, 201).channel;
    const back = fundingTransactionUnconfirmed(f.bob.ctx, b);
    expect(back.channel.confirmation).toBeUndefined();
    expect(back.effects).toEqual([]);
    // Deeper blocks without a confirmation send nothing.
    expect(bestBlockUpdated(f.bob.ctx, back.channel, 210).effects).toEqual([]);
    // Re-confirmed in another block: channel_ready at the depth counted from there.
    const again = fundingTransactionConfirmed(f.bob.ctx, bestBlockUpdated(f.bob.ctx, back.channel, 211).channel, { ...conf, height: 211 }, f.fundingTx.toBuffer());
    expect(again.effects).toEqual([]);
    const ready = bestBlockUpdated(f.bob.ctx, again.channel, 213);
    const msg = onlyMessage(ready.effects, 36);
    const signer = f.bob.keys.deriveChannelSigner(FUNDING, f.b.channelKeysId);
    expect(msg.secondPerCommitmentPoint).toEqual(signer.perCommitmentPoint(INITIAL_COMMITMENT_INDEX - 1n));
    expect(msg.shortChannelId).toBe(f.b.holderAlias);
  });

  it('after channel_ready a reorg of the funding transaction fails the channel', () => {
    const f = fund(false, 1);
    const conf = { height: 200, txIndex: 1, blockHash: new Uint8Array(32).fill(1) };
    const sent = fundingTransactionConfirmed(f.bob.ctx, f.b, conf, f.fundingTx.toBuffer());
    expect(sent.channel.state).toBe(ChannelState.AwaitingChannelReady);
    const step = fundingTransactionUnconfirmed(f.bob.ctx, sent.channel);
    expect(step.failure?.reason).toBe('funding-reorged-out');
  });

  it('forgets an inbound channel whose funding does not confirm within 2,016 blocks, but not an outbound one', () => {
    const f = fund(false);
    const start = f.b.fundingSignedAtHeight!;
    expect(bestBlockUpdated(f.bob.ctx, f.b, start + 2015).failure).toBeUndefined();
    const timedOut = bestBlockUpdated(f.bob.ctx, f.b, start + 2016);
    expect(timedOut.failure?.reason).toBe('funding-timed-out');
    expect(timedOut.channel.state).toBe(ChannelState.Closed);
    expect(onlyMessage(timedOut.effects, 17).channelId).toEqual(f.b.funding!.channelId);
    expect(eventsOf(timedOut.effects).map((e) => e.kind)).toEqual(['channel-closed']);
    expect(bestBlockUpdated(f.alice.ctx, f.a, start + 5000).failure).toBeUndefined();
  });
});
