import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../functions/http/errors.js';
import { decodeIdempotencyRecord, encodeIdempotencyRecord, idempotencySortKey, replayOf, requestFingerprint } from '../../functions/http/idempotency.js';
import { idempotencyKeyOf, jsonSchemaOf, parseWith, type RouteRequest } from '../../functions/http/route-kit.js';

const request = (headers: Record<string, string>): RouteRequest => ({ json: undefined, params: {}, query: {}, headers });

describe('route kit', () => {
  it('publishes the JSON Schema of the valibot schema that validates', () => {
    const schema = v.strictObject({ amountMsat: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))), note: v.pipe(v.string(), v.maxLength(5)) });
    expect(jsonSchemaOf(schema, 'A body.')).toEqual({
      type: 'object',
      description: 'A body.',
      properties: { amountMsat: { type: 'integer', minimum: 1 }, note: { type: 'string', maxLength: 5 } },
      required: ['note'],
      additionalProperties: false,
    });
    expect(parseWith(schema, { note: 'hi' })).toEqual({ note: 'hi' });
    expect(() => parseWith(schema, { note: 'too long', extra: 1 })).toThrow(/note: .*; extra: unknown field/);
  });

  it('reads the Idempotency-Key: required, optional, or malformed', () => {
    expect(idempotencyKeyOf(request({ 'idempotency-key': 'order-42' }), true)).toBe('order-42');
    expect(idempotencyKeyOf(request({}), false)).toBeUndefined();
    expect(() => idempotencyKeyOf(request({}), true)).toThrow(expect.objectContaining({ code: 'idempotency-key-required', status: 400 }));
    for (const bad of ['', 'a b', 'é', 'x'.repeat(256)]) {
      expect(() => idempotencyKeyOf(request({ 'idempotency-key': bad }), false), bad).toThrow(HttpError);
    }
    expect(idempotencyKeyOf(request({ 'idempotency-key': 'x'.repeat(255) }), true)).toHaveLength(255);
  });
});

describe('idempotency records', () => {
  it('answer a repeated request with the first answer, and refuse the key for another request', () => {
    const first = requestFingerprint('POST', '/v1/payments', { bolt11: 'lnbcrt1...', maxFeeMsat: 10 });
    expect(requestFingerprint('post', '/v1/payments', { maxFeeMsat: 10, bolt11: 'lnbcrt1...' })).toBe(first);
    const record = decodeIdempotencyRecord(encodeIdempotencyRecord({ fingerprint: first, body: { paymentId: 'ab' }, createdAtSecs: 5 }))!;
    expect(replayOf(record, first)).toEqual({ paymentId: 'ab' });
    const other = requestFingerprint('POST', '/v1/payments', { bolt11: 'lnbcrt1...', maxFeeMsat: 11 });
    expect(() => replayOf(record, other)).toThrow(expect.objectContaining({ code: 'idempotency-key-reused', status: 409 }));
  });

  it('hashes the key into the sort key and reads garbage as no record', () => {
    expect(idempotencySortKey('order-42')).toMatch(/^IDEMPOTENCY#[0-9a-f]{64}$/);
    expect(idempotencySortKey('order-42')).not.toBe(idempotencySortKey('order-43'));
    for (const junk of ['', 'null', '{"v":2}', '[1]', '\u0000']) expect(decodeIdempotencyRecord(new TextEncoder().encode(junk))).toBeUndefined();
  });
});
