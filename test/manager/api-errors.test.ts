/**
 * The seed's documented refusals: `create_channel`'s APIMisuseError cases,
 * `funding_transaction_generated`'s (non-segwit input, no matching output),
 * a second funding call, and "broadcast only after funding_signed".
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../shared/crypto/index.js';
import { ManagerError, ManagerErrorCode } from '../../shared/manager/index.js';
import { featureBit, featuresFromBits, OUR_INIT_FEATURE_BITS } from '../../shared/wire/index.js';
import { fundingTransaction } from '../support/channel-harness.js';
import { ManagerNetwork } from '../support/manager-network.js';
import { eventsOf, onlyChannel, openChannel } from './manager-fixture.js';

/** Our init features without option_support_large_channel. */
const SMALL_ONLY = featuresFromBits(OUR_INIT_FEATURE_BITS.filter((b) => b !== featureBit('option_support_large_channel', 'optional')));

function pair(bobFeatures: Uint8Array = SMALL_ONLY) {
  const net = new ManagerNetwork();
  const alice = net.addNode('alice');
  const bob = net.addNode('bob', { features: bobFeatures });
  net.connect(alice, bob);
  return { net, alice, bob };
}

describe('createChannel', () => {
  it.each([
    ['below 1,000 sat', 999n, 0n, 'at least 1000'],
    ['above 2^24 - 1 sat without large channels', 1n << 24n, 0n, 'at most'],
    ['push_msat above the value', 100_000n, 100_000_001n, 'push_msat'],
  ])('refuses a channel value %s with api-misuse, changing nothing', (_, value, push, text) => {
    const { net, alice, bob } = pair();
    const header = alice.store.items.get('HEADER');
    const result = net.step(alice, { kind: 'create-channel' }, (m) => m.createChannel(bob.nodeId, value, push, 1n));
    expect(result).toEqual({ ok: false, error: { code: 'api-misuse', message: expect.stringContaining(text) } });
    expect(alice.store.items.get('HEADER')).toEqual(header);
    expect(net.queue).toEqual([]);
    expect(alice.events).toEqual([]);
  });

  it('accepts exactly 2^24 - 1 sat, and more when the peer supports large channels', () => {
    const { net, alice, bob } = pair();
    expect(net.step(alice, { kind: 'create-channel' }, (m) => m.createChannel(bob.nodeId, (1n << 24n) - 1n, 0n, 1n)).ok).toBe(true);
    const large = pair(featuresFromBits(OUR_INIT_FEATURE_BITS));
    const result = large.net.step(large.alice, { kind: 'create-channel' }, (m) => m.createChannel(large.bob.nodeId, 1n << 25n, 0n, 1n));
    expect(result.ok).toBe(true);
    large.net.run();
    expect(eventsOf(large.alice, 'funding-generation-ready')[0]?.channelValueSatoshis).toBe(1n << 25n);
  });

  it('does not check that the peer is connected: open_channel waits for nobody', () => {
    const net = new ManagerNetwork();
    const alice = net.addNode('alice');
    const carol = net.addNode('carol');
    const result = net.step(alice, { kind: 'create-channel' }, (m) => m.createChannel(carol.nodeId, 50_000n, 0n, 5n));
    expect(result.ok).toBe(true);
    expect(net.read(alice, (m) => m.listChannels())).toMatchObject([{ state: 'outbound-awaiting-accept', userChannelId: 5n, isUsable: false }]);
  });
});

describe('fundingTransactionGenerated', () => {
  it('refuses a non-segwit input and a transaction without the funding output', () => {
    const { net, alice, bob } = pair();
    const ready = openChannel(net, alice, bob);
    const call = (tx: Uint8Array) =>
      net.step(alice, { kind: 'funding-transaction-generated', temporaryChannelId: ready.temporaryChannelId }, (m) => m.fundingTransactionGenerated(ready.temporaryChannelId, tx));
    const legacy = fundingTransaction(ready.outputScript, ready.channelValueSatoshis, { segwit: false }).toBuffer();
    expect(call(legacy)).toMatchObject({ ok: false, error: { code: 'api-misuse', message: expect.stringContaining('segwit') } });
    const wrongValue = fundingTransaction(ready.outputScript, ready.channelValueSatoshis - 1n).toBuffer();
    expect(call(wrongValue)).toMatchObject({ ok: false, error: { code: 'api-misuse', message: expect.stringContaining('no output') } });
    const wrongScript = fundingTransaction(new Uint8Array(34).fill(1), ready.channelValueSatoshis).toBuffer();
    expect(call(wrongScript)).toMatchObject({ ok: false, error: { code: 'api-misuse' } });
    expect(net.queue).toEqual([]);
    expect(onlyChannel(net, alice).state).toBe('awaiting-funding-tx');
    // A good one still works afterwards.
    expect(call(fundingTransaction(ready.outputScript, ready.channelValueSatoshis).toBuffer()).ok).toBe(true);
  });

  it('throws when called twice, and says channel-unavailable for an unknown temporary id', () => {
    const { net, alice, bob } = pair();
    const ready = openChannel(net, alice, bob);
    const tx = fundingTransaction(ready.outputScript, ready.channelValueSatoshis).toBuffer();
    const call = () =>
      net.step(alice, { kind: 'funding-transaction-generated', temporaryChannelId: ready.temporaryChannelId }, (m) => m.fundingTransactionGenerated(ready.temporaryChannelId, tx));
    expect(call().ok).toBe(true);
    let thrown: unknown;
    try {
      call();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ManagerError);
    expect((thrown as ManagerError).code).toBe(ManagerErrorCode.FundingAlreadyProvided);
    const unknown = new Uint8Array(32).fill(7);
    expect(net.step(alice, { kind: 'funding-transaction-generated', temporaryChannelId: unknown }, (m) => m.fundingTransactionGenerated(unknown, tx))).toMatchObject({
      ok: false,
      error: { code: 'channel-unavailable' },
    });
  });

  it('broadcasts the funding transaction only once the peer funding_signed is in', () => {
    const { net, alice, bob } = pair();
    const ready = openChannel(net, alice, bob);
    const tx = fundingTransaction(ready.outputScript, ready.channelValueSatoshis).toBuffer();
    net.step(alice, { kind: 'funding-transaction-generated', temporaryChannelId: ready.temporaryChannelId }, (m) => m.fundingTransactionGenerated(ready.temporaryChannelId, tx));
    expect(alice.broadcasts).toEqual([]);
    expect(onlyChannel(net, alice).state).toBe('awaiting-funding-signed');
    net.deliverOne(); // funding_created to bob; bob answers funding_signed
    expect(alice.broadcasts).toEqual([]);
    expect(net.queue.map((q) => q.bytes[1])).toEqual([35]);
    net.deliverOne(); // funding_signed to alice
    expect(alice.broadcasts).toEqual([tx]);
    expect(toHex(eventsOf(alice, 'channel-pending')[0]!.fundingOutpoint.txid)).toBe(toHex(onlyChannel(net, alice).fundingOutpoint!.txid));
  });
});
