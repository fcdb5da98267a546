/**
 * Two (or more) of our nodes through their real handlers (test support):
 * each with its own DynamoDB Local table and fauxqs queues; the test plays
 * the gateways (an outbound `send` of one node becomes an inbound `message`
 * of the other) and the chain poller (`sync`). The same shape as
 * test/functions/channel-pipeline.test.ts, shared for the close tests.
 */
import { randomUUID } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { expect } from 'vitest';
import { createChainHandler } from '../../functions/chain/handler.js';
import { createPeerMessageHandler } from '../../functions/peer-message/handler.js';
import { createNodeContext, type NodeContext } from '../../functions/runtime/node-context.js';
import { sha256 } from '../../shared/crypto/index.js';
import type { NodeChannelSettings } from '../../shared/manager/index.js';
import { decodeBroadcast, decodeOutbound, outboundParts, encodeInbound, type InboundEnvelope } from '../../shared/pipeline/envelopes.js';
import { FifoQueue } from '../../shared/pipeline/queues.js';
import { NodeStore, ensureNodeTable, type Commit, type Lease } from '../../shared/store/index.js';
import { decodeMessage } from '../../shared/wire/index.js';
import { isGossipMessageType } from '../../shared/gossip/index.js';
import type { LocalServices } from './local-services.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} } as unknown as NodeContext['logger'];

/**
 * A NodeStore that remembers every channel `#holder` part it committed (our
 * latest commitment with both signatures, docs/items.md), in commit order:
 * the store keeps only the latest, and the monitor items only its txid, so a
 * test that broadcasts a revoked commitment of ours finds it here.
 */
export class RecordingNodeStore extends NodeStore {
  readonly holderParts: Uint8Array[] = [];

  override async commit(lease: Lease, commit: Commit): Promise<void> {
    await super.commit(lease, commit);
    for (const put of commit.puts ?? []) if (put.sk.endsWith('#holder')) this.holderParts.push(Uint8Array.from(put.data));
  }
}

export interface PipelineNode {
  readonly ctx: NodeContext;
  readonly handler: ReturnType<typeof createPeerMessageHandler>;
  /** Message types this node sent, in order. */
  readonly sent: (number | string)[];
}

export class PipelineNet {
  #seq = 0;
  #connection = 0;

  constructor(readonly local: LocalServices) {}

