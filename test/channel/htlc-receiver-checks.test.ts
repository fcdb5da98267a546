/**
 * Every BOLT 2 "Normal Operation" receiver check that protects funds,
 * refused with its `ChannelFailureReason` (docs/htlcs.md "Checks"): the
 * peer's messages are crafted by hand (a peer of ours would not send them),
 * and our own calls refused with an `ApiError`.
 */
import { describe, expect, it } from 'vitest';
import { ChannelType, commitmentFeeSat } from '../../shared/tx/index.js';
import {
  ChannelState,
  commitmentStateOf,
  fulfillHtlc,
  handleChannelMessage,
  offerHtlc,
  sendCommitmentSigned,
  type Channel,
} from '../../shared/channel/index.js';
import { sha256, wasmSecp256k1 } from '../../shared/crypto/index.js';
import { perCommitmentPoint } from '../../shared/keys/index.js';
import type { UpdateAddHtlcMessage, WireMessage } from '../../shared/wire/index.js';
import { ONION, commit, deliverAll, offer, preimage, readyPair, type ReadyPair, type ReadyPairOptions, type Side } from '../support/ready-pair.js';

const HASH = sha256(preimage('x'));

/** An `update_add_htlc` for `to`'s channel. */
function add(to: Side, over: Partial<UpdateAddHtlcMessage> = {}): UpdateAddHtlcMessage {
  return { type: 128, channelId: to.channel.funding.channelId, id: 0n, amountMsat: 1_000_000n, paymentHash: HASH, cltvExpiry: 700, onionRoutingPacket: ONION, ...over };
}

/** `to` receives `m`: the failure reason, or null when it passed. */
function reasonOf(to: Side, m: WireMessage): string | null {
  const step = to.receive(m);
  return step.failure?.reason ?? null;
}

function fresh(options: ReadyPairOptions = {}): ReadyPair {
  return readyPair(options);
}

/** Alice offers `amountMsat` to Bob and the dance completes: the HTLC is committed both ways. */
function committedHtlc(pair: ReadyPair, amountMsat = 2_000_000n): void {
  offer(pair.alice, amountMsat, 'x');
  commit(pair.alice);
  deliverAll(pair);
  expect(pair.alice.failure ?? pair.bob.failure).toBeUndefined();
}

describe('update_add_htlc receiver checks', () => {
  it('amount 0 or below our htlc_minimum_msat: htlc-amount-below-minimum', () => {
    for (const amountMsat of [0n, 999n]) {
      const { bob } = fresh({ handshake: { ourHtlcMinimumMsat: 1000n } });
      expect(reasonOf(bob, add(bob, { amountMsat }))).toBe('htlc-amount-below-minimum');
      expect(bob.channel.state).toBe(ChannelState.Closed);
      expect(bob.sent.map((m) => m.type)).toEqual([17]);
    }
    const { bob } = fresh({ handshake: { ourHtlcMinimumMsat: 1000n } });
    expect(reasonOf(bob, add(bob, { amountMsat: 1000n }))).toBeNull();
  });

  it('cltv_expiry of 500,000,000 or more: cltv-expiry-too-large', () => {
    const { bob } = fresh();
    expect(reasonOf(bob, add(bob, { cltvExpiry: 500_000_000 }))).toBe('cltv-expiry-too-large');
    const other = fresh().bob;
    expect(reasonOf(other, add(other, { cltvExpiry: 499_999_999 }))).toBeNull();
  });

  it('an id that is not the next one: htlc-id-out-of-order', () => {
    const { bob } = fresh();
    expect(reasonOf(bob, add(bob, { id: 1n }))).toBe('htlc-id-out-of-order');
    const other = fresh().bob;
    expect(reasonOf(other, add(other, { id: 0n }))).toBeNull();
    expect(reasonOf(other, add(other, { id: 0n }))).toBe('htlc-id-out-of-order');
  });

  it('more than our max_accepted_htlcs: too-many-htlcs', () => {
    const { bob } = fresh({ handshake: { ourMaxAcceptedHtlcs: 2 } });
    expect(reasonOf(bob, add(bob, { id: 0n }))).toBeNull();
    expect(reasonOf(bob, add(bob, { id: 1n }))).toBeNull();
    expect(reasonOf(bob, add(bob, { id: 2n }))).toBe('too-many-htlcs');
  });

  it('more than our max_htlc_value_in_flight_msat: htlc-value-in-flight-too-large', () => {
    // 1% of 10,000,000 sat.
    const { bob } = fresh({ handshake: { maxInboundHtlcValueInFlightPercent: 1 } });
    expect(reasonOf(bob, add(bob, { id: 0n, amountMsat: 60_000_000n }))).toBeNull();
    expect(reasonOf(bob, add(bob, { id: 1n, amountMsat: 40_000_001n }))).toBe('htlc-value-in-flight-too-large');
  });

  it('a non-funder sender that cannot keep the reserve we require: htlc-sender-cannot-afford', () => {
    // Bob has 4,000,000 sat; Alice requires a 100,000 sat reserve of him (1%).
    const max = 4_000_000_000n - 100_000_000n;
    const { alice } = fresh();
    expect(reasonOf(alice, add(alice, { amountMsat: max + 1n }))).toBe('htlc-sender-cannot-afford');
    const other = fresh().alice;
    expect(reasonOf(other, add(other, { amountMsat: max }))).toBeNull();
  });

  it.each([
    { name: 'static_remotekey', anchors: false },
    { name: 'anchors', anchors: true },
  ])('a funder sender that cannot pay the reserve and the commitment fee with the HTLC ($name): htlc-sender-cannot-afford', ({ anchors }) => {
    // Alice has 6,000,000 sat; Bob requires 100,000 sat of her, plus the fee of a commitment with one HTLC output (and anchors).
    const fee = commitmentFeeSat(anchors ? ChannelType.Anchors : ChannelType.StaticRemoteKey, 253n, 1) + (anchors ? 660n : 0n);
    const max = 6_000_000_000n - 100_000_000n - fee * 1000n;
    const { bob } = fresh({ anchors });
    expect(reasonOf(bob, add(bob, { amountMsat: max + 1n }))).toBe('htlc-sender-cannot-afford');
    const other = fresh({ anchors }).bob;
    expect(reasonOf(other, add(other, { amountMsat: max }))).toBeNull();
    // Our own offer is held to the same limits.
    const pair = fresh({ anchors });
    const refused = offerHtlc(pair.alice.node.ctx, pair.alice.channel, { amountMsat: max + 1n, paymentHash: HASH, cltvExpiry: 700, onionRoutingPacket: ONION });
    expect(refused).toMatchObject({ ok: false, error: { code: 'api-misuse', message: expect.stringMatching(/^htlc-sender-cannot-afford/) } });
  });
});

