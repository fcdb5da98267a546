/**
 * The relay beside the next input (docs/commit-protocol.md): within a lease
 * session, an input that leaves the lease held returns once committed, and
 * its messages leave while the next input reads and commits; the messages
 * still leave in commit order, a failed relay is tried again before any
 * later message, and one that keeps failing is left in the table for the
 * leftovers. Against DynamoDB Local; the outbound queue is the test's.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from '../../infra/local/dynamodb-local.js';
import { LeaseSession, type InvocationResult } from '../../functions/runtime/invocation.js';
import type { NodeContext } from '../../functions/runtime/node-context.js';
import { NodeStore, ensureNodeTable, type NodeStoreOptions } from '../../shared/store/index.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const quiet = { debug() {}, info() {}, warn() {}, error() {} } as unknown as NodeContext['logger'];
const PEER = new Uint8Array(33).fill(2);

let client: DynamoDBClient;
const tableName = `session-relay-${randomUUID()}`;
beforeAll(async () => {
  client = localDynamoClient(inject('dynamoEndpoint'));
  await ensureNodeTable(client, tableName);
});
afterAll(() => client.destroy());

/** A store that logs its commits (by input id) in one log with the queue's sends. */
class LoggingStore extends NodeStore {
  constructor(
    options: NodeStoreOptions,
    private readonly log: string[],
  ) {
    super(options);
  }

  override async commit(...args: Parameters<NodeStore['commit']>): Promise<void> {
    await super.commit(...args);
    this.log.push(`commit ${args[1].inputId}`);
  }
}

/** An outbound queue that logs each message sent, can hold its sends until released, and can refuse the next `failures` calls. */
function queue(log: string[]) {
  let release: () => void = () => undefined;
  const q = {
    held: undefined as Promise<void> | undefined,
    failures: 0,
    hold() {
      q.held = new Promise<void>((r) => (release = r));
    },
    open() {
      q.held = undefined;
      release();
    },
    async sendBatch(entries: readonly { dedupId: string }[]): Promise<void> {
      await q.held;
      if (q.failures > 0) {
        q.failures--;
        throw new Error('SQS refused the batch');
      }
      log.push(...entries.map((e) => `sent ${e.dedupId}`));
    },
  };
  return q;
}

function setup() {
  const nodeKey = randomUUID();
  const log: string[] = [];
  const store = new LoggingStore({ client, tableName }, log);
  const outbound = queue(log);
  const ctx = { store, nodeKey, outbound, logger: quiet, leaseTtlMs: 30_000, leaseWaitMs: 10_000 } as unknown as NodeContext;
  return { nodeKey, log, store, outbound, ctx, plain: new NodeStore({ client, tableName }) };
}

/** A step committing one item and sending one message to the peer. */
const committing = (name: string) => async (): Promise<InvocationResult> => ({
  puts: [{ sk: `STATE#${name}`, data: bytes(name) }],
  deletes: [],
  effects: [{ kind: 'disconnect', peer: PEER, reason: name }],
});
/** A step that changes nothing and answers the peer (a pong). */
const answering = (name: string) => async (): Promise<InvocationResult> => ({ puts: [], deletes: [], effects: [{ kind: 'disconnect', peer: PEER, reason: name }] });

describe('the relay of an input runs beside the next input of the session', () => {
  it('the next input commits while the messages before are still leaving; every message leaves in commit order', async () => {
    const { log, outbound, ctx, plain, nodeKey } = setup();
    const session = new LeaseSession(ctx);
    outbound.hold();
    try {
      expect(await session.apply('r-1', committing('1'))).toBe('applied');
      // r-1's messages are held in the queue: r-2 commits meanwhile (before this change, r-1's apply waited for them).
      expect(await session.apply('r-2', committing('2'))).toBe('applied');
      expect(log).toEqual(['commit r-1', 'commit r-2']);
      outbound.open();
      expect(await session.apply('r-3', committing('3'), { releaseWithCommit: true })).toBe('applied');
    } finally {
      await session.close();
    }
    // Each input's messages after its commit.
    for (const n of [1, 2, 3]) expect(log.indexOf(`sent r-${n}#000`)).toBeGreaterThan(log.indexOf(`commit r-${n}`));
    expect(log.filter((e) => e.startsWith('sent'))).toEqual(['sent r-1#000', 'sent r-2#000', 'sent r-3#000']);
    expect(await plain.pendingOutbox(nodeKey)).toEqual([]);
  });

  it("a relay that failed is tried again before the next input's messages, which follow it", async () => {
    const { log, outbound, ctx, plain, nodeKey } = setup();
    const session = new LeaseSession(ctx);
    outbound.failures = 1;
    try {
      expect(await session.apply('f-1', committing('1'))).toBe('applied');
      // An answer with no commit waits for the messages before it: f-1's (refused once, sent again), then its own.
      expect(await session.apply('f-2', answering('2'))).toBe('no-change');
    } finally {
      await session.close();
    }
    expect(log.filter((e) => e.startsWith('sent'))).toEqual(['sent f-1#000', 'sent f-2#000']);
    expect(await plain.pendingOutbox(nodeKey)).toEqual([]);
  });

  it('a relay that keeps failing fails the next input that sends, and is left in the table for the leftovers: nothing lost, nothing reordered', async () => {
    const { log, outbound, ctx, plain, nodeKey } = setup();
    const session = new LeaseSession(ctx);
    outbound.failures = 2;
    try {
      expect(await session.apply('k-1', committing('1'))).toBe('applied');
      // Refused in the background, then again when the answer waits for it: the answer fails (its input is redelivered).
      await expect(session.apply('k-2', answering('2'))).rejects.toThrow('SQS refused the batch');
      expect((await plain.pendingOutbox(nodeKey)).map((item) => item.inputId)).toEqual(['k-1']);
      // The next input finds it among the leftovers and relays it before its own.
      expect(await session.apply('k-3', committing('3'), { releaseWithCommit: true })).toBe('applied');
    } finally {
      await session.close();
    }
    expect(log.filter((e) => e.startsWith('sent'))).toEqual(['sent k-1#000', 'sent k-3#000']);
    expect(await plain.pendingOutbox(nodeKey)).toEqual([]);
  });

  it('closing the session finishes the relays under way before the lease is released', async () => {
    const { log, ctx, plain, nodeKey } = setup();
    const session = new LeaseSession(ctx);
    expect(await session.apply('c-1', committing('1'))).toBe('applied');
    await session.close();
    expect(log).toEqual(['commit c-1', 'sent c-1#000']);
    expect(await plain.pendingOutbox(nodeKey)).toEqual([]);
    expect((await plain.readLease(nodeKey))?.expiresAtMs).toBe(0);
  });
});
