import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/free-port.js';
import { startSqsLocal, type SqsLocal } from '../../infra/local/sqs-local.js';
import { decodeInbound, decodeOutbound, encodeInbound, encodeOutbound, EnvelopeError, inboundParts, MAX_MESSAGES_PER_ENVELOPE, messageInputId } from '../../shared/pipeline/envelopes.js';
import { MAX_BATCH_BYTES, MAX_BATCH_ENTRIES, batchesOf, type QueueMessage } from '../../shared/pipeline/queues.js';

const PEER = '02' + 'ab'.repeat(32);
let sqs: SqsLocal;
beforeAll(async () => {
  sqs = await startSqsLocal({ port: await freePort(), visibilityTimeoutSec: 1 });
});
afterAll(() => sqs.stop());

describe('pipeline queues (fauxqs)', () => {
  it('keeps FIFO order per group and drops a resend with the same deduplication id', async () => {
    for (const [i, id] of [[1, 'a'], [2, 'b'], [2, 'b'], [3, 'c']] as const) {
      await sqs.inbound.send({ group: PEER, dedupId: id, body: String(i) });
    }
    const got: string[] = [];
    for (let round = 0; round < 5 && got.length < 3; round++) {
      for (const m of await sqs.inbound.receive(10, 0)) {
        got.push(m.body);
        await sqs.inbound.delete(m.receiptHandle);
      }
    }
    expect(got).toEqual(['1', '2', '3']);
    await sqs.inbound.send({ group: PEER, dedupId: 'conn-1:7', body: 'x' });
    const [withId] = await sqs.inbound.receive(1, 1);
    expect(withId?.dedupId).toBe('conn-1:7');
    await sqs.inbound.delete(withId!.receiptHandle);
  });

  it('sends a batch of many messages in order per group (10 per call), and drops a resend of the same ids', async () => {
    const OTHER = '03' + 'cd'.repeat(32);
    const messages: QueueMessage[] = Array.from({ length: 25 }, (_, i) => ({ group: i % 3 === 0 ? OTHER : PEER, dedupId: `batch#${i}`, body: String(i) }));
    await sqs.inbound.sendBatch(messages);
    await sqs.inbound.sendBatch(messages.slice(5, 15)); // a relay after a crash: same ids
    const got = new Map<string, string[]>();
    for (let empty = 0; empty < 2; ) {
      const batch = await sqs.inbound.receive(10, 0);
      if (batch.length === 0) empty++;
      for (const m of batch) {
        got.set(m.group, [...(got.get(m.group) ?? []), m.body]);
        await sqs.inbound.delete(m.receiptHandle);
      }
    }
    const expected = (group: string) => messages.filter((m) => m.group === group).map((m) => m.body);
    expect(got.get(PEER)).toEqual(expected(PEER));
    expect(got.get(OTHER)).toEqual(expected(OTHER));
  });

  it('splits batches at 10 entries, at 256 KiB of bodies and at a repeated group, in order', () => {
    const group = (i: number) => `02${i.toString(16).padStart(64, '0')}`;
    const small = (i: number): QueueMessage => ({ group: group(i), dedupId: `s${i}`, body: 'x' });
    expect(batchesOf([]).length).toBe(0);
    expect(batchesOf(Array.from({ length: 25 }, (_, i) => small(i))).map((b) => b.length)).toEqual([MAX_BATCH_ENTRIES, MAX_BATCH_ENTRIES, 5]);
    // One message per group per batch: a second message of a group starts the next batch.
    const samePeer = (i: number): QueueMessage => ({ group: PEER, dedupId: `p${i}`, body: 'x' });
    expect(batchesOf([small(1), samePeer(0), small(2), samePeer(1), samePeer(2)]).map((b) => b.map((m) => m.dedupId))).toEqual([['s1', 'p0', 's2'], ['p1'], ['p2']]);
    const big = (i: number): QueueMessage => ({ group: group(100 + i), dedupId: `b${i}`, body: 'y'.repeat(100 * 1024) });
    const split = batchesOf([big(0), big(1), big(2), small(3), { ...big(4), body: 'z'.repeat(MAX_BATCH_BYTES + 1) }, small(5)]);
    expect(split.map((b) => b.map((m) => m.dedupId))).toEqual([['b0', 'b1'], ['b2', 's3'], ['b4'], ['s5']]);
  });

  it('redelivers a message that was not deleted', async () => {
    await sqs.outbound.send({ group: PEER, dedupId: 'redeliver', body: 'again' });
    const [first] = await sqs.outbound.receive(1, 0);
    expect(first?.body).toBe('again');
    await new Promise((r) => setTimeout(r, 1200));
    const [second] = await sqs.outbound.receive(1, 1);
    expect(second?.body).toBe('again');
    expect(second?.receiveCount).toBe(2);
    await sqs.outbound.delete(second!.receiptHandle);
  });
});