describe('the funder must still pay the fee of both commitments', () => {
  it('a non-funder adding HTLC outputs until the funder cannot pay the fee: funder-cannot-pay-fee', () => {
    // At 50,000 sat/kW a commitment costs (724 + 172 per HTLC output) * 50 sat; Alice (funder) keeps 150,000 sat.
    const pair = fresh({ feerate: 50_000n, pushMsat: 9_850_000_000n });
    const { alice } = pair;
    const amountMsat = 100_000_000n;
    for (let i = 0; i < 13; i++) expect(reasonOf(alice, add(alice, { id: BigInt(i), amountMsat }))).toBeNull();
    expect(commitmentFeeSat(ChannelType.StaticRemoteKey, 50_000n, 14)).toBe(156_600n);
    expect(reasonOf(alice, add(alice, { id: 13n, amountMsat }))).toBe('funder-cannot-pay-fee');
  });
});

describe('removal receiver checks', () => {
  const fulfill = (to: Side, id: bigint, paymentPreimage: Uint8Array): WireMessage => ({ type: 130, channelId: to.channel.funding.channelId, id, paymentPreimage });
  const fail = (to: Side, id: bigint): WireMessage => ({ type: 131, channelId: to.channel.funding.channelId, id, reason: new Uint8Array(2) });
  const malformed = (to: Side, id: bigint, failureCode: number): WireMessage => ({ type: 135, channelId: to.channel.funding.channelId, id, sha256OfOnion: sha256(ONION), failureCode });

  it('an id we did not offer (fulfill, fail, fail-malformed): unknown-htlc-id', () => {
    for (const m of [(s: Side) => fulfill(s, 7n, preimage('x')), (s: Side) => fail(s, 7n), (s: Side) => malformed(s, 7n, 0x8000 | 5)]) {
      const pair = fresh();
      committedHtlc(pair);
      expect(reasonOf(pair.alice, m(pair.alice))).toBe('unknown-htlc-id');
    }
  });

  it('an HTLC not yet irrevocably committed: unknown-htlc-id', () => {
    const { alice } = fresh();
    offer(alice, 1_000_000n, 'x');
    expect(reasonOf(alice, fulfill(alice, 0n, preimage('x')))).toBe('unknown-htlc-id');
  });

  it('a preimage that does not hash to the payment hash: preimage-mismatch (and the same refused from us)', () => {
    const pair = fresh();
    committedHtlc(pair);
    expect(fulfillHtlc(pair.bob.node.ctx, pair.bob.channel, 0n, preimage('y'))).toMatchObject({ ok: false, error: { code: 'api-misuse' } });
    expect(reasonOf(pair.alice, fulfill(pair.alice, 0n, preimage('y')))).toBe('preimage-mismatch');
    expect(pair.alice.monitorSteps.some((s) => s.kind === 'payment-preimage')).toBe(false);
  });

  it('update_fail_malformed_htlc without BADONION: malformed-without-badonion', () => {
    const pair = fresh();
    committedHtlc(pair);
    expect(reasonOf(pair.alice, malformed(pair.alice, 0n, 0x4000 | 5))).toBe('malformed-without-badonion');
  });

  it('a second removal of the same HTLC: unknown-htlc-id', () => {
    const pair = fresh();
    committedHtlc(pair);
    expect(reasonOf(pair.alice, fail(pair.alice, 0n))).toBeNull();
    expect(reasonOf(pair.alice, fulfill(pair.alice, 0n, preimage('x')))).toBe('unknown-htlc-id');
  });
});

