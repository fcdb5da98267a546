/**
 * Issues 17/18 through the real handlers on the embedded regtest chain
 * (docs/forwarding.md, "The outgoing channel closed"): three of our nodes,
 * A → B → C. A pays C's invoice through B; C claims it, but its
 * `update_fulfill_htlc` never reaches B (the connection breaks) and C
 * force-closes, then takes the HTLC output of its commitment with its
 * HTLC-success transaction (the preimage in its witness). B's chain handler
 * sees that transaction spend the HTLC B offered: B claims A's HTLC with
 * the preimage, A's payment succeeds and B earns its fee.
 */
import { Transaction } from 'bitcoinjs-lib';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { listChannels } from '../../functions/channels/channel-service.js';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import { EsploraClient } from '../../shared/chain/index.js';
import { sha256 } from '../../shared/crypto/index.js';
import { decodeOutbound, outboundParts } from '../../shared/pipeline/envelopes.js';
import { decodeMessage } from '../../shared/wire/index.js';
import { newReceiveAddress } from '../../functions/wallet/wallet-service.js';
import { CAPACITY, invoiceOf, payInvoiceOf, readyChannel, spendOf } from '../support/force-close-nodes.js';
import { useLocalServices } from '../support/local-services.js';
import { PipelineNet, type PipelineNode } from '../support/pipeline-nodes.js';

const local = useLocalServices();

const AMOUNT_SAT = 8_000n;
const UPDATE_FULFILL_HTLC = 130;

/**
 * The gateways of several connections at once (PipelineNet.relay plays one
 * pair): each outbound `send` goes to the node it names, on that pair's
 * connection; follow-ups applied as the inbound poller would. Messages of
 * a pair in `cut`, or for which `drop(from, type)` is true, are lost.
 */
async function relayAll(net: PipelineNet, nodes: readonly PipelineNode[], connections: ReadonlyMap<string, string>, drop: (from: PipelineNode, type: number) => boolean = () => false): Promise<void> {
  const pair = (x: PipelineNode, y: PipelineNode) => [x.ctx.nodeKey, y.ctx.nodeKey].sort().join(':');
  let seq = 1_000_000;
  for (let idle = 0; idle < 2; ) {
    let moved = 0;
    for (const n of nodes) {
      for (const m of await n.ctx.inbound!.receive(10, 0)) {
        await n.ctx.inbound!.delete(m.receiptHandle);
        const record = { messageId: m.messageId, receiptHandle: m.receiptHandle, body: m.body, attributes: { MessageGroupId: m.group, MessageDeduplicationId: m.dedupId }, messageAttributes: {} };
        expect((await n.handler({ Records: [record] } as unknown as SQSEvent, {} as never)).batchItemFailures).toEqual([]);
        moved++;
      }
    }
    for (const from of nodes) {
      const received = await from.ctx.outbound.receive(10, 0);
      for (const m of received) await from.ctx.outbound.delete(m.receiptHandle);
      for (const out of received.flatMap((m) => outboundParts(decodeOutbound(m.body)))) {
        moved++;
        if (out.kind !== 'send') continue;
        const to = nodes.find((n) => n.ctx.nodeKey === out.peer);
        const connectionId = to === undefined ? undefined : connections.get(pair(from, to));
        const decoded = decodeMessage(out.message);
        const type = decoded.kind === 'message' ? decoded.message.type : -1;
        if (to === undefined || connectionId === undefined || drop(from, type)) continue;
        await net.deliver(to, { kind: 'message', peer: from.ctx.nodeKey, connectionId, seq: seq++, message: out.message });
      }
    }
    idle = moved === 0 ? idle + 1 : 0;
  }
}

