/**
 * Webhooks end to end through the embedded deployment (the code behind
 * `npm start`): a webhook registered over the API to a receiver this test
 * runs on 127.0.0.1 gets the `channel-pending` event of a channel opened to
 * LDK, at once (no timer tick), signed with the secret the registration
 * showed; the delivery list shows it delivered, and acknowledging the
 * events over the pull API leaves it so. Once the channel is ready, LDK pays
 * one of our invoices: a second webhook, subscribed to `payment-received`,
 * gets it signed with the invoice's `externalId`.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ldk from 'lightningdevkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../functions/webhooks/webhook-signature.js';
import { toHex } from '../../shared/crypto/index.js';
import { EmbeddedWithLdk } from '../support/embedded-ldk.js';
import type { LdkNode } from '../support/ldk-node.js';

let env: EmbeddedWithLdk;
let ldkNode: LdkNode;
let server: Server;
const receipts: { headers: IncomingHttpHeaders; body: string; atSec: number }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      receipts.push({ headers: req.headers, body, atSec: Math.floor(Date.now() / 1000) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  env = await EmbeddedWithLdk.start('webhooks');
  ldkNode = await env.startLdk(91, { minimumDepth: 3 });
}, 60_000);

afterAll(async () => {
  await env?.stop();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
});

describe('webhooks through the embedded deployment', () => {
  it('delivers a channel event, signed, to a receiver on 127.0.0.1', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stormcell`;
    const created = await env.post('/v1/webhooks', { url, events: ['channel-pending'] });
    expect(created.status).toBe(201);
    const { id, secret } = created.body as { id: string; secret: string };
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    // A private address is refused even here; loopback is what the embedded deployment allows.
    expect((await env.post('/v1/webhooks', { url: 'http://10.1.2.3/x' })).status).toBe(400);

    await env.fundWallet(500_000);
    await env.connectLdk(ldkNode);
    // Pushing LDK a balance, so it can pay our invoice in the next test.
    const opened = await env.post('/v1/channels', { nodeId: toHex(ldkNode.nodeId), amountSat: 200_000, pushMsat: 60_000_000 });
    expect(opened.status).toBe(202);
    await env.until(() => receipts.length > 0, 'the webhook receiver to get channel-pending');

    const [receipt] = receipts;
    const body = JSON.parse(receipt!.body) as { id: string; kind: string; createdAt: string; data: Record<string, unknown> };
    expect(body).toMatchObject({ kind: 'channel-pending', data: { counterpartyNodeId: toHex(ldkNode.nodeId), temporaryChannelId: opened.body['channelId'] } });
    expect(Date.parse(body.createdAt)).not.toBeNaN();
    expect(receipt!.headers['content-type']).toBe('application/json');
    expect(verifySignature(String(receipt!.headers['stormcell-signature']), receipt!.body, secret, receipt!.atSec)).toEqual({ ok: true });

    // The same event as the pull API shows it.
    const events = (await env.api('/v1/events')).body['events'] as { id: string; kind: string }[];
    expect(events.find((e) => e.kind === 'channel-pending')?.id).toBe(body.id);
    await env.until(async () => {
      const list = (await env.api(`/v1/webhooks/${id}/deliveries`)).body['deliveries'] as { status: string }[];
      return list.length === 1 && list[0]!.status === 'delivered';
    }, 'the delivery recorded as delivered');

    // Acknowledged over the pull API: the webhook's delivery record stays.
    expect((await env.post('/v1/events/ack', { upTo: events[events.length - 1]!.id })).status).toBe(200);
    const after = (await env.api(`/v1/webhooks/${id}/deliveries`)).body['deliveries'] as { eventId: string; status: string; attempts: number; lastStatus: number }[];
    expect(after).toEqual([expect.objectContaining({ eventId: body.id, status: 'delivered', attempts: 1, lastStatus: 204 })]);
    expect(receipts).toHaveLength(1);
  });

  it('delivers payment-received, signed, with the invoice\'s externalId, once LDK pays our invoice', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/payments`;
    const created = await env.post('/v1/webhooks', { url, events: ['payment-received'] });
    expect(created.status).toBe(201);
    const { secret } = created.body as { secret: string };
    const channel = (await env.channels())[0]!;
    await env.mineAndFeed(6, channel.fundingTxid!);
    await env.until(async () => (await env.channels())[0]!.isUsable && ldkNode.channelManager.list_usable_channels().length === 1, 'the channel usable on both sides');

    const invoice = await env.post('/v1/invoices', { amountMsat: 12_345_000, description: 'webhook order', externalId: 'order-77' });
    expect(invoice.status).toBe(201);
    const outcome = await env.ldkPaymentOutcome(ldkNode, await env.ldkPays(ldkNode, invoice.body['bolt11'] as string));
    expect(outcome).toBeInstanceOf(ldk.Event_PaymentSent);
    await env.until(() => receipts.some((r) => r.body.includes('payment-received')), 'the webhook receiver to get payment-received');

    const receipt = receipts.find((r) => r.body.includes('payment-received'))!;
    const body = JSON.parse(receipt.body) as { kind: string; data: Record<string, unknown> };
    expect(body).toMatchObject({ kind: 'payment-received', data: { paymentHash: invoice.body['paymentHash'], amountMsat: '12345000', externalId: 'order-77' } });
    expect(verifySignature(String(receipt.headers['stormcell-signature']), receipt.body, secret, receipt.atSec)).toEqual({ ok: true });
    expect((await env.api(`/v1/invoices/${String(invoice.body['paymentHash'])}`)).body).toMatchObject({ state: 'paid', receivedMsat: 12_345_000 });
  });
});
