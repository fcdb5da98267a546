/**
 * Reading the JSON body of an API Gateway HTTP API (v2) event: base64 or
 * text, size-limited, UTF-8, then JSON.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpError, HttpErrorCode } from './errors.js';

/** Default body limit: 64 KiB, far above any request of this API. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true });
const UTF8 = new TextEncoder();

/** The body as bytes, or `undefined` when the request has none. Throws `payload-too-large`. */
export function bodyBytes(event: APIGatewayProxyEventV2, maxBytes: number): Uint8Array | undefined {
  const body = event.body;
  if (body === undefined || body === null || body === '') return undefined;
  const tooLarge = () => new HttpError(HttpErrorCode.payloadTooLarge, `request body is larger than ${maxBytes} bytes`);
  if (event.isBase64Encoded) {
    if (Math.floor((body.length * 3) / 4) - 2 > maxBytes) throw tooLarge();
    const bytes = new Uint8Array(Buffer.from(body, 'base64'));
    if (bytes.length > maxBytes) throw tooLarge();
    return bytes;
  }
  // Every UTF-16 code unit is at least one UTF-8 byte: reject huge bodies before encoding them.
  if (body.length > maxBytes) throw tooLarge();
  const bytes = UTF8.encode(body);
  if (bytes.length > maxBytes) throw tooLarge();
  return bytes;
}

/**
 * The parsed JSON body, or `undefined` when the request has none. Throws
 * `payload-too-large`, or `invalid-json` for bytes that are not UTF-8 JSON.
 */
export function parseJsonBody(event: APIGatewayProxyEventV2, maxBytes: number): unknown {
  const bytes = bodyBytes(event, maxBytes);
  if (bytes === undefined) return undefined;
  let text: string;
  try {
    text = UTF8_STRICT.decode(bytes);
  } catch {
    throw new HttpError(HttpErrorCode.invalidJson, 'request body is not UTF-8 text');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(HttpErrorCode.invalidJson, 'request body is not valid JSON');
  }
}
