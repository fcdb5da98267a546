/**
 * The OpenAPI 3.1 document of the HTTP API, built from the route table
 * (routes.ts) so that a route cannot exist without its documentation.
 * Only the subset of OpenAPI and JSON Schema 2020-12 the API uses is typed.
 */
import { HttpErrorCode } from './errors.js';

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it), the subset we need (generated ones may use more keywords). */
export interface SchemaObject {
  readonly $ref?: string;
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';
  readonly anyOf?: readonly SchemaObject[];
  readonly const?: unknown;
  readonly default?: unknown;
  readonly description?: string;
  readonly properties?: Readonly<Record<string, SchemaObject>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly items?: SchemaObject;
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly enum?: readonly string[];
  readonly examples?: readonly unknown[];
}

export interface MediaTypeObject {
  readonly schema: SchemaObject;
}

export interface HeaderObject {
  readonly description: string;
  readonly schema: SchemaObject;
}

export interface ResponseObject {
  readonly description: string;
  readonly headers?: Readonly<Record<string, HeaderObject>>;
  readonly content?: Readonly<Record<string, MediaTypeObject>>;
}

export interface RequestBodyObject {
  readonly description?: string;
  readonly required: boolean;
  readonly content: Readonly<Record<string, MediaTypeObject>>;
}

/** A reference to a reusable component (`#/components/...`). */
export interface ReferenceObject {
  readonly $ref: string;
}

export interface OperationObject {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly parameters?: readonly ParameterObject[];
  readonly requestBody?: RequestBodyObject;
  readonly responses: Readonly<Record<string, ResponseObject | ReferenceObject>>;
}

/** A path, query or header parameter. */
export interface ParameterObject {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly required: boolean;
  readonly description: string;
  readonly schema: SchemaObject;
}

export type PathItemObject = Readonly<Partial<Record<'get' | 'post' | 'put' | 'delete' | 'patch', OperationObject>>>;

export interface SecuritySchemeObject {
  readonly type: 'http';
  readonly scheme: 'bearer';
  readonly description?: string;
}

export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string; readonly description?: string };
  readonly security: readonly Readonly<Record<string, readonly string[]>>[];
  readonly paths: Readonly<Record<string, PathItemObject>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, SchemaObject>>;
    readonly securitySchemes: Readonly<Record<string, SecuritySchemeObject>>;
    readonly responses: Readonly<Record<string, ResponseObject>>;
  };
}

/** What openapi.ts needs to know of a route (routes.ts has the rest). */
export interface DocumentedRoute {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly success: { readonly status: number; readonly description: string; readonly schema: SchemaObject };
  /** The request body; `required: false` for one that may be left out (default: required). */
  readonly requestBody?: { readonly description: string; readonly schema: SchemaObject; readonly required?: boolean };
  /** Error responses besides the ones every route has. */
  readonly errors?: readonly ('InsufficientFunds' | 'NotFound' | 'PeerNotConnected' | 'NotClosable' | 'NotConfigurable' | 'Busy' | 'InvoicePaid' | 'IdempotencyKeyReused' | 'PaymentConflict' | 'PaymentUnroutable' | 'TooManyWebhooks')[];
  /** Path parameters (`{name}` segments of `path`), each a string matching `pattern`. */
  readonly pathParameters?: readonly { readonly name: string; readonly description: string; readonly pattern: string }[];
  /** Query string parameters and request headers (e.g. `Idempotency-Key`), each with its schema. */
  readonly queryParameters?: readonly DocumentedParameter[];
  readonly headerParameters?: readonly DocumentedParameter[];
}

/** A query or header parameter of a route. */
export interface DocumentedParameter {
  readonly name: string;
  readonly description: string;
  readonly schema: SchemaObject;
  readonly required?: boolean;
}

const JSON_MEDIA = 'application/json';

/** A `$ref` to a component schema. */
export function schemaRef(name: string): SchemaObject {
  return { $ref: `#/components/schemas/${name}` };
}

