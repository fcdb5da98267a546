/**
 * How a route of the HTTP API is declared: its documentation (openapi.ts)
 * and its handler, with request bodies, query strings and headers validated
 * by valibot before the node is asked anything. The JSON Schemas of the
 * OpenAPI document are generated from the same valibot schemas
 * (`@valibot/to-json-schema`), so what is validated and what is published
 * cannot drift apart. Each area of the API keeps its routes in its own
 * module (routes.ts gathers them).
 */
import { toJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { HttpError, HttpErrorCode } from './errors.js';
import type { NodeApi } from './node-api.js';
import { schemaRef, type DocumentedRoute, type SchemaObject } from './openapi.js';

/** What a route's handler is given of the request. Header names are lower case. */
export interface RouteRequest {
  /** The parsed JSON body (`undefined` for routes without one, or when none was sent). */
  readonly json: unknown;
  /** Path parameters (`{name}` segments), already matched against their patterns. */
  readonly params: Readonly<Record<string, string>>;
  /** Query string parameters (the last value of a repeated one). */
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** A route as the handler runs it. */
export interface Route extends DocumentedRoute {
  readonly success: DocumentedRoute['success'] & { readonly status: 200 | 201 | 202 };
  /**
   * Validates the request (body, query, headers), calls the node and returns
   * the success body. Throws `HttpError` `invalid-request` when the input
   * fails its schema.
   */
  readonly handle: (api: NodeApi, request: RouteRequest) => Promise<unknown>;
}

/**
 * The JSON Schema (2020-12, as OpenAPI 3.1 uses it) of a valibot schema,
 * without the `$schema` key (the OpenAPI document states the dialect once).
 * Transformations and checks that JSON Schema cannot express are left out
 * (they still run when the request is validated).
 */
export function jsonSchemaOf(schema: v.GenericSchema, description?: string): SchemaObject {
  const { $schema: _dialect, ...rest } = toJsonSchema(schema, { errorMode: 'ignore' }) as Record<string, unknown>;
  return { ...(rest as SchemaObject), ...(description === undefined ? {} : { description }) };
}

/**
 * Whether `json` (a parsed request body) is what a POST route without input
 * accepts: no body, or the empty object `{}` (what many clients send).
 * Anything else is refused, so a malformed request changes nothing (no
 * address is handed out). valibot's `strictObject({})` would also take `[]`.
 */
export function isEmptyBody(json: unknown): boolean {
  if (json === undefined) return true;
  return typeof json === 'object' && json !== null && !Array.isArray(json) && Object.keys(json).length === 0;
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

type ObjectSchema<T> = v.GenericSchema<unknown, T> & { readonly entries: v.ObjectEntries };

/** `input` validated by `schema`, or `invalid-request` naming each offending field. */
export function parseWith<T>(schema: ObjectSchema<T>, input: unknown): T {
  const result = v.safeParse(schema, input);
  if (!result.success) throw new HttpError(HttpErrorCode.invalidRequest, describeIssues(Object.keys(schema.entries), result.issues));
  return result.output;
}

/** A route whose JSON body is validated by `schema` before `run` sees it. */
export function withBody<T>(
  schema: ObjectSchema<T>,
  spec: Omit<Route, 'handle'> & { readonly run: (api: NodeApi, body: T, request: RouteRequest) => Promise<unknown> },
): Route {
  const { run, ...documented } = spec;
  return {
    ...documented,
    async handle(api, request) {
      return run(api, parseWith(schema, request.json), request);
    },
  };
}

/** A route without a body (GET, DELETE): any body sent is ignored. */
export function bodiless(
  spec: Omit<Route, 'handle' | 'requestBody'> & {
    readonly run: (api: NodeApi, params: Readonly<Record<string, string>>, request: RouteRequest) => Promise<unknown>;
  },
): Route {
  const { run, ...documented } = spec;
  return { ...documented, handle: (api, request) => run(api, request.params, request) };
}

/**
 * A POST route without input: its body must be absent or `{}` ({@link isEmptyBody}),
 * else `invalid-request` before `run` is called; `params` are its path parameters.
 */
export function emptyBody(
  spec: Omit<Route, 'handle' | 'requestBody'> & {
    readonly run: (api: NodeApi, params: Readonly<Record<string, string>>, request: RouteRequest) => Promise<unknown>;
  },
): Route {
  const { run, ...documented } = spec;
  return {
    ...documented,
    requestBody: { description: 'None, or `{}`.', schema: schemaRef('EmptyRequest'), required: false },
    async handle(api, request) {
      if (!isEmptyBody(request.json)) {
        throw new HttpError(HttpErrorCode.invalidRequest, `${spec.method} ${spec.path} takes no request body: send none, or {}`);
      }
      return run(api, request.params, request);
    },
  };
}

/** The `Idempotency-Key` header: 1 to 255 visible ASCII characters. */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7e]{1,255}$';
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/**
 * The request's `Idempotency-Key` (docs/idempotency.md): undefined when absent
 * and not `required`; `idempotency-key-required` when absent and required;
 * `invalid-request` when it is not 1 to 255 visible ASCII characters.
 */
export function idempotencyKeyOf(request: RouteRequest, required: boolean): string | undefined {
  const key = request.headers[IDEMPOTENCY_KEY_HEADER];
  if (key === undefined) {
    if (required) throw new HttpError(HttpErrorCode.idempotencyKeyRequired, 'this request needs an Idempotency-Key header (1 to 255 visible ASCII characters), so a retry cannot pay twice');
    return undefined;
  }
  if (!new RegExp(IDEMPOTENCY_KEY_PATTERN).test(key)) throw new HttpError(HttpErrorCode.invalidRequest, 'Idempotency-Key: must be 1 to 255 visible ASCII characters');
  return key;
}
