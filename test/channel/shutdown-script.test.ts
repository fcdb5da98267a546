/**
 * BOLT 2 option_upfront_shutdown_script in channel establishment: the
 * shutdown forms ("Closing Initiation: `shutdown`"), the counterparty's
 * script refused when it is not one, ours committed (P2WPKH of the node's
 * shutdown key) when the peer's `init` has the feature, and the channel
 * record keeping both (an item written before the field existed still reads).
 */
import { describe, expect, it } from 'vitest';
import {
  ChannelState,
  createChannel,
  decodeChannel,
  encodeChannel,
  handleAcceptChannel,
  handleOpenChannel,
  isValidShutdownScript,
  type Channel,
} from '../../shared/channel/index.js';
import { fromHex, toHex } from '../../shared/crypto/index.js';
import { OUR_INIT_FEATURES, featureBitsOf, featuresFromBits, type OpenChannelMessage } from '../../shared/wire/index.js';
import { onlyMessage, testNode } from '../support/channel-harness.js';
import oldItems from '../vectors/channel-record-v1-before-shutdown.json' with { type: 'json' };

const h20 = (b: number) => new Array<number>(20).fill(b);
const h32 = (b: number) => new Array<number>(32).fill(b);
const P2PKH = Uint8Array.of(0x76, 0xa9, 0x14, ...h20(1), 0x88, 0xac);
const P2SH = Uint8Array.of(0xa9, 0x14, ...h20(2), 0x87);
const P2WPKH = Uint8Array.of(0x00, 0x14, ...h20(3));
const P2WSH = Uint8Array.of(0x00, 0x20, ...h32(4));
const P2TR = Uint8Array.of(0x51, 0x20, ...h32(5));

/** Our init features without a bit pair. */
function without(bits: readonly number[]): Uint8Array {
  return featuresFromBits(featureBitsOf(OUR_INIT_FEATURES).filter((b) => !bits.includes(b)));
}
const NO_ANYSEGWIT = without([26, 27]);
const NO_UPFRONT = without([4, 5]);

describe('BOLT 2 shutdown script forms', () => {
  it('accepts P2PKH, P2SH, P2WPKH and P2WSH with or without option_shutdown_anysegwit', () => {
    for (const script of [P2PKH, P2SH, P2WPKH, P2WSH]) {
      expect(isValidShutdownScript(script, false)).toBe(true);
      expect(isValidShutdownScript(script, true)).toBe(true);
    }
  });

  it('accepts witness v1..v16 programs of 2..40 bytes only with option_shutdown_anysegwit', () => {
    for (const version of [0x51, 0x52, 0x60]) {
      for (const length of [2, 32, 40]) {
        const script = Uint8Array.of(version, length, ...new Array<number>(length).fill(7));
        expect(isValidShutdownScript(script, true)).toBe(true);
        expect(isValidShutdownScript(script, false)).toBe(false);
      }
    }
  });

  it('refuses everything else', () => {
    const bad = [
      new Uint8Array(0),
      Uint8Array.of(0x51, 0x01, 0x07), // 1-byte program
      Uint8Array.of(0x51, 41, ...new Array<number>(41).fill(7)), // 41-byte program
      Uint8Array.of(0x50, 0x20, ...h32(1)), // OP_RESERVED is no version
      Uint8Array.of(0x51, 0x20, ...h32(1), 0x00), // trailing byte
      Uint8Array.of(0x00, 0x15, ...h20(1), 0x00), // v0 with 21 bytes
      Uint8Array.of(0x00, 0x14, ...h20(1), 0x00), // P2WPKH plus a byte
      Uint8Array.of(0x6a, 0x04, 1, 2, 3, 4), // OP_RETURN
      Uint8Array.of(0x76, 0xa9, 0x14, ...h20(1), 0x88, 0xad), // P2PKH with OP_CHECKSIGVERIFY
      Uint8Array.of(0xa9, 0x14, ...h20(2), 0x88), // P2SH with OP_EQUALVERIFY
    ];
    for (const script of bad) expect([toHex(script), isValidShutdownScript(script, true)]).toEqual([toHex(script), false]);
  });
});

function opened(theirInitFeatures = OUR_INIT_FEATURES) {
  const alice = testNode('alice');
  const bob = testNode('bob');
  const created = createChannel(alice.ctx, { counterpartyNodeId: bob.nodeId, theirInitFeatures, bestHeight: 100, fundingSatoshis: 300_000n, pushMsat: 0n, userChannelId: 2n });
  if (!created.ok) throw new Error(created.error.message);
  return { alice, bob, channel: created.value.channel, open: onlyMessage(created.value.effects, 32) };
}

function receive(open: OpenChannelMessage, theirInitFeatures = OUR_INIT_FEATURES) {
  const { alice, bob } = opened();
  return handleOpenChannel(bob.ctx, { counterpartyNodeId: alice.nodeId, theirInitFeatures, bestHeight: 100 }, open);
}

