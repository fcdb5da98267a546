/**
 * Closing channels over HTTP (docs/close.md, docs/force-close.md):
 * `POST /v1/channels/{id}/close` with no body or `{}` (cooperative) or
 * `{"force": true}` (our latest commitment broadcast), and
 * `POST /v1/channels/close-all` with the same body for every open channel.
 */
import * as v from 'valibot';
import type { ChannelResponse } from './channel-schemas.js';
import type { ChannelInfo } from './node-api.js';
import { schemaRef } from './openapi.js';
import { isEmptyBody, jsonSchemaOf, parseWith, type Route } from './route-kit.js';

/** The body of both close routes, validated (unknown fields are rejected); absent means `{}`. */
export const CloseBody = v.strictObject({
  force: v.optional(
    v.pipe(
      v.boolean('force must be true or false'),
      v.description('Broadcast our latest commitment instead of negotiating with the peer: the peer need not be connected; our funds come back after `to_self_delay` blocks.'),
    ),
  ),
});

const CloseAllItem = v.strictObject({
  channelId: v.string(),
  state: v.optional(v.pipe(v.string(), v.description('The channel after the call (`closed`, or `shutdown-sent` for a cooperative close).'))),
  error: v.optional(v.strictObject({ code: v.string(), message: v.string() })),
});

export const CLOSE_SCHEMAS = {
  CloseRequest: jsonSchemaOf(CloseBody, 'How to close: cooperatively (no body, or `{}`), or `{"force": true}`.'),
  CloseAllResult: jsonSchemaOf(v.strictObject({ channels: v.array(CloseAllItem) }), 'Each open channel and what the call did to it.'),
};

function closeOptionsOf(json: unknown): { readonly force?: boolean } {
  if (isEmptyBody(json)) return {};
  const { force } = parseWith(CloseBody, json);
  return force === undefined ? {} : { force };
}

/** The close routes; `channelJson` renders a channel as the other channel routes do. */
export function closeRoutes(channelJson: (c: ChannelInfo) => ChannelResponse, channelIdParameter: { readonly name: string; readonly description: string; readonly pattern: string }): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/channels/{id}/close',
      operationId: 'closeChannel',
      summary: 'Close a channel: cooperatively (BOLT 2 `shutdown`, then `closing_signed`), or by force (our latest commitment on chain).',
      description:
        'No body or `{}`: sends `shutdown`; the channel shows `shutdown-sent`, then `negotiating-close` while the closing fee is agreed, then `closed` ' +
        'with reason `cooperative-closure` once both signed the closing transaction, which is broadcast (event `channel-closed`). ' +
        "Our output pays a fresh address of the node's wallet, counted in `GET /v1/wallet` once the closing transaction confirms. " +
        'The peer must be connected (409 `peer-not-connected` otherwise); a reconnection mid-close resumes it. ' +
        '`{"force": true}`: our latest commitment is committed for broadcast and the channel shows `closed` with reason `holder-force-closed` ' +
        'and `closure.txid` (the commitment); the peer need not be connected. Our `to_local` output is swept to the wallet after ' +
        '`to_self_delay` blocks (docs/force-close.md).',
      pathParameters: [channelIdParameter],
      requestBody: { description: 'None, `{}`, or `{"force": true}`.', schema: schemaRef('CloseRequest'), required: false },
      errors: ['NotFound', 'NotClosable', 'Busy'],
      success: {
        status: 202,
        description: 'Cooperative: `shutdown` is committed and on its way (`shutdown-sent`, or `negotiating-close`). Force: `closed`, the commitment queued for broadcast.',
        schema: schemaRef('Channel'),
      },
      async handle(api, request) {
        const options = closeOptionsOf(request.json);
        return channelJson(await api.closeChannel(request.params['id']!.toLowerCase(), options));
      },
    },
    {
      method: 'POST',
      path: '/v1/channels/close-all',
      operationId: 'closeAllChannels',
      summary: 'Close every open channel (`{"force": true}`: LDK\'s `force_close_all_channels_broadcasting_latest_txn`).',
      description:
        'One close per channel, each committed on its own: a channel that cannot be closed (its peer offline for a cooperative close) ' +
        'is listed with its error, the others still close.',
      requestBody: { description: 'None, `{}`, or `{"force": true}`.', schema: schemaRef('CloseRequest'), required: false },
      errors: ['Busy'],
      success: { status: 200, description: 'What happened to each channel.', schema: schemaRef('CloseAllResult') },
      async handle(api, request) {
        const options = closeOptionsOf(request.json);
        const results = await api.closeAllChannels(options);
        return {
          channels: results.map((r) => ('channel' in r ? { channelId: r.channelId, state: r.channel.state } : { channelId: r.channelId, error: r.error })),
        };
      },
    },
  ];
}