const ERROR_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'Every error response. `code` is stable; `message` is for humans and may change.',
  properties: {
    code: {
      type: 'string',
      enum: Object.values(HttpErrorCode),
    },
    message: { type: 'string' },
  },
  required: ['code', 'message'],
  additionalProperties: false,
};

function errorResponse(description: string): ResponseObject {
  return { description, content: { [JSON_MEDIA]: { schema: schemaRef('Error') } } };
}

const ERROR_RESPONSES = {
  InvalidRequest: errorResponse('`invalid-json`: the body is not JSON; `invalid-request`: a field fails the schema (the message names it).'),
  Unauthorized: errorResponse('`unauthorized`: the `authorization: Bearer <key>` header is missing or the key is wrong.'),
  PayloadTooLarge: errorResponse('`payload-too-large`: the body is larger than the limit (64 KiB).'),
  InsufficientFunds: errorResponse(
    '`insufficient-funds`: the wallet\'s spendable coins do not cover the amount plus the fee; `too-many-unconfirmed`: only the change of ' +
      'unconfirmed payments would, and spending it would make a chain of unconfirmed transactions longer than Bitcoin Core relays (wait for a ' +
      'confirmation); `anchor-reserve-not-covered`: only the confirmed coins kept as the anchor reserve (25,000 sat per anchor channel) would ' +
      'pay, or an anchor channel would need more of them than the wallet has. Nothing was signed or broadcast.',
  ),
  NotFound: errorResponse('`not-found`: nothing has this id.'),
  PeerNotConnected: errorResponse('`peer-not-connected`: the peer is not connected (connect it with `POST /v1/peers` first).'),
  NotClosable: errorResponse(
    '`peer-not-connected`: a cooperative close needs the peer online (connect it with `POST /v1/peers`); ' +
      '`channel-not-closable`: the channel is not `ready` (still opening, already closing, or a held request: reject it instead). Nothing was sent.',
  ),
  NotConfigurable: errorResponse('`channel-not-configurable`: the channel is closed, closing, or a held request (accept it first); nothing was changed.'),
  Busy: {
    ...errorResponse(
      '`busy`: the step needs the node\'s lease and other inputs held it for the whole wait (a few seconds); nothing was done. ' +
        'Retry after `Retry-After` seconds.',
    ),
    headers: { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } } },
  },
  InvoicePaid: errorResponse('`invoice-paid`: the invoice is paid; it can no longer be canceled. Nothing was changed.'),
  IdempotencyKeyReused: errorResponse('`idempotency-key-reused`: the `Idempotency-Key` came before with another request (method, path or body); nothing was done.'),
  PaymentConflict: errorResponse(
    '`duplicate-payment`: that payment hash is pending or paid already (or failed less than 24 hours ago); `idempotency-key-reused`: the ' +
      'Idempotency-Key came with another request before. Nothing was paid.',
  ),
  PaymentUnroutable: errorResponse(
    '`no-route`: no usable channel path to the payee (a channel with it, or a route hint starting at one of our peers) within the fee limit; ' +
      '`insufficient-balance`: our channels towards the payee cannot send that much now. Nothing was stored or paid.',
  ),
  TooManyWebhooks: errorResponse(
    '`too-many-webhooks`: the node keeps at most 10 webhooks; delete one first. `idempotency-key-reused`: the `Idempotency-Key` was used with another request. Nothing was registered.',
  ),
  Internal: errorResponse('`internal`: the node failed; details are in the server logs under the request id (`x-request-id`).'),
} as const satisfies Readonly<Record<string, ResponseObject>>;

const responseRef = (name: keyof typeof ERROR_RESPONSES): ReferenceObject => ({ $ref: `#/components/responses/${name}` });

