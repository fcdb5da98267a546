/**
 * The ChannelManager's funding output check (LDK `transactions_confirmed`):
 * a confirmed funding transaction that does not pay the agreed 2-of-2
 * output, or that is a coinbase, closes the channel with an `error`, a
 * `ChannelClosed`, a force-close monitor update that says not to
 * broadcast, and no commitment broadcast.
 */
import { expect, it } from 'vitest';
import { ChannelState, channelIdFromOutpoint, initialCommitment, type AwaitingFundingSigned, type Channel } from '../../shared/channel/index.js';
import { signCommitmentWith } from '../../shared/channel/initial-commitment.js';
import { wasmSecp256k1 } from '../../shared/crypto/index.js';
import { channelKey } from '../../shared/manager/index.js';
import { decodeMonitorUpdate } from '../../shared/monitor/index.js';
import type { FundingCreatedMessage } from '../../shared/wire/index.js';
import { fundingTransaction } from '../support/channel-harness.js';
import type { ManagerNode } from '../support/manager-network.js';
import { connectedPair, eventsOf, fund, FUNDING, onlyChannel, openChannel } from './manager-fixture.js';

const network = () => connectedPair(1);

function expectForceClosedWithoutBroadcast(node: ManagerNode, channelId: Uint8Array, reason: string): void {
  expect(eventsOf(node, 'channel-closed')).toMatchObject([{ reason, channelId }]);
  const monitors = node.store.monitorItems(channelId);
  expect(monitors).toHaveLength(2);
  expect(decodeMonitorUpdate(monitors[1]!, channelId)).toMatchObject({ ok: true, value: { updateId: 1n, steps: [{ kind: 'channel-force-closed', shouldBroadcast: false }] } });
}

it('a correct funding transaction confirms through the chain feed and both sides become ready', () => {
  const { net, alice, bob } = network();
  const tx = fund(net, alice, openChannel(net, alice, bob));
  net.mine([tx]);
  for (const node of [alice, bob]) expect(onlyChannel(net, node).isChannelReady).toBe(true);
  expect(eventsOf(alice, 'channel-closed')).toEqual([]);
});

it('a funding transaction reported at position 0 (coinbase) closes both roles: error, ChannelClosed, no commitment broadcast', () => {
  const { net, alice, bob } = network();
  const tx = fund(net, alice, openChannel(net, alice, bob));
  const channelId = onlyChannel(net, alice).channelId;
  const txid = onlyChannel(net, alice).fundingOutpoint!.txid;
  const header = new Uint8Array(80);
  for (const node of [alice, bob]) {
    net.step(node, { kind: 'chain' }, (m) => m.transactionsConfirmed(header, [{ position: 0, txid, tx }], net.height + 1));
    expectForceClosedWithoutBroadcast(node, channelId, 'funding-tx-coinbase');
    expect(net.read(node, (m) => m.listChannels())).toEqual([]);
  }
  net.run();
  expect(alice.broadcasts).toHaveLength(1); // the funding transaction only
  expect(bob.broadcasts).toEqual([]);
  const errors = [...alice.received, ...bob.received].filter((m) => m.type === 17);
  expect(errors.map((m) => new TextDecoder().decode((m as { data: Uint8Array }).data))).toEqual([
    'funding-tx-coinbase: the funding transaction is a coinbase transaction',
    'funding-tx-coinbase: the funding transaction is a coinbase transaction',
  ]);
});

it('a funder whose funding_created names a transaction paying less: the fundee closes when it confirms, broadcasting nothing', () => {
  const { net, alice, bob } = network();
  const ready = openChannel(net, alice, bob);
  // Alice's channel as stored, waiting for its funding transaction; she signs for a transaction paying 1 sat less.
  const key = channelKey(bob.nodeId, ready.temporaryChannelId);
  const entry = alice.store.storedChannel(key)!;
  if (!entry.ok || entry.value.kind !== 'channel' || entry.value.channel.state !== ChannelState.AwaitingFundingTx) throw new Error('no channel awaiting funding');
  const channel: Channel = entry.value.channel;
  const bad = fundingTransaction(ready.outputScript, FUNDING - 1n, { index: 1 });
  const outpoint = { txid: bad.getHash(), index: 1 };
  const lying: AwaitingFundingSigned = {
    ...(channel as Extract<Channel, { state: 'awaiting-funding-tx' }>),
    state: ChannelState.AwaitingFundingSigned,
    funding: { outpoint, channelId: channelIdFromOutpoint(outpoint) },
    fundingTx: bad.toBuffer(),
  };
  const signer = alice.ports.signerProvider.deriveChannelSigner(FUNDING, channel.channelKeysId);
  const created: FundingCreatedMessage = {
    type: 34,
    temporaryChannelId: ready.temporaryChannelId,
    fundingTxid: outpoint.txid,
    fundingOutputIndex: 1,
    signature: signCommitmentWith(signer, initialCommitment(wasmSecp256k1, lying, signer, 'counterparty')),
  };
  net.step(bob, { kind: 'peer-message', peer: alice.nodeId, message: created }, (m) => m.handleChannelMessage(alice.nodeId, created));
  // Bob signed and waits for the funding; Alice's machine is not part of the lie: drop his funding_signed.
  expect(onlyChannel(net, bob).state).toBe(ChannelState.AwaitingConfirmation);
  net.queue.length = 0;
  net.mine([bad.toBuffer()]);
  expectForceClosedWithoutBroadcast(bob, lying.funding.channelId, 'funding-tx-mismatch');
  expect(bob.broadcasts).toEqual([]);
  expect(net.read(bob, (m) => m.listChannels())).toEqual([]);
  expect(eventsOf(bob, 'channel-ready')).toEqual([]);
});