describe('a forward whose outgoing channel closed, through the handlers', () => {
  it('C claims on chain with the preimage: B claims A\'s HTLC with it, A\'s payment succeeds, B earns its fee', async () => {
    const net = new PipelineNet(local);
    const esplora = new EsploraClient(local.chain.url);
    const [a, b, c] = await Promise.all([net.node('fwd-a'), net.node('fwd-b'), net.node('fwd-c')]);
    // A → B (connection c1), then B → C (c2): each a ready channel of 200,000 sat.
    const ab = await readyChannel(local, net, a, b);
    const key = (x: PipelineNode, y: PipelineNode) => [x.ctx.nodeKey, y.ctx.nodeKey].sort().join(':');
    const connections = new Map([
      [key(a, b), 'c1'],
      [key(b, c), 'c2'],
    ]);
    // B funds its channel to C (readyChannel checks one channel per node: done here with both connections played).
    await net.faucet((await newReceiveAddress(b.ctx)).address, 500_000);
    await net.mine(1);
    await Promise.all([net.sync(b), net.sync(c)]);
    await net.connect(b, c);
    await storeNodeApi(b.ctx).openChannel({ nodeId: c.ctx.nodeKey, amountSat: CAPACITY, pushMsat: 0n, public: false });
    await relayAll(net, [a, b, c], connections);
    const [fundingHex] = await net.broadcasts(b);
    await esplora.broadcast(Transaction.fromHex(fundingHex!).toBuffer());
    const withC = async () => (await listChannels(b.ctx)).find((ch) => Buffer.from(ch.counterpartyNodeId).toString('hex') === c.ctx.nodeKey);
    for (let i = 0; i < 8 && (await withC())?.isUsable !== true; i++) {
      await net.mine(1);
      for (const n of [a, b, c]) await net.sync(n);
      await relayAll(net, [a, b, c], connections);
      await Promise.all([net.broadcasts(a), net.broadcasts(b), net.broadcasts(c)]);
    }
    const bc = { channelId: Buffer.from((await withC())!.channelId).toString('hex') };
    for (const n of [a, b, c]) expect((await listChannels(n.ctx)).every((ch) => ch.isUsable), n.ctx.nodeKey).toBe(true);

    const bolt11 = await invoiceOf(c, AMOUNT_SAT * 1000n, 'through B');
    const paymentId = await payInvoiceOf(a, bolt11, 'fwd-onchain');
    // C claims by itself; its update_fulfill_htlc (and all after it) to B is lost: the connection breaks.
    let broken = false;
    await relayAll(net, [a, b, c], connections, (from, type) => from === c && (broken ||= type === UPDATE_FULFILL_HTLC));
    expect(broken).toBe(true);
    await net.deliver(b, { kind: 'disconnected', peer: c.ctx.nodeKey, connectionId: 'c2' });
    await net.deliver(c, { kind: 'disconnected', peer: b.ctx.nodeKey, connectionId: 'c2' });
    connections.delete(key(b, c));
    const received = (await storeNodeApi(c.ctx).listEvents()).filter((e) => e.kind === 'payment-received');
    expect(received).toHaveLength(1);
    expect(await storeNodeApi(a.ctx).getPayment(paymentId)).toMatchObject({ state: 'pending' });

    // C force-closes: its commitment holds the HTLC B offered, which C takes with its HTLC-success transaction.
    const closed = await storeNodeApi(c.ctx).closeChannel(bc.channelId, { force: true });
    const commitment = Transaction.fromHex((await net.broadcasts(c)).at(-1)!);
    expect(commitment.getId()).toBe(closed.closure!.txid);
    await esplora.broadcast(commitment.toBuffer());
    await net.mine(1);
    const success = await spendOf(net, c, commitment.getId());
    const htlcInput = success.ins.find((x) => x.witness.length === 5);
    expect(htlcInput, 'an HTLC-success input').toBeDefined();
    const preimage = Buffer.from(htlcInput!.witness[3]!);
    expect(Buffer.from(sha256(Uint8Array.from(preimage))).toString('hex')).toBe((received[0] as { paymentHash: string }).paymentHash);
    await esplora.broadcast(success.toBuffer());
    await net.mine(1);
    expect((await esplora.txStatus(success.getId())).confirmed).toBe(true);

    // B's chain handler: the first run sees C's commitment, the next C's HTLC-success taking the output B offered.
    await net.sync(b);
    await net.sync(b);
    await relayAll(net, [a, b, c], connections);
    expect(await storeNodeApi(a.ctx).getPayment(paymentId)).toMatchObject({ state: 'succeeded', preimage: preimage.toString('hex') });
    const forwarded = (await storeNodeApi(b.ctx).listEvents()).filter((e) => e.kind === 'payment-forwarded');
    expect(forwarded).toEqual([expect.objectContaining({ kind: 'payment-forwarded', feeMsat: '1000', inboundChannelId: ab.channelId, outboundChannelId: bc.channelId })]);
    // B's channel with A: the HTLC settled, B's side up by the amount and the fee.
    const withA = (await listChannels(b.ctx)).find((ch) => Buffer.from(ch.counterpartyNodeId).toString('hex') === a.ctx.nodeKey);
    expect(withA).toMatchObject({ state: 'ready', pendingHtlcs: [] });
  });
});