/** The route's path, query and header parameters, in that order. */
function parametersOf(route: DocumentedRoute): ParameterObject[] {
  const other = (where: 'query' | 'header') => (p: DocumentedParameter): ParameterObject => ({
    name: p.name,
    in: where,
    required: p.required ?? false,
    description: p.description,
    schema: p.schema,
  });
  return [
    ...(route.pathParameters ?? []).map((p): ParameterObject => ({ name: p.name, in: 'path', required: true, description: p.description, schema: { type: 'string', pattern: p.pattern } })),
    ...(route.queryParameters ?? []).map(other('query')),
    ...(route.headerParameters ?? []).map(other('header')),
  ];
}

function operation(route: DocumentedRoute): OperationObject {
  const responses: Record<string, ResponseObject | ReferenceObject> = {
    [String(route.success.status)]: {
      description: route.success.description,
      content: { [JSON_MEDIA]: { schema: route.success.schema } },
    },
    '401': responseRef('Unauthorized'),
    '500': responseRef('Internal'),
  };
  // A query string is validated too (400 `invalid-request`).
  if (route.requestBody || route.queryParameters) responses['400'] = responseRef('InvalidRequest');
  if (route.requestBody) {
    responses['413'] = responseRef('PayloadTooLarge');
  }
  // A query string is validated too: a bad one is a 400 naming the parameter.
  if ((route.queryParameters?.length ?? 0) > 0) responses['400'] = responseRef('InvalidRequest');
  if (route.errors?.includes('InsufficientFunds')) responses['422'] = responseRef('InsufficientFunds');
  if (route.errors?.includes('NotFound')) responses['404'] = responseRef('NotFound');
  if (route.errors?.includes('PeerNotConnected')) responses['409'] = responseRef('PeerNotConnected');
  if (route.errors?.includes('NotClosable')) responses['409'] = responseRef('NotClosable');
  if (route.errors?.includes('NotConfigurable')) responses['409'] = responseRef('NotConfigurable');
  if (route.errors?.includes('Busy')) responses['503'] = responseRef('Busy');
  if (route.errors?.includes('InvoicePaid')) responses['409'] = responseRef('InvoicePaid');
  if (route.errors?.includes('IdempotencyKeyReused')) responses['409'] = responseRef('IdempotencyKeyReused');
  if (route.errors?.includes('PaymentConflict')) responses['409'] = responseRef('PaymentConflict');
  if (route.errors?.includes('PaymentUnroutable')) responses['422'] = responseRef('PaymentUnroutable');
  if (route.errors?.includes('TooManyWebhooks')) responses['409'] = responseRef('TooManyWebhooks');
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(parametersOf(route).length === 0 ? {} : { parameters: parametersOf(route) }),
    ...(route.description === undefined ? {} : { description: route.description }),
    ...(route.requestBody === undefined
      ? {}
      : {
          requestBody: {
            description: route.requestBody.description,
            required: route.requestBody.required ?? true,
            content: { [JSON_MEDIA]: { schema: route.requestBody.schema } },
          },
        }),
    responses,
  };
}

/**
 * Builds the OpenAPI 3.1 document: one operation per route of `routes`, the
 * component `schemas` they refer to, the bearer-key security scheme (required
 * by every operation, `/v1/openapi.json` included) and the error responses.
 */
export function buildOpenApiDocument(
  routes: readonly DocumentedRoute[],
  schemas: Readonly<Record<string, SchemaObject>>,
  version: string,
): OpenApiDocument {
  const paths: Record<string, Partial<Record<'get' | 'post' | 'patch' | 'delete', OperationObject>>> = {};
  for (const route of routes) {
    const item = (paths[route.path] ??= {});
    item[route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete'] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'stormcell node API',
      version,
      description:
        'The HTTP API of a stormcell Lightning node. Every route requires `authorization: Bearer <key>`. ' +
        'Unknown paths answer 404 `not-found`; a known path with another method answers 405 `method-not-allowed` ' +
        'with an `allow` header. Every response carries `x-request-id`.',
    },
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      schemas: { ...schemas, Error: ERROR_SCHEMA },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'The node API key, sent as `authorization: Bearer <key>`.' },
      },
      responses: ERROR_RESPONSES,
    },
  };
}
