/**
 * A tiny validator for the JSON Schema subset the OpenAPI document uses, so
 * tests can check real responses against the published document.
 */
import type { OpenApiDocument, SchemaObject } from '../../../functions/http/openapi.js';

function resolve(doc: OpenApiDocument, schema: SchemaObject): SchemaObject {
  if (schema.$ref === undefined) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  const target = doc.components.schemas[name];
  if (!target || name === schema.$ref) throw new Error(`unresolvable $ref ${schema.$ref}`);
  return resolve(doc, target);
}

/** The list of violations of `schema` by `value` (empty when it conforms). */
export function validate(doc: OpenApiDocument, schemaOrRef: SchemaObject, value: unknown, at = '$'): string[] {
  const schema = resolve(doc, schemaOrRef);
  const errors: string[] = [];
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  switch (schema.type) {
    case undefined:
      break;
    case 'integer':
      if (!Number.isInteger(value)) errors.push(`${at}: expected integer`);
      break;
    case 'object':
    case 'array':
    case 'string':
    case 'number':
    case 'boolean':
      if (kind !== schema.type) errors.push(`${at}: expected ${schema.type}, got ${kind}`);
      break;
  }
  if (errors.length > 0) return errors;
  if (typeof value === 'string') {
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) errors.push(`${at}: does not match ${schema.pattern}`);
    if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${at}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) errors.push(`${at}: longer than ${schema.maxLength}`);
    if (schema.enum !== undefined && !schema.enum.includes(value)) errors.push(`${at}: not one of ${schema.enum.join(', ')}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${at}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${at}: above ${schema.maximum}`);
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => errors.push(...validate(doc, schema.items!, item, `${at}[${i}]`)));
  }
  if (kind === 'object') {
    const record = value as Record<string, unknown>;
    for (const name of schema.required ?? []) if (!(name in record)) errors.push(`${at}.${name}: required`);
    for (const [name, item] of Object.entries(record)) {
      // Own properties only: `valueOf` or `constructor` is not a declared property.
      const property = schema.properties !== undefined && Object.hasOwn(schema.properties, name) ? schema.properties[name] : undefined;
      if (property) errors.push(...validate(doc, property, item, `${at}.${name}`));
      else if (schema.additionalProperties === false) errors.push(`${at}.${name}: not allowed`);
    }
  }
  return errors;
}
