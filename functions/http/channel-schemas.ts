/**
 * The channel as `GET /v1/channels` and `GET /v1/channels/{id}` answer it,
 * as one valibot schema: the OpenAPI document's `Channel` JSON Schema is
 * generated from it (`jsonSchemaOf`), and the route tests parse the answers
 * with it. Balances and limits: docs/balances.md.
 */
import * as v from 'valibot';

const HEX32 = /^[0-9a-f]{64}$/;
const msat = (description: string) => v.pipe(v.number(), v.integer(), v.minValue(0), v.description(description));
const count = () => v.pipe(v.number(), v.integer(), v.minValue(0));

/** One HTLC in flight on a channel. */
export const PendingHtlcResponse = v.strictObject({
  direction: v.pipe(v.picklist(['offered', 'received']), v.description('`offered`: ours, on its way out; `received`: offered to us.')),
  amountMsat: count(),
  paymentHash: v.pipe(v.string(), v.regex(HEX32)),
  expiryHeight: v.pipe(count(), v.description('Its `cltv_expiry`: the block height at which the offerer can take it back on chain.')),
});

/** One channel, as the API answers it. */
export const ChannelResponse = v.strictObject({
  channelId: v.pipe(v.string(), v.regex(HEX32), v.description('The real channel id once funded, else the temporary one.')),
  temporaryChannelId: v.pipe(v.string(), v.regex(HEX32)),
  counterpartyNodeId: v.pipe(v.string(), v.regex(/^0[23][0-9a-f]{64}$/)),
  state: v.pipe(
    v.string(),
    v.description(
      '`outbound-awaiting-accept`, `awaiting-funding-signed`, `awaiting-confirmation`, `awaiting-channel-ready`, `ready`, `shutdown-sent`, `negotiating-close` (a cooperative close), …, ' +
        '`awaiting-acceptance` (an inbound request held for `POST /v1/channels/{id}/accept` or `/reject`: the node runs with `INBOUND_CHANNELS=manual`), or `closed`.',
    ),
  ),
  channelType: v.optional(
    v.pipe(
      v.picklist(['static_remotekey', 'anchors_zero_fee_htlc_tx']),
      v.description('The negotiated channel type (BOLT 2 `channel_type`): `anchors_zero_fee_htlc_tx` needs the node to run with `ANCHOR_CHANNELS=true`. Absent once closed.'),
    ),
  ),
  fundingTxid: v.optional(v.pipe(v.string(), v.regex(HEX32), v.description('Once the funding transaction is known.'))),
  fundingOutputIndex: v.optional(count()),
  shortChannelId: v.optional(v.pipe(v.string(), v.regex(/^[0-9]+x[0-9]+x[0-9]+$/), v.description('`block`x`tx`x`output`, once confirmed.'))),
  capacitySat: count(),
  localBalanceMsat: msat(
    'Our output on our latest commitment, in msat: our balance with every HTLC in flight left out (they are in `pendingHtlcs`), ' +
      'less the commitment fee and the two anchors when we opened the channel (we pay them). Before the channel is ready: the opening split. docs/balances.md.',
  ),
  remoteBalanceMsat: msat("The counterparty's output by the same rule (less the fee and anchors when it opened the channel)."),
  balanceMsat: msat('Deprecated alias of `localBalanceMsat` (kept for one API version; it used to be our balance before the commitment fee).'),
  pendingHtlcs: v.pipe(
    v.array(PendingHtlcResponse),
    v.description('The HTLCs in flight, both ways: counted in neither balance until settled (a fulfilled one goes to its payee, a failed one back).'),
  ),
  outboundCapacityMsat: msat(
    "The largest single payment the channel can send now (LDK's `next_outbound_htlc_limit_msat`): our balance less the reserve the peer requires, " +
      "the peer's in-flight and HTLC-count limits, and, when we pay the fee, the fee of one more HTLC output plus a buffer (twice the fee on static_remotekey channels). 0 unless `ready`.",
  ),
  inboundCapacityMsat: msat('The largest single payment the peer can send us now: the same rules from its side. 0 unless `ready`.'),
  confirmations: count(),
  confirmationsRequired: count(),
  isOutbound: v.boolean(),
  isChannelReady: v.boolean(),
  isUsable: v.pipe(v.boolean(), v.description('Ready and the peer connected.')),
  isPublic: v.boolean(),
  forwardingPolicy: v.optional(
    v.pipe(
      v.strictObject({ feeBaseMsat: count(), feeProportionalMillionths: count(), cltvExpiryDelta: count() }),
      v.description("Our policy for forwarding over this channel, as our `channel_update` carries it: the node's default (`GET /v1/node/policy`) or the channel's own (`PATCH /v1/channels/{id}`). Open channels only."),
    ),
  ),
  closure: v.optional(
    v.strictObject({
      reason: v.pipe(v.string(), v.examples(['funding-not-provided', 'counterparty-error', 'cooperative-closure', 'holder-force-closed', 'counterparty-force-closed', 'revoked-commitment-punished'])),
      message: v.string(),
      txid: v.optional(v.pipe(v.string(), v.description('The transaction that spent the funding output (display order hex), when known: our commitment after a force close.'))),
    }),
  ),
});
export type ChannelResponse = v.InferOutput<typeof ChannelResponse>;
