/**
 * The forwarding policy a deployment answers at `GET /v1/node/policy`
 * (`storeNodeApi`): the node's settings with the defaults filled in and the
 * CLTV delta raised to 42, the same policy the ChannelManager checks
 * forwards against and advertises (`forwardingConfigOf` of its config).
 */
import { describe, expect, it } from 'vitest';
import { storeNodeApi } from '../../functions/http/store-node-api.js';
import { createNodeContext, type NodeContext } from '../../functions/runtime/node-context.js';
import { readNodeChannelSettings } from '../../functions/runtime/node-settings.js';
import { forwardingConfigOf, type NodeChannelSettings } from '../../shared/manager/index.js';
import type { FifoQueue } from '../../shared/pipeline/queues.js';
import type { NodeStore } from '../../shared/store/index.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {} } as unknown as NodeContext['logger'];

function contextWith(channelSettings: NodeChannelSettings): NodeContext {
  // The policy reads no item: a store and queue that would throw if touched.
  return createNodeContext({ seed: new Uint8Array(32).fill(7), network: 'regtest', store: {} as NodeStore, outbound: {} as FifoQueue, logger: quiet, channelSettings });
}

describe('the forwarding policy a deployment answers', () => {
  it("is LDK 0.1's by default", async () => {
    const ctx = contextWith(readNodeChannelSettings({}));
    expect(await storeNodeApi(ctx).forwardingPolicy()).toEqual({ feeBaseMsat: 1000, feeProportionalMillionths: 0, cltvExpiryDelta: 72, htlcMinimumMsat: 1n });
  });

  it('follows the FORWARDING_* variables, a delta below 42 raised to 42, as the manager applies it', async () => {
    const ctx = contextWith(readNodeChannelSettings({ FORWARDING_FEE_BASE_MSAT: '2500', FORWARDING_FEE_PPM: '150', FORWARDING_CLTV_DELTA: '30' }));
    const answered = await storeNodeApi(ctx).forwardingPolicy();
    expect(answered).toEqual({ feeBaseMsat: 2500, feeProportionalMillionths: 150, cltvExpiryDelta: 42, htlcMinimumMsat: 1n });
    expect(answered).toEqual(forwardingConfigOf(ctx.managerConfig));
  });
});
