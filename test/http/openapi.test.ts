import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ConnectPeerBody, HOST_MAX_LENGTH, isEmptyBody, openApi, ROUTES, SCHEMAS } from '../../functions/http/routes.js';
import { validate } from './support/json-schema.js';

function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) => (key === '$ref' && typeof item === 'string' ? [item] : refsIn(item)));
}

describe('OpenAPI document', () => {
  const doc = openApi();

  it('is OpenAPI 3.1 and requires the bearer key on every operation', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.components.securitySchemes['bearerAuth']).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('lists every route of the table, and nothing else', () => {
    for (const route of ROUTES) {
      const operation = doc.paths[route.path]?.[route.method.toLowerCase() as 'get' | 'post'];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(operation!.operationId).toBe(route.operationId);
      expect(Object.keys(operation!.responses)).toContain(String(route.success.status));
      expect(operation!.responses['401']).toBeDefined();
      expect(operation!.responses['500']).toBeDefined();
      expect(operation!.requestBody !== undefined).toBe(route.requestBody !== undefined);
    }
    const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    expect(new Set(ROUTES.map((r) => r.operationId)).size).toBe(ROUTES.length);
    expect(operations).toEqual(expect.arrayContaining(['GET /v1/node', 'GET /v1/peers', 'POST /v1/peers', 'GET /v1/openapi.json']));
  });

  it('resolves every $ref', () => {
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) {
      const [, section, name] = /^#\/components\/(schemas|responses)\/(.+)$/.exec(ref) ?? [];
      expect(section, ref).toBeDefined();
      const table = section === 'schemas' ? doc.components.schemas : doc.components.responses;
      expect(table[name as keyof typeof table], ref).toBeDefined();
    }
  });

  it('survives JSON serialisation unchanged (it is plain data)', () => {
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });
});

describe('ConnectPeerRequest: the JSON Schema agrees with the valibot schema', () => {
  const doc = openApi();
  const schema = SCHEMAS.ConnectPeerRequest;

  it('names the same fields, all required', () => {
    expect(Object.keys(schema.properties!).sort()).toEqual(Object.keys(ConnectPeerBody.entries).sort());
    expect([...schema.required!].sort()).toEqual(Object.keys(ConnectPeerBody.entries).sort());
  });

  it('accepts and rejects the same bodies', () => {
    const hexByte = fc.integer({ min: 0, max: 255 }).map((b) => b.toString(16).padStart(2, '0'));
    const nodeId = fc.oneof(
      fc.tuple(fc.constantFrom('02', '03', '04', '00', '0A'), fc.array(hexByte, { minLength: 31, maxLength: 33 })).map(
        ([prefix, bytes]) => prefix + bytes.join(''),
      ),
      fc.tuple(fc.constantFrom('02', '03'), fc.array(hexByte, { minLength: 32, maxLength: 32 })).map(([p, b]) => (p + b.join('')).toUpperCase()),
      fc.string(),
      fc.integer(),
    );
    const host = fc.oneof(
      fc.string({ minLength: 0, maxLength: HOST_MAX_LENGTH + 2 }),
      fc.string({ unit: fc.constantFrom('a', 'b', '.', '-', '1', ':'), minLength: HOST_MAX_LENGTH - 2, maxLength: HOST_MAX_LENGTH + 2 }),
      fc.constantFrom('127.0.0.1', '::1', 'peer.example', 'a b', '', 'é.example', '\t'),
      fc.constant(null),
    );
    const port = fc.oneof(fc.integer({ min: -2, max: 65538 }), fc.double(), fc.constantFrom(1, 65535, 0, 65536, 1.5), fc.string());
    const body = fc.oneof(
      fc.record({ nodeId, host, port }),
      fc.record({ nodeId, host, port }, { requiredKeys: [] }),
      fc.record({ nodeId, host, port, extra: fc.string() }),
      fc.anything(),
    );
    let accepted = 0;
    fc.assert(
      fc.property(body, (value) => {
        const json = JSON.parse(JSON.stringify(value) ?? 'null') as unknown;
        const byValibot = v.safeParse(ConnectPeerBody, json).success;
        const bySchema = validate(doc, schema, json).length === 0;
        if (byValibot) accepted++;
        return byValibot === bySchema;
      }),
      { numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('EmptyRequest: the JSON Schema agrees with isEmptyBody', () => {
  const doc = openApi();

  it('accepts {} and nothing else that is JSON', () => {
    expect(validate(doc, SCHEMAS.EmptyRequest, {})).toEqual([]);
    expect(isEmptyBody({})).toBe(true);
    expect(isEmptyBody(undefined)).toBe(true);
    for (const inherited of ['{"valueOf":{}}', '{"constructor":1}', '{"toString":"x"}']) {
      expect(isEmptyBody(JSON.parse(inherited))).toBe(false);
      expect(validate(doc, SCHEMAS.EmptyRequest, JSON.parse(inherited))).not.toEqual([]);
    }
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 2 })), (value) => {
        const json = JSON.parse(JSON.stringify(value)) as unknown;
        return isEmptyBody(json) === (validate(doc, SCHEMAS.EmptyRequest, json).length === 0);
      }),
      { numRuns: 1000 },
    );
  });
});
