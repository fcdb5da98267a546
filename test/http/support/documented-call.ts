/** Calls the HTTP handler and checks the response against the OpenAPI document's entry for the route. */
import { expect } from 'vitest';
import type { HttpHandler } from '../../../functions/http/handler.js';
import { openApi } from '../../../functions/http/routes.js';
import { AUTH, apiEvent, jsonOf } from './events.js';
import { validate } from './json-schema.js';

/**
 * `method path` with the API key and `body` as JSON; the status must be
 * documented for the route `template` (its path, `{id}` segments included)
 * and the body must match its schema.
 */
export async function documentedCall(handler: HttpHandler, method: string, path: string, body?: unknown, template = path) {
  const { status, body: json } = await documentedRawCall(handler, method, path, body === undefined ? undefined : { body: JSON.stringify(body) }, template);
  return { status, body: json };
}

/** {@link documentedCall} with the body as sent: any text, or base64 bytes. */
export async function documentedRawCall(
  handler: HttpHandler,
  method: string,
  path: string,
  raw: { readonly body: string; readonly isBase64Encoded?: boolean } | undefined,
  template = path,
  /** Request headers besides the key (e.g. `idempotency-key`), and the query string. */
  extra: { readonly headers?: Readonly<Record<string, string>>; readonly query?: Readonly<Record<string, string>> } = {},
) {
  const event = apiEvent({ method, path, headers: { ...AUTH, ...extra.headers }, ...raw });
  const result = await handler({ ...event, ...(extra.query === undefined ? {} : { queryStringParameters: { ...extra.query } }) });
  const json = jsonOf(result);
  const doc = openApi();
  const response = doc.paths[template]?.[method.toLowerCase() as 'get' | 'post' | 'delete']?.responses[String(result.statusCode)];
  expect(response, `${method} ${template} ${result.statusCode} documented`).toBeDefined();
  const resolved = '$ref' in response! ? doc.components.responses[response.$ref.split('/').pop() as 'Internal'] : response!;
  expect(validate(doc, resolved!.content!['application/json']!.schema, json)).toEqual([]);
  return { status: result.statusCode, body: json, headers: result.headers ?? {} };
}
