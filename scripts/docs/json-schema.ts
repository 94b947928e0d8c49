import type { z } from 'zod';

/**
 * Reading the JSON Schemas that zod generates (draft 2020-12), for the docs: a short name for each
 * value's type, and an object's fields as rows, nested fields by their path.
 */

export type JsonSchema = z.core.JSONSchema.JSONSchema;

/** A sub-schema; `true`/`false` (anything/nothing) read as an empty schema. */
function schemaOf(value: z.core.JSONSchema._JSONSchema | undefined): JsonSchema {
  return typeof value === 'object' ? value : {};
}

/** The schema of an array's items (zod writes one schema, never a tuple, for the docs' schemas). */
export function itemsOf(schema: JsonSchema): JsonSchema {
  return schemaOf(Array.isArray(schema.items) ? schema.items[0] : schema.items);
}

/** Whether the schema is an object with named fields (documented field by field). */
export function hasFields(schema: JsonSchema): boolean {
  return schema.properties !== undefined && Object.keys(schema.properties).length > 0;
}

/** Zod writes Number.MAX_SAFE_INTEGER and its negative as the bounds of an unbounded integer. */
const unbounded = (n: number | undefined) => n === undefined || Math.abs(n) >= Number.MAX_SAFE_INTEGER;

function numberType(schema: JsonSchema): string {
  const name = schema.type === 'integer' ? 'whole number' : 'number';
  const min = unbounded(schema.minimum) ? undefined : schema.minimum;
  const max = unbounded(schema.maximum) ? undefined : schema.maximum;
  if (min !== undefined && max !== undefined) return `${name}, ${min} to ${max}`;
  if (min !== undefined) return `${name}, at least ${min}`;
  if (max !== undefined) return `${name}, at most ${max}`;
  return name;
}

function stringType(schema: JsonSchema): string {
  if (schema.format === 'date-time') return 'date-time (ISO 8601)';
  const { minLength: min, maxLength: max } = schema;
  if (max !== undefined) return `string, ${min ?? 0} to ${max} characters`;
  if (min !== undefined && min > 0) return 'non-empty string';
  return 'string';
}

/** A short, readable name of a value's type: `list of region`, `map of tag key → tag value`, … */
export function typeName(schema: JsonSchema): string {
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (schema.enum !== undefined) return `one of ${schema.enum.map((v) => `\`${String(v)}\``).join(', ')}`;
  if (schema.title !== undefined) return schema.title;
  if (schema.anyOf !== undefined) return schema.anyOf.map(typeName).join(' or ');
  switch (schema.type) {
    case 'array': {
      const item = typeName(itemsOf(schema));
      const items = item === 'object' ? 'objects' : item;
      return schema.minItems !== undefined && schema.minItems > 0
        ? `non-empty list of ${items}`
        : `list of ${items}`;
    }
    case 'object':
      if (hasFields(schema)) return 'object';
      return `map of ${typeName(schemaOf(schema.propertyNames))} → ${typeName(schemaOf(schema.additionalProperties))}`;
    case 'integer':
    case 'number':
      return numberType(schema);
    case 'string':
      return stringType(schema);
    default:
      return Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'any value');
  }
}

export interface Field {
  /** The field's path from the documented object: `regions[].status`, `sharedWith.accounts`. */
  readonly path: string;
  readonly schema: JsonSchema;
  readonly required: boolean;
}

/** The fields of an object schema, in order; with `nested`, the fields of its objects and lists of objects too. */
export function fieldsOf(schema: JsonSchema, nested: boolean, prefix = ''): Field[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).flatMap(([name, value]) => {
    const field = { path: `${prefix}${name}`, schema: schemaOf(value), required: required.has(name) };
    if (!nested) return [field];
    const inner = field.schema.type === 'array' ? itemsOf(field.schema) : field.schema;
    const innerPrefix = field.schema.type === 'array' ? `${field.path}[].` : `${field.path}.`;
    return [field, ...(hasFields(inner) ? fieldsOf(inner, true, innerPrefix) : [])];
  });
}

/** Every titled kind of value under a schema (a region, a tag key, …), once each, in order of appearance. */
export function titledKinds(
  schema: JsonSchema,
  found = new Map<string, JsonSchema>(),
): Map<string, JsonSchema> {
  if (schema.title !== undefined && !found.has(schema.title)) found.set(schema.title, schema);
  const children: JsonSchema[] = [
    ...Object.values(schema.properties ?? {}).map(schemaOf),
    ...(schema.anyOf ?? []),
    ...(schema.items === undefined ? [] : [itemsOf(schema)]),
    ...(schema.propertyNames === undefined ? [] : [schemaOf(schema.propertyNames)]),
    ...(schema.additionalProperties === undefined ? [] : [schemaOf(schema.additionalProperties)]),
  ];
  for (const child of children) titledKinds(child, found);
  return found;
}