  async #fifo(): Promise<FifoQueue> {
    const created = await this.local.sqs.client.send(new CreateQueueCommand({ QueueName: `q-${randomUUID()}.fifo`, Attributes: { FifoQueue: 'true', VisibilityTimeout: '1' } }));
    return new FifoQueue(this.local.sqs.client, created.QueueUrl!);
  }

  /** A node over a fresh table, its chain source the embedded regtest chain (`adjust`: the deployment's settings changed, say). */
  async node(label: string, channelSettings?: NodeChannelSettings, adjust: (ctx: NodeContext) => NodeContext = (ctx) => ctx): Promise<PipelineNode> {
    const tableName = `pn-${randomUUID()}`;
    await ensureNodeTable(this.local.dynamo, tableName);
    const ctx = adjust(createNodeContext({
      seed: sha256(new TextEncoder().encode(`${label}/${randomUUID()}`)),
      network: 'regtest',
      store: new RecordingNodeStore({ client: this.local.dynamo, tableName }),
      outbound: await this.#fifo(),
      broadcast: await this.#fifo(),
      inbound: await this.#fifo(),
      esploraUrl: this.local.chain.url,
      logger: quiet,
      ...(channelSettings === undefined ? {} : { channelSettings }),
    }));
    return { ctx, handler: createPeerMessageHandler(ctx), sent: [] };
  }

  #event(to: PipelineNode, envelope: InboundEnvelope): SQSEvent {
    return {
      Records: [
        {
          messageId: randomUUID(),
          receiptHandle: 'rh',
          body: encodeInbound(envelope),
          attributes: { MessageGroupId: `${to.ctx.nodeKey}:${envelope.peer}`, MessageDeduplicationId: `g:${this.#seq++}` },
          messageAttributes: {},
        },
      ],
    } as unknown as SQSEvent;
  }

  async deliver(to: PipelineNode, envelope: InboundEnvelope): Promise<void> {
    expect((await to.handler(this.#event(to, envelope), {} as never)).batchItemFailures).toEqual([]);
  }

  /**
   * Plays both gateways until neither node has anything queued (follow-ups applied as the inbound poller would).
   * Messages for which `drop(type)` is true are lost, as on a connection that breaks.
   */
  async relay(a: PipelineNode, b: PipelineNode, drop: (type: number) => boolean = () => false): Promise<void> {
    for (let idle = 0; idle < 2; ) {
      let moved = 0;
      for (const n of [a, b]) {
        for (const m of await n.ctx.inbound!.receive(10, 0)) {
          await n.ctx.inbound!.delete(m.receiptHandle);
          const record = { messageId: m.messageId, receiptHandle: m.receiptHandle, body: m.body, attributes: { MessageGroupId: m.group, MessageDeduplicationId: m.dedupId }, messageAttributes: {} };
          expect((await n.handler({ Records: [record] } as unknown as SQSEvent, {} as never)).batchItemFailures).toEqual([]);
          moved++;
        }
      }
      for (const [from, to] of [[a, b], [b, a]] as const) {
        const received = await from.ctx.outbound.receive(10, 0);
        for (const m of received) await from.ctx.outbound.delete(m.receiptHandle);
        for (const out of received.flatMap((m) => outboundParts(decodeOutbound(m.body)))) {
          if (out.kind !== 'send') {
            from.sent.push(out.kind);
            continue;
          }
          const decoded = decodeMessage(out.message);
          const raw = out.message.length >= 2 ? (out.message[0]! << 8) | out.message[1]! : -1;
          const type = decoded.kind === 'message' ? decoded.message.type : isGossipMessageType(raw) ? raw : -1;
          from.sent.push(type);
          moved++;
          if (drop(type)) continue;
          await this.deliver(to, { kind: 'message', peer: from.ctx.nodeKey, connectionId: `c${this.#connection}`, seq: this.#seq++, message: out.message });
        }
      }
      idle = moved === 0 ? idle + 1 : 0;
    }
  }

  /** A new connection between them (BOLT 8 done): `init` both ways, then the channels' `channel_reestablish`. */
  async connect(a: PipelineNode, b: PipelineNode): Promise<void> {
    const connectionId = `c${++this.#connection}`;
    await a.handler(this.#event(a, { kind: 'connected', peer: b.ctx.nodeKey, connectionId, inbound: false, address: '127.0.0.1:9735' }), {} as never);
    await b.handler(this.#event(b, { kind: 'connected', peer: a.ctx.nodeKey, connectionId, inbound: true, address: '127.0.0.1:5555' }), {} as never);
    await this.relay(a, b);
  }

  /** The connection ends: both gateways report it. */
  async disconnect(a: PipelineNode, b: PipelineNode): Promise<void> {
    const connectionId = `c${this.#connection}`;
    await this.deliver(a, { kind: 'disconnected', peer: b.ctx.nodeKey, connectionId });
    await this.deliver(b, { kind: 'disconnected', peer: a.ctx.nodeKey, connectionId });
  }

  /** Every transaction in the node's broadcast queue (hex), emptied. */
  async broadcasts(n: PipelineNode): Promise<string[]> {
    const out: string[] = [];
    for (let batch = await n.ctx.broadcast!.receive(10, 0); batch.length > 0; batch = await n.ctx.broadcast!.receive(10, 0)) {
      for (const m of batch) {
        out.push(decodeBroadcast(m.body).hex);
        await n.ctx.broadcast!.delete(m.receiptHandle);
      }
    }
    return out;
  }

  async mine(blocks: number): Promise<void> {
    expect((await fetch(`${this.local.chain.url}/regtest/mine`, { method: 'POST', body: JSON.stringify({ blocks }) })).status).toBe(200);
  }

  async faucet(address: string, sats: number): Promise<void> {
    expect((await fetch(`${this.local.chain.url}/regtest/faucet`, { method: 'POST', body: JSON.stringify({ address, sats }) })).status).toBe(200);
  }

  /** One run of the chain handler (wallet and channels synced with the chain). */
  async sync(n: PipelineNode): Promise<void> {
    await createChainHandler(n.ctx)({ id: randomUUID() }, {} as never);
  }
}
