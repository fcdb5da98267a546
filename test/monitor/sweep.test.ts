/**
 * Our outputs of a force-closed channel swept to the wallet
 * (shared/monitor/sweep.ts, docs/force-close.md), for both channel types:
 * a real pair of channels (test/support/ready-pair.ts) gives each side's
 * monitor and signer and both commitments; each sweep is checked by
 * bitcore's script interpreter with the flags of the embedded regtest chain
 * (CSV included: the input's sequence must satisfy `to_self_delay`).
 */
import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { channelMonitorFrom, classifyFundingSpend, dustLimitOf, ourOutputs, sweepOutput, type ChannelMonitor } from '../../shared/monitor/index.js';
import { feeForWeight, expectedSpendWeight, p2wpkh, p2wsh, P2WPKH_WITNESS, TO_LOCAL_DELAYED_WITNESS, TO_REMOTE_ANCHORS_WITNESS } from '../../shared/tx/index.js';
import { verifyInput } from '../support/interpreter.js';
import { readyPair, type Side } from '../support/ready-pair.js';

const DESTINATION = p2wpkh(new Uint8Array(33).fill(2));
const FEERATE = 1_000n;

function monitorOf(side: Side): ChannelMonitor {
  return channelMonitorFrom(side.initialMonitors[0]!);
}

function signerOf(side: Side) {
  return side.node.keys.deriveChannelSigner(side.channel.fundingSatoshis, side.channel.channelKeysId);
}

function commitmentOf(side: Side): Transaction {
  return Transaction.fromBuffer(monitorOf(side).holderCommitmentTx);
}

