/**
 * The route table of the HTTP API: each route's method, path, request-body
 * schema (valibot, with its JSON Schema beside it), success status and what
 * it asks of the node. The OpenAPI document is built from this table.
 */
import * as v from 'valibot';
import { HEALTH_COMPONENTS, type ChannelInfo } from './node-api.js';
import { buildOpenApiDocument, schemaRef, type OpenApiDocument, type SchemaObject } from './openapi.js';
import { ChannelResponse } from './channel-schemas.js';
import { bodiless, emptyBody, jsonSchemaOf, parseWith, withBody, type Route } from './route-kit.js';
import { CLOSE_SCHEMAS, closeRoutes } from './close-routes.js';
import { INVOICE_ROUTES, INVOICE_SCHEMAS } from './invoice-routes.js';
import { PAYMENT_ROUTES, PAYMENT_SCHEMAS } from './payment-routes.js';
import { channelPolicyRoutes, POLICY_ROUTES, POLICY_SCHEMAS } from './policy-routes.js';
import { WEBHOOK_ROUTES, WEBHOOK_SCHEMAS } from './webhook-routes.js';

export { describeIssues, isEmptyBody, type Route } from './route-kit.js';

/** The API's version, reported in the OpenAPI document. */
export const API_VERSION = '1.0.0';

/** A node id: a 33-byte compressed secp256k1 public key as hex (BOLT 8 static key). */
export const NODE_ID_PATTERN = '^0[23][0-9a-fA-F]{64}$';
/** Longest host name (RFC 1035 name, or an IP address literal). */
export const HOST_MAX_LENGTH = 253;
/** A host: visible ASCII only (IDNs in punycode), so lengths agree between valibot and JSON Schema. */
export const HOST_PATTERN = '^[\\x21-\\x7e]+$';
export const PORT_MIN = 1;
export const PORT_MAX = 65535;
/** Bitcoin's 21 million coins in sat: no payment is larger. */
export const MAX_SEND_SATS = 2_100_000_000_000_000;
/** P2WPKH's dust limit: no payment is smaller. */
export const MIN_SEND_SATS = 294;
export const FEERATE_MIN_SAT_PER_VB = 1;
export const FEERATE_MAX_SAT_PER_VB = 10_000;
/** Longest address accepted (bech32 addresses are at most 90 characters). */
export const ADDRESS_MAX_LENGTH = 90;
export const ADDRESS_PATTERN = '^[A-Za-z0-9]+$';

/** The smallest channel the ChannelManager opens (sat). */
export const MIN_CHANNEL_SATS = 1000;
/** 2^24 - 1 sat: larger channels need `option_support_large_channel` (BOLT 2), not offered by this route. */
export const MAX_CHANNEL_SATS = 16_777_215;
/** A channel id (32 bytes, hex). */
export const CHANNEL_ID_PATTERN = '^[0-9a-fA-F]{64}$';

const MESSAGES = {
  nodeId: 'must be a 33-byte compressed public key in hex (02 or 03 prefix)',
  host: `must be a host name or IP address of 1 to ${HOST_MAX_LENGTH} visible ASCII characters`,
  port: `must be an integer from ${PORT_MIN} to ${PORT_MAX}`,
  address: `must be an address of the node's network (1 to ${ADDRESS_MAX_LENGTH} letters and digits)`,
  sats: `must be an integer from ${MIN_SEND_SATS} to ${MAX_SEND_SATS}`,
  feerate: `must be a number from ${FEERATE_MIN_SAT_PER_VB} to ${FEERATE_MAX_SAT_PER_VB}`,
  amountSat: `must be an integer from ${MIN_CHANNEL_SATS} to ${MAX_CHANNEL_SATS}`,
  pushMsat: `must be an integer from 0 to ${MAX_CHANNEL_SATS * 1000}`,
  public: 'must be a boolean',
} as const;

/** The body of `POST /v1/peers`, validated (unknown fields are rejected). */
export const ConnectPeerBody = v.strictObject({
  nodeId: v.pipe(v.string(MESSAGES.nodeId), v.regex(new RegExp(NODE_ID_PATTERN), MESSAGES.nodeId), v.toLowerCase(), v.description('The peer node id (hex, either case).')),
  host: v.pipe(
    v.string(MESSAGES.host),
    v.minLength(1, MESSAGES.host),
    v.maxLength(HOST_MAX_LENGTH, MESSAGES.host),
    v.regex(new RegExp(HOST_PATTERN), MESSAGES.host),
    v.examples(['127.0.0.1', 'peer.example']),
  ),
  port: v.pipe(
    v.number(MESSAGES.port),
    v.integer(MESSAGES.port),
    v.minValue(PORT_MIN, MESSAGES.port),
    v.maxValue(PORT_MAX, MESSAGES.port),
  ),
});

