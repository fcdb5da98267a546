/**
 * The confirmed funding transaction against the channel (BOLT 2/3; LDK's
 * `transactions_confirmed` check): the output at the funding index must be
 * the 2-of-2 P2WSH paying exactly `funding_satoshis`, and the funding must
 * not be a coinbase. A funder that lies in `funding_created` is simulated by
 * signing the first commitment over an outpoint of a transaction that does
 * not pay the channel (what `fundingTransactionGenerated` would refuse).
 */
import type { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import {
  ChannelFailureReason,
  ChannelState,
  channelIdFromOutpoint,
  createChannel,
  decodeChannel,
  encodeChannel,
  fundingTransactionConfirmed,
  handleAcceptChannel,
  handleFundingCreated,
  handleFundingSigned,
  handleOpenChannel,
  initialCommitment,
  type AwaitingFundingSigned,
  type Channel,
  type ChannelStep,
  type FundingGenerationReady,
} from '../../shared/channel/index.js';
import { signCommitmentWith } from '../../shared/channel/initial-commitment.js';
import { wasmSecp256k1 } from '../../shared/crypto/index.js';
import type { FundingCreatedMessage } from '../../shared/wire/index.js';
import { eventsOf, fundingTransaction, onlyMessage, PEER_FEATURES, testNode, type TestNode } from '../support/channel-harness.js';
import { testKey } from '../support/regtest-wallet.js';

const FUNDING = 500_000n;
const CONF = { height: 300, txIndex: 7, blockHash: new Uint8Array(32).fill(3) };

interface Funded {
  readonly alice: TestNode;
  readonly bob: TestNode;
  /** Alice's (funder's) and Bob's (fundee's) records, both awaiting confirmation. */
  readonly a: Channel;
  readonly b: Channel;
  readonly tx: Transaction;
}

/**
 * Alice opens to Bob, then funds with whatever `build` returns (a
 * transaction and the output index named in `funding_created`), signing
 * commitment 0 over that outpoint; both sides reach `awaiting-confirmation`.
 */
function fundWith(build: (script: Uint8Array, value: bigint) => { tx: Transaction; index: number }): Funded {
  const alice = testNode('alice', { handshake: { minimumDepth: 1 } });
  const bob = testNode('bob', { handshake: { minimumDepth: 1 } });
  const created = createChannel(alice.ctx, { counterpartyNodeId: bob.nodeId, theirInitFeatures: PEER_FEATURES, bestHeight: 100, fundingSatoshis: FUNDING, pushMsat: 0n, userChannelId: 7n });
  if (!created.ok) throw new Error(created.error.message);
  const inbound = handleOpenChannel(bob.ctx, { counterpartyNodeId: alice.nodeId, theirInitFeatures: PEER_FEATURES, bestHeight: 100 }, onlyMessage(created.value.effects, 32));
  if (!inbound.ok) throw new Error(inbound.failure.message);
  const accepted = handleAcceptChannel(alice.ctx, created.value.channel, onlyMessage(inbound.effects, 33));
  if (accepted.channel.state !== ChannelState.AwaitingFundingTx) throw new Error('accept_channel refused');
  const ready = eventsOf(accepted.effects)[0] as FundingGenerationReady;
  const { tx, index } = build(ready.outputScript, ready.channelValueSatoshis);

  const outpoint = { txid: tx.getHash(), index };
  const funded: AwaitingFundingSigned = {
    ...accepted.channel,
    state: ChannelState.AwaitingFundingSigned,
    funding: { outpoint, channelId: channelIdFromOutpoint(outpoint) },
    fundingTx: tx.toBuffer(),
  };
  const signer = alice.keys.deriveChannelSigner(FUNDING, funded.channelKeysId);
  const fundingCreated: FundingCreatedMessage = {
    type: 34,
    temporaryChannelId: funded.temporaryChannelId,
    fundingTxid: outpoint.txid,
    fundingOutputIndex: index,
    signature: signCommitmentWith(signer, initialCommitment(wasmSecp256k1, funded, signer, 'counterparty')),
  };
  const bobStep = handleFundingCreated(bob.ctx, inbound.channel, fundingCreated);
  expect(bobStep.failure).toBeUndefined();
  const aliceStep = handleFundingSigned(alice.ctx, funded, onlyMessage(bobStep.effects, 35));
  expect(aliceStep.failure).toBeUndefined();
  expect(aliceStep.channel.state).toBe(ChannelState.AwaitingConfirmation);
  return { alice, bob, a: aliceStep.channel, b: bobStep.channel, tx };
}

function confirmBoth(f: Funded, txIndex = CONF.txIndex): { alice: ChannelStep; bob: ChannelStep } {
  const bytes = f.tx.toBuffer();
  return {
    alice: fundingTransactionConfirmed(f.alice.ctx, f.a, { ...CONF, txIndex }, bytes),
    bob: fundingTransactionConfirmed(f.bob.ctx, f.b, { ...CONF, txIndex }, bytes),
  };
}

/** Both roles closed with `reason`: `error` for the channel id, `ChannelClosed`, nothing broadcast, the record closed (and it round-trips). */
function expectClosed(f: Funded, steps: { alice: ChannelStep; bob: ChannelStep }, reason: ChannelFailureReason, message: RegExp): void {
  for (const [step, before] of [[steps.alice, f.a], [steps.bob, f.b]] as const) {
    expect(step.failure).toEqual({ reason, message: expect.stringMatching(message) });
    expect(step.channel.state).toBe(ChannelState.Closed);
    expect(step.channel.closure?.reason).toBe(reason);
    expect(step.effects.map((e) => e.kind)).toEqual(['send-message', 'event']);
    const error = onlyMessage(step.effects, 17);
    expect(error.channelId).toEqual(before.funding!.channelId);
    expect(new TextDecoder().decode(error.data)).toMatch(new RegExp(`^${reason}: `));
    expect(eventsOf(step.effects)).toMatchObject([{ kind: 'channel-closed', reason, channelId: before.funding!.channelId }]);
    expect(step.effects.some((e) => e.kind === 'broadcast')).toBe(false);
    const decoded = decodeChannel(encodeChannel(step.channel));
    expect(decoded.ok && decoded.value.closure).toEqual({ reason, message: step.failure!.message });
  }
}

describe('funding output check at confirmation, both roles', () => {
  it('the agreed output (2-of-2 P2WSH, funding_satoshis, at the named index) confirms and sends channel_ready', () => {
    const f = fundWith((script, value) => ({ tx: fundingTransaction(script, value, { index: 1 }), index: 1 }));
    const steps = confirmBoth(f);
    for (const step of [steps.alice, steps.bob]) {
      expect(step.failure).toBeUndefined();
      expect(step.channel.state).toBe(ChannelState.AwaitingChannelReady);
      expect(step.channel.confirmation).toEqual(CONF);
      onlyMessage(step.effects, 36);
    }
  });

  it('a funding output paying one satoshi less than funding_satoshis closes the channel (funding-tx-mismatch)', () => {
    const f = fundWith((script, value) => ({ tx: fundingTransaction(script, value - 1n, { index: 1 }), index: 1 }));
    expectClosed(f, confirmBoth(f), ChannelFailureReason.FundingTxMismatch, /pays 499999 sat, not funding_satoshis 500000/);
  });

  it('a funding output paying another script closes the channel (funding-tx-mismatch)', () => {
    const f = fundWith((_script, value) => ({ tx: fundingTransaction(testKey('thief').script, value, { index: 1 }), index: 1 }));
    expectClosed(f, confirmBoth(f), ChannelFailureReason.FundingTxMismatch, /does not pay the channel's 2-of-2 funding script/);
  });

  it('an output index the transaction does not have closes the channel (funding-tx-mismatch)', () => {
    const f = fundWith((script, value) => ({ tx: fundingTransaction(script, value, { index: 1 }), index: 5 }));
    expectClosed(f, confirmBoth(f), ChannelFailureReason.FundingTxMismatch, /has no output 5 \(it has 2\)/);
  });

  it('the right output at the other index of the transaction is still a mismatch (the outpoint is what was signed)', () => {
    const f = fundWith((script, value) => ({ tx: fundingTransaction(script, value, { index: 1 }), index: 0 }));
    expectClosed(f, confirmBoth(f), ChannelFailureReason.FundingTxMismatch, /output 0 of the funding transaction does not pay/);
  });

  it('a funding transaction confirmed at position 0 (the coinbase) closes the channel (funding-tx-coinbase)', () => {
    const f = fundWith((script, value) => ({ tx: fundingTransaction(script, value, { index: 1 }), index: 1 }));
    expectClosed(f, confirmBoth(f, 0), ChannelFailureReason.FundingTxCoinbase, /coinbase/);
  });

  it('bytes that are not the funding transaction (another txid) change nothing', () => {
    const f = fundWith((script, value) => ({ tx: fundingTransaction(script, value, { index: 1 }), index: 1 }));
    const other = fundingTransaction(testKey('other').script, 1_000n).toBuffer();
    for (const [node, channel] of [[f.alice, f.a], [f.bob, f.b]] as const) {
      const step = fundingTransactionConfirmed(node.ctx, channel, CONF, other);
      expect(step).toEqual({ channel, effects: [] });
      expect(fundingTransactionConfirmed(node.ctx, channel, CONF, Uint8Array.of(1, 2, 3))).toEqual({ channel, effects: [] });
    }
  });
});
