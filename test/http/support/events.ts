/** API Gateway HTTP API (payload 2.0) events for unit tests, shaped as API Gateway sends them. */
import { expect } from 'vitest';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiKeySha256 } from '../../../functions/http/api-key.js';

export const API_KEY = 'test-api-key-6f1c2e9a';
export const API_KEY_SHA256 = apiKeySha256(API_KEY);
export const AUTH = { authorization: `Bearer ${API_KEY}` } as const;

let counter = 0;

export function apiEvent(options: {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}): APIGatewayProxyEventV2 {
  const requestId = `req-${++counter}`;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: options.path,
    rawQueryString: '',
    headers: { host: 'node.example', 'content-type': 'application/json', ...options.headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'node.example',
      domainPrefix: 'node',
      http: { method: options.method, path: options.path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: '25/Nov/2026:22:56:47 +0000',
      timeEpoch: 1795647407000,
    },
    ...(options.body === undefined ? {} : { body: options.body }),
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

/** The parsed JSON body of a handler result. */
export function jsonOf(result: APIGatewayProxyStructuredResultV2): unknown {
  expect(result.headers?.['content-type']).toBe('application/json; charset=utf-8');
  return JSON.parse(result.body ?? '') as unknown;
}