describe('commitment_signed checks', () => {
  /** Alice offers and signs; Bob gets the add, then `tamper`ed commitment_signed. */
  function tampered(tamper: (m: Extract<WireMessage, { type: 132 }>) => WireMessage, amountMsat = 2_000_000n): string | null {
    const pair = fresh();
    offer(pair.alice, amountMsat, 'x');
    commit(pair.alice);
    const [addMsg, signed] = pair.alice.outbox.splice(0);
    expect(reasonOf(pair.bob, addMsg!)).toBeNull();
    return reasonOf(pair.bob, tamper(signed as Extract<WireMessage, { type: 132 }>));
  }
  const flip = (b: Uint8Array): Uint8Array => Uint8Array.from(b, (x, i) => (i === 40 ? x ^ 1 : x));

  it('as sent: accepted', () => {
    expect(tampered((m) => m)).toBeNull();
  });
  it('a bad commitment signature: bad-commitment-signature', () => {
    expect(tampered((m) => ({ ...m, signature: flip(m.signature) }))).toBe('bad-commitment-signature');
  });
  it('a missing or extra HTLC signature: bad-htlc-signature', () => {
    expect(tampered((m) => ({ ...m, htlcSignatures: [] }))).toBe('bad-htlc-signature');
    expect(tampered((m) => ({ ...m, htlcSignatures: [...m.htlcSignatures, m.signature] }))).toBe('bad-htlc-signature');
  });
  it('a bad HTLC signature: bad-htlc-signature', () => {
    expect(tampered((m) => ({ ...m, htlcSignatures: [flip(m.htlcSignatures[0]!)] }))).toBe('bad-htlc-signature');
  });
  it('signatures that are not even valid encodings (r, s out of range, zero): refused, never thrown', () => {
    for (const junk of [new Uint8Array(64).fill(0xff), new Uint8Array(64)]) {
      expect(tampered((m) => ({ ...m, signature: junk }))).toBe('bad-commitment-signature');
      expect(tampered((m) => ({ ...m, htlcSignatures: [junk] }))).toBe('bad-htlc-signature');
    }
  });
  it('a trimmed HTLC has no signature: one is an extra (bad-htlc-signature)', () => {
    expect(tampered((m) => m, 300_000n)).toBeNull();
    expect(tampered((m) => ({ ...m, htlcSignatures: [m.signature] }), 300_000n)).toBe('bad-htlc-signature');
  });
});

