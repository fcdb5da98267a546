/**
 * `GET /v1/node/policy`: the forwarding policy in force (docs/forwarding.md),
 * what every `channel_update` we send advertises and every forward is
 * checked against. Set by FORWARDING_FEE_BASE_MSAT, FORWARDING_FEE_PPM and
 * FORWARDING_CLTV_DELTA (README, "Settings"). The answer's schema is one
 * valibot schema; the OpenAPI document's is generated from it.
 */
import * as v from 'valibot';
import { schemaRef } from './openapi.js';
import { bodiless, jsonSchemaOf, type Route } from './route-kit.js';

const whole = (description: string) => v.pipe(v.number(), v.integer(), v.minValue(0), v.description(description));

/** The policy, as the API answers it. */
export const ForwardingPolicyResponse = v.strictObject({
  feeBaseMsat: whole('What we charge per forward, msat (`FORWARDING_FEE_BASE_MSAT`, default 1,000).'),
  feeProportionalMillionths: whole('What we charge per million msat forwarded, rounded down (`FORWARDING_FEE_PPM`, default 0).'),
  cltvExpiryDelta: whole(
    'The blocks we require between the incoming and the outgoing HTLC expiry (`FORWARDING_CLTV_DELTA`, default 72; a value below 42 is raised to 42, as LDK does).',
  ),
  htlcMinimumMsat: whole("The smallest HTLC we forward, msat (a channel's peer may require more: the larger applies on that channel)."),
});
export type ForwardingPolicyResponse = v.InferOutput<typeof ForwardingPolicyResponse>;

export const POLICY_SCHEMAS = {
  ForwardingPolicy: jsonSchemaOf(ForwardingPolicyResponse, 'Our forwarding policy in force, the same on every channel, advertised in our `channel_update`s.'),
};

export const POLICY_ROUTES: readonly Route[] = [
  bodiless({
    method: 'GET',
    path: '/v1/node/policy',
    operationId: 'getForwardingPolicy',
    summary: 'The forwarding policy in force: our fee, CLTV expiry delta and HTLC minimum.',
    success: { status: 200, description: 'The policy.', schema: schemaRef('ForwardingPolicy') },
    async run(api): Promise<ForwardingPolicyResponse> {
      const policy = await api.forwardingPolicy();
      return {
        feeBaseMsat: policy.feeBaseMsat,
        feeProportionalMillionths: policy.feeProportionalMillionths,
        cltvExpiryDelta: policy.cltvExpiryDelta,
        htlcMinimumMsat: Number(policy.htlcMinimumMsat),
      };
    },
  }),
];