/** The body of `POST /v1/wallet/send`, validated (unknown fields are rejected). */
export const SendBody = v.strictObject({
  address: v.pipe(
    v.string(MESSAGES.address),
    v.minLength(1, MESSAGES.address),
    v.maxLength(ADDRESS_MAX_LENGTH, MESSAGES.address),
    v.regex(new RegExp(ADDRESS_PATTERN), MESSAGES.address),
    v.description("Where to pay: an address of the node's network."),
  ),
  sats: v.pipe(v.number(MESSAGES.sats), v.integer(MESSAGES.sats), v.minValue(MIN_SEND_SATS, MESSAGES.sats), v.maxValue(MAX_SEND_SATS, MESSAGES.sats), v.description('The amount in sat.')),
  feerateSatPerVb: v.optional(
    v.pipe(
      v.number(MESSAGES.feerate),
      v.minValue(FEERATE_MIN_SAT_PER_VB, MESSAGES.feerate),
      v.maxValue(FEERATE_MAX_SAT_PER_VB, MESSAGES.feerate),
      v.description("Fee rate in sat/vB; the chain source's 6-block estimate when absent."),
    ),
  ),
});

/** The body of `POST /v1/channels`, validated (unknown fields are rejected). */
export const OpenChannelBody = v.strictObject({
  nodeId: v.pipe(v.string(MESSAGES.nodeId), v.regex(new RegExp(NODE_ID_PATTERN), MESSAGES.nodeId), v.toLowerCase(), v.description('The peer (connected) to open to (hex, either case).')),
  amountSat: v.pipe(
    v.number(MESSAGES.amountSat),
    v.integer(MESSAGES.amountSat),
    v.minValue(MIN_CHANNEL_SATS, MESSAGES.amountSat),
    v.maxValue(MAX_CHANNEL_SATS, MESSAGES.amountSat),
    v.description("The channel's value (sat), funded by the node's wallet."),
  ),
  pushMsat: v.optional(
    v.pipe(
      v.number(MESSAGES.pushMsat),
      v.integer(MESSAGES.pushMsat),
      v.minValue(0, MESSAGES.pushMsat),
      v.maxValue(MAX_CHANNEL_SATS * 1000, MESSAGES.pushMsat),
      v.description('Given to the peer at open (msat); 0 when absent.'),
    ),
  ),
  public: v.optional(v.pipe(v.boolean(MESSAGES.public), v.description('Announce the channel (BOLT 7); false when absent.'))),
});

/** An event id: a u64 as a decimal string (no leading sign, at most 20 digits). */
export const EVENT_ID_PATTERN = '^[0-9]{1,20}$';
const MAX_EVENT_ID = (1n << 64n) - 1n;
const EVENT_ID_MESSAGE = 'must be an event id: a decimal string of 1 to 20 digits, at most 2^64 - 1';

/** The body of `POST /v1/events/ack`, validated (unknown fields are rejected). */
export const AcknowledgeEventsBody = v.strictObject({
  upTo: v.pipe(
    v.string(EVENT_ID_MESSAGE),
    v.regex(new RegExp(EVENT_ID_PATTERN), EVENT_ID_MESSAGE),
    // valibot runs every action of the pipe: only a string the pattern accepted reaches BigInt.
    v.check((s) => new RegExp(EVENT_ID_PATTERN).test(s) && BigInt(s) <= MAX_EVENT_ID, EVENT_ID_MESSAGE),
    v.description('The last event id handled (decimal).'),
  ),
});

/** Channels per page of `GET /v1/channels`: the default and the most. */
export const CHANNELS_PAGE_DEFAULT = 50;
export const CHANNELS_PAGE_MAX = 200;
const LIMIT_MESSAGE = `must be an integer from 1 to ${CHANNELS_PAGE_MAX}`;
const AFTER_CHANNEL_MESSAGE = 'must be a channel id (64 hex digits): the last channelId of the previous page';

/** The query string of `GET /v1/channels`, validated (other parameters are ignored). */
export const ListChannelsQuery = v.object({
  limit: v.optional(
    v.pipe(
      v.string(LIMIT_MESSAGE),
      v.regex(/^[0-9]{1,4}$/, LIMIT_MESSAGE),
      v.transform(Number),
      v.minValue(1, LIMIT_MESSAGE),
      v.maxValue(CHANNELS_PAGE_MAX, LIMIT_MESSAGE),
    ),
  ),
  after: v.optional(v.pipe(v.string(AFTER_CHANNEL_MESSAGE), v.regex(new RegExp(CHANNEL_ID_PATTERN), AFTER_CHANNEL_MESSAGE), v.toLowerCase())),
});

