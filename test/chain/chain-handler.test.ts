/**
 * The chain handler against DynamoDB Local and the embedded regtest chain
 * over HTTP: a block is processed exactly once when two invocations for the
 * same node run concurrently, whether they carry the same event id
 * (duplicate input) or different ones (the second finds the tip applied and
 * writes nothing); a new block is then processed once more. The
 * `CHAIN_WATCH#` items are read once per run, not at all while unchanged,
 * and one written between the prefetch and the lease is seen under it.
 */
import { describe, expect, it } from 'vitest';
import { createChainHandler, type ChainConsumer } from '../../functions/chain/handler.js';
import { decodeChainView } from '../../functions/chain/chain-record.js';
import { decodeFeeRates } from '../../functions/chain/fee-record.js';
import { DEFAULT_FEE_ESTIMATES } from '../../infra/local/regtest-chain/esplora-server.js';
import { StoredFeeEstimator } from '../../shared/chain/index.js';
import { SortKey, monitorItemWrites } from '../../shared/store/index.js';
import { sha256, toHex } from '../../shared/crypto/index.js';
import { encodeMonitor, outpointKey } from '../../shared/monitor/index.js';
import { applyInput } from '../../functions/runtime/invocation.js';
import { upToDate } from '../../shared/chain/sync-plan.js';
import { openedMonitor } from '../manager/manager-fixture.js';
import { RecordingConfirm } from './recording-confirm.js';
import { testNode } from '../support/wallet-node.js';
import { useLocalServices } from '../support/local-services.js';

const local = useLocalServices();

/** A handler whose one consumer records every Confirm call (shared across invocations, as the calls would be persisted). */
function recorded(ctx: Parameters<typeof createChainHandler>[0]) {
  const recorder = new RecordingConfirm();
  const consumer: ChainConsumer = { confirm: recorder, watch: () => ({ txids: [], outputs: [] }), writes: () => ({ puts: [], deletes: [] }) };
  return { recorder, handler: createChainHandler(ctx, { consumers: async () => [consumer] }) };
}

const bestCalls = (r: RecordingConfirm) => r.calls.filter((c) => c.kind === 'best');

/** A channel's first monitor snapshot and CHAIN_WATCH# item, committed as the manager commits them: a copy of a real monitor on a funding output of its own (unconfirmed). */
async function watchChannel(ctx: Parameters<typeof createChainHandler>[0], label: string) {
  const template = openedMonitor();
  const txid = local.chain.chain.faucet(template.fundingScriptPubKey, template.channelValueSatoshis);
  const tx = local.chain.chain.transaction(txid)!.tx;
  const index = tx.outs.findIndex((o) => Buffer.compare(o.script, template.fundingScriptPubKey) === 0);
  const monitor = { ...template, channelId: sha256(new TextEncoder().encode(label)), fundingOutpoint: { txid: Uint8Array.from(tx.getHash()), index } };
  const puts = monitorItemWrites([{ channelIdHex: toHex(monitor.channelId), updateId: 0n, bytes: encodeMonitor(monitor) }]).flatMap((w) => [w.put, ...w.justice]);
  expect(await applyInput(ctx, `watch-${label}`, async () => ({ puts, deletes: [], effects: [] }))).toBe('applied');
  return { outpoint: monitor.fundingOutpoint, scriptPubKey: template.fundingScriptPubKey };
}