for (const anchors of [false, true]) {
  describe(`sweeps of a closed channel (${anchors ? 'anchors' : 'static_remotekey'})`, () => {
    const pair = readyPair({ anchors, fundingSatoshis: 1_000_000n, pushMsat: 300_000_000n });
    const { alice, bob } = pair;

    it('tells our commitment, theirs, a cooperative close and an unrelated transaction apart', () => {
      expect(classifyFundingSpend(monitorOf(alice), commitmentOf(alice))).toEqual({ kind: 'holder-commitment', commitmentNumber: 0n });
      expect(classifyFundingSpend(monitorOf(alice), commitmentOf(bob))).toEqual({ kind: 'counterparty-commitment', commitmentNumber: 0n });
      const close = commitmentOf(alice).clone();
      close.locktime = 0;
      close.ins[0]!.sequence = 0xffffffff;
      expect(classifyFundingSpend(monitorOf(alice), close)).toEqual({ kind: 'cooperative-close' });
      expect(ourOutputs(signerOf(alice), monitorOf(alice), close)).toEqual([]);
      const other = new Transaction();
      other.addInput(new Uint8Array(32).fill(9), 0);
      other.addOutput(DESTINATION, 1_000n);
      expect(classifyFundingSpend(monitorOf(alice), other)).toEqual({ kind: 'unrelated' });
    });

    it('sweeps our to_local on our commitment after to_self_delay: witness <delayedsig> <> <script>, sequence to_self_delay, the interpreter accepts it', () => {
      const commitment = commitmentOf(alice);
      const [output, ...rest] = ourOutputs(signerOf(alice), monitorOf(alice), commitment);
      expect(rest).toEqual([]);
      expect(output).toMatchObject({ kind: 'to-local', csvBlocks: alice.channel.counterparty.toSelfDelay });
      expect(commitment.outs[output!.outpoint.index]!.script).toEqual(p2wsh(output!.scriptCode));
      const sweep = sweepOutput(signerOf(alice), output!, DESTINATION, FEERATE);
      if (sweep.kind !== 'sweep') throw new Error('expected a sweep');
      const tx = Transaction.fromBuffer(sweep.tx);
      expect(tx.ins[0]!.sequence).toBe(alice.channel.counterparty.toSelfDelay);
      expect(tx.ins[0]!.hash).toEqual(commitment.getHash());
      expect(tx.outs).toEqual([expect.objectContaining({ script: DESTINATION, value: output!.valueSat - sweep.feeSat })]);
      expect(sweep.feeSat).toBe(feeForWeight(FEERATE, expectedSpendWeight([TO_LOCAL_DELAYED_WITNESS], [DESTINATION])));
      expect(tx.ins[0]!.witness.map((w) => w.length)).toEqual([tx.ins[0]!.witness[0]!.length, 0, output!.scriptCode.length]);
      expect(verifyInput(tx, 0, { scriptPubKey: commitment.outs[output!.outpoint.index]!.script, amountSat: output!.valueSat })).toBe('');
      // The actual weight is within the expected (BOLT 5's witness sizes are upper bounds).
      expect(BigInt(tx.weight())).toBeLessThanOrEqual(expectedSpendWeight([TO_LOCAL_DELAYED_WITNESS], [DESTINATION]));
      // A sequence below to_self_delay fails the script's CSV.
      const early = tx.clone();
      early.ins[0]!.sequence = alice.channel.counterparty.toSelfDelay - 1;
      expect(verifyInput(early, 0, { scriptPubKey: commitment.outs[output!.outpoint.index]!.script, amountSat: output!.valueSat })).not.toBe('');
    });

    it(`sweeps our to_remote on their commitment (${anchors ? 'P2WSH, 1-block CSV' : 'P2WPKH, at once'}); the interpreter accepts it`, () => {
      const commitment = commitmentOf(alice);
      const [output, ...rest] = ourOutputs(signerOf(bob), monitorOf(bob), commitment);
      expect(rest).toEqual([]);
      expect(output).toMatchObject({ kind: 'to-remote', csvBlocks: anchors ? 1 : 0, valueSat: 300_000n });
      const sweep = sweepOutput(signerOf(bob), output!, DESTINATION, FEERATE);
      if (sweep.kind !== 'sweep') throw new Error('expected a sweep');
      const tx = Transaction.fromBuffer(sweep.tx);
      expect(tx.ins[0]!.sequence).toBe(anchors ? 1 : 0xfffffffd);
      const witness = anchors ? TO_REMOTE_ANCHORS_WITNESS : P2WPKH_WITNESS;
      expect(sweep.feeSat).toBe(feeForWeight(FEERATE, expectedSpendWeight([witness], [DESTINATION])));
      expect(sweep.amountSat).toBe(300_000n - sweep.feeSat);
      const prevout = { scriptPubKey: commitment.outs[output!.outpoint.index]!.script, amountSat: output!.valueSat };
      expect(verifyInput(tx, 0, prevout)).toBe('');
      if (anchors) {
        const early = tx.clone();
        early.ins[0]!.sequence = 0;
        expect(verifyInput(early, 0, prevout)).not.toBe('');
      }
      // Signed for this transaction only: another output amount breaks the signature.
      const altered = tx.clone();
      altered.outs[0]!.value -= 1n;
      expect(verifyInput(altered, 0, prevout)).not.toBe('');
    });

    it('finds no to_local of ours on their commitment and no to_remote on ours', () => {
      const bobOnAlice = ourOutputs(signerOf(alice), monitorOf(alice), commitmentOf(bob));
      expect(bobOnAlice.map((o) => o.kind)).toEqual(['to-remote']);
      expect(ourOutputs(signerOf(bob), monitorOf(bob), commitmentOf(bob)).map((o) => o.kind)).toEqual(['to-local']);
    });

    it('leaves an output below dust after fees on chain, and says so', () => {
      const [output] = ourOutputs(signerOf(bob), monitorOf(bob), commitmentOf(alice));
      const feerate = (output!.valueSat * 1000n) / expectedSpendWeight([anchors ? TO_REMOTE_ANCHORS_WITNESS : P2WPKH_WITNESS], [DESTINATION]);
      const sweep = sweepOutput(signerOf(bob), output!, DESTINATION, feerate);
      expect(sweep.kind).toBe('below-dust');
      expect(sweep.feeSat + dustLimitOf(DESTINATION)).toBeGreaterThan(output!.valueSat);
      expect(dustLimitOf(DESTINATION)).toBe(294n);
      expect(dustLimitOf(p2wsh(new Uint8Array(3)))).toBe(330n);
    });
  });
}
