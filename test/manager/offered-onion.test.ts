/**
 * The onion of an HTLC we offered for our own payment is kept as the keys
 * that build it (docs/items.md, "Bytes per HTLC";
 * shared/manager/offered-onion.ts): a record of about 100 bytes a hop, not
 * the 1,366-byte packet. The holding cell's `update_add_htlc`, and one lost
 * with the connection (after a restart too), go out with the very packet
 * first built. A received HTLC's onion is kept peeled
 * (shared/manager/received-onion.ts). Records holding the whole packet (a
 * forward's, or written before, by commit 932fbe4's encoders) read as
 * they are; bad bytes are a DecodeError.
 */
import { expect, it } from 'vitest';
import { encodeOnionRecord } from '../../shared/channel/index.js';
import { DecodeError } from '../../shared/codec/index.js';
import { toHex } from '../../shared/crypto/index.js';
import { encodeOfferedOnion, offeredOnionPacket } from '../../shared/manager/offered-onion.js';
import { ONION_PACKET_LENGTH } from '../../shared/onion/index.js';
import { decodeMessage, type UpdateAddHtlcMessage } from '../../shared/wire/index.js';
import { createInvoiceOn, payInvoice } from '../support/invoice-payment.js';
import type { ManagerNetwork, ManagerNode } from '../support/manager-network.js';
import { connectedPair, eventsOf, fund, openChannel } from './manager-fixture.js';

const AMOUNT_MSAT = 10_000_000n;

function readyPair() {
  const { net, alice, bob } = connectedPair();
  net.mine([fund(net, alice, openChannel(net, alice, bob))], 8);
  net.run();
  return { net, alice, bob };
}

function startPayment(net: ManagerNetwork, payer: ManagerNode, payee: ManagerNode, n: number): void {
  const invoice = createInvoiceOn(net, payee, { description: `tea ${n}`, expirySecs: 3600, amountMsat: AMOUNT_MSAT }).decoded;
  expect(payInvoice(net, payer, invoice, { paymentId: new Uint8Array(32).fill(n), amountMsat: AMOUNT_MSAT }).ok).toBe(true);
}

/** The update_add_htlc messages queued from `from`. */
function queuedAdds(net: ManagerNetwork, from: ManagerNode): UpdateAddHtlcMessage[] {
  return net.queue
    .filter((q) => q.from === from)
    .map((q) => decodeMessage(q.bytes))
    .flatMap((d) => (d.kind === 'message' && d.message.type === 128 ? [d.message] : []));
}

const onionRecords = (node: ManagerNode) => [...node.store.items].filter(([k]) => k.startsWith('ONION_OUT#')).map(([, v]) => v);
const addsReceived = (node: ManagerNode) => node.received.filter((m): m is UpdateAddHtlcMessage => m.type === 128);

function claimAll(net: ManagerNetwork, payee: ManagerNode): void {
  for (const c of eventsOf(payee, 'payment-claimable')) {
    if (eventsOf(payee, 'payment-claimed').some((e) => toHex(e.paymentHash) === toHex(c.paymentHash))) continue;
    expect(net.step(payee, { kind: 'claim-funds', paymentHash: c.paymentHash }, (m) => m.claimFunds(c.paymentPreimage!)).ok).toBe(true);
    net.run();
  }
}

it.each([false, true])('an update_add_htlc lost with the connection goes again with the same packet, built from the stored keys (restart: %s)', (restart) => {
  const { net, alice, bob } = readyPair();
  startPayment(net, alice, bob, 1);
  const [sent] = queuedAdds(net, alice);
  expect(sent).toBeDefined();
  const [record] = onionRecords(alice);
  // One hop: version, session key, ephemeral key, shared secret and payload with their TLV headers.
  expect(record!.length).toBeLessThan(200);
  expect(offeredOnionPacket(record!, sent!.paymentHash)).toEqual({ ok: true, value: sent!.onionRoutingPacket });
  net.disconnect(alice, bob); // the add and its commitment_signed are lost
  if (restart) net.restart(alice);
  const before = addsReceived(bob).length;
  net.connect(alice, bob);
  const resent = addsReceived(bob).slice(before);
  expect(resent).toEqual([sent]);
  claimAll(net, bob);
  expect(eventsOf(alice, 'payment-sent')).toHaveLength(1);
  expect(eventsOf(bob, 'payment-claimed')).toHaveLength(1);
  expect(eventsOf(alice, 'channel-closed')).toEqual([]);
});

