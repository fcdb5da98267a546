/**
 * The chain handler against DynamoDB Local and the embedded regtest chain
 * over HTTP: a block is processed exactly once when two invocations for the
 * same node run concurrently, whether they carry the same event id
 * (duplicate input) or different ones (the second finds the tip applied and
 * writes nothing); a new block is then processed once more.
 */
import { describe, expect, it } from 'vitest';
import { createChainHandler, type ChainConsumer } from '../../functions/chain/handler.js';
import { decodeChainView } from '../../functions/chain/chain-record.js';
import { decodeFeeRates } from '../../functions/chain/fee-record.js';
import { DEFAULT_FEE_ESTIMATES } from '../../infra/local/regtest-chain/esplora-server.js';
import { StoredFeeEstimator } from '../../shared/chain/index.js';
import { SortKey } from '../../shared/store/index.js';
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
});