describe('envelopes', () => {
  it('round-trip every kind', () => {
    const inbound = [
      { kind: 'connected', peer: PEER, connectionId: 'c1', inbound: true, address: '127.0.0.1:5000' },
      { kind: 'message', peer: PEER, connectionId: 'c1', seq: 7, message: new Uint8Array([0, 18, 0, 1, 0, 0]) },
      { kind: 'messages', peer: PEER, connectionId: 'c1', firstSeq: 8, messages: [new Uint8Array([0, 128, 1]), new Uint8Array([0, 132])] },
      { kind: 'disconnected', peer: PEER, connectionId: 'c1' },
      { kind: 'disconnected', peer: PEER, connectionId: 'c1', reason: 'pong-timeout' },
      { kind: 'follow-up', peer: PEER, connectionId: 'c1', work: new Uint8Array([1, 0, 1, 1]) },
      { kind: 'follow-up', peer: PEER, work: new Uint8Array([1]) },
    ] as const;
    for (const e of inbound) expect(decodeInbound(encodeInbound(e))).toEqual(e);
    const outbound = [
      { kind: 'send', peer: PEER, message: new Uint8Array([0, 19, 0, 0]) },
      { kind: 'disconnect', peer: PEER, reason: 'bye' },
      { kind: 'connect', peer: PEER, host: '127.0.0.1', port: 9735 },
    ] as const;
    for (const e of outbound) expect(decodeOutbound(encodeOutbound(e))).toEqual(e);
  });

  it('refuse malformed bodies with EnvelopeError', () => {
    for (const body of ['', 'null', '{}', '{"v":2}', `{"v":1,"kind":"message","peer":"${PEER}","connectionId":"c","seq":-1,"message":""}`,
      `{"v":1,"kind":"message","peer":"zz","connectionId":"c","seq":1,"message":""}`,
      `{"v":1,"kind":"message","peer":"${PEER}","connectionId":"c","seq":1,"message":"abc"}`,
      `{"v":1,"kind":"other","peer":"${PEER}","connectionId":"c"}`,
      `{"v":1,"kind":"follow-up","peer":"${PEER}","work":"0g"}`,
      `{"v":1,"kind":"messages","peer":"${PEER}","connectionId":"c","firstSeq":1,"messages":[]}`,
      `{"v":1,"kind":"messages","peer":"${PEER}","connectionId":"c","firstSeq":1,"messages":["!!"]}`,
      `{"v":1,"kind":"messages","peer":"${PEER}","connectionId":"c","messages":["AAE="]}`,
      `{"v":1,"kind":"messages","peer":"${PEER}","connectionId":"c","firstSeq":1,"messages":${JSON.stringify(Array(MAX_MESSAGES_PER_ENVELOPE + 1).fill('AAE='))}}`]) {
      expect(() => decodeInbound(body)).toThrow(EnvelopeError);
    }
    expect(() => decodeOutbound(`{"v":1,"kind":"connect","peer":"${PEER}","host":"h","port":70000}`)).toThrow(EnvelopeError);
  });

  it('read a `messages` envelope as its messages, each with its sequence number and input id', () => {
    const messages = [new Uint8Array([0, 128]), new Uint8Array([0, 130]), new Uint8Array([0, 132])];
    const parts = inboundParts({ kind: 'messages', peer: PEER, connectionId: 'c9', firstSeq: 41, messages });
    expect(parts).toEqual(messages.map((message, i) => ({ kind: 'message', peer: PEER, connectionId: 'c9', seq: 41 + i, message })));
    expect(parts.map((p) => (p.kind === 'message' ? messageInputId(p.connectionId, p.seq) : ''))).toEqual(['c9:41', 'c9:42', 'c9:43']);
    const single = { kind: 'disconnected', peer: PEER, connectionId: 'c9' } as const;
    expect(inboundParts(single)).toEqual([single]);
  });
});
