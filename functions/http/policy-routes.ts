/**
 * The forwarding policy (docs/forwarding.md): `GET /v1/node/policy`, the
 * node's default, what every `channel_update` we send advertises and every
 * forward is checked against unless the channel has its own; set by
 * FORWARDING_FEE_BASE_MSAT, FORWARDING_FEE_PPM and FORWARDING_CLTV_DELTA
 * (README, "Settings"). `PATCH /v1/channels/{id}`: one channel's own fee
 * and CLTV delta (LDK's `update_channel_config`), its new `channel_update`
 * sent at once. Each schema is one valibot schema; the OpenAPI document's
 * is generated from it.
 */
import * as v from 'valibot';
import type { ChannelResponse } from './channel-schemas.js';
import { HttpError, HttpErrorCode } from './errors.js';
import type { ChannelInfo } from './node-api.js';
import { schemaRef } from './openapi.js';
import { bodiless, jsonSchemaOf, parseWith, type Route } from './route-kit.js';

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

/** The body of `PATCH /v1/channels/{id}`: the fields to change (at least one; unknown fields are refused). */
export const ChannelPolicyPatch = v.strictObject({
  feeBaseMsat: v.exactOptional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffff_ffff), v.description('What we charge per forward over this channel, msat.'))),
  feeProportionalMillionths: v.exactOptional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffff_ffff), v.description('What we charge per million msat forwarded over this channel.'))),
  cltvExpiryDelta: v.exactOptional(
    v.pipe(v.number(), v.integer(), v.minValue(42), v.maxValue(0xffff), v.description('Blocks between the incoming and the outgoing HTLC expiry; at least 42 (LDK\'s minimum: time to claim upstream on chain).')),
  ),
});

export const POLICY_SCHEMAS = {
  ForwardingPolicy: jsonSchemaOf(ForwardingPolicyResponse, "The node's default forwarding policy, advertised in our `channel_update` of every channel without its own."),
  ChannelPolicyPatch: { ...jsonSchemaOf(ChannelPolicyPatch, "The channel's own forwarding fee and CLTV delta: the fields given replace the policy in force, the others stay."), minProperties: 1 },
};

/** `PATCH /v1/channels/{id}`; `channelJson` renders a channel as the other channel routes do. */
export function channelPolicyRoutes(channelJson: (c: ChannelInfo) => ChannelResponse, channelIdParameter: { readonly name: string; readonly description: string; readonly pattern: string }): Route[] {
  return [
    {
      method: 'PATCH',
      path: '/v1/channels/{id}',
      operationId: 'updateChannelPolicy',
      summary: "Set one channel's forwarding fee and CLTV delta (LDK's `update_channel_config`).",
      description:
        'The fields given replace the policy in force on this channel (the node default until then, `GET /v1/node/policy`); from then on the channel keeps its own. ' +
        'Our new `channel_update` goes to the peer at once (and, for an announced channel, to our other peers, which relay it); a peer offline gets it on reconnection. ' +
        'Forwards paying the previous policy are still accepted for 5 minutes, while the update travels (as LDK). The channel answers with `forwardingPolicy`.',
      pathParameters: [channelIdParameter],
      requestBody: { description: 'At least one of `feeBaseMsat`, `feeProportionalMillionths`, `cltvExpiryDelta`.', schema: schemaRef('ChannelPolicyPatch'), required: true },
      errors: ['NotFound', 'NotConfigurable', 'Busy'],
      success: { status: 200, description: 'The channel with its policy in force.', schema: schemaRef('Channel') },
      async handle(api, request) {
        const change = parseWith(ChannelPolicyPatch, request.json ?? {});
        if (change.feeBaseMsat === undefined && change.feeProportionalMillionths === undefined && change.cltvExpiryDelta === undefined) {
          throw new HttpError(HttpErrorCode.invalidRequest, 'give at least one of feeBaseMsat, feeProportionalMillionths, cltvExpiryDelta');
        }
        return channelJson(await api.updateChannelPolicy(request.params['id']!.toLowerCase(), change));
      },
    },
  ];
}

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