/** The query string of `GET /v1/events`, validated (other parameters are ignored). */
export const ListEventsQuery = v.object({
  after: v.optional(
    v.pipe(
      v.string(EVENT_ID_MESSAGE),
      v.regex(new RegExp(EVENT_ID_PATTERN), EVENT_ID_MESSAGE),
      v.check((s) => new RegExp(EVENT_ID_PATTERN).test(s) && BigInt(s) <= MAX_EVENT_ID, EVENT_ID_MESSAGE),
    ),
  ),
});

/**
 * One page of `items` in the order of `keyOf` (ascending): at most `limit`,
 * those after the key `after`; `nextAfter` is the last key of the page when
 * more follow.
 */
export function pageOf<T>(items: readonly T[], keyOf: (item: T) => string, limit: number, after: string | undefined): { page: T[]; nextAfter?: string } {
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const rest = after === undefined ? sorted : sorted.filter((item) => keyOf(item) > after);
  const page = rest.slice(0, limit);
  return rest.length > limit ? { page, nextAfter: keyOf(page[page.length - 1]!) } : { page };
}

/** JSON Schemas of the bodies, for the OpenAPI document (`components.schemas`). */
export const SCHEMAS = {
  ...WEBHOOK_SCHEMAS,
  EmptyRequest: {
    type: 'object',
    description: 'This operation takes no input: send no body, or `{}`. Any other body is refused with 400.',
    properties: {},
    additionalProperties: false,
  },
  NodeInfo: {
    type: 'object',
    properties: {
      nodeId: { type: 'string', pattern: '^0[23][0-9a-f]{64}$', description: 'Our node id (33-byte compressed public key, hex).' },
      network: { type: 'string', examples: ['regtest'] },
      peers: { type: 'integer', minimum: 0, description: 'Connected peers.' },
      features: { type: 'string', pattern: '^([0-9a-f]{2})*$', description: 'BOLT 9 feature bits of our `init`, hex.' },
      version: { type: 'string', description: 'Node software version, when the node reports it.' },
      channelBalanceMsat: {
        type: 'integer',
        minimum: 0,
        description:
          'The sum of `localBalanceMsat` over the channels whose first commitments are signed (awaiting confirmation, ready or closing; ' +
          'not channels still being negotiated, held requests or closed channels): docs/balances.md.',
      },
      inboundCapacityMsat: { type: 'integer', minimum: 0, description: 'The sum of `inboundCapacityMsat` over the same channels (only ready channels have any).' },
    },
    required: ['nodeId', 'network', 'peers', 'features', 'channelBalanceMsat', 'inboundCapacityMsat'],
    additionalProperties: false,
  },
  Health: {
    type: 'object',
    properties: {
      status: { type: 'string', enum: ['ok', 'degraded'], description: '`degraded` while something the node needs is down.' },
      down: {
        type: 'array',
        items: { type: 'string', enum: [...HEALTH_COMPONENTS] },
        description: 'What is down: `dynamodb` (the store; routes that need it answer 503 with Retry-After meanwhile).',
      },
    },
    required: ['status', 'down'],
    additionalProperties: false,
  },
  Peer: {
    type: 'object',
    properties: {
      nodeId: { type: 'string', pattern: '^0[23][0-9a-f]{64}$' },
      address: { type: 'string', description: '`host:port` of the connection.' },
      inbound: { type: 'boolean', description: 'Whether the peer dialled us.' },
      features: { type: 'string', pattern: '^([0-9a-f]{2})*$', description: "BOLT 9 feature bits of the peer's `init`, hex." },
    },
    required: ['nodeId', 'address', 'inbound', 'features'],
    additionalProperties: false,
  },
  PeerList: {
    type: 'object',
    properties: { peers: { type: 'array', items: schemaRef('Peer') } },
    required: ['peers'],
    additionalProperties: false,
  },
  ConnectPeerRequest: jsonSchemaOf(ConnectPeerBody),
  ConnectPeerAccepted: {
    type: 'object',
    properties: {
      status: { type: 'string', enum: ['connecting'] },
      nodeId: { type: 'string', pattern: '^0[23][0-9a-f]{64}$' },
    },
    required: ['status', 'nodeId'],
    additionalProperties: false,
  },
  Wallet: {
    type: 'object',
    properties: {
      confirmedSat: { type: 'integer', minimum: 0, description: 'Confirmed coins not spent by one of our payments (sat).' },
      unconfirmedSat: { type: 'integer', minimum: 0, description: 'Unconfirmed coins: incoming, or the change of our payments (sat).' },
      anchorReserve: {
        type: 'object',
        description:
          'The anchor reserve: confirmed coins kept to pay for the on-chain claims of anchor channels (a fee input on their HTLC ' +
          'transactions, a child of their commitment), 25,000 sat per anchor channel. Payments and channel opens leave them unspent.',
        properties: {
          anchorChannels: { type: 'integer', minimum: 0, description: 'Funded anchor channels not closed.' },
          requiredSat: { type: 'integer', minimum: 0, description: '25,000 sat per anchor channel.' },
          reservedSat: { type: 'integer', minimum: 0, description: 'The confirmed coins kept for it (all of them when they do not cover it).' },
        },
        required: ['anchorChannels', 'requiredSat', 'reservedSat'],
        additionalProperties: false,
      },
    },
    required: ['confirmedSat', 'unconfirmedSat'],
    additionalProperties: false,
  },
  WalletAddress: {
    type: 'object',
    properties: { address: { type: 'string', description: 'A fresh BIP 84 receive address (bech32 P2WPKH).', examples: ['bcrt1q...'] } },
    required: ['address'],
    additionalProperties: false,
  },
  SendRequest: jsonSchemaOf(SendBody),
  SendResult: {
    type: 'object',
    properties: {
      txid: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'The payment transaction id (signals RBF).' },
      feeSat: { type: 'integer', minimum: 0, description: 'The fee it pays (sat).' },
    },
    required: ['txid', 'feeSat'],
    additionalProperties: false,
  },
  OpenChannelRequest: jsonSchemaOf(OpenChannelBody),
  ChannelOpened: {
    type: 'object',
    properties: { channelId: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'The temporary channel id; `GET /v1/channels/{id}` finds the channel by it, also once funded.' } },
    required: ['channelId'],
    additionalProperties: false,
  },
  Channel: jsonSchemaOf(ChannelResponse),
  ChannelList: {
    type: 'object',
    properties: {
      channels: { type: 'array', items: schemaRef('Channel'), description: 'One page, in channel id order.' },
      nextAfter: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'Present when more channels follow: pass it as `after` for the next page.' },
    },
    required: ['channels'],
    additionalProperties: false,
  },
  ChannelAccepted: {
    type: 'object',
    properties: { status: { type: 'string', enum: ['accepted'] }, channelId: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
    required: ['status', 'channelId'],
    additionalProperties: false,
  },
  Event: {
    type: 'object',
    description: 'One event (LDK `Event`). Fields beyond `id` and `kind` depend on the kind; channel events name the `counterpartyNodeId`.',
    properties: {
      id: { type: 'string', pattern: EVENT_ID_PATTERN, description: 'Grows by one per event: acknowledge up to it; skip ids already handled.' },
      kind: { type: 'string', enum: ['funding-generation-ready', 'channel-pending', 'channel-ready', 'channel-closed', 'open-channel-request', 'discard-funding', 'unsupported-message', 'payment-claimable', 'payment-received', 'payment-sent', 'payment-path-failed', 'payment-failed', 'funds-swept', 'payment-forwarded'] },
      counterpartyNodeId: { type: 'string', pattern: '^0[23][0-9a-f]{64}$' },
      channelId: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      temporaryChannelId: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'The temporary id (the former one for `channel-pending`).' },
      userChannelId: { type: 'string', pattern: EVENT_ID_PATTERN, description: 'u64, decimal.' },
      channelValueSat: { type: 'string', pattern: EVENT_ID_PATTERN },
      pushMsat: { type: 'string', pattern: EVENT_ID_PATTERN },
      fundingTxid: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      fundingOutputIndex: { type: 'integer', minimum: 0 },
      shortChannelId: { type: 'string', pattern: '^[0-9]+x[0-9]+x[0-9]+$' },
      channelType: { type: 'string', enum: ['static_remotekey', 'anchors_zero_fee_htlc_tx'] },
      reason: { type: 'string', examples: ['counterparty-error', 'peer-disconnected', 'holder-force-closed', 'counterparty-force-closed', 'revoked-commitment-punished'] },
      message: { type: 'string' },
      closingTxid: { type: 'string', pattern: '^[0-9a-f]{64}$', description: '`channel-closed`: the transaction that spent the funding output, when known (our commitment after a force close).' },
      txid: { type: 'string', pattern: '^[0-9a-f]{64}$', description: '`funds-swept`: the transaction that brought our output of a closed channel to the wallet.' },
      amountSat: { type: 'string', pattern: EVENT_ID_PATTERN, description: '`funds-swept`: what it paid the wallet (our output minus the fee), decimal.' },
      messageType: { type: 'integer', minimum: 0, maximum: 65535, description: 'A BOLT message type a peer sent that the node cannot handle yet (`unsupported-message`, e.g. 134 `update_fee`).' },
      paymentHash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      paymentPreimage: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      paymentId: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      amountMsat: { type: 'string', pattern: EVENT_ID_PATTERN, description: 'u64, decimal.' },
      feePaidMsat: { type: 'string', pattern: EVENT_ID_PATTERN, description: 'u64, decimal.' },
      preimage: { type: 'string', pattern: '^[0-9a-f]{64}$', description: '`payment-sent`: the proof of payment (its SHA-256 is `paymentHash`).' },
      feeMsat: { type: 'string', pattern: EVENT_ID_PATTERN, description: '`payment-sent`: fees paid to the route, u64 decimal.' },
      purpose: { type: 'string', enum: ['invoice', 'spontaneous', 'for-hash'] },
      claimDeadline: { type: 'integer', minimum: 0, description: 'Claim before this block height (`payment-claimable`).' },
      paymentFailedPermanently: { type: 'boolean' },
      externalId: { anyOf: [{ type: 'string' }, { type: 'null' }], description: '`payment-received`: the paid invoice\'s `externalId` (null without one, e.g. keysend).' },
    },
    required: ['id', 'kind'],
    additionalProperties: false,
  },
  EventList: {
    type: 'object',
    properties: { events: { type: 'array', items: schemaRef('Event'), description: 'At most 100, oldest first.' } },
    required: ['events'],
    additionalProperties: false,
  },
  AcknowledgeEventsRequest: jsonSchemaOf(AcknowledgeEventsBody),
  EventsAcknowledged: {
    type: 'object',
    properties: { acknowledged: { type: 'integer', minimum: 0, description: 'How many pending events were deleted (0 on a repeat).' } },
    required: ['acknowledged'],
    additionalProperties: false,
  },
  ChannelRejected: {
    type: 'object',
    properties: { status: { type: 'string', enum: ['rejected'] }, channelId: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
    required: ['status', 'channelId'],
    additionalProperties: false,
  },
  ...INVOICE_SCHEMAS,
  ...CLOSE_SCHEMAS,
  OpenApiDocument: { type: 'object', description: 'An OpenAPI 3.1 document.' },
  ...PAYMENT_SCHEMAS,
  ...POLICY_SCHEMAS,
} as const satisfies Readonly<Record<string, SchemaObject>>;