describe('the chain handler', () => {
  it('processes a block once when the same event is delivered twice concurrently', async () => {
    const { ctx } = await testNode({ dynamo: local.dynamo, sqs: local.sqs, esploraUrl: local.chain.url });
    const { recorder, handler } = recorded(ctx);
    const results = await Promise.all([handler({ id: 'evt-1' }, {} as never), handler({ id: 'evt-1' }, {} as never)]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['applied', 'duplicate']);
    expect(bestCalls(recorder)).toEqual([{ kind: 'best', height: local.chain.chain.tip().height, blockHash: local.chain.chain.tip().hash }]);
    const view = decodeChainView(await ctx.store.get(ctx.nodeKey, SortKey.chain));
    expect(view.ok && view.value.tip).toEqual({ height: local.chain.chain.tip().height, hash: local.chain.chain.tip().hash });
  });

  it('processes a block once when two schedule events run concurrently, and the next block once more', async () => {
    const { ctx } = await testNode({ dynamo: local.dynamo, sqs: local.sqs, esploraUrl: local.chain.url });
    const { recorder, handler } = recorded(ctx);
    const results = await Promise.all([handler({ id: 'a' }, {} as never), handler({ id: 'b' }, {} as never)]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['applied', 'no-change']);
    expect(bestCalls(recorder)).toHaveLength(1);
    const before = await ctx.store.get(ctx.nodeKey, SortKey.chain);

    local.chain.chain.mine(1);
    const again = await Promise.all([handler({ id: 'c' }, {} as never), handler({ id: 'd' }, {} as never), handler({}, {} as never)]);
    expect(again.map((r) => r.outcome).sort()).toEqual(['applied', 'no-change', 'no-change']);
    expect(bestCalls(recorder).map((c) => c.kind === 'best' && c.height)).toEqual([local.chain.chain.tip().height - 1, local.chain.chain.tip().height]);
    expect(await ctx.store.get(ctx.nodeKey, SortKey.chain)).not.toEqual(before);
  });

  it('uses the tip hash as the input id on demand: two concurrent runs are one input', async () => {
    const { ctx } = await testNode({ dynamo: local.dynamo, sqs: local.sqs, esploraUrl: local.chain.url });
    const { recorder, handler } = recorded(ctx);
    const results = await Promise.all([handler({}, {} as never), handler({}, {} as never)]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['applied', 'duplicate']);
    expect(results[0]!.inputId).toBe(`chain-${local.chain.chain.tip().hash}`);
    expect(bestCalls(recorder)).toHaveLength(1);
  });

  it('stores the chain source\'s fee estimates in FEES (sat/kw by target), rewriting them only when they change', async () => {
    const { ctx } = await testNode({ dynamo: local.dynamo, sqs: local.sqs, esploraUrl: local.chain.url });
    const { handler } = recorded(ctx);
    expect((await handler({ id: 'fees-1' }, {} as never)).outcome).toBe('applied');
    const stored = decodeFeeRates(await ctx.store.get(ctx.nodeKey, SortKey.fees));
    // The embedded chain's table in sat/vB, x 250.
    const expected = new Map(Object.entries(DEFAULT_FEE_ESTIMATES).map(([target, satPerVb]) => [Number(target), BigInt(satPerVb * 250)]));
    expect(stored).toEqual({ ok: true, value: expected });
    expect(new StoredFeeEstimator(stored.ok ? stored.value : new Map()).feeRatePerKw(12)).toBe(1_250n); // 10 blocks: 5 sat/vB
    local.chain.chain.mine(1);
    const before = await ctx.store.get(ctx.nodeKey, SortKey.fees);
    expect((await handler({ id: 'fees-2' }, {} as never)).outcome).toBe('applied');
    expect(await ctx.store.get(ctx.nodeKey, SortKey.fees)).toEqual(before);
  });

  it('reads the CHAIN_WATCH# items once per run and not at all while unchanged; one written between the prefetch and the lease is seen under it', async () => {
    const { ctx } = await testNode({ dynamo: local.dynamo, sqs: local.sqs, esploraUrl: local.chain.url });
    const a = await watchChannel(ctx, `a-${ctx.nodeKey}`);
    local.chain.chain.mine(1);
    const first = await createChainHandler(ctx)({ id: 'watch-1' }, {} as never);
    // Cold: the prefetch's Query; under the lease the version is the same, and its items are used.
    expect(first).toMatchObject({ outcome: 'applied', watchItemQueries: 1, requestsUnderLease: 0 });

    local.chain.chain.mine(1);
    // Another handler of the same context (a warm container's next invocation): nothing changed, no Query.
    expect(await createChainHandler(ctx)({ id: 'watch-2' }, {} as never)).toMatchObject({ outcome: 'applied', watchItemQueries: 0, requestsUnderLease: 0 });

    const before = decodeChainView(await ctx.store.get(ctx.nodeKey, SortKey.chain));
    if (!before.ok) throw before.error;
    local.chain.chain.mine(1);
    let b: Awaited<ReturnType<typeof watchChannel>> | undefined;
    const raced = await createChainHandler(ctx, { beforeLease: async () => void (b = await watchChannel(ctx, `b-${ctx.nodeKey}`)) })({ id: 'watch-3' }, {} as never);
    // The version moved: read again under the lease, and the new channel's funding output looked up there (the prefetch had not).
    expect(raced).toMatchObject({ outcome: 'applied', watchItemQueries: 1 });
    expect(raced.requestsUnderLease).toBeGreaterThan(0);
    const view = decodeChainView(await ctx.store.get(ctx.nodeKey, SortKey.chain));
    if (!view.ok) throw view.error;
    expect(view.value.tip?.hash).toBe(local.chain.chain.tip().hash);
    // Both funding outputs count as looked up in the view this run wrote.
    expect(upToDate(view.value, { txids: [], outputs: [a, b!] }, local.chain.chain.tip().hash)).toBe(true);
    expect(outpointKey(b!.outpoint)).not.toBe(outpointKey(a.outpoint));
    expect(upToDate({ ...before.value, tip: view.value.tip }, { txids: [], outputs: [a, b!] }, local.chain.chain.tip().hash)).toBe(false);

    local.chain.chain.mine(1);
    expect(await createChainHandler(ctx)({ id: 'watch-4' }, {} as never)).toMatchObject({ outcome: 'applied', watchItemQueries: 0, requestsUnderLease: 0 });
  });
});
