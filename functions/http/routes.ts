/**
 * The route table of the HTTP API: each route's method, path, request-body
 * schema (valibot, with its JSON Schema beside it), success status and what
 * it asks of the node. The OpenAPI document is built from this table.
 */
import * as v from 'valibot';
import { HttpError, HttpErrorCode } from './errors.js';
import type { NodeApi } from './node-api.js';
import { buildOpenApiDocument, schemaRef, type DocumentedRoute, type OpenApiDocument, type SchemaObject } from './openapi.js';

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

const MESSAGES = {
  nodeId: 'must be a 33-byte compressed public key in hex (02 or 03 prefix)',
  host: `must be a host name or IP address of 1 to ${HOST_MAX_LENGTH} visible ASCII characters`,
  port: `must be an integer from ${PORT_MIN} to ${PORT_MAX}`,
} as const;

/** The body of `POST /v1/peers`, validated (unknown fields are rejected). */
export const ConnectPeerBody = v.strictObject({
  nodeId: v.pipe(v.string(MESSAGES.nodeId), v.regex(new RegExp(NODE_ID_PATTERN), MESSAGES.nodeId), v.toLowerCase()),
  host: v.pipe(
    v.string(MESSAGES.host),
    v.minLength(1, MESSAGES.host),
    v.maxLength(HOST_MAX_LENGTH, MESSAGES.host),
    v.regex(new RegExp(HOST_PATTERN), MESSAGES.host),
  ),
  port: v.pipe(
    v.number(MESSAGES.port),
    v.integer(MESSAGES.port),
    v.minValue(PORT_MIN, MESSAGES.port),
    v.maxValue(PORT_MAX, MESSAGES.port),
  ),
});

/** JSON Schemas of the bodies, for the OpenAPI document (`components.schemas`). */
export const SCHEMAS = {
  NodeInfo: {
    type: 'object',
    properties: {
      nodeId: { type: 'string', pattern: '^0[23][0-9a-f]{64}$', description: 'Our node id (33-byte compressed public key, hex).' },
      network: { type: 'string', examples: ['regtest'] },
      peers: { type: 'integer', minimum: 0, description: 'Connected peers.' },
      features: { type: 'string', pattern: '^([0-9a-f]{2})*$', description: 'BOLT 9 feature bits of our `init`, hex.' },
      version: { type: 'string', description: 'Node software version, when the node reports it.' },
    },
    required: ['nodeId', 'network', 'peers', 'features'],
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
  ConnectPeerRequest: {
    type: 'object',
    properties: {
      nodeId: { type: 'string', pattern: NODE_ID_PATTERN, description: 'The peer node id (hex, either case).' },
      host: { type: 'string', minLength: 1, maxLength: HOST_MAX_LENGTH, pattern: HOST_PATTERN, examples: ['127.0.0.1', 'peer.example'] },
      port: { type: 'integer', minimum: PORT_MIN, maximum: PORT_MAX },
    },
    required: ['nodeId', 'host', 'port'],
    additionalProperties: false,
  },
  ConnectPeerAccepted: {
    type: 'object',
    properties: {
      status: { type: 'string', enum: ['connecting'] },
      nodeId: { type: 'string', pattern: '^0[23][0-9a-f]{64}$' },
    },
    required: ['status', 'nodeId'],
    additionalProperties: false,
  },
  OpenApiDocument: { type: 'object', description: 'An OpenAPI 3.1 document.' },
} as const satisfies Readonly<Record<string, SchemaObject>>;

/** A route as the handler runs it. */
export interface Route extends DocumentedRoute {
  readonly success: DocumentedRoute['success'] & { readonly status: 200 | 202 };
  /**
   * Validates `json` (the parsed request body; `undefined` for routes without
   * one), calls the node and returns the success body. Throws `HttpError`
   * `invalid-request` when the body fails the schema.
   */
  readonly handle: (api: NodeApi, json: unknown) => Promise<unknown>;
}

/** Turns valibot issues into one message naming each offending field. */
export function describeIssues(knownFields: readonly string[], issues: readonly v.BaseIssue<unknown>[]): string {
  const parts = issues.map((issue) => {
    const field = v.getDotPath(issue);
    if (field === null) return 'request body must be a JSON object';
    if (issue.type === 'strict_object' || issue.type === 'object') {
      return knownFields.includes(field) ? `${field}: is required` : `${field}: unknown field`;
    }
    return `${field}: ${issue.message}`;
  });
  return [...new Set(parts)].join('; ');
}

type ObjectBodySchema<T> = v.GenericSchema<unknown, T> & { readonly entries: v.ObjectEntries };

/** A route whose JSON body is validated by `schema` before `run` sees it. */
function withBody<T>(
  schema: ObjectBodySchema<T>,
  spec: Omit<Route, 'handle'> & { readonly run: (api: NodeApi, body: T) => Promise<unknown> },
): Route {
  const { run, ...documented } = spec;
  const fields = Object.keys(schema.entries);
  return {
    ...documented,
    async handle(api, json) {
      const result = v.safeParse(schema, json);
      if (!result.success) throw new HttpError(HttpErrorCode.invalidRequest, describeIssues(fields, result.issues));
      return run(api, result.output);
    },
  };
}

/** A route without a request body (any body sent is ignored). */
function bodiless(spec: Omit<Route, 'handle' | 'requestBody'> & { readonly run: (api: NodeApi) => Promise<unknown> }): Route {
  const { run, ...documented } = spec;
  return { ...documented, handle: (api) => run(api) };
}

let openApiDocument: OpenApiDocument | undefined;

/** The OpenAPI document of {@link ROUTES}, built once. */
export function openApi(): OpenApiDocument {
  return (openApiDocument ??= buildOpenApiDocument(ROUTES, SCHEMAS, API_VERSION));
}

/** Every route of the API. Paths are matched exactly (no trailing slash, no parameters). */
export const ROUTES: readonly Route[] = [
  bodiless({
    method: 'GET',
    path: '/v1/node',
    operationId: 'getNode',
    summary: 'Our node: id, network, peer count, features.',
    success: { status: 200, description: 'The node.', schema: schemaRef('NodeInfo') },
    async run(api) {
      const info = await api.nodeInfo();
      return {
        nodeId: info.nodeId,
        network: info.network,
        peers: info.peers,
        features: info.features,
        ...(info.version === undefined ? {} : { version: info.version }),
      };
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
  | { readonly kind: 'found'; readonly route: Route }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'not-found' };

/** Finds the route for `method` and `path` (exact match). */
export function matchRoute(method: string, path: string): RouteMatch {
  const onPath = ROUTES.filter((r) => r.path === path);
  if (onPath.length === 0) return { kind: 'not-found' };
  const route = onPath.find((r) => r.method === method.toUpperCase());
  return route ? { kind: 'found', route } : { kind: 'method-not-allowed', allow: onPath.map((r) => r.method) };
}