/** A channel as JSON (amounts as numbers: every one is below 2^53; unknown funding fields left out). */
export function channelJson(c: ChannelInfo): ChannelResponse {
  return {
    channelId: c.channelId,
    temporaryChannelId: c.temporaryChannelId,
    counterpartyNodeId: c.counterpartyNodeId,
    state: c.state,
    ...(c.channelType === null ? {} : { channelType: c.channelType }),
    ...(c.fundingTxid === null ? {} : { fundingTxid: c.fundingTxid }),
    ...(c.fundingOutputIndex === null ? {} : { fundingOutputIndex: c.fundingOutputIndex }),
    ...(c.shortChannelId === null ? {} : { shortChannelId: c.shortChannelId }),
    capacitySat: Number(c.capacitySat),
    localBalanceMsat: Number(c.localBalanceMsat),
    remoteBalanceMsat: Number(c.remoteBalanceMsat),
    balanceMsat: Number(c.localBalanceMsat),
    pendingHtlcs: c.pendingHtlcs.map((h) => ({ direction: h.direction, amountMsat: Number(h.amountMsat), paymentHash: h.paymentHash, expiryHeight: h.expiryHeight })),
    outboundCapacityMsat: Number(c.outboundCapacityMsat),
    inboundCapacityMsat: Number(c.inboundCapacityMsat),
    confirmations: c.confirmations,
    confirmationsRequired: c.confirmationsRequired,
    isOutbound: c.isOutbound,
    isChannelReady: c.isChannelReady,
    isUsable: c.isUsable,
    isPublic: c.isPublic,
    ...(c.forwardingPolicy === undefined ? {} : { forwardingPolicy: { ...c.forwardingPolicy } }),
    ...(c.closure === undefined ? {} : { closure: { reason: c.closure.reason, message: c.closure.message, ...(c.closure.txid === undefined ? {} : { txid: c.closure.txid }) } }),
  };
}