describe('our upfront_shutdown_script', () => {
  it('open_channel commits to the P2WPKH of our shutdown key when the peer has option_upfront_shutdown_script, and the record keeps it', () => {
    const { alice, channel, open } = opened();
    const ours = alice.keys.getShutdownScriptpubkey();
    expect(isValidShutdownScript(ours, false)).toBe(true);
    expect(ours.length).toBe(22);
    expect(open.upfrontShutdownScript).toEqual(ours);
    expect(channel.holderShutdownScript).toEqual(ours);
    const decoded = decodeChannel(encodeChannel(channel));
    expect(decoded.ok && decoded.value.holderShutdownScript).toEqual(ours);
  });

  it('accept_channel commits to it too; without the peer feature both send the TLV empty and commit to nothing', () => {
    const { alice, bob, open } = opened();
    const inbound = handleOpenChannel(bob.ctx, { counterpartyNodeId: alice.nodeId, theirInitFeatures: OUR_INIT_FEATURES, bestHeight: 100 }, open);
    if (!inbound.ok) throw new Error(inbound.failure.message);
    expect(onlyMessage(inbound.effects, 33).upfrontShutdownScript).toEqual(bob.keys.getShutdownScriptpubkey());
    expect(inbound.channel.holderShutdownScript).toEqual(bob.keys.getShutdownScriptpubkey());
    expect(inbound.channel.counterparty.upfrontShutdownScript).toEqual(open.upfrontShutdownScript);

    const plain = opened(NO_UPFRONT);
    expect(plain.open.upfrontShutdownScript).toEqual(new Uint8Array(0));
    expect(plain.channel.holderShutdownScript).toBeUndefined();
    const answered = handleOpenChannel(bob.ctx, { counterpartyNodeId: alice.nodeId, theirInitFeatures: NO_UPFRONT, bestHeight: 100 }, plain.open);
    if (!answered.ok) throw new Error(answered.failure.message);
    expect(onlyMessage(answered.effects, 33).upfrontShutdownScript).toEqual(new Uint8Array(0));
    expect(answered.channel.holderShutdownScript).toBeUndefined();
    expect(answered.channel.counterparty.upfrontShutdownScript).toBeUndefined();
  });
});

describe("the counterparty's upfront_shutdown_script", () => {
  const { open } = opened();

  it('open_channel with a script of no BOLT 2 form is refused with an error, creating nothing', () => {
    const result = receive({ ...open, upfrontShutdownScript: Uint8Array.of(0x6a, 0x01, 0x00) });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure.reason).toBe('invalid-shutdown-script');
    const error = onlyMessage(result.effects, 17);
    expect(error.channelId).toEqual(open.temporaryChannelId);
    expect(new TextDecoder().decode(error.data)).toMatch(/^invalid-shutdown-script: /);
  });

  it('a taproot script is accepted only when option_shutdown_anysegwit is negotiated', () => {
    expect(receive({ ...open, upfrontShutdownScript: P2TR }).ok).toBe(true);
    expect(receive({ ...open, upfrontShutdownScript: P2TR }, NO_ANYSEGWIT)).toMatchObject({ ok: false, failure: { reason: 'invalid-shutdown-script' } });
  });

  it('an empty or absent script commits the peer to nothing', () => {
    const absent: OpenChannelMessage = { ...open };
    delete (absent as { upfrontShutdownScript?: Uint8Array }).upfrontShutdownScript;
    for (const m of [{ ...open, upfrontShutdownScript: new Uint8Array(0) }, absent]) {
      const result = receive(m);
      expect(result.ok).toBe(true);
      expect(result.ok && result.channel.counterparty.upfrontShutdownScript).toBeUndefined();
    }
  });

  it('accept_channel with a bad script closes our outbound channel; a valid one is kept', () => {
    const { alice, bob, channel, open: o } = opened();
    const inbound = handleOpenChannel(bob.ctx, { counterpartyNodeId: alice.nodeId, theirInitFeatures: OUR_INIT_FEATURES, bestHeight: 100 }, o);
    if (!inbound.ok) throw new Error(inbound.failure.message);
    const accept = onlyMessage(inbound.effects, 33);
    const bad = handleAcceptChannel(alice.ctx, channel, { ...accept, upfrontShutdownScript: Uint8Array.of(0x00, 0x14, 1, 2, 3) });
    expect(bad.failure?.reason).toBe('invalid-shutdown-script');
    expect(bad.channel.state).toBe(ChannelState.Closed);
    expect(onlyMessage(bad.effects, 17).channelId).toEqual(channel.temporaryChannelId);
    // Anysegwit as negotiated when the channel was created (kept in the record).
    const taproot = handleAcceptChannel(alice.ctx, channel, { ...accept, upfrontShutdownScript: P2TR });
    expect(taproot.failure).toBeUndefined();
    expect(taproot.channel.counterparty?.upfrontShutdownScript).toEqual(P2TR);
    const strict = opened(NO_ANYSEGWIT);
    const refused = handleAcceptChannel(strict.alice.ctx, strict.channel, { ...accept, temporaryChannelId: strict.channel.temporaryChannelId, upfrontShutdownScript: P2TR });
    expect(refused.failure?.reason).toBe('invalid-shutdown-script');
  });
});

describe('channel record: the shutdown fields', () => {
  it('round-trips our committed script and the anysegwit flag', () => {
    const { channel } = opened();
    expect(channel.anysegwit).toBe(true);
    const decoded = decodeChannel(encodeChannel(channel));
    expect(decoded).toEqual({ ok: true, value: channel });
    const strict = opened(NO_ANYSEGWIT).channel;
    expect(decodeChannel(encodeChannel(strict))).toEqual({ ok: true, value: strict });
  });

  it('reads items written before our shutdown script was recorded (version 1 without TLV 25): nothing committed, theirs kept', () => {
    for (const item of oldItems.items) {
      const decoded = decodeChannel(fromHex(item.hex));
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) continue;
      const c: Channel = decoded.value;
      expect(c.state).toBe(item.state);
      expect(c.holderShutdownScript).toBeUndefined();
      expect(c.anysegwit).toBeUndefined();
      expect(c.counterparty?.upfrontShutdownScript && toHex(c.counterparty.upfrontShutdownScript)).toBe(item.theirUpfrontShutdownScript ?? undefined);
      // Written again, it reads the same.
      expect(decodeChannel(encodeChannel(c))).toEqual({ ok: true, value: c });
    }
  });
});