it('an HTLC offered into the holding cell goes out with the revoke_and_ack, with the packet its keys build', () => {
  const { net, alice, bob } = readyPair();
  startPayment(net, alice, bob, 1);
  // Awaiting bob's revoke_and_ack: the second payment's HTLC waits in the holding cell.
  startPayment(net, alice, bob, 2);
  expect(queuedAdds(net, alice)).toHaveLength(1);
  expect(onionRecords(alice)).toHaveLength(2);
  net.run(); // bob's revoke_and_ack releases it
  const adds = addsReceived(bob);
  expect(adds).toHaveLength(2);
  const records = onionRecords(alice);
  const packets = records.map((r, i) => offeredOnionPacket(r, adds[i]!.paymentHash));
  expect(packets.map((p) => (p.ok ? p.value : undefined))).toEqual(adds.map((a) => a.onionRoutingPacket));
  claimAll(net, bob);
  expect(eventsOf(alice, 'payment-sent')).toHaveLength(2);
  expect(eventsOf(bob, 'payment-claimed')).toHaveLength(2);
});

it('a stored packet (a forward, or a record written before the keys) reads as it is; bad bytes are a DecodeError', () => {
  const packet = new Uint8Array(ONION_PACKET_LENGTH).fill(7);
  packet[0] = 0;
  const hash = new Uint8Array(32).fill(1);
  expect(offeredOnionPacket(packet, hash)).toEqual({ ok: true, value: packet });
  const keys = { sessionKey: new Uint8Array(32).fill(2), ephemeralPublicKey: Uint8Array.of(2, ...new Uint8Array(32).fill(3)), hops: [{ sharedSecret: new Uint8Array(32).fill(4), payload: Uint8Array.of(1, 2, 3) }] };
  const record = encodeOfferedOnion(keys);
  const built = offeredOnionPacket(record, hash);
  expect(built.ok && built.value.length).toBe(ONION_PACKET_LENGTH);
  for (const bad of [new Uint8Array(0), Uint8Array.of(1), Uint8Array.of(2, 0, 0), record.subarray(0, record.length - 1), encodeOfferedOnion({ ...keys, hops: [] }), encodeOfferedOnion({ ...keys, hops: [{ ...keys.hops[0]!, payload: Uint8Array.of(1) }] })]) {
    expect(offeredOnionPacket(bad, hash)).toMatchObject({ ok: false, error: expect.any(DecodeError) });
  }
});

it('records written before (the packets as they came, as commit 932fbe4 stored them) still read: the payment completes, the lost add goes again', () => {
  const { net, alice, bob } = readyPair();
  startPayment(net, alice, bob, 1);
  const [sent] = queuedAdds(net, alice);
  // What older code stored for alice's offered HTLC: the packet itself.
  const [offeredKey] = [...alice.store.items.keys()].filter((k) => k.startsWith('ONION_OUT#'));
  alice.store.items.set(offeredKey!, sent!.onionRoutingPacket);
  net.disconnect(alice, bob);
  const before = addsReceived(bob).length;
  // Bob gets the add again; before his revocation makes it irrevocable, his ONION# record becomes what older code stored (encodeOnionRecord of the packet).
  net.connect(alice, bob, false);
  for (let i = 0; i < 1000 && addsReceived(bob).length === before; i++) net.deliverOne();
  expect(addsReceived(bob).slice(before)).toEqual([sent]);
  const [receivedKey] = [...bob.store.items.keys()].filter((k) => k.startsWith('ONION#'));
  expect(bob.store.items.get(receivedKey!)!.length).toBeLessThan(100);
  bob.store.items.set(receivedKey!, encodeOnionRecord(sent!.onionRoutingPacket));
  net.run();
  claimAll(net, bob);
  expect(eventsOf(alice, 'payment-sent')).toHaveLength(1);
  expect(eventsOf(bob, 'payment-claimed')).toHaveLength(1);
});

it('a received packet of before fails back with the same error: the payee never made this hash', () => {
  const { net, alice, bob } = readyPair();
  const invoice = createInvoiceOn(net, bob, { description: 'tea', expirySecs: 3600, amountMsat: AMOUNT_MSAT }).decoded;
  const unknown = { ...invoice, paymentHash: new Uint8Array(32).fill(0x42) };
  expect(payInvoice(net, alice, unknown, { paymentId: new Uint8Array(32).fill(9), amountMsat: AMOUNT_MSAT }).ok).toBe(true);
  const [sent] = queuedAdds(net, alice);
  net.deliverOne(); // the add: bob keeps its onion peeled
  const [receivedKey] = [...bob.store.items.keys()].filter((k) => k.startsWith('ONION#'));
  bob.store.items.set(receivedKey!, encodeOnionRecord(sent!.onionRoutingPacket));
  net.run();
  expect(eventsOf(alice, 'payment-failed')).toHaveLength(1);
  expect(eventsOf(alice, 'payment-path-failed')).toMatchObject([{ paymentFailedPermanently: true }]);
});