const CHANNEL_ID_PARAMETER = { name: 'id', description: 'The channel id (real or temporary), hex.', pattern: CHANNEL_ID_PATTERN } as const;

let openApiDocument: OpenApiDocument | undefined;

/** The OpenAPI document of {@link ROUTES}, built once. */
export function openApi(): OpenApiDocument {
  return (openApiDocument ??= buildOpenApiDocument(ROUTES, SCHEMAS, API_VERSION));
}

/** Every route of the API. Paths are matched exactly (no trailing slash); a `{name}` segment matches one segment of its parameter's pattern. */
export const ROUTES: readonly Route[] = [
  bodiless({
    method: 'GET',
    path: '/v1/node',
    operationId: 'getNode',
    summary: 'Our node: id, network, peer count, features, and its totals over its channels.',
    success: { status: 200, description: 'The node.', schema: schemaRef('NodeInfo') },
    async run(api) {
      const info = await api.nodeInfo();
      return {
        nodeId: info.nodeId,
        network: info.network,
        peers: info.peers,
        features: info.features,
        ...(info.version === undefined ? {} : { version: info.version }),
        channelBalanceMsat: Number(info.channelBalanceMsat),
        inboundCapacityMsat: Number(info.inboundCapacityMsat),
      };
    },
  }),
  bodiless({
    method: 'GET',
    path: '/v1/health',
    operationId: 'getHealth',
    summary: 'Whether the node can serve, and what is down when it cannot (answered even while the store is down).',
    success: { status: 200, description: 'The health report.', schema: schemaRef('Health') },
    async run(api) {
      const health = await api.health();
      return { status: health.status, down: [...health.down] };
    },
  }),
  bodiless({
    method: 'GET',
    path: '/v1/peers',
    operationId: 'listPeers',
    summary: 'The connected peers.',
    success: { status: 200, description: 'The peers.', schema: schemaRef('PeerList') },
    async run(api) {
      const peers = await api.listPeers();
      return {
        peers: peers.map((p) => ({ nodeId: p.nodeId, address: p.address, inbound: p.inbound, features: p.features })),
      };
    },
  }),
  withBody(ConnectPeerBody, {
    method: 'POST',
    path: '/v1/peers',
    operationId: 'connectPeer',
    summary: 'Dial a peer.',
    description:
      'Asks the node to connect to the peer (BOLT 8 handshake, then `init`). Answers once the request is ' +
      'accepted; the connection happens asynchronously and shows in `GET /v1/peers` when established.',
    requestBody: { description: 'The peer to dial.', schema: schemaRef('ConnectPeerRequest') },
    success: { status: 202, description: 'The node is connecting.', schema: schemaRef('ConnectPeerAccepted') },
    async run(api, request) {
      await api.connectPeer({ nodeId: request.nodeId, host: request.host, port: request.port });
      return { status: 'connecting', nodeId: request.nodeId };
    },
  }),
  bodiless({
    method: 'GET',
    path: '/v1/wallet',
    operationId: 'getWallet',
    summary: "The on-chain wallet's balance.",
    description: 'As of the last chain sync (every few seconds locally, every minute on AWS).',
    success: { status: 200, description: 'The balance.', schema: schemaRef('Wallet') },
    async run(api) {
      const w = await api.wallet();
      const reserve = w.anchorReserve;
      return {
        confirmedSat: Number(w.confirmedSat),
        unconfirmedSat: Number(w.unconfirmedSat),
        ...(reserve === undefined
          ? {}
          : { anchorReserve: { anchorChannels: reserve.anchorChannels, requiredSat: Number(reserve.requiredSat), reservedSat: Number(reserve.reservedSat) } }),
      };
    },
  }),
  emptyBody({
    method: 'POST',
    path: '/v1/wallet/address',
    operationId: 'newWalletAddress',
    summary: 'A fresh receive address.',
    success: { status: 200, description: 'The address.', schema: schemaRef('WalletAddress') },
    async run(api) {
      return { address: (await api.newAddress()).address };
    },
  }),
  withBody(SendBody, {
    method: 'POST',
    path: '/v1/wallet/send',
    operationId: 'sendFromWallet',
    summary: 'Pay an address from the on-chain wallet.',
    description:
      'Selects coins (change back to the wallet), signs a transaction that signals replace-by-fee, records it and ' +
      'hands it to the broadcast path, which retries until the chain source has it. Answers 422 `insufficient-funds` ' +
      'when the spendable coins do not cover the amount plus the fee, and 422 `too-many-unconfirmed` when only the change of ' +
      'unconfirmed payments would and the payment would exceed Bitcoin Core\'s 25 unconfirmed ancestors (wait for a confirmation), ' +
      'and 422 `anchor-reserve-not-covered` when only the coins kept as the anchor reserve would; nothing is broadcast then.',
    requestBody: { description: 'The payment.', schema: schemaRef('SendRequest') },
    errors: ['InsufficientFunds', 'Busy'],
    success: { status: 200, description: 'The payment is signed and queued for broadcast.', schema: schemaRef('SendResult') },
    async run(api, request) {
      const sent = await api.send({
        address: request.address,
        sats: BigInt(request.sats),
        ...(request.feerateSatPerVb === undefined ? {} : { feerateSatPerVb: request.feerateSatPerVb }),
      });
      return { txid: sent.txid, feeSat: Number(sent.feeSat) };
    },
  }),
  withBody(OpenChannelBody, {
    method: 'POST',
    path: '/v1/channels',
    operationId: 'openChannel',
    summary: 'Open a channel to a connected peer, funded by the wallet.',
    description:
      'Sends `open_channel` (BOLT 2). When the peer accepts, the wallet selects coins and signs the funding transaction in ' +
      'the same step (`funding_created`); it is broadcast after the peer\'s `funding_signed`, and the channel becomes ready ' +
      'once confirmed. Answers with the temporary channel id at once: follow it with `GET /v1/channels/{id}`. A wallet ' +
      'that cannot pay the amount and the funding fee now is refused up front (422 `insufficient-funds`); one emptied ' +
      'by a payment before the peer accepts shows the channel as `closed` with reason `funding-not-provided`. ' +
      'Our own node id is refused (400).',
    requestBody: { description: 'The channel.', schema: schemaRef('OpenChannelRequest') },
    errors: ['PeerNotConnected', 'InsufficientFunds', 'Busy'],
    success: { status: 202, description: '`open_channel` is on its way.', schema: schemaRef('ChannelOpened') },
    async run(api, request) {
      return api.openChannel({
        nodeId: request.nodeId,
        amountSat: BigInt(request.amountSat),
        pushMsat: BigInt(request.pushMsat ?? 0),
        public: request.public ?? false,
      });
    },
  }),
  bodiless({
    method: 'GET',
    path: '/v1/channels',
    operationId: 'listChannels',
    summary: 'The channels (not yet closed), a page at a time in channel id order.',
    description: 'Answers `nextAfter` when more channels follow: ask again with `after=<nextAfter>`. Each page starts after the id given, so channels opening or closing between pages do not shift the others. A bad `limit` or `after` is refused with 400 `invalid-request`.',
    queryParameters: [
      {
        name: 'limit',
        description: `Channels per page: ${CHANNELS_PAGE_DEFAULT} when absent, at most ${CHANNELS_PAGE_MAX}.`,
        schema: { type: 'integer', minimum: 1, maximum: CHANNELS_PAGE_MAX, default: CHANNELS_PAGE_DEFAULT },
      },
      { name: 'after', description: 'The last `channelId` of the previous page (its `nextAfter`).', schema: { type: 'string', pattern: CHANNEL_ID_PATTERN } },
    ],
    success: { status: 200, description: 'One page of channels.', schema: schemaRef('ChannelList') },
    async run(api, _params, request) {
      const query = parseWith(ListChannelsQuery, request.query);
      const { page, nextAfter } = pageOf(await api.listChannels(), (c) => c.channelId, query.limit ?? CHANNELS_PAGE_DEFAULT, query.after);
      return { channels: page.map(channelJson), ...(nextAfter === undefined ? {} : { nextAfter }) };
    },
  }),
  bodiless({
    method: 'GET',
    path: '/v1/channels/{id}',
    operationId: 'getChannel',
    summary: 'One channel, by its real or temporary id (also once closed).',
    pathParameters: [CHANNEL_ID_PARAMETER],
    errors: ['NotFound'],
    success: { status: 200, description: 'The channel.', schema: schemaRef('Channel') },
    async run(api, params) {
      return channelJson(await api.getChannel(params['id']!.toLowerCase()));
    },
  }),
  emptyBody({
    method: 'POST',
    path: '/v1/channels/{id}/accept',
    operationId: 'acceptChannel',
    summary: 'Accept a held inbound channel request (manual acceptance).',
    pathParameters: [CHANNEL_ID_PARAMETER],
    errors: ['NotFound', 'Busy'],
    success: { status: 200, description: 'Accepted: `accept_channel` is on its way.', schema: schemaRef('ChannelAccepted') },
    async run(api, params) {
      const id = params['id']!.toLowerCase();
      await api.acceptChannel(id);
      return { status: 'accepted', channelId: id };
    },
  }),
  emptyBody({
    method: 'POST',
    path: '/v1/channels/{id}/reject',
    operationId: 'rejectChannel',
    summary: 'Reject a held inbound channel request (manual acceptance).',
    description: 'The peer gets an `error` for the channel and closes its side; the request is gone (404 afterwards).',
    pathParameters: [CHANNEL_ID_PARAMETER],
    errors: ['NotFound', 'Busy'],
    success: { status: 200, description: 'Rejected: the `error` is on its way.', schema: schemaRef('ChannelRejected') },
    async run(api, params) {
      const id = params['id']!.toLowerCase();
      await api.rejectChannel(id);
      return { status: 'rejected', channelId: id };
    },
  }),
  ...closeRoutes(channelJson, CHANNEL_ID_PARAMETER),
  ...channelPolicyRoutes(channelJson, CHANNEL_ID_PARAMETER),
  bodiless({
    method: 'GET',
    path: '/v1/events',
    operationId: 'listEvents',
    summary: 'The oldest events not acknowledged yet (at most 100), oldest first.',
    description:
      'Channel lifecycle events (`channel-pending`, `channel-ready`, `channel-closed`, `open-channel-request`, ' +
      '`funding-generation-ready`, `discard-funding`: a funding transaction never broadcast, its coins back in the wallet; `unsupported-message`: ' +
      'a peer sent what the node cannot handle yet, e.g. a payment, once per message type), each stored in the same commit as the step that caused it. The same events are ' +
      'returned until acknowledged with `POST /v1/events/ack`; ids grow by one, so a consumer skips ids it already handled.',
    queryParameters: [
      {
        name: 'after',
        description: 'Only events with a higher id (decimal): read past events already handled without acknowledging them.',
        schema: { type: 'string', pattern: EVENT_ID_PATTERN },
      },
    ],
    success: { status: 200, description: 'The pending events.', schema: schemaRef('EventList') },
    async run(api, _params, request) {
      const query = parseWith(ListEventsQuery, request.query);
      return { events: await api.listEvents(query.after === undefined ? undefined : BigInt(query.after)) };
    },
  }),
  withBody(AcknowledgeEventsBody, {
    method: 'POST',
    path: '/v1/events/ack',
    operationId: 'acknowledgeEvents',
    summary: 'Acknowledge (delete) the pending events up to an id.',
    description: 'Idempotent. Once acknowledged, a closed channel is no longer found by `GET /v1/channels/{id}`.',
    requestBody: { description: 'The last event handled.', schema: schemaRef('AcknowledgeEventsRequest') },
    success: { status: 200, description: 'Acknowledged.', schema: schemaRef('EventsAcknowledged') },
    async run(api, request) {
      return { acknowledged: await api.acknowledgeEvents(BigInt(request.upTo)) };
    },
  }),
  ...INVOICE_ROUTES,
  ...PAYMENT_ROUTES,
  ...POLICY_ROUTES,
  ...WEBHOOK_ROUTES,
  bodiless({
    method: 'GET',
    path: '/v1/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This OpenAPI 3.1 document.',
    success: { status: 200, description: 'The document.', schema: schemaRef('OpenApiDocument') },
    async run() {
      return openApi();
    },
  }),
];