describe('revoke_and_ack checks', () => {
  const raa = (to: Side, perCommitmentSecret: Uint8Array, nextPerCommitmentPoint: Uint8Array): WireMessage => ({ type: 133, channelId: to.channel.funding.channelId, perCommitmentSecret, nextPerCommitmentPoint });

  it('none awaited: unexpected-revocation', () => {
    const { bob } = fresh();
    expect(reasonOf(bob, raa(bob, preimage('s'), perCommitmentPoint(wasmSecp256k1, preimage('s'))))).toBe('unexpected-revocation');
  });

  it('a secret that is not the one of the revoked commitment: invalid-revocation', () => {
    const pair = fresh();
    offer(pair.alice, 1_000_000n, 'x');
    commit(pair.alice);
    pair.bob.receive(pair.alice.outbox.shift()!);
    pair.bob.receive(pair.alice.outbox.shift()!);
    const theirs = pair.bob.outbox.shift() as Extract<WireMessage, { type: 133 }>;
    expect(theirs.type).toBe(133);
    expect(reasonOf(pair.alice, { ...theirs, perCommitmentSecret: preimage('wrong') })).toBe('invalid-revocation');
    // Not a valid scalar at all.
    const again = fresh();
    offer(again.alice, 1_000_000n, 'x');
    commit(again.alice);
    expect(reasonOf(again.alice, raa(again.alice, new Uint8Array(32), theirs.nextPerCommitmentPoint))).toBe('invalid-revocation');
  });

  it('a next point that is not a valid point: invalid-point', () => {
    const pair = fresh();
    offer(pair.alice, 1_000_000n, 'x');
    commit(pair.alice);
    pair.bob.receive(pair.alice.outbox.shift()!);
    pair.bob.receive(pair.alice.outbox.shift()!);
    const theirs = pair.bob.outbox.shift() as Extract<WireMessage, { type: 133 }>;
    const notOnCurve = Uint8Array.of(2, ...new Uint8Array(32).fill(0xff));
    expect(reasonOf(pair.alice, { ...theirs, nextPerCommitmentPoint: notOnCurve })).toBe('invalid-point');
  });

  it('a secret matching a point they gave but inconsistent with their earlier secrets: inconsistent-commitment-secret', () => {
    const pair = fresh();
    committedHtlc(pair);
    // Second dance: Alice awaits the revocation of Bob's commitment 1. Pretend Bob had given the point of a secret from another seed.
    const r = fulfillHtlc(pair.bob.node.ctx, pair.bob.channel, 0n, preimage('x'));
    if (!r.ok) throw new Error(r.error.message);
    pair.bob.apply(r.value);
    commit(pair.bob);
    pair.alice.receive(pair.bob.outbox.shift()!);
    pair.alice.receive(pair.bob.outbox.shift()!);
    const [aliceRaa, aliceSigned] = pair.alice.outbox.splice(0);
    pair.bob.receive(aliceRaa!);
    pair.bob.receive(aliceSigned!);
    expect(commitmentStateOf(pair.alice.channel).awaitingRemoteRevoke).toBe(true);
    const alien = preimage('alien seed');
    const state = commitmentStateOf(pair.alice.channel);
    pair.alice.channel = { ...pair.alice.channel, commitments: { ...state, counterpartyCurrentPoint: perCommitmentPoint(wasmSecp256k1, alien) } };
    const bobs = pair.bob.outbox.shift() as Extract<WireMessage, { type: 133 }>;
    expect(reasonOf(pair.alice, { ...bobs, perCommitmentSecret: alien })).toBe('inconsistent-commitment-secret');
  });
});

describe('our calls and phases', () => {
  it('while awaiting a revocation our updates go to the holding cell: nothing sent, then sent with the commitment after their revoke_and_ack; nothing to sign is refused', () => {
    const pair = fresh();
    expect(sendCommitmentSigned(pair.alice.node.ctx, pair.alice.channel)).toMatchObject({ ok: false, error: { code: 'channel-unavailable', message: 'no update to commit' } });
    offer(pair.alice, 1_000_000n, 'x');
    commit(pair.alice);
    const held = offerHtlc(pair.alice.node.ctx, pair.alice.channel, { amountMsat: 1_000_000n, paymentHash: HASH, cltvExpiry: 700, onionRoutingPacket: ONION });
    if (!held.ok) throw new Error(held.error.message);
    expect(held.value.effects).toEqual([]);
    expect(held.value.channel.htlcs!.at(-1)).toMatchObject({ id: 1n, state: 'held' });
    pair.alice.apply(held.value);
    expect(sendCommitmentSigned(pair.alice.node.ctx, pair.alice.channel)).toMatchObject({ ok: false, error: { code: 'channel-unavailable' } });
    // Bob revokes (and signs): alice's held add goes out, then her commitment_signed for it.
    deliverAll(pair);
    expect(pair.alice.sent.filter((m) => m.type === 132)).toHaveLength(2);
    expect(pair.alice.sent.filter((m) => m.type === 128).map((m) => (m as UpdateAddHtlcMessage).id)).toEqual([0n, 1n]);
    expect(pair.bob.channel.htlcs?.map((h) => [h.id, h.state])).toEqual([[0n, 'committed'], [1n, 'committed']]);
    expect(pair.alice.failure).toBeUndefined();
    expect(pair.bob.failure).toBeUndefined();
  });

  it('a normal-operation message before the channel is ready fails it: unexpected-message', () => {
    const { bob } = fresh();
    const early = { ...bob.channel, state: ChannelState.AwaitingChannelReady } as Channel;
    const step = handleChannelMessage(bob.node.ctx, early, add(bob) as UpdateAddHtlcMessage);
    expect(step.failure).toEqual({ reason: 'unexpected-message', message: 'update_add_htlc in state awaiting-channel-ready' });
  });
});