/** The outcome of matching a request line against {@link ROUTES}. */
export type RouteMatch =
  | { readonly kind: 'found'; readonly route: Route; readonly params: Readonly<Record<string, string>> }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'not-found' };

/** The path parameters of `path` under `route`'s template, or undefined when it does not match. */
function matchPath(route: Route, path: string): Record<string, string> | undefined {
  const template = route.path.split('/');
  const actual = path.split('/');
  if (template.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of template.entries()) {
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name === undefined) {
      if (part !== actual[i]) return undefined;
      continue;
    }
    const pattern = route.pathParameters?.find((p) => p.name === name)?.pattern;
    if (pattern === undefined || !new RegExp(pattern).test(actual[i]!)) return undefined;
    params[name] = actual[i]!;
  }
  return params;
}

/** Finds the route for `method` and `path` (literal segments exactly, parameters by their pattern). */
export function matchRoute(method: string, path: string): RouteMatch {
  const onPath = ROUTES.flatMap((route) => {
    const params = matchPath(route, path);
    return params === undefined ? [] : [{ route, params }];
  });
  if (onPath.length === 0) return { kind: 'not-found' };
  const found = onPath.find((r) => r.route.method === method.toUpperCase());
  return found ? { kind: 'found', route: found.route, params: found.params } : { kind: 'method-not-allowed', allow: onPath.map((r) => r.route.method) };
}
